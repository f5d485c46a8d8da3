"""The question planner: an English quantitative question about a region becomes a plan.

Deterministic and offline. A question is read as parts that combine freely
(:mod:`geoquant.reason.reading._phrases` prepares the words):

1. its sentences, the pixel size it states ("(GSD: 0.5m)"), the unit the answer is asked in
   ("in hectares", "(ha)", "as a percentage"), and whole-question filters in a sentence or
   clause of their own ("When counting, ignore patches smaller than 0.1 hectares");
2. two-step wording ("Find X ..., then calculate how much of their area ..."): the first step
   is a target, the second a question about "them";
3. the **measure**, from the question's frame (``_frames_amount``: share/percentage of the
   image or of a class, area, largest/smallest/mean object size, count; ``_frames_compare``:
   comparisons, existence, touching; ``_frames_shape``: connected/fragmented, connected
   groups, landscape metrics, distance; ``_frames_change``: change between two dates), tried
   most specific first; what they share is in ``_reading``;
4. each **target** the measure reads (:mod:`geoquant.reason.reading._targets`): classes and unions,
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
(:class:`~geoquant.segment.Vocabulary`); sizes and distances in any unit become
m² and m. Every plan passes :func:`~geoquant.reason.validate`; nothing is executed as code.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from geoquant.errors import ClassNameError, QuestionError
from geoquant.reason.plans._plan import Plan, validate
from geoquant.reason.reading._frames_amount import area, count, density, object_size, share
from geoquant.reason.reading._frames_change import change
from geoquant.reason.reading._frames_compare import comparison, ratios
from geoquant.reason.reading._frames_shape import (
    connectivity,
    crossing,
    distance,
    distance_stats,
    fragmentation,
)
from geoquant.reason.reading._phrases import (
    SPAN,
    answer_unit,
    normalise_units,
    prepare,
    question_gsd,
    reframe,
    split_words,
)
from geoquant.reason.reading._reading import Reader
from geoquant.reason.reading._targets import (
    OBJECT_WORDS,
    REFERENCE,
    read_largest_exception,
    read_size,
    tokens,
)
from geoquant.segment import Vocabulary

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

#: The longest question read, characters: the longest of the blind sets and the corpus is 153,
#: reading time grows with the length (0.2-0.4 ms a character), so a 64 KB paste is refused.
MAX_QUESTION_CHARS = 2000

#: Classes whose members people count rather than measure ("more buildings than ...").
# --- whole-question filters --------------------------------------------------------------------

_IGNORE = re.compile(
    r"(?:^|,\s*|\s)(?:(?:when|while|for|in)\s+(?:counting|measuring|computing|calculating|"
    r"this|doing so|that)\s*,?\s*|if\s+(?:we|you|i|one)\s+)?(?:but\s+|and\s+)?(?:please\s+)?"
    r"(?:ignore|ignoring|exclude|"
    r"excluding|disregard|"
    r"disregarding|discard|discarding|skip|skipping|drop|dropping|do not count|not counting|"
    r"leave out|leaving out|omit|omitting|without counting|without)\s+(?:all\s+|any\s+)?"
    r"(?:(?:[a-z/-]+\s+){0,3}?(?:patch|patches|object|objects|region|regions|areas|polygons|"
    r"polygon|parts|pieces|ones|bodies|body|"
    r"fragments|blobs|components|clusters|segments|features|instances|[a-z-]{3,}s)\s+|(?:ones|those|"
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
                                r"only|considering only|only counting|leaving out|leaving aside|"
                                r"setting aside|omitting|dropping|skipping|without|discarding)\b",
                                text):
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


_SMALLER = r"(?:smaller than|below|under|less than|beneath)"
_LARGER = r"(?:larger than|bigger than|above|over|more than|greater than)"
_KEPT = re.compile(
    r"^(?:ignoring|excluding|disregarding|leaving out|not counting|dropping|discarding|without) "
    rf"(?:all |any |the )?(?P<noun>[a-z/ -]+?) (?:that are |which are )?(?P<side>{_SMALLER}|"
    rf"{_LARGER}) (?P<size>[\d.]+ (?:m2|ha|km2|ft2|yd2|mi2|acre))\s*,\s*(?P<q>.+)$")
_REMAINING = re.compile(r"\b(?:the )?(?:remaining|kept|retained|surviving|rest of the|other) "
                        r"(?:ones|objects|patches|bodies|[a-z-]+s)\b|\b(?:the rest|those left|"
                        r"the ones left|what is left of them)\b")


_OTHER_THAN_ONE = re.compile(
    r"^(?P<pre>how many|count|what number of|number of) (?:the )?other (?P<np>.+?) "
    r"(?P<rel>(?:lie|lies|are|is|sit|fall) .*?|(?:within|farther|further|more|less|entirely|"
    r"wholly|partly|completely|fully|touch|touches|touching|adjacent|border|borders|bordering|"
    r"adjoin|adjoins|next).*?)\b(?:the )?"
    r"(?P<k>largest|biggest|smallest) one\b(?P<post>.*)$")
_FILTER_START = re.compile(r"\s+(?:over|under|above|below|larger|smaller|bigger|more|less|at "
                           r"least|at most|between|of)\b.*$")


def _singular(noun: str) -> str:
    for plural, one in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("ses", "s"), ("s", "")):
        if noun.endswith(plural):
            return noun[:-len(plural)] + one
    return noun


def _other_than_one(text: str) -> str:
    """"How many other lakes over 1 ha lie within 1 km of the largest one?": the objects
    other than the one the relation names, read as "lakes over 1 ha, apart from the
    largest, ... of the largest lake"."""
    m = _OTHER_THAN_ONE.match(text)
    if m is None:
        return text
    head = _FILTER_START.sub("", m["np"])
    words = head.split()
    one = " ".join([*words[:-1], _singular(words[-1])]) if words else head
    return f"{m['pre']} {m['np']}, apart from {m['k']}, {m['rel']}{m['k']} {one}{m['post']}"


