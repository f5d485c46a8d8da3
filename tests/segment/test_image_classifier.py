"""The pixel classifier of ``geoquant train --legend`` (issue 29) on real Sen1Floods11 chips:
same seed same model, resumed after a kill to the same model, exact stitching, held-out groups,
its file opened as a segmenter, and the errors of bad training splits and foreign bands."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from geoquant.errors import BandError, InvalidOptionError
from geoquant.segment._image_classifier import ImageClassifier, train_image_classifier
from geoquant.segment._image_features import ImageFeatures
from geoquant.segment._train_files import TrainingImage, parse_legend, read_pairs

pytest.importorskip("lightgbm")
SMALL = {"pixels": 3000, "rounds": 8, "radii_px": (1, 4)}


@pytest.fixture(scope="module")
def chips(shared_data) -> list[TrainingImage]:
    """The seven usable chips, cut to their top-left 160 x 160 pixels (speed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # the two all-no-data chips are skipped
        full = read_pairs(shared_data / "real" / "sen1floods11", parse_legend("1=water,0=land"
                                                                              ",-1=nodata"))
    return [TrainingImage(c.name, c.group, c.values[:, :160, :160].copy(), c.bands,
                          c.target[:160, :160].copy()) for c in full]


def test_features_of_a_tile_with_halo_equal_the_whole_image(chips):
    spec = ImageFeatures(("vv", "vh"), (1, 4)).fitted([c.values for c in chips])
    whole = spec.compute(chips[0].values)
    assert whole.shape == (len(spec.names), 160, 160) and len(spec.names) == 3 + 12
    halo = spec.halo
    tile = spec.compute(chips[0].values[:, 40 - halo:100 + halo, 30 - halo:90 + halo])
    core = tile[:, halo:-halo, halo:-halo]
    np.testing.assert_array_equal(core, whole[:, 40:100, 30:90])     # bitwise


def test_same_seed_same_model_and_a_killed_run_resumes_to_it(chips, tmp_path):
    words = ("land", "water")
    first = train_image_classifier(chips, words, test_groups=["Spain"], seed=3, **SMALL)
    again = train_image_classifier(chips, words, test_groups=["Spain"], seed=3, **SMALL)
    assert first.model_text == again.model_text
    held = first.report["held_out"]
    assert set(held["iou"]) == {"land", "water"} and held["pixels"] > 0
    assert first.report["train_groups"] == ["Ghana", "Mekong", "Nigeria", "Pakistan"]

    out = tmp_path / "model.pt"
    lines: list[str] = []

    def killed(line: str) -> None:
        lines.append(line)
        if line.startswith("boosting: round 4/"):
            raise KeyboardInterrupt   # as a kill between two checkpoints

    with pytest.raises(KeyboardInterrupt):
        train_image_classifier(chips, words, test_groups=["Spain"], seed=3, checkpoint=out,
                               checkpoint_every=4, say=killed, **SMALL)
    assert not out.exists() and (tmp_path / ".model.pt.state").is_file()
    lines.clear()
    resumed = train_image_classifier(chips, words, test_groups=["Spain"], seed=3,
                                     checkpoint=out, checkpoint_every=4, say=lines.append,
                                     **SMALL)
    assert any("resuming from" in line and "at round 4/8" in line for line in lines)
    assert resumed.model_text == first.model_text
    assert out.is_file() and not (tmp_path / ".model.pt.state").exists()


def test_the_model_file_is_a_segmenter_that_stitches_exactly(chips, tmp_path):
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    import geoquant as gq
    from geoquant.segment import open_segmenter

    model = train_image_classifier(chips, ("land", "water"), checkpoint=tmp_path / "m.pt",
                                   **SMALL)
    opened = open_segmenter(tmp_path / "m.pt")
    assert isinstance(opened, ImageClassifier) and opened.model_text == model.model_text
    assert opened.classes == ("land", "water") and opened.bands == ("vv", "vh")
    values = chips[1].values
    cube = xr.DataArray(values, dims=("band", "y", "x"),
                        coords={"band": ["VV", "VH"], "y": 5e6 - 10 * np.arange(160),
                                "x": 5e5 + 10 * np.arange(160)}).rio.write_crs("EPSG:32630")
    whole = opened.predict(values, ["VV", "VH"])
    tiled = gq.segment.apply(cube, opened, tile=64)["probability"].values
    finite = np.isfinite(whole)
    assert finite.mean() > 0.9
    np.testing.assert_allclose(tiled[finite], whole[finite], rtol=0, atol=1e-6)
    with pytest.raises(BandError, match=r"trained on bands vv, vh but the image has red"):
        opened.predict(np.zeros((3, 8, 8), np.float32), ["red", "green", "blue"])


def test_bad_training_splits_are_refused(chips):
    words = ("land", "water", "snow")   # snow: in the legend, in no chip
    with pytest.raises(InvalidOptionError, match=r"snow have no pixel in the training split"):
        train_image_classifier(chips, words, **SMALL)
    with pytest.raises(InvalidOptionError, match=r"Chile.* not among the data's groups"):
        train_image_classifier(chips, ("land", "water"), test_groups=["Chile"], **SMALL)
    groups = sorted({c.group for c in chips})
    with pytest.raises(InvalidOptionError, match="every group"):
        train_image_classifier(chips, ("land", "water"), test_groups=groups, **SMALL)


def test_held_out_training_fits_the_range_temperature_and_the_file_keeps_it(chips, tmp_path):
    from geoquant.segment._image_classifier import load_image_classifier
    from geoquant.segment._range_calibration import TEMPERATURES, softmax
    from geoquant.segment._scale_features import ScaleFeatures

    model = train_image_classifier(chips, ("land", "water"), test_groups=["Spain"],
                                   checkpoint=tmp_path / "m.pt", postprocess=False, **SMALL)
    assert isinstance(model.features, ScaleFeatures)
    claim = model.report["range"]
    assert claim["units"] > 0 and model.temperature in TEMPERATURES
    assert claim["temperature"] == model.temperature
    assert 0 <= claim["coverage"] <= 1 and 0 <= claim["coverage_in_sample"] <= 1
    opened = load_image_classifier(tmp_path / "m.pt")
    assert opened.temperature == model.temperature and opened.features == model.features
    features = model.features.compute(chips[-1].values)
    raw = model.scores(features)
    np.testing.assert_allclose(opened.probabilities(features), softmax(raw, model.temperature),
                               rtol=1e-6, equal_nan=True)
    assert opened.parameters()["range"] == claim


def test_a_square_window_model_of_format_1_still_opens(chips, tmp_path):
    import json

    from geoquant.segment._image_classifier import load_image_classifier

    model = train_image_classifier(chips, ("land", "water"), features="windows",
                                   checkpoint=tmp_path / "m.pt", postprocess=False, **SMALL)
    assert isinstance(model.features, ImageFeatures) and model.temperature == 1.0
    data = json.loads((tmp_path / "m.pt").read_text())
    data["format_version"] = 1
    data.pop("temperature")
    data["features"].pop("kind", None)
    (tmp_path / "old.pt").write_text(json.dumps(data))
    old = load_image_classifier(tmp_path / "old.pt")
    assert old.features == model.features and old.temperature == 1.0
    features = model.features.compute(chips[0].values)
    np.testing.assert_array_equal(old.probabilities(features), model.probabilities(features))
    with pytest.raises(InvalidOptionError, match="features must be one of scales, windows"):
        train_image_classifier(chips, ("land", "water"), features="pyramid", **SMALL)
