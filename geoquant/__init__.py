"""geoquant: exact quantitative answers about large areas of the Earth from satellite imagery.

Subpackages load on first use, so ``import geoquant`` stays light: no dask, xarray, torch,
numba or zarr is imported until a function that needs them runs. ``geoquant.ask`` is
:func:`geoquant.reason.ask` itself: ``help(geoquant.ask)`` shows its signature and text.
The names and where they live are listed in ``__init__.pyi``.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
