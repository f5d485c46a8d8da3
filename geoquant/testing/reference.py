"""An independent reference for plan expressions: the same questions answered with scipy alone.

:func:`reference_value` evaluates an expression of :mod:`geoquant.testing.corpus` (the form a
plan's answer takes, independent of step ids) on whole NumPy class maps with
``scipy.ndimage`` (labelling, Euclidean distance transforms) and nothing of geoquant's
operators, so tests can check the planner, the interpreter and the operators end to end
against it. Conventions are geoquant's: 8-connected objects, distances between pixel centres,
no-data pixels (code 0) neither object nor background, change compared where both dates have
data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import ndimage

AREA_UNITS = {"m2": 1.0, "ha": 1e4, "km2": 1e6}
LENGTH_UNITS = {"m": 1.0, "km": 1e3}
_EIGHT = np.ones((3, 3), dtype=bool)


class Maps:
    """Class maps to evaluate on.

    Parameters
    ----------
    codes : mapping of date (None, "before", "after") to 2-D integer arrays
        Class codes, 0 for no data.
    legend : mapping of class name to codes
        The codes of each class (a broad class lists its members' codes too).
    pixel_m : float
        Pixel side, metres (square pixels).
    """

    def __init__(self, codes: Mapping[Any, np.ndarray], legend: Mapping[str, Sequence[int]],
                 pixel_m: float) -> None:
        self.codes, self.legend, self.pixel_m = codes, legend, float(pixel_m)
        dates = [d for d in codes if d is not None]
        both = np.logical_and.reduce([codes[d] != 0 for d in dates]) if dates else None
        self.valid = {d: (both if d is not None else codes[d] != 0) for d in codes}

    def mask(self, name: str, date: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """(class pixels, valid pixels) of a class at a date."""
        codes = self.codes[date]
        valid = self.valid[date]
        return np.isin(codes, list(self.legend[name])) & valid, valid


def _labels(mask: np.ndarray) -> tuple[np.ndarray, int]:
    return ndimage.label(mask, structure=_EIGHT)


def _object_areas(mask: np.ndarray, pixel_area: float) -> tuple[np.ndarray, np.ndarray, int]:
    labels, n = _labels(mask)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:] * pixel_area
    return labels, sizes, n


def _distance_to(mask: np.ndarray, pixel_m: float) -> np.ndarray:
    if not mask.any():
        return np.full(mask.shape, np.inf)
    return ndimage.distance_transform_edt(~mask, sampling=pixel_m)


def reference_value(expression: Any, maps: Maps, *, denominator: str = "valid") -> Any:
    """The value of an expression on ``maps`` (see the module docstring). ``denominator``:
    shares of the region are of the pixels with data (``"valid"``) or of every pixel of the
    image (``"image"``, as a question that says "of the image" asks)."""
    return _value(expression, maps, denominator)


def _pixels(expr: Any, maps: Maps) -> tuple[np.ndarray, np.ndarray]:
    """(mask, valid) of a mask expression."""
    op = expr[0]
    px, area = maps.pixel_m, maps.pixel_m ** 2
    if op == "mask":
        return maps.mask(expr[1], expr[2] if len(expr) > 2 else None)
    if op in ("union", "intersection"):
        parts = [_pixels(e, maps) for e in expr[1:]]
        combine = np.logical_or if op == "union" else np.logical_and
        return (combine.reduce([m for m, _ in parts]),
                np.logical_and.reduce([v for _, v in parts]))
    if op == "objects":
        mask, valid = _pixels(expr[1], maps)
        low = expr[2] if expr[2] is not None else 0.0
        high = expr[3] if expr[3] is not None else np.inf
        labels, sizes, _ = _object_areas(mask, area)
        keep = np.flatnonzero((sizes >= low) & (sizes <= high)) + 1
        return np.isin(labels, keep), valid
    if op in ("largest_of", "smallest_of"):
        mask, valid = _pixels(expr[1], maps)
        labels, sizes, n = _object_areas(mask, area)
        if n == 0:
            return mask, valid
        pick = sizes.max() if op == "largest_of" else sizes.min()
        return np.isin(labels, np.flatnonzero(sizes == pick) + 1), valid
    if op in ("near", "far", "adjacent"):
        mask, valid = _pixels(expr[1], maps)
        to, _ = _pixels(expr[2], maps)
        reach = np.hypot(px, px) * (1 + 1e-9) if op == "adjacent" else expr[3]
        close = _distance_to(to, px) <= reach
        return (mask & ~close if op == "far" else mask & close), valid
    if op in ("objects_near", "objects_far", "objects_adjacent"):
        mask, valid = _pixels(expr[1], maps)
        to, _ = _pixels(expr[2], maps)
        reach = np.hypot(px, px) * (1 + 1e-9) if op == "objects_adjacent" else expr[3]
        labels, n = _labels(mask)
        distance = _distance_to(to, px)
        nearest = ndimage.minimum(distance, labels, index=np.arange(1, n + 1)) if n else []
        nearest = np.asarray(nearest, dtype=float)
        keep = np.flatnonzero(nearest > reach if op == "objects_far" else nearest <= reach) + 1
        return np.isin(labels, keep), valid
    if op == "difference":
        mask, valid = _pixels(expr[1], maps)
        minus, _ = _pixels(expr[2], maps)
        return mask & ~minus, valid
    raise ValueError(f"not a mask expression: {expr!r}")


def _value(expr: Any, maps: Maps, denominator: str = "valid") -> Any:
    op = expr[0]
    area = maps.pixel_m ** 2
    if op == "share":
        mask, valid = _pixels(expr[1], maps)
        if len(expr) > 2:
            within, _ = _pixels(expr[2], maps)
            total = within.sum()
            return 100.0 * (mask & within).sum() / total if total else float("nan")
        return 100.0 * mask.sum() / (valid.size if denominator == "image" else valid.sum())
    if op == "area":
        mask, _ = _pixels(expr[1], maps)
        return mask.sum() * area / AREA_UNITS[expr[2]]
    if op in ("count", "connected_groups"):
        return _labels(_pixels(expr[1], maps)[0])[1]
    if op == "connectivity":
        return "connected" if _labels(_pixels(expr[1], maps)[0])[1] == 1 else "fragmented"
    if op in ("largest_object", "smallest_object", "mean_object"):
        _, sizes, n = _object_areas(_pixels(expr[1], maps)[0], area)
        if n == 0:
            return 0.0
        pick = {"largest_object": sizes.max, "smallest_object": sizes.min,
                "mean_object": sizes.mean}[op]()
        return float(pick) / AREA_UNITS[expr[2]]
    if op == "min_distance":
        a, _ = _pixels(expr[1], maps)
        b, _ = _pixels(expr[2], maps)
        if not a.any() or not b.any():
            return float("inf")
        return float(_distance_to(b, maps.pixel_m)[a].min()) / LENGTH_UNITS[expr[3]]
    if op == "number":
        return float(expr[1])
    if op == "compare":
        left, right = _value(expr[1], maps, denominator), _value(expr[3], maps, denominator)
        return bool({">": left > right, "<": left < right, ">=": left >= right,
                     "<=": left <= right, "==": left == right, "!=": left != right}[expr[2]])
    if op == "difference_of":
        return _value(expr[1], maps) - _value(expr[2], maps)
    if op == "percent_change":
        now, before = _value(expr[1], maps), _value(expr[2], maps)
        return 100.0 * (now - before) / before if before else float("nan")
    raise ValueError(f"not a value expression: {expr!r}")
