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
from geoquant.reason.plans._ops import AREA_UNITS, LENGTH_UNITS
from geoquant.reason.plans._plan import PLAN_VERSION
from geoquant.reason.reading._phrases import area_m2, length_m
from geoquant.segment import Vocabulary

#: The word that stands for what the first step of a two-step question found.
REFERENCE = "⟨x⟩"

OBJECT_WORDS = frozenset(
    "patch patches object objects region regions body bodies parcel parcels polygon polygons "
    "cluster clusters blob blobs stand stands piece pieces plot plots feature features "
    "component components zone zones segment segments instance instances item items unit units "
    "spot spots island islands fragment fragments group groups "
    "block blocks tract tracts field fields pool pools pocket pockets bit bits chunk chunks "
    "speck specks stretch stretches".split())
#: Words after a class that name no more than the class: "forest area", "urban land".
PLAIN_WORDS = frozenset("area areas land lands ground terrain cover coverage surface surfaces "
                        "class classes "
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
                   "immediately right both there still only entirely wholly completely fully "
                   "totally partly partially come comes coming "
                   "get gets reach reaches stand stands standing".split())

_PRONOUNS = frozenset({"them", "they", "those", "these", "it", "its", "their", "that",
                       "this", "ones"})
_PUNCTUATION = frozenset({",", "(", ")", "/", "+", "&", ":"})


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


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

    #: A mask step whose pixels the question leaves out of the region ("leaving the sea
    #: out, ..."): every class mask is read without them.
    exclude: str | None = None

    def mask(self, what: dict[str, Any], date: str | None = None) -> str:
        key = (*what.items(), date, self.exclude)
        if key not in self._masks:
            name = what.get("class") or f"code_{what['code']}"
            dated = {"date": date} if date else {}
            same = [s["id"] for s in self.steps if s["op"] == "mask" and not dated
                    and {k: v for k, v in s.items() if k in ("class", "code")} == what] \
                if self.exclude is not None else []
            if same and what in self._left_out():
                # "the area within 10 m of roads, excluding the roads": the roads stay what
                # distances are measured to (a class without itself is empty)
                self.note("a class the question leaves out is still what distances and "
                          "relations to it are measured to")
                self._masks[key] = same[0]
                return same[0]
            step = self.add(f"{name}_{date}" if date else name, "mask", **what, **dated)
            if self.exclude is not None:
                step = self.add(f"{name}_left", "excluding", of=step, minus=self.exclude)
            self._masks[key] = step
        return self._masks[key]

    def _left_out(self) -> list[dict[str, Any]]:
        """The classes (``{"class": ...}`` or ``{"code": ...}``) the question leaves out."""
        by_id = {s["id"]: s for s in self.steps}
        step = by_id.get(self.exclude)
        ids = step.get("of", ()) if step is not None and step["op"] == "union" else [self.exclude]
        return [{k: v for k, v in by_id[i].items() if k in ("class", "code")}
                for i in ids if i in by_id and by_id[i]["op"] == "mask"]

    def region(self, date: str | None = None) -> str:
        """The step of the whole region (every pixel with data)."""
        key = ("region", date, self.exclude)
        if key not in self._masks:
            step = self.add("region", "region", **({"date": date} if date else {}))
            if self.exclude is not None:
                step = self.add("region_left", "excluding", of=step, minus=self.exclude)
            self._masks[key] = step
        return self._masks[key]

    def redated(self, mask_id: str, date: str) -> str:
        """The same selection of classes as mask step ``mask_id``, at another date."""
        step = next(s for s in self.steps if s["id"] == mask_id)
        if step["op"] == "union":
            parts = [self.redated(ref, date) for ref in step["of"]]
            return self.add(f"{mask_id}_{date}", "union", of=parts)
        return self.mask({k: v for k, v in step.items() if k in ("class", "code")}, date)

    def snapshot(self) -> tuple[Any, ...]:
        return list(self.steps), list(self.notes), dict(self._masks), self.exclude

    def restore(self, saved: tuple[Any, ...]) -> None:
        steps, notes, masks, self.exclude = saved
        self.steps, self.notes, self._masks = list(steps), list(notes), dict(masks)

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
        #: How many of the largest objects the question leaves out ("apart from the biggest
        #: one"), applied to every measured target after its size filters.
        self.drop_largest: int | None = None
        #: The class the question's "not counting the biggest X" names (None: the measured
        #: target's); its largest objects are left out wherever it is read.
        self.drop_largest_class: Any = None
        self._words = sorted(vocabulary.words(), key=lambda w: -len(tokens(w)))
        self._longest = max(len(tokens(w)) for w in self._words)
        self._legend_keys = {_alnum(name) for name in vocabulary.legend}

    # -- classes ---------------------------------------------------------------------------------

    def class_at(self, words: list[str], i: int) -> tuple[dict[str, Any] | str, int] | None:
        """The class (mask arguments, or the reference's step id) at ``words[i]``, and the
        position after it; None when no class starts there."""
        if i >= len(words):
            return None
        if words[i] in ("ones", "one") and getattr(self, "last_base", None) is not None and (
                i + 1 >= len(words) or words[i + 1] not in ("of",)):
            return self.last_base, i + 1            # "small buildings ... than large ones"
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
        fallback = None
        for n in range(min(self._longest, len(words) - i), 0, -1):
            chunk = words[i:i + n]
            if any(w in _PUNCTUATION for w in chunk) and (
                    chunk[0] in _PUNCTUATION
                    or (chunk[-1] in _PUNCTUATION and not (chunk[-1] == ")" and "(" in chunk))
                    or _alnum(" ".join(chunk)) not in self._legend_keys):
                continue          # "Pasture/Hay", "Developed, Open Space": as the legend says
            phrase = " ".join(chunk)
            if phrase in self.definitions:          # a word the question itself defines
                return {"defined": phrase}, i + n
            found = self.vocabulary.find(phrase)
            if found is None:
                continue
            if found in self.definitions:           # "treat ... as farmland": farmland's words
                return {"defined": found}, i + n
            legend = self.vocabulary.classes
            if not legend or found in legend:
                return {"class": found}, i + n
            try:                                   # a coarser word: the legend's kinds of it
                covered = self.vocabulary.covers(found)
            except ClassNameError:                 # not in this legend: a shorter legend word?
                fallback = fallback or ({"class": found}, i + n)
                continue
            if fallback is None:
                return ({"class": covered[0]} if len(covered) == 1
                        else {"covers": found, "classes": covered}), i + n
        return fallback

    def classes(self, words: list[str], i: int) -> tuple[str, int]:
        """One class or a union of classes at ``words[i]``: its mask step and the next position.

        Raises
        ------
        ClassNameError
            When no class word starts at ``words[i]`` (with the closest suggestion).
        """
        complement = self._complement(words, i)
        if complement is not None:
            return complement
        if i + 1 < len(words) and words[i] in OBJECT_WORDS and words[i + 1] == "(" and \
                self.class_at(words, i) is None:
            listed, after = self._bracketed_list(words, i + 1)   # "islands (land patches)"
            if listed:
                return self._finish_classes(words, after, list(listed))
        first = self._class_or_fail(words, i)
        parts, i = [first[0]], first[1]
        return self._finish_classes(words, i, parts)

    def _finish_classes(self, words: list[str], i: int, parts: list[Any]) -> tuple[str, int]:
        while True:
            if i < len(words) and words[i] == "(":     # "vegetation (forest, crops or grass)"
                listed, after = self._bracketed_list(words, i)
                if listed:
                    parts[-1:] = listed
                    i = after
                    continue
                gloss = _gloss(words, i)
                if gloss is not None:                  # "land (unpaved area)"
                    self.doc.note(f"read '({' '.join(words[i + 1:gloss - 1])})' as a "
                                  "description of the class before it")
                    i = gloss
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
        of = ids[0] if len(ids) == 1 else self.doc.add("_or_".join(ids), "union", of=ids)
        return self._but_not(words, i, of)

    def _but_not(self, words: list[str], i: int, of: str) -> tuple[str, int]:
        """Classes taken out of a class read just before: "vegetation other than forest",
        "water except rivers", "built-up but not buildings"."""
        found = next((p for p in _BUT_NOT if _starts(words, i, p)), None)
        if found is None:
            return of, i
        j = i + len(found)
        while j < len(words) and words[j] in DETERMINERS:
            j += 1
        listed, j = self._negated_list(words, j)
        if not listed:
            return of, i
        ids = list(dict.fromkeys(self._mask_id(p) for p in listed))
        minus = ids[0] if len(ids) == 1 else self.doc.add("_or_".join(ids), "union", of=ids)
        return self.doc.add(f"{of}_but_not", "difference", of=of, minus=minus), j

    def _complement(self, words: list[str], i: int) -> tuple[str, int] | None:
        """Everything but some classes at ``words[i]``: "non-water", "not forest", "everything
        except built-up", "land that is not grass and not cropland", "ground other than
        water"; the complement step and the next position, or None."""
        j = i
        head = j < len(words) and words[j] in _EVERYTHING
        if head:
            j += 1
            while j < len(words) and words[j] in _EVERYTHING | {"else"}:
                j += 1                                  # "all land", "everything else"
        if j < len(words) and words[j].startswith("non-") and len(words[j]) > 4:
            words = [*words[:j], words[j][4:], *words[j + 1:]]      # "non-water"
        elif j < len(words) and words[j] == "non":
            j += 1
        else:
            found = next((n for n in _EXCEPT if _starts(words, j, n)), None)
            if found is None or (found[0] in ("not", "no") and not head and j != i) or (
                    found in (("but",), ("other", "than")) and not head):
                return None
            j += len(found)
        while j < len(words) and words[j] in DETERMINERS | {"any", "of"}:
            j += 1
        if j < len(words) and words[j] in ("everything", "anything"):
            raise QuestionError("everything except everything leaves no pixel: name the "
                                "classes to leave out ('everything except water')")
        listed, j = self._negated_list(words, j)
        if not listed:
            return None
        legend = set(self.vocabulary.classes)
        named = {p.get("class") for p in listed if isinstance(p, dict)}
        if legend and len(legend) > 1 and legend <= named:
            raise QuestionError(f"everything except {', '.join(sorted(legend))} leaves only "
                                "pixels of no class: leave out fewer classes")
        ids = list(dict.fromkeys(self._mask_id(p) for p in self._without_members(
            self._defined(listed))))
        of = ids[0] if len(ids) == 1 else self.doc.add("_or_".join(ids), "union", of=ids)
        return self.doc.add(f"not_{of}", "complement", of=of), j

    def _negated_list(self, words: list[str], j: int) -> tuple[list[Any], int]:
        """Classes joined by "and not", "nor", "or", "and", ",": "grass and not cropland"."""
        listed: list[Any] = []
        while True:
            while j < len(words) and words[j] in ("covered", "occupied", "classified", "mapped",
                                                    "by", "as", "labelled", "labeled", "non"):
                j += 1
            if j < len(words) and words[j].startswith("non-") and len(words[j]) > 4:
                words = [*words[:j], words[j][4:], *words[j + 1:]]      # "non-forest, non-grass"
            found = self.class_at(words, j)
            if found is None:
                return listed, j
            listed.append(found[0])
            j = found[1]
            while j < len(words) and words[j] in OBJECT_WORDS | PLAIN_WORDS:
                j += 1
            k = j
            while k < len(words) and words[k] in (",", "and", "or", "nor", "not", "neither",
                                                  "also", "either", "no", "non"):
                k += 1
            after = words[k][4:] if k < len(words) and words[k].startswith("non-") else None
            if k == j or self.class_at([*words[:k], after] if after else words, k) is None:
                return listed, j
            j = k

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

    def class_list(self, words: list[str], head: str | None = None) -> list[Any] | None:
        """The classes of a whole list ("forest, cropland or rangeland"), or None when the
        words are not only classes and joiners; items may share the last item's head noun,
        or ``head`` ("forest (deciduous, evergreen or mixed)")."""
        found, j = [], 0
        while j < len(words):
            if words[j] in _JOINERS | _LIST_WORDS:
                j += 1
                continue
            hit = self.class_at(words, j) or self._shared_head(words, j, head)
            if hit is None:
                return None
            found.append(hit[0])
            j = hit[1]
            while j < len(words) and words[j] in OBJECT_WORDS | PLAIN_WORDS:
                j += 1
        return found

    def _shared_head(self, words: list[str], j: int, head: str | None
                     ) -> tuple[Any, int] | None:
        """A list item that shares the last item's head noun ("deciduous" in "deciduous,
        evergreen and mixed forest"): the class it names with that noun, and the position
        after the item; None when there is no such class."""
        end = j
        while end < len(words) and words[end] not in _JOINERS | _LIST_WORDS:
            end += 1
        tail = [w for w in words[end:] if w not in _LIST_WORDS and w != ")"]
        if end == j or end - j > 2:
            return None
        for noun in (tail[-1] if tail else None, head):
            if noun is None or not noun.isalpha():
                continue
            item = words[j:end] + [noun]
            hit = self.class_at(item, 0)
            if hit is not None and hit[1] == len(item):
                return hit[0], end
        return None

    def _bracketed_list(self, words: list[str], i: int) -> tuple[list[Any], int]:
        close = _closing(words, i)
        if close is None:
            return [], i
        found = self.class_list(words[i + 1:close], head=words[i - 1] if i else None)
        if not found:
            return [], i     # not a list of classes: a filter in brackets, read later
        return found, close + 1

    def _mask_id(self, part: dict[str, Any] | str) -> str:
        if isinstance(part, dict) and "covers" in part:
            ids = [self.doc.mask({"class": c}, self.date) for c in part["classes"]]
            self.doc.note(f"'{part['covers']}' is the legend's {', '.join(part['classes'])} "
                          "together")
            return self.doc.add(f"{part['covers']}_classes", "union", of=ids)
        return part if isinstance(part, str) else self.doc.mask(part, self.date)

    def _class_or_fail(self, words: list[str], i: int) -> tuple[Any, int]:
        found = self.class_at(words, i)
        if found is not None:
            return found
        edges = edges_at(words, i)
        if edges is not None:            # "touch the edge of the image", "the map border"
            date = {"date": self.date} if self.date else {}
            sides = [self.doc.add(f"{side}_edge", "edge", side=side, **date)
                     for side in ("top", "bottom", "left", "right")]
            return self.doc.add("image_edge", "union", of=sides), edges
        region = region_at(words, i)
        if region is not None:           # "the land within 100 m of water", "any pixel"
            classes, water = self.vocabulary.classes or (), self.vocabulary.find("water")
            if "land" in words[i:region] and water in classes:
                others = [c for c in classes if c != water]
                if len(others) == 1:     # a water map (flood labels): land is its other class
                    self.doc.note(f"'land' on a map of water and {others[0]!r} is "
                                  f"{others[0]!r}")
                    return self.doc.mask({"class": others[0]}, self.date), region
                self.doc.note("'land' is read as the whole mapped region, water included; say "
                              "'land other than water' to leave the water out")
            return self.doc.region(self.date), region
        no_data = no_data_at(words, i)
        if no_data is not None:
            return self.doc.add("no_data", "no_data", **({"date": self.date} if self.date
                                                         else {})), no_data
        unknown = []
        for word in words[i:]:
            if word in _STOP or _QUANTITY.match(word):
                break
            unknown.append(word)
        phrase = " ".join(unknown[:4])
        if unknown and unknown[0] in _PRONOUNS and self.reference is None:
            raise QuestionError(f"the question refers to '{unknown[0]}' but names nothing "
                                "before it: say which class it means")
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
        rank = top = 1
        while i < len(words) and (words[i] in DETERMINERS or words[i] in ADJECTIVES
                                  or words[i] in _EXTREMES or (
                                      words[i] in _SIZE_ADJECTIVES and _sized_later(words, i))
                                  or (words[i] in _ORDINALS and i + 1 < len(words)
                                      and words[i + 1] in ("largest", "biggest"))
                                  or _top_count(words, i) is not None):
            objects = objects or words[i] in ADJECTIVES | _SIZE_ADJECTIVES
            extreme = _EXTREMES.get(words[i], extreme)
            rank = _ORDINALS.get(words[i], rank)     # "the second largest lake"
            top = _top_count(words, i) or top          # "the three largest lakes"
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
        if i + 1 < len(words) and words[i] == "connected" and words[i + 1] in OBJECT_WORDS:
            objects, i = True, i + 1                 # "connected pieces of forest"
            while i + 1 < len(words) and words[i] in OBJECT_WORDS and words[i + 1] == "of":
                i += 2
        base, i = self.classes(words, i)
        self.last_base = base
        named_objects = False
        while i < len(words) and (words[i] in OBJECT_WORDS or words[i] in PLAIN_WORDS):
            named_objects = named_objects or words[i] in OBJECT_WORDS
            i += 1
        objects = objects or named_objects
        current = base
        if relations and self.size_filter is not None:
            current = self._sized(current, base, *self.size_filter)
        if self.drop_largest and (relations if self.drop_largest_class is None
                                  else self._root_class(base) == self.drop_largest_class):
            current = self._without_largest(current, self.drop_largest)
        if extreme == "largest" and top > 1:
            rest = self.doc.add(f"{base}_after_{top}", "without_largest", of=current, count=top)
            current = self.doc.add(f"largest_{top}_{base}", "difference", of=current, minus=rest)
            extreme = None
        if extreme is not None:
            if rank > 1:
                current = self.doc.add(f"{base}_after_{rank - 1}", "without_largest",
                                       of=current, count=rank - 1)
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
        low = high = drop = None
        pending: list[tuple[str, Any, Any, bool]] = []
        while i < len(words):
            j = _skip_links(words, i) if links else i
            size = read_size(words, j)
            if size is not None:
                (lo, hi), i = size[0], size[1]
                low = _tighter(low, lo, max)
                high = _tighter(high, hi, min)
                continue
            largest = read_largest_exception(words, j)
            if largest is not None:
                drop, i = largest
                continue
            clause = self._with_clause(words, i) or self._with_clause(words, j) \
                if relations else None
            if clause is not None:
                pending.append(clause[0])
                i = clause[1]
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
        if drop:
            current = self._without_largest(current, drop)
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

    def _with_clause(self, words: list[str], i: int
                     ) -> tuple[tuple[str, Any, Any, bool], int] | None:
        """A relation said from the other side: "with a neighbouring building closer than
        15 m", "that have water within 200 m", "having no other house within 50 m"."""
        j = i
        found = next((p for p in _HAVING if _starts(words, j, p)), None)
        if found is None:
            return None
        j += len(found)
        negated = found in (("without",), ("that", "do", "not", "have"))
        while j < len(words) and words[j] in DETERMINERS | _OTHER | {"no", "at", "least", "one",
                                                                     "or", "more"}:
            negated = negated or words[j] == "no"
            j += 1
        start = j
        scratch = TargetReader(Document(), self.vocabulary, reference=self.reference,
                               date=self.date)
        scratch.definitions = dict(self.definitions)
        try:
            end = scratch.target(words, j, relations=False, links=False)[1]
        except (QuestionError, ClassNameError):
            return None
        k = _skip_links(words, end)
        for phrase in _NEAR:
            if _starts(words, k, phrase):
                found_q = quantity(words, k + len(phrase))
                if found_q and found_q[0][1] in LENGTH_UNITS:
                    after = found_q[1]
                    while after < len(words) and words[after] in ("away", "apart", "off",
                                                                  "of", "them", "it", "each",
                                                                  "other", "from"):
                        after += 1
                    distance = length_m(*found_q[0])
                    span = (start - (1 if start and words[start - 1] in _OTHER else 0),
                            end, words, None)
                    return ("near", distance, span, negated), after
        return None

    def _without_largest(self, of: str, count: int) -> str:
        self.doc.note("leaving out the largest objects ranks them by area, ties by position, "
                      "before any distance condition (geoquant's rule)")
        return self.doc.add(f"{of}_rest", "without_largest", of=of, count=count)

    def _relation(self, words: list[str], i: int) -> tuple[tuple[str, Any, Any, bool], int] | None:
        negated = False
        quantifier = None
        k = i - 1                  # "wholly within", "partly within" (read as links before)
        while k >= 0 and words[k] in _LINKS:
            quantifier = quantifier or _QUANTIFIERS.get(words[k])
            k -= 1
        if i < len(words) and words[i] in _QUANTIFIERS:
            quantifier, i = _QUANTIFIERS[words[i]], i + 1
        if i < len(words) and words[i] in ("not", "never", "excluding", "except", "minus",
                                           "nowhere"):
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
        scratch.definitions = dict(self.definitions)
        end = scratch._relation_target(words, i)[1]
        return (kind, distance, (i, end, words, quantifier), negated), end

    def _relation_target(self, words: list[str], i: int) -> tuple[str, int]:
        while i < len(words) and words[i] in DETERMINERS | _OTHER:
            i += 1
        selection, i = self.target(words, i, relations=False, links=False)
        return selection.mask, i

    def _root_class(self, step_id: str) -> Any:
        """The class or code a mask step is drawn from (following "of" back to a mask)."""
        by_id = {s["id"]: s for s in self.doc.steps}
        step = by_id.get(step_id, {})
        while step.get("op") not in (None, "mask") and isinstance(step.get("of"), str):
            if step["op"] in ("complement", "difference", "excluding"):
                return None        # "the dry land": not water, whatever it is drawn from
            step = by_id.get(step["of"], {})
        return step.get("class", step.get("code"))

    def _same_class(self, of: str, to: str, words: list[str], start: int) -> bool:
        """Whether a relation names other objects of the measured class ("another
        building", "any other house", "neighbouring buildings")."""
        said_other = any(w in _OTHER for w in words[start:start + 3])
        return said_other and self._root_class(of) == self._root_class(to)

    def _relate(self, of: str, kind: str, distance: Any, to: str, negated: bool,
                objects: bool) -> str:
        start, end, words, quantifier = to
        to = self._relation_target(words, start)[0]
        if kind != "adjacent" and self._same_class(of, to, words, start):
            near = (kind == "near") != negated
            return self.doc.add("with_neighbour" if near else "isolated",
                                "objects_near_other" if near else "objects_far_other",
                                of=of, distance_m=distance)
        if quantifier is not None:
            objects = True               # "wholly", "partly": said of whole objects
        if kind == "near" and not negated and quantifier == "all":
            return self.doc.add("inside", "objects_inside", of=of, to=to, distance_m=distance)
        if kind == "far" and not negated and quantifier == "some":
            inside = self.doc.add("inside", "objects_inside", of=of, to=to, distance_m=distance)
            return self.doc.add("partly_far", "difference", of=of, minus=inside)
        if kind == "adjacent" and to == "image_edge":   # on the border: a pixel in its row
            kind, distance = "near", 0.0                  # or column, not one next to it
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


