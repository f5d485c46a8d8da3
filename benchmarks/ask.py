"""Question answering: ``geoquant.ask`` against the hand-written NumPy/SciPy route.

    python benchmarks/ask.py [--sizes 2048 4096 8192] [--json results.json]
    python benchmarks/ask.py --quick     # smoke test: 1024² and the first 10 questions

Two measurements, each side in its own process, reported as ratios geoquant / reference:

1. **Latency on the demo question set** (``benchmarks/questions/questions.jsonl``, 69 questions
   over the demo rasters). ``questions-geoquant``: ``geoquant.reason.evaluate(path,
   use="labels")``, which builds the demo STAC catalog, serves it on loopback, plans every
   question, reads its collection (cached per collection, date and plan dates) and runs the
   plan; per question, the ``elapsed_s`` evaluate records (planning, the first read of a
   collection, the run). ``questions-numpy``: the truth of ``questions/build.py`` (imported with
   importlib), the NumPy/``scipy.ndimage`` code a user would otherwise write: its loading
   (``sources.build_catalog`` + ``sources.load``, as ``build()`` does) timed apart from the
   per-site truth functions (``slovenia``, ``lausanne``, ``camargue`` at the Otsu threshold only:
   ``build()`` also runs it at +-0.5 dB for the acceptable range). The time of one question is
   the time from the previous truth (or the site's start: grid, Otsu threshold) to its ``Q``
   record, taken by wrapping ``build.Q``; every truth is checked against the file (SQuID's
   rule) so that the timed code is the code that wrote it. Both sides: one warm-up run (imports,
   numba), then ``--repeat`` runs; the best total, and per question the best of the runs.
2. **Scale**: "How many forest patches larger than 1 ha are within 500 m of water?" on the
   synthetic land cover of ``geoquant.synth.landcover`` (seed ``--seed``, 10 m pixels,
   EPSG:32633; water = lakes and rivers, codes 1 and 7) at ``--sizes``. ``scale-geoquant``:
   ``gq.ask(question, source=cube, product="geoquant-synth")`` on the codes as a ``(band, y, x)``
   float32 cube, dask chunks 1024 (``geoquant.testing.rasters.as_cube``; built before timing).
   ``scale-scipy``: the same float32 codes as one NumPy array: ``ndimage.label``
   (8-connectivity), patch sizes (``bincount``), ``distance_transform_edt`` to water (10 m
   sampling), the labels found within 500 m (a boolean table indexed by label), count of patches
   >= 1 ha among them. The two counts must be equal: a mismatch is printed loudly and the script
   exits 1. Scene generation is not timed (one ``.npy`` per size, shared). Warm-up on a 256²
   corner, then ``--repeat`` runs (once when the first takes longer than ``--slow``); best time.
   Peak memory: growth of the process's peak resident set (``VmHWM``) over what it held before
   the runs, i.e. without the input (see ``_common.py``).

Dask runs on the threaded scheduler with all cores. The last table sums up the ratios with the
date and the machine.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    RESOLUTION,
    cached_landcover,
    check_fingerprints,
    code_fingerprint,
    contender_parser,
    describe,
    load,
    machine,
    markdown,
    peak_kib,
    progress,
    reset_peak,
    run_worker,
    status_kib,
    timed_runs,
    write_json,
)

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "questions" / "questions.jsonl"
BUILD = HERE / "questions" / "build.py"
WORKERS = ("questions-geoquant", "questions-numpy", "scale-geoquant", "scale-scipy")
QUESTION = "How many forest patches larger than 1 ha are within 500 m of water?"
FOREST, WATER = 2, (1, 7)          # geoquant.synth codes: forest; lake and river
MIN_AREA_M2, NEAR_M = 1e4, 500.0
CHUNKS = 1024
EIGHT = np.ones((3, 3), bool)


def dask_threads() -> Any:
    import dask

    return dask.config.set(scheduler="threads", num_workers=os.cpu_count())


# -- 1. the question set ---------------------------------------------------------------------------
def question_records(path: Path, first: int | None) -> list[Any]:
    from geoquant.reason.evaluation._eval import read_questions

    return read_questions(path)[:first]


def selected_file(path: Path, first: int | None, folder: Path) -> Path:
    """``path`` itself, or its first ``first`` questions in a file of ``folder``."""
    if first is None:
        return path
    lines = [line for line in path.read_text().splitlines() if line.strip()][:first]
    out = folder / f"questions-first-{first}.jsonl"
    out.write_text("\n".join(lines) + "\n")
    return out


def questions_geoquant(path: Path, repeat: int) -> dict:
    """``evaluate(path, use="labels")``: a cold run, then ``repeat`` runs."""
    from geoquant.reason import evaluate

    def run() -> Any:
        with dask_threads():
            return evaluate(path, use="labels")

    start = time.perf_counter()
    cold = run()
    cold_s = time.perf_counter() - start
    gc.collect()
    load_before = load()
    times, reports = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        reports.append(run())
        times.append(time.perf_counter() - start)
    per_question = {o.record.id: min(r.outcomes[i].elapsed_s for r in reports)
                    for i, o in enumerate(reports[0].outcomes)}
    last = reports[-1]
    return {"seconds": min(times), "all_seconds": times, "cold_seconds": cold_s,
            "questions": len(per_question), "per_question_s": per_question,
            "accuracy": last.accuracy, "cold_accuracy": cold.accuracy,
            "wrong": [o.record.id for o in last.outcomes if not o.correct],
            "load_before": load_before}


def import_build() -> Any:
    """``benchmarks/questions/build.py`` as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location("questions_build", BUILD)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module     # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def load_sites(sites: set[str]) -> dict[str, tuple]:
    """The demo rasters of ``sites``, loaded exactly as ``build.build()`` loads them."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    from geoquant import sources
    from geoquant.demo import DEMO_DATA

    with tempfile.TemporaryDirectory() as tmp:
        sources.build_catalog(DEMO_DATA, tmp)

        def read(collection: str, **kw: Any) -> tuple:
            items = json.loads((Path(tmp) / collection / "items.json").read_text())["features"]
            cube = sources.load(items, **kw)
            dx, dy = (abs(float(r)) for r in cube.rio.resolution())
            return np.asarray(cube.values, np.float64)[:, 0], dx, dy

        found = {}
        if "slovenia" in sites:
            found["slovenia"] = read("slovenia-lulc")
        if "lausanne" in sites:
            found["lausanne"] = read("lausanne-landuse", assets=["landuse"])
        if "camargue" in sites:
            found["camargue"] = read("camargue-s1", sar_units="db")
        return found


class QuestionClock:
    """Stands in for ``build.Q``: each record's time since the previous one (or ``restart``)."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real, self.last, self.made = real, time.perf_counter(), []

    def restart(self) -> None:
        self.last = time.perf_counter()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        made = self.real(*args, **kwargs)
        now = time.perf_counter()
        self.made.append((made, now - self.last))
        self.last = now
        return made


