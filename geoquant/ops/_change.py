"""Change between two categorical rasters: transitions (m²), gains, losses, objects come, gone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.errors import MaskError
from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import (
    EXCLUDED,
    as_tiles,
    check_2d,
    check_connectivity,
    check_same_grid,
    nodata_value,
    one_band,
)
from geoquant.ops._reducers import AbsentByClassReducer
from geoquant.ops._tree import check_graph_size, object_pass
from geoquant.ops.kernels.dispatch import configured_kernels, kernels_for
from geoquant.tiling import TileGrid, tree_reduce


@dataclass(frozen=True)
class Change:
    """What changed between two categorical rasters.

    Attributes
    ----------
    transitions : pandas.DataFrame
        Area in m² that went from class ``row`` (before) to class ``column`` (after); the
        diagonal is unchanged area. Excluded pixels (nodata in either raster) are left out.
    gained, lost, net : pandas.Series
        Area per class gained (became the class), lost (stopped being it) and their
        difference, m².
    appeared, vanished : pandas.Series
        Per class, objects of ``after`` with no pixel of that class before, and objects of
        ``before`` with no pixel of that class after.
    """

    transitions: Any
    gained: Any
    lost: Any
    net: Any
    appeared: Any
    vanished: Any


def change(before: Any, after: Any, *, connectivity: int = 8, objects: bool = True) -> Change:
    """Per-class transition matrix (m²), gained and lost area, and appeared/vanished objects.

    Parameters
    ----------
    before, after : xarray.DataArray
        2-D categorical rasters (integer class codes) on the same grid, with a CRS; nodata
        (``rio.nodata``/``_FillValue``, or NaN in float rasters) in either is excluded.
    connectivity : {8, 4}
        Pixel connectivity of the objects compared for ``appeared``/``vanished``.
    objects : bool
        Also count appeared and vanished objects (one exact object pass per class and date).

    Returns
    -------
    Change

    Raises
    ------
    geoquant.errors.InvalidOptionError
        The rasters have more tiles than one graph holds (:data:`~geoquant.ops._tree.
        MAX_GRAPH_TILES`), refused before any work: use larger chunks.
    """
    import dask
    import pandas as pd

    conn8 = check_connectivity(connectivity)
    first, geometry = _categorical(before, "before")
    second, other = _categorical(after, "after")
    check_same_grid(geometry, other, ("before", "after"))
    grid = TileGrid.from_chunks(first.chunks)
    check_graph_size(grid, what="the change graphs over it",    # before the first pass
                     instead="Use larger chunks (fewer tiles), or compare smaller regions")
    second = second.rechunk(first.chunks)
    per_tile = partial(_tile_transitions, grid=grid,
                       geometry=geometry, kernels=configured_kernels())
    (pairs,) = dask.compute(tree_reduce([first, second], per_tile, _add_counts,
                                        name="gq-change"))
    classes = sorted({c for pair in pairs for c in pair})
    position = {c: k for k, c in enumerate(classes)}
    values = np.zeros((len(classes), len(classes)))
    for (b, a), (cells, area) in pairs.items():
        values[position[b], position[a]] = geometry.area_of(cells, area)
    matrix = pd.DataFrame(values, index=pd.Index(classes, name="before"),
                          columns=pd.Index(classes, name="after"))
    diagonal = pd.Series(np.diag(matrix.to_numpy()), index=classes)
    gained = matrix.sum(axis=0) - diagonal.to_numpy()
    lost = matrix.sum(axis=1) - diagonal.to_numpy()
    appeared = pd.Series(0, index=classes, dtype=np.int64)
    vanished = pd.Series(0, index=classes, dtype=np.int64)
    if objects and classes:
        excluded = (first == NODATA_CLASS) | (second == NODATA_CLASS)
        # One object pass per group of classes that never touch (a colouring of the classes'
        # adjacency): the passes grow with the colours (a handful), not with the classes.
        passes = []
        for kind, here, there in (("appeared", second, first), ("vanished", first, second)):
            for group in class_groups(here, excluded):
                passes.append((kind, _absent_by_class(here, there, excluded, group, geometry,
                                                      conn8)))
        found = dask.compute(*(p for _, p in passes))
        for (kind, _), counts in zip(passes, found, strict=True):
            target = appeared if kind == "appeared" else vanished
            for c, n in counts.items():
                target[c] += n
    return Change(matrix, gained.rename("gained_m2"), lost.rename("lost_m2"),
                  (gained - lost).rename("net_m2"), appeared.rename("appeared"),
                  vanished.rename("vanished"))


NODATA_CLASS = np.int64(np.iinfo(np.int64).min)


def _categorical(raster: Any, name: str) -> tuple[Any, PixelGeometry]:
    """Class codes as dask int64 with excluded pixels set to :data:`NODATA_CLASS`."""
    import dask.array as da

    raster = one_band(raster)
    check_2d(raster, name)
    kind = np.dtype(raster.dtype).kind
    if kind not in "iuf":
        raise MaskError(f"{name} has dtype {raster.dtype}; pass integer class codes")
    geometry = PixelGeometry.of(raster, name=name)
    data = as_tiles(raster.data)
    nodata = nodata_value(raster)
    codes = da.map_blocks(_encode_classes, data, nodata=nodata, name_=name, dtype=np.int64,
                          meta=np.empty((0, 0), np.int64))
    return codes, geometry


def _encode_classes(block: Any, nodata: float | None, name_: str) -> Any:
    xp = array_module(block)
    excluded = xp.zeros(block.shape, bool)
    if block.dtype.kind == "f":
        excluded |= xp.isnan(block)
        finite = block[~excluded]
        if finite.size and not bool(xp.all(finite == xp.round(finite))):
            raise MaskError(f"{name_} holds fractional values; pass integer class codes")
    if nodata is not None:
        excluded |= block == nodata
    out = xp.where(excluded, 0, block).astype(np.int64)
    out[excluded] = NODATA_CLASS
    return out


def _tile_transitions(before: Any, after: Any, *, block_index: tuple[int, int],
                      grid: TileGrid, geometry: PixelGeometry, kernels: str) -> dict:
    """Per tile: cells and area (m²) of every (before, after) class pair."""
    keep = (before != NODATA_CLASS) & (after != NODATA_CLASS)
    r0, r1, _, _ = grid.bounds(*block_index)
    found = kernels_for(before, kernels).transitions(before, after, keep,
                                                     geometry.cell_area(r0, r1))
    return {(int(b), int(a)): (int(n), float(m)) for b, a, n, m in zip(*found, strict=True)}


def _add_counts(first: dict, second: dict) -> dict:
    out = dict(first)
    for key, (cells, area) in second.items():
        old = out.get(key, (0, 0.0))
        out[key] = (old[0] + cells, old[1] + area)
    return out


def class_groups(codes: Any, excluded: Any) -> list[list[int]]:
    """Classes of ``codes`` in groups no two members of which touch (8-neighbours, across
    tiles): the union of a group's masks has components of one class each. A greedy colouring
    of the classes' adjacency, largest degree first: one pass over the pixels."""
    import dask
    import dask.array as da

    marked = da.where(excluded, NODATA_CLASS, codes)
    padded = da.overlap.overlap(marked, depth={0: 1, 1: 1},
                                boundary={0: NODATA_CLASS, 1: NODATA_CLASS})
    parts = [dask.delayed(_touching, pure=True)(block)
             for block in padded.to_delayed(optimize_graph=False).ravel()]
    (pairs, present) = dask.compute(dask.delayed(_join_touching, pure=True)(parts))[0]
    neighbours: dict[int, set[int]] = {int(c): set() for c in present}
    for a, b in pairs:
        neighbours[int(a)].add(int(b))
        neighbours[int(b)].add(int(a))
    colour: dict[int, int] = {}
    for c in sorted(neighbours, key=lambda k: (-len(neighbours[k]), k)):
        taken = {colour[n] for n in neighbours[c] if n in colour}
        colour[c] = next(k for k in range(len(taken) + 1) if k not in taken)
    groups: dict[int, list[int]] = {}
    for c, k in colour.items():
        groups.setdefault(k, []).append(c)
    return [sorted(g) for _, g in sorted(groups.items())]


