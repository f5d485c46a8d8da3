"""A segmenter from a file, whatever kind the file holds: one door for ``ask``, ``eval`` and
``monitor``.

=================================================  ===============================================
file                                               read by
=================================================  ===============================================
JSON written by :meth:`PixelClassifier.save`       :func:`~geoquant.segment.load_classifier`
JSON of a STAC item with the MLM extension         :func:`~geoquant.segment.from_mlm_item`
anything else (a ``geoquant train`` checkpoint)    :func:`~geoquant.segment.load_model`
=================================================  ===============================================

A bare ONNX or TorchScript file does not say which bands it reads or which classes it makes:
declare those with :func:`~geoquant.segment.model_segmenter`, or describe the model in a STAC
MLM item and open that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geoquant.errors import WeightsError

BARE_MODELS = (".onnx", ".pt", ".pth", ".ts", ".torchscript")


def open_segmenter(path: str | Path) -> Any:
    """Open the segmenter a file describes (see the module docstring).

    Parameters
    ----------
    path : str or Path
        A classifier JSON, a STAC MLM item (JSON, local path or ``file://``/``http(s)://``
        URL), or a ``geoquant train`` checkpoint.

    Raises
    ------
    WeightsError
        The file is missing, unreadable, of no kind listed, or a bare model file that names no
        bands or classes.
    """
    from geoquant.segment._classifier import is_classifier_file, load_classifier

    text = str(path)
    if text.startswith(("http://", "https://", "file://")):
        from geoquant.segment._mlm import from_mlm_item

        return from_mlm_item(text)
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"no segmenter file at {path}")
    if is_classifier_file(path):
        return load_classifier(path)
    if _is_stac_item(path):
        from geoquant.segment._mlm import from_mlm_item

        return from_mlm_item(path)
    if path.suffix.lower() == ".json":
        raise WeightsError(f"{path} is neither a geoquant classifier nor a STAC item with the "
                           "MLM extension")
    from geoquant.segment._checkpoint import load_model

    try:
        return load_model(path)
    except WeightsError as err:
        if path.suffix.lower() in BARE_MODELS:
            raise WeightsError(
                f"{path.name} is a bare model file: it does not say which bands it reads or "
                "which classes it makes. Declare them with geoquant.segment.model_segmenter("
                f"{path.name!r}, bands=..., classes=...), or describe the model in a STAC MLM "
                f"item and pass the item ({err})") from None
        raise


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
