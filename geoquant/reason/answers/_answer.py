"""Answers: a value with its unit and range, the trace of steps behind it, and its provenance."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geoquant.reason.plans._ops import OPS, StepResult
from geoquant.reason.plans._plan import Plan, Step

#: Units of answers that are categories, not numbers.
CATEGORICAL_UNITS = ("yes/no", "connected/fragmented")
UNIT_TEXT = {"m2": "m²", "km2": "km²", "ha": "ha", "m": "m", "km": "km", "%": "%",
             "objects": "objects", "yes/no": "", "connected/fragmented": ""}


@dataclass(frozen=True)
class TraceStep:
    """One step of an answer, in words, with its value and the name of its evidence layer."""

    id: str
    op: str
    words: str
    value: Any = None
    unit: str = ""
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "op": self.op, "words": self.words, "value": self.value,
                "unit": self.unit, "evidence": list(self.evidence)}


class Evidence(dict):
    """The evidence layers of an answer by name (masks, object labels, distances): a dict of
    DataArrays on one grid, which :meth:`to_xarray` gathers into one Dataset."""

    def to_xarray(self) -> Any:
        """The layers as one :class:`xarray.Dataset` (what ``ask --out`` writes as Zarr)."""
        import xarray as xr

        return xr.Dataset(dict(self))


@dataclass(frozen=True)
class Answer:
    """A region-level answer.

    Attributes
    ----------
    question : str
    value : float, int or bool
        The answer, in ``unit``.
    unit : str
        ``m2``, ``ha``, ``km2``, ``%``, ``m``, ``km``, ``objects``, ``yes/no`` or a
        fragmentation metric's unit.
    range : (low, high)
        The acceptable range: the plan re-run on masks at a lower and a higher probability
        threshold, each value widened by the pixel-size error of its measure; for yes/no, the
        answers those runs gave (``(False, True)`` when they disagree).
    plan : Plan
        The validated plan that was run.
    trace : tuple of TraceStep
        Each step in words with its intermediate value and evidence layer names.
    provenance : dict
        Source (URL, paths), STAC item ids, dates used, segmenter and version, geoquant
        version, time of the run.
    elapsed_s : float
        Wall time of the whole question, seconds.
    outputs : dict
        Paths written (``zarr``, ``json``, ``png``), empty when nothing was written.
    """

    question: str
    value: Any
    unit: str
    range: tuple[Any, Any]
    plan: Plan
    trace: tuple[TraceStep, ...]
    provenance: Mapping[str, Any]
    elapsed_s: float
    outputs: Mapping[str, str] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=Evidence, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.evidence, Evidence):
            object.__setattr__(self, "evidence", Evidence(self.evidence))

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready data (without the evidence arrays)."""
        return {"question": self.question, "value": _plain(self.value), "unit": self.unit,
                "range": [_plain(v) for v in self.range], "text": self.text(),
                "plan": self.plan.to_dict(),
                "trace": [t.to_dict() for t in self.trace],
                "provenance": _plain_provenance(self.provenance),
                "elapsed_s": self.elapsed_s, "outputs": dict(self.outputs)}

    def to_json(self) -> str:
        """Strict JSON (RFC 8259): no NaN or Infinity anywhere."""
        from geoquant.sinks import to_jsonable

        return json.dumps(to_jsonable(self.to_dict()), indent=2, allow_nan=False, default=str)

    def text(self) -> str:
        """The value with its unit and range, e.g. ``"12.4 ha (11.9 to 12.9 ha)"``; a change
        answer says where it was measured: ``"... over the 6,115 ha mapped on both dates"``."""
        main = answer_text(self.value, self.unit, self.range)
        extent = self.provenance.get("change_extent")
        if extent:
            return f"{main} {covers_text(extent)}"
        return main

    def caption(self) -> str:
        """The quick-look's caption: question, answer, and for a change the extent it covers,
        the whole-map figures and the misregistration check."""
        lines = [self.question, self.text()]
        extent = self.provenance.get("change_extent")
        if extent:
            lines.append(extent["text"])
        if self.provenance.get("change_check"):
            lines.append(self.provenance["change_check"]["text"])
        return "\n".join(lines)

    def summary(self) -> str:
        """A short readable summary: answer, steps, sources, time."""
        lines = [f"Q: {self.question}", f"A: {self.text()}", "Steps:"]
        for n, t in enumerate(self.trace, 1):
            value = f" = {format_value(t.value, t.unit)}" if t.value is not None else ""
            shown = f"  [evidence: {', '.join(t.evidence)}]" if t.evidence else ""
            lines.append(f"  {n}. {t.words}{value}{shown}")
        lines += [f"Read as: {note}" for note in self.plan.notes]
        lines += [f"Note: {note}" for note in self.provenance.get("notes", ())]
        prov = self.provenance
        seg = prov.get("segmenter") or {}
        items = len(prov.get("items") or ())
        lines.append(f"Source: {_source_text(prov.get('source'))}"
                     + (f"; {items} STAC item{'s' if items != 1 else ''}" if items else ""))
        if seg:
            lines.append(f"Segmenter: {seg.get('name')} {seg.get('version', '')}".rstrip())
        dates = {k: v for k, v in (_plain_provenance(prov).get("dates") or {}).items() if v}
        if dates:
            lines.append("Dates: " + ", ".join(v if k == "date" else f"{k} {v}"
                                               for k, v in dates.items()))
        if prov.get("change_extent"):
            lines.append(f"Extent: {prov['change_extent']['text']}")
        if prov.get("change_check"):
            lines.append(f"Change check: {prov['change_check']['text']}")
        if prov.get("decided_by"):
            decided = prov["decided_by"]
            lines.append(f"Answered from: {decided['source']} ({decided['why']})")
        for kind, path in self.outputs.items():
            lines.append(f"Wrote {kind}: {path}")
        lines.append(f"Elapsed: {self.elapsed_s:.1f} s")
        return "\n".join(lines)