def _kept_referent(text: str) -> str:
    """A filter that a later "the remaining ones" refers to ("Ignoring water bodies below
    0.1 ha, what share of the water area do the remaining ones hold?") as two steps: the
    kept objects are found first, and the rest of the question reads without the filter."""
    m = _KEPT.match(text)
    if m is None or not _REMAINING.search(m["q"]):
        return text
    kept = "at least" if re.fullmatch(_SMALLER, m["side"]) else "at most"
    return f"find {m['noun']} {kept} {m['size']}, then {_REMAINING.sub('them', m['q'], count=1)}"


def _bracketed_filters(text: str) -> tuple[str, tuple[Any, Any] | None]:
    """Size filters said in brackets inside the question ("the mean area of the water
    fragments (ignore fragments under 0.1 ha)"): the text without them, and what they keep."""
    kept: tuple[Any, Any] | None = None
    for m in reversed(list(re.finditer(r"\s*\(([^()]+)\)", text))):
        rest, found = _whole_question_filter(m[1].strip())
        if found is None or rest:
            continue
        kept = _merge_filters(kept, found)
        text = f"{text[:m.start()]} {text[m.end():]}"
    return re.sub(r"\s+", " ", text).strip(), kept


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


def _definitions(text: str, r: Reader) -> tuple[str, dict[Any, list[Any]]]:
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


#: The word a definition "as one class" gives the merged classes, for "that" to refer to.
MERGED = "merged classes"


def _defining_sentence(sentence: str, r: Reader) -> dict[Any, list[Any]] | None:
    """A sentence that only defines a word ("Treat natural land as forest plus shrubland.",
    "Treat pasture/hay and cultivated crops together as farmland.", "Treat codes 24 and 25 as
    one class.")."""
    found = re.match(r"^(?:treat|consider|define|take|let|count|by) (?P<w>[a-z -]+?) (?:as|to be|"
                     r"to mean|be|is|means|mean) (?P<l>.+)$", sentence) or re.match(
        r"^(?P<w>[a-z -]+?) (?:includes?|means|is defined as|consists of|comprises|stands for)"
        r" (?P<l>.+)$", sentence)
    reversed_ = re.match(r"^(?:treat|count|consider|take|group|merge|combine|lump|regard|join) "
                         r"(?P<l>.+?) (?:together |jointly |combined )?(?:as|into) (?:one |a "
                         r"single |the same |a )?(?P<w>[a-z /-]+?)$", sentence)
    for m in (found, reversed_):
        if m is None:
            continue
        listed = r.targets.class_list(tokens(m["l"]))
        if listed is None or len(listed) < 2:
            continue
        word = m["w"].strip()
        if word in ("class", "category", "type", "class together", "group", "unit"):
            word = MERGED                      # "as one class": "that" refers to it
        return {r.vocabulary.find(word) or word: listed}
    return None


_SELECTING = re.compile(r"^(?:please\s+)?(?:first,?\s+|step one,?\s+)?(?:find|take|select|identify|"
                        r"count|consider|look at|keep|pick|extract|isolate|locate|get|map|mark|"
                        r"delineate|segment|detect|start with|focus on)\b")
_REFERRING = re.compile(r"\b(?:them|they|their|those|these|it|its|that|this|such)\b")


_BUFFER = re.compile(r"^(?:then |and |next )?(?:buffer|expand|grow|dilate|widen) (?P<x>.+?) "
                     r"(?:by|with|to|of|using) (?:a )?(?P<d>[\d.]+ (?:m|km|ft|yd|mi))"
                     r"(?: buffer| distance| radius)?$")
_IN_THE_BUFFER = re.compile(r"\b(?:inside|within|in|into|under|covered by) (?:(?:that|the|this|"
                            r"those|these|their|its) )?(?:buffer|buffers|buffered area|buffer zone|"
                            r"zone)\b")