def site_truths(build: Any, data: dict[str, tuple]) -> list[tuple[str, Any, float]]:
    """``(site, Q, seconds)`` of every question of the loaded sites, computed by ``build``."""
    from skimage.filters import threshold_otsu

    clock = QuestionClock(build.Q)
    build.Q = clock
    found = []
    try:
        for site, arrays in data.items():
            start = len(clock.made)
            clock.restart()
            if site == "slovenia":
                (codes,), dx, dy = arrays
                build.slovenia(codes, build.Grid(np.isfinite(codes) & (codes != 0), dx, dy))
            elif site == "lausanne":
                (before, after), dx, dy = arrays
                build.lausanne(before, after, build.Grid(np.isfinite(after), dx, dy))
            else:
                (vv,), dx, dy = arrays
                valid = np.isfinite(vv)
                threshold = float(threshold_otsu(vv[valid]))
                build.camargue((vv < threshold) & valid, build.Grid(valid, dx, dy))
            found += [(site, q, s) for q, s in clock.made[start:]]
    finally:
        build.Q = clock.real
    return found


def questions_numpy(path: Path, first: int | None, repeat: int) -> dict:
    """Load the sites the questions need, then time every truth of ``build.py``."""
    from geoquant.reason.evaluation._eval import is_correct

    build = import_build()
    records = question_records(path, first)
    site_of = {image: site for site, (image, _, _) in build.SITES.items()}
    sites = {site_of[r.image] for r in records}
    data = load_sites(sites)                                    # warm-up: imports
    load_times, data = timed_runs(lambda: load_sites(sites), repeat, math.inf)
    site_truths(build, data)                                    # warm-up
    gc.collect()
    load_before = load()
    runs = [site_truths(build, data) for _ in range(repeat)]
    per_question, wrong = {}, []
    for record in records:
        site = site_of[record.image]
        hits = [[(q, s) for st, q, s in run if st == site and q.question == record.question]
                for run in runs]
        if any(len(h) != 1 for h in hits):
            raise SystemExit(f"{record.id}: not one truth in build.py for {record.question!r}")
        value = hits[0][0][0].value
        value = bool(value) if isinstance(value, np.bool_) else value
        if not is_correct(value, record):
            wrong.append(record.id)
        per_question[record.id] = min(h[0][1] for h in hits)
    wanted = {(site_of[r.image], r.question) for r in records}
    totals = [sum(s for st, q, s in run if (st, q.question) in wanted) for run in runs]
    return {"seconds": sum(per_question.values()), "all_seconds": totals,
            "load_seconds": min(load_times), "all_load_seconds": load_times,
            "sites": sorted(sites), "questions": len(per_question),
            "per_question_s": per_question,
            "accuracy": 100.0 * (len(records) - len(wrong)) / len(records),
            "wrong": wrong, "load_before": load_before}


