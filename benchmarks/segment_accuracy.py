"""Segmentation accuracy on real imagery: rules on Slovenia and Camargue, a trained ConvNeXt-UNet.

    python benchmarks/segment_accuracy.py [--train-steps 300] [--json results/segment_accuracy.json]

* Slovenia (Sentinel-2 L1C, 5 dates, 100 x 101 px at 10 m) against its land-cover reference
  (eo-learn codes: 1 cultivated, 2 forest, 3 grassland, 4 shrubland, 8 artificial):
  per-class IoU of the spectral rules for forest, vegetation (codes 1-4) and built-up, and the
  overall accuracy of their class map collapsed to forest / other vegetation / built-up /
  other. Needs ``../shared/data``.
* Camargue (Sentinel-1 VV, dB): the Otsu threshold, its separability and the water share.
* The ConvNeXt-UNet trained with ``geoquant.segment.train`` on the Slovenia scenes: per-class
  IoU and overall accuracy on held-out blocks, untrained vs trained.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import _common
import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
COLLAPSE = {"forest": 1, "vegetation": 2, "built-up": 3}   # everything else: 0 ("other")
REFERENCE = {2: 1, 1: 2, 3: 2, 4: 2, 8: 3}


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else float("nan")


def slovenia_rules() -> list[list]:
    import geoquant as gq
    from geoquant.testing.real import slovenia_reference, slovenia_scenes

    scenes, reference = slovenia_scenes(DATA), slovenia_reference(DATA).values
    valid = reference > 0
    truth = {"forest": reference == 2, "vegetation": np.isin(reference, (1, 2, 3, 4)),
             "built-up": reference == 8}
    ref_collapsed = np.vectorize(lambda c: REFERENCE.get(int(c), 0))(reference)
    rows = []
    for t in range(scenes.sizes["time"]):
        out = gq.segment.apply(scenes.isel(time=t), gq.segment.spectral_rules()).load()
        classes = out.label.attrs["classes"]
        ious = [_iou((gq.segment.class_mask(out, c).values == 1) & valid, want & valid)
                for c, want in truth.items()]
        label = out.label.values
        mapped = np.zeros_like(label)
        for k, cls in enumerate(classes, start=1):
            mapped[label == k] = COLLAPSE.get(cls, 0)
        accuracy = float((mapped == ref_collapsed)[valid].mean())
        day = str(scenes.time.values[t])[:10]
        rows.append([day, *(f"{v:.2f}" for v in ious), f"{accuracy:.2f}"])
    return rows


def camargue() -> dict:
    import geoquant as gq
    from geoquant.testing.real import camargue_vv

    vv = camargue_vv(DATA)
    out = gq.segment.apply(vv, gq.segment.SarWater()).load()
    info = json.loads(out.attrs["segmenter"])
    water = gq.segment.class_mask(out, "water").values == 1
    return {"threshold_db": round(info["threshold_db"], 2),
            "source": info["threshold_source"],
            "separability": info.get("otsu_separability"),
            "water_share": round(float(water.mean()), 4),
            "water_km2": round(float(water.sum()) * 400 / 1e6, 3)}


def trained(steps: int) -> dict:
    import geoquant as gq
    from geoquant.testing.real import slovenia_reference, slovenia_scenes

    report = gq.segment.train(slovenia_scenes(DATA), slovenia_reference(DATA),
                              product="slovenia-lulc", steps=steps, progress=False)
    return {"steps": steps, "seconds": round(report.seconds, 1),
            "loss_first_last": [round(report.losses[0], 3), round(report.losses[-1], 3)],
            "iou_before": {k: round(v, 3) for k, v in report.iou_before.items()},
            "iou_after": {k: round(v, 3) for k, v in report.iou_after.items()},
            "accuracy_before": round(report.accuracy_before, 3),
            "accuracy_after": round(report.accuracy_after, 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    info = _common.machine("torch")
    print(_common.describe(info))
    rows = slovenia_rules()
    print(_common.markdown(["date", "IoU forest", "IoU vegetation", "IoU built-up",
                            "overall accuracy"], rows, "lrrrr"))
    sar = camargue()
    print("Camargue SAR water:", sar)
    model = trained(args.train_steps) if args.train_steps else {}
    print("ConvNeXt-UNet small trained on Slovenia:", model)
    _common.write_json(args.json, {"machine": info, "slovenia_rules": rows, "camargue": sar,
                                   "trained": model})


if __name__ == "__main__":
    main()
