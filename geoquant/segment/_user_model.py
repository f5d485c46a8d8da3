"""Bring your own model: a trained PyTorch, TorchScript or ONNX network as a segmenter.

:class:`ModelSegmenter` gives a user's network what :func:`geoquant.segment.apply` needs: the
bands it reads (found in the cube by name), the classes of its output channels (vocabulary
names; words the vocabulary does not know stay classes of their own, as a land-cover legend's
do), its input normalisation, its halo (receptive-field radius) and stride (downsampling).
Build one with :func:`model_segmenter` from a ``torch.nn.Module``, a TorchScript file or an
ONNX file, or with :func:`from_mlm_item` from a STAC item of the Machine Learning Model
extension (MLM, https://stac-extensions.github.io/mlm/v1.4.0/schema.json).

Each tile goes through the network as follows:

1. the model's bands are taken from the tile, in the model's order;
2. each band is normalised, ``(x * scale + offset - mean) / std``;
3. missing pixels (NaN in any of those bands) are set to 0, the normalised band mean;
4. the tile is padded (bottom, right) with zeros to a multiple of ``stride`` pixels;
5. the network runs on the ``(1, band, y, x)`` float32 batch; its ``(1, class, y, x)`` output
   is cropped back and turned into probabilities according to ``output``:

   ============================  ================================  ==================
   ``output``                    the network gives                 classes exclusive
   ============================  ================================  ==================
   ``"logits"``                  logits; a softmax is applied      yes
   ``"probabilities"``           probabilities that sum to one     yes
   ``"sigmoid"``                 multi-label logits; a sigmoid     no
                                 is applied to each class
   ``"multilabel"``              per-class probabilities           no
   ============================  ================================  ==================

6. outputs are NaN wherever an input band was missing.

A probe forward pass on a small zero tile at construction checks that the network reads the
declared number of bands and gives one output channel per declared class at the input's
height and width, so a mismatch is reported before any dask work. Torch and onnxruntime are
imported only when a model is built.
"""

from __future__ import annotations

import hashlib
import io
import json
import numbers
import os
import re
import threading
import urllib.parse
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geoquant._backend import array_module, is_cupy
from geoquant.errors import (
    AssetError,
    ClassNameError,
    InvalidOptionError,
    MissingDependencyError,
    WeightsError,
)
from geoquant.segment._bands import COMMON_NAMES, band_indices, common_name
from geoquant.segment._vocabulary import Vocabulary

#: What ``output=`` accepts, and whether each makes the classes exclusive.
OUTPUTS: Mapping[str, bool] = {"logits": True, "probabilities": True, "sigmoid": False,
                               "multilabel": False}

#: MLM ``mlm:artifact_type`` values read as TorchScript and as ONNX (lower case).
TORCHSCRIPT_TYPES = ("torch.jit.script", "torch.jit.trace", "torch.jit", "torchscript")
ONNX_TYPES = ("onnx",)

#: MLM ``value_scaling`` types this module applies (``null`` entries leave a band as it is).
SCALINGS = ("z-score", "min-max", "scale", "offset")

_IMAGERY_HINT = 'pip install "geoquant[imagery]"'
_SEGMENTATION_TASKS = {"segmentation", "semantic-segmentation", "classification"}


