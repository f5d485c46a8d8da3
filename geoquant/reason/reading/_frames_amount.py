"""How much and how many: shares of the image or of a class, areas, object sizes and counts."""

from __future__ import annotations

import re
from typing import Any

from geoquant.errors import ClassNameError, QuestionError
from geoquant.reason.plans._ops import AREA_UNITS
from geoquant.reason.reading._phrases import area_unit
from geoquant.reason.reading._reading import (
    MEASURE_OPS,
    TAIL,
    WH,
    Reader,
    compile_all,
    counts_objects,
    finish,
    first_match,
)
from geoquant.reason.reading._targets import region_at, tokens

# --- shares --------------------------------------------------------------------------------------

_SHARE = r"(?:share|%|percentage|fraction|proportion|part|portion|ratio|percent)"
_VERB = (r"(?:is|are|lies|lie|falls|fall|sits|sit|is located|are located|is situated|"
         r"are situated|is found|are found|can be found|was|were)")
_COVERED = (r"(?:covered by|occupied by|made up of|taken up by|classified as|labell?ed as|"
            r"composed of|comprised of|under|in|inside|part of|contained in|found in|held by|"
            r"held in|)")
#: "what share of D is (covered by) T": the words after the verb select within D.
_SHARE_VERB = re.compile(
    rf"^(?:what|which|how much|how large a|how big a) {_SHARE} (?:of (?P<d>.+?) )?{_VERB} "
    rf"{_COVERED} ?(?P<t>.+)$")
#: Frames where T is covered by something: "what share (of D) is covered by T", "what % do T
#: cover", "what is the share (of D) that is T", "what is the share under T".
_SHARE_COVERED = compile_all(
    rf"^(?:what|how much|how large|how big) is {_SHARE} (?:of (?P<d>.+?) )?(?:that is |which is )?"
    rf"(?:covered|occupied|taken up) by (?P<t>.+)$",
    r"^how much of (?P<d>area|land|surface|total area) (?:is|are) (?:covered by |occupied by )?"
    r"(?P<t>.+)$",
    rf"^(?:what|which|how much) {_SHARE} (?:of (?P<d>.+?) )?do(?:es)? (?P<t>.+?) (?:covers?|"
    r"occup(?:y|ies)|takes? up|makes? up|accounts? for|represents?|fills?|spans?|holds?|"
    r"constitutes?|comprises?|forms?)$",
    rf"^(?:what|which|how much) {_SHARE} (?:of (?P<d>.+?) )?(?:do(?:es)? )?(?P<t>.+?) (?:covers?|"
    r"occup(?:y|ies)|takes? up|makes? up|accounts? for|represents?|fills?|spans?|holds?|"
    r"constitutes?|comprises?|forms?)$",
    rf"^what is (?:combined |total |overall )?{_SHARE} (?:of (?P<d>.+?) )?(?:that|which) "
    r"(?:is|are) (?P<t>.+)$",
    rf"^(?:what|how much) is {_SHARE} (?:of (?P<d>.+?) )?under (?P<t>.+)$")
#: "what is the share of T": of the image, or (with relations) of T's classes.
_SHARE_OF = compile_all(
    rf"^(?:what|which) (?:is )?(?:combined |total |overall )?(?:{_SHARE}|coverage)"
    r"(?: cover| coverage)? of (?!.* (?:covers?|occup(?:y|ies)|takes? up|makes? up|holds?|"
    r"accounts? for|represents?|constitutes?|comprises?|forms?)$)(?P<t>.+)$",
    rf"^(?:{WH}) (?:combined |total |overall )?(?:{_SHARE}|coverage|cover)(?: cover| coverage)?"
    r" of (?P<t>.+)$")
#: The measure after its target: "the forest coverage", "forest covers what percentage".
_SHARE_AFTER = compile_all(
    rf"^(?:{WH}) (?P<t>.+?) (?:coverage|share|percentage|fraction|proportion|cover %|cover "
    r"percentage)(?: %| percentage| ratio)?$",
    rf"^(?P<t>.+?) (?:covers|occupies|makes up|accounts for|represents|is|are|takes up) "
    rf"what {_SHARE}$")
#: "how much area is covered by T": an area when an area unit is asked, else a share.
_AREA_COVERED = re.compile(r"^how much (?:area )?(?:is|are) (?:covered|occupied) by (?P<t>.+)$")


#: "T as a % of all D" once its unit is read: T's share of D.
_PART_OF_ALL = re.compile(rf"^(?:{WH} )?(?P<t>(?!(?:share|%|percentage|fraction|proportion)\b).+?) "
                          r"of (?:all|total|whole|entire|the whole|the entire) (?P<d>.+)$")


