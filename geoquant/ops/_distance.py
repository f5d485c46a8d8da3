"""Exact, unbounded Euclidean distances on chunked masks: distance, min_distance, within_distance.

The distance transform is separable (Meijster et al. 2000; Felzenszwalb & Huttenlocher 2012).
With ``f(r, c) = (dy * rows from (r, c) to the nearest object pixel of column c)**2``, the
squared distance of pixel ``(r, x)`` is ``min over columns x' of (dx * (x - x'))**2 + f(r, x')``:
the lower envelope of one parabola per column ("site"). Both passes cross tiles through small
per-tile summaries, so no task ever holds more than one tile and a few 1-D arrays:

1. **Column pass.** Each tile reports, per column, its first and last object row (global row
   index). Two chains over the tile-rows of each tile-column (downwards with ``maximum`` of the
   last rows, upwards with ``minimum`` of the first rows) hand every tile the nearest object row
   above and below it in each column, anywhere in the raster. A tile then gets its exact ``f``
   from its own pixels and those two rows.
2. **Row pass.** Every tile reports, per row, the few sites that can still be lowest beyond its
   left edge and beyond its right edge (a scan from the edge that stops once the horizontal
   distance alone exceeds the best value at the edge, then the envelope restricted to the
   columns beyond the edge). A chain left-to-right over the tile-columns merges them into, for
   each tile, the envelope of all sites left of it restricted to the columns from its left edge
   to the raster's right edge; a right-to-left chain does the mirror image. Those carries are
   per-row site lists, as short as possible (each site is lowest on some pixel of the range).
3. **Write-back.** Each tile recomputes ``f`` (cheaper than keeping it) and takes the envelope of
   left carry, own sites and right carry, which is the exact minimum over all columns of the
   raster, and writes ``sqrt`` of it. A raster of fewer tiles than cores splits each tile's
   write-back by rows over the spare cores (same results, disjoint rows of one array).

The graph has seven tasks per tile (chains are linear, not gathers), each holding a tile and
per-column or per-row summaries; the kernels are in :mod:`geoquant.ops.kernels.edt`. Squared
distances are summed as ``(dy*rows)**2 + (dx*cols)**2`` in float64, the terms scipy.ndimage sums,
so results match ``scipy.ndimage.distance_transform_edt(~mask, sampling=(dy, dx))`` to rounding.
Excluded pixels (nodata, outside the region) are not objects and do not block paths.

Geographic grids run the same transform under a local metric whose pixel width is that of each
target row at its own latitude (``dx`` becomes one value per row; the row pass of a row only
uses its own), with a stated bound on its error against the ellipsoidal geodesic; grids too
large for the bound are refused (:mod:`geoquant.ops._geodesy`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from geoquant._backend import array_module
from geoquant.ops._geodesy import check_distance_error, check_measured_error
from geoquant.ops._mask import (
    OBJECT,
    PreparedMask,
    check_non_negative,
    is_dask,
    once_written,
    prepare_mask,
    prepare_pair,
)
from geoquant.ops._tree import check_graph_size
from geoquant.ops.kernels.dispatch import configured_kernels, kernels_for
from geoquant.tiling import TileGrid

if TYPE_CHECKING:  # pragma: no cover
    import dask.array as da
    import xarray as xr
    from dask.delayed import Delayed

__all__ = ["distance", "distance_to", "min_distance", "within_distance"]

_MIN_BAND_ROWS = 256  # rows below which splitting a tile over threads does not pay
#: The most tiles of one distance graph. Its carries chain tiles along rows and columns, so
#: the set of source tiles each task reaches, which dask's ordering builds for every task,
#: grows with the square of the tiles: at 4,096 tiles the process peaked at 2.7 GB, at 10,000
#: at 12.6 GB (docs/operations.md).
MAX_DISTANCE_TILES = 4_096

# -- public operators -----------------------------------------------------------------------------
def distance(mask: xr.DataArray, *, valid: xr.DataArray | None = None) -> xr.DataArray:
    """Euclidean distance in metres from every pixel to the nearest object pixel of ``mask``.

    Exact and unbounded (no maximum distance), on anisotropic pixels (``dx != dy``) too, and the
    same for any chunking as on the whole array.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D ``(y, x)`` boolean mask with a CRS; True marks object pixels. 0/1 numbers with NaN
        or the raster's nodata value marking excluded pixels are accepted too. Geographic grids
        use the local metric of :mod:`geoquant.ops._geodesy` (its error bound is the result's
        ``max_relative_error`` attribute).
    valid : xarray.DataArray of bool, optional
        Pixels to keep; False pixels are excluded (outside the region, nodata).

    Returns
    -------
    xarray.DataArray
        float64 distances in metres between pixel centres, with the mask's coordinates,
        attributes and CRS and ``units="m"``: computed (NumPy- or CuPy-backed, like the mask)
        for in-memory masks, which are split into row bands (see ``ops._mask.memory_tiles``)
        written into one array; lazy and chunked like the mask for dask-backed masks. Object pixels
        are 0. Excluded pixels are NaN; they are not objects and do not block paths. When the
        mask has no object pixel at all, every valid pixel is ``inf``.

    Raises
    ------
    geoquant.errors.MaskError
        When the mask is not a 2-D DataArray of booleans (or 0/1 numbers).
    geoquant.errors.CRSError
        When the mask has no CRS.
    geoquant.errors.GeographicExtentError
        When the mask's geographic grid spans more than the error bound allows.

    Examples
    --------
    >>> import numpy as np
    >>> from geoquant.testing.rasters import as_raster
    >>> mask = as_raster(np.eye(3, dtype=bool)[::-1], resolution=10.0)
    >>> distance(mask).values.round(2)
    array([[14.14, 10.  ,  0.  ],
           [10.  ,  0.  , 10.  ],
           [ 0.  , 10.  , 14.14]])
    """
    prepared = prepare_mask(mask, name="mask", valid=valid)
    attrs = {"long_name": "distance to the nearest object pixel", "units": "m"}
    if prepared.geometry.geographic:
        attrs["max_relative_error"] = check_distance_error(prepared.geometry, "distance")
    if is_dask(mask.data):
        return prepared.like(distance_to(prepared), name="distance", attrs=attrs)
    # In memory in, in memory out: the row bands (ops._mask.memory_tiles) are written straight
    # into one array (no concatenation afterwards, which cost a quarter of the time at 8000²).
    values = distance_to(prepared, empty=array_module(mask.data).empty).compute(
        scheduler="threads")
    return prepared.like(values, name="distance", attrs=attrs)


def min_distance(a: xr.DataArray, b: xr.DataArray, *, valid: xr.DataArray | None = None) -> float:
    """Distance in metres between the closest object pixels of ``a`` and ``b``.

    Exact and unbounded; reduced tile by tile (the minimum of the distance to ``b`` over the
    object pixels of ``a``), so no full float raster is ever held. An object pixel of ``a``
    where ``b`` is nodata still counts, with its distance to the objects of ``b``.

    Parameters
    ----------
    a, b : xarray.DataArray
        2-D boolean masks on the same grid (shape, transform and CRS); geographic grids use
        the local metric of :mod:`geoquant.ops._geodesy`.
    valid : xarray.DataArray of bool, optional
        Pixels to keep in both masks; False pixels are excluded.

    Returns
    -------
    float
        Metres between pixel centres; ``0.0`` when the masks share an object pixel, and
        ``math.inf`` when either mask has no object pixel.

    Raises
    ------
    geoquant.errors.MaskError
        When a mask is not a 2-D boolean DataArray.
    geoquant.errors.GridMismatchError
        When ``a`` and ``b`` lie on different grids.
    geoquant.errors.CRSError
        When the grid has no CRS.
    geoquant.errors.GeographicExtentError
        When the error bound of a geographic grid at the distance found exceeds 1 %.
    """
    import dask.array as da

    first, second = prepare_pair(a, b, names=("a", "b"), valid=valid)
    to_b = distance_to(second, excluded_nan=False)
    per_tile = da.map_blocks(_min_over_objects, to_b, first.codes, dtype=np.float64,
                             chunks=((1,) * len(to_b.chunks[0]), (1,) * len(to_b.chunks[1])),
                             meta=np.empty((0, 0), np.float64))
    found = float(per_tile.min().compute())
    check_measured_error(first.geometry, "min_distance", found)
    return found


def within_distance(a: xr.DataArray, b: xr.DataArray, distance_m: float, *,
                    valid: xr.DataArray | None = None) -> xr.DataArray:
    """Object pixels of ``a`` at most ``distance_m`` metres from an object pixel of ``b``.

    Exact and unbounded (any ``distance_m``), lazy, and the same for any chunking. As in
    :func:`min_distance`, an object pixel of ``a`` where ``b`` is nodata still counts.

    Parameters
    ----------
    a, b : xarray.DataArray
        2-D boolean masks on the same grid; geographic grids use the local metric of
        :mod:`geoquant.ops._geodesy`, whose bound is checked at ``distance_m``.
    distance_m : float
        Largest distance in metres between pixel centres, inclusive; ``0`` keeps the pixels of
        ``a`` that are also in ``b``.
    valid : xarray.DataArray of bool, optional
        Pixels to keep in both masks; False pixels are excluded.

    Returns
    -------
    xarray.DataArray
        bool, lazy, chunked and georeferenced like ``a``; False on excluded pixels and
        everywhere when ``b`` has no object pixel. On geographic grids its
        ``max_relative_error`` attribute is the distance bound at ``distance_m``.

    Raises
    ------
    geoquant.errors.InvalidOptionError
        When ``distance_m`` is negative, NaN or infinite.
    geoquant.errors.MaskError, geoquant.errors.GridMismatchError, geoquant.errors.CRSError
        As for :func:`min_distance`.
    geoquant.errors.GeographicExtentError
        When the error bound at ``distance_m`` on a geographic grid is too large.
    """
    limit = check_non_negative(distance_m, "distance_m", unit="metres",
                               example="within_distance(a, b, 2000.0) for 2 km")
    import dask.array as da

    first, second = prepare_pair(a, b, names=("a", "b"), valid=valid)
    bound = check_distance_error(first.geometry, "within_distance", limit)
    to_b = distance_to(second, excluded_nan=False)
    near = da.map_blocks(_objects_within, to_b, first.codes, limit=limit, dtype=np.bool_,
                         meta=array_module(to_b._meta).empty((0, 0), np.bool_))
    attrs = {"long_name": f"object pixels within {limit} m of b"}
    if first.geometry.geographic:
        attrs["max_relative_error"] = bound  # of the distances near distance_m
    out = first.like(near, name="within_distance", attrs=attrs)
    out.attrs.pop("units", None)  # a mask, not metres
    return out


# -- the distance graph ---------------------------------------------------------------------------
def distance_to(prepared: PreparedMask, *, excluded_nan: bool = True,
                empty: Callable[..., Any] | None = None,
                max_tiles: int | None = MAX_DISTANCE_TILES) -> da.Array | Delayed:
    """Lazy exact distances (m) to the nearest object pixel, chunked like ``prepared.codes``.

    Parameters
    ----------
    prepared : PreparedMask
        Codes from :func:`~geoquant.ops._mask.prepare_mask`.
    excluded_nan : bool
        NaN on excluded pixels (default); when False they get their distance like any pixel.
    empty : callable, optional
        ``numpy.empty`` or ``cupy.empty``: the whole raster is allocated once and the tile
        tasks write into it, so the graph must run on threads of this process.
    max_tiles : int or None
        Refuse a raster of more tiles, before any work (:data:`MAX_DISTANCE_TILES`); ``None``
        for callers that bound their windows themselves (``survey``).

    Returns
    -------
    dask.array.Array or dask.delayed.Delayed
        float64 metres; ``inf`` everywhere when there is no object pixel. With ``empty``, a
        Delayed of the one filled array.

    Raises
    ------
    geoquant.errors.InvalidOptionError
        More tiles than ``max_tiles``.

    Notes
    -----
    On geographic grids the distances are those of the local metric (see
    :mod:`geoquant.ops._geodesy`); callers check its bound.
    """
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    codes = prepared.codes
    row_chunks, col_chunks = codes.chunks
    ni, nj = len(row_chunks), len(col_chunks)
    grid = TileGrid.from_chunks(codes.chunks)
    if max_tiles is not None:
        check_graph_size(grid, limit=max_tiles, tasks_per_tile=7,
                         what="one distance graph over it")
    row0, col0 = grid.row_starts.tolist(), grid.col_starts.tolist()
    ncols = col0[-1]
    dy = prepared.geometry.metric_dy()
    widths = prepared.geometry.metric_dx(0, grid.shape[0])  # one per row
    dx = [widths[row0[i]:row0[i] + row_chunks[i]] for i in range(ni)]
    kernels = configured_kernels()
    token = tokenize(codes.name, widths, dy, excluded_nan, kernels)
    src = codes.name
    ext, above, below = f"edt-extremes-{token}", f"edt-above-{token}", f"edt-below-{token}"
    border, left, right = f"edt-border-{token}", f"edt-left-{token}", f"edt-right-{token}"
    out = f"edt-distance-{token}"
    whole = f"edt-array-{token}"
    tiles = [(i, j) for i in range(ni) for j in range(nj)]
    # Fewer tiles than cores would leave cores idle; the write-back of each tile, which is
    # most of the work, then splits its rows over the spare cores (the kernels release the
    # GIL and the threads write disjoint rows of one array, so nothing is copied).
    bands = max(1, min(4, (os.cpu_count() or 1) // len(tiles)))

    layers: dict[str, dict] = {
        ext: {(ext, i, j): (_column_extremes, (src, i, j), row0[i], kernels) for i, j in tiles},
        above: {(above, i, j): ((_carry_down, (above, i - 1, j), (ext, i - 1, j)) if i
                                else (_no_rows_above, col_chunks[j])) for i, j in tiles},
        below: {(below, i, j): ((_carry_up, (below, i + 1, j), (ext, i + 1, j)) if i < ni - 1
                                else (_no_rows_below, col_chunks[j])) for i, j in tiles},
        border: {(border, i, j): (_border_sites, (src, i, j), row0[i], col0[j], ncols,
                                  (above, i, j), (below, i, j), dx[i], dy, kernels)
                 for i, j in tiles},
        left: {(left, i, j): ((_carry_left, (left, i, j - 1), (border, i, j - 1), col0[j],
                               ncols - 1, dx[i]) if j else (_no_sites, row_chunks[i]))
               for i, j in tiles},
        right: {(right, i, j): ((_carry_right, (border, i, j + 1), (right, i, j + 1), 0,
                                 col0[j + 1] - 1, dx[i]) if j < nj - 1
                                else (_no_sites, row_chunks[i]))
                for i, j in tiles},
        out: {(out, i, j): (_distance_tile, (src, i, j), row0[i], col0[j], (above, i, j),
                            (below, i, j), (left, i, j), (right, i, j), dx[i], dy, excluded_nan,
                            bands, kernels, None if empty is None else whole)
              for i, j in tiles},
    }
    source = set(codes.__dask_layers__())
    dependencies = {ext: source, above: {ext}, below: {ext}, border: {*source, above, below},
                    left: {border}, right: {border},
                    out: {*source, above, below, left, right}}
    if empty is not None:
        from dask.delayed import Delayed

        layers[whole] = {whole: (partial(empty, grid.shape, np.float64),)}
        dependencies[whole] = set()
        dependencies[out].add(whole)
        done = f"edt-written-{token}"
        layers[done] = {done: (once_written, whole, [(out, i, j) for i, j in tiles])}
        dependencies[done] = {whole, out}
    graph = HighLevelGraph({**codes.dask.layers, **layers},
                           {**codes.dask.dependencies, **dependencies})
    if empty is not None:
        return Delayed(done, graph)
    return da.Array(graph, out, chunks=codes.chunks, dtype=np.float64,  # on the tiles' device
                    meta=array_module(codes._meta).empty((0, 0), np.float64))


# -- tasks: plain arrays in, plain arrays out -----------------------------------------------------
class Sites(NamedTuple):
    """Per-row site lists (see :mod:`geoquant.ops.kernels.edt`): CSR offsets, columns, f (m²)."""

    offsets: np.ndarray
    pos: np.ndarray
    val: np.ndarray


def _column_extremes(codes: Any, row0: int, kernels: str) -> np.ndarray:
    return kernels_for(codes, kernels).column_extremes(codes, row0)


def _no_rows_above(width: int) -> np.ndarray:
    from geoquant.ops.kernels.edt import NO_ROW_ABOVE

    return np.full(width, NO_ROW_ABOVE, np.int64)


def _no_rows_below(width: int) -> np.ndarray:
    from geoquant.ops.kernels.edt import NO_ROW_BELOW

    return np.full(width, NO_ROW_BELOW, np.int64)


def _carry_down(above: np.ndarray, extremes: np.ndarray) -> np.ndarray:
    """Nearest object row above the next tile: this tile's last one, else the one above it."""
    return np.maximum(above, extremes[1])