def _tighter(old: Any, new: Any, pick: Any) -> Any:
    """Two bounds of one size filter combined: both hold ("larger than 1 ha ... over 3 ha"
    keeps what is over 3 ha)."""
    if new is None:
        return old
    return new if old is None else pick(old, new)


_COUNT_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "eight": 8, "nine": 9, "ten": 10, "a": 1, "single": 1}
_EXCEPTING = (("other", "than"), ("except", "for"), ("except",), ("excluding",),
              ("apart", "from"), ("besides",), ("but",), ("not", "counting"),
              ("without", "counting"), ("without",), ("leaving", "out"), ("ignoring",),
              ("disregarding",), ("omitting",), ("minus",), ("save", "for"),
              ("outside", "of"), ("outside",))


def _top_count(words: list[str], i: int) -> int | None:
    """N of "the N largest X" at ``words[i]`` (N > 1), else None."""
    if i + 1 < len(words) and words[i + 1] in ("largest", "biggest") and (
            words[i].isdigit() or words[i] in _COUNT_WORDS) and words[i] not in ("a", "single",
                                                                                "one"):
        count = int(words[i]) if words[i].isdigit() else _COUNT_WORDS[words[i]]
        return count if count > 1 else None
    return None


def read_largest_exception(words: list[str], i: int, *, lead: bool = True,
                           reader: TargetReader | None = None) -> tuple[int, int] | None:
    """"other than the largest", "except the two biggest ones", "not counting the 3 largest
    patches" at ``words[i]`` (``lead=False``: without the leading "except"): (how many,
    next position), or None."""
    j = i
    if lead:
        found = next((p for p in _EXCEPTING if _starts(words, j, p)), None)
        if found is None:
            return None
        j += len(found)
    while j < len(words) and words[j] in ("the", "its", "their", "his", "top", "very"):
        j += 1
    count = 1
    if j < len(words) and (words[j].isdigit() or words[j] in _COUNT_WORDS) and \
            j + 1 < len(words) and words[j + 1] in _LARGEST_WORDS:
        count = int(words[j]) if words[j].isdigit() else _COUNT_WORDS[words[j]]
        j += 1
    if j >= len(words) or words[j] not in _LARGEST_WORDS:
        return None
    j += 1
    if count == 1 and j < len(words) and (words[j].isdigit() or words[j] in _COUNT_WORDS) \
            and words[j] != "one":                  # "the biggest 3 patches", "largest two"
        count = int(words[j]) if words[j].isdigit() else _COUNT_WORDS[words[j]]
        j += 1
    if reader is not None and (named := reader.class_at(words, j)) is not None:
        j = named[1]                             # "the largest water body"
    elif reader is not None:                     # "the largest non-water patch"
        ahead = next((k for k in range(j + 1, min(j + 4, len(words)))
                      if words[k] in OBJECT_WORDS), None)
        if ahead is not None and all(re.fullmatch(r"[a-z]+(?:-[a-z]+)*", w)
                                     for w in words[j:ahead]):
            j = ahead
    while j < len(words) and (words[j] in OBJECT_WORDS | {"one", "ones"}
                              or words[j].rstrip("s") in _COUNTABLE_NOUNS):
        j += 1
    if count < 1:
        raise QuestionError("leaving out the largest objects needs a count of at least one")
    return count, j


