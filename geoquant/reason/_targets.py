"""Targets: what a question measures, read from its words into mask steps.

A target is a phrase such as "vegetation (forest, agricultural, or rangeland) patches larger
than 2 ha within 200 m of water bodies but more than 100 m from urban areas". It is read left to
right as parts that combine freely:

- **classes**: the longest run of words the vocabulary knows ("water bodies", "barren land",
  "road network"), a class code ("code 12"), a union ("forest or grass", "forest, grass and
  cropland"), or a broad word defined by a list in brackets ("vegetation (forest,
  agricultural, or rangeland)": the list is the union);
- **object words** ("patches", "regions", "bodies"), adjectives that say the same
  ("separate", "individual"), and words that add nothing ("land", "cover");
- **size filters** on whole objects: larger/smaller than, at least/at most, between, over,
  under, also in brackets ("(larger than 0.01 hectares)");
- **relations** to other targets: within, farther than, more/less than, at least/at most, beyond
  a distance of; adjacent to, touching, bordering; each negated with "not"; chained with
  "and", "but" or commas.

Every word must be read: what is left over is the caller's to read or to refuse by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from geoquant.errors import ClassNameError, QuestionError
from geoquant.reason._ops import AREA_UNITS, LENGTH_UNITS
from geoquant.reason._phrases import area_m2, length_m
from geoquant.reason._plan import PLAN_VERSION
from geoquant.segment import Vocabulary

#: The word that stands for what the first step of a two-step question found.
REFERENCE = "⟨x⟩"

OBJECT_WORDS = frozenset(
    "patch patches object objects region regions body bodies parcel parcels polygon polygons "
    "cluster clusters blob blobs stand stands piece pieces plot plots feature features "
    "component components zone zones segment segments instance instances item items unit units "
    "spot spots island islands fragment fragments group groups "
    "block blocks tract tracts field fields".split())
#: Words after a class that name no more than the class: "forest area", "urban land".
PLAIN_WORDS = frozenset("area areas land lands cover coverage surface surfaces class classes "
                        "type types category pixels pixel extent total part parts portion "
                        "portions section sections footprint footprints".split())
ADJECTIVES = frozenset("separate distinct individual isolated contiguous disconnected "
                       "discrete single standalone unconnected independent different unique "
                       "detached".split())
DETERMINERS = frozenset("a an any all each every some only those these total combined "
                        "overall entire either both whole nearest closest one".split())
_LINKS = frozenset("that which who whose are is was were lie lies lying located situated "
                   "found fall falls falling sit sits sitting being also each and but yet , with "
                   "have has having measuring covering occupying extending directly "
                   "immediately right both there still only entirely wholly come comes coming "
                   "get gets reach reaches stand stands standing".split())

_QUANTITY = re.compile(r"^-?(?:\d+(?:\.\d+)?|\.\d+)$")
_UNITS = set(AREA_UNITS) | set(LENGTH_UNITS) | {"cm"}
_CODE_WORDS = ("code", "class", "value", "category")


@dataclass
class Document:
    """A plan document being written: steps in order, each with its own readable id."""

    #: "area of the largest X" is the size of the largest object of X: one op, not two.
    SIMPLER = {("area", "largest_of"): "largest_object", ("area", "smallest_of"):
               "smallest_object"}

    steps: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _masks: dict[tuple[Any, ...], str] = field(default_factory=dict)

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
        """The same selection of classes as mask step ``mask_id``, at another date."""
        step = next(s for s in self.steps if s["id"] == mask_id)
        if step["op"] == "union":
            parts = [self.redated(ref, date) for ref in step["of"]]
            return self.add(f"{mask_id}_{date}", "union", of=parts)
        return self.mask({k: v for k, v in step.items() if k in ("class", "code")}, date)

    def snapshot(self) -> tuple[Any, ...]:
        return list(self.steps), list(self.notes), dict(self._masks)

    def restore(self, saved: tuple[Any, ...]) -> None:
        self.steps, self.notes, self._masks = (type(v)(v) for v in saved)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def simplified(self, answer: str) -> list[dict[str, Any]]:
        """The steps with measures of one object made one op, and steps no one reads gone."""
        by_id = {s["id"]: s for s in self.steps}
        steps = []
        for step in self.steps:
            inner = by_id.get(step.get("of")) if isinstance(step.get("of"), str) else None
            simpler = self.SIMPLER.get((step["op"], inner["op"] if inner else None))
            if simpler:
                step = {**step, "op": simpler, "of": inner["of"]}
            steps.append(step)
        used, queue = set(), [answer]
        refs = {s["id"]: s for s in steps}
        while queue:
            sid = queue.pop()
            if sid in used:
                continue
            used.add(sid)
            for key in ("of", "to", "through", "minus", "from", "within"):
                value = refs[sid].get(key)
                queue.extend(value if isinstance(value, list) else [value] if value else [])
        return [s for s in steps if s["id"] in used]

    def answer(self, step_id: str) -> dict[str, Any]:
        out: dict[str, Any] = {"version": PLAN_VERSION, "steps": self.simplified(step_id),
                               "answer": step_id}
        if self.notes:
            out["notes"] = list(self.notes)
        return out


class Selection(NamedTuple):
    mask: str     # the selection, filters and relations applied
    scope: str    # the selection before its relations (its size filters applied)
    base: str     # the classes alone
    objects: bool  # the phrase named objects ("patches", "regions", plural object words)


def tokens(text: str) -> list[str]:
    """Words of a phrase, with commas and brackets as words of their own."""
    return re.sub(r"([,()\[\]:/])", r" \1 ", text).replace("[", "(").replace("]", ")").split()


class TargetReader:
    """Reads targets from a list of words into steps of a :class:`Document`.

    Parameters
    ----------
    doc : Document
    vocabulary : Vocabulary
    reference : str, optional
        The mask step that :data:`REFERENCE` stands for (two-step questions).
    date : {"before", "after"}, optional
        The date of every class mask (change questions).
    """

    def __init__(self, doc: Document, vocabulary: Vocabulary, *, reference: str | None = None,
                 date: str | None = None) -> None:
        self.doc, self.vocabulary, self.reference, self.date = doc, vocabulary, reference, date
        #: A size filter of the whole question ("ignore patches smaller than 0.1 ha"), applied
        #: to every measured target: (min m² or None, max m² or None).
        self.size_filter: tuple[Any, Any] | None = None
        #: Class words the question defines by a list ("vegetation (forest, crops or grass)"
        #: said once, or "where vegetation means ..."): class -> class specs; None: the first
        #: class read.
        self.definitions: dict[Any, list[Any]] = {}
        self._words = sorted(vocabulary.words(), key=lambda w: -len(w.split()))
        self._longest = max(len(w.split()) for w in self._words)

    # -- classes ---------------------------------------------------------------------------------

    def class_at(self, words: list[str], i: int) -> tuple[dict[str, Any] | str, int] | None:
        """The class (mask arguments, or the reference's step id) at ``words[i]``, and the
        position after it; None when no class starts there."""
        if i >= len(words):
            return None
        if words[i] == REFERENCE:
            if self.reference is None:
                raise QuestionError("the question refers to 'them'/'their' but names nothing "
                                    "before: say which class it means")
            return self.reference, i + 1
        j = i
        while j < len(words) and re.fullmatch(r"land[- ]?(?:use|cover)|land|use|cover|lulc|"
                                              r"product", words[j]):
            j += 1
        if j + 1 < len(words) and words[j] in _CODE_WORDS and words[j + 1].isdigit():
            return {"code": int(words[j + 1])}, j + 2
        for n in range(min(self._longest, len(words) - i), 0, -1):
            chunk = words[i:i + n]
            if any(w in (",", "(", ")", "/", "+", "&", ":") for w in chunk):
                continue
            phrase = " ".join(chunk)
            if phrase in self.definitions:          # a word the question itself defines
                return {"defined": phrase}, i + n
            found = self.vocabulary.find(phrase)
            if found is not None:
                return {"class": found}, i + n
        return None

    def classes(self, words: list[str], i: int) -> tuple[str, int]:
        """One class or a union of classes at ``words[i]``: its mask step and the next position.

        Raises
        ------
        ClassNameError
            When no class word starts at ``words[i]`` (with the closest suggestion).
        """
        first = self._class_or_fail(words, i)
        parts, i = [first[0]], first[1]
        while True:
            if i < len(words) and words[i] == "(":     # "vegetation (forest, crops or grass)"
                listed, after = self._bracketed_list(words, i)
                if listed:
                    parts[-1:] = listed
                    i = after
                    continue
            j = i
            while j < len(words) and words[j] in _JOINERS:
                j += 1
            if j == i or j >= len(words):
                break
            found = self.class_at(words, j)
            if found is None:
                break
            parts.append(found[0])
            i = found[1]
        parts = self._without_members(self._defined(parts))
        ids = list(dict.fromkeys(self._mask_id(p) for p in parts))
        if len(ids) == 1:
            return ids[0], i
        return self.doc.add("_or_".join(ids), "union", of=ids), i

    def _without_members(self, parts: list[Any]) -> list[Any]:
        """A union without classes another class of it contains ("lakes or rivers" is water:
        rivers are water)."""
        names = {p["class"] for p in parts if isinstance(p, dict) and "class" in p}
        inside = {m for n in names for m in self.vocabulary.members(n)[1:]}
        return [p for p in parts if not (isinstance(p, dict) and p.get("class") in inside)]

    def _defined(self, parts: list[Any]) -> list[Any]:
        out = []
        for part in parts:
            name = part.get("class", part.get("defined")) if isinstance(part, dict) else None
            if None in self.definitions:            # "..., counting forest, crops and grass"
                out.extend(self.definitions.pop(None))
            elif name in self.definitions:
                out.extend(self.definitions[name])
            else:
                out.append(part)
        return out

    def class_list(self, words: list[str]) -> list[Any] | None:
        """The classes of a whole list ("forest, cropland or rangeland"), or None when the
        words are not only classes and joiners."""
        found, j = [], 0
        while j < len(words):
            if words[j] in _JOINERS | _LIST_WORDS:
                j += 1
                continue
            hit = self.class_at(words, j)
            if hit is None:
                return None
            found.append(hit[0])
            j = hit[1]
            while j < len(words) and words[j] in OBJECT_WORDS | PLAIN_WORDS:
                j += 1
        return found

    def _bracketed_list(self, words: list[str], i: int) -> tuple[list[Any], int]:
        close = _closing(words, i)
        if close is None:
            return [], i
        found = self.class_list(words[i + 1:close])
        if not found:
            return [], i     # not a list of classes: a filter in brackets, read later
        return found, close + 1

    def _mask_id(self, part: dict[str, Any] | str) -> str:
        return part if isinstance(part, str) else self.doc.mask(part, self.date)

    def _class_or_fail(self, words: list[str], i: int) -> tuple[Any, int]:
        found = self.class_at(words, i)
        if found is not None:
            return found
        unknown = []
        for word in words[i:]:
            if word in _STOP or _QUANTITY.match(word):
                break
            unknown.append(word)
        phrase = " ".join(unknown[:4])
        if not phrase:
            raise QuestionError("the question names no class: say what to measure, e.g. "
                                "'forest' or 'water bodies'")
        raise ClassNameError(f"unknown class {phrase!r}: {self.vocabulary.suggest(phrase)}"
                             f"known classes are {', '.join(self.vocabulary.names)}")

    # -- a whole target ----------------------------------------------------------------------------

    def target(self, words: list[str], i: int = 0, *, objects: bool = False,
               relations: bool = True, filters: bool = True, links: bool = True
               ) -> tuple[Selection, int]:
        """A target at ``words[i]``: classes, object words, size filters and relations.

        ``objects`` keeps or drops whole objects by distance (``objects_near``...); otherwise
        pixels are kept (``near``...). The phrase's own object words ("patches") also make it
        about objects. ``relations=False`` stops before relations, ``filters=False`` before
        size filters too. Returns the selection and the position of the first word not read.
        """
        extreme = None
        while i < len(words) and (words[i] in DETERMINERS or words[i] in ADJECTIVES
                                  or words[i] in _EXTREMES):
            objects = objects or words[i] in ADJECTIVES
            extreme = _EXTREMES.get(words[i], extreme)
            i += 1
        if i < len(words) and words[i] == "of" and (i == 0 or words[i - 1] in DETERMINERS):
            i += 1                               # "any of the forest", "all of the woodland"
            while i < len(words) and words[i] in DETERMINERS | ADJECTIVES:
                i += 1
        # "patches of forest", "areas of urban land"
        while i + 1 < len(words) and words[i] in OBJECT_WORDS | PLAIN_WORDS \
                and words[i + 1] == "of":
            objects = objects or words[i] in OBJECT_WORDS
            i += 2
        base, i = self.classes(words, i)
        named_objects = False
        while i < len(words) and (words[i] in OBJECT_WORDS or words[i] in PLAIN_WORDS):
            named_objects = named_objects or words[i] in OBJECT_WORDS
            i += 1
        objects = objects or named_objects
        current = base
        if relations and self.size_filter is not None:
            current = self._sized(current, base, *self.size_filter)
        if extreme is not None:
            current = self.doc.add(f"{extreme}_{base}", f"{extreme}_of", of=current)
        if not filters:
            return Selection(current, current, base, objects), i
        selection, i = self.modifiers(words, i, current, objects=objects, relations=relations,
                                      links=links)
        return Selection(selection.mask, selection.scope, base, objects), i

    def modifiers(self, words: list[str], i: int, of: str, *, objects: bool,
                  relations: bool = True, links: bool = True) -> tuple[Selection, int]:
        """Size filters and relations at ``words[i]`` applied to mask step ``of``
        (``links=False``: only those right at ``words[i]``, not after "that are")."""
        low = high = None
        pending: list[tuple[str, Any, Any, bool]] = []
        while i < len(words):
            j = _skip_links(words, i) if links else i
            size = read_size(words, j)
            if size is not None:
                (lo, hi), i = size[0], size[1]
                low = lo if lo is not None else low
                high = hi if hi is not None else high
                continue
            if not relations:
                break
            relation = self._relation(words, j)
            if relation is None:
                break
            pending.append(relation[0])
            i = relation[1]
        current = of
        if low is not None or high is not None:
            current = self._sized(current, of, low, high)
        scope = current
        _check_relations(pending)
        for kind, distance, to, negated in pending:
            current = self._relate(current, kind, distance, to, negated, objects)
        return Selection(current, scope, of, objects), i

    def _sized(self, of: str, base: str, low: Any, high: Any) -> str:
        if low is not None and high is not None and low > high:
            raise QuestionError(f"the size filter asks for objects of at least {low:g} m² and at "
                                f"most {high:g} m², which no object can be: swap the bounds")
        bounds = {k: v for k, v in (("min_area_m2", low), ("max_area_m2", high))
                  if v is not None}
        label = "large" if high is None else "small" if low is None else "sized"
        return self.doc.add(f"{base}_{label}", "objects", of=of, **bounds)

    def _relation(self, words: list[str], i: int) -> tuple[tuple[str, Any, Any, bool], int] | None:
        negated = False
        if i < len(words) and words[i] in ("not", "never", "excluding", "except", "minus"):
            negated, i = True, i + 1
            while i < len(words) and words[i] in ("anything", "any", "those", "what", "is",
                                                  "areas", "parts", "pixels", "ones", "that",
                                                  "for"):
                i += 1
        found = read_relation_head(words, i)
        if found is None:
            if negated:
                raise QuestionError(f"cannot read 'not {' '.join(words[i:i + 4])}': say 'not "
                                    "within 100 m of', 'farther than' or 'not adjacent to'")
            return None
        (kind, distance), i = found
        # Read the target on scratch paper first: its steps are written when the relation is
        # applied, after the size filter, so plans read in the order of the question's sense.
        scratch = TargetReader(Document(), self.vocabulary, reference=self.reference,
                               date=self.date)
        end = scratch._relation_target(words, i)[1]
        return (kind, distance, (i, end, words), negated), end

    def _relation_target(self, words: list[str], i: int) -> tuple[str, int]:
        while i < len(words) and words[i] in DETERMINERS | {"nearest", "closest", "any"}:
            i += 1
        selection, i = self.target(words, i, relations=False, links=False)
        return selection.mask, i

    def _relate(self, of: str, kind: str, distance: Any, to: str, negated: bool,
                objects: bool) -> str:
        start, end, words = to
        to = self._relation_target(words, start)[0]
        if kind == "adjacent":
            touching = self.doc.add("adjacent", "objects_adjacent" if objects else "adjacent",
                                    of=of, to=to)
            if not negated:
                return touching
            return self.doc.add("not_adjacent", "difference", of=of, minus=touching)
        if negated:
            kind = "far" if kind == "near" else "near"
        return self.doc.add(kind, f"objects_{kind}" if objects else kind, of=of, to=to,
                            distance_m=distance)


def _check_relations(pending: list[tuple[str, Any, Any, bool]]) -> None:
    """Refuse relations that no pixel can meet: within d1 and farther than d2 >= d1 of one
    target."""
    bounds: dict[Any, list[float]] = {}
    for kind, distance, span, negated in pending:
        if kind == "adjacent":
            continue
        to = " ".join(span[2][span[0]:span[1]])
        near = (kind == "near") != negated
        low, high = bounds.setdefault(to, [0.0, float("inf")])
        bounds[to] = [low, min(high, distance)] if near else [max(low, distance), high]
        if bounds[to][0] >= bounds[to][1]:
            raise QuestionError(f"the question asks for what is both within "
                                f"{bounds[to][1]:g} m and farther than {bounds[to][0]:g} m "
                                f"from {to}, which nothing can be: check the distances")


_EXTREMES = {"largest": "largest", "biggest": "largest", "smallest": "smallest",
             "tiniest": "smallest", "max": "largest", "maximum": "largest", "min": "smallest",
             "minimum": "smallest"}
_JOINERS = frozenset({",", "or", "and", "and/or", "as", "well", "plus", "+", "&", "/"})
_LIST_WORDS = frozenset({"eg", "ie", "such", "including", "namely", "like", "either", "both",
                         "the", "classes", "class", "types", "i", "e", "g"})


_STOP = (OBJECT_WORDS | PLAIN_WORDS | _LINKS | {"than", "within", "of", "from", "to", "near",
                                                "larger", "smaller", "bigger", "more", "less",
                                                "(", ")", ",", "not", "in", "between"})


def _closing(words: list[str], i: int) -> int | None:
    depth = 0
    for j in range(i, len(words)):
        depth += words[j] == "("
        depth -= words[j] == ")"
        if depth == 0:
            return j
    return None


def _skip_links(words: list[str], i: int) -> int:
    while i < len(words) and words[i] in _LINKS:
        i += 1
    return i


# --- sizes and distances -----------------------------------------------------------------------

_AT_LEAST = (("larger", "than"), ("bigger", "than"), ("greater", "than"), ("more", "than"),
             ("at", "least"), ("over",), ("above",), ("exceeding",), ("no", "smaller", "than"),
             ("not", "smaller", "than"), ("no", "less", "than"), ("minimum", "of"),
             ("a", "minimum", "of"), (">",), (">=",), ("of", "at", "least"),
             ("of", "more", "than"), ("of", "over",), ("greater", "or", "equal", "to"),
             ("larger", "or", "equal", "to"), ("exceed",), ("exceeds",), ("of", "above"),
             ("bigger", "or", "equal", "to"), ("not", "less", "than"))
_AT_MOST = (("smaller", "than"), ("less", "than"), ("at", "most"), ("under",), ("below",),
            ("up", "to"), ("no", "larger", "than"), ("no", "bigger", "than"),
            ("not", "exceeding"), ("not", "larger", "than"), ("maximum", "of"),
            ("a", "maximum", "of"), ("<",), ("<=",), ("of", "at", "most"), ("of", "less", "than"),
            ("of", "under",), ("no", "more", "than"), ("smaller", "or", "equal", "to"))
_SIZE_LEAD = (("an", "area", "of"), ("a", "size", "of"), ("whose", "size", "is"),
              ("whose", "area", "is"), ("whose", "area"),
              ("whose", "size"), ("with", "an", "area", "of"), ("with", "area", "of"),
              ("with", "a", "size", "of"), ("with", "size", "of"), ("with", "an", "area"),
              ("with", "area"),
              ("in", "size"), ("in", "area"), ("of", "size"), ("of", "area"), ("sized",),
              ("size", "is"), ("area", "is"), ("size", "of"), ("area", "of"), ("area",),
              ("size",))


def quantity(words: list[str], i: int) -> tuple[tuple[str, str], int] | None:
    """``((number, unit), next position)`` at ``words[i]``: ``500 m``, ``2 ha``, ``30 %``."""
    if i + 1 < len(words) and _QUANTITY.match(words[i]) and words[i + 1] in _UNITS | {"%"}:
        if words[i].startswith("-"):
            what = "sizes" if words[i + 1] in AREA_UNITS else "distances"
            raise QuestionError(f"{what} must be >= 0, not {words[i]} {words[i + 1]}: give a "
                                "non-negative number")
        return (words[i], words[i + 1]), i + 2
    return None


def _starts(words: list[str], i: int, phrase: tuple[str, ...]) -> bool:
    return tuple(words[i:i + len(phrase)]) == phrase


def read_size(words: list[str], i: int) -> tuple[tuple[Any, Any], int] | None:
    """A size filter at ``words[i]``: ((min m² or None, max m² or None), next position)."""
    if i < len(words) and words[i] == "(":
        close = _closing(words, i)
        if close is None:
            return None
        inner = read_size(words, i + 1)
        if inner is None or inner[1] != close:
            return None
        return inner[0], close + 1
    for lead in _SIZE_LEAD:
        if _starts(words, i, lead):
            i += len(lead)
            break
    if _starts(words, i, ("between",)):
        first = quantity(words, i + 1) or _bare_number(words, i + 1)
        if first and _starts(words, first[1], ("and",)):
            second = quantity(words, first[1] + 1)
            if second and second[0][1] in AREA_UNITS:
                unit = first[0][1] or second[0][1]
                low, high = area_m2(first[0][0], unit), area_m2(*second[0])
                if low > high:
                    raise QuestionError(f"'between {first[0][0]} and {' '.join(second[0])}' names "
                                        "the larger size first: swap the bounds")
                return (low, high), _after_size(words, second[1])
        return None
    lead = i + 1 if _starts(words, i, ("of",)) else i
    found = quantity(words, lead)       # "of 0.1 ha or more", "1000 m2 and above"
    if found and found[0][1] in AREA_UNITS:
        for tail, bound in ((("or", "more"), "low"), (("or", "larger"), "low"),
                            (("or", "bigger"), "low"), (("or", "greater"), "low"),
                            (("and", "above"), "low"), (("and", "up"), "low"),
                            (("and", "over"), "low"), (("plus",), "low"),
                            (("or", "less"), "high"), (("or", "smaller"), "high"),
                            (("and", "below"), "high"), (("and", "under"), "high")):
            if _starts(words, found[1], tail):
                size = area_m2(*found[0])
                return ((size, None) if bound == "low" else (None, size)), \
                    found[1] + len(tail)
    for bound, phrases in (("low", _AT_LEAST), ("high", _AT_MOST)):
        for phrase in phrases:
            if _starts(words, i, phrase):
                found = quantity(words, i + len(phrase))
                if found and found[0][1] in LENGTH_UNITS and phrase[0] in _SIZE_WORDS and (
                        found[1] >= len(words) or words[found[1]] not in _TO):
                    raise QuestionError(f"'{' '.join(found[0])}' is not an area: give sizes in "
                                        "m2, ha or km2 ('larger than 1 ha')")
                if found and found[0][1] in AREA_UNITS:
                    size = area_m2(*found[0])
                    return ((size, None) if bound == "low" else (None, size)), \
                        _after_size(words, found[1])
    return None


def _bare_number(words: list[str], i: int) -> tuple[tuple[str, str], int] | None:
    if i < len(words) and _QUANTITY.match(words[i]):
        return (words[i], ""), i + 1
    return None


def _after_size(words: list[str], i: int) -> int:
    for tail in (("in", "size"), ("in", "area"), ("each",), ("or", "more"), ("or", "larger"),
                 ("or", "less"), ("or", "smaller")):
        if _starts(words, i, tail):
            return i + len(tail)
    return i


_NEAR = (("within",), ("inside",), ("closer", "than"), ("nearer", "than"), ("less", "than"),
         ("at", "most"), ("no", "more", "than"), ("no", "farther", "than"),
         ("no", "further", "than"), ("up", "to"), ("inside",), ("under",))
_FAR = (("farther", "than"), ("further", "than"), ("more", "than"), ("at", "least"),
        ("beyond",), ("over",), ("no", "closer", "than"), ("no", "nearer", "than"),
        ("outside",), ("greater", "than"))
_ADJACENT = (("adjacent", "to"), ("touching",), ("touch",), ("touches",), ("bordering",),
             ("border",), ("borders",), ("next", "to"), ("neighbouring",), ("neighboring",),
             ("in", "contact", "with"), ("abutting",), ("adjoining",), ("contiguous", "with"),
             ("sharing", "a", "border", "with"), ("share", "a", "border", "with"),
             ("shares", "a", "border", "with"), ("adjoin",), ("adjoins",), ("abut",),
             ("abuts",), ("next", "door", "to"), ("alongside",), ("directly", "adjacent", "to"))
_VAGUE = (("near",), ("close", "to"), ("nearby",), ("around",), ("far", "from"),
          ("away", "from"), ("close", "by"), ("in", "proximity", "of"),
          ("in", "vicinity", "of"), ("surrounding",))
_TO = ("of", "from", "to", "away", "distance")
_SIZE_WORDS = frozenset({"larger", "bigger", "greater", "smaller", "exceeding", "exceed",
                         "exceeds"})


def read_relation_head(words: list[str], i: int) -> tuple[tuple[str, Any], int] | None:
    """``(("near"|"far"|"adjacent", metres or None), position of its target)`` at
    ``words[i]``, or None."""
    for kind, phrases in (("near", _NEAR), ("far", _FAR)):
        for phrase in phrases:
            if not _starts(words, i, phrase):
                continue
            j = i + len(phrase)
            if _starts(words, j, ("a", "distance", "of")):
                j += 3
            elif _starts(words, j, ("a",)):
                j += 1                     # "within a 200 m distance of", "a 200 m radius"
            found = quantity(words, j)
            if not found:
                continue
            value, unit = found[0]
            if unit in AREA_UNITS or unit == "%":
                continue          # a size or share, not a distance
            distance = length_m(value, unit)
            j = found[1]
            if j < len(words) and words[j] in ("away", "distance", "radius", "buffer", "band",
                                               "zone", "corridor"):
                j += 1
            if j < len(words) and words[j] in ("of", "from", "to", "around"):
                return (kind, distance), j + 1
            raise QuestionError(f"'{' '.join(words[i:j])}' needs what it is measured from: "
                                f"'{' '.join(words[i:j])} of water'")
    found = quantity(words, i)              # "30 m or less from", "500 m or more away from"
    if found and found[0][1] not in AREA_UNITS and found[0][1] != "%":
        for tail, kind in ((("or", "less"), "near"), (("or", "closer"), "near"),
                           (("or", "nearer"), "near"), (("or", "more"), "far"),
                           (("or", "farther"), "far"), (("or", "further"), "far")):
            j = found[1] + len(tail)
            if _starts(words, found[1], tail):
                if j < len(words) and words[j] == "away":
                    j += 1
                if j < len(words) and words[j] in ("of", "from", "to"):
                    return (kind, length_m(*found[0])), j + 1
    for phrase in _ADJACENT:
        if _starts(words, i, phrase):
            return ("adjacent", None), i + len(phrase)
    for phrase in _VAGUE:
        if _starts(words, i, phrase):
            said = " ".join(phrase)
            raise QuestionError(f"'{said}' does not say how far: give a distance, e.g. "
                                f"'within 100 m of' or 'farther than 500 m from'")
    return None


def mentions_objects(words: list[str]) -> bool:
    """Whether a phrase names objects by a plural object word ("patches", "bodies")."""
    return any(w in OBJECT_WORDS and w.endswith("s") for w in words)