def _carry_up(below: np.ndarray, extremes: np.ndarray) -> np.ndarray:
    return np.minimum(below, extremes[0])


def _border_sites(codes: Any, row0: int, col0: int, ncols: int, above: np.ndarray,
                  below: np.ndarray, dx: np.ndarray, dy: float,
                  kernels: str) -> tuple[Sites, Sites]:
    """The tile's sites that matter left of it and right of it (``dx``: width per row, m)."""
    parts = kernels_for(codes, kernels).border_sites(codes, row0, col0, ncols, above, below,
                                                     dx, dy)
    return Sites(*parts[:3]), Sites(*parts[3:])


def _no_sites(rows: int) -> Sites:
    return Sites(np.zeros(rows + 1, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))


def _carry_left(carry: Sites, border: tuple[Sites, Sites], lo: int, hi: int,
                dx: np.ndarray) -> Sites:
    """Sites left of the next tile: the carry so far, then what this tile offers rightwards."""
    from geoquant.ops.kernels.edt import merge_sites

    return Sites(*merge_sites(*carry, *border[1], lo, hi, dx))


def _carry_right(border: tuple[Sites, Sites], carry: Sites, lo: int, hi: int,
                 dx: np.ndarray) -> Sites:
    from geoquant.ops.kernels.edt import merge_sites

    return Sites(*merge_sites(*border[0], *carry, lo, hi, dx))


