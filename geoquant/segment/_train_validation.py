"""Post-processing chosen on a validation split of the training ground, never on held-out ground.

:func:`fit_postprocess` keeps part of the training ground aside (:func:`validation_split`),
trains a classifier on the rest with the caller's options, and on the part kept aside fits
what :class:`~geoquant.segment._postprocess.Postprocess` applies:

1. class score offsets whose class map has the labels' class areas
   (:func:`~geoquant.segment._class_priors.fit_offsets`);
2. the label smoothing (radius of the soft majority, minimum mapping unit) whose class maps
   have the labels' object counts and class areas
   (:func:`~geoquant.segment._label_smoothing.choose_smoothing`);
3. the softmax temperature whose ranges hold the class areas (with 1 and 2 applied:
   :func:`~geoquant.segment._range_calibration.calibrate_temperature`).

Validation ground: with several training groups, about a quarter of them (at least one,
drawn with the seed); with one, the last :data:`VALIDATION_SHARE` of each image's rows, a
group of its own (``<group>:validation``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from geoquant.errors import InvalidOptionError
from geoquant.segment._class_priors import fit_offsets
from geoquant.segment._label_smoothing import choose_smoothing
from geoquant.segment._postprocess import Postprocess
from geoquant.segment._range_calibration import calibrate_temperature
from geoquant.segment._train_files import TrainingImage

#: Share of the rows of each image kept for validation when there is one training group.
VALIDATION_SHARE = 1 / 3
#: What :func:`fit_postprocess` can fit: ``offsets``, ``smoothing``, ``temperature``.
PARTS = ("offsets", "smoothing", "temperature")
#: What ``geoquant train`` fits by default: the parts that helped on held-out ground
#: (``benchmarks/README.md`` §14, third pass; offsets and smoothing did not).
DEFAULT_PARTS = ("temperature",)


def validation_split(images: Sequence[TrainingImage], *, seed: int = 0
                     ) -> tuple[list[TrainingImage], list[TrainingImage]]:
    """``(fit, validation)`` images of the training ground (see the module docstring)."""
    groups = sorted({i.group for i in images})
    if len(groups) >= 2:
        n = max(1, round(len(groups) / 4))
        chosen = set(np.random.default_rng(seed).choice(groups, n, replace=False).tolist())
        return ([i for i in images if i.group not in chosen],
                [i for i in images if i.group in chosen])
    fit, validation = [], []
    for image in images:
        cut = int(round(image.target.shape[0] * (1 - VALIDATION_SHARE)))
        fit.append(replace(image, values=image.values[:, :cut], target=image.target[:cut]))
        validation.append(replace(image, name=f"{image.name}:validation",
                                  group=f"{image.group}:validation",
                                  values=image.values[:, cut:], target=image.target[cut:]))
    return fit, validation


def fit_on_validation(model: Any, validation: Sequence[TrainingImage], *,
                      parts: Sequence[str] = PARTS) -> tuple[Postprocess, float, dict]:
    """The post-processing and temperature that ``model`` (trained without ``validation``)
    needs, fitted on the validation images; returns ``(postprocess, temperature, report)``."""
    scores = [model.scores(model.features.compute(i.values)) for i in validation]
    post, temperature, report = fit_scores(scores, [i.target for i in validation],
                                           parts=parts)
    report = {"groups": sorted({i.group for i in validation}), **report}
    return Postprocess(post.offsets, post.smoothing, report), temperature, report


def fit_scores(scores: Sequence[np.ndarray], targets: Sequence[np.ndarray], *,
               parts: Sequence[str] = PARTS) -> tuple[Postprocess, float, dict]:
    """:func:`fit_on_validation` from a model's raw scores ``(class, y, x)`` of validation
    images and their true classes ``(y, x)`` (negative: unlabelled)."""
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise InvalidOptionError(f"postprocess parts {', '.join(unknown)} are unknown: use "
                                 f"{', '.join(PARTS)}")
    report: dict[str, Any] = {"pixels": int(sum((t >= 0).sum() for t in targets))}
    offsets: tuple[float, ...] = ()
    if "offsets" in parts:
        offsets, report["area_error"] = fit_offsets(scores, targets)
    post = Postprocess(offsets)
    if "smoothing" in parts:
        prob = [post.probabilities(s) for s in scores]
        smoothing, table = choose_smoothing(prob, targets)
        report["smoothing_error"] = {"chosen": table[f"r{smoothing.radius_px}-k"
                                                     f"{smoothing.min_pixels}"],
                                     "none": table["r0-k0"], "tried": table}
        post = Postprocess(offsets, smoothing)
    temperature = 1.0
    if "temperature" in parts:
        report["range"] = calibrate_temperature(scores, targets,
                                                probabilities=post.probabilities)
        temperature = report["range"]["temperature"]
    return Postprocess(post.offsets, post.smoothing, report), temperature, report


def fit_postprocess(images: Sequence[TrainingImage], train: Callable[..., Any], *,
                    seed: int = 0, parts: Sequence[str] = PARTS,
                    say: Callable[[str], None] | None = None
                    ) -> tuple[Postprocess, float, dict]:
    """Train on part of the training ground and fit the post-processing on the rest.

    Parameters
    ----------
    images : sequence of TrainingImage
        The training ground (held-out groups already left out).
    train : callable
        ``train(images) -> ImageClassifier``, with the options of the final model.
    seed : int
        Seed of the validation groups' draw.
    parts : sequence of str
        What to fit (:data:`PARTS`).
    say : callable, optional
        Progress lines.

    Returns
    -------
    tuple
        ``(postprocess, temperature, report)``.
    """
    fit, validation = validation_split(images, seed=seed)
    if say:
        say(f"validation: training on {len(fit)} images, fitting the post-processing on "
            f"{', '.join(sorted({i.group for i in validation}))}")
    model = train(fit)
    post, temperature, report = fit_on_validation(model, validation, parts=parts)
    if say:
        s = post.smoothing
        say(f"validation: offsets {', '.join(f'{v:+.2f}' for v in post.offsets) or 'none'}; "
            f"smoothing radius {s.radius_px} px, minimum object {s.min_pixels} px; "
            f"temperature {temperature}")
    return post, temperature, report
