"""Class priors recalibrated on validation ground (issue 29): offsets that undo a known bias
of the scores, checked by counting the class map's pixels with NumPy."""

from __future__ import annotations

import numpy as np

from geoquant.segment._class_priors import area_error, fit_offsets


def _scores(seed: int, bias: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    target = rng.choice(3, size=(60, 80), p=(0.6, 0.3, 0.1)).astype(np.int16)
    onehot = np.stack([target == c for c in range(3)]).astype(np.float64)
    scores = onehot * 1.5 + rng.normal(scale=1.0, size=onehot.shape)
    scores += np.asarray(bias).reshape(-1, 1, 1)              # a classifier biased
    target[:5] = -1                                             # unlabelled rows
    scores[:, 50:, 70:] = np.nan                                # no data
    return scores.astype(np.float32), target


def _areas(scores: np.ndarray, target: np.ndarray, offsets) -> tuple[np.ndarray, np.ndarray]:
    shifted = scores + np.asarray(offsets, np.float32).reshape(-1, 1, 1)
    keep = (target >= 0) & np.isfinite(scores).all(axis=0)
    label = np.argmax(np.nan_to_num(shifted, nan=-np.inf), axis=0)[keep]
    return np.bincount(label, minlength=3), np.bincount(target[keep], minlength=3)


def test_offsets_undo_a_bias_and_transfer_to_other_ground_of_the_same_kind():
    bias = (0.0, 1.2, -0.8)
    scores, target = _scores(0, bias)
    offsets, errors = fit_offsets([scores[:, :30], scores[:, 30:]],
                                  [target[:30], target[30:]])
    assert offsets[0] == 0 and offsets[1] < -0.6     # class 1 was over-scored
    before, truth = _areas(scores, target, (0, 0, 0))
    after, _ = _areas(scores, target, offsets)
    assert abs(errors["before"] - area_error(before, truth)) < 1e-3
    assert abs(errors["after"] - area_error(after, truth)) < 1e-3
    assert area_error(after, truth) < area_error(before, truth) / 4
    other, other_target = _scores(1, bias)                     # new ground, same bias
    b2, t2 = _areas(other, other_target, (0, 0, 0))
    a2, _ = _areas(other, other_target, offsets)
    assert area_error(a2, t2) < area_error(b2, t2) / 2


def test_an_unbiased_classifier_keeps_small_offsets():
    scores, target = _scores(2, (0.0, 0.0, 0.0))
    before, truth = _areas(scores, target, (0, 0, 0))
    offsets, errors = fit_offsets([scores], [target])
    assert errors["after"] <= errors["before"]
    after, _ = _areas(scores, target, offsets)
    assert area_error(after, truth) <= area_error(before, truth) + 1e-9
