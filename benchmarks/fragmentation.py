"""Class-level fragmentation metrics: geoquant against pylandstats.

    python benchmarks/fragmentation.py --sizes 1000 4000 8000 [--json results.json]

Every contender gets the same in-memory (NumPy) map of a synthetic scene
(``geoquant.synth.landcover``, 10 m pixels); the class is forest (code 2, about 30 % of the
pixels in patches of kilometres; ``--masks buildings`` for many small patches). Two
comparisons, 8-connectivity:

* ``area``: number_of_patches, patch_density, largest_patch_index, total_edge, edge_density,
  area_mn, effective_mesh_size; pylandstats against ``geoquant.ops.fragmentation(mask,
  neighbours=False)``;
* ``enn``: the same plus the mean Euclidean nearest-neighbour distance
  (``euclidean_nearest_neighbor_mn``, geoquant's ``enn_mn``); pylandstats against
  ``geoquant.ops.fragmentation(mask, neighbours=True)`` (which also computes connectance and
  cohesion).

Contenders:

* ``pylandstats``: ``pylandstats.Landscape(arr, res=(10, 10), nodata=255)`` on a uint8 map
  (1 the class, 2 the rest), then ``compute_class_metrics_df(metrics=..., classes=[1])`` (the
  class only); both steps are timed. One core. Skipped at a size the earlier sizes predict to
  take longer than ``--pylandstats-budget`` (power law through the last two sizes).
* ``geoquant``: ``geoquant.ops.fragmentation`` on a NumPy-backed boolean DataArray, dask's
  threaded scheduler on all cores (full-width row bands, ``ops._mask.memory_tiles``).

Values are compared metric by metric: the table shows the largest relative difference
(``|geoquant - pylandstats| / |pylandstats|``; NaN = NaN counts as equal). Each contender
runs in its own process, first on a small map (numba compilation, imports), then ``--repeat``
times (once when a run takes longer than ``--slow``); the best time counts. Peak memory and
load are measured as in ``labels.py`` (see ``_common.py``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from _common import (
    MASKS,
    RESOLUTION,
    as_dataarray,
    cached_landcover,
    check_fingerprints,
    code_fingerprint,
    contender_parser,
    describe,
    load,
    machine,
    markdown,
    measure,
    over_budget,
    progress,
    run_worker,
    write_json,
)

from geoquant.ops._landscape import PYLANDSTATS_NAMES

CONTENDERS = ("pylandstats", "geoquant")
COMPARISONS = ("area", "enn")
AREA_METRICS = {ours: theirs for ours, theirs in PYLANDSTATS_NAMES.items()
                if ours not in ("proportion_of_landscape", "total_area", "enn_mn")}
ENN_METRICS = AREA_METRICS | {"enn_mn": PYLANDSTATS_NAMES["enn_mn"]}
METRICS = {"area": AREA_METRICS, "enn": ENN_METRICS}
NODATA = 255


# -- contenders: each returns {geoquant metric name: value} ---------------------------------------
def run_pylandstats(mask: np.ndarray, comparison: str) -> dict[str, float]:
    import pylandstats as pls

    names = METRICS[comparison]
    arr = np.where(mask, np.uint8(1), np.uint8(2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        landscape = pls.Landscape(arr, res=(RESOLUTION, RESOLUTION), nodata=NODATA)
        frame = landscape.compute_class_metrics_df(metrics=list(names.values()), classes=[1])
    return {ours: float(frame.loc[1, theirs]) for ours, theirs in names.items()}


def run_geoquant(mask: np.ndarray, comparison: str) -> dict[str, float]:
    import dask

    import geoquant as gq

    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        got = gq.ops.fragmentation(as_dataarray(mask), connectivity=8,
                                   neighbours=comparison == "enn")
    return {name: float(got[name]) for name in METRICS[comparison]}


RUNNERS = {"pylandstats": run_pylandstats, "geoquant": run_geoquant}


# -- one contender in this process ----------------------------------------------------------------
def worker(contender: str, comparison: str, mask_name: str, size: int, scene: Path,
           repeat: int, slow_s: float) -> dict:
    code = code_fingerprint()
    runner = RUNNERS[contender]
    mask = np.load(scene) == MASKS[mask_name]
    run = measure(lambda m: runner(m, comparison), mask, repeat, slow_s)
    return {"contender": contender, "comparison": comparison, "mask": mask_name, "size": size,
            "seconds": run.seconds, "all_seconds": run.times,
            "mpx_per_s": size * size / run.seconds / 1e6, "values": run.result,
            "peak_mib": run.peak_mib, "peak_includes_input": run.peak_includes_input,
            "load_before": run.load_before, "code": code}


# -- comparing and the table ----------------------------------------------------------------------
def max_relative_difference(got: dict[str, float], expected: dict[str, float]) -> float:
    """Largest ``|got - expected| / |expected|`` over the metrics; inf when NaNs disagree."""
    worst = 0.0
    for name, value in expected.items():
        mine = got[name]
        if math.isnan(value) or math.isnan(mine):
            if not (math.isnan(value) and math.isnan(mine)):
                return math.inf
            continue
        scale = abs(value) if value != 0 else 1.0
        worst = max(worst, abs(mine - value) / scale)
    return worst


def annotate(rows: list[dict], tolerance: float) -> None:
    """Add ``x_pylandstats``, ``max_rel_diff`` and ``equal`` to the geoquant rows."""
    reference = {(r["size"], r["mask"], r["comparison"]): r for r in rows
                 if r["contender"] == "pylandstats" and "skipped" not in r}
    for r in rows:
        ref = reference.get((r["size"], r["mask"], r["comparison"]))
        if r["contender"] != "geoquant" or "skipped" in r or ref is None:
            continue
        r["x_pylandstats"] = ref["seconds"] / r["seconds"]
        r["max_rel_diff"] = max_relative_difference(r["values"], ref["values"])
        r["equal"] = r["max_rel_diff"] <= tolerance


def table(rows: list[dict]) -> str:
    body = []
    for r in rows:
        head = [f"{r['size']}²", r["mask"], r["comparison"], r["contender"]]
        if "skipped" in r:
            body.append(head + [f"skipped: {r['skipped']}"] + [""] * 7)
            continue
        if r["contender"] == "pylandstats":
            ratio, diff = "1.00", "reference"
        elif "x_pylandstats" in r:
            ratio = f"{r['x_pylandstats']:.2f}"
            diff = f"{r['max_rel_diff']:.1e}" + ("" if r["equal"] else " (NOT equal)")
        else:
            ratio, diff = "n/a", "n/a (no reference)"
        patches = int(r["values"]["number_of_patches"])
        body.append(head + [f"{r['seconds']:.3f}", len(r["all_seconds"]),
                            f"{r['mpx_per_s']:.1f}", ratio, patches, diff,
                            f"{r['peak_mib']:.0f}", f"{r['load_before'][0]:.2f}"])
    return markdown(["size", "mask", "metrics", "contender", "time (s)", "runs", "Mpx/s",
                     "x pylandstats", "patches", "max rel diff", "peak memory (MiB)",
                     "load 1 min"], body, "rlllrrrrrlrr")


def target_summary(rows: list[dict], target: float) -> str:
    parts = []
    for r in rows:
        if r["contender"] == "geoquant" and "x_pylandstats" in r:
            met = r["x_pylandstats"] >= target and r["equal"]
            parts.append(f"{r['mask']} {r['comparison']} {r['size']}²: "
                         f"{r['x_pylandstats']:.2f}x, {'equal' if r['equal'] else 'NOT equal'} "
                         f"({'met' if met else 'missed'})")
    return f"* geoquant >= {target:g}x pylandstats with equal values: " + "; ".join(parts)


def connectance_scaling(sizes: list[int], seed: int, mask_name: str, threshold_m: float,
                        repeat: int) -> int:
    """Time ``fragmentation(neighbours=True)`` with and without ``connectance_m`` (best of
    ``repeat``, both on all cores) and print the ratio per size: connectance should cost a
    constant factor, whatever the size."""
    import time

    import dask

    import geoquant as gq

    info = machine("geoquant")
    print(f"fragmentation with/without connectance_m={threshold_m:g}, {mask_name}, best of "
          f"{repeat}. {describe(info)}\n")
    print("| size | patches | without (s) | with (s) | with / without | connectance (%) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory(prefix="gq-bench-connectance-") as folder, \
            dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        for size in sorted(sizes):
            scene = cached_landcover(size, seed, Path(folder))
            mask = as_dataarray(np.load(scene) == MASKS[mask_name])
            gq.ops.fragmentation(mask[:256, :256], connectance_m=threshold_m)  # warm up
            best = {}
            for _ in range(repeat):
                for name, option in (("without", None), ("with", threshold_m)):
                    started = time.perf_counter()
                    got = gq.ops.fragmentation(mask, connectance_m=option)
                    best[name] = min(best.get(name, math.inf), time.perf_counter() - started)
            print(f"| {size}² | {got['number_of_patches']} | {best['without']:.2f} | "
                  f"{best['with']:.2f} | {best['with'] / best['without']:.2f} | "
                  f"{got['connectance']:.4f} |", flush=True)
            scene.unlink()
    print(f"\nload at end: {load()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = contender_parser(__doc__.split("\n\n")[0], CONTENDERS, sizes=[1000, 4000, 8000])
    parser.add_argument("--masks", nargs="+", choices=list(MASKS), default=["forest"])
    parser.add_argument("--comparisons", nargs="+", choices=COMPARISONS,
                        default=list(COMPARISONS))
    parser.add_argument("--slow", type=float, default=30.0,
                        help="run only once when the first run takes longer (seconds)")
    parser.add_argument("--pylandstats-budget", type=float, default=180.0,
                        help="skip pylandstats at a size predicted to take longer (s/run)")
    parser.add_argument("--tolerance", type=float, default=1e-9,
                        help="largest relative difference counted as equal")
    parser.add_argument("--target", type=float, default=3.0,
                        help="speed target of geoquant, times pylandstats'")
    parser.add_argument("--connectance-m", type=float, default=None,
                        help="instead: time geoquant (neighbours=True) with and without this "
                             "connectance threshold (m) at each size, in this process")
    args = parser.parse_args(argv)

    if args.connectance_m is not None and not args.worker:
        return connectance_scaling(args.sizes, args.seed, args.masks[0], args.connectance_m,
                                   args.repeat)
    if args.worker:
        print(json.dumps(worker(args.worker, args.comparisons[0], args.masks[0], args.sizes[0],
                                args.scene, args.repeat, args.slow)))
        return 0

    info = machine("pylandstats")
    rows: list[dict] = []
    history: dict[tuple[str, str], list[tuple[int, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="gq-bench-fragmentation-") as folder:
        for size in sorted(args.sizes):
            scene = cached_landcover(size, args.seed, Path(folder))
            for mask_name in args.masks:
                for comparison in args.comparisons:
                    past = history.setdefault((mask_name, comparison), [])
                    for contender in args.contenders:
                        key = {"contender": contender, "comparison": comparison,
                               "mask": mask_name, "size": size}
                        if contender == "pylandstats" and (why := over_budget(
                                past, size, args.pylandstats_budget, power_law=True)):
                            row = key | {"skipped": why}
                        else:
                            row = key | run_worker(__file__, [
                                "--worker", contender, "--comparisons", comparison,
                                "--masks", mask_name, "--sizes", str(size),
                                "--scene", str(scene), "--repeat", str(args.repeat),
                                "--slow", str(args.slow)], args.timeout)
                            if contender == "pylandstats" and "skipped" not in row:
                                past.append((size, row["seconds"]))
                        rows.append(row)
                        progress(f"{contender} {mask_name} {comparison} {size}", row)
            scene.unlink()

    annotate(rows, args.tolerance)
    info["load_at_end"] = load()
    print(f"\nClass fragmentation metrics, 8-connectivity, best of {args.repeat}. "
          f"{describe(info)}\n")
    print(table(rows))
    print()
    print(target_summary(rows, args.target))
    if warning := check_fingerprints(rows):
        print(warning)
    write_json(args.json, {"machine": info, "repeat": args.repeat,
                           "tolerance": args.tolerance, "results": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
