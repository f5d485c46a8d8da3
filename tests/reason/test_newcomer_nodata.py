"""Silent wrong answers of ``gq.ask`` about a class raster's no data, found by a newcomer;
fixed in ``geoquant.reason.layers``: a legend code that is the nodata value and a question
about the nodata code are refused by name; an in-memory array's nodata is read like a file's.
Truth from NumPy on the codes written."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr
from affine import Affine

import geoquant as gq
from geoquant.errors import GeoquantError

LEGEND = {1: "water", 2: "forest", 3: "grass"}
TRANSFORM = Affine(10, 0, 500000, 0, -10, 5000000)


def _codes() -> np.ndarray:
    codes = np.random.default_rng(0).integers(1, 4, (50, 60)).astype(np.uint8)
    codes[:5] = 255
    return codes


def _tif(path, codes, nodata):
    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0],
                       count=1, dtype=codes.dtype, crs="EPSG:32633", transform=TRANSFORM,
                       nodata=nodata) as dst:
        dst.write(codes, 1)
    return str(path)


def test_a_legend_class_whose_code_is_the_nodata_value_is_refused(tmp_path):
    """nodata=1 and the legend names 1 'water': 'What share is water?' answered 0.0 %
    (truth, if 1 is water: 29.1 % of the pixels with data)."""
    source = _tif(tmp_path / "collide.tif", _codes(), nodata=1)
    with pytest.raises(GeoquantError, match="nodata"):
        gq.ask("What share of the area is water?", source=source, product=LEGEND)


def test_asking_for_the_nodata_code_is_refused(tmp_path):
    codes = _codes().astype(np.uint16) * 1000
    codes[codes == 255_000] = 0
    source = _tif(tmp_path / "u16.tif", codes, nodata=0)
    with pytest.raises(GeoquantError, match="nodata"):
        gq.ask("What share of the area is code 0?", source=source, product="codes")


def test_an_in_memory_raster_keeps_its_nodata_like_the_same_geotiff(tmp_path):
    codes = _codes()
    rows, cols = codes.shape
    array = xr.DataArray(codes, dims=("y", "x"), coords={
        "y": 5_000_000 - 10.0 * (np.arange(rows) + 0.5),
        "x": 500_000 + 10.0 * (np.arange(cols) + 0.5),
    }).rio.write_crs("EPSG:32633").rio.write_nodata(255)
    valid = codes != 255
    truth = 100.0 * np.count_nonzero(codes == 2) / np.count_nonzero(valid)
    answer = gq.ask("What share of the area is forest?", source=array, product=LEGEND)
    assert answer.value == pytest.approx(truth, rel=1e-9)