# --- the segmenter ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ModelSegmenter:
    """A user's trained network as a :class:`~geoquant.segment.Segmenter`.

    Build one with :func:`model_segmenter` or :func:`from_mlm_item`; the module docstring
    describes what :meth:`predict` does to a tile.

    Attributes
    ----------
    runner : object
        Runs the network on ``(1, band, y, x)`` float32 batches (torch or onnxruntime).
    bands : tuple of str
        Common names of the bands the network reads, in its input order.
    classes : tuple of str
        Vocabulary names of its output channels, in order.
    mean, std, scale, offset : tuple of float
        Per-band normalisation: the network sees ``(x * scale + offset - mean) / std``.
    halo : int
        Receptive-field radius, pixels.
    stride : int
        Total downsampling: tiles are padded to, and windows start at, multiples of it.
    output : str
        What the network outputs (a key of :data:`OUTPUTS`).
    name : str
        Human name, for provenance and messages.
    exclusive : bool
        Whether the classes exclude one another (``output`` logits or probabilities).
    version : str
        12 hex digits of a SHA-256 over the weights, bands, classes, normalisation and output.
    """

    runner: Any
    bands: tuple[str, ...]
    classes: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    scale: tuple[float, ...]
    offset: tuple[float, ...]
    halo: int = 0
    stride: int = 1
    output: str = "logits"
    name: str = "model"
    exclusive: bool = field(init=False)
    version: str = field(init=False)

    def __post_init__(self) -> None:
        if self.output not in OUTPUTS:
            raise InvalidOptionError(f"unknown output {self.output!r}: use one of "
                                     f"{', '.join(OUTPUTS)}")
        for label, value, least in (("halo", self.halo, 0), ("stride", self.stride, 1)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
                    or value < least:
                raise InvalidOptionError(f"{label} must be an integer >= {least} pixels, not "
                                         f"{value!r}")
        n = len(self.bands)
        if not all(len(v) == n for v in (self.mean, self.std, self.scale, self.offset)):
            raise InvalidOptionError(f"mean, std, scale and offset need one value per band "
                                     f"({n})")
        object.__setattr__(self, "halo", int(self.halo))
        object.__setattr__(self, "stride", int(self.stride))
        object.__setattr__(self, "exclusive", OUTPUTS[self.output])
        object.__setattr__(self, "version", self._fingerprint())
        self._probe()

    # --- the Segmenter contract --------------------------------------------------------------

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        """Per-class probabilities for one tile.

        Parameters
        ----------
        tile : numpy.ndarray or cupy.ndarray
            ``(band, y, x)`` in the units the normalisation expects; NaN marks missing data.
            Any size: it is padded (bottom, right) to multiples of :attr:`stride`.
        bands : sequence of str
            Names of the tile's bands, in order (``"B04"`` and ``"red"`` match).

        Returns
        -------
        numpy.ndarray or cupy.ndarray
            ``(len(classes), y, x)`` float32 in [0, 1], on the tile's device; NaN wherever one
            of the model's bands is missing.

        Raises
        ------
        BandError
            A band the model reads is not among ``bands``.
        InvalidOptionError
            The tile is not ``(band, y, x)`` with one band per name.
        WeightsError
            The network's output does not have one channel per class at the tile's size.
        """
        names = [str(b) for b in bands]
        if getattr(tile, "ndim", None) != 3 or tile.shape[0] != len(names):
            raise InvalidOptionError(f"{self.name} predicts (band, y, x) tiles with one band "
                                     f"per name; got shape {getattr(tile, 'shape', None)} for "
                                     f"{len(names)} band name(s)")
        index = band_indices(names, self.bands, who=f"model {self.name!r}")
        xp = array_module(tile)
        x = tile[index].astype(np.float32)
        missing = ~xp.isfinite(x).all(axis=0)
        x = self._normalise(x, xp)
        x[:, missing] = 0.0
        height, width = x.shape[1:]
        pad_y, pad_x = -height % self.stride, -width % self.stride
        if pad_y or pad_x:
            x = xp.pad(x, ((0, 0), (0, pad_y), (0, pad_x)))
        out = self.runner.run(xp.ascontiguousarray(x[None]))
        self._check_output(out, x.shape[1:])
        probs = _activate(out[0, :, :height, :width].astype(np.float32), self.output, xp)
        probs[:, missing] = np.nan
        return probs

    def parameters(self) -> dict[str, Any]:
        """Provenance beyond name and version (used by ``describe``)."""
        return {"framework": self.runner.framework, "source": self.runner.source,
                "halo": self.halo, "stride": self.stride, "output": self.output,
                "mean": list(self.mean), "std": list(self.std), "scale": list(self.scale),
                "offset": list(self.offset)}

    def __dask_tokenize__(self) -> tuple[Any, ...]:
        return ("geoquant.ModelSegmenter", self.version, self.halo, self.stride, self.name)

    def __repr__(self) -> str:
        return (f"ModelSegmenter({self.name!r}, {self.runner.framework}, "
                f"version={self.version!r}, bands={self.bands}, classes={self.classes}, "
                f"halo={self.halo}, stride={self.stride}, output={self.output!r})")

    # --- helpers -----------------------------------------------------------------------------

    def _normalise(self, x: Any, xp: Any) -> Any:
        def column(values: tuple[float, ...]) -> Any:
            return xp.asarray(np.asarray(values, dtype=np.float32)[:, None, None])

        return (x * column(self.scale) + column(self.offset) - column(self.mean)) \
            / column(self.std)

    def _check_output(self, out: Any, shape: tuple[int, int]) -> None:
        expected = (1, len(self.classes), *shape)
        if tuple(getattr(out, "shape", ())) == expected:
            return
        got = tuple(getattr(out, "shape", ()))
        if len(got) == 4 and got[1] != len(self.classes):
            raise WeightsError(
                f"model {self.name!r} gives {got[1]} output channel(s), but "
                f"{len(self.classes)} class(es) were named ({', '.join(self.classes)}): name "
                "one class per output channel, in the network's order")
        raise WeightsError(
            f"model {self.name!r} gives an output of shape {got} for an input of shape "
            f"{(1, len(self.bands), *shape)}; geoquant needs (1, class, y, x) at the input's "
            "height and width: a scene classifier or a network that returns a downsampled "
            "map cannot segment tiles (upsample inside the network, and give stride= its "
            "downsampling)")

    def _probe(self) -> None:
        """One forward pass on a small zero tile: the bands and classes fit the network."""
        size = -(-max(8, self.stride) // self.stride) * self.stride
        x = np.zeros((1, len(self.bands), size, size), dtype=np.float32)
        try:
            out = self.runner.run(x)
        except Exception as err:  # a network fails in many ways on inputs it cannot read
            raise WeightsError(
                f"model {self.name!r} fails on a {tuple(x.shape)} probe tile ({_reason(err)})"
                f": check that bands names one band per input channel ({len(self.bands)} "
                f"named: {', '.join(self.bands)}) and, if the network downsamples, that "
                f"stride= is its total downsampling (now {self.stride})") from err
        self._check_output(out, (size, size))

    def _fingerprint(self) -> str:
        digest = hashlib.sha256()
        header = {"framework": self.runner.framework, "bands": self.bands,
                  "classes": self.classes, "mean": self.mean, "std": self.std,
                  "scale": self.scale, "offset": self.offset, "output": self.output}
        digest.update(json.dumps(header, sort_keys=True).encode())
        self.runner.fingerprint(digest)
        return digest.hexdigest()[:12]


def _activate(out: Any, output: str, xp: Any) -> Any:
    """Probabilities from a ``(class, y, x)`` output (see the module's table)."""
    if output == "logits":
        e = xp.exp(out - out.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)
    if output == "sigmoid":
        e = xp.exp(-xp.abs(out))   # stable for large logits of either sign
        return xp.where(out >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.float32)
    return xp.clip(out, 0.0, 1.0)


# --- running networks ------------------------------------------------------------------------


class _TorchRunner:
    """A ``torch.nn.Module`` (or TorchScript module) run in inference mode.

    NumPy batches run on the device the module is on; CuPy batches on their GPU (shared with
    torch through DLPack), the module moved there first.
    """

    def __init__(self, module: Any, *, source: str | None = None,
                 script: bytes | None = None) -> None:
        self.module = module.eval()
        self.source = source
        self._script = script
        self._lock = threading.Lock()
        self.framework = "torchscript" if _is_script(module) else "torch"

    def run(self, x: Any) -> Any:
        import torch

        if is_cupy(x):
            tensor = torch.from_dlpack(x)
            target = tensor.device
        else:
            tensor = torch.from_numpy(x)
            target = self._device()
        if self._device() != target:
            with self._lock:
                self.module.to(target)
        with torch.inference_mode():
            out = _tensor_output(self.module(tensor.to(target)))
            out = out.float().contiguous()
        if is_cupy(x):
            import cupy

            return cupy.from_dlpack(out)
        return out.cpu().numpy()

    def fingerprint(self, digest: Any) -> None:
        import torch

        digest.update(f"{type(self.module).__module__}.{type(self.module).__qualname__}"
                      .encode())
        if _is_script(self.module):
            digest.update(str(getattr(self.module, "code", "")).encode())
        for key, value in sorted(self.module.state_dict().items()):
            digest.update(key.encode())
            if isinstance(value, torch.Tensor):
                flat = value.detach().cpu().contiguous().reshape(-1)
                digest.update(str(flat.dtype).encode())
                digest.update(flat.view(torch.uint8).numpy().tobytes())

    def _device(self) -> Any:
        import torch

        for tensor in (*self.module.parameters(), *self.module.buffers()):
            return tensor.device
        return torch.device("cpu")

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # TorchScript modules do not pickle: they travel (to Dask workers) as their file.
        if _is_script(self.module):
            if self._script is None:
                import torch

                buffer = io.BytesIO()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    torch.jit.save(self.module, buffer)
                self._script = buffer.getvalue()
            return _torchscript_runner, (self._script, self.source)
        return _torch_runner, (self.module, self.source)


def _torch_runner(module: Any, source: str | None) -> _TorchRunner:
    return _TorchRunner(module, source=source)


def _torchscript_runner(data: bytes, source: str | None) -> _TorchRunner:
    return _TorchRunner(_load_script(data), source=source, script=data)


def _load_script(data: bytes) -> Any:
    import torch

    with warnings.catch_warnings():
        # torch deprecates TorchScript in favour of torch.export, but MLM items and trained
        # models still come as TorchScript; the warning is no news to someone loading one.
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.load(io.BytesIO(data), map_location="cpu")


def _is_script(module: Any) -> bool:
    return type(module).__module__.startswith("torch.jit") or \
        type(module).__name__ in ("RecursiveScriptModule", "ScriptModule")


def _tensor_output(out: Any) -> Any:
    """The class map of a network's output: a tensor, a sequence's first, a dict's ``out``."""
    if isinstance(out, Mapping):
        if "out" in out:
            return out["out"]
        if len(out) == 1:
            return next(iter(out.values()))
        raise WeightsError(f"the network returns a dict with keys {', '.join(map(str, out))}; "
                           "geoquant reads a tensor, or the 'out' entry of a dict")
    if isinstance(out, list | tuple):
        return _tensor_output(out[0])
    return out


class _OnnxRunner:
    """An ONNX model run with onnxruntime: CUDA when it is available, else the CPU.

    The session is made on first use in each process; the runner travels as the file's bytes.
    """

    framework = "onnx"

    def __init__(self, data: bytes, *, source: str | None = None) -> None:
        self.data = data
        self.source = source
        self._session: Any = None
        self._lock = threading.Lock()
        self._open()

    def _open(self) -> Any:
        with self._lock:
            if self._session is not None:
                return self._session
            try:
                import onnxruntime as ort
            except ImportError as err:
                raise MissingDependencyError(
                    f"running the ONNX model {self.source or ''} needs onnxruntime, which is "
                    f"not installed: {_IMAGERY_HINT}") from err
            available = ort.get_available_providers()
            providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider")
                         if p in available] or available
            options = ort.SessionOptions()
            options.log_severity_level = 3
            try:
                session = ort.InferenceSession(self.data, sess_options=options,
                                               providers=providers)
            except Exception as err:  # onnxruntime raises its own classes for bad files
                raise WeightsError(f"cannot read {self.source or 'the model'} as an ONNX model "
                                   f"({_reason(err)}): it is corrupt or not an ONNX file; "
                                   "export the network with torch.onnx.export") from err
            inputs = session.get_inputs()
            if len(inputs) != 1 or len(inputs[0].shape) != 4:
                shapes = ", ".join(f"{i.name} {i.shape}" for i in inputs)
                raise WeightsError(f"the ONNX model {self.source or ''} takes {shapes}; "
                                   "geoquant runs models with one (batch, band, y, x) input")
            fixed = [d for d in inputs[0].shape[2:] if isinstance(d, int) and d > 0]
            if fixed:
                raise WeightsError(
                    f"the ONNX model {self.source or ''} takes inputs of fixed size "
                    f"{inputs[0].shape[2:]}, but tiles vary in size: export it with dynamic "
                    "height and width (torch.onnx.export(..., dynamic_axes={'input': {0: "
                    "'batch', 2: 'height', 3: 'width'}}))")
            self._session = session
            self._input = inputs[0].name
            self._dtype = {"tensor(double)": np.float64,
                           "tensor(float16)": np.float16}.get(inputs[0].type, np.float32)
            return session

    def run(self, x: Any) -> Any:
        session = self._open()
        host = x.get() if is_cupy(x) else np.asarray(x)
        out = session.run(None, {self._input: host.astype(self._dtype, copy=False)})[0]
        out = np.asarray(out, dtype=np.float32)
        return array_module(x).asarray(out) if is_cupy(x) else out

    def fingerprint(self, digest: Any) -> None:
        digest.update(self.data)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return _onnx_runner, (self.data, self.source)


def _onnx_runner(data: bytes, source: str | None) -> _OnnxRunner:
    return _OnnxRunner(data, source=source)


# --- building segmenters ---------------------------------------------------------------------


def model_segmenter(model: Any, *, bands: Sequence[str], classes: Sequence[str],
                    mean: Any = None, std: Any = None, scale: Any = None, offset: Any = None,
                    halo: int = 0, stride: int = 1, output: str = "logits",
                    name: str | None = None) -> ModelSegmenter:
    """A trained network as a segmenter.

    Parameters
    ----------
    model : torch.nn.Module, str or Path
        The network: a module (set to eval mode; NumPy tiles run on the device it is on), a
        ``.onnx`` file (run with onnxruntime, on CUDA when available), or a TorchScript file
        (``torch.jit.save``; ``.pt``, ``.pth``, ``.ts``). Pickled ``torch.save`` models are not
        read: load one yourself, if you trust it, and pass the module.
    bands : sequence of str
        The bands of the network's input channels, in order, as the cube names them or by
        common name (``["B04", "B03", "B02"]`` or ``["red", "green", "blue"]``).
    classes : sequence of str
        Class words of the output channels, in order. Vocabulary words and synonyms become
        vocabulary names (``"trees"`` is ``forest``); other words stay classes of their own.
    mean, std, scale, offset : float or sequence of float, optional
        Normalisation in the input's units, one value per band or one for all: the network
        sees ``(x * scale + offset - mean) / std`` (defaults 0, 1, 1, 0).
    halo : int
        Receptive-field radius of the network, pixels: windows overlap by more than this so
        that stitched tiles equal whole-image inference (two 3 x 3 convolutions: 2).
    stride : int
        Total downsampling of the network (a UNet with five poolings: 32); tiles are padded
        to multiples of it.
    output : {"logits", "probabilities", "sigmoid", "multilabel"}
        What the network gives (see :mod:`geoquant.segment._user_model`): softmax logits
        and probabilities make exclusive classes; sigmoid logits and multi-label
        probabilities score each class on its own.
    name : str, optional
        Human name (default: the module's class or the file's name).

    Returns
    -------
    ModelSegmenter

    Raises
    ------
    InvalidOptionError
        Bad bands, classes, normalisation, halo, stride or output.
    WeightsError
        The file is missing or unreadable, onnxruntime is missing for an ONNX file, or the
        network does not read ``len(bands)`` channels into ``len(classes)`` channels at the
        input's size (checked with a probe forward pass).

    Examples
    --------
    >>> import torch
    >>> net = torch.nn.Conv2d(3, 2, 3, padding=1)
    >>> seg = model_segmenter(net, bands=["B04", "B03", "B02"], classes=["water", "trees"],
    ...                       mean=0.1, std=0.05, halo=1)
    >>> seg.bands, seg.classes, seg.exclusive
    (('red', 'green', 'blue'), ('water', 'forest'), True)
    """
    runner, default_name = _runner(model)
    names = _band_names(bands)
    n = len(names)
    return ModelSegmenter(
        runner, names, _class_names(classes),
        mean=_per_band(mean, 0.0, n, "mean"), std=_per_band(std, 1.0, n, "std", positive=True),
        scale=_per_band(scale, 1.0, n, "scale"), offset=_per_band(offset, 0.0, n, "offset"),
        halo=halo, stride=stride, output=output, name=name or default_name)


def _runner(model: Any) -> tuple[Any, str]:
    """The runner of a module or model file, and a default name."""
    if isinstance(model, str | os.PathLike):
        path = Path(model)
        if not path.is_file():
            raise WeightsError(f"model file {path} does not exist: pass a .onnx file, a "
                               "TorchScript file or a torch.nn.Module")
        kind = "onnx" if path.suffix.lower() == ".onnx" else "torchscript"
        return _artifact_runner(path.read_bytes(), kind, source=str(path)), path.stem
    if hasattr(model, "state_dict") and callable(model):
        return _TorchRunner(model), type(model).__name__
    raise InvalidOptionError(f"model must be a torch.nn.Module or the path of a .onnx or "
                             f"TorchScript file, not {type(model).__name__}")


def _artifact_runner(data: bytes, kind: str, *, source: str) -> Any:
    if kind == "onnx":
        return _OnnxRunner(data, source=source)
    try:
        module = _load_script(data)
    except Exception as err:  # torch.jit.load fails in many ways on foreign files
        raise WeightsError(
            f"cannot read {source} as a TorchScript model ({_reason(err)}): save the network "
            "with torch.jit.script(net).save(path) or export it to ONNX; a pickled "
            "torch.save model is not read (it runs arbitrary code): load it yourself if you "
            "trust it and pass the module") from err
    return _TorchRunner(module, source=source, script=data)


def _band_names(bands: Sequence[str]) -> tuple[str, ...]:
    if isinstance(bands, str) or not len(bands):
        raise InvalidOptionError(f"bands must be a non-empty sequence of band names, one per "
                                 f"input channel, not {bands!r}")
    names = tuple(_band_name(b) for b in bands)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidOptionError(f"bands {', '.join(repeated)} are named more than once in "
                                 f"{list(bands)}: geoquant feeds each band once (models over "
                                 "several dates stacked as channels are not supported)")
    return names


def _band_name(band: Any) -> str:
    """A band's common name; ``"B4"`` is Sentinel-2 ``B04``."""
    text = str(band).strip()
    short = re.fullmatch(r"[bB](\d)", text)
    return common_name(f"B0{short.group(1)}" if short else text)


def _class_names(classes: Sequence[str]) -> tuple[str, ...]:
    if isinstance(classes, str) or not len(classes):
        raise InvalidOptionError(f"classes must be a non-empty sequence of class names, one "
                                 f"per output channel, not {classes!r}")
    words = [str(c) for c in classes]
    vocabulary = Vocabulary(words)
    names = []
    for word in words:
        try:
            names.append(vocabulary.canonical(word))
        except ClassNameError:   # "no data", "unclassified": a channel all the same
            names.append(" ".join(word.lower().replace("_", " ").split()))
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise InvalidOptionError(f"classes {', '.join(repeated)} appear more than once in "
                                 f"{words} (synonyms count as the same class)")
    return tuple(names)


def _per_band(values: Any, default: float, n: int, label: str, *,
              positive: bool = False) -> tuple[float, ...]:
    array = np.asarray(default if values is None else values, dtype=np.float64).reshape(-1)
    if array.size == 1:
        array = np.repeat(array, n)
    if array.shape != (n,):
        raise InvalidOptionError(f"{label} needs one value per band ({n}) or one for all, "
                                 f"not {array.size}")
    if not np.isfinite(array).all() or (positive and not (array > 0).all()):
        raise InvalidOptionError(f"{label} must be finite{' and positive' if positive else ''}"
                                 f", not {array.tolist()}")
    return tuple(float(v) for v in array)


def _reason(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


# --- STAC MLM items --------------------------------------------------------------------------


def from_mlm_item(item: Any, *, asset: str | None = None, halo: int | None = None,
                  stride: int | None = None, output: str | None = None,
                  name: str | None = None) -> ModelSegmenter:
    """A segmenter from a STAC item of the Machine Learning Model (MLM) extension.

    Reads from the item's properties (or the model asset's fields):

    * ``mlm:input`` (one input): ``bands`` (strings or objects with ``name``; names resolve
      through the item's ``eo:bands``/``bands`` ``common_name`` when geoquant does not know
      them), ``input.dim_order`` (``batch, channel, height, width``) and ``value_scaling``
      (one object per band or one for all; types ``z-score``, ``min-max``, ``scale``,
      ``offset`` or ``null``);
    * ``mlm:output`` (the one whose ``tasks`` include a segmentation task):
      ``classification:classes`` ordered by ``value``, one per output channel (``name``, or
      ``description``), checked against ``result.shape``;
    * the asset with role ``mlm:model`` and ``mlm:artifact_type`` ``onnx`` or TorchScript
      (``torch.jit.script``, ``torch.jit.trace``); without an artifact type, an ``.onnx``
      href is read as ONNX. Relative hrefs resolve against the item's location;
    * geoquant's own properties, which MLM has no field for: ``geoquant:halo`` (the
      receptive-field radius, pixels; 0 with a warning when absent), ``geoquant:stride``
      (default 1) and ``geoquant:output`` (default ``"logits"``).

    Parameters
    ----------
    item : dict, pystac.Item, str or Path
        The item, or the path or URL (``file://``, ``http(s)://``) of its JSON.
    asset : str, optional
        Key of the model asset, when the item has several with role ``mlm:model``.
    halo, stride, output, name : optional
        Override the item's ``geoquant:halo``, ``geoquant:stride``, ``geoquant:output`` and
        ``mlm:name``.

    Returns
    -------
    ModelSegmenter

    Raises
    ------
    AssetError
        No model asset (or not the one named), or its file cannot be read.
    WeightsError
        ``mlm:input``/``mlm:output`` missing or not what geoquant runs (several inputs, other
        dimension orders, no classes, a value scaling other than those above, no
        segmentation task), an artifact type other than ONNX or TorchScript (a pickled
        ``torch.save`` model is refused: it runs arbitrary code), an unreadable model, or a
        model that does not fit the bands and classes named.
    """
    data, base = _read_item(item)
    label = f"MLM item {data.get('id', '?')!r}"
    key, model_asset = _model_asset(data, asset, label)
    props = dict(data.get("properties") or {})
    meta = {**props, **{k: v for k, v in model_asset.items() if k.startswith("mlm:")}}
    spec = _mlm_input(meta, label)
    names = [_mlm_band_name(b, data, model_asset, label) for b in spec.get("bands") or []]
    if not names:
        raise WeightsError(f"{label}: mlm:input names no bands; geoquant needs the band of "
                           "each input channel, in order")
    _check_dims(spec, len(names), label)
    mean, std = _value_scaling(spec.get("value_scaling"), len(names), label)
    out_spec = _mlm_output(meta, label)
    classes = _mlm_classes(out_spec, label)

    href = _resolve(str(model_asset.get("href") or ""), base)
    kind = _artifact_kind(model_asset, href, f"{label} asset {key!r}")
    for where, entry, what in (("mlm:input", spec, "pre_processing_function"),
                               ("mlm:output", out_spec, "post_processing_function")):
        if entry.get(what):
            warnings.warn(f"{label}: {where} has a {what}, which geoquant does not run; "
                          "inputs are prepared by value_scaling alone and outputs read as "
                          "output= says", stacklevel=2)
    if halo is None and "geoquant:halo" not in props:
        warnings.warn(f"{label} gives no geoquant:halo (the network's receptive-field radius"
                      "): assuming 0, so stitched tiles may differ from whole-image "
                      "inference near tile edges; pass halo= or add the property",
                      stacklevel=2)
    runner = _artifact_runner(_read_artifact(href, f"{label} asset {key!r}"), kind,
                              source=href)
    try:
        return ModelSegmenter(
            runner, _band_names(names), _class_names(classes),
            mean=_per_band(mean, 0.0, len(names), "mean"),
            std=_per_band(std, 1.0, len(names), "std", positive=True),
            scale=(1.0,) * len(names), offset=(0.0,) * len(names),
            halo=props.get("geoquant:halo", 0) if halo is None else halo,
            stride=props.get("geoquant:stride", 1) if stride is None else stride,
            output=props.get("geoquant:output", "logits") if output is None else output,
            name=name or str(props.get("mlm:name") or data.get("id") or Path(href).stem))
    except InvalidOptionError as err:
        raise WeightsError(f"{label} does not describe a model geoquant can run: {err}") \
            from err


def _read_item(item: Any) -> tuple[dict[str, Any], str | None]:
    """The item as a dict, and where its relative hrefs start (a folder path or a URL)."""
    if hasattr(item, "to_dict") and hasattr(item, "get_self_href"):   # pystac.Item
        return item.to_dict(include_self_link=False, transform_hrefs=False), \
            _base(item.get_self_href())
    if isinstance(item, Mapping):
        self_href = next((link.get("href") for link in item.get("links") or []
                          if link.get("rel") == "self"), None)
        return dict(item), _base(self_href)
    if isinstance(item, str | os.PathLike):
        where = str(item)
        try:
            text = _read_bytes(where).decode("utf-8")
            data = json.loads(text)
        except (OSError, ValueError) as err:
            raise AssetError(f"cannot read the STAC item {where} ({_reason(err)}): give the "
                             "path or URL of an item JSON file") from err
        if not isinstance(data, dict):
            raise AssetError(f"{where} is not a STAC item (a JSON object)")
        return data, _base(where)
    raise InvalidOptionError(f"item must be a STAC item (dict or pystac.Item) or the path or "
                             f"URL of one, not {type(item).__name__}")


def _is_url(href: str) -> bool:
    return urllib.parse.urlparse(href).scheme in ("http", "https", "file")


def _base(href: str | None) -> str | None:
    if not href:
        return None
    if _is_url(href):
        return href
    return str(Path(href).resolve().parent)


def _resolve(href: str, base: str | None) -> str:
    if not href or _is_url(href) or Path(href).is_absolute() or base is None:
        return href
    if _is_url(base):
        return urllib.parse.urljoin(base, href)
    return str(Path(base) / href)


def _read_bytes(href: str) -> bytes:
    import urllib.request  # network modules load only when a model is fetched

    parsed = urllib.parse.urlparse(href)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path)).read_bytes()
    if parsed.scheme in ("http", "https"):
        with urllib.request.urlopen(href, timeout=60) as response:
            return response.read()
    if len(parsed.scheme) > 1:
        raise OSError(f"geoquant reads local paths and file://, http:// and https:// URLs, not "
                      f"{parsed.scheme}://; download the file and give its path")
    return Path(href).read_bytes()


