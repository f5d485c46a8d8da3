"""The question planner: every family, units, size filters, codes, dates and its errors."""

import itertools
import re

import pytest

from geoquant.errors import ClassNameError, PlanError, QuestionError
from geoquant.reason.reading._planner import SUPPORTED_FORMS, plan_question, question_years


def steps_of(question):
    """The plan's steps as plain dicts, and its answer id."""
    plan = plan_question(question)
    document = plan.to_dict()
    assert document.pop("question") == question.strip()
    return document["steps"], document["answer"]


def mask(step_id, cls, date=None):
    return {"id": step_id, "op": "mask", "class": cls, **({"date": date} if date else {})}


FOREST, WATER, ROAD = mask("forest", "forest"), mask("water", "water"), mask("road", "road")


@pytest.mark.parametrize("question", [
    "What share of the area is forest?",
    "What percentage of the region is covered by trees?",
    "what fraction of the image is woodland",
    "How much of the area is forest?",
    "What is the share of forest in this image?",
    "WHAT SHARE OF THE AREA IS FOREST ?  ",
])
def test_share_of_the_region(question):
    # "of the image" counts every pixel, no data included; "of the area" the pixels with data
    whole = {"denominator": "image"} if "image" in question.lower() else {}
    assert steps_of(question) == ([FOREST, {"id": "share", "op": "share", "of": "forest",
                                            **whole}], "share")


@pytest.mark.parametrize(("question", "unit"), [
    ("What is the area of forest in ha?", "ha"),
    ("How much area is covered by forest, in km²?", "km2"),
    ("What is the total area of the forest in square kilometres?", "km2"),
    ("How many hectares of forest are there?", "ha"),
    ("How much area does the forest cover?", "m2"),
    ("What is the forest area (in m²)?", "m2"),
    ("How much forest is there in the region?", "m2"),
])
def test_area_in_the_unit_asked(question, unit):
    assert steps_of(question) == ([FOREST, {"id": "area", "op": "area", "of": "forest",
                                            "unit": unit}], "area")


def count_of(of="forest"):
    return {"id": "n", "op": "count", "of": of}


@pytest.mark.parametrize("question", [
    "How many forest patches are there?",
    "how many patches of forest are there",
    "How many forest objects are there in the scene?",
    "What is the number of forest patches?",
    "Count the forest patches.",
    "Could you tell me how many forest polygons there are?",
])
def test_count(question):
    assert steps_of(question) == ([FOREST, count_of()], "n")


@pytest.mark.parametrize(("question", "bounds", "label"), [
    ("How many forest patches larger than 1 ha are there?", {"min_area_m2": 10000}, "large"),
    ("How many forest patches bigger than 10000 m2?", {"min_area_m2": 10000}, "large"),
    ("How many forest patches of more than 1 hectare are there?", {"min_area_m2": 10000},
     "large"),
    ("How many forest patches of at least 0.125 ha are there?", {"min_area_m2": 1250}, "large"),
    ("How many forest patches are there, ignoring patches smaller than 0.1 ha?",
     {"min_area_m2": 1000}, "large"),
    ("Ignoring patches smaller than 0.1 ha, how many forest patches are there?",
     {"min_area_m2": 1000}, "large"),
    ("How many forest patches smaller than 0.5 ha?", {"max_area_m2": 5000}, "small"),
    ("How many forest patches of at most 2 km² are there?", {"max_area_m2": 2e6}, "small"),
    ("How many forest patches between 0.125 and 10 ha are there?",
     {"min_area_m2": 1250, "max_area_m2": 100000}, "sized"),
    ("How many forest patches between 500 m2 and 1 ha are there?",
     {"min_area_m2": 500, "max_area_m2": 10000}, "sized"),
    ("How many forest patches larger than 1 ha and smaller than 10 ha are there?",
     {"min_area_m2": 10000, "max_area_m2": 100000}, "sized"),
])
def test_count_with_a_size_filter(question, bounds, label):
    filtered = {"id": f"forest_{label}", "op": "objects", "of": "forest", **bounds}
    assert steps_of(question) == ([FOREST, filtered, count_of(f"forest_{label}")], "n")


