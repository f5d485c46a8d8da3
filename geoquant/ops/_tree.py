"""The task graph of an object pass: tile summaries, a merge tree, and labels written back.

An object pass over a prepared mask builds, lazily with dask:

1. one *leaf* task per tile: label the tile (numba), measure its parts, keep a
   :class:`~geoquant.ops._merge.Summary`;
2. a *merge tree*: rectangles of tiles are halved along their longer side until single tiles
   remain, and merged back pairwise (about one merge per tile, log-depth);
3. for labels only, a top-down pass hands every tile the final key of each of its border
   parts, and a chain over tile-rows turns final keys into ids ``1..N`` in raster order of
   each object's first pixel (the order of ``scipy.ndimage.label``): within a tile-row the
   rank comes from the sorted keys that row owns; an object that started in an earlier
   tile-row crosses the bottom row of the previous tile-row, whose ranks are carried down.
   Ids are int32 while they fit (:func:`label_dtype`), which halves the bytes written.

Every task holds at most a tile and summaries bounded by perimeters; the graph has a small
constant number of tasks per tile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import once_written, padded_tiles
from geoquant.ops._merge import (
    Reducer,
    Summary,
    empty_remap,
    merge,
    needs_stats,
    tile_summary,
)
from geoquant.ops.kernels.dispatch import configured_kernels, kernels_for
from geoquant.tiling import TileGrid

STAT_NAMES = ("cells", "area", "sum_row", "sum_col", "row_min", "row_max", "col_min", "col_max",
              "faces_x", "faces_y", "perimeter")


@dataclass(frozen=True)
class _Node:
    summary: Any  # graph key of the node's Summary
    children: tuple[_Node, ...] = ()


@dataclass(frozen=True)
class ObjectPass:
    """A lazily built object pass (see module docstring).

    The tasks live in one plain graph (one high-level layer), so building and scheduling stay
    linear in the number of tiles; ``result`` is the reducer's aggregate as a Delayed.
    """

    grid: TileGrid
    token: str
    graph: dict
    dependencies: tuple[Any, ...]
    runs_name: str
    root: _Node
    leaves: dict[tuple[int, int], _Node]
    result: Any
    origin: tuple[int, int] = (0, 0)
    conn8: bool = True
    kernels: str = "auto"


#: The most tiles one object pass builds into a single graph. Each tile makes about four
#: tasks (halo, runs, summary, merges); a Dask scheduler copes with a few hundred thousand.
MAX_GRAPH_TILES = 65_536


#: What to use instead of a graph over too many tiles, as :func:`check_graph_size` says it.
USE_SURVEY = ("Use gq.ops.survey(...) (or 'geoquant survey'), which computes it exactly in "
              "bounded batches, or larger chunks")


def check_graph_size(grid: TileGrid, *, limit: int = MAX_GRAPH_TILES, tasks_per_tile: int = 4,
                     what: str = "one graph over it", instead: str = USE_SURVEY) -> None:
    """Refuse one whole graph over more than ``limit`` tiles, before any work, with the
    estimate and what to use instead.

    Parameters
    ----------
    grid
        The tile grid of the graph.
    limit
        The most tiles accepted (:data:`MAX_GRAPH_TILES` for graphs whose memory grows with
        the tiles; less for those whose scheduling grows faster).
    tasks_per_tile
        Tasks the graph makes per tile, for the estimate in the message.
    what
        The graph, as the message names it.
    instead
        What to do instead, as the message says it.

    Raises
    ------
    InvalidOptionError
        More tiles than ``limit``.
    """
    from geoquant.errors import InvalidOptionError

    tiles = grid.tiles[0] * grid.tiles[1]
    if tiles > limit:
        pixels = grid.shape[0] * grid.shape[1]
        raise InvalidOptionError(
            f"this raster is {pixels / 1e9:,.1f} Gpx in {tiles:,} tiles: {what} would hold "
            f"about {tasks_per_tile * tiles:,} tasks, more than geoquant runs as one graph "
            f"(this check stops at {limit:,} tiles). {instead}")


def object_pass(codes: Any, geometry: PixelGeometry, *, conn8: bool, reducer: Reducer,
                aux: tuple[Any, ...] = (), padded: Any = None,
                origin: tuple[int, int] = (0, 0), width: int | None = None) -> ObjectPass:
    """Build the leaf tasks and merge tree for ``codes`` (dask uint8); nothing is computed.

    ``padded``, when given, holds the same tiles with their one-pixel halo (as
    :meth:`PreparedMask.padded_codes`); otherwise the halo is gathered with dask's overlap.
    ``origin`` and ``width`` place ``codes`` as a window of a larger raster (its first row and
    column, and the raster's width): keys and spans are then global, so the summaries of
    adjacent windows merge like those of adjacent tiles (batched runs over large regions).
    """
    from dask.base import tokenize
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    grid = TileGrid.from_chunks(codes.chunks)
    check_graph_size(grid)
    if padded is None:
        padded = padded_tiles(codes)
    aux = tuple(a.rechunk(codes.chunks) for a in aux)
    kernels = configured_kernels()
    token = tokenize(padded.name, conn8, reducer, tuple(a.name for a in aux), origin, width,
                     kernels)
    width = grid.shape[1] if width is None else int(width)
    r_off, c_off = (int(v) for v in origin)
    graph: dict = {}
    leaves: dict[tuple[int, int], _Node] = {}
    runs_name = f"gq-tile-runs-{token}"
    for i, j in grid:
        graph[(runs_name, i, j)] = (partial(_label_parts, conn8=conn8, kernels=kernels),
                                    (padded.name, i, j))
        key = (f"gq-tile-summary-{token}", i, j)
        r0, r1, c0, c1 = grid.bounds(i, j)
        task = partial(_leaf_summary, bounds=(r0 + r_off, r1 + r_off, c0 + c_off, c1 + c_off),
                       width=width, geometry=geometry, reducer=reducer, kernels=kernels)
        graph[key] = (task, (padded.name, i, j), (runs_name, i, j),
                      [(a.name, i, j) for a in aux])
        leaves[i, j] = _Node(key)
    counter = iter(range(len(leaves)))

    def build(i0: int, i1: int, j0: int, j1: int) -> _Node:
        if i1 - i0 == 1 and j1 - j0 == 1:
            return leaves[i0, j0]
        if j1 - j0 >= i1 - i0:
            mid, axis = (j0 + j1) // 2, 1
            first, second = build(i0, i1, j0, mid), build(i0, i1, mid, j1)
        else:
            mid, axis = (i0 + i1) // 2, 0
            first, second = build(i0, mid, j0, j1), build(mid, i1, j0, j1)
        key = (f"gq-merge-summaries-{token}", next(counter))
        graph[key] = (partial(merge, axis=axis, conn8=conn8, reducer=reducer),
                      first.summary, second.summary)
        return _Node(key, children=(first, second))

    root = build(0, grid.tiles[0], 0, grid.tiles[1])
    result_key = f"gq-object-pass-{token}"
    graph[result_key] = (partial(_finish, reducer=reducer), root.summary)
    dependencies = (padded, *aux)
    layer = HighLevelGraph.from_collections(result_key, dict(graph), dependencies=dependencies)
    return ObjectPass(grid, token, graph, dependencies, runs_name, root, leaves,
                      Delayed(result_key, layer), origin=(r_off, c_off), conn8=bool(conn8),
                      kernels=kernels)


#: The largest object count whose ids ``1..N`` are written as int32 (``N < 2**31 - 1``);
#: beyond it labels are int64.
MAX_INT32_LABEL = 2**31 - 2


def label_dtype(n_objects: int) -> np.dtype:
    """int32 when ids ``1..n_objects`` fit below int32's maximum, else int64."""
    return np.dtype(np.int32 if int(n_objects) <= MAX_INT32_LABEL else np.int64)


def most_objects(shape: tuple[int, int], conn8: bool) -> int:
    """The most objects a raster of ``shape`` can hold: one pixel of each object forms a set
    of pairwise non-adjacent pixels, at most one per 2 x 2 block under 8-connectivity and
    half the pixels (a checkerboard) under 4-connectivity."""
    rows, cols = (int(v) for v in shape)
    if conn8:
        return -(-rows // 2) * -(-cols // 2)
    return -(-rows * cols // 2)


def write_labels(run: ObjectPass, *, empty: Callable[..., Any] | None = None) -> Any:
    """Global labels 1..N in raster order of first pixel, int32 where ids fit.

    Without ``empty``: a dask array chunked like the tiles. Its dtype is fixed before anything
    is computed, so it follows the most objects the raster can hold (:func:`most_objects`):
    int32 unless that exceeds :data:`MAX_INT32_LABEL`.

    With ``empty`` (``numpy.empty`` or ``cupy.empty``): a Delayed computing to one array of the
    raster's shape, allocated by ``empty(shape, dtype)`` once the merge has counted the
    objects (``dtype = label_dtype(N)``) and filled in place by the tile tasks, so it must run
    on threads of this process.
    """
    import dask.array as da
    from dask.highlevelgraph import HighLevelGraph

    if run.origin != (0, 0):
        # Ids are ranked by raster position within the pass; a window of a larger raster
        # would need the raster's ranks (batched runs keep summaries, never labels).
        raise NotImplementedError("labels of a windowed object pass are not supported")
    grid, token = run.grid, run.token
    graph = dict(run.graph)
    empty_key = f"gq-empty-map-{token}"
    graph[empty_key] = (empty_remap,)
    # graph key of each node's final-key map, by the graph key of its summary
    final = {run.root.summary: empty_key}
    stack = [run.root]
    while stack:
        node = stack.pop()
        for child in node.children:
            final[child.summary] = (f"gq-final-keys-{token}", len(final))
            graph[final[child.summary]] = (_child_final_map, final[node.summary], node.summary,
                                           child.summary)
            stack.append(child)

    rows_tiles, cols_tiles = grid.tiles
    width = grid.shape[1]
    row_starts = grid.row_starts
    name = f"gq-labels-{token}"
    out_key = f"gq-labels-array-{token}"
    lazy_dtype = label_dtype(most_objects(grid.shape, run.conn8))
    carry, prefix = empty_key, f"gq-zero-{token}"
    graph[prefix] = (int, 0)
    bands = []
    for i in range(rows_tiles):
        band = [run.leaves[i, j] for j in range(cols_tiles)]
        band_start = int(row_starts[i])
        owned = (f"gq-band-owned-{token}", i)
        summaries = [leaf.summary for leaf in band]
        finals = [final[leaf.summary] for leaf in band]
        graph[owned] = (_band_owned, summaries, finals)
        bands.append((band_start, owned, prefix, carry, summaries, finals))
        next_carry = (f"gq-band-carry-{token}", i)
        graph[next_carry] = (partial(_band_carry, width=width, band_start=band_start), carry,
                             owned, prefix, summaries, finals)
        next_prefix = (f"gq-band-prefix-{token}", i)
        graph[next_prefix] = (_add_count, prefix, owned)
        carry, prefix = next_carry, next_prefix
    if empty is not None:
        # ``prefix`` now holds N: the array is allocated once its dtype is known.
        graph[out_key] = (partial(_allocate, empty=empty, shape=grid.shape), prefix)
    for i, (band_start, owned, band_prefix, band_carry, summaries, finals) in enumerate(bands):
        for j, (summary, leaf_final) in enumerate(zip(summaries, finals, strict=True)):
            task = partial(_relabel, width=width, band_start=band_start, dtype=lazy_dtype,
                           kernels=run.kernels)
            graph[(name, i, j)] = (task, (run.runs_name, i, j), summary, leaf_final, owned,
                                   band_prefix, band_carry,
                                   out_key if empty is not None else None)
    if empty is not None:
        from dask.delayed import Delayed

        done = f"gq-labels-written-{token}"
        graph[done] = (once_written, out_key, [(name, i, j) for i in range(rows_tiles)
                                           for j in range(cols_tiles)])
        return Delayed(done, HighLevelGraph.from_collections(done, graph,
                                                             dependencies=run.dependencies))
    layer = HighLevelGraph.from_collections(name, graph, dependencies=run.dependencies)
    return da.Array(layer, name, chunks=(grid.row_chunks, grid.col_chunks), dtype=lazy_dtype,
                    meta=np.empty((0, 0), lazy_dtype))


def _allocate(n_objects: int, *, empty: Callable[..., Any], shape: tuple[int, int]) -> Any:
    return empty(shape, label_dtype(n_objects))


# -- tasks ---------------------------------------------------------------------------------------
def _label_parts(padded: Any, *, conn8: bool, kernels: str) -> Any:
    """The connected parts of a tile's core (runs on the CPU, ``DeviceParts`` on a GPU)."""
    return kernels_for(padded, kernels).label_parts(padded, conn8)


def _leaf_summary(padded: Any, parts: Any, aux: list[Any], *, bounds: tuple[int, ...],
                  width: int, geometry: PixelGeometry, reducer: Reducer, kernels: str) -> Summary:
    r0, r1, c0, c1 = bounds
    tile_kernels = kernels_for(padded, kernels)
    if not aux and not needs_stats(reducer):
        keys, strips = tile_kernels.part_keys(padded, parts, r0, c0, width)
        return tile_summary({"key": keys[1:]}, strips, (r0, r1), (c0, c1), reducer)
    keys, stats, strips = tile_kernels.part_summary(
        padded, parts, r0, c0, width, geometry.cell_area(r0, r1), geometry.edge_x(r0, r1),
        geometry.edge_y(r0, r1), aux)
    return _summary_of(keys, stats, strips, bounds, reducer)


def _summary_of(keys: np.ndarray, stats: tuple, strips: tuple, bounds: tuple[int, ...],
                reducer: Reducer) -> Summary:
    r0, r1, c0, c1 = bounds
    table = {"key": keys[1:]}
    for name, values in zip(STAT_NAMES, stats[:-1], strict=True):
        table[name] = values[1:]
    for index, values in enumerate(stats[-1]):
        table[f"aux{index}"] = values[1:]
    return tile_summary(table, strips, (r0, r1), (c0, c1), reducer)


def _finish(root: Summary, *, reducer: Reducer) -> Any:
    return reducer.combine(root.closed, reducer.reduce(root.open))


def _lookup(keys: np.ndarray, mapping: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """``mapping[k]`` for each key, the key itself where the mapping has none."""
    source, target = mapping
    if source.size == 0:
        return keys.copy()
    at = np.minimum(np.searchsorted(source, keys), source.size - 1)
    hit = source[at] == keys
    return np.where(hit, target[at], keys)


def _child_final_map(parent_final: tuple[np.ndarray, np.ndarray], parent: Summary,
                     child: Summary) -> tuple[np.ndarray, np.ndarray]:
    keys = child.open["key"]
    roots = _lookup(keys, (parent.remap_keys, parent.remap_roots))
    return keys, _lookup(roots, parent_final)


def _owned(leaf: Summary, final: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    keys = leaf.part_keys
    return keys[_lookup(keys, final) == keys]


def _band_owned(leaves: list[Summary], finals: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Sorted keys of the objects whose first pixel lies in this tile-row."""
    owned = [_owned(leaf, final) for leaf, final in zip(leaves, finals, strict=True)]
    return np.sort(np.concatenate(owned)) if owned else np.empty(0, np.int64)


def _add_count(prefix: int, owned: np.ndarray) -> int:
    return int(prefix) + int(owned.size)


def _ranks(finals: np.ndarray, owned: np.ndarray, prefix: int,
           carry: tuple[np.ndarray, np.ndarray], *, width: int, band_start: int) -> np.ndarray:
    here = finals >= np.int64(band_start) * width
    ranks = np.empty(finals.shape, np.int64)
    ranks[here] = prefix + 1 + np.searchsorted(owned, finals[here])
    ranks[~here] = _lookup(finals[~here], carry)
    return ranks


def _band_carry(carry: tuple[np.ndarray, np.ndarray], owned: np.ndarray, prefix: int,
                leaves: list[Summary], finals: list[tuple[np.ndarray, np.ndarray]], *,
                width: int, band_start: int) -> tuple[np.ndarray, np.ndarray]:
    """Final key to id for every object on this tile-row's bottom row."""
    bottoms = [_lookup(leaf.bottom[leaf.bottom >= 0], final)
               for leaf, final in zip(leaves, finals, strict=True)]
    keys = np.unique(np.concatenate(bottoms)) if bottoms else np.empty(0, np.int64)
    return keys, _ranks(keys, owned, prefix, carry, width=width, band_start=band_start)


def _relabel(parts: Any, leaf: Summary, final: tuple[np.ndarray, np.ndarray],
             owned: np.ndarray, prefix: int, carry: tuple[np.ndarray, np.ndarray],
             out: Any, *, width: int, band_start: int, dtype: np.dtype, kernels: str) -> Any:
    """Global labels of one tile: a new array of ``dtype``, or written into ``out`` (whose
    dtype then rules) and None."""
    finals = _lookup(leaf.part_keys, final)
    lut = np.zeros(finals.size + 1, dtype if out is None else out.dtype)
    lut[1:] = _ranks(finals, owned, prefix, carry, width=width, band_start=band_start)
    (r0, r1), (c0, c1) = leaf.rows, leaf.cols
    target = None if out is None else out[r0:r1, c0:c1]
    return kernels_for(parts.like, kernels).paint_parts(parts, lut, (r1 - r0, c1 - c0), target)
