"""Every Zarr store geoquant writes reads back as a source (issue 32 item 1): the stores of
``sinks.write_zarr`` (v2 and v3, integer classes with nodata and float backscatter) and the
evidence stores of ``ask --out``, through ``sources.open_raster``, ``ask`` and the CLI in a fresh
process (where nothing else has imported rioxarray)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import geoquant as gq
from geoquant.errors import StoreError

QUESTION = "What share of the area is code 12?"


@pytest.fixture(scope="module")
def lausanne(shared_data):
    return shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "geoquant.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=180)


@pytest.mark.filterwarnings("ignore:The data type")      # zarr: v3 string band names
@pytest.mark.parametrize("zarr_format", [2, 3])
def test_a_written_class_raster_reads_back_as_the_geotiff_does(lausanne, tmp_path,
                                                                zarr_format):
    tif = gq.sources.open_raster(lausanne)
    store = gq.sinks.write_zarr(tif.to_dataset(name="landuse"), tmp_path / "lu.zarr",
                                zarr_format=zarr_format)
    arr = gq.sources.open_raster(store)
    assert arr.dims == tif.dims and arr.dtype == np.uint8 and arr.rio.nodata == 255
    assert arr.rio.crs == tif.rio.crs
    np.testing.assert_allclose(arr.rio.transform()[:6], tif.rio.transform()[:6], rtol=1e-12)
    np.testing.assert_array_equal(arr.values, tif.values)
    from_zarr = gq.ask(QUESTION, source=str(store), product="codes", thresholds=None)
    from_tif = gq.ask(QUESTION, source=str(lausanne), product="codes", thresholds=None)
    assert from_zarr.value == from_tif.value


def test_a_written_float_raster_reads_back_with_nan(shared_data, tmp_path):
    from geoquant.testing.real import camargue_vv

    vv = camargue_vv(shared_data)
    store = gq.sinks.write_zarr(vv.to_dataset(name="vv"), tmp_path / "vv.zarr")
    arr = gq.sources.open_raster(store)
    assert arr.rio.crs == vv.rio.crs
    np.testing.assert_array_equal(np.asarray(arr.values).squeeze(),
                                  np.asarray(vv.values).squeeze())


def test_the_cli_answers_from_a_zarr_store_in_a_fresh_process(lausanne, tmp_path):
    store = gq.sinks.write_zarr(gq.sources.open_raster(lausanne).to_dataset(name="landuse"),
                                tmp_path / "lu.zarr")
    done = _cli("ask", QUESTION, "--source", store, "--product", "codes", "--json", "--quiet")
    assert done.returncode == 0, done.stderr                   # was: no attribute 'rio'
    with_tif = _cli("ask", QUESTION, "--source", lausanne, "--product", "codes", "--json",
                    "--quiet")
    assert json.loads(done.stdout)["value"] == json.loads(with_tif.stdout)["value"]
    ds = subprocess.run([sys.executable, "-c", f"import geoquant as gq; "
                         f"print(gq.sinks.open_zarr({str(store)!r}).rio.crs)"],
                        capture_output=True, text=True, timeout=120)
    assert ds.returncode == 0 and "2056" in ds.stdout, ds.stderr


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_ask_evidence_stores_are_sources(shared_data, tmp_path):
    """``ask --out`` evidence: each mask reads back by its folder, or with variable=."""
    from PIL import Image

    from geoquant.testing.squid import lausanne_indices

    codes = lausanne_indices(shared_data, 2006)
    picture = tmp_path / "lausanne.png"
    Image.fromarray(codes, mode="L").save(picture)
    legend = {"0": "no data", "3": "water", "5": "forest"}
    out = tmp_path / "evidence.zarr"
    gq.ask("How much forest lies within 200 m of water, in hectares?", source=str(picture),
           gsd=100.0, product=legend, out=out, thresholds=None)
    names = sorted(p.name for p in out.iterdir() if (p / ".zarray").is_file()
                   and p.name not in ("x", "y", "spatial_ref"))
    assert len(names) >= 2
    with pytest.raises(StoreError, match="choose one with variable=, or give its folder"):
        gq.sources.open_raster(out)
    water = next(n for n in names if "water" in n)
    by_folder = gq.sources.open_raster(out / water)
    by_name = gq.sources.open_raster(out, variable=water)
    np.testing.assert_array_equal(by_folder.values, by_name.values)
    np.testing.assert_array_equal(by_folder.values == 1, codes == 3)
    assert by_folder.rio.nodata == 255 and by_folder.rio.crs is not None
    share = gq.ask("What share of the area is code 1?", source=str(out / water),
                   product="codes", thresholds=None)
    assert share.value == pytest.approx(100 * (codes == 3).sum() / (codes != 0).sum(),
                                        rel=1e-9)
    with pytest.raises(StoreError, match="is the array"):
        gq.sources.open_raster(out / water, variable="other")