def _buffered(sentences: list[str]) -> list[str]:
    """GIS steps said as such ("Select roads. Buffer them by 10 m. How much building area
    falls inside that buffer?"): the buffer is the ground within that distance of what was
    buffered, so the question reads "... within 10 m of roads"."""
    for k, sentence in enumerate(sentences):
        m = _BUFFER.match(sentence)
        if m is None or k + 1 >= len(sentences):
            continue
        what, before = m["x"], sentences[:k]
        if re.fullmatch(r"them|it|these|those|they|the result|that", what) and before and (
                picked := _SELECTING.sub("", before[-1]).strip()):
            what, before = picked, before[:-1]
        rest = [_IN_THE_BUFFER.sub(f"within {m['d']} of {what}", later)
                for later in sentences[k + 1:]]
        if rest != sentences[k + 1:]:
            return [*before, *rest]
    return sentences


def _joined_steps(sentences: list[str]) -> list[str]:
    """Sentences that select something and then ask about it ("Find the lakes over 1 ha. What
    area of grass lies within 50 m of them?") as one two-step sentence."""
    out = list(sentences)
    while len(out) > 1 and _SELECTING.match(out[0]) and _REFERRING.search(out[1]):
        out[:2] = [f"{out[0]}, then {out[1]}"]
    return out


_FOUR = (r"(?:(?:4|four)[- ]?(?:connectivity|connected|connection|neighbou?rs?(?:hood)?|"
         r"neighbou?r rule|adjacency)|(?:edge|side|orthogonal|rook'?s?)[- ](?:neighbou?rs?|"
         r"neighbou?rhood|adjacency|contiguity|case|connectivity)(?: only)?|(?:diagonals?|"
         r"diagonal (?:contacts?|neighbou?rs?|touches)) (?:do not|don't|does not) "
         r"(?:count|connect)|(?:not counting|without|ignoring|excluding) diagonal(?:s| contacts?| "
         r"neighbou?rs?| touches)?|only (?:edges|sides) (?:count|connect))")
_EIGHT = (r"(?:(?:8|eight)[- ]?(?:connectivity|connected|connection|neighbou?rs?(?:hood)?|"
          r"neighbou?r rule|adjacency)|queen'?s?[- ](?:case|contiguity|neighbou?rs?|"
          r"connectivity)|diagonals? (?:count|connect)|(?:counting|including|with) diagonal"
          r"(?:s| contacts?| neighbou?rs?| touches)?)")
_CONNECTIVITY = tuple(
    (re.compile(rf"(?:^|,?\s*\(?\s*|\s+)(?:(?:and |but )?(?:using|use|with|under|by|assuming|"
                rf"counting (?:with|by)|the usual|the default|the standard|usual|"
                rf"(?:when |if |are there when |are there if )?(?:counted|"
                rf"counting|you count them|we count them)(?: as| with| by| using)?|in|at|for|"
                rf"where|if|when|taking|treat(?:ing)? "
                rf"(?:objects|patches) as)\s+)?(?:the\s+|a\s+)?{pattern}(?:\s+(?:rule|definition|"
                rf"connectivity|adjacency|contiguity))?"
                rf"(?:\s*\([^)]*\))?\s*\)?"), n)
    for pattern, n in ((_FOUR, 4), (_EIGHT, 8)))


_NOT_THIS_CONNECTIVITY = re.compile(
    r",?\s*(?:instead of|rather than|and not|not) (?:the )?(?:usual |default )?(?:4|8|four|eight)"
    r"[- ]?(?:connectivity|connected|connection|neighbou?rs?)(?: one)?")


def _connectivity(sentences: list[str]) -> tuple[list[str], int | None]:
    """The pixel connectivity a question asks for ("using 4-connectivity (edge neighbours
    only)", "Use 8-connected patches."): the sentences without it, and 4, 8 or None."""
    found: set[int] = set()
    out = []
    for sentence in sentences:        # "4-connected instead of 8-connected": the one asked
        sentence = _NOT_THIS_CONNECTIVITY.sub("", sentence)
        for pattern, n in _CONNECTIVITY:
            sentence, hits = pattern.subn(" ", sentence)
            if hits:
                found.add(n)
        sentence = re.sub(r"\s+", " ", sentence).strip(" ,")
        if sentence and not re.fullmatch(r"(?:please )?(?:use|apply|assume|count with)?", sentence):
            out.append(sentence)
    if len(found) > 1:
        raise QuestionError("the question asks for both 4- and 8-connectivity: keep one")
    return out, (found.pop() if found else None)


def _merge_filters(a: tuple[Any, Any] | None, b: tuple[Any, Any] | None
                   ) -> tuple[Any, Any] | None:
    """Two whole-question size filters: both hold (the tighter bound of each side)."""
    if a is None or b is None:
        return a or b
    low = max((v for v in (a[0], b[0]) if v is not None), default=None)
    high = min((v for v in (a[1], b[1]) if v is not None), default=None)
    if low is not None and high is not None and low > high:
        raise QuestionError(f"the question keeps objects of at least {low:g} m² and at most "
                            f"{high:g} m², which no object can be: check the size filters")
    return low, high


_LEAVING = (r"(?:leaving out|leaving aside|leaving|leave out|leave|excluding|exclude|ignoring|"
            r"ignore|disregarding|disregard|not counting|without counting|without|apart from|"
            r"except for|setting aside|putting aside|omitting|omit|discounting|other than|"
            r"not including|besides|save for|outside of)")
