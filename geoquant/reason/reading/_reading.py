"""What every question frame of the planner shares: the reader of one question (its plan
document, target reader and answer unit), the rule that every word is read, and the words a
question may end with."""

from __future__ import annotations

import re
from typing import Any

from geoquant.errors import QuestionError
from geoquant.reason.reading._targets import (
    Document,
    Selection,
    TargetReader,
    mentions_objects,
    tokens,
)
from geoquant.segment import Vocabulary

COUNTABLE_CLASSES = frozenset({"building", "solar panel", "playground"})
TAIL = frozenset("are there is there exist exists exist? in total altogether overall total "
                  "combined together in all found located , can be do you see we have "
                  "of them appear appears occur occurs remain remains showing shown seen "
                  "present counted detected identified that which".split())
AREA_RULE = ("'more A than B' compares areas (geoquant's rule: areas, unless the question "
              "counts objects: 'number of', 'fewer', or patches, regions, bodies, buildings)")
COUNT_RULE = ("'more A than B' compares numbers of objects: the question counts ('number "
               "of', 'fewer', or patches, regions, bodies, buildings)")


class Reader:
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

    def target(self, phrase: str, *, objects: bool = False, tail: frozenset[str] = TAIL,
               reader: TargetReader | None = None) -> Selection:
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


def compile_all(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in patterns)


def first_match(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := p.match(text))), None)



def counts_objects(phrase: str, r: Reader) -> bool:
    """Whether a phrase names objects to count: a plural object word ("patches", "bodies"),
    "number of", or a countable class in the plural ("buildings")."""
    words = tokens(phrase)
    if mentions_objects(words) or re.match(r"^(?:number|count) of\b", phrase):
        return True
    found = r.targets.class_at(words, 0)
    return bool(found and isinstance(found[0], dict) and found[0].get("class")
                in COUNTABLE_CLASSES and words[found[1] - 1].endswith("s"))


WH = (r"(?:what is|what are|give|give me|calculate|compute|find|report|determine|measure|"
       r"estimate|state|provide|return|quantify|get|tell)")

#: The op of each kind of measure a comparison or an object-size question reads.
MEASURE_OPS = {"largest": "largest_object", "smallest": "smallest_object",
               "mean": "mean_object", "share": "share", "count": "count", "area": "area"}
