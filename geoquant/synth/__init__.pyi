"""Type stub of geoquant.synth: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._classes import (
    CLASSES,
    OPTICAL_BANDS,
    SAR_POLARIZATIONS,
    WATER_CODES,
)
from ._scene import (
    landcover,
    scene,
)

__all__ = [
    "CLASSES",
    "OPTICAL_BANDS",
    "SAR_POLARIZATIONS",
    "WATER_CODES",
    "landcover",
    "scene",
]
