"""Scaling of count, area and fragmentation to 10 gigapixels, on lazily generated masks.

    python benchmarks/scale.py --sizes 25000 50000 [--json scale.json]
    nohup python benchmarks/scale.py --sizes 100000 --json scale-100k.json &   # ~15 min
    python benchmarks/scale.py --table scale.json scale-100k.json              # one table

The mask is forest (class 2) of ``geoquant.synth.landcover((size, size), chunks=--chunks)``:
dask-backed and generated tile by tile inside every computation, never materialised, so
memory must stay bounded by a few tiles per thread whatever the size. Steps, in this order:

* ``generate``: ``(landcover == 2).sum().compute()``, the cost of producing the mask alone;
* ``area``: ``geoquant.ops.area(mask)`` (checked against the generated pixel count);
* ``count``: ``geoquant.ops.count(mask)``;
* ``fragmentation``: ``geoquant.ops.fragmentation(mask, neighbours=False)``;
* ``generate`` again: the faster of the two generation runs counts (generation is most of
  every step's cost, and a single run varies by tens of per cent with the machine's load);
  its memory is the first run's (the process keeps memory later steps held).

Each step runs once on dask's threaded scheduler (all cores). Recorded per step:

* wall time, Mpx/s and seconds per gigapixel (constant when time is linear in area);
* ``cores busy``, the process's CPU time over wall time (below the core count with a high
  load average means other processes took CPU), and the load average;
* the number of ``compute`` calls and of the tasks they executed (a dask callback sees the
  graphs as the scheduler receives them; the JSON also has each compute's tasks, time and
  largest RSS); the ``count`` step also records ``len(graph)`` of the object pass it builds
  (``geoquant.ops._tree.object_pass``);
* the operator's cost net of generating its input, ``seconds - computes * generate`` (every
  compute regenerates the lazy mask);
* the largest resident set sampled every 0.5 s during the step (the whole process's, so it
  includes what earlier steps left allocated).

Each size runs in its own process (``ru_maxrss`` is then per size), after a small warm-up
run of every operator (numba compilation). The process writes its results after every step,
so a run stopped by the watchdog (``--max-seconds``, ``--max-rss-gib``) or killed still leaves
the steps it finished.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from _common import (
    FOREST,
    RESOLUTION,
    RssSampler,
    check_fingerprints,
    code_fingerprint,
    describe,
    load,
    machine,
    markdown,
    run_worker,
    status_kib,
    write_json,
)

STEPS = ("generate", "area", "count", "fragmentation")
RUN_ORDER = (*STEPS, "generate")
"""Generation runs first and last; the faster counts (it varies with what else runs)."""


class TaskCounter:
    """Count ``compute`` calls and their tasks, and time each (a dask local-scheduler callback).

    ``calls`` holds, per compute, its tasks and its start and end (``clock()`` seconds).
    """

    def __init__(self, clock: Any) -> None:
        from dask.callbacks import Callback

        self.calls: list[dict[str, float]] = []
        counter = self

        class _Callback(Callback):
            def _start(self, dsk: Any) -> None:
                counter.calls.append({"tasks": len(dsk), "start": clock(), "end": float("nan")})

            def _finish(self, dsk: Any, state: Any, errored: bool) -> None:
                counter.calls[-1]["end"] = clock()

        self.callback = _Callback()

    @property
    def computes(self) -> int:
        return len(self.calls)

    @property
    def tasks(self) -> int:
        return int(sum(call["tasks"] for call in self.calls))


def _tiles(size: int, chunks: int) -> int:
    return (-(-size // chunks)) ** 2


def _rates(pixels: int, seconds: float, cpu: float) -> dict[str, float]:
    """The fields of a step's record that follow from its time."""
    return {"mpx_per_s": pixels / seconds / 1e6, "s_per_gpx": seconds / (pixels / 1e9),
            "cpu_seconds": cpu, "cores_busy": cpu / seconds}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def forest_mask(size: int, seed: int, chunks: int) -> Any:
    import geoquant.synth as synth

    classes = synth.landcover((size, size), seed=seed, chunks=chunks, resolution=RESOLUTION)
    return classes == FOREST


