"""Exact measurement operators on masks, at any scale.

Every operator takes 2-D ``xarray.DataArray`` masks with a CRS (NumPy- or dask-backed) and
gives the same answer for any chunking as on the whole array: per-tile numba kernels return
small tile summaries that merge associatively in a tree, and per-pixel outputs are written
back chunk by chunk. Nodata and pixels outside the region are neither object nor background.
Geographic (longitude/latitude) grids are measured in metres too: exact ellipsoidal areas and
edges, distances under a local metric with a stated error bound (:mod:`geoquant.ops._geodesy`).

:class:`PixelGeometry` (a grid's pixel sizes in metres) and :func:`check_same_grid` (raise
:class:`~geoquant.errors.GridMismatchError` unless two grids have the same pixels) are the
operators' grid checks, for code that lines up rasters before measuring them.

Importing this module also registers the ``.gq`` DataArray accessor (``mask.gq.count()``).
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)

# The accessor is the one eager import: ``mask.gq`` must work after ``import geoquant.ops``
# whichever operator is used first (it imports xarray, as every operator does).
from geoquant.ops import _accessor  # noqa: E402, F401