def _read_artifact(href: str, label: str) -> bytes:
    try:
        return _read_bytes(href)
    except OSError as err:
        raise AssetError(f"cannot read the model file of {label} at {href!r} "
                         f"({_reason(err)}): check its href (relative hrefs start at the "
                         "item's file)") from err


def _model_asset(data: Mapping[str, Any], asset: str | None,
                 label: str) -> tuple[str, dict[str, Any]]:
    assets = data.get("assets") or {}
    if asset is not None:
        if asset not in assets:
            raise AssetError(f"{label} has no asset {asset!r}; it has "
                             f"{', '.join(assets) or 'no assets'}")
        return asset, dict(assets[asset])
    models = [k for k, a in assets.items() if "mlm:model" in (a.get("roles") or [])]
    if len(models) == 1:
        return models[0], dict(assets[models[0]])
    if models:
        raise AssetError(f"{label} has several model assets ({', '.join(models)}): choose one "
                         "with asset=")
    described = ", ".join(f"{k} (roles {a.get('roles') or []})" for k, a in assets.items())
    raise AssetError(f"{label} has no asset with role 'mlm:model' (assets: "
                     f"{described or 'none'}): add the role to the model's asset, or name "
                     "it with asset=")


def _mlm_input(meta: Mapping[str, Any], label: str) -> dict[str, Any]:
    inputs = meta.get("mlm:input")
    if not isinstance(inputs, list) or not inputs:
        raise WeightsError(f"{label} has no mlm:input: describe the model's input bands and "
                           "value_scaling there (MLM extension)")
    if len(inputs) > 1:
        raise WeightsError(f"{label} has {len(inputs)} inputs in mlm:input; geoquant runs "
                           "models with one (batch, band, y, x) input")
    return dict(inputs[0])