_ORDINALS = {"second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
             "5th": 5}
_LARGEST_WORDS = frozenset({"largest", "biggest", "greatest"})
#: Nouns a "the two largest lakes" may end with besides object words.
_COUNTABLE_NOUNS = frozenset({"lake", "pond", "building", "house", "field", "forest", "wood",
                              "patche", "parcel", "reservoir", "island", "road"})


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
#: Words that name the whole region before an exception ("everything except water").
_EVERYTHING = frozenset({"everything", "anything", "all", "ground", "land", "terrain",
                         "surface", "rest", "remainder", "pixels", "area", "areas", "cover"})
_EXCEPT = (("that", "is", "not"), ("that", "are", "not"), ("which", "is", "not"),
           ("which", "are", "not"), ("that", "is", "neither"), ("that", "'s", "not"),
           ("not", "covered", "by"), ("not",), ("except",), ("except", "for"), ("but",),
           ("other", "than"), ("apart", "from"), ("besides",), ("excluding",), ("minus",),
           ("without",), ("neither",), ("no",), ("outside", "of"), ("outside",))
#: Words before a relation that quantify over an object's pixels.
_QUANTIFIERS = {"wholly": "all", "entirely": "all", "completely": "all", "fully": "all",
                "totally": "all", "altogether": "all", "all": "all", "partly": "some",
                "partially": "some", "somewhat": "some", "part": "some"}
