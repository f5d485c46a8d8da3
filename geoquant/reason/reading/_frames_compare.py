"""Yes/no questions: comparisons of areas, counts or a measure with a number, existence ("is
there any forest within 50 m of water?") and touching."""

from __future__ import annotations

import re
from typing import Any

from geoquant.errors import QuestionError
from geoquant.reason.plans._ops import AREA_UNITS
from geoquant.reason.reading._phrases import tidy
from geoquant.reason.reading._reading import (
    AREA_RULE,
    COUNT_RULE,
    MEASURE_OPS,
    WH,
    Reader,
    compile_all,
    counts_objects,
    first_match,
)
from geoquant.reason.reading._targets import OBJECT_WORDS, mentions_objects, tokens

# --- comparisons and yes/no ----------------------------------------------------------------------

_COMPARISONS = {"larger": ">", "bigger": ">", "greater": ">", "more": ">", "higher": ">",
                "wider": ">", "more extensive": ">", "smaller": "<", "less": "<", "fewer": "<",
                "lower": "<", "less extensive": "<", "above": ">", "over": ">",
                "below": "<", "under": "<", "at least": ">=", "at most": "<=",
                "more than": ">", "less than": "<", "greater than": ">", "larger than": ">",
                "smaller than": "<", "bigger than": ">", "exceeding": ">", "exceed": ">",
                "exceeds": ">", "outnumber": ">", "outnumbers": ">", "fewer than": "<",
                "a larger": ">", "a greater": ">", "a smaller": "<", "a larger amount of": ">",
                "more numerous": ">", "less numerous": "<",
                "a greater amount of": ">", "a smaller amount of": "<", "a bigger": ">"}
_CMP = "|".join(sorted((re.escape(k) for k in _COMPARISONS), key=len, reverse=True))
_NUMBER_SIDE = re.compile(r"^(?P<v>-?(?:\d+(?:\.\d+)?|\.\d+))\s*(?P<u>m2|ha|km2|km|m|"
                          r"ft2|yd2|mi2|acre|ft|yd|mi|%)?"
                          r"(?: (?P<w>objects|patches|of them|regions))?$")
_COMPARE_THERE = compile_all(rf"^(?:is|are) there (?P<c>{_CMP}) (?P<a>.+?) than (?P<b>.+)$",
                          rf"^do(?:es)? (?P<a>.+?) (?:cover|occupy|take up|have) (?P<c>{_CMP}) "
                          r"(?:area |land |ground |space |surface )?than (?P<b>.+?)"
                          r"(?: do(?:es)?)?$")
_COMPARE_COUNT = re.compile(r"^(?:is|are) there (?P<c>more than|fewer than|less than|at least|"
                            r"at most|over|under) (?P<v>\d+) (?P<a>.+)$")
_COMPARE = compile_all(rf"^(?:is|are|was|were) (?!there\b)(?P<a>.+?) (?P<c>{_CMP}) than "
                       r"(?P<b>.+)$",
                    rf"^(?:is|are) (?P<a>.+?) (?P<c>{_CMP}) (?P<b>-?[\d.]+ ?(?:m2|ha|km2|km|m|"
                    rf"ft2|yd2|mi2|acre|ft|yd|mi|%)"
                    r"?)$",
                    r"^do(?:es)? (?P<a>.+?) (?P<c>exceed|outnumber) (?P<b>.+)$")
_EXISTS = compile_all(r"^(?:is|are) there (?:any |some |at least one |a |an )?(?P<t>.+)$",
                   r"^do(?:es)? (?:it |image |scene |region |area |map )?(?:contain|have|"
                   r"include|show|hold) (?:any |some |at least one |a |an )?(?P<t>.+)$",
                   r"^(?:does|do) (?:any |some )?(?P<t>.+?) exist$",
                   r"^(?:is|are) (?:any|some) (?P<t>.+)$",
                   r"^(?:does|do) any (?P<t>.+)$",
                   r"^(?:does|do) (?:at least one |any |some |a |an )?(?P<t>.+? (?:lie|fall|sit|"
                   r"occur|stand|exist|come|get) .+)$",
                   r"^(?:is|are) (?P<t>.+? (?:within|adjacent|touching|bordering|next to|"
                   r"farther|further|closer|beyond|at least|at most|more than|less than) .+)$")
_TOUCH = re.compile(r"^do(?:es)? (?:any )?(?P<a>.+?) (?P<r>touch|border|adjoin|neighbou?r|"
                    r"abut) (?P<b>.+)$")
