"""Running a plan: each step run by its op's entry in :data:`~geoquant.reason.plans._ops.OPS`, in
order. A step's mask or value is computed once and reused by every later step that reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from geoquant.reason.plans._ops import OPS, Context, StepResult, is_fragmented
from geoquant.reason.plans._plan import Plan

__all__ = ["MaskSource", "StepResult", "is_fragmented", "run_plan"]

MaskSource = Callable[["str | int", "str | None"], Any]
"""``source(class_name_or_code, date)`` -> uint8 mask (1, 0, 255 nodata) of that class;
``date`` is ``None``, ``"before"`` or ``"after"``."""


def run_plan(plan: Plan, source: MaskSource) -> dict[str, StepResult]:
    """Run every step of a plan in order; return each step's result by id."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    context = Context(source, connectivity=plan.connectivity)
    for step in plan.steps:
        context.done[step.id] = OPS[step.op].run(step, context)
    return context.done
