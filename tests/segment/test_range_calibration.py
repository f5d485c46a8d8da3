"""Answer ranges of a classifier made honest on held-out ground (issue 29): the softmax
temperature keeps the class map, widens over-confident ranges until they hold the truth, and
claims the share measured out of fold."""

from __future__ import annotations

import numpy as np

from geoquant.segment._range_calibration import (
    LEVEL,
    TEMPERATURES,
    THRESHOLDS,
    calibrate_temperature,
    softmax,
)


def _held_out(n_images: int = 4, seed: int = 0) -> tuple[list, list]:
    """Over-confident scores: background right with a margin of 6, but half of the class-1
    pixels confidently wrong (margin -3): the class map counts half of class 1's area, and
    only a temperature of 4 or more brings them above the lower threshold (0.3)."""
    rng = np.random.default_rng(seed)
    scores, targets = [], []
    for _ in range(n_images):
        target = (rng.random((128, 128)) < 0.3).astype(np.int16)
        wrong = rng.random(target.shape) < 0.5
        s1 = np.where(target == 1, np.where(wrong, -3.0, 6.0), -6.0)
        s1 += rng.normal(0, 0.05, target.shape)
        raw = np.stack([np.zeros_like(s1), s1]).astype(np.float32)
        raw[:, :4, :4] = np.nan                                          # no data
        target[120:, 120:] = -1                                          # unlabelled
        scores.append(raw)
        targets.append(target)
    return scores, targets


def test_softmax_keeps_the_class_map_and_nan():
    scores, _ = _held_out(1)
    for t in TEMPERATURES:
        p = softmax(scores[0], t)
        assert np.isnan(p[:, :4, :4]).all()
        ok = np.isfinite(scores[0]).all(axis=0)
        np.testing.assert_array_equal(np.argmax(p, axis=0)[ok],
                                      np.argmax(scores[0], axis=0)[ok])
        np.testing.assert_allclose(p.sum(axis=0)[ok], 1.0, rtol=1e-5)


def test_overconfident_ranges_are_widened_until_they_hold_the_truth():
    scores, targets = _held_out()
    got = calibrate_temperature(scores, targets, block_px=32)
    by_t = {float(t): c for t, c in got["by_temperature"].items()}
    assert by_t[1.0] < LEVEL                      # as trained: the ranges miss
    assert got["temperature"] == 4.0              # -3 / 4 = -0.75 > logit(0.3) = -0.85
    assert got["coverage_in_sample"] >= LEVEL
    assert got["temperature"] == min(t for t, c in by_t.items() if c >= LEVEL)
    assert got["coverage"] is not None and 0 <= got["coverage"] <= 1
    assert got["units"] > 0 and got["thresholds"] == list(THRESHOLDS)


def test_one_image_is_cross_fitted_over_its_blocks_and_no_unit_gives_no_claim():
    scores, targets = _held_out(1)
    one = calibrate_temperature(scores, targets)       # a small image: 64 px blocks
    assert one["block_px"] == 64 and one["units"] == 2 * 4
    assert one["coverage"] is not None
    empty = calibrate_temperature([scores[0]], [np.full((128, 128), -1, np.int16)])
    assert empty["units"] == 0 and empty["temperature"] == 1.0 and empty["coverage"] is None


def test_thresholds_are_those_of_ask():
    from geoquant.reason._ask import RANGE_THRESHOLDS

    assert tuple(RANGE_THRESHOLDS) == THRESHOLDS