_WHICH = re.compile(r"^which (?:is|are|one is|class is|covers|has) .+ or .+$|"
                    r"^(?:is|are) there (?:more|less|fewer) (?:(?! than ).)+ or .+$|"
                    r"^which (?:class|land cover|cover type) .+$")
_MEASURE_WORDS = (
    ("largest", r"^(?:(?:size|area) of )?(?:largest|biggest) (?P<a>.+?)(?:'s)?(?: size| area)?$"),
    ("smallest", r"^(?:(?:size|area) of )?smallest (?P<a>.+?)(?:'s)?(?: size| area)?$"),
    ("mean", r"^(?:mean|average) (?:size|area) of (?P<a>.+)$"),
    ("mean", r"^(?:mean|average) (?P<a>.+?) (?:size|area)$"),
    ("share", r"^(?:share|%|percentage|fraction|proportion|coverage) of (?P<a>.+)$"),
    ("share", r"^(?P<a>.+?) (?:share|percentage|coverage|fraction|proportion)$"),
    ("count", r"^(?:number|count) of (?P<a>.+)$"),
    ("count", r"^(?P<a>.+?) count$"),
    ("area", r"^(?:total )?(?:area|extent|cover|surface) of (?P<a>.+)$"),
    ("area", r"^(?:total )?(?P<a>.+?) (?:area|extent|surface)$"),
)
_MEASURE_PATTERNS = tuple((kind, re.compile(p)) for kind, p in _MEASURE_WORDS)


def _read_measure(phrase: str, default: str) -> tuple[str, str]:
    """(kind of measure, target phrase) of "area of forest", "largest forest patch", ..."""
    phrase = re.sub(r"^\s*(?:that|those|one|ones) of ", "", phrase.strip(" ,"))
    phrase = re.sub(r"^(?:amount|quantity) of ", "", phrase)
    return next(((kind, m["a"]) for kind, p in _MEASURE_PATTERNS if (m := p.match(phrase))),
                (default, phrase))


def _add_measure(r: Reader, kind: str, phrase: str, unit: str) -> str:
    selection = r.target(phrase, objects=kind in ("count", "largest", "smallest", "mean"))
    units = {"unit": unit} if kind in ("largest", "smallest", "mean", "area") else {}
    return r.doc.add(f"{selection.base}_{kind}", MEASURE_OPS[kind], of=selection.mask,
                     **units)


_SIZE_START = (r"(?:under|over|above|below|larger|smaller|bigger|more than|less than|at least|"
               r"at most|between|of (?:at least|at most|over|under|more than|less than)|within|"
               r"farther|further|beyond|adjacent|touching|not)\b")


def _ranked(a: str, b: str) -> str:
    """The right side "the second biggest" with the left side's noun ("how many times larger
    is the biggest lake than the second biggest": the second biggest lake)."""
    ranked = re.match(r"^(?:the )?(?P<r>(?:second|third|fourth|2nd|3rd|4th|next) (?:largest|"
                      r"biggest|smallest))(?: one)?$", b.strip())
    noun = re.search(r"\b(?:largest|biggest|smallest) (?P<n>.+)$", a.strip())
    return f"{ranked['r']} {noun['n']}" if ranked and noun else b


def _elided(a: str, b: str) -> str:
    """The right side of a comparison with its class said once, on the left ("more forest
    patches under 1 ha than over 10 ha", "... than those over 20 ha")."""
    rest = re.sub(r"^(?:those|ones|the ones|that|them|these)\s+(?:that are |which are |)?", "",
                  b.strip())
    if not re.match(_SIZE_START, rest) or re.match(r"^[\d.]+ ", rest):
        return b
    head = re.split(rf"\s+{_SIZE_START}", a.strip(), maxsplit=1)[0]
    return f"{head} {rest}"


_OTHERS = re.compile(r"^(?:all |the |of )*(?:other|remaining|rest of(?: the)?) (?P<x>.+?)"
                     r"(?: together| combined| put together| taken together| added up| in total)?$")
_ALL_CLASSES = re.compile(r"^(?:classes|class|land|land covers?|land cover classes|cover types|"
                          r"types|categories|ground|land uses?|pixels|area|areas)$")


