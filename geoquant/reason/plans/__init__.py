"""Plans: the op table, the typed JSON plan checked against it, and the plan's run.

The one place an op is defined, and what reads it, top to bottom:

- ``_ops``: the op table (:data:`~geoquant.reason.OPS`): each op's JSON Schema arguments, how
  it runs over masks, its words in an answer, its evidence, its line for the LLM and its
  canonical form.
- ``_plan``: :class:`~geoquant.reason.Plan`, :class:`~geoquant.reason.Step` and
  :func:`~geoquant.reason.validate`; the schema is published as ``plan.schema.json`` beside it.
- ``_execute``: ``run_plan``, each step run by its op's entry, in order, once.
- ``_op_references``: each op's whole-array NumPy/SciPy reference (for tests and benchmarks).
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
