"""The shared class vocabulary: canonical names, synonyms, and which classes contain which.

Segmenters, land-cover products and questions all name classes with these words, so "trees",
"woodland" and "forest" mean one thing everywhere. Broad classes contain narrower ones:
``vegetation`` holds forest, shrubland, grass, cropland and wetland; ``built-up`` holds
buildings and roads; ``water`` holds rivers. A mask of a broad class is the union of its members.
"""

from __future__ import annotations

import difflib
from types import MappingProxyType

from geoquant.errors import ClassNameError

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
    "vegetation": ("green", "vegetated", "plants", "greenery", "moss", "lichen",
                   "moss and lichen", "tundra", "green space", "green area",
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
    "wetland": ("marsh", "swamp", "bog", "mangrove", "flooded vegetation", "herbaceous wetland"),
    "snow": ("ice", "snow and ice", "snow ice", "glacier"),
    "cloud": ("clouds", "cloud cover"),
    "playground": ("sports field", "sports ground", "playing field"),
    "solar panel": ("solar", "solar array", "solar farm", "photovoltaic", "pv panel",
                    "solar installation"),
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
        raise ClassNameError(f"a class name must be a non-empty string, not {name!r}")
    key = _key(name)
    found = _known(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(key, list(_LOOKUP), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(_LOOKUP[c] for c in close))   # closest first
    hint = (f"did you mean {' or '.join(repr(s) for s in suggestions)}? " if suggestions
            else "")
    raise ClassNameError(f"unknown class {name!r}: {hint}known classes are "
                         f"{', '.join(CLASS_NAMES)}")


class Vocabulary:
    """The class words a question may use: the built-in vocabulary and a source's legend.

    Parameters
    ----------
    legend : iterable of str
        Class names of a source's own legend (a :class:`~geoquant.segment.LandCoverProduct`'s
        classes, a STAC item's ``classification:classes``). Names the built-in vocabulary
        knows stay its canonical names; the others become classes of their own, named as the
        legend names them (lower case).

    Examples
    --------
    >>> vocabulary = Vocabulary(["Vineyard", "Forest"])
    >>> vocabulary.canonical("vineyards"), vocabulary.canonical("woodland")
    ('vineyard', 'forest')
    """

    def __init__(self, legend: tuple[str, ...] | list[str] | None = ()) -> None:
        extra: dict[str, str] = {}
        for word in legend or ():
            name = " ".join(str(word).lower().replace("_", " ").split())
            if _key(name) in ("", "nodata", "none", "unclassified"):
                continue
            known = _known(name)
            if known is None:
                extra[_key(name)] = name
        self.legend = tuple(dict.fromkeys(extra.values()))
        self._lookup = {**extra, **_LOOKUP}

    def __repr__(self) -> str:
        return f"Vocabulary(legend={list(self.legend)!r})"

    @property
    def names(self) -> tuple[str, ...]:
        """Every class name: the built-in ones, then the legend's own."""
        return CLASS_NAMES + self.legend

    def words(self) -> dict[str, str]:
        """Every accepted word (lower case, spaces kept) and the class it names."""
        found = {name: name for name in self.legend}
        for name in CLASS_NAMES:
            for word in (name, *SYNONYMS.get(name, ())):
                found[word] = name
        return found

    def find(self, word: str) -> str | None:
        """The class a word names, or None (case, spaces, hyphens and plurals ignored)."""
        key = _key(word)
        if not key:
            return None
        for candidate in _singulars(key):
            if candidate in self._lookup:
                return self._lookup[candidate]
        return None

    def canonical(self, word: str) -> str:
        """The class a word names; unknown words raise :class:`ClassNameError` with the
        closest suggestions."""
        if not isinstance(word, str) or not word.strip():
            raise ClassNameError(f"a class name must be a non-empty string, not {word!r}")
        found = self.find(word)
        if found is not None:
            return found
        raise ClassNameError(f"unknown class {word!r}: {self.suggest(word)}known classes are "
                             f"{', '.join(self.names)}")

    def suggest(self, word: str) -> str:
        """``"did you mean 'forest'? "`` for the closest known words, or ``""``."""
        close = difflib.get_close_matches(_key(word), list(self._lookup), n=3, cutoff=0.6)
        suggestions = list(dict.fromkeys(self._lookup[c] for c in close))   # closest first
        return (f"did you mean {' or '.join(repr(s) for s in suggestions)}? " if suggestions
                else "")

    def members(self, name: str) -> tuple[str, ...]:
        """A class and every narrower class it contains (legend classes contain none)."""
        name = self.canonical(name)
        return class_members(name) if name in CLASS_NAMES else (name,)


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
