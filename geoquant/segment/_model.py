"""The ConvNeXt-UNet as a segmenter: its bands, classes, normalisation, version and halo.

:class:`UNetSegmenter` wraps a ConvNeXt-UNet (:mod:`geoquant.segment._convnext`) with what
it needs to be a :class:`~geoquant.segment._protocol.Segmenter`: the bands it reads (common
names), its classes (vocabulary names), the per-band normalisation it was trained with, a
version that changes with the weights, and its halo (the receptive-field radius);
:func:`convnext_unet` builds an untrained one. Its methods hand the work to the modules of
each job: inference and precision in :mod:`geoquant.segment._inference` (batches moved to and
from the device by :mod:`geoquant.segment._transfers`), checkpoint files and
:func:`~geoquant.segment._checkpoint.load_model` in :mod:`geoquant.segment._checkpoint`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import InvalidOptionError, WeightsError
from geoquant.segment._bands import common_name
from geoquant.segment._checkpoint import (
    ARCHITECTURE,
    _from_checkpoint,
    checkpoint_dict,
    write_checkpoint,
)
from geoquant.segment._convnext import (
    STRIDE,
    build_network,
    network_size,
    receptive_radius,
)
from geoquant.segment._inference import BATCH_SIZE, predict_tile, predict_tiles
from geoquant.segment._vocabulary import canonical_class


class UNetSegmenter:
    """A ConvNeXt-UNet that segments tiles into class probabilities.

    Build one with :func:`convnext_unet` (untrained), :func:`~geoquant.segment.open_segmenter`
    (a checkpoint) or :func:`geoquant.segment.train`.

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
            is on (the CPU unless :func:`~geoquant.segment.open_segmenter` or :meth:`to` put it
            elsewhere).
        precision : {"fp32", "bf16", "fp16", "auto"}
            Arithmetic of the network (autocast for bf16/fp16); the softmax is float32.
            ``"auto"``: :data:`~geoquant.segment.GPU_PRECISION` (bf16) on a CUDA device, fp32
            elsewhere.

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
        return predict_tile(self, tile, bands, device=device, precision=precision)

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
            As in :meth:`predict`; ``"auto"`` is :data:`~geoquant.segment.GPU_PRECISION` on CUDA
            devices and ``"fp32"`` elsewhere.
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
        ``batch_size=1``; in fp32 on the CPU within
        :data:`~geoquant.segment._inference.BATCH_TOLERANCE` (1e-5) otherwise, because
        oneDNN's convolutions are not batch-invariant on small feature maps (measured at most
        3e-7; on large tiles they usually are, and the outputs are bitwise equal).
        On CUDA, cuDNN's deterministic algorithms may differ between batch sizes too (the GPU
        test allows 1e-4 against per-tile :meth:`predict` on the GPU, and 1e-3 against the
        CPU, since torch lets cuDNN use TF32 for fp32 convolutions on Ampere and later GPUs,
        as :meth:`predict` does; not yet measured on a GPU). bf16 or fp16 batches differ from
        fp32 as :meth:`predict` does (probabilities within about 0.02; class maps as
        :data:`~geoquant.segment.GPU_PRECISION` states).
        Deterministic: the same tiles and batch size give bitwise the same outputs.
        """
        return predict_tiles(self, tiles, bands, device=device, precision=precision,
                             batch_size=batch_size)

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
        return checkpoint_dict(self)

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
        return write_checkpoint(self, path)

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
