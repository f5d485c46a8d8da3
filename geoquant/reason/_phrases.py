"""The words of a question before it is read: normalised text, numbers with units, the pixel
size ("(GSD: 0.5m)"), the answer unit ("in hectares"), dates, and sentences.

Everything here is plain text processing; :mod:`geoquant.reason._planner` reads the result.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from geoquant.errors import QuestionError
from geoquant.reason._ops import AREA_UNITS, LENGTH_UNITS

NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)"
DATE = r"(?:19|20)\d{2}(?:-\d{2}(?:-\d{2})?)?"
#: Numbers above this are refused: no region on Earth has sizes or distances this large.
LARGEST_NUMBER = 1e15

_UNIT_WORDS = tuple((re.compile(p), r) for p, r in (
    (r"²", "2"), (r"[−–—]", "-"), (r"[’`´]", "'"), (r"(?<=\d),(?=\d{3}\b)", ""),
    (r"\bsquare\s+(?:kilomet(?:re|er)s?|km)\b|\bsq\.?\s*km\b|\bkm\s*\^\s*2|\bkm\s*sq\b", "km2"),
    (r"\bsquare\s+(?:met(?:re|er)s?|m)\b|\bsq\.?\s*m\b|\bm\s*\^\s*2|\bsqm\b", "m2"),
    (r"\bhectares?\b|\bhas\b(?=\s*(?:\)|,|$))", "ha"), (r"\bkilomet(?:re|er)s?\b|\bkms\b", "km"),
    (r"\bcentimet(?:re|er)s?\b", "cm"),
    (r"\bmet(?:re|er)s?\b", "m"), (r"\bper\s*cent(?:age)?\s+points?\b", "%"),
    (r"\bper\s*cent\b|\bpercent\b", "%"),
    (r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)\s*(m2|ha|km2|km|cm|m|%)(?![\w%])", r"\1 \2"),
))

_GSD = re.compile(
    rf"\(?\s*\b(?:gsd|ground\s+sampl(?:e|ing)\s+distance|pixel\s+size|spatial\s+resolution)"
    rf"\s*(?:[:=]|of|is)?\s*(?P<v>{NUMBER})\s*(?P<u>cm|m|km)\b\s*(?:/\s*(?:px|pixel)|"
    r"per\s+pixel)?\s*\)?", re.IGNORECASE)

_ANSWER_UNIT = re.compile(
    r"\s*,?\s*\(?\b(?:expressed\s+in|measured\s+in|given\s+in|reported\s+in|in\s+units\s+of|in|"
    r"as)\s+(?:a\s+|the\s+)?(?P<u>m2|ha|km2|km|m|%|percentage|percent)(?![\w%])\)?"
    r"|\s*\((?P<bare>m2|ha|km2|km|m|%)\)")

#: A trailing sentence that only names the answer's unit ("Answer in hectares.").
_UNIT_SENTENCE = re.compile(r"^(?:please\s+)?(?:give|answer|report|express|state|provide)"
                            r"(?:\s+(?:the|your)\s+answer|\s+it|\s+the\s+result|\s+the\s+value)?"
                            r"\s+(?:in|as)\s+(?:a\s+)?(?P<u>m2|ha|km2|km|m|%|percentage)$")

SPAN = re.compile(rf"\b(?:between|from)\s+(?P<t1>{DATE})(?:\s+(?:and|to|until|till)\s+|\s*-\s*)"
                  rf"(?P<t2>{DATE})\b(?!\s*(?:m2|ha|km2|km|m|%)(?!\w))")


class Words(NamedTuple):
    """A question made ready to read."""

    sentences: tuple[str, ...]
    """The question's sentences, normalised (lower case, units as symbols), the first being
    the question itself."""
    unit: str | None
    """The unit the answer is asked in (``m2``, ``ha``, ``km2``, ``m``, ``km``, ``%``)."""
    gsd_m: float | None
    """The ground sample distance the question states, metres per pixel."""


def normalise_units(text: str) -> str:
    """Lower case, unicode signs and unit words as ``m2 ha km2 m km %``, numbers apart."""
    text = text.lower()
    for pattern, replacement in _UNIT_WORDS:
        text = pattern.sub(replacement, text)
    return text


def question_gsd(question: str) -> float | None:
    """The ground sample distance a question states, in metres per pixel.

    Examples
    --------
    >>> question_gsd("How many buildings are there? (GSD: 0.3m)")
    0.3
    >>> question_gsd("How many buildings are there?") is None
    True
    """
    found = _GSD.search(normalise_units(question))
    return None if found is None else _gsd_metres(found)


def _gsd_metres(found: re.Match[str]) -> float:
    value = float(found["v"]) * {"cm": 0.01, "m": 1.0, "km": 1000.0}[found["u"]]
    if not 0 < value < LARGEST_NUMBER:
        raise QuestionError(f"the pixel size '{found[0].strip()}' must be a positive length "
                            "(e.g. 'GSD: 0.5m')")
    return value


def split_words(question: str) -> Words:
    """The question's sentences, answer unit and pixel size (see :class:`Words`)."""
    text = normalise_units(question).strip()
    gsd = None
    if found := _GSD.search(text):
        gsd = _gsd_metres(found)
        text = f"{text[:found.start()]} {text[found.end():]}"
        if _GSD.search(text):
            raise QuestionError("the question states the pixel size (GSD) twice: keep one")
    sentences = [s for s in (_clean_sentence(s) for s in _sentences(text)) if s]
    if not sentences:
        raise QuestionError(f"cannot plan {question.strip()!r}: it asks nothing")
    unit = None
    kept = []
    for sentence in sentences:
        if kept and (m := _UNIT_SENTENCE.match(sentence)):
            unit = _unit_name(m["u"])
            continue
        sentence, named = answer_unit(sentence)
        if named is not None:
            if unit is not None and named != unit:
                raise QuestionError(f"the question asks for the answer in both {unit} and "
                                    f"{named}: keep one")
            unit = named
        kept.append(sentence)
    return Words(tuple(kept), unit, gsd)


