"""Building STAC collections and items for folders of local rasters."""

from __future__ import annotations

import json

import numpy as np
import pytest
from rasterio.transform import from_origin

from geoquant.errors import AssetError, OutputPathError
from geoquant.sources import build_catalog, load, search
from geoquant.sources._catalog import _date_from_name
from geoquant.testing.stac import write_raster


def test_demo_catalog_items_carry_metadata(demo_catalog):
    collections = sorted(p.name for p in demo_catalog.iterdir())
    assert collections == ["camargue-s1", "lausanne-landuse", "slovenia-lulc", "slovenia-s2-l1c",
                           "slovenia-s2-ndvi"]
    s2 = json.loads((demo_catalog / "slovenia-s2-l1c/items.json").read_text())["features"]
    item = s2[0]
    b04 = item["assets"]["B04"]
    assert b04["eo:bands"] == [{"name": "B04", "common_name": "red"}]
    assert b04["raster:bands"][0]["scale"] == 1e-4 and b04["raster:bands"][0]["nodata"] == 0
    assert b04["proj:epsg"] == 32633 and b04["proj:shape"] == [101, 100]
    assert b04["href"].startswith("file:///")
    assert item["properties"]["eo:cloud_cover"] == 0.0
    s1 = json.loads((demo_catalog / "camargue-s1/items.json").read_text())["features"][0]
    assert s1["properties"]["sar:polarizations"] == ["VV"]
    assert s1["assets"]["vv"]["raster:bands"][0]["unit"] == "dB"
    lulc = json.loads((demo_catalog / "slovenia-lulc/items.json").read_text())["features"][0]
    classes = lulc["assets"]["lulc"]["classification:classes"]
    assert {c["value"]: c["description"] for c in classes} == {
        0: "no data", 1: "cultivated land", 2: "forest", 3: "grassland", 4: "shrubland",
        8: "artificial surface"}
    coll = json.loads((demo_catalog / "slovenia-s2-l1c/collection.json").read_text())
    assert "eo-learn" in coll["sci:citation"] and coll["license"] == "MIT"


def test_flat_folder_with_dates_in_names(tmp_path):
    root = tmp_path / "rasters" / "my-maps"
    values = (np.arange(20 * 30) % 256).astype(np.uint8).reshape(20, 30)
    for name in ("map_2019-05-01.tif", "map_20200601.tif"):
        write_raster(root / name, values, crs="EPSG:32633",
                     transform=from_origin(500000, 5100000, 10, 10), nodata=255)
    written = build_catalog(tmp_path / "rasters", tmp_path / "catalog")
    items = json.loads(written[1].read_text())["features"]
    assert [i["properties"]["datetime"] for i in items] == ["2019-05-01T00:00:00Z",
                                                            "2020-06-01T00:00:00Z"]
    from geoquant.sources import CatalogServer

    with CatalogServer(tmp_path / "catalog") as server:
        found = search(server.url, collections="my-maps", datetime="2020")
        cube = load(found)
    assert cube.sizes["time"] == 1
    expected = np.where(values == 255, np.nan, values.astype(np.float32))  # 255 is nodata
    np.testing.assert_array_equal(cube.values[0, 0], expected)


@pytest.mark.parametrize(("name", "expected"), [
    ("S1A_IW_20150309T173017", "2015-03-09T17:30:17Z"),
    ("S1A_IW_20150309T173017_VV_2016-01-02", "2015-03-09T17:30:17Z"),  # most precise first
    ("map_2019-05-01", "2019-05-01T00:00:00Z"),
    ("map_20200601", "2020-06-01T00:00:00Z"),
    ("landuse_2006", "2006-01-01T00:00:00Z"),
    ("S2_20151340T250000_2014", "2014-01-01T00:00:00Z"),  # impossible dates are skipped
    ("tile_123456789", None),
    ("undated", None),
])
def test_dates_in_item_names(name, expected):
    assert _date_from_name(name) == expected


def test_raster_without_date_is_refused(tmp_path):
    write_raster(tmp_path / "src/coll/undated.tif", np.zeros((4, 4), np.uint8),
                 crs="EPSG:32633", transform=from_origin(0, 40, 10, 10))
    with pytest.raises(AssetError, match="no date"):
        build_catalog(tmp_path / "src", tmp_path / "out")


def test_folder_without_rasters(tmp_path):
    (tmp_path / "empty" / "coll").mkdir(parents=True)
    with pytest.raises(OutputPathError, match="no rasters"):
        build_catalog(tmp_path / "empty", tmp_path / "out")
