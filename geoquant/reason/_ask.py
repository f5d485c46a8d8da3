"""``ask``: a question about a region becomes a plan, runs over the source, and comes back as an
:class:`~geoquant.reason.Answer` with its range, trace, evidence and provenance."""

from __future__ import annotations

import datetime as dt
import io
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from geoquant.errors import (
    ClassNameError,
    InvalidOptionError,
    PlanError,
    QuestionError,
    RegionError,
)
from geoquant.reason.answers._answer import (
    Answer,
    TraceStep,
    answer_masks,
    answer_range,
    answer_text,
    evidence_names,
    step_words,
)
from geoquant.reason.layers._source import (
    Layers,
    open_source,
    quiet_cf_warnings,
    source_vocabulary,
    stac_vocabulary,
)
from geoquant.reason.plans._execute import StepResult, run_plan
from geoquant.reason.plans._plan import Plan, validate
from geoquant.segment import Vocabulary, has_data

#: Probability thresholds of the range runs (lower: more permissive masks; higher: stricter).
RANGE_THRESHOLDS = (0.3, 0.7)
Planner = Callable[[str], Plan]


def make_plan(question: str | Plan | Mapping[str, Any], planner: str | Planner = "rules",
              *, vocabulary: Vocabulary | None = None) -> Plan:
    """The plan of a question: by the deterministic planner (``"rules"``, the default), an
    OpenAI-compatible endpoint (``"llm"``, configured by environment or config file), the rules
    first and the endpoint where they refuse (``"auto"``, see :func:`planned`), or any
    callable; a plan given as a :class:`Plan`, dict or JSON text is validated as it is.
    ``vocabulary`` adds a source's legend to the class words the plan may use."""
    return planned(question, planner, vocabulary=vocabulary)[0]


def planned(question: str | Plan | Mapping[str, Any], planner: str | Planner = "rules",
            *, vocabulary: Vocabulary | None = None) -> tuple[Plan, dict[str, Any]]:
    """The plan of a question (as :func:`make_plan`) and who made it, for the answer's
    provenance: ``{"name": "rules"}``, ``{"name": "llm", "model": ..., "endpoint": ...}``,
    ``{"name": "given"}`` for a plan given whole, or the callable's name.

    With ``planner="auto"`` the rules planner reads the question first; where it refuses
    (:class:`QuestionError`, :class:`ClassNameError` or :class:`PlanError`) and an endpoint is
    configured (:func:`geoquant.reason.llm._llm.configured`), the endpoint's plan is used after the
    same validation, and the provenance says why (``"chosen_by"``). Without an endpoint
    ``"auto"`` is the rules planner. A refusal or an invalid plan from the endpoint is an
    error naming both planners' reasons; no plan comes back from it.
    """
    if isinstance(question, Plan):
        return question, {"name": "given"}
    if isinstance(question, Mapping) or (isinstance(question, str)
                                         and question.lstrip().startswith("{")):
        return validate(question, vocabulary=vocabulary), {"name": "given"}
    if callable(planner):
        name = getattr(planner, "__name__", type(planner).__name__)
        return validate(planner(question).to_dict(), vocabulary=vocabulary), {"name": name}
    if planner not in ("rules", "llm", "auto"):
        raise InvalidOptionError(f"planner must be 'rules', 'llm', 'auto' or a callable, not "
                                 f"{planner!r}")
    from geoquant.reason.llm._llm import LLMConfig, configured, llm_plan, planner_provenance

    if planner == "llm":
        config = LLMConfig.load()
        return (llm_plan(question, config=config, vocabulary=vocabulary),
                planner_provenance(config))
    from geoquant.reason.reading._planner import plan_question

    if planner == "rules":
        return plan_question(question, vocabulary=vocabulary), {"name": "rules"}
    try:
        return plan_question(question, vocabulary=vocabulary), {"name": "rules"}
    except (QuestionError, ClassNameError, PlanError) as refused:
        config = configured()
        if config is None:
            raise
        reason = _short(str(refused))
        try:
            plan = llm_plan(question, config=config, vocabulary=vocabulary)
        except (QuestionError, PlanError, ClassNameError) as err:
            kind = ClassNameError if isinstance(refused, ClassNameError) else type(err)
            raise kind(f"neither planner could plan the question: the rules planner refused "
                       f"it ({reason}), and then {err}") from None
        return plan, {**planner_provenance(config),
                      "chosen_by": f"auto: the rules planner refused the question ({reason})"}


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def plan_dates(plan: Plan) -> tuple[str | None, ...]:
    """The dates a plan's masks are read at: ``(None,)`` or ``("before", "after")``."""
    dates = {s.args.get("date") for s in plan.steps if s.op == "mask"}
    if dates & {"before", "after"}:
        return ("before", "after")
    return (None,)