_EXCLUSION = (
    re.compile(rf"^(?:when |if |after |while )?(?:we |you |i )?{_LEAVING}\s+(?P<x>[^,]+?)"
               r"(?:\s+(?:out|aside|away|from (?:it|the (?:count|calculation|analysis|image|"
               r"region|total)|of it|of this|of the analysis|of consideration)))?\s*,\s*"
               r"(?P<q>.+)$"),
    re.compile(rf"^(?P<q>.+?)\s*(?:,\s*|\(\s*)(?:but\s+|and\s+)?{_LEAVING}\s+(?P<x>.+?)"
               r"(?:\s+(?:out|aside|away))?\s*\)?$"),
    # an aside inside the question: "what share of the land (leaving water out) is urban?"
    re.compile(rf"^(?P<q1>.+?)\s*(?:\(\s*|,\s*)(?:but\s+|and\s+)?{_LEAVING}\s+(?P<x>[^,()]+?)"
               r"(?:\s+(?:out|aside|away))?\s*(?:\)\s*,?|,)\s*(?P<q2>.+)$"),
)
#: What is left of the region once classes are left out ("what fraction of the land ...").
_REST = re.compile(r"\b(?:of|in|across|over) (?:the )?(?:remaining |rest of |other |left )?"
                   r"(?:land|ground|rest|remainder|area|region|image|map|scene|pixels|"
                   r"remaining (?:land|area|ground|region|pixels)|"
                   r"what is left|what remains|land area|land surface|rest of (?:it|image|area|"
                   r"region|scene))\b(?! ?(?:that|which|within|near|inside|outside|farther|"
                   r"further|closer|more than|less than|beyond|around|along|adjacent|next|"
                   r"between|not|except|other than|apart|at least|at most|[\d.]+ ))")


#: "... is left" after an exclusion: what remains of the measured class once it is applied.
_LEFT = re.compile(r"\s+(?:is|are) (?:left|remaining|left over|still there)$|\s+(?:that )?"
                   r"remains?$")
#: A question about nothing but what is left ("what percentage of the map is left?").
_WHAT_IS_LEFT = re.compile(r"^(?P<q>(?:what|how much)(?: (?:%|percentage|share|fraction|"
                           r"proportion|part|portion|area))?(?: of it)? (?:is|are)) (?:left|"
                           r"remaining|left over)$")


_RANKED = re.compile(r"^(?:the |its |their )?(?:very )?(?:(?:\d+|one|two|three|four|five|six|"
                     r"seven|eight|nine|ten) )?(?:largest|biggest|greatest)(?: (?:\d+|two|three|"
                     r"four|five|six|seven|eight|nine|ten))?\s*")
_THE_REST = re.compile(r"\b(?:the )?(?:rest|others|remainder)\b(?: of (?:them|the \w+))?|"
                       r"\b(?:the )?remaining (?:ones|objects)\b|\bremaining\b")


def _the_rest(question: str, left_out: str) -> str:
    """A question after "ignoring the two largest buildings," with "the rest" / "the remaining
    ones" / "remaining" said of the same objects, the objects named again ("what is the
    average size of the buildings"): dropping the largest applies to them."""
    noun = re.sub(r"^(?:one|ones)$", "", _RANKED.sub("", left_out).strip())
    if not noun or not _THE_REST.search(question):
        return question
    return re.sub(r"\s+", " ", _THE_REST.sub(lambda m: "" if m[0] == "remaining" else noun,
                                              question)).strip()


#: What the question measures once classes are left out, said as "everything else".
_ELSE = re.compile(r"\b(?:everything|anything|all) else(?: (?:combined|together|put together|"
                   r"taken together))?\b|\ball (?:the )?other (?:classes|land covers?|cover types|"
                   r"categories)(?: (?:combined|together))?\b")


def _exclusion(text: str, r: Reader) -> str:
    """A clause that leaves classes or the largest objects out ("leaving the sea out,
    what fraction of the land is urban?", "... not counting the two largest lakes"): the
    text without it; the reader's document excludes the classes from every mask, or its
    target reader drops the largest objects of every measured target."""
    for pattern in _EXCLUSION:
        m = pattern.match(text)
        if m is None:
            continue
        question = m["q"] if "q" in m.groupdict() else f"{m['q1']} {m['q2']}"
        x = re.sub(r"\b(?:the )?(?:no[- ]?data|nodata|missing data)(?: areas?| pixels?| regions?"
                   r"| values?)?(?:\s*,|\s+and)?\s*", "", m["x"]).strip(" ,")
        if not x:                                  # no data is never in the region
            return question.strip(" ,")
        words = tokens(x)
        largest = read_largest_exception(words, 0, lead=False, reader=r.targets)
        if largest is not None and largest[1] == len(words):
            r.targets.drop_largest = largest[0]
            named = next((found[0] for k in range(len(words))
                          if (found := r.targets.class_at(words, k)) is not None
                          and isinstance(found[0], dict)), None)
            if named is not None:   # "not counting the biggest water body, ... the remaining water"
                r.targets.drop_largest_class = named.get("class", named.get("code"))
            return _the_rest(_LEFT.sub("", question), x).strip(" ,")
        listed = r.targets.class_list([w for w in words if w not in ("the", "all", "any")])
        if not listed or any(w in OBJECT_WORDS for w in words) and len(listed) == 0:
            continue
        if _WHAT_IS_LEFT.match(question):     # "excluding A and B, what share is left?"
            return f"{_WHAT_IS_LEFT.match(question)['q']} everything except {x}"
        if _ELSE.search(question):              # "apart from A, what share is everything else"
            return _ELSE.sub(f"everything except {x}", question, count=1)
        question = _LEFT.sub("", question)
        ids = list(dict.fromkeys(r.targets._mask_id(p) for p in listed))
        left = ids[0] if len(ids) == 1 else r.doc.add("_or_".join(ids), "union", of=ids)
        r.doc.exclude = left
        r.doc.note("the classes the question leaves out are taken out of the region: shares "
                   "are of what remains")
        return _REST.sub("", question).strip(" ,")
    return text


