"""The words of a question before it is read: normalised text, numbers with units, the pixel
size ("(GSD: 0.5m)"), the answer unit ("in hectares"), dates, and sentences.

Everything here is plain text processing; :mod:`geoquant.reason.reading._planner` reads the result.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from geoquant.errors import QuestionError
from geoquant.reason.plans._ops import AREA_UNITS, LENGTH_UNITS
from geoquant.reason.reading import _context

NUMBER = r"(?:\d+(?:\.\d+)?|\.\d+)"
DATE = r"(?:19|20)\d{2}(?:-\d{2}(?:-\d{2})?)?"
#: Numbers above this are refused: no region on Earth has sizes or distances this large.
LARGEST_NUMBER = 1e15

_NUMBER_WORDS = {"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
                 "seven": "7", "eight": "8", "nine": "9", "ten": "10", "twenty": "20",
                 "fifty": "50", "hundred": "100", "a hundred": "100", "one hundred": "100",
                 "a thousand": "1000", "one thousand": "1000"}
_UNIT_WORDS = tuple((re.compile(p), r) for p, r in (
    # unit words as people mistype them
    (r"\bhect(?:a|e|ea)?r(?:e|es|s)?\b|\bhecatres?\b|\bhectars?\b", "hectare"),
    (r"\bacers\b|\bacer\b(?=\s*(?:\)|,|\.|\?|$))", "acre"),
    (r"\bkilomet(?:ers|res|eres|ere)\b|\bkilomt(?:er|re)s?\b|\bkilometr(?:e|es)\b", "km"),
    (r"\bsq(?:au|ua|a)re\b", "square"),
    (r"²", "2"), (r"[−–—]", "-"), (r"[’`´]", "'"), (r"(?<=\d),(?=\d{3}\b)", ""),
    (r"\s+--+\s*|\s+-\s+(?=[a-z])", ", "),
    (r"\bhalf an?\s+(?=(?:hectare|ha|kilomet|km|square|met|acre|mile|foot|feet))", "0.5 "),
    (r"\ba tenth of an?\s+(?=(?:hectare|ha|kilomet|km|square|met|acre|mile))", "0.1 "),
    (r"\b(under|over|than|least|most|within|below|above|beyond|exceeding|exceed|exceeds|"
     r"about|nearly|almost|around)\s+(?:an?|one)\s+(?=(?:acre|hectare|square (?:kilomet|km|mile|"
     r"met|foot|feet|yard)|sq\.? ?(?:km|m|mi|ft)\b|kilomet|km\b|mile|met(?:re|er)\b|foot\b|"
     r"yard\b))", r"\1 1 "),
    (r"\ba fifth of an?\s+(?=(?:hectare|ha|kilomet|km|square|met|acre|mile))", "0.2 "),
    (r"\bthree quarters of an?\s+(?=(?:hectare|ha|kilomet|km|square|met|acre|mile))", "0.75 "),
    (r"\ba quarter of an?\s+(?=(?:hectare|ha|kilomet|km|square|met))", "0.25 "),
    (r"\b(a hundred|one hundred|a thousand|one thousand|one|two|three|four|five|six|seven|"
     r"eight|nine|ten|twenty|fifty|hundred)\s+(?=(?:hectares?|ha|kilomet(?:re|er)s?|km|square|"
     r"met(?:re|er)s?|m)\b)", lambda m: _NUMBER_WORDS[m[1]] + " "),
    (r"\s*(?:->|=>|→)\s*", " to "), (r"\s*(?:<=|≤|=<)\s*", " at most "),
    (r"\s*(?:>=|≥|=>)\s*", " at least "), (r"(?<![<>=-])\s*>\s*(?!=)", " more than "),
    (r"(?<![<>=])\s*<\s*(?![=-])", " less than "), (r"\s+=\s+|(?<=\w)=(?=\w)", " is "),
    (r"\bcodes\s+((?:\d+\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*))+\d+)\b",
     lambda m: re.sub(r"(\d+)", r"code \1", m[1])),
    (r"\b(code|class|value)\s*(?:[-#:]|no\.?|number)\s*(?=\d)", r"\1 "),
    # "code 12 or 25", "code 21, 22 and 23": every number a code
    (r"\bcode (\d+)((?:\s*(?:,\s*(?:and |or )?|\s+and\s+|\s+or\s+|\s*&\s*)\d+)+)\b"
     r"(?!\s*(?:m2|ha|km2|km|m|ft2|yd2|mi2|acre|ft|yd|mi|%|square|hectare|met|kilomet|acre|mile|"
     r"feet|foot|per)\b)",
     lambda m: "code " + m[1] + re.sub(r"(\d+)", r"code \1", m[2])),
    (r"\bvs\.?\b|\bversus\b", "or"), (r"^\s*%\s*(?:of\s+)?", "percentage of "),
    (r"\bpercentage-wise\b|\bpercent-wise\b|\bin percentage terms\b", "in %"),
    (r"\bsquare\s+(?:kilomet(?:re|er)s?|km)\b|\bsq\.?\s*km\b|\bkm\s*\^\s*2|\bkm\s*sq\b", "km2"),
    (r"\bsquare\s+(?:met(?:re|er)s?|m)\b|\bsq\.?\s*m\b|\bm\s*\^\s*2|\bsqm\b", "m2"),
    (r"\bsquare\s+(?:feet|foot|ft)\b|\bsq\.?\s*(?:ft|feet)\b|\bft\s*\^\s*2|\bft2\b", "ft2"),
    (r"\bsquare\s+(?:yards?|yds?)\b|\bsq\.?\s*yds?\b|\byd\s*\^\s*2|\byd2\b", "yd2"),
    (r"\bsquare\s+(?:miles?|mi)\b|\bsq\.?\s*mi(?:les?)?\b|\bmi\s*\^\s*2|\bmi2\b", "mi2"),
    (r"\bacres?\b", "acre"), (r"\b(?:feet|foot)\b", "ft"), (r"\byards?\b|\byds\b", "yd"),
    (r"\bmiles?\b", "mi"),
    (r"\bhectares?\b|\bhas\b(?=\s*(?:\)|,|$))", "ha"), (r"\bkilomet(?:re|er)s?\b|\bkms\b", "km"),
    (r"\bcentimet(?:re|er)s?\b", "cm"),
    (r"\bmet(?:re|er)s?\b", "m"), (r"\bper\s*cent(?:age)?\s+points?\b", "%"),
    (r"\bper\s*cent\b|\bpercent\b", "%"),
    (r"\bas an? (?:share|fraction|proportion|part|portion|ratio)(?= of\b)", "as %"),
    (r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)\s*(m2|ha|km2|km|cm|m|%|ft2|yd2|mi2|acre|ft|yd|mi)"
     r"(?![\w%])", r"\1 \2"),
))

_GSD = re.compile(
    rf"\(?\s*\b(?:gsd|ground\s+sampl(?:e|ing)\s+distance|pixel\s+size|spatial\s+resolution|"
    rf"resolution|(?:the\s+|a\s+|each\s+|one\s+)?(?:pixels?|cells?)\s+(?:are|is|measures?|"
    rf"covers?)?)"
    rf"\s*(?:[:=]|of|is)?\s*(?P<v>{NUMBER})\s*(?P<u>cm|m|km)\b\s*(?:/\s*(?:px|pixel)|"
    r"per\s+(?:pixel|px|cell)|across|wide|on\s+a\s+side|square)?\s*\)?"
    # "0.5 m pixels", "1 m gsd", "1 m per pixel", "(2 m/px)"
    rf"|\(?\s*(?P<v2>{NUMBER})\s*(?P<u2>cm|m)\s*(?:(?:/|per)\s*(?:px|pixel|cell)s?|(?:gsd|"
    r"pixels?|px|cells?|resolution)(?!\s+(?:of|from|away|to)\b))\b\s*\)?", re.IGNORECASE)

_UNIT_LEAD = (r"(?:expressed\s+in|measured\s+in|given\s+in|reported\s+in|in\s+units\s+of|"
              r"in\s+terms\s+of|in|as)\s+(?:a\s+|the\s+)?")
#: Unit symbols after :func:`normalise_units`, longest first.
UNIT_SYMBOLS = r"(?:m2|ha|km2|km|m|ft2|yd2|mi2|acre|ft|yd|mi|%)"
_UNIT_NAMES = r"(?:m2|ha|km2|km|m|ft2|yd2|mi2|acre|ft|yd|mi|%|percentage|percent)(?:\s+terms)?"
_ANSWER_UNIT = re.compile(
    rf",\s*{_UNIT_LEAD}(?P<c>{_UNIT_NAMES})(?![\w%])\s*,"
    r"|,\s*(?:(?:area|size|distance|answer|result|value|unit)\s+)?(?:in\s+)?"
    r"(?P<tail>m2|ha|km2|km|m|ft2|yd2|mi2|acre|ft|yd|mi|%)\s*$"
    rf"|\s*,?\s*\(?\b{_UNIT_LEAD}(?P<u>{_UNIT_NAMES})(?![\w%])\)?"
    r"|\s*\((?P<bare>m2|ha|km2|km|m|ft2|yd2|mi2|acre|ft|yd|mi|%)\)")

#: A trailing sentence that only names the answer's unit ("Answer in hectares.").
_UNIT_SENTENCE = re.compile(r"^(?:please\s+)?(?:(?:just|only)\s+(?:the\s+)?(?:number|figure|value|"
                            r"answer)\s+)?(?:(?:i\s+)?(?:want|need|would like)\s+(?:it|the\s+"
                            r"answer|the\s+result)\s+|(?:and\s+)?)?(?:give|answer|report|"
                            r"express|state|provide|reply|respond|return|show|write|present|"
                            r"output|put|convert|round)?"
                            r"(?:\s+(?:me\s+)?(?:(?:the|your)\s+)?(?:answer|result|value|mean|"
                            r"average|number|figure|distance|area|size|share)|\s+it|\s+that)?"
                            r"\s*(?:(?:in|as|using|to)\s+(?:a\s+|an\s+)?(?:units?\s+of\s+)?|"
                            r"(?:a|an)\s+)?"
                            r"(?P<u>m2|ha|km2|km|m|ft2|yd2|mi2|acre|ft|yd|mi|%|percentage|"
                            r"percent)(?:\s+(?:value|figure|number|please|only))*(?:\s+please)?$")
#: Sentences about the asker, not the question ("I'm mapping wildlife habitat.").
_CONTEXT = re.compile(r"^(?:hi|hello|hey)?,?\s*(?:i'?m|i am|we'?re|we are|i'?ve been|we have been|"
                      r"i work|we work|i need this|this is) (?:a |an |currently |now |just )?"
                      r"(?:mapping|working|studying|doing|writing|preparing|planning|looking into|"
                      r"researching|surveying|assessing|analy[sz]ing|student|planner|analyst|"
                      r"ecologist|farmer|journalist|responsible|in charge|for)\b[^?]*$|"
                      r"^(?:i'?m|i am|we'?re|we are) (?:a|an) [a-z -]+$|"
                      r"^(?:i|we) (?:farm|live|work|am based|are based|own land|have land)\b[^?]*$")
#: Sentences that ask nothing: greetings, thanks, "yes or no".
_NOTHING = re.compile(r"^(?:hi|hello|hey|dear \w+|thanks|thank you|thx|cheers|please|yes or no|"
                      r"its|it is|it's|that is|"
                      r"yes/no|y/n|answer yes or no|true or false|(?:a )?quick question)$")

#: Sentences that only ask for a plain form of the answer ("Reply as a number.", "Just the
#: number please.", "Round to two decimals."): the answer is always a number, so they ask nothing.
_FORMAT_ONLY = re.compile(
    r"^(?:please\s+)?(?:just\s+|only\s+)?(?:(?:(?:reply|answer|respond|give(?: it| me(?: it)?)?|"
    r"report|return|provide|state|write)(?: it| that| the (?:answer|result|value))?\s+)?"
    r"(?:with\s+|as\s+|in\s+)?(?:just\s+|only\s+)?(?:an?\s+|one\s+|the\s+)?(?:single\s+|"
    r"plain\s+|bare\s+)?(?:number|figure|value|numeric value|numerical value|integer|count|"
    r"estimate|approximation|rough figure|ballpark)(?:\s+(?:only|please|is fine|will do|is "
    r"enough))*|(?:round(?:ed)?|rounding)(?: it| the (?:answer|result))?(?: (?:to|off to) "
    r"(?:\d+|one|two|three|the nearest \w+)(?: (?:decimals?|decimal places?|significant "
    r"figures?|digits?|places?))?)?|(?:i|we) (?:only |just )?(?:need|want)(?: only| just)? (?:the |"
    r"a )?(?:distance|area|number|value|figure|count|share|percentage|answer|total|result)(?: "
    r"only)?|(?:no|without) (?:explanation|details|working|units?)(?: "
    r"(?:please|needed))?|(?:a )?(?:short|brief) answer(?: please)?|keep it short)$")

#: A trailing aside that restates the share the question asks ("(percentage of land)").
_RESTATED_SHARE = re.compile(r"^\(?\s*(?:as\s+|in\s+)?(?:an?\s+)?(?:%|percentage|share|fraction|"
                             r"proportion)\s+of\s+(?:the\s+|all\s+)?(?P<x>[a-z][a-z -]*?)\s*\)?$")

#: "There are a few cropland patches on this map." before "How many of them ...".
_THERE_ARE = re.compile(r"^there (?:are|is) (?:a few |some |several |many |lots of |a lot of |a "
                        r"number of |a couple of )?(?P<x>[^,]+?)(?: (?:on|in) (?:this|the) "
                        r"(?:map|image|scene|chip|raster))?$")

SPAN = re.compile(rf"\b(?:between|from)\s+(?P<t1>{DATE})(?:\s+(?:and|to|until|till)\s+|\s*-\s*)"
                  rf"(?P<t2>{DATE})\b(?!\s*(?:m2|ha|km2|km|m|ft2|yd2|mi2|acre|ft|yd|mi|%)(?!\w))")


#: Units people write that geoquant does not convert: refused by name, never read as words.
_UNKNOWN_UNITS = re.compile(
    r"(?:(?<=\d)\s*|\b(?:in|as|into)\s+(?:square\s+)?)(?P<u>(?:square\s+)?(?:furlongs?|parsecs?|"
    r"cubits?|leagues?|fathoms?|chains?|rods?|perches|inch(?:es)?|millimet(?:re|er)s?|mm|"
    r"decimet(?:re|er)s?|light[- ]years?|nautical miles?|dunams?|arpents?|townships?|hands?|"
    r"versts?|li|bigha|mu|acre-feet))\b")
_UNIT_ADVICE = ("give areas in m², ha, km², acres, square feet, square yards or square miles, and "
                "distances in m, km, feet, yards or miles")


class Words(NamedTuple):
    """A question made ready to read."""

    sentences: tuple[str, ...]
    """The question's sentences, normalised (lower case, units as symbols), the first being
    the question itself."""
    unit: str | None
    """The unit the answer is asked in (``m2``, ``ha``, ``km2``, ``m``, ``km``, ``%``)."""
    gsd_m: float | None
    """The ground sample distance the question states, metres per pixel."""
    set_aside: tuple[str, ...] = ()
    """Parts that ask nothing and were left out: scene names, labels, statements of context
    (:mod:`geoquant.reason.reading._context`); the planner writes them in the plan's notes."""


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
    value = float(found["v"] or found["v2"]) * {"cm": 0.01, "m": 1.0, "km": 1000.0}[
        found["u"] or found["u2"]]
    if not 0 < value < LARGEST_NUMBER:
        raise QuestionError(f"the pixel size '{found[0].strip()}' must be a positive length "
                            "(e.g. 'GSD: 0.5m')")
    return value


