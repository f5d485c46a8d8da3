"""Any segmenter, from whatever names or holds it: the one public way to open one.

=================================================  ===============================================
``source``                                         opened as
=================================================  ===============================================
a name of :data:`~geoquant.segment.SEGMENTER_NAMES`  that segmenter (``sar-water``, ``spectral``,
                                                   ``spectral-ndwi``; ``threshold_db=``)
a name of :data:`~geoquant.segment.PRODUCTS`       that land-cover product (``band=``)
a torch module, ONNX or TorchScript file, with     a :class:`~geoquant.segment.ModelSegmenter`
``bands=`` and ``classes=``                        (normalisation, ``halo=``, ``stride=``, ...)
a STAC item with the MLM extension (dict,          a :class:`~geoquant.segment.ModelSegmenter`
pystac.Item, JSON path or URL)                     (``asset=``, ``halo=``, ``stride=``, ...)
JSON written by :meth:`PixelClassifier.save`       a :class:`~geoquant.segment.PixelClassifier`
a ``geoquant train`` checkpoint                    a :class:`~geoquant.segment.UNetSegmenter`
                                                   (``device=``)
a segmenter                                        itself
=================================================  ===============================================

An option that the source's kind does not read is refused, naming the kinds that read it.
A bare ONNX or TorchScript file does not say which bands it reads or which classes it makes:
declare them with ``bands=`` and ``classes=``, or describe the model in a STAC MLM item.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geoquant.errors import InvalidOptionError, WeightsError

BARE_MODELS = (".onnx", ".pt", ".pth", ".ts", ".torchscript")

# The options each kind of source reads; any other option given is refused.
_MODEL = frozenset({"bands", "classes", "mean", "std", "scale", "offset", "halo", "stride",
                    "output", "name"})
_MLM = frozenset({"asset", "halo", "stride", "output", "name"})
_READS: dict[str, frozenset[str]] = {
    "a segmenter name": frozenset({"threshold_db"}),
    "a land-cover product": frozenset({"band"}),
    "a model with declared bands and classes": _MODEL,
    "a STAC MLM item": _MLM,
    "a classifier file": frozenset(),
    "a checkpoint": frozenset({"device"}),
    "a segmenter": frozenset(),
}


def open_segmenter(source: Any, /, *, bands: Sequence[str] | None = None,
                   classes: Sequence[str] | None = None, mean: Any = None, std: Any = None,
                   scale: Any = None, offset: Any = None, halo: int | None = None,
                   stride: int | None = None, output: str | None = None,
                   name: str | None = None, asset: str | None = None, band: str | None = None,
                   device: Any = None, threshold_db: float | None = None) -> Any:
    """Open the segmenter that ``source`` names or holds (see the module docstring's table).

    Parameters
    ----------
    source : str, Path, dict, pystac.Item, torch.nn.Module or Segmenter
        A segmenter name (``"sar-water"``), a product name (``"esa-worldcover"``), a model
        (module or ONNX/TorchScript file, with ``bands`` and ``classes``), a STAC MLM item or
        the path or URL (``file://``, ``http(s)://``) of one, a classifier JSON, a
        ``geoquant train`` checkpoint, or a segmenter (returned as it is).
    bands, classes : sequence of str, optional
        A model's input bands and output classes, in channel order (a bare model only).
    mean, std, scale, offset : float or sequence of float, optional
        A bare model's input normalisation, in the input's units: the network sees
        ``(x * scale + offset - mean) / std``.
    halo : int, optional
        A model's receptive-field radius, pixels (overrides an MLM item's ``geoquant:halo``).
    stride : int, optional
        A model's total downsampling, pixels (overrides ``geoquant:stride``).
    output : {"logits", "probabilities", "sigmoid", "multilabel"}, optional
        What a model gives (overrides ``geoquant:output``).
    name : str, optional
        A model's human name (overrides ``mlm:name``).
    asset : str, optional
        The model asset of an MLM item with several.
    band : str, optional
        The band holding a product's codes, when the cube has several.
    device : str or torch.device, optional
        Where a checkpoint's network goes (default ``"cpu"``).
    threshold_db : float, optional
        A fixed backscatter threshold for ``sar-water``, dB (default: Otsu over the region).

    Returns
    -------
    Segmenter

    Raises
    ------
    InvalidOptionError
        An option the source's kind does not read, an unknown name, or a model without
        ``bands`` and ``classes``.
    WeightsError
        The file is missing, unreadable, of no kind listed, or a bare model file that names no
        bands or classes.

    Examples
    --------
    >>> from geoquant.segment import open_segmenter
    >>> open_segmenter("sar-water", threshold_db=-18.0).name
    'open water (SAR VV)'
    >>> open_segmenter("esa-worldcover").classes[:2]
    ('forest', 'shrubland')
    """
    given = {key: value for key, value in (
        ("bands", bands), ("classes", classes), ("mean", mean), ("std", std),
        ("scale", scale), ("offset", offset), ("halo", halo), ("stride", stride),
        ("output", output), ("name", name), ("asset", asset), ("band", band),
        ("device", device), ("threshold_db", threshold_db)) if value is not None}
    kind, opener = _kind_of(source, given)
    _check_options(kind, given, source)
    return opener(source, **given)


def _kind_of(source: Any, given: Mapping[str, Any]) -> tuple[str, Any]:
    """Which kind ``source`` is, and the function that opens that kind."""
    from geoquant.segment._layers import SEGMENTER_NAMES
    from geoquant.segment._products import PRODUCTS

    if "bands" in given or "classes" in given:
        return "a model with declared bands and classes", _model
    if isinstance(source, str) and source in SEGMENTER_NAMES:
        return "a segmenter name", _named
    if isinstance(source, str) and source in PRODUCTS:
        return "a land-cover product", _product
    if isinstance(source, Mapping) or (hasattr(source, "to_dict")
                                       and hasattr(source, "get_self_href")):
        return "a STAC MLM item", _mlm
    if isinstance(source, str) and source.startswith(("http://", "https://", "file://")):
        return "a STAC MLM item", _mlm
    if isinstance(source, str) and not Path(source).exists() and _looks_like_name(source):
        raise InvalidOptionError(_unknown_name(source, SEGMENTER_NAMES, PRODUCTS))
    if isinstance(source, str | os.PathLike):
        return _file_kind(Path(source))
    from geoquant.segment._protocol import Segmenter

    if isinstance(source, Segmenter):
        return "a segmenter", _itself
    raise InvalidOptionError(
        f"cannot open a segmenter from {type(source).__name__}: give a segmenter or product "
        "name, a file or STAC item, or a torch module with bands= and classes=")


def _looks_like_name(text: str) -> bool:
    """Whether a string that is no file is a mistyped name rather than a missing file."""
    return "/" not in text and os.sep not in text and not Path(text).suffix


def _unknown_name(text: str, names: Sequence[str], products: Mapping[str, Any]) -> str:
    import difflib

    segmenters = [n for n in names if n != "auto"]
    close = difflib.get_close_matches(text, segmenters + list(products), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return (f"unknown segmenter or land-cover product {text!r} (and no file of that name): "
            f"{hint}segmenters are {', '.join(segmenters)}; built-in products are "
            f"{', '.join(products)}")


def _file_kind(path: Path) -> tuple[str, Any]:
    from geoquant.segment._classifier import is_classifier_file

    if not path.is_file():
        raise WeightsError(f"no segmenter file at {path}: give the path of a classifier JSON, "
                           "a STAC MLM item or a checkpoint, or a segmenter or product name")
    if is_classifier_file(path):
        return "a classifier file", _classifier
    if _is_stac_item(path):
        return "a STAC MLM item", _mlm
    if path.suffix.lower() == ".json":
        raise WeightsError(f"{path} is neither a geoquant classifier nor a STAC item with the "
                           "MLM extension")
    return "a checkpoint", _checkpoint


def _check_options(kind: str, given: Mapping[str, Any], source: Any) -> None:
    extra = sorted(set(given) - _READS[kind])
    if not extra:
        return
    readers = sorted({k for k, reads in _READS.items() if extra[0] in reads})
    where = f" (read for {' or '.join(readers)})" if readers else ""
    shown = source if isinstance(source, str | os.PathLike) else type(source).__name__
    raise InvalidOptionError(
        f"{', '.join(f'{key}=' for key in extra)} does not apply to {kind} ({shown}){where}: "
        "drop it")


def _named(source: str, **options: Any) -> Any:
    from geoquant.segment._layers import named_segmenter

    if source == "auto":
        raise InvalidOptionError("'auto' is no segmenter of its own: it chooses one per source "
                                 "(give segmenter=None to ask, or choose_segmenter a cube)")
    return named_segmenter(source, **options)


def _product(source: str, **options: Any) -> Any:
    from geoquant.segment._products import product

    return product(source, **options)


def _model(source: Any, **options: Any) -> Any:
    from geoquant.segment._user_model import model_segmenter

    if "bands" not in options or "classes" not in options:
        raise InvalidOptionError("a model needs both bands= and classes= (its input bands and "
                                 "output classes, in channel order)")
    return model_segmenter(source, **options)


def _mlm(source: Any, **options: Any) -> Any:
    from geoquant.segment._mlm import from_mlm_item

    return from_mlm_item(source, **options)


def _classifier(source: Any) -> Any:
    from geoquant.segment._classifier import load_classifier

    return load_classifier(source)


def _checkpoint(source: Any, *, device: Any = "cpu") -> Any:
    from geoquant.segment._checkpoint import load_model

    path = Path(source)
    try:
        return load_model(path, device=device)
    except WeightsError as err:
        if path.suffix.lower() in BARE_MODELS:
            raise WeightsError(
                f"{path.name} is a bare model file: it does not say which bands it reads or "
                "which classes it makes. Declare them with geoquant.segment.open_segmenter("
                f"{path.name!r}, bands=..., classes=...), or describe the model in a STAC MLM "
                f"item and pass the item ({err})") from None
        raise


def _itself(source: Any) -> Any:
    return source


def _is_stac_item(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            if f.read(1) != b"{":      # a checkpoint is not read whole just to fail as JSON
                return False
            data: Any = json.loads(b"{" + f.read())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and data.get("type") == "Feature" and any(
        "mlm" in str(ext) for ext in data.get("stac_extensions", ()))
