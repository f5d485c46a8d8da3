"""Questions about shape and place: connected or fragmented, connected groups, landscape
metrics, and distances between classes."""

from __future__ import annotations

import re
from typing import Any

from geoquant.errors import QuestionError
from geoquant.reason._phrases import length_unit
from geoquant.reason._reading import (
    WH,
    Reader,
    compile_all,
    finish,
    first_match,
)
from geoquant.reason._targets import tokens

# --- connectivity and fragmentation --------------------------------------------------------------

_CONNECTED_THROUGH = compile_all(r"^(?:is|are) (?P<a>.+?) connected (?:to|with) (?P<b>.+?) "
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
_ONE = (r"(?:all )?(?:in )?(?:exactly |just |only )?(?:one|a single|single|a|1)\s*,?\s*"
        r"(?:single\s*,?\s*)?(?:connected|continuous|"
        r"contiguous|unbroken|joined|intact)?\s*,?\s*(?:connected |continuous |contiguous |"
        r"unbroken )?(?:patch|piece|area|region|block|mass|whole|unit|component|network|expanse|"
        r"body|cluster|group|object|stretch|tract)")
_CONNECTED_ALL = compile_all(r"^(?:is|are) (?:all (?:of )?)?(?P<a>.+?) (?:all |fully |well |"
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
_CONNECTED_GROUPS = compile_all(r"^how many (?:connected|separate|distinct|disconnected) (?:groups|"
                             r"components|networks|clusters|parts) (?:of|in) (?P<a>.+)$",
                             r"^how many (?:connected|separate|distinct) (?:groups|components|"
                             r"networks|clusters|parts) do(?:es)? (?P<a>.+?) (?:form|have)$",
                             r"^into how many (?:connected )?(?:groups|components|parts|pieces|"
                             r"clusters) (?:is|are) (?P<a>.+?) (?:split|divided|broken)$")


def connectivity(r: Reader, text: str) -> dict[str, Any] | None:
    if m := first_match(_CONNECTED_THROUGH, text):
        of, to, through = (r.target(m[k]).mask for k in "abc")
        return r.answer(r.doc.add("connected", "connected", through=through, of=of, to=to))
    words = tokens(text)
    if "or" in words and _CONNECTED_WORDS & set(words) and _FRAGMENTED_WORDS & set(words):
        mask = _state_target(r, words)
        r.doc.note("connected means one connected group (8-connectivity); otherwise "
                   "fragmented")
        return r.answer(r.doc.add("connectivity", "connectivity", of=mask))
    whole = first_match(_CONNECTED_ALL, text)
    if not (m := whole or first_match(_CONNECTED_GROUPS, text)):
        return None
    mask = r.target(m["a"], objects=True).mask
    groups = r.doc.add("groups", "connected_groups", of=mask)
    if not whole:
        return r.answer(groups)
    one = r.doc.add("one", "number", value=1)
    r.doc.note("connected means one connected group (8-connectivity)")
    return r.answer(r.doc.add("connected", "compare", of=groups, to=one, comparison="=="))


def _state_target(r: Reader, words: list[str]) -> str:
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
_FRAGMENTED = compile_all(r"^(?:is|are) (?P<a>.+?) fragmented$",
                       r"^how fragmented (?:is|are) (?P<a>.+)$")


def fragmentation(r: Reader, text: str) -> dict[str, Any] | None:
    """Landscape metrics of one class (area metrics come in ha, as the operator gives them)."""
    if m := first_match(_FRAGMENTED, text):
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
_DISTANCE = compile_all(rf"^(?:{WH} )?{_CLOSEST}(?:distance|gap|separation) between (?P<a>.+?) "
                        r"and (?P<b>.+)$",
                     rf"^(?:{WH} )?{_CLOSEST}(?:distance|gap) (?:from|of) (?P<a>.+?) to "
                     r"(?P<b>.+)$",
                     r"^how far (?:away )?(?:is|are|lies|lie) (?P<a>.+?) from (?P<b>.+)$",
                     r"^how far (?:is it|does one have to go) from (?P<a>.+?) to (?P<b>.+)$",
                     r"^how far apart (?:is|are) (?P<a>.+?) and (?P<b>.+)$",
                     rf"^(?:{WH} )?(?:minimum |min |shortest |smallest |closest |nearest )"
                     r"distance (?P<a>[a-z ]+?)(?: to |-| and )(?P<b>[a-z ]+)$",
                     r"^how (?:close|near) (?:is|are|does|do) (?P<a>.+?) (?:come |get )?to "
                     r"(?P<b>.+)$")


def distance(r: Reader, text: str) -> dict[str, Any] | None:
    if not (m := first_match(_DISTANCE, text)):
        return None
    b = re.sub(r"^(?:any |nearest |closest |a |an )+", "", m["b"])
    of, to = r.target(m["a"], objects=True).mask, r.target(b, objects=True).mask
    return r.answer(r.doc.add("distance", "min_distance", of=of, to=to,
                              unit=length_unit(r.unit)))
