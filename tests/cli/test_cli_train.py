"""``geoquant train``: band folders and a label raster in, a checkpoint and a report out."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from geoquant.cli import main
from geoquant.demo import DEMO_DATA

S2_DAYS = DEMO_DATA / "slovenia-s2-l1c"
LULC = DEMO_DATA / "slovenia-lulc" / "LULC_2018" / "lulc.tif"
S2_ORDER = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11",
            "B12"]


def test_band_folders_stack_in_sentinel2_order():
    pytest.importorskip("torch")
    from geoquant.segment import open_training_image

    scene = open_training_image(S2_DAYS / "S2_L1C_20150711")
    assert list(scene["band"].values) == S2_ORDER  # CLM.tif (the cloud mask) is left out
    assert scene.dims == ("band", "y", "x") and scene.shape == (13, 101, 100)
    labels = open_training_image(LULC, labels=True)
    assert labels.dims == ("y", "x") and labels.shape == (101, 100)


def test_train_command_writes_a_checkpoint_and_reports(tmp_path, capsys):
    pytest.importorskip("torch")
    from geoquant.segment._checkpoint import load_model

    out = tmp_path / "model.pt"
    status = main(["train", str(S2_DAYS / "S2_L1C_20150711"), str(S2_DAYS / "S2_L1C_20150731"),
                   "--labels", str(LULC), "--product", "slovenia-lulc", "--out", str(out),
                   "--steps", "20", "--batch-size", "4", "--crop", "32", "--seed", "1"])
    assert status == 0
    captured = capsys.readouterr()
    assert "step 20/20" in captured.err
    report = captured.out
    assert "loss" in report and "->" in report and "over 20 steps" in report
    assert "IoU before" in report and "forest" in report and "built-up" in report
    assert f"checkpoint: {out}" in report
    model = load_model(out)
    assert model.bands[:3] == ("coastal", "blue", "green") and len(model.bands) == 13
    assert model.training["steps"] == 20 and model.training["seed"] == 1
    tile = np.full((13, 40, 40), 0.1, np.float32)
    assert model.predict(tile, S2_ORDER).shape == (5, 40, 40)

    tuned = tmp_path / "tuned.pt"
    assert main(["train", str(S2_DAYS / "S2_L1C_20150820"), "--labels", str(LULC),
                 "--product", "slovenia-lulc", "--out", str(tuned), "--steps", "2",
                 "--crop", "32", "--init", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert load_model(tuned).training["steps"] == 22


def test_train_errors_are_one_line(tmp_path, capsys):
    args = ["train", str(S2_DAYS / "S2_L1C_20150711"), "--labels", str(LULC), "--out",
            str(tmp_path / "m.pt"), "--steps", "1", "--quiet"]
    assert main([*args, "--product", "worldcover"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("geoquant: error: unknown land-cover product 'worldcover'")
    assert err.count("\n") == 1
    assert main([*args, "--product", "slovenia-lulc", "--crop", "50"]) == 2
    assert "multiple of 32" in capsys.readouterr().err
    assert main([*args, "--product", "slovenia-lulc", "--init", str(tmp_path / "no.pt")]) == 2
    assert "does not exist" in capsys.readouterr().err
    missing = ["train", str(tmp_path / "nothing"), "--labels", str(LULC), "--product",
               "slovenia-lulc", "--out", str(tmp_path / "m.pt")]
    assert main(missing) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()


def test_train_help_loads_no_torch():
    code = ("import sys, geoquant.cli\n"
            "try:\n    geoquant.cli.main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "--labels" in out.stdout and "--product" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "False"


# --- geoquant train --legend: the pixel classifier on files users have (issue 29) -------------

FLOODS = "1=water,0=land,-1=nodata"


def _chips(shared_data, tmp_path, names, size=128):
    """Sen1Floods11 chips (and their labels): ``size`` pixels from row and column 192."""
    import rasterio
    from rasterio.windows import Window

    source = shared_data / "real" / "sen1floods11"
    for sub, suffix in (("S1", "S1Hand"), ("Labels", "LabelHand")):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
        for name in names:
            with rasterio.open(source / sub / f"{name}_{suffix}.tif") as src:
                window = Window(192, 192, size, size)
                profile = {**src.profile, "width": size, "height": size,
                           "transform": src.window_transform(window)}
                data, descriptions = src.read(window=window), src.descriptions
            with rasterio.open(tmp_path / sub / f"{name}_{suffix}.tif", "w", **profile) as dst:
                dst.write(data)
                for k, text in enumerate(descriptions, start=1):
                    if text:
                        dst.set_band_description(k, text)
    return tmp_path


@pytest.mark.slow
def test_train_legend_chips_then_ask_with_the_model(shared_data, tmp_path, capsys):
    pytest.importorskip("lightgbm")
    from geoquant.segment import open_segmenter

    names = ["Nigeria_812045", "Pakistan_849790", "Spain_7370579", "Paraguay_34417"]
    data = _chips(shared_data, tmp_path / "chips", names)
    out = tmp_path / "model.pt"
    args = ["train", str(data), "--legend", FLOODS, "--test", "Spain", "--out", str(out),
            "--pixels", "3000", "--rounds", "6", "--context", "1,3", "--checkpoint-every", "3"]
    assert main(args) == 0          # the CLI says warnings as one 'geoquant: warning:' line
    captured = capsys.readouterr()
    assert "geoquant: warning:" in captured.err
    assert "Paraguay_34417_S1Hand.tif: its image is all no data" in captured.err
    assert "boosting: round 3/6" in captured.err and "round 6/6" in captured.err
    assert "held out Spain: accuracy" in captured.out and "IoU water" in captured.out
    assert f"model: {out}" in captured.out
    model = open_segmenter(out)
    assert model.classes == ("water", "land") and model.bands == ("vv", "vh")
    assert model.report["train_groups"] == ["Nigeria", "Pakistan"]

    chip = data / "S1" / "Spain_7370579_S1Hand.tif"
    assert main(["ask", "What share of the area is water?", "--source", str(chip),
                 "--segmenter", str(out)]) == 0
    answer = capsys.readouterr().out
    assert "%" in answer

    # Bad input: nothing is written.
    strict = tmp_path / "strict.pt"
    assert main([*args[:-8], "--out", str(strict), "--strict", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Paraguay_34417_S1Hand.tif is unusable: its image is all no data" in err
    assert err.count("\n") == 1 and not strict.exists()
    snow = tmp_path / "snow.pt"
    assert main(["train", str(data), "--legend", FLOODS + ",2=snow", "--out", str(snow),
                 "--quiet"]) == 2
    assert "snow have no pixel in the training split" in capsys.readouterr().err
    assert not snow.exists()
    rgb = tmp_path / "rgb.tif"
    import rasterio

    with rasterio.open(chip) as src:
        profile = {**src.profile, "count": 3, "dtype": "uint8", "nodata": None}
    with rasterio.open(rgb, "w", **profile) as dst:
        dst.write(np.full((3, 128, 128), 90, np.uint8))       # bands 1, 2, 3: not radar
    assert main(["ask", "What share of the area is water?", "--source", str(rgb),
                 "--segmenter", str(out)]) == 2
    assert "trained on bands vv, vh" in capsys.readouterr().err


@pytest.mark.slow
def test_train_legend_scene_with_labels_on_another_grid(shared_data, tmp_path, capsys):
    pytest.importorskip("lightgbm")
    from geoquant.segment import open_segmenter

    zion = shared_data / "real" / "zion-landsat-nlcd"
    scene = "+".join(str(zion / f"landsat_b{k}.tif") for k in (2, 3, 4, 5))
    out = tmp_path / "zion.pt"
    legend = ("1=water,2=developed,3=barren,4=forest,5=shrubland,6=herbaceous,7=cultivated,"
              "8=wetlands")
    assert main(["train", scene, "--labels", str(zion / "nlcd.tif"), "--bands",
                 "blue,green,red,nir", "--legend", legend, "--halves", "north-south",
                 "--test", "south", "--pixels", "4000", "--rounds", "4", "--context", "1",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 images in 2 groups (north, south)" in captured.err
    assert "held out south: accuracy" in captured.out and "IoU water" in captured.out
    model = open_segmenter(out)
    assert model.bands == ("blue", "green", "red", "nir")
    assert model.classes == ("water", "built-up", "bare", "forest", "shrubland", "herbaceous",
                             "cultivated", "wetland")
    assert model.report["train_groups"] == ["north"]
