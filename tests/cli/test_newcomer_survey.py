"""``geoquant survey`` on the class rasters a newcomer has: float codes with NaN or a nodata
value (read as NaN), and codes that are the raster's nodata value. Truth from NumPy/SciPy."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest
import rasterio
from affine import Affine
from scipy import ndimage

import geoquant.cli
from geoquant.cli import main


@pytest.fixture
def no_cluster(monkeypatch):
    """Dask's threads in this process instead of a local cluster (seconds to start)."""
    monkeypatch.setattr(geoquant.cli, "cluster_from_args",
                        lambda args, **options: contextlib.nullcontext())


def _classes(rows: int = 40, cols: int = 50) -> np.ndarray:
    codes = np.random.default_rng(3).integers(1, 4, (rows, cols)).astype(np.float32)
    codes[:6] = np.nan            # a strip of no data
    return codes


def _write(path, codes, *, nodata, dtype="float32"):
    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0],
                       count=1, dtype=dtype, crs="EPSG:32633", nodata=nodata,
                       transform=Affine(10, 0, 500000, 0, -10, 5100000)) as dst:
        dst.write(codes, 1)


@pytest.mark.parametrize("nodata", [float("nan"), -9999.0])
def test_float_class_raster_leaves_its_no_data_out_of_the_valid_area(tmp_path, capsys, nodata,
                                                                    no_cluster):
    """NaN pixels (or nodata -9999, read as NaN) were counted as valid background: the share
    of a class came out over the whole raster (30 % instead of 33.3 %)."""
    codes = _classes()
    stored = codes if np.isnan(nodata) else np.where(np.isnan(codes), nodata, codes)
    path = tmp_path / "classes.tif"
    _write(path, stored.astype(np.float32), nodata=nodata)
    assert main(["survey", str(path), "--codes", "2", "--chunk", "16", "--workers", "1",
                 "--quiet", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    mask, valid = codes == 2, np.isfinite(codes)
    assert got["valid_area_m2"] == valid.sum() * 100.0
    assert got["area_m2"] == mask.sum() * 100.0
    assert got["share_percent"] == pytest.approx(100.0 * mask.sum() / valid.sum(), rel=1e-12)
    assert got["objects"] == ndimage.label(mask, structure=np.ones((3, 3), bool))[1]


@pytest.mark.parametrize("option", ["--codes", "--near-codes"])
def test_a_code_that_is_the_nodata_value_is_refused(tmp_path, capsys, option):
    """Code 1 tagged as nodata: its pixels were excluded and the class surveyed as absent
    (0 objects near it, with no word)."""
    codes = np.nan_to_num(_classes(), nan=3).astype(np.uint8)
    path = tmp_path / "classes.tif"
    _write(path, codes, nodata=1, dtype="uint8")
    extra = ["--codes", "1"] if option == "--codes" else \
        ["--codes", "2", "--near-codes", "1", "--within-m", "20"]
    assert main(["survey", str(path), *extra, "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("geoquant: error: ") and f"{option} 1 is the raster's nodata" in err
