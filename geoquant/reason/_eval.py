"""Evaluation: SQuID-format question files scored by type and tier, with evidence IoU.

A record is one JSON object per line with SQuID's fields ``question``, ``answer``,
``acceptable_range_lower``, ``acceptable_range_upper``, ``type`` and ``tier``, and where to
answer it: ``image`` (a STAC collection id with reference labels, or imagery), ``product``
(its code table, ``"codes"``, or null), ``imagery`` (a collection for geoquant's own segmenters,
or null), ``datetime`` and ``bbox`` (optional).

Scoring follows SQuID: an answer is right when it lies inside the acceptable range; yes/no
answers, and counts given without a range, must be exact.

Two ways to answer (``use=``): ``"labels"`` reads ``image`` with its ``product`` (with reference
labels, every answer should be right); ``"imagery"`` segments ``imagery`` with the default
segmenters, and also scores the evidence: the IoU of every mask step of the plan against the
same step run on the reference labels (TerraScope-Bench's mask score).
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoquant.errors import GeoquantError, InvalidOptionError

REQUIRED = ("question", "answer", "acceptable_range_lower", "acceptable_range_upper", "type",
            "tier")
USES = ("labels", "imagery")


@dataclass(frozen=True)
class Record:
    """One question of a SQuID-format file."""

    question: str
    answer: Any
    lower: float | None
    upper: float | None
    type: str
    tier: Any
    image: str | None = None
    product: str | None = None
    imagery: str | None = None
    datetime: str | None = None
    bbox: tuple[float, ...] | None = None
    id: str = ""


@dataclass(frozen=True)
class Outcome:
    """How one record was answered."""

    record: Record
    value: Any = None
    correct: bool = False
    error: str | None = None
    iou: Mapping[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.record.id, "question": self.record.question,
                "type": self.record.type, "tier": self.record.tier,
                "expected": self.record.answer,
                "range": [self.record.lower, self.record.upper], "value": self.value,
                "correct": self.correct, "error": self.error, "iou": dict(self.iou),
                "elapsed_s": self.elapsed_s}


@dataclass(frozen=True)
class EvalReport:
    """Scores of a question file: overall, by type and by tier, and evidence IoU by type."""

    outcomes: tuple[Outcome, ...]
    use: str
    skipped: tuple[Record, ...] = ()

    @property
    def accuracy(self) -> float:
        return _share(self.outcomes)

    def by(self, key: str) -> dict[str, tuple[float, int]]:
        """Accuracy (%) and number of questions per ``type`` or ``tier``."""
        groups: dict[str, list[Outcome]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[str(getattr(outcome.record, key))].append(outcome)
        return {k: (_share(v), len(v)) for k, v in sorted(groups.items())}

    def iou_by_type(self) -> dict[str, float]:
        """Mean IoU of the evidence masks against the reference, per question type."""
        groups: dict[str, list[float]] = defaultdict(list)
        for outcome in self.outcomes:
            groups[outcome.record.type].extend(outcome.iou.values())
        return {k: sum(v) / len(v) for k, v in sorted(groups.items()) if v}

    def unknown_class_by_type(self) -> dict[str, int]:
        """Questions per type the segmenter could not answer: it has no such class."""
        counts: dict[str, int] = defaultdict(int)
        for outcome in self.outcomes:
            if outcome.error and outcome.error.startswith("ClassNameError"):
                counts[outcome.record.type] += 1
        return dict(counts)

    def table(self) -> str:
        """The scores as Markdown tables."""
        iou = self.iou_by_type()
        lines = [f"Answered from: {self.use}; {len(self.outcomes)} questions, accuracy "
                 f"{self.accuracy:.1f}%"
                 + (f" ({len(self.skipped)} skipped: no {self.use} source)"
                    if self.skipped else ""), "",
                 "| type | questions | accuracy | class not segmented | evidence IoU |",
                 "|---|---:|---:|---:|---:|"]
        unknown = self.unknown_class_by_type()
        for name, (acc, n) in self.by("type").items():
            lines.append(f"| {name} | {n} | {acc:.1f}% | {unknown.get(name, 0)} | "
                         + (f"{iou[name]:.3f} |" if name in iou else "- |"))
        lines += ["", "| tier | questions | accuracy |", "|---|---:|---:|"]
        lines += [f"| {name} | {n} | {acc:.1f}% |" for name, (acc, n) in self.by("tier").items()]
        wrong = [o for o in self.outcomes if not o.correct]
        if wrong:
            lines += ["", "Wrong or failed:"]
            lines += [f"- {o.record.id or o.record.question}: expected {o.record.answer} "
                      f"[{o.record.lower}, {o.record.upper}], got "
                      + (o.error if o.error else f"{o.value}") for o in wrong]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {"use": self.use, "accuracy": self.accuracy,
                "by_type": {k: {"accuracy": a, "questions": n}
                            for k, (a, n) in self.by("type").items()},
                "by_tier": {k: {"accuracy": a, "questions": n}
                            for k, (a, n) in self.by("tier").items()},
                "iou_by_type": self.iou_by_type(),
                "class_not_segmented_by_type": self.unknown_class_by_type(),
                "skipped": [r.id or r.question for r in self.skipped],
                "outcomes": [o.to_dict() for o in self.outcomes]}


def _share(outcomes: Sequence[Outcome]) -> float:
    return 100.0 * sum(o.correct for o in outcomes) / len(outcomes) if outcomes else float("nan")


def read_questions(path: str | Path) -> list[Record]:
    """Records of a SQuID-format JSON-lines file.

    Raises
    ------
    InvalidOptionError
        Naming the line that is not JSON or lacks a field.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidOptionError(f"{path} is not a file of questions (JSON lines)")
    records = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as err:
            raise InvalidOptionError(f"{path}:{number} is not JSON: {err}") from None
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            raise InvalidOptionError(f"{path}:{number} lacks {', '.join(missing)} (SQuID "
                                     f"records need {', '.join(REQUIRED)})")
        bbox = raw.get("bbox")
        records.append(Record(
            raw["question"], raw["answer"], raw["acceptable_range_lower"],
            raw["acceptable_range_upper"], str(raw["type"]), raw["tier"],
            raw.get("image") or raw.get("region"), raw.get("product"), raw.get("imagery"),
            raw.get("datetime"), tuple(bbox) if bbox else None,
            str(raw.get("id", number))))
    return records