def _sentences(text: str) -> list[str]:
    # a full stop ends a sentence unless it is a decimal point
    return re.split(r"(?<!\d)[.?!;]+(?!\d)|(?<=\d)[.?!;]+(?=\s|$)|\?", text)


_FILLER = tuple((re.compile(p), r) for p, r in (
    (r"\bwhat's\b|\bwhats\b", "what is"), (r"^what (?:was|were)\b", "what is"),
    (r"\bhow's\b", "how is"), (r"\bdon't\b", "do not"), (r"\bisn't\b", "is not"),
    (r"\baren't\b", "are not"), (r"\bdoesn't\b", "does not"),
    (r"^(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:tell\s+me\s+|"
     r"let\s+me\s+know\s+|estimate\s+for\s+me\s+)?", ""),
    (r"^(?:i\s+(?:want|would\s+like|need)\s+to\s+know\s+|i\s+wonder\s+)", ""),
    (r",?\s*please$", ""),
    (r",?\s*\b(?:in|within|of|across|over|for|inside|on|from|throughout)\s+(?:the\s+|this\s+|"
     r"that\s+|given\s+|entire\s+|whole\s+|provided\s+|shown\s+)*(?:region|scene|image|imagery|"
     r"study\s+area|area\s+of\s+interest|aoi|tile|map|picture|photo|raster|landscape|"
     r"satellite\s+image|view|frame)\b(?:\s+shown)?", " "),
    (r",?\s*\b(?:in|across|over)\s+(?:the|this)\s+area\b", " "),
    (r"\b(?:visible|shown|depicted|pictured|present|to be seen|that can be seen|"
     r"can be seen|can you see|do you see|do we have|that you can see|you can see)\b", " "),
    (r"\bthe\b", " "), (r"\s+", " "), (r"\s+,", ","),
))


def _clean_sentence(text: str) -> str:
    text = text.strip()
    for pattern, replacement in _FILLER:
        text = pattern.sub(replacement, text)
    return text.strip().strip(" ,:").strip()


def _unit_name(word: str) -> str:
    return "%" if word in ("percentage", "percent") else word


def answer_unit(text: str) -> tuple[str, str | None]:
    """A sentence without its answer unit ("in ha"), and that unit (None if not named)."""
    matches = list(_ANSWER_UNIT.finditer(text))
    if not matches:
        return text, None
    units = {_unit_name(m["u"] or m["bare"]) for m in matches}
    if len(units) > 1:
        raise QuestionError(f"the question asks for the answer in {' and '.join(sorted(units))}:"
                            " keep one unit")
    for match in reversed(matches):
        text = cut(text, match)
    return text, units.pop()


def cut(text: str, match: re.Match[str]) -> str:
    """``text`` without ``match``, spaces tidied."""
    return re.sub(r"\s+", " ", f"{text[:match.start()]} {text[match.end():]}").strip(" ,")


# --- numbers and units ---------------------------------------------------------------------------

def tidy(value: float) -> float | int:
    value = round(value, 6)
    return int(value) if value.is_integer() else value


def number(text: str) -> float:
    """A number as written, refused when it is too long or too large to be a real size."""
    if len(text) > 20:
        raise QuestionError(f"the number {text[:20]}... has more than 20 digits: give a "
                            "realistic size or distance")
    value = float(text)
    if not math.isfinite(value) or value > LARGEST_NUMBER:
        raise QuestionError(f"the number {text} is too large to be a size or distance on Earth")
    return value


def area_m2(value: str, unit: str) -> float | int:
    """A size in m² from a number and an area unit."""
    if unit not in AREA_UNITS:
        raise QuestionError(f"'{value} {unit}' is not an area: give sizes in m2, ha or km2")
    return tidy(number(value) * AREA_UNITS[unit])


def length_m(value: str, unit: str) -> float | int:
    """A distance in m from a number and a length unit."""
    if unit == "cm":
        return tidy(number(value) / 100)
    if unit not in LENGTH_UNITS:
        raise QuestionError(f"'{value} {unit}' is not a distance: give distances in m or km")
    return tidy(number(value) * LENGTH_UNITS[unit])


def area_unit(unit: str | None, what: str = "an area") -> str:
    if unit is not None and unit not in AREA_UNITS:
        raise QuestionError(f"{what} cannot be given in {unit!r}: ask for it in m2, ha or km2")
    return unit or "m2"


def length_unit(unit: str | None) -> str:
    if unit is not None and unit not in LENGTH_UNITS:
        raise QuestionError(f"a distance cannot be given in {unit!r}: ask for it in m or km")
    return unit or "m"
