"""Answers: a plan's results become an :class:`~geoquant.reason.Answer`, with its checks and
its picture.

- ``_answer``: :class:`~geoquant.reason.Answer` and :class:`~geoquant.reason.TraceStep`:
  value, unit, range, trace, evidence masks and the words of each.
- ``_change_check``: whether a change answer could be misregistration of the two dates.
- ``_extent``: where a change answer was measured (the area mapped on both dates) and the
  whole-map figures beside it.
- ``_picture``: the quick-look: the evidence masks over the imagery, the answer as caption.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
