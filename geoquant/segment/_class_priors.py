"""Class priors recalibrated on validation ground: class areas without the classifier's bias.

A classifier trained on some ground and applied to other ground over- or under-states each
class's area by the difference between its training priors and the new ground's, and by its
confusions. Shares and areas of the answers inherit that bias whole. :func:`fit_offsets`
estimates it on validation images (ground the model was not trained on, labelled): it finds
per-class offsets ``b`` added to the trees' raw scores (``log`` prior ratios) such that the
class map ``argmax(score + b)`` gives every class the area the labels give it, pooled over the
validation pixels. It is a per-pixel shift (exact in any tile), the prior-shift form of the
"adjusted classify and count" correction of quantification.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Iterations of the multiplicative area update, and its step.
ITERATIONS = 60
STEP = 0.5
#: At most this many validation pixels (taken evenly) enter the fit.
MAX_PIXELS = 2_000_000


def _pooled(scores: Sequence[np.ndarray], targets: Sequence[np.ndarray]
            ) -> tuple[np.ndarray, np.ndarray]:
    """``(pixel, class)`` scores and ``(pixel,)`` classes of the labelled valid pixels."""
    n = scores[0].shape[0]
    total = sum(int(t.size) for t in targets)
    every = max(1, total // MAX_PIXELS)
    rows, classes = [], []
    for s, t in zip(scores, targets, strict=True):
        flat = np.asarray(s, np.float64).reshape(n, -1)[:, ::every]
        target = np.asarray(t).ravel()[::every]
        keep = (target >= 0) & np.isfinite(flat).all(axis=0)
        rows.append(flat[:, keep].T)
        classes.append(target[keep].astype(np.int64))
    return np.concatenate(rows), np.concatenate(classes)


def area_error(counts: np.ndarray, truth: np.ndarray) -> float:
    """Mean absolute error of class areas as a share of the pixels."""
    return float(np.abs(counts - truth).sum() / max(truth.sum(), 1))


def fit_offsets(scores: Sequence[np.ndarray], targets: Sequence[np.ndarray]
                ) -> tuple[tuple[float, ...], dict[str, float]]:
    """Per-class score offsets that make the class map's areas the labels' on validation.

    Parameters
    ----------
    scores : sequence of numpy.ndarray
        Per validation image, the raw scores ``(class, y, x)`` (NaN: no data).
    targets : sequence of numpy.ndarray
        Per image, the true class ``(y, x)`` (negative: unlabelled).

    Returns
    -------
    tuple
        The offsets (one per class, the first 0) and ``{"before": e, "after": e}``: the area
        error (:func:`area_error`) of the class map without and with them, on these pixels.
    """
    x, y = _pooled(scores, targets)
    n = x.shape[1]
    if not len(y):
        return (0.0,) * n, {"before": 0.0, "after": 0.0}
    truth = np.bincount(y, minlength=n).astype(np.float64)
    offsets = np.zeros(n)
    best = (np.inf, offsets.copy())
    before = None
    for _ in range(ITERATIONS + 1):
        counts = np.bincount(np.argmax(x + offsets, axis=1), minlength=n).astype(np.float64)
        error = area_error(counts, truth)
        before = error if before is None else before
        if error < best[0]:
            best = (error, offsets.copy())
        offsets += STEP * (np.log(truth + 1.0) - np.log(counts + 1.0))
        offsets -= offsets[0]
    chosen = best[1] - best[1][0]
    return (tuple(round(float(v), 6) for v in chosen),
            {"before": round(before, 4), "after": round(best[0], 4)})
