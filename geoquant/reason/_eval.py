"""Evaluation: SQuID-format question files scored by type and tier, with evidence IoU.

A record has SQuID's fields ``question``, ``answer``, ``acceptable_range_lower``,
``acceptable_range_upper``, ``type`` and ``tier`` (and ``gsd``, metres per pixel), and where to
answer it: ``image`` (a STAC collection id with reference labels, or an image file: a class
mask or imagery), ``mask`` (a reference mask file beside an imagery ``image``, optional),
``product`` (the code table or legend of the labels: ``deepglobe``, ``earthvqa``, ``codes``...,
or null), ``imagery`` (a collection for geoquant's own segmenters, or null), ``datetime`` and
``bbox`` (optional). Files are read as SQuID publishes them: JSON lines, a JSON list, or
parquet (its ``image`` column a path or an embedded image, ``{"bytes": ..., "path": ...}``).
Image files are found beside the questions file, or in ``images=``. Plain pictures without
georeferencing are read as a local metric grid at the record's GSD (or the question's
"(GSD: 0.5m)").

Scoring follows SQuID: an answer is right when it lies inside the acceptable range; yes/no
answers (stored as yes/no, true/false or 1/0), connected/fragmented answers, and counts given
without a range, must be exact.

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
    product: Any = None
    imagery: str | None = None
    datetime: str | None = None
    bbox: tuple[float, ...] | None = None
    id: str = ""
    gsd: float | None = None
    mask: str | None = None


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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _share(outcomes: Sequence[Outcome]) -> float:
    return 100.0 * sum(o.correct for o in outcomes) / len(outcomes) if outcomes else float("nan")


def read_questions(path: str | Path, *, images: str | Path | None = None) -> list[Record]:
    """Records of a SQuID-format file: JSON lines, a JSON list, or parquet.

    Embedded images of a parquet file are written to ``images`` (default: a folder
    ``<file>.images`` beside it) and their records point to them.

    Raises
    ------
    InvalidOptionError
        Naming the record that is not JSON or lacks a field, or a file that cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidOptionError(f"{path} is not a file of questions (JSON lines, a JSON list "
                                 "or parquet)")
    if path.suffix == ".parquet":
        rows = _parquet_rows(path, Path(images) if images else path.with_suffix(".images"))
    else:
        text = path.read_text(encoding="utf-8")
        if text.lstrip().startswith("["):
            try:
                rows = [(n, raw) for n, raw in enumerate(json.loads(text), 1)]
            except json.JSONDecodeError as err:
                raise InvalidOptionError(f"{path} is not a JSON list: {err}") from None
        else:
            rows = []
            for number, line in enumerate(text.splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    rows.append((number, json.loads(line)))
                except json.JSONDecodeError as err:
                    raise InvalidOptionError(f"{path}:{number} is not JSON: {err}") from None
    return [_record(path, number, raw) for number, raw in rows]


def _record(path: Path, number: int, raw: Any) -> Record:
    if not isinstance(raw, dict):
        raise InvalidOptionError(f"{path}:{number} is not a JSON object")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise InvalidOptionError(f"{path}:{number} lacks {', '.join(missing)} (SQuID "
                                 f"records need {', '.join(REQUIRED)})")
    bbox = raw.get("bbox")
    gsd = raw.get("gsd")
    if gsd is not None and not isinstance(gsd, (int, float)):
        try:
            gsd = float(str(gsd).lower().removesuffix("m").strip())
        except ValueError:
            raise InvalidOptionError(f"{path}:{number} has gsd {gsd!r}: give metres per "
                                     "pixel, e.g. 0.5") from None
    return Record(
        raw["question"], raw["answer"], _bound(raw["acceptable_range_lower"]),
        _bound(raw["acceptable_range_upper"]), str(raw["type"]), raw["tier"],
        raw.get("image") or raw.get("region"), raw.get("product"), raw.get("imagery"),
        raw.get("datetime"), tuple(bbox) if bbox else None,
        str(raw.get("id", number)), float(gsd) if gsd is not None else None, raw.get("mask"))


def _bound(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _parquet_rows(path: Path, images: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InvalidOptionError(f"reading {path} needs pyarrow: pip install "
                                 "'geoquant[eval]'") from None
    try:
        table = pq.read_table(path).to_pylist()
    except Exception as err:  # noqa: BLE001 - any unreadable parquet: one line
        raise InvalidOptionError(f"cannot read {path} as parquet: {err}") from None
    rows = []
    for number, raw in enumerate(table, 1):
        for key in ("image", "mask"):
            value = raw.get(key)
            if isinstance(value, dict):       # a Hugging Face Image: {"bytes", "path"}
                raw[key] = _embedded_image(value, images, f"{number}-{key}")
        rows.append((number, raw))
    return rows


def _embedded_image(value: dict[str, Any], folder: Path, stem: str) -> str | None:
    data, name = value.get("bytes"), value.get("path")
    if not data:
        return name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (Path(name).name if name else f"{stem}.png")
    if not target.exists() or target.read_bytes() != data:
        partial = target.with_name(f".{target.name}.partial")
        partial.write_bytes(data)
        partial.replace(target)
    return str(target)


def is_correct(value: Any, record: Record) -> bool:
    """SQuID's rule: inside the acceptable range; exact for yes/no and for counts without
    a range."""
    expected = record.answer
    if isinstance(expected, bool) or (isinstance(expected, str)
                                      and expected.lower() in ("yes", "no", "true", "false")):
        want = expected if isinstance(expected, bool) else expected.lower() in ("yes", "true")
        return isinstance(value, bool) and value == want
    if isinstance(value, bool) and str(expected).strip() in ("0", "1", "0.0", "1.0") \
            and record.lower is None:
        return value == (float(expected) == 1.0)  # SQuID stores yes/no as 1/0
    if isinstance(expected, str) and not _is_number(expected):   # "connected", "fragmented"
        return isinstance(value, str) and value.strip().lower() == expected.strip().lower()
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
             say: Callable[[str], None] | None = None, segmenter: Any = None) -> EvalReport:
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
        With ``use="imagery"``: segment the imagery with this (an object, or a file for
        :func:`geoquant.segment.open_segmenter`) instead of the default rules.

    Returns
    -------
    EvalReport
    """
    if use not in USES:
        raise InvalidOptionError(f"use must be one of {USES}, not {use!r}")
    if segmenter is not None and use != "imagery":
        raise InvalidOptionError("segmenter= segments imagery: use it with use='imagery'")
    if isinstance(segmenter, (str, Path)):
        from geoquant.segment import open_segmenter

        segmenter = open_segmenter(segmenter)
    records = read_questions(path, images=images)
    folder = Path(images) if images else Path(path).parent
    if catalog is None and not all(_is_file(r, folder) for r in records):
        with _demo_catalog() as url:
            return _evaluate(records, url, use, planner, say, folder, segmenter)
    return _evaluate(records, (catalog or "").rstrip("/"), use, planner, say, folder,
                     segmenter)


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
    from geoquant.reason._phrases import question_gsd
    from geoquant.reason._source import open_source, source_vocabulary

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
        labels = record.mask or record.image
        collection = labels if use == "labels" else record.imagery
        if not collection:
            skipped.append(record)
            continue
        started = time.perf_counter()
        try:
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
            outcome = Outcome(record, None, False, f"{type(err).__name__}: {err}",
                              elapsed_s=time.perf_counter() - started)
        outcomes.append(outcome)
        if say is not None:
            mark = "ok " if outcome.correct else "XX "
            say(f"[{n}/{len(records)}] {mark}{record.question} -> "
                f"{outcome.error or outcome.value}")
    return EvalReport(tuple(outcomes), use, tuple(skipped))
