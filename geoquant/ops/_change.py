"""Change between two categorical rasters: transitions (m²), gains, losses, objects come, gone."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from geoquant._backend import array_module, uses_cuda_kernels
from geoquant.errors import MaskError
from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import (
    EXCLUDED,
    as_tiles,
    check_2d,
    check_connectivity,
    check_same_grid,
    nodata_value,
)
from geoquant.ops._reducers import AbsentCountReducer
from geoquant.ops._tree import object_pass
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
    """
    import dask
    import pandas as pd

    conn8 = check_connectivity(connectivity)
    first, geometry = _categorical(before, "before")
    second, other = _categorical(after, "after")
    check_same_grid(geometry, other, ("before", "after"))
    second = second.rechunk(first.chunks)
    per_tile = partial(_tile_transitions, grid=TileGrid.from_chunks(first.chunks),
                       geometry=geometry)
    (pairs,) = dask.compute(tree_reduce([first, second], per_tile, _add_counts,
                                        name="gq-change"))
    classes = sorted({c for pair in pairs for c in pair})
    matrix = pd.DataFrame(0.0, index=pd.Index(classes, name="before"),
                          columns=pd.Index(classes, name="after"))
    for (b, a), (cells, area) in pairs.items():
        matrix.loc[b, a] = geometry.area_of(cells, area)
    diagonal = pd.Series(np.diag(matrix.to_numpy()), index=classes)
    gained = matrix.sum(axis=0) - diagonal.to_numpy()
    lost = matrix.sum(axis=1) - diagonal.to_numpy()
    appeared = pd.Series(0, index=classes, dtype=np.int64)
    vanished = pd.Series(0, index=classes, dtype=np.int64)
    if objects and classes:
        excluded = (first == NODATA_CLASS) | (second == NODATA_CLASS)
        passes = {}
        for c in classes:
            passes[("appeared", c)] = _absent_objects(second, first, excluded, c, geometry, conn8)
            passes[("vanished", c)] = _absent_objects(first, second, excluded, c, geometry, conn8)
        counts = dict(zip(passes, dask.compute(*passes.values()), strict=True))
        for (kind, c), value in counts.items():
            (appeared if kind == "appeared" else vanished)[c] = value
    return Change(matrix, gained.rename("gained_m2"), lost.rename("lost_m2"),
                  (gained - lost).rename("net_m2"), appeared.rename("appeared"),
                  vanished.rename("vanished"))


NODATA_CLASS = np.int64(np.iinfo(np.int64).min)


def _categorical(raster: Any, name: str) -> tuple[Any, PixelGeometry]:
    """Class codes as dask int64 with excluded pixels set to :data:`NODATA_CLASS`."""
    import dask.array as da

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
                      grid: TileGrid, geometry: PixelGeometry) -> dict:
    """Per tile: cells and area (m²) of every (before, after) class pair."""
    keep = (before != NODATA_CLASS) & (after != NODATA_CLASS)
    if uses_cuda_kernels(before):
        from geoquant.ops.kernels.cuda_counts import transitions

        r0, r1, _, _ = grid.bounds(*block_index)
        found = transitions(before, after, keep, geometry.cell_area(r0, r1))
        return {(int(b), int(a)): (int(n), float(m)) for b, a, n, m in zip(*found, strict=True)}
    rows = np.nonzero(keep)[0]
    if rows.size == 0:
        return {}
    pairs = np.stack([before[keep], after[keep]], axis=1)
    unique, inverse = np.unique(pairs, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    cells = np.bincount(inverse, minlength=len(unique))
    r0, r1, _, _ = grid.bounds(*block_index)
    area = np.bincount(inverse, weights=geometry.cell_area(r0, r1)[rows], minlength=len(unique))
    return {(int(b), int(a)): (int(n), float(m))
            for (b, a), n, m in zip(unique, cells, area, strict=True)}


def _add_counts(first: dict, second: dict) -> dict:
    out = dict(first)
    for key, (cells, area) in second.items():
        old = out.get(key, (0, 0.0))
        out[key] = (old[0] + cells, old[1] + area)
    return out


def _absent_objects(here: Any, there: Any, excluded: Any, c: int, geometry: PixelGeometry,
                    conn8: bool) -> Any:
    """Delayed count of objects of class ``c`` in ``here`` with no ``c`` pixel in ``there``.

    ``excluded`` marks pixels that are nodata in either raster.
    """
    import dask.array as da

    codes = da.where(excluded, np.uint8(EXCLUDED), (here == c).astype(np.uint8)).astype(np.uint8)
    aux = da.where(there == c, 0.0, 1.0)
    return object_pass(codes, geometry, conn8=conn8, reducer=AbsentCountReducer(),
                       aux=(aux,)).result
