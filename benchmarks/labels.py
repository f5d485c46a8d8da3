"""Connected-component labelling: geoquant against scipy.ndimage, cc3d and dask-image.

    python benchmarks/labels.py --sizes 2000 8000 20000 [--json results.json]

Every contender gets the same in-memory (NumPy) boolean mask of a synthetic scene
(``geoquant.synth.landcover``, 10 m pixels), 8-connectivity, for two masks:

* ``forest`` (class 2): about 30 % of the pixels in large blobs, a few thousand objects per
  8000 x 8000, many crossing tile borders;
* ``buildings`` (class 6): about 1.7 % of the pixels in tens of thousands of small rectangles.

Contenders:

* ``scipy``: ``scipy.ndimage.label`` with a 3 x 3 structure on the whole array (one core),
  the reference;
* ``geoquant-label``: ``geoquant.ops.label(...).values``, the full labels as one NumPy array
  (int32 while the objects fit, as scipy's), with dask's threaded scheduler on all cores
  (NumPy input is split into full-width row bands, ``ops._mask.memory_tiles``); its ids
  follow scipy's raster order, so the labels must be identical (``numpy.array_equal``);
* ``geoquant-count``: ``geoquant.ops.count``, the same object pass without the per-pixel
  output (no relabel pass, no label array); must equal scipy's number of objects;
* ``cc3d-label``: ``cc3d.connected_components(mask, connectivity=8)`` (seung-lab's
  connected-components-3d, one core; it picks the smallest unsigned dtype that holds its
  provisional labels); its numbering is checked to be scipy's, or the same objects with
  other ids;
* ``cc3d-count``: the same call with ``return_N=True``, the count taken from it (cc3d has no
  count-only pass, so it still writes the labels); must equal scipy's number of objects;
* ``dask-image``: ``dask_image.ndmeasure.label`` on a dask array chunked 2048 x 2048,
  labels and count computed together; its numbering differs, so only the count is compared.
  Skipped at a size the earlier sizes predict to take longer than ``--dask-image-budget``
  (a power law of the pixel count through the last two sizes: dask-image is super-linear,
  a linear extrapolation from 8000² predicted 43 s at 20000² where it took 246 s).

Each contender runs in its own process (so peak memory is its own), first on a small mask to
compile numba kernels and import everything, then ``--repeat`` times (once when a run takes
longer than ``--slow``); the table shows the best time, its ratio to scipy's (``x scipy``)
and to cc3d's (``x cc3d``: against ``cc3d-count`` for count rows, ``cc3d-label`` for the
others). The scene is generated once per size and shared through a temporary ``.npy``
file. Peak memory is the growth of the process's peak resident set over what it held before
the runs (input and libraries included in the base); see ``_common.py``. The 1-minute load
average is recorded before each contender's runs.

``--suite`` measures the margins on other inputs (issue 33 item 4): for each input of
``_common.SUITE`` (sparse sites, dense noise, one huge object, roads, and this benchmark's
``forest``) one worker process runs ``geoquant-count``, ``cc3d-count``, ``geoquant-label`` and
``cc3d-label`` **interleaved**, ``--repeat`` rounds, best of each (cc3d's time is the faster of
its two calls, which do the same work), and checks the counts against
scipy's and geoquant's labels against scipy's (identical). Beside the times it measures what
touching the pixels alone costs on the same array (``_common.memory_floors``: a count of the
mask, and the mask cast into a fresh int32 array, the least a labeller can write), so that an
input that misses its goal (``count`` >= 3x cc3d, ``label`` >= 2x cc3d) shows how far it is
from memory traffic. The load average is recorded with each input.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    MASKS,
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

CONTENDERS = ("scipy", "geoquant-label", "geoquant-count", "cc3d-label", "cc3d-count",
              "dask-image")
LABELS = ("geoquant-label", "cc3d-label")  # contenders whose labels are compared with scipy's
TILE = 2048
STRUCTURE = np.ones((3, 3), bool)


# -- contenders: each returns (labels or None, number of objects) ---------------------------------
def run_scipy(mask: np.ndarray) -> tuple[np.ndarray, int]:
    from scipy import ndimage

    labels, n = ndimage.label(mask, structure=STRUCTURE)
    return labels, int(n)


def run_geoquant_label(mask: np.ndarray) -> tuple[np.ndarray, None]:
    import dask

    import geoquant as gq

    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        return np.asarray(gq.ops.label(as_dataarray(mask), connectivity=8).values), None


def run_geoquant_count(mask: np.ndarray) -> tuple[None, int]:
    import dask

    import geoquant as gq

    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        return None, int(gq.ops.count(as_dataarray(mask), connectivity=8))


def run_cc3d_label(mask: np.ndarray) -> tuple[np.ndarray, None]:
    import cc3d

    return cc3d.connected_components(mask, connectivity=8), None


def run_cc3d_count(mask: np.ndarray) -> tuple[None, int]:
    import cc3d

    _, n = cc3d.connected_components(mask, connectivity=8, return_N=True)
    return None, int(n)


def run_dask_image(mask: np.ndarray) -> tuple[np.ndarray, int]:
    import dask
    import dask.array as da
    from dask_image import ndmeasure

    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        labels, n = ndmeasure.label(da.from_array(mask, chunks=TILE), structure=STRUCTURE)
        labels, n = dask.compute(labels, n)
    return np.asarray(labels), int(n)


RUNNERS = {"scipy": run_scipy, "geoquant-label": run_geoquant_label,
           "geoquant-count": run_geoquant_count, "cc3d-label": run_cc3d_label,
           "cc3d-count": run_cc3d_count, "dask-image": run_dask_image}


def same_objects(labels: np.ndarray, reference: np.ndarray, n: int) -> str:
    """How ``labels`` agree with scipy's ``reference`` (``n`` objects)."""
    if np.array_equal(labels, reference):
        return "identical labels" if labels.dtype == reference.dtype else "identical ids"
    # The same partition with other ids: one id per scipy object, never shared.
    ids = np.zeros(n + 1, np.int64)
    ids[reference] = labels
    if (ids[0] == 0 and np.unique(ids[1:]).size == n
            and np.array_equal(ids[reference], labels)):
        return "same objects, other ids"
    return "DIFFERENT"


