"""Loading optical, SAR and multi-temporal cubes: CRS, transform, bands and values against the
source arrays in ../shared/data."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_bounds

from geoquant.errors import AssetError, MixedCRSError, RegionError
from geoquant.sources import clear_mask, load, search
from geoquant.testing.stac import localize_item, two_utm_zone_items, write_raster

SLOVENIA = (465181.0522318204, 5079244.8912012065, 466180.53145382757, 5080254.63349641)
S2_ORDER = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11",
            "B12"]
CAMARGUE = "real/camargue-s1/S1A__IW___A_20150309T173017_VV_grd_mli_geo_norm_db.tif"


@pytest.fixture(scope="module")
def slovenia(shared_data):
    src = shared_data / "real" / "slovenia-s2"
    return {name: np.load(src / f"{name}.npy") for name in
            ("REFERENCE_SCENES", "NDVI", "IS_VALID", "CLM", "LULC")} | {
        "timestamps": json.loads((src / "timestamps.json").read_text())}


def test_optical_cube_matches_source(demo_api, slovenia):
    items = search(demo_api, collections="slovenia-s2-l1c")
    cube = load(items, chunks=64)
    assert cube.dims == ("time", "band", "y", "x")
    assert cube.dtype == np.float32 and cube.chunks[2] == (64, 37)
    assert cube.rio.crs.to_epsg() == 32633
    assert cube.rio.transform().almost_equals(from_bounds(*SLOVENIA, 100, 101), precision=1e-6)
    assert np.allclose(cube.rio.bounds(), SLOVENIA, atol=1e-6, rtol=0)
    assert sorted(cube.band.values) == sorted(S2_ORDER)
    # The demo scenes' dates come from matching their NDVI to the dated NDVI series.
    expected_dates = [slovenia["timestamps"][i][:10] for i in (0, 1, 2, 3, 4)]
    assert [str(t)[:10] for t in cube.time.values] == expected_dates
    values = cube.sel(band=S2_ORDER).values
    scene_of_time = [4, 1, 0, 3, 2]  # REFERENCE_SCENES index of each date, in date order
    for t, scene in enumerate(scene_of_time):
        source = slovenia["REFERENCE_SCENES"][scene].transpose(2, 0, 1)
        np.testing.assert_allclose(values[t], source, atol=0.5e-4 + 1e-7, rtol=0)


def test_clear_mask_matches_source_masks(demo_api, slovenia):
    items = search(demo_api, collections="slovenia-s2-ndvi", datetime="2016-01-01/2016-12-31")
    cube = load(items, chunks=50)
    clear = clear_mask(items, like=cube)
    assert clear.dtype == bool and clear.dims == ("time", "y", "x")
    assert clear.shape == (cube.sizes["time"], 101, 100) and clear.chunks == cube.chunks[::2][:1] \
        + cube.chunks[2:]
    index = [slovenia["timestamps"].index(i["properties"]["datetime"][:-1]) for i in items]
    valid = slovenia["IS_VALID"][index, ..., 0]
    cloud = slovenia["CLM"][index, ..., 0]
    np.testing.assert_array_equal(clear.values, valid & (cloud == 0))
    # Same coordinates as the cube, bit for bit: combining them must not drop rows.
    np.testing.assert_array_equal(clear.y.values, cube.y.values)
    np.testing.assert_array_equal(clear.x.values, cube.x.values)
    assert (cube.isel(band=0) > 0).where(clear).sizes["y"] == 101


def test_multitemporal_stack_mosaics_same_day(demo_api, slovenia):
    items = search(demo_api, collections="slovenia-s2-ndvi")
    cube = load(items, chunks=128)
    stamps = slovenia["timestamps"]
    assert len(items) == 68 and cube.sizes["time"] == 67  # 2015-12-08 has two acquisitions
    days = [str(t)[:10] for t in cube.time.values]
    assert days.count("2015-12-08") == 1
    merged = days.index("2015-12-08")
    assert cube.item_ids.values[merged].count(",") == 1
    ndvi = cube.isel(band=0).values
    first_of_day = [stamps.index(s) for s in stamps if not (s.startswith("2015-12-08")
                                                            and s != stamps[7])]
    np.testing.assert_array_equal(ndvi, slovenia["NDVI"][first_of_day, ..., 0])
    unmerged = load(items, chunks=128, mosaic_same_day=False)
    assert unmerged.sizes["time"] == 68


def test_sar_cube_values_and_units(demo_api, shared_data):
    items = search(demo_api, collections="camargue-s1")
    db = load(items)
    assert db.attrs["units"] == "db" and list(db.band.values) == ["vv"]
    with rasterio.open(shared_data / CAMARGUE) as src:
        source, transform, crs = src.read(1), src.transform, src.crs
    assert db.rio.crs == crs and db.rio.transform().almost_equals(transform)
    expected = np.where(source == -99.0, np.nan, source)
    np.testing.assert_array_equal(db.values[0, 0], expected)
    linear = load(items, sar_units="linear")
    np.testing.assert_allclose(linear.values[0, 0], 10 ** (expected / 10), rtol=1e-6)


def test_categorical_nodata_becomes_nan(demo_api, slovenia):
    lulc = load(search(demo_api, collections="slovenia-lulc")).values[0, 0]
    source = slovenia["LULC"][..., 0].astype(np.float32)
    source[source == 0] = np.nan
    np.testing.assert_array_equal(lulc, source)


def test_sentinel2_l2a_offset_and_scl(real_items, slovenia, tmp_path):
    """Real Sentinel-2 L2A item metadata (baseline 05.10) with local rasters."""
    transform = from_bounds(*SLOVENIA, 100, 101)
    reflectance = slovenia["REFERENCE_SCENES"][4][..., [3, 7]]  # B04, B08
    dn = (np.rint(reflectance * 10000) + 1000).astype(np.uint16)  # BOA_ADD_OFFSET = -1000
    scl = np.full((101, 100), 4, np.uint8)
    scl[:10], scl[10:20], scl[20:30], scl[30:35] = 9, 3, 6, 0
    rasters = {"B04": write_raster(tmp_path / "B04.tif", dn[..., 0], crs="EPSG:32633",
                                   transform=transform, nodata=0),
               "B08": write_raster(tmp_path / "B08.tif", dn[..., 1], crs="EPSG:32633",
                                   transform=transform, nodata=0),
               "SCL": write_raster(tmp_path / "SCL.tif", scl, crs="EPSG:32633",
                                   transform=transform, nodata=0)}
    item = localize_item(real_items["sentinel-2-l2a"][0], rasters)
    assert item["properties"]["s2:processing_baseline"] == "05.10"
    cube = load([item])
    assert list(cube.band.values) == ["B04", "B08"] and cube.attrs["sensor"] == "Sentinel-2 L2A"
    np.testing.assert_allclose(cube.values[0].transpose(1, 2, 0), reflectance, atol=0.5e-4 + 1e-7)
    clear = clear_mask([item], like=cube).values[0]
    np.testing.assert_array_equal(clear, np.isin(scl, (2, 4, 5, 6, 7, 11)))
    assert not clear[:20].any() and clear[20:30].all() and not clear[30:35].any()


def test_landsat_scale_offset_and_qa(real_items, tmp_path):
    item0 = real_items["landsat-c2-l2"][0]
    transform = from_bounds(500000, 4000000, 503000, 4003000, 100, 100)
    rng = np.random.default_rng(0)
    dn = rng.integers(7273, 43636, (100, 100), dtype=np.uint16)
    qa = np.full((100, 100), 0b1000000, np.uint16)  # clear bit
    qa[:25] = 1 << 3  # cloud
    qa[25:40] = 1 << 4  # shadow
    qa[40:45] = 1  # fill
    rasters = {"red": write_raster(tmp_path / "red.tif", dn, crs="EPSG:32655",
                                   transform=transform, nodata=0),
               "qa_pixel": write_raster(tmp_path / "qa.tif", qa, crs="EPSG:32655",
                                        transform=transform, nodata=1)}
    item = localize_item(item0, rasters)
    cube = load([item], assets=["red"])
    band = item0["assets"]["red"]["raster:bands"][0]
    np.testing.assert_allclose(cube.values[0, 0], dn * band["scale"] + band["offset"],
                               rtol=1e-6, atol=1e-7)
    clear = clear_mask([item], like=cube).values[0]
    assert not clear[:45].any() and clear[45:].all()


def test_sentinel1_rtc_linear_to_db(real_items, shared_data, tmp_path):
    with rasterio.open(shared_data / CAMARGUE) as src:
        db, transform, crs = src.read(1), src.transform, src.crs.to_string()
    linear_vv = (10 ** (db / 10)).astype(np.float32)
    linear_vh = (linear_vv / 5).astype(np.float32)
    rasters = {"vv": write_raster(tmp_path / "vv.tif", linear_vv, crs=crs, transform=transform),
               "vh": write_raster(tmp_path / "vh.tif", linear_vh, crs=crs, transform=transform)}
    item = localize_item(real_items["sentinel-1-rtc"][0], rasters)
    cube = load([item])
    assert cube.attrs["units"] == "linear" and sorted(cube.band.values) == ["vh", "vv"]
    in_db = load([item], sar_units="db")
    assert in_db.attrs["units"] == "db"
    np.testing.assert_allclose(in_db.sel(band="vv").values[0], db, atol=1e-4)
    np.testing.assert_allclose(in_db.sel(band="vh").values[0], db - 10 * np.log10(5), atol=1e-4)


def test_mixed_utm_zones_need_a_crs(real_items):
    with pytest.raises(MixedCRSError, match="EPSG:32646 x2, EPSG:32647 x2.*crs="):
        load(real_items["sentinel-2-l2a"])


def test_mixed_utm_zones_reprojected(shared_data, tmp_path):
    """Two items of one scene, in zones 31 and 32, loaded into zone 31."""
    west, east = two_utm_zone_items(shared_data / CAMARGUE, tmp_path)
    with pytest.raises(MixedCRSError, match="EPSG:32631"):
        load([west, east])
    cube = load([west, east], crs="EPSG:32631", resolution=20)
    assert cube.rio.crs.to_epsg() == 32631 and cube.sizes["time"] == 2
    # Independent reference: the source pixel that holds each cube pixel's centre.
    from pyproj import Transformer

    xx, yy = np.meshgrid(cube.x.values, cube.y.values)
    for t, name in enumerate(("a.tif", "b.tif")):       # the two items' rasters, as written
        with rasterio.open(tmp_path / name) as src:
            source, src_transform, src_crs = src.read(1), src.transform, src.crs
        sx, sy = Transformer.from_crs("EPSG:32631", src_crs, always_xy=True).transform(xx, yy)
        col, row = ~src_transform * (sx, sy)
        col, row = np.floor(col).astype(int), np.floor(row).astype(int)
        inside = (row >= 0) & (row < source.shape[0]) & (col >= 0) & (col < source.shape[1])
        expected = np.full(xx.shape, np.nan, np.float32)
        expected[inside] = source[row[inside], col[inside]]
        expected[expected == -99] = np.nan
        got = cube.values[t, 0]
        both = np.isfinite(got) & np.isfinite(expected)
        assert both.sum() > 0.95 * np.isfinite(expected).sum()
        assert np.mean(got[both] == expected[both]) > 0.95


def test_region_outside_data(demo_api):
    items = search(demo_api, collections="camargue-s1")
    with pytest.raises(RegionError, match="outside"):
        load(items, bbox=(5.5, 44.0, 5.6, 44.1))


def test_region_clip_stays_on_native_grid(demo_api):
    items = search(demo_api, collections="camargue-s1")
    full = load(items)
    clip = load(items, bbox=(4.50, 43.58, 4.53, 43.60))
    assert 0 < clip.sizes["x"] < full.sizes["x"]
    part = full.sel(x=clip.x, y=clip.y)
    np.testing.assert_array_equal(part.values, clip.values)


def test_missing_asset_key(demo_api):
    items = search(demo_api, collections="camargue-s1")
    with pytest.raises(AssetError, match="has no asset.*vh"):
        load(items, assets=["vv", "vh"])


def test_missing_and_corrupt_asset_files(demo_api, tmp_path):
    items = search(demo_api, collections="camargue-s1")
    gone = json.loads(json.dumps(items))
    gone[0]["assets"]["vv"]["href"] = (tmp_path / "nothing.tif").as_uri()
    with pytest.raises(AssetError, match="is missing"):
        load(gone)
    corrupt = tmp_path / "corrupt.tif"
    corrupt.write_bytes(b"II*\x00 this is not a tiff")
    gone[0]["assets"]["vv"]["href"] = corrupt.as_uri()
    with pytest.raises(AssetError, match="cannot be read"):
        load(gone)