def _datetime_from_years(question: str) -> str | None:
    from geoquant.reason.reading._planner import question_years

    years = question_years(question)
    if not years:
        return None
    first, last = sorted(years)
    start = first if len(first) > 4 else f"{first}-01-01"
    end = last if len(last) > 4 else f"{last}-12-31"
    return f"{start}/{end}"


def _check_valid(layers: Layers) -> None:
    """A region with no valid pixel at some date cannot be answered."""
    import dask

    checks = [(k, has_data(seg)) for k, seg in layers.segmentations.items()]
    checks += [(k, codes.notnull()) for k, codes in layers.codes.items()]
    found = dask.compute(*[c.any() for _, c in checks])
    for (key, _), any_valid in zip(checks, found, strict=True):
        if not bool(any_valid):
            when = "" if key is None else f" at the {key!r} date"
            raise RegionError(f"the region has no valid pixels{when} (all no data, clouds or "
                              "outside the rasters): choose a region or dates with data")


def _run(plan: Plan, layers: Layers, threshold: float | None) -> dict[str, StepResult]:
    return run_plan(plan, lambda what, date: layers.mask(what, date, threshold=threshold))


def _evidence(plan: Plan, results: Mapping[str, StepResult]) -> dict[str, Any]:
    """Evidence layers of the central run: masks, object labels, distances."""
    import geoquant.ops as ops

    layers: dict[str, Any] = {}
    for step in plan.steps:
        result = results[step.id]
        if result.mask is not None:
            layers[step.id] = result.mask
        for name in evidence_names(step, results):
            if name in layers:
                continue
            if name.endswith("_labels"):
                # int32 while the ids fit (ops.label decides), int64 beyond: never wrapped
                layers[name] = ops.label(results[step.args["of"]].mask).rename(name)
            elif name.endswith("_distance_m"):
                layers[name] = ops.distance(results[step.args["to"]].mask).astype("float32")
    for name, layer in layers.items():
        layer.attrs = {**layer.attrs, "long_name": _layer_title(plan, name)}
    return layers


def _layer_title(plan: Plan, name: str) -> str:
    if name.endswith("_labels"):
        return f"object labels of {name[:-7]} (8-connected, 0 background)"
    if name.endswith("_distance_m"):
        return f"distance to {name[:-11]}, metres between pixel centres"
    return step_words(plan.step(name))


