"""The question planner: an English quantitative question about a region becomes a plan.

Deterministic and offline. The question is normalised first (case, units spelled out, "the",
filler such as "in the region", the answer unit named by "in ha"), then read by one function
per question family, tried in a fixed order, most specific first. A family that recognises the
question builds a plan document over the operators of :mod:`geoquant.reason._plan` and the
planner returns it validated. Class words go through the shared vocabulary
(:func:`geoquant.segment._vocabulary.canonical_class`); sizes and distances in any unit become
m² and m.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from geoquant.errors import ClassNameError, QuestionError
from geoquant.reason._plan import AREA_UNITS, LENGTH_UNITS, PLAN_VERSION, Plan, validate
from geoquant.segment._vocabulary import canonical_class

#: The canonical question templates, one per supported form (``<class>``: a class word or
#: ``code 12``; ``<area>``: a size such as ``1 ha``; ``<distance>``: ``500 m``; ``<year>``: a
#: year or ISO date).
SUPPORTED_FORMS: tuple[str, ...] = (
    "what share of the area is <class>?",
    "what is the area of <class> in ha?",
    "how many <class> patches are there?",
    "how many <class> patches larger than <area> are there?",
    "how many <class> patches between <area> and <area> are there?",
    "how many <class> patches are there, ignoring patches smaller than <area>?",
    "what is the size of the largest <class> patch in ha?",
    "what is the mean size of <class> patches in m²?",
    "is there more <class> than <class>?",
    "is the area of <class> larger than the area of <class>?",
    "are there more <class> patches than <class> patches?",
    "is the largest <class> patch larger than <area>?",
    "are the <class> patches connected?",
    "how many connected groups of <class> are there?",
    "is <class> connected to <class> through <class>?",
    "what is the mean patch size of <class> in ha?",
    "what is the largest patch index of <class>?",
    "what is the effective mesh size of <class> in ha?",
    "what is the patch density of <class>?",
    "what is the edge density of <class>?",
    "is the <class> fragmented?",
    "what share of <class> lies within <distance> of <class>?",
    "what area of <class> lies within <distance> of <class>, in ha?",
    "how much <class> is farther than <distance> from <class>?",
    "how many <class> patches are within <distance> of <class>?",
    "how many <class> patches are farther than <distance> from <class>?",
    "how many <class> patches larger than <area> are within <distance> of <class> and "
    "farther than <distance> from <class>?",
    "what is the minimum distance between <class> and <class> in m?",
    "how far is <class> from <class>?",
    "how much <class> area was lost between <year> and <year>, in ha?",
    "how much <class> area was gained between <year> and <year>?",
    "what is the net change in <class> area between <year> and <year>?",
    "by what percentage did the <class> area change between <year> and <year>?",
    "how many new <class> patches appeared between <year> and <year>?",
)

_NUM = r"-?(?:\d+(?:\.\d+)?|\.\d+)"
_AREA_UNIT = r"(?:m2|ha|km2)"
_LENGTH_UNIT = r"(?:m|km)"
_DATE = r"(?:19|20)\d{2}(?:-\d{2}(?:-\d{2})?)?"
_OBJECT_WORDS = ("patches|patch|objects|object|areas|area|bodies|body|parcels|parcel|fields|"
                 "field|clusters|cluster|regions|region|polygons|polygon|blobs|blob|stands|"
                 "stand|pieces|piece|plots|plot|features|feature|components|component|zones|zone")
_STRIPPABLE = frozenset(_OBJECT_WORDS.split("|")) | {"land", "cover", "coverage", "surface",
                                                    "surfaces", "class", "type"}
_NOT_CLASS = frozenset("is are was were be been has have had did does do than there lie lies by "
                       "of within from between larger smaller bigger more less fewer connected how "
                       "what which much many lost gained change".split())


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


_REWRITES = tuple((re.compile(p), r) for p, r in (
    (r"²", "2"), (r"[−–]", "-"), (r"[’`]", "'"), (r"(?<=\d),(?=\d{3}\b)", ""),
    (r"\bsquare\s+(?:kilomet(?:re|er)s?|km)\b|\bsq\.?\s*km\b|\bkm\^2", "km2"),
    (r"\bsquare\s+(?:met(?:re|er)s?|m)\b|\bsq\.?\s*m\b|\bm\^2", "m2"),
    (r"\bhectares?\b", "ha"), (r"\bkilomet(?:re|er)s?\b|\bkms\b", "km"),
    (r"\bmet(?:re|er)s?\b", "m"), (r"\bper\s*cent\b|\bpercent\b", "%"),
    (r"(\d)\s*(m2|ha|km2|km|m|%)(?!\w)", r"\1 \2"),
    (r"\bwhat's\b|\bwhats\b", "what is"), (r"^what was\b", "what is"),
    (r"^(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:tell\s+me\s+)?", ""),
    (r",?\s*please$", ""),
    (r",?\s*\b(?:in|within|of|across|over|for|inside|on)\s+(?:the\s+|this\s+|that\s+)?"
     r"(?:region|scene|image|study\s+area|area\s+of\s+interest|aoi|tile|map|picture|raster|"
     r"landscape)\b", " "),
    (r",?\s*\b(?:in|across|over)\s+(?:the|this)\s+area\b", " "),
    (r"^((?:ignoring|excluding|disregarding|not counting)\b[^,]+),\s*(.+)$", r"\2, \1"),
    (r"\bthe\b", " "), (r"\s+", " "), (r"\s+,", ","),
))
_ANSWER_UNIT = re.compile(r"\s*,?\s*\(?\b(?:expressed\s+in|in|as)\s+(?:a\s+)?"
                          r"(m2|ha|km2|km|m|%|percentage)(?![\w%])\)?")
_SPAN = re.compile(rf"\b(?:between|from)\s+(?P<t1>{_DATE})(?:\s+(?:and|to|until|till)\s+|\s*-\s*)"
                   rf"(?P<t2>{_DATE})\b(?!\s*(?:m2|ha|km2|km|m|%)(?!\w))")


def _normalise(question: str) -> str:
    text = question.lower().strip().rstrip("?.! ")
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text.strip().rstrip("?.! ").strip(" ,")


def _answer_unit(text: str) -> tuple[str, str | None]:
    """The question without its answer unit ("in ha"), and that unit (None if not named)."""
    matches = list(_ANSWER_UNIT.finditer(text))
    if not matches:
        return text, None
    last = matches[-1]
    unit = "%" if last[1] == "percentage" else last[1]
    return _cut(text, last), unit


def _cut(text: str, match: re.Match[str]) -> str:
    return re.sub(r"\s+", " ", f"{text[:match.start()]} {text[match.end():]}").strip(" ,")


def _match(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := p.match(text))), None)


# --- numbers and units ----------------------------------------------------------------------

def _tidy(value: float) -> float | int:
    value = round(value, 6)
    return int(value) if value.is_integer() else value


def _area_m2(value: str, unit: str) -> float | int:
    """A size in m² from a number and an area unit; sizes must be >= 0."""
    if float(value) < 0:
        raise QuestionError(f"sizes must be >= 0, not {value} {unit}: give a non-negative size")
    return _tidy(float(value) * AREA_UNITS[unit])


def _length_m(value: str, unit: str) -> float | int:
    """A distance in m from a number and a length unit; distances must be >= 0."""
    if float(value) < 0:
        raise QuestionError(f"distances must be >= 0, not {value} {unit}: give a non-negative "
                            "distance (e.g. 'within 5 m of')")
    return _tidy(float(value) * LENGTH_UNITS[unit])


def _area_unit(unit: str | None) -> str:
    if unit is not None and unit not in AREA_UNITS:
        raise QuestionError(f"an area cannot be given in {unit!r}: ask for it in m2, ha or km2")
    return unit or "m2"


def _length_unit(unit: str | None) -> str:
    if unit is not None and unit not in LENGTH_UNITS:
        raise QuestionError(f"a distance cannot be given in {unit!r}: ask for it in m or km")
    return unit or "m"


# --- plan documents, class phrases, selections ----------------------------------------------

class _NotThisFamily(Exception):
    """A family's pattern matched, but what it took for a class word is not one."""


