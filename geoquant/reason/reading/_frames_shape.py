"""Questions about shape and place: connected or fragmented, connected groups, landscape
metrics, and distances between classes."""

from __future__ import annotations

import re
from typing import Any

from geoquant.errors import QuestionError
from geoquant.reason.plans._ops import AREA_UNITS, LENGTH_UNITS
from geoquant.reason.reading._phrases import length_unit
from geoquant.reason.reading._reading import (
    WH,
    Reader,
    compile_all,
    finish,
    first_match,
)
from geoquant.reason.reading._targets import tokens

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
            unit = {}
            if r.unit is not None and r.unit != fixed:
                kinds = [k for k in (AREA_UNITS, LENGTH_UNITS) if fixed in k and r.unit in k]
                if not kinds:
                    raise QuestionError(f"the {metric} metric is reported in {fixed}, not "
                                        f"{r.unit}: ask for it in {fixed} or leave the unit out")
                unit = {"unit": r.unit}                # "the mean patch size in acres"
            mask = r.target(m["a"], objects=True).mask
            return r.answer(r.doc.add(metric, "fragmentation", of=mask, metric=metric, **unit))
    return None


# --- distance ------------------------------------------------------------------------------------

_CLOSEST = r"(?:minimum |min |shortest |smallest |closest |nearest |least |minimal )?"
_DISTANCE = compile_all(rf"^(?:{WH} )?{_CLOSEST}(?:distance|gap|separation) between (?P<a>.+?) "
                        r"and (?P<b>.+)$",
                     rf"^(?:{WH} )?{_CLOSEST}(?:distance|gap) (?:from|of) (?P<a>.+?) to "
                     r"(?P<b>.+)$",
                     r"^how far (?:is it|does one have to go) from (?P<a>.+?) to (?P<b>.+)$",
                     r"^how far (?:away )?(?:is|are|lies|lie) (?P<a>.+?) from (?P<b>.+)$",
                     r"^how far apart (?:is|are) (?P<a>.+?) and (?P<b>.+)$",
                     rf"^(?:{WH} )?(?:minimum |min |shortest |smallest |closest |nearest )"
                     r"distance (?P<a>[a-z ]+?)(?: to |-| and )(?P<b>[a-z ]+)$",
                     r"^how (?:close|near) (?:is|are|does|do) (?P<a>.+?) (?:come |get )?to "
                     r"(?P<b>.+)$")


_TWO_LARGEST = compile_all(
    r"^how far apart (?:is|are) (?:the )?(?:two|2) (?P<e>largest|biggest) (?P<a>.+)$",
    rf"^(?:{WH} )?{_CLOSEST}(?:distance|gap|separation) between (?:the )?(?:two|2) "
    r"(?P<e>largest|biggest) (?P<a>.+)$",
    rf"^(?:{WH} )?{_CLOSEST}(?:distance|gap|separation) between (?:the )?(?P<e>largest|biggest) "
    r"and (?:the )?second (?:largest|biggest) (?P<a>.+)$")


_NEIGHBOURS = compile_all(
    r"^how far apart (?:is|are) (?:the )?(?:two|2) (?P<s>closest|nearest) (?P<a>.+)$",
    # "the shortest distance between two separate water bodies": the two closest
    rf"^(?:{WH} )?(?:the )?(?P<s>shortest|smallest|minimum|least) (?:distance|gap|separation) "
    r"between (?:any )?(?:two|2) (?P<a>.+)$",
    rf"^(?:{WH} )?(?:the )?(?:shortest |smallest |minimum )?(?:distance|gap|separation) between "
    r"(?:the )?(?:two|2) (?P<s>closest|nearest) (?P<a>.+)$",
    rf"^(?:{WH} )?(?:the )?(?P<s>mean|average|median|maximum|largest|minimum|smallest|shortest)?"
    r" ?nearest[- ]neighbou?r distance (?:between|of|among|for) (?P<a>.+)$",
    rf"^(?:{WH} )?(?:the )?(?P<s>mean|average|median|typical)? ?distance (?:from )?(?:each|every|"
    r"an?|one) (?P<a>.+?) to (?:the |its )?(?:nearest|closest) (?:other|neighbou?ring|"
    r"neighbou?r)(?: one| [a-z]+(?: [a-z]+)?)?$",
    r"^how far (?:is|are) (?:each|every|an?|one) (?P<a>.+?) from (?:the |its )?(?:nearest|"
    r"closest) other(?: one)?(?:,? on average)?$")
