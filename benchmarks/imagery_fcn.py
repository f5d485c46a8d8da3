"""A small fully-convolutional network against the pixel classifier on Sen1Floods11 (issue 29).

    .venv/bin/python benchmarks/imagery_fcn.py                   # every event (~1.5 h here)
    .venv/bin/python benchmarks/imagery_fcn.py --events Spain --steps 200

Leave one event out, as ``imagery_heldout.py`` does: five 3x3 convolutions of 24 channels
dilated 1, 2, 4, 8, 1 (receptive radius 16 px) with batch norm, inputs VV, VH and VV-VH in dB
scaled by fixed constants plus the valid mask, trained with AdamW on random 128 px crops with
flips (CPU, one thread, seed 0), and scored by water IoU on the held-out event's chips. Prints
each event's IoU and the pooled confusion ``[[tn, fp], [fn, tp]]`` (water positive), so runs
over disjoint events can be pooled. Results: ``benchmarks/README.md`` §14.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _network():
    import torch

    layers, width, channels = [], 24, 4
    for dilation in (1, 2, 4, 8, 1):
        layers += [torch.nn.Conv2d(channels, width, 3, padding=dilation, dilation=dilation),
                   torch.nn.BatchNorm2d(width), torch.nn.ReLU()]
        channels = width
    return torch.nn.Sequential(*layers, torch.nn.Conv2d(width, 1, 1))


def _inputs(values: np.ndarray) -> np.ndarray:
    """VV, VH, VV-VH (dB, roughly centred and scaled) and the valid mask; zeros where missing."""
    vv, vh = values[0], values[1]
    valid = np.isfinite(values).all(axis=0)
    x = np.stack([(vv + 12) / 5, (vh + 19) / 5, (vv - vh - 7) / 3, valid.astype(np.float32)])
    x[:3, ~valid] = 0
    return np.nan_to_num(x).astype(np.float32)


def _train(chips: list, steps: int, crop: int = 128, batch: int = 8):
    import torch

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    xs = [_inputs(c.values) for c in chips]
    ys = [np.where(c.target >= 0, (c.target == 0).astype(np.float32), -1) for c in chips]
    net = _network()
    opt = torch.optim.AdamW(net.parameters(), 3e-3, weight_decay=1e-4)
    for _ in range(steps):
        xb, yb = [], []
        for _ in range(batch):
            k = rng.integers(len(xs))
            y0, x0 = rng.integers(0, np.array(ys[k].shape) - crop + 1)
            x, y = xs[k][:, y0:y0 + crop, x0:x0 + crop], ys[k][y0:y0 + crop, x0:x0 + crop]
            if rng.random() < 0.5:
                x, y = x[:, ::-1], y[::-1]
            if rng.random() < 0.5:
                x, y = x[:, :, ::-1], y[:, ::-1]
            xb.append(x.copy())
            yb.append(y.copy())
        out = net(torch.from_numpy(np.stack(xb)))[:, 0]
        target = torch.from_numpy(np.stack(yb))
        labelled = target >= 0
        loss = torch.nn.functional.binary_cross_entropy_with_logits(out[labelled],
                                                                    target[labelled])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


def _confusion(net, chips: list) -> np.ndarray:
    import torch

    total = np.zeros((2, 2), np.int64)
    with torch.no_grad():
        for chip in chips:
            water = net(torch.from_numpy(_inputs(chip.values))[None])[0, 0].numpy() > 0
            ok = (chip.target >= 0) & np.isfinite(chip.values).all(axis=0)
            truth = (chip.target[ok] == 0).astype(np.int64)
            total += np.bincount(truth * 2 + water[ok], minlength=4).reshape(2, 2)
    return total


def _iou(confusion: np.ndarray) -> float:
    tp = confusion[1, 1]
    return round(float(tp / max(1, tp + confusion[0, 1] + confusion[1, 0])), 3)


def main(argv: list[str] | None = None) -> int:
    import torch
    from imagery_heldout import FLOODS_LEGEND, REAL

    from geoquant.segment._train_files import parse_legend, read_pairs

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", help="held-out events, comma-separated (default: all)")
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # the two all-no-data chips are skipped
        chips = read_pairs(REAL / "sen1floods11", parse_legend(FLOODS_LEGEND))
    events = args.events.split(",") if args.events else sorted({c.group for c in chips})
    pooled, started = np.zeros((2, 2), np.int64), time.perf_counter()
    for event in events:
        net = _train([c for c in chips if c.group != event], args.steps)
        confusion = _confusion(net, [c for c in chips if c.group == event])
        pooled += confusion
        print(f"{event}: water IoU {_iou(confusion)} "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    print(f"pooled water IoU {_iou(pooled)}; confusion {pooled.tolist()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
