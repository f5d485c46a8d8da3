"""What people write around a question that asks nothing: the name of the scene ("In the
Nigeria chip", "Lausanne 2012:"), a homework label ("Q4:"), who it is for ("For the fire
service:"), statements of context ("Residents complain the houses are packed too tight."),
and restatements of the default that no-data pixels are left out.

Each rule reads normalised sentences (:func:`geoquant.reason.reading._phrases.split_words`) and
sets a part aside only when it names no class, no number and no word that could restrict the
answer (an exclusion, a relation, a size, a reference); every part set aside is written in the
plan's notes. Anything else stays in the question, so it is read or refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Nouns that name the raster itself, not a class ("the Mekong chip", "the Zion land cover map").
RASTER_NOUN = (r"(?:land[- ]?(?:cover|use)(?: map| raster| layer| product| data| classification)?"
               r"|(?:hand[- ]?|flood )?labels?(?: map| raster| image| layer)?|label(?:l?ed)? "
               r"(?:map|raster|image|layer)|chip|map|tile|raster|image|imagery|picture|photo|"
               r"photograph|scene|mosaic|mask|event|dataset|data set|layer|file|lot|plot|parcel|"
               r"orthophoto|subset|extract|cutout|frame)")

#: Words that describe a raster rather than name a class ("flood label", "NLCD map").
_DESCRIPTORS = frozenset(
    "flood flooding hand land cover use label labels labelled labeled lulc nlcd sar s1 s2 "
    "sentinel sentinel-1 sentinel-2 landsat aerial satellite drone ortho simplified "
    "full-legend full legend 8-class 16-class classified reference ground truth again too "
    "new old original given first second third last other".split())

#: Words that may restrict or relate what is measured: a part holding one is never set aside.
_RESTRICTING = frozenset(
    "except excluding exclude excluded not no non only without ignore ignoring leave leaving "
    "count counting include including treat consider assume define defined mean means meaning "
    "use using keep drop remove merge combine them those these they each every per all any "
    "none connectivity connected neighbour neighbor neighbours neighbors largest biggest "
    "smallest above below larger smaller bigger than within near nearest far farther further "
    "away close closer distance from adjacent touch touching inside outside along between "
    "around beyond least most more less over under apart besides pixel "
    "pixels cell cells patch patches object objects".split())

_QUESTION_START = re.compile(
    r"^(?:what|how|which|is|are|was|were|do|does|did|can|could|would|will|where|whether|"
    r"count|find|give|tell|calculate|compute|report|estimate|determine|measure|list|take|select|"
    r"consider|look|ignore|exclude|leave|only|then|now|next|and|but|also|use|treat|assume|"
    r"buffer|keep|drop|remove|merge|combine|include|identify|get|show|return|sum|add|subtract|"
    r"divide|express|answer|reply|round|state|provide|name|in|of|among|out|within|total|share|"
    r"percentage|%|number|area|size|mean|average|distance|first|second|step|let|let's|suppose|"
    r"imagine|given|there|(?:i|we) (?:want|need|would like|'d like))\b")

#: Words of a measurement: a sentence holding one asks or restates what is measured.
_MEASURE = frozenset("percentage percent share fraction proportion area areas number count total "
                     "size sizes distance distances mean average median how what which many "
                     "much".split())

#: "Q4:", "Homework Q1.", "Question 3 -": a label before or instead of a sentence.
_LABEL = re.compile(r"^(?:(?:homework|exercise|assignment|quiz|exam|task|problem|question|part)"
                    r"\s*)?(?:q|question|exercise|task|problem|part|no)?\s*\d+[a-z]?\s*[):.-]?$")
_LABEL_PREFIX = re.compile(r"^(?:(?:homework|exercise|assignment|quiz|exam)\s+)?(?:q|question|"
                           r"exercise|task|problem|part)\s*\d+[a-z]?\s*[):.,-]\s*")

IsClass = Callable[[str], bool]


def _tokens(text: str) -> list[str]:
    return re.findall(r"[\w'/-]+|%", text)


def _names_nothing(tokens: list[str], is_class: IsClass) -> bool:
    """True when no token, nor two or three tokens together, is a class word or restricts."""
    words = [t for t in tokens if t not in _DESCRIPTORS]
    if any(t in _RESTRICTING or t.startswith("non-") for t in words) or \
            re.search(r"\b(?:code|class|value)\s+\d", " ".join(tokens)):
        return False
    for size in (3, 2, 1):
        for start in range(len(words) - size + 1):
            if is_class(" ".join(words[start:start + size])):
                return False
    return True


def _names_a_raster(tokens: list[str]) -> bool:
    """A scene's name: an identifier (digits, underscores), a descriptor or a raster noun."""
    return any(re.search(r"\d|_", t) or t in _DESCRIPTORS or re.fullmatch(RASTER_NOUN, t)
               for t in tokens)


