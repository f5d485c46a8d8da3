"""Answers from imagery: the question set scored on geoquant's own masks, before and after.

    .venv/bin/python benchmarks/imagery.py            # prints the tables (about 3 minutes)
    .venv/bin/python benchmarks/imagery.py --json out.json

Three ways of answering the 45 imagery questions of ``benchmarks/questions/questions.jsonl``
(37 over Slovenia, 8 over the Camargue SAR scene):

1. **fixed rules**: ``spectral_rules(adaptive=False)`` on the L1C composite, Otsu SAR water;
2. **adaptive rules**: today's default (thresholds from the region's histograms);
3. **temporal classifier, spatial hold-out**: :func:`geoquant.segment.cross_predict` over the
   68-date Slovenia NDVI series (clear views only) with the land-cover reference as labels, in
   4 folds of 32-px blocks with a 2-px buffer: every pixel's class comes from a model that
   never saw its block. Variants: the NDVI series alone or with the band statistics (median,
   q10, q90) of the five full-band L1C scenes at their dates; every pixel weighing the same or
   each class (``class_weight="balanced"``); with and without averaging the probabilities
   over 3x3 pixels (``smooth_px=1``); with balanced weights, also with spatial context
   features (``FeatureSpec(context_px=1)``: 3x3 window mean, spread and departure of the main
   features). The out-of-fold class map is then questioned like any labelled map (the
   Camargue questions keep SAR water).

Per-class IoU against the reference is printed for each. Truth and ranges are the question
set's own (computed from the reference with scipy, see ``benchmarks/questions/build.py``).

Models trained with ``geoquant train --legend`` and scored on ground they never saw (Dubai
aerial tiles, Zion's Landsat scene, Sen1Floods11 events; issue 29) are measured by
``benchmarks/imagery_heldout.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "benchmarks" / "questions" / "questions.jsonl"
DATA = ROOT.parent / "shared" / "data"
LEGEND = {1: "cropland", 2: "forest", 3: "grassland", 4: "shrubland", 5: "built-up"}
SMOOTH_PX = (0, 1)
FEATURES = ("ndvi", "ndvi+bands")
CLASS_WEIGHTS = (None, "balanced")
CONTEXT_PX = (0, 1)
REFERENCE_CODES = {"cropland": 1, "forest": 2, "grass": 3, "grassland": 3, "shrubland": 4,
                   "built-up": 8}


def _records() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]


def _score(records: list[dict], folder: Path, use: str, name: str) -> tuple[int, list]:
    from geoquant.reason import evaluate

    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = evaluate(path, use=use, images=folder)
    return sum(o.correct for o in report.outcomes), list(report.outcomes)


def _rules_iou(adaptive: bool) -> dict[str, float]:
    """IoU of the rules' forest and built-up against the reference (the classes they make)."""
    import geoquant as gq
    from geoquant.testing.real import slovenia_reference, slovenia_scenes

    scenes = slovenia_scenes(DATA).median("time")
    ref = slovenia_reference(DATA).values
    seg = gq.segment.apply(scenes, gq.segment.spectral_rules(adaptive=adaptive)).compute()
    classes = list(seg["probability"].coords["class"].values)
    out = {}
    for word in ("forest", "built-up"):
        mask = seg["label"].values == classes.index(word) + 1
        truth = ref == REFERENCE_CODES[word]
        valid = ref > 0
        out[word] = float((mask & truth & valid).sum() / ((mask | truth) & valid).sum())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if not DATA.exists():
        print(f"needs the shared data at {DATA}", file=sys.stderr)
        return 1
    import geoquant as gq
    from geoquant.segment import FeatureSpec
    from geoquant.testing.real import slovenia_ndvi_series, slovenia_reference

    records = [r for r in _records() if r.get("imagery")]
    slovenia = [r for r in records if r["imagery"] == "slovenia-s2-l1c"]
    camargue = [r for r in records if r["imagery"] == "camargue-s1"]
    figures: dict = {"questions": len(records), "slovenia": len(slovenia),
                     "camargue": len(camargue)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        adaptive, outcomes = _score(records, folder, "imagery", "adaptive")
        camargue_ok = sum(o.correct for o in outcomes if o.record.imagery == "camargue-s1")
        figures["adaptive_rules"] = adaptive
        figures["camargue_sar"] = camargue_ok

        cube, clear = slovenia_ndvi_series(DATA, with_scenes=True)
        bands = tuple(str(b) for b in cube.band.values[1:])
        reference = slovenia_reference(DATA)
        variants = [(f, w, s, c) for c in CONTEXT_PX for f in FEATURES for w in CLASS_WEIGHTS
                    for s in SMOOTH_PX if not c or w == "balanced"]
        for features, weight, smooth, context in variants:
            spec = FeatureSpec(("ndvi",), bands if features == "ndvi+bands" else (),
                               context_px=context)
            key = (f"{features}{f'+context{context}' if context else ''}/"
                   f"{weight or 'pixels'}/smooth{smooth}")
            classes, report = gq.segment.cross_predict(
                cube, reference, legend="slovenia-lulc", clear=clear, spec=spec,
                smooth_px=smooth, class_weight=weight)
            words = report["classes"]
            legend = {i + 1: ("grassland" if w == "grass" else w)
                      for i, w in enumerate(words)}
            tif = f"out-of-fold-{len(figures)}.tif"
            classes.rio.to_raster(folder / tif)
            held_out = [{**r, "image": tif, "product": legend, "imagery": None,
                         "mask": None} for r in slovenia]
            oof, oof_outcomes = _score(held_out, folder, "labels", tif[:-4])
            figures[key] = {
                "slovenia": oof, "total": oof + camargue_ok, "iou": report["iou"],
                "accuracy": report["accuracy"],
                "misses": [(o.record.id, o.value, o.record.answer)
                           for o in oof_outcomes if not o.correct]}
        figures["rules_iou_fixed"] = _rules_iou(False)
        figures["rules_iou_adaptive"] = _rules_iou(True)

    n = figures["questions"]
    print(f"| answers from | inside their range ({n} imagery questions) |")
    print("| --- | --- |")
    print(f"| adaptive rules (default) | {adaptive}/{n} = {100 * adaptive / n:.1f} % "
          f"(Camargue SAR {camargue_ok}/{len(camargue)}) |")
    runs = [k for k in figures if k.count("/") == 2]
    for key in runs:
        got = figures[key]
        print(f"| temporal classifier {key} (+ SAR water) | {got['total']}/{n} = "
              f"{100 * got['total'] / n:.1f} % (Slovenia {got['slovenia']}/{len(slovenia)}) |")
    print()
    print("| class | rules fixed IoU | rules adaptive IoU | "
          + " | ".join(runs) + " |")
    print("| --- | --- | --- |" + " --- |" * len(runs))
    for i, word in enumerate(words):
        fixed = figures["rules_iou_fixed"].get(word)
        adapt = figures["rules_iou_adaptive"].get(word)
        cells = " | ".join(f"{figures[k]['iou'][word]:.2f}" for k in runs)
        print(f"| {legend[i + 1]} | {'-' if fixed is None else f'{fixed:.2f}'} | "
              f"{'-' if adapt is None else f'{adapt:.2f}'} | {cells} |")
    print()
    for key in runs:
        print(f"{key}: out-of-fold accuracy {figures[key]['accuracy']:.3f}; missed "
              f"{len(figures[key]['misses'])}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