def share(r: Reader, text: str) -> dict[str, Any] | None:
    """Share of the region, of a class (the denominator), or of a class near another."""
    how_much_of = re.match(r"^how much of (?P<d>.+)$", text)
    # "how much (of the image) is forest"
    if how_much := re.match(r"^how much (?:is|are) (?:covered by |occupied by |taken up by |"
                            r"made up by |filled by )?(?P<t>.+)$", text):
        if r.unit in AREA_UNITS:
            return _area_of_phrase(r, how_much["t"])
        return r.answer(r.doc.add("share", "share", of=r.target(how_much["t"]).mask))
    if r.unit == "%" and (part := _PART_OF_ALL.match(text)):   # "the largest dry patch as a
        return _share_of_denominator(r, part["d"], part["t"], covered=True)   # % of all dry land"
    # in this order: the "share of T" frames before the "share of D that is T" ones
    frames = ((_SHARE_VERB,), _SHARE_COVERED[:1], _SHARE_OF, _SHARE_COVERED[1:], _SHARE_AFTER,
              (_AREA_COVERED,))
    m, kind = next(((m, n) for n, patterns in enumerate(frames)
                    if (m := first_match(patterns, text))), (None, None))
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
    whole = groups.get("d") and _is_whole_region(r, groups["d"])
    if groups.get("d") and not whole:
        plural = re.search(r" (?:are|lie|fall|sit|were)(?: located| situated| found)? ",
                           text[:len(text) - len(groups["t"])] + " ") is not None
        return _share_of_denominator(r, groups["d"], groups["t"], covered=kind != 0
                                     or _is_covered(m["t"], text), plural=plural)
    if kind == 2:
        return _share_of_denominator(r, groups["t"], None)
    saved = r.doc.snapshot()
    try:
        selection = r.target(groups["t"])
    except (QuestionError, ClassNameError):
        if not whole or not re.match(
                r"^(?:is |are |lies? |falls? |located |situated )?(?:within|farther|further|"
                r"more than|less than|at least|at most|beyond|outside|inside|adjacent|touching|"
                r"next to|bordering|not|closer|nearer|over|under|no more|no closer)\b",
                groups["t"]):
            raise
        r.doc.restore(saved)        # "what share of the land lies within 5 m of a road"
        selection = r.target(f"{groups['d']} {groups['t']}")
    return r.answer(r.doc.add("share", "share", of=selection.mask))


def _is_whole_region(r: Reader, phrase: str) -> bool:
    """Whether a denominator names the whole region ("the land", "the valid area") and no
    class of the legend."""
    words = tokens(phrase)
    if r.targets.class_at(words, 0) is not None:
        return False
    return phrase in ("area", "land", "surface", "total area") or \
        region_at(words, 0) == len(words)


def _is_covered(predicate: str, text: str) -> bool:
    """Whether the verb of a share question was "covered by" (or the like), cut from
    ``predicate``."""
    before = text[:len(text) - len(predicate)]
    return re.search(r"\b(?:covered|occupied|made up|taken up|classified|labell?ed|composed|"
                     r"comprised)(?: by| of| as)? ?$", before) is not None


def _share_of_denominator(r: Reader, denominator: str, predicate: str | None, *,
                          covered: bool = False, plural: bool = False) -> dict[str, Any]:
    """A share of a class D: "what share of D is covered by T" (T within D), "what share of D
    lies within 100 m of water" (the words after the verb select within D), or "what share of
    D within 100 m of water" (no verb: the relations select within D). Objects with a plural
    verb ("what share of the buildings are ...") are a share of their number."""
    if r.unit not in (None, "%"):
        raise QuestionError(f"a share is a percentage, not {r.unit}: leave out 'in {r.unit}'")
    if predicate is None:
        words = tokens(denominator)
        head, i = r.targets.target(words, 0, relations=False, filters=False)
        selection, i = r.targets.modifiers(words, i, head.mask, objects=head.objects)
        finish(words, i, TAIL, denominator)
        if selection.mask == head.mask:      # "what percentage of forest?": of the whole image
            return r.answer(r.doc.add("share", "share", of=head.mask))
        return r.answer(r.doc.add("share", "share", of=selection.mask, within=head.mask))
    if plural and not covered and counts_objects(denominator, r):   # "... buildings lie ..."
        saved = r.doc.snapshot()
        found = _share_by_number(r, denominator, predicate)
        if found is not None:
            return found
        r.doc.restore(saved)
    if not covered and counts_objects(denominator, r):
        r.doc.note(SHARE_OF_OBJECT_AREA_RULE)
    scope = r.target(denominator)
    words = tokens(predicate)
    selection, i = r.targets.modifiers(words, 0, scope.mask, objects=scope.objects)
    if i == 0 or covered:                # "what share of the forest is (covered by) wetland"
        part = r.target(predicate)
        both = r.doc.add("overlap", "intersection", of=[part.mask, scope.mask])
        return r.answer(r.doc.add("share", "share", of=both, within=scope.mask))
    finish(words, i, TAIL, predicate)
    return r.answer(r.doc.add("share", "share", of=selection.mask, within=scope.mask))


