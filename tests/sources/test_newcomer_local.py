"""Local rasters as a newcomer writes them: a scaled GeoTIFF (Landsat-style scale and offset
tags) read and written back to Zarr, and float64 values beyond float32. Truth from the
arrays written with rasterio, scaled with NumPy."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import rasterio
import xarray as xr
from affine import Affine

import geoquant as gq
from geoquant.errors import AssetError

TRANSFORM = Affine(30, 0, 500000, 0, -30, 4200000)


def _write(path, data, *, nodata=None, scale=None, offset=None):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs="EPSG:32612", transform=TRANSFORM,
                       nodata=nodata) as dst:
        dst.write(data, 1)
        if scale is not None:
            dst.scales, dst.offsets = (scale,), (offset,)


def test_a_scaled_raster_written_to_zarr_is_not_scaled_twice(tmp_path):
    """The applied scale and offset stayed in attrs; write_zarr stored them, and xarray (and
    GDAL users applying the stored scale) scaled the reflectances again: 0.0815 read -0.1000."""
    dn = np.array([[7000, 12000, 0], [65000, 8000, 9000]], np.uint16)
    truth = np.where(dn == 0, np.nan, dn * 2.75e-5 - 0.2)
    _write(tmp_path / "sr.tif", dn, nodata=0, scale=2.75e-5, offset=-0.2)
    arr = gq.sources.open_raster(tmp_path / "sr.tif").squeeze("band", drop=True)
    np.testing.assert_allclose(arr.values, truth, rtol=0, atol=1e-6)
    gq.sinks.write_zarr(arr.to_dataset(name="reflectance"), tmp_path / "sr.zarr")

    decoded = xr.open_zarr(tmp_path / "sr.zarr")["reflectance"].values
    np.testing.assert_allclose(decoded, truth, rtol=0, atol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # GDAL's note on the CF attributes it skips
        with rasterio.open(f'ZARR:"{tmp_path / "sr.zarr"}":/reflectance') as src:
            stored, scale, offset = src.read(1), src.scales[0], src.offsets[0]
    np.testing.assert_allclose(stored * scale + offset, truth, rtol=0, atol=1e-6)
    again = gq.sources.open_raster(tmp_path / "sr.zarr")
    np.testing.assert_allclose(np.asarray(again.values).squeeze(), truth, rtol=0, atol=1e-6)


def test_float64_values_are_kept_exactly(tmp_path):
    """float64 was cast to float32: 1e300 became inf and 16777217 became 16777216."""
    values = np.array([[1e300, 16_777_217.0, 0.1, -9999.0]], np.float64)
    _write(tmp_path / "wide.tif", values, nodata=-9999.0)
    arr = gq.sources.open_raster(tmp_path / "wide.tif").squeeze("band", drop=True).values
    np.testing.assert_array_equal(arr, np.where(values == -9999.0, np.nan, values))


def _write_quietly(path, data, **profile):
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=data.shape[1],
                           height=data.shape[0], count=1, dtype=data.dtype, **profile) as dst:
            dst.write(data, 1)


def test_a_raster_located_by_ground_control_points_is_refused(tmp_path):
    """rioxarray gave it the points' CRS (EPSG:4326) and the identity transform: 1° pixels,
    so 894 pixels of about 7.7 m x 11 m measured 9.7e12 m²."""
    from rasterio.control import GroundControlPoint

    data = (np.random.default_rng(0).random((50, 60)) < 0.3).astype(np.uint8)
    points = [GroundControlPoint(0, 0, 10.0, 46.0), GroundControlPoint(0, 60, 10.006, 46.0),
              GroundControlPoint(50, 0, 10.0, 45.995), GroundControlPoint(50, 60, 10.006, 45.995)]
    _write_quietly(tmp_path / "grd.tif", data, gcps=points, crs="EPSG:4326")
    with pytest.raises(AssetError, match="ground control points.*gdalwarp"):
        gq.sources.open_raster(tmp_path / "grd.tif")


def test_a_crs_without_a_transform_is_read_as_a_picture(tmp_path):
    """A CRS and no transform read as 1 m pixels (UTM) or 1° pixels (EPSG:4326), silently;
    now it needs a pixel size, as a raster without a CRS does."""
    data = (np.random.default_rng(1).random((20, 30)) < 0.3).astype(np.uint8)
    _write_quietly(tmp_path / "crs_only.tif", data, crs="EPSG:4326")
    with pytest.raises(AssetError, match="a CRS but no transform.*pixel size"):
        gq.sources.open_raster(tmp_path / "crs_only.tif")
    picture = gq.sources.open_raster(tmp_path / "crs_only.tif", gsd_m=2.0)
    mask = picture.squeeze("band", drop=True) == 1
    assert gq.ops.area(mask) == data.sum() * 2.0 * 2.0


def test_a_catalog_of_scaled_rasters_loads_the_values_open_raster_reads(tmp_path):
    """``catalog build`` read scale and offset only from band tags, not the band's own (GDAL)
    scale and offset: through the catalog a Landsat-style raster loaded raw digital numbers
    (7000) where open_raster gave reflectance (-0.0075)."""
    import json

    dn = np.array([[7000, 12000, 0], [65000, 8000, 9000]], np.uint16)
    truth = np.where(dn == 0, np.nan, dn * 2.75e-5 - 0.2)
    (tmp_path / "rasters" / "surface").mkdir(parents=True)
    _write(tmp_path / "rasters" / "surface" / "sr_20200101.tif", dn, nodata=0, scale=2.75e-5,
           offset=-0.2)
    gq.sources.build_catalog(tmp_path / "rasters", tmp_path / "catalog")
    items = json.loads((tmp_path / "catalog" / "surface" / "items.json").read_text())
    cube = gq.sources.load(items["features"], crs="EPSG:32612", resolution=30)
    np.testing.assert_allclose(np.asarray(cube.values).squeeze(), truth, rtol=0, atol=1e-6)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_a_catalog_refuses_a_raster_without_a_transform(tmp_path):
    data = np.ones((4, 5), np.uint8)
    (tmp_path / "rasters" / "plain").mkdir(parents=True)
    _write_quietly(tmp_path / "rasters" / "plain" / "x_2020.tif", data, crs="EPSG:32633")
    with pytest.raises(AssetError, match="no transform"):
        gq.sources.build_catalog(tmp_path / "rasters", tmp_path / "catalog")


def test_a_cf_scaled_zarr_store_opens_as_physical_values(tmp_path):
    """A Zarr store written by xarray with CF packing (int16, scale_factor 0.001, _FillValue
    -1) opened as the packed integers: reflectance 0.1 read 100, no data read -1."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    values = np.array([[0.1, 0.2, np.nan], [0.3, 0.4, 0.5]])
    array = xr.DataArray(values, dims=("y", "x"), coords={
        "y": [4_200_015.0, 4_199_985.0], "x": [500_015.0, 500_045.0, 500_075.0],
    }).rio.write_crs("EPSG:32612")
    data = array.to_dataset(name="reflectance")
    data["reflectance"].encoding = {"dtype": "int16", "scale_factor": 0.001, "_FillValue": -1}
    data.to_zarr(tmp_path / "packed.zarr", zarr_format=2)
    opened = gq.sources.open_raster(tmp_path / "packed.zarr")
    np.testing.assert_allclose(opened.values, values, rtol=0, atol=1e-6)
    assert np.isnan(opened.rio.nodata)


def test_metres_given_for_degrees_are_refused(tmp_path):
    """crs='EPSG:4326', resolution=10 (meant as metres) loaded 10-degree pixels: the 90 m x 60
    m raster became one pixel, silently."""
    import json

    from geoquant.errors import InvalidOptionError

    (tmp_path / "rasters" / "surface").mkdir(parents=True)
    dn = np.arange(1, 7, dtype=np.uint16).reshape(2, 3)
    _write(tmp_path / "rasters" / "surface" / "sr_20200101.tif", dn, nodata=0)
    gq.sources.build_catalog(tmp_path / "rasters", tmp_path / "catalog")
    items = json.loads((tmp_path / "catalog" / "surface" / "items.json").read_text())
    with pytest.raises(InvalidOptionError, match="degrees for EPSG:4326"):
        gq.sources.load(items["features"], crs="EPSG:4326", resolution=10)
    cube = gq.sources.load(items["features"], crs="EPSG:4326", resolution=0.0002)
    assert cube.sizes["x"] > 1 and cube.sizes["y"] > 1
