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


def test_a_legend_word_means_exactly_its_own_class():
    """Issue 27 item 2: a product's distinct classes are never merged into one."""
    from geoquant.segment import Vocabulary, legend_classes

    esa = ["Tree cover", "Bare / sparse vegetation", "Permanent water bodies",
           "Herbaceous wetland", "Mangroves", "Moss and lichen"]
    assert legend_classes(esa) == {
        "Tree cover": "forest", "Bare / sparse vegetation": "bare",
        "Permanent water bodies": "water", "Herbaceous wetland": "herbaceous wetland",
        "Mangroves": "mangroves", "Moss and lichen": "moss and lichen"}
    vocabulary = Vocabulary(esa)
    assert vocabulary.canonical("mangroves") == "mangroves"
    assert vocabulary.canonical("Herbaceous Wetland") == "herbaceous wetland"
    assert vocabulary.canonical("moss and lichen") == "moss and lichen"
    assert vocabulary.canonical("bare / sparse vegetation") == "bare"
    assert vocabulary.canonical("permanent water bodies") == "water"
    # coarser words cover the legend's classes of their kind, as an explicit union
    assert vocabulary.covers("wetland") == ("herbaceous wetland", "mangroves")
    assert vocabulary.covers("mangrove") == ("mangroves",)
    assert set(vocabulary.covers("vegetation")) == {"forest", "herbaceous wetland",
                                                     "mangroves", "moss and lichen"}
    with pytest.raises(ClassNameError, match="no class 'cropland'"):
        vocabulary.covers("cropland")


def test_two_legend_words_of_one_kind_stay_two_classes():
    from geoquant.segment import Vocabulary, legend_classes

    assert legend_classes(["Woody Wetlands", "Emergent Herbaceous Wetlands"]) == {
        "Woody Wetlands": "woody wetlands",
        "Emergent Herbaceous Wetlands": "emergent herbaceous wetlands"}
    # two synonyms of one class: the literal name keeps it, the other is a class of its own
    assert legend_classes(["forest", "woodland"]) == {"forest": "forest",
                                                      "woodland": "woodland"}
    assert legend_classes(["swamp", "marsh"]) == {"swamp": "swamp", "marsh": "marsh"}
    vocabulary = Vocabulary(["forest", "woodland"])
    assert vocabulary.canonical("woodland") == "woodland"
    assert vocabulary.covers("forest") == ("forest", "woodland")
    assert vocabulary.covers("woodlands") == ("woodland",)


def test_a_narrower_kind_is_refused_where_the_source_does_not_map_it():
    from geoquant.segment import Vocabulary

    with pytest.raises(ClassNameError, match="kind of 'wetland', not all of it"):
        canonical_class("mangroves")
    with pytest.raises(ClassNameError, match="kind of 'vegetation'"):
        Vocabulary(["forest", "wetland"]).canonical("moss and lichen")
