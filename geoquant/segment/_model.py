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
import os
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geoquant._backend import array_module
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
        precision : {"fp32", "bf16", "fp16"}
            Arithmetic of the network (autocast for bf16/fp16); the softmax is float32.

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
        if precision not in PRECISIONS:
            raise InvalidOptionError(f"unknown precision {precision!r}: use one of "
                                     f"{', '.join(PRECISIONS)}")
        if getattr(tile, "ndim", None) != 3:
            raise InvalidOptionError(f"{self.name} predicts (band, y, x) tiles, not an array "
                                     f"of shape {getattr(tile, 'shape', None)}")
        names = [str(b) for b in bands]
        if len(names) != tile.shape[0]:
            raise BandError(f"the tile has {tile.shape[0]} band(s) but {len(names)} band "
                            f"name(s) were given ({', '.join(names)})")
        index = band_indices(names, self.bands, who=self.name)

        import torch

        xp = array_module(tile)
        if xp is np:
            x = torch.from_numpy(np.asarray(tile)[index].astype(np.float32, copy=False))
            target = torch.device(device) if device is not None else self.device
        else:
            x = torch.from_dlpack(tile)[index].float()
            target = torch.device(device if device is not None else f"cuda:{tile.device.id}")
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
        with torch.inference_mode(), _deterministic(target), _autocast(target, precision):
            logits = network(x)
        with torch.inference_mode():
            probs = torch.softmax(logits.float(), dim=1)[0, :, :height, :width]
            probs = torch.where(missing, torch.nan, probs).contiguous()
        if xp is np:
            return probs.cpu().numpy()
        return xp.from_dlpack(probs.to(f"cuda:{tile.device.id}"))

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
