"""Bring your own model: a trained PyTorch, TorchScript or ONNX network as a segmenter.

:class:`ModelSegmenter` gives a user's network what :func:`geoquant.segment.apply` needs: the
bands it reads (found in the cube by name), the classes of its output channels (vocabulary
names; words the vocabulary does not know stay classes of their own, as a land-cover legend's
do), its input normalisation, its halo (receptive-field radius) and stride (downsampling).
Build one with :func:`geoquant.segment.open_segmenter` (:func:`model_segmenter` here) from a
``torch.nn.Module``, a TorchScript file or an ONNX file, or (:func:`from_mlm_item`) from a STAC
item of the Machine Learning Model extension (MLM,
https://stac-extensions.github.io/mlm/v1.4.0/schema.json; read in :mod:`geoquant.segment._mlm`).

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
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geoquant._backend import array_module, is_cupy
from geoquant.errors import (
    ClassNameError,
    InvalidOptionError,
    MissingDependencyError,
    WeightsError,
)
from geoquant.segment._bands import band_indices, common_name
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

    Build one with :func:`geoquant.segment.open_segmenter`; the module docstring
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
