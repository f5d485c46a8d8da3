"""Training the ConvNeXt-UNet on the real Slovenia scenes and land-cover reference."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from geoquant.errors import (  # noqa: E402
    BandError,
    GridMismatchError,
    InvalidOptionError,
    WeightsError,
)
from geoquant.segment import TrainReport, UNetSegmenter, train  # noqa: E402
from geoquant.segment._checkpoint import load_model  # noqa: E402
from geoquant.segment._products import SLOVENIA_LULC, LandCoverProduct  # noqa: E402
from geoquant.segment._train_data import _holdout_mask  # noqa: E402

BANDS = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11",
         "B12"]
ORIGIN = (465181.05, 5080254.63)  # top-left corner, EPSG:32633
SLOVENIA_CLASSES = ("forest", "shrubland", "grass", "cropland", "built-up")


@pytest.fixture(scope="module")
def slovenia(shared_data):
    """The five reference scenes as (time, band, y, x) reflectance and the LULC codes."""
    import xarray as xr

    from geoquant.testing.rasters import as_raster

    folder = shared_data / "real" / "slovenia-s2"
    if not (folder / "REFERENCE_SCENES.npy").exists():
        pytest.skip(f"{folder} lacks REFERENCE_SCENES.npy")
    scenes = np.load(folder / "REFERENCE_SCENES.npy")  # (5, 101, 100, 13) float32
    codes = np.load(folder / "LULC.npy")[..., 0]  # (101, 100) uint16
    labels = as_raster(codes, origin=ORIGIN, name="lulc")
    images = xr.DataArray(scenes.transpose(0, 3, 1, 2), dims=("time", "band", "y", "x"),
                          coords={"band": BANDS, "y": labels["y"], "x": labels["x"]})
    return images.rio.write_crs("EPSG:32633"), labels


@pytest.fixture(scope="module", params=[60, pytest.param(300, marks=pytest.mark.slow)],
                ids=lambda n: f"{n}-steps")
def steps(request) -> int:
    """Optimiser steps of the shared training run: the same assertions hold after 60 (the
    default run; forest IoU 0.79) and after 300 (with the slow set; about 95 s on 2 cores)."""
    return request.param


@pytest.fixture(scope="module")
def trained(slovenia, steps, tmp_path_factory) -> TrainReport:
    images, labels = slovenia
    path = tmp_path_factory.mktemp("model") / "slovenia.pt"
    return train(images, labels, product=SLOVENIA_LULC, steps=steps, checkpoint=path,
                 progress=False)


def test_training_learns_held_out_land_cover(trained, steps):
    report = trained
    assert len(report.losses) == steps and all(math.isfinite(x) for x in report.losses)
    assert np.mean(report.losses[-20:]) < np.mean(report.losses[:20])
    assert report.segmenter.classes == SLOVENIA_CLASSES
    assert tuple(report.iou_after) == SLOVENIA_CLASSES
    assert report.mean_iou_after > report.mean_iou_before
    assert report.accuracy_after > report.accuracy_before
    assert report.iou_after["forest"] > 0.6
    assert 0 < report.holdout_pixels < 5 * 101 * 100 * 0.5
    assert report.seconds > 0
    assert "forest" in report.summary() and "checkpoint:" in report.summary()


def test_checkpoint_reloads_to_identical_outputs(trained, steps, slovenia):
    images, _ = slovenia
    loaded = load_model(trained.checkpoint)
    model = trained.segmenter
    assert isinstance(model, UNetSegmenter)
    assert loaded.version == model.version and loaded.classes == model.classes
    tile = images.isel(time=2).values
    assert np.array_equal(loaded.predict(tile, BANDS), model.predict(tile, BANDS))
    info = loaded.training
    assert info["steps"] == steps and info["product"] == "slovenia-lulc"
    assert info["holdout_iou"]["forest"] == pytest.approx(trained.iou_after["forest"])
    # Normalisation comes from the training pixels, in reflectance.
    assert np.all((loaded.mean > 0) & (loaded.mean < 0.5)) and np.all(loaded.std > 0)


def test_held_out_labels_are_never_trained_on(slovenia):
    images, labels = slovenia
    held = _holdout_mask(labels.shape, 0.25, seed=0, index=0)
    assert held.dtype == bool and 0.2 < held.mean() < 0.3
    assert np.array_equal(held, _holdout_mask(labels.shape, 0.25, seed=0, index=0))
    changed = labels.copy(data=np.where(held, np.uint16(3), labels.values))  # all grass
    kwargs = {"product": "slovenia-lulc", "steps": 6, "batch_size": 2, "crop": 32,
              "progress": False}
    first = train(images.isel(time=[0, 1]), labels, **kwargs)
    second = train(images.isel(time=[0, 1]), changed, **kwargs)
    assert first.losses == second.losses  # bitwise: same seed, same training labels
    assert first.segmenter.version == second.segmenter.version
    assert first.iou_after != second.iou_after  # only the evaluation saw the change
    other = train(images.isel(time=[0, 1]), labels, **{**kwargs, "seed": 1})
    assert other.losses != first.losses


def test_fine_tuning_from_a_checkpoint(trained, steps, slovenia, tmp_path):
    images, labels = slovenia
    out = tmp_path / "tuned.pt"
    report = train(images.isel(time=0), labels, product="slovenia-lulc", steps=4,
                   batch_size=2, init=trained.checkpoint, checkpoint=out,
                   checkpoint_every=2, progress=False)
    assert report.segmenter.classes == trained.segmenter.classes
    assert np.array_equal(report.segmenter.mean, trained.segmenter.mean)
    assert report.segmenter.version != trained.segmenter.version
    assert load_model(out).training["steps"] == steps + 4
    # Fine-tuning starts from the checkpoint: its held-out IoU before is the trained one's.
    assert report.iou_before["forest"] > 0.5
    with pytest.raises(InvalidOptionError, match="'small' network"):
        train(images.isel(time=0), labels, product="slovenia-lulc", steps=1,
              init=trained.checkpoint, size="base", progress=False)
    water = labels.copy(data=np.where(labels.values == 8, np.uint16(5), labels.values))
    with pytest.raises(WeightsError, match="water"):
        train(images.isel(time=0), water, product="slovenia-lulc", steps=1,
              init=trained.checkpoint, progress=False)
    junk = tmp_path / "junk.pt"
    junk.write_text("junk")
    with pytest.raises(WeightsError, match="junk.pt"):
        train(images.isel(time=0), labels, product="slovenia-lulc", steps=1, init=junk,
              progress=False)


def test_checkpoints_every_n_steps_and_at_the_end(slovenia, tmp_path, monkeypatch, capsys):
    images, labels = slovenia
    saved = []
    original = UNetSegmenter.save

    def spy(self, path):
        saved.append(self.training.get("steps"))
        return original(self, path)

    monkeypatch.setattr(UNetSegmenter, "save", spy)
    train(images.isel(time=0), labels, product="slovenia-lulc", steps=5, batch_size=2,
          crop=32, checkpoint=tmp_path / "m.pt", checkpoint_every=2, progress=True)
    assert saved == [2, 4, 5]
    err = capsys.readouterr().err
    assert "step 5/5" in err and "loss" in err


def test_list_of_scenes_band_choice_and_numpy_inputs(slovenia):
    images, labels = slovenia
    scenes = [images.isel(time=0), images.isel(time=3)]
    report = train(scenes, labels, product="slovenia-lulc", bands=["B04", "B03", "B02", "B08"],
                   steps=3, batch_size=2, crop=32, holdout=0.0, progress=False)
    assert report.segmenter.bands == ("red", "green", "blue", "nir")
    assert report.holdout_pixels == 0 and math.isnan(report.accuracy_after)
    assert all(math.isnan(v) for v in report.iou_after.values())
    plain = train(images.values[:2], labels.values, product="slovenia-lulc", bands=BANDS,
                  steps=2, batch_size=2, crop=32, progress=False)
    assert len(plain.segmenter.bands) == 13


def test_nodata_and_unmapped_codes_are_ignored(slovenia):
    images, labels = slovenia
    product = LandCoverProduct("forest-grass", {2: "forest", 3: "grass"})
    values = images.isel(time=0).values.copy()
    values[:, :10, :] = np.nan
    scene = images.isel(time=0).copy(data=values)
    report = train(scene, labels, product=product, steps=3, batch_size=2, crop=32,
                   progress=False)
    assert report.segmenter.classes == ("forest", "grass")
    assert all(math.isfinite(x) for x in report.losses)


def test_invalid_training_options(slovenia):
    images, labels = slovenia
    scene = images.isel(time=0)
    for bad in ({"crop": 50}, {"steps": 0}, {"holdout": 1.0}, {"batch_size": 0},
                {"learning_rate": -1.0}, {"checkpoint_every": 0}, {"size": "huge"}):
        with pytest.raises(InvalidOptionError):
            train(scene, labels, product="slovenia-lulc", progress=False, **bad)
    with pytest.raises(InvalidOptionError, match="slovenia-lulc"):
        train(scene, labels, product="slovenia", progress=False)
    with pytest.raises(InvalidOptionError, match="no code"):
        train(scene, labels, product="esa-worldcover", progress=False)
    with pytest.raises(GridMismatchError, match="101 x 100"):
        train(scene.isel(y=slice(0, 64)), labels, product="slovenia-lulc", progress=False)
    shifted = labels.assign_coords(x=labels["x"] + 500.0)
    with pytest.raises(GridMismatchError, match="different coordinates"):
        train(scene, shifted, product="slovenia-lulc", progress=False)
    with pytest.raises(BandError, match="vv"):
        train(scene, labels, product="slovenia-lulc", bands=["B02", "vv"], progress=False)
    with pytest.raises(InvalidOptionError, match="bands="):
        train(scene.values, labels.values, product="slovenia-lulc", progress=False)


@pytest.mark.slow
def test_base_network_trains(slovenia, tmp_path):
    images, labels = slovenia
    report = train(images, labels, product="slovenia-lulc", size="base", steps=300,
                   checkpoint=tmp_path / "base.pt", progress=False)
    assert np.mean(report.losses[-20:]) < np.mean(report.losses[:20])
    assert report.mean_iou_after > report.mean_iou_before
    loaded = load_model(tmp_path / "base.pt")
    tile = images.isel(time=0).values
    assert loaded.halo == 670
    assert np.array_equal(loaded.predict(tile, BANDS), report.segmenter.predict(tile, BANDS))


@pytest.mark.slow
def test_longer_training_keeps_improving(slovenia):
    images, labels = slovenia
    report = train(images, labels, product="slovenia-lulc", steps=1000, progress=False)
    assert np.mean(report.losses[-50:]) < np.mean(report.losses[:50])
    assert report.mean_iou_after > report.mean_iou_before
    assert report.accuracy_after > 0.8
