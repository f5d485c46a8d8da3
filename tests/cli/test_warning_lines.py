"""Issue 32 item 15: a warning is one ``geoquant: warning:`` line, never Python's file name
and source line, with ``--quiet`` too. Real data: one row of the Lausanne land-use map, whose
evidence store draws write_zarr's single-row warning."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.fixture
def one_row(shared_data, tmp_path):
    rasterio = pytest.importorskip("rasterio")
    from rasterio.windows import Window

    window = Window(0, 100, 200, 1)
    with rasterio.open(shared_data / "real" / "lausanne-landuse" / "ls100_06.tif") as src:
        profile = dict(src.profile, height=1, width=200, tiled=False,
                       transform=src.window_transform(window))
        data = src.read(window=window)
    for key in ("blockxsize", "blockysize"):
        profile.pop(key, None)
    path = tmp_path / "row.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data)
    return path


def test_a_warning_under_quiet_is_one_line_without_source(one_row, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "geoquant.cli", "ask", "What share of the area is code 2?",
         "--source", str(one_row), "--product", "codes", "--quiet",
         "--out", str(tmp_path / "r.zarr")],
        capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("geoquant: warning: The raster is 1 x 200 pixels")
    assert "Warning:" not in done.stderr and ".py:" not in done.stderr
    assert "sinks.write_zarr" not in done.stderr          # the source line it came from
