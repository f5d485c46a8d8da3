"""Small georeferenced rasters for tests, examples and benchmarks."""

from __future__ import annotations

from typing import Any

import numpy as np

from geoquant._backend import is_cupy


def as_raster(values: Any, *, resolution: float | tuple[float, float] = 10.0,
              crs: str = "EPSG:32633", origin: tuple[float, float] = (500_000.0, 5_100_000.0),
              chunks: int | tuple[int, int] | None = None, name: str = "mask",
              copy: bool = True) -> Any:
    """Wrap a 2-D array as a north-up DataArray with a CRS, optionally dask-chunked.

    Parameters
    ----------
    values : array_like
        2-D values, row 0 at the north.
    resolution : float or (float, float)
        Pixel size ``(dx, dy)`` in CRS units (metres for projected CRSs; degrees for EPSG:4326).
    crs : str
        Any CRS pyproj understands.
    origin : (float, float)
        ``(x, y)`` of the north-west corner of the grid.
    chunks : int or (int, int), optional
        Dask chunk shape; NumPy-backed when omitted.
    name : str
        Name of the DataArray.
    copy : bool
        Hold a copy of ``values`` (default), or wrap them as they are (benchmarks: a raster
        opened from a file is a DataArray already, with no copy to time).
    """
    import rioxarray  # noqa: F401
    import xarray as xr
    from affine import Affine

    if is_cupy(values):
        values = values.copy() if copy else values
    else:
        values = np.array(values, copy=True) if copy else np.asarray(values)
    dx, dy = (resolution, resolution) if np.isscalar(resolution) else resolution
    rows, cols = values.shape
    x = origin[0] + (np.arange(cols) + 0.5) * dx
    y = origin[1] - (np.arange(rows) + 0.5) * dy
    array = xr.DataArray(values, dims=("y", "x"), coords={"y": y, "x": x}, name=name)
    # In place: rioxarray's default copies the whole array for each attribute it writes.
    array.rio.write_crs(crs, inplace=True)
    array.rio.write_transform(Affine(dx, 0.0, origin[0], 0.0, -dy, origin[1]), inplace=True)
    if chunks is not None:
        cy, cx = (chunks, chunks) if np.isscalar(chunks) else chunks
        array = array.chunk({"y": cy, "x": cx})
    return array


def as_cube(values: Any, bands: Any, *, resolution: float = 10.0, crs: str = "EPSG:32633",
            origin: tuple[float, float] = (500_000.0, 5_100_000.0),
            chunks: int | None = None, times: Any = None) -> Any:
    """Wrap a ``(band, y, x)`` or ``(time, band, y, x)`` array as a georeferenced cube.

    Parameters
    ----------
    values : array_like
        Band values, row 0 at the north.
    bands : sequence of str
        Band names (``"B03"``, ``"green"``, ``"VV"``).
    resolution, crs, origin
        As :func:`as_raster`.
    chunks : int, optional
        Spatial dask chunk edge; NumPy-backed when omitted.
    times : sequence, optional
        Time coordinate for 4-D values (default: daily from 2020-01-01).
    """
    import xarray as xr

    values = values if is_cupy(values) else np.asarray(values)
    plane = as_raster(np.zeros(values.shape[-2:], dtype=np.uint8), resolution=resolution,
                      crs=crs, origin=origin)
    dims = ("band", "y", "x") if values.ndim == 3 else ("time", "band", "y", "x")
    coords = {"band": list(bands), "y": plane.y, "x": plane.x}
    if values.ndim == 4:
        coords["time"] = (np.asarray(times, dtype="datetime64[ns]") if times is not None else
                          np.datetime64("2020-01-01", "ns")
                          + np.arange(values.shape[0]) * np.timedelta64(1, "D"))
    cube = xr.DataArray(values, dims=dims, coords=coords, name="cube")
    cube = cube.rio.write_crs(crs).rio.write_transform(plane.rio.transform())
    if chunks is not None:
        cube = cube.chunk({"y": chunks, "x": chunks})
    return cube
