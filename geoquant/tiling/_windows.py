"""Running a function over overlapping windows of a chunked raster and blending the results.

Each tile (a dask chunk) is read with a halo of ``overlap`` pixels on every side that has a
neighbour, the function runs on that window, and each output tile is the weighted mean of the
windows that cover it. A window's weight falls to zero towards its cut edges:

* zero over the ``dead`` pixels next to a cut edge (where a model cannot see enough context),
* a raised cosine from ``dead`` to ``overlap`` pixels in,
* one beyond, and one up to the raster's own border (nothing was cut there).

So every pixel gets weight one from its own tile's window, and positive weights only from
windows that see at least ``dead`` pixels of context around it. When ``dead`` is at least the
function's receptive-field radius, every window contributing to a pixel computes the same value
there, and the blend equals running the function on the whole raster at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.errors import TilingError


def edge_weights(size: int, cut_before: bool, cut_after: bool, *, overlap: int,
                 dead: int) -> np.ndarray:
    """1-D blending weights of a window ``size`` pixels long (float32).

    ``cut_before``/``cut_after`` say whether the window's first/last pixel borders a
    neighbouring tile (rather than the raster's border).
    """
    distance = np.arange(size, dtype=np.float64)
    weight = np.ones(size, dtype=np.float64)
    ramp = max(overlap - dead, 1)
    for cut, d in ((cut_before, distance), (cut_after, distance[::-1])):
        if not cut:
            continue
        inner = np.clip((d - dead + 0.5) / ramp, 0.0, 1.0)
        w = np.where(d < dead, 0.0, 0.5 - 0.5 * np.cos(np.pi * inner))
        weight *= w
    return weight.astype(np.float32)


def _as_float32(block: Any, func: Callable[[Any], Any]) -> Any:
    return func(block).astype(np.float32, copy=False)


def _run_window(window: Any, func: Callable[[Any], Any], wy: np.ndarray,
                wx: np.ndarray) -> tuple[Any, Any]:
    xp = array_module(window)
    out = func(window).astype(np.float32, copy=False)
    weight = xp.asarray(wy)[:, None] * xp.asarray(wx)[None, :]
    return out, weight


def _blend(windows: list[tuple[Any, Any]], in_window: list[tuple[slice, slice]],
           in_tile: list[tuple[slice, slice]], shape: tuple[int, int, int], own: int) -> Any:
    """Weighted mean of the window outputs covering one tile; NaN where the own window is."""
    xp = array_module(windows[own][0])
    total = xp.zeros(shape, dtype=np.float32)
    weights = xp.zeros(shape, dtype=np.float32)
    for (out, weight), (wy, wx), (ty, tx) in zip(windows, in_window, in_tile, strict=True):
        piece, w = out[:, wy, wx], weight[wy, wx]
        total[:, ty, tx] += xp.where(xp.isnan(piece), 0.0, piece * w)
        weights[:, ty, tx] += xp.where(xp.isnan(piece), 0.0, w)
    # A pixel every window left NaN keeps weight 0: 0/0 gives NaN, which is what it is.
    with np.errstate(invalid="ignore"):
        result = total / weights
    oy, ox = in_window[own]
    result[xp.isnan(windows[own][0][:, oy, ox])] = np.nan
    return result


def map_windows(data: Any, func: Callable[[Any], Any], *, channels: int, overlap: int,
                dead: int, name: str = "windows") -> Any:
    """Apply ``func`` to overlapping windows of a ``(band, y, x)`` dask array and blend.

    Parameters
    ----------
    data : dask.array.Array
        ``(band, y, x)``, one chunk along ``band``; the spatial chunks are the tiles.
    func : callable
        Maps a window ``(band, h, w)`` to ``(channels, h, w)`` float32 (NumPy or CuPy).
    channels : int
        Number of output channels.
    overlap : int
        Halo read around each tile, pixels (at most the smallest tile).
    dead : int
        Pixels at each cut window edge given zero weight (at most ``overlap``).
    name : str
        Prefix of the graph's task names.

    Returns
    -------
    dask.array.Array
        ``(channels, y, x)`` float32, chunked like ``data``'s tiles.
    """
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    row_chunks, col_chunks = data.chunks[1], data.chunks[2]
    if overlap <= 0:
        return da.map_blocks(_as_float32, data, func,
                             chunks=((channels,), row_chunks, col_chunks),
                             dtype=np.float32, name=f"{name}-{tokenize(data, func)}")
    small = min(min(row_chunks) if len(row_chunks) > 1 else overlap,
                min(col_chunks) if len(col_chunks) > 1 else overlap)
    if small < overlap:
        raise TilingError(f"a tile of {small} px is smaller than the overlap of {overlap} px: "
                          f"use tiles of at least {overlap} px or a smaller overlap")
    dead = min(dead, overlap)
    ny, nx = len(row_chunks), len(col_chunks)
    # An axis of one tile has no neighbours to borrow from (and may be narrower than the halo).
    padded = da.overlap.overlap(data, depth={0: 0, 1: overlap if ny > 1 else 0,
                                             2: overlap if nx > 1 else 0}, boundary="none")
    token = tokenize(data, func, overlap, dead)
    wname, bname = f"{name}-window-{token}", f"{name}-blend-{token}"
    # The function (a segmenter with its weights, megabytes for a network) is stored once in
    # the graph and referred to by key, not copied into every task.
    fname = f"{name}-function-{token}"
    halos_y = _halos(row_chunks, overlap)
    halos_x = _halos(col_chunks, overlap)
    graph: dict = {fname: func}
    for i in range(ny):
        wy = edge_weights(row_chunks[i] + sum(halos_y[i]), i > 0, i < ny - 1,
                          overlap=overlap, dead=dead)
        for j in range(nx):
            wx = edge_weights(col_chunks[j] + sum(halos_x[j]), j > 0, j < nx - 1,
                              overlap=overlap, dead=dead)
            graph[(wname, i, j)] = (_run_window, (padded.name, 0, i, j), fname, wy, wx)
    for i in range(ny):
        for j in range(nx):
            keys, in_window, in_tile, own = [], [], [], 0
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    a, b = i + di, j + dj
                    if not (0 <= a < ny and 0 <= b < nx):
                        continue
                    sy = _overlap_slices(halos_y, row_chunks, a, i)
                    sx = _overlap_slices(halos_x, col_chunks, b, j)
                    if sy is None or sx is None:
                        continue
                    if (di, dj) == (0, 0):
                        own = len(keys)
                    keys.append((wname, a, b))
                    in_window.append((sy[0], sx[0]))
                    in_tile.append((sy[1], sx[1]))
            graph[(bname, 0, i, j)] = (_blend, keys, in_window, in_tile,
                                       (channels, row_chunks[i], col_chunks[j]), own)
    hlg = HighLevelGraph.from_collections(bname, graph, dependencies=[padded])
    return da.Array(hlg, bname, chunks=((channels,), row_chunks, col_chunks), dtype=np.float32)


def _halos(chunks: tuple[int, ...], overlap: int) -> list[tuple[int, int]]:
    n = len(chunks)
    return [(overlap if k > 0 else 0, overlap if k < n - 1 else 0) for k in range(n)]


def _overlap_slices(halos, chunks, window: int, tile: int) -> tuple[slice, slice] | None:
    """Where window ``window`` and tile ``tile`` overlap, in window and in tile coordinates."""
    starts = np.concatenate([[0], np.cumsum(chunks)])
    w0 = starts[window] - halos[window][0]
    w1 = starts[window + 1] + halos[window][1]
    t0, t1 = starts[tile], starts[tile + 1]
    lo, hi = max(w0, t0), min(w1, t1)
    if hi <= lo:
        return None
    return slice(int(lo - w0), int(hi - w0)), slice(int(lo - t0), int(hi - t0))