# -- one contender in this process ----------------------------------------------------------------
def worker(contender: str, mask_name: str, size: int, scene: Path, repeat: int,
           slow_s: float) -> dict:
    code = code_fingerprint()
    mask = np.load(scene) == MASKS[mask_name]
    run = measure(RUNNERS[contender], mask, repeat, slow_s)
    labels, n = run.result

    dtype = None if labels is None else str(labels.dtype)
    if contender == "scipy":
        objects, agrees = n, "reference"
    else:
        reference, expected = run_scipy(mask)
        if contender in LABELS:
            objects = int(labels.max())
            agrees = same_objects(labels, reference, expected)
        else:
            objects = n
            agrees = "same count" if n == expected else f"DIFFERENT (scipy {expected})"
    return {"contender": contender, "mask": mask_name, "size": size, "seconds": run.seconds,
            "all_seconds": run.times, "mpx_per_s": size * size / run.seconds / 1e6,
            "objects": objects, "agrees": agrees, "peak_mib": run.peak_mib,
            "peak_includes_input": run.peak_includes_input,
            "object_fraction": float(mask.mean()), "output_dtype": dtype,
            "load_before": run.load_before, "code": code}


# -- the table ------------------------------------------------------------------------------------
def ratio_to(rows: list[dict], reference: Callable[[dict], str]) -> Callable[[dict], float]:
    """A measured row's throughput over that of ``reference(row)`` at its size and mask (NaN
    when that contender has no measured row there)."""
    speed = {(r["contender"], r["size"], r["mask"]): r["mpx_per_s"] for r in rows
             if "skipped" not in r}
    return lambda r: r["mpx_per_s"] / speed.get((reference(r), r["size"], r["mask"]),
                                                float("nan"))


def x_scipy(rows: list[dict]) -> Callable[[dict], float]:
    """A measured row's throughput over scipy's at its size and mask (NaN without scipy's)."""
    return ratio_to(rows, lambda r: "scipy")


def x_cc3d(rows: list[dict]) -> Callable[[dict], float]:
    """A measured row's throughput over cc3d's: ``cc3d-count`` for count rows, else
    ``cc3d-label``."""
    return ratio_to(rows, lambda r: "cc3d-count" if r["contender"].endswith("-count")
                    else "cc3d-label")


