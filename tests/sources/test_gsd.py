"""A stated pixel size (GSD) is checked wherever a source has georeferencing of its own
(issue 32 item 5): geographic rasters, STAC sources and georeferenced arrays; implausible
figures (1e-300, negative, inf, NaN) are refused before anything is read."""

from __future__ import annotations

import math

import numpy as np
import pytest

import geoquant as gq
from geoquant.errors import AssetError, InvalidOptionError
from geoquant.testing.real import slovenia_reference

QUESTION = "What share of the area is code 12?"


@pytest.fixture(scope="module")
def geographic(shared_data, tmp_path_factory):
    """The Lausanne land-use map warped (nearest) onto EPSG:4326, a geographic grid."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    src_path = shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"
    out = tmp_path_factory.mktemp("geographic") / "lausanne-4326.tif"
    with rasterio.open(src_path) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:4326", src.width, src.height, *src.bounds)
        profile = src.profile | {"crs": "EPSG:4326", "transform": transform, "width": width,
                                 "height": height}
        with rasterio.open(out, "w", **profile) as dst:
            reproject(rasterio.band(src, 1), rasterio.band(dst, 1),
                      resampling=Resampling.nearest)
    return out


def test_a_geographic_raster_checks_the_stated_gsd(geographic):
    arr = gq.sources.open_raster(geographic)
    low, high = gq.sources.metric_pixel_sizes(arr)
    assert 60 < low <= high < 140                   # about 100 m pixels at 46.5° N
    for fine in (low, high, (low + high) / 2):
        gq.sources.open_raster(geographic, gsd_m=fine)     # accepted
    for wrong in (10.0, 1000.0, 0.5):
        with pytest.raises(AssetError, match="contradicts .*geographic grid"):
            gq.sources.open_raster(geographic, gsd_m=wrong)
        with pytest.raises(AssetError, match="drop the GSD"):
            gq.ask(QUESTION, source=str(geographic), product="codes", gsd=wrong)
    answer = gq.ask(QUESTION, source=str(geographic), product="codes", gsd=high,
                    thresholds=None)
    assert answer.value == gq.ask(QUESTION, source=str(geographic), product="codes",
                                  thresholds=None).value


@pytest.mark.parametrize("bad", [1e-300, -1.0, 0.0, math.inf, -math.inf, math.nan, True,
                                 "10", 1e7])
def test_implausible_gsds_are_refused(shared_data, bad):
    tif = shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"
    with pytest.raises(InvalidOptionError, match="number of metres per pixel"):
        gq.sources.open_raster(tif, gsd_m=bad)
    with pytest.raises(InvalidOptionError):
        gq.ask(QUESTION, source=str(tif), product="codes", gsd=bad)


def test_a_tiny_gsd_on_a_picture_is_refused_not_answered_as_zero(shared_data, tmp_path):
    """Was: --gsd 1e-300 on a PNG answered 0 m²."""
    from PIL import Image

    codes = slovenia_reference(shared_data).values.astype(np.uint8)
    path = tmp_path / "lulc.png"
    Image.fromarray(codes, mode="L").save(path)
    with pytest.raises(InvalidOptionError, match="from 0.001 to 100000"):
        gq.ask("How much area is code 2, in m²?", source=str(path), product="codes",
               gsd=1e-300)


def test_a_georeferenced_array_checks_the_stated_gsd(shared_data):
    cube = slovenia_reference(shared_data).expand_dims(band=["lulc"]).astype(np.float32)
    with pytest.raises(AssetError, match="the array's own georeferencing"):
        gq.ask("What share of the area is code 2?", source=cube, product="codes", gsd=30.0)
    ok = gq.ask("What share of the area is code 2?", source=cube, product="codes", gsd=10.0,
                thresholds=None)
    assert ok.value == pytest.approx(100 * (cube.values == 2).mean())   # no nodata declared


def test_a_stac_source_checks_the_stated_gsd(demo_api):
    url = f"{demo_api}/collections/slovenia-lulc"
    with pytest.raises(AssetError, match="collection .* own georeferencing"):
        gq.ask("What share of the area is forest?", source=url, gsd=30.0)
    assert gq.ask("What share of the area is forest?", source=url, gsd=10.0,
                  thresholds=None).value > 0
