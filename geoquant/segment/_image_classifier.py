"""A segmenter trained from image/mask pairs: gradient-boosted trees over per-pixel image features.

:func:`train_image_classifier` learns the classes of a legend
(:class:`~geoquant.segment._train_files.Legend`) from labelled images
(:class:`~geoquant.segment._train_files.TrainingImage`, one date each: aerial photographs, a
Landsat scene, SAR chips) on the features of
:class:`~geoquant.segment._image_features.ImageFeatures` (bands, band contrasts, their mean
and spread over context windows). The learner is LightGBM (multiclass): on two CPU cores it
trains in minutes where a convolutional network needs hours; its held-out scores are in
``benchmarks/README.md`` §14.

Held-out ground: whole *groups* (tile folders, flood events, halves of a scene) are kept out
of training and scored (per-class IoU, accuracy); ``refit`` then trains the written model on
every group.

Training pixels are drawn per class, at most ``pixels / classes`` of each, and weighted by the
inverse square root of their drawing rate (between every pixel counting the same and every
class counting the same, as the ConvNeXt-UNet's crop sampling does). Boosting runs without
bagging or feature sampling, so a run is a function of the data and the seed, and one resumed
from its checkpoint (every ``checkpoint_every`` rounds, with the drawn pixels) writes the same
model as one never interrupted.

The model is stored as LightGBM's text format inside one JSON file (loading runs no code);
:func:`~geoquant.segment.open_segmenter` opens it, so ``ask``/``eval``/``monitor`` take it as
``--segmenter``. Its classes are the legend's words.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import BandError, InvalidOptionError, WeightsError
from geoquant.segment._image_features import ImageFeatures
from geoquant.segment._model_file import (
    cached_booster,
    has_format,
    read_model_file,
    write_atomic,
)
from geoquant.segment._postprocess import Postprocess
from geoquant.segment._range_calibration import (
    calibrate_temperature,
    range_coverage,
    softmax,
)
from geoquant.segment._scale_features import ScaleFeatures
from geoquant.segment._train_files import TrainingImage

FORMAT = "geoquant.image-classifier"
FORMAT_VERSION = 3
#: Feature kinds: Gaussian context at several scales (the default), or square windows.
FEATURES = {"scales": ScaleFeatures, "windows": ImageFeatures}
PARAMS = {"objective": "multiclass", "learning_rate": 0.1, "num_leaves": 31,
          "min_data_in_leaf": 40, "lambda_l2": 1.0, "max_bin": 63, "deterministic": True,
          "force_row_wise": True, "num_threads": 1, "verbose": -1}
ROUNDS = 100
PIXELS = 300_000


@dataclass(frozen=True, eq=False)
class ImageClassifier:
    """A trained per-pixel classifier of one-date images, as a segmenter.

    Attributes
    ----------
    model_text : str
        The LightGBM model (its text format).
    classes : tuple of str
        The legend's class words, in output order.
    features : ScaleFeatures or ImageFeatures
        What it reads: :attr:`bands` are ``features.bands``; :attr:`halo` its largest radius.
    report : dict
        How it was trained and what the held-out groups measured.
    temperature : float
        The trees' scores are divided by it before the softmax (1: LightGBM's own
        probabilities). Fitted on validation ground (or, without post-processing, on the
        held-out ground) so that the answers' ranges (masks at the probability thresholds of
        ``ask``) hold the truth as often as the report's ``range`` says; the class map
        (argmax) does not depend on it.
    postprocess : Postprocess, optional
        Score offsets and label smoothing chosen on validation ground
        (:mod:`~geoquant.segment._postprocess`); its halo is added to the features'.
    """

    model_text: str
    classes: tuple[str, ...]
    features: ScaleFeatures | ImageFeatures
    report: Mapping[str, Any] = field(default_factory=dict)
    temperature: float = 1.0
    postprocess: Postprocess | None = None
    name: str = "image classifier (LightGBM)"
    stride: int = 1
    exclusive: bool = True
    bands: tuple[str, ...] = field(init=False)
    halo: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "bands", self.features.bands)
        extra = self.postprocess.halo if self.postprocess else 0
        object.__setattr__(self, "halo", self.features.halo + extra)

    @property
    def version(self) -> str:
        return hashlib.sha256(self.model_text.encode()).hexdigest()[:12]

    def parameters(self) -> dict[str, Any]:
        return {"features": self.features.to_json(),
                "held_out": self.report.get("held_out"),
                "trained_on": self.report.get("train_groups"),
                "temperature": self.temperature, "range": self.report.get("range"),
                "postprocess": self._postprocess_json()}

    def _postprocess_json(self) -> dict[str, Any] | None:
        if self.postprocess is None:
            return None
        return {k: v for k, v in self.postprocess.to_json().items() if k != "report"}

    def __dask_tokenize__(self) -> tuple[Any, ...]:
        return ("geoquant.ImageClassifier", self.version, self.halo, self.temperature,
                json.dumps(self._postprocess_json(), sort_keys=True))

    def band_positions(self, bands: Sequence[str]) -> list[int]:
        """Where the model's bands lie among ``bands``. Bands named only by number (a JPEG's
        1, 2, 3) are taken in order when there are as many as the model reads.

        Raises
        ------
        BandError
            The image lacks a band the model was trained on.
        """
        from geoquant.segment._bands import band_indices

        names = [str(b) for b in bands]
        try:
            return band_indices(names, self.bands, who=f"the model {self.name!r}")
        except BandError:
            if len(names) == len(self.bands) and all(n.isdigit() for n in names):
                return list(range(len(names)))
            raise BandError(f"the model {self.name!r} was trained on bands "
                            f"{', '.join(self.bands)} but the image has "
                            f"{', '.join(names) or 'none'}: use a model trained on this "
                            "image's bands, or train one (geoquant train)") from None

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        """Class probabilities ``(class, y, x)`` of a ``(band, y, x)`` tile; NaN where a band
        the model reads is missing."""
        from geoquant._backend import array_module

        xp = array_module(tile)
        host = tile.get() if hasattr(tile, "get") else np.asarray(tile)
        features = self.features.compute(host[self.band_positions(bands)])
        return xp.asarray(self.probabilities(features))

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """``(class, y, x)`` float32 probabilities of feature layers (NaN where missing),
        post-processed when the model has a :attr:`postprocess`."""
        if self.postprocess is not None:
            return self.postprocess.probabilities(self.scores(features), self.temperature)
        return softmax(self.scores(features), self.temperature)

    def scores(self, features: np.ndarray) -> np.ndarray:
        """``(class, y, x)`` float32 raw scores of the trees (NaN where missing): the
        probabilities are their softmax over :attr:`temperature`."""
        n = len(self.features.bands)
        x = features.reshape(features.shape[0], -1).T
        valid = np.isfinite(x[:, :n]).all(axis=1)
        out = np.full((x.shape[0], len(self.classes)), np.nan, dtype=np.float32)
        if valid.any():
            raw = cached_booster(self).predict(x[valid], num_threads=1, raw_score=True)
            out[valid] = raw.reshape(int(valid.sum()), -1)
        return np.ascontiguousarray(out.T.reshape(len(self.classes), *features.shape[1:]))

    def save(self, path: str | Path) -> Path:
        """Write the classifier as one JSON file, whole or not at all; returns the path."""
        path = Path(path)
        data = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": self.name,
                "classes": list(self.classes), "features": self.features.to_json(),
                "temperature": self.temperature,
                "postprocess": (self.postprocess.to_json() if self.postprocess else None),
                "report": dict(self.report), "lightgbm": self.model_text}
        return write_atomic(path, json.dumps(data).encode())


def is_image_classifier_file(path: str | Path) -> bool:
    """Whether ``path`` is a file written by :meth:`ImageClassifier.save`."""
    return has_format(path, FORMAT)


def features_from_json(data: Mapping[str, Any]) -> ScaleFeatures | ImageFeatures:
    """The feature spec stored by :meth:`ImageClassifier.save` (square windows when the file
    names no kind: format version 1)."""
    return FEATURES[data.get("kind", "windows")].from_json(data)


def load_image_classifier(path: str | Path) -> ImageClassifier:
    """Read a classifier written by :meth:`ImageClassifier.save`.

    Raises
    ------
    WeightsError
        The file is not such a classifier, is damaged, or comes from a newer geoquant.
    """
    data = read_model_file(path, format=FORMAT, version=FORMAT_VERSION,
                           what="image classifier")
    try:
        return ImageClassifier(str(data["lightgbm"]), tuple(data["classes"]),
                               features_from_json(data["features"]),
                               report=data.get("report", {}),
                               temperature=float(data.get("temperature", 1.0)),
                               postprocess=(Postprocess.from_json(data["postprocess"])
                                            if data.get("postprocess") else None),
                               name=data.get("name", ImageClassifier.name))
    except (KeyError, TypeError, ValueError) as err:
        raise WeightsError(f"the image classifier {path} is incomplete ({err})") from None


# --- training ----------------------------------------------------------------------------------


def _check(images: Sequence[TrainingImage], words: Sequence[str], test_groups: Sequence[str],
           rounds: int, pixels: int, checkpoint_every: int) -> None:
    if not images:
        raise InvalidOptionError("no training images were given")
    bands = images[0].bands
    for image in images:
        if image.bands != bands:
            raise BandError(f"{image.name} has bands {', '.join(image.bands)} but "
                            f"{images[0].name} has {', '.join(bands)}: train on images with "
                            "the same bands")
    groups = sorted({i.group for i in images})
    unknown = [g for g in test_groups if g not in groups]
    if unknown:
        raise InvalidOptionError(f"held-out group(s) {', '.join(unknown)} are not among the "
                                 f"data's groups ({', '.join(groups)})")
    if set(test_groups) >= set(groups):
        raise InvalidOptionError(f"every group ({', '.join(groups)}) is held out: keep at "
                                 "least one for training")
    for label, value in (("rounds", rounds), ("pixels", pixels),
                         ("checkpoint_every", checkpoint_every)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidOptionError(f"{label} must be a positive integer, not {value!r}")
    if len(words) < 2:
        raise InvalidOptionError(f"the legend names {len(words)} class; a classifier needs "
                                 "at least two (add the background, e.g. 0=land)")


def _class_counts(images: Sequence[TrainingImage], n: int) -> np.ndarray:
    counts = np.zeros(n, np.int64)
    for image in images:
        usable = (image.target >= 0) & np.isfinite(image.values).all(axis=0)
        counts += np.bincount(image.target[usable].astype(np.int64), minlength=n)[:n]
    return counts


#: How drawn pixels are weighted: as drawn (each class about the same), by the inverse square
#: root of the drawing rate (the default), or by its inverse (every pixel the same).
WEIGHTINGS = {"classes": 0.0, "sqrt": 0.5, "pixels": 1.0}


def _draw(images: Sequence[TrainingImage], spec: ScaleFeatures | ImageFeatures,
          n_classes: int, pixels: int, seed: int, say: Callable[[str], None] | None,
          weighting: str = "sqrt") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Feature rows, classes and weights of the drawn training pixels."""
    counts = _class_counts(images, n_classes)
    rate = np.minimum(1.0, (pixels / n_classes) / np.maximum(counts, 1))
    weight_of = rate ** -WEIGHTINGS[weighting]
    rows, classes, weights = [], [], []
    started = time.perf_counter()
    for k, image in enumerate(images):
        rng = np.random.default_rng([seed, k])
        usable = (image.target >= 0) & np.isfinite(image.values).all(axis=0)
        target = np.where(usable, image.target, -1).ravel()
        chosen = np.flatnonzero((target >= 0)
                                & (rng.random(target.size) < rate[np.maximum(target, 0)]))
        features = spec.compute(image.values)
        rows.append(features.reshape(features.shape[0], -1)[:, chosen].T)
        classes.append(target[chosen])
        weights.append(weight_of[target[chosen]])
        if say and (k + 1 == len(images) or (k + 1) % max(1, len(images) // 10) == 0):
            say(f"features: {k + 1}/{len(images)} images, {sum(len(c) for c in classes)} "
                f"pixels drawn ({time.perf_counter() - started:.0f} s)")
    return (np.concatenate(rows).astype(np.float32), np.concatenate(classes).astype(np.int32),
            np.concatenate(weights))


def _scores(confusion: np.ndarray, words: Sequence[str]) -> dict[str, Any]:
    hits = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - hits
    iou = {w: (round(float(hits[i] / union[i]), 4) if union[i] else None)
           for i, w in enumerate(words)}
    total = int(confusion.sum())
    return {"iou": iou, "accuracy": round(float(hits.sum() / total), 4) if total else None,
            "pixels": total}


def evaluate_classifier(model: ImageClassifier, images: Sequence[TrainingImage], *,
                        calibrate: bool = False) -> dict[str, Any]:
    """Per-class IoU and accuracy of ``model``'s class map (post-processed when it has a
    ``postprocess``) over the labelled pixels of ``images`` (whole images: context windows
    see only their own image); with ``calibrate``, also the ``range`` calibration
    (:func:`~geoquant.segment._range_calibration.calibrate_temperature`) fitted on them, or,
    for a post-processed model (whose temperature was fitted on validation ground), how often
    its ranges hold the truth on them (``range_coverage``)."""
    n = len(model.classes)
    confusion = np.zeros((n, n), np.int64)
    scores = []
    for image in images:
        raw = model.scores(model.features.compute(image.values))
        if model.postprocess is not None:
            prob = model.postprocess.probabilities(raw, model.temperature)
            valid = (image.target >= 0) & np.isfinite(prob).all(axis=0)
            predicted = np.argmax(np.nan_to_num(prob, nan=-np.inf), axis=0)
        else:
            valid = (image.target >= 0) & np.isfinite(raw[0])
            predicted = np.argmax(np.nan_to_num(raw, nan=-np.inf), axis=0)
        confusion += np.bincount(image.target[valid].astype(np.int64) * n + predicted[valid],
                                 minlength=n * n).reshape(n, n)
        if calibrate:
            scores.append(raw)
    out = _scores(confusion, model.classes)
    targets = [i.target for i in images]
    if calibrate and model.postprocess is not None:
        out["range_coverage"] = range_coverage(
            scores, targets, temperature=model.temperature,
            probabilities=model.postprocess.probabilities)
    elif calibrate:
        out["range"] = calibrate_temperature(scores, targets)
    return out


def _fingerprint(images: Sequence[TrainingImage], **options: Any) -> str:
    digest = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
    for image in images:
        digest.update(f"{image.name}|{image.group}|{image.values.shape}".encode())
        digest.update(hashlib.sha256(image.target.tobytes()).digest())
    return digest.hexdigest()[:16]


def _boost(x: np.ndarray, y: np.ndarray, w: np.ndarray, n_classes: int, *, rounds: int,
           seed: int, state: Path | None, key: str, checkpoint_every: int,
           say: Callable[[str], None] | None) -> str:
    """The model text after ``rounds`` rounds, resumed from ``state`` when it holds ``key``."""
    import lightgbm

    params = {**PARAMS, "num_class": n_classes, "seed": seed,
              "min_data_in_leaf": int(min(PARAMS["min_data_in_leaf"], max(len(y) // 50, 2)))}
    text, done = None, 0
    if state is not None and state.is_file():
        saved = json.loads(state.read_text())
        if saved.get("key") == key:
            text, done = saved["model"], int(saved["rounds"])
            if say:
                say(f"resuming from {state} at round {done}/{rounds}")
    data = lightgbm.Dataset(x, y, weight=w, free_raw_data=False, params={"verbose": -1})
    started = time.perf_counter()
    while done < rounds:
        step = min(checkpoint_every, rounds - done)
        init = lightgbm.Booster(model_str=text) if text else None
        booster = lightgbm.train(params, data, num_boost_round=step, init_model=init,
                                 keep_training_booster=False)
        text, done = _trees(booster.model_to_string()), done + step
        if state is not None:
            write_atomic(state, json.dumps({"key": key, "rounds": done,
                                             "model": text}).encode())
        if say:
            say(f"boosting: round {done}/{rounds} ({time.perf_counter() - started:.0f} s)")
    return text or ""


def _trees(text: str) -> str:
    """A model's text up to its trees: the training parameters LightGBM appends (its round
    count per call among them) would tell a resumed run from an uninterrupted one."""
    head, sep, _ = text.partition("end of trees")
    return head + sep + "\n" if sep else text


def train_image_classifier(images: Sequence[TrainingImage], words: Sequence[str], *,
                           test_groups: Sequence[str] = (),
                           radii_px: Sequence[int] = (3, 6, 12, 24), features: str = "scales",
                           pixels: int = PIXELS, rounds: int = ROUNDS, seed: int = 0,
                           refit: bool = False, checkpoint: str | Path | None = None,
                           checkpoint_every: int = 25, weighting: str = "sqrt",
                           postprocess: Sequence[str] | bool = True,
                           say: Callable[[str], None] | None = None) -> ImageClassifier:
    """Train a pixel classifier on labelled images, scored on held-out groups.

    Parameters
    ----------
    images : sequence of TrainingImage
        Labelled images with the same bands (:func:`~geoquant.segment._train_files.read_pairs`,
        :func:`~geoquant.segment._train_files.scene_halves`).
    words : sequence of str
        The class words of the images' targets (the legend's), in order.
    test_groups : sequence of str
        Groups held out of training and scored (tiles, events, regions); none: no score.
    radii_px : sequence of int
        Context window radii, pixels: Gaussian windows cut at each radius
        (:class:`~geoquant.segment._scale_features.ScaleFeatures`), or square windows.
    features : {"scales", "windows"}
        Gaussian context with edges and, for radar, speckle-filtered bands (``"scales"``), or
        the square windows of :class:`~geoquant.segment._image_features.ImageFeatures`.
    pixels : int
        Training pixels drawn, at most ``pixels / len(words)`` per class.
    rounds : int
        Boosting rounds.
    seed : int
        Seed of the pixel draw and the learner: the same call gives the same model.
    refit : bool
        After scoring the held-out groups, train the returned model on every group (the
        report keeps the held-out scores).

        Without post-processing and with held-out groups, the model's softmax temperature
        is fitted on them so that the answers' ranges hold the truth as often as the report's
        ``range["coverage"]`` says (:mod:`~geoquant.segment._range_calibration`); without
        either, it is 1.
    postprocess : bool or sequence of str
        Fit the post-processing on a validation split of the training ground, with one more
        training run on the rest of it (:mod:`~geoquant.segment._train_validation`): by
        default (True) the temperature only; a sequence names the parts (``"offsets"``,
        ``"smoothing"``, ``"temperature"``). The report's ``validation`` says what it
        measured; ``held_out`` then scores the post-processed class map, and
        ``held_out["range_coverage"]`` says how often the ranges (at the temperature fitted
        on validation) held the held-out truth.
    weighting : {"sqrt", "pixels", "classes"}
        Weight of the drawn pixels: each class about the same (``"classes"``), every pixel the
        same (``"pixels"``), or between the two (``"sqrt"``, inverse square root of the rate).
    checkpoint : str or Path, optional
        The model file to write: progress is kept beside it (``.<name>.state``) every
        ``checkpoint_every`` rounds, and a run killed and started again with the same data and
        options resumes there; the state is removed once the model is written.
    say : callable, optional
        Progress lines.

    Returns
    -------
    ImageClassifier

    Raises
    ------
    InvalidOptionError
        Bad options, unknown held-out groups, every group held out, or a class of the legend
        with no pixel in the training split.
    BandError
        Images with different bands.
    """
    started = time.perf_counter()
    _check(images, words, test_groups, rounds, pixels, checkpoint_every)
    if weighting not in WEIGHTINGS:
        raise InvalidOptionError(f"weighting must be one of {', '.join(WEIGHTINGS)}, not "
                                 f"{weighting!r}")
    if features not in FEATURES:
        raise InvalidOptionError(f"features must be one of {', '.join(FEATURES)}, not "
                                 f"{features!r}")
    train = [i for i in images if i.group not in test_groups]
    spec = FEATURES[features](images[0].bands, tuple(radii_px)).fitted(
        [i.values for i in train])
    test = [i for i in images if i.group in test_groups]
    counts = _class_counts(train, len(words))
    absent = [w for w, c in zip(words, counts, strict=True) if c == 0]
    if absent:
        raise InvalidOptionError(
            f"class(es) {', '.join(absent)} have no pixel in the training split (groups "
            f"{', '.join(sorted({i.group for i in train}))}): hold out other groups, or drop "
            "the class from the legend (mark it nodata)")
    options = {"features": spec.to_json(), "weighting": weighting,
               "pixels": pixels, "rounds": rounds, "seed": seed,
               "words": list(words), "test": sorted(test_groups)}
    state = None
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        state = checkpoint.with_name(f".{checkpoint.name}.state")
    report: dict[str, Any] = {"train_groups": sorted({i.group for i in train}),
                              "test_groups": sorted(test_groups), "seed": seed,
                              "weighting": weighting,
                              "rounds": rounds, "pixels": pixels,
                              "labels": {w: int(c) for w, c in zip(words, counts,
                                                                  strict=True)}}
    phases = [("held-out", train)] if test else []
    if refit or not test:
        phases.append(("all", list(images)))
    def fitted(subset: Sequence[TrainingImage], phase: str) -> str:
        if say:
            say(f"{phase}: drawing up to {pixels} training pixels from {len(subset)} images")
        x, y, w = _draw(subset, spec, len(words), pixels, seed, say, weighting)
        key = _fingerprint(subset, phase=phase, **options)
        return _boost(x, y, w, len(words), rounds=rounds, seed=seed, state=state, key=key,
                      checkpoint_every=checkpoint_every, say=say)

    model, temperature, post = None, 1.0, None
    if postprocess:
        from geoquant.segment._train_validation import DEFAULT_PARTS, fit_postprocess

        parts = DEFAULT_PARTS if postprocess is True else tuple(postprocess)
        post, temperature, report["validation"] = fit_postprocess(
            train, lambda subset: ImageClassifier(fitted(subset, "validation"), tuple(words),
                                                  spec),
            seed=seed, parts=parts, say=say)
    for phase, subset in phases:
        model = ImageClassifier(fitted(subset, phase), tuple(words), spec,
                                report=dict(report), temperature=temperature,
                                postprocess=post)
        if phase == "held-out":
            scores = evaluate_classifier(model, test, calibrate=True)
            if post is None:
                report["range"] = scores.pop("range")
                temperature = report["range"]["temperature"]
            else:
                report["range"] = report["validation"].get("range")
            report["held_out"] = scores
            report["held_out_seconds"] = round(time.perf_counter() - started, 1)
            if say:
                say(f"held out {', '.join(sorted(test_groups))}: accuracy "
                    f"{scores['accuracy']}; IoU " + ", ".join(
                        f"{k} {v:.2f}" for k, v in scores["iou"].items() if v is not None))
                if report["range"] is not None:
                    claim = report["range"]["coverage"]
                    say(f"ranges: temperature {temperature}; they should hold class areas "
                        + (f"{claim:.0%} of the time (out of fold)" if claim is not None else
                           "(not measurable out of fold: too little ground)")
                        + f" (aim {report['range']['level']:.0%})")
                if "range_coverage" in scores:
                    say(f"ranges held the held-out class areas "
                        f"{scores['range_coverage']['coverage']:.0%} of the time")
    report["refit_on_all"] = bool(test) and refit
    report["seconds"] = round(time.perf_counter() - started, 1)
    model = ImageClassifier(model.model_text if model else "", tuple(words), spec, report=report,
                            temperature=temperature, postprocess=post)
    if checkpoint is not None:
        model.save(checkpoint)
        if state is not None:
            state.unlink(missing_ok=True)
    return model