class _Document:
    """A plan document being written: steps in order, each with its own readable id."""

    def __init__(self) -> None:
        self.steps: list[dict[str, Any]] = []
        self._masks: dict[tuple[Any, ...], str] = {}

    def add(self, name: str, op: str, /, **args: Any) -> str:
        taken = {step["id"] for step in self.steps}
        base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:29] or "step"
        base = base if base[0].isalpha() else f"s_{base}"[:29]
        step_id, n = base, 2
        while step_id in taken:
            step_id, n = f"{base}_{n}", n + 1
        self.steps.append({"id": step_id, "op": op, **args})
        return step_id

    def mask(self, what: dict[str, Any], date: str | None = None) -> str:
        key = (*what.items(), date)
        if key not in self._masks:
            name = what.get("class") or f"code_{what['code']}"
            dated = {"date": date} if date else {}
            self._masks[key] = self.add(f"{name}_{date}" if date else name, "mask",
                                        **what, **dated)
        return self._masks[key]

    def redated(self, mask_id: str, date: str) -> str:
        """The mask of the same class as mask step ``mask_id``, at another date."""
        step = next(s for s in self.steps if s["id"] == mask_id)
        return self.mask({k: v for k, v in step.items() if k in ("class", "code")}, date)

    def answer(self, step_id: str) -> dict[str, Any]:
        return {"version": PLAN_VERSION, "steps": self.steps, "answer": step_id}