#: Words that name other objects of the same class ("another building").
_OTHER = frozenset({"other", "another", "neighbouring", "neighboring", "nearest", "closest",
                    "any", "nearby", "neighbour", "neighbor", "adjacent"})
_HAVING = (("that", "have"), ("that", "has"), ("which", "have"), ("which", "has"),
           ("having",), ("with",), ("have",), ("has",), ("whose", "nearest"),
           ("that", "do", "not", "have"), ("without",))
#: Size words that a size filter in the same phrase makes precise ("small buildings
#: (below 100 m²)"); without one they are refused as vague.
_SIZE_ADJECTIVES = frozenset({"small", "large", "big", "tiny", "huge", "little", "smaller",
                              "larger", "bigger", "giant", "major", "minor", "medium"})


def _sized_later(words: list[str], i: int) -> bool:
    """Whether a size filter follows ``words[i]`` before the next comparison word."""
    for k in range(i + 1, len(words)):
        if words[k] in ("than", "or", "vs"):
            return False
        if read_size(words, k) is not None:
            return True
    return False


_BUT_NOT = (("other", "than"), ("except", "for"), ("except",), ("excluding",), ("but", "not"),
            ("and", "not"), ("apart", "from"), ("minus",), ("without",), ("not", "counting"),
            ("besides",))
