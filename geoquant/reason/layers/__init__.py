"""Layers: where a question's masks come from, opened and segmented once per question.

- ``_source``: :func:`~geoquant.reason.open_source` and :class:`~geoquant.reason.Layers`: a
  STAC collection, local rasters or an xarray cube, segmented once per date the plan needs.
- ``_landcover``: land-cover products first: which catalog collection answers a plan's
  classes (``ask(..., landcover="auto")``), and the ``decided_by`` record.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
