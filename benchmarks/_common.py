"""Helpers shared by the benchmark scripts: inputs, memory, timing, machine and load, options,
subprocesses and tables.

Not a benchmark itself. The scripts in this folder import it as ``_common`` (Python puts the
script's folder first on ``sys.path``), so run them as ``python benchmarks/<name>.py``.

Memory (:func:`measure`) is the growth of the process's peak resident set (``VmHWM``) over
what it held before the runs, after resetting the peak through ``/proc/self/clear_refs``
(Linux >= 4.0); where that is impossible the peak falls back to ``resource.getrusage`` and
then includes the input. :class:`RssSampler` also samples ``VmRSS`` in a thread, for a
profile over time (``scale.py``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

RESOLUTION = 10.0
FOREST, BUILDING = 2, 6
MASKS = {"forest": FOREST, "buildings": BUILDING}
"""Masks of ``geoquant.synth.landcover`` used by the benchmarks: class code of each."""


# -- inputs ---------------------------------------------------------------------------------------
def landcover_numpy(size: int, seed: int, chunks: int = 2048) -> np.ndarray:
    """Classes (uint8) of a ``size x size`` synthetic scene, computed tile by tile into NumPy."""
    import dask

    import geoquant.synth as synth

    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        classes = synth.landcover((size, size), seed=seed, chunks=chunks, resolution=RESOLUTION)
        return np.asarray(classes.data.compute())


def cached_landcover(size: int, seed: int, folder: Path) -> Path:
    """Write the scene's classes to ``folder`` as ``.npy`` once; return the file."""
    path = folder / f"landcover-{size}-{seed}.npy"
    if not path.exists():
        np.save(path, landcover_numpy(size, seed))
    return path


def as_dataarray(values: np.ndarray, chunks: int | None = None) -> Any:
    """A NumPy-backed (or chunked) DataArray with a projected CRS and 10 m pixels, wrapping
    ``values`` without a copy: a raster opened from a file already is a DataArray, so the
    contenders' times are those of their operators on the same pixels."""
    from geoquant.testing.rasters import as_raster

    return as_raster(values, resolution=RESOLUTION, chunks=chunks, copy=False)


# -- memory ---------------------------------------------------------------------------------------
def status_kib(field: str) -> int | None:
    """A ``kB`` field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``), None if unreadable."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter of this process; False where that is impossible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return status_kib("VmHWM") is not None


def peak_kib() -> int:
    """Peak resident set of this process since start or the last :func:`reset_peak`, KiB."""
    hwm = status_kib("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class RssSampler:
    """Sample this process's resident set every ``interval`` seconds in a daemon thread.

    ``samples`` holds ``(seconds since start, RSS MiB)``; ``max_mib`` the largest sample.
    ``on_sample`` (optional) is called with each sample, for watchdogs.
    """

    def __init__(self, interval: float = 0.5,
                 on_sample: Callable[[float, float], None] | None = None) -> None:
        self.interval = interval
        self.on_sample = on_sample
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._start = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            rss = status_kib("VmRSS")
            if rss is not None:
                sample = (round(time.perf_counter() - self._start, 2), round(rss / 1024, 1))
                self.samples.append(sample)
                if self.on_sample is not None:
                    self.on_sample(*sample)
            if self._stop.wait(self.interval):
                return

    def between(self, start: float, stop: float) -> float:
        """Largest sample taken between two offsets (seconds since the sampler started)."""
        return max((mib for t, mib in self.samples if start <= t <= stop), default=0.0)

    def now(self) -> float:
        return time.perf_counter() - self._start


# -- the machine ----------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def load() -> list[float]:
    """1, 5 and 15 minute load averages (``os.getloadavg``)."""
    return [round(v, 2) for v in os.getloadavg()]


def versions(*packages: str) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in packages:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def code_fingerprint() -> dict[str, str]:
    """Which geoquant source was measured: a hash of every ``.py`` file and the newest mtime.

    The package may change while a long benchmark runs (it is installed in development mode);
    every worker records this when it starts, and the scripts warn when the workers differ.
    """
    import hashlib

    import geoquant

    root = Path(geoquant.__file__).parent
    digest = hashlib.sha256()
    newest = 0.0
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
        newest = max(newest, path.stat().st_mtime)
    return {"sha256": digest.hexdigest()[:12],
            "newest_file": dt.datetime.fromtimestamp(newest, dt.UTC)
            .strftime("%Y-%m-%d %H:%M:%S UTC")}


def check_fingerprints(rows: Sequence[dict]) -> str:
    """A warning line when the rows measured different geoquant sources, else ''."""
    seen = {r["code"]["sha256"]: r["code"]["newest_file"] for r in rows if "code" in r}
    if len(seen) <= 1:
        return ""
    listed = ", ".join(f"{h} ({t})" for h, t in seen.items())
    return (f"WARNING: these results measured different geoquant sources ({listed}); "
            "check which files changed before comparing them")


def machine(*packages: str) -> dict[str, Any]:
    """What the results were measured on, and when."""
    return {"date": dt.date.today().isoformat(), "cpu": cpu_model(), "cores": os.cpu_count(),
            "memory_gib": round(memory_gib(), 1), "load_at_start": load(),
            "versions": versions("numpy", "scipy", "numba", "dask", "geoquant", *packages),
            "geoquant_code": code_fingerprint()}


def describe(info: dict[str, Any]) -> str:
    """One line from :func:`machine`'s record (with its ``load_at_end`` where the script set it)."""
    v = ", ".join(f"{k} {val}" for k, val in info["versions"].items())
    code = info.get("geoquant_code")
    code = f"; geoquant source {code['sha256']} (newest file {code['newest_file']})" if code else ""
    end = f"; load at end {info['load_at_end']}" if "load_at_end" in info else ""
    return (f"{info['date']}, {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB; "
            f"load average (1/5/15 min) at start {info['load_at_start']}; {v}{code}{end}")