def _touching(block: Any) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of different classes that are 8-neighbours in a haloed tile, and its classes."""
    from geoquant.ops.kernels._launch import to_host

    block = to_host(block)
    found = []
    h, w = block.shape
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = block[0:h - dy, max(0, -dx):w - max(0, dx)]
        b = block[dy:h, max(0, dx):w - max(0, -dx)]
        keep = (a != b) & (a != NODATA_CLASS) & (b != NODATA_CLASS)
        if keep.any():
            found.append(np.stack([np.minimum(a[keep], b[keep]),
                                   np.maximum(a[keep], b[keep])], axis=1))
    pairs = np.unique(np.concatenate(found), axis=0) if found else np.empty((0, 2), np.int64)
    present = np.unique(block[block != NODATA_CLASS])
    return pairs, present


def _join_touching(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = np.unique(np.concatenate([p for p, _ in parts]), axis=0) if parts \
        else np.empty((0, 2), np.int64)
    present = np.unique(np.concatenate([c for _, c in parts])) if parts \
        else np.empty(0, np.int64)
    return pairs, present


def _absent_by_class(here: Any, there: Any, excluded: Any, group: list[int],
                     geometry: PixelGeometry, conn8: bool) -> Any:
    """Delayed ``{class: objects}`` of the objects of ``here``'s classes in ``group`` with no
    pixel of their own class in ``there`` (no two classes of the group touch)."""
    import dask.array as da

    inside = da.isin(here, np.asarray(group, dtype=np.int64))
    codes = da.where(excluded, np.uint8(EXCLUDED), inside.astype(np.uint8)).astype(np.uint8)
    kept = da.where(there == here, 0.0, 1.0)            # 0 where the class stayed
    label = here.astype(np.float64)                      # constant over each object
    return object_pass(codes, geometry, conn8=conn8, reducer=AbsentByClassReducer(),
                       aux=(kept, label)).result