def _mlm_output(meta: Mapping[str, Any], label: str) -> dict[str, Any]:
    outputs = meta.get("mlm:output")
    if not isinstance(outputs, list) or not outputs:
        raise WeightsError(f"{label} has no mlm:output: describe the model's output with its "
                           "classification:classes there (MLM extension)")
    if len(outputs) == 1:
        chosen = dict(outputs[0])
    else:
        found = [o for o in outputs if _SEGMENTATION_TASKS & set(o.get("tasks") or [])]
        if not found:
            raise WeightsError(f"{label} has {len(outputs)} outputs and none for a "
                               "segmentation task")
        chosen = dict(found[0])
    tasks = set(chosen.get("tasks") or meta.get("mlm:tasks") or [])
    if tasks and not tasks & _SEGMENTATION_TASKS:
        raise WeightsError(f"{label} is a model for {', '.join(sorted(tasks))}; geoquant "
                           "segments tiles with models for semantic-segmentation")
    return chosen


def _mlm_classes(out: Mapping[str, Any], label: str) -> list[str]:
    entries = out.get("classification:classes") or []
    if not entries:
        raise WeightsError(f"{label}: mlm:output has no classification:classes; geoquant "
                           "needs one class (value, name) per output channel")
    entries = sorted(entries, key=lambda e: e.get("value", 0))
    classes = [str(e.get("name") or e.get("description") or e.get("value")) for e in entries]
    result = out.get("result") or {}
    dims = [str(d).lower() for d in result.get("dim_order") or []]
    shape = list(result.get("shape") or [])
    for dim in ("class", "classes", "channel", "channels"):
        if dim in dims and len(shape) == len(dims):
            size = shape[dims.index(dim)]
            if isinstance(size, int) and size > 0 and size != len(classes):
                raise WeightsError(f"{label}: mlm:output gives {size} output channels but "
                                   f"{len(classes)} classification:classes: list one class "
                                   "per channel")
            break
    return classes