# -- timing ---------------------------------------------------------------------------------------
def timed_runs(run: Callable[[], Any], repeat: int, slow_s: float) -> tuple[list[float], Any]:
    """Run ``run`` up to ``repeat`` times (once only when the first run exceeds ``slow_s``).

    The previous result is dropped before each run, so the peak holds one output. Returns the
    times and the last result.
    """
    import gc

    times: list[float] = []
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
        if times[0] > slow_s:
            break
    return times, result


@dataclass
class Measured:
    """What :func:`measure` found: every run's seconds, the last result, memory and load."""

    times: list[float]
    result: Any
    peak_mib: float
    peak_includes_input: bool
    load_before: list[float]

    @property
    def seconds(self) -> float:
        """The best time."""
        return min(self.times)


def measure(run: Callable[[np.ndarray], Any], mask: np.ndarray, repeat: int,
            slow_s: float = math.inf) -> Measured:
    """Time ``run(mask)`` as :func:`timed_runs` does, with the peak memory of the runs.

    ``run`` first runs on a 256 x 256 corner (numba compilation, imports). The peak is the
    growth of the peak resident set over what the process held before the runs (input and
    libraries), or the whole process's where it cannot be reset (``peak_includes_input``).
    The load average is read just before the runs.
    """
    import gc

    run(mask[:256, :256].copy())
    gc.collect()
    resettable = reset_peak()
    base = status_kib("VmRSS") if resettable else 0
    load_before = load()
    times, result = timed_runs(lambda: run(mask), repeat, slow_s)
    peak_mib = (peak_kib() - base) / 1024
    return Measured(times, result, peak_mib, not resettable, load_before)


def predict_seconds(history: Sequence[tuple[int, float]], size: int,
                    power_law: bool = False) -> float | None:
    """Seconds a run at ``size`` is predicted to take from earlier ``(size, seconds)`` runs.

    Linear in pixels from the largest earlier size; with ``power_law``, a power law of the
    pixel count through the last two sizes (never below linear), for contenders known to be
    super-linear. None without history.
    """
    if not history:
        return None
    s1, t1 = history[-1]
    exponent = 1.0
    if power_law and len(history) >= 2:
        s0, t0 = history[-2]
        if t0 > 0 and t1 > 0 and s1 != s0:
            exponent = max(float(np.log(t1 / t0) / np.log((s1 / s0) ** 2)), 1.0)
    return float(t1 * ((size / s1) ** 2) ** exponent)


def over_budget(history: Sequence[tuple[int, float]], size: int, budget: float,
                power_law: bool = False) -> str | None:
    """Why to skip a slow contender at ``size`` (:func:`predict_seconds` over ``budget``)."""
    predicted = predict_seconds(history, size, power_law)
    if predicted is None or predicted <= budget:
        return None
    return f"predicted {predicted:.0f} s per run > {budget:.0f} s budget"


