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

from geoquant.ops import _accessor  # noqa: F401  (registers DataArray.gq)
from geoquant.ops._area import Coverage, area, share
from geoquant.ops._change import Change, change
from geoquant.ops._complement import complement
from geoquant.ops._distance import distance, min_distance, within_distance
from geoquant.ops._distance_stats import DistanceStats, distance_stats
from geoquant.ops._fragmentation import fragmentation
from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import check_same_grid
from geoquant.ops._objects import connected, count, label, largest, objects
from geoquant.ops._registration import Registration, registration
from geoquant.ops._survey import Survey, survey

__all__ = [
    "Change",
    "Coverage",
    "DistanceStats",
    "PixelGeometry",
    "Registration",
    "Survey",
    "area",
    "change",
    "check_same_grid",
    "complement",
    "connected",
    "count",
    "distance",
    "distance_stats",
    "fragmentation",
    "label",
    "largest",
    "min_distance",
    "objects",
    "registration",
    "share",
    "survey",
    "within_distance",
]
