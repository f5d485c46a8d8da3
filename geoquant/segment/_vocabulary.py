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
    "building", "road", "bare", "wetland", "snow", "cloud",
)

#: Other words for each class, lower case. Matching ignores case, spaces, hyphens and a
#: plural "s".
SYNONYMS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "water": ("open water", "water body", "water bodies", "permanent water bodies",
              "permanent water", "waterbody", "lake", "pond", "reservoir", "sea",
              "flood", "flooded", "flood water", "inundation"),
    "river": ("stream", "canal", "running water"),
    "forest": ("tree", "trees", "tree cover", "woodland", "wood", "woods", "canopy"),
    "shrubland": ("shrub", "scrub", "bush", "bushland", "heath"),
    "grass": ("grassland", "meadow", "pasture", "rangeland", "lawn"),
    "cropland": ("crop", "crops", "cultivated land", "agriculture", "farmland", "field",
                 "arable land"),
    "vegetation": ("green", "vegetated", "plants", "greenery", "moss", "lichen",
                   "moss and lichen", "tundra"),
    "built-up": ("built up", "built area", "urban", "artificial surface", "settlement",
                 "impervious", "developed"),
    "building": ("house", "roof", "structure"),
    "road": ("street", "highway", "motorway", "track"),
    "bare": ("bare soil", "bare ground", "bareland", "soil", "sand", "rock", "sparse vegetation"),
    "wetland": ("marsh", "swamp", "bog", "mangrove", "flooded vegetation", "herbaceous wetland"),
    "snow": ("ice", "snow and ice", "glacier"),
    "cloud": ("clouds", "cloud cover"),
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
    for candidate in (key, key[:-1] if key.endswith("s") else key,
                      key[:-2] if key.endswith("es") else key):
        if candidate in _LOOKUP:
            return _LOOKUP[candidate]
    close = difflib.get_close_matches(key, list(_LOOKUP), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(_LOOKUP[c] for c in close))   # closest first
    hint = (f"did you mean {' or '.join(repr(s) for s in suggestions)}? " if suggestions
            else "")
    raise ClassNameError(f"unknown class {name!r}: {hint}known classes are "
                         f"{', '.join(CLASS_NAMES)}")


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
