"""Reading a question: plain English words become a plan, deterministically and offline.

The job of :func:`~geoquant.reason.plan_question`, read top to bottom:

- ``_planner``: the entry; a question is read as parts that combine freely (sentences, the
  measure's frame, its targets, the answer unit) and every word must be read.
- ``_phrases``: the words before they are read: normalised text, numbers with units, the
  pixel size ("(GSD: 0.5m)"), the answer unit, dates and sentences.
- ``_context``: what is said around the question and asks nothing: the scene's name, a
  homework label, who it is for, statements of context; set aside and written in the notes.
- ``_reading``: what every frame shares: the reader of one question, the rule that every word
  is read, the words a question may end with.
- ``_targets``: what a question measures, read from its words into mask steps.
- ``_frames_amount``, ``_frames_change``, ``_frames_compare``, ``_frames_shape``: the question
  frames: how much and how many; change between two dates; yes/no comparisons; shape, place
  and distance.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
