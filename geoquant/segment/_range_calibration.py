"""Honest answer ranges from a classifier: a softmax temperature fitted on held-out ground.

``ask`` states a range by measuring the masks a segmentation gives at two probability
thresholds (:data:`THRESHOLDS`, those of ``geoquant.reason``) beside its class map, and takes
the span of the three answers. A classifier's own probabilities are over-confident away from
its training ground: the masks at 0.3 and 0.7 barely differ, so the range is narrow and
misses the truth. Dividing the trees' scores by a temperature ``T > 1`` before the softmax
widens the masks' spread without changing the class map (argmax).

:func:`calibrate_temperature` picks ``T`` on labelled held-out images: it cuts them into
blocks of ``block_px`` pixels and, for every block and class present in the truth or the
class map, asks whether the class's true pixel count lies within the span of the three masks'
counts (the area question's range); it keeps the smallest ``T`` of :data:`TEMPERATURES` whose
coverage reaches ``level`` (else the one that covers most). How often that choice holds on
ground it was *not* fitted on is measured by two-fold cross-fitting (images alternate between
the folds; a single image alternates its blocks), and that out-of-fold share is what the
model claims.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

#: ``(scores, temperature) -> probabilities`` of a model that does more than the softmax.
Probabilities = Callable[[np.ndarray, float], np.ndarray]
#: Probability thresholds of ``ask``'s range runs (``geoquant.reason._ask.RANGE_THRESHOLDS``;
#: segment must not import reason: a test checks they agree).
THRESHOLDS = (0.3, 0.7)
#: Temperatures tried, in order.
TEMPERATURES = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
#: Share of held-out class areas the range should hold.
LEVEL = 0.8
#: Side of the blocks that are the units of coverage, pixels (smaller for small images: at
#: least two blocks a side).
BLOCK_PX = 256


def softmax(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Probabilities ``(class, ...)`` float32 of raw scores over ``temperature`` (NaN kept)."""
    z = np.asarray(scores, np.float64) / float(temperature)
    z = z - np.max(z, axis=0, keepdims=True)
    e = np.exp(z)
    return (e / e.sum(axis=0, keepdims=True)).astype(np.float32)


def _block_sums(mask: np.ndarray, block_px: int) -> np.ndarray:
    """Counts of ``(class, y, x)`` boolean masks per block: ``(class, blocks)``."""
    k, h, w = mask.shape
    rows = np.add.reduceat(mask.astype(np.int64), np.arange(0, h, block_px), axis=1)
    return np.add.reduceat(rows, np.arange(0, w, block_px), axis=2).reshape(k, -1)


def _counts(scores: np.ndarray, target: np.ndarray, temperature: float,
            block_px: int, probabilities: Probabilities | None = None
            ) -> dict[str, np.ndarray]:
    """Per block and class: true pixels, class-map pixels, and pixels at each threshold."""
    n = scores.shape[0]
    classes = np.arange(n)[:, None, None]
    if probabilities is None:
        valid = (target >= 0) & np.isfinite(scores).all(axis=0)
        label = np.argmax(np.nan_to_num(scores, nan=-np.inf), axis=0)
        prob = softmax(np.where(valid, scores, 0.0), temperature)
    else:
        prob = probabilities(scores, temperature)
        valid = (target >= 0) & np.isfinite(prob).all(axis=0)
        label = np.argmax(np.nan_to_num(prob, nan=-np.inf), axis=0)
    out = {"truth": _block_sums((target == classes) & valid, block_px),
           "map": _block_sums((label == classes) & valid, block_px)}
    for t in THRESHOLDS:
        out[f"p{t}"] = _block_sums((prob >= t) & valid, block_px)
    return out


