"""Statistics of a distance field over a region: the farthest pixel, the mean, the share beyond d.

"The greatest distance from any pixel to the nearest road" is the maximum of the distance field
to the roads; "the water pixel farthest from all forest" is the directed Hausdorff distance
from water to forest, the maximum of the field to the forest over the water pixels; "is there a
place over 250 m from every road" asks whether that maximum exceeds 250 m. One pass computes
them all: the exact distance field of :mod:`geoquant.ops._distance` is reduced tile by tile
(count, area, sums, the maximum and where it lies, what lies beyond a threshold) and the tile
summaries merge in a tree, so no full float raster is ever held and the maximum, its place and
the counts are the same for any chunking (sums agree to rounding).

The median, on request, is an exact order statistic found without sorting the raster: a pass
counts the region's distances in :data:`MEDIAN_BINS` bins over ``[0, max]``; while the bin that
holds the wanted rank holds more than :data:`GATHER_LIMIT` pixels, another pass splits that
bin again (a value's bin is computed by the same formula in every pass, so the bins partition
the values exactly); then the distinct values of the last bin are gathered with their counts
and the rank is read off. Each pass recomputes the distance field tile by tile.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import EXCLUDED, OBJECT, check_non_negative, prepare_mask, prepare_pair
from geoquant.tiling import TileGrid, tree_reduce

MEDIAN_BINS = 4096
"""Bins per counting pass of the median."""

GATHER_LIMIT = 1 << 16
"""Pixels a bin may hold for its distinct values to be gathered."""

# tile summary layout: float64 values
_CELLS, _AREA, _SUM, _SUM_AREA, _MAX, _ROW, _COL, _BEYOND, _BEYOND_AREA = range(9)


@dataclass(frozen=True)
class DistanceStats:
    """Distances from the pixels of a region to the nearest object pixel of a mask.

    Attributes
    ----------
    max_m : float
        The largest distance, m: from the pixel of the region farthest from the mask (the
        directed Hausdorff distance from the region to the mask). ``inf`` when the mask has no
        object pixel, NaN when the region has no pixel.
    mean_m : float
        The mean distance over the region, weighted by pixel area (the plain pixel mean on
        projected grids), m; ``inf`` / NaN as ``max_m``.
    farthest_x, farthest_y : float
        CRS coordinates of the centre of the farthest pixel (the first in raster order among
        equals); NaN when the region has no pixel.
    cells : int
        Pixels of the region.
    area_m2 : float
        Area of the region, m².
    farther_than_m : float or None
        The threshold asked, m.
    farther_cells : int or None
        Pixels of the region strictly farther than ``farther_than_m`` from the mask.
    farther_area_m2 : float or None
        Their area, m².
    median_m : float or None
        The median distance over the region's pixels, m (the mean of the two middle values
        for an even count, as ``numpy.median``; pixels unweighted, on geographic grids too);
        None unless asked, NaN for an empty region.
    max_relative_error : float
        Bound on the relative error of the distances (0 on projected grids; the local metric's
        bound on geographic grids, see :mod:`geoquant.ops._geodesy`).
    """

    max_m: float
    mean_m: float
    farthest_x: float
    farthest_y: float
    cells: int
    area_m2: float
    farther_than_m: float | None = None
    farther_cells: int | None = None
    farther_area_m2: float | None = None
    max_relative_error: float = 0.0
    median_m: float | None = None

    @property
    def any_farther(self) -> bool | None:
        """Whether some pixel of the region lies farther than ``farther_than_m`` (None when no
        threshold was asked)."""
        return None if self.farther_cells is None else self.farther_cells > 0

    @property
    def farther_share_percent(self) -> float | None:
        """Share of the region's area farther than ``farther_than_m``, % (NaN for an empty
        region, None when no threshold was asked)."""
        if self.farther_area_m2 is None:
            return None
        return 100.0 * self.farther_area_m2 / self.area_m2 if self.area_m2 else float("nan")


def distance_stats(mask: Any, *, over: Any = None, farther_than_m: float | None = None,
                   median: bool = False, valid: Any = None) -> DistanceStats:
    """Statistics of the distance to the nearest object pixel of ``mask`` over a region.

    Exact for any chunking (the distances are those of :func:`geoquant.ops.distance`).

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS: what distances are measured to (the roads, the forest).
    over : xarray.DataArray, optional
        A mask on the same grid whose True pixels are the region measured (the water pixels).
        Default: every valid pixel of ``mask``'s grid (NaN, nodata and ``valid=False`` left
        out). A pixel of ``over`` where ``mask`` is nodata still counts, as in
        :func:`~geoquant.ops.min_distance`.
    median : bool
        Also the exact median distance (one to a few more passes over the distance field).
    farther_than_m : float, optional
        Also count the pixels of the region strictly farther than this, m ("is there a place
        over 250 m from every road").
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded from both masks.

    Returns
    -------
    DistanceStats
        ``max_m``, ``mean_m``, the farthest pixel, the region's size and, with a threshold,
        what lies beyond it.

    Raises
    ------
    geoquant.errors.MaskError, geoquant.errors.GridMismatchError, geoquant.errors.CRSError
        As for :func:`~geoquant.ops.min_distance`.
    geoquant.errors.InvalidOptionError
        When ``farther_than_m`` is negative or not finite.
    geoquant.errors.GeographicExtentError
        When the error bound of a geographic grid at the largest distance exceeds 1 %.

    Examples
    --------
    >>> import numpy as np, geoquant as gq
    >>> from geoquant.testing.rasters import as_raster
    >>> road = as_raster(np.eye(4, dtype=bool), resolution=10.0)
    >>> stats = gq.ops.distance_stats(road, farther_than_m=20.0)
    >>> round(stats.max_m, 2), stats.any_farther, stats.farther_cells
    (22.36, True, 2)
    """
    from geoquant.ops._distance import distance_to
    from geoquant.ops._geodesy import check_measured_error

    limit = None
    if farther_than_m is not None:
        limit = check_non_negative(farther_than_m, "farther_than_m", unit="metres",
                                   example="distance_stats(road, farther_than_m=250.0)")
    if over is None:
        target = prepare_mask(mask, name="mask", valid=valid)
        region = target.codes != EXCLUDED
    else:
        measured, target = prepare_pair(over, mask, names=("over", "mask"), valid=valid)
        region = measured.codes == OBJECT
    geometry = target.geometry
    field = distance_to(target, excluded_nan=False)
    task = partial(_tile_stats, grid=TileGrid.from_chunks(field.chunks), geometry=geometry,
                   limit=limit)
    totals = tree_reduce([field, region], task, _combine, name="gq-distance-stats").compute()
    bound = check_measured_error(geometry, "distance_stats", totals[_MAX])
    stats = _stats(totals, geometry, limit, bound)
    if median:
        import dataclasses

        middle = _median(field, region, stats.cells, stats.max_m)
        stats = dataclasses.replace(stats, median_m=middle)
    return stats


def _median(field: Any, region: Any, cells: int, top: float) -> float:
    """The exact median of the region's distances (see module docstring)."""
    if not cells:
        return float("nan")
    if not np.isfinite(top) or top == 0.0:
        return float(top)  # every distance is inf (nothing to measure to), or every one 0
    ranks = sorted({(cells - 1) // 2, cells // 2})
    values = [_kth(field, region, rank, top) for rank in ranks]
    return float(values[0]) if len(values) == 1 else 0.5 * (values[0] + values[1])


def _kth(field: Any, region: Any, rank: int, top: float) -> float:
    """The ``rank``-th smallest (0-based) distance of the region, exactly."""
    levels: list[tuple[float, float, int]] = []  # (low, high, bin) chosen so far
    low, high = 0.0, top
    while True:
        task = partial(_tile_histogram, levels=tuple(levels), low=low, high=high)
        counts = tree_reduce([field, region], task, np.add, name="gq-distance-hist").compute()
        cumulative = np.cumsum(counts)
        chosen = int(np.searchsorted(cumulative, rank, side="right"))
        rank -= int(cumulative[chosen - 1]) if chosen else 0
        levels.append((low, high, chosen))
        if counts[chosen] <= GATHER_LIMIT or len(levels) >= 6:
            break
        width = (high - low) / MEDIAN_BINS
        low, high = low + chosen * width, low + (chosen + 1) * width
        if not high > low:  # a bin narrower than the floats can split
            break
    task = partial(_tile_values, levels=tuple(levels))
    parts = tree_reduce([field, region], task, _merge_values, name="gq-distance-values").compute()
    values, counts = parts
    index = int(np.searchsorted(np.cumsum(counts), rank, side="right"))
    return float(values[index])


def _in_levels(values: np.ndarray, levels: tuple) -> np.ndarray:
    for low, high, chosen in levels:
        values = values[_bins(values, low, high) == chosen]
    return values


def _bins(values: np.ndarray, low: float, high: float) -> np.ndarray:
    scaled = np.floor((values - low) / (high - low) * MEDIAN_BINS)
    return np.clip(scaled, 0, MEDIAN_BINS - 1).astype(np.int64)


def _region_values(field: Any, region: Any) -> np.ndarray:
    from geoquant.ops.kernels._launch import to_host

    return to_host(field[region]).astype(np.float64)


def _tile_histogram(field: Any, region: Any, *, block_index: tuple[int, int], levels: tuple,
                    low: float, high: float) -> np.ndarray:
    values = _in_levels(_region_values(field, region), levels)
    return np.bincount(_bins(values, low, high), minlength=MEDIAN_BINS).astype(np.int64)


def _tile_values(field: Any, region: Any, *, block_index: tuple[int, int],
                 levels: tuple) -> tuple[np.ndarray, np.ndarray]:
    return np.unique(_in_levels(_region_values(field, region), levels), return_counts=True)


def _merge_values(first: tuple, second: tuple) -> tuple[np.ndarray, np.ndarray]:
    values = np.concatenate([first[0], second[0]])
    counts = np.concatenate([first[1], second[1]])
    unique, inverse = np.unique(values, return_inverse=True)
    return unique, np.bincount(inverse, weights=counts, minlength=unique.size).astype(np.int64)


def _tile_stats(field: Any, region: Any, *, block_index: tuple[int, int], grid: TileGrid,
                geometry: PixelGeometry, limit: float | None) -> np.ndarray:
    """The summary of one tile, reduced on the tile's device (NumPy or CuPy)."""
    from geoquant._backend import array_module

    xp = array_module(field)
    r0, r1, c0, _ = grid.bounds(*block_index)
    out = np.zeros(9)
    out[_MAX], out[_ROW], out[_COL] = -np.inf, np.nan, np.nan
    cells = int(xp.count_nonzero(region))
    if not cells:
        return out
    cell = xp.asarray(geometry.cell_area(r0, r1))[:, None]
    inside = xp.where(region, field, 0.0)
    out[_CELLS], out[_AREA] = cells, float((cell * region).sum())
    out[_SUM], out[_SUM_AREA] = float(inside.sum()), float((inside * cell).sum())
    first = int(xp.argmax(xp.where(region, field, -np.inf)))  # the first maximum, raster order
    row, col = divmod(first, field.shape[1])
    out[_MAX], out[_ROW], out[_COL] = float(field[row, col]), row + r0, col + c0
    if limit is not None:
        beyond = region & (field > limit)
        out[_BEYOND] = int(xp.count_nonzero(beyond))
        out[_BEYOND_AREA] = float((cell * beyond).sum())
    return out


def _combine(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    out = first + second
    # the larger maximum; among equal ones the first in raster order
    if (second[_MAX] > first[_MAX]
            or (second[_MAX] == first[_MAX]
                and (second[_ROW], second[_COL]) < (first[_ROW], first[_COL]))):
        best = second
    else:
        best = first
    out[_MAX], out[_ROW], out[_COL] = best[_MAX], best[_ROW], best[_COL]
    return out


def _stats(totals: np.ndarray, geometry: PixelGeometry, limit: float | None,
           bound: float) -> DistanceStats:
    cells = int(totals[_CELLS])
    area = float(geometry.area_of(cells, totals[_AREA]))
    beyond = int(totals[_BEYOND]) if limit is not None else None
    beyond_area = (float(geometry.area_of(beyond, totals[_BEYOND_AREA]))
                   if limit is not None else None)
    if not cells:
        return DistanceStats(np.nan, np.nan, np.nan, np.nan, 0, 0.0, limit, beyond, beyond_area,
                             bound)
    if geometry.geographic:
        mean = float(totals[_SUM_AREA] / totals[_AREA])
    else:
        mean = float(totals[_SUM] / cells)
    x, y = geometry.pixel_centres(np.array([totals[_ROW]]), np.array([totals[_COL]]))
    return DistanceStats(float(totals[_MAX]), mean, float(x[0]), float(y[0]), cells, area,
                         limit, beyond, beyond_area, bound)
