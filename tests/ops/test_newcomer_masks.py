"""Masks made the way the README shows (``forest = landcover == 2``) from a class raster that
has a nodata value: the comparison keeps the raster's nodata attribute but turns its no-data
pixels into False, so a share came out over the whole raster (30 % for 33.3 %), and a 0/1
mask that kept nodata 0 read its background as no data (100 %). Truth from NumPy."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from affine import Affine

import geoquant as gq
from geoquant.errors import MaskError


@pytest.fixture
def landcover(tmp_path):
    """Class codes 1-3 with a band of no data (255), read as a newcomer reads a GeoTIFF."""
    codes = np.random.default_rng(0).integers(1, 4, (50, 60)).astype(np.uint8)
    codes[:5] = 255
    with rasterio.open(tmp_path / "lc.tif", "w", driver="GTiff", width=60, height=50, count=1,
                       dtype="uint8", crs="EPSG:32633", nodata=255,
                       transform=Affine(10, 0, 500000, 0, -10, 5000000)) as dst:
        dst.write(codes, 1)
    return codes, gq.sources.open_raster(tmp_path / "lc.tif").squeeze("band", drop=True)


def test_a_share_of_a_compared_mask_needs_the_valid_region(landcover):
    codes, lc = landcover
    for measure in (gq.ops.share, gq.ops.complement, gq.ops.fragmentation):
        with pytest.raises(MaskError, match="valid=landcover != 255"):
            measure(lc == 2)
    truth = 100.0 * np.count_nonzero(codes == 2) / np.count_nonzero(codes != 255)
    assert gq.ops.share(lc == 2, valid=lc != 255) == pytest.approx(truth, rel=1e-12)
    # area and count do not depend on the valid region: still answered
    assert gq.ops.area(lc == 2) == np.count_nonzero(codes == 2) * 100.0


def test_a_0_1_mask_whose_nodata_is_0_is_refused(tmp_path):
    codes = np.random.default_rng(1).integers(0, 3, (30, 40)).astype(np.uint8)
    with rasterio.open(tmp_path / "zero.tif", "w", driver="GTiff", width=40, height=30,
                       count=1, dtype="uint8", crs="EPSG:32633", nodata=0,
                       transform=Affine(10, 0, 500000, 0, -10, 5000000)) as dst:
        dst.write(codes, 1)
    lc = gq.sources.open_raster(tmp_path / "zero.tif").squeeze("band", drop=True)
    water = (lc == 1).astype(np.uint8)          # keeps nodata 0, its background value
    for measure in (gq.ops.share, gq.ops.area, gq.ops.count):
        with pytest.raises(MaskError, match="nodata value 0 is also one of its values"):
            measure(water)
    cleared = water.rio.write_nodata(None)
    truth = 100.0 * np.count_nonzero(codes == 1) / np.count_nonzero(codes != 0)
    assert gq.ops.share(cleared, valid=lc != 0) == pytest.approx(truth, rel=1e-12)
