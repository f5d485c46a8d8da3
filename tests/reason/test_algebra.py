"""The question algebra's ops (complement, exclusion, top-k, quantified and same-class relations,
distance statistics) against scipy on whole arrays, for NumPy and several dask chunkings."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import ndimage
from scipy.spatial import cKDTree

from geoquant.reason import validate
from geoquant.reason.plans._execute import run_plan
from geoquant.segment import MASK_NODATA

EIGHT = np.ones((3, 3), bool)
DX, DY = 10.0, 12.5           # anisotropic pixels, metres
NODATA = 9
CHUNKINGS = (None, (7, 23), pytest.param((64, 5), marks=pytest.mark.slow))


def _codes(seed: int = 3, shape: tuple[int, int] = (64, 80)) -> np.ndarray:
    """Blobs of codes 1..3 on background 0, with a band of nodata and objects that wind
    across tile borders and touch only at corners."""
    rng = np.random.default_rng(seed)
    codes = np.zeros(shape, np.uint8)
    for code, share in ((1, 0.08), (2, 0.06), (3, 0.04)):
        seeds = rng.random(shape) < share
        grown = ndimage.binary_dilation(seeds, iterations=int(rng.integers(1, 3)))
        codes[grown & (codes == 0)] = code
    codes[30:33, :20] = NODATA
    codes[10, 10], codes[11, 11] = 2, 2                      # a corner contact
    return codes


def _source(codes: np.ndarray, chunks: tuple[int, int] | None):
    def source(code, date):
        hit = (codes == code).astype(np.uint8)
        hit[codes == NODATA] = MASK_NODATA
        ys = 1_000_000 - DY * (np.arange(codes.shape[0]) + 0.5)
        xs = 500_000 + DX * (np.arange(codes.shape[1]) + 0.5)
        mask = xr.DataArray(hit, dims=("y", "x"), coords={"y": ys, "x": xs})
        mask = mask.rio.write_crs("EPSG:32633").rio.write_nodata(MASK_NODATA, encoded=False)
        return mask.chunk(dict(zip(("y", "x"), chunks, strict=True))) if chunks else mask
    return source


def _run(codes, chunks, *steps):
    plan = validate({"version": 1, "steps": list(steps), "answer": steps[-1]["id"]})
    return run_plan(plan, _source(codes, chunks))


def _ids_of(result) -> np.ndarray:
    return np.asarray(result.mask.values) == 1


def _labels(hit: np.ndarray):
    return ndimage.label(hit, structure=EIGHT)


def _edt(target: np.ndarray) -> np.ndarray:
    return ndimage.distance_transform_edt(~target, sampling=(DY, DX))


CODES = _codes()
VALID = CODES != NODATA


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_complement_keeps_nodata_out(chunks):
    done = _run(CODES, chunks, {"id": "a", "op": "mask", "code": 1},
                {"id": "b", "op": "mask", "code": 2},
                {"id": "u", "op": "union", "of": ["a", "b"]},
                {"id": "c", "op": "complement", "of": "u"},
                {"id": "s", "op": "share", "of": "c"})
    want = VALID & ~np.isin(CODES, (1, 2))
    assert np.array_equal(_ids_of(done["c"]), want)
    assert (np.asarray(done["c"].mask.values) == MASK_NODATA).sum() == (~VALID).sum()
    assert done["s"].value == pytest.approx(100 * want.sum() / VALID.sum(), rel=1e-12)


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_excluding_takes_a_class_out_of_the_region(chunks):
    done = _run(CODES, chunks, {"id": "w", "op": "mask", "code": 1},
                {"id": "f", "op": "mask", "code": 2},
                {"id": "left", "op": "excluding", "of": "f", "minus": "w"},
                {"id": "s", "op": "share", "of": "left"})
    region = VALID & (CODES != 1)
    assert done["s"].value == pytest.approx(100 * (CODES == 2).sum() / region.sum(), rel=1e-12)


@pytest.mark.parametrize("chunks", CHUNKINGS)
@pytest.mark.parametrize("k", [2, 5])
def test_without_largest_drops_the_k_largest(chunks, k):
    done = _run(CODES, chunks, {"id": "a", "op": "mask", "code": 1},
                {"id": "rest", "op": "without_largest", "of": "a", "count": k},
                {"id": "n", "op": "count", "of": "rest"},
                {"id": "area", "op": "area", "of": "rest"})
    labels, n = _labels(CODES == 1)
    sizes = np.bincount(labels.ravel())[1:]
    order = sorted(range(1, n + 1), key=lambda i: (-sizes[i - 1], i))   # ties by scipy order
    kept = np.isin(labels, order[k:])
    assert done["n"].value == max(n - k, 0)
    assert np.array_equal(_ids_of(done["rest"]), kept)
    assert done["area"].value == pytest.approx(kept.sum() * DX * DY, rel=1e-12)


@pytest.mark.parametrize("chunks", CHUNKINGS)
@pytest.mark.parametrize("reach", [12.5, 95.0])
def test_objects_wholly_within(chunks, reach):
    done = _run(CODES, chunks, {"id": "a", "op": "mask", "code": 1},
                {"id": "b", "op": "mask", "code": 2},
                {"id": "in", "op": "objects_inside", "of": "a", "to": "b", "distance_m": reach},
                {"id": "n", "op": "count", "of": "in"})
    labels, n = _labels(CODES == 1)
    near = _edt(CODES == 2) <= reach
    inside = [i for i in range(1, n + 1) if near[labels == i].all()]
    assert done["n"].value == len(inside)
    assert np.array_equal(_ids_of(done["in"]), np.isin(labels, inside))


@pytest.mark.parametrize("chunks", CHUNKINGS)
@pytest.mark.parametrize("reach", [16.0, 120.0])
def test_objects_with_and_without_a_neighbour_of_their_class(chunks, reach):
    done = _run(CODES, chunks, {"id": "a", "op": "mask", "code": 3},
                {"id": "near", "op": "objects_near_other", "of": "a", "distance_m": reach},
                {"id": "far", "op": "objects_far_other", "of": "a", "distance_m": reach},
                {"id": "n_near", "op": "count", "of": "near"},
                {"id": "n_far", "op": "count", "of": "far"})
    labels, n = _labels(CODES == 3)
    rows, cols = np.nonzero(labels)
    points = np.column_stack([rows * DY, cols * DX])
    near = set()
    for i in range(1, n + 1):
        mine = labels[rows, cols] == i
        if (~mine).any() and cKDTree(points[~mine]).query(points[mine])[0].min() <= reach:
            near.add(i)
    assert done["n_near"].value == len(near)
    assert done["n_far"].value == n - len(near)
    assert np.array_equal(_ids_of(done["near"]), np.isin(labels, sorted(near)))


@pytest.mark.parametrize("chunks", CHUNKINGS)
@pytest.mark.parametrize("stat", ["max", "median", "mean", "min"])
def test_distance_statistics_equal_scipy(chunks, stat):
    done = _run(CODES, chunks, {"id": "a", "op": "mask", "code": 1},
                {"id": "b", "op": "mask", "code": 2},
                {"id": "all", "op": "distance_stat", "to": "b", "stat": stat},
                {"id": "of_a", "op": "distance_stat", "of": "a", "to": "b", "stat": stat},
                {"id": "per_object", "op": "distance_stat", "of": "a", "to": "b",
                 "stat": stat, "per": "object", "unit": "km"})
    # excluded pixels neither count nor block: the field is the whole-array EDT to code 2
    field = _edt(CODES == 2)
    want = getattr(np, stat)
    assert done["all"].value == pytest.approx(want(field[VALID]), rel=1e-12)
    assert done["of_a"].value == pytest.approx(want(field[CODES == 1]), rel=1e-12)
    labels, n = _labels(CODES == 1)
    closest = ndimage.minimum(field, labels, np.arange(1, n + 1))
    assert done["per_object"].value == pytest.approx(want(closest) / 1000, rel=1e-12)


def test_a_place_farther_than_a_distance_from_every_pixel_of_a_class():
    from geoquant.reason.reading._planner import plan_question

    field = _edt(CODES == 2)
    greatest = field[VALID].max()
    for limit, expected in ((greatest - 1, True), (greatest + 1, False)):
        plan = plan_question(f"Is there a place over {limit:.3f} m from every code 2 pixel?")
        done = run_plan(plan, _source(CODES, (16, 16)))
        assert done[plan.answer].value is expected


def test_quantifiers_over_a_class_with_no_objects_are_refused():
    from geoquant.errors import MaskError

    with pytest.raises(MaskError, match="no objects of 'a' to leave the largest out of"):
        _run(CODES, None, {"id": "a", "op": "mask", "code": 7},
             {"id": "rest", "op": "without_largest", "of": "a"},
             {"id": "n", "op": "count", "of": "rest"})
    with pytest.raises(MaskError, match="'b' has no pixels here"):
        _run(CODES, None, {"id": "a", "op": "mask", "code": 1},
             {"id": "b", "op": "mask", "code": 7},
             {"id": "in", "op": "objects_inside", "of": "a", "to": "b", "distance_m": 10},
             {"id": "n", "op": "count", "of": "in"})


def test_same_class_neighbours_on_a_geographic_grid_are_geodesic():
    """Two one-pixel objects 3 columns apart at 60°N on a 0.0001° grid: about 16.7 m apart
    east-west (pyproj.Geod), not 0.0003 'metres'."""
    from pyproj import Geod

    codes = np.zeros((5, 9), np.uint8)
    codes[2, 2] = codes[2, 5] = 1
    res = 1e-4
    lats = 60.0 - res * (np.arange(5) + 0.5)
    lons = 10.0 + res * (np.arange(9) + 0.5)
    apart = Geod(ellps="WGS84").inv(lons[2], lats[2], lons[5], lats[2])[2]

    def source(code, date):
        mask = xr.DataArray((codes == code).astype(np.uint8), dims=("y", "x"),
                            coords={"y": lats, "x": lons})
        return mask.rio.write_crs("EPSG:4326").rio.write_nodata(MASK_NODATA, encoded=False)

    for reach, expected in ((apart * 0.999, 0), (apart * 1.001, 2)):
        plan = validate({"version": 1, "steps": [
            {"id": "a", "op": "mask", "code": 1},
            {"id": "near", "op": "objects_near_other", "of": "a", "distance_m": reach},
            {"id": "n", "op": "count", "of": "near"}], "answer": "n"})
        assert run_plan(plan, source)["n"].value == expected


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_a_plan_at_4_connectivity_counts_edge_neighbours_only(chunks):
    steps = [{"id": "a", "op": "mask", "code": 2}, {"id": "n", "op": "count", "of": "a"},
             {"id": "big", "op": "largest_object", "of": "a"}]
    plan = validate({"version": 1, "steps": steps, "answer": "n", "connectivity": 4})
    done = run_plan(plan, _source(CODES, chunks))
    labels, n = ndimage.label(CODES == 2)                    # scipy's default: 4-connected
    assert done["n"].value == n
    assert done["n"].value > _labels(CODES == 2)[1]          # the corner contacts split
    assert done["big"].value == pytest.approx(np.bincount(labels.ravel())[1:].max() * DX * DY)
    assert validate(plan.to_dict()).connectivity == 4
