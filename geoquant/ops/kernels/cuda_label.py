"""Connected-component labelling of one tile on the GPU, and the statistics of its parts.

The GPU counterpart of :mod:`geoquant.ops.kernels.label`: same input (a padded tile of codes,
``(h + 2, w + 2)`` uint8, halo read only for perimeter faces), same parts, same numbering
(``1..n`` in raster order of each part's first pixel), same statistics, so the tile summary
and everything merged from it are identical to the CPU path (integers exactly; float sums of
per-run terms added in another order, within rounding).

Labelling is union-find over pixels with atomics (Playne & Hawick 2018; Komura 2015):

1. every object pixel starts as its own root (its core index ``r * w + c``);
2. every object pixel unions with its object neighbours above and to the left (and the two
   upper diagonals under 8-connectivity, skipped when a shared neighbour already joins them);
   a union hooks the larger root under the smaller with ``atomicMin`` and retries on a race,
   so parents only ever decrease and each component ends with its smallest index as root,
   its first pixel in raster order;
3. every pixel points straight at its root; a prefix sum over the roots numbers them 1..n.

Statistics are gathered per horizontal run, not per pixel: the thread at a run's first pixel
walks the run and adds its totals with one atomic per statistic, so a tile-wide object costs
one atomic per run rather than one per pixel. No pass scans labels per pixel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import cuda

from geoquant._backend import array_module
from geoquant.ops.kernels._launch import launch, to_device, to_host

OBJECT = 1
_BIG = np.iinfo(np.int64).max


@dataclass(frozen=True)
class DeviceParts:
    """The parts of one tile on the device.

    Attributes
    ----------
    local : device array of int32, shape (h, w)
        Part label ``1..n`` of each core pixel, 0 where there is no object.
    n : int
        Number of parts.
    firsts : device array of int64, shape (n,)
        Core index ``r * w + c`` of each part's first pixel, in part order.
    """

    local: Any
    n: int
    firsts: Any

    @property
    def like(self) -> Any:
        """An array in the parts' memory (the device), for ``kernels.dispatch.kernels_for``."""
        return self.local


# -- kernels ---------------------------------------------------------------------------------------
@cuda.jit(device=True)
def _find(parent, x):
    while parent[x] != x:
        x = parent[x]
    return x


@cuda.jit(device=True)
def _union(parent, a, b):
    done = False
    while not done:
        a = _find(parent, a)
        b = _find(parent, b)
        if a < b:
            old = cuda.atomic.min(parent, b, a)
            done = old == b
            b = old
        elif b < a:
            old = cuda.atomic.min(parent, a, b)
            done = old == a
            a = old
        else:
            done = True


@cuda.jit
def _init(padded, parent):
    i = cuda.grid(1)
    w = padded.shape[1] - 2
    if i < parent.shape[0]:
        r = i // w
        c = i - r * w
        parent[i] = i if padded[r + 1, c + 1] == OBJECT else -1


@cuda.jit
def _merge(padded, parent, conn8):
    i = cuda.grid(1)
    w = padded.shape[1] - 2
    if i >= parent.shape[0]:
        return
    r = i // w
    c = i - r * w
    if padded[r + 1, c + 1] != OBJECT:
        return
    left = c > 0 and padded[r + 1, c] == OBJECT
    up = r > 0 and padded[r, c + 1] == OBJECT
    if left:
        _union(parent, i, i - 1)
    if up:
        _union(parent, i, i - w)
    if conn8 and r > 0:
        # An upper diagonal already joined through ``up`` (or, on the left, ``left``) is skipped.
        if c > 0 and not up and not left and padded[r, c] == OBJECT:
            _union(parent, i, i - w - 1)
        if c < w - 1 and not up and padded[r, c + 2] == OBJECT:
            _union(parent, i, i - w + 1)


@cuda.jit
def _flatten(parent):
    i = cuda.grid(1)
    if i < parent.shape[0] and parent[i] >= 0:
        parent[i] = _find(parent, i)


