"""Exact Euclidean distance transform: geoquant against scipy.ndimage and xarray-spatial.

    python benchmarks/distance.py --sizes 2000 4000 8000 [--json results.json]

Every contender gets the same in-memory (NumPy) mask: water, rivers and buildings of a
synthetic scene (``geoquant.synth.landcover``, about 6 % object pixels in blobs, lines and
small rectangles), 10 m pixels. Contenders:

* ``scipy``: ``scipy.ndimage.distance_transform_edt`` on the whole array (one core), the
  reference for the differences;
* ``geoquant``: ``geoquant.ops.distance`` computed with dask's threaded scheduler on all
  cores (NumPy input is split into 2048 x 2048 tiles);
* ``xrspatial``: ``xrspatial.proximity`` with its defaults (Euclidean, unbounded) on a
  NumPy-backed DataArray; skipped at a size when the previous size predicts more than
  ``--xrspatial-budget`` seconds.

Each contender runs in its own process (so peak memory is its own), first on a small mask to
compile numba kernels, then ``--repeat`` times; the table shows the best time. Peak memory is
the growth of the process's peak resident set over what it held before the run (input and
libraries), read from ``VmHWM`` after resetting it through ``/proc/self/clear_refs``
(``resource.getrusage`` where that is not possible, which then includes the input).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CONTENDERS = ("scipy", "geoquant", "xrspatial")
OBJECT_CLASSES = (1, 6, 7)  # water, building, river
RESOLUTION = 10.0


# -- inputs ---------------------------------------------------------------------------------------
def make_mask(size: int, seed: int) -> np.ndarray:
    """Boolean objects of a synthetic scene, computed tile by tile (no full float temporaries)."""
    import dask
    import dask.array as da

    import geoquant.synth as synth

    with dask.config.set(scheduler="threads"):
        classes = synth.landcover((size, size), seed=seed, chunks=2048,
                                  resolution=RESOLUTION).data
        return np.asarray(da.isin(classes, OBJECT_CLASSES).compute())


def as_dataarray(mask: np.ndarray):
    from geoquant.testing.rasters import as_raster

    return as_raster(mask, resolution=RESOLUTION)


# -- contenders -----------------------------------------------------------------------------------
def run_scipy(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return ndimage.distance_transform_edt(~mask, sampling=(RESOLUTION, RESOLUTION))


def run_geoquant(mask: np.ndarray) -> np.ndarray:
    import dask

    from geoquant.ops._distance import distance

    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        return distance(as_dataarray(mask)).values


def run_xrspatial(mask: np.ndarray) -> np.ndarray:
    import warnings

    from xrspatial import proximity

    raster = as_dataarray(mask.astype(np.uint8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(proximity(raster).values)


RUNNERS = {"scipy": run_scipy, "geoquant": run_geoquant, "xrspatial": run_xrspatial}


# -- memory ---------------------------------------------------------------------------------------
def _status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


def peak_kib() -> int:
    hwm = _status_kib("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- one contender in this process ----------------------------------------------------------------
def worker(contender: str, size: int, seed: int, repeat: int) -> dict:
    import gc

    runner = RUNNERS[contender]
    mask = make_mask(size, seed)
    runner(mask[:256, :256].copy())  # compile numba kernels, import everything
    gc.collect()
    resettable = reset_peak()
    base = _status_kib("VmRSS") if resettable else 0
    times = []
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = runner(mask)
        times.append(time.perf_counter() - start)
    peak_mib = (peak_kib() - base) / 1024
    if contender == "scipy":
        diff = 0.0
    else:
        reference = run_scipy(mask)
        diff = float(np.nanmax(np.abs(result.astype(np.float64) - reference)))
    return {"contender": contender, "size": size, "seconds": min(times), "all_seconds": times,
            "mpx_per_s": size * size / min(times) / 1e6, "max_abs_diff_m": diff,
            "peak_mib": peak_mib, "peak_includes_input": not resettable,
            "object_fraction": float(mask.mean()), "output_dtype": str(result.dtype)}


def run_in_subprocess(contender: str, size: int, args: argparse.Namespace) -> dict:
    command = [sys.executable, __file__, "--worker", contender, "--sizes", str(size),
               "--seed", str(args.seed), "--repeat", str(args.repeat)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"contender": contender, "size": size, "skipped": f"over {args.timeout} s"}
    if done.returncode != 0:
        return {"contender": contender, "size": size,
                "skipped": "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the table ------------------------------------------------------------------------------------
def table(rows: list[dict]) -> str:
    lines = ["| size | contender | time (s) | Mpx/s | x scipy | max abs diff vs scipy (m) "
             "| peak memory (MiB) |",
             "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    scipy_speed = {r["size"]: r["mpx_per_s"] for r in rows
                   if r["contender"] == "scipy" and "skipped" not in r}
    for r in rows:
        size = f"{r['size']}²"
        if "skipped" in r:
            lines.append(f"| {size} | {r['contender']} | skipped: {r['skipped']} | | | | |")
            continue
        base = scipy_speed.get(r["size"], float("nan"))
        ratio = r["mpx_per_s"] / base
        lines.append(f"| {size} | {r['contender']} | {r['seconds']:.3f} | {r['mpx_per_s']:.1f} "
                     f"| {ratio:.1f} | {r['max_abs_diff_m']:.3g} | {r['peak_mib']:.0f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 4000, 8000],
                        help="square mask edges in pixels")
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender; best counts")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic scene")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds allowed to one contender at one size")
    parser.add_argument("--xrspatial-budget", type=float, default=120.0,
                        help="skip xrspatial at a size predicted to take longer (seconds/run)")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(worker(args.worker, args.sizes[0], args.seed, args.repeat)))
        return 0

    rows: list[dict] = []
    xrspatial_speed = None
    for size in sorted(args.sizes):
        for contender in args.contenders:
            if contender == "xrspatial" and xrspatial_speed is not None:
                predicted = size * size / (xrspatial_speed * 1e6)
                if predicted > args.xrspatial_budget:
                    rows.append({"contender": contender, "size": size,
                                 "skipped": f"predicted {predicted:.0f} s per run "
                                            f"> --xrspatial-budget {args.xrspatial_budget:.0f}"})
                    continue
            row = run_in_subprocess(contender, size, args)
            if contender == "xrspatial" and "skipped" not in row:
                xrspatial_speed = row["mpx_per_s"]
            rows.append(row)
            print(f"{contender} {size}: " + (row.get("skipped") or
                                            f"{row['seconds']:.3f} s"), file=sys.stderr)

    machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
               f"Python {platform.python_version()}, best of {args.repeat}")
    print(f"\nEuclidean distance transform, synthetic blobs, {machine}\n")
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