@quiet_cf_warnings
def answer_plan(plan: Plan, layers: Layers, *, thresholds: Sequence[float] | None =
                RANGE_THRESHOLDS, started: float | None = None) -> Answer:
    """Run a plan over opened layers: the central run on the class map, the range runs at
    ``thresholds`` (skipped for categorical sources, whose classes are certain)."""
    started = time.perf_counter() if started is None else started
    _check_valid(layers)
    central = _run(plan, layers, None)
    runs = [central]
    if thresholds and layers.segmentations and not layers.provenance.get("categorical"):
        runs += [_run(plan, layers, float(t)) for t in thresholds]
    final = central[plan.answer]
    value = final.value
    if final.unit == "objects":
        value = int(value)
    bounds = answer_range([r[plan.answer] for r in runs])
    trace = tuple(TraceStep(s.id, s.op, step_words(s), _trace_value(central[s.id]),
                            central[s.id].unit, evidence_names(s, central))
                  for s in plan.steps)
    provenance = {**layers.provenance,
                  "range_thresholds": list(thresholds or []) if len(runs) > 1 else [],
                  "geoquant": _version(),
                  "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    return Answer(plan.question, value, final.unit, bounds, plan, trace, provenance,
                  time.perf_counter() - started, evidence=_evidence(plan, central))


def _trace_value(result: StepResult) -> Any:
    if result.mask is not None:
        return None
    return int(result.value) if result.unit == "objects" else result.value


def _version() -> str:
    from geoquant._version import __version__

    return __version__


def _output_paths(out: str | Path, overwrite: bool) -> dict[str, Path]:
    from geoquant.sinks import check_output_path

    out = Path(out)
    paths = {"zarr": out, "json": out.with_suffix(".json"), "png": out.with_suffix(".png")}
    if out.suffix != ".zarr":
        raise InvalidOptionError(f"--out names the evidence Zarr store and must end in "
                                 f".zarr (the JSON and PNG go beside it); got {out}")
    if out.parent.is_dir():
        recover_outputs({k: p.absolute() for k, p in paths.items()})
    return {kind: check_output_path(path, overwrite=overwrite,
                                    kind="directory" if kind == "zarr" else "file")
            for kind, path in paths.items()}


@quiet_cf_warnings
def write_answer(answer: Answer, layers: Layers, paths: Mapping[str, Path], *,
                 overwrite: bool) -> Answer:
    """Write the evidence Zarr, the answer JSON and the quick-look PNG, published together.

    The three are written whole into one hidden staging folder beside them
    (``.<name>.ask-<pid>-<token>``); only then are they moved into place, the previous outputs
    set aside in the same folder first. A run killed while publishing is finished by the next
    (:func:`recover_outputs`): it completes the move, so the outputs are all new or, if the
    staging was not complete, all previous.
    """
    import dataclasses

    import xarray as xr

    from geoquant import sinks
    from geoquant.reason.answers._picture import draw

    answer = dataclasses.replace(answer, outputs={k: str(p) for k, p in paths.items()})
    masks = [(name, answer.evidence[name]) for name in answer_masks(answer.plan)]
    picture = io.BytesIO()
    draw(picture, layers.picture, [(n, m.compute()) for n, m in masks],
         answer.caption())
    store = xr.Dataset(dict(answer.evidence))
    store.attrs = {"title": answer.question, "answer": answer_text(answer.value, answer.unit,
                                                                     answer.range),
                   "geoquant_answer": answer.to_json()}
    from geoquant.sinks._owner import claimed

    recover_outputs(paths)
    # claimed: no other thread of this process sweeps it while this one writes and publishes
    with claimed(_stage_name(paths["zarr"])) as stage:
        stage.mkdir()
        try:
            staged = {kind: stage / "new" / path.name for kind, path in paths.items()}
            staged["zarr"].parent.mkdir(parents=True)
            sinks.write_zarr(store, staged["zarr"])
            sinks.write_json(answer.to_dict(), staged["json"])
            staged["png"].write_bytes(picture.getvalue())
        except BaseException:
            import shutil

            shutil.rmtree(stage, ignore_errors=True)
            raise
        _publish_outputs(stage, paths, overwrite=overwrite)
    return answer


_READY = "READY"


def _stage_name(zarr_path: Path) -> Path:
    """``.<stem>.ask-<pid>-<boot>.<ticks>-<token>``: the owner (see
    :mod:`geoquant.sinks._owner`) and a token unique to this write (threads share the pid)."""
    import uuid

    from geoquant.sinks._owner import owner_tag

    return zarr_path.with_name(f".{zarr_path.stem}.ask-{owner_tag()}-{uuid.uuid4().hex[:12]}")