def _covered(counts: dict[str, np.ndarray], present: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """Per unit (block x class present: in the truth or the class map, unless ``present``
    says): whether the span of the three masks holds the truth."""
    runs = np.stack([counts["map"], *(counts[f"p{t}"] for t in THRESHOLDS)])
    if present is None:
        present = (counts["truth"] > 0) | (counts["map"] > 0)
    hold = (runs.min(axis=0) <= counts["truth"]) & (counts["truth"] <= runs.max(axis=0))
    return hold[present], present


def _block_px(targets: Sequence[np.ndarray]) -> int:
    """:data:`BLOCK_PX`, or half the smallest image's shorter side when less (at least 8)."""
    return max(8, min([BLOCK_PX, *(min(t.shape) // 2 for t in targets)]))


def _pick(coverage: dict[float, float], level: float) -> float:
    reached = [t for t in TEMPERATURES if coverage[t] >= level]
    if reached:
        return reached[0]
    best = max(coverage.values())
    return next(t for t in TEMPERATURES if coverage[t] == best)


def calibrate_temperature(scores: Sequence[np.ndarray], targets: Sequence[np.ndarray], *,
                          level: float = LEVEL, block_px: int | None = None,
                          probabilities: Probabilities | None = None) -> dict[str, Any]:
    """The softmax temperature whose ranges hold held-out class areas ``level`` of the time.

    Parameters
    ----------
    scores : sequence of numpy.ndarray
        Per held-out image, the classifier's raw scores ``(class, y, x)`` (NaN: no data).
    targets : sequence of numpy.ndarray
        Per image, the true class index ``(y, x)`` (negative: unlabelled).
    level : float
        Share of (block, class) areas the range should hold, 0 to 1.
    block_px : int, optional
        Side of the blocks, pixels; by default :data:`BLOCK_PX`, or half the smallest
        image's shorter side when that is less (at least 8).
    probabilities : callable, optional
        ``(scores, temperature) -> (class, y, x)`` probabilities, when the model does more
        than the softmax (score offsets, label smoothing: its class map is their argmax);
        by default the softmax of the scores.

    Returns
    -------
    dict
        ``temperature``; ``coverage`` (out-of-fold share of units whose range held the truth:
        what the model claims), ``coverage_in_sample`` (on the units it was fitted on),
        ``level``, ``units``, ``thresholds``, ``block_px``, and ``by_temperature`` (in-sample
        coverage of each temperature tried).
    """
    block_px = _block_px(targets) if block_px is None else block_px
    held: dict[float, list[np.ndarray]] = {}
    fold_of: list[np.ndarray] = []
    for i, (s, target) in enumerate(zip(scores, targets, strict=True)):
        counts = {t: _counts(s, target, t, block_px, probabilities) for t in TEMPERATURES}
        # The same units at every temperature: a smoothed class map may change with it.
        present = np.logical_or.reduce([(c["truth"] > 0) | (c["map"] > 0)
                                        for c in counts.values()])
        for t in TEMPERATURES:
            held.setdefault(t, []).append(_covered(counts[t], present)[0])
        if len(scores) > 1:
            fold = np.full(present.shape, i % 2)
        else:
            nx = -(-target.shape[1] // block_px)
            blocks = np.arange(present.shape[1])
            fold = np.broadcast_to((blocks // nx + blocks % nx) % 2, present.shape)
        fold_of.append(fold[present])
    hits = {t: np.concatenate(v) for t, v in held.items()}
    folds = np.concatenate(fold_of) if fold_of else np.zeros(0, int)
    units = int(folds.size)
    if units == 0:
        return {"temperature": 1.0, "coverage": None, "coverage_in_sample": None,
                "level": level, "units": 0, "thresholds": list(THRESHOLDS),
                "block_px": block_px, "by_temperature": {}}
    coverage = {t: float(h.mean()) for t, h in hits.items()}
    chosen = _pick(coverage, level)
    out_of_fold = []
    for f in (0, 1):
        fit, test = folds != f, folds == f
        if not fit.any() or not test.any():
            continue
        t = _pick({t: float(h[fit].mean()) for t, h in hits.items()}, level)
        out_of_fold.append(hits[t][test])
    oof = float(np.concatenate(out_of_fold).mean()) if out_of_fold else None
    return {"temperature": chosen, "coverage": None if oof is None else round(oof, 4),
            "coverage_in_sample": round(coverage[chosen], 4), "level": level,
            "units": units, "thresholds": list(THRESHOLDS), "block_px": block_px,
            "by_temperature": {str(t): round(c, 4) for t, c in coverage.items()}}


def range_coverage(scores: Sequence[np.ndarray], targets: Sequence[np.ndarray], *,
                   temperature: float, probabilities: Probabilities | None = None,
                   block_px: int | None = None) -> dict[str, Any]:
    """How often the ranges of one temperature hold the true class areas of labelled images
    (the units of :func:`calibrate_temperature`; nothing is fitted here).

    Returns
    -------
    dict
        ``coverage`` (share of units whose range held the truth; None without units),
        ``units``, ``temperature``, ``block_px``.
    """
    block_px = _block_px(targets) if block_px is None else block_px
    hits = [_covered(_counts(s, t, temperature, block_px, probabilities))[0]
            for s, t in zip(scores, targets, strict=True)]
    held = np.concatenate(hits) if hits else np.zeros(0, bool)
    return {"coverage": round(float(held.mean()), 4) if held.size else None,
            "units": int(held.size), "temperature": temperature, "block_px": block_px}
