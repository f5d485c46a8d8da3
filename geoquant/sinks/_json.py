"""Answer summaries as JSON files, written atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Any

from geoquant.sinks._atomic import atomic_output, check_output_path

__all__ = ["to_jsonable", "write_json"]


def _numpy_value(obj: Any, where: str) -> tuple[bool, Any]:
    """Convert a NumPy scalar or array; ``(False, None)`` if ``obj`` is not NumPy."""
    np = _numpy_if_loaded()
    if np is None:
        return False, None
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "Mm":
            return True, to_jsonable(obj.astype(str).tolist(), where)
        return True, to_jsonable(obj.tolist(), where)
    if isinstance(obj, np.datetime64):
        return True, None if np.isnat(obj) else str(np.datetime_as_string(obj))
    if isinstance(obj, np.timedelta64):
        if np.isnat(obj):
            return True, None
        return True, obj.astype("timedelta64[ns]").astype("int64").item() / 1e9
    if isinstance(obj, np.generic):
        return True, to_jsonable(obj.item(), where)
    return False, None


def _numpy_if_loaded() -> Any:
    # NumPy objects can only exist if NumPy was imported; never import it just to check.
    import sys

    return sys.modules.get("numpy")


def _key(key: Any, where: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, enum.Enum):
        return _key(key.value, where)
    is_numpy, value = _numpy_value(key, where)
    if is_numpy:
        key = value
    if key is None or isinstance(key, bool | int | float):
        return json.dumps(key)
    if isinstance(key, dt.date | dt.time | PurePath):
        return str(to_jsonable(key, where))
    raise TypeError(f"Cannot write a key of type {type(key).__name__} at {where} as JSON.")


def to_jsonable(obj: Any, where: str = "$") -> Any:
    """Convert ``obj`` into plain JSON types (dict, list, str, int, float, bool, None).

    NumPy scalars become Python numbers, arrays nested lists; dates and datetimes ISO 8601
    strings; timedeltas seconds; NaN and infinities ``None`` (JSON has no such numbers);
    dataclasses and mappings objects; tuples and sets lists (sets sorted when possible);
    paths strings; enums their value.

    Raises
    ------
    TypeError
        For anything else, naming where in ``obj`` it sits (``$.answer.trace[2]``).
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value, where)
    if isinstance(obj, Mapping):
        return {_key(k, where): to_jsonable(v, f"{where}.{k}") for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return to_jsonable(fields, where)
    if isinstance(obj, list | tuple):
        return [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, set | frozenset):
        items = [to_jsonable(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(obj, dt.datetime | dt.date | dt.time):
        return obj.isoformat()
    if isinstance(obj, dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, PurePath):
        return str(obj)
    is_numpy, value = _numpy_value(obj, where)
    if is_numpy:
        return value
    raise TypeError(
        f"Cannot write an object of type {type(obj).__name__} at {where} as JSON: convert it "
        "to numbers, strings, lists or dicts first."
    )


def write_json(obj: Any, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``obj`` to a JSON file, whole or not at all.

    Parameters
    ----------
    obj : object
        Plain JSON types, NumPy scalars and arrays, datetimes, dataclasses, paths, enums and
        containers of these (see :func:`to_jsonable` for how each is written). NaN and
        infinities become ``null``, so the file is strict JSON (RFC 8259).
    path : str or os.PathLike
        The file to create, such as ``"answer.json"``. Its parent directory must exist.
    overwrite : bool, optional
        Replace an existing file at ``path``. Default False.

    Returns
    -------
    pathlib.Path
        The absolute path of the written file (UTF-8, indented by 2 spaces, newline-terminated).

    Raises
    ------
    OutputPathError
        If ``path`` exists and ``overwrite`` is False, it is a directory, or its parent is
        missing, is a file or cannot be written.
    TypeError
        If part of ``obj`` cannot be written as JSON; nothing is written then.

    Notes
    -----
    The text goes to a hidden sibling file, is flushed to disk, and is renamed to ``path``;
    readers see the old file or the new one, never a part.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np
    >>> answer = {"count": np.int64(12), "area_m2": np.float32(2.5e4), "share": np.nan}
    >>> path = write_json(answer, pathlib.Path(tempfile.mkdtemp()) / "answer.json")
    >>> print(path.read_text(), end="")
    {
      "count": 12,
      "area_m2": 25000.0,
      "share": null
    }
    """
    target = check_output_path(path, overwrite=overwrite, kind="file")
    text = json.dumps(to_jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    with atomic_output(target, overwrite=overwrite, kind="file") as partial:
        with open(partial, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    return target
