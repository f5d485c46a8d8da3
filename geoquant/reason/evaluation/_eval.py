"""Evaluation: SQuID-format question files scored by type and tier, with evidence IoU.

A record has SQuID's fields ``question``, ``answer``, ``acceptable_range_lower``,
``acceptable_range_upper``, ``type`` and ``tier`` (and ``gsd``, metres per pixel), and where to
answer it: ``image`` (a STAC collection id with reference labels, or an image file: a class
mask or imagery), ``mask`` (a reference mask file beside an imagery ``image``, optional),
``product`` (the code table or legend of the labels: ``deepglobe``, ``earthvqa``, ``codes``...,
or null), ``imagery`` (a collection for geoquant's own segmenters, or null), ``datetime`` and
``bbox`` (optional). Files are read as SQuID publishes them: JSON lines, a JSON list, or
parquet (its ``image`` column a path or an embedded image, ``{"bytes": ..., "path": ...}``).
Image files are found beside the questions file, or in ``images=`` (a folder that must exist,
and is only read); images embedded in parquet are extracted into a private temporary folder,
one file per record, removed after the run. Plain pictures without georeferencing are read as
a local metric grid at the record's GSD (or the question's "(GSD: 0.5m)").

A record that cannot be used (not JSON or not UTF-8, a field of the wrong kind, bounds that
are no range, a question that fails) is scored as an error in its own row, and the run goes
on; a file without any record is refused (:mod:`geoquant.reason.evaluation._eval_records`).

Scoring follows SQuID: an answer is right when it lies inside the acceptable range; yes/no
answers (stored as yes/no, true/false or 1/0), connected/fragmented answers, and counts given
without a range, must be exact. A record whose answer is ``"refuse"`` expects the planner to
decline the question (a :class:`~geoquant.errors.QuestionError`, an unknown class or an
invalid plan); any answer to it is wrong.

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
from geoquant.reason.evaluation._eval_records import (  # noqa: F401  (re-exported)
    REQUIRED,
    Record,
    printable,
    private_folder,
    read_questions,
)

USES = ("labels", "imagery")


@dataclass(frozen=True)
class Outcome:
    """How one record was answered."""

    record: Record
    value: Any = None
    correct: bool = False
    error: str | None = None
    iou: Mapping[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0
    planner: Mapping[str, Any] = field(default_factory=dict)
    """Who planned the question (``{"name": "rules"}``, or the LLM's model): see
    :func:`geoquant.reason._ask.planned`."""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.record.id, "question": self.record.question,
                "type": self.record.type, "tier": self.record.tier,
                "expected": self.record.answer,
                "range": [self.record.lower, self.record.upper], "value": self.value,
                "correct": self.correct, "error": self.error, "iou": dict(self.iou),
                "elapsed_s": self.elapsed_s, "planner": dict(self.planner)}


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
            lines += [printable(f"- {o.record.id or o.record.question}: expected "
                                f"{o.record.answer} [{o.record.lower}, {o.record.upper}], got "
                                + (o.error if o.error else f"{o.value}"), 700)
                      for o in wrong]
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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


REFUSAL_ANSWERS = ("refuse", "refused", "refusal")


def _share(outcomes: Sequence[Outcome]) -> float:
    return 100.0 * sum(o.correct for o in outcomes) / len(outcomes) if outcomes else float("nan")


def expects_refusal(record: Record) -> bool:
    """Whether the record's answer is ``"refuse"``: a question no engine should answer."""
    return isinstance(record.answer, str) and record.answer.strip().lower() in REFUSAL_ANSWERS


def is_refusal(error: BaseException) -> bool:
    """Whether an error is the planner declining a question it cannot read or a class it
    does not know, or the source lacking the dates a change question needs (and not a failure
    to compute)."""
    from geoquant.errors import ClassNameError, DateRangeError, PlanError, QuestionError
    return isinstance(error, (QuestionError, ClassNameError, PlanError, DateRangeError))


def is_correct(value: Any, record: Record) -> bool:
    """SQuID's rule: inside the acceptable range; exact for yes/no and for counts without
    a range. A record whose answer is ``"refuse"`` is right only when no answer came."""
    expected = record.answer
    if expects_refusal(record):
        return False
    if isinstance(expected, bool) or (isinstance(expected, str)
                                      and expected.lower() in ("yes", "no", "true", "false")):
        want = expected if isinstance(expected, bool) else expected.lower() in ("yes", "true")
        return isinstance(value, bool) and value == want
    if isinstance(value, bool) and str(expected).strip() in ("0", "1", "0.0", "1.0") \
            and record.lower is None:
        return value == (float(expected) == 1.0)  # SQuID stores yes/no as 1/0
    if isinstance(expected, str) and not _is_number(expected):   # "connected", "fragmented"
        return isinstance(value, str) and value.strip().lower() == expected.strip().lower()
    if value is None or isinstance(value, (bool, str)):
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
    from geoquant.data import DEMO_DATA

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
             planner: Any = "auto", images: str | Path | None = None,
             say: Callable[[str], None] | None = None, segmenter: Any = None,
             product: Any = None) -> EvalReport:
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
    images : str or Path, optional
        Folder of the records' image files; default: beside ``path``.
    say : callable, optional
        Progress lines, one per question.
    segmenter : Segmenter or str or Path, optional
        With ``use="imagery"``: segment the imagery with this (an object, a name of
        :data:`geoquant.segment.SEGMENTER_NAMES` such as ``"sar-water"``, or a file for
        :func:`geoquant.segment.open_segmenter`) instead of the default rules.
    product : str or mapping, optional
        The code table of the records that name none (a built-in product, ``"codes"``, or a
        legend ``{code: class word}`` or its JSON text); a record's own ``product`` wins.

    Returns
    -------
    EvalReport
        One row per record: a record that cannot be read, or whose question fails, is a row
        with its error (scored wrong), and the others are answered.

    Raises
    ------
    InvalidOptionError
        The file is missing, unreadable as a whole, or holds no record; ``images`` names a
        folder that does not exist; ``use`` or ``segmenter`` is not accepted.
    """
    if use not in USES:
        raise InvalidOptionError(f"use must be one of {USES}, not {use!r}")
    if segmenter is not None and use != "imagery":
        raise InvalidOptionError("segmenter= segments imagery: use it with use='imagery'")
    from geoquant.segment import SEGMENTER_NAMES, open_segmenter

    if isinstance(segmenter, (str, Path)) and segmenter not in SEGMENTER_NAMES:
        segmenter = open_segmenter(segmenter)   # a name is chosen per source, as ask does
    import shutil

    extracted = private_folder()
    try:
        records = read_questions(path, images=images, strict=False, extract_to=extracted)
        if product is not None:
            from dataclasses import replace

            records = [replace(r, product=product) if r.product is None and not r.problem
                       else r for r in records]
        if not records:
            raise InvalidOptionError(f"{path} holds no questions: give a file with at least "
                                     "one SQuID record (JSON lines, a JSON list or parquet)")
        folder = Path(images) if images else Path(path).parent
        usable = [r for r in records if not r.problem]
        if catalog is None and not all(_is_file(r, folder) for r in usable):
            with _demo_catalog() as url:
                return _evaluate(records, url, use, planner, say, folder, segmenter)
        return _evaluate(records, (catalog or "").rstrip("/"), use, planner, say, folder,
                         segmenter)
    finally:
        shutil.rmtree(extracted, ignore_errors=True)


def _check_gsd(record: Record) -> None:
    """A record's ``gsd`` and the GSD its question states must agree."""
    from geoquant.reason.reading._phrases import question_gsd

    stated = question_gsd(record.question)
    if record.gsd is not None and stated is not None \
            and abs(stated - record.gsd) > 1e-9 * record.gsd:
        raise InvalidOptionError(f"record {printable(record.id, 80)} gives gsd {record.gsd:g} m "
                                 f"but its question states (GSD: {stated:g}m): keep one")