def _the_others(r: Reader, kind: str, phrase: str, others: str) -> str:
    """The measure of "all the other classes together" (everything but the left side's
    classes) or "all the other X together" after "the largest X" (X but its largest)."""
    if kind not in ("area", "share", "largest"):
        raise QuestionError(f"cannot compare a {kind} with 'all the other {others}': compare "
                            "areas")
    if _ALL_CLASSES.match(others):
        left = r.target(re.sub(r"^(?:largest|biggest) ", "", phrase)).base
        rest = r.doc.add(f"not_{left}", "complement", of=left)
    elif kind == "largest":
        left = r.target(others, objects=True).base
        rest = r.doc.add(f"{left}_rest", "without_largest", of=left, count=1)
    else:
        raise QuestionError(f"'all the other {others}' names no others after {phrase!r}: say "
                            "which classes to compare with")
    unit = {"unit": "m2"}
    return r.doc.add("others_area", "share" if kind == "share" else "area", of=rest,
                     **({} if kind == "share" else unit))


_FRACTIONS = {"half": 50.0, "a half": 50.0, "one half": 50.0, "a third": 100 / 3,
              "one third": 100 / 3, "two thirds": 200 / 3, "a quarter": 25.0,
              "one quarter": 25.0, "three quarters": 75.0, "a tenth": 10.0, "one tenth": 10.0}
#: "is more than half of the water within 100 m of forest?": a share compared with a fraction.
_FRACTION_OF = re.compile(
    r"^(?:is|are) (?P<c>more than|over|less than|under|at least|at most|fewer than) "
    rf"(?P<f>{'|'.join(sorted(_FRACTIONS, key=len, reverse=True))}|[\d.]+ ?%) of (?P<x>.+?) "
    r"(?:that |which )?(?P<rel>(?:lies |lie |falls |fall |sits |sit |located |situated )?(?:within|"
    r"farther|further|more than|less than|at least|at most|beyond|adjacent|touching|next to|"
    r"closer|bordering|not within|outside|inside|in) .+)$")


def _fraction_of(r: Reader, m: re.Match[str]) -> dict[str, Any] | None:
    """A share of a target that meets a relation, compared with a fraction of it."""
    from geoquant.reason.reading._frames_amount import share

    rel = m["rel"]
    if not re.match(r"(?:lies|lie|falls|fall|sits|sit) ", rel):
        verb = "are" if counts_objects(m["x"], r) else "is"
        rel = f"{verb} {re.sub(r'^(?:located|situated) ', '', rel)}"
    found = share(r, f"what % of {m['x']} {rel}")
    if found is None:
        return None
    word = m["f"].replace(" %", "%")
    value = _FRACTIONS.get(word) or float(word.rstrip("%"))
    rhs = r.doc.add("fraction", "number", value=tidy(value), unit="%")
    return r.answer(r.doc.add("compare", "compare", of=found["answer"], to=rhs,
                              comparison=_COMPARISONS[m["c"]]))