_LEADING = re.compile(r"^(?:(?:of|are|is|that|which|there|all|any|each|a|an|nearest|closest)"
                      r"\s+)+")
_TRAILING = re.compile(r"(?:\s+(?:are there|is there|are|is|there|exist|exists|present|"
                       r"in total|altogether|lie|lies|located|and|but|that|which|overall))+$")
_OBJECTS_OF = re.compile(rf"^(?:{_OBJECT_WORDS})\s+of\s+")
_CODE = re.compile(r"^(?:(?:land[- ]?(?:use|cover)|lulc)\s+)?(?:class\s+)?(?:code|class|value)"
                   r"\s+(\d+)$")


def _clean(phrase: str) -> str:
    """A phrase without the verbs, articles and punctuation around its class word."""
    previous = None
    while phrase != previous:
        previous = phrase
        phrase = phrase.strip(" ,;:")
        phrase = _OBJECTS_OF.sub("", _TRAILING.sub("", _LEADING.sub("", phrase)))
    return phrase


def _class_spec(phrase: str) -> dict[str, Any]:
    """The mask arguments of a class phrase: ``{"class": name}`` or ``{"code": n}``.

    The whole phrase is tried first, then without trailing object words ("forest patches",
    "built-up land"), so multi-word synonyms ("water bodies", "cultivated land") win.
    """
    words = _clean(phrase).split()
    candidates = [" ".join(words)]
    while len(words) > 1 and words[-1] in _STRIPPABLE:
        words = words[:-1]
        candidates.append(" ".join(words))
    for candidate in candidates:
        if code := _CODE.match(candidate):
            return {"code": int(code[1])}
    shortest = candidates[-1].split()
    if (not shortest or len(shortest) > 4 or _NOT_CLASS.intersection(shortest)
            or re.search(r"\d", candidates[-1])):
        raise _NotThisFamily(phrase)
    for candidate in candidates:
        try:
            return {"class": canonical_class(candidate)}
        except ClassNameError as error:
            unknown = error
    if set(shortest) <= _STRIPPABLE:    # only object words ("patches"): no class named
        raise _NotThisFamily(phrase)
    raise unknown


_LEAD = (r"(?:(?:(?:that|which)\s+)?(?:are|is|each|of|with\s+(?:an\s+)?(?:area|size)(?:\s+of)?|"
         r"of\s+an?\s+(?:area|size)\s+of)\s+)?")
_SIZE = rf"(?P<v>{_NUM})\s*(?P<u>{_AREA_UNIT})\b"
_IGNORE = re.compile(rf",?\s*\b(?:ignoring|ignore|excluding|exclude|disregarding|discarding|"
                     rf"not counting|without)\s+(?:(?:all|any)\s+)?(?:(?:{_OBJECT_WORDS}|ones|"
                     rf"those)\s+)?(?:(?:that|which)\s+are\s+)?(?:smaller|less)\s+than\s+{_SIZE}")
_BETWEEN = re.compile(rf"\b{_LEAD}between\s+(?P<v>{_NUM})\s*(?P<u>{_AREA_UNIT})?\s+and\s+"
                      rf"(?P<v2>{_NUM})\s*(?P<u2>{_AREA_UNIT})\b")
_AT_LEAST = re.compile(rf"\b{_LEAD}(?:(?:larger|bigger|greater|more)\s+than|at\s+least|over|"
                       rf"above|exceeding|no\s+smaller\s+than)\s+{_SIZE}")
_AT_MOST = re.compile(rf"\b{_LEAD}(?:(?:smaller|less)\s+than|at\s+most|under|below|up\s+to|"
                      rf"no\s+larger\s+than|not\s+exceeding)\s+{_SIZE}")
_CONDITION = re.compile(
    r"(?:\b(?:that|which|and|but)\s+)?(?:\b(?:are|is|lie|lies|lying|located|situated|found|"
    r"fall|falls)\s+)*\b(?:(?P<near>within|closer\s+than|nearer\s+than|less\s+than|at\s+most|"
    r"no\s+more\s+than|up\s+to)|(?P<far>farther\s+than|further\s+than|more\s+than|at\s+least|"
    rf"beyond|over|no\s+closer\s+than))\s+(?P<v>{_NUM})\s*(?P<u>{_LENGTH_UNIT})\b\s*"
    r"(?:away\s+)?(?:of|from|to)\s+")


