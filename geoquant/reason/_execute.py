"""Running a plan: each step interpreted by name over masks, values kept with their units.

Masks are ``uint8`` DataArrays (1 object, 0 background, 255 excluded) as
:func:`geoquant.segment.class_mask` makes them; every measure is a :mod:`geoquant.ops` operator,
exact for any chunking. A step's mask or value is computed once and reused by every later step
that reads it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant.errors import PlanError
from geoquant.reason._plan import AREA_UNITS, LENGTH_UNITS, Plan, Step

NODATA = 255
MaskSource = Callable[["str | int", "str | None"], Any]
"""``source(class_name_or_code, date)`` -> uint8 mask (1, 0, 255 nodata) of that class;
``date`` is ``None``, ``"before"`` or ``"after"``."""


@dataclass(frozen=True)
class StepResult:
    """What one step produced: a mask, or a value with its unit."""

    step: Step
    mask: Any = None
    value: Any = None
    unit: str = ""
    error: float = 0.0
    """Half-width of the pixel-size error of ``value``, in ``unit`` (0 when exact)."""


def _excluded(mask: Any) -> Any:
    return mask == NODATA


def _as_mask(hit: Any, like: Any, *excluded: Any) -> Any:
    """uint8 mask from a boolean ``hit``, excluded where any of ``excluded`` is."""
    out = hit.astype(np.uint8)
    for ex in excluded:
        out = out.where(~ex, NODATA)
    out = out.astype(np.uint8)
    out.attrs = {}
    out.rio.write_nodata(NODATA, encoded=False, inplace=True)
    crs = like.rio.crs
    return out.rio.write_crs(crs, inplace=True) if crs is not None else out


def _select_objects(mask: Any, keep: Callable[[Any], Any], *, distance_to: Any = None) -> Any:
    import geoquant.ops as ops

    table = ops.objects(mask, distance_to=distance_to)
    ids = table.loc[keep(table), "id"].to_numpy()
    labels = ops.label(mask)
    return _as_mask(labels.isin(ids), mask, _excluded(mask))


def run_plan(plan: Plan, source: MaskSource) -> dict[str, StepResult]:
    """Run every step of a plan in order; return each step's result by id."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    import geoquant.ops as ops

    done: dict[str, StepResult] = {}

    def mask_of(ref: str) -> Any:
        return done[ref].mask

    def value_of(ref: str) -> Any:
        return done[ref].value

    for step in plan.steps:
        a = step.args
        op = step.op
        if op == "mask":
            what = a["class"] if "class" in a else int(a["code"])
            result = StepResult(step, mask=source(what, a.get("date")))
        elif op == "objects":
            low, high = a.get("min_area_m2", 0.0), a.get("max_area_m2", np.inf)
            result = StepResult(step, mask=_select_objects(
                mask_of(a["of"]), lambda t, lo=low, hi=high: (t.area_m2 >= lo)
                & (t.area_m2 <= hi)))
        elif op in ("near", "far"):
            of, to = mask_of(a["of"]), mask_of(a["to"])
            near = ops.within_distance(of, to, a["distance_m"])
            hit = near if op == "near" else (of == 1) & ~near
            result = StepResult(step, mask=_as_mask(hit, of, _excluded(of)))
        elif op in ("objects_near", "objects_far"):
            d = a["distance_m"]
            keep = ((lambda t, d=d: t.distance_m <= d) if op == "objects_near"
                    else (lambda t, d=d: t.distance_m > d))
            result = StepResult(step, mask=_select_objects(mask_of(a["of"]), keep,
                                                           distance_to=mask_of(a["to"])))
        elif op in ("union", "intersection"):
            masks = [mask_of(r) for r in a["of"]]
            combine = operator.or_ if op == "union" else operator.and_
            hit = masks[0] == 1
            for m in masks[1:]:
                hit = combine(hit, m == 1)
            result = StepResult(step, mask=_as_mask(hit, masks[0],
                                                    *(_excluded(m) for m in masks)))
        elif op == "difference":
            of, minus = mask_of(a["of"]), mask_of(a["minus"])
            result = StepResult(step, mask=_as_mask((of == 1) & (minus != 1), of,
                                                    _excluded(of)))
        elif op == "share":
            of = mask_of(a["of"])
            if "within" in a:
                within = mask_of(a["within"])
                part = _as_mask((of == 1) & (within == 1), of, _excluded(of))
                total = ops.area(within)
                value = 100.0 * ops.area(part) / total if total else float("nan")
                error = 100.0 * _boundary_error_m2(part) / total if total else 0.0
            else:
                value = ops.share(of)
                valid = ops.area(_as_mask(of != NODATA, of))
                error = 100.0 * _boundary_error_m2(of) / valid if valid else 0.0
            result = StepResult(step, value=float(value), unit="%", error=float(error))
        elif op == "area":
            unit, of = a.get("unit", "m2"), mask_of(a["of"])
            result = StepResult(step, value=ops.area(of) / AREA_UNITS[unit], unit=unit,
                                error=_boundary_error_m2(of) / AREA_UNITS[unit])
        elif op in ("count", "connected_groups"):
            result = StepResult(step, value=int(ops.count(mask_of(a["of"]))), unit="objects")
        elif op in ("largest_object", "mean_object"):
            unit, of = a.get("unit", "m2"), mask_of(a["of"])
            table = ops.objects(of)
            value = error = 0.0
            if len(table):
                row = table.loc[table.area_m2.idxmax()] if op == "largest_object" else table
                value = float(row.area_m2 if op == "largest_object" else row.area_m2.mean())
                side = _pixel_size_m(of)
                edges = row.perimeter_m / side
                errors = pixel_area_error_m2(edges, side ** 2) if op == "largest_object" \
                    else [pixel_area_error_m2(e, side ** 2) for e in edges]
                error = float(np.mean(errors))
            result = StepResult(step, value=value / AREA_UNITS[unit], unit=unit,
                                error=error / AREA_UNITS[unit])
        elif op == "min_distance":
            unit = a.get("unit", "m")
            value = ops.min_distance(mask_of(a["of"]), mask_of(a["to"]))
            result = StepResult(step, value=float(value) / LENGTH_UNITS[unit], unit=unit,
                                error=_pixel_size_m(mask_of(a["of"])) / LENGTH_UNITS[unit])
        elif op == "connected":
            value = ops.connected(mask_of(a["through"]), mask_of(a["of"]), mask_of(a["to"]))
            result = StepResult(step, value=bool(value), unit="yes/no")
        elif op == "fragmentation":
            metrics = ops.fragmentation(mask_of(a["of"]),
                                        neighbours=a["metric"] == "enn_mn")
            result = StepResult(step, value=float(metrics[a["metric"]]),
                                unit=FRAGMENTATION_UNITS.get(a["metric"], ""))
        elif op == "is_fragmented":
            metrics = ops.fragmentation(mask_of(a["of"]), neighbours=False)
            result = StepResult(step, value=is_fragmented(metrics), unit="yes/no")
        elif op == "difference_of":
            of, minus = done[a["of"]], done[a["minus"]]
            result = StepResult(step, value=of.value - minus.value, unit=of.unit,
                                error=of.error + minus.error)
        elif op == "percent_change":
            now, before = done[a["of"]], done[a["from"]]
            b = before.value
            value = 100.0 * (now.value - b) / b if b else float("nan")
            # first-order propagation of both errors through 100 (a - b) / b
            error = 100.0 * (now.error / abs(b) + abs(now.value) * before.error / b ** 2) \
                if b else 0.0
            result = StepResult(step, value=float(value), unit="%", error=float(error))
        elif op == "number":
            result = StepResult(step, value=float(a["value"]), unit=a.get("unit", ""))
        elif op == "compare":
            compare = COMPARE[a["comparison"]]
            result = StepResult(step, value=bool(compare(value_of(a["of"]), value_of(a["to"]))),
                                unit="yes/no")
        else:  # pragma: no cover - validate() admits only the ops above
            raise PlanError(f"no interpreter for op {op!r}")
        done[step.id] = result
    return done


