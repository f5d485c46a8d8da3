"""The class vocabulary and band matching."""

import pytest

from geoquant.errors import BandError, ClassNameError
from geoquant.segment import CLASS_NAMES, canonical_class, class_members
from geoquant.segment._bands import band_indices, common_name


@pytest.mark.parametrize(("word", "name"), [
    ("Forest", "forest"), ("trees", "forest"), ("Woodland", "forest"), ("lakes", "water"),
    ("open water", "water"), ("built up", "built-up"), ("Urban", "built-up"),
    ("buildings", "building"), ("roads", "road"), ("grassland", "grass"), ("crops", "cropland"),
    ("bare soil", "bare"), ("marsh", "wetland"), ("snow and ice", "snow"), ("clouds", "cloud"),
    ("shrubs", "shrubland"), ("rivers", "river"),
])
def test_synonyms_resolve(word, name):
    assert canonical_class(word) == name


def test_every_canonical_name_resolves_to_itself():
    assert [canonical_class(n) for n in CLASS_NAMES] == list(CLASS_NAMES)


@pytest.mark.parametrize(("word", "suggestion"), [("forrest", "forest"), ("buildng", "building"),
                                                  ("watr", "water"), ("roadz", "road")])
def test_unknown_class_suggests_the_closest(word, suggestion):
    with pytest.raises(ClassNameError, match=f"did you mean '{suggestion}'"):
        canonical_class(word)


def test_unknown_class_without_close_match_lists_the_vocabulary():
    with pytest.raises(ClassNameError, match="known classes are water"):
        canonical_class("zzzzqqq")
    with pytest.raises(ClassNameError):
        canonical_class("")


def test_broad_classes_hold_narrow_ones():
    assert class_members("vegetation")[:1] == ("vegetation",)
    assert {"forest", "grass", "cropland", "shrubland"} <= set(class_members("vegetation"))
    assert class_members("built-up") == ("built-up", "building", "road")
    assert class_members("water") == ("water", "river")
    assert class_members("forest") == ("forest",)


def test_bands_match_by_common_name():
    assert common_name("B03") == "green" and common_name("swir16") == "swir16"
    assert band_indices(["B02", "B03", "B08", "B11"], ["swir16", "green"], who="x") == [3, 1]
    assert band_indices(["green", "nir08"], ["nir"], who="x") == [1]   # Landsat's narrow NIR
    assert band_indices(["VV", "VH"], ["vv"], who="x") == [0]


def test_missing_band_names_which_and_what_the_cube_has():
    with pytest.raises(BandError,
                       match=r"needs band\(s\) swir16 \(Sentinel-2 B11.*it has B02, B03"):
        band_indices(["B02", "B03"], ["green", "swir16"], who="water (MNDWI)")