def comparison(r: Reader, text: str) -> dict[str, Any] | None:
    """Two measures, or a measure and a number, compared; existence; touching."""
    if _WHICH.match(text):
        raise QuestionError("geoquant answers with a number or yes/no, not a class name: ask "
                            "'is there more forest than water?' instead of 'which is larger'")
    if (m := _FRACTION_OF.match(text)) and (found := _fraction_of(r, m)) is not None:
        return found
    if m := _COMPARE_COUNT.match(text):
        return _compare_number(r, "count", m["a"], m["v"], m["c"])
    if m := first_match(_COMPARE_THERE, text):
        plural = m.re is _COMPARE_THERE[0] and text.startswith("are") and (
            counts_objects(m["a"], r) or counts_objects(m["b"], r))
        by_number = bool(re.search(r" (?:by|in) (?:number|count)$", m["b"]))
        kind = "count" if plural or by_number or m["c"] == "fewer" else "area"
        a = re.sub(r"^(?:number of|area of|amount of|(?:m2|ha|km2|"
                   r"ft2|yd2|mi2|acre) of) ", "", m["a"])
        b = _elided(a, re.sub(r" (?:by|in) (?:number|count)$", "", m["b"]))
        b = re.sub(r"^(?:(?:number|area|amount) of|there (?:is|are)|of|that of) ", "", b.strip())
        b = re.sub(r" (?:there (?:is|are)|are there|is there|do(?:es)?)$", "", b)
        if _NUMBER_SIDE.match(b):
            return _compare_number(r, kind, a, b, m["c"])
        if (rest := _OTHERS.match(b)) is not None and kind == "area":
            lhs = _add_measure(r, kind, a, "m2")
            rhs = _the_others(r, kind, a, rest["x"])
            return r.answer(r.doc.add("compare", "compare", of=lhs, to=rhs,
                                      comparison=_COMPARISONS[m["c"]]))
        r.doc.note(COUNT_RULE if kind == "count" else AREA_RULE)
        lhs = _add_measure(r, kind, a, "m2")
        rhs = _add_measure(r, kind, b, "m2")
        return r.answer(r.doc.add("compare", "compare", of=lhs, to=rhs,
                                  comparison=_COMPARISONS[m["c"]]))
    if (m := first_match(_COMPARE, text)) and not m["a"].startswith("there "):
        kind, phrase = _read_measure(m["a"], "area")
        if re.search(r" (?:by|in) (?:number|count)$", m["b"]):
            kind = "count"
        b_side = re.sub(r" (?:by|in) (?:number|count)$", "", m["b"]).strip()
        if _NUMBER_SIDE.match(b_side):
            return _compare_number(r, kind, phrase, b_side, m["c"])
        if m["c"] in ("outnumber", "outnumbers", "fewer", "more numerous", "less numerous"):
            kind = "count"
        if (rest := _OTHERS.match(b_side)) is not None:   # "... than all the other X together"
            lhs = _add_measure(r, kind, phrase, "m2")
            rhs = _the_others(r, kind, phrase, rest["x"])
            return r.answer(r.doc.add("compare", "compare", of=lhs, to=rhs,
                                      comparison=_COMPARISONS[m["c"]]))
        other_kind, other = _read_measure(_elided(phrase, b_side), kind)
        if {kind, other_kind} - {"area", "share"} and kind != other_kind:
            raise QuestionError(f"cannot compare the {kind} of {phrase!r} with the {other_kind}"
                                f" of {other!r}: compare like with like")
        lhs = _add_measure(r, kind, phrase, "m2")
        rhs = _add_measure(r, other_kind, other, "m2")
        return r.answer(r.doc.add("compare", "compare", of=lhs, to=rhs,
                                  comparison=_COMPARISONS[m["c"]]))
    if m := _TOUCH.match(text):
        a = r.target(m["a"], objects=True)
        b = r.target(m["b"]).mask
        touching = r.doc.add("adjacent", "objects_adjacent", of=a.mask, to=b)
        return _exists(r, touching)
    if m := first_match(_EXISTS, text):
        # "is there any forest patch larger than 30 ha?": a selection of objects
        words = [_plural(w) for w in tokens(m["t"])]     # "any forest patch larger than"
        head = re.split(r"\b(?:within|near|adjacent|touching|bordering|farther|further|closer|"
                        r"beyond|from|of|than)\b", m["t"])[0]
        objects = any(_plural(w) in OBJECT_WORDS for w in tokens(head))
        selection = r.target(" ".join(words) if objects else m["t"], objects=objects)
        return _exists(r, selection.mask)
    return None


def _plural(word: str) -> str:
    """The plural of an object word ("patch" -> "patches", "body" -> "bodies"), else the word."""
    for plural in (f"{word}es", f"{word}s", f"{word[:-1]}ies"):
        if plural in OBJECT_WORDS:
            return plural
    return word


def _exists(r: Reader, mask: str) -> dict[str, Any]:
    area = r.doc.add("area", "area", of=mask, unit="m2")
    zero = r.doc.add("zero", "number", value=0, unit="m2")
    r.doc.note("'is there any ...' asks whether the selection covers any pixel (area > 0)")
    return r.answer(r.doc.add("exists", "compare", of=area, to=zero, comparison=">"))


def _compare_number(r: Reader, kind: str, phrase: str, side: str, word: str
                    ) -> dict[str, Any]:
    q = _NUMBER_SIDE.match(side)
    value, given = float(q["v"]), q["u"]
    if q["w"]:
        kind = "count"
    elif given == "%" and kind == "area":      # "is forest more than 50 % of the map?"
        kind = "share"
    wanted = {"share": ("%",), "count": (None,)}.get(kind, tuple(AREA_UNITS))
    if given not in wanted or value < 0:
        raise QuestionError(f"cannot compare the {kind} of {phrase!r} with {side!r}: give a "
                            f"non-negative number in {wanted[0] or 'objects'}")
    lhs = _add_measure(r, kind, phrase, given or "")
    rhs = r.doc.add("threshold", "number", value=tidy(value),
                    **({"unit": given} if given else {}))
    return r.answer(r.doc.add("compare", "compare", of=lhs, to=rhs,
                              comparison=_COMPARISONS[word]))


