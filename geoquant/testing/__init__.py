"""Helpers for geoquant's tests and for users testing code built on geoquant.

- :mod:`~geoquant.testing.rasters` — small georeferenced rasters; :mod:`~geoquant.testing.real`
  — the real rasters of ``shared/data`` as cubes; :mod:`~geoquant.testing.stac` — real STAC
  item metadata paired with local rasters.
- :mod:`~geoquant.testing.strategies` — Hypothesis strategies for masks and chunkings.
- :mod:`~geoquant.testing.corpus`, :mod:`~geoquant.testing.reference`,
  :mod:`~geoquant.testing.squid` — phrasing sets, an independent scipy reference for plan
  expressions, and a SQuID-format question set.

Each module loads on first use (``hypothesis`` only with ``strategies``).
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