@cuda.jit
def _number(parent, rank, local):
    """``local[i]``: the rank (1..n) of pixel ``i``'s root, 0 off objects."""
    i = cuda.grid(1)
    if i < parent.shape[0]:
        root = parent[i]
        local[i] = rank[root] if root >= 0 else 0


@cuda.jit
def _run_stats(padded, local, row0, col0, cell_area, edge_x, edge_y, aux,
               cells, area, sum_row, sum_col, row_min, row_max, col_min, col_max,
               faces_x, faces_y, perimeter, aux_min):
    i = cuda.grid(1)
    h = padded.shape[0] - 2
    w = padded.shape[1] - 2
    if i >= h * w:
        return
    r = i // w
    s = i - r * w
    lab = local[r, s]
    if lab == 0 or (s > 0 and local[r, s - 1] == lab):
        return  # not the first pixel of a run
    e = s
    top = 0
    bottom = 0
    while e < w and local[r, e] == lab:
        if padded[r, e + 1] != OBJECT:
            top += 1
        if padded[r + 2, e + 1] != OBJECT:
            bottom += 1
        e += 1
    length = e - s
    sides = 0
    if padded[r + 1, s] != OBJECT:
        sides += 1
    if padded[r + 1, e + 1] != OBJECT:
        sides += 1
    gr = row0 + r
    gs = col0 + s
    ge = col0 + e - 1
    cuda.atomic.add(cells, lab, length)
    cuda.atomic.add(area, lab, length * cell_area[r])
    cuda.atomic.add(sum_row, lab, gr * length)
    cuda.atomic.add(sum_col, lab, (gs + ge) * length // 2)
    cuda.atomic.min(row_min, lab, gr)
    cuda.atomic.max(row_max, lab, gr)
    cuda.atomic.min(col_min, lab, gs)
    cuda.atomic.max(col_max, lab, ge)
    cuda.atomic.add(faces_x, lab, top + bottom)
    cuda.atomic.add(faces_y, lab, sides)
    cuda.atomic.add(perimeter, lab, top * edge_x[r] + bottom * edge_x[r + 1] + sides * edge_y[r])
    for f in range(aux.shape[0]):
        low = np.inf
        for c in range(s, e):
            value = aux[f, r, c]
            if value < low:
                low = value
        cuda.atomic.min(aux_min, (f, lab), low)


# -- tile functions ----------------------------------------------------------------------------
def label_tile(padded: Any, conn8: bool) -> DeviceParts:
    """Label the core of a padded tile (device array of uint8 codes) on the device."""
    xp = array_module(padded)
    padded = xp.ascontiguousarray(padded, dtype=np.uint8)
    h, w = padded.shape[0] - 2, padded.shape[1] - 2
    size = h * w
    if size >= 2**31:
        raise ValueError(f"a tile of {h} x {w} pixels is too large for int32 parent indices; "
                         "use tiles below 2**31 pixels (46340 x 46340)")
    parent = xp.empty(size, np.int32)
    launch(_init, size, padded, parent)
    launch(_merge, size, padded, parent, bool(conn8))
    launch(_flatten, size, parent)
    is_root = parent == xp.arange(size, dtype=np.int32)
    rank = xp.cumsum(is_root, dtype=np.int32)
    n = int(rank[-1]) if size else 0
    local = xp.empty(size, np.int32)
    launch(_number, size, parent, rank, local)
    firsts = xp.flatnonzero(is_root).astype(np.int64)
    return DeviceParts(local.reshape(h, w), n, firsts)


def part_stats(padded: Any, parts: DeviceParts, row0: int, col0: int, width: int,
               cell_area: np.ndarray, edge_x: np.ndarray, edge_y: np.ndarray,
               aux: Any) -> tuple[np.ndarray, tuple, tuple]:
    """Keys, statistics and border strips of a tile's parts, as host arrays.

    Parameters
    ----------
    padded : device array of uint8 (h + 2, w + 2)
        Codes with halo.
    parts : DeviceParts
        From :func:`label_tile`.
    row0, col0 : int
        Global row and column of the tile's first pixel.
    width : int
        Columns of the raster (keys are global raster indices).
    cell_area, edge_x, edge_y : ndarray of float64
        Per-row cell area (m²) and edge lengths (m), as for ``kernels.label.run_stats``.
    aux : device array of float64 (k, h, w)
        Fields reduced per part by their minimum.

    Returns
    -------
    keys : ndarray of int64 (n + 1,)
        Global raster index of each part's first pixel; ``keys[0] = -1``.
    stats : tuple
        As ``kernels.label.run_stats`` returns it.
    strips : tuple of ndarray of int64
        Part keys along the top, bottom, left and right border (-1 elsewhere).
    """
    xp = array_module(padded)
    padded = xp.ascontiguousarray(padded, dtype=np.uint8)
    local, n = parts.local, parts.n
    h, w = local.shape
    keys = _device_keys(parts, row0, col0, width)
    k = aux.shape[0]
    cells = xp.zeros(n + 1, np.int64)
    area = xp.zeros(n + 1, np.float64)
    sum_row = xp.zeros(n + 1, np.int64)
    sum_col = xp.zeros(n + 1, np.int64)
    row_min = xp.full(n + 1, _BIG, np.int64)
    row_max = xp.full(n + 1, -1, np.int64)
    col_min = xp.full(n + 1, _BIG, np.int64)
    col_max = xp.full(n + 1, -1, np.int64)
    faces_x = xp.zeros(n + 1, np.int64)
    faces_y = xp.zeros(n + 1, np.int64)
    perimeter = xp.zeros(n + 1, np.float64)
    aux_min = xp.full((k, n + 1), np.inf, np.float64)
    if n:
        launch(
            _run_stats, h * w, padded, local, int(row0), int(col0), to_device(cell_area, padded),
            to_device(edge_x, padded), to_device(edge_y, padded),
            xp.ascontiguousarray(aux, dtype=np.float64), cells, area, sum_row, sum_col,
            row_min, row_max, col_min, col_max, faces_x, faces_y, perimeter, aux_min)
    stats = tuple(to_host(a) for a in (cells, area, sum_row, sum_col, row_min, row_max, col_min,
                                       col_max, faces_x, faces_y, perimeter, aux_min))
    return to_host(keys), stats, _strips(parts, keys)


def part_keys(parts: DeviceParts, row0: int, col0: int, width: int
              ) -> tuple[np.ndarray, tuple]:
    """Keys and border strips of a tile's parts as host arrays, as :func:`part_stats` returns
    them, without the statistics."""
    keys = _device_keys(parts, row0, col0, width)
    return to_host(keys), _strips(parts, keys)


def _device_keys(parts: DeviceParts, row0: int, col0: int, width: int) -> Any:
    """Global raster index of each part's first pixel, ``-1`` for the background (device)."""
    xp = array_module(parts.local)
    w = parts.local.shape[1]
    keys = xp.full(parts.n + 1, -1, np.int64)
    keys[1:] = (row0 + parts.firsts // w) * np.int64(width) + col0 + parts.firsts % w
    return keys


def _strips(parts: DeviceParts, keys: Any) -> tuple[np.ndarray, ...]:
    """Part keys along the top, bottom, left and right border of the tile (host)."""
    local = parts.local
    h, w = local.shape
    return tuple(to_host(keys[edge]) for edge in (local[0], local[h - 1], local[:, 0],
                                                   local[:, w - 1]))


def relabel(parts: DeviceParts, lut: Any) -> Any:
    """Global ids of a tile's pixels on the device: ``lut[local]`` (``lut[0] = 0``), in the
    dtype of ``lut`` (int32 or int64, as :func:`geoquant.ops._tree.label_dtype` chose)."""
    return to_device(np.asarray(lut), parts.local)[parts.local]
