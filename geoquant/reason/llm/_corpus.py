"""The LLM planner's worked examples: one question per family of the phrasing corpus.

The corpus itself (416 phrasings with their expected plans) is test data,
``tests/reason/data/corpus.jsonl``; the package ships only what runs: the first phrasing of
each family, in ``llm_examples.json``, which :func:`geoquant.reason.llm._llm.examples` plans with
the rules planner for the system prompt. ``tests/reason/test_corpus.py`` holds the two in step.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

EXAMPLES_FILE = Path(__file__).with_name("llm_examples.json")


@cache
def example_questions() -> tuple[str, ...]:
    """The questions of the LLM prompt's worked examples, one per corpus family, in order."""
    with EXAMPLES_FILE.open(encoding="utf-8") as f:
        return tuple(item["question"] for item in json.load(f))
