"""A trained network as a segmenter: band matching, normalisation, padding, checkpoints.

:class:`UNetSegmenter` wraps a ConvNeXt-UNet (:mod:`geoquant.segment._convnext`) with what
it needs to be a :class:`~geoquant.segment._protocol.Segmenter`: the bands it reads (common
names), its classes (vocabulary names), the per-band normalisation it was trained with, a
version that changes with the weights, and its halo (the receptive-field radius).

Checkpoints are single files written by :meth:`UNetSegmenter.save` and read by
:func:`load_model` with ``torch.load(weights_only=True)``: a dict of plain values and tensors,
never pickled code. Nothing is ever downloaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import numbers
import os
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geoquant._backend import array_module, is_cupy
from geoquant.errors import (
    BandError,
    GeoquantError,
    InvalidOptionError,
    OutputPathError,
    WeightsError,
)
from geoquant.segment._bands import band_indices, common_name
from geoquant.segment._convnext import (
    SIZES,
    STRIDE,
    build_network,
    network_size,
    receptive_radius,
)
from geoquant.segment._vocabulary import canonical_class

#: What a checkpoint's ``format`` entry says, and the newest layout this code reads.
CHECKPOINT_FORMAT = "geoquant-segmenter"
CHECKPOINT_VERSION = 1
ARCHITECTURE = "convnext-unet"

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


class UNetSegmenter:
    """A ConvNeXt-UNet that segments tiles into class probabilities.

    Build one with :func:`convnext_unet` (untrained), :func:`load_model` (a checkpoint) or
    :func:`geoquant.segment.train`.

    Parameters
    ----------
    network : torch.nn.Module
        A ConvNeXt-UNet from :func:`geoquant.segment._convnext.build_network`.
    bands : sequence of str
        The bands the network reads, in its input order; any naming (``"B03"``,
        ``"green"``), stored as common names.
    classes : sequence of str
        Class words of the network's outputs, in order; stored as vocabulary names.
    mean, std : sequence of float
        Per-band normalisation, in the units of the input (reflectance, dB):
        the network sees ``(band - mean) / std``.
    training : mapping, optional
        How the weights were made (steps, data, seed), kept in checkpoints and provenance.

    Attributes
    ----------
    name : str
        ``"ConvNeXt-UNet small"`` or ``"ConvNeXt-UNet base"``.
    version : str
        12 hex digits of a SHA-256 over the weights, normalisation, bands and classes.
    halo : int
        Receptive-field radius in pixels (:func:`~geoquant.segment._convnext.receptive_radius`).
    stride : int
        32: windows must start at multiples of 32 pixels for outputs to be shift-invariant.
    exclusive : bool
        ``True``: a softmax over the classes.
    """

    stride: int = STRIDE
    exclusive: bool = True

    def __init__(self, network: Any, *, bands: Sequence[str], classes: Sequence[str],
                 mean: Sequence[float], std: Sequence[float],
                 training: Mapping[str, Any] | None = None) -> None:
        self.network = network.eval()
        self.size: str = network.size
        self.bands: tuple[str, ...] = _band_names(bands)
        self.classes: tuple[str, ...] = _class_names(classes)
        if network.in_bands != len(self.bands) or network.n_classes != len(self.classes):
            raise WeightsError(
                f"the network reads {network.in_bands} band(s) and scores {network.n_classes} "
                f"class(es), but {len(self.bands)} band(s) and {len(self.classes)} class(es) "
                "were named")
        self.mean, self.std = _normalisation(mean, std, len(self.bands))
        self.training: dict[str, Any] = _plain(dict(training or {}))
        self.name = f"ConvNeXt-UNet {self.size}"
        self.halo = receptive_radius(self.size)
        self.version = self._fingerprint()
        self._lock = threading.Lock()

    # --- the Segmenter contract --------------------------------------------------------------

    def predict(self, tile: Any, bands: Sequence[str], *, device: Any = None,
                precision: str = "fp32") -> Any:
        """Per-class probabilities for one tile.

        Parameters
        ----------
        tile : numpy.ndarray or cupy.ndarray
            ``(band, y, x)`` in the units of :attr:`mean` (e.g. reflectance); NaN marks
            missing data. Any size: it is padded (bottom, right) to multiples of 32 pixels.
        bands : sequence of str
            Names of the tile's bands, in order; the segmenter finds its :attr:`bands` among
            them (``"B03"`` and ``"green"`` match).
        device : str or torch.device, optional
            Where to run. Default: the tile's GPU for a CuPy tile, else the device the network
            is on (the CPU unless :func:`load_model` or :meth:`to` put it elsewhere).
        precision : {"fp32", "bf16", "fp16", "auto"}
            Arithmetic of the network (autocast for bf16/fp16); the softmax is float32.
            ``"auto"``: :data:`GPU_PRECISION` (bf16) on a CUDA device, fp32 elsewhere.

        Returns
        -------
        numpy.ndarray or cupy.ndarray
            ``(len(classes), y, x)`` float32 probabilities summing to one over classes, on the
            tile's device (NumPy or CuPy); NaN wherever one of the used bands is NaN.

        Raises
        ------
        BandError
            A band the segmenter reads is not among ``bands``.
        InvalidOptionError
            The tile is not 3-D, or ``precision`` is unknown.

        Notes
        -----
        Deterministic: the same tile gives bitwise the same output on the same device and
        thread count. Pixels within :attr:`halo` of the padded border see zeros (the band
        means) beyond it.
        """
        _check_precision(precision)
        names = [str(b) for b in bands]
        self._check_tile(tile, names)
        index = band_indices(names, self.bands, who=self.name)

        import torch

        xp = array_module(tile)
        target = self._target(tile, device)
        if xp is np:
            x = torch.from_numpy(np.asarray(tile)[index].astype(np.float32, copy=False))
        else:
            x = torch.from_dlpack(tile)[index].float()
        height, width = x.shape[-2:]
        with self._lock:
            network = self.network.to(target)
        x = x.to(target)
        missing = ~torch.isfinite(x).all(dim=0)
        mean = torch.as_tensor(self.mean, device=target)[:, None, None]
        std = torch.as_tensor(self.std, device=target)[:, None, None]
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

    def predict_batch(self, tiles: Iterable[Any], bands: Sequence[str], *, device: Any = None,
                      precision: str = "fp32", batch_size: int = BATCH_SIZE) -> list[Any]:
        """Per-class probabilities for many tiles, several tiles per forward pass.

        Tiles whose sizes pad (bottom, right, to multiples of 32 pixels) to the same shape, and
        that run on the same device from the same kind of array, are stacked into batches of
        up to ``batch_size`` and each batch goes through the network in one forward pass.

        On a CUDA device, NumPy tiles are copied to pinned host memory and sent with
        ``non_blocking=True`` on a side stream, so that the copy of batch *k + 1* overlaps the
        network's work on batch *k* (the computing stream waits on an event recorded after the
        copy before it reads the batch); the probabilities come back the same way on a second
        side stream, overlapping the next batch, and the host waits on that copy's event
        before reading them. CuPy tiles are stacked on their GPU and their results stay there.
        On the CPU there are no streams: batches run one after the other.

        Parameters
        ----------
        tiles : iterable of numpy.ndarray or cupy.ndarray
            ``(band, y, x)`` tiles as :meth:`predict` takes them, all with the bands
            ``bands``; their heights and widths may differ, and NumPy and CuPy tiles may be
            mixed.
        bands : sequence of str
            Names of the tiles' bands, in order.
        device : str or torch.device, optional
            Where to run, as in :meth:`predict` (default: a CuPy tile's GPU, else the device
            the network is on).
        precision : {"fp32", "bf16", "fp16", "auto"}
            As in :meth:`predict`; ``"auto"`` is :data:`GPU_PRECISION` on CUDA devices and
            ``"fp32"`` elsewhere.
        batch_size : int
            Most tiles per forward pass (default :data:`BATCH_SIZE`). Memory grows linearly
            with it: a ``small`` network peaks at about 0.6 KB per padded pixel in fp32
            (measured on the CPU), so four 2880 x 2880 windows need about 20 GB.

        Returns
        -------
        list of numpy.ndarray or cupy.ndarray
            One ``(len(classes), y, x)`` float32 array per tile, in the order of ``tiles``,
            on that tile's device, as :meth:`predict` returns it.

        Raises
        ------
        BandError
            A band the segmenter reads is not among ``bands``, or a tile has not
            ``len(bands)`` bands.
        InvalidOptionError
            A tile is not 3-D, ``precision`` is unknown, or ``batch_size`` is not a positive
            integer.

        Notes
        -----
        Equals :meth:`predict` called on each tile with the same options: bitwise with
        ``batch_size=1``; in fp32 on the CPU within :data:`BATCH_TOLERANCE` (1e-5) otherwise,
        because oneDNN's convolutions are not batch-invariant on small feature maps (measured
        at most 3e-7; on large tiles they usually are, and the outputs are bitwise equal).
        On CUDA, cuDNN's deterministic algorithms may differ between batch sizes too (the GPU
        test allows 1e-4 against per-tile :meth:`predict` on the GPU, and 1e-3 against the
        CPU, since torch lets cuDNN use TF32 for fp32 convolutions on Ampere and later GPUs,
        as :meth:`predict` does; not yet measured on a GPU). bf16 or fp16 batches differ from
        fp32 as :meth:`predict` does (probabilities within about 0.02; class maps as
        :data:`GPU_PRECISION` states).
        Deterministic: the same tiles and batch size give bitwise the same outputs.
        """
        _check_precision(precision)
        if (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                or batch_size < 1):
            raise InvalidOptionError(f"batch_size must be a positive integer, not "
                                     f"{batch_size!r}")
        tiles = list(tiles)
        names = [str(b) for b in bands]
        for tile in tiles:
            self._check_tile(tile, names)
        index = band_indices(names, self.bands, who=self.name)
        if not tiles:
            return []

        import torch

        groups: dict[tuple[Any, bool, int, int], list[int]] = {}
        for k, tile in enumerate(tiles):
            height, width = tile.shape[-2:]
            key = (self._target(tile, device), is_cupy(tile), height + -height % STRIDE,
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
            with self._lock:
                network = self.network.to(target)
            mean = torch.as_tensor(self.mean, device=target)[:, None, None]
            std = torch.as_tensor(self.std, device=target)[:, None, None]
            mode = _resolve_precision(precision, target)

            def forward(x: Any, network: Any = network, mean: Any = mean, std: Any = std,
                        target: Any = target, mode: str = mode) -> Any:
                return _forward(network, x, mean, std, target, mode)

            transfers = (_CudaTransfers if target.type == "cuda" else _Transfers)(
                target, tiles, index)
            for k, out in _pipeline(transfers, batches, forward):
                results[k] = out
        return results

    def _check_tile(self, tile: Any, names: list[str]) -> None:
        if getattr(tile, "ndim", None) != 3:
            raise InvalidOptionError(f"{self.name} predicts (band, y, x) tiles, not an array "
                                     f"of shape {getattr(tile, 'shape', None)}")
        if len(names) != tile.shape[0]:
            raise BandError(f"the tile has {tile.shape[0]} band(s) but {len(names)} band "
                            f"name(s) were given ({', '.join(names)})")

    def _target(self, tile: Any, device: Any) -> Any:
        """The torch device a tile runs on (a CUDA device always with its index)."""
        import torch

        if device is not None:
            target = torch.device(device)
        elif is_cupy(tile):
            target = torch.device(f"cuda:{tile.device.id}")
        else:
            target = self.device
        if target.type == "cuda" and target.index is None:
            target = torch.device("cuda", torch.cuda.current_device())
        return target

    def parameters(self) -> dict[str, Any]:
        """Provenance beyond name and version (used by ``describe``)."""
        return {"architecture": ARCHITECTURE, "size": self.size, "halo": self.halo,
                "stride": self.stride, "mean": self.mean.tolist(), "std": self.std.tolist(),
                "training": dict(self.training)}

    # --- devices and files -------------------------------------------------------------------

    @property
    def device(self) -> Any:
        """The ``torch.device`` the network is on."""
        return next(self.network.parameters()).device

    def to(self, device: Any) -> UNetSegmenter:
        """Move the network to a device (``"cpu"``, ``"cuda"``, ``"cuda:1"``); returns self."""
        with self._lock:
            self.network.to(device)
        return self

    def checkpoint(self) -> dict[str, Any]:
        """The checkpoint dict :meth:`save` writes (tensors on the CPU)."""
        return {"format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION,
                "architecture": ARCHITECTURE, "size": self.size,
                "bands": list(self.bands), "classes": list(self.classes),
                "mean": self.mean.tolist(), "std": self.std.tolist(),
                "state_dict": {k: v.detach().cpu().clone()
                               for k, v in self.network.state_dict().items()},
                "training": dict(self.training), "version": self.version}

    def save(self, path: str | Path) -> Path:
        """Write the segmenter to one checkpoint file, atomically.

        The file is written beside ``path`` under a temporary name and renamed over it, so
        readers never see half a checkpoint.

        Parameters
        ----------
        path : str or Path
            The checkpoint file (conventionally ``.pt``); its folder must exist.

        Returns
        -------
        Path
            ``path``.
        """
        import torch

        path = Path(path)
        if not path.parent.is_dir():
            raise OutputPathError(f"cannot write {path}: the folder {path.parent} does not "
                                  "exist; create it first")
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as file:
                torch.save(self.checkpoint(), file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # Pickled (for Dask workers, deepcopy) as its checkpoint dict: no torch classes or
        # locks travel, and the copy is rebuilt on the CPU.
        return _from_checkpoint, (self.checkpoint(),)

    def __dask_tokenize__(self) -> tuple[str, str]:
        return ("geoquant.UNetSegmenter", self.version)

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        header = {"architecture": ARCHITECTURE, "size": self.size, "bands": self.bands,
                  "classes": self.classes}
        digest.update(json.dumps(header, sort_keys=True).encode())
        digest.update(self.mean.tobytes())
        digest.update(self.std.tobytes())
        for key, value in sorted(self.network.state_dict().items()):
            digest.update(key.encode())
            digest.update(value.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()[:12]

    def __repr__(self) -> str:
        return (f"UNetSegmenter({self.name!r}, version={self.version!r}, "
                f"bands={self.bands}, classes={self.classes}, halo={self.halo})")


def convnext_unet(bands: Sequence[str], classes: Sequence[str], *, size: str = "small",
                  seed: int = 0, mean: Sequence[float] | None = None,
                  std: Sequence[float] | None = None) -> UNetSegmenter:
    """An untrained ConvNeXt-UNet segmenter, seeded so that it is reproducible.

    Parameters
    ----------
    bands : sequence of str
        The bands it reads, any naming (``["B02", "B03", "B04"]``, ``["vv", "vh"]``).
    classes : sequence of str
        Class words of its outputs (``["forest", "water"]``); synonyms are accepted.
    size : {"small", "base"}
        Network size (:data:`~geoquant.segment._convnext.SIZES`).
    seed : int
        Seed of the weight initialisation.
    mean, std : sequence of float, optional
        Per-band normalisation in input units (default 0 and 1).

    Returns
    -------
    UNetSegmenter

    Raises
    ------
    InvalidOptionError
        Unknown size, no bands or classes, repeated names, bad normalisation.
    ClassNameError
        A class word is not in the vocabulary.

    Examples
    --------
    >>> model = convnext_unet(["B02", "B03", "B04"], ["forest", "water"])
    >>> model.bands, model.classes, model.halo
    (('blue', 'green', 'red'), ('forest', 'water'), 394)
    """
    network_size(size)
    names, labels = _band_names(bands), _class_names(classes)
    network = build_network(len(names), len(labels), size=size, seed=seed)
    return UNetSegmenter(network, bands=names, classes=labels,
                         mean=np.zeros(len(names)) if mean is None else mean,
                         std=np.ones(len(names)) if std is None else std,
                         training={"trained": False, "seed": int(seed)})


def load_model(path: str | Path, *, device: Any = "cpu") -> UNetSegmenter:
    """Load a segmenter from a checkpoint written by :meth:`UNetSegmenter.save`.

    Parameters
    ----------
    path : str or Path
        The checkpoint file (``geoquant train --out``). It is read with
        ``torch.load(weights_only=True)``: plain values and tensors only, no code.
    device : str or torch.device
        Where to put the network (``"cpu"``, ``"cuda"``).

    Returns
    -------
    UNetSegmenter

    Raises
    ------
    WeightsError
        The file is missing, unreadable, not a geoquant checkpoint, from a newer geoquant, or
        its weights do not fit the network its header describes (the message lists the keys
        and shapes that differ).
    """
    meta = read_checkpoint(path, device=device)
    return _from_checkpoint(meta, source=str(path)).to(device)


def _from_checkpoint(meta: Mapping[str, Any], *, source: str = "a pickled segmenter"
                     ) -> UNetSegmenter:
    """A segmenter from a checkpoint dict (header validated by :func:`read_checkpoint`)."""
    network = build_network(len(meta["bands"]), len(meta["classes"]), size=meta["size"],
                            seed=None)
    load_weights(network, meta["state_dict"], source=source)
    try:
        return UNetSegmenter(network, bands=meta["bands"], classes=meta["classes"],
                             mean=meta["mean"], std=meta["std"],
                             training=meta.get("training") or {})
    except WeightsError:
        raise
    except GeoquantError as err:
        raise WeightsError(f"checkpoint {source} has an invalid header: {err}") from err


def read_checkpoint(path: str | Path, *, device: Any = "cpu") -> dict[str, Any]:
    """A checkpoint's dict, validated (format, version, header entries); tensors on ``device``.

    Raises :class:`WeightsError` naming the path and what to do.
    """
    import torch

    path = Path(path)
    hint = ("pass a file written by UNetSegmenter.save or 'geoquant train --out' "
            "(weights are never downloaded)")
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist: {hint}")
    try:
        meta = torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # torch.load fails in many ways on foreign or broken files
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise WeightsError(f"cannot read {path} as a geoquant checkpoint ({reason}): it is "
                           f"corrupt or not a checkpoint; {hint}") from err
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
        raise WeightsError(f"{path} is a torch file but not a geoquant segmenter checkpoint "
                           f"(no format={CHECKPOINT_FORMAT!r} entry): {hint}")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > CHECKPOINT_VERSION:
        raise WeightsError(f"{path} has checkpoint format version {version!r}, newer than "
                           f"this geoquant reads ({CHECKPOINT_VERSION}): upgrade geoquant")
    if meta.get("architecture") != ARCHITECTURE:
        raise WeightsError(f"{path} holds a {meta.get('architecture')!r} network; this "
                           f"geoquant loads {ARCHITECTURE!r} checkpoints")
    need = {"size": str, "bands": list, "classes": list, "mean": list, "std": list,
            "state_dict": dict}
    bad = [k for k, kind in need.items() if not isinstance(meta.get(k), kind)]
    if bad:
        raise WeightsError(f"checkpoint {path} lacks or has malformed entries "
                           f"{', '.join(bad)}: it was not written by geoquant; {hint}")
    if meta["size"] not in SIZES:
        raise WeightsError(f"checkpoint {path} has network size {meta['size']!r}, which this "
                           f"geoquant does not know (sizes: {', '.join(SIZES)})")
    meta.setdefault("training", {})
    return meta


def load_weights(network: Any, state: Mapping[str, Any], *, source: str) -> None:
    """Copy a state dict into a network, or raise :class:`WeightsError` listing what differs.

    Parameters
    ----------
    network : torch.nn.Module
        The network to fill.
    state : mapping of str to torch.Tensor
        Its weights, e.g. a checkpoint's ``state_dict``.
    source : str
        Where the weights come from, for the message.
    """
    import torch

    expected = network.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f"{k} {tuple(state[k].shape)} (network: {tuple(v.shape)})"
              for k, v in expected.items()
              if k in state and (not isinstance(state[k], torch.Tensor)
                                 or tuple(state[k].shape) != tuple(v.shape))]
    if missing or unexpected or shapes:
        parts = []
        for label, keys in (("shapes differ", shapes), ("missing keys", missing),
                            ("unexpected keys", unexpected)):
            if keys:
                shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more"
                                               if len(keys) > 5 else "")
                parts.append(f"{label}: {shown}")
        raise WeightsError(
            f"the weights in {source} do not fit a ConvNeXt-UNet {network.size} reading "
            f"{network.in_bands} band(s) into {network.n_classes} class(es) ("
            + "; ".join(parts) + "): the checkpoint was trained for another size, band set "
            "or class list")
    network.load_state_dict(state, strict=True)


# --- helpers ---------------------------------------------------------------------------------


def _band_names(bands: Sequence[str]) -> tuple[str, ...]:
    if isinstance(bands, str) or not len(bands):
        raise InvalidOptionError(f"bands must be a non-empty sequence of band names, not "
                                 f"{bands!r}")
    names = tuple(common_name(str(b)) for b in bands)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidOptionError(f"bands {', '.join(repeated)} are named more than once in "
                                 f"{list(bands)}")
    return names


def _class_names(classes: Sequence[str]) -> tuple[str, ...]:
    if isinstance(classes, str) or not len(classes):
        raise InvalidOptionError(f"classes must be a non-empty sequence of class names, not "
                                 f"{classes!r}")
    names = tuple(canonical_class(c) for c in classes)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidOptionError(f"classes {', '.join(repeated)} appear more than once in "
                                 f"{list(classes)} (synonyms count as the same class)")
    return names


def _normalisation(mean: Any, std: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(mean, dtype=np.float32).reshape(-1)
    std = np.asarray(std, dtype=np.float32).reshape(-1)
    if mean.shape != (n,) or std.shape != (n,):
        raise InvalidOptionError(f"mean and std need one value per band ({n}), not "
                                 f"{mean.size} and {std.size}")
    if not (np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all()):
        raise InvalidOptionError("mean must be finite and std finite and positive, not "
                                 f"{mean.tolist()} and {std.tolist()}")
    return mean, std


def _plain(info: dict[str, Any]) -> dict[str, Any]:
    """Training info as JSON-like values, loadable with ``weights_only=True``."""
    return json.loads(json.dumps(info, default=str))


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


# --- batched inference -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Batch:
    """Tiles (positions in the list given) that go through the network in one pass."""

    members: tuple[int, ...]
    on_gpu: bool  # CuPy tiles (stacked on their GPU) rather than NumPy tiles
    shape: tuple[int, int]  # padded height and width, multiples of STRIDE


def _fill(batch: Any, tiles: Sequence[Any], members: Sequence[int], index: Sequence[int],
          source: Any) -> None:
    """Copy each tile's used bands into ``batch[k, :, :h, :w]`` and NaN into the padding.

    ``batch`` is a NumPy array or a torch tensor; ``source`` makes a tile indexable like it.
    NaN padding is missing data, which :func:`_forward` sets to zero (the band means): the
    same zero padding as :meth:`UNetSegmenter.predict`.
    """
    nan = float("nan")
    for k, position in enumerate(members):
        tile = source(tiles[position])
        height, width = tile.shape[-2:]
        for c, band in enumerate(index):
            batch[k, c, :height, :width] = tile[band]
        batch[k, :, height:, :] = nan
        batch[k, :, :height, width:] = nan


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


class _Transfers:
    """How batches reach the device and results come back: synchronously (the CPU)."""

    def __init__(self, target: Any, tiles: Sequence[Any], index: Sequence[int]) -> None:
        self.target, self.tiles, self.index = target, tiles, list(index)

    def _shape(self, batch: _Batch) -> tuple[int, int, int, int]:
        return (len(batch.members), len(self.index), *batch.shape)

    def _host_batch(self, batch: _Batch, *, pin: bool = False) -> Any:
        """A batch of NumPy tiles in a (pinned) host tensor."""
        import torch

        host = torch.empty(self._shape(batch), dtype=torch.float32, pin_memory=pin)
        _fill(host.numpy(), self.tiles, batch.members, self.index, np.asarray)
        return host

    def _device_batch(self, batch: _Batch) -> Any:
        """A batch of CuPy tiles, stacked by device copies on the current stream."""
        import torch

        x = torch.empty(self._shape(batch), dtype=torch.float32, device=self.target)
        _fill(x, self.tiles, batch.members, self.index, torch.from_dlpack)
        return x

    def stage(self, batch: _Batch) -> tuple[Any, Any, Any]:
        """Start moving a batch to the device: ``(tensor, ready event or None, keep-alive)``."""
        if batch.on_gpu:
            return self._device_batch(batch), None, None
        host = self._host_batch(batch)
        return (host if self.target.type == "cpu" else host.to(self.target)), None, None

    def ready(self, staged: tuple[Any, Any, Any]) -> Any:
        """The staged batch, safe to compute on."""
        return staged[0]

    def _crop(self, probs: Any, batch: _Batch) -> list[tuple[int, Any]]:
        """Each tile's own pixels, as a new array on the tile's device."""
        import torch

        out = []
        for k, position in enumerate(batch.members):
            tile = self.tiles[position]
            height, width = tile.shape[-2:]
            piece = probs[k, :, :height, :width].clone(memory_format=torch.contiguous_format)
            if is_cupy(tile):
                xp = array_module(tile)
                out.append((position, xp.from_dlpack(piece.to(f"cuda:{tile.device.id}"))))
            else:
                out.append((position, piece.cpu().numpy()))
        return out

    def fetch(self, batch: _Batch, probs: Any, staged: tuple[Any, Any, Any]) -> Any:
        """Start bringing a batch's probabilities back; returns what :meth:`collect` reads."""
        return self._crop(probs, batch)

    def collect(self, pending: Any) -> list[tuple[int, Any]]:
        """``(position, probabilities)`` of a fetched batch, once they have arrived."""
        return pending