@pytest.mark.parametrize(("question", "step"), [
    ("What is the size of the largest forest patch in ha?",
     {"id": "largest", "op": "largest_object", "of": "forest", "unit": "ha"}),
    ("How large is the largest forest patch?",
     {"id": "largest", "op": "largest_object", "of": "forest", "unit": "m2"}),
    ("What is the area of the largest forest patch, in km²?",
     {"id": "largest", "op": "largest_object", "of": "forest", "unit": "km2"}),
    ("What is the mean size of forest patches in m²?",
     {"id": "mean_size", "op": "mean_object", "of": "forest", "unit": "m2"}),
    ("What is the average forest patch size in ha?",
     {"id": "mean_size", "op": "mean_object", "of": "forest", "unit": "ha"}),
])
def test_object_size(question, step):
    assert steps_of(question) == ([FOREST, step], step["id"])


def test_object_size_with_a_size_filter():
    steps, _ = steps_of("What is the mean size of forest patches larger than 1 ha, in ha?")
    assert steps == [FOREST,
                     {"id": "forest_large", "op": "objects", "of": "forest",
                      "min_area_m2": 10000},
                     {"id": "mean_size", "op": "mean_object", "of": "forest_large",
                      "unit": "ha"}]


def compare(of, to, comparison=">"):
    return {"id": "compare", "op": "compare", "of": of, "to": to, "comparison": comparison}


@pytest.mark.parametrize(("question", "comparison"), [
    ("Is there more forest than water?", ">"),
    ("Is there less forest than water?", "<"),
    ("Is the area of forest larger than the area of water?", ">"),
    ("Is the area of forest smaller than that of water?", "<"),
    ("Does the forest cover more area than water?", ">"),
])
def test_comparison_of_areas(question, comparison):
    assert steps_of(question) == (
        [FOREST, {"id": "forest_area", "op": "area", "of": "forest", "unit": "m2"},
         WATER, {"id": "water_area", "op": "area", "of": "water", "unit": "m2"},
         compare("forest_area", "water_area", comparison)], "compare")


@pytest.mark.parametrize("question", ["Are there more forest patches than water patches?",
                                      "are there more forest patches than lakes"])
def test_comparison_of_counts(question):
    assert steps_of(question) == (
        [FOREST, {"id": "forest_count", "op": "count", "of": "forest"},
         WATER, {"id": "water_count", "op": "count", "of": "water"},
         compare("forest_count", "water_count")], "compare")


@pytest.mark.parametrize(("question", "measure", "number"), [
    ("Is the largest forest patch larger than 5 ha?",
     {"id": "forest_largest", "op": "largest_object", "of": "forest", "unit": "ha"},
     {"value": 5, "unit": "ha"}),
    ("Is the share of forest larger than 30%?",
     {"id": "forest_share", "op": "share", "of": "forest"}, {"value": 30, "unit": "%"}),
    ("Are there more than 10 forest patches?",
     {"id": "forest_count", "op": "count", "of": "forest"}, {"value": 10}),
])
def test_comparison_with_a_number(question, measure, number):
    assert steps_of(question) == (
        [FOREST, measure, {"id": "threshold", "op": "number", **number},
         compare(measure["id"], "threshold")], "compare")


def test_comparison_of_the_area_near_a_class_keeps_pixels():
    steps, _ = steps_of("Is the area of forest within 100 m of water larger than 10 ha?")
    assert steps[2] == near("near")
    assert steps[3] == {"id": "forest_area", "op": "area", "of": "near", "unit": "ha"}


def test_comparison_of_unlike_quantities_is_refused():
    with pytest.raises(QuestionError, match="cannot compare"):
        plan_question("Is the share of forest larger than 3 ha?")


GROUPS = {"id": "groups", "op": "connected_groups", "of": "forest"}


@pytest.mark.parametrize("question", ["Are the forest patches connected?",
                                      "Is the forest all connected?",
                                      "Does the forest form a single connected network?"])
def test_connected_means_one_group(question):
    assert steps_of(question) == (
        [FOREST, GROUPS, {"id": "one", "op": "number", "value": 1},
         compare("groups", "one", "==") | {"id": "connected"}], "connected")


@pytest.mark.parametrize("question", ["How many connected groups of forest are there?",
                                      "How many separate clusters of trees are there?"])
def test_connected_groups(question):
    assert steps_of(question) == ([FOREST, GROUPS], "groups")


@pytest.mark.parametrize("question", ["Is forest connected to water through grassland?",
                                      "is the forest connected with the lake via meadows"])
def test_connected_through(question):
    assert steps_of(question) == (
        [FOREST, WATER, mask("grass", "grass"),
         {"id": "connected", "op": "connected", "through": "grass", "of": "forest",
          "to": "water"}], "connected")