def _size_filter(text: str) -> tuple[str, float | None, float | None]:
    """The text without its size filter, and the filter's bounds in m² (None: unbounded)."""
    low = high = None
    if match := _IGNORE.search(text):
        text, low = _cut(text, match), _area_m2(match["v"], match["u"])
    if match := _BETWEEN.search(text):
        text, low, high = (_cut(text, match), _area_m2(match["v"], match["u"] or match["u2"]),
                           _area_m2(match["v2"], match["u2"]))
        if low > high:
            raise QuestionError(f"'{match[0].strip()}' names the larger size first: swap the "
                                "bounds (e.g. 'between 1 and 10 ha')")
    if match := _AT_LEAST.search(text):
        text, low = _cut(text, match), _area_m2(match["v"], match["u"])
    if match := _AT_MOST.search(text):
        text, high = _cut(text, match), _area_m2(match["v"], match["u"])
    if low is not None and high is not None and low > high:
        raise QuestionError(f"the size filter asks for objects of at least {low} m² and at most "
                            f"{high} m², which no object can be: swap the bounds")
    return text, low, high


def _conditions(text: str) -> tuple[str, list[tuple[str, float | int, str]]]:
    """The text before its distance conditions, and each as (near/far, metres, class phrase)."""
    matches = list(_CONDITION.finditer(text))
    if not matches:
        return text, []
    ends = [m.start() for m in matches[1:]] + [len(text)]
    found = [("near" if m["near"] else "far", _length_m(m["v"], m["u"]), text[m.end():end])
             for m, end in zip(matches, ends, strict=True)]
    return text[:matches[0].start()], found


class _Selection(NamedTuple):
    mask: str    # the selection, filters and conditions applied
    scope: str   # the selection before its distance conditions
    base: str    # the bare class mask


def _selection(doc: _Document, phrase: str, *, objects: bool,
               date: str | None = None) -> _Selection:
    """Steps for a class phrase with an optional size filter and distance conditions.

    ``objects`` keeps or drops whole objects by distance (objects_near/objects_far); otherwise
    pixels are kept (near/far).
    """
    phrase, low, high = _size_filter(phrase)
    head, conditions = _conditions(phrase)
    base = current = doc.mask(_class_spec(head), date)
    if low is not None or high is not None:
        bounds = {k: v for k, v in (("min_area_m2", low), ("max_area_m2", high)) if v is not None}
        label = "large" if high is None else "small" if low is None else "sized"
        current = doc.add(f"{base}_{label}", "objects", of=current, **bounds)
    scope = current
    for kind, distance, target in conditions:
        to = doc.mask(_class_spec(target), date)
        current = doc.add(kind, f"objects_{kind}" if objects else kind, of=current, to=to,
                          distance_m=distance)
    return _Selection(current, scope, base)


def _mentions_objects(phrase: str) -> bool:
    return re.search(rf"\b(?:{_OBJECT_WORDS})$", phrase.strip()) is not None


# --- the families, most specific first ------------------------------------------------------

_LOSS, _GAIN = ("lost|lose|loss|disappeared|removed|cleared|destroyed|converted",
                "gained|gain|added|appeared|created|grew|expanded")
_CHANGE_NEW = _compile(r"^how many new (?P<a>.+?)(?: (?:appeared|emerged|formed|were created|"
                       r"have appeared|have formed|are there))?$",
                       r"^how many (?P<a>.+?) (?:appeared|emerged|were created|have appeared|"
                       r"formed|have formed)$")
_CHANGE_GONE = _compile(r"^how many (?P<a>.+?) (?:disappeared|vanished|were lost|"
                        r"have disappeared|were removed)$")
_CHANGE_AMOUNT = _compile(
    rf"^(?:how much|what area of|what is area of|how much area of) (?P<a>.+?) (?:area )?"
    rf"(?:(?:was|were|has been|have been|had been|got|did region|did) )?(?P<v>{_LOSS}|{_GAIN})$",
    r"^(?:what|how much) is (?:total )?(?:area of )?(?P<a>.+?) (?P<v>loss|gain)(?: area)?$")
_CHANGE_NET = _compile(r"^what is (?:net |total )?change (?:in|of) (?P<a>.+?)(?: area)?$",
                       r"^(?:by )?how much did (?P<a>.+?)(?: area)? change$",
                       r"^what is net (?P<a>.+?)(?: area)? change$")
_CHANGE_PERCENT = _compile(
    r"^by (?:what|how much|how many) (?:%|percentage) did (?P<a>.+?)(?: area)? (?:change|grow|"
    r"shrink|increase|decrease|decline)$",
    r"^what is (?:%|percentage|relative) change (?:in|of) (?P<a>.+?)(?: area)?$")


