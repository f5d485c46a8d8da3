"""Whole-array references of the plan ops: each op's answer with NumPy and SciPy alone.

Each op of :data:`geoquant.reason.plans._ops.OPS` names one function here (``OpSpec.reference``).
A function takes the op's canonical expression (:mod:`geoquant.testing.corpus`) and an
evaluation (:class:`geoquant.testing.reference.Evaluation`), which gives

- ``pixels(expr) -> (mask, valid)``: boolean arrays of a mask expression and its valid pixels;
- ``value(expr)``: a value expression's value;
- ``maps``: the class maps (:class:`geoquant.testing.reference.Maps`), ``pixel_m`` (square
  pixel side, metres), ``connectivity`` (4 or 8) and ``denominator`` (``"valid"`` or
  ``"image"``: what a share of the region is of).

Nothing here uses geoquant's operators: labels come from ``scipy.ndimage.label``, distances
from ``scipy.ndimage.distance_transform_edt`` between pixel centres, so the engine can be
checked against them end to end. Mask functions return ``(mask, valid)``; value functions a
number, a bool or a word.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import ndimage

#: Units, in m² and in metres each (the international foot, yard, mile and acre).
AREA_UNITS = {"m2": 1.0, "ha": 1e4, "km2": 1e6, "ft2": 0.09290304, "yd2": 0.83612736,
              "acre": 4046.8564224, "mi2": 2589988.110336}
LENGTH_UNITS = {"m": 1.0, "km": 1e3, "ft": 0.3048, "yd": 0.9144, "mi": 1609.344}

Pixels = tuple[np.ndarray, np.ndarray]


# --- helpers -------------------------------------------------------------------------------------

def labels_of(mask: np.ndarray, ev: Any) -> tuple[np.ndarray, int]:
    """SciPy's labels of ``mask`` at the evaluation's connectivity, and their number."""
    structure = np.ones((3, 3), bool) if ev.connectivity == 8 \
        else ndimage.generate_binary_structure(2, 1)
    return ndimage.label(mask, structure=structure)


def object_areas(mask: np.ndarray, ev: Any) -> tuple[np.ndarray, np.ndarray, int]:
    """(labels, area of each object in m², number of objects)."""
    labels, n = labels_of(mask, ev)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:] * ev.pixel_m ** 2
    return labels, sizes, n


def distance_to(mask: np.ndarray, ev: Any) -> np.ndarray:
    """Distance from every pixel centre to the nearest pixel of ``mask``, m (inf without)."""
    if not mask.any():
        return np.full(mask.shape, np.inf)
    return ndimage.distance_transform_edt(~mask, sampling=ev.pixel_m)


def touching_m(ev: Any) -> float:
    """The distance at which two pixels touch: a diagonal (8-connected) or a side (4)."""
    side = np.hypot(ev.pixel_m, ev.pixel_m) if ev.connectivity == 8 else ev.pixel_m
    return float(side) * (1 + 1e-9)


def nearest_other(labels: np.ndarray, n: int, pixel_m: float) -> np.ndarray:
    """For each object, the distance from its pixels to the nearest pixel of another object,
    m (inf when there is none). Searched in a window around the object that grows until
    nothing outside it can be nearer than what was found."""
    out = np.full(n, np.inf)
    height, width = labels.shape
    for i, box in enumerate(ndimage.find_objects(labels), 1):
        if box is None:
            continue
        margin = 4
        while True:
            r0, r1 = max(box[0].start - margin, 0), min(box[0].stop + margin, height)
            c0, c1 = max(box[1].start - margin, 0), min(box[1].stop + margin, width)
            window = labels[r0:r1, c0:c1]
            other = (window > 0) & (window != i)
            whole = (r0, c0, r1, c1) == (0, 0, height, width)
            if other.any():
                found = float(ndimage.distance_transform_edt(~other, sampling=pixel_m)
                              [window == i].min())
                if found <= margin * pixel_m or whole:
                    out[i - 1] = found
                    break
            elif whole:
                break
            margin *= 2
    return out


def _per_object(field: np.ndarray, labels: np.ndarray, n: int, how: Any) -> np.ndarray:
    if n == 0:
        return np.zeros(0)
    return np.asarray(how(field, labels, index=np.arange(1, n + 1)), dtype=float)


# --- mask ops ------------------------------------------------------------------------------------

def class_pixels(expr: tuple, ev: Any) -> Pixels:
    """``("mask", class[, date])`` or ``("code", code[, date])``."""
    date = expr[2] if len(expr) > 2 else None
    if expr[0] == "code":
        return ev.maps.code(expr[1], date)
    return ev.maps.mask(expr[1], date)


def region(expr: tuple, ev: Any) -> Pixels:
    """``("region"[, date])``: every pixel with data."""
    valid = ev.maps.valid[expr[1] if len(expr) > 1 else None]
    return valid.copy(), valid


def no_data(expr: tuple, ev: Any) -> Pixels:
    """``("no_data"[, date])``: the pixels without data, over the whole image."""
    valid = ev.maps.valid[expr[1] if len(expr) > 1 else None]
    return ~valid, np.ones_like(valid)


def objects(expr: tuple, ev: Any) -> Pixels:
    """``("objects", m, min_m2, max_m2)`` (None: no bound)."""
    mask, valid = ev.pixels(expr[1])
    low = expr[2] if expr[2] is not None else 0.0
    high = expr[3] if expr[3] is not None else np.inf
    labels, sizes, _ = object_areas(mask, ev)
    return np.isin(labels, np.flatnonzero((sizes >= low) & (sizes <= high)) + 1), valid


def extreme_object(expr: tuple, ev: Any) -> Pixels:
    """``("largest_of" | "smallest_of", m)``: every object of that area if tied."""
    mask, valid = ev.pixels(expr[1])
    labels, sizes, n = object_areas(mask, ev)
    if n == 0:
        return mask, valid
    pick = sizes.max() if expr[0] == "largest_of" else sizes.min()
    return np.isin(labels, np.flatnonzero(sizes == pick) + 1), valid


def near_pixels(expr: tuple, ev: Any) -> Pixels:
    """``("near" | "far", m, to, distance_m)``, ``("adjacent", m, to)``."""
    mask, valid = ev.pixels(expr[1])
    to, _ = ev.pixels(expr[2])
    reach = touching_m(ev) if expr[0] == "adjacent" else expr[3]
    close = distance_to(to, ev) <= reach
    return (mask & ~close if expr[0] == "far" else mask & close), valid


def near_objects(expr: tuple, ev: Any) -> Pixels:
    """``("objects_near" | "objects_far", m, to, distance_m)``, ``("objects_adjacent", m,
    to)``: whole objects by the distance of their closest pixel."""
    mask, valid = ev.pixels(expr[1])
    to, _ = ev.pixels(expr[2])
    reach = touching_m(ev) if expr[0] == "objects_adjacent" else expr[3]
    labels, n = labels_of(mask, ev)
    nearest = _per_object(distance_to(to, ev), labels, n, ndimage.minimum)
    keep = nearest > reach if expr[0] == "objects_far" else nearest <= reach
    return np.isin(labels, np.flatnonzero(keep) + 1), valid


def combine(expr: tuple, ev: Any) -> Pixels:
    """``("union" | "intersection", m1, m2, ...)``: valid where every mask is."""
    parts = [ev.pixels(e) for e in expr[1:]]
    how = np.logical_or if expr[0] == "union" else np.logical_and
    return how.reduce([m for m, _ in parts]), np.logical_and.reduce([v for _, v in parts])


def difference(expr: tuple, ev: Any) -> Pixels:
    """``("difference", m, minus)``."""
    mask, valid = ev.pixels(expr[1])
    minus, _ = ev.pixels(expr[2])
    return mask & ~minus, valid


def complement(expr: tuple, ev: Any) -> Pixels:
    """``("complement", m)``: the valid pixels outside ``m``."""
    mask, valid = ev.pixels(expr[1])
    return valid & ~mask, valid


def excluding(expr: tuple, ev: Any) -> Pixels:
    """``("excluding", m, minus)``: ``minus`` taken out of the region (no longer valid)."""
    mask, valid = ev.pixels(expr[1])
    minus, _ = ev.pixels(expr[2])
    return mask & ~minus, valid & ~minus


def without_largest(expr: tuple, ev: Any) -> Pixels:
    """``("without_largest", m, k)``: the objects but the k largest (ties: lower label)."""
    mask, valid = ev.pixels(expr[1])
    labels, sizes, n = object_areas(mask, ev)
    order = np.lexsort((np.arange(n), -sizes))
    return mask & ~np.isin(labels, order[:int(expr[2])] + 1), valid


def objects_inside(expr: tuple, ev: Any) -> Pixels:
    """``("objects_inside", m, to, distance_m)``: objects whose every pixel is within reach."""
    mask, valid = ev.pixels(expr[1])
    to, _ = ev.pixels(expr[2])
    labels, n = labels_of(mask, ev)
    farthest = _per_object(distance_to(to, ev), labels, n, ndimage.maximum)
    return np.isin(labels, np.flatnonzero(farthest <= expr[3]) + 1), valid


def other_objects(expr: tuple, ev: Any) -> Pixels:
    """``("objects_near_other" | "objects_far_other", m, distance_m)``: objects with (without)
    another object of ``m`` within the distance."""
    mask, valid = ev.pixels(expr[1])
    labels, n = labels_of(mask, ev)
    near = nearest_other(labels, n, ev.pixel_m) <= expr[2] * (1 + 1e-9)
    keep = near if expr[0] == "objects_near_other" else ~near
    return np.isin(labels, np.flatnonzero(keep) + 1), valid


# --- value ops -----------------------------------------------------------------------------------

def share(expr: tuple, ev: Any) -> float:
    """``("share", m[, within])``, %: of the valid pixels (or every pixel, denominator
    "image"), or of ``within``."""
    mask, valid = ev.pixels(expr[1])
    if len(expr) > 2:
        within, _ = ev.pixels(expr[2])
        total = within.sum()
        return 100.0 * (mask & within).sum() / total if total else float("nan")
    return 100.0 * mask.sum() / (valid.size if ev.denominator == "image" else valid.sum())


def area(expr: tuple, ev: Any) -> float:
    """``("area", m, unit)``."""
    return ev.pixels(expr[1])[0].sum() * ev.pixel_m ** 2 / AREA_UNITS[expr[2]]


def count(expr: tuple, ev: Any) -> int:
    """``("count" | "connected_groups", m)``: the number of objects."""
    return labels_of(ev.pixels(expr[1])[0], ev)[1]


def connectivity(expr: tuple, ev: Any) -> str:
    """``("connectivity", m)``: "connected" for one group, else "fragmented"."""
    return "connected" if count(expr, ev) == 1 else "fragmented"


def object_size(expr: tuple, ev: Any) -> float:
    """``("largest_object" | "smallest_object" | "mean_object", m, unit)`` (0 without
    objects)."""
    _, sizes, n = object_areas(ev.pixels(expr[1])[0], ev)
    if n == 0:
        return 0.0
    pick = {"largest_object": sizes.max, "smallest_object": sizes.min,
            "mean_object": sizes.mean}[expr[0]]()
    return float(pick) / AREA_UNITS[expr[2]]


def min_distance(expr: tuple, ev: Any) -> float:
    """``("min_distance", a, b, unit)`` (inf when either is empty)."""
    a, _ = ev.pixels(expr[1])
    b, _ = ev.pixels(expr[2])
    if not a.any() or not b.any():
        return float("inf")
    return float(distance_to(b, ev)[a].min()) / LENGTH_UNITS[expr[3]]


def distance_stat(expr: tuple, ev: Any) -> float:
    """``("distance_stat", stat, of | None, to, per, unit)``: ``stat`` over the pixels of
    ``of`` (None: every valid pixel of ``to``'s map) of the distance to ``to``; ``per``
    "object" takes each object of ``of`` at its closest pixel. NaN over nothing."""
    stat, of, to_expr, per, unit = expr[1:]
    to, to_valid = ev.pixels(to_expr)
    field = distance_to(to, ev)
    if per == "object":
        labels, n = labels_of(ev.pixels(of)[0], ev)
        picked = _per_object(field, labels, n, ndimage.minimum)
    else:
        region = ev.pixels(of)[0] if of is not None else to_valid
        picked = field[region]
    picked = picked[np.isfinite(picked)]
    value = float(getattr(np, stat)(picked)) if picked.size else float("nan")
    return value / LENGTH_UNITS[unit]


def connected(expr: tuple, ev: Any) -> bool:
    """``("connected", a, b, through)``: one group of ``through | a | b`` holds both."""
    a, _ = ev.pixels(expr[1])
    b, _ = ev.pixels(expr[2])
    through, _ = ev.pixels(expr[3])
    labels, _ = labels_of(through | a | b, ev)
    return bool(np.intersect1d(labels[a], labels[b]).size)


def _patch_faces(labels: np.ndarray, n: int) -> np.ndarray:
    """Each patch's faces against anything not the patch (border and no data included)."""
    padded = np.pad(labels, 1)
    inner = padded[1:-1, 1:-1]
    faces = np.zeros(n + 1, np.int64)
    for shifted in (padded[:-2, 1:-1], padded[2:, 1:-1], padded[1:-1, :-2], padded[1:-1, 2:]):
        side = (inner > 0) & (shifted != inner)
        faces += np.bincount(inner[side], minlength=n + 1)
    return faces[1:]


def _edge_faces(mask: np.ndarray, valid: np.ndarray) -> int:
    """Faces between the class and other valid pixels."""
    across = (mask[:, 1:] != mask[:, :-1]) & valid[:, 1:] & valid[:, :-1]
    down = (mask[1:] != mask[:-1]) & valid[1:] & valid[:-1]
    return int(across.sum() + down.sum())


def fragmentation(expr: tuple, ev: Any) -> float:
    """``("fragmentation", m, metric[, unit])``: FRAGSTATS' class metric, as
    :mod:`geoquant.ops._landscape` documents it (the landscape is the valid pixels), in the
    unit asked (area metrics come in ha, lengths in m)."""
    value = _fragmentation(expr, ev)
    if len(expr) < 4:
        return value
    native = {"area_mn": "ha", "effective_mesh_size": "ha", "total_edge": "m",
              "enn_mn": "m"}[expr[2]]
    table = AREA_UNITS if native in AREA_UNITS else LENGTH_UNITS
    return value * table[native] / table[expr[3]]


def _fragmentation(expr: tuple, ev: Any) -> float:
    mask, valid = ev.pixels(expr[1])
    metric = expr[2]
    labels, sizes, n = object_areas(mask, ev)
    cells = valid.sum()
    landscape = cells * ev.pixel_m ** 2
    if metric == "number_of_patches":
        return float(n)
    if metric in ("total_edge", "edge_density"):
        edge = _edge_faces(mask, valid) * ev.pixel_m
        return edge if metric == "total_edge" else edge * 1e4 / landscape
    if metric == "patch_cohesion_index":
        if n == 0 or cells <= 1:
            return float("nan")
        faces, patch_cells = _patch_faces(labels, n), sizes / ev.pixel_m ** 2
        ratio = faces.sum() / (faces * np.sqrt(patch_cells)).sum()
        return float((1 - ratio) / (1 - 1 / np.sqrt(cells)) * 100)
    if metric == "enn_mn":
        return float(nearest_other(labels, n, ev.pixel_m).mean()) if n > 1 else float("nan")
    return float({
        "patch_density": lambda: n * 1e6 / landscape,
        "largest_patch_index": lambda: (sizes.max() if n else 0.0) * 100 / landscape,
        "area_mn": lambda: (sizes / 1e4).mean() if n else float("nan"),
        "effective_mesh_size": lambda: np.square(sizes).sum() / landscape / 1e4,
        "proportion_of_landscape": lambda: sizes.sum() * 100 / landscape,
    }[metric]())


def is_fragmented(expr: tuple, ev: Any) -> bool:
    """``("is_fragmented", m)``: more than one patch, and the largest holds less than half
    of the class's area (LPI < PLAND / 2)."""
    _, sizes, n = object_areas(ev.pixels(expr[1])[0], ev)
    return bool(n > 1 and sizes.max() < sizes.sum() / 2)


def difference_of(expr: tuple, ev: Any) -> Any:
    """``("difference_of", a, b)``: a - b."""
    return ev.value(expr[1]) - ev.value(expr[2])


def percent_change(expr: tuple, ev: Any) -> float:
    """``("percent_change", now, before)``, % (NaN from 0)."""
    now, before = ev.value(expr[1]), ev.value(expr[2])
    return 100.0 * (now - before) / before if before else float("nan")


def number(expr: tuple, ev: Any) -> float:
    """``("number", value, unit)``."""
    return float(expr[1])


def compare(expr: tuple, ev: Any) -> bool:
    """``("compare", a, comparison, b)``."""
    left, right = ev.value(expr[1]), ev.value(expr[3])
    return bool({">": left > right, "<": left < right, ">=": left >= right,
                 "<=": left <= right, "==": left == right, "!=": left != right}[expr[2]])


def ratio(expr: tuple, ev: Any) -> float:
    """``("ratio", a, b, scale, unit)``: scale * a / b (NaN over 0)."""
    of, to = ev.value(expr[1]), ev.value(expr[2])
    return float(expr[3]) * of / to if to else float("nan")


def scaled(expr: tuple, ev: Any) -> float:
    """``("scaled", a, factor)``: a * factor."""
    return ev.value(expr[1]) * float(expr[2])


def edge(expr: tuple, ev: Any) -> Pixels:
    """``("edge", side)``: the valid pixels of the first or last row or column."""
    _, valid = ev.pixels(("region",))
    hit = np.zeros_like(valid)
    index = {"top": (0, slice(None)), "bottom": (-1, slice(None)),
             "left": (slice(None), 0), "right": (slice(None), -1)}[expr[1]]
    hit[index] = valid[index]
    return hit, valid


def neighbour_distance(expr: tuple, ev: Any) -> float:
    """``("neighbour_distance", m, stat, unit)``: a statistic over the objects of ``m`` of
    the distance to the nearest other object (NaN with fewer than two objects)."""
    mask, _ = ev.pixels(expr[1])
    labels, n = labels_of(mask, ev)
    values = nearest_other(labels, n, ev.pixel_m)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan")
    return float(getattr(np, expr[2])(values)) / LENGTH_UNITS[expr[3]]


def perimeter(expr: tuple, ev: Any) -> float:
    """``("perimeter", m, unit)``: the objects' pixel faces against anything not in them (the
    border and no data included), times the pixel side."""
    mask, _ = ev.pixels(expr[1])
    labels, n = labels_of(mask, ev)
    return float(_patch_faces(labels, n).sum()) * ev.pixel_m / LENGTH_UNITS[expr[2]]
