"""write_zarr / open_zarr: GDAL and xarray read back the CRS, transform, nodata and values."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("zarr")
rasterio = pytest.importorskip("rasterio")
xr = pytest.importorskip("xarray")
pytest.importorskip("rioxarray")

from geoquant import sinks  # noqa: E402
from geoquant.errors import StoreError  # noqa: E402

GDAL_VERSION = tuple(int(p) for p in rasterio.__gdal_version__.split(".")[:2])


def gdal_name(store, var: str) -> str:
    """GDAL's subdataset name for one array of a Zarr store."""
    return f'ZARR:"{store}":/{var}'


def assert_gdal_matches(store, var: str, source) -> None:
    """GDAL reads ``var`` with the CRS, transform, nodata and values of ``source``."""
    with rasterio.open(gdal_name(store, var)) as src:
        assert src.crs == source.rio.crs
        assert src.transform.almost_equals(source.rio.transform(), precision=1e-6)
        assert (src.height, src.width) == source.shape[-2:]
        expected = np.asarray(source.values).reshape(-1, *source.shape[-2:])
        assert src.count == expected.shape[0]
        assert src.dtypes[0] == str(source.dtype)
        if source.rio.nodata is None:
            assert src.nodata is None
        else:
            assert src.nodata == source.rio.nodata
        np.testing.assert_array_equal(src.read(), expected)


# -- GDAL round trips ---------------------------------------------------------------------------