def _publish_outputs(stage: Path, paths: Mapping[str, Path], *, overwrite: bool) -> None:
    """Move the staged outputs into place together (see :func:`write_answer`)."""
    from geoquant.errors import OutputPathError

    if not overwrite:
        taken = [str(p) for p in paths.values() if p.exists() or p.is_symlink()]
        if taken:
            import shutil

            shutil.rmtree(stage, ignore_errors=True)
            raise OutputPathError(f"{', '.join(taken)} appeared while the answer was computed: "
                                  "pass overwrite=True (--overwrite) to replace it")
    (stage / "old").mkdir()
    (stage / _READY).write_text("\n".join(f"{k}\t{p}" for k, p in paths.items()))
    _finish_publish(stage)


def _finish_publish(stage: Path) -> None:
    """Set the previous outputs aside, move the new ones in, remove the staging folder. Each
    step can be repeated: a run killed at any point is finished by calling this again."""
    import os
    import shutil

    targets = [Path(line.split("\t", 1)[1])
               for line in (stage / _READY).read_text().splitlines()]
    for target in targets:
        new = stage / "new" / target.name
        if not new.exists():
            continue                  # already moved in
        if target.exists() or target.is_symlink():
            os.rename(target, stage / "old" / target.name)
    for target in targets:
        new = stage / "new" / target.name
        if new.exists():
            os.rename(new, target)
    shutil.rmtree(stage, ignore_errors=True)


def recover_outputs(paths: Mapping[str, Path]) -> list[str]:
    """Finish or clear what runs killed while writing these outputs left (their staging
    folders beside them, whose owner is provably gone: its pid is free, the machine rebooted,
    or the pid now belongs to a process that started later). Staging that a live thread of
    this process is using is never touched. Returns what was done."""
    import shutil

    from geoquant.sinks._owner import owner_gone, parse_owner

    zarr_path = paths["zarr"]
    prefix = f".{zarr_path.stem}.ask-"
    done = []
    for stage in zarr_path.parent.glob(f"{prefix}*"):
        owner = parse_owner(stage.name[len(prefix):])
        if owner is None or not owner_gone(*owner, path=stage):
            continue
        if (stage / _READY).is_file():
            _finish_publish(stage)
            done.append(f"finished publishing the outputs of an interrupted run ({stage.name})")
        else:
            shutil.rmtree(stage, ignore_errors=True)
            done.append(f"removed the unfinished outputs of an interrupted run ({stage.name})")
    return done