_JOINERS = frozenset({",", "or", "and", "and/or", "as", "well", "plus", "+", "&", "/"})
_LIST_WORDS = frozenset({"eg", "ie", "such", "including", "namely", "like", "either", "both",
                         "the", "classes", "class", "types", "i", "e", "g", "together",
                         "combined", "jointly", "collectively", "taken", "all", "put"})


_STOP = (OBJECT_WORDS | PLAIN_WORDS | _LINKS | {"than", "within", "of", "from", "to", "near",
                                                "larger", "smaller", "bigger", "more", "less",
                                                "(", ")", ",", "not", "in", "between"})


#: Words that name the whole region where no class of the legend has that name.
REGION_WORDS = frozenset({"land", "ground", "area", "areas", "everything", "anything", "image",
                          "region", "scene", "map", "pixels", "pixel", "terrain", "surface",
                          "rest", "remainder", "everywhere", "anywhere", "place", "places",
                          "point", "points", "spot", "spots", "location", "locations", "cell",
                          "cells", "tile", "picture", "landscape", "chip", "raster",
                          "extent", "site"})
_REGION_QUALIFIERS = frozenset({"valid", "labelled", "labeled", "mapped", "classified",
                                "whole", "entire", "total", "remaining", "other", "study",
                                "land", "data", "label", "labels"})


