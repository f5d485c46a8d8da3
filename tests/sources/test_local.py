"""geoquant.sources.open_raster: local GeoTIFFs and Zarr stores as lazy DataArrays with CRS."""

from __future__ import annotations

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoquant import sinks, sources
from geoquant.errors import AssetError, StoreError
from geoquant.testing.rasters import as_raster
from geoquant.testing.stac import write_raster

TRANSFORM = from_origin(500_000.0, 5_100_000.0, 10.0, 10.0)


def test_integer_geotiff_keeps_dtype_and_nodata(tmp_path):
    values = (np.arange(30 * 40) % 300).astype(np.uint16).reshape(30, 40)
    path = write_raster(tmp_path / "B04.tif", values, crs="EPSG:32633", transform=TRANSFORM,
                        nodata=0)
    arr = sources.open_raster(path, chunks=16)
    assert arr.dims == ("band", "y", "x") and list(arr.band.values) == ["B04"]
    assert arr.chunks[1:] == ((16, 14), (16, 16, 8))
    assert arr.dtype == np.uint16 and arr.rio.nodata == 0
    assert arr.rio.crs.to_epsg() == 32633 and arr.rio.transform() == TRANSFORM
    np.testing.assert_array_equal(arr.values[0], values)


def test_float_geotiff_gets_nan_for_nodata(tmp_path):
    values = np.linspace(-1.0, 1.0, 20 * 25, dtype=np.float32).reshape(20, 25)
    values[3, :] = -9999.0
    path = write_raster(tmp_path / "ndvi.tif", values, crs="EPSG:32633", transform=TRANSFORM,
                        nodata=-9999.0)
    arr = sources.open_raster(path)
    assert arr.dtype == np.float32 and np.isnan(arr.rio.nodata)
    expected = np.where(values == -9999.0, np.nan, values)
    np.testing.assert_array_equal(arr.values[0], expected)


def test_zarr_store_variable(tmp_path):
    mask = as_raster(np.eye(12, 9, dtype=np.uint8), name="mask")
    share = as_raster(np.full((12, 9), 0.25, np.float32), name="share")
    one = sinks.write_zarr(mask, tmp_path / "one.zarr")
    arr = sources.open_raster(one)
    assert arr.name == "mask" and arr.rio.crs.to_epsg() == 32633
    np.testing.assert_array_equal(arr.values, np.eye(12, 9, dtype=np.uint8))

    import xarray as xr

    two = sinks.write_zarr(xr.Dataset({"mask": mask, "share": share}), tmp_path / "two.zarr")
    with pytest.raises(StoreError, match="variable="):
        sources.open_raster(two)
    with pytest.raises(StoreError, match="no variable 'other'"):
        sources.open_raster(two, variable="other")
    np.testing.assert_array_equal(sources.open_raster(two, variable="share").values, share.values)


def test_missing_file(tmp_path):
    with pytest.raises(AssetError, match="does not exist"):
        sources.open_raster(tmp_path / "nothing.tif")