def split_words(question: str, is_class: Callable[[str], bool] | None = None) -> Words:
    """The question's sentences, answer unit and pixel size (see :class:`Words`).

    With ``is_class`` (true for a word of the vocabulary), parts that name the scene, label the
    question or only give context are set aside (:mod:`geoquant.reason.reading._context`)."""
    text = normalise_units(question).strip()
    for unknown in _UNKNOWN_UNITS.finditer(text):
        if not re.search(r"[a-z_]\d+\s*$", text[:unknown.start()]):    # not "mekong_333434 hand"
            raise QuestionError(f"'{unknown['u']}' is not a unit geoquant converts: "
                                f"{_UNIT_ADVICE}")
    gsd = None
    if found := _GSD.search(text):
        gsd = _gsd_metres(found)
        text = f"{text[:found.start()]} {text[found.end():]}"
        if _GSD.search(text):
            raise QuestionError("the question states the pixel size (GSD) twice: keep one")
    sentences = [s for s in (_clean_sentence(s) for s in _sentences(text)) if s]
    if not sentences or all(_NOTHING.match(s) for s in sentences):
        raise QuestionError(f"cannot plan {question.strip()!r}: it asks nothing")
    set_aside: list[str] = []
    if is_class is not None:
        names = _context.proper_names(question, is_class)
        named = [f"the name {n!r}" for n in sorted(names)
                 if any(re.search(rf"\b{re.escape(n)}\b", s) for s in sentences)]
        sentences, set_aside = _set_aside(sentences, is_class, names)
        set_aside = [*named, *set_aside]
    unit = None
    kept = []
    for sentence in sentences:
        sentence = re.sub(r",?\s*\b(?:(?:just|only|simply|answer|reply)\s+)?(?:a\s+)?(?:yes or no|"
                          r"yes/no|y/n|true or false)(?:\s+please)?$", "", sentence)
        if _NOTHING.match(sentence) or not sentence or (kept and _FORMAT_ONLY.match(sentence)):
            continue
        if not kept and len(sentences) > 1 and _CONTEXT.match(sentence):
            continue                 # "I'm mapping wildlife habitat. Take the forest ..."
        sentence = _THERE_ARE.sub(r"find \g<x>", sentence) if len(sentences) > 1 else sentence
        if kept and (m := _UNIT_SENTENCE.match(sentence)):
            unit = _unit_name(m["u"])
            continue
        if kept and (m := _RESTATED_SHARE.match(sentence)) and re.search(
                rf"\bof (?:the |all )?{re.escape(m['x'])}\b", kept[0]):
            unit = "%"               # "(percentage of land)": the share the question asks for
            continue
        sentence, named = answer_unit(sentence)
        if named is not None:
            if unit is not None and named != unit:
                raise QuestionError(f"the question asks for the answer in both {unit} and "
                                    f"{named}: keep one")
            unit = named
        if sentence.strip(" ()"):       # "(km)" after the question mark names only the unit
            kept.append(sentence)
    if not kept:
        raise QuestionError(f"cannot plan {question.strip()[:200]!r}: it asks nothing")
    if len(kept) == 1:          # "There is some water body larger than 1 hectare?": whether
        kept[0] = re.sub(r"^there (is|are) (?:some|any|a|an) ", r"\1 there any ", kept[0])
    return Words(tuple(kept), unit, gsd, tuple(set_aside))