_EDGE_WORDS = frozenset({"edge", "edges", "border", "borders", "boundary", "margin", "margins",
                        "frame"})
_RASTER_WORDS = frozenset({"image", "map", "raster", "scene", "chip", "tile", "picture"})


def edges_at(words: list[str], i: int) -> int | None:
    """The position after words that name the raster's border ("the edge of the image", "the
    map border", "its edges"), or None."""
    j = i
    while j < len(words) and words[j] in ("its", "the", "their"):
        j += 1
    if j < len(words) and words[j] in _RASTER_WORDS:
        j += 1
    if j >= len(words) or words[j] not in _EDGE_WORDS:
        return None
    j += 1
    if j + 1 < len(words) and words[j] == "of" and words[j + 1] in _RASTER_WORDS:
        j += 2
    return j


def region_at(words: list[str], i: int) -> int | None:
    """The position after words that name the whole region ("the valid area", "land",
    "any pixel", "the labelled area"), or None."""
    j = i
    while j < len(words) and words[j] in _REGION_QUALIFIERS and j + 1 < len(words) and \
            words[j + 1] in REGION_WORDS | _REGION_QUALIFIERS:
        j += 1
    if j >= len(words) or words[j] not in REGION_WORDS:
        return None
    j += 1
    while j < len(words) and words[j] in ("area", "areas", "pixels", "surface", "cover"):
        j += 1
    return j


