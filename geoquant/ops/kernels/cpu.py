"""The tile kernels on NumPy tiles: numba CPU kernels behind the one tile-kernel interface.

Every function here has a namesake in :mod:`geoquant.ops.kernels.cuda` taking the same
arguments and returning the same results (see :class:`~geoquant.ops.kernels.dispatch.
TileKernels`); :func:`~geoquant.ops.kernels.dispatch.kernels_for` picks one of the two modules
from the tile's array type. Inputs are made C-contiguous ``uint8`` here, once, for the kernels.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from geoquant.ops.kernels import edges, edt, label

NAME = "cpu"


class RunParts(NamedTuple):
    """The parts of one tile as horizontal runs (see :mod:`geoquant.ops.kernels.label`)."""

    row_ptr: np.ndarray
    starts: np.ndarray
    stops: np.ndarray
    run_label: np.ndarray
    n: int

    @property
    def like(self) -> np.ndarray:
        """An array in the parts' memory (the host), for :func:`kernels_for`."""
        return self.row_ptr


def _codes(array: Any) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.uint8)


# -- counts ----------------------------------------------------------------------------------------
def count_codes(codes: Any, cell_area: np.ndarray) -> tuple[int, int, float, float]:
    """Object and valid pixel counts and their areas (m²) of one tile of codes (no halo)."""
    return label.count_codes(_codes(codes), cell_area)


def object_background_faces(padded: Any) -> tuple[np.ndarray, np.ndarray]:
    """Object|background faces owned by each core row of a padded tile (int64 per row)."""
    return edges.object_background_faces(_codes(padded))


def transitions(before: Any, after: Any, keep: Any, cell_area: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells and area (m²) of every (before, after) class pair among the ``keep`` pixels.

    Returns the pairs present (before classes, after classes; sorted by before then after),
    their cells (int64) and areas (float64, m²).
    """
    rows = np.nonzero(keep)[0]
    if rows.size == 0:
        empty = np.empty(0, np.int64)
        return empty, empty, empty, np.empty(0, np.float64)
    pairs = np.stack([before[keep], after[keep]], axis=1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    cells = np.bincount(inverse, minlength=len(unique))
    area = np.bincount(inverse, weights=np.asarray(cell_area, np.float64)[rows],
                       minlength=len(unique))
    return unique[:, 0], unique[:, 1], cells.astype(np.int64), area


# -- connected parts -------------------------------------------------------------------------------
def label_parts(padded: Any, conn8: bool) -> RunParts:
    """The connected parts of a padded tile's core, as runs with local labels ``1..n``."""
    return RunParts(*label.label_runs(_codes(padded), conn8))


def part_summary(padded: Any, parts: RunParts, row0: int, col0: int, width: int,
                 cell_area: np.ndarray, edge_x: np.ndarray, edge_y: np.ndarray,
                 aux: list[Any]) -> tuple[np.ndarray, tuple, tuple]:
    """Keys, statistics and border strips of a tile's parts (host arrays).

    ``row0``/``col0`` place the tile's core in a raster ``width`` columns wide; ``cell_area``,
    ``edge_x`` and ``edge_y`` are the rows' cell areas (m²) and edge lengths (m); ``aux``
    holds per-pixel layers whose per-part minima are wanted.
    """
    padded = _codes(padded)
    h, w = padded.shape[0] - 2, padded.shape[1] - 2
    keys = label.run_keys(parts.row_ptr, parts.starts, parts.run_label, parts.n, row0, col0,
                          width)
    aux_stack = (np.stack([np.asarray(a, np.float64) for a in aux]) if aux
                 else np.empty((0, h, w), np.float64))
    stats = label.run_stats(padded, parts.row_ptr, parts.starts, parts.stops, parts.run_label,
                            parts.n, row0, col0, cell_area, edge_x, edge_y, aux_stack)
    strips = label.run_strips(parts.row_ptr, parts.starts, parts.stops, parts.run_label, keys,
                              w)
    return keys, stats, strips


def part_keys(padded: Any, parts: RunParts, row0: int, col0: int, width: int
              ) -> tuple[np.ndarray, tuple]:
    """Keys and border strips of a tile's parts, without their statistics (for passes whose
    reducer reads none: labels, plain counts)."""
    w = _codes(padded).shape[1] - 2
    keys = label.run_keys(parts.row_ptr, parts.starts, parts.run_label, parts.n, row0, col0,
                          width)
    strips = label.run_strips(parts.row_ptr, parts.starts, parts.stops, parts.run_label, keys,
                              w)
    return keys, strips


def paint_parts(parts: RunParts, lut: np.ndarray, shape: tuple[int, int],
                out: Any = None) -> Any:
    """Global ids ``lut[part]`` of a tile of ``shape``: written into ``out`` (a tile-shaped
    view, whose dtype then rules; returns None) or into a new array of ``lut``'s dtype."""
    tile = np.empty(shape, lut.dtype) if out is None else out
    label.paint_runs(parts.row_ptr, parts.starts, parts.stops, lut[parts.run_label], tile)
    return tile if out is None else None


# -- distances -------------------------------------------------------------------------------------
def column_extremes(codes: Any, row0: int) -> np.ndarray:
    """First and last global object row of every column (int64 ``(2, cols)``)."""
    return edt.column_extremes(_codes(codes), row0)


def border_sites(codes: Any, row0: int, col0: int, ncols_total: int, above: np.ndarray,
                 below: np.ndarray, dx: float | np.ndarray, dy: float) -> tuple[np.ndarray, ...]:
    """The tile's sites that matter left of it, then right of it (two CSR triples); ``dx``
    is the pixel width (m), one for all rows or one per row."""
    codes = _codes(codes)
    return edt.border_sites(codes, row0, col0, ncols_total, above, below,
                            edt.row_widths(dx, codes.shape[0]), dy)


def distance_tile(codes: Any, row0: int, col0: int, above: np.ndarray, below: np.ndarray,
                  dx: float | np.ndarray, dy: float, left: tuple, right: tuple,
                  excluded_nan: bool, threads: int = 1,
                  out: np.ndarray | None = None) -> np.ndarray | None:
    """Exact distances (m, float64) of one tile: a new array, or written into ``out`` (a
    tile-shaped float64 view, such as the tile's window of the whole raster's array; returns
    None). ``threads > 1`` splits its rows over as many threads (the kernel releases the GIL;
    the threads write disjoint rows)."""
    codes = _codes(codes)
    dx = edt.row_widths(dx, codes.shape[0])
    new = out is None
    if new:
        out = np.empty(codes.shape, np.float64)  # NumPy reuses large blocks; numba maps new pages

    def run(lo: int, hi: int) -> None:
        edt.distance_tile(codes, row0, col0, above, below, dx, dy, *left, *right,
                          excluded_nan, lo, hi, out)

    rows = codes.shape[0]
    if threads <= 1:
        run(0, rows)
    else:
        from concurrent.futures import ThreadPoolExecutor

        bounds = np.linspace(0, rows, threads + 1).astype(int).tolist()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(run, bounds[:-1], bounds[1:]))
    return out if new else None
