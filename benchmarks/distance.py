"""Exact Euclidean distance transform: geoquant against scipy.ndimage, edt and xarray-spatial.

    python benchmarks/distance.py --sizes 1000 4000 8000 [--json results.json]

Every contender gets the same in-memory (NumPy) mask: water, rivers and buildings of a
synthetic scene (``geoquant.synth.landcover``, about 6 % object pixels in blobs, lines and
small rectangles), 10 m pixels. Contenders:

* ``scipy``: ``scipy.ndimage.distance_transform_edt`` on the whole array (one core), the
  reference for the differences;
* ``geoquant``: ``geoquant.ops.distance`` computed with dask's threaded scheduler on all
  cores (NumPy input is split into full-width row bands, ``ops._mask.memory_tiles``, and
  written into one array);
* ``edt``: seung-lab's ``edt.edt(~mask, anisotropy=(dy, dx), parallel=<cores>)``, an exact
  EDT on all cores; it returns float32, so its differences from scipy are float32 rounding;
* ``xrspatial``: ``xrspatial.proximity`` with its defaults (Euclidean, unbounded) on a
  NumPy-backed DataArray; skipped at a size when the previous size predicts more than
  ``--xrspatial-budget`` seconds.

Each contender runs in its own process (so peak memory is its own), first on a small mask to
compile numba kernels, then ``--repeat`` times; the table shows the best time. The scene is
generated once per size and shared through a temporary ``.npy`` file. ``x scipy`` and
``x edt`` are throughput ratios to those contenders at the same size. Peak memory is the
growth of the process's peak resident set over what it held before the run (input and
libraries), read from ``VmHWM`` after resetting it through ``/proc/self/clear_refs``
(``resource.getrusage`` where that is not possible, which then includes the input); see
``_common.py``. The 1-minute load average is recorded before each contender's runs.

``--suite`` measures the margins on other inputs (issue 33 item 4): for each input of
``_common.SUITE`` (sparse sites with long distances, dense noise, one huge object, roads, and
this benchmark's water, rivers and buildings) one worker process runs ``geoquant`` and ``edt``
(2 threads) **interleaved**, ``--repeat`` rounds, best of each, and checks both against scipy
(``--no-check`` skips scipy, 5-10 s per input at 8000²). Beside the times it measures what
touching the pixels alone costs on the same array (``_common.memory_floors``: a count of the
mask, and the mask cast into a fresh float64 array, the least an exact float64 transform can
write), so that an input that misses the goal (``geoquant`` >= 3x edt) shows how far it is from
memory traffic. The load average is recorded with each input.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    RESOLUTION,
    SUITE,
    as_dataarray,
    cached_landcover,
    check_fingerprints,
    code_fingerprint,
    contender_parser,
    describe,
    floor_cells,
    interleaved,
    load,
    machine,
    markdown,
    measure,
    memory_floors,
    over_budget,
    progress,
    run_suite_workers,
    run_worker,
    suite_mask,
    suite_record,
    write_json,
)

CONTENDERS = ("scipy", "geoquant", "edt", "xrspatial")
OBJECT_CLASSES = (1, 6, 7)  # water, building, river


# -- contenders -----------------------------------------------------------------------------------
def run_scipy(mask: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return ndimage.distance_transform_edt(~mask, sampling=(RESOLUTION, RESOLUTION))


def run_geoquant(mask: np.ndarray) -> np.ndarray:
    import dask

    from geoquant.ops._distance import distance

    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        return distance(as_dataarray(mask)).values


def run_edt(mask: np.ndarray) -> np.ndarray:
    import edt

    return edt.edt(~mask, anisotropy=(RESOLUTION, RESOLUTION), parallel=os.cpu_count())


def run_xrspatial(mask: np.ndarray) -> np.ndarray:
    import warnings

    from xrspatial import proximity

    raster = as_dataarray(mask.astype(np.uint8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(proximity(raster).values)


RUNNERS = {"scipy": run_scipy, "geoquant": run_geoquant, "edt": run_edt,
           "xrspatial": run_xrspatial}


# -- one contender in this process ----------------------------------------------------------------
def worker(contender: str, size: int, scene: Path, repeat: int) -> dict:
    code = code_fingerprint()
    mask = np.isin(np.load(scene), OBJECT_CLASSES)
    run = measure(RUNNERS[contender], mask, repeat)
    result = run.result
    if contender == "scipy":
        diff = 0.0
    else:
        reference = run_scipy(mask)
        diff = float(np.nanmax(np.abs(result.astype(np.float64) - reference)))
    return {"contender": contender, "size": size, "seconds": run.seconds,
            "all_seconds": run.times, "mpx_per_s": size * size / run.seconds / 1e6,
            "max_abs_diff_m": diff, "peak_mib": run.peak_mib,
            "peak_includes_input": run.peak_includes_input,
            "object_fraction": float(mask.mean()), "output_dtype": str(result.dtype),
            "load_before": run.load_before, "code": code}


# -- the table ------------------------------------------------------------------------------------
def table(rows: list[dict]) -> str:
    speed = {(r["contender"], r["size"]): r["mpx_per_s"] for r in rows if "skipped" not in r}
    body = []
    for r in rows:
        head = [f"{r['size']}²", r["contender"]]
        if "skipped" in r:
            body.append(head + [f"skipped: {r['skipped']}", "", "", "", "", "", "", ""])
            continue
        x_scipy, x_edt = (r["mpx_per_s"] / speed.get((other, r["size"]), float("nan"))
                          for other in ("scipy", "edt"))
        body.append(head + [f"{r['seconds']:.3f}", f"{r['mpx_per_s']:.1f}", f"{x_scipy:.1f}",
                            f"{x_edt:.2f}", f"{r['max_abs_diff_m']:.3g}", r["output_dtype"],
                            f"{r['peak_mib']:.0f}", f"{r['load_before'][0]:.2f}"])
    return markdown(["size", "contender", "time (s)", "Mpx/s", "x scipy", "x edt",
                     "max abs diff vs scipy (m)", "dtype", "peak memory (MiB)", "load 1 min"],
                    body, "rlrrrrrlrr")


# -- margins on a suite of inputs (issue 33 item 4) -----------------------------------------------
SUITE_CONTENDERS = ("geoquant", "edt")
SUITE_GOAL = 3.0  # geoquant over edt (2 threads), throughput


def suite_worker(name: str, size: int, scene: Path, repeat: int, seed: int,
                 check: bool) -> dict:
    """One input of the suite in this process: geoquant and edt interleaved, both checked
    against scipy, and the memory floors of the same array."""
    load_before = load()
    classes = np.load(scene) if name in ("roads", "landcover") else None
    mask = suite_mask(name, size, seed, classes, OBJECT_CLASSES)
    del classes
    runs = interleaved({c: RUNNERS[c] for c in SUITE_CONTENDERS}, mask, repeat)
    diffs: dict[str, float | None] = dict.fromkeys(SUITE_CONTENDERS)
    far = float("nan")
    if check:
        reference = run_scipy(mask)
        far = float(reference.max())
        for c in SUITE_CONTENDERS:
            diffs[c] = float(np.max(np.abs(runs[c].result.astype(np.float64) - reference)))
        del reference
    for run in runs.values():
        run.result = None
    floors = memory_floors(mask, np.float64, repeat)
    return {"input": name, "size": size, "object_fraction": float(mask.mean()),
            "farthest_m": far, "max_abs_diff_m": diffs,
            **suite_record(runs, floors, load_before)}


def suite_table(rows: list[dict]) -> str:
    """One line per input: times, ratio to edt against the goal, and the floors."""
    body = []
    for r in rows:
        if "skipped" in r:
            body.append([f"{r['size']}²", r["input"], f"skipped: {r['skipped']}"] + [""] * 9)
            continue
        t, px = r["seconds"], r["size"] ** 2
        floor, cores = floor_cells(r)
        ratio = t["edt"] / t["geoquant"]
        diff = r["max_abs_diff_m"]
        body.append([f"{r['size']}²", r["input"], f"{r['object_fraction']:.4f}",
                     f"{r['farthest_m']:.0f}", f"{t['geoquant'] * 1e3:.0f}",
                     f"{t['edt'] * 1e3:.0f}",
                     f"{ratio:.2f} ({'met' if ratio >= SUITE_GOAL else '**missed**'})",
                     f"{t['geoquant'] / px * 1e9:.2f} / {t['edt'] / px * 1e9:.2f}",
                     f"{floor[f'write_{cores}t']:.2f} / {floor[f'read_{cores}t']:.2f}",
                     " / ".join("-" if diff[c] is None else f"{diff[c]:.3g}"
                                for c in SUITE_CONTENDERS),
                     " / ".join(f"{r['peak_mib'][c]:.0f}" for c in SUITE_CONTENDERS),
                     f"{r['load_before'][0]:.2f}-{r['load_after'][0]:.2f}"])
    return markdown(["size", "input", "object share", "farthest (m)", "geoquant (ms)",
                     "edt (ms)", "x edt (goal 3)", "geoquant / edt (ns/px)",
                     "floor write float64 / read (ns/px, all cores)",
                     "max abs diff vs scipy, geoquant / edt (m)",
                     "peak MiB geoquant / edt", "load 1 min"], body, "rlrrrrlrrrrr")


def run_suite(args: Any) -> int:
    """Every input of ``args.inputs`` at every size, one worker process per input."""
    info = machine("edt")
    rows = run_suite_workers(__file__, args, ["--no-check"] if args.no_check else [])
    info["load_at_end"] = load()
    print(f"\nExact distance margins per input, geoquant (float64) and edt (float32, "
          f"{os.cpu_count()} threads) interleaved in one process per input, best of "
          f"{args.repeat}. {describe(info)}\n")
    print(suite_table(rows))
    if warning := check_fingerprints(rows):
        print(warning)
    write_json(args.json, {"machine": info, "repeat": args.repeat, "suite": rows})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = contender_parser(__doc__.split("\n\n")[0], CONTENDERS, sizes=[1000, 4000, 8000])
    parser.add_argument("--xrspatial-budget", type=float, default=120.0,
                        help="skip xrspatial at a size predicted to take longer (seconds/run)")
    parser.add_argument("--suite", action="store_true",
                        help="margins against edt on the input suite (sparse, noise, huge, "
                             "roads, landcover), contenders interleaved")
    parser.add_argument("--inputs", nargs="+", choices=SUITE, default=list(SUITE),
                        help="inputs of --suite")
    parser.add_argument("--no-check", action="store_true",
                        help="--suite: skip the comparison with scipy")
    parser.add_argument("--suite-input", choices=SUITE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.suite_input:
        print(json.dumps(suite_worker(args.suite_input, args.sizes[0], args.scene, args.repeat,
                                      args.seed, not args.no_check)))
        return 0
    if args.suite:
        return run_suite(args)
    if args.worker:
        print(json.dumps(worker(args.worker, args.sizes[0], args.scene, args.repeat)))
        return 0

    info = machine("xarray-spatial", "edt")
    rows: list[dict] = []
    history: list[tuple[int, float]] = []  # xrspatial's (size, seconds)
    with tempfile.TemporaryDirectory(prefix="gq-bench-distance-") as folder:
        for size in sorted(args.sizes):
            scene = cached_landcover(size, args.seed, Path(folder))
            for contender in args.contenders:
                key = {"contender": contender, "size": size}
                if contender == "xrspatial" and (
                        why := over_budget(history, size, args.xrspatial_budget)):
                    row = key | {"skipped": why}
                else:
                    row = key | run_worker(__file__, [
                        "--worker", contender, "--sizes", str(size), "--scene", str(scene),
                        "--repeat", str(args.repeat)], args.timeout)
                    if contender == "xrspatial" and "skipped" not in row:
                        history.append((size, row["seconds"]))
                rows.append(row)
                progress(f"{contender} {size}", row)
            scene.unlink()

    info["load_at_end"] = load()
    print(f"\nEuclidean distance transform, synthetic blobs, best of {args.repeat}. "
          f"{describe(info)}\n")
    print(table(rows))
    if warning := check_fingerprints(rows):
        print(warning)
    write_json(args.json, {"machine": info, "repeat": args.repeat, "results": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
