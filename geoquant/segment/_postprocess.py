"""What a trained classifier does to its raw scores before they are probabilities.

:class:`Postprocess` is stored in the model file of ``geoquant train --legend`` and applied by
:meth:`~geoquant.segment._image_classifier.ImageClassifier.probabilities`, so ``ask``,
``eval``, ``survey`` and ``monitor`` with ``--segmenter model.pt`` all apply it the same way:

1. per-class score offsets (:mod:`~geoquant.segment._class_priors`, priors recalibrated on
   validation ground), added to the trees' raw scores;
2. the softmax at the model's temperature (:mod:`~geoquant.segment._range_calibration`);
3. the label smoothing (:class:`~geoquant.segment._label_smoothing.LabelSmoothing`), with its
   halo added to the model's.

With a soft majority, the class map is the argmax of averaged probabilities, so unlike the
plain softmax it may change with the temperature. Each is chosen on a validation split of
the training ground
(:mod:`~geoquant.segment._train_validation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geoquant.segment._label_smoothing import LabelSmoothing
from geoquant.segment._range_calibration import softmax


@dataclass(frozen=True)
class Postprocess:
    """Score offsets and label smoothing (see the module docstring).

    Attributes
    ----------
    offsets : tuple of float
        Added to each class's raw score (empty: none).
    smoothing : LabelSmoothing
        Applied to the probabilities.
    report : dict
        What the validation split measured when they were chosen.
    """

    offsets: tuple[float, ...] = ()
    smoothing: LabelSmoothing = field(default_factory=LabelSmoothing)
    report: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def halo(self) -> int:
        """Pixels of context beyond those of the features."""
        return self.smoothing.halo

    def shifted(self, scores: np.ndarray) -> np.ndarray:
        """``(class, y, x)`` raw scores plus the offsets."""
        if not self.offsets:
            return scores
        return scores + np.asarray(self.offsets, np.float32).reshape(-1, 1, 1)

    def probabilities(self, scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """``(class, y, x)`` float32 probabilities of raw scores (NaN kept)."""
        return self.smoothing.apply(softmax(self.shifted(scores), temperature))

    def to_json(self) -> dict[str, Any]:
        return {"offsets": list(self.offsets), "smoothing": self.smoothing.to_json(),
                "report": dict(self.report)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Postprocess:
        data = data or {}
        return cls(tuple(float(v) for v in data.get("offsets", ())),
                   LabelSmoothing.from_json(data.get("smoothing")),
                   dict(data.get("report", {})))