# -- options --------------------------------------------------------------------------------------
def contender_parser(description: str, contenders: Sequence[str],
                     sizes: Sequence[int]) -> argparse.ArgumentParser:
    """The options of a script that runs each contender in a worker process on a shared scene.

    ``--worker`` and ``--scene`` (hidden) are what the script passes to its workers.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(sizes),
                        help="square edges of the scene in pixels")
    parser.add_argument("--contenders", nargs="+", choices=contenders, default=list(contenders))
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender; best counts")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic scene")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds allowed to one contender at one size")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--worker", choices=contenders, help=argparse.SUPPRESS)
    parser.add_argument("--scene", type=Path, help=argparse.SUPPRESS)
    return parser


# -- subprocesses ---------------------------------------------------------------------------------
def run_worker(script: str, arguments: Sequence[str], timeout: float) -> dict:
    """Run ``script --worker ...`` in a fresh interpreter; the last stdout line is its JSON."""
    command = [sys.executable, script, *arguments]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"skipped": f"over the {timeout:g} s timeout"}
    if done.returncode != 0:
        return {"skipped": "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def progress(label: str, row: dict) -> None:
    """A line on stderr: the row's best time, or why it was skipped."""
    print(f"{label}: " + (row.get("skipped") or f"{row['seconds']:.3f} s"), file=sys.stderr)


def write_json(path: Path | None, payload: dict) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2))


def markdown(header: Sequence[str], rows: Sequence[Sequence[Any]], align: str) -> str:
    """A markdown table; ``align`` has one of ``l`` / ``r`` per column."""
    marks = {"l": "---", "r": "---:"}
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks[a] for a in align) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# -- a suite of inputs, interleaved runs and memory floors (issue 33 item 4) ----------------------
SUITE = ("sparse", "noise", "huge", "roads", "landcover")
"""Inputs of the per-input margins (``labels.py --suite``, ``distance.py --suite``):

* ``sparse``: isolated single-pixel sites, one per 500 x 500 px on average (long distances);
* ``noise``: independent pixels, each an object with probability 0.3 (many tiny objects,
  below the 8-connected percolation threshold of about 0.41);
* ``huge``: one disc of radius 0.45 x the edge (one object larger than any tile);
* ``roads``: the road class of the synthetic scene (a connected grid of 1 px digital lines,
  8-connected only on diagonals, and 3 px major roads);
* ``landcover``: the benchmark's own mask of the synthetic scene (the script says which).
"""
ROAD = 5
SPARSE_SPACING = 500
NOISE_FRACTION = 0.3