def _pixel_size_m(mask: Any) -> float:
    """The side of a pixel in metres (the geometric mean of the two resolutions)."""
    res_x, res_y = mask.rio.resolution()
    return float(np.sqrt(abs(res_x * res_y)))


#: Frolov & Maling (1969): the standard error of an area measured by counting grid cells of
#: side d, for a figure of perimeter P, is sqrt(0.0724 P d³) = 0.269 sqrt(P / d) d².
FROLOV_MALING = 0.269


def pixel_area_error_m2(edges: float, pixel_area_m2: float) -> float:
    """Two standard errors (about 95 %) of an area counted in pixels whose boundary is
    ``edges`` pixel sides long (Frolov & Maling 1969), m²."""
    return 2.0 * FROLOV_MALING * float(np.sqrt(edges)) * pixel_area_m2


def _boundary_error_m2(mask: Any) -> float:
    """The pixel-size error of the area of a mask, m² (:func:`pixel_area_error_m2`). Boundary
    edges are counted between 4-neighbours where one is the class and the other valid
    background; edges against nodata or the raster's border are not boundaries of the class."""
    import dask.array as da

    data = mask.data
    xp = da if isinstance(data, da.Array) else np
    inside, valid = data == 1, data != NODATA
    edges = (xp.logical_xor(inside[:, 1:], inside[:, :-1]) & valid[:, 1:] & valid[:, :-1]).sum() \
        + (xp.logical_xor(inside[1:], inside[:-1]) & valid[1:] & valid[:-1]).sum()
    res_x, res_y = mask.rio.resolution()
    return pixel_area_error_m2(float(edges), abs(res_x * res_y))


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne}

FRAGMENTATION_UNITS = {"number_of_patches": "patches", "patch_density": "patches/100 ha",
                       "largest_patch_index": "%", "total_edge": "m", "edge_density": "m/ha",
                       "area_mn": "ha", "effective_mesh_size": "ha",
                       "patch_cohesion_index": "", "proportion_of_landscape": "%",
                       "enn_mn": "m"}


def is_fragmented(metrics: dict[str, float]) -> bool:
    """geoquant's rule: a class is fragmented when it is split into more than one patch and
    its largest patch holds less than half of its area (LPI < PLAND / 2)."""
    patches = metrics["number_of_patches"]
    return bool(patches > 1 and metrics["largest_patch_index"]
                < metrics["proportion_of_landscape"] / 2)