def operators(mask: Any) -> dict[str, Any]:
    """Step name -> a function computing that step on ``mask`` (returns a JSON-able value)."""
    import geoquant as gq

    return {
        "generate": lambda: int(mask.data.sum().compute()),
        "area": lambda: float(gq.ops.area(mask)),
        "count": lambda: int(gq.ops.count(mask)),
        "fragmentation": lambda: {k: float(v) for k, v in
                                  gq.ops.fragmentation(mask, neighbours=False).items()},
    }


def count_graph_tasks(mask: Any) -> int:
    """Tasks of the graph ``count`` builds (object pass over the prepared codes)."""
    from geoquant.ops._mask import prepare_mask
    from geoquant.ops._reducers import CountReducer
    from geoquant.ops._tree import object_pass

    prepared = prepare_mask(mask)
    run = object_pass(prepared.codes, prepared.geometry, conn8=True,
                      reducer=CountReducer(prepared.geometry, 0.0))
    return len(run.result.__dask_graph__())


# -- one size in this process ---------------------------------------------------------------------
def worker(size: int, seed: int, chunks: int, progress: Path, max_seconds: float,
           max_rss_gib: float) -> dict:
    import dask

    pixels = size * size
    record: dict[str, Any] = {"size": size, "chunks": chunks, "pixels": pixels,
                              "tiles": _tiles(size, chunks), "steps": {}, "pid": os.getpid(),
                              "code": code_fingerprint()}
    lock = threading.Lock()

    def save() -> None:
        with lock:
            record["ru_maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            progress.write_text(json.dumps(record, indent=2))

    started = time.perf_counter()

    def watchdog(elapsed: float, rss_mib: float) -> None:
        reason = None
        if rss_mib > max_rss_gib * 1024:
            reason = f"resident set {rss_mib / 1024:.1f} GiB > --max-rss-gib {max_rss_gib}"
        elif time.perf_counter() - started > max_seconds:
            reason = f"running {time.perf_counter() - started:.0f} s > --max-seconds"
        if reason:
            record["stopped"] = reason
            save()
            os._exit(3)

    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        warm = operators(forest_mask(3000, seed, 1024))  # compile numba kernels, imports
        for step in STEPS:
            warm[step]()
        mask = forest_mask(size, seed, chunks)
        record["count_graph_tasks"] = count_graph_tasks(mask)
        steps = operators(mask)
        with RssSampler(0.5, on_sample=watchdog) as sampler:
            for step in RUN_ORDER:
                counter = TaskCounter(sampler.now)
                load_before = load()
                begin = sampler.now()
                cpu0 = _cpu_seconds()
                with counter.callback:
                    t0 = time.perf_counter()
                    value = steps[step]()
                    seconds = time.perf_counter() - t0
                cpu = _cpu_seconds() - cpu0
                rss = max(sampler.between(begin, sampler.now()),
                          (status_kib("VmRSS") or 0) / 1024)
                print(f"{size} {step}: {seconds:.1f} s", file=sys.stderr, flush=True)
                earlier = record["steps"].get(step)
                if earlier is not None:  # generate, again at the end: keep the faster time,
                    earlier["all_seconds"].append(seconds)  # and the first run's memory (the
                    if seconds < earlier["seconds"]:  # process keeps what later steps held)
                        earlier.update(seconds=seconds, **_rates(pixels, seconds, cpu),
                                       load_before=load_before)
                    save()
                    continue
                record["steps"][step] = {
                    "seconds": seconds, "all_seconds": [seconds], **_rates(pixels, seconds, cpu),
                    "computes": counter.computes, "tasks": counter.tasks, "max_rss_mib": rss,
                    "per_compute": [{"tasks": c["tasks"], "seconds": c["end"] - c["start"],
                                     "max_rss_mib": sampler.between(c["start"], c["end"])}
                                    for c in counter.calls],
                    "load_before": load_before, "load_after": load(), "value": value}
                save()
            record["rss_samples"] = sampler.samples[::max(1, len(sampler.samples) // 400)]
    generate = record["steps"]["generate"]
    for step in STEPS[1:]:
        r = record["steps"][step]
        r["net_seconds"] = r["seconds"] - r["computes"] * generate["seconds"]
        r["net_s_per_gpx"] = r["net_seconds"] / (pixels / 1e9)
    area_cells = record["steps"]["area"]["value"] / RESOLUTION**2
    record["area_matches_generated_pixels"] = area_cells == generate["value"]
    save()
    return record


# -- the table ------------------------------------------------------------------------------------
def table(records: list[dict]) -> str:
    body = []
    for rec in sorted(records, key=lambda r: r["size"]):
        for step in STEPS:
            s = rec["steps"].get(step)
            head = [f"{rec['size']:,}²", f"{rec['pixels'] / 1e9:.3g}", step]
            if s is None:
                body.append(head + [f"not reached: {rec.get('stopped', 'run did not finish')}"]
                            + [""] * 9)
                continue
            net = f"{s['net_s_per_gpx']:.1f}" if "net_s_per_gpx" in s else ""  # not generate
            body.append(head + [f"{s['seconds']:.1f}", len(s.get("all_seconds", [1])),
                                f"{s.get('cores_busy', float('nan')):.2f}",
                                f"{s['mpx_per_s']:.1f}",
                                f"{s['s_per_gpx']:.1f}", net, s["computes"],
                                f"{s['tasks']:,}", f"{s['max_rss_mib'] / 1024:.2f}",
                                f"{s['load_before'][0]:.2f}"])
    steps = markdown(["size", "Gpx", "step", "time (s)", "runs", "cores busy", "Mpx/s",
                      "s/Gpx", "net of generation (s/Gpx)", "computes", "tasks",
                      "max RSS (GiB)", "load 1 min"], body, "rrlrrrrrrrrrr")
    processes = markdown(
        ["size", "tiles", "count graph tasks", "process ru_maxrss (GiB)",
         "area = generated pixels", "outcome"],
        [[f"{rec['size']:,}²", f"{rec['tiles']:,} of {rec['chunks']}²",
          f"{rec.get('count_graph_tasks', 0):,}",
          f"{rec.get('ru_maxrss_mib', float('nan')) / 1024:.2f}",
          rec.get("area_matches_generated_pixels", ""), rec.get("stopped", "all steps done")]
         for rec in sorted(records, key=lambda r: r["size"])], "rrrrll")
    return steps + "\n\n" + processes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25000, 50000],
                        help="square mask edges in pixels, each run in its own process")
    parser.add_argument("--chunks", type=int, default=4096, help="tile edge of the scene")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic scene")
    parser.add_argument("--max-seconds", type=float, default=2400.0,
                        help="stop a size's process after this long (seconds)")
    parser.add_argument("--max-rss-gib", type=float, default=20.0,
                        help="stop a size's process when its resident set exceeds this")
    parser.add_argument("--json", type=Path, help="write the results here (after every size)")
    parser.add_argument("--table", type=Path, nargs="+",
                        help="print one table from earlier --json files and exit")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--progress", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        record = worker(args.sizes[0], args.seed, args.chunks, args.progress, args.max_seconds,
                        args.max_rss_gib)
        print(json.dumps({"size": record["size"], "done": True}))
        return 0

    if args.table:
        loaded = [json.loads(path.read_text()) for path in args.table]
        records = [rec for payload in loaded for rec in payload["results"]]
        for payload in loaded:
            print(f"* {describe(payload['machine'])}")
        print()
        print(table(records))
        if warning := check_fingerprints(records):
            print(warning)
        return 0

    info = machine()
    records: list[dict] = []
    payload = {"machine": info, "results": records}
    with tempfile.TemporaryDirectory(prefix="gq-bench-scale-") as folder:
        for size in sorted(args.sizes):
            progress = Path(folder) / f"scale-{size}.json"
            outcome = run_worker(__file__, [
                "--worker", "--sizes", str(size), "--seed", str(args.seed),
                "--chunks", str(args.chunks), "--progress", str(progress),
                "--max-seconds", str(args.max_seconds), "--max-rss-gib", str(args.max_rss_gib)],
                timeout=args.max_seconds + 120)
            if progress.exists():
                record = json.loads(progress.read_text())
            else:
                record = {"size": size, "chunks": args.chunks, "pixels": size * size,
                          "tiles": _tiles(size, args.chunks), "steps": {}}
            if "skipped" in outcome and "stopped" not in record:
                record["stopped"] = outcome["skipped"]
            records.append(record)
            info["load_at_end"] = load()
            write_json(args.json, payload)
            print(f"{size}: " + record.get("stopped", "done"), file=sys.stderr)
    print(f"\nScaling on lazily generated forest masks. {describe(info)}\n")
    print(table(records))
    if warning := check_fingerprints(records):
        print(warning)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
