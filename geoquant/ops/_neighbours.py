"""Exact distances between the patches of a class: nearest neighbours and connectance.

Distances are FRAGSTATS' edge-to-edge distances, measured between **cell centres**: the
distance between patches ``A`` and ``B`` is the shortest distance from the centre of a pixel
of ``A`` to the centre of a pixel of ``B``, in metres, with pixels ``dx`` wide and ``dy`` high
(``sqrt((dcol * dx)**2 + (drow * dy)**2)``). This is what pylandstats'
``euclidean_nearest_neighbor`` computes for square pixels (there it is the same number, bit
for bit: the distance in pixel units times the pixel size).

Only **edge pixels** can be ends of a closest pair: a pixel whose four edge-neighbours inside
the raster all belong to its own patch is never one, because its neighbour one step towards
the other end is in the same patch and strictly closer. So every tile (with a one-pixel
halo, the raster's outside counting as "same patch") extracts its edge pixels as
``(row, col, id)``, and these are **gathered globally**: memory is O(number of edge pixels),
24 bytes each plus a k-d tree, not O(area). Points are sorted in raster order, so the arrays
and every result are the same for any chunking.

Nearest neighbour (exact), on one :class:`scipy.spatial.cKDTree` of all edge pixels:

1. every point asks for its ``k`` nearest points; the first of another patch gives that
   point's exact distance to another patch, and an upper bound for *both* patches;
2. a point whose ``k`` nearest are all its own holds a lower bound (the ``k``-th distance);
   it stays pending only while that bound is below its patch's upper bound, and pending
   points ask again with ``k`` four times larger, pruned by ``distance_upper_bound``;
3. a patch still pending at ``k > MAX_K`` (an isolated patch with a long boundary) is
   finished by a tree of its own pending points queried from every other point within its
   upper bound (all of them when it has none).

A patch's distance is the minimum over its points, and only pending points can lower it, so
the result is exact. Connectance counts patch pairs closer than (or exactly at) a threshold;
only patches whose nearest neighbour lies within the threshold take part. On projected grids
a grid of cells finds them in time proportional to the edge pixels (sure, far and unsure
cell pairs, unsure points refined with smaller cells, see :func:`_grid_joined_codes`); the
last few unsure points, and geographic grids, go through
:meth:`cKDTree.sparse_distance_matrix` over bands of points, memory bounded per band.

On geographic grids the points are placed in geocentric (ECEF) coordinates on the ellipsoid:
the k-d tree then finds nearest points by straight chords, which order pairs as their surface
distances do to within ``(d / R)**2 / 24``, and chords are turned into arc lengths on the sphere
of the raster's Gaussian radius (see :mod:`geoquant.ops._geodesy`); relative errors stay far
below 1e-6 for patches under 100 km apart. Connectance thresholds are turned into chords the
same way, so pairs are found exactly for that arc length.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import check_non_negative, padded_tiles

FIRST_K = 16
"""Neighbours every edge pixel asks for first."""

MAX_K = 256
"""Above this many neighbours a pending patch is finished with its own tree."""

QUERY_ENTRIES = 1 << 21
"""Neighbours one k-d tree query may return (bounds the ``(points, k)`` result arrays)."""

QUERY_BATCH = 1 << 16
"""Points per connectance band before any split."""

MAX_PAIRS = 1 << 23
"""Point pairs one connectance band may produce before it is split."""

_OUTSIDE = -1  # halo label outside the raster: counts as the pixel's own patch


@dataclass(frozen=True)
class PatchNeighbours:
    """Distances between the patches of one class.

    Attributes
    ----------
    enn_m : ndarray of float64, shape (n_patches,)
        Euclidean nearest-neighbour distance of patch ``i + 1``, m, cell centre to cell
        centre; all NaN when there are fewer than two patches.
    joined_pairs : int or None
        Unordered patch pairs at most ``threshold_m`` apart; None without a threshold.
    threshold_m : float or None
        The connectance threshold distance, m.
    """

    enn_m: np.ndarray
    joined_pairs: int | None
    threshold_m: float | None

    @property
    def n_patches(self) -> int:
        return int(self.enn_m.size)


def patch_neighbours(labels: Any, geometry: PixelGeometry, *, n_patches: int | None = None,
                     threshold_m: float | None = None) -> PatchNeighbours:
    """Nearest-neighbour distance of every patch, and joined pairs for connectance.

    Parameters
    ----------
    labels : dask.array.Array of int32 or int64
        Global patch ids ``1..N`` (0 where there is no patch), any chunking.
    geometry : PixelGeometry
        Pixel sizes of the grid (geographic grids: geocentric chords, see module docstring).
    n_patches : int, optional
        ``N``; read from the largest id found on patch edges when omitted.
    threshold_m : float, optional
        Connectance threshold distance, m; pairs at distance ``<= threshold_m`` are joined.

    Returns
    -------
    PatchNeighbours

    Raises
    ------
    InvalidOptionError
        When ``threshold_m`` is negative or not finite.
    """
    if threshold_m is not None:
        threshold_m = check_threshold(threshold_m)
    return neighbours_of_points(edge_points(labels), geometry, n_patches=n_patches,
                                threshold_m=threshold_m)


def neighbours_of_points(points: tuple[np.ndarray, np.ndarray, np.ndarray],
                         geometry: PixelGeometry, *, n_patches: int | None = None,
                         threshold_m: float | None = None,
                         say: Callable[[str], None] | None = None) -> PatchNeighbours:
    """:func:`patch_neighbours` from edge points already gathered (:func:`gather_edge_points`);
    ``say`` receives the connectance search's progress lines."""
    rows, cols, ids = points
    geometry.require_true_lengths("distances between patches")
    if n_patches is None:
        n_patches = int(ids.max()) if ids.size else 0
    enn = nearest_neighbour_distances(rows, cols, ids, n_patches, dx=geometry.dx, dy=geometry.dy,
                                      geometry=geometry)
    joined = None
    if threshold_m is not None:
        joined = joined_pairs(rows, cols, ids, n_patches, dx=geometry.dx, dy=geometry.dy,
                              threshold_m=threshold_m, enn_m=enn, geometry=geometry, say=say)
    return PatchNeighbours(enn_m=enn, joined_pairs=joined, threshold_m=threshold_m)