_NEIGHBOUR_STATS = {"closest": "min", "nearest": "min", "mean": "mean", "average": "mean",
                    "typical": "mean", "median": "median", "maximum": "max", "largest": "max",
                    "minimum": "min", "smallest": "min", "shortest": "min"}


_PERIMETER = compile_all(
    rf"^(?:{WH} )?(?:the )?(?:total |combined |overall )?(?:perimeter|boundary length|outline "
    r"length|shoreline(?: length)?|coastline(?: length)?|length of (?:the )?(?:boundary|"
    r"boundaries|outline|shore|shoreline|border)s?|circumference) (?:of|around) (?P<a>.+)$",
    r"^how long is (?:the )?(?:total |combined )?(?:perimeter|boundary|outline|shoreline|"
    r"coastline) (?:of|around) (?P<a>.+)$")


def distance(r: Reader, text: str) -> dict[str, Any] | None:
    if m := first_match(_PERIMETER, text):       # "the perimeter of the largest forest patch"
        of = r.target(m["a"], objects=True).mask
        return r.answer(r.doc.add("perimeter", "perimeter", of=of, unit=length_unit(r.unit)))
    if m := first_match(_NEIGHBOURS, text):      # "how far apart are the two closest lakes"
        stat = _NEIGHBOUR_STATS.get(m.groupdict().get("s") or "", "mean")
        of = r.target(re.sub(r"\s+(?:to each other|from each other|apart)$", "", m["a"]),
                      objects=True).mask
        return r.answer(r.doc.add("neighbour_distance", "neighbour_distance", of=of, stat=stat,
                                  unit=length_unit(r.unit)))
    if m := first_match(_TWO_LARGEST, text):       # "how far apart are the two largest lakes"
        first = r.target(f"largest {m['a']}", objects=True).mask
        second = r.target(f"second largest {m['a']}", objects=True).mask
        return r.answer(r.doc.add("distance", "min_distance", of=first, to=second,
                                  unit=length_unit(r.unit)))
    if not (m := first_match(_DISTANCE, text)):
        return None
    a, b = (re.sub(r"^(?:any |nearest |closest |a |an )+", "", m[k]) for k in ("a", "b"))
    of, to = r.target(a, objects=True).mask, r.target(b, objects=True).mask
    return r.answer(r.doc.add("distance", "min_distance", of=of, to=to,
                              unit=length_unit(r.unit)))


# --- statistics of a distance field --------------------------------------------------------------

_STATS = {"greatest": "max", "largest": "max", "longest": "max", "maximum": "max", "max": "max",
          "biggest": "max", "farthest": "max", "furthest": "max", "highest": "max",
          "mean": "mean", "average": "mean", "typical": "mean", "median": "median"}
_STAT = rf"(?P<s>{'|'.join(_STATS)})"
_FROM_ALL = r"(?:all |any |every |each |nearest |closest |a |an )*"
_STAT_FRAMES = compile_all(
    rf"^(?:{WH} )?{_STAT} (?:euclidean )?distance (?:from|of|between) (?P<a>.+?) (?:to|and|from) "
    rf"(?:its |their ){{0,1}}{_FROM_ALL}(?P<b>.+)$",
    rf"^(?:{WH} )?{_STAT} (?:euclidean )?distance to {_FROM_ALL}(?P<b>.+?)"
    r"(?: (?:for|from|of|over|across|among) (?P<a>.+))?$",
    rf"^how far (?:away )?(?:is|are|lies|lie) (?P<a>.+?) (?:(?:that|which) (?:is|are|lies|lie) )?"
    rf"(?P<s>farthest|furthest) (?:away )?from {_FROM_ALL}(?P<b>.+)$",
    rf"^how far (?:away )?(?:is|are|lies|lie) (?P<s>farthest|furthest) (?P<a>.+?) from "
    rf"{_FROM_ALL}(?P<b>.+)$",
    rf"^how far (?:can|could) (?:you|one|a person|anyone) (?:get|be|go|stand) (?:away )?from "
    rf"{_FROM_ALL}(?P<b>.+)$",
    rf"^(?:on average,? )?how far (?:away )?(?:is|are|lie|lies) (?P<a>.+?) from {_FROM_ALL}"
    r"(?P<b>.+?),? on average$",
    rf"^how far (?:on average|typically) (?:is|are|lie|lies) (?P<a>.+?) from {_FROM_ALL}"
    r"(?P<b>.+)$",
    rf"^(?P<s>on average|typically),? how far (?:away )?(?:is|are|lie|lies) (?P<a>.+?) from "
    rf"{_FROM_ALL}(?P<b>.+)$",
    rf"^(?:{WH} )?{_STAT} distance (?:that )?(?:any|a|an|one|some|each) (?P<a>.+?) (?:is|lies|"
    rf"can be|gets|sits) (?:away )?from {_FROM_ALL}(?P<b>.+)$",
    rf"^(?:{WH} )?(?P<s>farthest|furthest) (?:that |distance )?(?:any |a |an |one |some )?"
    rf"(?P<a>.+?) (?:is|are|lies|lie|gets|get|can be|sits) (?:away )?from {_FROM_ALL}"
    r"(?P<b>.+)$")