#: "Count a building if any part of it is within 100 yd.": how geoquant counts objects within
#: a distance anyway (their nearest pixel within it).
_ANY_PART = re.compile(r"^(?:and )?count (?:a |an |one |it |the |each |every )?(?:[a-z/-]+ )?(?:if|"
                       r"when|as long as|provided) (?:any|some|a|at least one) (?:part|bit|pixel|"
                       r"piece|portion)(?: of (?:it|them))? (?:is|are|lies|lie|falls?|sits?) "
                       r"(?:with)?in\b[^,]*$")


def _restates(sentence: str) -> bool:
    """A sentence that only says what geoquant does anyway: the answer's unit or form, or that
    no-data pixels are left out ("Percentage, and leave out the no-data pixels.")."""
    if _PIXEL_CENTRES.match(sentence):
        return True
    parts = [p.strip(" ()") for p in re.split(r",\s*(?:and\s+)?|\s+and\s+", sentence)
             if p.strip(" ()")]
    return bool(parts) and all(_context.NO_DATA_LEFT_OUT.match(p) or _UNIT_SENTENCE.match(p)
                               or _FORMAT_ONLY.match(p) for p in parts) and \
        any(_context.NO_DATA_LEFT_OUT.match(p) for p in parts)


#: "Distances are measured between the nearest pixel centres.": how geoquant measures anyway.
_PIXEL_CENTRES = re.compile(r"^\(?(?:all )?(?:distances? (?:are|is) )?(?:measured|measure|taken|"
                            r"computed|calculated)(?: (?:it|them|distances?))? (?:between|from) "
                            r"(?:the )?(?:nearest |closest )?pixel cent(?:re|er)s?(?: to (?:the )?"
                            r"(?:nearest |closest )?pixel cent(?:re|er)s?)?\)?$")


def _set_aside(sentences: list[str], is_class: Callable[[str], bool], names: set[str]
               ) -> tuple[list[str], list[str]]:
    """The sentences without scene names, labels, statements of context and restated
    defaults, and the parts set aside; at least one sentence that asks stays."""
    aside: list[str] = []
    named = []
    for sentence in sentences:
        sentence, found = _context.scene_names(_context.bracketed_class(sentence, is_class),
                                               is_class)
        sentence = _context.without_names(sentence, names)
        aside += found
        if sentence:
            named.append(sentence)
    kept = [s for s in named if not (_context.scene_only(s, is_class) or _restates(s)
                                     or (s is not named[0] and _ANY_PART.match(s)))]
    asking = [s for s in kept if not _context.statement(s)]
    if asking:
        kept = asking
    if not kept:
        return sentences, []
    aside += [s for s in named if s not in kept]
    # "I want the unpaved land that is ... . How many hectares is that?": a selection first
    kept = [re.sub(r"^(?:i|we) (?:want|need|would like|'d like) (?!to\b)", "take ", s)
            if k < len(kept) - 1 else s for k, s in enumerate(kept)]
    return kept, aside


def _sentences(text: str) -> list[str]:
    text = re.sub(r"\b(i)\.\s?e\.|\b(e)\.\s?g\.", lambda m: "ie" if m[1] else "eg", text)
    # abbreviations end with a dot but no sentence: "approx. forest area", "ca. 5 ha"
    text = re.sub(r"\b(approx|ca|circa|est|incl|excl|avg|esp|resp|nr|no|vs|etc|min|max)\.(?=\s+\S)",
                  r"\1", text)
    text = re.sub(r"\s*;\s*", ", ", text)
    # a full stop ends a sentence unless it is a decimal point
    return re.split(r"(?<!\d)[.?!]+(?!\d)|(?<=\d)[.?!]+(?=\s|$)|\?", text)


