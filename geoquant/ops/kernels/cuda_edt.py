"""The exact Euclidean distance transform of one tile on the GPU.

The GPU counterpart of :mod:`geoquant.ops.kernels.edt`, with the same inputs and outputs, so
the cross-tile graph of :mod:`geoquant.ops._distance` and its small host-side carries (nearest
object rows per column, site lists per row) do not change:

- :func:`column_extremes` and the vertical pass (``f``, squared distance to the nearest object
  pixel of the column) run one thread per column: a thread sweeps its column down and up, and
  neighbouring threads read and write neighbouring bytes of each row, so the loads coalesce.
- The row passes run one thread per row, each building the lower envelope of its row's
  parabolas (Felzenszwalb & Huttenlocher) in a stack of its own in global memory. Each row's
  work is the CPU kernels' own code (``edt._row_pass``, ``edt._edge_candidates``,
  ``edt._sites_of_candidates`` and the envelope steps they call), compiled as CUDA device
  functions by :func:`~geoquant.ops.kernels._targets.device_function`: the kernels here only
  pick their thread's row or column, so both targets take the same decisions.
- :func:`border_sites` gives each row's stack room for 32 candidate sites first and retries
  the rows' tile with 4x the room while some row needs more (rare: it takes a long run of
  columns each nearer the edge than the last); the site lists are then packed into the CSR
  form on the device and copied to the host, a few values per row.

The shared bodies avoid the ``min``/``max`` builtins, which numba 0.68's CUDA target fails to
type (``Signature mismatch``) when compiling for a real device; the simulator accepts them, so
``tests/ops/ptx_compile.py`` compiles every kernel to PTX to catch such cases without a GPU.

Squares and sums are those of the CPU kernels in the same order; CUDA may contract a multiply
and an add into one fused operation, so distances agree to rounding (well within 1e-12
relative), and exactly under the simulator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import cuda

from geoquant._backend import array_module
from geoquant.ops.kernels import edt
from geoquant.ops.kernels._launch import launch, to_device, to_host
from geoquant.ops.kernels._targets import device_function

OBJECT = edt.OBJECT
NO_ROW_ABOVE, NO_ROW_BELOW = edt.NO_ROW_ABOVE, edt.NO_ROW_BELOW

FIRST_ROOM = 32
"""Candidate sites per row that :func:`border_sites` makes room for at first."""

_push = device_function(edt._push)
_restrict = device_function(edt._restrict)
_squared_rows = device_function(edt._squared_rows)
_edge_candidates = device_function(edt._edge_candidates)
_sites_of_candidates = device_function(edt._sites_of_candidates, _push=_push,
                                       _restrict=_restrict)
_row_pass = device_function(edt._row_pass, _push=_push)
_nan_where_excluded = device_function(edt._nan_where_excluded)


# -- kernels ---------------------------------------------------------------------------------------
@cuda.jit
def _extremes(codes, row0, out):
    """``out[0, c]`` / ``out[1, c]``: first / last global object row of column ``c``."""
    c = cuda.grid(1)
    h, w = codes.shape
    if c >= w:
        return
    first = NO_ROW_BELOW
    last = NO_ROW_ABOVE
    for r in range(h):
        if codes[r, c] == OBJECT:
            if first == NO_ROW_BELOW:
                first = row0 + r
            last = row0 + r
    out[0, c] = first
    out[1, c] = last


@cuda.jit
def _vertical(codes, row0, above, below, dy, f):
    """``f``: squared vertical distance (m²) to the nearest object of the column, global."""
    c = cuda.grid(1)
    h, w = codes.shape
    if c >= w:
        return
    near = np.float64(above[c])
    for r in range(h):
        g = np.float64(row0 + r)
        if codes[r, c] == OBJECT:
            near = g
        f[r, c] = g - near  # rows up to the nearest object at or above
    near = np.float64(below[c])
    for r in range(h - 1, -1, -1):
        g = np.float64(row0 + r)
        if codes[r, c] == OBJECT:
            near = g
        f[r, c] = _squared_rows(f[r, c], near - g, dy)


@cuda.jit
def _side(f, col0, edge, lo, hi, dx, leftwards, cand_pos, cand_val, v, fv, z, pos, val, counts):
    """Per row, the sites lowest somewhere in ``[lo, hi]`` beyond one edge (``edt._side_sites``);
    ``dx[r]`` is row ``r``'s pixel width.

    ``counts[r]`` receives the number of sites, or -1 when the row needed more room than the
    scratch rows hold.
    """
    r = cuda.grid(1)
    if r >= f.shape[0]:
        return
    nc, _ = _edge_candidates(f[r], col0, edge, dx[r], leftwards, cand_pos[r], cand_val[r])
    if nc < 0:
        counts[r] = -1
        return
    counts[r] = _sites_of_candidates(cand_pos[r], cand_val[r], nc, leftwards, col0, lo, hi,
                                     0.5 / (dx[r] * dx[r]), v[r], fv[r], z[r], pos[r], val[r], 0)


@cuda.jit
def _rows(f, codes, col0, dx, off_l, pos_l, val_l, off_r, pos_r, val_r, excluded_nan,
          v, fv, z, out):
    """Distances (m) of each row: envelope of left carry, own sites, right carry (``_row_pass``)."""
    r = cuda.grid(1)
    if r >= f.shape[0]:
        return
    _row_pass(f[r], col0, dx[r], 0.5 / (dx[r] * dx[r]), off_l[r], off_l[r + 1], pos_l, val_l,
              off_r[r], off_r[r + 1], pos_r, val_r, v[r], fv[r], z[r], out[r])
    if excluded_nan:
        _nan_where_excluded(codes[r], out[r])


# -- tile functions --------------------------------------------------------------------------------
def column_extremes(codes: Any, row0: int) -> np.ndarray:
    """First and last object row of every column (host ``int64 (2, cols)``), as the CPU kernel."""
    xp = array_module(codes)
    codes = xp.ascontiguousarray(codes, dtype=np.uint8)
    out = xp.empty((2, codes.shape[1]), np.int64)
    launch(_extremes, codes.shape[1], codes, int(row0), out)
    return to_host(out)


def vertical_squared(codes: Any, row0: int, above: np.ndarray, below: np.ndarray,
                     dy: float) -> Any:
    """``f`` of a tile on its device: float64 (rows, cols), m² (see ``edt.vertical_squared``)."""
    xp = array_module(codes)
    codes = xp.ascontiguousarray(codes, dtype=np.uint8)
    f = xp.empty(codes.shape, np.float64)
    launch(_vertical, codes.shape[1], codes, int(row0),
           to_device(np.asarray(above, np.int64), codes),
           to_device(np.asarray(below, np.int64), codes), float(dy), f)
    return f


def border_sites(codes: Any, row0: int, col0: int, ncols_total: int, above: np.ndarray,
                 below: np.ndarray, dx: float | np.ndarray, dy: float) -> tuple[np.ndarray, ...]:
    """Sites of a tile that matter beyond its left and right edges, as ``edt.border_sites``
    (``dx``: the pixel width of each row, m).

    Returns the same six host arrays: ``(offsets, pos, val)`` restricted to the columns left
    of the tile, then to the columns right of it.
    """
    f = vertical_squared(codes, row0, above, below, dy)
    dx = to_device(edt.row_widths(dx, f.shape[0]), f)
    w = f.shape[1]
    left = (_side_sites(f, col0, col0 - 1, 0, col0 - 1, dx, True) if col0 > 0
            else _no_sites(f.shape[0]))
    right = (_side_sites(f, col0, col0 + w, col0 + w, ncols_total - 1, dx, False)
             if col0 + w < ncols_total else _no_sites(f.shape[0]))
    return (*left, *right)


def _no_sites(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(rows + 1, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)


def _side_sites(f: Any, col0: int, edge: int, lo: int, hi: int, dx: Any,
                leftwards: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR site lists (host) of one side, with room per row grown until every row fits."""
    xp = array_module(f)
    h, w = f.shape
    room = min(w, FIRST_ROOM)
    while True:
        cand_pos, pos = (xp.empty((h, room), np.int64) for _ in range(2))
        cand_val, v, fv, z, val = (xp.empty((h, room), np.float64) for _ in range(5))
        counts = xp.empty(h, np.int64)
        launch(_side, h, f, int(col0), int(edge), int(lo), int(hi), dx, bool(leftwards),
               cand_pos, cand_val, v, fv, z, pos, val, counts)
        if room == w or not bool((counts < 0).any()):
            break
        room = min(w, 4 * room)
    offsets = xp.zeros(h + 1, np.int64)
    offsets[1:] = xp.cumsum(counts)
    used = xp.arange(room)[None, :] < counts[:, None]  # row-major: the CSR order
    return to_host(offsets), to_host(pos[used]), to_host(val[used])


