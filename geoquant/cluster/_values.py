"""Checks of definition values: each takes the raw YAML value and a label for messages, and
returns the value normalised (memory in bytes, lists as tuples, read-only mappings) or raises
:class:`ConfigError` saying what to write instead."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, field
from types import MappingProxyType
from typing import Any

from geoquant.errors import ConfigError

_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50,
          "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "p": 10**15}
_BYTES = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$")
_ADDRESS = re.compile(r"^(?:(tcp|tls|ucx|ucxx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[^\s:/\[\]]+):(\d+)$")
_WALLTIME = re.compile(r"^(?:\d+-)?\d+(?::[0-5]?\d){0,2}$")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
#: A DaskCluster's name becomes "<name>-scheduler", which Kubernetes caps at 63 characters.
K8S_NAME_MAX = 63 - len("-scheduler")


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _fail(label: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"{label}: expected {expected}, got {value!r}")


def whole(minimum: int, maximum: int | None = None) -> Callable[[Any, str], int]:
    def check(value: Any, label: str) -> int:
        bound = f"from {minimum} to {maximum}" if maximum is not None else f"≥ {minimum}"
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(label, f"a whole number {bound}", value)
        if value < minimum or (maximum is not None and value > maximum):
            raise _fail(label, f"a whole number {bound}", value)
        return value
    return check


def seconds(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
            or not math.isfinite(value):
        raise _fail(label, "a number of seconds > 0", value)
    return float(value)


def number(value: Any, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0 \
            or not math.isfinite(value):
        raise _fail(label, "a number > 0", value)
    return value


def flag(value: Any, label: str) -> bool:
    if not isinstance(value, bool):
        raise _fail(label, "true or false", value)
    return value


def text(value: Any, label: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(label, "a non-empty string", value)
    return value


def note(value: Any, label: str) -> str:
    if not isinstance(value, str):
        raise _fail(label, "a string", value)
    return value


def text_list(value: Any, label: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _fail(label, "a list of strings", value)
    return tuple(value)


def mapping(value: Any, label: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _fail(label, "a mapping of names to values", value)
    return MappingProxyType(dict(value))


def text_mapping(value: Any, label: str) -> Mapping[str, str]:
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise _fail(label, "a mapping of names to strings (quote numbers: '1')", value)
    return MappingProxyType(dict(value))


def parse_memory(value: Any, label: str = "memory") -> int:
    """Bytes from a whole number of bytes or a string such as ``"4GiB"``, ``"500 MB"``.

    Units are dask's: ``kB, MB, GB, TB`` are powers of 1000, ``KiB, MiB, GiB, TiB`` powers of
    1024, case-insensitive; a bare number is bytes.

    Raises
    ------
    ConfigError
        If the value is not a positive size.
    """
    expected = "a size in bytes (a whole number) or a string such as '4GiB' or '500MB'"
    if isinstance(value, bool):
        raise _fail(label, expected, value)
    if isinstance(value, int):
        if value <= 0:
            raise _fail(label, expected, value)
        return value
    if isinstance(value, str) and (match := _BYTES.match(value)):
        amount, unit = match.groups()
        scale = _UNITS.get(unit.lower() or "b")
        if scale is not None and float(amount) > 0:
            return int(float(amount) * scale)
    raise _fail(label, expected, value)


def memory_or_auto(value: Any, label: str) -> int | None:
    if value is None or value == "auto":
        return None
    return parse_memory(value, label)


def memory_or_fraction(value: Any, label: str) -> int | float:
    if isinstance(value, float) and 0.0 < value <= 1.0:
        return value
    try:
        return parse_memory(value, label)
    except ConfigError:
        raise _fail(label, "a size such as '20GiB' or a fraction of the device's memory "
                           "from 0 to 1 such as 0.8", value) from None


def address(value: Any, label: str) -> str:
    given = text(value, label).strip()
    match = _ADDRESS.match(given)
    if not match or not 0 < int(match.group(3)) < 65536:
        raise _fail(label, "a scheduler address such as 'tcp://10.0.0.5:8786' "
                           "(protocol://host:port)", value)
    return given if match.group(1) else f"tcp://{given}"


def dashboard(value: Any, label: str) -> str:
    given = text(value, label)
    if not re.match(r"^[^\s:]*:\d+$", given):
        raise _fail(label, "an address such as ':8787' or '127.0.0.1:8787', or null for no "
                           "dashboard", value)
    return given


def walltime(value: Any, label: str) -> str:
    if not isinstance(value, str) or not _WALLTIME.match(value):
        raise _fail(label, "a SLURM time such as '01:30:00' (hours:minutes:seconds) or "
                           "'2-00:00:00' (days-hours:minutes:seconds)", value)
    return value


def gpu_ids(value: Any, label: str) -> tuple[int | str, ...]:
    ok = isinstance(value, list | tuple) and value and all(
        (isinstance(v, int) and not isinstance(v, bool) and v >= 0)
        or (isinstance(v, str) and (v.startswith("GPU-") or v.startswith("MIG-"))) for v in value)
    if not ok:
        raise _fail(label, "a list of GPU indexes such as [0, 1] or UUIDs ('GPU-...'), or null "
                           "for every visible GPU", value)
    return tuple(value)


def k8s_name(longest: int) -> Callable[[Any, str], str]:
    def check(value: Any, label: str) -> str:
        if not isinstance(value, str) or not _K8S_NAME.match(value) or len(value) > longest:
            raise _fail(label, "a Kubernetes name: lower-case letters, digits and '-', "
                               f"starting and ending with a letter or digit, at most {longest} "
                               "characters", value)
        return value
    return check


def choice(*options: str) -> Callable[[Any, str], str]:
    def check(value: Any, label: str) -> str:
        if value not in options:
            raise _fail(label, "one of " + ", ".join(repr(o) for o in options), value)
        return value
    return check


def optional(check: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    def optional(value: Any, label: str) -> Any:
        return None if value is None else check(value, label)
    return optional


def key(check: Callable[[Any, str], Any], default: Any = MISSING, *,
        example: str | None = None) -> Any:
    """A definition key: its check, its default (none: the key is required), an example."""
    metadata = {"check": check, "example": example}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: check(default, "default"), metadata=metadata)
    return field(default=default, metadata=metadata)
