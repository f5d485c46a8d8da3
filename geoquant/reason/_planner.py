"""The question planner: an English quantitative question about a region becomes a plan.

Deterministic and offline. A question is read as parts that combine freely
(:mod:`geoquant.reason._phrases` prepares the words):

1. its sentences, the pixel size it states ("(GSD: 0.5m)"), the unit the answer is asked in
   ("in hectares", "(ha)", "as a percentage"), and whole-question filters in a sentence or
   clause of their own ("When counting, ignore patches smaller than 0.1 hectares");
2. two-step wording ("Find X ..., then calculate how much of their area ..."): the first step
   is a target, the second a question about "them";
3. the **measure**, from the question's frame: share/percentage (of the image, or of a class:
   the denominator), area, count, largest/smallest/mean object size, distance, existence and
   comparisons (yes/no), connected/fragmented, connected groups, landscape metrics, change;
4. each **target** the measure reads (:mod:`geoquant.reason._targets`): classes and unions,
   object words, size filters, relations to other targets, negations and chains.

Every word must be read. A question with a part the planner cannot read is refused with an
error that names that part: no part of a question is ever dropped. Where English is ambiguous
a documented rule decides, and the plan's ``notes`` say which (they appear in the answer):

- "more A than B" compares **areas**, unless the question counts: "number of", "fewer", plural
  object words ("patches", "regions", "bodies"), or countable classes (buildings, solar
  panels, playgrounds);
- "how much of A ..." is a share of A, or an area when an area unit is asked;
- "vegetation (forest, agricultural, or rangeland)": the list in brackets defines the word;
- "is A connected?" means one connected group (8-connectivity).

Class words go through the built-in vocabulary and a source's own legend
(:class:`~geoquant.segment._vocabulary.Vocabulary`); sizes and distances in any unit become
m² and m. Every plan passes :func:`~geoquant.reason.validate`; nothing is executed as code.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from geoquant.errors import ClassNameError, QuestionError
from geoquant.reason._ops import AREA_UNITS
from geoquant.reason._phrases import (
    DATE,
    SPAN,
    answer_unit,
    area_unit,
    length_unit,
    normalise_units,
    prepare,
    question_gsd,
    reframe,
    split_words,
    tidy,
)
from geoquant.reason._plan import Plan, validate
from geoquant.reason._targets import (
    REFERENCE,
    Document,
    TargetReader,
    mentions_objects,
    read_size,
    tokens,
)
from geoquant.segment._vocabulary import Vocabulary

__all__ = ["SUPPORTED_FORMS", "plan_question", "question_gsd", "question_years"]

#: Examples of the question forms the planner reads (``<class>``: a class word, a union such
#: as "forest or grass", or ``code 12``; ``<area>``: a size such as ``1 ha``; ``<distance>``:
#: ``500 m``; ``<year>``: a year or ISO date). Forms combine: any target may carry size
#: filters and chained relations, and any question may state its GSD.
SUPPORTED_FORMS: tuple[str, ...] = (
    "what share of the area is <class>?",
    "what percentage of the image is covered by <class>?",
    "what is the area of <class> in ha?",
    "how many <class> patches are there?",
    "how many <class> patches larger than <area> are there?",
    "how many <class> patches between <area> and <area> are there?",
    "how many <class> patches are there, ignoring patches smaller than <area>?",
    "how many separate <class> regions are there? when counting, ignore patches smaller than "
    "<area>.",
    "what is the size of the largest <class> patch in ha?",
    "what is the size of the smallest <class> patch in m²?",
    "what is the mean size of <class> patches in m²?",
    "what percentage of the image is covered by the largest <class> patch?",
    "is there more <class> than <class>?",
    "is the area of <class> larger than the area of <class>?",
    "are there more <class> patches than <class> patches?",
    "is the largest <class> patch larger than <area>?",
    "is there any <class> within <distance> of <class>?",
    "is <class> adjacent to <class>?",
    "are the <class> patches connected?",
    "is the <class> connected or fragmented?",
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
    "what is the total <class> area within <distance> of <class> but more than <distance> "
    "from <class>?",
    "how much <class> is farther than <distance> from <class>?",
    "how many <class> patches are within <distance> of <class>?",
    "how many <class> patches are adjacent to <class>?",
    "how many <class> patches are farther than <distance> from <class>?",
    "how many <class> patches larger than <area> are within <distance> of <class> and "
    "farther than <distance> from <class>?",
    "find <class> patches larger than <area>, then calculate how much of their area falls "
    "within <distance> of <class>",
    "what is the minimum distance between <class> and <class> in m?",
    "how far is <class> from <class>?",
    "how much <class> area was lost between <year> and <year>, in ha?",
    "how much <class> area was gained between <year> and <year>?",
    "what is the net change in <class> area between <year> and <year>?",
    "by what percentage did the <class> area change between <year> and <year>?",
    "how many new <class> patches appeared between <year> and <year>?",
)

#: Classes whose members people count rather than measure ("more buildings than ...").
COUNTABLE_CLASSES = frozenset({"building", "solar panel", "playground"})
_TAIL = frozenset("are there is there exist exists exist? in total altogether overall total "
                  "combined together in all found located , can be do you see we have "
                  "of them appear appears occur occurs remain remains showing shown seen "
                  "present counted detected identified that which".split())
_AREA_RULE = ("'more A than B' compares areas (geoquant's rule: areas, unless the question "
              "counts objects: 'number of', 'fewer', or patches, regions, bodies, buildings)")
_COUNT_RULE = ("'more A than B' compares numbers of objects: the question counts ('number "
               "of', 'fewer', or patches, regions, bodies, buildings)")


class _Reader:
    """One question being read: its document, target reader and answer unit."""

    def __init__(self, vocabulary: Vocabulary, unit: str | None, *,
                 size_filter: tuple[Any, Any] | None = None,
                 reference: str | None = None, doc: Document | None = None,
                 date: str | None = None) -> None:
        self.doc = doc or Document()
        self.unit = unit
        self.vocabulary = vocabulary
        self.targets = TargetReader(self.doc, vocabulary, reference=reference, date=date)
        self.targets.size_filter = size_filter

    def dated(self, date: str | None) -> TargetReader:
        reader = TargetReader(self.doc, self.vocabulary, reference=self.targets.reference,
                              date=date)
        reader.size_filter = self.targets.size_filter
        return reader

    def target(self, phrase: str, *, objects: bool = False, tail: frozenset[str] = _TAIL,
               reader: TargetReader | None = None):
        """The selection of a whole phrase; every word must be read (``tail`` words may
        close it: "are there", "in total")."""
        words = tokens(phrase)
        reader = reader or self.targets
        selection, i = reader.target(words, 0, objects=objects)
        while True:     # "how many buildings are there (larger than 0.01 ha)?"
            j = i
            while j < len(words) and words[j] in tail:
                j += 1
            if j == i or j >= len(words):
                break
            more, after = reader.modifiers(words, j, selection.mask, objects=selection.objects)
            if after == j:
                break
            selection, i = selection._replace(mask=more.mask, scope=more.scope), after
        finish(words, i, tail, phrase)
        return selection

    def answer(self, step: str) -> dict[str, Any]:
        return self.doc.answer(step)


def finish(words: list[str], i: int, tail: frozenset[str], phrase: str) -> None:
    """Refuse a phrase with words left that are not ``tail`` words, naming them."""
    rest = [w for w in words[i:]]
    if all(w in tail for w in rest):
        return
    unread = " ".join(rest).strip(" ,")
    raise QuestionError(f"cannot read '{unread}' in '{phrase}': geoquant reads classes, sizes "
                        "('larger than 1 ha') and distances ('within 100 m of water', "
                        "'adjacent to roads'); rephrase or leave that part out")


def _compile(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def _match(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := p.match(text))), None)


# --- whole-question filters --------------------------------------------------------------------

_IGNORE = re.compile(
    r"(?:^|,\s*|\s)(?:(?:when|while|for|in)\s+(?:counting|measuring|computing|calculating|"
    r"this|doing so|that)\s*,?\s*)?(?:but\s+|and\s+)?(?:please\s+)?(?:ignore|ignoring|exclude|"
    r"excluding|disregard|"
    r"disregarding|discard|discarding|skip|skipping|drop|dropping|do not count|not counting|"
    r"leave out|leaving out|omit|omitting|without counting|without)\s+(?:all\s+|any\s+)?"
    r"(?:(?:[a-z-]+\s+){0,3}?(?:patch|patches|object|objects|region|regions|areas|polygons|"
    r"polygon|parts|pieces|ones|"
    r"fragments|blobs|components|clusters|segments|features|instances)\s+|(?:ones|those|"
    r"anything|any)\s+)?(?:that\s+are\s+|"
    r"which\s+are\s+|that\s+is\s+)?(?P<size>.+)$")
_ONLY = re.compile(
    r"(?:^|,\s*)(?:(?:when|while)\s+(?:counting|measuring)\s*,?\s*)?(?:only\s+)?(?:count|"
    r"consider|include|keep|use|counting|considering|including)\s+(?:only\s+)?(?:patches|"
    r"objects|regions|areas|ones|those)\s+(?:that\s+are\s+|which\s+are\s+)?(?P<size>.+)$")


_IGNORED = re.compile(r"(?:,\s*|\s)(?:if|when|with|where|provided)\s+(?:(?:all|any)\s+)?(?:patches|"
                      r"objects|regions|areas|polygons|ones|parts)\s+(?P<size>.+?)\s+(?:are|is|get|"
                      r"have been|were)\s+(?:ignored|excluded|not counted|left out|dropped|"
                      r"removed|discarded|disregarded|skipped)$")


def _whole_question_filter(text: str) -> tuple[str, tuple[Any, Any] | None]:
    """A sentence or clause that filters every object by size: the text without it, and the
    (min m², max m²) it keeps."""
    if m := _IGNORED.search(text):           # "if patches under 0.1 ha are ignored"
        words = tokens(m["size"])
        size = read_size(words, 0)
        if size is not None and size[1] == len(words):
            return text[:m.start()].strip(" ,"), (size[0][1], size[0][0])
    if "," in text and re.match(r"^(?:ignoring|excluding|disregarding|not counting|counting "
                                r"only|considering only|only counting)\b", text):
        clause, rest = text.split(",", 1)       # "Ignoring patches smaller than 1 ha, how ..."
        left, found = _whole_question_filter(clause)
        if found is not None and not left:
            return rest.strip(), found
    for pattern, invert in ((_IGNORE, True), (_ONLY, False)):
        m = pattern.search(text)
        if m is None:
            continue
        words = tokens(m["size"])
        size = read_size(words, 0)
        if size is None or size[1] != len(words):
            continue
        low, high = size[0]
        if invert:       # ignoring what is smaller than x keeps what is at least x
            low, high = high, low
        return text[:m.start()].strip(" ,"), (low, high)
    return text, None


_DEFINE = ("(?:includes?|means|is defined as|covers|consists of|comprises|is made up of|counts|"
           "is|are|stands for|refers to|to mean|as|to be)")
_QUESTION = r"(?:what|how|is|are|which|do|does|give|calculate|compute).+"
_DEFINITIONS = (
    re.compile(rf"^if (?:i |we |you )?(?:take |treat |consider |define |count )?(?P<w>[a-z -]+?) "
               rf"{_DEFINE} (?P<l>.+?),\s*(?P<rest>{_QUESTION})$"),
    re.compile(rf"^(?:counting|treating|taking|with) (?P<l>.+?) (?:together )?as (?P<w>[a-z -]+?)"
               rf",\s*(?P<rest>{_QUESTION})$"),
    re.compile(rf"^(?:treat|consider|define|take|let|count) (?P<w>[a-z -]+?) (?:as|to be|to mean|"
               rf"be|is) (?P<l>.+?)[,:]\s*(?P<rest>{_QUESTION})$"),
    re.compile(rf"^(?P<w>[a-z -]+?) (?:includes?|means|is defined as|consists of|comprises|"
               rf"stands for) (?P<l>.+?)[,:]\s*(?P<rest>{_QUESTION})$"),
    re.compile(rf"^(?P<rest>.+?),?\s+where (?P<w>[a-z -]+?) {_DEFINE} (?P<l>.+)$"),
    re.compile(r"^(?P<rest>.+?),\s*(?:counting|including|ie|meaning|namely|defined as|that is)"
               r"\s+(?:the\s+|as\s+)?(?P<l>.+?)(?:\s+classes|\s+together|\s+as vegetation)?$"),
)


def _definitions(text: str, r: _Reader) -> tuple[str, dict[Any, list[Any]]]:
    """Definitions of a class word by a list of classes ("where vegetation means forest,
    cropland or rangeland"; ", counting forest, farmland and rangeland"): the text without
    them, and ``{class or None: [class specs]}`` (None: the first class the question reads)."""
    found: dict[Any, list[Any]] = {}
    for pattern in _DEFINITIONS:
        m = pattern.match(text)
        if m is None:
            continue
        listed = r.targets.class_list(tokens(m["l"]))
        if listed is None or len(listed) < 2:
            continue
        word = m.groupdict().get("w")
        key = None if word is None else (r.vocabulary.find(word) or word.strip())
        found[key] = listed
        text = m["rest"].strip(" ,")
        if word is not None:     # "... what share is that?": the pronoun is the defined word
            text = _pronoun_to(word.strip(), text)
    return text, found


def _pronoun_to(word: str, text: str) -> str:
    """``text`` with its last "it"/"that"/"they" (the subject of a defined word) as ``word``."""
    def swap(found: re.Match[str]) -> str:
        return re.sub(r"\b(?:it|that|this|they|them)\b", word, found[0])

    return re.sub(r"\b(?:it|that|this|they|them)\b(?=[^a-z]*$)|\b(?:does it|do they)\b", swap,
                  text, count=1)


def _defining_sentence(sentence: str, r: _Reader) -> dict[Any, list[Any]] | None:
    """A sentence that only defines a word ("Treat natural land as forest plus shrubland.")."""
    m = re.match(r"^(?:treat|consider|define|take|let|count|by) (?P<w>[a-z -]+?) (?:as|to be|"
                 r"to mean|be|is|means|mean) (?P<l>.+)$", sentence) or re.match(
        r"^(?P<w>[a-z -]+?) (?:includes?|means|is defined as|consists of|comprises|stands for)"
        r" (?P<l>.+)$", sentence)
    if m is None:
        return None
    listed = r.targets.class_list(tokens(m["l"]))
    if listed is None or len(listed) < 2:
        return None
    return {r.vocabulary.find(m["w"]) or m["w"].strip(): listed}


def _merge_filters(a: tuple[Any, Any] | None, b: tuple[Any, Any] | None
                   ) -> tuple[Any, Any] | None:
    if a is None or b is None:
        return a or b
    return (b[0] if b[0] is not None else a[0], b[1] if b[1] is not None else a[1])


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
_COUNT_FRAME = re.compile(r"^(?:how many(?! (?:m2|ha|km2|%)(?!\w))|what is (?:number|count) of|"
                          r"count|number of|what number of)\b")


def _change_dates(text: str) -> tuple[str, bool]:
    """The text without its two dates; whether it had them. A "between t1 and t2" span must
    name the earlier date first."""
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
        if re.search(r"\b(?:m2|ha|km2|km|m|%)\b", text) and len(dates) < 2:
            return text, False
        if len(dates) == 2:
            raise QuestionError(f"'{text}' names two dates but not what changed: ask how much "
                                "was lost or gained, the net or percentage change, or how many "
                                "new patches appeared")
        raise QuestionError("a change question names two dates: 'between 2006 and 2012'")
    return re.sub(r"\s+", " ", _DATE_WORDS.sub(" ", text)).strip(" ,"), True


def _change(r: _Reader, text: str) -> dict[str, Any] | None:
    """Change between the first (``before``) and last (``after``) date of the run."""
    text, dated = _change_dates(text)
    kind = next((k for k, p in _CHANGE_KINDS if p.search(text)), None)
    if not dated and not (kind == "new" and _COUNT_FRAME.match(text)):
        return None
    if kind is None:
        raise QuestionError(f"'{text}' names two dates but not what changed: ask how much was "
                            "lost or gained, the net or percentage change, or how many new "
                            "patches appeared")
    unit_word = re.search(r"\b(?:how many|what is|by how many) (m2|ha|km2)\b", text)
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
    text = re.sub(r"^(?:how many|what is|count|number of|what number of)\s+(?:(?:m2|ha|km2)\s+)?",
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


# --- connectivity and fragmentation --------------------------------------------------------------

_CONNECTED_THROUGH = _compile(r"^(?:is|are) (?P<a>.+?) connected (?:to|with) (?P<b>.+?) "
                              r"(?:through|via|by way of|across|along) (?P<c>.+)$",
                              r"^can (?:one|you) (?:go|travel|get|move) from (?P<a>.+?) to "
                              r"(?P<b>.+?) (?:through|via|along|across) (?P<c>.+)$")
_CONNECTED_WORDS = frozenset("connected continuous contiguous unbroken joined intact linked "
                             "unified".split())
_FRAGMENTED_WORDS = frozenset("fragmented broken fragments split scattered disconnected patchy "
                              "separated pieces".split())
#: Words a "connected or fragmented?" question may hold besides its target.
_STATE_FRAME = frozenset(
    "is are it the one a single or into would you describe as classify which describes here "
    "whole , : ( ) area patch region piece block mass what state condition does do have show "
    "mostly largely rather than say tell me whether if big up several many multiple parts "
    "of best better this that they them these be considered how well say form forms network "
    "in is".split()) | _CONNECTED_WORDS \
    | _FRAGMENTED_WORDS
_ONE = (r"(?:all )?(?:in )?(?:exactly |just |only )?(?:one|a single|a|1)\s*,?\s*"
        r"(?:single\s*,?\s*)?(?:connected|continuous|"
        r"contiguous|unbroken|joined|intact)?\s*,?\s*(?:connected |continuous |contiguous |"
        r"unbroken )?(?:patch|piece|area|region|block|mass|whole|unit|component|network|expanse|"
        r"body|cluster|group|object|stretch|tract)")
_CONNECTED_ALL = _compile(r"^(?:is|are) (?:all (?:of )?)?(?P<a>.+?) (?:all |fully |well |"
                          r"completely |entirely )?(?:connected|contiguous|continuous|unbroken)"
                          r"(?: to each other| with each other| together| to one another| into "
                          r"one (?:patch|piece|area|region|whole|unit))?$",
                          r"^(?:is|are) every (?P<a>.+?) connected to (?:all )?(?:the )?"
                          r"others?$",
                          r"^do(?:es)? (?P<a>.+?) form (?:one|a single) (?:connected |"
                          r"contiguous |continuous )?(?:group|network|cluster|component|patch|"
                          r"region|area|mass|block|whole|unit|piece)$",
                          rf"^do(?:es)? (?P<a>.+?) (?:form|make up|constitute|consist of) {_ONE}"
                          r"(?: without .+)?$",
                          rf"^(?:is|are) (?:all (?:of )?)?(?P<a>(?:(?!connected).)+?) {_ONE}$")
_CONNECTED_GROUPS = _compile(r"^how many (?:connected|separate|distinct|disconnected) (?:groups|"
                             r"components|networks|clusters|parts) (?:of|in) (?P<a>.+)$",
                             r"^how many (?:connected|separate|distinct) (?:groups|components|"
                             r"networks|clusters|parts) do(?:es)? (?P<a>.+?) (?:form|have)$",
                             r"^into how many (?:connected )?(?:groups|components|parts|pieces|"
                             r"clusters) (?:is|are) (?P<a>.+?) (?:split|divided|broken)$")


def _connectivity(r: _Reader, text: str) -> dict[str, Any] | None:
    if m := _match(_CONNECTED_THROUGH, text):
        of, to, through = (r.target(m[k]).mask for k in "abc")
        return r.answer(r.doc.add("connected", "connected", through=through, of=of, to=to))
    words = tokens(text)
    if "or" in words and _CONNECTED_WORDS & set(words) and _FRAGMENTED_WORDS & set(words):
        mask = _state_target(r, words)
        r.doc.note("connected means one connected group (8-connectivity); otherwise "
                   "fragmented")
        return r.answer(r.doc.add("connectivity", "connectivity", of=mask))
    whole = _match(_CONNECTED_ALL, text)
    if not (m := whole or _match(_CONNECTED_GROUPS, text)):
        return None
    mask = r.target(m["a"], objects=True).mask
    groups = r.doc.add("groups", "connected_groups", of=mask)
    if not whole:
        return r.answer(groups)
    one = r.doc.add("one", "number", value=1)
    r.doc.note("connected means one connected group (8-connectivity)")
    return r.answer(r.doc.add("connected", "compare", of=groups, to=one, comparison="=="))


def _state_target(r: _Reader, words: list[str]) -> str:
    """The one target of a "connected or fragmented?" question; every other word must be one
    of that frame's."""
    for i in range(len(words)):
        if words[i] in _STATE_FRAME and words[i] not in ("area", "patch", "region"):
            continue
        if r.targets.class_at(words, i) is None and words[i] not in ("largest", "biggest"):
            continue
        selection, end = r.targets.target(words, i, objects=True)
        rest = [w for w in words[:i] + words[end:] if w not in _STATE_FRAME]
        if rest:
            finish(rest, 0, frozenset(), " ".join(words))
        return selection.mask
    raise QuestionError(f"'{' '.join(words)}' names no class to call connected or fragmented")


_METRICS = tuple((metric, re.compile(rf"^(?:what is |compute |give |calculate |report )?"
                                     rf"(?:{words}) (?:of|for) (?P<a>.+)$")) for metric, words in (
    ("area_mn", r"(?:mean|average) patch (?:size|area)"),
    ("largest_patch_index", r"largest patch index|lpi"),
    ("effective_mesh_size", r"(?:effective )?mesh size|meff"),
    ("patch_density", r"patch density"), ("edge_density", r"edge density"),
    ("total_edge", r"total edge(?: length)?|edge length"),
    ("patch_cohesion_index", r"(?:patch )?cohesion(?: index)?"),
    ("enn_mn", r"(?:mean|average) (?:euclidean )?nearest[- ]neighbou?r distance"),
    ("number_of_patches", r"number of patches"),
))
_METRIC_UNITS = {"area_mn": "ha", "effective_mesh_size": "ha", "total_edge": "m", "enn_mn": "m",
                 "largest_patch_index": "%"}
_FRAGMENTED = _compile(r"^(?:is|are) (?P<a>.+?) fragmented$",
                       r"^how fragmented (?:is|are) (?P<a>.+)$")


def _fragmentation(r: _Reader, text: str) -> dict[str, Any] | None:
    """Landscape metrics of one class (area metrics come in ha, as the operator gives them)."""
    if m := _match(_FRAGMENTED, text):
        mask = r.target(m["a"], objects=True).mask
        return r.answer(r.doc.add("fragmented", "is_fragmented", of=mask))
    for metric, pattern in _METRICS:
        if m := pattern.match(text):
            fixed = _METRIC_UNITS.get(metric, r.unit)
            if r.unit is not None and r.unit != fixed:
                raise QuestionError(f"the {metric} metric is reported in {fixed}, not "
                                    f"{r.unit}: ask for it in {fixed} or leave the unit out")
            mask = r.target(m["a"], objects=True).mask
            return r.answer(r.doc.add(metric, "fragmentation", of=mask, metric=metric))
    return None


# --- distance ------------------------------------------------------------------------------------

_CLOSEST = r"(?:minimum |min |shortest |smallest |closest |nearest |least |minimal )?"
_WH = (r"(?:what is|what are|give|give me|calculate|compute|find|report|determine|measure|"
       r"estimate|state|provide|return|quantify|get|tell)")
_DISTANCE = _compile(rf"^(?:{_WH} )?{_CLOSEST}(?:distance|gap|separation) between (?P<a>.+?) "
                     r"and (?P<b>.+)$",
                     rf"^(?:{_WH} )?{_CLOSEST}(?:distance|gap) (?:from|of) (?P<a>.+?) to "
                     r"(?P<b>.+)$",
                     r"^how far (?:away )?(?:is|are|lies|lie) (?P<a>.+?) from (?P<b>.+)$",
                     r"^how far (?:is it|does one have to go) from (?P<a>.+?) to (?P<b>.+)$",
                     r"^how far apart (?:is|are) (?P<a>.+?) and (?P<b>.+)$",
                     rf"^(?:{_WH} )?(?:minimum |min |shortest |smallest |closest |nearest )"
                     r"distance (?P<a>[a-z ]+?)(?: to |-| and )(?P<b>[a-z ]+)$",
                     r"^how (?:close|near) (?:is|are|does|do) (?P<a>.+?) (?:come |get )?to "
                     r"(?P<b>.+)$")


def _distance(r: _Reader, text: str) -> dict[str, Any] | None:
    if not (m := _match(_DISTANCE, text)):
        return None
    b = re.sub(r"^(?:any |nearest |closest |a |an )+", "", m["b"])
    of, to = r.target(m["a"], objects=True).mask, r.target(b, objects=True).mask
    return r.answer(r.doc.add("distance", "min_distance", of=of, to=to,
                              unit=length_unit(r.unit)))


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
_NUMBER_SIDE = re.compile(r"^(?P<v>-?(?:\d+(?:\.\d+)?|\.\d+))\s*(?P<u>m2|ha|km2|km|m|%)?"
                          r"(?: (?P<w>objects|patches|of them|regions))?$")
_COMPARE_THERE = _compile(rf"^(?:is|are) there (?P<c>{_CMP}) (?P<a>.+?) than (?P<b>.+)$",
                          rf"^do(?:es)? (?P<a>.+?) (?:cover|occupy|take up|have) (?P<c>{_CMP}) "
                          r"(?:area |land |ground |space |surface )?than (?P<b>.+?)"
                          r"(?: do(?:es)?)?$")
_COMPARE_COUNT = re.compile(r"^(?:is|are) there (?P<c>more than|fewer than|less than|at least|"
                            r"at most|over|under) (?P<v>\d+) (?P<a>.+)$")
_COMPARE = _compile(rf"^(?:is|are|was|were) (?P<a>.+?) (?P<c>{_CMP}) than (?P<b>.+)$",
                    rf"^(?:is|are) (?P<a>.+?) (?P<c>{_CMP}) (?P<b>-?[\d.]+ ?(?:m2|ha|km2|km|m|%)"
                    r"?)$",
                    r"^do(?:es)? (?P<a>.+?) (?P<c>exceed|outnumber) (?P<b>.+)$")
_EXISTS = _compile(r"^(?:is|are) there (?:any |some |at least one |a |an )?(?P<t>.+)$",
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
_MEASURE_OPS = {"largest": "largest_object", "smallest": "smallest_object",
                "mean": "mean_object", "share": "share", "count": "count", "area": "area"}


def _read_measure(phrase: str, default: str) -> tuple[str, str]:
    """(kind of measure, target phrase) of "area of forest", "largest forest patch", ..."""
    phrase = re.sub(r"^\s*(?:that|those|one|ones) of ", "", phrase.strip(" ,"))
    phrase = re.sub(r"^(?:amount|quantity) of ", "", phrase)
    return next(((kind, m["a"]) for kind, p in _MEASURE_PATTERNS if (m := p.match(phrase))),
                (default, phrase))


def _add_measure(r: _Reader, kind: str, phrase: str, unit: str) -> str:
    selection = r.target(phrase, objects=kind in ("count", "largest", "smallest", "mean"))
    units = {"unit": unit} if kind in ("largest", "smallest", "mean", "area") else {}
    return r.doc.add(f"{selection.base}_{kind}", _MEASURE_OPS[kind], of=selection.mask,
                     **units)


def _counts(phrase: str, r: _Reader) -> bool:
    """Whether a side of "more A than B" names objects to count (see the module's rule)."""
    words = tokens(phrase)
    if mentions_objects(words) or re.match(r"^(?:number|count) of\b", phrase):
        return True
    found = r.targets.class_at(words, 0)
    return bool(found and isinstance(found[0], dict) and found[0].get("class")
                in COUNTABLE_CLASSES and words[found[1] - 1].endswith("s"))


def _comparison(r: _Reader, text: str) -> dict[str, Any] | None:
    """Two measures, or a measure and a number, compared; existence; touching."""
    if _WHICH.match(text):
        raise QuestionError("geoquant answers with a number or yes/no, not a class name: ask "
                            "'is there more forest than water?' instead of 'which is larger'")
    if m := _COMPARE_COUNT.match(text):
        return _compare_number(r, "count", m["a"], m["v"], m["c"])
    if m := _match(_COMPARE_THERE, text):
        plural = m.re is _COMPARE_THERE[0] and text.startswith("are") and (
            _counts(m["a"], r) or _counts(m["b"], r))
        by_number = bool(re.search(r" (?:by|in) (?:number|count)$", m["b"]))
        kind = "count" if plural or by_number or m["c"] == "fewer" else "area"
        a = re.sub(r"^(?:number of|area of|amount of|(?:m2|ha|km2) of) ", "", m["a"])
        b = re.sub(r" (?:by|in) (?:number|count)$", "", m["b"])
        b = re.sub(r"^(?:(?:number|area|amount) of|there (?:is|are)|of|that of) ", "", b.strip())
        b = re.sub(r" (?:there (?:is|are)|are there|is there|do(?:es)?)$", "", b)
        if _NUMBER_SIDE.match(b):
            return _compare_number(r, kind, a, b, m["c"])
        r.doc.note(_COUNT_RULE if kind == "count" else _AREA_RULE)
        lhs = _add_measure(r, kind, a, "m2")
        rhs = _add_measure(r, kind, b, "m2")
        return r.answer(r.doc.add("compare", "compare", of=lhs, to=rhs,
                                  comparison=_COMPARISONS[m["c"]]))
    if m := _match(_COMPARE, text):
        kind, phrase = _read_measure(m["a"], "area")
        if re.search(r" (?:by|in) (?:number|count)$", m["b"]):
            kind = "count"
        b_side = re.sub(r" (?:by|in) (?:number|count)$", "", m["b"]).strip()
        if _NUMBER_SIDE.match(b_side):
            return _compare_number(r, kind, phrase, b_side, m["c"])
        if m["c"] in ("outnumber", "outnumbers", "fewer", "more numerous", "less numerous"):
            kind = "count"
        other_kind, other = _read_measure(b_side, kind)
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
    if m := _match(_EXISTS, text):
        selection = r.target(m["t"])
        return _exists(r, selection.mask)
    return None


def _exists(r: _Reader, mask: str) -> dict[str, Any]:
    area = r.doc.add("area", "area", of=mask, unit="m2")
    zero = r.doc.add("zero", "number", value=0, unit="m2")
    r.doc.note("'is there any ...' asks whether the selection covers any pixel (area > 0)")
    return r.answer(r.doc.add("exists", "compare", of=area, to=zero, comparison=">"))


def _compare_number(r: _Reader, kind: str, phrase: str, side: str, word: str
                    ) -> dict[str, Any]:
    q = _NUMBER_SIDE.match(side)
    value, given = float(q["v"]), q["u"]
    if q["w"]:
        kind = "count"
    wanted = {"share": ("%",), "count": (None,)}.get(kind, tuple(AREA_UNITS))
    if given not in wanted or value < 0:
        raise QuestionError(f"cannot compare the {kind} of {phrase!r} with {side!r}: give a "
                            f"non-negative number in {wanted[0] or 'objects'}")
    lhs = _add_measure(r, kind, phrase, given or "")
    rhs = r.doc.add("threshold", "number", value=tidy(value),
                    **({"unit": given} if given else {}))
    return r.answer(r.doc.add("compare", "compare", of=lhs, to=rhs,
                              comparison=_COMPARISONS[word]))


# --- shares --------------------------------------------------------------------------------------

_SHARE = r"(?:share|%|percentage|fraction|proportion|part|portion|ratio|percent)"
_VERB = (r"(?:is|are|lies|lie|falls|fall|sits|sit|is located|are located|is situated|"
         r"are situated|is found|are found|can be found|was|were)")
_COVERED = (r"(?:covered by|occupied by|made up of|taken up by|classified as|labell?ed as|"
            r"composed of|comprised of|under|)")
#: "what share of D is (covered by) T": the words after the verb select within D.
_SHARE_VERB = re.compile(
    rf"^(?:what|which|how much|how large a|how big a) {_SHARE} (?:of (?P<d>.+?) )?{_VERB} "
    rf"{_COVERED} ?(?P<t>.+)$")
#: Frames where T is covered by something: "what share (of D) is covered by T", "what % do T
#: cover", "what is the share (of D) that is T", "what is the share under T".
_SHARE_COVERED = _compile(
    rf"^(?:what|how much|how large|how big) is {_SHARE} (?:of (?P<d>.+?) )?(?:that is |which is )?"
    rf"(?:covered|occupied|taken up) by (?P<t>.+)$",
    r"^how much of (?P<d>area|land|surface|total area) (?:is|are) (?:covered by |occupied by )?"
    r"(?P<t>.+)$",
    rf"^(?:what|which|how much) {_SHARE} (?:of (?P<d>.+?) )?(?:do(?:es)? )?(?P<t>.+?) (?:covers?|"
    r"occup(?:y|ies)|takes? up|makes? up|accounts? for|represents?|fills?|spans?)$",
    rf"^what is (?:combined |total |overall )?{_SHARE} (?:of (?P<d>.+?) )?(?:that|which) "
    r"(?:is|are) (?P<t>.+)$",
    rf"^(?:what|how much) is {_SHARE} (?:of (?P<d>.+?) )?under (?P<t>.+)$")
#: "what is the share of T": of the image, or (with relations) of T's classes.
_SHARE_OF = _compile(
    rf"^(?:what|which) (?:is )?(?:combined |total |overall )?(?:{_SHARE}|coverage)"
    r"(?: cover| coverage)? of (?P<t>.+)$",
    rf"^(?:{_WH}) (?:combined |total |overall )?(?:{_SHARE}|coverage|cover)(?: cover| coverage)?"
    r" of (?P<t>.+)$")
#: The measure after its target: "the forest coverage", "forest covers what percentage".
_SHARE_AFTER = _compile(
    rf"^(?:{_WH}) (?P<t>.+?) (?:coverage|share|percentage|fraction|proportion|cover %|cover "
    r"percentage)(?: %| percentage| ratio)?$",
    rf"^(?P<t>.+?) (?:covers|occupies|makes up|accounts for|represents|is|are|takes up) "
    rf"what {_SHARE}$")
#: "how much area is covered by T": an area when an area unit is asked, else a share.
_AREA_COVERED = re.compile(r"^how much (?:area )?(?:is|are) (?:covered|occupied) by (?P<t>.+)$")


def _share(r: _Reader, text: str) -> dict[str, Any] | None:
    """Share of the region, of a class (the denominator), or of a class near another."""
    how_much_of = re.match(r"^how much of (?P<d>.+)$", text)
    # "how much (of the image) is forest"
    if how_much := re.match(r"^how much (?:is|are) (?:covered by |occupied by |taken up by |"
                            r"made up by |filled by )?(?P<t>.+)$", text):
        if r.unit in AREA_UNITS:
            return _area_of_phrase(r, how_much["t"])
        return r.answer(r.doc.add("share", "share", of=r.target(how_much["t"]).mask))
    # in this order: the "share of T" frames before the "share of D that is T" ones
    frames = ((_SHARE_VERB,), _SHARE_COVERED[:1], _SHARE_OF, _SHARE_COVERED[1:], _SHARE_AFTER,
              (_AREA_COVERED,))
    m, kind = next(((m, n) for n, patterns in enumerate(frames)
                    if (m := _match(patterns, text))), (None, None))
    if m is None and how_much_of is None:
        return None
    if r.unit in AREA_UNITS and re.search(r"\b(?:coverage|cover)\b", text) and not re.search(
            rf"\b{_SHARE}\b", text):
        return None      # "the water coverage in ha": an area
    if kind == 5 and r.unit in AREA_UNITS:
        return None     # "how much area is covered by forest, in km2": an area
    if m is None:
        if r.unit in AREA_UNITS:          # "how much of their area ... (in ha)": an area
            return _area_of_phrase(r, how_much_of["d"])
        return _share_of_denominator(r, how_much_of["d"], None)
    if r.unit not in (None, "%"):
        raise QuestionError(f"a share is a percentage, not {r.unit}: leave out 'in {r.unit}'")
    groups = m.groupdict()
    if groups.get("d") and groups["d"] not in ("area", "land", "surface", "total area"):
        return _share_of_denominator(r, groups["d"], groups["t"], covered=kind != 0
                                     or _is_covered(m["t"], text))
    if kind == 2:
        return _share_of_denominator(r, groups["t"], None)
    selection = r.target(groups["t"])
    return r.answer(r.doc.add("share", "share", of=selection.mask))


def _is_covered(predicate: str, text: str) -> bool:
    """Whether the verb of a share question was "covered by" (or the like), cut from
    ``predicate``."""
    before = text[:len(text) - len(predicate)]
    return re.search(r"\b(?:covered|occupied|made up|taken up|classified|labell?ed|composed|"
                     r"comprised)(?: by| of| as)? ?$", before) is not None


def _share_of_denominator(r: _Reader, denominator: str, predicate: str | None, *,
                          covered: bool = False) -> dict[str, Any]:
    """A share of a class D: "what share of D is covered by T" (T within D), "what share of D
    lies within 100 m of water" (the words after the verb select within D), or "what share of
    D within 100 m of water" (no verb: the relations select within D)."""
    if r.unit not in (None, "%"):
        raise QuestionError(f"a share is a percentage, not {r.unit}: leave out 'in {r.unit}'")
    if predicate is None:
        words = tokens(denominator)
        head, i = r.targets.target(words, 0, relations=False, filters=False)
        selection, i = r.targets.modifiers(words, i, head.mask, objects=head.objects)
        finish(words, i, _TAIL, denominator)
        if selection.mask == head.mask:      # "what percentage of forest?": of the whole image
            return r.answer(r.doc.add("share", "share", of=head.mask))
        return r.answer(r.doc.add("share", "share", of=selection.mask, within=head.mask))
    scope = r.target(denominator)
    words = tokens(predicate)
    selection, i = r.targets.modifiers(words, 0, scope.mask, objects=scope.objects)
    if i == 0 or covered:                # "what share of the forest is (covered by) wetland"
        part = r.target(predicate)
        both = r.doc.add("overlap", "intersection", of=[part.mask, scope.mask])
        return r.answer(r.doc.add("share", "share", of=both, within=scope.mask))
    finish(words, i, _TAIL, predicate)
    return r.answer(r.doc.add("share", "share", of=selection.mask, within=scope.mask))


# --- object sizes, areas, counts -----------------------------------------------------------------

_LARGEST = _compile(
    rf"^(?:{_WH}|how (?:large|big) is|what size is|what is size of) (?:(?:size|area|extent) of )?"
    r"(?P<k>largest|biggest|smallest|tiniest|maximum|minimum|max|min) (?P<a>.+?)(?: size| area)?$",
    r"^how (?:large|big) (?:is|are) (?P<k>largest|biggest|smallest) (?P<a>.+)$",
    r"^(?P<k>largest|biggest|smallest) (?P<a>.+?) (?:is|has) what (?:size|area)$")
_MEAN = _compile(rf"^(?:{_WH}) (?:mean|average|typical) (?:footprint area|footprint size|footprint|"
                 r"size|area|extent|surface) (?:of|per) (?P<a>.+)$",
                 r"^how (?:large|big) (?:is|are) (?P<a>.+?) on average$",
                 r"^on average,? how (?:large|big) (?:is|are) (?P<a>.+)$",
                 rf"^(?:{_WH}) (?:mean|average|typical) (?P<a>.+?)(?: size| area)?$")


def _object_size(r: _Reader, text: str) -> dict[str, Any] | None:
    for patterns, kind in ((_LARGEST, None), (_MEAN, "mean")):
        if m := _match(patterns, text):
            if r.unit == "%":
                return None      # "what percentage ... largest ...": a share
            kind = kind or ("smallest" if m["k"] in ("smallest", "tiniest", "minimum", "min")
                            else "largest")
            mask = r.target(m["a"], objects=True).mask
            op = _MEASURE_OPS[kind]
            name = "mean_size" if kind == "mean" else kind
            return r.answer(r.doc.add(name, op, of=mask,
                                      unit=area_unit(r.unit, "an object's size")))
    return None


_AREA_IN_UNITS = re.compile(r"^(?:how many |what is (?:total |combined )?)(?P<u>m2|ha|km2) "
                            r"(?:of |(?:are|is) (?:covered|occupied) by |do(?:es)? |are there of |"
                            r"(?:are|is) )?(?P<a>.+?)(?: cover| occupy| are there| is there| take "
                            r"up)?$")
_AREA = _compile(
    rf"^(?:{_WH}|how (?:large|big|much|extensive) is) (?:total |combined |overall |entire )?"
    r"(?:area|extent|surface area|surface|size|footprint|amount of land|land area|sum|total) "
    r"(?:of|covered "
    r"by|occupied by|under|taken up by|of land covered by) (?P<a>.+)$",
    r"^how much (?:area|land|surface|ground|space) (?:is|are) (?:covered|occupied|taken up) by "
    r"(?P<a>.+)$",
    r"^how much (?:area |land |ground |space |surface )?do(?:es)? (?P<a>.+?) (?:cover|occupy|"
    r"take up|span)$",
    r"^what area (?:is (?:covered|occupied) by |do(?:es)? )(?P<a>.+?)(?: cover| occupy)?$",
    r"^what area of (?P<a>.+)$",
    r"^how (?:large|big|extensive) (?:is|are) (?:area of |area covered by )?(?P<a>.+)$",
    r"^how much (?P<a>.+)$")
_AREA_WORDS = frozenset({"area", "areas", "extent", "surface", "coverage", "cover"})
_AREA_ANY = re.compile(rf"^(?:{_WH}) (?:total |combined |overall |entire )?(?P<a>.+)$")


def _area(r: _Reader, text: str) -> dict[str, Any] | None:
    """Area of a target (classes with filters and relations)."""
    if m := _AREA_IN_UNITS.match(text):
        r.unit = m["u"]
    elif not (m := _match(_AREA, text)):
        m = _AREA_ANY.match(text)
        if m is None:
            return None
        words = tokens(m["a"])
        if re.match(r"(?:number|count|amount|quantity|tally) of\b", m["a"]):
            return None
        if not (_AREA_WORDS & set(words) or r.unit in AREA_UNITS or r.unit == "%"):
            return None
    if r.unit == "%":
        return r.answer(r.doc.add("share", "share", of=r.target(m["a"]).mask))
    return _area_of_phrase(r, m["a"])


def _area_of_phrase(r: _Reader, phrase: str) -> dict[str, Any]:
    mask = r.target(phrase).mask
    return r.answer(r.doc.add("area", "area", of=mask, unit=area_unit(r.unit)))


_COUNT = _compile(r"^how many (?P<a>.+)$",
                  rf"^(?:{_WH}) (?:total )?(?:number|count|amount|quantity|tally) of (?P<a>.+)$",
                  r"^count (?:number of |all |up )?(?P<a>.+)$",
                  r"^what number of (?P<a>.+)$",
                  rf"^(?:{_WH}) (?P<a>.+?) count$")


def _count(r: _Reader, text: str) -> dict[str, Any] | None:
    """Objects counted, optionally filtered by size and by distance to other targets."""
    if not (m := _match(_COUNT, text)):
        return None
    if r.unit is not None:
        raise QuestionError(f"a count is a number of objects, not {r.unit}: leave out "
                            f"'in {r.unit}'")
    phrase = re.sub(r"^of (?=(?:all |the )?(?!them\b))", "", m["a"])
    mask = r.target(phrase, objects=True).mask
    return r.answer(r.doc.add("n", "count", of=mask))


_Family = Callable[[_Reader, str], "dict[str, Any] | None"]
_FAMILIES: tuple[_Family, ...] = (_change, _connectivity, _comparison, _fragmentation,
                                  _distance, _share, _object_size, _area, _count)


# --- two-step questions --------------------------------------------------------------------------

_STEP_VERBS = (r"(?:calculate|compute|find|determine|measure|report|give|tell|work out|count|"
               r"get|return|estimate|say|figure out|quantify|sum|add up|check|provide)")
_TWO_STEP = re.compile(
    r"^(?:please\s+)?(?:first,? |step one,? )?(?:find|identify|select|take|locate|detect|"
    r"consider|considering|get|extract|segment|isolate|look at|keep|pick|mark|map|delineate)"
    r"\s+(?:all |every |each |only )?"
    rf"(?P<x>.+?)(?:\s*[,;:]?\s+(?:and\s+)?then,?\s+|\s*,?\s+and\s+(?={_STEP_VERBS}\b)|"
    rf"\s*[,:]\s+(?:step two,?\s+)?(?=(?:how|what|which|{_STEP_VERBS})\b))"
    r"(?P<y>.+)$")
_PRONOUNS = (
    (r"\b(?:their|its|those patches'|these patches'|these objects'|those objects') "
     r"(?:total |combined |overall )?(?:area|areas|surface|extent|size|sizes)\b", REFERENCE),
    (r"\b(?:these|those|them|they|it|the selected|selected|found|such)"
     r"(?: (?:patches|objects|regions|areas|ones|polygons|parcels|features|bodies|pixels))?\b",
     REFERENCE),
    (r"\b(?:their|its)\b", REFERENCE),
)


def _two_step(r: _Reader, text: str) -> dict[str, Any] | None:
    m = _TWO_STEP.match(text)
    if m is None:
        return None
    first = r.target(m["x"])
    second = m["y"]
    referred = second
    for pattern, replacement in _PRONOUNS:
        referred = re.sub(pattern, f" {replacement} ", referred)
    referred = re.sub(r"\s+", " ", referred).strip()
    if REFERENCE not in referred:
        raise QuestionError(f"the second step '{second}' does not refer to what the first step "
                            f"found ('{m['x']}'): say 'their area' or 'how many of them'")
    referred = re.sub(rf"^(?:please\s+)?(?:calculate|compute|find|determine|measure|report|"
                      rf"give(?: me)?|tell me|estimate|work out|figure out|get|return|say)\s+"
                      rf"(?=how|what|{REFERENCE}|number|area|total)", "", referred)
    referred = re.sub(rf"^how many of {REFERENCE}", f"how many {REFERENCE}", referred)
    referred = re.sub(rf"^(?:what is )?(?:total |combined |overall )?{REFERENCE}$",
                      f"what is area of {REFERENCE}", referred)
    child = _Reader(r.vocabulary, r.unit, reference=first.mask, doc=r.doc)
    child.targets.definitions = r.targets.definitions
    return _read(child, reframe(referred))


def _read(r: _Reader, text: str) -> dict[str, Any]:
    text, unit = answer_unit(text)          # a frame may have named the unit ("in ha")
    if unit is not None:
        if r.unit is not None and r.unit != unit:
            raise QuestionError(f"the question asks for the answer in both {r.unit} and {unit}:"
                                " keep one")
        r.unit = unit
    first_error: Exception | None = None
    for family in _FAMILIES:
        saved = r.doc.snapshot()
        try:
            document = family(r, text)
        except (QuestionError, ClassNameError) as error:
            # A frame that fits but whose words do not all read: another frame may read them
            # all; if none does, the first frame's error names the part that was not read.
            r.doc.restore(saved)
            first_error = first_error or error
            continue
        if document is not None:
            return document
    if first_error is not None:
        raise first_error
    raise _Unread(text)


class _Unread(Exception):
    """No question frame fits the text."""


# --- public --------------------------------------------------------------------------------------

def plan_question(question: str, *, vocabulary: Vocabulary | None = None) -> Plan:
    """The validated plan that answers an English quantitative question about a region.

    Parameters
    ----------
    question : str
        A question in plain words (see the module docstring and :data:`SUPPORTED_FORMS`).
        Sizes may be given in m², ha or km², distances in m or km; the answer unit is the one
        named ("in ha"), else m² for areas and m for distances. A stated ground sample
        distance ("(GSD: 0.5m)") is read by :func:`question_gsd`, not planned.
    vocabulary : Vocabulary, optional
        Class words beyond the built-in vocabulary: a source's legend.

    Returns
    -------
    Plan
        The plan, with ``plan.question`` set to the question and ``plan.notes`` saying which
        documented rule decided an ambiguous reading. Sizes and distances in it are in m² and m.

    Raises
    ------
    QuestionError
        When a part of the question cannot be read (the message names it), the question fits
        no form (the message names the closest), or asks for something impossible (a
        negative size, swapped bounds, contradictory distances, a unit that does not fit).
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
    vocabulary = vocabulary or Vocabulary()
    words = split_words(question)
    reader = _Reader(vocabulary, words.unit)
    sentences = list(words.sentences)
    defined: dict[Any, list[Any]] = {}
    while len(sentences) > 1 and (found := _defining_sentence(sentences[0], reader)):
        defined.update(found)             # "Treat natural land as forest ... . What share ..."
        sentences.pop(0)
    main, *extra = sentences
    main, size_filter = _whole_question_filter(main)
    for sentence in extra:
        rest, found = _whole_question_filter(sentence)
        if found is None or rest:
            raise QuestionError(f"cannot read the sentence '{sentence}' of {question.strip()!r}:"
                                " a question is one sentence, optionally followed by a size "
                                "filter such as 'Ignore patches smaller than 0.1 ha.'")
        size_filter = _merge_filters(size_filter, found)
    reader.targets.size_filter = size_filter
    reader.targets.definitions = defined
    main, definitions = _definitions(prepare(main), reader)
    reader.targets.definitions.update(definitions)
    try:
        document = _two_step(reader, main) or _read(reader, reframe(main))
    except _Unread:
        raise _unsupported(question, main) from None
    return validate({**document, "question": question.strip()}, vocabulary=vocabulary)


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
    span = SPAN.search(normalise_units(question))
    return (span["t1"], span["t2"]) if span else None


def _unsupported(question: str, text: str) -> QuestionError:
    def likeness(form: str) -> float:
        return difflib.SequenceMatcher(None, text, form).ratio()

    closest = max(SUPPORTED_FORMS, key=likeness)
    return QuestionError(
        f"cannot plan {question.strip()[:200]!r}: it fits none of the supported question "
        f"forms; the closest is '{closest}' (<class>: a class word such as forest or water "
        "bodies, or 'code 12'; <area>: e.g. 1 ha; <distance>: e.g. 500 m; all "
        f"{len(SUPPORTED_FORMS)} forms: geoquant.reason.SUPPORTED_FORMS)")
