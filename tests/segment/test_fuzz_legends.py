"""Fuzzing legends, colour and palette masks (issue 32, "verified by"): whatever a user
writes as a legend, and whatever colours a mask holds, geoquant either reads it or raises a
GeoquantError saying what to change; never another exception."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from geoquant.errors import GeoquantError
from geoquant.reason.layers._source import legend_product
from geoquant.segment import LandCoverProduct, Vocabulary, legend_classes
from geoquant.segment._products import product
from geoquant.testing.rasters import as_cube

WORDS = st.one_of(st.text(max_size=40), st.sampled_from(
    ["Mangroves", "Herbaceous wetland", "Moss and lichen", "Bare / sparse vegetation",
     "no data", "forest", "Forests", "woodland", "wetland", "marsh", "", " ", "///",
     "Developed, Open Space", "Woody Wetlands"]))
KEYS = st.one_of(st.integers(-2**70, 2**70).map(str), st.text(max_size=12),
                 st.integers(0, 255).map(str))
VALUES = st.one_of(WORDS, st.integers(), st.none(), st.lists(st.integers(), max_size=2),
                   st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_any_legend_reads_or_says_what_to_change(legend):
    try:
        made = legend_product(legend)
    except GeoquantError:
        return
    assert made.classes and set(made.codes.values()) <= set(made.classes)
    codes = np.array([[list(range(8))]], dtype=np.uint8)
    out = made.predict(codes, ["data"])
    assert out.shape == (len(made.classes), 1, 8)
    for word in made.classes:
        assert made.classes_for(word)
    # the same legend as JSON text reads the same
    again = legend_product(json.loads(json.dumps({str(k): v for k, v in legend.items()})))
    assert dict(again.codes) == dict(made.codes)


@given(st.lists(WORDS, max_size=10), WORDS)
def test_any_words_make_a_vocabulary_that_answers_or_refuses(words, asked):
    named = legend_classes(words)
    vocabulary = Vocabulary(words)
    assert set(named.values()) == set(vocabulary.classes)
    try:
        covered = vocabulary.covers(asked)
    except GeoquantError:
        return
    assert covered and set(covered) <= set(vocabulary.classes)


COLOUR = st.tuples(*[st.integers(0, 255)] * 3)


@given(st.lists(COLOUR, min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_any_palette_maps_to_codes_of_the_product(palette, seed):
    deepglobe = product("deepglobe")
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, len(palette), size=(1, 5, 7)).astype(np.uint8)
    table = dict(enumerate(palette))
    codes = deepglobe.codes_from_palette(as_cube(indices, ["p"]), table)
    rgb = np.stack([np.array([palette[i][c] for i in indices.ravel()]).reshape(5, 7)
                    for c in range(3)]).astype(np.uint8)
    from_rgb = deepglobe.codes_from_colours(as_cube(rgb, ["r", "g", "b"]))
    np.testing.assert_array_equal(codes.values, from_rgb.values)   # same rule both ways
    assert set(np.unique(codes.values)) <= set(deepglobe.codes) | set(deepglobe.nodata)


@given(st.lists(st.tuples(st.integers(0, 255), COLOUR), max_size=6, unique_by=lambda c: c[0]))
def test_a_colour_legend_without_nodata_reads_unlisted_colours_as_a_class(colours):
    made = LandCoverProduct("c", {code: f"class {code}" for code, _ in colours} or {1: "x"},
                            colours=tuple(colours))
    image = as_cube(np.zeros((3, 2, 2), np.uint8), ["r", "g", "b"])
    codes = made.codes_from_colours(image).values
    assert codes.dtype == np.uint8
