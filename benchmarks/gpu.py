"""GPU tile workers on one device: geoquant's CuPy/numba.cuda path against cupyx and the CPU path.

    python benchmarks/gpu.py --sizes 4096 8192 16384 32768 --json benchmarks/results/gpu.json
    python benchmarks/gpu.py --simulate      # plumbing check without a GPU (CUDA simulator)

Device-resident throughput (Gpx/s: the mask is on the GPU before the clock starts, the
answer is complete, synchronised, when it stops) for, at every size:

* ``label``: ``geoquant.ops.label`` on a CuPy DataArray (row bands, labels as one CuPy
  int32 array, ids in scipy's raster order); the kernel alone on the whole array as one tile
  (``kernels.cuda_label.label_tile``); ``cupyx.scipy.ndimage.label`` (int32 labels); and the
  CPU path (``geoquant.ops.label`` on NumPy, all cores) up to ``--cpu-up-to``. Counts must agree.
* ``distance``: ``geoquant.ops.distance`` (exact, float64 metres, one CuPy array) against
  ``cupyx.scipy.ndimage.distance_transform_edt`` (float64) and the CPU path; the maximum
  difference must be within rounding.
* ``fragmentation``: ``geoquant.ops.fragmentation(neighbours=False)`` on CuPy against the
  CPU path.
* ``segment``: the default ConvNeXt-UNet (small, untrained weights: speed does not depend on
  them) on 512² tiles, batched, at fp32 and bf16.
* ``end-to-end``: a 4-band reflectance cube in device memory, segmented with the NDVI rule,
  then area and object count of the vegetation mask: km² per second at 10 m pixels.

Two masks per size, both made on the device from seeded noise: ``blobs`` (a 9 x 9 box filter
of uniform noise above 0.5: large winding objects across tiles) and ``speckle`` (30 % of the
pixels at random: millions of tiny objects, the adversarial case for labelling).

What limits each kernel is read against the device's measured copy bandwidth (a
device-to-device ``cupy`` copy of 4 GiB, bytes read plus written): each row reports the
bandwidth the contender would need if it moved only its minimum traffic (``bytes_per_px``,
stated per contender) as a share of the copy bandwidth. A share near 1 means memory-bound; far
below it, the kernel is limited by latency, atomics or arithmetic.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

SIZES = (4096, 8192, 16384, 32768)
RESOLUTION = 10.0

# Minimum traffic per pixel (bytes): mask read (1), output written, the kernel's own state.
BYTES_PER_PX = {
    "label": 1 + 8 + 4 * 3,  # mask, int64 ids, int32 parents written, read and rewritten
    "label-kernel": 1 + 4 * 4,  # mask, parents (init, merge, flatten) and int32 local labels
    "cupyx-label": 1 + 4 * 2,
    # mask read twice; f written twice (border sites, write-back) and read twice; distances
    # written (the per-row envelope stacks come on top, as many entries as sites)
    "distance": 2 + 8 * 4 + 8,
    "cupyx-edt": 1 + 8 * 2,
    "fragmentation": 1 + 4 * 4,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--masks", nargs="+", default=["blobs", "speckle"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu-up-to", type=int, default=8192,
                        help="largest side the CPU path runs at (default 8192)")
    parser.add_argument("--segment-tiles", type=int, default=64)
    parser.add_argument("--simulate", action="store_true",
                        help="no GPU: NumPy tiles through the GPU kernels under numba's CUDA "
                             "simulator, at 48² (checks the plumbing and the answers only)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.simulate:
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
        args.sizes, args.repeat, args.segment_tiles = [48], 1, 2
    bench = Bench(simulate=args.simulate, repeat=args.repeat)
    rows: list[dict] = [bench.copy_bandwidth()]
    for size in args.sizes:
        for name in args.masks:
            rows += bench.operators(size, name, cpu=size <= args.cpu_up_to)
    rows += bench.segmentation(args.segment_tiles)
    rows += bench.end_to_end(min(args.sizes[-1], 16384))
    info = bench.machine()
    print(table(rows, info))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=1, default=str))
    bad = [r for r in rows if r.get("agrees") is False]
    for row in bad:
        print(f"DISAGREES: {row}", file=sys.stderr)
    return 1 if bad else 0


class Bench:
    """Timing on the device (or the simulator) with the array module of the run."""

    def __init__(self, *, simulate: bool, repeat: int) -> None:
        self.simulate = simulate
        self.repeat = repeat
        if simulate:
            self.xp = np
        else:
            import cupy

            if not cupy.cuda.is_available():
                raise SystemExit("no usable GPU (cupy.cuda.is_available() is False); "
                                 "run with --simulate to check the script without one")
            self.xp = cupy
        self.copy_gbps = float("nan")

    # -- timing ------------------------------------------------------------------------------
    def sync(self) -> None:
        if self.xp is not np:
            self.xp.cuda.Device().synchronize()

    def best(self, run: Callable[[], Any]) -> tuple[float, Any]:
        """Best wall time of ``repeat`` runs after one warm-up, synchronised; and the result."""
        result = run()
        self.sync()
        times = []
        for _ in range(self.repeat):
            self.sync()
            start = time.perf_counter()
            result = run()
            self.sync()
            times.append(time.perf_counter() - start)
        return min(times), result

    def gpu(self, run: Callable[[], Any]) -> Callable[[], Any]:
        """``run`` on device tiles: as it is on CuPy; when simulated, with the Dask option
        ``geoquant.kernels = "cuda"`` (NumPy tiles through the GPU kernels)."""
        if not self.simulate:
            return run

        def simulated() -> Any:
            import dask

            with dask.config.set({"geoquant.kernels": "cuda"}):
                return run()

        return simulated

    # -- inputs ------------------------------------------------------------------------------
    def mask(self, size: int, name: str) -> Any:
        xp = self.xp
        rng = xp.random.default_rng(0) if xp is not np else np.random.default_rng(0)
        noise = rng.random((size, size), dtype=np.float32)
        if name == "speckle":
            return noise < 0.3
        if xp is np:
            from scipy.ndimage import uniform_filter
        else:
            from cupyx.scipy.ndimage import uniform_filter
        return uniform_filter(noise, size=9) > 0.5

    def raster(self, values: Any) -> Any:
        from geoquant.testing.rasters import as_raster

        return as_raster(values, resolution=RESOLUTION)

    # -- measurements ------------------------------------------------------------------------
    def copy_bandwidth(self) -> dict:
        xp = self.xp
        n = (1 << 32) if xp is not np else (1 << 20)
        a = xp.ones(n, np.uint8)
        b = xp.empty_like(a)
        seconds, _ = self.best(lambda: b.__setitem__(slice(None), a))
        self.copy_gbps = 2 * n / seconds / 1e9
        return {"what": "copy", "contender": "device-to-device copy", "bytes": 2 * n,
                "seconds": seconds, "gbps": self.copy_gbps}

    def row(self, what: str, contender: str, size: int, mask: str, seconds: float,
            **extra: Any) -> dict:
        gpx_s = size * size / seconds / 1e9
        row = {"what": what, "contender": contender, "size": size, "mask": mask,
               "seconds": seconds, "gpx_s": gpx_s, **extra}
        per_px = BYTES_PER_PX.get(contender if contender in BYTES_PER_PX else what)
        if per_px and contender != "cpu":
            row["bytes_per_px"] = per_px
            row["share_of_copy_bandwidth"] = gpx_s * per_px / self.copy_gbps
        print(f"{what:14s} {contender:14s} {mask:8s} {size:6d}²  {seconds:8.4f} s  "
              f"{gpx_s:7.3f} Gpx/s", file=sys.stderr, flush=True)
        return row

    def operators(self, size: int, name: str, *, cpu: bool) -> list[dict]:
        import geoquant as gq
        from geoquant.ops.kernels._launch import to_host
        from geoquant.ops.kernels.cuda_label import label_tile

        xp = self.xp
        values = self.mask(size, name)
        raster = self.raster(values)
        host = to_host(values)
        host_raster = self.raster(host)
        rows = []
        seconds, labels = self.best(self.gpu(lambda: gq.ops.label(raster).data))
        n = int(labels.max())
        rows.append(self.row("label", "geoquant", size, name, seconds, objects=n))
        padded = xp.pad(values.astype(np.uint8), 1, constant_values=3)
        seconds, parts = self.best(self.gpu(lambda: label_tile(padded, True)))
        rows.append(self.row("label", "label-kernel", size, name, seconds, objects=parts.n,
                             agrees=parts.n == n))
        labels = parts = padded = None  # free device memory before the next contender
        if xp is not np:
            from cupyx.scipy.ndimage import distance_transform_edt
            from cupyx.scipy.ndimage import label as cupyx_label

            structure = xp.ones((3, 3), bool)
            seconds, (_, m) = self.best(lambda: cupyx_label(values, structure=structure))
            rows.append(self.row("label", "cupyx-label", size, name, seconds, objects=int(m),
                                 agrees=int(m) == n))
        if cpu:
            seconds, count = self.best(lambda: int(gq.ops.label(host_raster).values.max()))
            rows.append(self.row("label", "cpu", size, name, seconds, objects=count,
                                 agrees=count == n))
        seconds, dist = self.best(self.gpu(lambda: gq.ops.distance(raster).data))
        sampling = (RESOLUTION, RESOLUTION)
        if xp is np:
            from scipy.ndimage import distance_transform_edt as reference_edt

            reference = reference_edt(~values, sampling=sampling)
            seconds_ref = None
        else:
            seconds_ref, reference = self.best(
                lambda: distance_transform_edt(~values, sampling=sampling))
        worst = float(xp.max(xp.abs(dist - reference) / xp.maximum(reference, 1.0)))
        rows.append(self.row("distance", "geoquant", size, name, seconds, max_rel_diff=worst,
                             agrees=worst < 1e-9))
        if seconds_ref is not None:
            rows.append(self.row("distance", "cupyx-edt", size, name, seconds_ref))
        dist = reference = None
        if cpu:
            seconds, _ = self.best(lambda: gq.ops.distance(host_raster).data)
            rows.append(self.row("distance", "cpu", size, name, seconds))
        seconds, metrics = self.best(self.gpu(
            lambda: gq.ops.fragmentation(raster, neighbours=False)))
        rows.append(self.row("fragmentation", "geoquant", size, name, seconds,
                             patches=metrics.get("number_of_patches")))
        if cpu:
            seconds, on_cpu = self.best(
                lambda: gq.ops.fragmentation(host_raster, neighbours=False))
            same = all(np.isclose(metrics[k], v, rtol=1e-6, equal_nan=True)
                       for k, v in on_cpu.items() if isinstance(v, float | int))
            rows.append(self.row("fragmentation", "cpu", size, name, seconds, agrees=same))
        return rows

    def segmentation(self, tiles: int, side: int = 512) -> list[dict]:
        from geoquant.segment import convnext_unet

        if self.simulate:
            side = 64
        model = convnext_unet(["B02", "B03", "B04", "B08"], ["water", "forest", "cropland"],
                              size="small")
        device = "cpu" if self.simulate else "cuda"
        model.to(device)
        xp = self.xp
        batch = [xp.asarray(np.random.default_rng(i).random((4, side, side), np.float32))
                 for i in range(tiles)]
        rows = []
        for precision in ("fp32", "bf16"):
            def run(precision: str = precision) -> Any:
                if hasattr(model, "predict_batch"):
                    return model.predict_batch(batch, model.bands, precision=precision)
                return [model.predict(t, model.bands, precision=precision) for t in batch]

            seconds, _ = self.best(run)
            rows.append({"what": "segment", "contender": f"convnext-small-{precision}",
                         "tiles": tiles, "tile": side, "seconds": seconds,
                         "gpx_s": tiles * side * side / seconds / 1e9})
        return rows

    def end_to_end(self, size: int) -> list[dict]:
        import geoquant as gq
        from geoquant.testing.rasters import as_cube

        xp = self.xp
        rng = np.random.default_rng(1)
        cube = as_cube(xp.asarray(rng.random((4, size, size), np.float32)),
                       ["B02", "B03", "B04", "B08"], resolution=RESOLUTION)

        def answer() -> tuple[float, int]:
            red, nir = cube.sel(band="B04").data, cube.sel(band="B08").data
            ndvi = (nir - red) / (nir + red)
            vegetation = self.raster(ndvi > 0.3)
            return gq.ops.area(vegetation), gq.ops.count(vegetation)

        seconds, (area_m2, count) = self.best(self.gpu(answer))
        km2 = size * size * RESOLUTION**2 / 1e6
        return [{"what": "end-to-end", "contender": "ndvi+area+count", "size": size,
                 "seconds": seconds, "km2_s": km2 / seconds, "gpx_s": size * size / seconds / 1e9,
                 "area_m2": area_m2, "objects": count}]

    def machine(self) -> dict:
        import datetime as dt

        info: dict[str, Any] = {"date": dt.date.today().isoformat(), "simulated": self.simulate,
                                "cores": os.cpu_count()}
        if self.xp is not np:
            props = self.xp.cuda.runtime.getDeviceProperties(0)
            info["device"] = props["name"].decode()
            info["device_memory_gib"] = round(props["totalGlobalMem"] / 2**30, 1)
            info["cupy"] = self.xp.__version__
        import numba

        info["numba"] = numba.__version__
        return info


def table(rows: list[dict], info: dict) -> str:
    lines = [f"# GPU benchmarks, {info['date']}, {info.get('device', 'CUDA simulator')}", "",
             "| what | contender | mask | size | s | Gpx/s | share of copy bw | agrees |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(
            f"| {r['what']} | {r['contender']} | {r.get('mask', '')} | {r.get('size', '')} | "
            f"{r['seconds']:.4f} | {r.get('gpx_s', float('nan')):.3f} | "
            f"{r.get('share_of_copy_bandwidth', float('nan')):.2f} | {r.get('agrees', '')} |")
    copy = next(r for r in rows if r["what"] == "copy")
    lines.append("")
    lines.append(f"Copy bandwidth: {copy['gbps']:.0f} GB/s (bytes read + written).")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
