"""The phrasing corpus: question families, each with its expected plan and the many ways
people word it.

It serves three readers: the tests (every phrasing must plan to its family's expected plan),
the LLM planner (its worked examples are each family's first phrasing and plan) and
``benchmarks/planner.py`` (share planned right, per family, and time per question).

An expected plan is written as a nested expression, independent of step ids and order:

- masks: ``("mask", "forest")``, ``("code", 12)``, ``("union", m1, m2, ...)`` (order free),
  ``("objects", m, min_m2, max_m2)``, ``("largest_of", m)``,
  ``(op, m, to, distance_m)`` for near/far/objects_near/objects_far,
  ``(op, m, to)`` for adjacent/objects_adjacent, ``("difference", m, minus)``,
  ``("smallest_of", m)``,
  ``("intersection", m1, m2)``; a dated mask is ``("mask", "forest", "before")``;
- values: ``(op, m)`` or ``(op, m, unit)`` for share/area/count/largest_object/...,
  ``("share", m, within)`` (``within`` a mask), ``("min_distance", a, b, unit)`` (the two
  masks sorted: the distance is symmetric),
  ``("compare", v1, comparison, v2)``, ``("number", value, unit)``,
  ``("fragmentation", m, metric)``, ``("connectivity", m)``, ``("connected_groups", m)``,
  ``("difference_of", v1, v2)``, ``("percent_change", v_now, v_before)``.

:func:`expression` turns a :class:`~geoquant.reason.Plan` into this form.
"""

from __future__ import annotations

from typing import Any

from geoquant.reason._plan import Plan

FOREST, WATER, ROAD = ("mask", "forest"), ("mask", "water"), ("mask", "road")
BUILT, BARE, BUILDING = ("mask", "built-up"), ("mask", "bare"), ("mask", "building")
VEGETATION = ("mask", "vegetation")
DEEPGLOBE_VEGETATION = ("union", ("mask", "cropland"), ("mask", "forest"), ("mask", "grass"))


def expression(plan: Plan) -> Any:
    """The plan's answer as a nested expression (see the module docstring)."""
    steps = {s.id: s for s in plan.steps}

    def of(ref: str) -> Any:
        step = steps[ref]
        a = step.args
        op = step.op
        if op == "mask":
            what = ("mask", a["class"]) if "class" in a else ("code", a["code"])
            return (*what, a["date"]) if "date" in a else what
        if op in ("union", "intersection"):
            return (op, *sorted((of(r) for r in a["of"]), key=repr))
        if op == "objects":
            return ("objects", of(a["of"]), a.get("min_area_m2"), a.get("max_area_m2"))
        if op in ("near", "far", "objects_near", "objects_far"):
            return (op, of(a["of"]), of(a["to"]), a["distance_m"])
        if op == "min_distance":     # symmetric: the two masks in a fixed order
            first, second = sorted((of(a["of"]), of(a["to"])), key=repr)
            return (op, first, second, a.get("unit", "m"))
        if op in ("adjacent", "objects_adjacent"):
            return (op, of(a["of"]), of(a["to"]))
        if op == "difference":
            return ("difference", of(a["of"]), of(a["minus"]))
        if op == "share":
            return ("share", of(a["of"]), of(a["within"])) if "within" in a \
                else ("share", of(a["of"]))
        if op in ("area", "largest_object", "smallest_object", "mean_object"):
            return (op, of(a["of"]), a.get("unit", "m2"))
        if op == "compare":
            return ("compare", of(a["of"]), a["comparison"], of(a["to"]))
        if op == "number":
            return ("number", a["value"], a.get("unit", ""))
        if op == "fragmentation":
            return ("fragmentation", of(a["of"]), a["metric"])
        if op == "difference_of":
            return ("difference_of", of(a["of"]), of(a["minus"]))
        if op == "percent_change":
            return ("percent_change", of(a["of"]), of(a["from"]))
        if op == "connected":
            return ("connected", of(a["of"]), of(a["to"]), of(a["through"]))
        return (op, *(of(a[k]) for k in ("of",) if k in a))

    return of(plan.answer)


def families() -> dict[str, tuple[Any, tuple[str, ...]]]:
    """family -> (expected expression, phrasings). The phrasings were written as different
    people would ask, not tuned to the planner one by one."""
    from geoquant.reason._corpus_phrasings import PHRASINGS

    return PHRASINGS
