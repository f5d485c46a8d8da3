"""Type stub of geoquant.demo: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._run import (
    DEMO_DATA,
    QUESTIONS,
    run_demo,
)

__all__ = [
    "DEMO_DATA",
    "QUESTIONS",
    "run_demo",
]