def _share_by_number(r: Reader, denominator: str, predicate: str) -> dict[str, Any] | None:
    """The share of the objects a phrase names that meet the predicate's size filters and
    relations, by number; None when the predicate is no such condition."""
    scope = r.target(denominator, objects=True)
    words = tokens(predicate)
    selection, i = r.targets.modifiers(words, 0, scope.mask, objects=True)
    if i == 0:
        return None
    finish(words, i, TAIL, predicate)
    r.doc.note(SHARE_OF_OBJECTS_RULE)
    part = r.doc.add("n_selected", "count", of=selection.mask)
    whole = r.doc.add("n_all", "count", of=scope.mask)
    return r.answer(r.doc.add("share", "ratio", of=part, to=whole, scale=100, unit="%"))


#: How "what share of the lakes is ..." (a singular verb) is read (a plan note).
SHARE_OF_OBJECT_AREA_RULE = ("a share of objects with a singular verb ('what share of the "
                             "lakes is ...') is a share of their area; 'what share of the "
                             "lakes are ...' counts them")
#: How "what share of the lakes ..." is read (a plan note).
SHARE_OF_OBJECTS_RULE = ("a share of objects ('what share of the buildings are ...') is a share "
                         "of their number: the objects that meet the condition over all of them "
                         "(say 'of the building area' for a share of area)")


# --- object sizes, areas, counts -----------------------------------------------------------------

_LARGEST = compile_all(
    rf"^(?:{WH}|how (?:large|big) is|what size is|what is size of) (?:(?:size|area|extent) of )?"
    r"(?P<k>largest|biggest|smallest|tiniest|maximum|minimum|max|min) (?P<a>.+?)(?: size| area)?$",
    r"^how (?:large|big) (?:is|are) (?P<k>largest|biggest|smallest) (?P<a>.+)$",
    r"^(?P<k>largest|biggest|smallest) (?P<a>.+?) (?:is|has) what (?:size|area)$")
_MEAN = compile_all(rf"^(?:{WH}) (?:mean|average|typical) (?:footprint area|footprint size|"
                    r"footprint|size|area|extent|surface) (?:of|per) (?P<a>.+)$",
                 r"^how (?:large|big) (?:is|are) (?P<a>.+?) on average$",
                 r"^on average,? how (?:large|big) (?:is|are) (?P<a>.+)$",
                 rf"^(?:{WH}) (?:mean|average|typical) (?P<a>.+?)(?: size| area)?$")


def object_size(r: Reader, text: str) -> dict[str, Any] | None:
    for patterns, kind in ((_LARGEST, None), (_MEAN, "mean")):
        if m := first_match(patterns, text):
            if r.unit == "%":
                return None      # "what percentage ... largest ...": a share
            kind = kind or ("smallest" if m["k"] in ("smallest", "tiniest", "minimum", "min")
                            else "largest")
            mask = r.target(m["a"], objects=True).mask
            op = MEASURE_OPS[kind]
            name = "mean_size" if kind == "mean" else kind
            return r.answer(r.doc.add(name, op, of=mask,
                                      unit=area_unit(r.unit, "an object's size")))
    return None


_AREA_IN_UNITS = re.compile(r"^(?:how many |what is (?:total |combined )?)(?P<u>m2|ha|km2|"
                            r"ft2|yd2|mi2|acre) "
                            r"(?:of |(?:are|is) (?:covered|occupied) by |do(?:es)? |are there of |"
                            r"(?:are|is) )?(?P<a>.+?)(?: cover| occupy| are there| is there| take "
                            r"up)?$")
_AREA = compile_all(
    rf"^(?:{WH}|how (?:large|big|much|extensive) is) (?:total |combined |overall |entire )?"
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
    r"^how much (?P<a>.+?)(?: (?:is|are) there(?: in total| altogether| overall)?| exists?)?$")
_AREA_WORDS = frozenset({"area", "areas", "extent", "surface", "coverage", "cover"})
_AREA_ANY = re.compile(rf"^(?:{WH}) (?:total |combined |overall |entire )?(?P<a>.+)$")


