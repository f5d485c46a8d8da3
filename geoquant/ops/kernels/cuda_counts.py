"""Per-tile counts on the GPU: cells by code, class edges, and class transitions.

GPU counterparts of ``kernels.label.count_codes``, ``kernels.edges.object_background_faces``
and the change operator's per-tile transition table, with the same results: integer counts
identical, float areas summed row by row in the same order as the CPU kernels.

* Cells by code are row reductions of comparisons (the array module's own reduction kernels).
* Class edges are a numba.cuda kernel: each thread takes a segment of :data:`SEGMENT` pixels
  of one row, counts the object|background faces it owns (right and below) with the CPU
  kernel's own ``kernels.edges.segment_faces`` (compiled as a device function) and adds them
  to its row's totals with two atomics.
* Transitions are sorted unique classes and one ``bincount`` over ``before * n + after``
  pair indices, weighted by the row's cell area: no pass over all class pairs per pixel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from geoquant._backend import array_module
from geoquant.ops.kernels import edges
from geoquant.ops.kernels._launch import launch, to_device, to_host
from geoquant.ops.kernels._targets import device_function

OBJECT = edges.OBJECT

SEGMENT = 32
"""Pixels of one row per thread in the edge kernel."""

_segment_faces = device_function(edges.segment_faces)


def count_codes(codes: Any, cell_area: np.ndarray) -> tuple[int, int, float, float]:
    """Object and valid pixel counts and areas (m²) of one tile of codes (no halo).

    The same numbers as ``kernels.label.count_codes``: per-row counts on the device, the areas
    summed over rows on the host in row order.
    """
    xp = array_module(codes)
    per_row = xp.stack([(codes == OBJECT).sum(axis=1, dtype=np.int64),
                        (codes <= OBJECT).sum(axis=1, dtype=np.int64)])
    objects_per_row, valid_per_row = to_host(per_row)
    return (int(objects_per_row.sum()), int(valid_per_row.sum()),
            _row_ordered_sum(objects_per_row, cell_area),
            _row_ordered_sum(valid_per_row, cell_area))


def _row_ordered_sum(counts: np.ndarray, cell_area: np.ndarray) -> float:
    total = 0.0
    for n, a in zip(counts.tolist(), np.asarray(cell_area, np.float64).tolist(), strict=True):
        total += n * a
    return total


@cuda.jit
def _faces(padded, faces_x, faces_y):
    i = cuda.grid(1)
    h = padded.shape[0] - 2
    w = padded.shape[1] - 2
    per_row = (w + SEGMENT - 1) // SEGMENT
    if i >= h * per_row:
        return
    r = i // per_row
    c0 = (i - r * per_row) * SEGMENT
    stop = c0 + SEGMENT if c0 + SEGMENT < w else w  # no min(): numba's CUDA target lacks it
    fx, fy = _segment_faces(padded, r, c0, stop)
    if fx:
        cuda.atomic.add(faces_x, r, fx)
    if fy:
        cuda.atomic.add(faces_y, r, fy)


def object_background_faces(padded: Any) -> tuple[np.ndarray, np.ndarray]:
    """Object|background faces owned by each core row of a padded tile (host int64 arrays).

    As ``kernels.edges.object_background_faces``: ``faces_x[r]`` between row ``r`` and the row
    below, ``faces_y[r]`` between a pixel of row ``r`` and its right neighbour.
    """
    xp = array_module(padded)
    padded = xp.ascontiguousarray(padded, dtype=np.uint8)
    h, w = padded.shape[0] - 2, padded.shape[1] - 2
    faces_x = xp.zeros(h, np.int64)
    faces_y = xp.zeros(h, np.int64)
    if h and w:
        launch(_faces, h * ((w + SEGMENT - 1) // SEGMENT), padded, faces_x, faces_y)
    return to_host(faces_x), to_host(faces_y)


def transitions(before: Any, after: Any, keep: Any, cell_area: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells and area (m²) of every (before, after) class pair among the ``keep`` pixels.

    Parameters
    ----------
    before, after : array of int64, shape (h, w)
        Class codes of one tile, on the device or the host.
    keep : array of bool, shape (h, w)
        Pixels valid on both dates.
    cell_area : ndarray of float64, shape (h,)
        Cell area per row, m².

    Returns
    -------
    pairs_before, pairs_after : ndarray of int64
        The class pairs present, sorted by before then after.
    cells : ndarray of int64
    area : ndarray of float64
        m² per pair.
    """
    xp = array_module(before)
    rows = xp.nonzero(keep)[0]
    b, a = before[keep], after[keep]
    classes_b, index_b = xp.unique(b, return_inverse=True)
    classes_a, index_a = xp.unique(a, return_inverse=True)
    pair = index_b.ravel() * classes_a.size + index_a.ravel()
    size = int(classes_b.size * classes_a.size)
    cells = xp.bincount(pair, minlength=size)
    area = xp.bincount(pair, weights=to_device(np.asarray(cell_area, np.float64),
                                               before)[rows], minlength=size)
    present = xp.flatnonzero(cells)
    return (to_host(classes_b[present // classes_a.size]),
            to_host(classes_a[present % classes_a.size]), to_host(cells[present]),
            to_host(area[present]))
