"""Inference of a :class:`~geoquant.segment._model.UNetSegmenter`: tiles in, probabilities out.

What :meth:`UNetSegmenter.predict` and :meth:`UNetSegmenter.predict_batch` do
(:func:`predict_tile`, :func:`predict_tiles`): find the model's bands among the tile's,
normalise, pad to multiples of 32 pixels, run the network in the requested precision (fp32,
or bf16/fp16 autocast; ``"auto"`` picks :data:`GPU_PRECISION` on a GPU) with deterministic
cuDNN, and return float32 softmax probabilities, NaN where data is missing, on the tile's
device. Batches of tiles that pad to one shape go through the network together, moved to and
from the device by :mod:`geoquant.segment._transfers`. :func:`precision_agreement` measures
how often a reduced precision keeps fp32's classes.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from geoquant._backend import array_module, is_cupy
from geoquant.errors import BandError, InvalidOptionError
from geoquant.segment._bands import band_indices
from geoquant.segment._convnext import STRIDE
from geoquant.segment._transfers import _Batch, _CudaTransfers, _pipeline, _Transfers

if TYPE_CHECKING:
    from geoquant.segment._model import UNetSegmenter

PRECISIONS = ("fp32", "bf16", "fp16")

#: The precision ``precision="auto"`` picks on a CUDA device (on the CPU it picks ``"fp32"``).
#: bf16 autocast keeps float32's exponent range, so nothing overflows, and its class maps agree
#: with fp32's on >= 99.9 % of pixels in the measurements below, above the 99.5 % required to
#: make it the GPU default. Measured on the CPU (torch 2.13 bf16 autocast) with
#: :func:`precision_agreement`: the argmax class in bf16 against fp32, over valid pixels:
#:
#: * a small model trained 300 steps on the five real Slovenia Sentinel-2 scenes
#:   (``shared/data/real/slovenia-s2``), on those scenes (50 500 pixels): 99.98 %;
#: * a small model trained 40 steps on a synthetic 256 x 256 scene, on two other synthetic
#:   384 x 384 scenes (294 912 pixels): 99.99 %;
#: * an untrained small model, on a synthetic 512 x 512 scene: 99.91 %.
#:
#: Probabilities differed by at most 0.005. ``tests/segment/test_batch_inference.py`` checks
#: >= 99.5 % (the real-scene case with ``-m slow``); run :func:`precision_agreement` on your
#: own tiles before relying on it for another model. fp16 is not the default: its narrow
#: exponent range (largest value 65 504) can overflow in activations, which bf16's cannot.
GPU_PRECISION = "bf16"

#: Default number of tiles per forward pass of :meth:`UNetSegmenter.predict_batch`.
BATCH_SIZE = 4

#: Largest difference between :meth:`UNetSegmenter.predict_batch` and per-tile
#: :meth:`UNetSegmenter.predict` probabilities in fp32 on the CPU: oneDNN picks other
#: convolution algorithms for other batch sizes on small feature maps (the stride-16 and -32
#: levels of tiles up to a few hundred pixels), so a batch is not always bitwise equal to its
#: tiles one by one. Measured at most 3e-7 (tiles 32..960 px, batches 2..8, small and base
#: networks, untrained and trained weights); stated with a wide margin for other CPUs.
BATCH_TOLERANCE = 1e-5


def predict_tile(segmenter: UNetSegmenter, tile: Any, bands: Sequence[str], *,
                 device: Any = None, precision: str = "fp32") -> Any:
    """Per-class probabilities for one tile (:meth:`UNetSegmenter.predict`, documented there)."""
    _check_precision(precision)
    names = [str(b) for b in bands]
    _check_tile(segmenter, tile, names)
    index = band_indices(names, segmenter.bands, who=segmenter.name)

    import torch

    xp = array_module(tile)
    target = _target(segmenter, tile, device)
    if xp is np:
        x = torch.from_numpy(np.asarray(tile)[index].astype(np.float32, copy=False))
    else:
        x = torch.from_dlpack(tile)[index].float()
    height, width = x.shape[-2:]
    with segmenter._lock:
        network = segmenter.network.to(target)
    x = x.to(target)
    missing = ~torch.isfinite(x).all(dim=0)
    mean = torch.as_tensor(segmenter.mean, device=target)[:, None, None]
    std = torch.as_tensor(segmenter.std, device=target)[:, None, None]
    x = torch.where(missing, 0.0, (x - mean) / std)
    pad_y, pad_x = -height % STRIDE, -width % STRIDE
    x = torch.nn.functional.pad(x, (0, pad_x, 0, pad_y))[None]
    precision = _resolve_precision(precision, target)
    with torch.inference_mode(), _deterministic(target), _autocast(target, precision):
        logits = network(x)
    with torch.inference_mode():
        probs = torch.softmax(logits.float(), dim=1)[0, :, :height, :width]
        probs = torch.where(missing, torch.nan, probs).contiguous()
    if xp is np:
        return probs.cpu().numpy()
    return xp.from_dlpack(probs.to(f"cuda:{tile.device.id}"))


def predict_tiles(segmenter: UNetSegmenter, tiles: Iterable[Any], bands: Sequence[str], *,
                  device: Any = None, precision: str = "fp32",
                  batch_size: int = BATCH_SIZE) -> list[Any]:
    """Probabilities for many tiles (:meth:`UNetSegmenter.predict_batch`, documented there)."""
    _check_precision(precision)
    if (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
            or batch_size < 1):
        raise InvalidOptionError(f"batch_size must be a positive integer, not "
                                 f"{batch_size!r}")
    tiles = list(tiles)
    names = [str(b) for b in bands]
    for tile in tiles:
        _check_tile(segmenter, tile, names)
    index = band_indices(names, segmenter.bands, who=segmenter.name)
    if not tiles:
        return []

    import torch

    groups: dict[tuple[Any, bool, int, int], list[int]] = {}
    for k, tile in enumerate(tiles):
        height, width = tile.shape[-2:]
        key = (_target(segmenter, tile, device), is_cupy(tile), height + -height % STRIDE,
               width + -width % STRIDE)
        groups.setdefault(key, []).append(k)
    by_device: dict[Any, list[_Batch]] = {}
    for (target, on_gpu, height, width), members in groups.items():
        for start in range(0, len(members), int(batch_size)):
            by_device.setdefault(target, []).append(
                _Batch(tuple(members[start:start + int(batch_size)]), on_gpu,
                       (height, width)))
    results: list[Any] = [None] * len(tiles)
    for target, batches in by_device.items():
        with segmenter._lock:
            network = segmenter.network.to(target)
        mean = torch.as_tensor(segmenter.mean, device=target)[:, None, None]
        std = torch.as_tensor(segmenter.std, device=target)[:, None, None]
        mode = _resolve_precision(precision, target)

        def forward(x: Any, network: Any = network, mean: Any = mean, std: Any = std,
                    target: Any = target, mode: str = mode) -> Any:
            return _forward(network, x, mean, std, target, mode)

        transfers = (_CudaTransfers if target.type == "cuda" else _Transfers)(
            target, tiles, index)
        for k, out in _pipeline(transfers, batches, forward):
            results[k] = out
    return results


def _check_tile(segmenter: UNetSegmenter, tile: Any, names: list[str]) -> None:
    if getattr(tile, "ndim", None) != 3:
        raise InvalidOptionError(f"{segmenter.name} predicts (band, y, x) tiles, not an array "
                                 f"of shape {getattr(tile, 'shape', None)}")
    if len(names) != tile.shape[0]:
        raise BandError(f"the tile has {tile.shape[0]} band(s) but {len(names)} band "
                        f"name(s) were given ({', '.join(names)})")


def _target(segmenter: UNetSegmenter, tile: Any, device: Any) -> Any:
    """The torch device a tile runs on (a CUDA device always with its index)."""
    import torch

    if device is not None:
        target = torch.device(device)
    elif is_cupy(tile):
        target = torch.device(f"cuda:{tile.device.id}")
    else:
        target = segmenter.device
    if target.type == "cuda" and target.index is None:
        target = torch.device("cuda", torch.cuda.current_device())
    return target


def _check_precision(precision: str) -> None:
    if precision not in (*PRECISIONS, "auto"):
        raise InvalidOptionError(f"unknown precision {precision!r}: use one of "
                                 f"{', '.join(PRECISIONS)} or auto")


def _resolve_precision(precision: str, device: Any) -> str:
    """``"auto"`` as :data:`GPU_PRECISION` on CUDA devices and fp32 elsewhere."""
    if precision != "auto":
        return precision
    return GPU_PRECISION if device.type == "cuda" else "fp32"


def _autocast(device: Any, precision: str) -> Any:
    import torch

    if precision == "fp32":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def _deterministic(device: Any) -> Any:
    import torch

    if device.type == "cuda":
        return torch.backends.cudnn.flags(enabled=True, benchmark=False, deterministic=True)
    return contextlib.nullcontext()


def _forward(network: Any, x: Any, mean: Any, std: Any, target: Any, precision: str) -> Any:
    """``(N, band, H, W)`` raw bands (NaN missing) to ``(N, class, H, W)`` probabilities.

    The same arithmetic as :meth:`UNetSegmenter.predict`, for a batch.
    """
    import torch

    with torch.inference_mode():
        missing = ~torch.isfinite(x).all(dim=1, keepdim=True)
        x = torch.where(missing, 0.0, (x - mean) / std)
    with torch.inference_mode(), _deterministic(target), _autocast(target, precision):
        logits = network(x)
    with torch.inference_mode():
        probs = torch.softmax(logits.float(), dim=1)
        return torch.where(missing, torch.nan, probs)


def precision_agreement(segmenter: UNetSegmenter, tiles: Iterable[Any], bands: Sequence[str],
                        *, precision: str = GPU_PRECISION, reference: str = "fp32",
                        device: Any = None, batch_size: int = BATCH_SIZE) -> float:
    """Fraction of pixels whose class (argmax) is the same in two precisions.

    The check behind :data:`GPU_PRECISION`: run it on tiles like those a model will see
    before choosing a reduced precision for it.

    Parameters
    ----------
    segmenter : UNetSegmenter
        The model.
    tiles : iterable of numpy.ndarray or cupy.ndarray
        ``(band, y, x)`` tiles (:meth:`UNetSegmenter.predict_batch`).
    bands : sequence of str
        The tiles' band names.
    precision, reference : {"fp32", "bf16", "fp16", "auto"}
        The precision tested and the one it is compared with.
    device : str or torch.device, optional
        Where to run both (see :meth:`UNetSegmenter.predict`).
    batch_size : int
        Tiles per forward pass.

    Returns
    -------
    float
        Agreeing pixels over pixels with data in both (NaN when there are none).
    """
    tiles = list(tiles)
    tested = segmenter.predict_batch(tiles, bands, device=device, precision=precision,
                                     batch_size=batch_size)
    base = segmenter.predict_batch(tiles, bands, device=device, precision=reference,
                                   batch_size=batch_size)
    agree = total = 0
    for low, full in zip(tested, base, strict=True):
        low, full = _host(low), _host(full)
        valid = ~(np.isnan(low).any(axis=0) | np.isnan(full).any(axis=0))
        agree += int((low.argmax(axis=0) == full.argmax(axis=0))[valid].sum())
        total += int(valid.sum())
    return agree / total if total else float("nan")


def _host(array: Any) -> np.ndarray:
    return array.get() if is_cupy(array) else np.asarray(array)
