"""Objects of a mask: labels, counts, the table of objects, and connectivity through a class.

Objects are connected components of a mask's True pixels (8-connectivity by default, 4 on
request). Every function runs the exact cross-tile object pass of :mod:`geoquant.ops._tree`,
so any chunking of the input gives the same answer as labelling the whole array at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.errors import MaskError
from geoquant.ops._mask import (
    EXCLUDED,
    OBJECT,
    PreparedMask,
    check_connectivity,
    check_non_negative,
    check_same_grid,
    is_dask,
    prepare_mask,
    prepare_pair,
)
from geoquant.ops._merge import Table
from geoquant.ops._reducers import (
    CountReducer,
    NoReducer,
    RowsReducer,
    TouchReducer,
    object_area,
    object_perimeter,
)
from geoquant.ops._tree import STAT_NAMES, object_pass, write_labels

OBJECT_COLUMNS = ("id", "area_m2", "perimeter_m", "cells", "row_min", "col_min", "row_max",
                  "col_max", "x_min", "y_min", "x_max", "y_max", "centroid_x", "centroid_y",
                  "area_rank")


def label(mask: Any, *, connectivity: int = 8, valid: Any = None) -> Any:
    """Label the objects of a mask with global ids.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS (NumPy-, CuPy- or dask-backed); NaN or the nodata value
        marks excluded pixels.
    connectivity : {8, 4}
        8 joins pixels that share an edge or a corner, 4 only an edge.
    valid : xarray.DataArray of bool, optional
        False where pixels are outside the region or nodata.

    Returns
    -------
    xarray.DataArray of int32 or int64
        Ids ``1..N`` in raster order of each object's first pixel (as ``scipy.ndimage.label``
        numbers them), 0 where there is no object. Computed (NumPy- or CuPy-backed, like the
        input) for in-memory input, and then int32 when the number of objects ``N`` is below
        ``2**31 - 1``, int64 otherwise. Lazy and chunked like the input for dask input: its
        dtype is fixed before ``N`` is known, so it is int32 when the raster cannot hold
        ``2**31 - 1`` objects (up to about 8.6 Gpx, such as 92,680 x 92,680 pixels, under
        8-connectivity; about 4.3 Gpx under 4-connectivity) and int64 on larger rasters. The
        ids are the same in either dtype.

    Examples
    --------
    >>> import numpy as np, geoquant as gq
    >>> from geoquant.testing.rasters import as_raster
    >>> mask = as_raster(np.array([[1, 0, 1], [0, 0, 1]], bool), chunks=1)
    >>> labels = gq.ops.label(mask)
    >>> labels.dtype
    dtype('int32')
    >>> labels.values
    array([[1, 0, 2],
           [0, 0, 2]], dtype=int32)
    """
    conn8 = check_connectivity(connectivity)
    prepared = prepare_mask(mask, valid=valid)
    run = object_pass(prepared.codes, prepared.geometry, conn8=conn8, reducer=NoReducer(),
                      padded=prepared.padded_codes())
    if is_dask(mask.data):
        return prepared.like(write_labels(run), name="labels")
    # In memory in, in memory out: the array is allocated once the merge has counted the
    # objects (its dtype depends on the count) and tiles are painted straight into it, no
    # concatenation (a CuPy array for a CuPy mask).
    labels = write_labels(run, empty=array_module(mask.data).empty).compute(scheduler="threads")
    return prepared.like(labels, name="labels")


def count(mask: Any, *, connectivity: int = 8, min_area_m2: float = 0.0,
          valid: Any = None) -> int:
    """Number of objects in a mask, optionally only those at least ``min_area_m2`` large.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS.
    connectivity : {8, 4}
        Pixel connectivity of objects.
    min_area_m2 : float
        Count only objects whose whole area (over all tiles) is at least this, m².
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded.

    Returns
    -------
    int
    """
    conn8 = check_connectivity(connectivity)
    min_area_m2 = check_non_negative(min_area_m2, "min_area_m2", unit="square metres",
                                     example="10000.0 for 1 ha")
    prepared = prepare_mask(mask, valid=valid)
    reducer = CountReducer(prepared.geometry, min_area_m2)
    run = object_pass(prepared.codes, prepared.geometry, conn8=conn8, reducer=reducer,
                      padded=prepared.padded_codes())
    return run.result.compute()[1]


def objects(mask: Any, *, connectivity: int = 8, distance_to: Any = None,
            farthest: bool = False, touching: bool = False, reach_m: float | None = None,
            neighbours: bool = False, valid: Any = None) -> Any:
    """Table of every object: id, area, perimeter, bounding box, centroid and rank by area;
    on request its distances to another mask and to the nearest other object.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS.
    connectivity : {8, 4}
        Pixel connectivity of objects; also what ``touching`` means (sharing an edge, or an
        edge or a corner, with a True pixel of ``distance_to``).
    distance_to : xarray.DataArray, optional
        A second mask on the same grid; adds, per object, the smallest over its pixels of the
        distance to the nearest True pixel of it (see Returns). Pixels of the object where
        ``distance_to`` is nodata are left out of the distances.
    farthest : bool
        With ``distance_to``, also the largest such distance, ``distance_max_m`` (the object
        lies wholly within ``d`` when it is ``<= d``). One more per-pixel field in the pass.
    touching : bool
        With ``distance_to``, also ``touching``: whether a pixel of the object is, or is
        adjacent under ``connectivity`` to, a True pixel of ``distance_to``.
    reach_m : float, optional
        The largest distance the caller compares the distances with, m (the ``d`` of "within
        d"). On geographic grids the error bound is then checked at ``reach_m`` instead of at
        the largest distance in the table, so a large raster can answer a short-range
        question: distances up to ``reach_m`` stay within the bound, and a larger one still
        exceeds ``reach_m`` in truth once it exceeds it by the bound (see
        :mod:`geoquant.ops._geodesy`). Ignored on projected grids (exact).
    neighbours : bool
        Add ``neighbour_m``, the distance from each object to the nearest *other* object of
        the same mask (edge to edge between pixel centres, as FRAGSTATS' ENN; NaN when there
        is no other object).
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded.

    Returns
    -------
    pandas.DataFrame
        One row per object, ordered by ``id`` (the ids of :func:`label`); no rows (with every
        column) when the mask has no object; ``attrs["max_relative_error"]`` holds the error
        bound of ``distance_m`` and ``distance_max_m`` (0 on projected grids, the local
        metric's on geographic grids). Columns:
        ``id``; ``area_m2``; ``perimeter_m`` (pixel edges against anything not in the object,
        including the raster border and nodata, m); ``cells``; the pixel bounding box
        ``row_min, col_min, row_max, col_max`` (inclusive); the same box in CRS units
        ``x_min, y_min, x_max, y_max`` (outer pixel edges); ``centroid_x, centroid_y``, the
        mean of the object's pixel centres in CRS units; ``area_rank``, 1 for the largest
        object, ties broken by id (raster order of the first pixel), so ``area_rank > k``
        drops the k largest (:func:`largest`);
        with ``distance_to``: ``distance_m`` (m, the smallest distance from a pixel of the
        object to the nearest True pixel of ``distance_to``, pixel centre to pixel centre: 0
        where they overlap, inf when it has none or when the object lies wholly on nodata of
        ``distance_to``); with ``farthest``: ``distance_max_m`` (m, the largest such
        distance: the object lies wholly within ``d`` of it when ``distance_max_m <= d``,
        partly when ``distance_m <= d``, wholly farther when ``distance_m > d``; both
        distances NaN for an object lying wholly on nodata of ``distance_to``); with
        ``touching``: ``touching`` (bool); with ``neighbours``: ``neighbour_m``.

    Raises
    ------
    geoquant.errors.GeographicExtentError
        With ``distance_to`` on a geographic grid whose error bound (see
        :mod:`geoquant.ops._geodesy`) exceeds 1 % at ``reach_m``, or without it at the
        largest distance in the table.
    geoquant.errors.InvalidOptionError
        When ``reach_m`` is negative or not finite.

    Examples
    --------
    Patches partly within 30 m of roads yet nowhere within 30 m of water; fields wholly
    farther than 80 m from every road; forest patches touching cropland:

    >>> roads = gq.ops.objects(fields, distance_to=road)          # doctest: +SKIP
    >>> water = gq.ops.objects(fields, distance_to=river)         # doctest: +SKIP
    >>> ids = roads.id[(roads.distance_m <= 30) & (water.distance_m > 30)]  # doctest: +SKIP
    >>> far = roads.id[roads.distance_m > 80]                     # doctest: +SKIP
    >>> near = gq.ops.objects(forest, distance_to=crop, touching=True)  # doctest: +SKIP
    >>> ids = near.id[near.touching]                              # doctest: +SKIP
    """
    import dask
    import pandas as pd

    from geoquant.ops._geodesy import check_distance_error, check_measured_error

    conn8 = check_connectivity(connectivity)
    if reach_m is not None:
        reach_m = check_non_negative(reach_m, "reach_m", unit="metres",
                                     example="objects(fields, distance_to=road, reach_m=80.0)")
    aux: tuple[Any, ...] = ()
    bound = 0.0
    hint = ("; or pass reach_m=, the largest distance you compare with, to check the bound "
            "there instead")
    if distance_to is None:
        prepared = prepare_mask(mask, valid=valid)
    else:
        from geoquant.ops._distance import distance_to as distance_field

        prepared, target = prepare_pair(mask, distance_to, names=("mask", "distance_to"),
                                        valid=valid)
        if reach_m is not None:
            bound = check_distance_error(prepared.geometry, "objects(distance_to=)", reach_m)
        field = distance_field(target)
        # per-object minima of d, of -d (the maximum) and of "not touching" (0 on touch)
        aux = (field, *((-field,) if farthest else ()),
               *((_apart(target, conn8),) if touching else ()))
    run = object_pass(prepared.codes, prepared.geometry, conn8=conn8, reducer=RowsReducer(),
                      aux=aux, padded=prepared.padded_codes())
    if neighbours:
        from geoquant.ops._neighbours import edge_point_tasks

        parts, *points = dask.compute(run.result, *edge_point_tasks(write_labels(run)))
    else:
        parts = run.result.compute()
    if parts:
        table = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    else:
        table = {name: np.empty(0) for name in ("key", *STAT_NAMES,
                                                *(f"aux{i}" for i in range(len(aux))))}
    order = np.argsort(table["key"], kind="stable")
    table = {name: column[order] for name, column in table.items()}
    frame = pd.DataFrame(_object_columns(table, prepared), columns=list(OBJECT_COLUMNS))
    if distance_to is not None:
        frame["distance_m"] = table["aux0"].astype(np.float64)
        if farthest:
            largest_m = -table["aux1"].astype(np.float64)
            unmeasured = largest_m == -np.inf  # every pixel on nodata of distance_to
            frame["distance_m"] = np.where(unmeasured, np.nan, frame["distance_m"])
            frame["distance_max_m"] = np.where(unmeasured, np.nan, largest_m)
        if touching:
            frame["touching"] = table[f"aux{len(aux) - 1}"] == 0.0
        if reach_m is None:
            finite = frame["distance_max_m" if farthest else "distance_m"].to_numpy()
            finite = finite[np.isfinite(finite)]
            bound = check_measured_error(prepared.geometry, "objects(distance_to=)",
                                         float(finite.max()) if finite.size else np.inf,
                                         hint=hint)
    if neighbours:
        from geoquant.ops._neighbours import gather_edge_points, neighbours_of_points

        found = neighbours_of_points(gather_edge_points(points), prepared.geometry,
                                     n_patches=len(frame))
        frame["neighbour_m"] = found.enn_m
    frame.attrs["max_relative_error"] = bound
    return frame


def largest(mask: Any, k: int = 1, *, exclude: bool = False, connectivity: int = 8,
            valid: Any = None) -> Any:
    """The ``k`` largest objects of a mask, or the mask without them.

    Objects are ranked by area (m²), ties broken by id (raster order of each object's first
    pixel), as ``objects(...)["area_rank"]``: the answer is the same for any chunking.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS.
    k : int
        How many objects, >= 0 (more than there are keeps, or drops, them all).
    exclude : bool
        False: keep only the ``k`` largest; True: keep every object but those ("not
        counting the two largest lakes").
    connectivity : {8, 4}
        Pixel connectivity of objects.
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded.

    Returns
    -------
    xarray.DataArray of bool
        On the mask's grid (lazy for dask masks, computed otherwise); False on excluded
        pixels and outside the kept objects.

    Raises
    ------
    geoquant.errors.InvalidOptionError
        When ``k`` is not a whole number >= 0.
    """
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        from geoquant.errors import InvalidOptionError

        raise InvalidOptionError(f"k={k!r}; pass a whole number of objects >= 0, for example "
                                 "largest(mask, 2, exclude=True) to drop the two largest")
    table = objects(mask, connectivity=connectivity, valid=valid)
    top = table["area_rank"].to_numpy() <= int(k)
    ids = table["id"].to_numpy()[~top if exclude else top]
    labels = label(mask, connectivity=connectivity, valid=valid)
    keep = np.zeros(len(table) + 1, bool)
    keep[ids] = True
    if is_dask(labels.data):
        data = labels.data.map_blocks(_kept, keep=keep, dtype=bool)
    else:
        data = _kept(labels.data, keep)
    out = labels.copy(data=data)
    out.name = "largest"
    out.attrs = {"long_name": (f"objects but the {k} largest" if exclude
                               else f"the {k} largest objects")}
    return out


def connected(through: Any, a: Any, b: Any, *, connectivity: int = 8, valid: Any = None) -> bool:
    """Whether ``a`` and ``b`` are connected through the True pixels of ``through``.

    Parameters
    ----------
    through : xarray.DataArray
        2-D boolean mask of the class paths may use (for example roads).
    a, b : xarray.DataArray or (float, float)
        Masks on the same grid (for example two towns; their own pixels are passable), or
        points ``(x, y)`` in the raster's CRS.
    connectivity : {8, 4}
        Pixel connectivity of paths.
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded (never passable).

    Returns
    -------
    bool
        True when one connected component of ``through | a | b`` holds pixels of both.
    """
    import dask.array as da

    conn8 = check_connectivity(connectivity)
    network = prepare_mask(through, name="through", valid=valid)
    ends = [_endpoint(end, name, network) for end, name in ((a, "a"), (b, "b"))]
    codes = network.codes
    for end in ends:
        codes = _union_codes(codes, end)
    aux = tuple(da.where(end == OBJECT, 0.0, 1.0) for end in ends)
    run = object_pass(codes, network.geometry, conn8=conn8, reducer=TouchReducer(len(ends)),
                      aux=aux)
    return bool(run.result.compute())


# -- helpers -------------------------------------------------------------------------------------
def _object_columns(table: Table, prepared: PreparedMask) -> dict[str, np.ndarray]:
    geometry = prepared.geometry
    cells = table["cells"].astype(np.int64)
    t = geometry.transform
    x_edges = (t.c + table["col_min"] * t.a, t.c + (table["col_max"] + 1) * t.a)
    y_edges = (t.f + table["row_min"] * t.e, t.f + (table["row_max"] + 1) * t.e)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre_x, centre_y = geometry.pixel_centres(table["sum_row"] / cells,
                                                    table["sum_col"] / cells)
    area = object_area(table, geometry).astype(np.float64)
    # rank 1 = largest; equal areas keep id order (lexsort: last key first)
    order = np.lexsort((np.arange(cells.size), -area))
    rank = np.empty(cells.size, np.int64)
    rank[order] = np.arange(1, cells.size + 1)
    return {
        "id": np.arange(1, cells.size + 1, dtype=np.int64),
        "area_m2": object_area(table, geometry).astype(np.float64),
        "perimeter_m": object_perimeter(table, geometry).astype(np.float64),
        "cells": cells,
        "row_min": table["row_min"].astype(np.int64),
        "col_min": table["col_min"].astype(np.int64),
        "row_max": table["row_max"].astype(np.int64),
        "col_max": table["col_max"].astype(np.int64),
        "x_min": np.minimum(*x_edges),
        "y_min": np.minimum(*y_edges),
        "x_max": np.maximum(*x_edges),
        "y_max": np.maximum(*y_edges),
        "centroid_x": centre_x,
        "centroid_y": centre_y,
        "area_rank": rank,
    }


def _kept(labels: Any, keep: np.ndarray) -> Any:
    """``keep[labels]`` on the labels' device."""
    return array_module(labels).asarray(keep)[labels]


def _apart(target: PreparedMask, conn8: bool) -> Any:
    """Lazy float64 field, chunked like ``target``: 0 on pixels that are, or are adjacent
    under the connectivity to, an object pixel of ``target``; 1 elsewhere."""
    import dask.array as da

    return da.map_blocks(_apart_tile, target.padded_codes(), conn8=conn8, dtype=np.float64,
                         chunks=target.codes.chunks, meta=np.empty((0, 0), np.float64))


def _apart_tile(padded: Any, conn8: bool) -> Any:
    xp = array_module(padded)
    h, w = padded.shape[0] - 2, padded.shape[1] - 2
    near = xp.zeros((h, w), bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if conn8 or dr == 0 or dc == 0:
                near |= padded[1 + dr:1 + dr + h, 1 + dc:1 + dc + w] == OBJECT
    return xp.where(near, 0.0, 1.0)


def _endpoint(end: Any, name: str, network: PreparedMask) -> Any:
    """Codes (dask uint8, network's chunks) of a mask or a point given as an endpoint."""
    import dask.array as da

    if isinstance(end, tuple | list) and len(end) == 2 and all(np.isscalar(v) for v in end):
        x, y = float(end[0]), float(end[1])
        inverse = ~network.geometry.transform
        col, row = inverse * (x, y)
        rows, cols = network.geometry.shape
        if not (0 <= row < rows and 0 <= col < cols):
            raise MaskError(
                f"point {name}=({x}, {y}) lies outside the raster; pass coordinates in the "
                "raster's CRS inside its bounds"
            )
        return da.map_blocks(_point_block, dtype=np.uint8, chunks=network.codes.chunks,
                             point=(int(row), int(col)), meta=np.empty((0, 0), np.uint8))
    prepared = prepare_mask(end, name=name)
    check_same_grid(network.geometry, prepared.geometry, ("through", name))
    return prepared.codes.rechunk(network.codes.chunks)


def _point_block(point: tuple[int, int], block_info: Any = None) -> np.ndarray:
    info = block_info[None]
    (r0, r1), (c0, c1) = info["array-location"]
    block = np.zeros((r1 - r0, c1 - c0), np.uint8)
    if r0 <= point[0] < r1 and c0 <= point[1] < c1:
        block[point[0] - r0, point[1] - c0] = 1
    return block


def _union_codes(codes: Any, end: Any) -> Any:
    import dask.array as da

    passable = (end == OBJECT) & (codes != EXCLUDED)
    return da.where(passable, np.uint8(OBJECT), codes).astype(np.uint8)
