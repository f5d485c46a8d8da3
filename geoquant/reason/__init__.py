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

Its rooms, in the order one question passes them (``_ask.py``, the orchestrator, calls each
in turn): ``reading/`` (the words become a plan) → ``plans/`` (the op table, validation and
the plan's run) → ``layers/`` (the source opened and segmented once) → ``answers/`` (value,
range, trace, checks, picture). Beside them: ``llm/`` (the optional LLM planner) and
``evaluation/`` (question files answered and scored). Each room's docstring lists its modules
in reading order.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
