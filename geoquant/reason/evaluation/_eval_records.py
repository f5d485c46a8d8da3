"""Reading SQuID-format question files into :class:`Record` objects, one bad record at a time.

A file is JSON lines, a JSON list, or parquet (SQuID's own layout, images embedded as
``{"bytes": ..., "path": ...}``). Every record is checked field by field; a record that cannot
be used (not JSON, not UTF-8, nested too deeply, a field of the wrong kind, bounds that are no
range) becomes a :class:`Record` whose ``problem`` says why, so that an evaluation scores it as
an error in its own row and goes on (``strict=False``), or is refused at once (``strict=True``).

Embedded images are written into a private folder (``tempfile.mkdtemp``: a fresh name, mode
0700, so nothing can be planted in it), one file per record and field
(``record-<n>-image.png``), created exclusively and never through a symbolic link. Two records
whose images share a file name therefore never read each other's image, and the user's own
image folder is only ever read.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoquant.errors import InvalidOptionError, quote

REQUIRED = ("question", "answer", "acceptable_range_lower", "acceptable_range_upper", "type",
            "tier")
#: The longest question text a record may hold, characters.
MAX_QUESTION_CHARS = 4000
#: How deeply a record's JSON may nest (a SQuID record is flat; a product legend one level).
MAX_DEPTH = 8
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp", ".gif", ".jp2")
_MAGIC = ((b"\x89PNG", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"II*\x00", ".tif"),
          (b"MM\x00*", ".tif"), (b"GIF8", ".gif"), (b"BM", ".bmp"))


@dataclass(frozen=True)
class Record:
    """One question of a SQuID-format file.

    ``problem`` is set (and the other fields hold what could be read) when the record cannot
    be used: it says what to change, naming the file and line.
    """

    question: str
    answer: Any
    lower: float | None
    upper: float | None
    type: str
    tier: Any
    image: str | None = None
    product: Any = None
    imagery: str | None = None
    datetime: str | None = None
    bbox: tuple[float, ...] | None = None
    id: str = ""
    gsd: float | None = None
    mask: str | None = None
    problem: str | None = None


def read_questions(path: str | Path, *, images: str | Path | None = None,
                   strict: bool = True, extract_to: str | Path | None = None) -> list[Record]:
    """Records of a SQuID-format file: JSON lines, a JSON list, or parquet.

    Parameters
    ----------
    path : str or Path
        The questions file.
    images : str or Path, optional
        Folder of the records' image files; it must exist when given. Only read, never
        written.
    strict : bool
        True (default): the first bad record raises. False: a bad record comes back with
        ``problem`` set, and the others are read.
    extract_to : str or Path, optional
        Existing folder, private to the caller, for the images embedded in a parquet file.
        Default: a new private temporary folder (``tempfile.mkdtemp``), which the caller
        removes when done (the records' ``image`` paths point into it).

    Raises
    ------
    InvalidOptionError
        A file that is not there or cannot be read as a whole (naming it), an ``images`` folder
        that does not exist, or (``strict``) the first bad record, naming its line.
    """
    path = Path(path)
    if not path.is_file():
        raise InvalidOptionError(f"{path} is not a file of questions (JSON lines, a JSON list "
                                 "or parquet)")
    if images is not None and not Path(images).is_dir():
        raise InvalidOptionError(f"the images folder {images} does not exist (or is not a "
                                 "folder): give the folder that holds the records' image files")
    if path.suffix == ".parquet":
        rows = _parquet_rows(path, extract_to)
    else:
        rows = _text_rows(path)
    records = [_record(path, number, raw) for number, raw in rows]
    if strict:
        for record in records:
            if record.problem:
                raise InvalidOptionError(record.problem)
    return records


def private_folder() -> Path:
    """A new folder only this user can enter, for images extracted from a question file."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix="geoquant-eval-images-"))


# --- rows ----------------------------------------------------------------------------------------

class _Bad:
    """A row that is no record: why."""

    def __init__(self, why: str) -> None:
        self.why = why


def _text_rows(path: Path) -> list[tuple[int, Any]]:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise InvalidOptionError(f"cannot read {path}: {err.strerror or err}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.lstrip().startswith(b"["):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InvalidOptionError(f"{path} is not UTF-8 text (byte {err.start} is "
                                     f"{data[err.start:err.start + 1]!r}, as latin-1 writes): "
                                     "save it as UTF-8") from None
        document = _loads(text)
        if isinstance(document, _Bad):
            raise InvalidOptionError(f"{path} is not a JSON list: {document.why}")
        if not isinstance(document, list):
            raise InvalidOptionError(f"{path} is not a JSON list of records")
        return list(enumerate(document, 1))
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(data.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as err:
            rows.append((number, _Bad(f"is not UTF-8 text (byte {err.start + 1} of the line is "
                                      f"{line[err.start:err.start + 1]!r}, as latin-1 writes "
                                      "it): save the file as UTF-8")))
            continue
        parsed = _loads(text)
        rows.append((number, _Bad(f"is not JSON: {parsed.why}") if isinstance(parsed, _Bad)
                     else parsed))
    return rows


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        return _Bad(str(err))
    except RecursionError:
        return _Bad("it is nested too deeply")
    except ValueError as err:          # an integer of thousands of digits
        return _Bad(f"it holds a number too long to read ({str(err)[:80]})")


def _parquet_rows(path: Path, extract_to: str | Path | None) -> list[tuple[int, Any]]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InvalidOptionError(f"reading {path} needs pyarrow: pip install "
                                 "'geoquant[eval]'") from None
    try:
        table = pq.read_table(path).to_pylist()
    except Exception as err:  # noqa: BLE001 - any unreadable parquet: one line
        raise InvalidOptionError(f"cannot read {path} as parquet: {str(err)[:300]}") from None
    folder = Path(extract_to) if extract_to is not None else None
    rows: list[tuple[int, Any]] = []
    for number, raw in enumerate(table, 1):
        if not isinstance(raw, dict):
            rows.append((number, raw))
            continue
        try:
            for key in ("image", "mask"):
                value = raw.get(key)
                if isinstance(value, dict):       # a Hugging Face Image: {"bytes", "path"}
                    if value.get("bytes") and folder is None:
                        folder = private_folder()
                    raw[key] = _embedded_image(value, folder, number, key)
        except _BadImage as bad:
            rows.append((number, _Bad(str(bad))))
            continue
        rows.append((number, raw))
    return rows


class _BadImage(Exception):
    pass


def _embedded_image(value: dict[str, Any], folder: Path | None, number: int,
                    key: str) -> str | None:
    """Write one embedded image as ``record-<number>-<key><suffix>`` in ``folder``: created
    exclusively (``O_EXCL``) and never through a link (``O_NOFOLLOW``)."""
    data, name = value.get("bytes"), value.get("path")
    if name is not None and not isinstance(name, str):
        raise _BadImage(f"has an embedded {key} whose path is {_kind(name)}, not a file name")
    if not data:
        return name
    if not isinstance(data, (bytes, bytearray)) or folder is None:
        raise _BadImage(f"has an embedded {key} whose bytes are {_kind(data)}")
    target = folder / f"record-{number}-{key}{_suffix(name, bytes(data))}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        handle = os.open(target, flags, 0o600)
    except FileExistsError:
        raise _BadImage(f"has an embedded {key} that cannot be written: {target} is already "
                        "there (the extraction folder must be new and private)") from None
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    return str(target)


def _suffix(name: str | None, data: bytes) -> str:
    suffix = Path(name).suffix.lower() if name else ""
    if suffix in _IMAGE_SUFFIXES:
        return suffix
    return next((s for magic, s in _MAGIC if data.startswith(magic)), ".png")


# --- one record ----------------------------------------------------------------------------------

def _record(path: Path, number: int, raw: Any) -> Record:
    where = f"{path}:{number}"
    ident = str(number)
    if isinstance(raw, dict) and isinstance(raw.get("id"), (str, int)) \
            and not isinstance(raw.get("id"), bool):
        ident = _printable(str(raw["id"]), 80)
    if isinstance(raw, _Bad):
        return _bad(ident, f"{where} {raw.why}")
    if not isinstance(raw, dict):
        return _bad(ident, f"{where} is not a JSON object (a record is {{\"question\": ..., "
                           "...}})")
    question = raw.get("question")
    shown = question if isinstance(question, str) else ""
    try:
        _check_depth(raw)
        raw = _range_pair(raw)
        missing = [k for k in REQUIRED if k not in raw]
        if missing:
            raise _Problem(f"lacks {', '.join(missing)} (SQuID records need "
                           f"{', '.join(REQUIRED)}; the range may also be one pair, "
                           "acceptable_range: [lower, upper])")
        question = _question(raw["question"])
        lower = _bound(raw["acceptable_range_lower"], "acceptable_range_lower")
        upper = _bound(raw["acceptable_range_upper"], "acceptable_range_upper")
        if lower is not None and upper is not None and lower > upper:
            raise _Problem(f"has acceptable_range_lower {lower:g} above acceptable_range_upper "
                           f"{upper:g}: swap them")
        return Record(
            question, _answer(raw["answer"]), lower, upper, _word(raw["type"], "type"),
            _tier(raw["tier"]), _name(raw, "image") or _name(raw, "region"),
            _product(raw.get("product")), _name(raw, "imagery"), _datetime(raw.get("datetime")),
            _bbox(raw.get("bbox")), ident, _gsd(raw.get("gsd")), _name(raw, "mask"))
    except _Problem as problem:
        return _bad(ident, f"{where} {problem}", question=shown, raw=raw)


class _Problem(Exception):
    pass


def _range_pair(raw: dict[str, Any]) -> dict[str, Any]:
    """A record that gives its range as one pair, ``"acceptable_range": [lower, upper]`` (or
    ``null`` for an exact answer), read as SQuID's two fields."""
    if "acceptable_range" not in raw or "acceptable_range_lower" in raw or \
            "acceptable_range_upper" in raw:
        return raw
    pair = raw["acceptable_range"]
    if pair is None:
        pair = (None, None)
    if not isinstance(pair, (list, tuple)) or len(pair) != 2:
        raise _Problem(f"has acceptable_range {quote(pair)}: give [lower, upper] (or null for "
                       "an exact answer), or acceptable_range_lower and acceptable_range_upper")
    return {**raw, "acceptable_range_lower": pair[0], "acceptable_range_upper": pair[1]}


def _bad(ident: str, why: str, *, question: str = "", raw: Any = None) -> Record:
    kind = raw.get("type") if isinstance(raw, dict) else None
    tier = raw.get("tier") if isinstance(raw, dict) else None
    return Record(_printable(question, 300) if _is_text(question) else "", None, None, None,
                  _printable(kind, 40) if isinstance(kind, str) else "invalid record",
                  tier if isinstance(tier, (int, str)) and not isinstance(tier, bool)
                  and len(str(tier)) <= 20 else "-", id=ident, problem=_printable(why, 600))


def _check_depth(value: Any, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise _Problem(f"is nested deeper than {MAX_DEPTH} levels: a record is flat")
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth(item, depth + 1)


def _question(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Problem(f"has question {_kind(value)}: give the question as text")
    if len(value) > MAX_QUESTION_CHARS:
        raise _Problem(f"has a question of {len(value)} characters; questions have at most "
                       f"{MAX_QUESTION_CHARS}")
    if not _is_text(value):
        raise _Problem("has a question holding a lone surrogate (\\ud800-\\udfff), which is no "
                       "character: fix its text")
    return value


def _answer(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        raise _Problem(f"has answer {quote(value)}: give a finite number, yes/no or a word")
    if value is None:
        raise _Problem("has answer null: give the expected answer")
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and len(value) <= 200 and _is_text(value):
        return value
    raise _Problem(f"has answer {_kind(value)}: give a number, yes/no (or 1/0) or a word")


def _bound(value: Any, name: str) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and value.strip().lower() in ("", "nan", "none", "null"):
        return None
    if isinstance(value, bool):
        raise _Problem(f"has {name} {quote(value)}: give a number, or null for no range")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise _Problem(f"has {name} {_kind(value)}: give a number, or null for no "
                       "range") from None
    if not math.isfinite(number):
        raise _Problem(f"has {name} {quote(number)}: give a finite number, or null for no range")
    return number


def _word(value: Any, name: str) -> str:
    if isinstance(value, (str, int)) and not isinstance(value, bool) \
            and 0 < len(str(value)) <= 40 and _is_text(str(value)):
        return _printable(str(value), 40)
    raise _Problem(f"has {name} {_kind(value)}: give a short word, e.g. \"count\"")


def _tier(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return _word(value, "tier")


def _name(raw: dict[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "\x00" in value or not _is_text(value) \
            or len(value) > 4096:
        raise _Problem(f"has {key} {_kind(value)}: give a file name or a collection id")
    return value


def _product(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and value and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return value
    raise _Problem(f"has product {_kind(value)}: give a product name or a legend "
                   "{\"code\": \"class\"}")


def _datetime(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise _Problem(f"has datetime {_kind(value)}: give a range such as "
                   "\"2021-06-01/2021-08-31\"")


def _bbox(value: Any) -> tuple[float, ...] | None:
    if value is None:
        return None
    numbers = value if isinstance(value, list) else None
    if numbers is None or len(numbers) != 4 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in numbers):
        raise _Problem(f"has bbox {_kind(value)}: give [west, south, east, north] in degrees")
    west, south, east, north = (float(v) for v in numbers)
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
        raise _Problem(f"has bbox {[west, south, east, north]}: give [west, south, east, "
                       "north] in degrees, south below north")
    return (west, south, east, north)


def _gsd(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise _Problem(f"has gsd {quote(value)}: give metres per pixel, e.g. 0.5")
    if isinstance(value, str):
        try:
            value = float(value.lower().strip().removesuffix("m").strip())
        except ValueError:
            raise _Problem(f"has gsd {_printable(repr(value), 60)}: give metres per pixel, "
                           "e.g. 0.5") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 < value < 1e6:
        raise _Problem(f"has gsd {_kind(value)}: give metres per pixel, e.g. 0.5")
    return float(value)


# --- text ----------------------------------------------------------------------------------------

def _is_text(text: Any) -> bool:
    """Whether ``text`` is a string of real characters (no lone surrogate)."""
    if not isinstance(text, str):
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _kind(value: Any) -> str:
    """A short, printable description of a value found in a record."""
    if isinstance(value, (dict, list)):
        return f"a JSON {'object' if isinstance(value, dict) else 'list'} of {len(value)}"
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    return _printable(repr(value), 60)


def _printable(text: str, limit: int) -> str:
    from geoquant.reason.llm._llm import _printable as printable

    if not _is_text(text):
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return printable(text, limit)


def printable(text: Any, limit: int = 300) -> str:
    """``text`` safe to print on a terminal (escape sequences and control characters shown
    as ``\\xNN``, lone surrogates escaped), at most ``limit`` characters."""
    return _printable(str(text), limit)