def _distance_tile(codes: Any, row0: int, col0: int, above: np.ndarray,
                   below: np.ndarray, left: Sites, right: Sites, dx: np.ndarray, dy: float,
                   excluded_nan: bool, bands: int, kernels: str, whole: Any = None) -> Any:
    """Distances (m) of one tile: a new array, or written into its window of ``whole`` (then
    None). On the CPU ``bands > 1`` splits its rows over as many threads. A GPU tile is
    computed on its device, one thread per row, and stays there."""
    threads = max(1, min(bands, codes.shape[0] // _MIN_BAND_ROWS))
    target = None
    if whole is not None:
        target = whole[row0:row0 + codes.shape[0], col0:col0 + codes.shape[1]]
    return kernels_for(codes, kernels).distance_tile(codes, row0, col0, above, below, dx, dy,
                                                     left, right, excluded_nan, threads, target)


def _min_over_objects(to_b: np.ndarray, codes_a: np.ndarray) -> np.ndarray:
    """The tile's smallest distance over the object pixels of ``a``, as a host (1, 1) array."""
    values = to_b[codes_a == OBJECT]
    return np.full((1, 1), float(values.min()) if values.size else np.inf)


def _objects_within(to_b: np.ndarray, codes_a: np.ndarray, limit: float) -> np.ndarray:
    """Object pixels of ``a`` within ``limit`` m, on the tile's device."""
    return (codes_a == OBJECT) & (to_b <= limit)