def _change(text: str, unit: str | None) -> dict[str, Any] | None:
    """Change between the first (``before``) and last (``after``) date of the run."""
    if span := _SPAN.search(text):
        if span["t1"] >= span["t2"]:
            raise QuestionError(f"'{span[0]}' must name the earlier date first")
        text = _cut(text, span)
    doc = _Document()
    for name, patterns, now, then in (("new", _CHANGE_NEW, "after", "before"),
                                      ("gone", _CHANGE_GONE, "before", "after")):
        if m := _match(patterns, text):
            objects = _selection(doc, m["a"], objects=True, date=now)
            found = doc.add(name, "objects_far", of=objects.mask,
                            to=doc.redated(objects.base, then), distance_m=0)
            return doc.answer(doc.add("n", "count", of=found))
    if m := _match(_CHANGE_AMOUNT, text):
        before = _selection(doc, m["a"], objects=False, date="before").mask
        after = _selection(doc, m["a"], objects=False, date="after").mask
        lost = re.fullmatch(_LOSS, m["v"]) is not None
        name, of, minus = ("lost", before, after) if lost else ("gained", after, before)
        changed = doc.add(name, "difference", of=of, minus=minus)
        return doc.answer(doc.add(f"{name}_area", "area", of=changed, unit=_area_unit(unit)))
    if not (m := _match(_CHANGE_PERCENT, text) or _match(_CHANGE_NET, text)):
        return None
    as_percent = m.re in _CHANGE_PERCENT or unit == "%"    # "how much did A change, in %"
    area_unit = "m2" if as_percent else _area_unit(unit)
    areas = {}
    for date in ("before", "after"):
        mask = _selection(doc, m["a"], objects=False, date=date).mask
        areas[date] = doc.add(f"area_{date}", "area", of=mask, unit=area_unit)
    if as_percent:
        return doc.answer(doc.add("percent_change", "percent_change", of=areas["after"],
                                  **{"from": areas["before"]}))
    return doc.answer(doc.add("net_change", "difference_of", of=areas["after"],
                              minus=areas["before"]))


_CONNECTED_THROUGH = _compile(r"^(?:is|are) (?P<a>.+?) connected (?:to|with) (?P<b>.+?) "
                              r"(?:through|via|by way of|across|along) (?P<c>.+)$")
_CONNECTED_ALL = _compile(r"^(?:is|are) (?P<a>.+?) (?:all |fully |well )?connected(?: to each "
                          r"other| with each other| together| to one another)?$",
                          r"^do(?:es)? (?P<a>.+?) form (?:one|a single) (?:connected )?"
                          r"(?:group|network|cluster|component|patch)$")
_CONNECTED_GROUPS = _compile(r"^how many (?:connected|separate|distinct|disconnected) (?:groups|"
                             r"components|networks|clusters|parts) (?:of|in) (?P<a>.+)$",
                             r"^how many (?:connected|separate|distinct) (?:groups|components|"
                             r"networks|clusters|parts) do(?:es)? (?P<a>.+?) (?:form|have)$")


def _connectivity(text: str, unit: str | None) -> dict[str, Any] | None:
    doc = _Document()
    if m := _match(_CONNECTED_THROUGH, text):
        of, to, through = (_selection(doc, m[k], objects=True).mask for k in "abc")
        return doc.answer(doc.add("connected", "connected", through=through, of=of, to=to))
    whole = _match(_CONNECTED_ALL, text)
    if not (m := whole or _match(_CONNECTED_GROUPS, text)):
        return None
    mask = _selection(doc, m["a"], objects=True).mask
    groups = doc.add("groups", "connected_groups", of=mask)
    if not whole:
        return doc.answer(groups)
    one = doc.add("one", "number", value=1)
    return doc.answer(doc.add("connected", "compare", of=groups, to=one, comparison="=="))


_COMPARISONS = {"larger": ">", "bigger": ">", "greater": ">", "more": ">", "higher": ">",
                "wider": ">", "smaller": "<", "less": "<", "fewer": "<", "lower": "<"}
_CMP = "|".join(_COMPARISONS)
_COMPARE_COUNT = re.compile(rf"^(?:is|are) there (?P<c>more|fewer|less) than (?P<v>{_NUM}) "
                            r"(?P<a>.+)$")
_COMPARE_THERE = _compile(r"^(?:is|are) there (?P<c>more|less|fewer) (?P<a>.+?) than (?P<b>.+)$",
                          r"^do(?:es)? (?P<a>.+?) cover (?P<c>more|less) (?:area |land |ground )?"
                          r"than (?P<b>.+)$")