def _plain_provenance(provenance: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance as written: a one-date question's date under ``"date"`` (its key is
    ``None`` inside, which JSON would write as ``"None"``)."""
    out = dict(provenance)
    dates = out.get("dates")
    if isinstance(dates, Mapping):
        out["dates"] = {("date" if k in (None, "None") else str(k)): v for k, v in dates.items()}
    return out


def _source_text(source: Any) -> str:
    if isinstance(source, list):
        return ", ".join(source)
    return str(source)


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return None                  # NaN and infinities are not JSON: null (undefined)
    return value


def _number(value: Any, unit: str) -> str:
    if unit == "objects" or isinstance(value, int):
        return f"{int(value):,}"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "undefined"
    magnitude = abs(value)
    digits = 0 if magnitude >= 1000 else 1 if magnitude >= 100 else 2 if magnitude >= 1 else 4
    return f"{value:,.{digits}f}"


def _unit(value: Any, unit: str) -> str:
    if unit == "objects" and value == 1:
        return "object"
    return UNIT_TEXT.get(unit, unit)


def format_value(value: Any, unit: str) -> str:
    """``12.35 ha``, ``3 objects``, ``1 object``, ``yes``."""
    if unit == "yes/no" or isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return f"{_number(value, unit)} {_unit(value, unit)}".strip()


def covers_text(extent: Mapping[str, Any]) -> str:
    """Where a change answer was measured (:mod:`~geoquant.reason.answers._extent`):
    ``"over the 6,115 ha mapped on both dates"``."""
    return f"over the {area_text(extent['common_area_m2'])} mapped on both dates"


def area_text(m2: float) -> str:
    """An area in m² in words: ``"6,115.0 ha"``, ``"767.4 km²"``, ``"900 m²"``."""
    if m2 >= 1e8:
        return f"{m2 / 1e6:,.1f} km²"
    return f"{m2 / 1e4:,.1f} ha" if m2 >= 1e4 else f"{m2:,.0f} m²"


def answer_text(value: Any, unit: str, bounds: Sequence[Any]) -> str:
    """The answer with its range: ``"20 objects (15 to 25)"``, ``"6.70 km² (5.95 to 7.67)"``."""
    main = format_value(value, unit)
    low, high = bounds
    if unit in CATEGORICAL_UNITS:
        return main if low == high else f"{main} (uncertain: the range runs disagree)"
    if low == high == value:
        return main
    return f"{main} ({_number(low, unit)} to {_number(high, unit)})"


def answer_range(runs: Sequence[StepResult]) -> tuple[Any, Any]:
    """Low and high over the runs, each value widened by its pixel-size error."""
    if runs[0].unit == "yes/no":
        values = [bool(r.value) for r in runs]
        return min(values), max(values)
    if runs[0].unit in CATEGORICAL_UNITS:
        values = sorted({str(r.value) for r in runs})
        return values[0], values[-1]
    lows = [r.value - r.error for r in runs if _finite(r.value)]
    highs = [r.value + r.error for r in runs if _finite(r.value)]
    if not lows:
        return float("nan"), float("nan")
    low, high = min(lows), max(highs)
    if runs[0].unit == "objects":
        return int(low), int(high)
    return float(low), float(high)


def _finite(value: Any) -> bool:
    return value is not None and math.isfinite(float(value))


def step_words(step: Step) -> str:
    """One step of a plan in words (its op's entry says how)."""
    return OPS[step.op].words(step.args)


def evidence_names(step: Step, results: Mapping[str, StepResult]) -> tuple[str, ...]:
    """The evidence layers behind a step: its own mask, or the masks (and distances) it reads."""
    if step.kind == "mask":
        names = [step.id]
    else:
        names = [r for r in step.refs() if results[r].mask is not None]
    spec = OPS[step.op]
    names += [f"{step.args[arg]}_labels" for arg in spec.labels]
    names += [f"{step.args[arg]}_distance_m" for arg in spec.distances]
    return tuple(names)


def answer_masks(plan: Plan, *, limit: int = 3) -> list[str]:
    """The mask steps the answer rests on, nearest first (the answer's own subject, then the
    masks it was made from): what the quick-look shows."""
    found: list[str] = []
    queue = [plan.answer]
    seen = set()
    while queue and len(found) < limit:
        sid = queue.pop(0)
        if sid in seen:
            continue
        seen.add(sid)
        if plan.step(sid).kind == "mask":
            found.append(sid)
        queue.extend(plan.step(sid).refs())
    return found
