"""Evaluation of training: per-class IoU and accuracy on held-out pixels, and the report.

:func:`_evaluate` classifies every scene (in overlapping windows beyond
:data:`_EVAL_WINDOW` pixels) and counts, over the held-out pixels, a confusion matrix of
labels against predicted classes; :func:`~geoquant.segment._train.train` runs it before and
after training and returns a :class:`TrainReport`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.segment._model import UNetSegmenter
from geoquant.segment._train_data import _Scene

_EVAL_WINDOW = 1024  # evaluation predicts scenes larger than this in windows


@dataclass(frozen=True)
class TrainReport:
    """What a training run did and how well the result segments held-out pixels.

    Attributes
    ----------
    losses : tuple of float
        Cross-entropy of each step's batch (nats per labelled pixel).
    iou_before, iou_after : mapping of str to float
        Intersection over union of each model class on the held-out pixels, for the initial
        and the trained model; NaN for classes absent from the held-out labels.
    accuracy_before, accuracy_after : float
        Fraction of held-out pixels classified correctly (NaN when nothing is held out).
    holdout_pixels : int
        Labelled held-out pixels evaluated (summed over scenes).
    checkpoint : Path or None
        The checkpoint file written, if any.
    seconds : float
        Wall time of the whole call.
    segmenter : UNetSegmenter
        The trained model.
    """

    losses: tuple[float, ...]
    iou_before: Mapping[str, float]
    iou_after: Mapping[str, float]
    accuracy_before: float
    accuracy_after: float
    holdout_pixels: int
    checkpoint: Path | None
    seconds: float
    segmenter: UNetSegmenter

    @property
    def mean_iou_before(self) -> float:
        """Mean IoU of the initial model over the classes in the held-out labels."""
        return _nanmean(self.iou_before.values())

    @property
    def mean_iou_after(self) -> float:
        """Mean IoU of the trained model over the classes in the held-out labels."""
        return _nanmean(self.iou_after.values())

    def summary(self) -> str:
        """A few lines for people: loss, IoU per class before/after, accuracy, checkpoint."""
        lines = []
        if self.losses:
            lines.append(f"loss {self.losses[0]:.4f} -> {self.losses[-1]:.4f} over "
                         f"{len(self.losses)} steps ({self.seconds:.1f} s)")
        lines.append(f"held-out pixels: {self.holdout_pixels}")
        width = max([len(c) for c in self.iou_after] + [len("mean IoU")])
        lines.append(f"{'class':<{width}}  IoU before  IoU after")
        for cls in self.iou_after:
            lines.append(f"{cls:<{width}}  {_fmt(self.iou_before.get(cls))}  "
                         f"{_fmt(self.iou_after[cls])}")
        lines.append(f"{'mean IoU':<{width}}  {_fmt(self.mean_iou_before)}  "
                     f"{_fmt(self.mean_iou_after)}")
        lines.append(f"{'accuracy':<{width}}  {_fmt(self.accuracy_before)}  "
                     f"{_fmt(self.accuracy_after)}")
        lines.append(f"model: {self.segmenter.name}, version {self.segmenter.version}, "
                     f"classes {', '.join(self.segmenter.classes)}")
        if self.checkpoint is not None:
            lines.append(f"checkpoint: {self.checkpoint}")
        return "\n".join(lines)


def _evaluate(segmenter: UNetSegmenter, scenes: list[_Scene]
              ) -> tuple[dict[str, float], float, int]:
    """Per-class IoU, accuracy and pixel count on the held-out pixels of every scene."""
    n = len(segmenter.classes)
    confusion = np.zeros((n, n), np.int64)
    for scene in scenes:
        held = scene.eval_target >= 0
        if not held.any():
            continue
        predicted = _predict_classes(segmenter, scene.values)
        truth = scene.eval_target[held]
        confusion += np.bincount(truth * n + predicted[held], minlength=n * n).reshape(n, n)
    total = int(confusion.sum())
    tp = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - tp
    in_truth = confusion.sum(1) > 0
    iou = {c: float(tp[i] / union[i]) if in_truth[i] else math.nan
           for i, c in enumerate(segmenter.classes)}
    accuracy = float(tp.sum() / total) if total else math.nan
    return iou, accuracy, total


def _predict_classes(segmenter: UNetSegmenter, values: np.ndarray) -> np.ndarray:
    """Arg-max class of every pixel (0 where no data), in windows for large scenes."""
    _, height, width = values.shape
    bands = list(segmenter.bands)
    if height <= _EVAL_WINDOW and width <= _EVAL_WINDOW:
        return np.nan_to_num(segmenter.predict(values, bands), nan=0.0).argmax(0)
    # Windows start at multiples of 32 with a 256-pixel margin: close to, though not
    # bitwise, a whole-scene prediction (the full halo would triple the work).
    margin = 256
    out = np.zeros((height, width), np.int64)
    for y in range(0, height, _EVAL_WINDOW):
        for x in range(0, width, _EVAL_WINDOW):
            y0, x0 = max(0, y - margin), max(0, x - margin)
            y1, x1 = min(height, y + _EVAL_WINDOW + margin), min(width, x + _EVAL_WINDOW + margin)
            probs = segmenter.predict(values[:, y0:y1, x0:x1], bands)
            core = np.nan_to_num(probs, nan=0.0).argmax(0)
            out[y:y + _EVAL_WINDOW, x:x + _EVAL_WINDOW] = \
                core[y - y0:y - y0 + _EVAL_WINDOW, x - x0:x - x0 + _EVAL_WINDOW]
    return out


def _nanmean(values: Any) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def _fmt(value: float | None) -> str:
    return "       -  " if value is None or math.isnan(value) else f"{value:10.3f}"