_COMPARE = re.compile(rf"^(?:is|are) (?P<a>.+?) (?P<c>{_CMP}) than (?P<b>.+)$")
_QUANTITY = re.compile(rf"^(?P<v>{_NUM})\s*(?P<u>m2|ha|km2|%)?$")
_MEASURES = tuple((kind, re.compile(p)) for kind, p in (
    ("largest", r"^(?:(?:size|area) of )?largest (?P<a>.+?)(?:'s)?(?: size| area)?$"),
    ("mean", r"^(?:mean|average) (?:size|area) of (?P<a>.+)$"),
    ("share", r"^(?:share|%|percentage|fraction|proportion) of (?P<a>.+)$"),
    ("count", r"^(?:number|count) of (?P<a>.+)$"),
    ("area", r"^(?:total )?(?:area|extent|cover) of (?P<a>.+)$"),
))
_MEASURE_OPS = {"largest": "largest_object", "mean": "mean_object", "share": "share",
                "count": "count", "area": "area"}


def _read_measure(phrase: str, default: str) -> tuple[str, str]:
    """(kind of measure, class phrase) of "area of forest", "largest forest patch", ..."""
    phrase = _clean(re.sub(r"^\s*(?:that|those|one) of ", "", phrase))
    return next(((kind, m["a"]) for kind, p in _MEASURES if (m := p.match(phrase))),
                (default, phrase))


def _add_measure(doc: _Document, kind: str, phrase: str, unit: str) -> str:
    selection = _selection(doc, phrase, objects=kind in ("count", "largest", "mean"))
    units = {"unit": unit} if kind in ("largest", "mean", "area") else {}
    return doc.add(f"{selection.base}_{kind}", _MEASURE_OPS[kind], of=selection.mask, **units)


def _comparison(text: str, unit: str | None) -> dict[str, Any] | None:
    """Two measures, or a measure and a number, compared."""
    doc = _Document()
    if m := _COMPARE_COUNT.match(text):
        lhs = _add_measure(doc, "count", m["a"], "")
        rhs = doc.add("threshold", "number", value=_tidy(float(m["v"])))
    elif m := _match(_COMPARE_THERE, text):
        plural = _mentions_objects(m["a"]) or _mentions_objects(m["b"])
        kind = "count" if plural and not m[0].startswith("do") else "area"
        lhs = _add_measure(doc, kind, m["a"], "m2")
        rhs = _add_measure(doc, kind, m["b"], "m2")
    elif m := _COMPARE.match(text):
        kind, phrase = _read_measure(m["a"], "area")
        if quantity := _QUANTITY.match(m["b"].strip()):
            value, given = float(quantity["v"]), quantity["u"]
            wanted = {"share": ("%", None), "count": (None,)}.get(kind, tuple(AREA_UNITS))
            if given not in wanted or value < 0:
                raise QuestionError(f"cannot compare the {kind} of {phrase!r} with {m['b']!r}: "
                                    f"give a non-negative number in {wanted[0] or 'objects'}")
            lhs = _add_measure(doc, kind, phrase, given or "")
            rhs = doc.add("threshold", "number", value=_tidy(value),
                          **({"unit": given} if given else {}))
        else:
            lhs = _add_measure(doc, kind, phrase, "m2")
            rhs = _add_measure(doc, *_read_measure(m["b"], kind), "m2")
    else:
        return None
    return doc.answer(doc.add("compare", "compare", of=lhs, to=rhs,
                              comparison=_COMPARISONS[m["c"]]))


_METRICS = tuple((metric, re.compile(rf"^(?:what is |compute |give )?(?:{words}) (?:of|for) "
                                     r"(?P<a>.+)$")) for metric, words in (
    ("area_mn", r"(?:mean|average) patch (?:size|area)"),
    ("largest_patch_index", r"largest patch index|lpi"),
    ("effective_mesh_size", r"(?:effective )?mesh size|meff"),
    ("patch_density", r"patch density"), ("edge_density", r"edge density"),
    ("total_edge", r"total edge(?: length)?|edge length"),
    ("patch_cohesion_index", r"(?:patch )?cohesion(?: index)?"),
    ("enn_mn", r"(?:mean|average) (?:euclidean )?nearest[- ]neighbou?r distance"),
    ("number_of_patches", r"number of patches"),
))
_METRIC_UNITS = {"area_mn": "ha", "effective_mesh_size": "ha", "total_edge": "m", "enn_mn": "m"}
_FRAGMENTED = _compile(r"^(?:is|are) (?P<a>.+?) fragmented$",
                       r"^how fragmented (?:is|are) (?P<a>.+)$")


