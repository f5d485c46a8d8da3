"""The field's conventions a newcomer expects (issue 28, item 9): bands in their natural order,
a clear mask named "clear", evidence as an xarray Dataset, provenance without "None" dates or
"1 STAC items", and runs without warnings that are not the user's to act on."""

from __future__ import annotations

import json
import subprocess
import sys

import geoquant as gq


def test_bands_load_in_their_natural_order_and_the_clear_mask_is_named(demo_api):
    items = gq.sources.search(demo_api, collections=["slovenia-s2-l1c"],
                              datetime="2015-07-01/2015-07-31")
    cube = gq.sources.load(items)
    bands = [str(b) for b in cube.band.values]
    assert bands == ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09",
                     "B10", "B11", "B12"]
    assert gq.sources.clear_mask(items, like=cube).name == "clear"


def test_one_date_provenance_and_evidence_as_a_dataset(demo_api, tmp_path):
    answer = gq.ask("How many water patches larger than 1 ha are there?",
                    source=f"{demo_api}/collections/camargue-s1", thresholds=None,
                    out=tmp_path / "water.zarr")
    saved = json.loads((tmp_path / "water.json").read_text())
    assert "None" not in saved["provenance"]["dates"] and "date" in saved["provenance"]["dates"]
    assert "; 1 STAC item" in answer.summary() and "1 STAC items" not in answer.summary()
    evidence = answer.evidence.to_xarray()
    assert set(evidence.data_vars) == set(answer.evidence) and "water" in evidence
    assert evidence["water"].rio.crs == answer.evidence["water"].rio.crs


def test_cli_ask_on_a_png_given_its_gsd_has_no_warnings(shared_data, tmp_path):
    """A real land-use map saved as a plain PNG (no georeferencing), read at its GSD."""
    from PIL import Image

    from geoquant.testing.squid import lausanne_indices

    png = tmp_path / "map.png"
    Image.fromarray(lausanne_indices(shared_data, 2006), mode="L").save(png)
    result = subprocess.run(
        [sys.executable, "-m", "geoquant.cli", "ask", "What share of the image is code 5?",
         "--source", str(png), "--product", "codes", "--gsd", "100"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr and "All-NaN" not in result.stderr, result.stderr
