"""Type stub of geoquant: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from . import (
    cluster,
    data,
    demo,
    errors,
    monitor,
    ops,
    reason,
    segment,
    sinks,
    sources,
    synth,
    tiling,
)
from ._version import __version__
from .errors import GeoquantError
from .reason import ask

__all__ = [
    "GeoquantError",
    "__version__",
    "ask",
    "cluster",
    "data",
    "demo",
    "errors",
    "monitor",
    "ops",
    "reason",
    "segment",
    "sinks",
    "sources",
    "synth",
    "tiling",
]
