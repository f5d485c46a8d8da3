"""Tree reductions of per-tile results, as one flat task graph."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def tree_reduce(arrays: Sequence[Any], per_tile: Callable[..., Any],
                combine: Callable[[Any, Any], Any], *, name: str, split_every: int = 8) -> Any:
    """Apply ``per_tile`` to matching blocks of dask ``arrays`` and combine results in a tree.

    ``per_tile(*blocks, block_index=(i, j))`` returns any small value; ``combine(a, b)`` must
    be associative. Returns a Delayed; the graph holds one task per tile plus about one per
    ``split_every - 1`` tiles.
    """
    from functools import partial

    from dask.base import tokenize
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    first = arrays[0]
    token = tokenize(name, [a.name for a in arrays], per_tile, combine)
    graph: dict = {}
    level = []
    for i in range(first.numblocks[0]):
        for j in range(first.numblocks[1]):
            key = (f"{name}-tile-{token}", i, j)
            graph[key] = (partial(per_tile, block_index=(i, j)),
                          *[(a.name, i, j) for a in arrays])
            level.append(key)
    depth = 0
    while len(level) > 1:
        depth += 1
        next_level = []
        for start in range(0, len(level), split_every):
            key = (f"{name}-combine-{token}", depth, start)
            graph[key] = (_combine_all, combine, level[start:start + split_every])
            next_level.append(key)
        level = next_level
    result = f"{name}-{token}"
    graph[result] = (_identity, level[0])
    return Delayed(result, HighLevelGraph.from_collections(result, graph, dependencies=arrays))


def _combine_all(combine: Callable[[Any, Any], Any], values: list[Any]) -> Any:
    out = values[0]
    for value in values[1:]:
        out = combine(out, value)
    return out


def _identity(value: Any) -> Any:
    return value