#: One object named in the singular without saying which ("how big is the lake?").
_ONE_OF_MANY = re.compile(r"^how (?:big|large|extensive|wide) is (?:the |this |that )?"
                          r"(?P<x>lake|pond|reservoir|building|house|field|island|parcel|patch|"
                          r"water body|forest patch|plot|pool|river|road)$")


def area(r: Reader, text: str) -> dict[str, Any] | None:
    """Area of a target (classes with filters and relations)."""
    if m := _ONE_OF_MANY.match(text):
        x = m["x"]
        raise QuestionError(f"'the {x}' names one {x}, but the map may hold many: ask 'how big is "
                            f"the largest {x}', 'what is the total area of the {x}s' or 'the "
                            f"mean {x} size'")
    if m := _AREA_IN_UNITS.match(text):
        r.unit = m["u"]
    elif not (m := first_match(_AREA, text)):
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


#: Where the noun phrase of a target ends and its filters and relations begin.
_RELATION_WORD = re.compile(r"\s(?:within|farther|further|more|less|that|which|adjacent|touch\w*|"
                            r"next|near|beyond|outside|inside|not|at|border\w*|lie|lies|are|is|"
                            r"over|under|above|below|larger|smaller|bigger|of|in|on|with|between)"
                            r"\b")


def _area_of_phrase(r: Reader, phrase: str) -> dict[str, Any]:
    """The area of a target; objects named in the plural ("the buildings that touch a road",
    "the lakes within 1 km of forest") are whole objects, a mass noun ("the forest within
    100 m of water") its pixels."""
    head = _RELATION_WORD.split(phrase, maxsplit=1)[0]
    mask = r.target(phrase, objects=counts_objects(head, r)).mask
    return r.answer(r.doc.add("area", "area", of=mask, unit=area_unit(r.unit)))


_COUNT = compile_all(r"^how many (?P<a>.+)$",
                  rf"^(?:{WH}) (?:total )?(?:number|count|amount|quantity|tally) of (?P<a>.+)$",
                  r"^count (?:number of |all |up )?(?P<a>.+)$",
                  r"^what number of (?P<a>.+)$",
                  rf"^(?:{WH}) (?P<a>.+?) count$")


def count(r: Reader, text: str) -> dict[str, Any] | None:
    """Objects counted, optionally filtered by size and by distance to other targets."""
    if not (m := first_match(_COUNT, text)):
        return None
    if r.unit is not None:
        raise QuestionError(f"a count is a number of objects, not {r.unit}: leave out "
                            f"'in {r.unit}'")
    phrase = re.sub(r"^of (?=(?:all |the )?(?!them\b))", "", m["a"])
    if re.search(r"\b(?:pixels?|cells?)\b", _RELATION_WORD.split(phrase, maxsplit=1)[0]):
        raise QuestionError("geoquant counts objects (connected patches), not pixels: ask for "
                            "the area of the class, in m² or ha, or its share of the map")
    mask = r.target(phrase, objects=True).mask
    return r.answer(r.doc.add("n", "count", of=mask))


# --- densities -----------------------------------------------------------------------------------

_PER = (r"per (?P<n>\d+(?:\.\d+)? )?(?P<u>m2|ha|km2|ft2|yd2|mi2|acre)"
        r"(?: of (?:land|area|region|ground|surface))?")
_DENSITY = compile_all(
    rf"^(?:how many|what is (?:number|count) of|number of|count of) (?P<a>.+?) (?:are there |"
    rf"is there |are found |occur |exist )?{_PER}(?: (?:are there|is there|on average))?$",
    rf"^(?:{WH} )?(?:patch |object )?density of (?P<a>.+?),? (?:in (?:patches|objects|number) )?"
    rf"{_PER}$",
    rf"^(?:{WH} )?(?:number of )?(?P<a>.+?) (?:patches |objects )?{_PER}$")


def density(r: Reader, text: str) -> dict[str, Any] | None:
    """Objects per unit of area ("how many water bodies per km² are there?", "the patch
    density of developed land in patches per km²"): the count over the area of the region
    with data."""
    if not (m := first_match(_DENSITY, text)):
        return None
    if re.search(r"\b(?:share|percentage|area|distance|size)\b", m["a"]):
        return None
    per = float(m["n"]) if m["n"] else 1.0
    unit = m["u"]
    objects = r.target(m["a"], objects=True).mask
    n = r.doc.add("n", "count", of=objects)
    region = r.doc.add("region_area", "area", of=r.doc.region(r.targets.date), unit=unit)
    label = f"objects per {m['n'] or ''}{unit}".replace("  ", " ")
    r.doc.note("a density counts objects over the area with data (no-data pixels left out)")
    return r.answer(r.doc.add("density", "ratio", of=n, to=region, scale=per, unit=label))