def table(rows: list[dict]) -> str:
    of_scipy, of_cc3d = x_scipy(rows), x_cc3d(rows)
    body = []
    for r in rows:
        head = [f"{r['size']}²", r["mask"], r["contender"]]
        if "skipped" in r:
            body.append(head + [f"skipped: {r['skipped']}"] + [""] * 9)
            continue
        body.append(head + [f"{r['seconds']:.3f}", len(r["all_seconds"]),
                            f"{r['mpx_per_s']:.1f}", f"{of_scipy(r):.2f}", f"{of_cc3d(r):.2f}",
                            r["objects"], r["agrees"], r["output_dtype"] or "",
                            f"{r['peak_mib']:.0f}", f"{r['load_before'][0]:.2f}"])
    return markdown(["size", "mask", "contender", "time (s)", "runs", "Mpx/s", "x scipy",
                     "x cc3d", "objects", "vs scipy", "labels dtype", "peak memory (MiB)",
                     "load 1 min"], body, "rllrrrrrrllrr")


def target_summary(rows: list[dict], target: float) -> str:
    """One line per geoquant contender: at which size/mask it reached ``target`` x scipy,
    and its ratio to cc3d."""
    of_scipy, of_cc3d = x_scipy(rows), x_cc3d(rows)
    lines = []
    for contender in ("geoquant-label", "geoquant-count"):
        parts = []
        for r in rows:
            if r["contender"] != contender or "skipped" in r:
                continue
            ratio = of_scipy(r)
            parts.append(f"{r['mask']} {r['size']}²: {ratio:.2f}x "
                         f"({'met' if ratio >= target else 'missed'}; {of_cc3d(r):.2f}x cc3d)")
        if parts:
            lines.append(f"* {contender} >= {target:g}x scipy: " + "; ".join(parts))
    return "\n".join(lines)


# -- margins on a suite of inputs (issue 33 item 4) -----------------------------------------------
SUITE_CONTENDERS = ("geoquant-count", "cc3d-count", "geoquant-label", "cc3d-label")
SUITE_GOALS = {"count": 3.0, "label": 2.0}  # geoquant over cc3d, throughput


def suite_worker(name: str, size: int, scene: Path, repeat: int, seed: int) -> dict:
    """One input of the suite in this process: the contenders interleaved, checked against
    scipy, and the memory floors of the same array."""
    load_before = load()
    classes = np.load(scene) if name in ("roads", "landcover") else None
    mask = suite_mask(name, size, seed, classes, [MASKS["forest"]])
    del classes
    runs = interleaved({c: RUNNERS[c] for c in SUITE_CONTENDERS}, mask, repeat)
    reference, expected = run_scipy(mask)
    checks = {c: (same_objects(runs[c].result[0], reference, expected)
                  if c.endswith("-label") else
                  "same count" if runs[c].result[1] == expected else f"DIFFERENT ({expected})")
              for c in SUITE_CONTENDERS}
    del reference
    for run in runs.values():
        run.result = None
    floors = memory_floors(mask, np.int32, repeat)
    n_runs = int(np.count_nonzero(mask[:, 0]) + np.count_nonzero(mask[:, 1:] & ~mask[:, :-1]))
    return {"input": name, "size": size, "objects": expected, "runs": n_runs,
            "object_fraction": float(mask.mean()), "agrees": checks,
            **suite_record(runs, floors, load_before)}


def suite_table(rows: list[dict]) -> str:
    """One line per input: times, ratios to cc3d against the goals, and the floors."""
    body = []
    for r in rows:
        if "skipped" in r:
            body.append([f"{r['size']}²", r["input"], f"skipped: {r['skipped']}"] + [""] * 12)
            continue
        t, px = r["seconds"], r["size"] ** 2
        floor, cores = floor_cells(r)
        # cc3d's two calls do the same work (labels and N): the faster is cc3d's time
        cc3d = min(t["cc3d-count"], t["cc3d-label"])
        ratio = {op: cc3d / t[f"geoquant-{op}"] for op in SUITE_GOALS}
        marks = {op: "met" if ratio[op] >= goal else "**missed**"
                 for op, goal in SUITE_GOALS.items()}
        agrees = "yes" if all(not a.startswith("DIFFERENT") for a in r["agrees"].values()) \
            else "NO"
        body.append([f"{r['size']}²", r["input"], f"{r['object_fraction']:.3f}", r["objects"],
                     f"{t['geoquant-count'] * 1e3:.1f}", f"{t['cc3d-count'] * 1e3:.1f}",
                     f"{ratio['count']:.2f} ({marks['count']})",
                     f"{t['geoquant-label'] * 1e3:.1f}", f"{t['cc3d-label'] * 1e3:.1f}",
                     f"{ratio['label']:.2f} ({marks['label']})",
                     f"{t['geoquant-label'] / px * 1e9:.2f} / {t['geoquant-count'] / px * 1e9:.2f}",
                     f"{r['runs'] / px:.3f}" if "runs" in r else "",
                     f"{floor[f'write_{cores}t']:.2f} / {floor[f'read_{cores}t']:.2f}",
                     agrees, f"{r['load_before'][0]:.2f}-{r['load_after'][0]:.2f}"])
    return markdown(["size", "input", "object share", "objects", "gq count (ms)",
                     "cc3d count (ms)", "count x cc3d (goal 3)", "gq label (ms)",
                     "cc3d label (ms)", "label x cc3d (goal 2)",
                     "gq label / count (ns/px)", "runs per px",
                     "floor write int32 / read (ns/px, all cores)",
                     "= scipy", "load 1 min"], body, "rlrrrrlrrlrrrlr")