def no_data_at(words: list[str], i: int) -> int | None:
    """The position after words that name the pixels without data ("no data", "no-data
    pixels", "nodata", "missing data"), or None."""
    j = i
    if _starts(words, j, ("no", "data")) or _starts(words, j, ("missing", "data")) or \
            _starts(words, j, ("no", "-", "data")):
        j += 2 + (words[j + 1] == "-")
    elif j < len(words) and words[j] in ("no-data", "nodata", "unlabelled", "unlabeled",
                                         "unmapped"):
        j += 1
    else:
        return None
    while j < len(words) and words[j] in ("pixels", "pixel", "area", "areas", "values",
                                          "cells", "region", "regions"):
        j += 1
    return j


_GLOSS_WORDS = frozenset({"area", "areas", "land", "ground", "surface", "surfaces", "cover",
                          "unpaved", "paved", "open", "bare", "built", "natural", "man-made",
                          "manmade", "artificial", "impervious", "sealed", "soil", "terrain",
                          "space", "spaces", "class", "category", "type", "zone", "zones",
                          "patches", "pixels", "buildings", "structures", "roads", "streets",
                          "trees", "woods", "water", "bodies", "vegetation", "grass", "fields",
                          "crops", "farmland", "urban", "rural", "sand", "rock", "dirt", "earth",
                          "i.e.", "ie", "eg", "e.g.", "that", "is", "the", "a", "an", "or",
                          "and", "of", "-", "dry", "wet", "green"})


