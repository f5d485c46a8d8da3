"""The JSON files of the LightGBM classifiers: written whole, read with their format checked.

:class:`~geoquant.segment._classifier.PixelClassifier` (temporal features) and
:class:`~geoquant.segment._image_classifier.ImageClassifier` (``geoquant train --legend``)
store a LightGBM model as text inside one JSON file, so loading one runs no code. Both write
it here (a partial file renamed into place: whole or not at all) and read it back here (the
format name and version checked, damage reported as :class:`~geoquant.errors.WeightsError`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from geoquant.errors import OutputPathError, WeightsError


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all (a partial file renamed into place).

    Raises
    ------
    OutputPathError
        The folder of ``path`` does not exist.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputPathError(f"cannot write {path}: the folder {path.parent} does not exist")
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def read_model_file(path: str | Path, *, format: str, version: int, what: str
                    ) -> dict[str, Any]:
    """The JSON object of a model file of ``format``, at most ``version``.

    Parameters
    ----------
    path : str or Path
        The file.
    format, version : str, int
        The format name the file must carry, and the newest version this geoquant reads.
    what : str
        Words for the model in messages ("classifier", "image classifier").

    Raises
    ------
    WeightsError
        The file cannot be read, is not of ``format``, or comes from a newer geoquant.
    """
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WeightsError(f"cannot read the {what} {path}: {err}") from None
    if not isinstance(data, dict) or data.get("format") != format:
        raise WeightsError(f"{path} is not a geoquant {what} (no format {format!r})")
    if data.get("format_version", 0) > version:
        raise WeightsError(f"{path} was written by a newer geoquant (format version "
                           f"{data['format_version']}); upgrade geoquant to read it")
    return data


def has_format(path: str | Path, format: str) -> bool:
    """Whether ``path`` starts as a JSON file of ``format`` (its first 200 bytes)."""
    try:
        with open(path, "rb") as f:
            head = f.read(200)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and format.encode() in head


def cached_booster(model: Any) -> Any:
    """The LightGBM booster of ``model.model_text``, built once and kept on the (frozen)
    model."""
    booster = getattr(model, "_cached", None)
    if booster is None:
        import lightgbm

        booster = lightgbm.Booster(model_str=model.model_text)
        object.__setattr__(model, "_cached", booster)
    return booster