def edge_points(labels: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge pixels of all patches, gathered from the tiles in raster order.

    An edge pixel has an edge-neighbour (4-neighbour) inside the raster that is not in its
    patch. Each tile reads a one-pixel halo, so the result does not depend on the chunking.

    Parameters
    ----------
    labels : dask.array.Array of int32 or int64
        Global patch ids, 0 where there is no patch.

    Returns
    -------
    rows, cols, ids : ndarray of int64
        Global row and column of each edge pixel and its patch id, sorted by row then column.
    """
    import dask

    return gather_edge_points(dask.compute(*edge_point_tasks(labels)))


def edge_point_tasks(labels: Any) -> list[Any]:
    """The edge pixels of each tile of ``labels``, lazily (Delayed, one per tile).

    Compute them together with other work over the same graph, then
    :func:`gather_edge_points`.
    """
    import dask

    from geoquant.tiling import TileGrid

    if labels.dtype.kind != "i":  # the halo outside the raster is -1
        labels = labels.astype(np.int64)
    grid = TileGrid.from_chunks(labels.chunks)
    padded = padded_tiles(labels, _OUTSIDE).to_delayed(optimize_graph=False)
    task = dask.delayed(_tile_edge_points, pure=True)
    return [task(padded[i, j], *grid.bounds(i, j)[::2]) for i, j in grid]


def gather_edge_points(parts: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Computed :func:`edge_point_tasks` as ``rows, cols, ids`` sorted by row then column."""
    rows = np.concatenate([p[0] for p in parts])
    cols = np.concatenate([p[1] for p in parts])
    ids = np.concatenate([p[2] for p in parts])
    order = np.lexsort((cols, rows))
    return rows[order], cols[order], ids[order]


def nearest_neighbour_distances(rows: np.ndarray, cols: np.ndarray, ids: np.ndarray,
                                n_patches: int, *, dx: float, dy: float,
                                geometry: PixelGeometry | None = None) -> np.ndarray:
    """Exact Euclidean nearest-neighbour distance of each patch (see module docstring).

    Parameters
    ----------
    rows, cols, ids : ndarray of int64
        Edge pixels (:func:`edge_points`); at least every pixel that can end a closest pair.
    n_patches : int
        Number of patches ``N``; ids run ``1..N``.
    dx, dy : float
        Pixel width and height, m (projected grids).
    geometry : PixelGeometry, optional
        The grid; a geographic one places the points in geocentric coordinates.

    Returns
    -------
    ndarray of float64, shape (n_patches,)
        Distance from patch ``i + 1`` to the nearest other patch, m; NaN when ``N < 2``.
    """
    from scipy.spatial import cKDTree

    ids = np.asarray(ids, np.int64)
    n = ids.size
    if n_patches < 2 or n < 2:
        return np.full(n_patches, np.nan)
    coords, to_metres, _ = _coordinates(rows, cols, dx, dy, geometry)
    tree = cKDTree(coords)
    best = np.full(n_patches + 1, np.inf)
    pending = np.arange(n)
    k = min(FIRST_K, n)
    while pending.size and k <= MAX_K:
        # Tight pruning bounds: query the points in order of their patch's upper bound.
        pending = pending[np.argsort(best[ids[pending]], kind="stable")]
        lower = np.empty(pending.size)
        step = max(1, QUERY_ENTRIES // k)
        for start in range(0, pending.size, step):
            batch = pending[start:start + step]
            own = ids[batch]
            bound = float(best[own].max())
            dist, near = tree.query(coords[batch], k=k, distance_upper_bound=bound,
                                    workers=-1)
            other = (near < n) & (ids[np.minimum(near, n - 1)] != own[:, None])
            found = other.any(axis=1)
            hit = np.nonzero(found)[0]
            first = other[hit].argmax(axis=1)
            d = dist[hit, first]
            np.minimum.at(best, own[hit], d)
            np.minimum.at(best, ids[near[hit, first]], d)
            # Beyond the k-th neighbour (inf: nothing else within the bound) lies any other.
            lower[start:start + batch.size] = np.where(found, np.inf, dist[:, -1])
        pending = pending[lower < best[ids[pending]]]
        if k == n:
            break
        k = min(4 * k, n)
    if pending.size:
        _finish_isolated(coords, ids, pending, best)
    return to_metres(best[1:])


def joined_pairs(rows: np.ndarray, cols: np.ndarray, ids: np.ndarray, n_patches: int, *,
                 dx: float, dy: float, threshold_m: float,
                 enn_m: np.ndarray | None = None, geometry: PixelGeometry | None = None,
                 say: Callable[[str], None] | None = None) -> int:
    """Number of unordered patch pairs whose distance is at most ``threshold_m``.

    Parameters
    ----------
    rows, cols, ids : ndarray of int64
        Edge pixels (:func:`edge_points`).
    n_patches : int
        Number of patches.
    dx, dy : float
        Pixel width and height, m.
    threshold_m : float
        Threshold distance, m (inclusive), measured like :func:`nearest_neighbour_distances`.
    enn_m : ndarray, optional
        Nearest-neighbour distances; patches farther than the threshold from every other
        patch are then skipped.
    geometry : PixelGeometry, optional
        The grid; a geographic one places the points in geocentric coordinates (and the
        pairs are found by a k-d tree over all of them); projected grids use the cell grid
        of :func:`_grid_joined_codes`, in time proportional to the edge pixels.
    say : callable, optional
        Receives one progress line per level of the cell grid.

    Returns
    -------
    int
        Joined pairs ``sum_{j<k} c_jk``, the numerator of FRAGSTATS' CONNECT.
    """
    threshold_m = check_threshold(threshold_m)
    if n_patches < 2:
        return 0
    ids = np.asarray(ids, np.int64)
    keep = np.ones(ids.size, bool)
    if enn_m is not None:
        near_enough = np.concatenate([[False], np.asarray(enn_m) <= threshold_m])
        keep = near_enough[ids]
    if np.count_nonzero(keep) < 2:
        return 0
    rows, cols, ids = np.asarray(rows)[keep], np.asarray(cols)[keep], ids[keep]
    if geometry is None or not geometry.geographic:
        codes = _grid_joined_codes(rows, cols, ids, n_patches, dx=dx, dy=dy,
                                   threshold_m=threshold_m, say=say)
    else:
        codes = _tree_joined_codes(rows, cols, ids, n_patches, dx=dx, dy=dy,
                                   threshold_m=threshold_m, geometry=geometry)
    return int(codes.size)


def _tree_joined_codes(rows: np.ndarray, cols: np.ndarray, ids: np.ndarray, n_patches: int, *,
                       dx: float, dy: float, threshold_m: float,
                       geometry: PixelGeometry | None = None) -> np.ndarray:
    """Sorted codes ``j * (N + 1) + k`` (``j < k``) of the patch pairs at most ``threshold_m``
    apart, from every pair of points within it (k-d tree, bands of points)."""
    from scipy.spatial import cKDTree

    if ids.size < 2:
        return np.zeros(0, np.int64)
    coords, to_metres, to_tree = _coordinates(rows, cols, dx, dy, geometry)
    tree = cKDTree(coords)
    # A hair wider than the threshold in tree units; the test below is on metres.
    radius = to_tree(threshold_m) * (1.0 + 1e-9)
    found: list[np.ndarray] = [np.zeros(0, np.int64)]
    ranges = [(start, min(start + QUERY_BATCH, ids.size))
              for start in range(0, ids.size, QUERY_BATCH)]
    while ranges:
        start, stop = ranges.pop()
        band = cKDTree(coords[start:stop])
        if stop - start > 1 and band.count_neighbors(tree, radius) > MAX_PAIRS:
            mid = (start + stop) // 2
            ranges += [(start, mid), (mid, stop)]
            continue
        pairs = band.sparse_distance_matrix(tree, radius, output_type="ndarray")
        first = ids[pairs["i"] + start]
        second = ids[pairs["j"]]
        joined = (first < second) & (to_metres(pairs["v"]) <= threshold_m)
        if joined.any():
            found.append(np.unique(first[joined] * np.int64(n_patches + 1) + second[joined]))
    return np.unique(np.concatenate(found))


# -- helpers -------------------------------------------------------------------------------------
def _tile_edge_points(padded: Any, row0: int, col0: int
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edge pixels of one tile as host arrays (found on the tile's device)."""
    from geoquant.ops.kernels._launch import to_host

    xp = array_module(padded)
    if padded.dtype.kind != "i":
        padded = xp.asarray(padded, np.int64)
    core = padded[1:-1, 1:-1]
    edge = xp.zeros(core.shape, bool)
    for neighbour in (padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]):
        edge |= (neighbour != core) & (neighbour != _OUTSIDE)
    edge &= core > 0
    r, c = xp.nonzero(edge)
    return (to_host(r).astype(np.int64) + row0, to_host(c).astype(np.int64) + col0,
            to_host(core[r, c]).astype(np.int64))


def _coordinates(rows: np.ndarray, cols: np.ndarray, dx: float, dy: float,
                 geometry: PixelGeometry | None = None) -> tuple[np.ndarray, Any, Any]:
    """Tree coordinates, and functions from tree distances to metres and back.

    Square pixels use pixel units (exact integers, exact squared distances) times ``dx``,
    as pylandstats does; other pixels use metres; geographic grids geocentric chords (m)
    turned into arcs (see module docstring).
    """
    if geometry is not None and geometry.geographic:
        from geoquant.ops._geodesy import arc_to_chord, chord_to_arc, gaussian_radius, geocentric

        radius = gaussian_radius(geometry)
        return (geocentric(rows, cols, geometry), lambda d: chord_to_arc(d, radius),
                lambda m: arc_to_chord(m, radius))
    if dx == dy:
        scale = float(dx)
        return (np.column_stack([rows, cols]).astype(np.float64), lambda d: d * scale,
                lambda m: m / scale)
    return (np.column_stack([np.asarray(rows) * float(dy), np.asarray(cols) * float(dx)]),
            lambda d: d, lambda m: m)


def _finish_isolated(coords: np.ndarray, ids: np.ndarray, pending: np.ndarray,
                     best: np.ndarray) -> None:
    """Finish patches whose pending points found no other patch among many neighbours."""
    from scipy.spatial import cKDTree

    pending = pending[np.argsort(ids[pending], kind="stable")]
    patch_ids, starts = np.unique(ids[pending], return_index=True)
    stops = np.append(starts[1:], pending.size)
    for patch, start, stop in zip(patch_ids, starts, stops, strict=True):
        own = coords[pending[start:stop]]
        bound = best[patch]
        candidates = ids != patch
        if np.isfinite(bound):
            low = own.min(axis=0) - bound
            high = own.max(axis=0) + bound
            candidates &= np.all((coords >= low) & (coords <= high), axis=1)
        if not candidates.any():
            continue
        dist, _ = cKDTree(own).query(coords[candidates], distance_upper_bound=bound,
                                     workers=-1)
        best[patch] = min(best[patch], float(dist.min()))


def check_threshold(threshold_m: Any) -> float:
    """The connectance threshold as a float, m; :class:`InvalidOptionError` unless >= 0."""
    return check_non_negative(threshold_m, "threshold_m", unit="metres", example="100.0")


# -- connectance on a grid of cells (projected grids) --------------------------------------------
GRID_STEPS = 4
"""Cells across the connectance reach at the first level of :func:`_grid_joined_codes`."""

TREE_POINTS = 1 << 18
"""Points left to refine below which :func:`_grid_joined_codes` ends with the k-d tree."""


def _pixel_metres(dx: float, dy: float) -> Any:
    """Distance in metres of integer pixel offsets ``(drow, dcol)``, as the k-d tree gives it.

    Square pixels: ``sqrt(drow² + dcol²) * dx`` (pixel units, exact squares, as pylandstats);
    other pixels ``sqrt((drow dy)² + (dcol dx)²)``. Both are non-decreasing in ``|drow|`` and
    ``|dcol|`` (every float step is), which the grid's sure and far cells rely on.
    """
    if dx == dy:
        scale = float(dx)
        return lambda dr, dc: np.sqrt(np.square(np.asarray(dr, np.float64))
                                      + np.square(np.asarray(dc, np.float64))) * scale
    return lambda dr, dc: np.sqrt(np.square(np.asarray(dr, np.float64) * float(dy))
                                  + np.square(np.asarray(dc, np.float64) * float(dx)))


def _reach(metres: Any, threshold_m: float, axis: int) -> int:
    """Largest pixel offset along one axis whose distance is within the threshold."""
    step = np.array([1, 0]) if axis == 0 else np.array([0, 1])
    high = 1
    while metres(*(step * high)) <= threshold_m:
        high *= 2
    low = 0  # metres(low) <= threshold < metres(high)
    while high - low > 1:
        mid = (low + high) // 2
        if metres(*(step * mid)) <= threshold_m:
            low = mid
        else:
            high = mid
    return low


def _grid_joined_codes(rows: np.ndarray, cols: np.ndarray, ids: np.ndarray, n_patches: int, *,
                       dx: float, dy: float, threshold_m: float,
                       say: Callable[[str], None] | None = None) -> np.ndarray:
    """Codes ``j * (N + 1) + k`` (``j < k``) of the patch pairs at most ``threshold_m`` apart.

    Exact, in time proportional to the edge pixels: the points go into square cells of ``s``
    pixels; for every offset between two cells the pixel offsets of their points lie between
    a smallest and a largest one, so the pair of cells is *sure* (every pair of their points
    within the threshold: all their patch pairs are joined), *far* (none) or *unsure*.
    Patches of unsure cell pairs not joined yet keep their points in those cells for the next
    level, with cells half as wide; at ``s = 1`` no pair is unsure. A joined pair's closest
    points lie in a cell pair that is sure or unsure at every level, so none is missed, and
    every pair reported has two points within the threshold (the same ``metres`` test as the
    k-d tree's), so the set is exact.
    """
    metres = _pixel_metres(dx, dy)
    base = np.int64(n_patches + 1)
    reach = min(_reach(metres, threshold_m, 0), _reach(metres, threshold_m, 1))
    size = 1 << max(0, int(reach // GRID_STEPS).bit_length() - 1) if reach >= GRID_STEPS else 1
    joined = np.zeros(0, np.int64)
    rows = np.asarray(rows, np.int64)
    cols = np.asarray(cols, np.int64)
    ids = np.asarray(ids, np.int64)
    while rows.size > 1:
        cr, cc = rows // size, cols // size
        width = np.int64(cc.max() + 1)
        key = (cr * width + cc) * base + ids
        entries, inverse = np.unique(key, return_inverse=True)
        entry_cell, entry_id = entries // base, entries % base
        cells, first, count = np.unique(entry_cell, return_index=True, return_counts=True)
        cell_r, cell_c = cells // width, cells % width
        near_r = _reach(metres, threshold_m, 0) // size + 2
        near_c = _reach(metres, threshold_m, 1) // size + 2
        sure, unsure = [], []
        for a in range(0, near_r + 1):
            for b in range(-near_c if a else 0, near_c + 1):
                lo_r, hi_r = _offset_span(a, size)
                lo_c, hi_c = _offset_span(b, size)
                if float(metres(lo_r, lo_c)) > threshold_m:
                    continue
                (sure if float(metres(hi_r, hi_c)) <= threshold_m else unsure).append((a, b))
        for a, b in sure:
            pa, pb = _cell_pairs(cell_r, cell_c, cells, first, count, width, a, b)
            joined = _merge(joined, _pair_codes(entry_id[pa], entry_id[pb], base))
        flagged = np.zeros(entries.size, bool)
        for a, b in unsure:
            pa, pb = _cell_pairs(cell_r, cell_c, cells, first, count, width, a, b)
            codes = _pair_codes(entry_id[pa], entry_id[pb], base, keep_all=True)
            open_ = codes >= 0
            open_[open_] = ~np.isin(codes[open_], joined, assume_unique=False)
            flagged[pa[open_]] = True
            flagged[pb[open_]] = True
        if say is not None:
            say(f"connectance: cells of {size} px, {rows.size:,} edge points, "
                f"{joined.size:,} joined pairs, {int(np.count_nonzero(flagged)):,} of "
                f"{entries.size:,} cell entries to refine")
        if size == 1 or not flagged.any():
            break
        keep = flagged[inverse]
        rows, cols, ids = rows[keep], cols[keep], ids[keep]
        if rows.size <= TREE_POINTS:  # few points left: every pair of them within reach
            found = _tree_joined_codes(rows, cols, ids, n_patches, dx=dx, dy=dy,
                                       threshold_m=threshold_m)
            return _merge(joined, found)
        size //= 2
    return joined


def _offset_span(cells: int, size: int) -> tuple[int, int]:
    """Smallest and largest pixel offset between points of cells ``cells`` apart."""
    cells = abs(cells)
    if cells == 0:
        return 0, size - 1
    return (cells - 1) * size + 1, (cells + 1) * size - 1


def _cell_pairs(cell_r: np.ndarray, cell_c: np.ndarray, cells: np.ndarray, first: np.ndarray,
                count: np.ndarray, width: np.int64, a: int, b: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Entry indices of every (entry of cell ``c``, entry of cell ``c + (a, b)``) pair."""
    tc = cell_c + b
    tr = cell_r + a
    inside = (tc >= 0) & (tc < width)
    src = np.nonzero(inside)[0]
    target = tr[src] * width + tc[src]
    pos = np.minimum(np.searchsorted(cells, target), cells.size - 1)
    hit = cells[pos] == target
    src, dst = src[hit], pos[hit]
    n_a, n_b = count[src], count[dst]
    sizes = n_a * n_b
    total = int(sizes.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    which = np.repeat(np.arange(src.size), sizes)
    local = np.arange(total) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return (first[src][which] + local // n_b[which], first[dst][which] + local % n_b[which])


def _pair_codes(first: np.ndarray, second: np.ndarray, base: np.int64,
                keep_all: bool = False) -> np.ndarray:
    """Unordered pair codes ``min * base + max`` of two patch id arrays (-1 for ``j == k``
    when ``keep_all``, else those are dropped and the codes made unique)."""
    low = np.minimum(first, second)
    codes = low * base + np.maximum(first, second)
    if keep_all:
        return np.where(first != second, codes, -1)
    return np.unique(codes[first != second])


def _merge(joined: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Sorted union of two sorted unique code arrays."""
    if not codes.size:
        return joined
    return np.union1d(joined, codes)
