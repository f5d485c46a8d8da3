"""The evaluation question set (benchmarks/questions): current, well formed, every family, and
spot truths recomputed by routes other than build.py's (scikit-image regions, k-d trees)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "benchmarks" / "questions"
FAMILIES = {"share", "area", "count", "object_size", "comparison", "connectivity",
            "fragmentation", "proximity_share", "proximity_area", "objects_near", "distance",
            "multi_condition", "change"}
FIELDS = {"question": str, "answer": (int, float, str), "unit": str, "type": str, "tier": int,
          "image": str, "id": str}
NULLABLE = {"acceptable_range_lower": (int, float), "acceptable_range_upper": (int, float),
            "product": str, "imagery": str, "datetime": str}


@pytest.fixture(scope="module")
def build(shared_data):
    spec = importlib.util.spec_from_file_location("question_set_build", FOLDER / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module         # dataclasses look their module up while building
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def records(shared_data) -> dict[str, dict]:
    lines = (FOLDER / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return {r["question"]: r for r in map(json.loads, lines)}


@pytest.fixture(scope="module")
def cubes(demo_catalog):
    import rioxarray  # noqa: F401  (the .rio accessor)

    from geoquant import sources

    def load(collection, **kw):
        items = json.loads((demo_catalog / collection / "items.json").read_text())["features"]
        return sources.load(items, **kw)

    return {"slovenia": load("slovenia-lulc"),
            "lausanne": load("lausanne-landuse", assets=["landuse"]),
            "camargue": load("camargue-s1", sar_units="db")}


def _pixel_area(cube) -> float:
    return abs(float(np.prod(cube.rio.resolution())))


def test_the_committed_file_is_what_build_writes(build, capsys):
    assert build.main(["--check"]) == 0, capsys.readouterr().out


def test_every_record_has_the_fields_and_types(records):
    assert 45 <= len(records) <= 70
    ids = [r["id"] for r in records.values()]
    assert len(set(ids)) == len(ids)
    for r in records.values():
        assert set(r) == set(FIELDS) | set(NULLABLE), r["id"]
        for key, kind in FIELDS.items():
            assert isinstance(r[key], kind) and not isinstance(r[key], bool), (r["id"], key)
        for key, kind in NULLABLE.items():
            assert r[key] is None or isinstance(r[key], kind), (r["id"], key)
        assert r["tier"] in (1, 2, 3)
        assert r["image"] in ("slovenia-lulc", "lausanne-landuse", "camargue-s1")
        if r["unit"] == "yes/no":
            assert r["answer"] in ("yes", "no") and r["acceptable_range_lower"] is None
        elif isinstance(r["answer"], int):   # counts: exact, or Camargue's threshold span
            low, high = r["acceptable_range_lower"], r["acceptable_range_upper"]
            assert (low is None) == (high is None) == (r["image"] != "camargue-s1")
            assert low is None or low <= r["answer"] <= high
        else:
            assert r["acceptable_range_lower"] < r["answer"] < r["acceptable_range_upper"]


def test_every_family_is_covered_and_sites_keep_to_theirs(records):
    by_type: dict[str, list[dict]] = {}
    for r in records.values():
        by_type.setdefault(r["type"], []).append(r)
    assert set(by_type) == FAMILIES
    assert all(len(rs) >= 2 for rs in by_type.values())
    assert {r["image"] for r in by_type["change"]} == {"lausanne-landuse"}
    assert all(r["datetime"] == "2006-01-01/2012-12-31" for r in by_type["change"])
    for family in ("connectivity", "multi_condition"):
        assert {r["image"] for r in by_type[family]} == {"slovenia-lulc"}
    camargue = {r["type"] for r in records.values() if r["image"] == "camargue-s1"}
    assert {"share", "area", "count", "object_size", "fragmentation"} <= camargue


def test_shrubland_patches_between_two_sizes(records, cubes):
    from skimage.measure import label, regionprops

    cube = cubes["slovenia"]
    codes = cube.values[0, 0]
    areas = [p.area * _pixel_area(cube) for p in regionprops(label(codes == 4, connectivity=2))]
    expected = sum(500 <= a <= 2500 for a in areas)
    r = records["How many shrubland patches between 0.05 ha and 0.25 ha are there?"]
    assert r["answer"] == expected > 0


def test_minimum_distance_between_two_land_use_codes(records, cubes):
    from scipy.spatial import cKDTree

    cube = cubes["lausanne"]
    codes = cube.values[1, 0]                       # 2012
    xx, yy = np.meshgrid(cube.x.values, cube.y.values)

    def points(code):
        hit = codes == code
        return np.column_stack([xx[hit], yy[hit]])

    distance, _ = cKDTree(points(21)).query(points(41))
    r = records["How far is land-use code 41 from land-use code 21?"]
    assert r["answer"] == pytest.approx(distance.min(), rel=1e-6)


def test_new_patches_between_the_two_dates(records, cubes):
    from skimage.measure import label, regionprops

    codes = cubes["lausanne"].values[:, 0]
    both = ~np.isnan(codes[0]) & ~np.isnan(codes[1])   # compared where both maps have data
    before, after = (codes[0] == 41) & both, (codes[1] == 41) & both
    regions = regionprops(label(after, connectivity=2))
    expected = sum(not before[tuple(p.coords.T)].any() for p in regions)
    r = records["How many new land-use code 41 patches appeared between 2006 and 2012?"]
    assert r["answer"] == expected > 0


def test_camargue_water_bodies_over_the_otsu_thresholds(records, cubes):
    from skimage.filters import threshold_otsu
    from skimage.measure import label, regionprops

    cube = cubes["camargue"]
    vv = cube.values[0, 0]
    t = threshold_otsu(vv[np.isfinite(vv)])
    pixel = _pixel_area(cube)

    def count(threshold):
        regions = regionprops(label(vv < threshold, connectivity=2))
        return sum(p.area * pixel >= 1e4 for p in regions)

    r = records["How many water patches larger than 1 ha are there?"]
    spread = [count(t - 0.5), count(t), count(t + 0.5)]
    assert r["answer"] == spread[1]
    assert (r["acceptable_range_lower"], r["acceptable_range_upper"]) == (min(spread),
                                                                          max(spread))


def test_effective_mesh_size_of_grassland(records, cubes):
    from skimage.measure import label, regionprops

    cube = cubes["slovenia"]
    codes = cube.values[0, 0]
    pixel = _pixel_area(cube)
    land = np.isfinite(codes).sum() * pixel
    areas = np.array([p.area * pixel for p in regionprops(label(codes == 3, connectivity=2))])
    r = records["What is the effective mesh size of grassland in ha?"]
    assert r["answer"] == pytest.approx((areas ** 2).sum() / land / 1e4, rel=1e-6)