@pytest.mark.parametrize(("question", "metric"), [
    ("What is the mean patch size of forest?", "area_mn"),
    ("What is the mean patch size of forest in ha?", "area_mn"),
    ("What is the largest patch index of forest?", "largest_patch_index"),
    ("What is the effective mesh size of forest (in ha)?", "effective_mesh_size"),
    ("What is the patch density of forest?", "patch_density"),
    ("What's the edge density for the forest?", "edge_density"),
    ("What is the total edge of forest?", "total_edge"),
    ("What is the patch cohesion index of forest?", "patch_cohesion_index"),
    ("What is the mean nearest neighbour distance of forest?", "enn_mn"),
])
def test_fragmentation_metrics(question, metric):
    assert steps_of(question) == (
        [FOREST, {"id": metric, "op": "fragmentation", "of": "forest", "metric": metric}],
        metric)


@pytest.mark.parametrize("question", ["Is the forest fragmented?", "How fragmented is forest?"])
def test_is_fragmented(question):
    assert steps_of(question) == ([FOREST, {"id": "fragmented", "op": "is_fragmented",
                                            "of": "forest"}], "fragmented")


def test_fragmentation_area_metrics_come_in_any_area_unit_and_no_other():
    plan = plan_question("What is the effective mesh size of forest in m²?")
    assert plan.step(plan.answer).args["unit"] == "m2"
    with pytest.raises(QuestionError, match="reported in ha"):
        plan_question("What is the effective mesh size of forest in km?")


def near(op, of="forest", to="water", distance=100, step_id=None):
    return {"id": step_id or op.removeprefix("objects_"), "op": op, "of": of, "to": to,
            "distance_m": distance}


@pytest.mark.parametrize(("question", "condition"), [
    ("What share of forest lies within 100 m of water?", near("near")),
    ("What percentage of the forest is within 100 metres of a lake?", near("near")),
    ("How much of the forest lies within 0.1 km of water?", near("near")),
    ("What fraction of forest is farther than 100 m from water?", near("far")),
])
def test_proximity_share(question, condition):
    assert steps_of(question) == (
        [FOREST, WATER, condition,
         {"id": "share", "op": "share", "of": condition["id"], "within": "forest"}], "share")


@pytest.mark.parametrize(("question", "condition", "unit"), [
    ("What area of forest lies within 1.5 km of water, in ha?", near("near", distance=1500),
     "ha"),
    ("How much forest is within 1500 m of water?", near("near", distance=1500), "m2"),
    ("How much forest is farther than 500 m from water?", near("far", distance=500), "m2"),
    ("How much forest lies more than 0.5 km away from water, in km²?",
     near("far", distance=500), "km2"),
])
def test_proximity_area(question, condition, unit):
    assert steps_of(question) == (
        [FOREST, WATER, condition,
         {"id": "area", "op": "area", "of": condition["id"], "unit": unit}], "area")


@pytest.mark.parametrize(("question", "condition"), [
    ("How many forest patches are within 500 m of water?", near("objects_near", distance=500)),
    ("How many forest patches within 500m of water are there?",
     near("objects_near", distance=500)),
    ("How many forest patches lie less than 500 m from water?",
     near("objects_near", distance=500)),
    ("How many forest patches are farther than 1 km from water?",
     near("objects_far", distance=1000)),
    ("How many forest patches are more than 1,000 metres away from water?",
     near("objects_far", distance=1000)),
])
def test_objects_near_or_far(question, condition):
    assert steps_of(question) == ([FOREST, WATER, condition, count_of(condition["id"])], "n")


@pytest.mark.parametrize("question", [
    "How many forest patches larger than 1 ha are within 500 m of water and farther than "
    "1 km from roads?",
    "how many forest patches within 500 m of water and more than 1 km away from roads are "
    "larger than 1 ha",
    "How many forest patches of more than 10000 m² lie within 0.5 km of water and farther than "
    "1000 m from roads?",
])
def test_multi_condition(question):
    assert steps_of(question) == (
        [FOREST, {"id": "forest_large", "op": "objects", "of": "forest", "min_area_m2": 10000},
         WATER, near("objects_near", of="forest_large", distance=500),
         ROAD, near("objects_far", of="near", to="road", distance=1000), count_of("far")], "n")


def test_size_and_one_condition_match_the_documented_example():
    steps, answer = steps_of("how many forest patches larger than 1 ha lie within 500 m of "
                             "water?")
    assert [s["op"] for s in steps] == ["mask", "objects", "mask", "objects_near", "count"]
    assert steps[3] == near("objects_near", of="forest_large", distance=500)