CASES = {
    # name: shape, dtype, nodata, crs, resolution (x, y) in m, upper-left corner
    "2d-float32-utm-anisotropic": ((37, 53), "float32", None, "EPSG:32633", (10.0, 20.0),
                                   (500_000.0, 5_000_000.0)),
    "2d-float32-nodata-lv95": ((41, 29), "float32", -9999.0, "EPSG:2056", (2.0, 2.0),
                               (2_600_000.0, 1_200_000.0)),
    "2d-uint8-nodata-utm": ((33, 47), "uint8", 255, "EPSG:32633", (10.0, 20.0),
                            (399_960.0, 5_300_040.0)),
    "3d-uint8-nodata-lv95": ((3, 31, 45), "uint8", 255, "EPSG:2056", (5.0, 2.5),
                             (2_485_000.0, 1_075_000.0)),
    "3d-float32-utm-anisotropic": ((4, 26, 38), "float32", None, "EPSG:32633", (10.0, 20.0),
                                   (500_000.0, 5_000_000.0)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_gdal_reads_crs_transform_nodata_and_values(tmp_path, make_raster, case):
    shape, dtype, nodata, crs, resolution, origin = CASES[case]
    raster = make_raster(
        shape, dtype=dtype, nodata=nodata, crs=crs, resolution=resolution, origin=origin
    )
    store = sinks.write_zarr(raster, tmp_path / "out.zarr")

    assert store == (tmp_path / "out.zarr").absolute()
    assert_gdal_matches(store, "value", raster)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")  # the root group
def test_gdal_lists_one_subdataset_per_raster_variable(tmp_path, make_raster):
    ds = xr.Dataset(
        {
            "probability": make_raster((20, 30), dtype="float32"),
            "classes": make_raster((2, 20, 30), dtype="uint8", nodata=255),
        }
    )
    store = sinks.write_zarr(ds, tmp_path / "two.zarr")

    with rasterio.open(store) as root:
        subdatasets = set(root.subdatasets)
    # GDAL lists them without the quotes; both spellings open.
    assert {f"ZARR:{store}:/probability", f"ZARR:{store}:/classes"} <= subdatasets
    assert_gdal_matches(store, "probability", ds["probability"])
    assert_gdal_matches(store, "classes", ds["classes"])


def test_gdal_exposes_time_and_band_as_bands_time_major(tmp_path, make_raster):
    cube = make_raster((2, 3, 16, 24), dtype="float32")
    store = sinks.write_zarr(cube, tmp_path / "cube.zarr")

    assert_gdal_matches(store, "value", cube)  # bands = time-major reshape of (time, band)
    with rasterio.open(gdal_name(store, "value")) as src:
        tags = src.tags(4)  # second time step, first band
    assert tags["DIM_time_INDEX"] == "1"
    assert tags["DIM_band_VALUE"] == "1"


def test_coordinates_without_values_are_built_from_the_transform(tmp_path, make_raster):
    from affine import Affine

    raster = make_raster((12, 18), dtype="float32")
    transform = raster.rio.transform()
    bare = raster.drop_vars(["x", "y"]).rio.write_transform(transform)
    store = sinks.write_zarr(bare, tmp_path / "bare.zarr")

    with rasterio.open(gdal_name(store, "value")) as src:
        assert src.transform.almost_equals(transform, precision=1e-6)
        assert src.transform != Affine.identity()


def test_unmasked_zero_chunk_without_nodata_reads_as_zero(tmp_path, make_raster):
    # zarr skips writing chunks equal to the fill value; with no nodata they must still read 0.
    raster = make_raster((64, 64), dtype="uint8")
    raster[:32, :32] = 0
    store = sinks.write_zarr(raster, tmp_path / "zeros.zarr", chunks=32)

    assert_gdal_matches(store, "value", raster)
    np.testing.assert_array_equal(sinks.open_zarr(store)["value"].values, raster.values)


def test_boolean_mask_reads_as_uint8_in_gdal(tmp_path, make_raster):
    mask = make_raster((25, 35)) > 100.0
    store = sinks.write_zarr(mask, tmp_path / "mask.zarr")

    with rasterio.open(gdal_name(store, "value")) as src:
        assert src.dtypes[0] == "uint8"
        assert src.crs == mask.rio.crs
        np.testing.assert_array_equal(src.read(1), mask.values.astype("uint8"))
    back = sinks.open_zarr(store)["value"]
    assert back.dtype == bool
    np.testing.assert_array_equal(back.values, mask.values)


def test_band_last_input_is_transposed_to_end_in_y_x(tmp_path, make_raster):
    raster = make_raster((3, 20, 30), dtype="uint8", nodata=255)
    store = sinks.write_zarr(raster.transpose("y", "x", "band"), tmp_path / "t.zarr")
    assert_gdal_matches(store, "value", raster)


def test_non_raster_variables_are_written_alongside(tmp_path, make_raster):
    raster = make_raster((2, 20, 30))
    ds = xr.Dataset({"value": raster, "band_mean": raster.mean(dim=("y", "x"))})
    store = sinks.write_zarr(ds, tmp_path / "mixed.zarr")

    assert_gdal_matches(store, "value", raster)
    back = sinks.open_zarr(store)
    np.testing.assert_allclose(back["band_mean"].values, ds["band_mean"].values)
    assert "_CRS" not in json.loads((store / "band_mean" / ".zattrs").read_text())


def test_encoded_nodata_is_written_where_values_are_missing(tmp_path, make_raster):
    raster = make_raster((20, 30), dtype="float32")
    raster[:5, :] = np.nan
    raster = raster.rio.write_nodata(-9999.0, encoded=True)
    store = sinks.write_zarr(raster, tmp_path / "enc.zarr")

    with rasterio.open(gdal_name(store, "value")) as src:
        assert src.nodata == -9999.0
        stored = src.read(1)
    np.testing.assert_array_equal(stored[:5], -9999.0)
    np.testing.assert_array_equal(stored[5:], raster.values[5:])


def test_nodata_declared_as_attribute_becomes_gdal_nodata(tmp_path, make_raster):
    raster = make_raster((20, 30), dtype="int16")
    raster.attrs["nodata"] = -1
    store = sinks.write_zarr(raster, tmp_path / "attr.zarr")
    with rasterio.open(gdal_name(store, "value")) as src:
        assert src.nodata == -1


def test_irregularly_chunked_non_raster_variable_is_evened_out(tmp_path, make_raster):
    import dask.array as da

    raster = make_raster((6, 20, 30), chunks={"band": 2})
    series = xr.DataArray(da.arange(6, chunks=((1, 3, 2),)), dims="band")
    store = sinks.write_zarr(xr.Dataset({"value": raster, "series": series}), tmp_path / "s.zarr")
    np.testing.assert_array_equal(sinks.open_zarr(store)["series"].values, np.arange(6))


def test_single_row_raster_keeps_its_stored_transform_and_warns(tmp_path, make_raster):
    raster = make_raster((10, 30))
    transform = raster.rio.transform()
    row = raster.rio.write_transform(transform).isel(y=slice(0, 1))
    with pytest.warns(UserWarning, match="single row or column"):
        store = sinks.write_zarr(row, tmp_path / "row.zarr")
    back = sinks.open_zarr(store)
    assert back.rio.transform().almost_equals(transform, precision=1e-6)


def test_single_row_raster_without_a_stored_transform_is_refused(tmp_path, make_raster):
    row = make_raster((10, 30)).isel(y=slice(3, 4))
    with pytest.raises(StoreError, match="write_transform"):
        sinks.write_zarr(row, tmp_path / "row.zarr")
    stale = make_raster((10, 30))
    stale = stale.rio.write_transform(stale.rio.transform()).isel(y=slice(3, 4))
    with pytest.raises(StoreError, match="stale"):
        sinks.write_zarr(stale, tmp_path / "row.zarr")
    assert list(tmp_path.iterdir()) == []


# -- compression and chunks ---------------------------------------------------------------------


def zarray(store, var: str) -> dict:
    return json.loads((store / var / ".zarray").read_text())


def test_numpy_input_gets_512_pixel_chunks_one_per_band_and_blosc_zstd(tmp_path, make_raster):
    raster = make_raster((2, 600, 700), dtype="uint8", resolution=(10.0, 10.0))
    store = sinks.write_zarr(raster, tmp_path / "big.zarr", compressor_level=3)

    meta = zarray(store, "value")
    assert meta["zarr_format"] == 2
    assert meta["chunks"] == [1, 512, 512]
    assert meta["compressor"]["id"] == "blosc"
    assert meta["compressor"]["cname"] == "zstd"
    assert meta["compressor"]["clevel"] == 3


def test_small_raster_is_one_chunk(tmp_path, make_raster):
    store = sinks.write_zarr(make_raster((30, 40)), tmp_path / "small.zarr")
    assert zarray(store, "value")["chunks"] == [30, 40]


@pytest.mark.parametrize(("chunks", "expected"), [(64, [64, 64]), ((32, 128), [32, 128])])
def test_chunks_option_sets_spatial_chunks(tmp_path, make_raster, chunks, expected):
    raster = make_raster((2, 100, 150), chunks={"band": 2, "y": 50, "x": 50})
    store = sinks.write_zarr(raster, tmp_path / "c.zarr", chunks=chunks)

    assert zarray(store, "value")["chunks"] == [1, *expected]
    assert_gdal_matches(store, "value", raster)


def test_regular_dask_chunks_become_zarr_chunks(tmp_path, make_raster):
    raster = make_raster((2, 100, 90), chunks={"band": 2, "y": 40, "x": 30})
    store = sinks.write_zarr(raster, tmp_path / "d.zarr")
    assert zarray(store, "value")["chunks"] == [1, 40, 30]


def test_irregular_dask_chunks_are_evened_out(tmp_path, make_raster):
    raster = make_raster(
        (3, 90, 100), dtype="float32", chunks=((1, 2), (10, 50, 30), (45, 5, 50))
    )
    store = sinks.write_zarr(raster, tmp_path / "irregular.zarr")

    assert zarray(store, "value")["chunks"] == [1, 50, 50]
    assert_gdal_matches(store, "value", raster)
    back = sinks.open_zarr(store)["value"]
    np.testing.assert_array_equal(back.values, raster.values)


def test_progress_bar_is_shown_on_request(tmp_path, make_raster, capsys):
    raster = make_raster((40, 40), chunks={"y": 20, "x": 20})
    sinks.write_zarr(raster, tmp_path / "p.zarr", progress=True)
    assert "Completed" in capsys.readouterr().out


# -- xarray round trips -------------------------------------------------------------------------


def test_open_zarr_gives_back_crs_transform_nodata_dtype_and_values_lazily(tmp_path, make_raster):
    raster = make_raster((3, 50, 60), dtype="uint8", nodata=255, crs="EPSG:2056",
                         resolution=(2.0, 4.0), origin=(2_600_000.0, 1_200_000.0))
    store = sinks.write_zarr(raster, tmp_path / "r.zarr", chunks=32)

    back = sinks.open_zarr(store)
    value = back["value"]
    assert value.chunks is not None  # lazy: dask-backed
    assert back.rio.crs == raster.rio.crs
    assert value.rio.transform().almost_equals(raster.rio.transform(), precision=1e-6)
    assert value.dtype == np.uint8
    assert value.rio.nodata == 255
    assert "_CRS" not in value.attrs
    xr.testing.assert_equal(value.load(), raster)


def test_open_zarr_round_trips_a_time_band_cube(tmp_path, make_raster):
    cube = make_raster((2, 2, 20, 30), dtype="float32", chunks={"y": 10, "x": 15})
    back = sinks.open_zarr(sinks.write_zarr(cube, tmp_path / "cube.zarr"))["value"]
    np.testing.assert_array_equal(back["time"].values, cube["time"].values)
    xr.testing.assert_equal(back.load(), cube.compute())
    assert back.rio.nodata is None


def test_unnamed_dataarray_becomes_variable_data(tmp_path, make_raster):
    store = sinks.write_zarr(make_raster((10, 10), name=None), tmp_path / "u.zarr")
    assert list(sinks.open_zarr(store).data_vars) == ["data"]


def test_input_is_left_unchanged(tmp_path, make_raster):
    raster = make_raster((2, 20, 30), chunks={"band": 1, "y": 7, "x": 30})
    attrs, encoding, chunks = dict(raster.attrs), dict(raster.encoding), raster.chunks
    sinks.write_zarr(raster, tmp_path / "x.zarr", chunks=10)
    assert raster.attrs == attrs
    assert raster.encoding == encoding
    assert raster.chunks == chunks


def test_zarr_v3_is_written_and_read_back_by_xarray(tmp_path, make_raster):
    raster = make_raster((2, 40, 50), dtype="uint8", nodata=255, chunks={"y": 20, "x": 25})
    store = sinks.write_zarr(raster, tmp_path / "v3.zarr", zarr_format=3)

    meta = json.loads((store / "value" / "zarr.json").read_text())
    assert meta["zarr_format"] == 3
    assert meta["chunk_grid"]["configuration"]["chunk_shape"] == [1, 20, 25]
    assert any(c["name"] == "blosc" for c in meta["codecs"])
    back = sinks.open_zarr(store)
    assert back.rio.crs == raster.rio.crs
    xr.testing.assert_equal(back["value"].load(), raster.compute())


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_a_store_opened_by_open_zarr_can_be_written_again(tmp_path, make_raster, zarr_format):
    raster = make_raster((2, 30, 40), dtype="uint8", nodata=255, crs="EPSG:2056",
                         origin=(2_600_000.0, 1_200_000.0))
    first = sinks.open_zarr(sinks.write_zarr(raster, tmp_path / "first.zarr", chunks=16))
    second = sinks.write_zarr(first, tmp_path / "second.zarr", zarr_format=zarr_format)

    back = sinks.open_zarr(second)
    assert back.rio.crs == raster.rio.crs
    assert back["value"].rio.nodata == 255
    xr.testing.assert_equal(back["value"].load(), raster)
    if zarr_format == 2:
        assert zarray(second, "value")["chunks"] == [1, 16, 16]
        assert_gdal_matches(second, "value", raster)


@pytest.mark.skipif(
    GDAL_VERSION < (3, 11),
    reason=f"GDAL {rasterio.__gdal_version__} cannot read zarr-python 3's Zarr v3 stores "
    "(fails with 'Unsupported codec: bytes'); GDAL >= 3.11 can",
)
def test_gdal_reads_zarr_v3(tmp_path, make_raster):
    raster = make_raster((2, 40, 50), dtype="uint8", nodata=255)
    store = sinks.write_zarr(raster, tmp_path / "v3.zarr", zarr_format=3)
    assert_gdal_matches(store, "value", raster)


# -- bad input ----------------------------------------------------------------------------------


def test_raster_without_crs_is_refused_with_the_fix(tmp_path, make_raster):
    raster = make_raster((10, 10))
    no_crs = raster.drop_vars("spatial_ref")
    no_crs.encoding.pop("grid_mapping", None)
    with pytest.raises(StoreError, match=r"rio\.write_crs"):
        sinks.write_zarr(no_crs, tmp_path / "n.zarr")
    assert list(tmp_path.iterdir()) == []


def test_irregular_coordinates_are_refused(tmp_path, make_raster):
    raster = make_raster((10, 10))
    x = raster["x"].values.copy()
    x[5:] += 3.0
    with pytest.raises(StoreError, match="not regularly spaced"):
        sinks.write_zarr(raster.assign_coords(x=x), tmp_path / "i.zarr")
    assert list(tmp_path.iterdir()) == []


def test_raster_without_spatial_dims_is_refused(tmp_path, make_raster):
    raster = make_raster((10, 10)).rename({"x": "col", "y": "row"})
    with pytest.raises(StoreError, match="spatial dimensions"):
        sinks.write_zarr(raster, tmp_path / "s.zarr")


@pytest.mark.parametrize(
    ("option", "error"),
    [
        ({"zarr_format": 4}, ValueError),
        ({"compressor_level": 10}, ValueError),
        ({"compressor_level": 2.5}, TypeError),
        ({"chunks": 0}, ValueError),
        ({"chunks": (256, 256, 1)}, ValueError),
    ],
)
def test_bad_options_are_refused(tmp_path, make_raster, option, error):
    with pytest.raises(error):
        sinks.write_zarr(make_raster((10, 10)), tmp_path / "o.zarr", **option)
    assert list(tmp_path.iterdir()) == []


def test_non_xarray_input_is_refused(tmp_path):
    with pytest.raises(TypeError, match="xarray"):
        sinks.write_zarr(np.zeros((4, 4)), tmp_path / "a.zarr")


# -- open_zarr errors ---------------------------------------------------------------------------


def test_open_zarr_missing_store(tmp_path):
    with pytest.raises(StoreError, match="No Zarr store"):
        sinks.open_zarr(tmp_path / "missing.zarr")


def test_open_zarr_on_a_file_or_plain_directory(tmp_path):
    (tmp_path / "file.zarr").write_text("hello")
    (tmp_path / "dir.zarr").mkdir()
    with pytest.raises(StoreError, match="is a file"):
        sinks.open_zarr(tmp_path / "file.zarr")
    with pytest.raises(StoreError, match="not a Zarr store"):
        sinks.open_zarr(tmp_path / "dir.zarr")


@pytest.mark.parametrize("damaged", [".zmetadata", "value/.zarray"])
def test_open_zarr_on_corrupt_metadata(tmp_path, make_raster, damaged):
    store = sinks.write_zarr(make_raster((10, 10)), tmp_path / "c.zarr")
    (store / damaged).write_text("{ not json")
    if damaged != ".zmetadata":
        (store / ".zmetadata").unlink()  # else the intact consolidated copy is used
    with pytest.raises(StoreError, match="Cannot read the Zarr store"):
        sinks.open_zarr(store)


@pytest.mark.parametrize("key", ["wkt", "url", "projjson"])
def test_open_zarr_takes_the_crs_from_gdal_attribute_alone(tmp_path, key):
    import pyproj

    crs = pyproj.CRS.from_epsg(2056)
    definition = {
        "wkt": crs.to_wkt(),
        "url": "http://www.opengis.net/def/crs/EPSG/0/2056",
        "projjson": crs.to_json_dict(),
    }[key]
    gdal_only = xr.Dataset(
        {"value": (("y", "x"), np.zeros((4, 5), "float32"), {"_CRS": {key: definition}})},
        coords={"y": 1_200_000.0 - np.arange(4.0) - 0.5, "x": 2_600_000.0 + np.arange(5.0) + 0.5},
    )
    gdal_only.to_zarr(tmp_path / "gdal.zarr", zarr_format=2, consolidated=True)

    back = sinks.open_zarr(tmp_path / "gdal.zarr")
    assert back.rio.crs.to_epsg() == 2056
    assert "_CRS" not in back["value"].attrs


def test_open_zarr_on_store_without_georeferencing(tmp_path):
    plain = xr.Dataset({"value": (("y", "x"), np.zeros((4, 5), "float32"))},
                       coords={"y": np.arange(4.0), "x": np.arange(5.0)})
    plain.to_zarr(tmp_path / "plain.zarr", zarr_format=2, consolidated=True)
    with pytest.raises(StoreError, match="no CRS"):
        sinks.open_zarr(tmp_path / "plain.zarr")
