"""Type stub of geoquant.data: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._paths import DEMO_DATA

__all__ = ["DEMO_DATA"]