def _mlm_band_name(band: Any, data: Mapping[str, Any], model_asset: Mapping[str, Any],
                   label: str) -> str:
    name = band.get("name") if isinstance(band, Mapping) else band
    if not isinstance(name, str) or not name.strip():
        raise WeightsError(f"{label}: mlm:input band {band!r} has no name")
    if _band_name(name) in COMMON_NAMES.values():
        return name
    # A name geoquant does not know: the item's band objects may give its common name.
    props = data.get("properties") or {}
    for bands in (model_asset.get("eo:bands"), model_asset.get("bands"), props.get("eo:bands"),
                  props.get("bands")):
        for entry in bands or []:
            if isinstance(entry, Mapping) and entry.get("name") == name:
                common = entry.get("common_name") or entry.get("eo:common_name")
                if common:
                    return str(common)
    return name


def _check_dims(spec: Mapping[str, Any], n: int, label: str) -> None:
    structure = spec.get("input") or {}
    dims = [str(d).lower() for d in structure.get("dim_order") or []]
    if not dims:
        return
    if len(dims) != 4 or dims[0] != "batch" or dims[2:] != ["height", "width"] \
            or dims[1] not in ("channel", "channels", "band", "bands"):
        raise WeightsError(f"{label}: mlm:input has dim_order {dims}; geoquant feeds "
                           "(batch, channel, height, width) tiles")
    shape = list(structure.get("shape") or [])
    if len(shape) == len(dims) and isinstance(shape[1], int) and shape[1] > 0 \
            and shape[1] != n:
        raise WeightsError(f"{label}: mlm:input has {shape[1]} channels in input.shape but "
                           f"names {n} band(s): name one band per channel")


