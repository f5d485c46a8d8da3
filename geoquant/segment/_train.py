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

This module holds :func:`train` and its options; the data are prepared in
:mod:`geoquant.segment._train_data`, crops augmented in :mod:`geoquant.segment._augment`,
the steps run in :mod:`geoquant.segment._train_loop`, and the held-out evaluation and
:class:`~geoquant.segment._train_eval.TrainReport` are in :mod:`geoquant.segment._train_eval`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import InvalidOptionError, WeightsError
from geoquant.segment._checkpoint import load_weights, read_checkpoint
from geoquant.segment._convnext import STRIDE, build_network, network_size
from geoquant.segment._model import UNetSegmenter, _band_names
from geoquant.segment._products import LandCoverProduct
from geoquant.segment._products import product as builtin_product
from geoquant.segment._train_data import (
    _band_statistics,
    _codes,
    _holdout_mask,
    _label_list,
    _scenes,
    _targets,
)
from geoquant.segment._train_eval import TrainReport, _evaluate
from geoquant.segment._train_loop import _optimise


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