def suite_mask(name: str, size: int, seed: int, classes: np.ndarray | None,
               landcover_codes: Sequence[int]) -> np.ndarray:
    """The boolean ``size x size`` mask of input ``name`` (:data:`SUITE`).

    ``classes`` is the synthetic scene of that size (``roads`` and ``landcover`` read it);
    ``landcover_codes`` the class codes of the ``landcover`` mask.
    """
    rng = np.random.default_rng(seed)
    if name == "sparse":
        sites = max(1, size * size // SPARSE_SPACING**2)
        mask = np.zeros((size, size), bool)
        mask.flat[rng.choice(size * size, sites, replace=False)] = True
        return mask
    if name == "noise":
        return rng.random((size, size), dtype=np.float32) < NOISE_FRACTION
    if name == "huge":
        yy, xx = np.ogrid[:size, :size]
        centre, radius = (size - 1) / 2, 0.45 * size
        return (yy - centre) ** 2 + (xx - centre) ** 2 <= radius**2
    if classes is None:
        raise ValueError(f"input {name!r} needs the synthetic scene's classes")
    if name == "roads":
        return classes == ROAD
    if name == "landcover":
        return np.isin(classes, landcover_codes)
    raise ValueError(f"unknown input {name!r}; choose from {', '.join(SUITE)}")


@dataclass
class Interleaved:
    """One contender's runs of :func:`interleaved`: seconds of every run, last result, peak."""

    times: list[float]
    result: Any
    peak_mib: float

    @property
    def seconds(self) -> float:
        return min(self.times)


def interleaved(runners: dict[str, Callable[[np.ndarray], Any]], mask: np.ndarray,
                repeat: int) -> dict[str, Interleaved]:
    """Run every contender ``repeat`` times in this process, in turn (a, b, c, a, b, c, ...),
    after one warm-up each on a 256 x 256 corner, so that the machine's drift falls on all of
    them alike; the best time counts. The peak is the largest growth of the peak resident set
    over one run (the input excluded). Each run's result is dropped before the next run."""
    import gc

    for run in runners.values():
        run(mask[:256, :256].copy())
    found = {name: Interleaved([], None, 0.0) for name in runners}
    for _ in range(repeat):
        for name, run in runners.items():
            found[name].result = None
            gc.collect()
            resettable = reset_peak()
            base = status_kib("VmRSS") if resettable else 0
            start = time.perf_counter()
            result = run(mask)
            found[name].times.append(time.perf_counter() - start)
            found[name].result = result
            found[name].peak_mib = max(found[name].peak_mib, (peak_kib() - base) / 1024)
    return found


def _in_bands(func: Callable[[slice], None], rows: int, threads: int) -> None:
    """``func(rows slice)`` over ``threads`` equal row bands, in threads (NumPy releases the
    GIL in its copy and reduction loops)."""
    from concurrent.futures import ThreadPoolExecutor

    edges = np.linspace(0, rows, threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(func, [slice(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]))


def memory_floors(mask: np.ndarray, out_dtype: Any, repeat: int,
                  threads: int | None = None) -> dict[str, float]:
    """What touching the pixels alone costs, in ns per pixel (best of ``repeat``), on one
    thread and on ``threads`` (default: all cores):

    * ``read``: ``np.count_nonzero`` of the boolean mask (1 byte per pixel read);
    * ``write``: the mask cast into a fresh array of ``out_dtype`` (``np.empty`` and
      ``np.copyto``: 1 byte read, the output's bytes written to pages never touched), the
      least an operator returning that dtype can do.
    """
    import gc

    threads = threads or os.cpu_count() or 1
    n = mask.size
    floors: dict[str, float] = {}

    def best(run: Callable[[], Any]) -> float:
        times = []
        for _ in range(repeat):
            gc.collect()
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        return min(times) / n * 1e9

    def write(nthreads: int) -> None:
        out = np.empty(mask.shape, out_dtype)
        _in_bands(lambda rows: np.copyto(out[rows], mask[rows]), mask.shape[0], nthreads)

    floors["read_1t"] = best(lambda: np.count_nonzero(mask))
    floors[f"read_{threads}t"] = best(lambda: _in_bands(
        lambda rows: np.count_nonzero(mask[rows]), mask.shape[0], threads))
    floors["write_1t"] = best(lambda: write(1))
    floors[f"write_{threads}t"] = best(lambda: write(threads))
    return floors


def suite_record(runs: dict[str, Interleaved], floors: dict[str, float],
                 load_before: list[float]) -> dict[str, Any]:
    """The fields every suite worker reports: best and all times, peaks, floors, load, code."""
    return {"seconds": {c: r.seconds for c, r in runs.items()},
            "all_seconds": {c: r.times for c, r in runs.items()},
            "peak_mib": {c: r.peak_mib for c, r in runs.items()},
            "floors_ns_per_px": floors, "load_before": load_before, "load_after": load(),
            "code": code_fingerprint()}


def run_suite_workers(script: str, args: argparse.Namespace,
                      extra: Sequence[str] = ()) -> list[dict]:
    """One worker process (``script --suite-input NAME``) per input of ``args.inputs`` at every
    size of ``args.sizes``, on the synthetic scene of that size; their rows, in order."""
    import tempfile

    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="gq-bench-suite-") as folder:
        for size in sorted(args.sizes):
            scene = cached_landcover(size, args.seed, Path(folder))
            for name in args.inputs:
                row = run_worker(script, [
                    "--suite-input", name, "--sizes", str(size), "--scene", str(scene),
                    "--repeat", str(args.repeat), "--seed", str(args.seed), *extra],
                    args.timeout)
                rows.append({"input": name, "size": size} | row)
                print(f"suite {name} {size}: " + (row.get("skipped") or ", ".join(
                    f"{c} {t:.3f} s" for c, t in row["seconds"].items())), file=sys.stderr)
            scene.unlink()
    return rows


def floor_cells(row: dict) -> tuple[dict[str, float], int]:
    """A suite row's floors (ns/px) and the thread count of its all-cores floors."""
    floors = row["floors_ns_per_px"]
    return floors, max(int(k.split("_")[1][:-1]) for k in floors)
