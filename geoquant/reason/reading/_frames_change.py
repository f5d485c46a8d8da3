"""Change questions: how much of a class was lost or gained between two dates, the net or
percentage change of its area, and how many new (or vanished) patches appeared."""

from __future__ import annotations

import re
from typing import Any

from geoquant.errors import QuestionError
from geoquant.reason.reading._phrases import DATE, SPAN, area_unit
from geoquant.reason.reading._reading import Reader
from geoquant.reason.reading._targets import tokens

# --- change --------------------------------------------------------------------------------------

_DATE_WORDS = re.compile(rf"\s*\b(?:between|from|in|by|since|until|till|to|and|compared (?:with|"
                         rf"to)|versus|vs|as of|-)?\s*(?:year\s+)?{DATE}\b\s*,?")
_CHANGE_KINDS = (
    ("percent", re.compile(r"(?:%|\bpercentage\b|\bpercent\b|\brelative\b).*\b(?:change|"
                           r"changed|grow|grown|grew|shrink|shrunk|shrank|increase|increased|"
                           r"decrease|decreased|decline|declined|differ|expand|expanded)\b|"
                           r"\b(?:change|"
                           r"changed)\b.*(?:%|\bpercentage\b|\bpercent\b)")),
    ("new", re.compile(r"\b(?:new|appeared|emerged|formed|showed up|were created|did not exist|"
                       r"came into being|have appeared|newly|were built|were constructed)\b")),
    ("gone", re.compile(r"\b(?:disappeared|vanished|no longer exist|were removed)\b.*$|"
                        r"^how many .*\b(?:were lost|lost)\b")),
    ("lost", re.compile(r"\b(?:lost|loss|lose|losses|cleared|destroyed|removed|gone|converted|"
                        r"declined|shrank|disappeared|deforested)\b")),
    ("gained", re.compile(r"\b(?:gained|gain|gains|added|grew|expanded|increase|appeared|"
                          r"created|new|became|become|turned into|converted to)\b")),
    ("net", re.compile(r"\b(?:net|change|changed|changes|difference|differ|grow|grown|grew|"
                       r"shrink|shrunk|shrank|expand|expanded|decline|declined|increase|"
                       r"decrease)\b")),
)
#: Words of a change question's frame, read and dropped to leave its target.
_CHANGE_FRAME = frozenset(
    "how much many what is was were the area total net change changed changes in did does do "
    "has have been had got lost loss lose losses gained gain gains cleared destroyed removed "
    "gone converted declined shrank disappeared deforested added grew expanded increase "
    "increased decrease decreased appeared created new newly emerged formed showed up "
    "exist existed not percentage percent % relative terms grow grown shrink shrunk decline "
    "differ difference by there that which vanished no longer being came into count number "
    "brand-new brand built constructed erected expand expanded became become turned at all "
    "entirely completely wholly m2 ha km2 % images image maps map scenes dates acquisitions "
    "two "
    "amount extent size cover coverage region image scene of".split())
_COUNT_FRAME = re.compile(r"^(?:how many(?! (?:m2|ha|km2|"
                          r"ft2|yd2|mi2|acre|%)(?!\w))|what is (?:number|count) of|"
                          r"count|number of|what number of)\b")


def _change_dates(text: str) -> tuple[str, bool]:
    """The text without its two dates; whether it had them. A "between t1 and t2" span must
    name the earlier date first."""
    text = re.sub(r"\bbetween (?:the )?two (?:dates|images|maps|years|acquisitions|scenes),?\s*",
                  "between ", text)
    if span := SPAN.search(text):
        if span["t1"] >= span["t2"]:
            raise QuestionError(f"'{span[0]}' must name the earlier date first")
    dates = re.findall(rf"\b{DATE}\b", text)
    if not dates:
        return text, False
    if len(dates) != 2 or not re.search(r"\b(?:lost|loss|lose|gain|gained|change|changed|new|"
                                        r"appeared|disappeared|grow|grown|grew|shrink|shrunk|"
                                        r"increase|decrease|cleared|gone|exist|formed|emerged|"
                                        r"showed up|differ|difference|compared|vanished|expand|"
                                        r"expanded|decline|declined|built|constructed|added|"
                                        r"became|become|turned)",
                                        text):
        if re.search(r"\b(?:m2|ha|km2|km|m|"
                     r"ft2|yd2|mi2|acre|ft|yd|mi|%)\b", text) and len(dates) < 2:
            return text, False
        if len(dates) == 2:
            raise QuestionError(f"'{text}' names two dates but not what changed: ask how much "
                                "was lost or gained, the net or percentage change, or how many "
                                "new patches appeared")
        raise QuestionError("a change question names two dates: 'between 2006 and 2012'")
    return re.sub(r"\s+", " ", _DATE_WORDS.sub(" ", text)).strip(" ,"), True