def _gloss(words: list[str], i: int) -> int | None:
    """The position after a bracket at ``words[i]`` that only describes the class before it
    with plain descriptive words ("land (unpaved area)"): no number, size, relation, class
    list or negation; None otherwise."""
    close = _closing(words, i)
    if close is None or close == i + 1 or close - i > 6:
        return None
    inside = words[i + 1:close]
    if any(w not in _GLOSS_WORDS or _QUANTITY.match(w) for w in inside):
        return None
    return close + 1


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
_SIZE_LEAD = (("have", "a", "footprint", "of"), ("has", "a", "footprint", "of"),
              ("with", "a", "footprint", "of"), ("have", "a", "footprint"),
              ("has", "a", "footprint"), ("with", "a", "footprint"), ("have", "an", "area", "of"),
              ("has", "an", "area", "of"), ("have", "a", "size", "of"), ("has", "a", "size", "of"),
              ("have", "an", "area"), ("has", "an", "area"), ("have", "a", "size"),
              ("has", "a", "size"), ("whose", "footprint", "is"), ("whose", "footprint"),
              ("footprint", "of"), ("footprint",), ("covering",), ("that", "cover"),
              ("a", "footprint", "of"), ("a", "footprint"), ("footprints", "of"),
              ("footprints",),
              ("an", "area", "of"), ("a", "size", "of"), ("whose", "size", "is"),
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
        j = i + 1               # "(among regions larger than 0.125 ha)", "(only those over 1 ha)"
        while j < close and words[j] in _BRACKET_LEADS | OBJECT_WORDS:
            j += 1
        inner = read_size(words, _skip_links(words, j))
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


_BRACKET_LEADS = frozenset({"among", "amongst", "of", "considering", "counting", "only", "for",
                            "out", "the", "those", "ones", "just", "keeping", "including",
                            "all", "when"})


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
    zone = _zone(words, i)
    if zone is not None:
        return zone
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


_ENTERING = frozenset({"touch", "touches", "touching", "intersect", "intersects",
                       "intersecting", "overlap", "overlaps", "overlapping", "enter", "enters",
                       "entering", "reach", "reaches", "reaching", "cross", "crosses",
                       "crossing", "in", "inside", "within", "into", "fall", "falls",
                       "falling", "lie", "lies", "lying", "meet", "meets", "meeting"})
_ZONE_WORDS = frozenset({"zone", "buffer", "band", "corridor", "radius", "belt", "strip",
                         "ring", "margin", "halo", "area"})


def _zone(words: list[str], i: int) -> tuple[tuple[str, Any], int] | None:
    """"touching a 200 m zone around cropland", "inside the 50 m buffer of roads": near."""
    j = i
    while j < len(words) and words[j] in _ENTERING:
        j += 1
    if j == i:
        return None
    while j < len(words) and words[j] in ("a", "an", "the"):
        j += 1
    found = quantity(words, j)
    if found is None or found[0][1] not in LENGTH_UNITS:
        return None
    j = found[1]
    if j < len(words) and words[j] in ("wide", "deep", "large"):
        j += 1
    if j >= len(words) or words[j] not in _ZONE_WORDS:
        return None
    j += 1
    if j < len(words) and words[j] in ("around", "of", "along", "surrounding", "from", "round",
                                       "about", "on", "beside", "next"):
        j += 1 + (words[j] == "next" and j + 1 < len(words) and words[j + 1] == "to")
        return ("near", length_m(*found[0])), j
    return None


def mentions_objects(words: list[str]) -> bool:
    """Whether a phrase names objects by a plural object word ("patches", "bodies")."""
    return any(w in OBJECT_WORDS and w.endswith("s") for w in words)
