"""Training a ConvNeXt-UNet on scenes labelled by a land-cover raster.

The labels are a product raster (codes mapped to vocabulary classes by a
:class:`~geoquant.segment._products.LandCoverProduct`); nodata and unmapped codes are ignored.
A seeded pattern of 16-pixel blocks is held out: its labels are never used for training, and
the per-class IoU and accuracy on it are measured before and after training.

Each step draws ``batch_size`` crops centred on training pixels (classes balanced by the
inverse square root of their frequency), each rotated, scaled and flipped at random
(``affine_grid`` + ``grid_sample``: bilinear for bands, nearest for labels, pixels from
outside the scene ignored), with a random gain and offset per band; the loss is the
cross-entropy over labelled pixels, minimised by Adam with a short warm-up and a cosine decay.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import GridMismatchError, InvalidOptionError, WeightsError
from geoquant.segment._bands import band_indices, band_names
from geoquant.segment._convnext import STRIDE, build_network, network_size
from geoquant.segment._model import (
    UNetSegmenter,
    _band_names,
    load_weights,
    read_checkpoint,
)
from geoquant.segment._products import LandCoverProduct
from geoquant.segment._products import product as builtin_product

#: Side of the held-out blocks, in pixels.
HOLDOUT_BLOCK = 16

_SCALES = (0.8, 1.25)  # range of the random zoom of the crops
_GAIN_SIGMA = 0.1  # log-normal per-band gain jitter
_OFFSET_SIGMA = 0.1  # per-band offset jitter, in standard deviations of the band
_MAX_CENTRES = 2_000_000  # crop centres drawn from at most this many labelled pixels
_EVAL_WINDOW = 1024  # evaluation predicts scenes larger than this in windows


@dataclass(frozen=True)
class TrainReport:
    """What a training run did and how well the result segments held-out pixels.

    Attributes
    ----------
    losses : tuple of float
        Cross-entropy of each step's batch (nats per labelled pixel).
    iou_before, iou_after : mapping of str to float
        Intersection over union of each model class on the held-out pixels, for the initial
        and the trained model; NaN for classes absent from the held-out labels.
    accuracy_before, accuracy_after : float
        Fraction of held-out pixels classified correctly (NaN when nothing is held out).
    holdout_pixels : int
        Labelled held-out pixels evaluated (summed over scenes).
    checkpoint : Path or None
        The checkpoint file written, if any.
    seconds : float
        Wall time of the whole call.
    segmenter : UNetSegmenter
        The trained model.
    """

    losses: tuple[float, ...]
    iou_before: Mapping[str, float]
    iou_after: Mapping[str, float]
    accuracy_before: float
    accuracy_after: float
    holdout_pixels: int
    checkpoint: Path | None
    seconds: float
    segmenter: UNetSegmenter

    @property
    def mean_iou_before(self) -> float:
        """Mean IoU of the initial model over the classes in the held-out labels."""
        return _nanmean(self.iou_before.values())

    @property
    def mean_iou_after(self) -> float:
        """Mean IoU of the trained model over the classes in the held-out labels."""
        return _nanmean(self.iou_after.values())

    def summary(self) -> str:
        """A few lines for people: loss, IoU per class before/after, accuracy, checkpoint."""
        lines = []
        if self.losses:
            lines.append(f"loss {self.losses[0]:.4f} -> {self.losses[-1]:.4f} over "
                         f"{len(self.losses)} steps ({self.seconds:.1f} s)")
        lines.append(f"held-out pixels: {self.holdout_pixels}")
        width = max([len(c) for c in self.iou_after] + [len("mean IoU")])
        lines.append(f"{'class':<{width}}  IoU before  IoU after")
        for cls in self.iou_after:
            lines.append(f"{cls:<{width}}  {_fmt(self.iou_before.get(cls))}  "
                         f"{_fmt(self.iou_after[cls])}")
        lines.append(f"{'mean IoU':<{width}}  {_fmt(self.mean_iou_before)}  "
                     f"{_fmt(self.mean_iou_after)}")
        lines.append(f"{'accuracy':<{width}}  {_fmt(self.accuracy_before)}  "
                     f"{_fmt(self.accuracy_after)}")
        lines.append(f"model: {self.segmenter.name}, version {self.segmenter.version}, "
                     f"classes {', '.join(self.segmenter.classes)}")
        if self.checkpoint is not None:
            lines.append(f"checkpoint: {self.checkpoint}")
        return "\n".join(lines)


def train(images: Any, labels: Any, *, product: LandCoverProduct | str,
          bands: Sequence[str] | None = None, size: str | None = None, steps: int = 300,
          crop: int = 64, batch_size: int = 8, learning_rate: float = 1e-3,
          holdout: float = 0.25, seed: int = 0, checkpoint: str | Path | None = None,
          checkpoint_every: int = 100, init: str | Path | None = None,
          progress: bool = True) -> TrainReport:
    """Train a ConvNeXt-UNet segmenter on labelled scenes.

    Parameters
    ----------
    images : DataArray or list of DataArray
        Scenes in the units the model will later see (e.g. reflectance): ``(band, y, x)``, or
        ``(time, band, y, x)`` for several scenes of one grid. A ``band`` coordinate names the
        bands (NumPy arrays work too, with ``bands=``). NaN marks missing data. Everything is
        read into memory.
    labels : DataArray or list of DataArray
        2-D rasters of product codes (``(1, y, x)`` is accepted) on the images' grid; one for
        all images, or one per element of an ``images`` list.
    product : LandCoverProduct or str
        Maps codes to classes (a built-in name such as ``"slovenia-lulc"``). Nodata and
        codes outside its table are ignored. The model's classes are the product's classes
        that occur in the labels.
    bands : sequence of str, optional
        Bands to train on (default: all bands of the first image); every image must carry
        them.
    size : {"small", "base"}, optional
        Network size; default ``"small"``, or the size of the ``init`` checkpoint.
    steps : int
        Optimiser steps.
    crop : int
        Side of the training crops, pixels; a multiple of 32.
    batch_size : int
        Crops per step.
    learning_rate : float
        Peak Adam learning rate.
    holdout : float
        Fraction of 16-pixel blocks held out for evaluation, in [0, 1); their labels are
        never trained on (their bands may be seen as context of neighbouring crops).
    seed : int
        Seed of the initial weights, hold-out pattern, crops and augmentation: the same call
        gives the same model on the same machine.
    checkpoint : str or Path, optional
        File to save the model to every ``checkpoint_every`` steps and at the end.
    checkpoint_every : int
        Steps between checkpoints.
    init : str or Path, optional
        A checkpoint to start from (fine-tuning or resuming; the optimiser restarts). Its
        bands, normalisation and classes are kept; the labels' classes must be among them.
    progress : bool
        Report progress on stderr (a progress bar on a terminal, else a line per tenth).

    Returns
    -------
    TrainReport

    Raises
    ------
    InvalidOptionError
        Bad options, or labels with no code of the product.
    GridMismatchError
        Images and labels are not on one grid.
    BandError
        An image lacks a band the model reads.
    WeightsError
        ``init`` is not a usable checkpoint, or lacks a class present in the labels.
    """
    import torch

    started = time.perf_counter()
    _check_options(steps=steps, crop=crop, batch_size=batch_size,
                   learning_rate=learning_rate, holdout=holdout,
                   checkpoint_every=checkpoint_every)
    if size is not None:
        network_size(size)
    table = _product(product)
    start = read_checkpoint(init) if init is not None else None
    if start is not None and size is not None and size != start["size"]:
        raise InvalidOptionError(f"the init checkpoint {init} is a {start['size']!r} network, "
                                 f"not {size!r}: drop size= or pass size={start['size']!r}")

    codes = [_codes(lab) for lab in _label_list(images, labels)]
    scenes = _scenes(images, labels, codes, bands_given=bands)
    if start is not None:
        model_bands = tuple(start["bands"])
        if bands is not None and _band_names(bands) != model_bands:
            raise InvalidOptionError(f"the init checkpoint {init} reads bands "
                                     f"{', '.join(model_bands)}: drop bands= or pass those")
    elif bands is not None:
        model_bands = _band_names(bands)
    else:
        model_bands = _band_names(scenes[0].names)
    for scene in scenes:
        scene.select(model_bands)

    # Classes, targets (class index, -1 ignored) and the hold-out pattern.
    present = set()
    for grid in codes:
        found = np.unique(grid[np.isfinite(grid)]) if grid.dtype.kind == "f" else np.unique(grid)
        present |= {table.codes[int(c)] for c in found
                    if int(c) in table.codes and int(c) not in table.nodata}
    classes = tuple(c for c in table.classes if c in present)
    if not classes:
        raise InvalidOptionError(f"the labels hold no code of product {table.name!r} (codes "
                                 f"{sorted(table.codes)}): check the product")
    if start is not None:
        missing = [c for c in classes if c not in start["classes"]]
        if missing:
            raise WeightsError(f"the init checkpoint {init} scores classes "
                               f"{', '.join(start['classes'])} but the labels also hold "
                               f"{', '.join(missing)}: fine-tune from a checkpoint with these "
                               "classes, or train without init=")
        classes = tuple(start["classes"])
    class_targets = [_targets(grid, table, classes) for grid in codes]
    holdouts = [_holdout_mask(grid.shape, holdout, seed=seed, index=i)
                for i, grid in enumerate(codes)]
    for scene in scenes:
        valid = class_targets[scene.label] >= 0
        valid &= np.isfinite(scene.values).all(axis=0)
        held = holdouts[scene.label]
        scene.train_target = np.where(valid & ~held, class_targets[scene.label], -1)
        scene.eval_target = np.where(valid & held, class_targets[scene.label], -1)
    if not any((s.train_target >= 0).any() for s in scenes):
        raise InvalidOptionError("no labelled pixel is left for training: lower holdout= or "
                                 "check that the labels cover the images' valid pixels")

    # The model.
    if start is not None:
        mean, std = start["mean"], start["std"]
        network = build_network(len(model_bands), len(classes), size=start["size"], seed=None)
        load_weights(network, start["state_dict"], source=str(init))
        history = dict(start.get("training") or {})
    else:
        mean, std = _band_statistics(scenes)
        network = build_network(len(model_bands), len(classes), size=size or "small",
                                seed=seed)
        history = {}
    net_size = network.size

    def wrap(info: Mapping[str, Any]) -> UNetSegmenter:
        return UNetSegmenter(network, bands=model_bands, classes=classes, mean=mean, std=std,
                             training=info)

    threads = torch.get_num_threads()
    torch.set_num_threads(_cores())
    try:
        with torch.random.fork_rng(devices=[]):  # seeds torch, keeps the caller's state
            torch.manual_seed(seed)
            before = wrap({"trained": False})
            iou_before, acc_before, held_pixels = _evaluate(before, scenes)
            info = {"trained": True, "product": table.name, "size": net_size, "seed": int(seed),
                    "crop": int(crop), "batch_size": int(batch_size),
                    "learning_rate": float(learning_rate), "holdout": float(holdout),
                    "init": None if init is None else str(init),
                    "previous_steps": int(history.get("steps", 0) or 0)}
            losses = _optimise(network, scenes, steps=steps, crop=crop, batch_size=batch_size,
                               learning_rate=learning_rate, seed=seed, mean=mean, std=std,
                               progress=progress, checkpoint=checkpoint,
                               checkpoint_every=checkpoint_every,
                               save=lambda done: wrap({**info, "steps": done}))
            network.eval()
            info.update(steps=info["previous_steps"] + steps, loss_first=losses[0],
                        loss_last=losses[-1])
            final = wrap(info)
            iou_after, acc_after, _ = _evaluate(final, scenes)
            final = wrap({**info, "holdout_iou": iou_after, "holdout_accuracy": acc_after})
            if checkpoint is not None:
                final.save(checkpoint)
    finally:
        torch.set_num_threads(threads)
    return TrainReport(losses=tuple(losses), iou_before=iou_before, iou_after=iou_after,
                       accuracy_before=acc_before, accuracy_after=acc_after,
                       holdout_pixels=held_pixels,
                       checkpoint=None if checkpoint is None else Path(checkpoint),
                       seconds=time.perf_counter() - started, segmenter=final)


# --- the optimisation loop -------------------------------------------------------------------


def _optimise(network: Any, scenes: list[_Scene], *, steps: int, crop: int, batch_size: int,
              learning_rate: float, seed: int, mean: Any, std: Any, progress: bool,
              checkpoint: str | Path | None, checkpoint_every: int, save: Any) -> list[float]:
    import torch
    import torch.nn.functional as F  # noqa: N812

    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng([seed, 1])
    mean_ = np.asarray(mean, np.float32)[:, None, None]
    std_ = np.asarray(std, np.float32)[:, None, None]
    inputs = [torch.from_numpy(np.nan_to_num((s.values - mean_) / std_, nan=0.0, posinf=0.0,
                                             neginf=0.0).astype(np.float32))
              for s in scenes]
    targets = [torch.from_numpy(s.train_target.astype(np.int64)) for s in scenes]
    centres = _centres(scenes, rng)
    half = math.ceil(crop / 2 * _SCALES[1] * math.sqrt(2)) + 2
    n_bands = inputs[0].shape[0]

    optimiser = torch.optim.Adam(network.parameters(), lr=learning_rate)
    warmup = max(1, min(20, steps // 10))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, schedule)
    report = _Progress(steps) if progress else None
    losses: list[float] = []
    network.train()
    try:
        for step in range(steps):
            x, y = _batch(inputs, targets, centres, generator, rng, batch_size=batch_size,
                          crop=crop, half=half, n_bands=n_bands)
            logits = network(x)
            labelled = (y >= 0).sum().clamp(min=1)
            loss = F.cross_entropy(logits, y, ignore_index=-1, reduction="sum") / labelled
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            if report is not None:
                report.update(step + 1, losses[-1])
            if checkpoint is not None and (step + 1) % checkpoint_every == 0 \
                    and step + 1 < steps:
                save(step + 1).save(checkpoint)
                network.train()
    finally:
        if report is not None:
            report.close()
    return losses


def _batch(inputs: list[Any], targets: list[Any], centres: tuple[np.ndarray, ...],
           generator: Any, rng: np.random.Generator, *, batch_size: int, crop: int,
           half: int, n_bands: int) -> tuple[Any, Any]:
    """One batch of randomly rotated, scaled and flipped crops with colour jitter."""
    import torch
    import torch.nn.functional as F  # noqa: N812

    scene_of, ys, xs, weights = centres
    picks = rng.choice(len(scene_of), size=batch_size, p=weights)
    side = 2 * half
    windows = torch.zeros((batch_size, n_bands, side, side))
    labels = torch.zeros((batch_size, 1, side, side))  # class + 1; 0 is ignored
    for i, k in enumerate(picks):
        image, target = inputs[scene_of[k]], targets[scene_of[k]]
        height, width = target.shape
        y0, x0 = int(ys[k]) - half, int(xs[k]) - half
        sy = slice(max(y0, 0), min(y0 + side, height))
        sx = slice(max(x0, 0), min(x0 + side, width))
        wy = slice(sy.start - y0, sy.stop - y0)
        wx = slice(sx.start - x0, sx.stop - x0)
        windows[i, :, wy, wx] = image[:, sy, sx]
        labels[i, 0, wy, wx] = (target[sy, sx] + 1).float()
    angle = torch.rand(batch_size, generator=generator) * 2 * math.pi
    low, high = math.log(_SCALES[0]), math.log(_SCALES[1])
    scale = torch.exp(low + (high - low) * torch.rand(batch_size, generator=generator))
    flip = torch.where(torch.rand(batch_size, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    # Output offsets (dx, dy) from the crop centre map to window pixel h + A (dx, dy), with
    # A = scale * rotation * diag(flip, 1); theta is A in grid_sample's normalised units.
    a = torch.stack([torch.stack([cos * flip, -sin], -1), torch.stack([sin * flip, cos], -1)],
                    1)
    theta = torch.cat([a * (crop / side), torch.full((batch_size, 2, 1), (2 * half + 1) / side
                                                     - 1.0)], dim=2)
    grid = F.affine_grid(theta, [batch_size, 1, crop, crop], align_corners=False)
    x = F.grid_sample(windows, grid, mode="bilinear", padding_mode="zeros",
                      align_corners=False)
    y = F.grid_sample(labels, grid, mode="nearest", padding_mode="zeros",
                      align_corners=False)[:, 0].round().long() - 1
    gain = torch.exp(_GAIN_SIGMA * torch.randn((batch_size, n_bands, 1, 1),
                                               generator=generator))
    offset = _OFFSET_SIGMA * torch.randn((batch_size, n_bands, 1, 1), generator=generator)
    return x * gain + offset, y


def _centres(scenes: list[_Scene], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Crop centres: training pixels, weighted by 1/sqrt(frequency of their class)."""
    scene_of, ys, xs, cls = [], [], [], []
    for i, scene in enumerate(scenes):
        yy, xx = np.nonzero(scene.train_target >= 0)
        scene_of.append(np.full(len(yy), i, np.int32))
        ys.append(yy.astype(np.int32))
        xs.append(xx.astype(np.int32))
        cls.append(scene.train_target[yy, xx])
    scene_of, ys, xs, cls = (np.concatenate(a) for a in (scene_of, ys, xs, cls))
    if len(ys) > _MAX_CENTRES:
        keep = np.sort(rng.choice(len(ys), size=_MAX_CENTRES, replace=False))
        scene_of, ys, xs, cls = scene_of[keep], ys[keep], xs[keep], cls[keep]
    counts = np.bincount(cls)
    weights = 1.0 / np.sqrt(counts[cls].astype(np.float64))
    return scene_of, ys, xs, weights / weights.sum()