class _CudaTransfers(_Transfers):
    """Pinned memory and side streams, so that copies overlap the network's work.

    The network runs on the current stream of the device (so that DLPack hands CuPy arrays
    over on the stream torch computes on). Host batches go up on ``h2d`` and results come down
    on ``d2h``, both pool streams that do not synchronise with the default stream.
    """

    def __init__(self, target: Any, tiles: Sequence[Any], index: Sequence[int]) -> None:
        import torch

        super().__init__(target, tiles, index)
        self.compute = torch.cuda.current_stream(target)
        self.h2d = torch.cuda.Stream(device=target)
        self.d2h = torch.cuda.Stream(device=target)

    def stage(self, batch: _Batch) -> tuple[Any, Any, Any]:
        import torch

        if batch.on_gpu:
            return self._device_batch(batch), None, None
        host = self._host_batch(batch, pin=True)
        with torch.cuda.stream(self.h2d):
            x = host.to(self.target, non_blocking=True)
            ready = torch.cuda.Event()
            ready.record(self.h2d)
        # The pinned buffer is kept until the batch's results are collected, when the copy
        # has certainly finished (the host never rewrites it while the copy may read it).
        return x, ready, host

    def ready(self, staged: tuple[Any, Any, Any]) -> Any:
        x, ready, _ = staged
        if ready is not None:
            self.compute.wait_event(ready)
            # x was allocated on the h2d stream: its memory must not be reused before the
            # computing stream is done with it.
            x.record_stream(self.compute)
        return x

    def fetch(self, batch: _Batch, probs: Any, staged: tuple[Any, Any, Any]) -> Any:
        import torch

        if batch.on_gpu:
            return self._crop(probs, batch), None, None, None
        self.d2h.wait_stream(self.compute)
        with torch.cuda.stream(self.d2h):
            host = torch.empty(probs.shape, dtype=probs.dtype, pin_memory=True)
            host.copy_(probs, non_blocking=True)
            done = torch.cuda.Event()
            done.record(self.d2h)
        # probs was made on the computing stream and is read on d2h.
        probs.record_stream(self.d2h)
        return (batch, host, done, staged[2])   # with the batch's pinned input buffer

    def collect(self, pending: Any) -> list[tuple[int, Any]]:
        first, host, done, _keep = pending
        if done is None:
            return first
        batch: _Batch = first
        done.synchronize()
        values = host.numpy()
        out = []
        for k, position in enumerate(batch.members):
            height, width = self.tiles[position].shape[-2:]
            # A pageable copy: results do not pin host memory for as long as they live.
            out.append((position, np.array(values[k, :, :height, :width], order="C")))
        return out


def _pipeline(transfers: _Transfers, batches: Sequence[_Batch],
              forward: Any) -> list[tuple[int, Any]]:
    """Run batches with the transfer of the next and the return of the last overlapping.

    Order of work handed to the device: compute *k*, send *k + 1*, return *k*; the host
    collects batch *k - 1* only after batch *k* is queued, so the device never waits on it.
    """
    out: list[tuple[int, Any]] = []
    staged = transfers.stage(batches[0])
    pending = None
    for k, batch in enumerate(batches):
        current = staged
        probs = forward(transfers.ready(current))
        if k + 1 < len(batches):
            staged = transfers.stage(batches[k + 1])
        fetched = transfers.fetch(batch, probs, current)
        del probs, current
        if pending is not None:
            out.extend(transfers.collect(pending))
        pending = fetched
    out.extend(transfers.collect(pending))
    return out


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