_Family = Callable[[Reader, str], "dict[str, Any] | None"]
#: The question frames, most specific first.
_FAMILIES: tuple[_Family, ...] = (change, crossing, connectivity, distance_stats, ratios,
                                  density, comparison,
                                  fragmentation, distance, share, object_size, area, count)


# --- two-step questions --------------------------------------------------------------------------

_STEP_VERBS = (r"(?:calculate|compute|find|determine|measure|report|give|tell|work out|count|"
               r"get|return|estimate|say|figure out|quantify|sum|add up|check|provide)")
_TWO_STEP = re.compile(
    r"^(?:please\s+)?(?:first,? |step one,? )?(?:find|identify|select|take|locate|detect|count|"
    r"consider|considering|get|extract|segment|isolate|look at|keep|pick|mark|map|delineate)"
    r"\s+(?:all |every |each |only )?"
    rf"(?P<x>.+?)(?:\s*[,;:]?\s+(?:and\s+)?then,?\s+|\s*,?\s+and\s+(?={_STEP_VERBS}\b)|"
    rf"\s*[,:]\s+(?:step two,?\s+)?(?=(?:how|what|which|{_STEP_VERBS})\b))"
    r"(?P<y>.+)$")
_PRONOUNS = (
    (r"\b(?:their|its|those patches'|these patches'|these objects'|those objects') "
     r"(?:total |combined |overall )?(?:area|areas|surface|extent|size|sizes)\b", REFERENCE),
    (r"\b(?:that|this)\b(?=\s*$|\s*,)", REFERENCE),          # "how big is that?"
    (r"\b(?:these|those|them|they|it|the selected|selected|found|such)"
     r"(?: (?:patches|objects|regions|areas|ones|polygons|parcels|features|bodies|pixels))?\b",
     REFERENCE),
    (r"\b(?:their|its)\b", REFERENCE),
)


_TOPIC = (
    re.compile(r"^(?:of|among|amongst|for|considering|taking|regarding|looking at|out of) "
               r"(?:all |only |just )?(?P<x>.+?)\s*[,:]\s*(?P<q>(?!how many\b|how much\b|"
               r"what (?:%|(?:percentage|percent|share|fraction|proportion|part|portion)\b))"
               r"(?:what|how|which|is|are|do|does|give|calculate|compute|find|tell|report).+)$"),
    re.compile(r"^(?P<x>[^:]+?)\s*:\s*(?P<q>(?:what|how|which|is|are|do|does|give|calculate|"
               r"compute|find|tell|report).+)$"),
)
#: A fronted topic compared within itself ("Among the code 23 patches, are there more small
#: ones than big ones?", "Forest patches: are there more small ones than large ones?").
_TOPIC_ONES = re.compile(
    r"^(?:(?:of|among|amongst|for|considering|regarding|looking at) (?:all |the )?)?(?P<x>[^,:]+?)"
    r"\s*[,:]\s*(?P<q>(?:are there|is there|do|does|are|is) .*\bones\b.*)$")
#: A fronted topic before any question that refers back to it with "their"/"them".
_TOPIC_REFERRED = re.compile(
    r"^(?:of|among|amongst|for|considering|taking|regarding|looking at|out of) (?:all |only |"
    r"just )?(?P<x>.+?)\s*[,:]\s*(?P<q>(?:what|how|which|is|are|do|does)\b.*\b(?:their|them|"
    r"they|those|these)\b.*)$")
#: "the biggest patch of code 2 - how big is it?": the measure of the fronted target
_TOPIC_SIZE = re.compile(r"^(?P<x>[^,:]+?)\s*[,:]\s*(?:how (?:big|large|extensive) (?:is|are) "
                         r"(?:it|they|that)|what (?:is|are) (?:its|their) (?:size|area|extent))$")
#: "Among the forest patches, what share is larger than 10 ha?": a share of the topic
_TOPIC_SHARE = re.compile(r"^(?:of|among|amongst|out of) (?:all |the )?(?P<x>[^,:]+?)\s*[,:]\s*"
                          r"(?:what|which) (?P<s>share|percentage|%|proportion|fraction) "
                          r"(?P<rest>(?:is|are|lie|lies|fall|falls) .+)$")
