"""``geoquant survey``: a class raster surveyed in batches on a local cluster of worker
processes; figures equal scipy's on the whole raster; resumable; one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio
from scipy import ndimage

from geoquant.cli import main
from geoquant.demo import DEMO_DATA

LANDUSE = DEMO_DATA / "lausanne-landuse" / "landuse_2012" / "landuse.tif"


def test_survey_of_a_real_raster_equals_scipy_and_resumes(tmp_path, capsys):
    with rasterio.open(LANDUSE) as src:
        codes, nodata = src.read(1), src.nodata
        dx, dy = src.res
    mask, water = np.isin(codes, [2, 3]), codes == 41
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    areas = np.bincount(labels.ravel())[1:] * dx * dy
    near = mask & (ndimage.distance_transform_edt(~water, sampling=(dy, dx)) <= 300.0)
    ids = np.unique(labels[near])
    ids = ids[ids > 0]

    args = ["survey", str(LANDUSE), "--codes", "2", "3", "--near-codes", "41", "--within-m",
            "300", "--min-area-m2", "20000", "--chunk", "64", "--tiles-per-batch", "6",
            "--workers", "1", "--checkpoint", str(tmp_path / "state"), "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    got = json.loads(captured.out)
    assert "Dask dashboard:" in captured.err and "batch 8/8" in captured.err
    assert got["objects"] == n
    assert got["objects_min_area"] == np.count_nonzero(areas >= 20000.0)
    assert got["objects_near"] == np.count_nonzero(areas[ids - 1] >= 20000.0)
    assert got["area_m2"] == pytest.approx(mask.sum() * dx * dy, rel=1e-12)
    assert got["valid_area_m2"] == pytest.approx((codes != nodata).sum() * dx * dy, rel=1e-12)
    assert got["tiles"] == 48 and got["batches"] == 8

    assert main(args) == 0  # again: every batch comes from the checkpoint
    again = json.loads(capsys.readouterr().out)
    assert again["resumed_batches"] == 8
    assert {k: again[k] for k in ("objects", "objects_near", "area_m2")} == \
        {k: got[k] for k in ("objects", "objects_near", "area_m2")}


@pytest.mark.parametrize(("args", "message"), [
    (["synthetic:ten", "--codes", "2"], "write synthetic:SIDE"),
    (["/no/such/raster.tif", "--codes", "2"], "does not exist"),
    ([str(LANDUSE), "--codes", "2", "--within-m", "100"], "near and within_m go together"),
    ([str(LANDUSE), "--codes", "2", "--cluster", "nonesuch"], "nonesuch"),
])
def test_survey_bad_input_is_one_line(args, message, capsys):
    assert main(["survey", *args, "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("geoquant: error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize("nodata", [0, 1])
def test_survey_of_a_raster_whose_nodata_is_0_or_1(tmp_path, nodata, capsys):
    """The mask's 0/1 values are not the raster's codes: its nodata value must not carry over."""
    from affine import Affine

    codes = np.random.default_rng(7).integers(0, 4, (64, 64)).astype(np.uint8)
    path = tmp_path / "classes.tif"
    with rasterio.open(path, "w", driver="GTiff", width=64, height=64, count=1, dtype="uint8",
                       crs="EPSG:32633", transform=Affine(10, 0, 500000, 0, -10, 5100000),
                       nodata=nodata) as dst:
        dst.write(codes, 1)
    wanted = [c for c in (2, 3) if c != nodata]
    assert main(["survey", str(path), "--codes", *map(str, wanted), "--chunk", "16",
                 "--tiles-per-batch", "4", "--cluster", "local", "--workers", "1",
                 "--json"]) == 0
    got = json.loads(capsys.readouterr().out)
    mask = np.isin(codes, wanted)
    assert got["objects"] == ndimage.label(mask, structure=np.ones((3, 3), bool))[1]
    assert got["area_m2"] == mask.sum() * 100.0
    assert got["valid_area_m2"] == (codes != nodata).sum() * 100.0


# --- progress within seconds, one line on Ctrl-C ----------------------------------------------

def test_batches_are_sized_from_the_region_and_the_threads():
    """A 30000² region is 15 x 15 tiles of 2048²: 256 tiles per batch made it one silent batch;
    the default now gives one tile per worker thread (and never a quarter of the region)."""
    from geoquant.tiling._batches import MAX_TILES_PER_BATCH, auto_tiles_per_batch

    assert auto_tiles_per_batch(15 * 15, 2) == 2
    assert auto_tiles_per_batch(15 * 15, 64) == 57
    assert auto_tiles_per_batch(10_000, 1000) == MAX_TILES_PER_BATCH
    assert auto_tiles_per_batch(2, 16) == 1


def test_survey_reports_progress_batch_by_batch_by_default():
    """The real Lausanne map, upsampled to 6 x 6 tiles of 2048²: several progress lines,
    each with an estimate of the time left."""
    import xarray as xr

    import geoquant as gq

    raster = gq.sources.open_raster(LANDUSE)
    raster = raster.squeeze("band", drop=True) if "band" in raster.dims else raster
    codes = np.kron(raster.values, np.ones((38, 26), raster.dtype))[:12_000, :12_000]
    x = np.arange(codes.shape[1]) * 4.0 + 2_500_000.0
    y = 1_200_000.0 - np.arange(codes.shape[0]) * 4.0
    mask = xr.DataArray(codes == 2, dims=("y", "x"), coords={"y": y, "x": x})
    mask = mask.rio.write_crs("EPSG:2056")
    lines = []
    result = gq.ops.survey(mask, say=lines.append)
    assert result.batches >= 4
    assert len([line for line in lines if line.startswith("batch ")]) == result.batches
    assert all("left" in line for line in lines if line.startswith("batch "))


@pytest.mark.slow
def test_ctrl_c_prints_one_line(tmp_path):
    """Ctrl-C reaches the whole foreground process group (the CLI and its worker
    processes): the run stops with status 130 and one line, not the workers' tracebacks."""
    import os
    import signal
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "geoquant.cli", "survey", "synthetic:8000",
                             "--codes", "6", "--near-codes", "1", "--within-m", "100"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, cwd=tmp_path)
    seen = []
    while not any(line.startswith("batch ") for line in seen):
        line = proc.stderr.readline()
        assert line, f"the survey ended before its first batch: {seen}"
        seen.append(line)
    os.killpg(proc.pid, signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert rest.strip().splitlines() == [
        "geoquant: interrupted; nothing half-written is kept, locks are released"], rest