def _value_scaling(scaling: Any, n: int, label: str) -> tuple[list[float], list[float]]:
    """MLM ``value_scaling`` as ``(x - mean) / std`` per band."""
    if not scaling:
        return [0.0] * n, [1.0] * n
    if not isinstance(scaling, list) or len(scaling) not in (1, n):
        raise WeightsError(f"{label}: mlm:input value_scaling needs one object per band ({n}) "
                           f"or one for all, not {scaling!r}")
    if len(scaling) == 1:
        scaling = scaling * n
    mean, std = [], []
    for entry in scaling:
        entry = dict(entry or {})
        kind = entry.get("type")
        try:
            if kind is None:
                pair = (0.0, 1.0)
            elif kind == "z-score":
                pair = (float(entry["mean"]), float(entry["stddev"]))
            elif kind == "min-max":
                pair = (float(entry["minimum"]),
                        float(entry["maximum"]) - float(entry["minimum"]))
            elif kind == "scale":
                pair = (0.0, float(entry["value"]))
            elif kind == "offset":
                pair = (float(entry["value"]), 1.0)
            else:
                raise WeightsError(
                    f"{label}: value_scaling type {kind!r} is not supported; geoquant applies "
                    f"{', '.join(SCALINGS)} and null. Build the step into the network (e.g. "
                    "torch.clamp in its forward) and export it again, or load it with "
                    "model_segmenter(..., mean=, std=, scale=, offset=)")
        except (KeyError, TypeError, ValueError) as err:
            raise WeightsError(f"{label}: value_scaling {entry} lacks or has a malformed "
                               f"{_reason(err)}") from err
        if not pair[1] > 0:
            raise WeightsError(f"{label}: value_scaling {entry} divides by {pair[1]}; it "
                               "must be positive")
        mean.append(pair[0])
        std.append(pair[1])
    return mean, std


def _artifact_kind(model_asset: Mapping[str, Any], href: str, label: str) -> str:
    kind = str(model_asset.get("mlm:artifact_type") or "").strip().lower()
    if not kind:
        if href.lower().endswith(".onnx") or "onnx" in str(model_asset.get("type", "")):
            return "onnx"
        raise WeightsError(f"{label} has no mlm:artifact_type: set it to 'onnx' or "
                           "'torch.jit.script'")
    if kind in ONNX_TYPES:
        return "onnx"
    if kind in TORCHSCRIPT_TYPES:
        return "torchscript"
    if kind == "torch.save":
        raise WeightsError(
            f"{label} is a pickled torch.save model, which geoquant does not load: "
            "unpickling runs arbitrary code and needs the model's classes. Export it with "
            "torch.jit.script(net).save(path) or torch.onnx.export and set mlm:artifact_type "
            "to 'torch.jit.script' or 'onnx'; or, if you trust the file, load it yourself and "
            "pass the module to model_segmenter")
    raise WeightsError(f"{label} has mlm:artifact_type {kind!r}; geoquant runs "
                       f"{', '.join(ONNX_TYPES + TORCHSCRIPT_TYPES)} models: export the "
                       "network to ONNX or TorchScript")

