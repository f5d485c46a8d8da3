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

With ``batch=`` a task maps several windows of one size at once (a model's batched forward
pass); the windows, weights and blend stay the same.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.errors import InvalidOptionError, TilingError


def edge_weights(size: int, cut_before: bool, cut_after: bool, *, overlap: int,
                 dead: int) -> np.ndarray:
    """1-D blending weights along one axis of a window (see the module's description).

    Parameters
    ----------
    size : int
        Window length along the axis, pixels (tile plus halos).
    cut_before, cut_after : bool
        Whether the window's first / last pixel borders a neighbouring tile (a cut edge)
        rather than the raster's border.
    overlap : int
        Halo of a cut edge, pixels: the weight reaches one ``overlap`` pixels in.
    dead : int
        Pixels next to a cut edge given zero weight.

    Returns
    -------
    numpy.ndarray
        ``(size,)`` float32 weights in [0, 1]; a window's 2-D weight is the outer product of
        its row and column weights.
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
                dead: int, batch: int | None = None, stride: int = 1,
                name: str = "windows") -> Any:
    """Apply ``func`` to overlapping windows of a ``(band, y, x)`` dask array and blend.

    Each tile (spatial chunk) is read with a halo of ``overlap`` pixels on every side that has
    a neighbouring tile, ``func`` runs on that window, and each output tile is the mean of the
    windows covering it, weighted by :func:`edge_weights` (NaN outputs weigh nothing).

    Parameters
    ----------
    data : dask.array.Array
        ``(band, y, x)``, one chunk along ``band``; the spatial chunks are the tiles.
    func : callable
        Without ``batch``: maps a window ``(band, h, w)`` to ``(channels, h, w)`` float32
        (NumPy or CuPy). With ``batch``: maps a list of such windows to the list of their
        outputs, in order.
    channels : int
        Number of output channels.
    overlap : int
        Halo read around each tile, pixels (at most the smallest tile). 0 runs ``func`` on
        the tiles themselves, without blending.
    dead : int
        Pixels at each cut window edge given zero weight (at most ``overlap``): at least
        ``func``'s receptive-field radius makes the blend equal ``func`` on the whole raster.
    batch : int, optional
        Windows per task. Default: one task per window. With a number, windows of one size
        (height and width rounded up to ``stride``) are grouped in row-major order, up to
        ``batch`` per task, and ``func`` receives each group as a list; the windows, weights
        and blend are the same, so a ``func`` that maps each window as it would alone gives
        the same result bitwise.
    stride : int
        Pixels, with ``batch``: windows whose height and width round up to the same multiples
        of ``stride`` share tasks (a model that pads its input to its stride can stack them).
        Default 1: windows of exactly one size.
    name : str
        Prefix of the graph's task names.

    Returns
    -------
    dask.array.Array
        ``(channels, y, x)`` float32, chunked like ``data``'s tiles.

    Raises
    ------
    geoquant.errors.TilingError
        When a tile is smaller than the overlap (an axis of one tile borrows no halo and may
        be of any size).
    geoquant.errors.InvalidOptionError
        When ``batch`` or ``stride`` is not a whole number >= 1.
    """
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    row_chunks, col_chunks = data.chunks[1], data.chunks[2]
    if batch is not None:
        _check_count("batch", batch)
        _check_count("stride", stride)
    if overlap <= 0 and batch is None:
        return da.map_blocks(_as_float32, data, func,
                             chunks=((channels,), row_chunks, col_chunks),
                             dtype=np.float32, name=f"{name}-{tokenize(data, func)}")
    ny, nx = len(row_chunks), len(col_chunks)
    if overlap > 0:
        small = min(min(row_chunks) if ny > 1 else overlap,
                    min(col_chunks) if nx > 1 else overlap)
        if small < overlap:
            raise TilingError(f"a tile of {small} px is smaller than the overlap of {overlap} "
                              f"px: use tiles of at least {overlap} px or a smaller overlap")
        dead = min(dead, overlap)
        # An axis of one tile has no neighbours to borrow from (and may be narrower than the
        # halo).
        source = da.overlap.overlap(data, depth={0: 0, 1: overlap if ny > 1 else 0,
                                                 2: overlap if nx > 1 else 0},
                                    boundary="none")
        halos_y, halos_x = _halos(row_chunks, overlap), _halos(col_chunks, overlap)
    else:
        source = data
        halos_y, halos_x = [(0, 0)] * ny, [(0, 0)] * nx
    if batch is None:
        token = tokenize(data, func, overlap, dead)
    else:
        token = tokenize(data, func, overlap, dead, batch, stride)
    wname, bname = f"{name}-window-{token}", f"{name}-blend-{token}"
    # The function (a segmenter with its weights, megabytes for a network) is stored once in
    # the graph and referred to by key, not copied into every task.
    fname = f"{name}-function-{token}"
    graph: dict = {fname: func}
    sizes_y = [row_chunks[i] + sum(halos_y[i]) for i in range(ny)]
    sizes_x = [col_chunks[j] + sum(halos_x[j]) for j in range(nx)]
    weigh = overlap > 0
    if batch is None:
        for i in range(ny):
            wy = edge_weights(sizes_y[i], i > 0, i < ny - 1, overlap=overlap, dead=dead)
            for j in range(nx):
                wx = edge_weights(sizes_x[j], j > 0, j < nx - 1, overlap=overlap, dead=dead)
                graph[(wname, i, j)] = (_run_window, (source.name, 0, i, j), fname, wy, wx)
    else:
        # Without an overlap each window's output is its tile of the result: no blend.
        out_name = wname if weigh else bname
        _batch_tasks(graph, f"{name}-batch-{token}", out_name, source.name, fname, sizes_y,
                     sizes_x, batch=batch, stride=stride, overlap=overlap, dead=dead,
                     weigh=weigh)
    if weigh:
        _blend_tasks(graph, bname, wname, halos_y, halos_x, row_chunks, col_chunks, channels)
    hlg = HighLevelGraph.from_collections(bname, graph, dependencies=[source])
    return da.Array(hlg, bname, chunks=((channels,), row_chunks, col_chunks), dtype=np.float32)


def _check_count(what: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidOptionError(f"{what} must be a whole number >= 1, not {value!r}")


def _round_up(value: int, multiple: int) -> int:
    return -(-int(value) // multiple) * multiple


def _run_batch(windows: list[Any], func: Callable[[list[Any]], list[Any]],
               weights: list[tuple[np.ndarray, np.ndarray]] | None) -> list[Any]:
    """One task's windows mapped together; paired with their blending weights if given."""
    outs = [out.astype(np.float32, copy=False) for out in func(list(windows))]
    if weights is None:
        return outs
    pairs = []
    for out, (wy, wx) in zip(outs, weights, strict=True):
        xp = array_module(out)
        pairs.append((out, xp.asarray(wy)[:, None] * xp.asarray(wx)[None, :]))
    return pairs