def is_correct(value: Any, record: Record) -> bool:
    """SQuID's rule: inside the acceptable range; exact for yes/no and for counts without
    a range."""
    expected = record.answer
    if isinstance(expected, bool) or (isinstance(expected, str)
                                      and expected.lower() in ("yes", "no", "true", "false")):
        want = expected if isinstance(expected, bool) else expected.lower() in ("yes", "true")
        return isinstance(value, bool) and value == want
    if value is None or isinstance(value, bool):
        return False
    value = float(value)
    if math.isnan(value):
        return False
    if record.lower is None or record.upper is None:
        return math.isclose(value, float(expected), rel_tol=1e-9, abs_tol=1e-9)
    return float(record.lower) <= value <= float(record.upper)


@contextmanager
def _demo_catalog() -> Iterator[str]:
    """The embedded demo rasters as a STAC API on loopback."""
    import shutil
    import tempfile

    from geoquant import sources
    from geoquant.demo import DEMO_DATA

    work = Path(tempfile.mkdtemp(prefix="geoquant-eval-"))
    try:
        sources.build_catalog(DEMO_DATA, work / "catalog")
        with sources.CatalogServer(work / "catalog") as server:
            yield server.url
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _iou(a: Any, b: Any) -> float | None:
    """IoU of the object pixels of two uint8 masks on the same grid (None if the grids differ
    or both are empty)."""
    import numpy as np

    if a.shape != b.shape:
        return None
    x, y = np.asarray(a.values) == 1, np.asarray(b.values) == 1
    union = int((x | y).sum())
    return float((x & y).sum()) / union if union else None


def evaluate(path: str | Path, *, catalog: str | None = None, use: str = "labels",
             planner: Any = "rules", say: Callable[[str], None] | None = None) -> EvalReport:
    """Answer every question of a SQuID-format file and score the answers.

    Parameters
    ----------
    path : str or Path
        JSON-lines questions (see the module docstring).
    catalog : str, optional
        STAC API URL holding the records' collections; default: the embedded demo rasters
        served on loopback for the run.
    use : {"labels", "imagery"}
        Answer from the reference labels (``image`` + ``product``) or from geoquant's own
        segmenters on ``imagery`` (records without imagery are skipped and listed).
    planner : str or callable
        As for :func:`geoquant.reason.ask`.
    say : callable, optional
        Progress lines, one per question.

    Returns
    -------
    EvalReport
    """
    if use not in USES:
        raise InvalidOptionError(f"use must be one of {USES}, not {use!r}")
    records = read_questions(path)
    if catalog is None:
        with _demo_catalog() as url:
            return _evaluate(records, url, use, planner, say)
    return _evaluate(records, catalog.rstrip("/"), use, planner, say)


def _evaluate(records: Sequence[Record], url: str, use: str, planner: Any,
              say: Callable[[str], None] | None) -> EvalReport:
    from geoquant.reason._ask import answer_plan, make_plan, plan_dates
    from geoquant.reason._source import open_source

    cache: dict[tuple, Any] = {}

    def layers(collection: str, product: str | None, record: Record, dates: tuple) -> Any:
        key = (collection, product, record.datetime, record.bbox, dates)
        if key not in cache:
            cache[key] = open_source(f"{url}/collections/{collection}", bbox=record.bbox,
                                     datetime=record.datetime, dates=dates, product=product)
        return cache[key]

    outcomes, skipped = [], []
    for n, record in enumerate(records, 1):
        collection = record.image if use == "labels" else record.imagery
        if not collection:
            skipped.append(record)
            continue
        started = time.perf_counter()
        try:
            plan = make_plan(record.question, planner)
            dates = plan_dates(plan)
            answer = answer_plan(plan, layers(collection, record.product if use == "labels"
                                              else None, record, dates))
            iou = {}
            if use == "imagery" and record.image and record.image != record.imagery:
                reference = answer_plan(plan, layers(record.image, record.product, record,
                                                     dates), thresholds=None)
                for step in plan.steps:
                    if step.kind == "mask":
                        score = _iou(answer.evidence[step.id], reference.evidence[step.id])
                        if score is not None:
                            iou[step.id] = score
            outcome = Outcome(record, answer.value, is_correct(answer.value, record), None,
                              iou, time.perf_counter() - started)
        except GeoquantError as err:
            outcome = Outcome(record, None, False, f"{type(err).__name__}: {err}",
                              elapsed_s=time.perf_counter() - started)
        outcomes.append(outcome)
        if say is not None:
            mark = "ok " if outcome.correct else "XX "
            say(f"[{n}/{len(records)}] {mark}{record.question} -> "
                f"{outcome.error or outcome.value}")
    return EvalReport(tuple(outcomes), use, tuple(skipped))
