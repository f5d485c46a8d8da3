"""The demo: the main job end to end on the embedded demo region.

- :func:`run_demo` — build a STAC catalog over the packaged demo rasters, serve it as a real
  STAC API on loopback, search and load it on a local Dask cluster, compute first figures, and
  write GIS-readable Zarr stores, a JSON summary and quick-looks (``geoquant demo``); the
  figures are described in :mod:`geoquant.demo._run`.
- :data:`QUESTIONS` — the questions the demo answers with :func:`geoquant.ask`.
- :data:`DEMO_DATA` — the folder of the embedded demo rasters (one folder per collection).
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
