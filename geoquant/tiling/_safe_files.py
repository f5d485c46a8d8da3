"""Batch summaries on disk in a format that cannot run code when read.

A summary (nested tuples, lists, dicts with string keys, NumPy arrays and scalars, strings,
numbers, None, and geoquant's own frozen dataclasses) is written as one ``.npz``: the arrays as
members, the structure as JSON in a ``tree`` member, read back with ``allow_pickle=False``.
Dataclasses are rebuilt only when their class is a dataclass of the ``geoquant`` package, by
field; nothing else is instantiated. A pickle, by contrast, runs whatever its bytes name.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
from typing import Any

import numpy as np

FORMAT = "geoquant-summary-1"


class UnsafeContent(ValueError):
    """A file asks for something this format does not build."""


def dumps(value: Any) -> bytes:
    """``value`` as the bytes of an ``.npz``."""
    arrays: list[np.ndarray] = []

    def encode(item: Any) -> Any:
        if item is None or isinstance(item, (bool, str)):
            return item
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            return {"num": repr(item) if isinstance(item, float) else int(item),
                    "kind": "float" if isinstance(item, float) else "int"}
        if isinstance(item, np.generic):
            arrays.append(np.asarray(item))
            return {"scalar": len(arrays) - 1}
        if isinstance(item, np.ndarray):
            if item.dtype.hasobject:
                raise UnsafeContent("object arrays cannot be stored")
            arrays.append(item)
            return {"array": len(arrays) - 1}
        if isinstance(item, tuple):
            return {"tuple": [encode(v) for v in item]}
        if isinstance(item, list):
            return {"list": [encode(v) for v in item]}
        if isinstance(item, dict):
            if not all(isinstance(k, str) for k in item):
                raise UnsafeContent("only string keys can be stored")
            return {"dict": {k: encode(v) for k, v in item.items()}}
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            cls = type(item)
            return {"dataclass": f"{cls.__module__}:{cls.__qualname__}",
                    "fields": {f.name: encode(getattr(item, f.name))
                               for f in dataclasses.fields(item) if f.init}}
        raise UnsafeContent(f"a {type(item).__name__} cannot be stored")

    tree = encode(value)
    buffer = io.BytesIO()
    members = {f"a{i}": a for i, a in enumerate(arrays)}
    members["tree"] = np.frombuffer(json.dumps({"format": FORMAT, "tree": tree}).encode(),
                                    dtype=np.uint8)
    np.savez(buffer, **members)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """The value :func:`dumps` wrote. Raises :class:`UnsafeContent` for anything else."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        members = {name: npz[name] for name in npz.files}
    try:
        header = json.loads(members.pop("tree").tobytes().decode())
    except (KeyError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UnsafeContent(f"no readable structure ({err})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise UnsafeContent("not a geoquant summary file")

    def array(index: Any) -> np.ndarray:
        key = f"a{int(index)}"
        if key not in members:
            raise UnsafeContent(f"array {index} is missing")
        return members[key]

    def decode(node: Any) -> Any:
        if node is None or isinstance(node, (bool, str)):
            return node
        if not isinstance(node, dict) or len(node) not in (1, 2):
            raise UnsafeContent("unexpected structure")
        if "num" in node:
            return float(node["num"]) if node.get("kind") == "float" else int(node["num"])
        if "scalar" in node:
            return array(node["scalar"])[()]
        if "array" in node:
            return array(node["array"])
        if "tuple" in node:
            return tuple(decode(v) for v in node["tuple"])
        if "list" in node:
            return [decode(v) for v in node["list"]]
        if "dict" in node:
            return {str(k): decode(v) for k, v in node["dict"].items()}
        if "dataclass" in node:
            return _dataclass(node["dataclass"])(**{k: decode(v)
                                                    for k, v in node["fields"].items()})
        raise UnsafeContent("unexpected structure")

    return decode(header["tree"])


def _dataclass(name: str) -> type:
    """A dataclass of the geoquant package by ``module:qualname``; nothing else."""
    module_name, _, qualname = str(name).partition(":")
    if not (module_name == "geoquant" or module_name.startswith("geoquant.")) \
            or not qualname.isidentifier():
        raise UnsafeContent(f"{name!r} is not one of geoquant's own classes")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise UnsafeContent(f"{name!r} is not one of geoquant's dataclasses")
    return cls
