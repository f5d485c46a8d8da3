"""Search against real STAC APIs on loopback (rustac), with real and demo items."""

from __future__ import annotations

import datetime as dt

import pytest

from geoquant.errors import (
    CatalogUnreachableError,
    DateRangeError,
    InvalidOptionError,
    NoItemsFoundError,
    RegionError,
)
from geoquant.sources import free_port, search


def test_collections_of_real_items(real_api, real_items):
    for cid, items in real_items.items():
        found = search(real_api, collections=[cid])
        assert sorted(i["id"] for i in found) == sorted(i["id"] for i in items)


def test_bbox_selects_intersecting_items(real_api, real_items):
    target = real_items["sentinel-2-l2a"][2]  # a T46X tile
    west, south, east, north = target["bbox"]
    small = (west + 0.1, south + 0.1, west + 0.2, south + 0.2)
    found = search(real_api, collections="sentinel-2-l2a", bbox=small)
    assert target["id"] in [i["id"] for i in found]
    assert len(found) < 4


def test_datetime_range_filters(real_api, real_items):
    # STAC semantics: an item matches when its [start_datetime, end_datetime] meets the range.
    start, end = "2024-04-19T04:58:00", "2024-04-19T04:58:20"

    def when(text):
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)

    expected = sorted(i["id"] for i in real_items["sentinel-1-rtc"]
                      if when(i["properties"]["start_datetime"]) <= when(end)
                      and when(i["properties"]["end_datetime"]) >= when(start))
    found = search(real_api, collections="sentinel-1-rtc", datetime=f"{start}Z/{end}Z")
    assert sorted(i["id"] for i in found) == expected
    assert 0 < len(expected) < 4
    assert search(real_api, collections="landsat-c2-l2", datetime="2024")


def test_property_filter_on_cloud_cover(real_api, real_items):
    expected = sorted(i["id"] for i in real_items["landsat-c2-l2"]
                      if i["properties"]["eo:cloud_cover"] < 50)
    found = search(real_api, collections="landsat-c2-l2", query={"eo:cloud_cover": {"lt": 50}})
    assert sorted(i["id"] for i in found) == expected
    assert 0 < len(expected) < 4


def test_geojson_region_with_projected_crs(demo_api, shared_data):
    found = search(demo_api, collections="slovenia-s2-ndvi",
                   region=shared_data / "real/slovenia-s2/bbox.geojson")
    assert len(found) == 68


def test_max_items_and_sorting(demo_api):
    found = search(demo_api, collections="slovenia-s2-ndvi", max_items=5)
    dates = [i["properties"]["datetime"] for i in found]
    assert len(found) == 5 and dates == sorted(dates)


def test_no_items_says_what_to_widen(demo_api):
    with pytest.raises(NoItemsFoundError, match="widen"):
        search(demo_api, collections="camargue-s1", bbox=(10, 10, 11, 11))


def test_unknown_collection_lists_known(demo_api):
    with pytest.raises(NoItemsFoundError, match="camargue-s1"):
        search(demo_api, collections="sentinel-9")


def test_unreachable_catalog():
    with pytest.raises(CatalogUnreachableError, match="catalog serve"):
        search(f"http://127.0.0.1:{free_port()}", collections="x")


@pytest.mark.parametrize("value", ["2021-06-01/2021-01-01", "yesterday", "2021-13-01"])
def test_invalid_date_range(demo_api, value):
    with pytest.raises(DateRangeError):
        search(demo_api, collections="camargue-s1", datetime=value)


@pytest.mark.parametrize("bbox", [(500000, 5000000, 510000, 5010000), (1, 2, 3), (5, 10, 6, 9)])
def test_invalid_bbox(demo_api, bbox):
    with pytest.raises(RegionError):
        search(demo_api, collections="camargue-s1", bbox=bbox)


def test_unknown_query_operator(demo_api):
    with pytest.raises(InvalidOptionError, match="operator"):
        search(demo_api, collections="camargue-s1", query={"eo:cloud_cover": {"less": 1}})


@pytest.mark.parametrize("query", [[{"eo:cloud_cover": {"lt": 1}}], {"eo:cloud_cover": 1}])
def test_malformed_query(demo_api, query):
    with pytest.raises(InvalidOptionError, match="must map"):
        search(demo_api, collections="camargue-s1", query=query)
