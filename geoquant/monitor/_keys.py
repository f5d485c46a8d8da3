"""Checking the keys and values of a configuration mapping, collecting every problem at once.

A :class:`Problems` list gathers what is wrong with a configuration (unknown keys with the
closest known key, missing keys, values of the wrong kind), each named by its place in the file
(``sources[0].metrics[2]``), so one error lists everything a user has to change.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

#: Names that become Zarr group and variable names: letters, digits, ``_``, ``-`` and ``.``,
#: not starting with a dot (hidden) or a dash.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
NAME_HINT = ("use letters, digits, '_', '-' or '.', starting with a letter, digit or '_' "
             "(it becomes a Zarr group name)")
#: Metric names are Zarr variable names that GDAL subdataset paths and Python both accept.
IDENTIFIER_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Problems(list):
    """What is wrong with a configuration, one entry per problem."""

    def add(self, where: str, text: str) -> None:
        from geoquant._yaml import shorten

        # a problem quotes what it found; a megabyte value must not make a megabyte message
        self.append(shorten(f"{where}: {text}" if where else text, 400))


def suggestion(word: str, known: Iterable[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest known word, or ``""``."""
    close = difflib.get_close_matches(str(word), list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(mapping: Any, where: str, problems: Problems, *, required: Iterable[str],
               optional: Iterable[str]) -> bool:
    """Record unknown and missing keys of ``mapping``; False when it is not a mapping at all."""
    required, optional = tuple(required), tuple(optional)
    if not isinstance(mapping, Mapping):
        problems.add(where, f"must be a mapping of keys to values, got {_kind(mapping)}")
        return False
    known = (*required, *optional)
    for key in mapping:
        if key not in known:
            problems.add(where, f"unknown key {key!r}{suggestion(key, known)}; known keys are "
                                f"{', '.join(known)}")
    missing = [key for key in required if key not in mapping]
    if missing:
        problems.add(where, f"missing key{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(repr(k) for k in missing)}")
    return True


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    return f"{type(value).__name__} {value!r}"


def text(mapping: Mapping[str, Any], key: str, where: str, problems: Problems, *,
         default: str | None = None, pattern: re.Pattern[str] | None = None,
         hint: str = "") -> str | None:
    """A string value (or ``default`` when absent); records a problem when it is not one."""
    if key not in mapping:
        return default
    value = mapping[key]
    if not isinstance(value, str) or not value.strip():
        problems.add(f"{where}.{key}", f"must be a non-empty string, got {_kind(value)}")
        return default
    if pattern is not None and not pattern.match(value):
        problems.add(f"{where}.{key}", f"{value!r} is not a valid name: {hint}")
        return default
    return value


def number(mapping: Mapping[str, Any], key: str, where: str, problems: Problems, *,
           default: float | None = None, minimum: float | None = None,
           positive: bool = False) -> float | None:
    """A finite number (int or float, not bool), or ``default`` when absent."""
    if key not in mapping:
        return default
    value = mapping[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value \
            or value in (float("inf"), float("-inf")):
        problems.add(f"{where}.{key}", f"must be a finite number, got {_kind(value)}")
        return default
    if positive and value <= 0:
        problems.add(f"{where}.{key}", f"must be greater than 0, got {value}")
        return default
    if minimum is not None and value < minimum:
        problems.add(f"{where}.{key}", f"must be at least {minimum}, got {value}")
        return default
    return float(value)


def integer(mapping: Mapping[str, Any], key: str, where: str, problems: Problems, *,
            default: int | None = None, choices: tuple[int, ...] | None = None) -> int | None:
    """An int value, or ``default`` when absent."""
    if key not in mapping:
        return default
    value = mapping[key]
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(f"{where}.{key}", f"must be a whole number, got {_kind(value)}")
        return default
    if choices is not None and value not in choices:
        problems.add(f"{where}.{key}", f"must be one of {', '.join(map(str, choices))}, "
                                       f"got {value}")
        return default
    return value


def string_list(mapping: Mapping[str, Any], key: str, where: str, problems: Problems
                ) -> tuple[str, ...] | None:
    """A list of strings (a single string counts as a list of one), or None when absent."""
    if key not in mapping:
        return None
    value = mapping[key]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(f"{where}.{key}", f"must be a list of strings, got {_kind(value)}")
        return None
    return tuple(value)


def entries(mapping: Mapping[str, Any], key: str, where: str, problems: Problems, *,
            required: bool) -> list[tuple[str, Any]]:
    """The entries of a list value as ``(place, entry)`` pairs; records a non-list value."""
    if key not in mapping:
        return []
    value = mapping[key]
    if not isinstance(value, list):
        problems.add(f"{where}.{key}" if where else key,
                     f"must be a list, got {_kind(value)}")
        return []
    if required and not value:
        problems.add(f"{where}.{key}" if where else key, "must list at least one entry")
    prefix = f"{where}.{key}" if where else key
    return [(f"{prefix}[{k}]", entry) for k, entry in enumerate(value)]


def unique(names: list[tuple[str, str | None]], what: str, problems: Problems) -> None:
    """Record names given twice (``names`` holds ``(place, name)`` pairs)."""
    seen: dict[str, str] = {}
    for where, name in names:
        if name is None:
            continue
        if name in seen:
            problems.add(where, f"{what} name {name!r} is used twice (first at {seen[name]}); "
                                "give each a name of its own")
        else:
            seen[name] = where


def path_value(document: Mapping[str, Any], key: str, base: Path, problems: Problems
               ) -> Path | None:
    """A path value, relative paths read from ``base`` (the configuration's folder)."""
    value = text(document, key, key, problems)
    if value is None:
        return None
    found = Path(value).expanduser()
    return found if found.is_absolute() else (base / found)
