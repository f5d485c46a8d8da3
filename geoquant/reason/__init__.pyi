"""Type stub of geoquant.reason: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._ask import (
    answer_plan,
    ask,
    make_plan,
    plan_dates,
)
from .answers._answer import (
    Answer,
    TraceStep,
)
from .evaluation._eval import (
    EvalReport,
    evaluate,
)
from .layers._source import (
    Layers,
    open_source,
)
from .llm._llm import (
    LLMConfig,
    llm_plan,
)
from .plans._plan import (
    OPS,
    PLAN_SCHEMA,
    PLAN_VERSION,
    Plan,
    Step,
    validate,
)
from .reading._planner import (
    SUPPORTED_FORMS,
    plan_question,
    question_years,
)

__all__ = [
    "Answer",
    "EvalReport",
    "LLMConfig",
    "Layers",
    "OPS",
    "PLAN_SCHEMA",
    "PLAN_VERSION",
    "Plan",
    "SUPPORTED_FORMS",
    "Step",
    "TraceStep",
    "answer_plan",
    "ask",
    "evaluate",
    "llm_plan",
    "make_plan",
    "open_source",
    "plan_dates",
    "plan_question",
    "question_years",
    "validate",
]