_FARTHER_ANYWHERE = compile_all(
    r"^(?:is|are) there (?:a |an |any |some |at least one )?(?P<a>.+?) (?:that is |which is |"
    r"lying |located )?(?P<c>more than|over|farther than|further than|beyond|at least|"
    r"greater than) (?P<d>[\d.]+ [a-z]+) (?:away )?from "
    rf"{_FROM_ALL}(?P<b>.+)$",
    r"^(?:is|are) (?:any|some|there any) (?P<a>.+?) (?:that is |which is |lying |located )?"
    r"(?P<c>more than|over|farther than|further than|beyond|at least|greater than) "
    rf"(?P<d>[\d.]+ [a-z]+) (?:away )?from {_FROM_ALL}(?P<b>.+)$",
    r"^(?:is|are) (?:every|each|all) (?P<a>.+?) (?P<c>within|less than|at most|no more "
    rf"than|closer than) (?P<d>[\d.]+ [a-z]+) (?:of|from|to) {_FROM_ALL}(?P<b>.+)$")
#: Phrases that name the whole region as the pixels measured ("any pixel", "anywhere").
_ANYWHERE = re.compile(r"^(?:a |an |any |every |each |all |some |single )?(?:pixel|pixels|point|"
                       r"points|place|places|location|locations|spot|spots|cell|cells|site|"
                       r"sites|position|positions|part|parts|area|areas|ground)"
                       r"(?: (?:of|in|on) (?:image|map|scene|area|region|ground))?$|^anywhere$")


def distance_stats(r: Reader, text: str) -> dict[str, Any] | None:
    """The greatest, mean or median distance to the nearest pixel of a class, over the whole
    region or over the pixels of another ("the water pixel farthest from all forest": the
    directed Hausdorff distance), and whether any place lies farther than a distance."""
    from geoquant.reason.reading._phrases import length_m

    if m := first_match(_FARTHER_ANYWHERE, text):
        value, unit = m["d"].split()
        limit = length_m(value, unit)
        args = _stat_args(r, m["a"], m["b"], "max")
        args.pop("_objects", None)
        stat = r.doc.add("greatest_distance", "distance_stat", **args)
        number = r.doc.add("limit", "number", value=limit, unit="m")
        every = m["c"] in ("within", "less than", "at most", "no more than", "closer than")
        comparison = ("<=" if m["c"] != "closer than" else "<") if every else (
            ">=" if m["c"] == "at least" else ">")
        return r.answer(r.doc.add("answer", "compare", of=stat, to=number,
                                  comparison=comparison))
    if not (m := first_match(_STAT_FRAMES, text)):
        return None
    stat = _STATS.get(m.groupdict().get("s") or "", "max")
    if m.groupdict().get("s") in ("on average", "typically"):
        stat = "mean"
    if "on average" in text or "typically" in text:
        stat = "mean"
    args = _stat_args(r, m.groupdict().get("a"), m["b"], stat)
    if stat != "max" and "of" in args:
        selection_objects = args.pop("_objects")
        if selection_objects:
            args["per"] = "object"
            r.doc.note("a mean or median distance from objects to a class takes each object "
                       "at its closest pixel (geoquant's rule; ask 'per pixel' for every pixel)")
    args.pop("_objects", None)
    return r.answer(r.doc.add(f"{stat}_distance", "distance_stat",
                              unit=length_unit(r.unit), **args))


