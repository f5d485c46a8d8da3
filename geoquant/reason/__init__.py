"""Reasoning: questions about a region become validated plans, run over masks, and come back as
answers with a range, a trace and the mask evidence behind them.

- :func:`ask` — a question (plain words or a plan) about a source, answered end to end.
- :func:`plan_dates` — the dates a plan's masks are read at (one, or before and after).
- :class:`Answer`, :class:`TraceStep` — value, unit, range, steps, provenance, outputs.
- :func:`plan_question`, :data:`SUPPORTED_FORMS`, :func:`question_years` — the deterministic,
  offline planner.
- :func:`llm_plan`, :class:`LLMConfig` — the optional planner over an OpenAI-compatible
  endpoint; its plans pass the same validation.
- :func:`validate`, :class:`Plan`, :class:`Step`, :data:`PLAN_SCHEMA` — typed JSON plans,
  checked against a published JSON Schema and between steps; never executed as code.
- :func:`evaluate`, :class:`EvalReport` — SQuID-style scoring of question files.
"""

from geoquant.reason._answer import Answer, TraceStep
from geoquant.reason._ask import answer_plan, ask, make_plan, plan_dates
from geoquant.reason._eval import EvalReport, evaluate
from geoquant.reason._llm import LLMConfig, llm_plan
from geoquant.reason._plan import OPS, PLAN_SCHEMA, PLAN_VERSION, Plan, Step, validate
from geoquant.reason._planner import SUPPORTED_FORMS, plan_question, question_years
from geoquant.reason._source import Layers, open_source

__all__ = ["OPS", "PLAN_SCHEMA", "PLAN_VERSION", "SUPPORTED_FORMS", "Answer", "EvalReport",
           "LLMConfig", "Layers", "Plan", "Step", "TraceStep", "answer_plan", "ask",
           "evaluate", "llm_plan", "make_plan", "open_source", "plan_dates", "plan_question",
           "question_years", "validate"]