def _is_file(record: Record, folder: Path) -> bool:
    """Whether a record's data are image files (not STAC collections)."""
    names = [n for n in (record.image, record.mask, record.imagery) if n]
    return bool(names) and all(_file(n, folder) is not None for n in names)


def _file(name: str, folder: Path) -> Path | None:
    for candidate in (Path(name), folder / name):
        if candidate.is_file():
            return candidate
    return None


def _evaluate(records: Sequence[Record], url: str, use: str, planner: Any,
              say: Callable[[str], None] | None, folder: Path,
              segmenter: Any = None) -> EvalReport:
    from geoquant.reason._ask import answer_plan, plan_dates, planned
    from geoquant.reason.layers._source import open_source, source_vocabulary
    from geoquant.reason.reading._phrases import question_gsd

    cache: dict[tuple, Any] = {}

    def layers(name: str, product: str | None, record: Record, dates: tuple,
               own: Any = None) -> Any:
        gsd = record.gsd if record.gsd is not None else question_gsd(record.question)
        key = (name, json.dumps(product, sort_keys=True), record.datetime, record.bbox, dates,
               gsd, own is not None)
        if key not in cache:
            found = _file(name, folder)
            source = str(found) if found is not None else f"{url}/collections/{name}"
            cache[key] = open_source(source, bbox=record.bbox, datetime=record.datetime,
                                     dates=dates, product=product, segmenter=own,
                                     gsd_m=gsd if found is not None else None)
        return cache[key]

    outcomes, skipped = [], []
    for n, record in enumerate(records, 1):
        if record.problem:
            outcome = Outcome(record, None, False, f"InvalidOptionError: {record.problem}")
            outcomes.append(outcome)
            if say is not None:
                say(printable(f"[{n}/{len(records)}] XX record {record.id}: {outcome.error}",
                              700))
            continue
        labels = record.mask or record.image
        collection = labels if use == "labels" else record.imagery
        if not collection:
            skipped.append(record)
            continue
        started = time.perf_counter()
        try:
            _check_gsd(record)
            vocabulary = source_vocabulary(None, record.product)
            plan, planned_by = planned(record.question, planner, vocabulary=vocabulary)
            dates = plan_dates(plan)
            answer = answer_plan(plan, layers(collection, record.product if use == "labels"
                                              else None, record, dates,
                                              segmenter if use == "imagery" else None))
            iou = {}
            if use == "imagery" and labels and labels != record.imagery:
                reference = answer_plan(plan, layers(labels, record.product, record, dates),
                                        thresholds=None)
                for step in plan.steps:
                    if step.kind == "mask":
                        score = _iou(answer.evidence[step.id], reference.evidence[step.id])
                        if score is not None:
                            iou[step.id] = score
            outcome = Outcome(record, answer.value, is_correct(answer.value, record), None,
                              iou, time.perf_counter() - started, planned_by)
        except GeoquantError as err:
            outcome = Outcome(record, None, expects_refusal(record) and is_refusal(err),
                              printable(f"{type(err).__name__}: {err}", 1000),
                              elapsed_s=time.perf_counter() - started)
        outcomes.append(outcome)
        if say is not None:
            mark = "ok " if outcome.correct else "XX "
            say(printable(f"[{n}/{len(records)}] {mark}{record.question} -> "
                          f"{outcome.error or outcome.value}", 700))
    return EvalReport(tuple(outcomes), use, tuple(skipped))