class _Progress:
    """A rich progress bar on a terminal; otherwise a line on stderr every tenth of the run."""

    def __init__(self, steps: int) -> None:
        self.steps, self.started = steps, time.perf_counter()
        self.every = max(1, steps // 10)
        self.bar = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("training", total=steps)

    def update(self, done: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done,
                            description=f"training (loss {loss:.4f})")
        elif done % self.every == 0 or done == self.steps:
            rate = done / max(time.perf_counter() - self.started, 1e-9)
            print(f"step {done}/{self.steps}  loss {loss:.4f}  ({rate:.1f} steps/s)",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


# --- evaluation ------------------------------------------------------------------------------


def _evaluate(segmenter: UNetSegmenter, scenes: list[_Scene]
              ) -> tuple[dict[str, float], float, int]:
    """Per-class IoU, accuracy and pixel count on the held-out pixels of every scene."""
    n = len(segmenter.classes)
    confusion = np.zeros((n, n), np.int64)
    for scene in scenes:
        held = scene.eval_target >= 0
        if not held.any():
            continue
        predicted = _predict_classes(segmenter, scene.values)
        truth = scene.eval_target[held]
        confusion += np.bincount(truth * n + predicted[held], minlength=n * n).reshape(n, n)
    total = int(confusion.sum())
    tp = np.diag(confusion).astype(np.float64)
    union = confusion.sum(0) + confusion.sum(1) - tp
    in_truth = confusion.sum(1) > 0
    iou = {c: float(tp[i] / union[i]) if in_truth[i] else math.nan
           for i, c in enumerate(segmenter.classes)}
    accuracy = float(tp.sum() / total) if total else math.nan
    return iou, accuracy, total


def _predict_classes(segmenter: UNetSegmenter, values: np.ndarray) -> np.ndarray:
    """Arg-max class of every pixel (0 where no data), in windows for large scenes."""
    _, height, width = values.shape
    bands = list(segmenter.bands)
    if height <= _EVAL_WINDOW and width <= _EVAL_WINDOW:
        return np.nan_to_num(segmenter.predict(values, bands), nan=0.0).argmax(0)
    # Windows start at multiples of 32 with a 256-pixel margin: close to, though not
    # bitwise, a whole-scene prediction (the full halo would triple the work).
    margin = 256
    out = np.zeros((height, width), np.int64)
    for y in range(0, height, _EVAL_WINDOW):
        for x in range(0, width, _EVAL_WINDOW):
            y0, x0 = max(0, y - margin), max(0, x - margin)
            y1, x1 = min(height, y + _EVAL_WINDOW + margin), min(width, x + _EVAL_WINDOW + margin)
            probs = segmenter.predict(values[:, y0:y1, x0:x1], bands)
            core = np.nan_to_num(probs, nan=0.0).argmax(0)
            out[y:y + _EVAL_WINDOW, x:x + _EVAL_WINDOW] = \
                core[y - y0:y - y0 + _EVAL_WINDOW, x - x0:x - x0 + _EVAL_WINDOW]
    return out


# --- inputs ----------------------------------------------------------------------------------


class _Scene:
    """One ``(band, y, x)`` scene in memory, with the index of its label raster."""

    def __init__(self, values: np.ndarray, names: tuple[str, ...], label: int,
                 coords: tuple[Any, Any] | None) -> None:
        self.values, self.names, self.label, self.coords = values, names, label, coords
        self.train_target: np.ndarray = np.empty(0)
        self.eval_target: np.ndarray = np.empty(0)

    def select(self, bands: Sequence[str]) -> None:
        index = band_indices(self.names, bands, who="training")
        self.values = np.ascontiguousarray(self.values[index], dtype=np.float32)
        self.names = tuple(bands)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _label_list(images: Any, labels: Any) -> list[Any]:
    labels_ = _as_list(labels)
    if len(labels_) not in (1, len(_as_list(images))):
        raise InvalidOptionError(f"give one label raster for all images or one per image, "
                                 f"not {len(labels_)} for {len(_as_list(images))}")
    return labels_


def _scenes(images: Any, labels: Any, codes: list[np.ndarray], *,
            bands_given: Sequence[str] | None) -> list[_Scene]:
    labels_ = _label_list(images, labels)
    scenes = []
    for i, image in enumerate(_as_list(images)):
        label = labels_[i if len(labels_) > 1 else 0]
        shape = codes[i if len(labels_) > 1 else 0].shape
        for values, names, coords in _split_scenes(image, bands_given):
            if values.shape[1:] != shape:
                raise GridMismatchError(f"image {i} is {values.shape[1]} x {values.shape[2]} "
                                        f"pixels but its labels are {shape[0]} x {shape[1]}: "
                                        "put both on one grid (reproject/match the labels)")
            _check_coords(coords, label, i)
            scenes.append(_Scene(values, names, i if len(labels_) > 1 else 0, coords))
    if not scenes:
        raise InvalidOptionError("no images were given")
    return scenes


def _split_scenes(image: Any, bands_given: Sequence[str] | None
                  ) -> list[tuple[np.ndarray, tuple[str, ...], tuple[Any, Any] | None]]:
    """``(band, y, x)`` float32 arrays of an image, its band names and its y/x coordinates."""
    dims = getattr(image, "dims", None)
    if dims is None:
        values = np.asarray(image, dtype=np.float32)
        if values.ndim not in (3, 4):
            raise InvalidOptionError(f"images must be (band, y, x) or (time, band, y, x), not "
                                     f"arrays of shape {values.shape}")
        if bands_given is None:
            raise InvalidOptionError("images without a 'band' coordinate need bands= naming "
                                     "their bands in order")
        names = tuple(str(b) for b in bands_given)
        stack = values.reshape(-1, *values.shape[-3:])
        if stack.shape[1] != len(names):
            raise InvalidOptionError(f"images have {stack.shape[1]} bands but bands= names "
                                     f"{len(names)}")
        return [(s, names, None) for s in stack]
    if not {"band", "y", "x"} <= set(dims) or len(dims) not in (3, 4):
        raise InvalidOptionError(f"images must have dims (band, y, x) or (time, band, y, x), "
                                 f"not {dims}")
    image = image.transpose(..., "band", "y", "x")
    names = band_names(image)
    values = np.asarray(image.values, dtype=np.float32).reshape(-1, *image.shape[-3:])
    coords = (np.asarray(image["y"].values), np.asarray(image["x"].values)) \
        if "y" in image.coords and "x" in image.coords else None
    return [(v, names, coords) for v in values]


def _codes(label: Any) -> np.ndarray:
    """A label raster's 2-D codes (integer, or float with NaN)."""
    values = np.asarray(getattr(label, "values", label))
    if values.ndim == 3 and values.shape[0] == 1:
        values = values[0]
    if values.ndim != 2:
        raise InvalidOptionError(f"labels must be a 2-D raster of codes, not shape "
                                 f"{values.shape}")
    return values


def _check_coords(coords: tuple[Any, Any] | None, label: Any, index: int) -> None:
    if coords is None or not hasattr(label, "coords"):
        return
    if "y" not in label.coords or "x" not in label.coords:
        return
    ly, lx = np.asarray(label["y"].values), np.asarray(label["x"].values)
    step = max(abs(float(lx[1] - lx[0])) if len(lx) > 1 else 1.0, 1e-12)
    if not (np.allclose(coords[0], ly, atol=step / 100, rtol=0)
            and np.allclose(coords[1], lx, atol=step / 100, rtol=0)):
        raise GridMismatchError(f"image {index} and its labels have the same shape but "
                                "different coordinates: put both on one grid")


def _targets(codes: np.ndarray, table: LandCoverProduct, classes: tuple[str, ...]
             ) -> np.ndarray:
    """Class index of every pixel, -1 for nodata, codes outside the table and NaN."""
    out = np.full(codes.shape, -1, np.int64)
    finite = np.isfinite(codes) if codes.dtype.kind == "f" else np.ones(codes.shape, bool)
    for code, cls in table.codes.items():
        if code in table.nodata or cls not in classes:
            continue
        out[finite & (codes == code)] = classes.index(cls)
    return out


def _holdout_mask(shape: tuple[int, int], fraction: float, *, seed: int, index: int
                  ) -> np.ndarray:
    """Seeded blocks of HOLDOUT_BLOCK pixels, a ``fraction`` of them (at least one if > 0)."""
    rows, cols = (-(-n // HOLDOUT_BLOCK) for n in shape)
    blocks = rows * cols
    count = 0 if fraction <= 0 else min(blocks - 1, max(1, round(fraction * blocks)))
    chosen = np.zeros(blocks, bool)
    rng = np.random.default_rng([seed, 0, index])
    chosen[rng.permutation(blocks)[:count]] = True
    grid = chosen.reshape(rows, cols)
    mask = np.repeat(np.repeat(grid, HOLDOUT_BLOCK, 0), HOLDOUT_BLOCK, 1)
    return mask[: shape[0], : shape[1]]


def _band_statistics(scenes: list[_Scene]) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and standard deviation over the finite training pixels of all scenes."""
    n = scenes[0].values.shape[0]
    total = np.zeros(n)
    square = np.zeros(n)
    count = np.zeros(n)
    for scene in scenes:
        use = scene.train_target >= 0
        pixels = scene.values[:, use].astype(np.float64)
        finite = np.isfinite(pixels)
        pixels = np.where(finite, pixels, 0.0)
        total += pixels.sum(1)
        square += (pixels ** 2).sum(1)
        count += finite.sum(1)
    count = np.maximum(count, 1)
    mean = total / count
    std = np.sqrt(np.maximum(square / count - mean ** 2, 0.0))
    std = np.where(std > 1e-6 * np.maximum(np.abs(mean), 1e-6), std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def _product(product: LandCoverProduct | str) -> LandCoverProduct:
    if isinstance(product, LandCoverProduct):
        return product
    if isinstance(product, str):
        return builtin_product(product)
    raise InvalidOptionError(f"product must be a LandCoverProduct or a built-in product "
                             f"name, not {type(product).__name__}")


def _check_options(*, steps: int, crop: int, batch_size: int, learning_rate: float,
                   holdout: float, checkpoint_every: int) -> None:
    problems = []
    if not isinstance(steps, int) or steps < 1:
        problems.append(f"steps must be a positive integer, not {steps!r}")
    if not isinstance(crop, int) or crop < STRIDE or crop % STRIDE:
        problems.append(f"crop must be a positive multiple of {STRIDE} pixels, not {crop!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        problems.append(f"batch_size must be a positive integer, not {batch_size!r}")
    if not (isinstance(learning_rate, int | float) and learning_rate > 0):
        problems.append(f"learning_rate must be positive, not {learning_rate!r}")
    if not (isinstance(holdout, int | float) and 0 <= holdout < 1):
        problems.append(f"holdout must be a fraction in [0, 1), not {holdout!r}")
    if not isinstance(checkpoint_every, int) or checkpoint_every < 1:
        problems.append(f"checkpoint_every must be a positive integer, not "
                        f"{checkpoint_every!r}")
    if problems:
        raise InvalidOptionError("; ".join(problems))


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _nanmean(values: Any) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def _fmt(value: float | None) -> str:
    return "       -  " if value is None or math.isnan(value) else f"{value:10.3f}"


# --- files (the command line) ----------------------------------------------------------------

#: Sentinel-2 band order, used to stack a folder of single-band files.
_S2_ORDER = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10",
             "B11", "B12")


def open_training_image(path: str | Path, *, labels: bool = False) -> Any:
    """Open a scene or label raster for :func:`train` from files.

    Parameters
    ----------
    path : str or Path
        A GeoTIFF or Zarr store (opened with :func:`geoquant.sources.open`), or, for scenes,
        a folder of single-band GeoTIFFs named by band (``B01.tif`` ... ``B12.tif``,
        ``B8A.tif``; ``vv.tif``). The folder's bands are stacked in Sentinel-2 order (other
        band names after, alphabetically); files that are not bands (``CLM.tif``,
        ``SCL.tif``) are left out.
    labels : bool
        Whether this is a label raster (a single file; its one band is dropped).

    Returns
    -------
    xarray.DataArray
        ``(band, y, x)``, or ``(y, x)`` for labels.

    Raises
    ------
    AssetError
        A file is missing or unreadable.
    GridMismatchError
        The band files of a folder are not on one grid.
    InvalidOptionError
        A folder holds no band file, or a label raster has several bands.
    """
    from geoquant.segment._bands import COMMON_NAMES
    from geoquant.sources import open as open_raster

    path = Path(path)
    zarr = path.suffix == ".zarr" or any((path / name).exists()
                                         for name in ("zarr.json", ".zgroup", ".zattrs"))
    if labels or not path.is_dir() or zarr:
        array = open_raster(path)
        if labels:
            if "band" in array.dims:
                if array.sizes["band"] != 1:
                    raise InvalidOptionError(f"label raster {path} has {array.sizes['band']} "
                                             "bands; give a single-band raster of codes")
                array = array.isel(band=0, drop=True)
        return array
    import xarray as xr

    found = []
    for file in sorted([*path.glob("*.tif"), *path.glob("*.tiff")]):
        array = open_raster(file)
        name = str(array["band"].values[0]) if array.sizes.get("band") == 1 else file.stem
        if name.lower() in COMMON_NAMES:
            found.append((name, array))
    if not found:
        raise InvalidOptionError(f"folder {path} holds no single-band GeoTIFF named by band "
                                 "(B01.tif ... B12.tif, B8A.tif, vv.tif, ...)")

    def order(item: tuple[str, Any]) -> tuple[int, str]:
        upper = item[0].upper()
        return (_S2_ORDER.index(upper) if upper in _S2_ORDER else len(_S2_ORDER), item[0])

    found.sort(key=order)
    shapes = {a.shape for _, a in found}
    if len(shapes) > 1:
        raise GridMismatchError(f"the band files of {path} differ in size ({sorted(shapes)}): "
                                "resample them to one grid")
    try:
        return xr.concat([a for _, a in found], dim="band", join="exact",
                         combine_attrs="drop_conflicts")
    except ValueError as err:
        raise GridMismatchError(f"the band files of {path} are not on one grid ({err}): "
                                "resample them to one grid") from err
