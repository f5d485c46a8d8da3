"""Reasoning: questions become validated plans over the operators (work in progress).

- :func:`validate`, :class:`Plan`, :class:`Step`, :data:`PLAN_SCHEMA` — typed JSON plans,
  checked against a published JSON Schema and between steps; never executed as code.
"""

from geoquant.reason._plan import OPS, PLAN_SCHEMA, PLAN_VERSION, Plan, Step, validate

__all__ = ["OPS", "PLAN_SCHEMA", "PLAN_VERSION", "Plan", "Step", "validate"]
