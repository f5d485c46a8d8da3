"""What people write around a question (the scene's name, a homework label, who it is for,
statements of context, the pixel size in many forms, restated no-data rules) is set aside and
noted; the answers are checked end to end on a small GeoTIFF against numpy/scipy on the whole
array. Parts that could restrict the answer are never set aside: they are read or refused."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage
from test_planner_free_wording import CODES, LEGEND, PX, VALID, _geotiff

from geoquant.errors import ClassNameError, QuestionError
from geoquant.reason import ask
from geoquant.reason.reading._phrases import question_gsd

EIGHT = np.ones((3, 3), bool)


@pytest.fixture(scope="module")
def raster(tmp_path_factory) -> str:
    return _geotiff(tmp_path_factory.mktemp("context") / "map.tif", CODES)


def _value(question: str, source: str, product=None, **options):
    answer = ask(question, source=source, product=product or LEGEND, thresholds=None, **options)
    return answer.value, answer


def _edt(target: np.ndarray) -> np.ndarray:
    return ndimage.distance_transform_edt(~target, sampling=(PX, PX))


def _share(part: np.ndarray, whole: np.ndarray) -> float:
    return 100.0 * part.sum() / whole.sum()


@pytest.mark.parametrize("question", [
    "How many separate water bodies are in the Mekong label?",
    "Spain_7370579: how many water bodies are there?",
    "Nigeria event. How many water bodies are there?",
    "Homework Q1. How many water bodies are shown on the Zion map?",
    "Q4: how many water bodies are there?",
    "For the fire service: how many water bodies are there?",
    "I'm checking the flood extent on this Mekong chip. How many water bodies are there?",
    "Residents complain the lakes are murky. How many water bodies are there?",
    "How many water bodies does the Zion 2012 map show?",
])
def test_scene_names_labels_and_context_are_set_aside(raster, question):
    _, n = ndimage.label(CODES == 1, structure=EIGHT)
    value, answer = _value(question, raster)
    assert value == n
    assert any("set aside" in note for note in answer.plan.notes)


@pytest.mark.parametrize(("question", "metres"), [
    ("What is the water area? 0.5 m pixels", 0.5), ("water area, 1 m per pixel", 1.0),
    ("water area? 1m GSD", 1.0), ("water area? gsd 2m", 2.0), ("water area? Pixels 3m.", 3.0),
    ("water area? Each pixel is 4 m across.", 4.0), ("water area (2 m/px)?", 2.0),
    ("How many buildings lie within 5 m of roads?", None),
    ("How many buildings are 10 m from roads?", None),
])
def test_the_pixel_size_in_the_forms_people_write(question, metres):
    assert question_gsd(question) == metres


def test_a_stated_pixel_size_sets_the_area_of_an_image_without_georeferencing(tmp_path):
    path = tmp_path / "mask.png"
    Image.fromarray(CODES).save(path)
    value, _ = _value("What is the water area in m²? 0.5 m pixels", str(path))
    assert value == pytest.approx((CODES == 1).sum() * 0.25, rel=1e-9)


def test_restated_no_data_rules_are_the_default(raster):
    value, answer = _value("What percentage is water? Percentage, and leave out the no-data "
                           "pixels.", raster)
    assert value == pytest.approx(_share(CODES == 1, VALID), rel=1e-9)
    value, _ = _value("Percent water. Ignore the 9 (no data) cells.", raster)
    assert value == pytest.approx(_share(CODES == 1, VALID), rel=1e-9)


def test_counting_the_no_data_strip_too_is_the_whole_image(raster):
    value, _ = _value("What share of the Nigeria chip, counting its no-data strip too, is "
                      "water?", raster)
    assert value == pytest.approx(_share(CODES == 1, np.ones_like(VALID)), rel=1e-9)


def test_leaving_a_class_out_of_the_image_leaves_it_out_of_the_denominator(raster):
    value, _ = _value("Leaving the water out, what share of the image is buildings?", raster)
    assert value == pytest.approx(_share(CODES == 3, VALID & (CODES != 1)), rel=1e-9)


def test_is_there_an_object_larger_than(raster):
    labels, _ = ndimage.label(CODES == 2, structure=EIGHT)
    largest = np.bincount(labels.ravel())[1:].max() * PX * PX
    below, above = (largest - PX * PX) / 1e4, (largest + PX * PX) / 1e4
    assert _value(f"Is there any forest patch larger than {below} ha?", raster)[0] is True
    assert _value(f"Is there a forest patch larger than {above} ha?", raster)[0] is False


def test_a_place_more_than_a_distance_from_every_pixel_of_a_class(raster):
    edt = ndimage.distance_transform_edt(CODES != 1, sampling=(PX, PX))
    far = edt[VALID & (CODES != 1)].max()
    assert _value(f"Is there a dry spot more than {far - 1:g} m from every water pixel?",
                  raster)[0] is True
    assert _value(f"Is there a dry place more than {far + 1:g} m from every water pixel?",
                  raster)[0] is False


def test_the_farthest_you_can_get_from_a_class(raster):
    edt = ndimage.distance_transform_edt(CODES != 3, sampling=(PX, PX))
    value, _ = _value("What's the farthest you can get from a building in this image?", raster)
    assert value == pytest.approx(edt[VALID].max(), rel=1e-9)


def test_a_reference_to_the_largest_is_the_largest(raster):
    labels, _ = ndimage.label(CODES == 1, structure=EIGHT)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    value, _ = _value("One huge water body dominates the map. Apart from that biggest one, "
                      "how much water area is there in total? In m².", raster)
    assert value == pytest.approx(sizes.sum() - sizes.max(), rel=1e-9)


@pytest.mark.parametrize("question", [
    # a statement that restricts ("away from", "only", a number) is never set aside
    "We're scouting for sites away from the water. How many buildings are there?",
    "We only care about the big ones. How many buildings are there?",
    "The wells are 30 m deep. How many buildings are there?",
])
def test_a_statement_that_could_restrict_is_refused_by_name(raster, question):
    with pytest.raises((QuestionError, ClassNameError), match="sentence|cannot"):
        _value(question, raster)


def test_a_class_word_is_never_taken_for_a_scene_name(raster):
    with pytest.raises((QuestionError, ClassNameError), match="forest map"):
        _value("How many water bodies are in the forest map?", raster)


def test_the_class_left_out_is_still_what_distances_are_measured_to(raster):
    # it was answered as 0 m2: the water without the water is empty
    near = (_edt(CODES == 1) <= 25) & VALID & (CODES != 1)
    value, _ = _value("What is the area within 25 m of water, excluding the water, in m²?",
                      raster)
    assert value == pytest.approx(near.sum() * PX * PX, rel=1e-9)


def test_an_exclusion_in_a_sentence_of_its_own(raster):
    labels, _ = ndimage.label(CODES == 2, structure=EIGHT)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    value, _ = _value("Ignore the biggest forest area. What's the total of the rest in m²?",
                      raster)
    assert value == pytest.approx(sizes.sum() - sizes.max(), rel=1e-9)


def test_any_part_within_restates_how_objects_within_a_distance_are_counted(raster):
    labels, _ = ndimage.label(CODES == 3, structure=EIGHT)
    near = _edt(CODES == 1) <= 30
    want = len(np.unique(labels[near & (labels > 0)]))
    value, answer = _value("Buildings within 30 m of the water - how many? Count a building "
                           "if any part of it is within 30 m.", raster)
    assert value == want
    assert any("any part" in note for note in answer.plan.notes)


def test_legend_names_with_commas_do_not_split_the_question(raster):
    legend = {"0": "Developed, Open Space", "1": "Open Water", "2": "Evergreen Forest",
              "3": "Developed, Low Intensity", "9": "no data"}
    near = (_edt(CODES == 3) <= 50) & (CODES == 2)
    value, _ = _value("Evergreen Forest within 50 m of Developed, Low Intensity - how many m²?",
                      raster, product=legend)
    assert value == pytest.approx(near.sum() * PX * PX, rel=1e-9)


def test_a_superlative_among_objects_filtered_in_brackets(raster):
    labels, _ = ndimage.label(CODES == 3, structure=EIGHT)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    value, _ = _value("What is the area of the smallest building (among buildings larger than "
                      "250 m²), in m²?", raster)
    assert value == pytest.approx(sizes[sizes > 250].min(), rel=1e-9)


def test_the_class_itself_left_out_of_a_zone_around_it(raster):
    # "of the ground within d of X (not X itself)": the zone without X; X stays the target
    zone = (_edt(CODES == 1) <= 30) & VALID & (CODES != 1)
    want = _share(zone & (CODES == 3), zone)
    for question in ("Of the ground within 30 m of the water (not the water itself), what "
                     "share is buildings?",
                     "Leaving out the water, of the ground within 30 m of water, what share is "
                     "buildings?"):
        assert _value(question, raster)[0] == pytest.approx(want, rel=1e-9)


def test_the_shortest_distance_between_two_separate_objects(raster):
    labels, n = ndimage.label(CODES == 1, structure=EIGHT)
    gaps = [ndimage.distance_transform_edt(labels != k, sampling=(PX, PX))[
        (labels > 0) & (labels != k)].min() for k in range(1, n + 1)]
    for question in ("What's the shortest distance between two separate water bodies? metres "
                     "please",
                     "Among the water bodies, which two are closest together, and how far "
                     "apart are they (m)? I only need the distance."):
        assert _value(question, raster)[0] == pytest.approx(min(gaps), rel=1e-9)


def test_land_on_a_water_map_is_its_other_class(tmp_path):
    # a flood label map: "land" is the not-water class, not the whole region (it was answered
    # with the water included: 4 of a blind set's 7 silent answers)
    codes = np.where(CODES == 1, 1, 0).astype(np.uint8)
    codes[~VALID] = 9
    source = _geotiff(tmp_path / "flood.tif", codes)
    legend = {"0": "not water", "1": "water", "9": "no data"}
    land = (codes == 0)
    near = (_edt(codes == 1) <= 20) & land
    value, _ = _value("Land within 20 m of the water: how many m²?", source, product=legend)
    assert value == pytest.approx(near.sum() * PX * PX, rel=1e-9)
    value, _ = _value("Mean distance from the land pixels to the nearest water, meters.", source,
                      product=legend)
    assert value == pytest.approx(_edt(codes == 1)[land].mean(), rel=1e-9)


def test_a_unit_alone_in_brackets_after_the_question(raster):
    value, _ = _value("How much water is there? (km2)", raster)
    assert value == pytest.approx((CODES == 1).sum() * PX * PX / 1e6, rel=1e-9)


@pytest.mark.parametrize("question", [
    "how many water blobs r there", "How many pieces of water there are, of any size?",
    "how many water bodies r in this pic",
])
def test_texting_and_restated_sizes(raster, question):
    assert _value(question, raster)[0] == ndimage.label(CODES == 1, structure=EIGHT)[1]


@pytest.mark.parametrize("question", [
    "Please state the total area classified as Water, expressed in square metres.",
    "Which is the surface of the water, in square metres?",
])
def test_classified_as_and_surface_are_the_area(raster, question):
    assert _value(question, raster)[0] == pytest.approx((CODES == 1).sum() * PX * PX, rel=1e-9)


def test_restated_no_data_in_brackets_and_there_is_some(raster):
    assert _value("% water?? (ignore the no data)", raster)[0] == pytest.approx(
        _share(CODES == 1, VALID), rel=1e-9)
    labels, _ = ndimage.label(CODES == 1, structure=EIGHT)
    largest = np.bincount(labels.ravel())[1:].max() * PX * PX
    assert _value(f"There is some water body larger than {(largest + PX * PX) / 1e4} ha?",
                  raster)[0] is False


def test_a_class_with_its_gloss_in_brackets(raster):
    legend = {"0": "land (unpaved area)", "1": "water", "2": "forest", "3": "building",
              "9": "no data"}
    far = (_edt(CODES == 1) > 25) & (CODES == 0)
    value, _ = _value("land (unpaved) thats more than 25 m from any water, how much in m2?? its "
                      "10m per pixel", raster, product=legend)
    assert value == pytest.approx(far.sum() * PX * PX, rel=1e-9)


def test_a_bracket_that_repeats_the_word_before_is_an_aside(raster):
    legend = {"0": "Developed, Open Space", "1": "Open Water", "2": "Evergreen Forest",
              "3": "Developed, Low Intensity", "9": "no data"}
    developed = (CODES == 0) | (CODES == 3)
    value, _ = _value("How many m² of developed land (all Developed classes) are there?",
                      raster, product=legend)
    assert value == pytest.approx(developed.sum() * PX * PX, rel=1e-9)