# -- 2. one multi-step question at scale ---------------------------------------------------------
def scipy_answer(codes: np.ndarray) -> int:
    """Forest patches (8-connected) of >= 1 ha whose nearest pixel is <= 500 m from water."""
    from scipy import ndimage as ndi

    water = np.isin(codes, WATER)
    if not water.any():
        return 0
    labels, n = ndi.label(codes == FOREST, EIGHT)
    if n == 0:
        return 0
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    distance = ndi.distance_transform_edt(~water, sampling=(RESOLUTION, RESOLUTION))
    del water
    # The patches with a pixel within reach (faster than ndimage.minimum per patch).
    reached = np.zeros(n + 1, bool)
    reached[labels[(distance <= NEAR_M) & (labels > 0)]] = True
    return int(np.count_nonzero((sizes * RESOLUTION**2 >= MIN_AREA_M2) & reached[1:]))


def geoquant_cube(codes: np.ndarray) -> Any:
    """The codes as a georeferenced ``(band, y, x)`` cube, 10 m pixels, dask chunks 1024."""
    from geoquant.testing.rasters import as_cube

    return as_cube(codes[None], ["landcover"], resolution=RESOLUTION, chunks=CHUNKS)


def geoquant_answer(cube: Any) -> int:
    import geoquant as gq

    with dask_threads():
        answer = gq.ask(QUESTION, source=cube, product="geoquant-synth")
    return int(answer.value)


def measure_prepared(run: Callable[[Any], Any], warm: Any, full: Any, repeat: int,
                     slow_s: float) -> dict:
    """``_common.measure`` for inputs prepared beforehand: warm up on ``warm``, time ``full``."""
    run(warm)
    gc.collect()
    resettable = reset_peak()
    base = status_kib("VmRSS") if resettable else 0
    load_before = load()
    times, result = timed_runs(lambda: run(full), repeat, slow_s)
    return {"seconds": min(times), "all_seconds": times, "answer": result,
            "peak_mib": (peak_kib() - base) / 1024, "peak_includes_input": not resettable,
            "load_before": load_before}


def scale_worker(contender: str, scene: Path, repeat: int, slow_s: float) -> dict:
    codes = np.load(scene).astype(np.float32)
    if contender == "scale-scipy":
        return measure_prepared(scipy_answer, codes[:256, :256].copy(), codes, repeat, slow_s)
    warm, full = geoquant_cube(codes[:256, :256].copy()), geoquant_cube(codes)
    return measure_prepared(geoquant_answer, warm, full, repeat, slow_s)


