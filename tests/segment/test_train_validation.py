"""Post-processing chosen on a validation split of the training ground (issue 29): the split
never touches held-out groups, the model file keeps what was chosen, every reader of the file
applies it, and tiles stitched with the grown halo equal the whole image (and a scipy
reference of the same steps)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import ndimage

import tests.segment.test_image_classifier as _image_classifier_tests
from geoquant.segment._label_smoothing import LabelSmoothing
from geoquant.segment._postprocess import Postprocess
from geoquant.segment._train_files import TrainingImage
from geoquant.segment._train_validation import validation_split

chips = _image_classifier_tests.chips            # the fixture: Sen1Floods11 chips, 160 px

pytest.importorskip("lightgbm")
SMALL = {"pixels": 3000, "rounds": 8, "radii_px": (1, 4)}


def _image(group: str, rows: int = 30) -> TrainingImage:
    return TrainingImage(f"{group}.tif", group, np.zeros((2, rows, 10), np.float32),
                         ("vv", "vh"), np.zeros((rows, 10), np.int16))


def test_validation_takes_whole_groups_or_the_last_third_of_one():
    images = [_image(g) for g in ("a", "b", "c", "d", "e", "f", "g", "h")]
    fit, validation = validation_split(images, seed=1)
    held = {i.group for i in validation}
    assert len(held) == 2 and not held & {i.group for i in fit}
    assert len(fit) + len(validation) == 8
    assert validation_split(images, seed=1) == (fit, validation)
    fit, validation = validation_split([_image("north", 30)])
    assert fit[0].target.shape == (20, 10) and validation[0].values.shape == (2, 10, 10)
    assert validation[0].group == "north:validation"


def _reference_probabilities(model, values: np.ndarray) -> np.ndarray:
    """Offsets, softmax, scipy's uniform filter, then the class map sieved object by object."""
    from tests.segment.test_label_smoothing import _reference_mean, _reference_sieve

    raw = model.scores(model.features.compute(values)).astype(np.float64)
    raw += np.asarray(model.postprocess.offsets).reshape(-1, 1, 1)
    z = raw / model.temperature
    e = np.exp(z - np.nanmax(z, axis=0))
    prob = e / e.sum(axis=0)
    smooth = model.postprocess.smoothing
    mean = _reference_mean(prob, smooth.radius_px)
    finite = np.isfinite(mean).all(axis=0)
    label = np.where(finite, np.argmax(np.nan_to_num(mean, nan=-1), axis=0), -1)
    return _reference_sieve(label, smooth.min_pixels, len(prob))


@pytest.mark.slow
def test_training_fits_the_postprocessing_on_validation_ground(chips, tmp_path):
    from geoquant.segment._image_classifier import load_image_classifier, train_image_classifier

    lines: list[str] = []
    model = train_image_classifier(chips, ("land", "water"), test_groups=["Spain"],
                                   checkpoint=tmp_path / "m.pt", say=lines.append, **SMALL)
    validation = model.report["validation"]
    assert "Spain" not in validation["groups"] and validation["pixels"] > 0
    assert set(validation["groups"]) < set(model.report["train_groups"])
    assert any(line.startswith("validation: offsets") for line in lines)
    assert model.postprocess == Postprocess()       # by default, the temperature only
    assert model.temperature == validation["range"]["temperature"]
    assert 0 <= model.report["held_out"]["range_coverage"]["coverage"] <= 1
    everything = train_image_classifier(chips, ("land", "water"), test_groups=["Spain"],
                                        postprocess=("offsets", "smoothing", "temperature"),
                                        checkpoint=tmp_path / "e.pt", **SMALL)
    assert len(everything.postprocess.offsets) == 2
    assert everything.halo == everything.features.halo + everything.postprocess.halo
    assert load_image_classifier(tmp_path / "e.pt").postprocess == everything.postprocess
    only = train_image_classifier(chips, ("land", "water"), test_groups=["Spain"],
                                  postprocess=("smoothing",), **SMALL)
    assert only.postprocess.offsets == () and only.temperature == 1.0


def test_every_reader_of_the_file_applies_it_and_tiles_stitch_exactly(chips, tmp_path):
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    import geoquant as gq
    from geoquant.segment import open_segmenter
    from geoquant.segment._image_classifier import ImageClassifier, train_image_classifier

    plain = train_image_classifier(chips, ("land", "water"), postprocess=False, **SMALL)
    assert plain.postprocess is None and "validation" not in plain.report
    model = dataclasses.replace(plain, temperature=2.0,
                                postprocess=Postprocess((0.0, -0.4), LabelSmoothing(2, 6)))
    model.save(tmp_path / "s.pt")
    opened = open_segmenter(tmp_path / "s.pt")
    assert isinstance(opened, ImageClassifier) and opened.postprocess == model.postprocess
    assert opened.halo == model.features.halo + 8
    values = chips[1].values
    whole = opened.predict(values, ["VV", "VH"])
    label = np.where(np.isfinite(whole).all(axis=0), np.argmax(np.nan_to_num(whole, nan=-1),
                                                               axis=0), -1)
    expected = _reference_probabilities(opened, values)
    assert (label != expected).mean() < 1e-3       # ties of float sums aside
    cube = xr.DataArray(values, dims=("band", "y", "x"),
                        coords={"band": ["VV", "VH"], "y": 5e6 - 10 * np.arange(160),
                                "x": 5e5 + 10 * np.arange(160)}).rio.write_crs("EPSG:32630")
    for tile in (48, 64):
        tiled = gq.segment.apply(cube, opened, tile=tile)["probability"].values
        np.testing.assert_allclose(tiled, whole, rtol=0, atol=1e-6, equal_nan=True)
    raw = plain.scores(plain.features.compute(values))
    unsmoothed = np.argmax(np.nan_to_num(raw, nan=-np.inf), axis=0)

    def objects(classes: np.ndarray) -> int:
        return sum(ndimage.label(classes == c, np.ones((3, 3)))[1] for c in (0, 1))

    assert objects(label) < objects(unsmoothed)


def test_fitting_on_scores_whose_smoothed_map_moves_with_the_temperature():
    from geoquant.segment._train_validation import PARTS, fit_scores

    rng = np.random.default_rng(4)
    target = np.zeros((96, 96), np.int16)
    target[10:50, 20:70], target[60:90, 5:40] = 1, 2
    scores = np.stack([target == c for c in range(3)]).astype(np.float32) * 1.2
    scores += rng.normal(scale=1.0, size=scores.shape).astype(np.float32)
    post, temperature, report = fit_scores([scores, scores[:, ::-1]],
                                           [target, target[::-1]], parts=PARTS)
    assert post.smoothing.active and report["range"]["units"] > 0
    assert report["range"]["temperature"] == temperature
