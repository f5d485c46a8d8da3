"""Plans: validation against the published schema, and their interpretation over real masks."""

import json
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

import geoquant as gq
from geoquant.errors import ClassNameError, PlanError
from geoquant.reason import PLAN_SCHEMA, validate
from geoquant.reason.plans._execute import is_fragmented, run_plan
from geoquant.testing.real import slovenia_reference

EIGHT = np.ones((3, 3), bool)


def _plan(*steps, answer=None):
    return {"version": 1, "steps": list(steps), "answer": answer or steps[-1]["id"]}


def test_the_published_schema_is_the_one_validated_against():
    published = Path(gq.reason.__file__).parent / "plans" / "plan.schema.json"
    assert json.loads(published.read_text()) == PLAN_SCHEMA


def test_a_valid_plan_round_trips_with_canonical_class_names():
    plan = validate(_plan({"id": "a", "op": "mask", "class": "Trees"},
                          {"id": "n", "op": "count", "of": "a"}))
    assert plan.step("a").args["class"] == "forest"
    assert validate(plan.to_json()) == plan


@pytest.mark.parametrize(("document", "message"), [
    ('{"version": 1', "not valid JSON"),
    (_plan({"id": "a", "op": "maks", "class": "forest"}), "did you mean 'mask'"),
    (_plan({"id": "a", "op": "mask", "class": "forest"},
           {"id": "n", "op": "near", "of": "a", "to": "a", "distance_m": -5}),
     "less than the minimum of 0"),
    (_plan({"id": "a", "op": "mask", "class": "forest"}, {"id": "n", "op": "count", "of": "b"}),
     "not an earlier step"),
    (_plan({"id": "a", "op": "mask", "class": "forest"}), "is a mask"),
    (_plan({"id": "a", "op": "mask", "class": "forest", "python": "import os"}),
     "'python' was unexpected"),
    (_plan({"id": "a", "op": "mask", "class": "forest"}, {"id": "a", "op": "count", "of": "a"}),
     "used twice"),
    (_plan({"id": "a", "op": "mask", "class": "forest"},
           {"id": "o", "op": "objects", "of": "a", "min_area_m2": 10, "max_area_m2": 5},
           {"id": "n", "op": "count", "of": "o"}), "swap the bounds"),
    (_plan({"id": "a", "op": "mask", "class": "forest"}, {"id": "n", "op": "count", "of": "a"},
           {"id": "c", "op": "count", "of": "n"}), "needs a mask"),
])
def test_invalid_plans_are_refused_with_what_to_change(document, message):
    with pytest.raises(PlanError, match=message):
        validate(document)


def test_unknown_class_in_a_plan_suggests_the_closest():
    with pytest.raises(ClassNameError, match="did you mean 'forest'"):
        validate(_plan({"id": "a", "op": "mask", "class": "forrest"},
                       {"id": "n", "op": "count", "of": "a"}))


@pytest.fixture(scope="module")
def slovenia(shared_data):
    ref = slovenia_reference(shared_data)
    seg = gq.segment.apply(ref.expand_dims(band=["lulc"]).astype(np.float32),
                           gq.segment.open_segmenter("slovenia-lulc"))
    return ref.values, (lambda cls, date: gq.segment.class_mask(seg, cls))


def test_plans_answer_like_scipy_on_the_reference(slovenia):
    codes, source = slovenia
    valid = codes > 0
    pixel = 100.0   # 10 m pixels (geoquant.testing.real.SLOVENIA_GRID)
    plan = validate(_plan(
        {"id": "forest", "op": "mask", "class": "forest"},
        {"id": "grass", "op": "mask", "class": "grassland"},
        {"id": "share", "op": "share", "of": "forest"},
        {"id": "n", "op": "count", "of": "grass"},
        {"id": "large", "op": "objects", "of": "grass", "min_area_m2": 1000},
        {"id": "n_large", "op": "count", "of": "large"},
        {"id": "largest", "op": "largest_object", "of": "grass", "unit": "ha"},
        {"id": "apart", "op": "min_distance", "of": "grass", "to": "forest"},
        {"id": "more", "op": "compare", "of": "share", "to": "largest", "comparison": ">"},
        answer="n"))
    done = run_plan(plan, source)
    grass_labels, n_grass = ndimage.label(codes == 3, structure=EIGHT)
    sizes = np.bincount(grass_labels.ravel())[1:]
    assert done["share"].value == pytest.approx(100 * (codes == 2).sum() / valid.sum(),
                                                rel=1e-12)
    assert done["n"].value == n_grass
    assert done["n_large"].value == int((sizes * 100.0 >= 1000).sum())
    assert done["largest"].value == pytest.approx(sizes.max() * pixel / 1e4, rel=1e-12)
    assert done["apart"].value == pytest.approx(10.0, abs=0.01)
    assert done["more"].value is True


def test_objects_near_and_far_split_the_objects(slovenia):
    codes, source = slovenia
    plan = validate(_plan(
        {"id": "grass", "op": "mask", "class": "grass"},
        {"id": "built", "op": "mask", "class": "built-up"},
        {"id": "near", "op": "objects_near", "of": "grass", "to": "built", "distance_m": 100},
        {"id": "far", "op": "objects_far", "of": "grass", "to": "built", "distance_m": 100},
        {"id": "n_near", "op": "count", "of": "near"},
        {"id": "n_far", "op": "count", "of": "far"},
        {"id": "n_all", "op": "count", "of": "grass"},
        {"id": "d", "op": "difference_of", "of": "n_all", "minus": "n_far"}, answer="d"))
    done = run_plan(plan, source)
    assert done["n_near"].value + done["n_far"].value == done["n_all"].value
    assert done["d"].value == done["n_near"].value
    # Independently: grass objects with a pixel within 100 m (10 px) of built-up.
    labels, n = ndimage.label(codes == 3, structure=EIGHT)
    dist = ndimage.distance_transform_edt(codes != 8, sampling=(10.0, 10.0))
    near = {int(i) for i in np.unique(labels[(labels > 0) & (dist <= 100)])}
    assert done["n_near"].value == len(near)


def test_the_fragmentation_rule():
    assert is_fragmented({"number_of_patches": 5, "largest_patch_index": 10,
                          "proportion_of_landscape": 40})
    assert not is_fragmented({"number_of_patches": 5, "largest_patch_index": 30,
                              "proportion_of_landscape": 40})
    assert not is_fragmented({"number_of_patches": 1, "largest_patch_index": 5,
                              "proportion_of_landscape": 5})