def _batch_tasks(graph: dict, gname: str, out_name: str, source: str, fname: str,
                 sizes_y: list[int], sizes_x: list[int], *, batch: int, stride: int,
                 overlap: int, dead: int, weigh: bool) -> None:
    """Tasks that map windows of one (stride-rounded) size in groups of up to ``batch``, and
    small tasks ``(out_name, i, j)`` (``(out_name, 0, i, j)`` unweighted) picking each
    window's output."""
    import operator

    ny, nx = len(sizes_y), len(sizes_x)
    by_shape: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for i in range(ny):
        for j in range(nx):
            shape = (_round_up(sizes_y[i], stride), _round_up(sizes_x[j], stride))
            by_shape.setdefault(shape, []).append((i, j))
    groups = [members[k:k + batch] for members in by_shape.values()
              for k in range(0, len(members), batch)]
    for g, members in enumerate(groups):
        weights = None
        if weigh:
            weights = [(edge_weights(sizes_y[i], i > 0, i < ny - 1, overlap=overlap, dead=dead),
                        edge_weights(sizes_x[j], j > 0, j < nx - 1, overlap=overlap, dead=dead))
                       for i, j in members]
        graph[(gname, g)] = (_run_batch, [(source, 0, i, j) for i, j in members], fname,
                             weights)
        for k, (i, j) in enumerate(members):
            key = (out_name, i, j) if weigh else (out_name, 0, i, j)
            graph[key] = (operator.getitem, (gname, g), k)


def _blend_tasks(graph: dict, bname: str, wname: str, halos_y: list[tuple[int, int]],
                 halos_x: list[tuple[int, int]], row_chunks: tuple[int, ...],
                 col_chunks: tuple[int, ...], channels: int) -> None:
    """One task per tile, ``(bname, 0, i, j)``: the blend of the windows ``(wname, a, b)``
    (each an ``(output, weight)`` pair) that overlap it."""
    ny, nx = len(row_chunks), len(col_chunks)
    starts_y, starts_x = _starts(row_chunks), _starts(col_chunks)
    for i in range(ny):
        for j in range(nx):
            keys, in_window, in_tile, own = [], [], [], 0
            for di in (-1, 0, 1):
                for dj in (-1, 0, 1):
                    a, b = i + di, j + dj
                    if not (0 <= a < ny and 0 <= b < nx):
                        continue
                    sy = _overlap_slices(halos_y, starts_y, a, i)
                    sx = _overlap_slices(halos_x, starts_x, b, j)
                    if sy is None or sx is None:
                        continue
                    if (di, dj) == (0, 0):
                        own = len(keys)
                    keys.append((wname, a, b))
                    in_window.append((sy[0], sx[0]))
                    in_tile.append((sy[1], sx[1]))
            graph[(bname, 0, i, j)] = (_blend, keys, in_window, in_tile,
                                       (channels, row_chunks[i], col_chunks[j]), own)


def _halos(chunks: tuple[int, ...], overlap: int) -> list[tuple[int, int]]:
    n = len(chunks)
    return [(overlap if k > 0 else 0, overlap if k < n - 1 else 0) for k in range(n)]


def _starts(chunks: tuple[int, ...]) -> list[int]:
    """First pixel of each tile along an axis, and the axis length at the end."""
    starts = [0]
    for size in chunks:
        starts.append(starts[-1] + int(size))
    return starts


def _overlap_slices(halos: list[tuple[int, int]], starts: list[int], window: int,
                    tile: int) -> tuple[slice, slice] | None:
    """Where window ``window`` and tile ``tile`` overlap, in window and in tile coordinates
    (``starts`` from :func:`_starts`)."""
    w0 = starts[window] - halos[window][0]
    w1 = starts[window + 1] + halos[window][1]
    t0, t1 = starts[tile], starts[tile + 1]
    lo, hi = max(w0, t0), min(w1, t1)
    if hi <= lo:
        return None
    return slice(int(lo - w0), int(hi - w0)), slice(int(lo - t0), int(hi - t0))