def _fragmentation(text: str, unit: str | None) -> dict[str, Any] | None:
    """Landscape metrics of one class (area metrics come in ha, as the operator gives them)."""
    doc = _Document()
    if m := _match(_FRAGMENTED, text):
        mask = _selection(doc, m["a"], objects=True).mask
        return doc.answer(doc.add("fragmented", "is_fragmented", of=mask))
    for metric, pattern in _METRICS:
        if m := pattern.match(text):
            fixed = _METRIC_UNITS.get(metric, unit)
            if unit is not None and unit != fixed:
                raise QuestionError(f"the {metric} metric is reported in {fixed}, not {unit}: "
                                    f"ask for it in {fixed} or leave the unit out")
            mask = _selection(doc, m["a"], objects=True).mask
            return doc.answer(doc.add(metric, "fragmentation", of=mask, metric=metric))
    return None


_CLOSEST = r"(?:minimum |min |shortest |smallest |closest |nearest )?"
_DISTANCE = _compile(rf"^what is {_CLOSEST}distance between (?P<a>.+?) and (?P<b>.+)$",
                     rf"^what is {_CLOSEST}distance from (?P<a>.+?) to (?P<b>.+)$",
                     r"^how far (?:away )?(?:is|are|lies|lie) (?P<a>.+?) from (?P<b>.+)$",
                     r"^how far apart (?:is|are) (?P<a>.+?) and (?P<b>.+)$",
                     r"^how close (?:is|are) (?P<a>.+?) to (?P<b>.+)$")


def _distance(text: str, unit: str | None) -> dict[str, Any] | None:
    if not (m := _match(_DISTANCE, text)):
        return None
    doc = _Document()
    of, to = (_selection(doc, m[k], objects=True).mask for k in "ab")
    return doc.answer(doc.add("distance", "min_distance", of=of, to=to,
                              unit=_length_unit(unit)))


_LARGEST = _compile(r"^(?:what is|how (?:large|big) is|what size is) (?:(?:size|area) of )?"
                    r"largest (?P<a>.+?)(?: size| area)?$")
_MEAN = _compile(r"^what is (?:mean|average) (?:size|area) of (?P<a>.+)$",
                 r"^how (?:large|big) are (?P<a>.+?) on average$",
                 r"^what is (?:mean|average) (?P<a>.+?) (?:size|area)$")


def _object_size(text: str, unit: str | None) -> dict[str, Any] | None:
    doc = _Document()
    for op, name, patterns in (("largest_object", "largest", _LARGEST),
                               ("mean_object", "mean_size", _MEAN)):
        if m := _match(patterns, text):
            mask = _selection(doc, m["a"], objects=True).mask
            return doc.answer(doc.add(name, op, of=mask, unit=_area_unit(unit)))
    return None


_SHARE = r"(?:share|%|percentage|fraction|proportion|part|portion)"
_WHOLE = r"(?:area|land|total area|surface)"
_SHARE_OF_WHOLE = _compile(
    rf"^(?:what|which) {_SHARE} (?:of {_WHOLE} )?(?:is|are) (?:covered by |occupied by |"
    r"made up of |taken up by )?(?P<a>.+)$",
    rf"^how much (?:of {_WHOLE} )?is (?:covered by |occupied by )?(?P<a>.+)$",
    rf"^how much of {_WHOLE} do(?:es)? (?P<a>.+?) (?:cover|occupy)$",
    rf"^what is {_SHARE} (?:of {_WHOLE} )?(?:covered|occupied) by (?P<a>.+)$")
_SHARE_OF_CLASS = _compile(rf"^(?:what|which) (?:is )?{_SHARE} of (?P<a>.+)$",
                           r"^how much of (?P<a>.+)$")


def _share(text: str, unit: str | None) -> dict[str, Any] | None:
    """Share of the region, or (with a distance condition) share of a class near another."""
    whole = _match(_SHARE_OF_WHOLE, text)
    if not (m := whole or _match(_SHARE_OF_CLASS, text)):
        return None
    if unit not in (None, "%"):
        raise QuestionError(f"a share is a percentage, not {unit}: leave out 'in {unit}'")
    doc = _Document()
    selection = _selection(doc, m["a"], objects=False)
    within = {} if whole or selection.mask == selection.scope else {"within": selection.scope}
    return doc.answer(doc.add("share", "share", of=selection.mask, **within))


_AREA_IN_UNITS = re.compile(r"^how many (?P<u>m2|ha|km2) (?:of |(?:are|is) (?:covered|occupied) "
                            r"by |do(?:es)? )?(?P<a>.+?)(?: cover| occupy)?$")