#: "X: how many (are larger than 2 ha)?", "X: total area in km2?", "X: how many hectares?"
_TOPIC_MEASURE = (
    (re.compile(r"^(?P<x>[^:]+?)\s*:\s*how many (?P<u>m2|ha|km2|ft2|yd2|mi2|acre)"
                r"(?: (?:are there|is that|do they cover|in total))?$"),
     lambda m: f"how many {m['u']} of {m['x']}"),
    (re.compile(r"^(?P<x>[^:]+?)\s*:\s*how many(?: of (?:them|these|those))?(?: (?:are|is|lie|"
                r"sit|fall|have|has|do|does))?(?P<rest>(?: .+)?)$"),
     lambda m: (f"find {m['x']}, then how many of them are{m['rest']}"
                if m["rest"] and re.search(r"\b(?:that|which|within|farther|further|beyond|"
                                           r"adjacent|touching|near)\b", m["x"])
                else f"how many {m['x']}{m['rest']}")),
    (re.compile(r"^(?P<x>[^:]+?)\s*:\s*(?:what is |the )?(?P<m>(?:total |combined |overall )?"
                r"(?:area|extent|share|percentage|%|number|count|coverage|fraction|proportion|"
                r"largest patch index|mean patch size|patch density|edge density|number of "
                r"patches|(?:average|mean) (?:size|area)|size of (?:the )?(?:largest|biggest|"
                r"smallest) (?:one|patch)))$"),
     lambda m: f"what is {m['m']} of {m['x']}"),
)


def _topic(text: str) -> str:
    """A fronted topic the question is about ("Among forest patches over 1 ha, what is the
    mean patch size?", "Everything except code 12: what is its area?") as two steps."""
    for pattern, rewrite in _TOPIC_MEASURE:
        if (m := pattern.match(text)) is not None:
            return rewrite(m)
    if (m := _TOPIC_SIZE.match(text)) is not None:    # "the mean size of X, how big is it?"
        measured = re.match(r"(?:mean|average|median|total|combined|overall)? ?(?:size|area|"
                            r"extent)\b", m["x"])
        return f"what is {m['x']}" if measured else f"how big is {m['x']}"
    if (m := _TOPIC_SHARE.match(text)) is not None:   # "Among X, which share is Y?"
        return f"what {m['s']} of {m['x']} {m['rest']}"
    if (m := _TOPIC_ONES.match(text)) is not None:   # "Forest patches: are there more small
        x = re.sub(r"^(?:the |all )", "", m["x"])   # ones than big ones?"
        return re.sub(r"\bones\b", x, m["q"])
    for pattern in _TOPIC:
        m = pattern.match(text)
        if m is None and pattern is _TOPIC[0]:
            m = _TOPIC_REFERRED.match(text)     # "Of X, what share of their area ...?"
        if m is None:
            continue
        x = re.sub(r"\s+(?:together|combined|jointly|taken together)$", "", m["x"])
        q = m["q"]
        if not re.search(r"\b(?:them|they|their|those|these|it|its|such)\b", q):
            if pattern is _TOPIC[1]:
                continue           # "Connected or fragmented: which describes the forest?"
            q = f"{q} of them"
        return f"find {x}, then {q}"
    return text


def _two_step(r: Reader, text: str) -> dict[str, Any] | None:
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
    # "what fraction of all shrub/scrub is that?": the share of the class the selection is
    referred = re.sub(rf"^what (?:is )?(?P<m>share|fraction|percentage|proportion|%|part|"
                      rf"percent) of (?P<c>.+?) (?:is|are) {REFERENCE}$",
                      rf"of \g<c>, what \g<m> is {REFERENCE}", referred)
    referred = re.sub(rf"^(?:what is )?(?:total |combined |overall )?{REFERENCE}$",
                      f"what is area of {REFERENCE}", referred)
    child = Reader(r.vocabulary, r.unit, reference=first.mask, doc=r.doc)
    child.targets.definitions = r.targets.definitions
    return _read(child, reframe(referred))


def _read(r: Reader, text: str) -> dict[str, Any]:
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

#: "..., i.e. <the measure in other words>": the user's own explanation of what they ask.
_EXPLAINED = re.compile(r"\s*(?:,|\(|--?)\s*(?:i\.?\s?e\.?|that is(?: to say)?|in other words|"
                        r"meaning|which means|defined as|by which i mean)\s*,?\s+"
                        r"(?P<y>[^()?;]+?)\s*\)?\s*(?=[?!]|\.\s|\.?$)", re.IGNORECASE)


#: Words people misspell that are no class ("seperate").
_MISSPELT = {"seperate": "separate", "seperated": "separated", "wich": "which", "teh": "the",
             "lenght": "length", "distence": "distance", "aera": "area", "ammount": "amount",
             "percantage": "percentage", "precentage": "percentage", "porportion": "proportion",
             "neighbor's": "neighbour's", "adjecent": "adjacent", "ajacent": "adjacent",
             "largets": "largest", "bigest": "biggest", "smalest": "smallest",
             "avrage": "average", "avarage": "average", "averge": "average", "meadian": "median",
             "tottal": "total", "totla": "total", "numbr": "number", "hwo": "how",
             "waht": "what", "bulding": "building", "buidling": "building",
             "buidings": "buildings", "buldings": "buildings", "builidngs": "buildings"}


