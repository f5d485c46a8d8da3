"""Label-consistent post-processing: class maps with the structure of the reference labels.

Reference labels have a structure that per-pixel classifiers do not reproduce: NLCD has a
minimum mapping unit, hand-drawn masks are smooth polygons. A classifier's class map is
speckled instead, so counts of objects and sizes of patches explode. :class:`LabelSmoothing`
applies two local steps to a tile of class probabilities ``(class, y, x)``:

1. **soft majority** of radius ``r`` (``radius_px``): each class's probability is replaced by
   its mean over the ``(2r + 1)²`` window around the pixel (missing pixels weigh nothing;
   windows are cut at the raster's edge). The class map (argmax) becomes a majority vote of
   the probabilities, and an isolated pixel loses to its surroundings at every threshold;
2. **sieve** (minimum mapping unit ``k``, ``min_pixels``): every 8-connected object of one
   class with fewer than ``k`` pixels that does not touch the raster's edge takes the class
   sharing the longest border with it (the most 8-neighbour pairs between its pixels and
   labelled pixels outside it, ties to the first class of the legend; all objects are judged
   on the map before the sieve, at once). At its pixels, the probabilities of its class and
   of the new class are exchanged, so the new class is the argmax and the threshold masks keep
   both possibilities.

Why the result is exact in any tile read with :attr:`LabelSmoothing.halo` (``r + k``) more
pixels of context: the mean is a direct separable correlation (the same inputs in the same
order at every pixel, bitwise the whole raster's value once the window lies inside the
tile). An object of fewer than ``k`` pixels lies within ``k - 1`` pixels of each of its
pixels, and its neighbours within ``k``; in a tile, an object that touches the tile's edge
(cut there, or at the raster's edge) is kept, which for a pixel ``k`` or more from a cut edge
happens only if its object has at least ``k + 1`` pixels or touches the raster's edge: the
same decision as on the whole raster.

The parameters are chosen on validation images by :func:`choose_smoothing`: the pair whose
class maps give the smallest error of object counts and class areas against the labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant.errors import InvalidOptionError

#: Radii of the soft majority tried by :func:`choose_smoothing`, pixels.
RADII = (0, 1, 2, 3, 5, 8)
#: Minimum mapping units tried, pixels (0: no sieve).
MIN_PIXELS = (0, 3, 6, 12, 25, 50, 100)
#: The 8 neighbours (dy, dx).
_SHIFTS = tuple((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)


@dataclass(frozen=True)
class LabelSmoothing:
    """A soft majority filter and a sieve (see the module docstring).

    Attributes
    ----------
    radius_px : int
        Radius of the soft majority window, pixels (0: none).
    min_pixels : int
        Objects smaller than this, pixels, are sieved into their surroundings (0 or 1: none).
    """

    radius_px: int = 0
    min_pixels: int = 0

    def __post_init__(self) -> None:
        for label, value in (("radius_px", self.radius_px), ("min_pixels", self.min_pixels)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 0:
                raise InvalidOptionError(f"{label} must be an integer >= 0 pixels, not "
                                         f"{value!r}")
        object.__setattr__(self, "radius_px", int(self.radius_px))
        object.__setattr__(self, "min_pixels", int(self.min_pixels))

    @property
    def halo(self) -> int:
        """Pixels of context a tile needs beyond those of the probabilities."""
        return self.radius_px + (self.min_pixels if self.min_pixels > 1 else 0)

    @property
    def active(self) -> bool:
        return self.halo > 0

    def apply(self, prob: np.ndarray) -> np.ndarray:
        """The smoothed ``(class, y, x)`` float32 probabilities of ``prob`` (NaN kept)."""
        prob = np.asarray(prob, np.float32)
        if self.radius_px:
            prob = soft_majority(prob, self.radius_px)
        if self.min_pixels > 1:
            label = class_map(prob)
            sieved = sieve(label, self.min_pixels, len(prob))
            prob = _exchange(prob, label, sieved)
        return prob

    def to_json(self) -> dict[str, Any]:
        return {"radius_px": self.radius_px, "min_pixels": self.min_pixels}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> LabelSmoothing:
        data = data or {}
        return cls(int(data.get("radius_px", 0)), int(data.get("min_pixels", 0)))


def class_map(prob: np.ndarray) -> np.ndarray:
    """``(y, x)`` int16 argmax of ``(class, y, x)`` probabilities, -1 where any is NaN."""
    valid = np.isfinite(prob).all(axis=0)
    label = np.argmax(np.where(valid, prob, -np.inf), axis=0).astype(np.int16)
    label[~valid] = -1
    return label


def _box_sum(layer: np.ndarray, radius: int) -> np.ndarray:
    """Sum over the ``(2 radius + 1)²`` window of each pixel of a ``(..., y, x)`` float64
    array, zeros beyond the edge: two direct correlations (the same order at every pixel)."""
    from scipy import ndimage

    kernel = np.ones(2 * radius + 1)
    once = ndimage.correlate1d(layer, kernel, axis=-2, mode="constant", cval=0.0)
    return ndimage.correlate1d(once, kernel, axis=-1, mode="constant", cval=0.0)


def soft_majority(prob: np.ndarray, radius: int) -> np.ndarray:
    """Each class's mean probability over the ``(2 radius + 1)²`` window of every pixel,
    over the window's valid pixels; float32, NaN where the pixel itself is missing."""
    valid = np.isfinite(prob).all(axis=0)
    total = _box_sum(np.where(valid, prob, 0.0).astype(np.float64), radius)
    weight = _box_sum(valid.astype(np.float64), radius)
    out = (total / np.maximum(weight, 1.0)).astype(np.float32)
    out[:, ~valid] = np.nan
    return out