_AREA = _compile(
    r"^(?:what|how large|how big|how much) is (?:total )?(?:area|extent|surface area|surface|"
    r"size) (?:of|covered by|occupied by|under) (?P<a>.+)$",
    r"^how much (?:area|land|surface|ground) (?:is|are) (?:covered|occupied|taken up) by "
    r"(?P<a>.+)$",
    r"^how much (?:area |land |ground )?do(?:es)? (?P<a>.+?) (?:cover|occupy|take up)$",
    r"^what area (?:is (?:covered|occupied) by |do(?:es)? )(?P<a>.+?)(?: cover| occupy)?$",
    r"^what area of (?P<a>.+)$",
    r"^what is (?:total )?(?P<a>.+?) (?:area|extent)$",
    r"^how much (?P<a>.+)$")


def _area(text: str, unit: str | None) -> dict[str, Any] | None:
    """Area of a class, or of the part of it near or far from another."""
    if m := _AREA_IN_UNITS.match(text):
        unit = m["u"]
    elif not (m := _match(_AREA, text)):
        return None
    doc = _Document()
    mask = _selection(doc, m["a"], objects=False).mask
    return doc.answer(doc.add("area", "area", of=mask, unit=_area_unit(unit)))


_COUNT = _compile(r"^how many (?P<a>.+)$", r"^(?:what is|give) (?:number|count) of (?P<a>.+)$",
                  r"^count (?:number of )?(?P<a>.+)$")
_THERE = re.compile(r",?\s*\b(?:are there|is there|there are|exist|can be found|are present|"
                    r"do you see|do we have|in total|altogether)\b")


def _count(text: str, unit: str | None) -> dict[str, Any] | None:
    """Objects counted, optionally filtered by size and by distance to other classes."""
    if not (m := _match(_COUNT, text)):
        return None
    doc = _Document()
    mask = _selection(doc, _THERE.sub(" ", m["a"]), objects=True).mask
    return doc.answer(doc.add("n", "count", of=mask))


_Family = Callable[[str, "str | None"], "dict[str, Any] | None"]
_FAMILIES: tuple[_Family, ...] = (_change, _connectivity, _comparison, _fragmentation,
                                  _distance, _object_size, _share, _area, _count)


# --- public ---------------------------------------------------------------------------------

def plan_question(question: str) -> Plan:
    """The validated plan that answers an English quantitative question about a region.

    Parameters
    ----------
    question : str
        A question in one of :data:`SUPPORTED_FORMS` or a close variant. Sizes may be given in
        m², ha or km², distances in m or km; the answer unit is the one named ("in ha"),
        else m² for areas and m for distances.

    Returns
    -------
    Plan
        The plan, with ``plan.question`` set to the question. Sizes and distances in it are in
        m² and m.

    Raises
    ------
    QuestionError
        When the question fits no supported form (the message lists them and names the closest),
        or asks for something impossible (a negative size or distance, swapped size bounds).
    ClassNameError
        When a class word is unknown; the message suggests the closest known class.

    Examples
    --------
    >>> plan = plan_question("How many forest patches larger than 1 ha lie within 500 m of water?")
    >>> [step.op for step in plan.steps]
    ['mask', 'objects', 'mask', 'objects_near', 'count']
    >>> plan.step("forest_large").args["min_area_m2"]
    10000
    """
    if not isinstance(question, str) or not question.strip():
        raise QuestionError(f"a question must be a non-empty string, not {question!r}")
    text, unit = _answer_unit(_normalise(question))
    for family in _FAMILIES:
        try:
            document = family(text, unit)
        except _NotThisFamily:
            continue
        if document is not None:
            return validate({**document, "question": question.strip()})
    raise _unsupported(question, text)


def question_years(question: str) -> tuple[str, str] | None:
    """The two dates a change question names, as written.

    Parameters
    ----------
    question : str
        A question such as "how much forest was lost between 2006 and 2012?"; years and ISO
        dates ("2015-07-11") are read, in a "between t1 and t2" or "from t1 to t2" span.

    Returns
    -------
    tuple of str or None
        ``(t1, t2)``, or None when the question names no such span.

    Examples
    --------
    >>> question_years("How much forest area was lost between 2006 and 2012 in ha?")
    ('2006', '2012')
    """
    span = _SPAN.search(_normalise(question))
    return (span["t1"], span["t2"]) if span else None


def _unsupported(question: str, text: str) -> QuestionError:
    def likeness(form: str) -> float:
        return difflib.SequenceMatcher(None, text, _normalise(form)).ratio()

    closest = max(SUPPORTED_FORMS, key=likeness)
    listing = "\n".join(f"  {form}" for form in SUPPORTED_FORMS)
    return QuestionError(
        f"cannot plan {question.strip()!r}: it fits none of the supported question forms. "
        f"The closest is:\n  {closest}\nSupported forms (<class>: a class word such as forest, "
        "water or built-up, or 'code 12'; <area>: e.g. 1 ha; <distance>: e.g. 500 m; <year>: "
        f"e.g. 2015 or 2015-07-11):\n{listing}")
