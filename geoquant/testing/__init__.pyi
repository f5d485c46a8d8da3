"""Type stub of geoquant.testing: its modules (read at run time by ``geoquant._lazy.attach``;
each loads on first use)."""

from . import (
    corpus,
    rasters,
    real,
    reference,
    squid,
    stac,
    strategies,
)

__all__ = [
    "corpus",
    "rasters",
    "real",
    "reference",
    "squid",
    "stac",
    "strategies",
]