def sieve(label: np.ndarray, min_pixels: int, n_classes: int) -> np.ndarray:
    """The class map with objects of fewer than ``min_pixels`` pixels that do not touch the
    array's edge given the class sharing the longest border with them.

    Parameters
    ----------
    label : numpy.ndarray
        ``(y, x)`` integer classes ``0 .. n_classes - 1``; negative: no data.
    min_pixels : int
        Objects (8-connected) smaller than this are sieved.
    n_classes : int
        Number of classes.

    Returns
    -------
    numpy.ndarray
        The sieved map, same dtype (no data kept).
    """
    from scipy import ndimage

    out = label.copy()
    if min_pixels <= 1 or label.size == 0:
        return out
    structure = np.ones((3, 3), bool)
    padded = np.pad(label, 1, constant_values=-1)
    h, w = label.shape
    for c in range(n_classes):
        objects, n = ndimage.label(label == c, structure)
        if n == 0:
            continue
        sizes = np.bincount(objects.ravel(), minlength=n + 1)
        small = sizes < min_pixels
        small[0] = False
        small[np.unique(np.concatenate([objects[0], objects[-1], objects[:, 0],
                                        objects[:, -1]]))] = False
        if not small.any():
            continue
        ids = np.flatnonzero(small)
        which = np.zeros(n + 1, np.int64)
        which[ids] = np.arange(1, len(ids) + 1)
        slot = which[objects]                      # 0, or 1 + index among the small objects
        ys, xs = np.nonzero(slot)
        votes = np.zeros((len(ids) + 1, n_classes), np.int64)
        for dy, dx in _SHIFTS:
            other = padded[ys + 1 + dy, xs + 1 + dx]
            keep = (other >= 0) & (other != c)
            np.add.at(votes, (slot[ys[keep], xs[keep]], other[keep]), 1)
        has = votes.sum(axis=1) > 0
        winner = np.where(has, np.argmax(votes, axis=1), c)
        out[ys, xs] = winner[slot[ys, xs]].astype(out.dtype)
    assert out.shape == (h, w)
    return out


def _exchange(prob: np.ndarray, before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """``prob`` with the probabilities of the old and new class exchanged where the class
    map changed."""
    ys, xs = np.nonzero(before != after)
    if not len(ys):
        return prob
    out = prob.copy()
    old, new = before[ys, xs], after[ys, xs]
    out[old, ys, xs], out[new, ys, xs] = prob[new, ys, xs], prob[old, ys, xs]
    return out


# --- choosing the parameters on validation images ---------------------------------------------


def _objects(label: np.ndarray, valid: np.ndarray, n_classes: int) -> np.ndarray:
    """``(class, 2)``: 8-connected objects and pixels of each class on the valid ground."""
    from scipy import ndimage

    structure = np.ones((3, 3), bool)
    out = np.zeros((n_classes, 2), np.int64)
    for c in range(n_classes):
        mask = (label == c) & valid
        out[c, 1] = int(mask.sum())
        out[c, 0] = ndimage.label(mask, structure)[1] if out[c, 1] else 0
    return out


def _structure_error(predicted: np.ndarray, true: np.ndarray) -> list[float]:
    """Per class present: |log| ratio of object counts plus that of areas."""
    present = (predicted[:, 1] > 0) | (true[:, 1] > 0)
    gap = np.abs(np.log1p(predicted) - np.log1p(true)).sum(axis=1)
    return gap[present].tolist()


def choose_smoothing(probabilities: Sequence[np.ndarray], targets: Sequence[np.ndarray], *,
                     radii: Sequence[int] = RADII, min_pixels: Sequence[int] = MIN_PIXELS
                     ) -> tuple[LabelSmoothing, dict[str, float]]:
    """The smoothing whose class maps best match the labels' objects and areas.

    Parameters
    ----------
    probabilities : sequence of numpy.ndarray
        Per validation image, a model's ``(class, y, x)`` probabilities (NaN: no data).
    targets : sequence of numpy.ndarray
        Per image, the true class ``(y, x)`` (negative: unlabelled).
    radii, min_pixels : sequence of int
        The soft majority radii and minimum mapping units tried, pixels.

    Returns
    -------
    tuple
        The chosen :class:`LabelSmoothing` (the smallest mean error; the least smoothing among
        ties) and the mean error of each pair tried (``"r<radius>-k<pixels>"``).
    """
    table: dict[str, float] = {}
    best: tuple[float, LabelSmoothing] | None = None
    n = len(probabilities[0]) if len(probabilities) else 0
    truths = [_objects(t, t >= 0, n) for t in targets]
    for r in radii:
        smoothed = [soft_majority(p, r) if r else np.asarray(p, np.float32)
                    for p in probabilities]
        labels = [class_map(p) for p in smoothed]
        for k in min_pixels:
            errors: list[float] = []
            for label, target, truth in zip(labels, targets, truths, strict=True):
                sieved = sieve(label, k, n) if k > 1 else label
                errors += _structure_error(_objects(sieved, target >= 0, n), truth)
            score = float(np.mean(errors)) if errors else 0.0
            table[f"r{r}-k{k}"] = round(score, 4)
            if best is None or score < best[0] - 1e-9:
                best = (score, LabelSmoothing(int(r), int(k)))
    return (best[1] if best else LabelSmoothing()), table