def change(r: Reader, text: str) -> dict[str, Any] | None:
    """Change between the first (``before``) and last (``after``) date of the run."""
    text, dated = _change_dates(text)
    kind = next((k for k, p in _CHANGE_KINDS if p.search(text)), None)
    if not dated and not (kind == "new" and _COUNT_FRAME.match(text)):
        return None
    if kind is None:
        raise QuestionError(f"'{text}' names two dates but not what changed: ask how much was "
                            "lost or gained, the net or percentage change, or how many new "
                            "patches appeared")
    unit_word = re.search(r"\b(?:how many|what is|by how many) (m2|ha|km2|"
                          r"ft2|yd2|mi2|acre)\b", text)
    if unit_word:
        r.unit = unit_word[1]
    phrase = _change_target(text)
    counting = bool(_COUNT_FRAME.match(text))
    if kind in ("new", "gone") and counting:
        now, then = ("after", "before") if kind == "new" else ("before", "after")
        objects = r.target(phrase, objects=True, reader=r.dated(now))
        found = r.doc.add(kind, "objects_far", of=objects.mask,
                          to=r.doc.redated(objects.base, then), distance_m=0)
        return r.answer(r.doc.add("n", "count", of=found))
    if counting:
        raise QuestionError(f"cannot count what '{text}' asks: count new patches ('how many "
                            "new forest patches appeared') or ask for an area")
    if kind in ("lost", "gained", "new", "gone"):
        before = r.target(phrase, reader=r.dated("before")).mask
        after = r.target(phrase, reader=r.dated("after")).mask
        lost = kind in ("lost", "gone")
        name, of, minus = ("lost", before, after) if lost else ("gained", after, before)
        changed = r.doc.add(name, "difference", of=of, minus=minus)
        if r.unit == "%":
            return r.answer(r.doc.add(f"{name}_share", "share", of=changed, within=of))
        return r.answer(r.doc.add(f"{name}_area", "area", of=changed, unit=area_unit(r.unit)))
    as_percent = kind == "percent" or r.unit == "%"
    unit = "m2" if as_percent else area_unit(r.unit)
    areas = {}
    for date in ("before", "after"):
        mask = r.target(phrase, reader=r.dated(date)).mask
        areas[date] = r.doc.add(f"area_{date}", "area", of=mask, unit=unit)
    if as_percent:
        return r.answer(r.doc.add("percent_change", "percent_change", of=areas["after"],
                                  **{"from": areas["before"]}))
    return r.answer(r.doc.add("net_change", "difference_of", of=areas["after"],
                              minus=areas["before"]))


def _change_target(text: str) -> str:
    """What changed: the question's words without its change frame."""
    text = re.sub(r"\b(?:grown or shrunk|grow or shrink|grew or shrank|increased or decreased|"
                  r"increase or decrease|gained or lost|expand(?:ed)? or (?:decline|shrink|"
                  r"contract)(?:ed)?|by how much|by what)\b", " ", text)
    text = re.sub(r"^(?:how many|what is|count|number of|what number of)\s+(?:(?:m2|ha|km2|"
                  r"ft2|yd2|mi2|acre)\s+)?",
                  "", text)
    words = [w for w in tokens(text) if w not in _CHANGE_FRAME or w in ("of",)]
    while words and words[0] in ("of", ","):
        words = words[1:]
    while words and words[-1] in ("of", ","):
        words = words[:-1]
    phrase = " ".join(w for i, w in enumerate(words)
                      if not (w == "of" and (i == 0 or words[i - 1] in (",", "of"))))
    if not phrase:
        raise QuestionError(f"'{text}' does not say what changed: name a class, e.g. forest")
    return phrase
