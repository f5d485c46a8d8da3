"""Phrasing sets as data: read a JSON-lines phrasing set, and a plan's answer as an expression.

A phrasing set (the planner's development corpus ``tests/reason/data/corpus.jsonl``, the
held-out sets ``benchmarks/planner/holdout*.jsonl``) holds one JSON object per line::

    {"family": "area_ha", "question": "How many hectares of water are there?",
     "expected": ["area", ["mask", "water"], "ha"]}

``expected`` is the plan's answer as a nested expression, independent of step ids and order
(JSON arrays here, tuples once read):

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
  ``("difference_of", v1, v2)``, ``("percent_change", v_now, v_before)``;
- and for the newer ops: ``("region"[, date])``, ``("no_data"[, date])``,
  ``("complement", m)``, ``("excluding", m, minus)``, ``("without_largest", m, k)``,
  ``("objects_inside", m, to, distance_m)``, ``(op, m, distance_m)`` for
  objects_near_other/objects_far_other, ``("distance_stat", stat, m | None, to, per, unit)``,
  ``("is_fragmented", m)``, ``("connected", a, b, through)``.

Each op's form is its entry's ``canonical`` in :data:`geoquant.reason.plans._ops.OPS`.

:func:`expression` turns a :class:`~geoquant.reason.Plan` into this form;
:func:`read_phrasings` reads a set; :func:`geoquant.testing.reference.reference_value`
evaluates an expression with scipy alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoquant.errors import InvalidOptionError

if TYPE_CHECKING:
    from geoquant.reason import Plan

#: family -> (expected expression, phrasings in file order)
Phrasings = dict[str, tuple[Any, tuple[str, ...]]]


def _as_tuples(value: Any) -> Any:
    """JSON arrays back to the tuples :func:`expression` returns."""
    return tuple(_as_tuples(v) for v in value) if isinstance(value, list) else value


def read_phrasings(path: str | Path) -> Phrasings:
    """Read a JSON-lines phrasing set.

    Parameters
    ----------
    path
        File of one object per line with ``family``, ``question`` and ``expected``.

    Returns
    -------
    dict
        family -> (expected expression, its phrasings), families and phrasings in file order.

    Raises
    ------
    InvalidOptionError
        A line that is not such an object, or two lines of one family expecting different
        expressions; the message names the file and line.
    """
    path = Path(path)
    expected: dict[str, Any] = {}
    questions: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                item = json.loads(line)
                family, question, plan = item["family"], item["question"], item["expected"]
            except (ValueError, TypeError, KeyError) as exc:
                raise InvalidOptionError(
                    f"{where}: write one JSON object per line with \"family\", \"question\" "
                    f"and \"expected\" ({exc})") from exc
            plan = _as_tuples(plan)
            if expected.setdefault(family, plan) != plan:
                raise InvalidOptionError(
                    f"{where}: family {family!r} expects {expected[family]!r} on its earlier "
                    f"lines, not {plan!r}; give the phrasing its own family or the same "
                    "expected expression")
            questions.setdefault(family, []).append(question)
    return {name: (expected[name], tuple(qs)) for name, qs in questions.items()}


def expression(plan: Plan) -> Any:
    """The plan's answer as a nested expression (see the module docstring): each step in its
    op's canonical form (``OpSpec.canonical`` in :data:`geoquant.reason.plans._ops.OPS`)."""
    from geoquant.reason.plans._ops import OPS

    steps = {s.id: s for s in plan.steps}

    def of(ref: str) -> Any:
        step = steps[ref]
        return OPS[step.op].canonical_form(step.args, of)

    return of(plan.answer)