# --- ratios --------------------------------------------------------------------------------------

_FACTOR_WORDS = {"twice": 2.0, "double": 2.0, "two": 2.0, "triple": 3.0, "thrice": 3.0,
                 "three": 3.0, "four": 4.0, "five": 5.0, "ten": 10.0, "half": 0.5,
                 "a third": 1 / 3, "one third": 1 / 3, "a quarter": 0.25, "one quarter": 0.25}
_FACTOR = (r"(?P<n>twice|double|triple|thrice|half|a third|one third|a quarter|one quarter|"
           r"(?:\d+(?:\.\d+)?|two|three|four|five|ten) times)")
_AS_MUCH = (r"(?:as (?:much|many|large|big|extensive|great|wide) as|(?:the )?(?:size|area|extent|"
            r"number|count|amount|coverage) of|(?:larger|bigger|greater|more|smaller|less) than|"
            r"that of)")
_TIMES = compile_all(
    rf"^(?:is|are) there (?P<c>at least|more than|over|less than|under|at most|no more than|"
    rf"no less than|fewer than|nearly|almost|about|roughly|)\s*{_FACTOR} (?:as much|as many|"
    rf"more|the amount of|the area of|the number of)?\s*(?P<a>.+?) (?:as|than) (?:there is |"
    r"there are )?(?P<b>.+)$",
    rf"^(?:is|are|does|do) (?P<a>.+?) (?:cover |occupy |have |take up )?(?P<c>at least|more than"
    rf"|over|less than|under|at most|no more than|no less than|nearly|almost|about|roughly|)\s*"
    rf"{_FACTOR} {_AS_MUCH} (?P<b>.+)$")
_HOW_MANY_TIMES = compile_all(
    r"^how many times (?:larger|bigger|greater|more extensive|more|as large|as big) (?:is|are) "
    r"(?P<a>.+?) (?:than|as) (?P<b>.+)$",
    r"^how many times (?:more|as many) (?P<a>.+?) (?:are there )?(?:than|as) (?:there are )?"
    r"(?P<b>.+?)(?: are there)?$",
    r"^by what factor (?:is|are|does|do) (?P<a>.+?) (?:exceed|larger than|bigger than|more than|"
    r"outnumber) (?P<b>.+)$",
    rf"^(?:{WH} )?(?:the )?ratio (?:of|between) (?P<a>.+?) (?:to|and|over|versus) (?P<b>.+)$",
    r"^(?P<a>.+?) (?:to|over) (?P<b>.+?) ratio$")
_RATIO_ATLEAST = {"at least": ">=", "no less than": ">=", "more than": ">", "over": ">",
                  "less than": "<", "under": "<", "fewer than": "<", "at most": "<=",
                  "no more than": "<=", "": ">=", "nearly": ">=", "almost": ">=",
                  "about": ">=", "roughly": ">="}


def _factor(word: str) -> float:
    word = word.removesuffix(" times")
    return _FACTOR_WORDS[word] if word in _FACTOR_WORDS else float(word)


#: "how much bigger is A than B (in km2)", "the difference in area between A and B",
#: "by how many hectares does A exceed B": A's area minus B's.
_DIFFERENCE = compile_all(
    r"^how (?:much|many (?P<u1>m2|ha|km2|ft2|yd2|mi2|acre)) (?:bigger|larger|greater|more|more "
    r"extensive) (?:is|are) (?P<a>.+?) than (?P<b>.+)$",
    rf"^(?:{WH} )?(?:the )?difference (?:in (?:area|size|extent|coverage) )?between (?P<a>.+?) "
    r"and (?P<b>.+?)(?: in (?:area|size|extent))?$",
    r"^by how (?:much|many (?P<u2>m2|ha|km2|ft2|yd2|mi2|acre)) (?:does|do|is|are) (?P<a>.+?) "
    r"(?:exceed|exceeds|outsize|bigger than|larger than|more than|greater than) (?P<b>.+)$",
    r"^how many (?P<u1>m2|ha|km2|ft2|yd2|mi2|acre) more (?:of )?(?P<a>.+?) (?:is there |are there "
    r"|do we have )?than (?:of )?(?P<b>.+?)(?: (?:is|are) there| do we have)?$")