@pytest.mark.parametrize(("question", "unit"), [
    ("What is the minimum distance between forest and water?", "m"),
    ("What is the shortest distance from the forest to water in km?", "km"),
    ("How far is the forest from water?", "m"),
    ("How far is forest from the nearest lake, in metres?", "m"),
    ("How far apart are forest and water (in km)?", "km"),
])
def test_distance(question, unit):
    assert steps_of(question) == (
        [FOREST, WATER, {"id": "distance", "op": "min_distance", "of": "forest", "to": "water",
                         "unit": unit}], "distance")


def test_distance_in_an_area_unit_is_refused():
    with pytest.raises(QuestionError, match="m or km"):
        plan_question("How far is forest from water in ha?")


BEFORE, AFTER = mask("forest_before", "forest", "before"), mask("forest_after", "forest", "after")


@pytest.mark.parametrize(("question", "unit"), [
    ("How much forest area was lost between 2006 and 2012 (in ha)?", "ha"),
    ("How much forest was lost between 2006 and 2012?", "m2"),
    ("What area of forest was cleared from 2015-07-11 to 2020-07-11, in km²?", "km2"),
    ("What is the forest loss between 2006 and 2012 in ha?", "ha"),
])
def test_area_lost(question, unit):
    assert steps_of(question) == (
        [BEFORE, AFTER,
         {"id": "lost", "op": "difference", "of": "forest_before", "minus": "forest_after"},
         {"id": "lost_area", "op": "area", "of": "lost", "unit": unit}], "lost_area")


def test_area_gained():
    assert steps_of("How much forest area was gained between 2006 and 2012?") == (
        [BEFORE, AFTER,
         {"id": "gained", "op": "difference", "of": "forest_after", "minus": "forest_before"},
         {"id": "gained_area", "op": "area", "of": "gained", "unit": "m2"}], "gained_area")


def areas_before_and_after(unit):
    return [BEFORE, {"id": "area_before", "op": "area", "of": "forest_before", "unit": unit},
            AFTER, {"id": "area_after", "op": "area", "of": "forest_after", "unit": unit}]


@pytest.mark.parametrize(("question", "unit"), [
    ("What is the net change in forest area between 2006 and 2012?", "m2"),
    ("What is the net change in forest area between 2006 and 2012 in ha?", "ha"),
    ("How much did the forest area change between 2006 and 2012?", "m2"),
])
def test_net_change(question, unit):
    assert steps_of(question) == (
        [*areas_before_and_after(unit),
         {"id": "net_change", "op": "difference_of", "of": "area_after",
          "minus": "area_before"}], "net_change")


@pytest.mark.parametrize("question", [
    "By what percentage did the forest area change between 2006 and 2012?",
    "By how much did the forest area change between 2006 and 2012, in percent?",
    "What is the percentage change in forest area from 2006 to 2012?",
])
def test_percent_change(question):
    assert steps_of(question) == (
        [*areas_before_and_after("m2"),
         {"id": "percent_change", "op": "percent_change", "of": "area_after",
          "from": "area_before"}], "percent_change")


@pytest.mark.parametrize("question", [
    "How many new forest patches appeared between 2006 and 2012?",
    "How many new forest patches are there?",
    "how many forest patches appeared between 2015-07-11 and 2020-07-11",
])
def test_new_patches(question):
    assert steps_of(question) == (
        [AFTER, BEFORE, {"id": "new", "op": "objects_far", "of": "forest_after",
                         "to": "forest_before", "distance_m": 0}, count_of("new")], "n")


def test_change_dates_in_the_wrong_order_are_refused():
    with pytest.raises(QuestionError, match="earlier date first"):
        plan_question("How much forest was lost between 2012 and 2006?")


@pytest.mark.parametrize(("question", "years"), [
    ("How much forest area was lost between 2006 and 2012?", ("2006", "2012")),
    ("How many new forest patches appeared from 2015-07-11 to 2020-07-11?",
     ("2015-07-11", "2020-07-11")),
    ("What is the net change in forest area between 2006-2012?", ("2006", "2012")),
    ("How many forest patches between 2000 and 3000 m² are there?", None),
    ("What share of the area is forest?", None),
])
def test_question_years(question, years):
    assert question_years(question) == years


@pytest.mark.parametrize(("phrase", "cls"), [
    ("built-up land", "built-up"), ("artificial surface", "built-up"),
    ("open water", "water"), ("grassland", "grass"), ("water bodies", "water"),
    ("urban areas", "built-up"), ("fields", "cropland"), ("cultivated land", "cropland"),
    ("snow and ice", "snow"), ("Trees", "forest"),
])
def test_multi_word_class_words(phrase, cls):
    steps, _ = steps_of(f"How many {phrase} are there?")
    assert steps[0] == mask(steps[0]["id"], cls)