def _respelt(question: str, vocabulary: Vocabulary) -> tuple[str, list[str]]:
    """The question with common misspellings and class words one letter away from exactly one
    class word of the vocabulary corrected ("decidous" -> "deciduous"), and what was read as
    what."""
    known: set[str] = set()
    for name in (*vocabulary.names, *vocabulary.words()):
        known.update(re.findall(r"[a-z]+", name.lower()))
    fixed: list[str] = []

    def fix(m: re.Match[str]) -> str:
        word = m[0]
        lower = word.lower()
        if lower in _MISSPELT:
            fixed.append(f"'{word}' as '{_MISSPELT[lower]}'")
            return _MISSPELT[lower]
        if len(lower) < 6 or lower in known:
            return word
        close = [k for k in known if len(k) >= 6 and _one_edit(lower, k)]
        if len(close) != 1:
            return word
        fixed.append(f"'{word}' as '{close[0]}'")
        return close[0]

    return re.sub(r"[A-Za-z]+", fix, question), fixed


def _one_edit(a: str, b: str) -> bool:
    """Whether two words differ by one insertion, deletion, substitution or swap of
    neighbouring letters."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long = sorted((a, b), key=len)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1:]


def plan_question(question: str, *, vocabulary: Vocabulary | None = None) -> Plan:
    """The validated plan that answers an English quantitative question about a region.
    (See :func:`_plan_question`.) Where the words cannot all be read, two readings are tried,
    each written in the plan's notes: misspelt words one letter from exactly one known word
    ("decidous"), and a question that explains itself with "i.e." read by its explanation."""
    if not isinstance(question, str) or len(question) > MAX_QUESTION_CHARS:
        return _plan_question(question, vocabulary=vocabulary)      # refused at once
    try:
        return _explained_plan(question, vocabulary)
    except (QuestionError, ClassNameError) as error:
        respelt, fixed = _respelt(question, vocabulary or Vocabulary())
        if not fixed:
            raise
        try:
            plan = _explained_plan(respelt, vocabulary)
        except (QuestionError, ClassNameError):
            raise error from None
        note = f"read {', '.join(fixed)} (a misspelling one letter from a known word)"
        return replace(plan, question=question.strip(), notes=(*plan.notes, note))


def _explained_plan(question: str, vocabulary: Vocabulary | None) -> Plan:
    try:
        return _plan_question(question, vocabulary=vocabulary)
    except (QuestionError, ClassNameError) as error:
        found = _EXPLAINED.search(question) if isinstance(question, str) else None
        if found is None:
            raise
        explanation = found["y"].strip()
        rest = question[found.end():].lstrip("?.!")
        owner = re.search(r"\b(?:of|for) (?:the )?(?P<x>[A-Za-z ,/()-]+?)\s*$",
                          question[:found.start()])
        if owner is not None:    # "the LPI of shrubland, i.e. its biggest patch as a % of ..."
            explanation = re.sub(
                r"\b(?:its|their) (?P<k>(?:single )?(?:largest|biggest|smallest|total|combined) )?"
                r"(?P<n>patch|patches|area|extent|cover)\b",
                lambda w: f"{w['k'] or ''}{owner['x']} {w['n']}", explanation)
        readings = []
        predicate = re.search(r"\b(?:are|is|were|was) (?:[a-z-]+ ){0,2}[a-z-]+\s*$",
                              question[:found.start()])
        if predicate is not None:    # "how many buildings are flooded, i.e. touch water?"
            verb = "are " if re.match(r"(?i)(?:within|inside|near|adjacent|next|farther|further|"
                                      r"more|less|over|under|larger|smaller|bigger|at)\b",
                                      explanation) else ""
            readings.append(f"{question[:predicate.start()]}{verb}{explanation}?{rest}")
        if not re.match(r"(?i)(?:what|how|which|is|are|do|does)\b", explanation):
            explanation = f"what is {explanation}"
        readings.append(f"{explanation}?{rest}")
        for rewritten in readings:
            try:
                plan = _plan_question(rewritten, vocabulary=vocabulary)
                break
            except (QuestionError, ClassNameError):
                continue
        else:
            raise error from None
        note = (f"read the question by its own explanation ('{found[0].strip(' ,(')[:80]}'): "
                f"'{found['y'].strip()[:120]}'")
        return replace(plan, question=question.strip(), notes=(*plan.notes, note))


def _plan_question(question: str, *, vocabulary: Vocabulary | None = None) -> Plan:
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
        raise QuestionError(f"a question must be a non-empty string, not {question!r:.80}")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"the question is {len(question):,} characters long; questions are "
                            f"at most {MAX_QUESTION_CHARS:,}: ask one question at a time")
    vocabulary = vocabulary or Vocabulary()
    question_read = _legend_commas(question, vocabulary)
    words = split_words(question_read, lambda word: vocabulary.find(word) is not None)
    reader = Reader(vocabulary, words.unit)
    sentences = list(words.sentences)
    defined: dict[Any, list[Any]] = {}
    while len(sentences) > 1 and (found := _defining_sentence(sentences[0], reader)):
        defined.update(found)             # "Treat natural land as forest ... . What share ..."
        sentences.pop(0)
        if MERGED in found:               # "... as one class. How many patches does that give?"
            sentences[0] = re.sub(r"\b(?:that|it|this|they|them|those|these)\b", MERGED,
                                  sentences[0], count=1)
    sentences, connectivity = _connectivity(sentences)
    if not sentences:
        raise QuestionError(f"cannot plan {question.strip()[:200]!r}: it only states a "
                            "connectivity; ask a question too")
    sentences = _joined_steps(_buffered(sentences))
    if len(sentences) > 1 and (left := _LEAVE_OUT_FIRST.match(sentences[0])) and \
            _whole_question_filter(sentences[0])[1] is None:
        sentences = [f"leaving out {left['x']}, {sentences[1]}", *sentences[2:]]
    main, *extra = sentences
    main, size_filter = _bracketed_filters(_kept_referent(_other_than_one(main)))
    main, found = _whole_question_filter(main)
    size_filter = _merge_filters(size_filter, found)
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
    main = _exclusion(main, reader)
    reader.targets.definitions.update(definitions)
    try:
        main = _topic(main)
        document = _two_step(reader, main) or _read(reader, reframe(main))
    except _Unread:
        raise _unsupported(question, main) from None
    said = normalise_units(question)
    if (_OF_THE_IMAGE.search(said) or _NO_DATA_INCLUDED.search(said)) and \
            not _NO_DATA_EXCLUDED.search(said):
        document = _of_the_image(document)
    if words.set_aside:
        document = {**document, "notes": [
            *document.get("notes", ()), "set aside as asking nothing new (the scene's name, a "
            "label, context, or a rule geoquant applies anyway), not as a condition: "
            f"{'; '.join(repr(part) for part in words.set_aside)}"]}
    if connectivity is not None:
        document = {**document, "connectivity": connectivity}
        if connectivity == 4:
            document.setdefault("notes", []).append(
                "objects, groups and touching use 4-connectivity (edge neighbours only), as "
                "the question asks")
    return validate({**document, "question": question.strip()}, vocabulary=vocabulary)


#: "of the image": a share of every pixel, no data included (else of the pixels with data).
_OF_THE_IMAGE = re.compile(r"(?<!edge )(?<!edges )(?<!border )(?<!margin )\b(?:of|in|across) "
                           r"(?:the |this |that )?(?:(?:whole|entire|full|"
                           r"complete) (?:image|picture|photo|map|raster|tile|scene|frame)|"
                           r"image|picture|photo)\b")


_NO_DATA_INCLUDED = re.compile(r"\b(?:(?:no[- ]?data|nodata) (?:pixels |areas? |cells )?"
                               r"(?:included|counted|too|as well)|(?<!not )(?:including|counting|"
                               r"with) (?:the |its |their )?(?:no[- ]?data|nodata))\b")
#: "not counting no-data", "excluding nodata": the pixels with data, even "of the image".
_NO_DATA_EXCLUDED = re.compile(r"\b(?:not counting|not including|excluding|ignoring|without|"
                               r"leaving out|minus|apart from|except) (?:the |any )?(?:no[- ]?data|"
                               r"nodata|missing data)\b|\b(?:no[- ]?data|nodata)(?: pixels| areas?"
                               r"| cells)? (?:excluded|not counted|left out|ignored)\b")


#: "Ignore the biggest vegetation area. What is the total of the rest?": an exclusion first.
_LEAVE_OUT_FIRST = re.compile(r"^(?:please )?(?:ignore|exclude|leave out|disregard|set aside|"
                              r"drop|remove|skip|forget(?: about)?|do not count|not counting) "
                              r"(?P<x>.+?)(?: out)?$")


def _legend_commas(question: str, vocabulary: Vocabulary) -> str:
    """The question with the commas inside the legend's own names taken out ("Developed, Low
    Intensity" -> "Developed Low Intensity"), so that they do not split its clauses."""
    for name in vocabulary.classes:
        plain = name.replace(",", "")
        if "," in name and vocabulary.find(plain) == name:
            question = re.sub(re.escape(name).replace(r"\ ", r"\s*"), plain, question,
                              flags=re.IGNORECASE)
    return question


def _of_the_image(document: dict[str, Any]) -> dict[str, Any]:
    """A plan whose shares of the region are shares of the whole image; where the question
    leaves classes out ("Leaving the water out, what share of the image is buildings?"), of
    the image without them."""
    if any(step["op"] == "excluding" for step in document["steps"]):
        return {**document, "notes": [
            *document.get("notes", ()), "'of the image' with classes left out: the share is of "
            "the image without those classes (and without no-data pixels)"]}
    steps = []
    for step in document["steps"]:
        if step["op"] == "share" and "within" not in step:
            step = {**step, "denominator": "image"}
        steps.append(step)
    notes = list(document.get("notes", ()))
    notes.append("'of the image' counts every pixel of the image, no-data pixels included, "
                 "in the denominator")
    return {**document, "steps": steps, "notes": notes}


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
