"""The shared class vocabulary: canonical names, synonyms, and which classes contain which.

Segmenters, land-cover products and questions all name classes with these words, so "trees",
"woodland" and "forest" mean one thing everywhere. Broad classes contain narrower ones:
``vegetation`` holds forest, shrubland, grass, cropland and wetland; ``built-up`` holds
buildings and roads; ``water`` holds rivers. A mask of a broad class is the union of its members.

A source's legend is read exactly as given (:class:`Vocabulary`): each of its classes stays a
class of its own, and two classes of one legend are never merged into one vocabulary class.
A legend word the vocabulary knows (a name or synonym) becomes the vocabulary's name when no
other class of the legend is of that kind ("Tree cover" is ``forest``); otherwise, and for
narrower kinds (:data:`KINDS`: "mangroves", "herbaceous wetland", "moss and lichen"), it stays
a class of its own named as the legend writes it, and a vocabulary word covers it as one of
its members: ESA WorldCover's "wetland" is the union of "herbaceous wetland" and "mangroves"
(:meth:`Vocabulary.covers`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from types import MappingProxyType

from geoquant.errors import ClassNameError, quote

#: Canonical class names, in a fixed order (the order of products' and models' outputs).
CLASS_NAMES: tuple[str, ...] = (
    "water", "river", "forest", "shrubland", "grass", "cropland", "vegetation", "built-up",
    "building", "road", "bare", "wetland", "snow", "cloud", "playground", "solar panel",
)

#: Other words for each class, lower case. Matching ignores case, spaces, hyphens and a
#: plural "s".
SYNONYMS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "water": ("open water", "water body", "water bodies", "permanent water bodies",
              "permanent water", "waterbody", "lake", "pond", "reservoir", "sea",
              "flood", "flooded", "flood water", "inundation", "surface water"),
    "river": ("stream", "canal", "running water"),
    "forest": ("tree", "trees", "tree cover", "woodland", "wood", "woods", "canopy",
               "forest land", "forested area", "forested", "wooded", "wooded area",
               "forest cover"),
    "shrubland": ("shrub", "scrub", "bush", "bushland", "heath", "shrub and scrub"),
    "grass": ("grassland", "meadow", "pasture", "rangeland", "lawn", "range land"),
    "cropland": ("crop", "crops", "cultivated land", "agriculture", "agricultural",
                 "agricultural land", "farmland", "farm land", "field", "arable land",
                 "cultivation"),
    "vegetation": ("green", "vegetated", "plants", "greenery", "green space", "green area",
                   "green vegetation", "vegetation cover", "vegetated land", "vegetated area"),
    "built-up": ("built up", "built", "built area", "urban", "urban land", "urban area",
                 "artificial surface", "settlement", "impervious", "impervious surface",
                 "developed", "developed land"),
    "building": ("house", "roof", "rooftop", "structure", "building footprint",
                 "footprint"),
    "road": ("street", "highway", "motorway", "track", "road network", "street network"),
    "bare": ("bare soil", "bare ground", "bareland", "bare land", "barren", "barren land",
             "soil", "sand", "rock", "sparse vegetation", "bare sparse vegetation",
             "barren soil", "barren ground", "barren area", "bare earth", "barren earth"),
    "wetland": ("marsh", "swamp", "bog", "flooded vegetation"),
    "snow": ("ice", "snow and ice", "snow ice", "glacier"),
    "cloud": ("clouds", "cloud cover"),
    "playground": ("sports field", "sports ground", "playing field"),
    "solar panel": ("solar", "solar array", "solar farm", "photovoltaic", "pv panel",
                    "solar installation"),
})

#: Narrower kinds of a class: not synonyms (a mangrove is a wetland, not every wetland is a
#: mangrove). A legend that names one keeps it as a class of its own, covered by the class's
#: word; without such a legend the word is refused rather than read as the whole class.
KINDS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "vegetation": ("moss", "lichen", "moss and lichen", "tundra"),
    "wetland": ("mangrove", "herbaceous wetland", "woody wetland", "emergent wetland",
                "emergent herbaceous wetland"),
})

#: Broad classes and the narrower classes they contain.
MEMBERS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "water": ("river",),
    "vegetation": ("forest", "shrubland", "grass", "cropland", "wetland"),
    "built-up": ("building", "road"),
})


def _key(word: str) -> str:
    return "".join(ch for ch in word.lower() if ch.isalnum())


def _lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in CLASS_NAMES:
        for word in (name, *SYNONYMS.get(name, ())):
            table[_key(word)] = name
    return table


_LOOKUP = _lookup()
_KIND_LOOKUP = {_key(word): name for name, words in KINDS.items() for word in words}


#: Words that make a legend description the opposite of the class after them.
_NEGATIONS = frozenset({"not", "non", "no", "without", "except", "excluding", "other"})


def _gloss_aliases(name: str) -> tuple[str, ...]:
    """Other names a legend class with a gloss in brackets goes by: "land (unpaved area)" is
    also "unpaved area", "unpaved land" and "unpaved"; nothing for other names."""
    found = re.fullmatch(r"\s*(?P<head>[^()]+?)\s*\((?P<gloss>[^()]+)\)\s*", name)
    if found is None or "/" in found["gloss"]:
        return ()
    gloss = found["gloss"].split()
    qualifier = " ".join(gloss[:-1])
    aliases = [found["gloss"]]
    if qualifier:
        aliases += [f"{qualifier} {found['head']}", qualifier]
    return tuple(aliases)


def _words_of(text: str) -> list[str]:
    return "".join(ch if ch.isalnum() else " " for ch in text.lower()).split()


def kind_of(word: str) -> str | None:
    """The vocabulary class a legend's class description is, or is a kind of; None if none.

    The whole description first ("Snow and ice" is ``snow``, "Mangroves" a kind of
    ``wetland``), then its longest run of words the vocabulary knows ("Deciduous Forest" is a
    kind of ``forest``, "Emergent Herbaceous Wetlands" of ``wetland``, "Developed, Open Space"
    of ``built-up``), the leftmost among runs of one length.

    A run after a negation is no kind ("Not water", "Non-forest vegetation" is a kind of
    ``vegetation``, never of ``forest``).

    >>> kind_of("Woody Wetlands"), kind_of("Vineyard"), kind_of("not water")
    ('wetland', None, None)
    """
    words = _words_of(word)
    for n in range(len(words), 0, -1):
        for i in range(len(words) - n + 1):
            if (i and words[i - 1] in _NEGATIONS) or _NEGATIONS.intersection(words[i:i + n]):
                continue           # "not water", "non-forest": the opposite of the class
            key = "".join(words[i:i + n])
            for candidate in _singulars(key):
                found = _LOOKUP.get(candidate) or _KIND_LOOKUP.get(candidate)
                if found is not None:
                    return found
    return None


def legend_name(word: str) -> str:
    """A legend's class word as its class is named: lower case, runs of spaces (and
    underscores) as one space, slashes and hyphens kept as written."""
    return " ".join(str(word).lower().replace("_", " ").split())


def is_nodata_word(word: str) -> bool:
    """Whether a legend word declares no data ("No Data", "nodata", "no-data", empty)."""
    return _key(str(word)) in ("", "nodata", "novalue")


def legend_classes(words: Iterable[str]) -> dict[str, str]:
    """The class each word of a legend names (see the module docstring).

    Parameters
    ----------
    words : iterable of str
        A legend's class words, one per class, as the legend writes them ("Tree cover",
        "Herbaceous wetland", "Mangroves"). No-data words are left out.

    Returns
    -------
    dict
        Word as given -> class name: a name of :data:`CLASS_NAMES` for a word the vocabulary
        knows when no other word of the legend is of that class, else the legend's own name
        (:func:`legend_name`). Two words of a legend never give one class unless they name
        it alike ("Forest" and "forests").

    Examples
    --------
    >>> legend_classes(["Tree cover", "Herbaceous wetland", "Mangroves"])
    {'Tree cover': 'forest', 'Herbaceous wetland': 'herbaceous wetland', 'Mangroves': 'mangroves'}
    """
    words = [str(w) for w in words if not is_nodata_word(str(w))]
    kinds = {w: kind_of(w) for w in words}
    out: dict[str, str] = {}
    for word in words:
        known = _known(word)
        literal = known is not None and _key(known) in _singulars(_key(word))
        alone = sum(1 for k in kinds.values() if k == known) == 1
        out[word] = known if known is not None and (literal or alone) else legend_name(word)
    return out


def canonical_class(name: str) -> str:
    """The vocabulary's name for a class word.

    Parameters
    ----------
    name : str
        A class name or synonym, in any case, singular or plural ("Trees", "built up").

    Returns
    -------
    str
        One of :data:`CLASS_NAMES`.

    Raises
    ------
    ClassNameError
        When the word is unknown; the message suggests the closest known words.

    Examples
    --------
    >>> canonical_class("Woodland")
    'forest'
    >>> canonical_class("lakes")
    'water'
    """
    if not isinstance(name, str) or not name.strip():
        raise ClassNameError(f"a class name must be a non-empty string, not {quote(name)}")
    key = _key(name)
    found = _known(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(key, list(_LOOKUP), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(_LOOKUP[c] for c in close))   # closest first
    hint = (f"did you mean {' or '.join(repr(s) for s in suggestions)}? " if suggestions
            else "")
    raise ClassNameError(f"unknown class {quote(name)}: {_kind_hint(name)}{hint}known classes "
                         f"are {', '.join(CLASS_NAMES)}")


class Vocabulary:
    """The class words a question may use: the built-in vocabulary and a source's legend.

    Parameters
    ----------
    legend : iterable of str
        Class names of a source's own legend (a :class:`~geoquant.segment.LandCoverProduct`'s
        classes, a STAC item's ``classification:classes``), read by :func:`legend_classes`:
        a word the vocabulary knows stays its canonical name when no other class of the legend
        is of its kind; the others become classes of their own, named as the legend names them
        (lower case), each a kind of the vocabulary class its words name (:func:`kind_of`).

    Attributes
    ----------
    classes : tuple of str
        The legend's classes, in the legend's order.
    legend : tuple of str
        Those of them that are classes of their own (not vocabulary names).
    kinds : mapping of str to str or None
        Each class of its own -> the vocabulary class it is a kind of.

    Examples
    --------
    >>> vocabulary = Vocabulary(["Vineyard", "Forest"])
    >>> vocabulary.canonical("vineyards"), vocabulary.canonical("woodland")
    ('vineyard', 'forest')
    >>> esa = Vocabulary(["Tree cover", "Herbaceous wetland", "Mangroves"])
    >>> esa.canonical("mangroves"), esa.covers("wetland")
    ('mangroves', ('herbaceous wetland', 'mangroves'))
    """

    def __init__(self, legend: Iterable[str] | None = ()) -> None:
        named = legend_classes([str(w) for w in legend or ()])
        self.classes = tuple(dict.fromkeys(named.values()))
        self.legend = tuple(c for c in self.classes if c not in CLASS_NAMES)
        self.kinds = MappingProxyType({c: kind_of(c) for c in self.legend})
        self._own: dict[str, str] = {}
        for name in self.legend:       # "mangroves" is found as "mangrove" too
            for key in _singulars(_key(name)):
                self._own.setdefault(key, name)
        for name in self.legend:       # "Land (unpaved area)": "unpaved area", "unpaved land"
            for alias in _gloss_aliases(name):
                for key in _singulars(_key(alias)):
                    self._own.setdefault(key, name)

    def __repr__(self) -> str:
        return f"Vocabulary(legend={list(self.classes)!r})"

    @property
    def names(self) -> tuple[str, ...]:
        """Every class name: the built-in ones, then the legend's own."""
        return CLASS_NAMES + self.legend

    def words(self) -> dict[str, str]:
        """Every accepted word (lower case, spaces kept) and the class it names."""
        found = {}
        for name in CLASS_NAMES:
            for word in (name, *SYNONYMS.get(name, ())):
                found[word] = name
        found.update({name: name for name in self.legend})   # the legend's own words first
        return found

    def find(self, word: str) -> str | None:
        """The class a word names, or None (case, spaces, hyphens and plurals ignored).

        A class of the legend's own is found by its own words before the vocabulary's:
        "mangroves" is the legend's mangroves, never the vocabulary's wetland.
        """
        key = _key(word)
        if not key:
            return None
        for table in (self._own, _LOOKUP):
            for candidate in _singulars(key):
                if candidate in table:
                    return table[candidate]
        return None

    def canonical(self, word: str) -> str:
        """The class a word names; unknown words raise :class:`ClassNameError` with the
        closest suggestions."""
        if not isinstance(word, str) or not word.strip():
            raise ClassNameError(f"a class name must be a non-empty string, not {quote(word)}")
        found = self.find(word)
        if found is not None:
            return found
        raise ClassNameError(f"unknown class {quote(word)}: {_kind_hint(word)}"
                             f"{self.suggest(word)}"
                             f"known classes are {', '.join(self.names)}")

    def suggest(self, word: str) -> str:
        """``"did you mean 'forest'? "`` for the closest known words, or ``""``."""
        if len(word) > 80:                  # no class name is that long
            return ""
        lookup = {**_LOOKUP, **self._own}
        close = difflib.get_close_matches(_key(word), list(lookup), n=3, cutoff=0.6)
        suggestions = list(dict.fromkeys(lookup[c] for c in close))   # closest first
        return (f"did you mean {' or '.join(repr(s) for s in suggestions)}? " if suggestions
                else "")

    def members(self, name: str) -> tuple[str, ...]:
        """A class and every narrower class it contains, the class first.

        A class of the legend's own contains nothing but itself. A vocabulary class contains
        its members (:func:`class_members`) and the legend's own classes of their kinds.
        """
        name = self.canonical(name)
        if name not in CLASS_NAMES:
            return (name,)
        inside = class_members(name)
        return inside + tuple(c for c, kind in self.kinds.items() if kind in inside)

    def covers(self, word: str) -> tuple[str, ...]:
        """The legend's classes a word means: exactly its own class for a legend word, the
        union of the legend's classes it contains for a coarser word.

        Parameters
        ----------
        word : str
            A class word: the legend's own ("Mangroves"), or the vocabulary's ("wetland").

        Returns
        -------
        tuple of str
            Classes of :attr:`classes`, in the legend's order.

        Raises
        ------
        ClassNameError
            The word is unknown, or the legend has no class it covers.

        Examples
        --------
        >>> nlcd = Vocabulary(["Open Water", "Woody Wetlands", "Emergent Herbaceous Wetlands"])
        >>> nlcd.covers("wetlands"), nlcd.covers("woody wetlands")
        (('woody wetlands', 'emergent herbaceous wetlands'), ('woody wetlands',))
        """
        inside = set(self.members(word))
        found = tuple(c for c in self.classes if c in inside)
        if not found:
            raise ClassNameError(f"the legend has no class {self.canonical(word)!r} nor any "
                                 f"kind of it; its classes are {', '.join(self.classes)}")
        return found