def ask(question: str | Plan, *, source: Any, region: Any = None,
        bbox: Sequence[float] | None = None, datetime: str | None = None,
        product: str | None = None, segmenter: Any = None, sar: Any = None,
        planner: str | Planner = "auto",
        thresholds: Sequence[float] | None = RANGE_THRESHOLDS,
        out: str | Path | None = None, overwrite: bool = False,
        gsd: float | None = None, landcover: Any = None,
        say: Callable[[str], None] | None = None) -> Answer:
    """Answer a quantitative question about a region.

    Parameters
    ----------
    question : str or Plan
        Plain words ("How many forest patches larger than 1 ha are within 500 m of water?"),
        or a plan (:class:`Plan`, dict or JSON).
    source
        A STAC collection URL (``http://host/collections/<id>``), local raster path(s), an
        xarray cube, or a segmentation (see :mod:`geoquant.reason.layers._source`).
    region, bbox
        GeoJSON region (dict or file) or lon/lat bbox ``(west, south, east, north)`` for STAC
        sources.
    datetime
        Date range ``"2015-07-01/2015-09-30"``. For a change question the first and the last
        time step in it are compared; without one, the years the question names are used.
    product
        Code table of a categorical source (:data:`geoquant.segment.PRODUCTS`, or ``"codes"``).
    segmenter
        A segmenter (or a model file) for imagery; default: SAR water for radar, spectral rules
        for optical imagery, the product for land-cover collections.
    sar
        A radar source (same forms as ``source``) to answer from where the optical view is
        cloudy or missing: the optical segmentation is fused with SAR open water there.
    planner
        ``"auto"`` (default: the deterministic rules planner, and where it cannot read the
        question, the LLM endpoint if one is configured by ``GEOQUANT_LLM_URL`` /
        ``GEOQUANT_LLM_MODEL`` or the config file; offline without one), ``"rules"``,
        ``"llm"`` or a callable. ``provenance["planner"]`` names the planner (and model).
    thresholds
        Lower and higher probability thresholds of the range runs; ``None`` skips them.
    out
        Evidence Zarr store (``*.zarr``); the answer JSON and the quick-look PNG are written
        beside it with the same name. Checked before any work; written all or nothing.
    overwrite
        Replace existing outputs.
    gsd
        Ground sample distance, metres per pixel, of images without georeferencing (PNG,
        JPEG, GeoTIFF or arrays without a CRS), which are then read as a local metric grid.
        Default: the GSD the question states ("(GSD: 0.5m)"). For georeferenced rasters it
        must agree with their own pixel size.
    landcover
        ``"auto"``: when ``source`` is a STAC imagery collection, answer from a land-cover
        collection of the same API over the region whose legend holds every class the
        question names (a collection URL: try that one); otherwise from the imagery. Either
        way ``provenance["decided_by"]`` says which source answered and why
        (:mod:`geoquant.reason.layers._landcover`).
    say
        Progress lines go here (e.g. ``print``); silent by default.

    Returns
    -------
    Answer

    Raises
    ------
    QuestionError, ClassNameError, PlanError
        The question or plan cannot be read (the message lists the supported forms).
    NoItemsFoundError, DateRangeError, RegionError
        No data for the region or dates, or no valid pixel.
    OutputPathError
        ``out`` exists (without ``overwrite``) or cannot be written.
    """
    from geoquant.sources import unreadable_assets_named

    with unreadable_assets_named():
        return _ask(question, source=source, region=region, bbox=bbox, datetime=datetime,
                    product=product, segmenter=segmenter, sar=sar, planner=planner,
                    thresholds=thresholds, out=out, overwrite=overwrite, gsd=gsd,
                    landcover=landcover, say=say)


