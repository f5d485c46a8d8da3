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
                  "col_max", "x_min", "y_min", "x_max", "y_max", "centroid_x", "centroid_y")


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
            valid: Any = None) -> Any:
    """Table of every object: id, area, perimeter, bounding box and centroid.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS.
    connectivity : {8, 4}
        Pixel connectivity of objects.
    distance_to : xarray.DataArray, optional
        A second mask on the same grid; adds ``distance_m``, the distance in metres from each
        object to the nearest True pixel of it (pixel centre to pixel centre; 0 where they
        overlap; inf when it has none).
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded.

    Returns
    -------
    pandas.DataFrame
        One row per object, ordered by ``id`` (the ids of :func:`label`). Columns:
        ``id``; ``area_m2``; ``perimeter_m`` (pixel edges against anything not in the object,
        including the raster border and nodata, m); ``cells``; the pixel bounding box
        ``row_min, col_min, row_max, col_max`` (inclusive); the same box in CRS units
        ``x_min, y_min, x_max, y_max`` (outer pixel edges); ``centroid_x, centroid_y``, the
        mean of the object's pixel centres in CRS units; and ``distance_m`` on request.
    """
    import pandas as pd

    conn8 = check_connectivity(connectivity)
    aux: tuple[Any, ...] = ()
    if distance_to is None:
        prepared = prepare_mask(mask, valid=valid)
    else:
        from geoquant.ops._distance import distance_to as distance_field

        prepared, target = prepare_pair(mask, distance_to, names=("mask", "distance_to"),
                                        valid=valid)
        aux = (distance_field(target),)
    run = object_pass(prepared.codes, prepared.geometry, conn8=conn8, reducer=RowsReducer(),
                      aux=aux, padded=prepared.padded_codes())
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
    return frame


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
    }


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
