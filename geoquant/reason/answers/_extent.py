"""The extent of a change answer: the area mapped on both dates, and the whole-map figures.

A change is measured only where both dates were mapped (:meth:`Layers.mask
<geoquant.reason.layers._source.Layers.mask>` excludes the rest), so a map that covers more
ground at one date does not read as change. That is exact on the common extent, but it is not
the figure a reader gets by subtracting the two maps' own totals. The answer therefore states
the area it covers, and gives beside it the same plan run over each date's whole map.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geoquant.reason.answers._answer import area_text, covers_text, format_value
from geoquant.reason.layers._source import CHANGE_DATES, Layers
from geoquant.reason.plans._plan import Plan

COMMON = "the area mapped on both dates"


def change_extent(plan: Plan, layers: Layers) -> dict[str, Any] | None:
    """Where a change answer was measured, and the plan's figures over each whole map.

    Parameters
    ----------
    plan : Plan
        A change plan (masks at ``"before"`` and ``"after"``).
    layers : Layers
        The opened source, with both dates.

    Returns
    -------
    dict or None
        ``covers`` (words), ``common_area_m2`` (mapped on both dates, m²),
        ``mapped_area_m2`` (each date's own mapped area, m², by date label),
        ``whole_extent`` (each value step of the plan run over each date's whole map:
        ``{step id: {"value", "unit"}}``), ``whole_extent_value`` (the answer step's value
        there) and ``text`` (one sentence); None without two dates.
    """
    import geoquant.ops as ops
    from geoquant.reason.plans._execute import run_plan
    from geoquant.reason.plans._ops import as_mask

    if not all(d in layers.dates for d in CHANGE_DATES):
        return None
    seen = {date: _seen(layers, date) for date in CHANGE_DATES}
    like = _any_layer(layers, CHANGE_DATES[0])
    both = seen["before"] & seen["after"]
    common = ops.area(as_mask(both, like) == 1)
    mapped = {date: ops.area(as_mask(s, like) == 1) for date, s in seen.items()}
    whole = run_plan(plan, lambda what, date: _whole_mask(layers, what, date))
    steps = {sid: {"value": _plain(r.value), "unit": r.unit}
             for sid, r in whole.items() if r.mask is None}
    labels = _date_labels(layers.provenance.get("dates"))
    out = {"covers": COMMON, "common_area_m2": float(common),
           "mapped_area_m2": {labels[d]: float(mapped[d]) for d in CHANGE_DATES},
           "whole_extent": steps,
           "whole_extent_value": steps.get(plan.answer, {}).get("value")}
    out["text"] = extent_text(out, unit=steps.get(plan.answer, {}).get("unit", ""))
    return out


def extent_text(extent: Mapping[str, Any], *, unit: str = "") -> str:
    """One sentence: the common extent, each date's mapped area, the whole-map answer."""
    mapped = ", ".join(f"{label}: {area_text(m2)}"
                       for label, m2 in extent["mapped_area_m2"].items())
    text = (f"Measured {covers_text(extent)} (each date's own map covers {mapped}).")
    value = extent.get("whole_extent_value")
    if value is not None:
        figures = [f"{sid} {format_value(v['value'], v['unit'])}"
                   for sid, v in extent["whole_extent"].items() if v["value"] is not None]
        text += (f" Over each date's whole map instead: {format_value(value, unit)} "
                 f"({'; '.join(figures)}).")
    return text


def _seen(layers: Layers, date: str) -> Any:
    from geoquant.segment import has_data

    seg = layers.segmentations.get(date)
    return has_data(seg) if seg is not None else layers.codes[date].notnull()


def _any_layer(layers: Layers, date: str) -> Any:
    seg = layers.segmentations.get(date)
    return seg["label"] if seg is not None else layers.codes[date]


def _whole_mask(layers: Layers, what: str | int, date: str | None) -> Any:
    """A class mask of one date over that date's whole map (no common-extent cut)."""
    import numpy as np

    from geoquant.segment import code_mask, segmentation_mask

    key = date if date in layers.dates else None
    if isinstance(what, (int, np.integer)):
        return code_mask(layers.codes[key], int(what))
    return segmentation_mask(layers.segmentations[key], what)


def _date_labels(dates: Any) -> dict[str, str]:
    """``{"before": "2006", "after": "2012"}`` from the provenance's dates (years, or whole
    dates when the years agree); ``"before"``/``"after"`` when they are not dates."""
    import re

    dates = dates if isinstance(dates, Mapping) else {}
    when = {d: str(dates.get(d) or "") for d in CHANGE_DATES}
    if not all(re.match(r"\d{4}", w) for w in when.values()):
        return {d: d for d in CHANGE_DATES}
    years = {d: w[:4] for d, w in when.items()}
    if years["before"] == years["after"]:
        return {d: w[:10] for d, w in when.items()}
    return years


def _plain(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    return value
