"""Class areas corrected for a classifier's confusions: "adjusted classify and count".

A class map's share of class ``j`` over a region, ``q_j``, mixes the true shares ``t_i`` through
the classifier's confusion rates ``C[i, j] = P(map says j | truth is i)``:
``q = Cᵀ t``. Estimating ``C`` on validation ground (labelled, not trained on) and solving for
``t`` (non-negative, summing to one) corrects a region's class shares for the classifier's
systematic confusions while letting the region's own class mix differ from the training
ground's (the assumption is that ``C`` transfers, not the priors). The uncertainty of ``C``
is carried into the answer by a bootstrap over blocks of the validation ground: the range of
the corrected share between the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles.

:func:`confusion_blocks` collects the validation counts per block, :func:`adjusted_shares`
corrects shares with one matrix, and :func:`adjusted_range` gives the corrected shares with
their bootstrap range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Side of the validation blocks resampled by the bootstrap, pixels.
BLOCK_PX = 128
#: Bootstrap draws.
DRAWS = 200
#: Share of draws the range spans.
LEVEL = 0.8


def confusion_blocks(labels: Sequence[np.ndarray], targets: Sequence[np.ndarray],
                     n_classes: int, *, block_px: int = BLOCK_PX) -> np.ndarray:
    """``(block, true, predicted)`` pixel counts of class maps against labels, per block.

    Parameters
    ----------
    labels : sequence of numpy.ndarray
        Class maps ``(y, x)`` (negative: no data).
    targets : sequence of numpy.ndarray
        True classes ``(y, x)`` (negative: unlabelled).
    n_classes : int
        Number of classes.
    block_px : int
        Side of the blocks, pixels.
    """
    out = []
    for label, target in zip(labels, targets, strict=True):
        h, w = target.shape
        for y in range(0, h, block_px):
            for x in range(0, w, block_px):
                t = target[y:y + block_px, x:x + block_px].ravel().astype(np.int64)
                p = label[y:y + block_px, x:x + block_px].ravel().astype(np.int64)
                keep = (t >= 0) & (p >= 0)
                if keep.any():
                    out.append(np.bincount(t[keep] * n_classes + p[keep],
                                           minlength=n_classes ** 2
                                           ).reshape(n_classes, n_classes))
    return np.stack(out) if out else np.zeros((0, n_classes, n_classes), np.int64)


def rates(confusion: np.ndarray) -> np.ndarray:
    """``P(predicted j | true i)`` from ``(true, predicted)`` counts; a class never seen true
    is taken as always predicted right."""
    confusion = np.asarray(confusion, np.float64)
    rows = confusion.sum(axis=1, keepdims=True)
    out = np.where(rows > 0, confusion / np.maximum(rows, 1), 0.0)
    unseen = rows[:, 0] == 0
    out[unseen] = np.eye(len(confusion))[unseen]
    return out


def adjusted_shares(shares: np.ndarray, confusion: np.ndarray) -> np.ndarray:
    """True class shares ``t >= 0`` (summing to one) whose mixing ``Cᵀ t`` is closest, in
    least squares, to the class map's ``shares``; ``C`` are the rates of ``confusion``."""
    from scipy.optimize import nnls

    q = np.asarray(shares, np.float64)
    c = rates(confusion)
    weight = 10.0                                        # the sum-to-one row, weighted
    a = np.vstack([c.T, weight * np.ones(len(q))])
    b = np.concatenate([q / max(q.sum(), 1e-12), [weight]])
    t, _ = nnls(a, b)
    return t / t.sum() if t.sum() > 0 else q


def adjusted_range(shares: np.ndarray, blocks: np.ndarray, *, draws: int = DRAWS,
                   level: float = LEVEL, seed: int = 0) -> dict[str, Any]:
    """Corrected class shares of a region and their bootstrap range.

    Parameters
    ----------
    shares : numpy.ndarray
        The class map's share of each class over the region (or its pixel counts).
    blocks : numpy.ndarray
        ``(block, true, predicted)`` validation counts (:func:`confusion_blocks`).
    draws, level, seed
        Bootstrap draws over the blocks, the share of them the range spans, and the seed.

    Returns
    -------
    dict
        ``share`` (corrected with all blocks), ``low`` and ``high`` (per class), ``level``.
    """
    central = adjusted_shares(shares, blocks.sum(axis=0))
    rng = np.random.default_rng(seed)
    samples = np.stack([adjusted_shares(shares, blocks[rng.integers(0, len(blocks),
                                                                    len(blocks))].sum(axis=0))
                        for _ in range(draws)])
    low, high = np.quantile(samples, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return {"share": central, "low": np.minimum(low, central), "high": np.maximum(high, central),
            "level": level}
