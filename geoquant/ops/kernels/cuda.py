"""The tile kernels on device tiles: numba.cuda and CuPy behind the one tile-kernel interface.

Namesakes of :mod:`geoquant.ops.kernels.cpu`, with the same arguments and results; results
that the merge reads (keys, statistics, counts, carries) come back to the host, per-pixel
outputs (ids, distances) stay on the tile's device. Under numba's CUDA simulator the same
kernels run on NumPy tiles (see :func:`~geoquant.ops.kernels.dispatch.kernels_for`). The GPU
modules load on first use.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geoquant._backend import array_module

NAME = "cuda"


# -- counts ----------------------------------------------------------------------------------------
def count_codes(codes: Any, cell_area: np.ndarray) -> tuple[int, int, float, float]:
    """Object and valid pixel counts and their areas (m²) of one tile of codes (no halo)."""
    from geoquant.ops.kernels import cuda_counts

    return cuda_counts.count_codes(codes, cell_area)


def object_background_faces(padded: Any) -> tuple[np.ndarray, np.ndarray]:
    """Object|background faces owned by each core row of a padded tile (int64 per row)."""
    from geoquant.ops.kernels import cuda_counts

    return cuda_counts.object_background_faces(padded)


def transitions(before: Any, after: Any, keep: Any, cell_area: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells and area (m²) of every (before, after) class pair among the ``keep`` pixels."""
    from geoquant.ops.kernels import cuda_counts

    return cuda_counts.transitions(before, after, keep, cell_area)


# -- connected parts -------------------------------------------------------------------------------
def label_parts(padded: Any, conn8: bool) -> Any:
    """The connected parts of a padded tile's core, on its device (``DeviceParts``)."""
    from geoquant.ops.kernels import cuda_label

    return cuda_label.label_tile(padded, conn8)


def part_summary(padded: Any, parts: Any, row0: int, col0: int, width: int,
                 cell_area: np.ndarray, edge_x: np.ndarray, edge_y: np.ndarray,
                 aux: list[Any]) -> tuple[np.ndarray, tuple, tuple]:
    """Keys, statistics and border strips of a tile's parts (host arrays)."""
    from geoquant.ops.kernels import cuda_label

    xp = array_module(padded)
    h, w = padded.shape[0] - 2, padded.shape[1] - 2
    aux_stack = (xp.stack([xp.asarray(a, np.float64) for a in aux]) if aux
                 else xp.empty((0, h, w), np.float64))
    return cuda_label.part_stats(padded, parts, row0, col0, width, cell_area, edge_x, edge_y,
                                 aux_stack)


def part_keys(padded: Any, parts: Any, row0: int, col0: int, width: int
              ) -> tuple[np.ndarray, tuple]:
    """Keys and border strips of a tile's parts, without their statistics (host arrays)."""
    from geoquant.ops.kernels import cuda_label

    return cuda_label.part_keys(parts, row0, col0, width)


def paint_parts(parts: Any, lut: np.ndarray, shape: tuple[int, int], out: Any = None) -> Any:
    """Global ids ``lut[part]`` of a tile: into ``out`` (returns None) or a new device array."""
    from geoquant.ops.kernels import cuda_label

    tile = cuda_label.relabel(parts, lut)
    if out is None:
        return tile
    out[...] = tile
    return None


# -- distances -------------------------------------------------------------------------------------
def column_extremes(codes: Any, row0: int) -> np.ndarray:
    """First and last global object row of every column (host int64 ``(2, cols)``)."""
    from geoquant.ops.kernels import cuda_edt

    return cuda_edt.column_extremes(codes, row0)


def border_sites(codes: Any, row0: int, col0: int, ncols_total: int, above: np.ndarray,
                 below: np.ndarray, dx: float | np.ndarray,
                 dy: float) -> tuple[np.ndarray, ...]:
    """The tile's sites that matter left of it, then right of it (two host CSR triples);
    ``dx`` is the pixel width (m), one for all rows or one per row."""
    from geoquant.ops.kernels import cuda_edt

    return cuda_edt.border_sites(codes, row0, col0, ncols_total, above, below, dx, dy)


def distance_tile(codes: Any, row0: int, col0: int, above: np.ndarray, below: np.ndarray,
                  dx: float | np.ndarray, dy: float, left: tuple, right: tuple,
                  excluded_nan: bool, threads: int = 1, out: Any = None) -> Any:
    """Exact distances (m, float64) of one tile on its device, one GPU thread per row
    (``threads`` is the CPU's row split, unused here): a new array, or written into ``out``
    (a tile-shaped view on the device; returns None)."""
    from geoquant.ops.kernels import cuda_edt

    tile = cuda_edt.distance_tile(codes, row0, col0, above, below, dx, dy, left, right,
                                  excluded_nan, out)
    return tile if out is None else None