def _stat_args(r: Reader, a: str | None, b: str, stat: str) -> dict[str, Any]:
    from geoquant.reason.reading._reading import COUNTABLE_CLASSES

    b = re.sub(r"^(?:all |any |every |each |nearest |closest |other )+", "", b.strip())
    to = r.target(b, objects=False).mask
    args: dict[str, Any] = {"to": to, "stat": stat}
    a = (a or "").strip()
    per_pixel = re.search(r"\bpixels?\b|\bper pixel\b", a) is not None
    a = re.sub(r"\s+per pixel$", "", a)
    a = re.sub(r"^(?:(?:a|an|any|every|each|all|single|one) )*(?:point|pixel|spot|place|"
               r"location|part|cell|bit|piece)s? (?:of|in|on) ", "", a)   # "point of land"
    if a and not _ANYWHERE.match(a):
        a = re.sub(r"^(?:a |an |any |every |each |all |single |one )+", "", a)
        selection = r.target(a, objects=False)
        args["of"] = selection.mask
        base = next((s for s in r.doc.steps if s["id"] == selection.base), {})
        args["_objects"] = not per_pixel and (selection.objects
                                              or base.get("class") in COUNTABLE_CLASSES)
    return args


# --- crossing the region from edge to edge --------------------------------------------------------

_EDGE_SIDES = {"north": "top", "northern": "top", "top": "top", "upper": "top",
               "south": "bottom", "southern": "bottom", "bottom": "bottom", "lower": "bottom",
               "west": "left", "western": "left", "left": "left", "east": "right",
               "eastern": "right", "right": "right"}
_SIDE = rf"(?:{'|'.join(_EDGE_SIDES)})"
_EDGE = (r"(?: (?:edge|side|border|boundary|margin))?(?: of (?:map|image|chip|scene|tile|region|"
         r"area|picture|raster))?")
_CROSSING = compile_all(
    rf"^(?:(?:is it possible to|(?:can|could) (?:one|you|i|we|someone|a person|an animal|a boat|"
    rf"water)) )?(?:go|travel|get|move|walk|cross|pass|swim|sail|drive|flow) "
    rf"(?:all (?:the )?way )?(?:from )?(?P<e1>{_SIDE})"
    rf"{_EDGE} to (?P<e2>{_SIDE}){_EDGE},? (?:(?:while )?(?:staying|remaining|keeping|moving) "
    r"(?:only |always |entirely )?(?:inside|within|in|on)|through|via|on|along|across|over|within|"
    r"using|by|in) (?:only )?(?P<t>.+?)(?: only| alone| without leaving it)?$",
    rf"^(?:(?:is it possible to|(?:can|could) (?:one|you|i|we|someone|a person|an animal)) )?"
    r"(?:go|travel|get|move|walk|cross|pass|swim|sail|drive) (?:through|via|on|along|across|"
    r"over|within|using|by|in) "
    rf"(?:only )?(?P<t>.+?)(?: only| alone)? from (?P<e1>{_SIDE}){_EDGE} to "
    rf"(?P<e2>{_SIDE}){_EDGE}$",
    rf"^(?:is|are) (?P<t>.+?) (?:connected|continuous|unbroken|linked) (?:all (?:the )?way )?"
    rf"(?:from )?(?P<e1>{_SIDE}){_EDGE} to (?P<e2>{_SIDE}){_EDGE}$",
    rf"^(?:does|do) (?P<t>.+?) (?:connect|link|join|span|cross|reach across|stretch across) "
    rf"(?:map |image |chip |scene |region |area )?(?:from )?(?P<e1>{_SIDE})(?: edge| side)? "
    rf"(?:and|to) (?P<e2>{_SIDE}){_EDGE}(?: edges| sides)?$")


def crossing(r: Reader, text: str) -> dict[str, Any] | None:
    """Whether a class joins two edges of the raster ("can one go from the northern edge to the
    southern edge through forest only?"): a path of the class's pixels (8-connected, or 4)
    from one of its pixels on the first edge to one on the second."""
    if not (m := first_match(_CROSSING, text)):
        return None
    first, second = _EDGE_SIDES[m["e1"]], _EDGE_SIDES[m["e2"]]
    if first == second:
        raise QuestionError(f"the question goes from the {m['e1']} edge to the {m['e2']} edge, "
                            "which is one edge: name two edges")
    through = r.target(re.sub(r"\s+(?:pixels|pixel|cells|only|alone)$", "", m["t"])).mask
    ends = []
    for side in (first, second):
        edge = r.doc.add(f"{side}_edge", "edge", side=side)
        ends.append(r.doc.add(f"{side}_of_{through}", "intersection", of=[edge, through]))
    return r.answer(r.doc.add("crosses", "connected", through=through, of=ends[0], to=ends[1]))