def scene_only(sentence: str, is_class: IsClass) -> bool:
    """True for a sentence that only names the scene: "Nigeria event", "Spain_7370579 again",
    "Pakistan flood label", "Homework Q1"."""
    if _LABEL.match(sentence):
        return True
    if re.fullmatch(r"\(?\s*(?:in |as )?(?:m2|ha|km2|km|m|ft2|yd2|mi2|acre|ft|yd|mi|%)\s*\)?",
                    sentence):
        return False                  # the answer's unit, read by the caller
    tokens = _tokens(sentence)
    if not tokens or len(tokens) > 6 or re.search(r"\d+(?:\.\d+)? ?(?:m2|ha|km2|km|m|ft2|yd2|mi2|"
                                                   r"acre|ft|yd|mi|%)\b", sentence):
        return False
    return _names_a_raster(tokens) and _names_nothing(tokens, is_class) and \
        not _QUESTION_START.match(sentence)


def statement(sentence: str) -> bool:
    """True for a statement of context that restricts nothing ("residents complain the houses
    are packed too tight", "we worry about fire risk at the interface"): no number, no
    question or instruction, no word that could restrict the answer. Class words are allowed:
    saying the houses are packed asks nothing about them."""
    if re.search(r"\d|^\(", sentence) or _QUESTION_START.match(sentence):
        return False
    tokens = _tokens(sentence)
    return len(tokens) >= 3 and not any(t in _RESTRICTING or t in _MEASURE or
                                        t.startswith("non-") for t in tokens)


#: Words never part of a scene's name: prepositions, articles and units.
_NOT_A_NAME = (r"(?:in|on|of|for|at|to|by|with|from|into|as|and|or|a|an|is|are|m2|ha|km2|km|m|"
               r"ft2|yd2|mi2|acre|ft|yd|mi|%)")
_NAMED_SCENE = re.compile(
    rf",?\s*\b(?:in|on|of|for|across|over|from|throughout|inside)\s+(?:this\s+|that\s+|my\s+|"
    rf"our\s+|your\s+|these\s+)?(?P<n>(?:(?!{_NOT_A_NAME}\b)[\w'/-]+\s+){{0,4}}?)"
    rf"(?P<k>{RASTER_NOUN})\b(?!\s+(?:edge|border|boundary|margin|side|corner|centre|center))"
    r"(?:\s+again)?")


#: Raster nouns the filler of :mod:`._phrases` does not take away on their own ("this lot").
_PLAIN_NOUNS = frozenset({"lot", "plot", "parcel", "event", "orthophoto", "cutout", "extract",
                          "subset", "mosaic", "dataset", "data set", "layer", "file"})


#: Capitalised words that name times, never scenes ("on Tuesdays", "in March").
_CALENDAR = frozenset("monday tuesday wednesday thursday friday saturday sunday january february "
                      "march april may june july august september october november december "
                      "spring summer autumn fall winter christma easter weekend weekday".split())


def proper_names(question: str, is_class: IsClass) -> set[str]:
    """Names of places and scenes in the question as written: identifiers ("Spain_7370579")
    and capitalised words inside a sentence ("the Pakistan water bodies") that are no class
    word alone or with their neighbours; lower case."""
    names = set()
    words = re.findall(r"[\w'/-]+|[.?!:;]", question)
    for k, word in enumerate(words):
        identifier = re.fullmatch(r"[A-Za-z]+_\d+|[A-Za-z]+_[A-Za-z0-9_]+", word)
        capital = k > 0 and words[k - 1] not in ".?!:;" and re.fullmatch(r"[A-Z][a-z]{2,}", word)
        if not (identifier or capital):
            continue
        low = word.lower()
        if _QUESTION_START.match(low) or low in _MEASURE or low.rstrip("s") in _CALENDAR:
            continue                  # "(GSD: 0.5m) How many ...", "on Tuesdays": not a place
        near = [w.lower() for w in words[max(0, k - 3):k + 4] if w not in ".?!:;"]
        spans = [" ".join(near[i:j]) for i in range(len(near)) for j in range(i + 1, len(near) + 1)
                 if low in near[i:j] and j - i <= 4]
        if not any(is_class(span) for span in spans) and low not in _RESTRICTING and \
                low not in _DESCRIPTORS and not _near_a_class_word(low, near, is_class):
            names.add(low)
    return names


