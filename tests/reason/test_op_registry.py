"""The op table is the one place an op is defined: every entry of ``OPS`` has a canonical
corpus form and a NumPy/SciPy reference, and the engine answers every op as its reference does
on a real raster (the Slovenia land-cover reference, 10 m pixels) at two chunkings and both
connectivities."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

from geoquant.reason import validate
from geoquant.reason.plans._execute import run_plan
from geoquant.reason.plans._ops import FRAGMENTATION_METRICS, OPS
from geoquant.testing.corpus import expression
from geoquant.testing.reference import Evaluation, Maps, reference_value

#: The Slovenia reference's eo-learn codes of the classes the plans name (0 is no data).
LEGEND = {"cropland": [1], "forest": [2], "grass": [3], "shrubland": [4], "built-up": [8]}

STEPS = [
    {"id": "forest", "op": "mask", "class": "forest"},
    {"id": "grass", "op": "mask", "class": "grass"},
    {"id": "shrub", "op": "mask", "class": "shrubland"},
    {"id": "built", "op": "code", "code": 8},
    {"id": "all", "op": "region"},
    {"id": "gaps", "op": "no_data"},
    {"id": "big", "op": "objects", "of": "grass", "min_area_m2": 500},
    {"id": "mid", "op": "objects", "of": "shrub", "min_area_m2": 200, "max_area_m2": 5000},
    {"id": "top", "op": "largest_of", "of": "grass"},
    {"id": "bottom", "op": "smallest_of", "of": "shrub"},
    {"id": "near", "op": "near", "of": "grass", "to": "built", "distance_m": 35},
    {"id": "far", "op": "far", "of": "forest", "to": "built", "distance_m": 120},
    {"id": "edge", "op": "adjacent", "of": "grass", "to": "shrub"},
    {"id": "o_near", "op": "objects_near", "of": "shrub", "to": "built", "distance_m": 60},
    {"id": "o_far", "op": "objects_far", "of": "grass", "to": "built", "distance_m": 40},
    {"id": "o_touch", "op": "objects_adjacent", "of": "grass", "to": "built"},
    {"id": "open", "op": "union", "of": ["grass", "shrub"]},
    {"id": "both", "op": "intersection", "of": ["open", "near"]},
    {"id": "rest", "op": "difference", "of": "open", "minus": "shrub"},
    {"id": "not_forest", "op": "complement", "of": "forest"},
    {"id": "no_built", "op": "excluding", "of": "grass", "minus": "built"},
    {"id": "minor", "op": "without_largest", "of": "grass", "count": 2},
    {"id": "inside", "op": "objects_inside", "of": "shrub", "to": "built", "distance_m": 80},
    {"id": "paired", "op": "objects_near_other", "of": "shrub", "distance_m": 30},
    {"id": "alone", "op": "objects_far_other", "of": "shrub", "distance_m": 30},
    {"id": "s", "op": "share", "of": "forest"},
    {"id": "s_in", "op": "share", "of": "near", "within": "grass"},
    {"id": "s_left", "op": "share", "of": "no_built"},
    {"id": "a", "op": "area", "of": "rest", "unit": "ha"},
    {"id": "a_m", "op": "area", "of": "not_forest"},
    {"id": "a_acre", "op": "area", "of": "minor", "unit": "acre"},
    {"id": "n", "op": "count", "of": "grass"},
    {"id": "n_big", "op": "count", "of": "big"},
    {"id": "big_one", "op": "largest_object", "of": "grass", "unit": "ha"},
    {"id": "small_one", "op": "smallest_object", "of": "shrub"},
    {"id": "mean_one", "op": "mean_object", "of": "shrub", "unit": "ft2"},
    {"id": "apart", "op": "min_distance", "of": "shrub", "to": "built", "unit": "km"},
    {"id": "d_max", "op": "distance_stat", "to": "built", "stat": "max"},
    {"id": "d_median", "op": "distance_stat", "of": "shrub", "to": "built", "stat": "median",
     "per": "object", "unit": "ft"},
    {"id": "groups", "op": "connected_groups", "of": "shrub"},
    {"id": "whole", "op": "connectivity", "of": "forest"},
    {"id": "joined", "op": "connected", "through": "grass", "of": "shrub", "to": "built"},
    {"id": "north", "op": "edge", "side": "top"},
    {"id": "south", "op": "edge", "side": "bottom"},
    {"id": "across", "op": "connected", "through": "forest", "of": "north", "to": "south"},
    {"id": "per_ha", "op": "ratio", "of": "n", "to": "a", "scale": 100, "unit": "per 100 ha"},
    {"id": "twice", "op": "scaled", "of": "a", "factor": 2},
    {"id": "enn", "op": "neighbour_distance", "of": "shrub", "stat": "mean"},
    {"id": "outline", "op": "perimeter", "of": "grass", "unit": "km"},
    *({"id": f"f_{m}", "op": "fragmentation", "of": "grass", "metric": m,
       **({"unit": "acre"} if m == "area_mn" else {"unit": "km"} if m == "total_edge" else {})}
      for m in FRAGMENTATION_METRICS),
    {"id": "split", "op": "is_fragmented", "of": "shrub"},
    {"id": "gap", "op": "difference_of", "of": "a", "minus": "big_one"},
    {"id": "change", "op": "percent_change", "of": "n_big", "from": "n"},
    {"id": "ten", "op": "number", "value": 10, "unit": "objects"},
    {"id": "more", "op": "compare", "of": "n", "to": "ten", "comparison": ">"},
]


def _steps() -> list[dict]:
    # "code" is the mask op by class code
    return [dict(s, op="mask") if s["op"] == "code" else s for s in STEPS]


@pytest.fixture(scope="module")
def slovenia_codes(shared_data):
    from geoquant.testing.real import slovenia_reference

    return np.asarray(slovenia_reference(shared_data).values).astype(np.int64)


def _source(codes: np.ndarray, chunks: tuple[int, int]):
    """Class masks of the codes (1 class, 0 other, 255 no data), dask-chunked."""
    from geoquant.testing.rasters import as_raster
    from geoquant.testing.real import SLOVENIA_GRID

    valid = codes != 0

    def source(what, date):
        assert date is None
        hit = valid if what is None else (codes == what) if isinstance(what, int) \
            else np.isin(codes, LEGEND[what])
        values = np.where(valid, hit, 255).astype(np.uint8)
        raster = as_raster(values, chunks=chunks, **SLOVENIA_GRID)
        return raster.rio.write_nodata(255, encoded=False)

    return source


def test_every_op_has_a_canonical_form_and_a_reference():
    for name, spec in OPS.items():
        assert spec.canonical is not None, name
        assert callable(spec.reference_function()), name
    assert {s["op"] for s in _steps()} == set(OPS)           # the plans below cover every op


def test_the_op_table_imports_no_scipy():
    code = ("import sys, geoquant, geoquant.reason.plans._ops, geoquant.testing.corpus; "
            "assert 'scipy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_an_expression_no_op_makes_is_refused():
    maps = Maps({None: np.ones((2, 2), int)}, {"forest": [1]}, 10.0)
    with pytest.raises(ValueError, match="not a value expression: \\('size'"):
        reference_value(("size", ("mask", "forest")), maps)
    with pytest.raises(ValueError, match="not a mask expression: \\('area'"):
        Evaluation(maps).pixels(("area", ("mask", "forest"), "m2"))


@pytest.mark.slow          # 60 steps run through dask: 13-30 s each on two shared cores
@pytest.mark.parametrize("connectivity", [8, 4])
@pytest.mark.parametrize("chunks", [(101, 100), (23, 31)])
def test_the_engine_answers_every_op_as_its_reference_does(slovenia_codes, chunks,
                                                           connectivity):
    plan = validate({"version": 1, "steps": _steps(), "answer": "more",
                     "connectivity": connectivity})
    done = run_plan(plan, _source(slovenia_codes, chunks))
    maps = Maps({None: slovenia_codes}, LEGEND, 10.0)
    evaluation = Evaluation(maps, connectivity=connectivity)
    for step in plan.steps:
        spec = OPS[step.op]
        expr = expression(replace(plan, answer=step.id))
        assert expr[0] in (spec.name, *spec.aliases), (step.id, expr)
        if spec.kind == "mask":
            mask, valid = evaluation.pixels(expr)
            got = np.asarray(done[step.id].mask.values)
            assert np.array_equal(got != 255, valid), step.id
            assert np.array_equal(got == 1, mask & valid), step.id
            continue
        truth = reference_value(expr, maps, connectivity=connectivity)
        value = done[step.id].value
        if isinstance(truth, (bool, str, int)) and not isinstance(truth, float):
            assert value == truth, (step.id, value, truth)
        else:
            assert math.isclose(value, truth, rel_tol=1e-6, abs_tol=1e-9), \
                (step.id, value, truth)


# Hand-made 10 m map: 1 water, 2 forest, 3 road, 4 grass, 0 no data. Water objects: A (the
# 2x2 block, 400 m²), B at (3, 0) and C at (3, 6), 100 m² each, labelled in that order.
HAND = np.array([[1, 1, 4, 4, 2, 2, 2, 2],
                 [1, 1, 4, 4, 2, 2, 2, 2],
                 [4, 4, 4, 4, 4, 4, 4, 4],
                 [1, 4, 4, 4, 4, 4, 1, 4],
                 [4, 4, 3, 3, 3, 3, 3, 3],
                 [0, 0, 4, 4, 4, 4, 4, 4]])
WATER, FOREST, ROAD = ("mask", "water"), ("mask", "forest"), ("mask", "road")


@pytest.mark.parametrize(("expr", "expected"), [
    (("count", ("without_largest", WATER, 1)), 2),
    (("area", ("without_largest", WATER, 2), "m2"), 100.0),           # B goes (tie: label)
    (("area", ("objects_inside", WATER, ROAD, 15), "m2"), 100.0),     # only C, 10 m above
    (("area", ("objects_near_other", WATER, 25), "m2"), 500.0),       # A and B, 20 m apart
    (("area", ("objects_far_other", WATER, 25), "m2"), 100.0),        # C
    (("distance_stat", "max", None, ROAD, "pixel", "m"), math.sqrt(40 ** 2 + 20 ** 2)),
    (("distance_stat", "min", WATER, ROAD, "object", "m"), 10.0),
    (("share", ("complement", WATER)), 100 * 40 / 46),
    (("share", ("excluding", FOREST, WATER)), 100 * 8 / 40),
    (("share", ("no_data",)), 100 * 2 / 48),
    (("area", ("region",), "m2"), 4600.0),
    (("fragmentation", FOREST, "total_edge"), 60.0),
    (("fragmentation", WATER, "enn_mn"), (20.0 + 20.0 + math.hypot(20, 50)) / 3),
    (("fragmentation", FOREST, "patch_cohesion_index"),
     (1 - 1 / math.sqrt(8)) / (1 - 1 / math.sqrt(46)) * 100),
    (("is_fragmented", WATER), False),                                # A holds 4 of 6
    (("connected", ("mask", "water"), FOREST, ("mask", "grass")), True),
])
def test_the_references_give_hand_computed_answers(expr, expected):
    legend = {"water": [1], "forest": [2], "road": [3], "grass": [4]}
    value = reference_value(expr, Maps({None: HAND}, legend, 10.0))
    assert value == pytest.approx(expected, rel=1e-12)


def test_the_references_take_the_plans_connectivity():
    diagonal = Maps({None: np.array([[1, 2], [2, 1]])}, {"water": [1], "grass": [2]}, 10.0)
    water, grass = ("mask", "water"), ("mask", "grass")
    assert reference_value(("count", water), diagonal) == 1
    assert reference_value(("count", water), diagonal, connectivity=4) == 2
    assert reference_value(("connectivity", water), diagonal, connectivity=4) == "fragmented"
    touching = ("area", ("objects_adjacent", water, grass), "m2")
    assert reference_value(touching, diagonal, connectivity=4) == 200.0
