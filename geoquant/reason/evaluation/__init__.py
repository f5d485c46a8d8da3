"""Evaluation: question files answered and scored, SQuID-style.

- ``_eval``: :func:`~geoquant.reason.evaluate` and :class:`~geoquant.reason.EvalReport`:
  every record answered, scored by type and tier, with the evidence masks' IoU.
- ``_eval_records``: reading SQuID-format files (JSON lines, a JSON list or parquet) into
  records, one bad record at a time.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