#: "how many more A patches are there than B patches": a difference of counts.
_MORE_COUNT = re.compile(r"^how many more (?P<a>.+?) (?:are there |exist |do we have |are )?than "
                         r"(?:there are )?(?P<b>.+?)(?: (?:are there|exist|there are))?$")


def _difference(r: Reader, m: re.Match[str]) -> dict[str, Any]:
    named = m.groupdict().get("u1") or m.groupdict().get("u2")
    if named is not None:
        if r.unit is not None and r.unit != named:
            raise QuestionError(f"the question asks for the answer in both {named} and "
                                f"{r.unit}: keep one")
        r.unit = named
    unit = r.unit or "m2"
    if unit not in AREA_UNITS:
        raise QuestionError(f"a difference of areas is an area, not {unit}: ask it in m², ha or "
                            "km²")
    kind_a, a = _read_measure(m["a"], "area")
    kind_b, b = _read_measure(_elided(a, _ranked(m["a"], m["b"])), kind_a)
    if {kind_a, kind_b} - {"area", "largest", "smallest", "mean"}:
        raise QuestionError(f"a difference in area needs two areas, not the {kind_a} of {a!r} "
                            f"and the {kind_b} of {b!r}")
    lhs = _add_measure(r, kind_a, a, unit)
    rhs = _add_measure(r, kind_b, b, unit)
    return r.answer(r.doc.add("difference", "difference_of", of=lhs, minus=rhs))


def ratios(r: Reader, text: str) -> dict[str, Any] | None:
    """How many times one measure is another ("how many times larger is the forest area
    than the shrubland area", "the ratio of land to water"), and comparisons with a factor
    ("is there at least twice as much A as B", "is A more than three times the size of B"),
    and differences of two areas ("how much bigger is A than B, in ha")."""
    if m := first_match(_DIFFERENCE, text):
        return _difference(r, m)
    if (m := _MORE_COUNT.match(text)) and not re.match(r"(?:m2|ha|km2|ft2|yd2|mi2|acre)\b", m["a"]):
        lhs = _add_measure(r, "count", m["a"], "")
        rhs = _add_measure(r, "count", _elided(m["a"], m["b"]), "")
        return r.answer(r.doc.add("difference", "difference_of", of=lhs, minus=rhs))
    if m := first_match(_TIMES, text):
        if m["c"] in ("nearly", "almost", "about", "roughly"):
            raise QuestionError(f"'{m['c']} {m['n']}' does not say how close: ask 'at least' or "
                                "'more than'")
        kind = "count" if counts_objects(m["a"], r) or counts_objects(m["b"], r) else "area"
        kind_a, a = _read_measure(m["a"], kind)
        b_side = _elided(a, m["b"])
        if (rest := _OTHERS.match(b_side)) is not None:
            rhs = _the_others(r, kind_a, a, rest["x"])
        else:
            kind_b, b = _read_measure(b_side, kind_a)
            rhs = _add_measure(r, kind_b, b, "m2")
        lhs = _add_measure(r, kind_a, a, "m2")
        factor = r.doc.add("times", "scaled", of=rhs, factor=_factor(m["n"]))
        return r.answer(r.doc.add("compare", "compare", of=lhs, to=factor,
                                  comparison=_RATIO_ATLEAST[m["c"]]))
    if m := first_match(_HOW_MANY_TIMES, text):
        kind = "count" if counts_objects(m["a"], r) or counts_objects(m["b"], r) or \
            text.startswith("how many times more") and not re.search(
                r"\b(?:area|land|cover|surface)\b", text) and _counts_words(m["a"]) else "area"
        kind_a, a = _read_measure(m["a"], kind)
        kind_b, b = _read_measure(_elided(a, _ranked(m["a"], m["b"])), kind_a)
        if {kind_a, kind_b} - {"area", "share"} and kind_a != kind_b:
            raise QuestionError(f"cannot divide the {kind_a} of {a!r} by the {kind_b} of "
                                f"{b!r}: compare like with like")
        lhs = _add_measure(r, kind_a, a, "m2")
        rhs = _add_measure(r, kind_b, b, "m2")
        r.doc.note("a ratio of two classes compares their areas, unless the question counts "
                   "objects (geoquant's rule)")
        return r.answer(r.doc.add("ratio", "ratio", of=lhs, to=rhs, unit="times"))
    return None


def _counts_words(phrase: str) -> bool:
    return mentions_objects(tokens(phrase))