_FILLER = tuple((re.compile(p), r) for p, r in (
    # "For a story I'm writing:", "For an insurance file:": why they ask, not what
    (r"^(?:this is )?for (?:a|an|the|my|our) (?:[a-z']+ ){0,4}?(?:story|article|report|file|claim|"
     r"paper|thesis|study|project|piece|assessment|record|presentation|map|post|client|council|"
     r"grant|proposal|review|newsletter|blog)(?: (?:i'?m|i am|we'?re|we are) [a-z]+ing)?\s*[:,]\s*",
     ""),
    (r"\bdry-land\b", "dry land"),
    # "dry land (i.e. not water)": the brackets say it again
    (r"\b(?P<d>dry|non-water)\s+(?P<n>(?:land|ground|area)(?: patches| pixels| areas| parts)?|"
     r"patches|pixels|parts)\s*\(\s*(?:i\.?\s?e\.?"
     r",?\s*|ie\s+|that is\s+)?(?:not water|non-water|no water|land)\s*\)", r"\g<d> \g<n>"),
    (r"\blands?\s*\(\s*(?:not water|non-water)\s*\)", "non-water land"),
    # "(percent of the mapped landscape)" after a metric that is one
    (r"\s*\(\s*(?:in |as )?(?:%|percent|percentage)(?: of (?:the )?(?:mapped |valid |labell?ed |"
     r"total )?(?:landscape|land|area))?\s*\)", ""),
    # "(the usual 8-neighbour rule)", "(touching)": a gloss that restates
    (r"\s*\(\s*(?:i\.?\s?e\.?\s*|ie\s+)?(?:touching|adjacent|directly adjacent|sharing a border|"
     r"closest pixel to closest pixel|edge to edge|nearest pixel to nearest pixel)\s*\)", ""),
    (r",?\s*\(?(?:measured )?(?:from )?(?:closest|nearest) (?:pixel|point|edge) to (?:closest|"
     r"nearest) (?:pixel|point|edge)\)?", ""),
    # "(not counting no-data)": no data is never in the region
    (r"\s*\(\s*(?:not counting|excluding|ignoring|leaving out|without|no) (?:the )?(?:no[- ]?data|"
     r"nodata|missing data)(?: pixels| areas?| cells| values)?\s*\)", ""),
    # a later sentence's connective: "Then tell me how many of them ..."
    (r"^(?:and\s+|so\s+)?(?:then|next|now|after that|afterwards|finally|lastly|second(?:ly)?|"
     r"step two)\s*[,:]?\s+(?=\w)", ""),
    # "which is the area of ...": what is
    (r"^which (is|are) (?=(?:the )?(?:area|surface|size|"
     r"share|percentage|number|count|total|distance|"
     r"extent|proportion|fraction|mean|average|largest|smallest|biggest|edge|patch))", r"what \1 "),
    # "is it true that there is more forest than shrubland?": whether
    (r"^(?:is it true|is it the case|is it correct|would you say|do you think|can you check|"
     r"could you check|can you confirm|check|verify)(?: that| whether| if)\s+", "whether "),
    (r"\b(?:consists?|consisting|is made up|is composed|is comprised) of\b", "is covered by"),
    # "located at less than 200 m from", "at a distance of more than 1 km from"
    (r"\b(?:located |situated |lying )?at (?:a distance of )?(?P<c>less than|more than|under|over|"
     r"at least|at most|no more than|above|below) (?P<d>[\d.]+\s*[a-z]+) (?:from|of|to)\b",
     r"\g<c> \g<d> from"),
    (r"\b(?:which|that) (?:have|has) an? (?:area|size|surface) (?:of )?(?=(?:above|over|below|"
     r"under|greater|larger|bigger|smaller|less|more|at least|at most|exceeding|between)\b)", ""),
    (r"\bwith an? (?:area|size|surface) (?:of )?(?=(?:above|over|below|under|greater|larger|"
     r"bigger|smaller|less|more|at least|at most|exceeding|between)\b)", ""),
    (r"^(?:please )?(?:compute|calculate|give(?: me)?|find|tell me|report|determine|provide) "
     r"(?:the following|this)\s*:\s*", "what is "),
    (r"\bhow much (?:%|percent)(?= |$)", "what %"),
    (r"^which (share|percentage|proportion|fraction|%|part)\b", r"what \1"),
    (r"^(?P<x>.+?) (?:are|is) how many$", r"how many \g<x>"),
    # "I am interested in the evergreen forest. How many patches of it ...": the topic first
    (r"^(?:i am|i'm|we are|we're) (?:interested in|looking at|focusing on|focused on|concerned "
     r"with|asking about|curious about)\s+(?P<x>.+)$", r"take \g<x>"),
    (r"^(?P<q>(?:is|are|does|do) .+?)\s+(?:anywhere|somewhere|at any point|in any place|"
     r"anywhere on the map|at all)$", r"\g<q>"),
    (r"\b(area|size|extent|share|number|count|percentage|coverage) for\b", r"\1 of"),
    (r"\bpatch count\b|\bcount of patches\b", "number of patches"),
    # "are isolated, with no other building within 20 m": the clause says what the word means
    (r"\b(?:are|is) (?:(?:very|quite|more|most) )?[a-z]+(?: [a-z]+)?\s*,\s*(?=(?:with|having) "
     r"(?:no|not|none|at least|a|an|another|some|any|other)\b)", ""),
    (r"\bgroups of connected\b", "connected groups of"),
    (r",?\s*\(?\b(?:in |as )?m(?:etres|eters)? ?(?:per|/) ?(?:ha|hectare)\b\)?", ""),
    # "how fragmented is the forest (number of patches per 100 km2)?": the measure in brackets
    (r"^how fragmented (?:is|are) (?P<x>[^()]+?)\s*\(\s*(?:i\.?\s?e\.?\s+|ie\s+|as\s+)?(?:the )?"
     r"number of (?:patches|pieces|fragments) per (?P<u>[^()]+?)\s*\)$",
     r"how many \g<x> patches per \g<u>"),
    (r"^how fragmented (?:is|are) (?P<x>[^()]+?)\s*\(\s*(?:i\.?\s?e\.?\s+|ie\s+|as\s+)?"
     r"(?:the |its )?(?P<m>patch density|edge density|mean patch size|largest patch index|"
     r"effective mesh size|number of patches|patch count)\s*\)$", r"what is \g<m> of \g<x>"),
    (r"\b(?:under water|underwater|inundated|submerged|waterlogged|water-logged)\b", "flooded"),
    (r"\b(is|are) dry$", r"\1 non-water"),
    (r"^(?:my|our) (?:[a-z]+ ){0,2}(?:are|is) (?P<x>.+)$", r"take \g<x>"),
    # "is more than 10% flooded?": the share of what the words name
    (r"^(?:is|are) (?P<c>more than|over|less than|under|at least|at most|above|below) "
     r"(?P<v>[\d.]+ ?%) (?:of (?:the |this )?(?:valid |mapped )?(?:map|image|chip|area|scene|"
     r"region|land) )?"
     r"(?:(?:is|are) )?(?P<x>[a-z][a-z /-]*)$", r"is share of \g<x> \g<c> \g<v>"),
    # "how many water bodies has the map?": the map is the region
    (r"\s+(?:has|have|does|do) (?:the |this )?(?:map|image|scene|raster|chip|region|tile|area)"
     r"(?: have| contain| show| hold| got)?$|\s+(?:are )?there (?:are|is)$", ""),
    (r"\b(covered|overgrown|occupied|filled|taken up)\s+with\b", r"\1 by"),
    # "classed as code 41", "labelled as water", "has code 23": the class itself
    (r"\b(is|are|was|were)\s+(?:classed|classified|labell?ed|mapped|marked|coded|"
     r"categori[sz]ed|designated|recorded|tagged|assigned)\s+(?:as|to)\s+(?:(?:the\s+)?"
     r"(?:class|category)\s+)?", r"\1 "),
    (r"\b(?:has|have|carries|carry|bears?|belongs? to|falls? (?:in|into|under))\s+(?:the\s+)?"
     r"(?=(?:code|class|value)\s+\d)", "is "),
    (r"\b(touch(?:es|ing)?|adjacent to|adjoin(?:s|ing)?|border(?:s|ing)?|next to)\s+"
     r"(?:directly|immediately)\b|\b(?:directly|immediately)\s+(?=touch|adjacent|adjoin|"
     r"border|next to|neighbou?r)", r"\1 "),
    (r"\b(touch\w*|adjacent|adjoin\w*|border\w*|next to)\b([^,]*?)\s+(?:directly|immediately)"
     r"(?=\s*(?:,|$))", r"\1\2"),
    (r"\bwhat's\b|\bwhats\b", "what is"), (r"^what (?:was|were)\b", "what is"),
    (r"\bhow's\b", "how is"), (r"\bdon't\b", "do not"), (r"\bisn't\b", "is not"),
    (r"\b(that|it|there|where|which|who)'s\b", r"\1 is"), (r"\b(they|we|you)'re\b", r"\1 are"),
    # "the total building footprint": its area
    (r"(?<!\ba )(?<!\ban )\bfootprints?(?: areas?)?\b", "area"),
    # "apart from that biggest one": a reference to a superlative is the superlative
    (r"\b(?:that|this|those|these) (?=(?:\w+ )?(?:biggest|largest|smallest|greatest)\b)", "the "),
    # "how many of the buildings actually touch a road": emphasis, not a condition
    (r"\b(?:actually|really|truly|indeed|even|currently|still)\s+(?=(?:touch|lie|lies|sit|sits|"
     r"are|is|fall|falls|border|borders|reach|reaches|cover|covers|have|has|within)\b)", ""),
    # ", counting every patch": every object is counted anyway
    (r",?\s*\b(?:counting|including|with) (?:every|each|all(?: the)?|any) (?:single )?(?:patch|"
     r"patches|object|objects|one|ones|piece|pieces|body|bodies)(?: (?:however|no matter how) "
     r"small)?\b", ""),
    # "all four Developed classes", "the three forest types": the classes a word covers
    (r"(?<!any of )(?<!one of )(?<!each of )(?<!some of )"
     r"\b(?:all|the|every)(?: the)? (?:(?:two|three|four|five|six|seven|eight|nine|ten|\d+) )?"
     r"(?!(?:the|all|other|remaining|different|rest|legend|land cover|map|mapped|valid|listed|"
     r"named|given|following|above|below|these|those|such|its|their)\b)"
     r"(?P<x>[a-z][a-z/-]*(?: [a-z][a-z/-]*)?) (?:classes|categories|types|kinds|sub-?classes)\b",
     r"\g<x>"),
    # "the farthest you can get from a road": the greatest distance to it
    (r"\b(?:the )?(?:farthest|furthest) (?:that )?(?:you|one|a person|anyone|anybody|we|i) (?:can|"
     r"could) (?:get|be|go|stand|live|walk)(?: away)? from (?:a |an |any |the |every |all )?",
     "greatest distance from any pixel to nearest "),
    # "is there a dry spot more than 1 km from every water pixel": a place of that class
    (r"^(?P<h>(?:is|are) there (?:any |a |an |some )?)(?!(?:a|an|any|some|valid|mapped|"
     r"labell?ed|other|single|open|empty)\b)"
     r"(?P<x>[a-z/-]+(?: [a-z/-]+)?) (?:place|"
     r"places|spot|spots|location|locations|point|points|site|sites)\b",
     lambda m: m["h"] + ("non-water" if m["x"] == "dry" else m["x"])),
    # "more than 500 m from any code 25 cell": the class, not one pixel of it
    (r"\b(?P<p>from|of|to) (?P<d>any|every|all|nearest|closest) (?!(?:valid|mapped|labell?ed|"
     r"classified|observed|other|single|given|one|image|data|no-data|nodata|non-valid)\b)"
     r"(?P<x>code \d+|"
     r"[a-z/-]+(?: [a-z/-]+)?) (?:cells?|pixels?)\b", r"\g<p> \g<d> \g<x>"),
    # "share of the mapped land that is code 23": the share of code 23
    (r"\b(?P<m>share|percentage|%|fraction|proportion|part) of (?:the |all )?(?:mapped |valid |"
     r"labell?ed |classified )?(?:land|area|image|map|cells|pixels|region|ground) (?:that|which) "
     r"(?:is|are) (?!not\b)", r"\g<m> of "),
    # "dry ground (not water, and with data)": the brackets say it again
    (r"\b(?P<d>dry|non-water)\s+(?P<n>land|ground|area)\s*\(\s*not water(?:\s*,?\s*(?:and )?"
     r"(?:with data|valid|mapped))?\s*\)", r"\g<d> \g<n>"),
    # "fields (patches)", "lakes (water patches)": the brackets name the objects
    (r"\b[a-z/-]+\s*\(\s*(?P<x>(?:[a-z/-]+ )?(?:patches|objects|pieces|blobs|bodies|polygons|"
     r"clusters|fragments|regions))\s*\)", r"\g<x>"),
    # "square footage of road": its area in square feet
    (r"^(?:what is |how much is )?(?:the )?(?:total )?square footage (?:of|for) (?P<x>.+)$",
     r"what is area of \g<x> in ft2"),
    # "(no-data pixels excluded)": the default, said again
    (r"\s*\(\s*(?:no[- ]?data|nodata)(?: pixels| cells| areas?| values)? (?:excluded|left out|"
     r"ignored|not counted|removed)\s*\)", ""),
    # texting: "how many buildings r there", "if u ignore", "avg size", "this pic"
    (r"\br\b(?=\s+(?:there|in|on|bigger|larger|smaller|within|left|near|more|less|over|under|"
     r"touching|next|adjacent|farther|further|closer|wholly|entirely|partly|inside|outside)\b)",
     "are"),
    (r"\bu\b(?=\s+(?:ignore|leave|exclude|drop|count|look|take|remove|skip|consider)\b)", "you"),
    (r"\bavg\b\.?", "average"), (r"\bpics?\b", "picture"),
    (r"\b(?:thats)\b", "that is"),
    (r"\bmore close\b", "closer"),
    (r"(?<=[a-z]) stuff\b", ""),
    # "the area classified as shrubland": the class
    (r"\b(area|land|pixels|cells|ground|surface) (?:classified|classed|labell?ed|mapped|coded|"
     r"marked) as\b", r"\1 of"),
    # "the surface of the biggest lake": its area
    (r"\bsurface (?=of\b)", "area "),
    # "how much is the proportion of barren": what is
    (r"^how much is (?=(?:the )?(?:proportion|share|percentage|fraction|area|size|total|"
     r"number)\b)", "what is "),
    # "if I don't count the 3 largest ones": not counting
    (r"\bif (?:i|you|we|one) (?:do not|don't|dont) count\b", "not counting"),
    (r"\bif (?:i|you|we|one) (?:ignore|leave out|exclude|drop|skip|remove)\b", "ignoring"),
    # "any mapped (non-nodata) pixel", "the area with data": the pixels with data
    (r"\s*\(\s*(?:non-?no-?data|not no-?data|with data|valid)\s*\)", ""),
    (r"\b(?:area|pixels|part|region|cells) with data\b", "valid area"),
    (r"\b(any|every|each|a) mapped (?=(?:pixel|cell|point|place|spot)\b)", r"\1 valid "),
    # "a dry (not water) pixel": not water
    (r"\bdry\s*\(\s*(?:i\.?\s?e\.?,?\s*)?not water\s*\)", "non-water"),
    # "is still water": still
    (r"\b(is|are) still\b", r"\1"),
    # "more than half of": 50 %
    (r"\b(more|less) than half\b", r"\1 than 50 %"),
    # "(bigger than 100 ha only)": only those
    (r"\(\s*(?P<f>(?:bigger|larger|smaller|over|under|above|below|more than|less than|at least|"
     r"at most)[^()]*?)\s+only\s*\)", r"(only those \g<f>)"),
    # "the Woody Wetlands patches of more than 5 ha are to be considered": a selection
    (r"^(?P<x>.+?) (?:are|is) to be (?:considered|taken|used|looked at|selected)$",
     r"consider \g<x>"),
    # ", of any size": every object counts anyway
    (r",?\s*(?:of any size|whatever (?:the|their) size|regardless of (?:the |their )?size|"
     r"no matter (?:the |their )?size|big or small|large or small)\b", ""),
    # "(among buildings larger than 100 m2)": the objects a superlative ranks
    (r"\(\s*among (?:the |all (?:the )?)?(?:[a-z/-]+ ){1,2}?(?=(?:larger|bigger|smaller|over|under|"
     r"above|below|more than|less than|at least|at most|greater)\b)", "(among regions "),
    # "ignore the biggest vegetation area": its biggest patch
    (r"\b(?P<s>biggest|largest|smallest) (?P<x>(?!(?:of|in|on|area|areas)\b)[a-z/-]+(?: "
     r"(?!(?:of|in|on)\b)[a-z/-]+)?) area\b", r"\g<s> \g<x> patch"),
    # "among the lakes over 1 ha, which two are closest together, and how far apart are they"
    (r"^(?:among|of) (?:all )?(?P<a>.+?),? which (?:two|2) (?:are|lie) (?:the )?(?:closest|"
     r"nearest)(?: together| to each other)?,? (?:and )?how far apart are they(?P<u>\s*\((?:m|km|"
     r"ft|yd|mi)\))?$", r"how far apart are the two closest \g<a>\g<u>"),
    # "the ground within 60 m of the water (not the water itself)": the class left out
    (r"^(?P<pre>.+?)\s*(?:\(\s*(?:but\s+)?not (?:the )?|,?\s+(?:that|which) (?:is|are) not "
     r"(?:the )?)(?P<x>[a-z /-]+?) itself\s*\)?(?P<post>(?:\s*[,:?].*)?)$",
     r"excluding \g<x>, \g<pre>\g<post>"),
    # "smaller then 100 m2": the comparison's "than"
    (r"\b(smaller|larger|bigger|greater|less|more|fewer|farther|further|closer|nearer|wider|"
     r"longer|shorter|higher|lower|other) then\b", r"\1 than"),
    (r"\baren't\b", "are not"), (r"\bdoesn't\b", "does not"),
    (r"^(?:please\s+)?(?:(?:can|could|would)\s+you\s+)?(?:please\s+)?(?:tell\s+me\s+|"
     r"let\s+me\s+know\s+|estimate\s+for\s+me\s+)?", ""),
    (r"^(?:i\s+(?:want|would\s+like|need)\s+to\s+know\s+|i\s+wonder\s+)", ""),
    (r"^(?:i'?m|i am|we are|we're)\s+(?:curious|wondering|interested)(?:\s+(?:to know|about))?"
     r",?\s*", ""),
    (r"^for (?:our|my|the|a|this) (?:report|study|analysis|project|paper|work),?\s*", ""),
    (r"\s+for me\b", ""), (r"\s+(?:in )?here\b(?!\s+(?:is|are))", ""),
    (r",?\s*please$", ""),
    (r",?\s*\b(?:in|within|of|across|over|for|inside|on|from|throughout)\s+(?:the\s+|this\s+|"
     r"that\s+|given\s+|entire\s+|whole\s+|provided\s+|shown\s+|total\s+)*(?:region|scene|"
     r"image|imagery|study\s+area|area\s+of\s+interest|aoi|tile|map|picture|photo|raster|"
     r"landscape|satellite\s+image|view|frame|chip|label\s+map|labels|label\s+raster|mask|"
     r"park|study\s+site|site|catchment|watershed|basin|valley|scene\s+area|extent)\b"
     r"(?:\s+area)?(?:\s+shown)?(?:\s+at\s+all)?", " "),
    (r"\s+at\s+all$", ""),
    (r",?\s*\b(?:in|across|over)\s+(?:the|this)\s+area\b", " "),
    # the pixels with data are the default denominator: "of the mapped area", "of valid land"
    (r",?\s*\b(?:of|in|across|over|within)\s+(?:the\s+|all\s+)?(?:mapped|valid|classified|"
     r"labell?ed|observed)\s+(?:area|land|region|pixels|part|extent|ground)\b(?!\s+(?:that|"
     r"which|where|not|other|except|outside|apart|but|minus|excluding|without))", " "),
    # "the mapped area that is not code 12": the area that is not code 12
    (r"\b(?:mapped|valid|classified|labell?ed|observed)\s+(?=(?:area|land|region|pixels|ground)\s+"
     r"(?:that|which)\s+(?:is|are)\s+not\b)", ""),
    # "The council wants to know about green space near the big buildings: what's ...": who asks
    (r"^(?:the |my |our |a )?[a-z -]{1,40} (?:wants?|needs?|would like|asked|asks) to know(?: "
     r"about [^:]+)?\s*:\s*(?=(?:what|how|which|is|are|do|does)\b)", ""),
    (r"^(?:the |my |our |a )?[a-z -]{1,40} (?:wants?|needs?|would like|asked|asks) to know\s+"
     r"(?=(?:what|how|which|whether|if)\b)", ""),
    # "the land (i.e. not water)": the words in brackets say which land
    (r"\b(?:land|ground|area|terrain|surface|region)\s+\(\s*(?:i\.?\s?e\.?|ie|that is|meaning|"
     r"namely)\s*,?\s+(?P<x>[^()]+?)\s*\)", r"\g<x>"),
    # "non-forest land (everything except forest)": the brackets say it again
    (r"\b(?P<n>non-?\s?(?P<c>[a-z]+)(?:\s+[a-z]+)?)\s+\(\s*(?:i\.?\s?e\.?\s+|ie\s+|that is\s+)?"
     r"(?:anything|everything|all|any class|every class)\s+(?:but|except|other than|apart from|"
     r"besides)\s+(?:the\s+)?(?:\w+\s+)?(?P=c)[a-z ]*\)", r"\g<n>"),
    # "no-data pixels included": the whole image (see the planner's denominator rule)
    (r",?\s*\(?\b(?:(?:the\s+)?(?:no[- ]?data|nodata)\s+(?:pixels\s+|areas?\s+|cells\s+)?"
     r"(?:included|counted|too|as well)|(?<!not )(?:including|counting|with)\s+(?:the\s+|its\s+|"
     r"their\s+)?(?:no[- ]?data|nodata)(?:\s+(?:pixels|areas?|cells|strips?|parts?|regions?|"
     r"values))?(?:\s+too|\s+as well)?)\b(?:\s+in\s+(?:the\s+)?(?:total|denominator|count))?"
     r"\)?,?", " "),
    (r"\b(?:mapped|labell?ed|recorded|marked|detected|classified)(?=\s*(?:,|$|in\b|at all\b))",
     " "),
    (r"\b(?:do|would|will|can|could) (?:you|we|i|one) (?:count|find|see|get|observe)\b", " "),
    (r"\bmore far\b", "farther"),
    (r"\b(?:have|has) (?P<x>[a-z ,/-]+?) (?:directly )?(?P<rel>next to|adjacent to|touching|"
     r"bordering|within [\d.]+ [a-z0-9]+ of) (?:them|it)\b", r"are \g<rel> \g<x>"),
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
    units = {_unit_name((m["u"] or m["bare"] or m["c"] or m["tail"]).removesuffix(" terms"))
             for m in matches}
    if len(units) > 1:
        raise QuestionError(f"the question asks for the answer in {' and '.join(sorted(units))}:"
                            " keep one unit")
    for match in reversed(matches):
        text = f"{text[:match.start()]} {text[match.end():]}"
    return re.sub(r"\s+", " ", text).strip(" ,"), units.pop()


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


# --- question frames -----------------------------------------------------------------------------
# Ways of asking that say the same as a plainer frame: imperatives ("calculate the ..."),
# bare noun phrases ("number of water bodies?"), fronted clauses ("within 200 m of water, how
# much ..."), embedded questions ("tell me whether ..."). Each rewrite keeps every word's sense.

_VERBS = (r"(?:calculate|compute|find|determine|measure|estimate|report|give me|give|tell me|"
          r"show me|show|get|quantify|work out|figure out|find out|provide|return|state|list|"
          r"identify|check|say|indicate|let me know|i want|i need|i'd like|output|derive|assess|"
          r"evaluate|obtain|retrieve)")
_QUESTION_START = re.compile(r"^(?:what|which|how|is|are|was|were|do|does|did|can|could|"
                             r"count(?! of)|"
                             r"would|should|will|shall|"
                             r"has|have|find|identify|select|take|locate|detect|consider|extract|"
                             r"segment|isolate|look at|keep|pick|mark|map|delineate|filter|first|"
                             r"by|into|on average|after|having|once|"
                             r"(?:go|travel|move|walk|swim|sail|drive|cross) (?:all the way )?"
                             r"from)\b")
_THIRD_PERSON = {"exceeds": "exceed", "covers": "cover", "touches": "touch", "borders": "border",
                 "contains": "contain", "has": "have", "outnumbers": "outnumber",
                 "occupies": "occupy", "forms": "form", "lies": "lie", "falls": "fall",
                 "stands": "stand"}
_RELATION_START = (r"(?:within|farther than|further than|more than|less than|at least|at most|"
                   r"beyond|no more than|no closer than|closer than|adjacent to|next to|"
                   r"bordering|touching)")

_PRE: tuple[tuple[re.Pattern[str], Any], ...] = tuple((re.compile(p), r) for p, r in (
    # adverbs and politeness that add nothing
    (r"^(?:so|ok|okay|now|roughly|approximately|approx|circa|ca|more or less|about|exactly|"
     r"precisely|just|quickly|briefly|"
     r"together|overall|altogether|in total|combined)"
     r",?\s+", ""),
    (r",?\s+(?:approximately|approx|roughly|more or less|give or take|exactly|precisely|overall|"
     r"in total|altogether|(?:put |taken )?"
     r"together|"
     r"combined|in all|in (?:area|size)|by area|in terms of area)$", ""),
    (r",?\s+and\s+(?:give|report|express|state|return|provide)\s+(?:it|the\s+(?:answer|result|"
     r"value|figure))$", ""),
    # two steps in other words: "after selecting X, ...", "filter X to patches ..."
    (r"^(?:after|having|once|when) (?:selecting|selected|identified|identifying|found|finding|"
     r"isolating|isolated|picking|picked|extracting|extracted|taking|taken)(?: out)? "
     r"(?P<x>[^,]+),\s*(?P<q>.+)$", r"find \g<x>, then \g<q>"),
    (r"^(?:please\s+)?filter (?P<x>.+?) to (?:patches|objects|regions|those|ones) ",
     r"find \g<x> patches "),
    (r"^(?:please\s+)?pick out\b", "pick"),
    # "touch both A and B": each relation holds; "touch neither A nor B": none does
    (r"\b(?P<v>touch|touches|touching|border|borders|bordering|adjoin|adjoins|adjoining|"
     r"(?:are |is )?(?:adjacent|next) to|(?:are |is |lie |lies )?within [\d.]+ [a-z0-9]+ of) both "
     r"(?P<a>[^,]+?) and (?P<b>[^,]+?)(?=$|,)", r"\g<v> \g<a> and \g<v> \g<b>"),
    (r"\b(?P<v>touch|border|adjoin) neither (?P<a>[^,]+?) nor (?P<b>[^,]+?)(?=$|,)",
     r"do not \g<v> \g<a> or \g<b>"),
    (r"\b(?P<v>touches|borders|adjoins) neither (?P<a>[^,]+?) nor (?P<b>[^,]+?)(?=$|,)",
     r"does not \g<v> \g<a> or \g<b>"),
    (r"\b(?P<c>are|is|lie|lies) (?P<v>(?:adjacent|next) to|within [\d.]+ [a-z0-9]+ of) neither "
     r"(?P<a>[^,]+?) nor (?P<b>[^,]+?)(?=$|,)", r"\g<c> not \g<v> \g<a> or \g<b>"),
    # object quantifiers as people say them
    (r"\bat least (?:partly|partially|in part)\b|\b(?:partly|partially) or (?:wholly|fully|"
     r"entirely|completely)\b|\beven partly\b", "partly"),
    (r"\b(?:have|has|having|with) (?:at least )?(?:some |a |any |one )?(?:part|pixel|pixels|"
     r"portion|bit|piece|cell)s? (?:of (?:their|its|the) (?:footprint|area|pixels|extent|"
     r"surface|shape) )?(?=within|inside|less than|closer than|no more than|at most)",
     "are partly "),
    (r"\b(?:have|has|having|with) (?:none of (?:their|its) (?:pixels|cells|area|footprint|"
     r"parts)|no (?:pixels?|cells?|part|parts|portion|bit)(?: of (?:their|its) (?:footprint|area|"
     r"extent))?) (?=within|inside|closer than|less than|no more than|at most)",
     "are nowhere "),
    (r"\b(?:have|has|having|with) all (?:of )?(?:their|its) (?:pixels|cells|area|footprint|"
     r"parts) (?=within|inside|closer than|less than|no more than|at most|farther|further|more "
     r"than|beyond|outside)", "are wholly "),
    # "developed land of any intensity", "(any intensity, taken together)": every kind of it
    (r"\s*\(?\b(?:of )?(?:any|all|every) (?:intensit(?:y|ies)|densit(?:y|ies)|kinds?|types?|"
     r"sorts?)\b(?:,? (?:taken |all |put )?together)?\)?", ""),
    (r"\s*\(\s*(?:any|all|every|each) (?:of )?(?:the )?(?:[a-z]+ )?(?:classes|kinds|types)"
     r"(?: together)?\s*\)", ""),
    # an aside about who asks ("(the flood response team needs it)", "(for my report)")
    (r"\s*\(\s*(?:(?:the |my |our |a )?[a-z -]{0,40}(?:needs?|wants?|asked for|asks for|requires?)"
     r" (?:it|this|that|to know)|for (?:my|our|a|the) [a-z -]{1,30}|just curious|if possible|"
     r"thanks?|thank you|please)\s*\)", ""),
    # "adjacent to grassland but not to shrubland": the relation again
    (r"\b(?P<rel>(?:adjacent|next|close|near) to|touching|bordering|within [\d.]+ [a-z0-9]+ of) "
     r"(?P<a>[^,]+?) (?P<j>but|and) not (?:to |of )?(?!(?:within|adjacent|next|touching|"
     r"bordering|farther|further|more|less|closer|near|beyond)\b)(?P<b>[^,]+)$",
     r"\g<rel> \g<a> \g<j> not "
     r"\g<rel> \g<b>"),
    # "adjacent to A but not adjacent to B": a second relation, negated
    (r"\b(?P<j>but|and|yet) not (?=(?:within|adjacent|next to|touching|bordering|farther|further|"
     r"more than|less than|closer|near|beyond)\b)", r"\g<j> are not "),
    # "is anywhere in the image more than 300 m from a road?"
    (r"^(?:is|are) (?:there )?(?:anywhere|anyplace|any place|any spot|any point|any location|"
     r"somewhere|some place|any part)\b(?! (?:on|in|within|across|inside|of)\b)",
     "is there any pixel"),
    # "is there anywhere on dry land more than 2 km from water": any pixel of that land
    (r"\b(?:anywhere|any place|any spot|any point|any location|somewhere|a place|a spot|a "
     r"point) (?:on|in|within|across|inside|of) (?:the )?(?P<x>[a-z /-]+?) (?=(?:that is |which "
     r"is )?(?:more than|over|farther|further|beyond|at least|less than|within|closer)\b)",
     r"any \g<x> pixel "),
    # "dry land", "dry patches": the ground that is not water
    (r"\bdry (?=land|ground|area|areas|patch|patches|pixel|pixels|part|parts|region|regions|"
     r"cells?|soil|surface|spots?|places?|zones?)", "non-water "),
    (r"\bdry\b(?= (?:to|from)\b)|(?<=\bthe )dry$", "non-water land"),
))

_REFRAMES: tuple[tuple[re.Pattern[str], Any], ...] = tuple((re.compile(p), r) for p, r in (
    # embedded yes/no questions: "tell me whether the forest is connected"
    (rf"^(?:(?:please\s+)?{_VERBS}\s+)?(?:whether|if)\s+there\s+(is|are)\s+(.+)$",
     r"\1 there \2"),
    (rf"^(?:(?:please\s+)?{_VERBS}\s+)?(?:whether|if)\s+(.+?)\s+(is|are|was|were)\s+(.+)$",
     r"\2 \1 \3"),
    (rf"^(?:(?:please\s+)?{_VERBS}\s+)?(?:whether|if)\s+(.+?)\s+"
     rf"({'|'.join(_THIRD_PERSON)})\s+(.+)$",
     lambda m: f"does {m[1]} {_THIRD_PERSON[m[2]]} {m[3]}"),
    # imperatives: "calculate how much ...", "count how many ...", "give me the number of ..."
    (rf"^(?:please\s+)?(?:{_VERBS}|count)\s+(?=how\b|what\b|which\b)", ""),
    (rf"^(?:please\s+)?{_VERBS}\s+(?:me\s+)?(?:the\s+|a\s+|an\s+)?", "what is "),
    (r"^please\s+count\b", "count"),
    # fronted denominators and clauses
    (r"^(?:of|considering(?: only)?|among|looking at|out of|for) (?:all |only |just )?"
     r"(?P<d>[^,]+?),\s*(?P<q>(?:what|which) (?:%|percentage|percent|share|fraction|proportion|"
     r"part|portion)|how much)(?: of (?:it|that|them|this))? (?P<rest>.+)$",
     r"\g<q> of \g<d> \g<rest>"),
    (r"^(?:of|among|amongst|out of|from) (?:all |only |just )?(?P<d>.+?),\s*how many"
     r"(?: of (?:them|these|those))?(?: (?:are|is|lie|sit|fall|do|does))? (?P<rest>.+)$",
     r"how many \g<d> \g<rest>"),
    (rf"^(?P<c>{_RELATION_START} [^,]+),\s*(?P<q>.+)$", r"\g<q> \g<c>"),
    (r"^(?P<c>(?:between|from) (?:19|20)\d\d(?:-\d\d(?:-\d\d)?)? (?:and|to) (?:19|20)\d\d"
     r"(?:-\d\d(?:-\d\d)?)?),\s*(?P<q>.+)$", r"\g<q> \g<c>"),
    (r"^compared (?:with|to) (?P<b>[^,]+),\s*(?:is|are) there (?P<c>more|fewer|less) "
     r"(?P<a>.+)$", r"are there \g<c> \g<a> than \g<b>"),
    (r"^compared (?:with|to) (?P<b>[^,]+),\s*(?P<v>is|are) (?P<a>.+?) (?P<c>larger|bigger|"
     r"greater|smaller|more extensive|less extensive)$", r"\g<v> \g<a> \g<c> than \g<b>"),
    # vague nearness made precise by an aside: "close to water (within 200 m)"
    (r"\b(?:close to|near to|near|nearby|in proximity to|in (?:the )?vicinity of)\s+"
     r"(?P<x>[^,()]+?)\s*(?:,\s*(?:ie|that is|meaning|namely|i mean)?\s*|\(\s*)(?P<r>(?:within|"
     r"less than|at most|no more than|up to)\s+[\d.]+\s*(?:m|km|ft|yd|mi))\s*\)?",
     r"\g<r> of \g<x>"),
    (r"\b(?:close to|near to|near|nearby)\s+(?P<x>[^,()]+?)\s*(?:,\s*(?:ie|that is|meaning|"
     r"namely)?\s*|\(\s*)(?P<d>[\d.]+\s*(?:m|km|ft|yd|mi))\s+or\s+less\s*\)?",
     r"within \g<d> of \g<x>"),
    # "patches that have water within 500 m (of them)": the relation the other way round
    (r"\b(?:that|which) (?:have|has) (?P<x>[a-z -]+?) within (?P<d>[\d.]+ (?:m|km|ft|yd|mi))"
     r"(?: of (?:them|it))?\b", r"within \g<d> of \g<x>"),
    # counting comparisons said in a clause of their own
    (r"^(?:if you count them|counting (?:individual |separate )?(?:patches|objects|them|regions)|"
     r"by count|by number|in number)\s*,\s*(?P<q>.+)$", r"\g<q> by number"),
    (r"^(?:comparing|compared|measured|judged) by (?:surface|area|size)\s*,\s*", ""),
    (r"^do(?:es)? (?P<a>.+?) have more (?:of them|patches|objects|regions) than (?P<b>.+?)"
     r"(?P<n> by number)?$", r"are there more \g<a> patches than \g<b> patches"),
    # "the land that is not forest (and not grass)": the relative clause is the complement,
    # so the share frame's verb is the one after it
    (r"\b(?P<h>land|ground|area|everything|terrain|surface|pixels|region) (?:that|which) "
     r"(?:is|are) (?:neither|not) ", r"\g<h> not "),
    (r"\bnor\b", "and not"),
    (r"\b(?:has|have|with|having|contains?|holds?|shows?) (?:no data|no-data|nodata|missing "
     r"data)\b", "is no data"),
    # "how much area is water": an area (a share without an area unit)
    (r"^how much (?:area|land|ground|surface) (?:is|are) (?!covered|occupied|within|farther|"
     r"further|more|less|at|there\b|left\b|remaining\b)(?P<t>.+)$", r"how much is \g<t>"),
    # "how many patches does that give": the patches of what it names
    (r"^how many (?P<n>patches|objects|regions|pieces|blobs|parts|components|fragments|areas) "
     r"(?:does|do|would|will) (?P<x>.+?) (?:give|make|form|produce|yield|result in|give us|"
     r"come to|amount to)$", r"how many \g<x> \g<n>"),
    # "how many connected pieces does the road network form"
    (r"^how many (?P<x>(?:(?:connected|separate|distinct|disconnected|individual) )?(?:pieces|"
     r"parts|patches|components|fragments|segments|clusters|groups|blobs|regions|islands)) "
     r"(?:does|do) (?P<y>.+?) (?:form|make up|make|consist of|break into|split into|fall into|"
     r"comprise|have|contain)$", r"how many \g<x> of \g<y>"),
    # "how many percent of ...", "X -- how many?"
    (r"\bhow many (?:%|percent)(?= |$)", "what %"),
    (r"^(?P<np>[^,]+?),\s*how many(?: (?:are there|is there|do we have|do you see|exist|are|"
     r"there are|are they|they are|in total))?$", r"how many \g<np>"),
    (r"^(?P<np>[^,]+?),\s*how many (?P<u>m2|ha|km2|ft2|yd2|mi2|acre)(?: (?:it is|is it|is that|"
     r"are there|in total|does it cover|do they cover))?$", r"how many \g<u> of \g<np>"),
    (r"^(?P<np>[^,]+?),\s*how many (?P<n>patches|objects|pieces|parts|regions|fragments|blobs) "
     r"(?:does|do) (?:it|they) (?:have|form|make|contain)$", r"how many \g<np> \g<n>"),
    (r"^(?P<np>[^,]+?),\s*how much (?:area )?(?:does |do )?(?:it|they) (?:covers?|occup(?:y|ies)|"
     r"takes? up)$", r"how much area does \g<np> cover"),
    (r"^(?P<np>[^,:]+?)\s*[,:]\s*how much(?: (?:is there|in total|area|of it))?$",
     r"how much \g<np>"),
    # "the forest patches, how many are bigger than 10 ha?"
    (r"^(?P<np>[^,]+?),\s*how many (?:of them )?(?P<v>are|is|lie|have|has|touch|sit) (?P<rest>.+)$",
     r"how many \g<np> \g<v> \g<rest>"),
    # "how much hectares of forest?", "how many hectares there are of forest?"
    (r"^how much (?P<u>m2|ha|km2|ft2|yd2|mi2|acre)\b", r"how many \g<u>"),
    (r"^how many (?P<u>m2|ha|km2|ft2|yd2|mi2|acre) (?:there (?:are|is)|are there|is there) "
     r"(?:of|for|under) (?P<x>.+)$", r"how many \g<u> of \g<x>"),
    # "percentage forest?", "forest %": the share of the class
    (r"^(?P<s>%|percentage|share|proportion|fraction|coverage) (?!(?:of|is|are|do|does|under|in|"
     r"by|covered|that|which|for|at|from|on|with|within|taken|occupied)\b)(?P<x>[a-z][a-z /-]*)$",
     r"\g<s> of \g<x>"),
    (r"^(?!(?:what|how|which|is|are|do|does|give|tell|calculate|compute|find|report)\b)"
     r"(?P<x>[a-z](?:(?!\b(?:what|which|how|covers?|occup\w+|takes?|makes?)\b)[a-z /-])*?) "
     r"(?:%|percentage|share)$", r"percentage of \g<x>"),
    # "what share of all X is in its single largest patch": the largest patch of X
    (r"\bof (?:all )?(?:the )?(?P<x>[a-z ,/()-]+?) (?P<v>is|lies|sits) (?:in|within) its "
     r"(?:single )?(?P<k>largest|biggest|smallest) (?P<n>patch|piece|part|object|body|field)\b",
     r"of \g<x> \g<v> covered by \g<k> \g<x> \g<n>"),
    # "for the forest class, give me the patch density"
    (r"^for (?:the )?(?P<x>[^,]+?)(?: class| category)?,\s*(?:please )?(?:give(?: me)?|tell me|"
     r"report|calculate|compute|find|what is|i need|i want) (?:the )?(?P<m>[^,]+)$",
     r"what is \g<m> of \g<x>"),
    # "the patch density of X in patches per 100 km2": objects per area, in that area
    (r"^what is (?:the )?patch density of (?P<x>.+?),? in (?:patches|objects) per (?P<u>.+)$",
     r"how many \g<x> patches per \g<u>"),
    (r"^what is (?:the )?patch density in (?:patches|objects) per (?P<u>.+?) of (?P<x>.+)$",
     r"how many \g<x> patches per \g<u>"),
    # "compute, for the forest, the patch density"
    (r"^(?P<v>compute|calculate|give|find|report|estimate|determine|measure|tell me|what is),?\s+"
     r"for (?P<x>[^,]+),\s*(?P<m>.+)$", r"what is \g<m> of \g<x>"),
    # "how close to water does developed land get?"
    (r"^how (?P<w>close|near) to (?P<b>.+?) (?:does|do) (?P<a>.+?) (?:get|come|lie|reach)$",
     r"how \g<w> does \g<a> get to \g<b>"),
    # "in how many pieces is the road network broken?"
    (r"^in(?:to)? how many (?P<n>pieces|parts|patches|fragments|components|groups|blobs) (?:is|are)"
     r" (?P<x>.+?) (?:broken|split|divided|fragmented|separated|cut)(?: up)?(?: into)?$",
     r"how many \g<n> does \g<x> form"),
    # "the building density (buildings per ha)": the count per area the brackets say
    (r"^(?:what is )?(?:the )?[a-z ]+? density\s*\(\s*(?:number of )?(?P<y>[a-z ]+ per "
     r"[^)]+?)\s*\)$", r"how many \g<y>"),
    # "how many are the water bodies bigger than 1 ha?"
    (r"^how many (?:are|is) (?:there )?(?P<x>(?!there\b).+)$", r"how many \g<x>"),
    # "for forest, how many patches are there?": the patches of the fronted class
    (r"^(?:for|of|regarding|about|concerning) (?P<x>[^,]+?),\s*how many (?P<n>patches|objects|"
     r"regions|pieces|blobs|parts|fragments|clusters|bodies|areas)(?P<rest>(?: .+)?)$",
     r"how many \g<x> \g<n>\g<rest>"),
    # "distance between forest and water, minimum": the statistic said last
    (r"^(?P<q>.*\bdistance\b.*?),\s*(?P<s>minimum|maximum|mean|average|median|shortest|"
     r"longest|smallest|largest|greatest)\s*(?:one|value)?$", r"\g<s> \g<q>"),
    (r"^(?P<np>[^,]+?),\s*(?:what|which) (?:area|size)$", r"what is area of \g<np>"),
    # "is there more than 10 ha of forest"
    (r"^(?:is|are) there (?P<c>more|less|fewer) than (?P<v>[\d.]+ (?:m2|ha|km2|"
     r"ft2|yd2|mi2|acre)) of (?P<a>.+)$",
     r"is area of \g<a> \g<c> than \g<v>"),
    # "on average, how many ha does one water body cover"
    (r"^on average,? how many (?P<u>m2|ha|km2|"
     r"ft2|yd2|mi2|acre) (?:does|do|is|are) (?:an? |one |each |the )?"
     r"(?P<a>.+?)(?: cover| occupy| measure| span)?$",
     r"what is average size of \g<a> in \g<u>"),
    # "the smallest distance separating A from B"
    (r"\bdistance (?:separating|that separates|dividing) (?P<a>.+?) (?:from|and) (?P<b>.+)$",
     r"distance from \g<a> to \g<b>"),
    # "which size has the smallest house"
    (r"^which (?:size|area) (?:has|does) (?P<a>.+?)(?: have)?$", r"what is size of \g<a>"),
    # "forest connectivity", "connectivity of forest"
    (r"^what is (?P<a>.+?) connectivity$", r"is \g<a> connected or fragmented"),
    (r"^what is connectivity of (?P<a>.+)$", r"is \g<a> connected or fragmented"),
    # "the image contains / the scene has": the image is the scope already
    (r"\s+(?:does|do)\s+(?:this\s+|the\s+)?(?:image|scene|map|it|region|area|picture|tile)\s+"
     r"(?:contain|have|show|hold|include|feature)$", ""),
    (r"^(?:does|do)\s+(?:image|scene|map|region|area|picture|tile)\s+(?:contain|have|show|hold|"
     r"include)\s+(?P<c>more|fewer|less)\s+(?P<a>.+)\s+than\s+(?P<b>.+)$",
     r"are there \g<c> \g<a> than \g<b>"),
    (r"^(?:is|are)\s+(?:image|scene|map|region|area)\s+covered\s+by\s+(?P<c>more|less)\s+"
     r"(?P<a>.+)\s+than\s+(?P<b>.+)$", r"is there \g<c> \g<a> than \g<b>"),
    # "does A have an area of more than 5 ha"
    (r"^do(?:es)? (?P<a>.+?) (?:have|has|cover|occupy|span) (?:an area of |a size of |an area |"
     r"a size |)(?P<c>more|less|bigger|larger|greater|smaller|over|under|above|below)(?: than)? "
     r"(?P<b>[\d.]+ (?:m2|ha|km2|ft2|yd2|mi2|acre))$", r"is \g<a> \g<c> than \g<b>"),
    # distances: "building-to-water distance", "how many m separate A from B"
    (r"\b(?P<a>[a-z-]+?)-to-(?P<b>[a-z-]+) distance\b", r"distance from \g<a> to \g<b>"),
    (r"^how many (?:m|km|ft|yd|mi) (?:separate|lie between) (?P<a>.+?) (?:from|and) (?P<b>.+)$",
     r"what is distance from \g<a> to \g<b>"),
    (r"^what is (?:closest|nearest) (?:any |that )?(?P<a>.+?) (?:gets|comes|is) to (?P<b>.+)$",
     r"what is distance from \g<a> to \g<b>"),
    (r"\s+at (?:their|its) (?:closest|nearest)(?: point)?$", ""),
    # object sizes: "how many m2 does the average building cover", "how big is the average X"
    (r"^how many (?P<u>m2|ha|km2|"
     r"ft2|yd2|mi2|acre) (?:does|do|is|are) (?:an? |the )?(?P<k>average|mean|typical) "
     r"(?P<a>.+?)(?: cover| occupy| span| take up| measure)?$",
     r"what is average size of \g<a> in \g<u>"),
    (r"^how many (?P<u>m2|ha|km2|"
     r"ft2|yd2|mi2|acre) (?:does|do|is|are) (?P<a>(?:an? |the )?(?:largest|biggest|"
     r"smallest|tiniest) .+?)(?: cover| occupy| span| take up| measure)?$",
     r"what is area of \g<a> in \g<u>"),
    (r"^how (?:big|large|small) (?:is|are) (?:an? |the )?(?P<k>average|mean|typical) (?P<a>.+)$",
     r"what is \g<k> size of \g<a>"),
    (r"^how small (?:is|are) ", "how large is "),
    (r"^(?:typically|usually|on average),? how (?:big|large) (?:is|are) (?:an? |one )?(?P<a>.+)$",
     r"what is average size of \g<a>"),
))


def prepare(text: str) -> str:
    """A sentence without words that add nothing, two-step wording made plain."""
    for pattern, replacement in _PRE:
        text = pattern.sub(replacement, text).strip(" ,")
    return re.sub(r"\s+", " ", text)


def reframe(text: str) -> str:
    """A sentence rewritten into the planner's plainer frames (see ``_REFRAMES``)."""
    text = prepare(text)
    for _ in range(4):
        before = text
        for pattern, replacement in _REFRAMES:
            text = pattern.sub(replacement, text).strip(" ,")
        if not _QUESTION_START.match(text) and not re.search(
                r"\b(?:what|how much|how many)\b", text):   # a bare noun phrase
            verb = re.match(r"^(?P<a>.+?) (?P<v>exceeds|outnumbers|forms|touches|borders) "
                            r"(?P<b>.+)$", text)
            copula = re.match(r"^(?P<a>(?:(?!\b(?:is|are)\b).)+?) (?P<v>is|are) (?P<b>.+)$", text)
            if text.startswith(("any ", "some ")):
                text = f"is there {text}"
            elif copula and re.search(r"\b(?:connected|fragmented|single|one)\b", copula["b"]):
                text = f"{copula['v']} {copula['a']} {copula['b']}"
            elif verb:
                text = f"does {verb['a']} {_THIRD_PERSON.get(verb['v'], verb['v'])} {verb['b']}"
            elif re.search(r"\b(?:connected|fragmented)\b", text) or re.search(
                    r"\b(?:larger|bigger|greater|smaller|more|less|fewer|higher|lower) than "
                    r"(?!\d|\.\d)(?!(?:[\d.]+ )?(?:m|km|ft|yd|mi)\b)", text) or re.search(
                    r"\b(?:larger|bigger|greater|smaller|more|less|over|above|under|below) "
                    r"(?:than )?[\d.]+ (?:m2|ha|km2|ft2|yd2|mi2|acre|%)$", text) and not re.match(
                    r"(?:number|count|total|area|size|share|percentage|proportion|fraction|"
                    r"average|mean|distance|extent)\b", text):
                text = f"is {text}"
            else:
                text = f"what is {text}"
        text = re.sub(r"\s+", " ", text)
        if text == before:
            break
    return text