def _kind_hint(word: str) -> str:
    """For a narrower kind the source does not map: which broader class to ask for."""
    for candidate in _singulars(_key(word)):
        if candidate in _KIND_LOOKUP:
            return (f"this source has no class {quote(word)} of its own, and it is a kind of "
                    f"{_KIND_LOOKUP[candidate]!r}, not all of it: ask for "
                    f"{_KIND_LOOKUP[candidate]!r} if that is meant; ")
    return ""


def _singulars(key: str) -> tuple[str, ...]:
    found = [key]
    if key.endswith("ies"):
        found.append(key[:-3] + "y")
    if key.endswith("es"):
        found.append(key[:-2])
    if key.endswith("s"):
        found.append(key[:-1])
    return tuple(found)


def _known(word: str) -> str | None:
    for candidate in _singulars(_key(word)):
        if candidate in _LOOKUP:
            return _LOOKUP[candidate]
    return None


def class_members(name: str) -> tuple[str, ...]:
    """A class and every narrower class it contains, canonical names, the class first.

    >>> class_members("built up")
    ('built-up', 'building', 'road')
    """
    name = canonical_class(name)
    found = [name]
    for member in MEMBERS.get(name, ()):
        found.extend(m for m in class_members(member) if m not in found)
    return tuple(found)
