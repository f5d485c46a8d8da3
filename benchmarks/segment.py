"""Segmentation throughput: rule segmenters and both ConvNeXt-UNet sizes, tiles/s and Mpx/s.

    python benchmarks/segment.py [--rule-size 4096] [--model-size 1024] [--tile 512]
                                 [--device cpu|cuda] [--precision fp32 bf16 fp16]
                                 [--json results/segment.json]

Inputs are the optical (six Sentinel-2 bands) and SAR (VV, VH) variables of a synthetic scene
(``geoquant.synth.scene``), in memory. Each row is the best of ``--repeat`` runs after a warm-up.

Rule segmenters, ``--rule-size`` squared, 2048 px tiles:

* ``geoquant``: ``gq.segment.apply`` (lazy, dask threads) computed into NumPy probabilities;
* ``numpy``: what a user writes by hand: the same indices and hard thresholds on whole NumPy
  arrays (no probabilities, no nodata handling), the reference for the ratios;
* the SAR water rule includes its global Otsu histogram pass (``fit``), compared with
  ``skimage.filters.threshold_otsu`` plus a threshold on the whole array.

ConvNeXt-UNet (untrained weights: speed does not depend on them), ``--model-size`` squared:

* ``predict``: the model on one ``--tile`` squared tile, no overlap (raw model speed);
* ``apply``: ``gq.segment.apply`` with the default overlap, which makes the stitched result
  equal to whole-image inference, over 2 x 2 tiles of at least that overlap (tiles of
  ``max(--tile, overlap)``); its Mpx/s counts output pixels, so the overlap's extra work shows
  as the ratio to ``predict``'s Mpx/s.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import _common
import numpy as np

S2 = ("B02", "B03", "B04", "B08", "B11", "B12")


def best_of(run, repeat: int) -> float:
    run()  # warm-up (numba, torch kernels, dask)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def scene(size: int):
    import geoquant as gq

    ds = gq.synth.scene((size, size), seed=7, chunks=2048)
    optical = ds.optical.drop_vars("common_name").load()
    sar = ds.sar.rename(polarization="band").load()
    return optical, sar


def numpy_rules(values: np.ndarray) -> np.ndarray:
    blue, green, red, nir, swir16, _ = values
    with np.errstate(divide="ignore", invalid="ignore"):
        ndvi = (nir - red) / (nir + red)
        mndwi = (green - swir16) / (green + swir16)
        ndbi = (swir16 - nir) / (swir16 + nir)
        ndmi = -ndbi
        bsi = ((swir16 + red) - (nir + blue)) / ((swir16 + red) + (nir + blue))
    return np.stack([mndwi > 0, ndvi > 0.3, (ndvi > 0.6) & (ndmi > 0.3),
                     (ndbi > 0) & (ndvi < 0.3), (bsi > 0.1) & (ndvi < 0.2)])


def rule_rows(size: int, repeat: int) -> list[list]:
    import dask
    from skimage.filters import threshold_otsu

    import geoquant as gq

    optical, sar = scene(size)
    # Generated before timing: the product row measures segmentation, not the scene.
    codes = gq.synth.landcover((size, size), seed=7, chunks=2048).load().expand_dims(
        band=["lc"])
    mpx = size * size / 1e6
    tiles = (-(-size // 2048)) ** 2
    rows = []
    with dask.config.set(scheduler="threads"):
        cases = [
            ("spectral rules (5 classes)", lambda: gq.segment.apply(
                optical, gq.segment.spectral_rules()).probability.values,
             lambda: numpy_rules(optical.values)),
            ("SAR water (Otsu + rule)", lambda: gq.segment.apply(
                sar, gq.segment.SarWater()).probability.values,
             lambda: sar.values[0] < threshold_otsu(sar.values[0])),
            ("land-cover product (7 classes)", lambda: gq.segment.apply(
                codes, gq.segment.open_segmenter("geoquant-synth")).probability.values, None),
        ]
        for name, ours, baseline in cases:
            t_ours = best_of(ours, repeat)
            t_base = best_of(baseline, repeat) if baseline else None
            rows.append([f"{size}²", name, "geoquant", f"{t_ours:.3f}", f"{tiles / t_ours:.2f}",
                         f"{mpx / t_ours:.1f}",
                         f"{t_base / t_ours:.2f}" if t_base else "-"])
            if t_base:
                rows.append([f"{size}²", name, "numpy (hard thresholds)", f"{t_base:.3f}",
                             "-", f"{mpx / t_base:.1f}", "1.00"])
    return rows


def model_rows(size: int, tile: int, device: str, precisions: list[str],
               repeat: int) -> list[list]:
    import dask
    import torch

    import geoquant as gq

    optical, _ = scene(size)
    one = optical.values[:, :tile, :tile].astype(np.float32)
    if device == "cuda":
        import cupy

        one = cupy.asarray(one)
    rows = []
    for model_size in ("small", "base"):
        seg = gq.segment.convnext_unet(list(S2), ["water", "forest", "grass", "cropland",
                                                   "built-up"], size=model_size, seed=0)
        t_fp32 = float("nan")  # this model's, NaN until (or unless) fp32 has run
        for precision in precisions:
            def predict(seg=seg, precision=precision):
                out = seg.predict(one, list(S2), precision=precision)
                if device == "cuda":
                    torch.cuda.synchronize()
                return out

            t_tile = best_of(predict, repeat)
            if precision == "fp32":
                t_fp32 = t_tile
            rows.append([f"{tile}²", model_size, precision, "predict (one tile)",
                         f"{t_tile:.3f}", f"{1 / t_tile:.2f}", f"{tile * tile / 1e6 / t_tile:.2f}",
                         f"{t_fp32 / t_tile:.2f}"])
        if device == "cpu":
            # Tiles at least as large as the exact overlap, and a region of 2 x 2 of them, so
            # that every tile has cut edges and neighbours to blend with.
            overlap = gq.segment.default_overlap(seg)
            apply_tile = max(tile, overlap)
            region = optical if size >= 2 * apply_tile else scene(2 * apply_tile)[0]
            side = region.sizes["y"]
            with dask.config.set(scheduler="threads"):
                start = time.perf_counter()
                gq.segment.apply(region, seg, tile=apply_tile).probability.compute()
                t_apply = time.perf_counter() - start
            tiles = (-(-side // apply_tile)) ** 2
            px_fp32 = tile * tile / t_fp32
            mpx = side * side / 1e6
            rows.append([f"{side}²", model_size, "fp32",
                         f"apply (tile {apply_tile}, overlap {overlap})", f"{t_apply:.3f}",
                         f"{tiles / t_apply:.2f}", f"{mpx / t_apply:.2f}",
                         f"{mpx * 1e6 / t_apply / px_fp32:.2f}"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rule-size", type=int, default=4096)
    parser.add_argument("--model-size", type=int, default=1024)
    parser.add_argument("--tile", type=int, default=512)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--precision", nargs="+", default=["fp32", "bf16"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-rules", action="store_true")
    parser.add_argument("--skip-models", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    info = _common.machine("torch", "xarray", "scikit-image")
    print(_common.describe(info))
    payload = {"machine": info}
    if not args.skip_rules:
        rows = rule_rows(args.rule_size, args.repeat)
        payload["rules"] = rows
        print(_common.markdown(["size", "segmenter", "contender", "time (s)", "tiles/s",
                                "Mpx/s", "x numpy"], rows, "rllrrrr"))
    if args.skip_models:
        _common.write_json(args.json, payload)
        return
    rows = model_rows(args.model_size, args.tile, args.device, args.precision, args.repeat)
    payload["models"] = rows
    print(_common.markdown(["pixels", "model", "precision", "run", "time (s)", "tiles/s",
                            "Mpx/s", "Mpx/s x predict fp32"], rows, "rlllrrrr"))
    _common.write_json(args.json, payload)


if __name__ == "__main__":
    main()
