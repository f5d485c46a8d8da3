"""Raster builders shared by the sink tests."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pytest


def _build_raster(
    shape: tuple[int, ...],
    *,
    dtype: str = "float32",
    crs: str = "EPSG:32633",
    resolution: tuple[float, float] = (10.0, 20.0),
    origin: tuple[float, float] = (500_000.0, 5_000_000.0),
    nodata: float | None = None,
    chunks: dict | None = None,
    name: str | None = "value",
    seed: int = 0,
):
    """A north-up raster with pixel-centre coordinates: resolution is (x size, y size) in m."""
    import dask.array as da
    import rioxarray  # noqa: F401  (registers .rio)
    import xarray as xr

    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        values = rng.normal(100.0, 30.0, size=shape).astype(dtype)
    else:
        values = rng.integers(0, 200, size=shape).astype(dtype)
    if nodata is not None:
        values.reshape(-1)[:: 7] = nodata
    ny, nx = shape[-2:]
    dx, dy = resolution
    x = origin[0] + dx * (np.arange(nx) + 0.5)
    y = origin[1] - dy * (np.arange(ny) + 0.5)
    dims = ("time", "band", "y", "x")[-len(shape):]
    coords = {"y": y, "x": x}
    if "band" in dims:
        coords["band"] = np.arange(1, shape[dims.index("band")] + 1)
    if "time" in dims:
        coords["time"] = np.array(
            [f"{2019 + i}-06-01" for i in range(shape[0])], dtype="datetime64[ns]"
        )
    if isinstance(chunks, dict):  # by dimension name; unnamed dimensions stay whole
        chunks = tuple(chunks.get(dim, -1) for dim in dims)
    data = values if chunks is None else da.from_array(values, chunks=chunks)
    with warnings.catch_warnings():
        # pyproj: EPSG:2056 loses a parameter in CF form; crs_wkt keeps it, nothing to see.
        warnings.filterwarnings("ignore", message=".*lost in conversion to CF")
        raster = xr.DataArray(data, dims=dims, coords=coords, name=name).rio.write_crs(crs)
    if nodata is not None:
        raster = raster.rio.write_nodata(nodata)
    return raster


@pytest.fixture
def make_raster() -> Callable:
    """Factory for georeferenced test rasters (see ``_build_raster``)."""
    return _build_raster
