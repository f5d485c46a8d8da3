"""The command line: instant help, one-line errors, the demo end to end with GDAL read-back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from geoquant.cli import main

GEOQUANT = [sys.executable, "-m", "geoquant.cli"]
HEAVY = ("dask", "distributed", "xarray", "rioxarray", "rasterio", "pyproj", "shapely", "scipy",
         "torch", "numba", "zarr", "numcodecs", "cupy", "pystac", "pystac_client", "stackstac",
         "requests", "PIL", "jsonschema")


def test_import_and_help_load_no_heavy_modules():
    code = ("import sys, geoquant, geoquant.cli, geoquant.sources, geoquant.sinks, geoquant.synth,"
            " geoquant.demo, geoquant.reason\n"
            "try:\n    geoquant.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_version_is_the_installed_one(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"geoquant {version('geoquant')}"


def test_query_that_is_not_json_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["search", "http://127.0.0.1:9", "--query", "{'eo:cloud_cover': 1}"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --query: not JSON" in err and "Traceback" not in err


def _run(*args, cwd=None):
    return subprocess.run([*GEOQUANT, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_errors_are_one_line_and_non_zero():
    from geoquant.sources import free_port

    result = _run("search", f"http://127.0.0.1:{free_port()}", "--collections", "x")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("geoquant: error: ")
    assert "Traceback" not in result.stderr


def test_bad_dates_and_bbox_in_cli(demo_api, capsys):
    assert main(["search", demo_api, "--collections", "camargue-s1", "--datetime",
                 "2020-02-01/2020-01-01"]) == 2
    assert "ends before it starts" in capsys.readouterr().err
    assert main(["search", demo_api, "--bbox", "500000", "5000000", "510000", "5010000"]) == 2
    assert "degrees" in capsys.readouterr().err


def test_catalog_build_and_search_cli(tmp_path, demo_api, capsys):
    from geoquant.demo import DEMO_DATA

    assert main(["catalog", "build", str(DEMO_DATA), str(tmp_path / "cat")]) == 0
    assert (tmp_path / "cat" / "camargue-s1" / "items.json").exists()
    assert "wrote 5 collections" in capsys.readouterr().out
    assert main(["search", demo_api, "--collections", "slovenia-s2-ndvi", "--query",
                 '{"eo:cloud_cover": {"lte": 0}}', "--datetime", "2017"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines and all("slovenia-s2-ndvi" in line for line in lines)


def test_catalog_serve_cli_answers(tmp_path, demo_catalog):
    import time
    import urllib.request

    from geoquant.sources import free_port

    port = free_port()
    proc = subprocess.Popen([*GEOQUANT, "catalog", "serve", str(demo_catalog), "--port",
                             str(port)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert f"127.0.0.1:{port}" in line
        deadline = time.monotonic() + 10
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/collections") as resp:
                    ids = {c["id"] for c in json.load(resp)["collections"]}
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert "camargue-s1" in ids
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "result"
    result = _run("demo", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out, result


def test_demo_end_to_end(demo_run, shared_data):
    out, result = demo_run
    assert "[9/9]" in result.stdout and "forest covers" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "answers", "camargue.zarr", "lausanne.zarr", "quicklook.png", "slovenia.zarr",
        "summary.json"]
    assert sorted(p.name for p in (out / "answers").iterdir()) == sorted(
        f"{name}.{ext}" for name in ("camargue-water", "lausanne-change", "slovenia-forest")
        for ext in ("json", "png", "zarr"))
    assert "Q: How many forest patches larger than 1 ha" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    # Independent figures straight from the source arrays.
    lulc = np.load(shared_data / "real/slovenia-s2/LULC.npy")[..., 0]
    share = 100.0 * np.sum(lulc == 2) / np.sum(lulc != 0)
    assert summary["slovenia"]["forest_share_percent"] == pytest.approx(share, rel=1e-12)
    import rasterio

    with rasterio.open(shared_data / "real/camargue-s1/"
                       "S1A__IW___A_20150309T173017_VV_grd_mli_geo_norm_db.tif") as src:
        vv = src.read(1)
    from skimage.filters import threshold_otsu

    threshold = summary["camargue"]["threshold_db"]
    assert summary["camargue"]["threshold_source"] == "otsu"
    assert threshold == pytest.approx(threshold_otsu(vv[vv != -99.0]), abs=0.15)
    water = np.sum((vv < threshold) & (vv != -99.0)) * 400.0
    assert summary["camargue"]["open_water_area_m2"] == pytest.approx(water, rel=1e-12)


def test_demo_answers_record_their_final_paths(demo_run):
    """The answers are written in the demo's staging folder, renamed into place at the end:
    their JSON, their evidence Zarr's attributes and the summary name the final paths."""
    out, _ = demo_run
    summary = json.loads((out / "summary.json").read_text())
    for name, entry in summary["answers"].items():
        saved = json.loads((out / "answers" / f"{name}.json").read_text())
        assert saved["outputs"] == entry["outputs"]
        for kind, path in saved["outputs"].items():
            assert Path(path) == out / "answers" / f"{name}.{kind}" and Path(path).exists()
        attrs = (out / "answers" / f"{name}.zarr" / ".zattrs").read_text()
        assert ".partial" not in attrs and str(out / "answers") in attrs
    # the Lausanne panel's caption carries the misregistration caveat the text gives
    assert "misregistration" in summary["lausanne"]["caveat"]
    change = summary["answers"]["lausanne-change"]["answer"]
    assert "mapped on both dates" in change


def test_demo_ends_without_dask_noise(demo_run):
    """Closing the cluster at the end logs no "still alive, killing" nor tracebacks."""
    _, result = demo_run
    assert "still alive" not in result.stderr and "Traceback" not in result.stderr, \
        result.stderr


def test_demo_stores_read_by_gdal(demo_run):
    import rasterio

    out, _ = demo_run
    with rasterio.open(f'ZARR:"{out / "camargue.zarr"}":/open_water') as src:
        assert src.crs.to_epsg() == 32631
        assert src.transform.almost_equals(rasterio.Affine(20, 0, 620048.241204, 0, -20,
                                                           4830114.70107))
        assert src.read(1).sum() > 0


def test_demo_refuses_used_output(demo_run):
    out, _ = demo_run
    before = sorted(p.name for p in out.iterdir())
    result = _run("demo", "--out", str(out))
    assert result.returncode == 2 and "already exists" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == before


def test_demo_refuses_unwritable_output(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = _run("demo", "--out", str(blocker / "result"))
    assert result.returncode == 2 and "not a directory" in result.stderr
    assert not Path(blocker.parent / ".result.partial").exists()
    assert os.listdir(tmp_path) == ["a-file"]

