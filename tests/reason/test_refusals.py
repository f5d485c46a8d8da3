"""Questions that must be refused, each with an error that names what to change; and rules
that decide an ambiguous reading say so in the plan."""

from __future__ import annotations

import pytest

from geoquant.errors import ClassNameError, QuestionError
from geoquant.reason.reading._planner import plan_question

REFUSED = [
    # outside the families
    ("What is the meaning of life?", QuestionError, "fits none of the supported"),
    ("What colour are the roofs?", QuestionError, "fits none|cannot read|unknown class"),
    ("Which is larger, forest or water?", QuestionError, "not a class name"),
    ("Is there more forest or water?", QuestionError, "not a class name"),
    ("How many connected groups of forest exist in the cosmos forever?", QuestionError,
     "cannot read 'exist in cosmos forever'"),
    ("How many forest patches are there on Tuesdays?", QuestionError, "cannot read"),
    # missing or unknown classes
    ("How many patches are there?", QuestionError, "names no class"),
    ("How many foorrest patches are there?", ClassNameError, "did you mean 'forest'"),
    ("What share of the area is vineyard?", ClassNameError, "unknown class 'vineyard'"),
    ("How many forest patches are within 100 m of raods?", ClassNameError, "did you mean 'road'"),
    # contradictory
    ("How many forest patches within 50 m of water and farther than 100 m from water?",
     QuestionError, "which nothing can be"),
    ("How many forest patches larger than 10 ha and smaller than 1 ha are there?",
     QuestionError, "swap the bounds"),
    ("How many forest patches between 10 and 1 ha are there?", QuestionError, "swap the bounds"),
    # units that do not fit the measure
    ("What share of the area is forest in ha?", QuestionError, "a share is a percentage"),
    ("How many forest patches are there, in m²?", QuestionError, "a count is a number"),
    ("What is the distance between forest and water in hectares?", QuestionError, "m or km"),
    ("What is the area of forest in km?", QuestionError, "m2, ha or km2"),
    ("What is the area of forest in ha, in km²?", QuestionError, "keep one"),
    ("How many forest patches larger than 5 m are there?", QuestionError, "not an area"),
    ("How much forest lies within 2 ha of water?", QuestionError, "cannot read|not a distance"),
    # vague distances
    ("How many forest patches are near water?", QuestionError, "does not say how far"),
    ("How much forest is close to the road network?", QuestionError, "does not say how far"),
    # two steps that do not refer to each other
    ("Find the forest, then calculate the area of roads.", QuestionError,
     "does not refer to what the first step found"),
    # numbers that are no sizes
    ("How many forest patches are within -5 m of water?", QuestionError, "must be >= 0"),
    ("How many forest patches are within 99999999999999999999999 m of water?", QuestionError,
     "more than 20 digits|too large"),
    ("How many forest patches are there? (GSD: 0m)", QuestionError, "positive length"),
    ("How many forest patches are there? (GSD: 1m) (GSD: 2m)", QuestionError, "twice"),
    # change questions that do not say what changed, or in the wrong order
    ("How much forest was lost between 2012 and 2006?", QuestionError, "earlier date first"),
    ("What happened to the forest between 2006 and 2012?", QuestionError, "not what changed"),
    # a second sentence that is not a filter
    ("How many forest patches are there? Also tell me a joke.", QuestionError,
     "cannot read the sentence"),
    ("", QuestionError, "non-empty"),
    ("Hello!", QuestionError, "asks nothing"),
]


@pytest.mark.parametrize(("question", "error", "message"), REFUSED)
def test_questions_are_refused_with_a_specific_error(question, error, message):
    with pytest.raises(error, match=message):
        plan_question(question)


def test_more_area_than_area_compares_areas_and_says_why():
    plan = plan_question("Is there more urban area than forest area in this image?")
    ops = [s.op for s in plan.steps]
    assert ops.count("area") == 2 and "count" not in ops
    assert any("compares areas" in note for note in plan.notes)


def test_more_patches_than_patches_compares_counts_and_says_why():
    plan = plan_question("Are there more water bodies than forest patches?")
    assert [s.op for s in plan.steps].count("count") == 2
    assert any("numbers of objects" in note for note in plan.notes)


def test_every_word_of_a_long_question_is_read():
    """A question whose every part maps to a step: nothing dropped."""
    plan = plan_question("How many forest patches larger than 1 ha lie within 500 m of water "
                         "but more than 1 km from roads and are not adjacent to buildings?")
    ops = [s.op for s in plan.steps]
    assert ops.count("objects") == 1 and "objects_near" in ops and "objects_far" in ops
    assert "objects_adjacent" in ops and "difference" in ops
