"""Operators take a one-band raster as it opens, ``(band, y, x)`` with one band, as users of
rioxarray expect (issue 28 item 9): no ``.squeeze()`` needed."""

from __future__ import annotations

import numpy as np
import pytest

import geoquant as gq
from geoquant.data import DEMO_DATA
from geoquant.errors import MaskError


@pytest.fixture(scope="module")
def landuse():
    root = DEMO_DATA / "lausanne-landuse"
    return (gq.sources.open_raster(root / "landuse_2006" / "landuse.tif"),
            gq.sources.open_raster(root / "landuse_2012" / "landuse.tif"))


def test_operators_read_one_band_as_two_dimensions(landuse):
    opened, _ = landuse
    assert opened.dims == ("band", "y", "x") and opened.sizes["band"] == 1
    flat = opened.squeeze("band", drop=True)
    mask, flat_mask = opened == 41, flat == 41
    assert gq.ops.count(mask) == gq.ops.count(flat_mask)
    assert gq.ops.area(mask) == gq.ops.area(flat_mask)
    assert gq.ops.label(mask).dims == ("y", "x")
    np.testing.assert_array_equal(gq.ops.distance(mask).values,
                                  gq.ops.distance(flat_mask).values)


def test_change_of_two_opened_rasters_on_one_grid(landuse):
    before, _ = landuse
    after = before.where(before != 41, 2)             # the same grid, code 41 became 2
    result = gq.ops.change(before, after)
    assert result is not None


def test_several_bands_are_still_refused(landuse):
    opened, _ = landuse
    two = opened.isel(band=[0, 0]) == 41
    with pytest.raises(MaskError, match="3 dimensions"):
        gq.ops.count(two)