def distance_tile(codes: Any, row0: int, col0: int, above: np.ndarray, below: np.ndarray,
                  dx: float | np.ndarray, dy: float, left: tuple, right: tuple, excluded_nan: bool,
                  out: Any = None) -> Any:
    """Exact distances (m) of one tile on its device, as ``edt.distance_tile`` computes them.

    Parameters
    ----------
    codes : device array of uint8 (rows, cols)
        The tile's codes.
    row0, col0 : int
        Global row and column of the tile's first pixel.
    above, below : ndarray of int64 (cols,)
        Nearest object rows above and below the tile.
    dx : ndarray of float64 (rows,)
        Pixel width of each row, m.
    dy : float
        Pixel height, m.
    left, right : tuple of ndarray
        ``(offsets, pos, val)`` carries from the left and from the right (host or device).
    excluded_nan : bool
        Write NaN on excluded pixels.
    out : device array of float64 (rows, cols), optional
        Where to write (such as the tile's window of the whole raster's array); default a new
        array.

    Returns
    -------
    device array of float64 (rows, cols)
        ``out`` (or the new array): metres; ``inf`` where the raster holds no object pixel.
    """
    xp = array_module(codes)
    codes = xp.ascontiguousarray(codes, dtype=np.uint8)
    h, w = codes.shape
    f = vertical_squared(codes, row0, above, below, dy)
    carries = [to_device(np.asarray(a), codes) for a in (*left, *right)]
    off_l, off_r = np.asarray(left[0]), np.asarray(right[0])
    extra = int(np.max(np.diff(off_l) + np.diff(off_r))) if h else 0
    width = w + 1 + extra
    v, fv, z = (xp.empty((h, width), np.float64) for _ in range(3))
    out = xp.empty((h, w), np.float64) if out is None else out
    launch(_rows, h, f, codes, int(col0), to_device(edt.row_widths(dx, h), codes),
           *carries, bool(excluded_nan), v, fv, z, out)
    return out
