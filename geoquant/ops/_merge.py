"""Tile summaries and their associative merge: global object identity from border label pairs.

A :class:`Summary` describes a rectangle of tiles. It keeps only what can still change:

* ``open``: the statistics of the parts that touch the rectangle's outer border, keyed by the
  global raster index of each part's first pixel (a key no other part can have);
* the four border strips: per border pixel, the key of the part it belongs to, or -1;
* ``closed``: an operator-specific aggregate (a count, moments, a list of rows) of the objects
  that no longer touch the border and so are complete.

Merging two adjacent rectangles pairs the strips across their shared seam (with the diagonal
offsets under 8-connectivity, which also covers contacts exactly at tile corners), unions the
paired keys, adds the statistics of joined parts, and closes every part that left the border.
An object's final key is the smallest key of its parts: the global index of its first pixel.
Merges nest in a tree, so no task holds more than two summaries, each bounded by its
rectangle's perimeter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

Table = dict[str, np.ndarray]

SUM_COLUMNS = ("cells", "area", "sum_row", "sum_col", "faces_x", "faces_y", "perimeter")
MIN_COLUMNS = ("row_min", "col_min")
MAX_COLUMNS = ("row_max", "col_max")
AUX_PREFIX = "aux"


class Reducer(Protocol):
    """What an operator keeps of the objects that have closed.

    A reducer whose ``needs_stats`` attribute is False reads nothing of an object but its
    ``key``: its tables hold only that column, and the tiles' statistics are not computed
    (see :func:`needs_stats`; without the attribute they are).
    """

    def reduce(self, table: Table) -> Any: ...

    def combine(self, first: Any, second: Any) -> Any: ...


def needs_stats(reducer: Reducer) -> bool:
    """Whether ``reducer`` reads the objects' statistics (``STAT_NAMES``, auxiliary fields)
    or only their keys."""
    return bool(getattr(reducer, "needs_stats", True))


@dataclass(frozen=True)
class Summary:
    """A tile summary, or the merge of several (see module docstring).

    Attributes
    ----------
    rows, cols : (int, int)
        Global row and column span ``[start, stop)`` of the rectangle.
    open : dict of ndarray
        Statistics of parts on the border, one row per key, sorted by ``key``.
    top, bottom, left, right : ndarray of int64
        Keys along each border (-1 where no object).
    closed : object
        The reducer's aggregate of closed objects.
    remap_keys, remap_roots : ndarray of int64
        Keys of the merged children's open parts that joined another part here, and the key
        they joined (for writing labels back).
    part_keys : ndarray of int64 or None
        For a single tile: the key of every part (closed ones too), in local-label order.
    """

    rows: tuple[int, int]
    cols: tuple[int, int]
    open: Table
    top: np.ndarray
    bottom: np.ndarray
    left: np.ndarray
    right: np.ndarray
    closed: Any
    remap_keys: np.ndarray
    remap_roots: np.ndarray
    part_keys: np.ndarray | None = None


def empty_remap() -> tuple[np.ndarray, np.ndarray]:
    return np.empty(0, np.int64), np.empty(0, np.int64)


def take(table: Table, index: np.ndarray) -> Table:
    return {name: column[index] for name, column in table.items()}


def tile_summary(table: Table, strips: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
                 rows: tuple[int, int], cols: tuple[int, int], reducer: Reducer) -> Summary:
    """Summary of one tile from the table of all its parts (sorted by key) and its strips."""
    top, bottom, left, right = strips
    keys, border_keys = table["key"], _strip_keys(strips)
    # keys are sorted and unique: a binary search per border key, not a sort of every key
    # (np.isin sorts them all: most of a leaf's time on noise, where tiles hold 10**5 parts)
    on_border = np.zeros(keys.shape, bool)
    if keys.size:
        at = np.minimum(np.searchsorted(keys, border_keys), keys.size - 1)
        on_border[at[keys[at] == border_keys]] = True
    closed = reducer.reduce(take(table, np.flatnonzero(~on_border)))
    remap_keys, remap_roots = empty_remap()
    return Summary(rows, cols, take(table, np.flatnonzero(on_border)), top, bottom, left, right,
                   closed, remap_keys, remap_roots, part_keys=table["key"])


def merge(first: Summary, second: Summary, *, axis: int, conn8: bool,
          reducer: Reducer) -> Summary:
    """Merge two adjacent summaries: ``first`` above (axis 0) or left of (axis 1) ``second``."""
    if axis == 1:
        seam_a, seam_b = first.right, second.left
    else:
        seam_a, seam_b = first.bottom, second.top
    keys = np.concatenate([first.open["key"], second.open["key"]])
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    pairs_a, pairs_b = _seam_pairs(seam_a, seam_b, conn8)
    roots_sorted = _union_roots(sorted_keys, pairs_a, pairs_b)

    def to_root(strip: np.ndarray) -> np.ndarray:
        out = strip.copy()
        hit = strip >= 0
        out[hit] = roots_sorted[np.searchsorted(sorted_keys, strip[hit])]
        return out

    table = {name: np.concatenate([first.open[name], second.open[name]])[order]
             for name in first.open}
    grouped = _group(table, roots_sorted)
    if axis == 1:
        strips = (np.concatenate([first.top, second.top]),
                  np.concatenate([first.bottom, second.bottom]), first.left, second.right)
        rows, cols = first.rows, (first.cols[0], second.cols[1])
    else:
        strips = (first.top, second.bottom, np.concatenate([first.left, second.left]),
                  np.concatenate([first.right, second.right]))
        rows, cols = (first.rows[0], second.rows[1]), first.cols
    strips = tuple(to_root(s) for s in strips)
    on_border = np.isin(grouped["key"], _strip_keys(strips))
    closed = reducer.combine(reducer.combine(first.closed, second.closed),
                             reducer.reduce(take(grouped, np.flatnonzero(~on_border))))
    moved = sorted_keys != roots_sorted
    return Summary(rows, cols, take(grouped, np.flatnonzero(on_border)), *strips, closed,
                   sorted_keys[moved], roots_sorted[moved])


def _strip_keys(strips: tuple[np.ndarray, ...]) -> np.ndarray:
    keys = np.unique(np.concatenate(strips))
    return keys[keys >= 0]


def _seam_pairs(seam_a: np.ndarray, seam_b: np.ndarray,
                conn8: bool) -> tuple[np.ndarray, np.ndarray]:
    n = seam_a.shape[0]
    firsts, seconds = [], []
    for offset in (-1, 0, 1) if conn8 else (0,):
        lo, hi = max(0, -offset), min(n, n - offset)
        a = seam_a[lo:hi]
        b = seam_b[lo + offset:hi + offset]
        both = (a >= 0) & (b >= 0)
        firsts.append(a[both])
        seconds.append(b[both])
    return np.concatenate(firsts), np.concatenate(seconds)


def _union_roots(sorted_keys: np.ndarray, pairs_a: np.ndarray, pairs_b: np.ndarray) -> np.ndarray:
    """Root key (smallest key of its group) for every key, after joining the pairs."""
    if pairs_a.size == 0:
        return sorted_keys.copy()
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = sorted_keys.shape[0]
    ia = np.searchsorted(sorted_keys, pairs_a)
    ib = np.searchsorted(sorted_keys, pairs_b)
    graph = coo_matrix((np.ones(ia.shape[0], np.int8), (ia, ib)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    smallest = np.full(component.max() + 1, np.iinfo(np.int64).max, np.int64)
    np.minimum.at(smallest, component, sorted_keys)
    return smallest[component]


def _group(table: Table, roots: np.ndarray) -> Table:
    """Rows of ``table`` (sorted by key) grouped by root: sums, minima and maxima."""
    if roots.size == 0:
        return {name: column[:0] for name, column in table.items()}
    order = np.argsort(roots, kind="stable")
    roots_sorted = roots[order]
    starts = np.flatnonzero(np.r_[True, roots_sorted[1:] != roots_sorted[:-1]])
    out: Table = {"key": roots_sorted[starts]}
    for name, column in table.items():
        if name == "key":
            continue
        values = column[order]
        if name in SUM_COLUMNS:
            out[name] = np.add.reduceat(values, starts)
        elif name in MAX_COLUMNS:
            out[name] = np.maximum.reduceat(values, starts)
        else:  # minima: extents and auxiliary fields
            out[name] = np.minimum.reduceat(values, starts)
    return out
