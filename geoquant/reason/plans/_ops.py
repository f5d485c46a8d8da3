"""The plan ops: one entry per op, read by everything that needs to know what an op is.

Each :class:`OpSpec` holds an op's JSON Schema arguments (what :func:`~geoquant.reason.validate`
checks), how it runs over masks (what :func:`~geoquant.reason.plans._execute.run_plan` calls), its
words in an answer's steps, the evidence layers it rests on, the line that explains it to
an LLM planner, its canonical form in the phrasing corpus (what
:func:`geoquant.testing.corpus.expression` writes) and the name of its whole-array NumPy/SciPy
reference in :mod:`geoquant.reason.plans._op_references` (what
:func:`geoquant.testing.reference.reference_value` evaluates). Adding an op is adding one entry
here (and its reference function); ``tests/reason/test_op_registry.py`` checks that every
entry has both and that the engine answers as the reference does.

Masks are ``uint8`` DataArrays (1 object, 0 background, 255 excluded) as
:func:`geoquant.segment.class_mask` makes them; every measure is a :mod:`geoquant.ops`
operator, exact for any chunking.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from geoquant.errors import MaskError, PlanError
from geoquant.segment import MASK_NODATA

if TYPE_CHECKING:
    from geoquant.reason.plans._plan import Step

#: Area units a plan may use, in m² each (international foot, yard and mile; the
#: international acre of 4840 square yards).
AREA_UNITS = MappingProxyType({"m2": 1.0, "ha": 1e4, "km2": 1e6, "ft2": 0.09290304,
                               "yd2": 0.83612736, "acre": 4046.8564224,
                               "mi2": 2589988.110336})
#: Length units a plan may use, in metres each.
LENGTH_UNITS = MappingProxyType({"m": 1.0, "km": 1e3, "ft": 0.3048, "yd": 0.9144,
                                 "mi": 1609.344})
#: Metric names of :func:`geoquant.ops.fragmentation` a plan may ask for.
FRAGMENTATION_METRICS = ("number_of_patches", "patch_density", "largest_patch_index",
                         "total_edge", "edge_density", "area_mn", "effective_mesh_size",
                         "patch_cohesion_index", "proportion_of_landscape", "enn_mn")
FRAGMENTATION_UNITS = {"number_of_patches": "patches", "patch_density": "patches/100 ha",
                       "largest_patch_index": "%", "total_edge": "m", "edge_density": "m/ha",
                       "area_mn": "ha", "effective_mesh_size": "ha",
                       "patch_cohesion_index": "", "proportion_of_landscape": "%",
                       "enn_mn": "m"}
COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne}
COMPARISONS = tuple(COMPARE)
#: The JSON Schema of a step id.
STEP_ID = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$"}

_REF = {"type": "string"}
_REFS = {"type": "array", "items": _REF, "minItems": 2}
_AREA = {"type": "number", "minimum": 0}
_DISTANCE = {"type": "number", "minimum": 0}
_AREA_UNIT = {"unit": {"enum": list(AREA_UNITS)}}
_LENGTH_UNIT = {"unit": {"enum": list(LENGTH_UNITS)}}


@dataclass(frozen=True)
class StepResult:
    """What one step produced: a mask, or a value with its unit."""

    step: Step
    mask: Any = None
    value: Any = None
    unit: str = ""
    error: float = 0.0
    """Half-width of the pixel-size error of ``value``, in ``unit`` (0 when exact)."""


class Context:
    """What a running op sees: earlier results by id, and where class masks come from."""

    def __init__(self, source: Callable[[Any, Any], Any], *, connectivity: int = 8) -> None:
        self.source = source
        self.connectivity = connectivity
        self.done: dict[str, StepResult] = {}

    def mask(self, ref: str) -> Any:
        return self.done[ref].mask

    def result(self, ref: str) -> StepResult:
        return self.done[ref]


@dataclass(frozen=True)
class OpSpec:
    """One plan op.

    Attributes
    ----------
    name : str
    kind : {"mask", "value"}
        What the op makes.
    required, optional : dict
        JSON Schema of each argument.
    reads : {"mask", "value"}
        What the steps it refers to must make.
    meaning : str
        One line for an LLM planner's op table.
    run : callable
        ``run(step, context) -> StepResult``.
    words : callable
        ``words(args) -> str``: the step in an answer's trace.
    labels, distances : tuple of str
        Arguments whose masks' object labels / distance fields are evidence of the step.
    canonical : callable
        ``canonical(name, args, of) -> tuple``: the step as a nested expression of the
        phrasing corpus (:mod:`geoquant.testing.corpus`), independent of step ids; ``of(ref)``
        is the expression of an earlier step. Its first item is ``name`` or one of
        ``aliases``.
    reference : str
        Name of the op's whole-array reference in :mod:`geoquant.reason.plans._op_references`
        (NumPy and SciPy only), which evaluates the canonical expression; see
        :meth:`reference_function`.
    aliases : tuple of str
        Other first items the canonical form may take (``"code"`` for a mask by class code).
    """

    name: str
    kind: str
    required: Mapping[str, Any]
    optional: Mapping[str, Any]
    reads: str
    meaning: str
    run: Callable[[Step, Context], StepResult]
    words: Callable[[Mapping[str, Any]], str]
    labels: tuple[str, ...] = ()
    distances: tuple[str, ...] = ()
    canonical: Callable[[str, Mapping[str, Any], Callable[[str], Any]], tuple[Any, ...]] | None \
        = None
    reference: str = ""
    aliases: tuple[str, ...] = ()

    def step_args(self) -> tuple[str, ...]:
        """The arguments that name earlier steps (``"of"``, ``"to"``, ``"minus"``, ...)."""
        return tuple(k for k, v in {**self.required, **self.optional}.items()
                     if v is _REF or v is _REFS)

    def canonical_form(self, args: Mapping[str, Any], of: Callable[[str], Any]) -> tuple[Any, ...]:
        """The step as a corpus expression (see ``canonical``); ``of(ref)`` gives an earlier
        step's expression."""
        return self.canonical(self.name, args, of)

    def reference_function(self) -> Callable[[tuple[Any, ...], Any], Any]:
        """The op's whole-array reference, ``reference(expression, evaluation)``, imported
        when first asked for (it needs SciPy)."""
        from geoquant.reason.plans import _op_references

        return getattr(_op_references, self.reference)

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of one step of this op."""
        properties = {"id": STEP_ID, "op": {"const": self.name}, **self.required,
                      **self.optional}
        return {"type": "object", "properties": properties,
                "required": ["id", "op", *self.required], "additionalProperties": False}


# --- helpers over masks --------------------------------------------------------------------------

def excluded(mask: Any) -> Any:
    return mask == MASK_NODATA


def as_mask(hit: Any, like: Any, *excluded_by: Any) -> Any:
    """uint8 mask from a boolean ``hit``, excluded where any of ``excluded_by`` is."""
    out = hit.astype(np.uint8)
    for ex in excluded_by:
        out = out.where(~ex, MASK_NODATA)
    out = out.astype(np.uint8)
    out.attrs = {}
    out.rio.write_nodata(MASK_NODATA, encoded=False, inplace=True)
    crs = like.rio.crs
    return out.rio.write_crs(crs, inplace=True) if crs is not None else out


def _select_objects(mask: Any, keep: Callable[[Any], Any], *, distance_to: Any = None,
                    connectivity: int = 8, **columns: Any) -> Any:
    """The objects of ``mask`` whose row of :func:`geoquant.ops.objects` ``keep`` keeps
    (``columns``: the table's optional columns, ``farthest``, ``neighbours``...)."""
    import geoquant.ops as ops

    table = ops.objects(mask, distance_to=distance_to, connectivity=connectivity, **columns)
    ids = table.loc[keep(table), "id"].to_numpy() if len(table) else np.array([], np.int64)
    labels = ops.label(mask, connectivity=connectivity)
    return as_mask(labels.isin(ids), mask, excluded(mask))


def pixel_sides_m(mask: Any) -> tuple[float, float, float]:
    """A pixel's sides in metres: (smallest east-west side, largest east-west side,
    north-south side). On a geographic grid the east-west side shrinks with latitude: the
    sides are geodesic lengths at the raster's first and last rows."""
    res_x, res_y = (abs(float(v)) for v in mask.rio.resolution())
    crs = mask.rio.crs
    if crs is None or not crs.is_geographic:
        return res_x, res_x, res_y
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    lats = np.asarray(mask.y.values)[[0, -1]]
    lon = float(np.asarray(mask.x.values)[0])
    _, _, east = geod.inv([lon, lon], lats, [lon + res_x, lon + res_x], lats)
    _, _, north = geod.inv(lon, float(lats.mean()), lon, float(lats.mean()) + res_y)
    return float(min(east)), float(max(east)), float(north)


def pixel_size_m(mask: Any) -> float:
    """The side of a pixel in metres (the geometric mean of the two sides)."""
    low, high, north = pixel_sides_m(mask)
    return float(np.sqrt(0.5 * (low + high) * north))


def touching_m(mask: Any, connectivity: int = 8) -> float:
    """The distance at which two pixels touch, metres: one pixel diagonal (8-connected; the
    longest diagonal of the raster on a geographic grid), or the longer side (4-connected)."""
    _, high, north = pixel_sides_m(mask)
    if connectivity == 4:
        return max(high, north) * (1 + 1e-9)
    return float(np.hypot(high, north)) * (1 + 1e-9)


#: Frolov & Maling (1969): the standard error of an area measured by counting grid cells of
#: side d, for a figure of perimeter P, is sqrt(0.0724 P d³) = 0.269 sqrt(P / d) d².
FROLOV_MALING = 0.269


def pixel_area_error_m2(edges: float, pixel_area_m2: float) -> float:
    """Two standard errors (about 95 %) of an area counted in pixels whose boundary is
    ``edges`` pixel sides long (Frolov & Maling 1969), m²."""
    return 2.0 * FROLOV_MALING * float(np.sqrt(edges)) * pixel_area_m2


def boundary_error_m2(mask: Any) -> float:
    """The pixel-size error of the area of a mask, m² (:func:`pixel_area_error_m2`). Boundary
    edges are counted between 4-neighbours where one is the class and the other valid
    background; edges against nodata or the raster's border are not boundaries of the class."""
    import dask.array as da

    data = mask.data
    xp = da if isinstance(data, da.Array) else np
    inside, valid = data == 1, data != MASK_NODATA
    edges = (xp.logical_xor(inside[:, 1:], inside[:, :-1]) & valid[:, 1:] & valid[:, :-1]).sum() \
        + (xp.logical_xor(inside[1:], inside[:-1]) & valid[1:] & valid[:-1]).sum()
    return pixel_area_error_m2(float(edges), pixel_size_m(mask) ** 2)


def is_fragmented(metrics: Mapping[str, float]) -> bool:
    """geoquant's rule: a class is fragmented when it is split into more than one patch and
    its largest patch holds less than half of its area (LPI < PLAND / 2)."""
    patches = metrics["number_of_patches"]
    return bool(patches > 1 and metrics["largest_patch_index"]
                < metrics["proportion_of_landscape"] / 2)


def _area_text(value: float) -> str:
    for unit, size in (("km²", 1e6), ("ha", 1e4)):
        if value >= size:
            return f"{value / size:g} {unit}"
    return f"{value:g} m²"


def _length_text(value: float) -> str:
    return f"{value / 1000:g} km" if value >= 1000 else f"{value:g} m"


# --- mask ops ------------------------------------------------------------------------------------

def _run_mask(step: Step, ctx: Context) -> StepResult:
    a = step.args
    what = a["class"] if "class" in a else int(a["code"])
    return StepResult(step, mask=ctx.source(what, a.get("date")))


def _run_region(step: Step, ctx: Context) -> StepResult:
    return StepResult(step, mask=ctx.source(None, step.args.get("date")))


def _run_no_data(step: Step, ctx: Context) -> StepResult:
    region = ctx.source(None, step.args.get("date"))
    return StepResult(step, mask=as_mask(region == MASK_NODATA, region))


EDGES = ("top", "bottom", "left", "right")


def _run_edge(step: Step, ctx: Context) -> StepResult:
    """The pixels with data in the raster's first or last row or column."""
    region = ctx.source(None, step.args.get("date"))
    side = step.args["side"]
    axis = "y" if side in ("top", "bottom") else "x"
    coords = region[axis]
    end = coords.values[0] if side in ("top", "left") else coords.values[-1]
    hit = (coords == end) & (region == 1)
    return StepResult(step, mask=as_mask(hit.transpose(*region.dims), region,
                                         excluded(region)))


def _words_mask(a: Mapping[str, Any]) -> str:
    what = a["class"] if "class" in a else f"class code {a['code']}"
    when = f" ({a['date']})" if "date" in a else ""
    return f"mask of {what}{when}"


def _run_objects(step: Step, ctx: Context) -> StepResult:
    a = step.args
    low, high = a.get("min_area_m2", 0.0), a.get("max_area_m2", np.inf)
    def keep(t):
        return ((t.area_m2 >= low) & (t.area_m2 <= high))
    return StepResult(step, mask=_select_objects(ctx.mask(a["of"]), keep,
                                                 connectivity=ctx.connectivity))


def _words_objects(a: Mapping[str, Any]) -> str:
    parts = []
    if "min_area_m2" in a:
        parts.append(f"at least {_area_text(a['min_area_m2'])}")
    if "max_area_m2" in a:
        parts.append(f"at most {_area_text(a['max_area_m2'])}")
    return f"objects of {a['of']} " + " and ".join(parts)


def _run_largest_of(step: Step, ctx: Context) -> StepResult:
    def keep(table: Any) -> Any:
        pick = table.area_m2.max() if step.op == "largest_of" else table.area_m2.min()
        return table.area_m2 == pick

    return StepResult(step, mask=_select_objects(ctx.mask(step.args["of"]), keep,
                                                 connectivity=ctx.connectivity))


def _run_near_pixels(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    a = step.args
    of, to = ctx.mask(a["of"]), ctx.mask(a["to"])
    reach = touching_m(of, ctx.connectivity) if step.op == "adjacent" else a["distance_m"]
    near = ops.within_distance(of, to, reach)
    hit = (of == 1) & ~near if step.op == "far" else near
    return StepResult(step, mask=as_mask(hit, of, excluded(of)))


def _run_near_objects(step: Step, ctx: Context) -> StepResult:
    a = step.args
    of = ctx.mask(a["of"])
    reach = touching_m(of, ctx.connectivity) if step.op == "objects_adjacent" \
        else a["distance_m"]
    if step.op == "objects_far":
        def keep(t: Any) -> Any:
            return t.distance_m > reach
    else:
        def keep(t: Any) -> Any:
            return t.distance_m <= reach
    return StepResult(step, mask=_select_objects(of, keep, distance_to=ctx.mask(a["to"]),
                                                 connectivity=ctx.connectivity))


def _words_near(what: str, how: str) -> Callable[[Mapping[str, Any]], str]:
    def words(a: Mapping[str, Any]) -> str:
        reach = "touching" if "distance_m" not in a else f"{how} {_length_text(a['distance_m'])}" \
            f" {'of' if how == 'within' else 'from'}"
        return f"{what} of {a['of']} {reach} {a['to']}"
    return words


def _run_combine(step: Step, ctx: Context) -> StepResult:
    masks = [ctx.mask(r) for r in step.args["of"]]
    combine = operator.or_ if step.op == "union" else operator.and_
    hit = masks[0] == 1
    for m in masks[1:]:
        hit = combine(hit, m == 1)
    return StepResult(step, mask=as_mask(hit, masks[0], *(excluded(m) for m in masks)))


def _run_difference(step: Step, ctx: Context) -> StepResult:
    of, minus = ctx.mask(step.args["of"]), ctx.mask(step.args["minus"])
    return StepResult(step, mask=as_mask((of == 1) & (minus != 1), of, excluded(of)))


def _run_complement(step: Step, ctx: Context) -> StepResult:
    of = ctx.mask(step.args["of"])
    return StepResult(step, mask=as_mask(of == 0, of, excluded(of)))


def _run_excluding(step: Step, ctx: Context) -> StepResult:
    of, minus = ctx.mask(step.args["of"]), ctx.mask(step.args["minus"])
    return StepResult(step, mask=as_mask(of == 1, of, excluded(of), minus == 1))


def _run_without_largest(step: Step, ctx: Context) -> StepResult:
    k = int(step.args.get("count", 1))
    of = ctx.mask(step.args["of"])
    if not bool((of == 1).any()):
        raise MaskError(f"there are no objects of {step.args['of']!r} to leave the largest out "
                        "of: the question's exception names nothing here")

    def keep(table: Any) -> Any:
        return table.area_rank > k              # 1 = the largest; ties by position

    return StepResult(step, mask=_select_objects(of, keep, connectivity=ctx.connectivity))


def _run_objects_inside(step: Step, ctx: Context) -> StepResult:
    """Objects of ``of`` whose every pixel lies within ``distance_m`` of ``to`` (an object
    with one pixel beyond the reach is dropped): each object's farthest pixel from ``to``
    (:func:`geoquant.ops.objects` with ``farthest``), exact for any chunking."""
    a = step.args
    of, to = ctx.mask(a["of"]), ctx.mask(a["to"])
    if not bool((to == 1).any()):
        raise MaskError(f"{a['to']!r} has no pixels here, so 'wholly within "
                        f"{_length_text(a['distance_m'])} of {a['to']}' holds for no object: ask "
                        "about a class the region has")

    def keep(table: Any) -> Any:
        return table.distance_max_m <= a["distance_m"]

    return StepResult(step, mask=_select_objects(of, keep, distance_to=to, farthest=True,
                                                 reach_m=a["distance_m"],
                                                 connectivity=ctx.connectivity))


def _run_objects_neighbours(step: Step, ctx: Context) -> StepResult:
    """Objects of ``of`` with (``objects_near_other``) or without (``objects_far_other``)
    another object of the same mask within ``distance_m``: each object's distance to the
    nearest other (:func:`geoquant.ops.objects` with ``neighbours``; NaN when it has none)."""
    reach = float(step.args["distance_m"])

    def keep(table: Any) -> Any:
        near = table.neighbour_m <= reach           # NaN (no other object) is never near
        return near if step.op == "objects_near_other" else ~near

    return StepResult(step, mask=_select_objects(ctx.mask(step.args["of"]), keep,
                                                 neighbours=True,
                                                 connectivity=ctx.connectivity))


# --- value ops -----------------------------------------------------------------------------------

def _run_share(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    a = step.args
    of = ctx.mask(a["of"])
    if "within" in a:
        within = ctx.mask(a["within"])
        part = as_mask((of == 1) & (within == 1), of, excluded(of))
        total = ops.area(within)
        value = 100.0 * ops.area(part) / total if total else float("nan")
        error = 100.0 * boundary_error_m2(part) / total if total else 0.0
    else:
        whole = as_mask(of == of, of) if a.get("denominator") == "image" else \
            as_mask(of != MASK_NODATA, of)
        total = ops.area(whole)
        value = 100.0 * ops.area(of) / total if total else float("nan")
        error = 100.0 * boundary_error_m2(of) / total if total else 0.0
    return StepResult(step, value=float(value), unit="%", error=float(error))


def _words_share(a: Mapping[str, Any]) -> str:
    within = a.get("within")
    if within:
        return f"share of {a['of']} within {within}"
    if a.get("denominator") == "image":
        return f"share of {a['of']} of the whole image (no-data pixels included)"
    return f"share of {a['of']} of the valid area (pixels with data)"


def _run_area(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    unit, of = step.args.get("unit", "m2"), ctx.mask(step.args["of"])
    return StepResult(step, value=ops.area(of) / AREA_UNITS[unit], unit=unit,
                      error=boundary_error_m2(of) / AREA_UNITS[unit])


def _run_count(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    return StepResult(step, value=int(ops.count(ctx.mask(step.args["of"]),
                                                   connectivity=ctx.connectivity)),
                      unit="objects")


def _run_object_size(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    unit, of = step.args.get("unit", "m2"), ctx.mask(step.args["of"])
    table = ops.objects(of, connectivity=ctx.connectivity)
    value = error = 0.0
    if len(table):
        side = pixel_size_m(of)
        if step.op == "mean_object":
            value = float(table.area_m2.mean())
            error = float(np.mean([pixel_area_error_m2(e, side ** 2)
                                   for e in table.perimeter_m / side]))
        else:
            pick = table.area_m2.idxmax() if step.op == "largest_object" \
                else table.area_m2.idxmin()
            row = table.loc[pick]
            value = float(row.area_m2)
            error = pixel_area_error_m2(row.perimeter_m / side, side ** 2)
    return StepResult(step, value=value / AREA_UNITS[unit], unit=unit,
                      error=error / AREA_UNITS[unit])


def _run_min_distance(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    a = step.args
    unit = a.get("unit", "m")
    value = ops.min_distance(ctx.mask(a["of"]), ctx.mask(a["to"]))
    return StepResult(step, value=float(value) / LENGTH_UNITS[unit], unit=unit,
                      error=pixel_size_m(ctx.mask(a["of"])) / LENGTH_UNITS[unit])


def _run_connected(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    a = step.args
    value = ops.connected(ctx.mask(a["through"]), ctx.mask(a["of"]), ctx.mask(a["to"]),
                          connectivity=ctx.connectivity)
    return StepResult(step, value=bool(value), unit="yes/no")


def _run_connectivity(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    groups = int(ops.count(ctx.mask(step.args["of"]), connectivity=ctx.connectivity))
    return StepResult(step, value="connected" if groups == 1 else "fragmented",
                      unit="connected/fragmented")


def _run_fragmentation(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    metric = step.args["metric"]
    metrics = ops.fragmentation(ctx.mask(step.args["of"]), neighbours=metric == "enn_mn",
                                connectivity=ctx.connectivity)
    unit = step.args.get("unit", FRAGMENTATION_UNITS[metric])
    return StepResult(step, value=metric_in(float(metrics[metric]), metric, unit), unit=unit)


def metric_in(value: float, metric: str, unit: str) -> float:
    """A landscape metric in another unit of its kind (area metrics come in ha, lengths in
    m): "the mean patch size in acres", "the total edge in km"."""
    native = FRAGMENTATION_UNITS[metric]
    if unit == native:
        return value
    if native in AREA_UNITS and unit in AREA_UNITS:
        return value * AREA_UNITS[native] / AREA_UNITS[unit]
    if native in LENGTH_UNITS and unit in LENGTH_UNITS:
        return value * LENGTH_UNITS[native] / LENGTH_UNITS[unit]
    raise PlanError(f"the {metric} metric is in {native}; it cannot be given in {unit}")


def _run_is_fragmented(step: Step, ctx: Context) -> StepResult:
    import geoquant.ops as ops

    metrics = ops.fragmentation(ctx.mask(step.args["of"]), neighbours=False,
                                connectivity=ctx.connectivity)
    return StepResult(step, value=is_fragmented(metrics), unit="yes/no")


DISTANCE_STATS = ("max", "mean", "median", "min")


def _run_distance_stat(step: Step, ctx: Context) -> StepResult:
    """A statistic over the pixels of ``of`` (default: every valid pixel) of the distance to
    the nearest pixel of ``to``: the maximum is the directed Hausdorff distance."""
    import geoquant.ops as ops

    a = step.args
    unit, to, stat = a.get("unit", "m"), ctx.mask(a["to"]), a["stat"]
    if a.get("per") == "object":           # each object's distance: its closest pixel's
        table = ops.objects(ctx.mask(a["of"]), distance_to=to, connectivity=ctx.connectivity)
        picked = table.distance_m.to_numpy()
        picked = picked[np.isfinite(picked)]
        value = float(getattr(np, stat)(picked)) if picked.size else float("nan")
    elif stat == "min":                    # the pixel of the region closest to ``to``
        value = (ops.min_distance(ctx.mask(a["of"]), to) if "of" in a
                 else float(ops.distance_stats(to, over=to).max_m))
    else:   # tile by tile, exact, with the geographic grid's error bound checked
        stats = ops.distance_stats(to, over=ctx.mask(a["of"]) if "of" in a else None,
                                   median=stat == "median")
        value = {"max": stats.max_m, "mean": stats.mean_m, "median": stats.median_m}[stat]
    return StepResult(step, value=float(value) / LENGTH_UNITS[unit], unit=unit,
                      error=pixel_size_m(to) / LENGTH_UNITS[unit])


def _run_difference_of(step: Step, ctx: Context) -> StepResult:
    of, minus = ctx.result(step.args["of"]), ctx.result(step.args["minus"])
    return StepResult(step, value=of.value - minus.value, unit=of.unit,
                      error=of.error + minus.error)


def _run_percent_change(step: Step, ctx: Context) -> StepResult:
    now, before = ctx.result(step.args["of"]), ctx.result(step.args["from"])
    b = before.value
    value = 100.0 * (now.value - b) / b if b else float("nan")
    # first-order propagation of both errors through 100 (a - b) / b
    error = 100.0 * (now.error / abs(b) + abs(now.value) * before.error / b ** 2) if b else 0.0
    return StepResult(step, value=float(value), unit="%", error=float(error))


def _run_perimeter(step: Step, ctx: Context) -> StepResult:
    """The total perimeter of the objects of ``of``: pixel edges against anything not in the
    object, the raster border and no data included (:func:`geoquant.ops.objects`)."""
    import geoquant.ops as ops

    a = step.args
    unit, of = a.get("unit", "m"), ctx.mask(a["of"])
    table = ops.objects(of, connectivity=ctx.connectivity)
    value = float(table.perimeter_m.sum()) if len(table) else 0.0
    return StepResult(step, value=value / LENGTH_UNITS[unit], unit=unit)


def _run_neighbour_distance(step: Step, ctx: Context) -> StepResult:
    """A statistic over the objects of ``of`` of the distance to the nearest other object
    (FRAGSTATS' ENN: edge to edge between pixel centres)."""
    import geoquant.ops as ops

    a = step.args
    unit, of = a.get("unit", "m"), ctx.mask(a["of"])
    table = ops.objects(of, neighbours=True, connectivity=ctx.connectivity)
    values = table.neighbour_m.to_numpy(dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise MaskError(f"{a['of']!r} has fewer than two objects here: there is no distance "
                        "between two of them")
    value = float(getattr(np, a["stat"])(values))
    return StepResult(step, value=value / LENGTH_UNITS[unit], unit=unit,
                      error=pixel_size_m(of) / LENGTH_UNITS[unit])


def _run_ratio(step: Step, ctx: Context) -> StepResult:
    a = step.args
    of, to = ctx.result(a["of"]), ctx.result(a["to"])
    scale = float(a.get("scale", 1.0))
    value = scale * of.value / to.value if to.value else float("nan")
    # first-order propagation of both errors through scale * a / b
    error = scale * (of.error / abs(to.value) + abs(of.value) * to.error / to.value ** 2) \
        if to.value else 0.0
    return StepResult(step, value=float(value), unit=a.get("unit", ""), error=float(error))


def _run_scaled(step: Step, ctx: Context) -> StepResult:
    of, factor = ctx.result(step.args["of"]), float(step.args["factor"])
    return StepResult(step, value=of.value * factor, unit=of.unit, error=of.error * factor)


def _run_number(step: Step, ctx: Context) -> StepResult:
    return StepResult(step, value=float(step.args["value"]), unit=step.args.get("unit", ""))


def _run_compare(step: Step, ctx: Context) -> StepResult:
    a = step.args
    value = COMPARE[a["comparison"]](ctx.result(a["of"]).value, ctx.result(a["to"]).value)
    return StepResult(step, value=bool(value), unit="yes/no")


def _of(name: str) -> Callable[[Mapping[str, Any]], str]:
    return lambda a: f"{name} of {a['of']}" + (f" to {a['to']}" if "to" in a else "")


# --- canonical forms (the phrasing corpus's expressions) ---------------------------------------

Canonical = Callable[[str, Mapping[str, Any], Callable[[str], Any]], tuple[Any, ...]]


def _refs(*keys: str) -> Canonical:
    """``(op, of(a[k]) for each k)``: an op read only through the steps it refers to."""
    return lambda name, a, of: (name, *(of(a[k]) for k in keys))


def _with(ref_keys: tuple[str, ...], *fields: tuple[str, Any]) -> Canonical:
    """``(op, the referred steps..., each field's value or its default)``."""
    def canonical(name: str, a: Mapping[str, Any], of: Callable[[str], Any]) -> tuple[Any, ...]:
        return (name, *(of(a[k]) for k in ref_keys),
                *(a.get(key, default) for key, default in fields))
    return canonical


def _canonical_mask(name: str, a: Mapping[str, Any], of: Callable[[str], Any]) -> tuple[Any, ...]:
    what = ("mask", a["class"]) if "class" in a else ("code", a["code"])
    return (*what, a["date"]) if "date" in a else what


def _canonical_dated(name: str, a: Mapping[str, Any], of: Callable[[str], Any]) -> tuple[Any, ...]:
    return (name, a["date"]) if "date" in a else (name,)


def _canonical_unordered(name: str, a: Mapping[str, Any],
                         of: Callable[[str], Any]) -> tuple[Any, ...]:
    """Union and intersection: their masks in a fixed order."""
    return (name, *sorted((of(r) for r in a["of"]), key=repr))


def _canonical_symmetric(name: str, a: Mapping[str, Any],
                         of: Callable[[str], Any]) -> tuple[Any, ...]:
    """The minimum distance is symmetric: the two masks in a fixed order."""
    first, second = sorted((of(a["of"]), of(a["to"])), key=repr)
    return (name, first, second, a.get("unit", "m"))


def _canonical_share(name: str, a: Mapping[str, Any], of: Callable[[str], Any]) -> tuple[Any, ...]:
    return (name, of(a["of"]), of(a["within"])) if "within" in a else (name, of(a["of"]))


def _canonical_distance_stat(name: str, a: Mapping[str, Any],
                             of: Callable[[str], Any]) -> tuple[Any, ...]:
    return (name, a["stat"], of(a["of"]) if "of" in a else None, of(a["to"]),
            a.get("per", "pixel"), a.get("unit", "m"))


def _canonical_fragmentation(name: str, a: Mapping[str, Any],
                             of: Callable[[str], Any]) -> tuple[Any, ...]:
    form = (name, of(a["of"]), a["metric"])
    return (*form, a["unit"]) if "unit" in a else form


def _canonical_compare(name: str, a: Mapping[str, Any],
                       of: Callable[[str], Any]) -> tuple[Any, ...]:
    return (name, of(a["of"]), a["comparison"], of(a["to"]))


_OF = _refs("of")
_NEAR_FORM = _with(("of", "to"), ("distance_m", None))
_SIZE_FORM = _with(("of",), ("unit", "m2"))
_SIZE_FORM_M = _with(("of",), ("unit", "m"))


def _spec(name: str, kind: str, required: dict[str, Any], optional: dict[str, Any],
          meaning: str, run: Callable[[Step, Context], StepResult],
          words: Callable[[Mapping[str, Any]], str], *, reads: str = "mask",
          labels: tuple[str, ...] = (), distances: tuple[str, ...] = (),
          canonical: Canonical, reference: str, aliases: tuple[str, ...] = ()) -> OpSpec:
    return OpSpec(name, kind, MappingProxyType(required), MappingProxyType(optional), reads,
                  meaning, run, words, labels, distances, canonical, reference, aliases)


_NEAR = {"of": _REF, "to": _REF, "distance_m": _DISTANCE}
_DATE = {"enum": ["before", "after"]}

#: Every op a plan may use, by name.
OPS: Mapping[str, OpSpec] = MappingProxyType({spec.name: spec for spec in (
    _spec("mask", "mask", {}, {"class": {"type": "string"},
                               "code": {"type": "integer", "minimum": 0}, "date": _DATE},
          'pixels of one class: "class" (a class name below) or "code" (a land-cover '
          'product\'s integer class code, for "code 12"/"class 12"); "date": "before"/"after" '
          "only in change questions", _run_mask, _words_mask,
          canonical=_canonical_mask, reference="class_pixels", aliases=("code",)),
    _spec("region", "mask", {}, {"date": _DATE},
          'every pixel of the region that has data ("the land", "any pixel", "everywhere", '
          '"the valid area"), for measures of the whole region near or far from a class',
          _run_region, lambda a: "the whole region" + (f" ({a['date']})" if "date" in a
                                                       else ""),
          canonical=_canonical_dated, reference="region"),
    _spec("edge", "mask", {"side": {"enum": list(EDGES)}}, {"date": _DATE},
          'the pixels with data along one edge of the raster ("top" = north, "bottom", "left" '
          '= west, "right"), for "can one cross from the top edge to the bottom edge through '
          'water" (connected through water of the two edges)', _run_edge,
          lambda a: f"the {a['side']} edge", canonical=_with((), ("side", None)),
          reference="edge"),
    _spec("no_data", "mask", {}, {"date": _DATE},
          'the pixels without data, over the whole image (nothing excluded): "what share of '
          'the image is no data"', _run_no_data, lambda a: "pixels without data",
          canonical=_canonical_dated, reference="no_data"),
    _spec("objects", "mask", {"of": _REF}, {"min_area_m2": _AREA, "max_area_m2": _AREA},
          'the objects (connected patches) of mask "of" whose area is at least "min_area_m2" '
          'and/or at most "max_area_m2" (square metres)', _run_objects, _words_objects,
          labels=("of",), canonical=_with(("of",), ("min_area_m2", None), ("max_area_m2", None)),
          reference="objects"),
    _spec("largest_of", "mask", {"of": _REF}, {},
          'the largest object (connected patch) of mask "of" (all of them if tied)',
          _run_largest_of, lambda a: f"largest object of {a['of']}", labels=("of",),
          canonical=_OF, reference="extreme_object"),
    _spec("smallest_of", "mask", {"of": _REF}, {},
          'the smallest object (connected patch) of mask "of" (all of them if tied)',
          _run_largest_of, lambda a: f"smallest object of {a['of']}", labels=("of",),
          canonical=_OF, reference="extreme_object"),
    _spec("near", "mask", dict(_NEAR), {},
          'the pixels of mask "of" within "distance_m" metres of mask "to"', _run_near_pixels,
          _words_near("pixels", "within"), distances=("to",),
          canonical=_NEAR_FORM, reference="near_pixels"),
    _spec("far", "mask", dict(_NEAR), {},
          'the pixels of mask "of" farther than "distance_m" metres from mask "to"',
          _run_near_pixels, _words_near("pixels", "farther than"), distances=("to",),
          canonical=_NEAR_FORM, reference="near_pixels"),
    _spec("adjacent", "mask", {"of": _REF, "to": _REF}, {},
          'the pixels of mask "of" touching mask "to" (8-neighbours)', _run_near_pixels,
          _words_near("pixels", "within"), distances=("to",),
          canonical=_refs("of", "to"), reference="near_pixels"),
    _spec("objects_near", "mask", dict(_NEAR), {},
          'the whole objects of mask "of" whose closest pixel is within "distance_m" metres of '
          'mask "to"', _run_near_objects, _words_near("objects", "within"), labels=("of",),
          distances=("to",),
          canonical=_NEAR_FORM, reference="near_objects"),
    _spec("objects_far", "mask", dict(_NEAR), {},
          'the whole objects of mask "of" farther than "distance_m" metres from mask "to" '
          '(distance_m 0 = objects not touching "to")', _run_near_objects,
          _words_near("objects", "farther than"), labels=("of",), distances=("to",),
          canonical=_NEAR_FORM, reference="near_objects"),
    _spec("objects_adjacent", "mask", {"of": _REF, "to": _REF}, {},
          'the whole objects of mask "of" that touch mask "to" (8-neighbours)',
          _run_near_objects, _words_near("objects", "within"), labels=("of",),
          distances=("to",),
          canonical=_refs("of", "to"), reference="near_objects"),
    _spec("union", "mask", {"of": _REFS}, {},
          'the pixels in any of the masks listed in "of" (two or more)', _run_combine,
          lambda a: f"union of {', '.join(a['of'])}",
          canonical=_canonical_unordered, reference="combine"),
    _spec("intersection", "mask", {"of": _REFS}, {},
          'the pixels in all of the masks listed in "of" (two or more)', _run_combine,
          lambda a: f"intersection of {', '.join(a['of'])}",
          canonical=_canonical_unordered, reference="combine"),
    _spec("difference", "mask", {"of": _REF, "minus": _REF}, {},
          'the pixels of mask "of" that are not in mask "minus"', _run_difference,
          lambda a: f"{a['of']} but not {a['minus']}",
          canonical=_refs("of", "minus"), reference="difference"),
    _spec("complement", "mask", {"of": _REF}, {},
          'the valid pixels that are not in mask "of" ("not water", "non-forest", "everything '
          'except built-up"); no-data pixels stay excluded', _run_complement,
          lambda a: f"everything but {a['of']}",
          canonical=_OF, reference="complement"),
    _spec("excluding", "mask", {"of": _REF, "minus": _REF}, {},
          'mask "of" with the pixels of mask "minus" taken out of the region (excluded, as no '
          'data: "leaving the sea out, what share of the land ..."); shares of the result are of '
          "the region without them", _run_excluding,
          lambda a: f"{a['of']}, leaving {a['minus']} out of the region",
          canonical=_refs("of", "minus"), reference="excluding"),
    _spec("without_largest", "mask", {"of": _REF}, {"count": {"type": "integer", "minimum": 1}},
          'the objects of mask "of" except its "count" largest (default 1; ties by position: '
          '"apart from the biggest one", "not counting the two largest lakes")',
          _run_without_largest,
          lambda a: f"objects of {a['of']} without the {a.get('count', 1)} largest",
          labels=("of",),
          canonical=_with(("of",), ("count", 1)), reference="without_largest"),
    _spec("objects_inside", "mask", dict(_NEAR), {},
          'the whole objects of mask "of" whose every pixel is within "distance_m" metres of '
          'mask "to" ("wholly within", "entirely within")', _run_objects_inside,
          _words_near("objects wholly", "within"), labels=("of",), distances=("to",),
          canonical=_NEAR_FORM, reference="objects_inside"),
    _spec("objects_near_other", "mask", {"of": _REF, "distance_m": _DISTANCE}, {},
          'the objects of mask "of" with another object of the same mask within "distance_m" '
          'metres ("houses with a neighbouring house closer than 15 m")',
          _run_objects_neighbours,
          lambda a: f"objects of {a['of']} with another within {_length_text(a['distance_m'])}",
          labels=("of",),
          canonical=_with(("of",), ("distance_m", None)), reference="other_objects"),
    _spec("objects_far_other", "mask", {"of": _REF, "distance_m": _DISTANCE}, {},
          'the objects of mask "of" with no other object of the same mask within "distance_m" '
          'metres ("isolated buildings, over 50 m from any other")', _run_objects_neighbours,
          lambda a: f"objects of {a['of']} with no other within "
                    f"{_length_text(a['distance_m'])}", labels=("of",),
          canonical=_with(("of",), ("distance_m", None)), reference="other_objects"),
    _spec("share", "value", {"of": _REF}, {"within": _REF, "denominator": {"enum": ["valid",
                                                                                  "image"]}},
          'percentage of the region covered by mask "of" (of the pixels with data; '
          '"denominator": "image" when the question says "of the image": every pixel, no data '
          'included); with "within", the percentage of mask "within" that is also in "of" '
          '(value in %)', _run_share, _words_share,
          canonical=_canonical_share, reference="share"),
    _spec("area", "value", {"of": _REF}, dict(_AREA_UNIT),
          'area of mask "of" in "unit" (m2 default, ha, km2)', _run_area, _of("area"),
          canonical=_SIZE_FORM, reference="area"),
    _spec("count", "value", {"of": _REF}, {},
          'number of objects (patches) in mask "of"', _run_count, _of("number of objects"),
          labels=("of",),
          canonical=_OF, reference="count"),
    _spec("largest_object", "value", {"of": _REF}, dict(_AREA_UNIT),
          'area of the largest object of mask "of" in "unit" (m2 default, ha, km2)',
          _run_object_size, _of("largest object"), labels=("of",),
          canonical=_SIZE_FORM, reference="object_size"),
    _spec("smallest_object", "value", {"of": _REF}, dict(_AREA_UNIT),
          'area of the smallest object of mask "of" in "unit" (m2 default, ha, km2)',
          _run_object_size, _of("smallest object"), labels=("of",),
          canonical=_SIZE_FORM, reference="object_size"),
    _spec("mean_object", "value", {"of": _REF}, dict(_AREA_UNIT),
          'mean area of the objects of mask "of" in "unit" (m2 default, ha, km2)',
          _run_object_size, _of("mean object size"), labels=("of",),
          canonical=_SIZE_FORM, reference="object_size"),
    _spec("min_distance", "value", {"of": _REF, "to": _REF}, dict(_LENGTH_UNIT),
          'shortest distance between masks "of" and "to" in "unit" (m default, km)',
          _run_min_distance, _of("minimum distance"), distances=("to",),
          canonical=_canonical_symmetric, reference="min_distance"),
    _spec("distance_stat", "value", {"to": _REF, "stat": {"enum": list(DISTANCE_STATS)}},
          {"of": _REF, "per": {"enum": ["pixel", "object"]}, **_LENGTH_UNIT},
          '"stat" (max, mean, median or min) over the pixels of mask "of" (default: every valid '
          'pixel) of the distance to the nearest pixel of mask "to", in "unit" ("the greatest '
          'distance from any pixel to the nearest road"; "the water pixel farthest from all '
          'forest" is max of water to forest); "per": "object" takes each object of "of" at its '
          'closest pixel ("the mean distance from buildings to the nearest road")',
          _run_distance_stat,
          lambda a: f"{a['stat']} distance from {a.get('of', 'any pixel')} to the nearest "
                    f"{a['to']}", distances=("to",),
          canonical=_canonical_distance_stat, reference="distance_stat"),
    _spec("connected_groups", "value", {"of": _REF}, {},
          'number of connected groups of mask "of" ("are the X patches connected?" = compare '
          "connected_groups == a number step of 1)", _run_count, _of("connected groups"),
          labels=("of",),
          canonical=_OF, reference="count"),
    _spec("connectivity", "value", {"of": _REF}, {},
          '"connected" when mask "of" is one connected group, else "fragmented" (for '
          '"is X connected or fragmented?")', _run_connectivity,
          _of("connected or fragmented"), labels=("of",),
          canonical=_OF, reference="connectivity"),
    _spec("connected", "value", {"through": _REF, "of": _REF, "to": _REF}, {},
          'yes/no: mask "of" is joined to mask "to" through mask "through"', _run_connected,
          lambda a: f"is {a['of']} connected to {a['to']} through {a['through']}",
          canonical=_refs("of", "to", "through"), reference="connected"),
    _spec("fragmentation", "value", {"of": _REF, "metric": {"enum": list(FRAGMENTATION_METRICS)}},
          {"unit": {"enum": [*AREA_UNITS, *LENGTH_UNITS]}},
          'one landscape metric of mask "of", "metric" one of '
          f"{', '.join(FRAGMENTATION_METRICS)} (area_mn and effective_mesh_size in ha, "
          "total_edge and enn_mn in m, or in the area or length \"unit\" asked; edge_density "
          "in m/ha, patch_density per 100 ha)", _run_fragmentation,
          lambda a: f"{a['metric'].replace('_', ' ')} of {a['of']}",
          canonical=_canonical_fragmentation, reference="fragmentation"),
    _spec("is_fragmented", "value", {"of": _REF}, {},
          'yes/no: mask "of" is split into several patches and its largest patch holds less '
          "than half of its area", _run_is_fragmented, _of("is fragmented"),
          canonical=_OF, reference="is_fragmented"),
    _spec("difference_of", "value", {"of": _REF, "minus": _REF}, {},
          'value step "of" minus value step "minus" (same unit)', _run_difference_of,
          lambda a: f"{a['of']} minus {a['minus']}", reads="value",
          canonical=_refs("of", "minus"), reference="difference_of"),
    _spec("percent_change", "value", {"of": _REF, "from": _REF}, {},
          'percentage change from value step "from" to value step "of": 100 * (of - from) / '
          "from", _run_percent_change,
          lambda a: f"change from {a['from']} to {a['of']}, percent", reads="value",
          canonical=_refs("of", "from"), reference="percent_change"),
    _spec("perimeter", "value", {"of": _REF}, dict(_LENGTH_UNIT),
          'total perimeter of the objects of mask "of" (pixel edges against anything not in '
          'the object, the raster border included), in "unit" ("the perimeter of the largest '
          'forest patch", "the shoreline length of the lakes")', _run_perimeter,
          _of("perimeter"), labels=("of",), canonical=_SIZE_FORM_M, reference="perimeter"),
    _spec("neighbour_distance", "value", {"of": _REF, "stat": {"enum": list(DISTANCE_STATS)}},
          dict(_LENGTH_UNIT),
          '"stat" (min, max, mean, median) over the objects of mask "of" of the distance from '
          'each to the nearest other object of the same mask, in "unit" ("how far apart are '
          'the two closest lakes": min; "the mean nearest-neighbour distance": mean)',
          _run_neighbour_distance,
          lambda a: f"{a['stat']} distance between neighbouring objects of {a['of']}",
          labels=("of",), canonical=_with(("of",), ("stat", None), ("unit", "m")),
          reference="neighbour_distance"),
    _spec("ratio", "value", {"of": _REF, "to": _REF},
          {"scale": {"type": "number", "exclusiveMinimum": 0}, "unit": {"type": "string"}},
          'value step "of" divided by value step "to", times "scale" (default 1), in "unit": '
          '"how many times larger is A than B", "the ratio of A to B", densities ("patches per '
          '100 km2": a count over the region\'s area in km2, scale 100)', _run_ratio,
          lambda a: f"{a['of']} / {a['to']}" + (f" x {a['scale']:g}" if "scale" in a else ""),
          reads="value", canonical=_with(("of", "to"), ("scale", 1), ("unit", "")),
          reference="ratio"),
    _spec("scaled", "value", {"of": _REF, "factor": {"type": "number", "exclusiveMinimum": 0}},
          {}, 'value step "of" times "factor" ("twice as large as B": B scaled by 2, to '
          "compare with)", _run_scaled, lambda a: f"{a['factor']:g} x {a['of']}",
          reads="value", canonical=_with(("of",), ("factor", None)), reference="scaled"),
    _spec("number", "value", {"value": {"type": "number"}}, {"unit": {"type": "string"}},
          'a constant "value" (optional "unit") to compare a value step with; give it in the '
          "unit of the value it is compared with", _run_number,
          lambda a: f"the number {a['value']:g}" + (f" {a['unit']}" if a.get("unit") else ""),
          reads="value",
          canonical=_with((), ("value", None), ("unit", "")), reference="number"),
    _spec("compare", "value", {"of": _REF, "to": _REF, "comparison": {"enum": list(COMPARISONS)}},
          {}, 'yes/no: value step "of" <comparison> value step "to", comparison one of '
          f"{' '.join(COMPARISONS)}", _run_compare,
          lambda a: f"{a['of']} {a['comparison']} {a['to']}", reads="value",
          canonical=_canonical_compare, reference="compare"),
)})
