"""Type stub of geoquant.reason.llm: a room of :mod:`geoquant.reason`, with no public names
of its own (the package's stub re-exports them); its private modules are imported by their full
paths."""

__all__ = []