def run_suite(args: Any) -> int:
    """Every input of ``args.inputs`` at every size, one worker process per input."""
    info = machine("connected-components-3d")
    rows = run_suite_workers(__file__, args)
    info["load_at_end"] = load()
    print(f"\nLabelling margins per input, 8-connectivity, contenders interleaved in one "
          f"process per input, best of {args.repeat}. {describe(info)}\n")
    print(suite_table(rows))
    if warning := check_fingerprints(rows):
        print(warning)
    write_json(args.json, {"machine": info, "repeat": args.repeat, "suite": rows})
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = contender_parser(__doc__.split("\n\n")[0], CONTENDERS, sizes=[2000, 8000, 20000])
    parser.add_argument("--masks", nargs="+", choices=list(MASKS), default=list(MASKS))
    parser.add_argument("--slow", type=float, default=30.0,
                        help="run only once when the first run takes longer (seconds)")
    parser.add_argument("--dask-image-budget", type=float, default=120.0,
                        help="skip dask-image at a size predicted to take longer (seconds/run)")
    parser.add_argument("--target", type=float, default=2.0,
                        help="throughput target of geoquant, times scipy's")
    parser.add_argument("--suite", action="store_true",
                        help="margins against cc3d on the input suite (sparse, noise, huge, "
                             "roads, landcover), contenders interleaved")
    parser.add_argument("--inputs", nargs="+", choices=SUITE, default=list(SUITE),
                        help="inputs of --suite")
    parser.add_argument("--suite-input", choices=SUITE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.suite_input:
        print(json.dumps(suite_worker(args.suite_input, args.sizes[0], args.scene, args.repeat,
                                      args.seed)))
        return 0
    if args.suite:
        return run_suite(args)
    if args.worker:
        print(json.dumps(worker(args.worker, args.masks[0], args.sizes[0], args.scene,
                                args.repeat, args.slow)))
        return 0

    info = machine("dask-image", "connected-components-3d")
    rows: list[dict] = []
    history: dict[str, list[tuple[int, float]]] = {name: [] for name in args.masks}
    with tempfile.TemporaryDirectory(prefix="gq-bench-labels-") as folder:
        for size in sorted(args.sizes):
            scene = cached_landcover(size, args.seed, Path(folder))
            for mask_name in args.masks:
                for contender in args.contenders:
                    key: dict[str, Any] = {"contender": contender, "mask": mask_name,
                                           "size": size}
                    if contender == "dask-image" and (why := over_budget(
                            history[mask_name], size, args.dask_image_budget, power_law=True)):
                        row = key | {"skipped": why}
                    else:
                        row = key | run_worker(__file__, [
                            "--worker", contender, "--masks", mask_name, "--sizes", str(size),
                            "--scene", str(scene), "--repeat", str(args.repeat),
                            "--slow", str(args.slow)], args.timeout)
                        if contender == "dask-image" and "skipped" not in row:
                            history[mask_name].append((size, row["seconds"]))
                    rows.append(row)
                    progress(f"{contender} {mask_name} {size}", row)
            scene.unlink()

    info["load_at_end"] = load()
    print(f"\nConnected-component labelling, 8-connectivity, best of {args.repeat}. "
          f"{describe(info)}\n")
    print(table(rows))
    print()
    print(target_summary(rows, args.target))
    if warning := check_fingerprints(rows):
        print(warning)
    write_json(args.json, {"machine": info, "repeat": args.repeat, "results": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
