"""Local rasters honour the region and dates asked for, with the errors of STAC sources, and a
change between rasters with different footprints counts only where both have data."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio

from geoquant.errors import DateRangeError, RegionError
from geoquant.reason import ask

QUESTION = "What is the area of code 12 in ha?"


@pytest.fixture(scope="module")
def lausanne(shared_data):
    return shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"


def _lonlat_bounds(path):
    from rasterio.warp import transform_bounds

    with rasterio.open(path) as src:
        return transform_bounds(src.crs, "EPSG:4326", *src.bounds)


def test_a_bbox_clips_a_local_raster(lausanne):
    west, south, east, north = _lonlat_bounds(lausanne)
    whole = ask(QUESTION, source=str(lausanne), product="codes", thresholds=None)
    half = ask(QUESTION, source=str(lausanne), product="codes", thresholds=None,
               bbox=(west, south, (west + east) / 2, north))
    assert 0 < half.value < whole.value
    assert half.provenance["region"][2] == pytest.approx((west + east) / 2)
    with rasterio.open(lausanne) as src:                 # scipy-free truth: the left columns
        codes = src.read(1)
        from rasterio.warp import transform

        xs, _ = transform("EPSG:4326", src.crs, [(west + east) / 2], [(south + north) / 2])
        column = int((xs[0] - src.bounds.left) / src.res[0])
        assert abs(half.value - (codes[:, :column] == 12).sum()) <= (codes[:, column] == 12).sum()


@pytest.mark.parametrize(("bbox", "message"), [
    ((100.0, 10.0, 100.1, 10.1), "lies outside the rasters"),
    ((6.7, 46.6, 6.5, 46.5), "south < north|west"),
    ((6.5, 46.6, 6.7, 46.5), "south < north"),
])
def test_a_region_off_the_data_or_reversed_is_refused(lausanne, bbox, message):
    with pytest.raises(RegionError, match=message):
        ask(QUESTION, source=str(lausanne), product="codes", bbox=bbox)


def test_an_unreadable_or_reversed_date_range_is_refused(lausanne):
    with pytest.raises(DateRangeError, match="cannot read"):
        ask(QUESTION, source=str(lausanne), product="codes", datetime="last tuesday")
    with pytest.raises(DateRangeError, match="ends before it starts"):
        ask(QUESTION, source=str(lausanne), product="codes", datetime="2012-01-01/2006-01-01")
    answer = ask(QUESTION, source=str(lausanne), product="codes", thresholds=None,
                 datetime="2006-01-01/2012-12-31")
    assert "not applied" in answer.provenance["datetime"]


def test_change_between_different_footprints_is_counted_on_the_common_area(lausanne,
                                                                            tmp_path):
    """Two identical maps, one cut in half: no change (was: a false loss of thousands of ha)."""
    with rasterio.open(lausanne) as src:
        profile, codes = src.profile, src.read(1)
    half = tmp_path / "half.tif"
    width = codes.shape[1] // 2
    profile.update(width=width, transform=profile["transform"])
    with rasterio.open(half, "w", **profile) as dst:
        dst.write(codes[:, :width], 1)
    answer = ask("What is the net change in code 12 area between 2006 and 2012, in ha?",
                 source=[str(lausanne), str(half)], product="codes", thresholds=None)
    assert answer.value == 0
    lost = ask("How much code 12 area was lost between 2006 and 2012, in ha?",
               source=[str(lausanne), str(half)], product="codes", thresholds=None)
    assert lost.value == 0
    assert np.isfinite(answer.value)