# -- tables ----------------------------------------------------------------------------------------
def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def question_table(rows: dict[str, dict]) -> str:
    body = []
    for name, what in (("questions-geoquant", "geoquant evaluate(use='labels')"),
                       ("questions-numpy", "numpy/scipy truth (build.py)")):
        r = rows.get(name)
        if r is None:
            continue
        if "skipped" in r:
            body.append([what, f"skipped: {r['skipped']}"] + [""] * 7)
            continue
        per = list(r["per_question_s"].values())
        if name == "questions-geoquant":
            loading = "in the questions' times"
            total = f"{r['seconds']:.2f} (cold {r['cold_seconds']:.2f})"
        else:
            loading = f"{r['load_seconds']:.3f}"
            total = f"{r['seconds'] + r['load_seconds']:.3f}"
        body.append([what, r["questions"], loading, f"{sum(per):.3f}",
                     f"{sum(per) / len(per) * 1e3:.2f}", f"{statistics.median(per) * 1e3:.2f}",
                     f"{max(per) * 1e3:.1f}", total, f"{r['accuracy']:.1f}"])
    return markdown(["route", "questions", "loading (s)", "sum of questions (s)",
                     "mean (ms/question)", "median (ms)", "max (ms)", "total wall (s)",
                     "right (%)"], body, "lrrrrrrrr")


def scale_table(rows: list[dict]) -> str:
    scipy_rows = {r["size"]: r for r in rows
                  if r["contender"] == "scale-scipy" and "skipped" not in r}
    body = []
    for r in rows:
        head = [f"{r['size']}²", r["contender"].removeprefix("scale-")]
        if "skipped" in r:
            body.append(head + [f"skipped: {r['skipped']}"] + [""] * 6)
            continue
        ref = scipy_rows.get(r["size"])
        same = ("reference" if r["contender"] == "scale-scipy" else "n/a" if ref is None
                else "equal" if r["answer"] == ref["answer"]
                else f"**MISMATCH** (scipy {ref['answer']})")
        body.append(head + [f"{r['seconds']:.3f}", len(r["all_seconds"]),
                            ratio(r["seconds"], ref and ref["seconds"]), r["answer"], same,
                            f"{r['peak_mib']:.0f}", f"{r['load_before'][0]:.2f}"])
    return markdown(["size", "contender", "time (s)", "runs", "x scipy time", "patches",
                     "vs scipy", "peak memory (MiB)", "load 1 min"], body, "rlrrrrlrr")


def summary_table(info: dict, questions: dict[str, dict], rows: list[dict]) -> str:
    when = info["date"]
    where = f"{info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB"
    body = []
    gq, ref = questions.get("questions-geoquant", {}), questions.get("questions-numpy", {})
    if "per_question_s" in gq and "per_question_s" in ref:
        n = gq["questions"]
        mean_gq = sum(gq["per_question_s"].values()) / n
        mean_np = sum(ref["per_question_s"].values()) / ref["questions"]
        with_load = (ref["seconds"] + ref["load_seconds"]) / ref["questions"]
        body.append([when, where, f"{n} demo questions, s/question (numpy without loading)",
                     f"{mean_gq:.4f}", f"{mean_np:.5f}", ratio(mean_gq, mean_np)])
        body.append([when, where, f"{n} demo questions, wall s/question (both with loading)",
                     f"{gq['seconds'] / n:.4f}", f"{with_load:.5f}",
                     ratio(gq["seconds"] / n, with_load)])
    by_size: dict[int, dict[str, dict]] = {}
    for r in rows:
        if "skipped" not in r:
            by_size.setdefault(r["size"], {})[r["contender"]] = r
    for size, pair in sorted(by_size.items()):
        if len(pair) < 2:
            continue
        g, s = pair["scale-geoquant"], pair["scale-scipy"]
        body.append([when, where, f"forest near water {size}², time (s)",
                     f"{g['seconds']:.3f}", f"{s['seconds']:.3f}",
                     ratio(g["seconds"], s["seconds"])])
        body.append([when, where, f"forest near water {size}², peak memory (MiB)",
                     f"{g['peak_mib']:.0f}", f"{s['peak_mib']:.0f}",
                     ratio(g["peak_mib"], s["peak_mib"])])
    return markdown(["date", "machine", "measure", "geoquant", "numpy/scipy",
                     "geoquant / reference"], body, "lllrrr")


