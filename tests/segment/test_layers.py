"""One decision point from source to segmenter (issue 30 item 1, issue 28 item 3): ask, eval
and the monitor choose the same segmenter for the same source, accept ``sar-water`` by name,
and refuse an ordinary raster saying what to pass instead."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import geoquant as gq
from geoquant import segment
from geoquant.errors import BandError, ConfigError
from geoquant.testing.real import CAMARGUE_VV, camargue_vv, slovenia_scenes

WATER = "What share of the area is water?"


def _monitor_choice(kind, cube, threshold_db=None):
    from geoquant.monitor._segmenters import choose_segmenter
    from geoquant.monitor._specs import SourceSpec

    spec = SourceSpec("s", "collection", (), (), segmenter=kind, threshold_db=threshold_db)
    return choose_segmenter(spec, [{"id": "x", "assets": {}}], cube)


def _eval_one(tmp_path, image, question, **options):
    folder = tmp_path / "eval"
    folder.mkdir(exist_ok=True)
    shutil.copy(image, folder / image.name)
    record = {"id": "r1", "question": question, "answer": 0.0, "type": "percentage",
              "tier": 1, "image": image.name, "imagery": image.name,
              "acceptable_range_lower": 0.0, "acceptable_range_upper": 0.0}
    path = folder / "questions.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (outcome,) = gq.reason.evaluate(path, use="imagery", **options).outcomes
    return outcome


def test_sar_water_by_name_in_ask_eval_and_monitor(shared_data, tmp_path):
    tif = shared_data / "real" / CAMARGUE_VV
    chosen, cube = segment.choose_segmenter(gq.sources.open_raster(tif), segmenter="sar-water")
    assert isinstance(chosen, segment.SarWater) and list(cube.band.values) == ["vv"]
    fitted = chosen.fit(cube.expand_dims(time=1).transpose("time", "band", "y", "x"))
    answer = gq.ask(WATER, source=str(tif), segmenter="sar-water", thresholds=None)
    assert answer.provenance["segmenter"] == segment.describe(fitted)
    outcome = _eval_one(tmp_path, tif, WATER, segmenter="sar-water")
    assert outcome.error is None and outcome.value == answer.value
    monitored = _monitor_choice("sar-water", camargue_vv(shared_data))
    assert isinstance(monitored, segment.SarWater)
    assert segment.describe(monitored.fit(camargue_vv(shared_data))) == \
        segment.describe(fitted)
    # auto on a cube that says it is radar (a VV band): SarWater everywhere
    assert isinstance(_monitor_choice("auto", camargue_vv(shared_data)), segment.SarWater)
    assert isinstance(segment.choose_segmenter(camargue_vv(shared_data))[0], segment.SarWater)


def test_optical_imagery_gets_the_spectral_rules_everywhere(shared_data):
    scene = slovenia_scenes(shared_data).isel(time=0)
    chosen, _ = segment.choose_segmenter(scene)
    monitored = _monitor_choice("auto", scene)
    assert segment.describe(chosen) == segment.describe(monitored)
    answer = gq.ask("What share of the area is forest?", source=scene, thresholds=None)
    assert answer.provenance["segmenter"]["name"] == chosen.name


@pytest.mark.parametrize("kind", ["class map", "sar", "png mask"])
def test_ordinary_rasters_are_refused_with_what_to_pass(shared_data, tmp_path, kind):
    """Was: "spectral rules needs band(s) green (Sentinel-2 B03) ..." for every one."""
    from PIL import Image

    if kind == "class map":
        path = shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"
    elif kind == "sar":
        path = shared_data / "real" / CAMARGUE_VV
    else:
        lulc = np.load(shared_data / "real" / "slovenia-s2" / "LULC.npy")[..., 0]
        path = tmp_path / "forest.png"
        Image.fromarray((lulc == 2).astype(np.uint8), mode="L").save(path)
    gsd = 10.0 if kind == "png mask" else None
    advice = r"--product codes.*JSON legend.*--segmenter sar-water"
    with pytest.raises(BandError, match=advice):
        gq.ask(WATER, source=str(path), gsd=gsd)
    with pytest.raises(BandError, match=advice):
        segment.choose_segmenter(gq.sources.open_raster(path, gsd_m=gsd), source=str(path))
    if gsd is None:         # eval reads a picture's GSD from the question
        outcome = _eval_one(tmp_path, path, WATER)
        assert outcome.value is None and "--product codes" in outcome.error
    with pytest.raises(ConfigError, match="band thresholds"):  # the monitor's own remedy
        _monitor_choice("auto", gq.sources.open_raster(path, gsd_m=gsd))


def test_the_cli_accepts_sar_water(shared_data, capsys):
    from geoquant.cli import main

    tif = shared_data / "real" / CAMARGUE_VV
    assert main(["ask", WATER, "--source", str(tif), "--segmenter", "sar-water",
                 "--json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["value"] == pytest.approx(28.8, abs=0.1)
    assert main(["ask", WATER, "--source", str(tif), "--quiet"]) == 2
    assert "--segmenter sar-water" in capsys.readouterr().err