def _ask(question: str | Plan, *, source: Any, region: Any, bbox: Sequence[float] | None,
         datetime: str | None, product: str | None, segmenter: Any, sar: Any,
         planner: str | Planner, thresholds: Sequence[float] | None, out: str | Path | None,
         overwrite: bool, gsd: float | None, say: Callable[[str], None] | None,
         landcover: Any = None) -> Answer:
    started = time.perf_counter()
    _check_text(question)
    progress = _Progress(say, started, total=4 if landcover in (None, False) else 5)
    paths = _output_paths(out, overwrite) if out is not None else None
    gsd = _pixel_size(question, gsd)
    try:
        plan, planned_by = planned(question, planner,
                                   vocabulary=source_vocabulary(source, product))
    except ClassNameError:
        # a word of a STAC land-cover collection's own legend ("vineyard")?
        legend = stac_vocabulary(source, region=region, bbox=bbox, datetime=datetime) \
            if isinstance(source, str) and source.startswith(("http://", "https://")) \
            and product is None else None
        if legend is None or not legend.legend:
            raise
        plan, planned_by = planned(question, planner, vocabulary=legend)
    _check_text(plan)               # an LLM's plan may hold one in a step or in its question
    progress(f"planned {len(plan.steps)} steps")
    if datetime is None and plan_dates(plan) != (None,) and plan.question:
        datetime = _datetime_from_years(plan.question)
    decided_by = None
    if landcover not in (None, False):
        from geoquant.reason.layers._landcover import choose_landcover

        chosen, decided_by = choose_landcover(source, plan, landcover, region=region,
                                              bbox=bbox, change=plan_dates(plan) != (None,))
        if chosen is not None:
            source, segmenter, product, sar, datetime = chosen, None, None, None, None
        progress(f"answering from {decided_by['source']} ({decided_by['why']})")
    layers = open_source(source, region=region, bbox=bbox, datetime=datetime,
                         dates=plan_dates(plan), product=product, segmenter=segmenter,
                         sar=sar, gsd_m=gsd)
    progress("opened and segmented the source (read once)")
    answer = answer_plan(plan, layers, thresholds=thresholds, started=started)
    answer = _with_planner(answer, planned_by)
    if decided_by is not None:
        from geoquant.reason.layers._landcover import with_decision

        answer = with_decision(answer, decided_by)
    if plan_dates(plan) != (None,):
        import dataclasses

        from geoquant.reason.answers._change_check import change_check

        check = change_check(layers)
        if check is not None:
            answer = dataclasses.replace(answer, provenance={**answer.provenance,
                                                             "change_check": check})
        from geoquant.reason.answers._extent import change_extent

        extent = quiet_cf_warnings(change_extent)(plan, layers)
        if extent is not None:
            answer = dataclasses.replace(answer, provenance={**answer.provenance,
                                                             "change_extent": extent})
    progress(f"ran the plan: {answer.text()}")
    if paths is not None:
        answer = write_answer(answer, layers, paths, overwrite=overwrite)
        progress(f"wrote {paths['zarr']}, {paths['json'].name}, {paths['png'].name}")
    import dataclasses

    return dataclasses.replace(answer, elapsed_s=time.perf_counter() - started)


def _check_text(question: str | Plan) -> None:
    """Refuse a question (or plan) holding a lone surrogate (U+D800..U+DFFF) before anything
    is computed: it is no character (bytes that were not UTF-8, read with 'surrogateescape',
    or a broken escape), and the answer could not be written or printed after the work."""
    import json

    text = question if isinstance(question, str) else \
        json.dumps(question.to_dict(), ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        where = "question" if isinstance(question, str) else "plan"
        raise QuestionError(
            f"the {where} holds {text[err.start]!r} at character {err.start + 1}, which is no "
            "character (bytes that are not UTF-8, or a broken escape): retype the question "
            "as plain text") from None


def _with_planner(answer: Answer, planned_by: Mapping[str, Any]) -> Answer:
    """``answer`` whose provenance names the planner that made its plan (and its model)."""
    import dataclasses

    return dataclasses.replace(answer, provenance={**answer.provenance,
                                                   "planner": dict(planned_by)})


def _pixel_size(question: Any, gsd: float | None) -> float | None:
    """The pixel size given, or stated in the question; both must agree."""
    from geoquant.reason.reading._phrases import question_gsd

    if gsd is not None and (isinstance(gsd, bool) or not isinstance(gsd, (int, float))
                            or not 0 < gsd < 1e6):
        raise InvalidOptionError(f"gsd must be a positive number of metres per pixel, not "
                                 f"{gsd!r}")
    stated = question_gsd(question) if isinstance(question, str) else None
    if gsd is not None and stated is not None and abs(stated - gsd) > 1e-9 * gsd:
        raise InvalidOptionError(f"the question states a GSD of {stated:g} m but gsd={gsd:g} "
                                 "was given: keep one")
    return gsd if gsd is not None else stated


class _Progress:
    def __init__(self, say: Callable[[str], None] | None, started: float,
                 total: int = 4) -> None:
        self.say, self.started, self.done, self.total = say, started, 0, total

    def __call__(self, text: str) -> None:
        self.done += 1
        if self.say is not None:
            elapsed = time.perf_counter() - self.started
            self.say(f"[{self.done}/{self.total}] {text}  ({elapsed:.1f} s)")