# -- main ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = contender_parser(__doc__.split("\n\n")[0], WORKERS, sizes=[2048, 4096, 8192])
    parser.add_argument("--questions", type=Path, default=QUESTIONS,
                        help="SQuID-format question file (build.py's by default)")
    parser.add_argument("--first", type=int, help="only the first N questions")
    parser.add_argument("--slow", type=float, default=30.0,
                        help="run only once when the first run takes longer (seconds)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: --sizes 1024 --first 10 --repeat 1")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.first, args.repeat = [1024], args.first or 10, 1
    if args.first is not None and args.first <= 0:
        parser.error("--first must be positive")

    if args.worker:
        code = code_fingerprint()
        if args.worker == "questions-geoquant":
            row = questions_geoquant(args.questions, args.repeat)
        elif args.worker == "questions-numpy":
            row = questions_numpy(args.questions, args.first, args.repeat)
        else:
            row = scale_worker(args.worker, args.scene, args.repeat, args.slow)
        print(json.dumps(row | {"code": code}))
        return 0

    info = machine("scikit-image", "xarray", "rioxarray")
    questions: dict[str, dict] = {}
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="gq-bench-ask-") as folder:
        path = selected_file(args.questions, args.first, Path(folder))
        for contender in ("questions-geoquant", "questions-numpy"):
            if contender not in args.contenders:
                continue
            extra = ["--first", str(args.first)] if args.first else []
            row = run_worker(__file__, ["--worker", contender, "--questions", str(path),
                                        "--repeat", str(args.repeat), *extra], args.timeout)
            questions[contender] = row
            progress(contender, row)
        for size in sorted(args.sizes):
            if not {"scale-geoquant", "scale-scipy"} & set(args.contenders):
                break
            scene = cached_landcover(size, args.seed, Path(folder))
            for contender in ("scale-scipy", "scale-geoquant"):
                if contender not in args.contenders:
                    continue
                row = {"contender": contender, "size": size} | run_worker(__file__, [
                    "--worker", contender, "--scene", str(scene), "--repeat",
                    str(args.repeat), "--slow", str(args.slow)], args.timeout)
                rows.append(row)
                progress(f"{contender} {size}", row)
            scene.unlink()

    info["load_at_end"] = load()
    print(f"\nQuestion answering, geoquant vs NumPy/SciPy; best of {args.repeat}. "
          f"{describe(info)}\n")
    if questions:
        print(f"Demo question set ({path.name if args.first else args.questions.name}"
              f"{f', first {args.first}' if args.first else ''}):\n")
        print(question_table(questions))
        print()
    if rows:
        print(f"Scale: {QUESTION!r}, synthetic land cover (seed {args.seed}, 10 m), "
              f"geoquant on a float32 (band, y, x) cube chunked {CHUNKS}:\n")
        print(scale_table(rows))
        print()
    print(summary_table(info, questions, rows))

    status = 0
    for name, r in questions.items():
        if "skipped" in r:
            status = 1
        elif r.get("wrong"):
            print(f"WARNING: {name} got {len(r['wrong'])} question(s) wrong: "
                  + ", ".join(r["wrong"]))
    answers: dict[int, dict[str, Any]] = {}
    for r in rows:
        if "skipped" in r:
            status = status or (1 if r["skipped"].startswith("failed") else 0)
        else:
            answers.setdefault(r["size"], {})[r["contender"]] = r["answer"]
    for size, found in sorted(answers.items()):
        if len(set(found.values())) > 1:
            message = (f"!!! MISMATCH at {size}²: geoquant {found.get('scale-geoquant')} "
                       f"patches, scipy {found.get('scale-scipy')} !!!")
            print("\n" + message)
            print(message, file=sys.stderr)
            status = 1
    if warning := check_fingerprints(list(questions.values()) + rows):
        print(warning)
    write_json(args.json, {"machine": info, "repeat": args.repeat, "first": args.first,
                           "questions": questions, "scale": rows})
    return status


if __name__ == "__main__":
    raise SystemExit(main())
