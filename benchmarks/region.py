"""Large regions on a Dask cluster: batched ``survey`` vs one whole graph, 1 to 100 gigapixels.

    python benchmarks/region.py --gpx 1 10 100 --whole-up-to 10 --near-up-to 10 \
        --json benchmarks/results/region.json

The region is forest (class 2) of ``geoquant.synth.landcover((n, n), chunks=--chunks)``,
generated inside the computation tile by tile (never materialised), with water (classes 1
and 7) as the ``near`` mask. Each size runs on a fresh cluster of separate processes on loopback
(``dask scheduler`` and ``dask worker --nworkers <cores> --nthreads 1``), so the scheduler's
memory is its own process's:

* ``survey``: ``geoquant.ops.survey(forest, near=water, within_m=500, min_area_m2=1e4)``,
  batches of ``--tiles-per-batch`` tiles, two in flight (the scheduler sees one batch's graph
  at a time);
  up to ``--near-up-to`` Gpx;
* ``survey count``: the same without ``near`` (objects and area only);
* ``whole count``: ``geoquant.ops.count(forest, min_area_m2=1e4)`` submitted as one graph
  (what a user gets without batching), up to ``--whole-up-to`` Gpx: the same question as
  ``survey count``, so the two compare directly.

Recorded per run: wall time, s/Gpx, the scheduler process's peak resident set (sampled every
0.5 s through ``run_on_scheduler``) and the largest number of tasks the scheduler held at
once, the client process's peak RSS, and the answer (``objects_min_area`` must equal
``count``'s where both ran).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _common

CHUNKS = 2048


def _scheduler_tasks(dask_scheduler: Any = None) -> int:
    return len(dask_scheduler.tasks)


class SchedulerSampler:
    """Largest scheduler RSS (its own process) and task count, sampled in a thread."""

    def __init__(self, client: Any, pid: int, interval: float = 0.5) -> None:
        import psutil

        self.client, self.interval = client, interval
        self.process = psutil.Process(pid)
        self.max_rss, self.max_tasks = 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> SchedulerSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _sample(self) -> None:
        rss = self.process.memory_info().rss
        tasks = self.client.run_on_scheduler(_scheduler_tasks)
        self.max_rss, self.max_tasks = max(self.max_rss, rss), max(self.max_tasks, tasks)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()


@contextlib.contextmanager
def separate_processes(workers: int) -> Iterator[tuple[str, int]]:
    """A ``dask scheduler`` and ``dask worker`` processes on loopback (one thread each)."""
    from geoquant.sources._server import free_port

    dask_cli = str(Path(sys.executable).with_name("dask"))
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [subprocess.Popen([dask_cli, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--dashboard-address", "127.0.0.1:0"], **quiet)]
    try:
        procs.append(subprocess.Popen([dask_cli, "worker", address, "--nworkers", str(workers),
                                       "--nthreads", "1", "--host", "127.0.0.1"], **quiet))
        yield address, procs[0].pid
    finally:
        for proc in reversed(procs):
            proc.terminate()
            proc.wait(timeout=60)


def run_size(gpx: float, *, whole: bool, near: bool, tiles_per_batch: int,
             workers: int) -> list[dict]:
    from distributed import Client

    import geoquant as gq

    side = int(round(math.sqrt(gpx * 1e9)))
    lc = gq.synth.landcover((side, side), seed=0, chunks=CHUNKS, resolution=_common.RESOLUTION)
    forest, water = lc == 2, (lc == 1) | (lc == 7)
    rows = []
    with separate_processes(workers) as (address, scheduler_pid), Client(address) as client:
        client.wait_for_workers(workers, timeout=120)
        # warm-up: numba compiles on every worker (not timed)
        small = gq.synth.landcover((2 * CHUNKS, 2 * CHUNKS), seed=1, chunks=CHUNKS)
        gq.ops.survey(small == 2, near=small == 1, within_m=500.0, client=client)
        gq.ops.count(small == 2)
        say = lambda line: print(f"  {line}", file=sys.stderr, flush=True)  # noqa: E731
        runs = [("survey count", lambda: gq.ops.survey(
            forest, min_area_m2=1e4, tiles_per_batch=tiles_per_batch, client=client, say=say))]
        if whole:
            runs.append(("whole count", lambda: gq.ops.count(forest, min_area_m2=1e4)))
        if near:
            runs.append(("survey near", lambda: gq.ops.survey(
                forest, near=water, within_m=500.0, min_area_m2=1e4,
                tiles_per_batch=tiles_per_batch, client=client, say=say)))
        for name, run in runs:
            started = time.perf_counter()
            with SchedulerSampler(client, scheduler_pid) as sampler:
                answer = run()
            seconds = time.perf_counter() - started
            row = {"gpx": side * side / 1e9, "side": side, "tiles": math.ceil(side / CHUNKS) ** 2,
                   "run": name, "seconds": seconds, "s_per_gpx": seconds / (side * side / 1e9),
                   "scheduler_peak_mib": sampler.max_rss / 2**20,
                   "scheduler_max_tasks": sampler.max_tasks,
                   "client_peak_mib": _common.peak_kib() / 1024,
                   "objects_min_area": (int(answer) if name == "whole count"
                                        else answer.objects_min_area),
                   "answer": int(answer) if name == "whole count" else answer.to_dict()}
            print(json.dumps(row), flush=True)
            rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| Gpx | tiles | run | time (s) | s/Gpx | scheduler peak (MiB) | "
             "scheduler max tasks | objects ≥ 1 ha |",
             "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['gpx']:.1f} | {r['tiles']:,} | {r['run']} | {r['seconds']:.1f} | "
                     f"{r['s_per_gpx']:.2f} | {r['scheduler_peak_mib']:.0f} | "
                     f"{r['scheduler_max_tasks']:,} | {r['objects_min_area']:,} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpx", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--whole-up-to", type=float, default=10.0)
    parser.add_argument("--near-up-to", type=float, default=10.0)
    parser.add_argument("--tiles-per-batch", type=int, default=256)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    info = _common.machine("dask", "distributed", "numpy")
    print(_common.describe(info), file=sys.stderr)
    rows = []
    for gpx in args.gpx:
        rows += run_size(gpx, whole=gpx <= args.whole_up_to, near=gpx <= args.near_up_to,
                         tiles_per_batch=args.tiles_per_batch, workers=args.workers)
        if args.json:
            args.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=1))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