@pytest.mark.parametrize("phrase", ["code 12", "class 12", "land-use class 12",
                                    "land-use code 12", "land use code 12 patches"])
def test_class_codes(phrase):
    assert steps_of(f"What is the area of {phrase} in ha?") == (
        [{"id": "code_12", "op": "mask", "code": 12},
         {"id": "area", "op": "area", "of": "code_12", "unit": "ha"}], "area")


@pytest.mark.parametrize(("question", "step_id", "key", "value"), [
    ("How many forest patches larger than 0.125 ha are there?", "forest_large", "min_area_m2",
     1250),
    ("How many forest patches larger than 0.5 km² are there?", "forest_large", "min_area_m2",
     500000),
    ("How many forest patches larger than 20 square metres?", "forest_large", "min_area_m2",
     20),
    ("How many forest patches are within 1.5 km of water?", "near", "distance_m", 1500),
    ("How many forest patches are within 2 kilometres of water?", "near", "distance_m", 2000),
])
def test_units_are_converted_to_square_metres_and_metres(question, step_id, key, value):
    assert plan_question(question).step(step_id).args[key] == value


def test_the_plan_keeps_the_question_and_validates():
    plan = plan_question("  How many forest patches are there?  ")
    assert plan.question == "How many forest patches are there?"
    assert plan.answer == "n"
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{0,31}", step.id) for step in plan.steps)


def test_unsupported_questions_name_the_closest_form_in_one_line():
    with pytest.raises(QuestionError) as caught:
        plan_question("What is the meaning of life?")
    message = str(caught.value)
    assert "fits none of the supported question forms" in message and "\n" not in message
    closest = message.split("the closest is '")[1].split("'")[0]
    assert closest in SUPPORTED_FORMS


def test_a_part_that_cannot_be_read_is_named():
    with pytest.raises(QuestionError, match="cannot read 'exist in cosmos forever'"):
        plan_question("How many connected groups of forest exist in the cosmos forever?")


@pytest.mark.parametrize("question", ["", "   ", "How many patches are there?",
                                      "How many forest patches of exactly 1 ha are there?"])
def test_questions_without_a_class_or_form_are_refused(question):
    with pytest.raises(QuestionError):
        plan_question(question)


@pytest.mark.parametrize(("question", "suggestion"), [
    ("How many foorrest patches are there?", "forest"),    # two letters off: not guessed
    ("What share of the area is watr?", "water"),
    ("How many forest patches are within 100 m of raods?", "road"),
])
def test_unknown_class_words_suggest_the_closest(question, suggestion):
    with pytest.raises(ClassNameError, match=f"did you mean '{suggestion}'"):
        plan_question(question)


@pytest.mark.parametrize("question", ["How many forest patches are within -5 m of water?",
                                      "What share of forest lies within −5 m of water?"])
def test_negative_distances_are_refused(question):
    with pytest.raises((QuestionError, PlanError), match="distances must be >= 0"):
        plan_question(question)


def test_negative_sizes_are_refused():
    with pytest.raises((QuestionError, PlanError), match="sizes must be >= 0"):
        plan_question("How many forest patches larger than -1 ha are there?")


@pytest.mark.parametrize("question", [
    "How many forest patches between 10 and 1 ha are there?",
    "How many forest patches larger than 10 ha and smaller than 1 ha are there?",
])
def test_swapped_size_bounds_are_refused(question):
    with pytest.raises((QuestionError, PlanError), match="swap the bounds"):
        plan_question(question)


@pytest.mark.parametrize(("question", "message"), [
    ("What share of the area is forest in ha?", "a share is a percentage"),
    ("What is the area of forest in km?", "m2, ha or km2"),
])
def test_answer_units_must_fit_the_quantity(question, message):
    with pytest.raises(QuestionError, match=message):
        plan_question(question)


SAMPLES = {"<class>": ["forest", "water", "grassland"], "<area>": ["1 ha", "10 ha"],
           "<distance>": ["500 m", "1 km"], "<year>": ["2006", "2012"]}


def fill(template):
    """A template with sample values, each placeholder's values used in turn."""
    values = {key: itertools.cycle(samples) for key, samples in SAMPLES.items()}
    return re.sub("|".join(SAMPLES), lambda m: next(values[m[0]]), template)


@pytest.mark.parametrize("template", SUPPORTED_FORMS)
def test_every_supported_form_is_planned(template):
    question = fill(template)
    plan = plan_question(question)
    assert plan.question == question
    assert plan.step(plan.answer).kind == "value"
