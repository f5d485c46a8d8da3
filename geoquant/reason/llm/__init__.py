"""The optional LLM planner: a question's plan written by an OpenAI-compatible endpoint.

- ``_llm``: :func:`~geoquant.reason.llm_plan` and :class:`~geoquant.reason.LLMConfig`: the
  endpoint's configuration, the system prompt (the plan's schema, the op table's rules, worked
  examples), the reply's schema, and the same validation as every plan.
- ``_corpus``: the worked examples, one question per phrasing family, read from
  ``llm_examples.json`` beside it.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