def _near_a_class_word(word: str, near: list[str], is_class: IsClass) -> bool:
    """Whether a word is one letter from making a class with its neighbours ("Decidous
    Forest"): a misspelt class word, read by the planner's respelling, never a name."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    edits = {word[:i] + word[i + 1:] for i in range(len(word))} | \
        {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in letters} | \
        {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in letters}
    index = near.index(word) if word in near else -1
    after = near[index + 1] if 0 <= index < len(near) - 1 else ""
    return any(is_class(e) or (after and is_class(f"{e} {after}")) for e in edits
               if len(e) >= 4)


def without_names(sentence: str, names: set[str]) -> str:
    """The sentence without the scene names of :func:`proper_names`: "in spain_7370579",
    "of the mapped lausanne area", "the pakistan water bodies"."""
    if not names:
        return sentence
    name = "(?:" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + ")"
    sentence = re.sub(rf",?\s*\b(?:in|on|for|of|from|across|over|at)\s+(?:the\s+|this\s+)?"
                      rf"(?:mapped\s+|whole\s+|entire\s+)?{name}(?:\s+{name})*"
                      rf"(?:\s+(?:area|region|site|scene))?\b(?=\s*(?:,|$|in\b|as\b|\())", " ",
                      sentence)
    sentence = re.sub(rf"\b{name}(?:\s+{name})*\s+(?=[a-z])", "", sentence)
    return re.sub(r"\s+", " ", sentence).strip(" ,")


#: "... does the Zion 2012 map show?": the scene as the subject of the sentence's last verb.
_SCENE_SHOWS = re.compile(
    rf"\s+(?:does|do|did|can|will) (?:this\s+|that\s+|my\s+|our\s+)?(?P<n>(?:(?!{_NOT_A_NAME}\b)"
    rf"[\w'/-]+\s+){{0,4}}?)(?P<k>{RASTER_NOUN}) (?:show|have|contain|hold|depict|display|"
    r"include|cover|record)$")


def bracketed_class(sentence: str, is_class: IsClass) -> str:
    """A class written with its gloss in brackets: "land (unpaved)" is the legend's "land
    (unpaved area)" when "unpaved land" names a class, never the word "land" and an aside."""
    def named(found: re.Match[str]) -> str:
        joined = f"{found['y']} {found['x']}"
        return joined if is_class(joined) else found[0]

    # not "developed land (developed)": a bracket that repeats the word before is an aside
    return re.sub(r"\b(?P<x>[a-z]+)\s*\(\s*(?P<y>[a-z]+)\s*\)", lambda m: m[0] if re.search(
        rf"\b{m['y']}\s+$", sentence[:m.start()]) else named(m), sentence)


def scene_names(sentence: str, is_class: IsClass) -> tuple[str, list[str]]:
    """The sentence without the scene names in it, and what was set aside.

    "how many separate water bodies are in mekong label" -> "how many separate water
    bodies are"; "lausanne 2012: how many ha are code 12" -> "how many ha are code 12".
    """
    aside = []
    if found := _LABEL_PREFIX.match(sentence):
        aside.append(found[0].strip(" :.,-"))
        sentence = sentence[found.end():]
    prefix = re.match(r"^(?P<p>[^:]{1,60}?)\s*:\s*(?P<rest>\S.*)$", sentence)
    if prefix and _names_nothing(_tokens(prefix["p"]), is_class):
        aside.append(prefix["p"])
        sentence = prefix["rest"]
    elif (lead := re.match(r"^(?P<p>[\w'/-]+(?:\s+[\w'/-]+){0,4}?)\s*,\s*(?P<rest>\S.*)$",
                           sentence)) and _names_a_raster(_tokens(lead["p"])) and \
            _names_nothing(_tokens(lead["p"]), is_class) and \
            not _QUESTION_START.match(lead["p"]):
        aside.append(lead["p"])      # "mekong_333434 hand label, what % ..."
        sentence = lead["rest"]

    def named(found: re.Match[str]) -> str:
        tokens = _tokens(found["n"])
        if _names_nothing(tokens, is_class) and (tokens or found["k"] in _PLAIN_NOUNS):
            aside.append(found[0].strip(" ,"))
            return " "
        return found[0]

    sentence = _NAMED_SCENE.sub(named, sentence)
    sentence = _SCENE_SHOWS.sub(named, sentence)
    return re.sub(r"\s+", " ", sentence).strip(" ,"), aside


#: "Leave the no-data pixels out.", "Ignore the -1 (no data) cells.": the default, said again.
NO_DATA_LEFT_OUT = re.compile(
    r"^(?:and\s+)?(?:please\s+)?(?:(?:leave|leaving|ignore|ignoring|exclude|excluding|skip|"
    r"skipping|drop|dropping|disregard|omit|omitting|do not count|not counting|without|remove|"
    r"removing)\s+(?:out\s+)?(?:all\s+|any\s+)?(?:-?\d+\s*)?\(?\s*(?:no[- ]?data|nodata|"
    r"missing(?: data)?)\s*\)?(?:\s+(?:pixels|cells|areas?|values|data|strip|parts?|"
    r"regions?))?(?:\s+out)?|(?:no[- ]?data|nodata)(?:\s+(?:pixels|cells|areas?|values))?\s+"
    r"(?:excluded|left out|ignored|not counted|removed))$")
