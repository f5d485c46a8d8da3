"""Adjusted classify and count (issue 29): confusion counts per block against NumPy, corrected
shares against a direct linear solve, and a bootstrap range that holds a known truth."""

from __future__ import annotations

import numpy as np

from geoquant.segment._area_adjust import (
    adjusted_range,
    adjusted_shares,
    confusion_blocks,
    rates,
)


def _classifier(seed: int, truth_shares: tuple[float, ...], shape=(200, 300)):
    """Labels and a class map that confuses them at fixed rates (rows: true class)."""
    rng = np.random.default_rng(seed)
    confusion = np.array([[0.80, 0.15, 0.05], [0.20, 0.70, 0.10], [0.05, 0.05, 0.90]])
    target = rng.choice(3, size=shape, p=truth_shares)
    u = rng.random(shape)
    cumulative = np.cumsum(confusion, axis=1)[target]
    label = (u[..., None] > cumulative).sum(axis=-1)
    return target.astype(np.int16), label.astype(np.int16), confusion


def test_blocks_add_up_to_the_whole_confusion():
    target, label, _ = _classifier(0, (0.5, 0.3, 0.2))
    target[:10] = -1                                  # unlabelled rows are left out
    blocks = confusion_blocks([label], [target], 3, block_px=64)
    keep = target >= 0
    whole = np.bincount(target[keep] * 3 + label[keep], minlength=9).reshape(3, 3)
    np.testing.assert_array_equal(blocks.sum(axis=0), whole)
    assert len(blocks) == 4 * 5
    first = np.bincount((target[10:64, :64] * 3 + label[10:64, :64]).ravel(), minlength=9)
    np.testing.assert_array_equal(blocks[0].ravel(), first)


def test_corrected_shares_solve_the_mixing_and_undo_the_bias_on_new_ground():
    c = np.array([[0.8, 0.2, 0.0], [0.1, 0.7, 0.2], [0.0, 0.1, 0.9]])
    t = np.array([0.2, 0.5, 0.3])
    q = c.T @ t
    np.testing.assert_allclose(adjusted_shares(q, c * 1000), np.linalg.solve(c.T, q),
                               atol=1e-9)
    np.testing.assert_allclose(rates(c * 1000), c)
    # validation ground with one class mix, new ground with another: the rates transfer
    target, label, _ = _classifier(1, (0.6, 0.3, 0.1))
    blocks = confusion_blocks([label], [target], 3)
    new_target, new_label, _ = _classifier(2, (0.2, 0.3, 0.5))
    true = np.bincount(new_target.ravel(), minlength=3) / new_target.size
    mapped = np.bincount(new_label.ravel(), minlength=3) / new_label.size
    fixed = adjusted_range(mapped, blocks, draws=60)
    assert np.abs(fixed["share"] - true).max() < np.abs(mapped - true).max() / 4
    assert (fixed["low"] <= true + 0.01).all() and (true - 0.01 <= fixed["high"]).all()
    assert (fixed["low"] <= fixed["share"]).all() and (fixed["share"] <= fixed["high"]).all()


def test_a_class_never_seen_on_validation_is_left_as_mapped():
    r = rates(np.array([[5, 5], [0, 0]]))
    np.testing.assert_allclose(r, [[0.5, 0.5], [0.0, 1.0]])
