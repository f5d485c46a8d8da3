"""The recipes run end to end on the demo data, and their figures agree with an independent
computation: NumPy, SciPy and scikit-image on the same rasters read with rasterio.

Each recipe is imported from its path (as a user runs it, with ``recipes/`` first on
``sys.path`` for ``_common``) and its ``main`` is called as a user would. The demo rasters fit
in one tile at the default ``--chunk``; the ``slow`` variants run them in small tiles, so the
operators' cross-tile merging is checked end to end as well.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio
from scipy import ndimage

from geoquant.demo import DEMO_DATA

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
EIGHT = np.ones((3, 3), bool)


def load_recipe(name: str):
    if str(RECIPES) not in sys.path:
        sys.path.insert(0, str(RECIPES))
    spec = importlib.util.spec_from_file_location(f"recipe_{name}", RECIPES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiles(small: int):
    """The default chunking (one tile), and ``small`` pixel tiles in the slow run."""
    return pytest.mark.parametrize("chunk", [
        pytest.param(None, id="one-tile"),
        pytest.param(small, id=f"tiles-{small}", marks=pytest.mark.slow)])


def run_recipe(name: str, out: Path, *extra: str, chunk: int | None = None) -> dict:
    recipe = load_recipe(name)
    assert recipe.__doc__ and "Run" in recipe.__doc__
    extra = (*extra, "--chunk", str(chunk)) if chunk else extra
    assert recipe.main(["--out", str(out), "--workers", "2", *extra]) == 0
    for path in ("summary.json", "quicklook.png"):
        assert (out / path).is_file()
    with open(out / "quicklook.png", "rb") as png:
        assert png.read(8) == b"\x89PNG\r\n\x1a\n"
    return json.loads((out / "summary.json").read_text())


def read_zarr(store: Path, variable: str):
    """A Zarr variable through GDAL, as a GIS would: (array of all bands, dataset profile)."""
    with rasterio.open(f'ZARR:"{store}":/{variable}') as src:
        return src.read(), {"crs": src.crs, "transform": src.transform, "nodata": src.nodata,
                            "count": src.count}


def read_tif(path: Path):
    with rasterio.open(path) as src:
        return src.read(1), src.transform, src.crs, src.nodata, src.tags()


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


# -- Camargue ------------------------------------------------------------------------------------
def otsu_reference(vv: np.ndarray) -> float:
    """SarWater's threshold from scikit-image's Otsu over the same 0.1 dB bins.

    skimage returns the centre of the last bin of the low class; SarWater that bin's upper
    edge, half a bin higher.
    """
    from skimage.filters import threshold_otsu

    finite = vv[np.isfinite(vv)]
    counts, edges = np.histogram(np.clip(finite, -35, 5), bins=400, range=(-35, 5))
    centres = (edges[:-1] + edges[1:]) / 2
    return float(threshold_otsu(hist=(counts, centres))) + 0.05


def vv_of(path: Path) -> tuple[np.ndarray, object, object]:
    vv, transform, crs, nodata, _ = read_tif(path)
    vv = vv.astype(np.float64)
    vv[vv == nodata] = np.nan
    return vv, transform, crs


def water_reference(vv: np.ndarray, threshold: float):
    valid = np.isfinite(vv)
    water = (vv < threshold) & valid
    near = int(np.sum(np.abs(vv[valid] - threshold) < 1e-4))  # float32 logistic ties
    return water, valid, near


def bodies(water: np.ndarray, cell: float):
    labels, n = ndimage.label(water, EIGHT)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:] * cell
    return labels, sizes


@tiles(64)
def test_flood_extent_camargue(tmp_path, chunk):
    out = tmp_path / "camargue"
    summary = run_recipe("flood_extent_camargue", out, chunk=chunk)
    vv, transform, crs = vv_of(DEMO_DATA / "camargue-s1/S1A_IW_20150309T173017/vv.tif")
    cell = abs(transform.a * transform.e)
    comparison = summary["comparison"]
    assert comparison["kind"] == "threshold" and "not between dates" in comparison["note"]
    otsu = comparison["flood"]["threshold_db"]
    assert comparison["flood"]["threshold_source"] == "otsu"
    assert abs(otsu - otsu_reference(vv)) < 1e-6
    assert comparison["reference"]["threshold_db"] == -18.0

    flood, valid, near_flood = water_reference(vv, otsu)
    reference, _, near_reference = water_reference(vv, -18.0)
    f, r, d = summary["flood_extent"], summary["reference_extent"], summary["change"]
    assert abs(f["area_m2"] - flood.sum() * cell) <= near_flood * cell + 1e-6
    assert abs(r["area_m2"] - reference.sum() * cell) <= near_reference * cell + 1e-6
    assert f["share_percent"] == pytest.approx(100 * flood.sum() / valid.sum(), abs=0.05)
    labels, sizes = bodies(flood, cell)
    assert f["water_bodies"] == len(sizes)
    assert f["water_bodies_at_least_1_ha"] == int((sizes >= 1e4).sum())
    assert f["largest_body_ha"] == pytest.approx(sizes.max() / 1e4)
    _, ref_sizes = bodies(reference, cell)
    assert r["water_bodies_at_least_1_ha"] == int((ref_sizes >= 1e4).sum())

    gained = flood & ~reference
    assert d["water_gained_m2"] == pytest.approx(gained.sum() * cell, abs=2 * cell)
    assert d["water_lost_m2"] == 0.0  # the -18 dB extent lies inside the Otsu one
    holds_reference = np.zeros(len(sizes) + 1, bool)
    holds_reference[np.unique(labels[reference])] = True
    new = ~holds_reference[1:]
    assert d["new_water_bodies"] == int(new.sum())
    assert d["new_water_bodies_at_least_1_ha"] == int((new & (sizes >= 1e4)).sum())
    to_reference = ndimage.distance_transform_edt(~reference, sampling=(abs(transform.e),
                                                                        transform.a))
    fringe = gained & (to_reference <= 100.0)
    assert d["gained_within_100_m_of_reference_m2"] == pytest.approx(fringe.sum() * cell,
                                                                     abs=2 * cell)

    store = out / "camargue_flood.zarr"
    codes, profile = read_zarr(store, "water_change")
    assert profile["crs"] == crs and profile["transform"].almost_equals(transform)
    assert profile["nodata"] == 255
    expected = np.select([flood & reference, flood, reference], [1, 2, 3], 0)
    expected[~valid] = 255
    assert np.sum(codes[0] != expected) <= near_flood + near_reference
    ids, _ = read_zarr(store, "water_bodies")
    assert ids.max() == len(sizes)


def test_flood_extent_compares_dates_when_there_are_two(tmp_path):
    """With a second acquisition (synthetic here: the real scene with a dry block flooded
    to -22 dB), the recipe compares the two dates, each at its own Otsu threshold."""
    real = DEMO_DATA / "camargue-s1"
    data = tmp_path / "data" / "camargue-s1"
    (data / "S1A_IW_20150309T173017").mkdir(parents=True)
    (data / "collection.json").write_bytes((real / "collection.json").read_bytes())
    first = real / "S1A_IW_20150309T173017/vv.tif"
    (data / "S1A_IW_20150309T173017/vv.tif").write_bytes(first.read_bytes())
    vv1, transform, _ = vv_of(first)
    block = (slice(150, 200), slice(10, 60))
    with rasterio.open(first) as src:
        profile, values, tags, band = src.profile, src.read(1), src.tags(), src.tags(1)
    values[block] = np.where(values[block] == src.nodata, values[block], -22.0)
    second = data / "S1A_IW_20150321T173017_synthetic" / "vv.tif"
    second.parent.mkdir()
    with rasterio.open(second, "w", **profile) as dst:
        dst.write(values, 1)
        dst.update_tags(**{**tags, "datetime": "2015-03-21T17:30:17Z"})
        dst.update_tags(1, **band)
    summary = run_recipe("flood_extent_camargue", tmp_path / "out", "--data",
                         str(tmp_path / "data"))
    comparison = summary["comparison"]
    assert comparison["kind"] == "dates"
    assert (comparison["reference"]["date"], comparison["flood"]["date"]) == (
        "2015-03-09", "2015-03-21")
    vv2, _, _ = vv_of(second)
    t1, t2 = comparison["reference"]["threshold_db"], comparison["flood"]["threshold_db"]
    assert abs(t1 - otsu_reference(vv1)) < 1e-6 and abs(t2 - otsu_reference(vv2)) < 1e-6
    before, _, near1 = water_reference(vv1, t1)
    after, _, near2 = water_reference(vv2, t2)
    cell = abs(transform.a * transform.e)
    d = summary["change"]
    tolerance = (near1 + near2) * cell + 1e-6
    assert abs(d["water_gained_m2"] - (after & ~before).sum() * cell) <= tolerance
    assert abs(d["water_lost_m2"] - (before & ~after).sum() * cell) <= tolerance
    assert d["water_gained_km2"] > 0.5  # the flooded block shows


# -- Slovenia ------------------------------------------------------------------------------------
def fragmentation_reference(forest: np.ndarray, valid: np.ndarray, dx: float, dy: float):
    """NP, LPI, ED, MESH, PLAND of 8-connected patches (FRAGSTATS formulas, numpy/scipy)."""
    cell = dx * dy
    labels, n = ndimage.label(forest, EIGHT)
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:] * cell
    landscape = valid.sum() * cell
    background = valid & ~forest
    # Faces between forest and valid non-forest: vertical faces (dy long) between columns,
    # horizontal faces (dx long) between rows.
    faces_x = (forest[:, 1:] & background[:, :-1]).sum() + (forest[:, :-1]
                                                             & background[:, 1:]).sum()
    faces_y = (forest[1:] & background[:-1]).sum() + (forest[:-1] & background[1:]).sum()
    edge = faces_x * dy + faces_y * dx
    return {"number_of_patches": n,
            "largest_patch_index": 100 * areas.max() / landscape if n else 0.0,
            "edge_density": edge * 1e4 / landscape,
            "effective_mesh_size": (areas ** 2).sum() / landscape / 1e4,
            "proportion_of_landscape": 100 * areas.sum() / landscape}


@tiles(48)
def test_forest_fragmentation_slovenia(tmp_path, chunk):
    out = tmp_path / "slovenia"
    summary = run_recipe("forest_fragmentation_slovenia", out, chunk=chunk)
    # The dates: June to August of 2015-2017 with eo:cloud_cover <= 10, from the tags.
    chosen = []
    for folder in sorted((DEMO_DATA / "slovenia-s2-ndvi").glob("S2_*")):
        *_, tags = read_tif(folder / "ndvi.tif")
        when, cover = tags["datetime"], json.loads(tags["stac_properties"])["eo:cloud_cover"]
        if when[:4] in ("2015", "2016", "2017") and "06" <= when[5:7] <= "08" and cover <= 10:
            chosen.append(folder.name)
    assert summary["items"] == chosen and len(chosen) == 11

    lulc, transform, crs, _, _ = read_tif(DEMO_DATA / "slovenia-lulc/LULC_2018/lulc.tif")
    dx, dy = abs(transform.a), abs(transform.e)
    classified = lulc != 0
    years, mesh = [], []
    for folder, date in zip(chosen, summary["dates"], strict=True):
        ndvi, ndvi_transform, *_ = read_tif(DEMO_DATA / "slovenia-s2-ndvi" / folder / "ndvi.tif")
        clm, *_ = read_tif(DEMO_DATA / "slovenia-s2-ndvi" / folder / "CLM.tif")
        assert ndvi_transform.almost_equals(transform)
        valid = (clm == 0) & np.isfinite(ndvi) & classified
        forest = (ndvi > 0.6) & valid
        expected = fragmentation_reference(forest, valid, dx, dy)
        assert date["number_of_patches"] == expected["number_of_patches"], date["date"]
        for key in ("largest_patch_index", "edge_density", "effective_mesh_size",
                    "proportion_of_landscape"):
            assert relative(date[key], expected[key]) < 1e-9, (date["date"], key)
        agreement = 100 * np.mean((forest == (lulc == 2))[valid])
        assert date["agreement_with_reference_percent"] == pytest.approx(agreement, rel=1e-9)
        years.append(date["decimal_year"])
        mesh.append(expected["effective_mesh_size"])
    slope, intercept = np.polyfit(years, mesh, 1)
    trend = summary["trend"]["effective_mesh_size"]
    assert relative(trend["slope_per_year"], slope) < 1e-9 and trend["dates"] == 11
    residual = np.asarray(mesh) - (slope * np.asarray(years) + intercept)
    x = np.asarray(years)
    se = np.sqrt(residual @ residual / (len(x) - 2) / ((x - x.mean()) ** 2).sum())
    assert relative(trend["slope_standard_error"], se) < 1e-9

    expected = fragmentation_reference(lulc == 2, classified, dx, dy)
    for key, value in expected.items():
        assert relative(summary["reference"][key], value) < 1e-9, key
    assert summary["reference"]["proportion_of_landscape"] == pytest.approx(76.4, abs=0.05)

    store = out / "slovenia_forest.zarr"
    ref, profile = read_zarr(store, "reference_forest")
    assert profile["crs"] == crs and profile["transform"].almost_equals(transform)
    np.testing.assert_array_equal(ref[0], np.where(classified, lulc == 2, 255))
    forest_layers, profile = read_zarr(store, "forest")
    assert profile["count"] == 11
    patches, _ = read_zarr(store, "patches")
    assert [int(p.max()) for p in patches] == [d["number_of_patches"] for d in summary["dates"]]


# -- Lausanne ------------------------------------------------------------------------------------
@tiles(128)
def test_landuse_change_lausanne(tmp_path, chunk):
    from rasterio.warp import Resampling, reproject

    out = tmp_path / "lausanne"
    summary = run_recipe("landuse_change_lausanne", out, chunk=chunk)
    # The demo's own figure: "8.0% of the area changed land use between 2006 and 2012
    # (6115 ha)".
    assert f"{summary['changed_share_percent']:.1f}" == "8.0"
    assert round(summary["changed_area_ha"]) == 6115
    assert summary["changed_share_percent_from_mask"] == pytest.approx(
        summary["changed_share_percent"], rel=1e-12)

    store = out / "lausanne_change.zarr"
    _, grid = read_zarr(store, "changed")
    shape = read_zarr(store, "changed")[0].shape[1:]
    maps = []
    for year in ("2006", "2012"):
        codes, transform, crs, nodata, _ = read_tif(
            DEMO_DATA / f"lausanne-landuse/landuse_{year}/landuse.tif")
        on_grid = np.full(shape, 255, np.uint8)
        reproject(codes, on_grid, src_transform=transform, src_crs=crs, src_nodata=nodata,
                  dst_transform=grid["transform"], dst_crs=grid["crs"], dst_nodata=255,
                  resampling=Resampling.nearest)
        maps.append(on_grid)
    before, after = maps
    np.testing.assert_array_equal(read_zarr(store, "landuse_before")[0][0], before)
    np.testing.assert_array_equal(read_zarr(store, "landuse_after")[0][0], after)
    valid = (before != 255) & (after != 255)
    changed = (before != after) & valid
    cell_ha = abs(grid["transform"].a * grid["transform"].e) / 1e4
    assert relative(summary["changed_share_percent"], 100 * changed.sum() / valid.sum()) < 1e-9
    assert relative(summary["changed_area_ha"], changed.sum() * cell_ha) < 1e-9
    assert relative(summary["compared_area_ha"], valid.sum() * cell_ha) < 1e-9

    pairs, counts = np.unique(np.stack([before[changed], after[changed]]), axis=1,
                              return_counts=True)
    order = np.lexsort((pairs[1], pairs[0], -counts))[:10]
    expected_top = [(int(pairs[0, k]), int(pairs[1, k]), counts[k] * cell_ha) for k in order]
    got_top = [(t["from"], t["to"], t["area_ha"]) for t in summary["top_transitions"]]
    assert [g[:2] for g in got_top] == [e[:2] for e in expected_top]
    assert all(relative(g[2], e[2]) < 1e-9 for g, e in zip(got_top, expected_top, strict=True))
    for code, figures in summary["classes"].items():
        c = int(code)
        gained = ((after == c) & (before != c) & valid).sum() * cell_ha
        lost = ((before == c) & (after != c) & valid).sum() * cell_ha
        assert figures["gained_ha"] == pytest.approx(gained, rel=1e-9, abs=1e-9)
        assert figures["lost_ha"] == pytest.approx(lost, rel=1e-9, abs=1e-9)
        # Patches of the class in 2012 with no pixel of the class in 2006 (over both maps).
        labels, n = ndimage.label((after == c) & valid, EIGHT)
        had = np.zeros(n + 1, bool)
        had[np.unique(labels[(before == c) & valid])] = True
        assert figures["patches_appeared"] == int((~had[1:]).sum()), code

    transition, profile = read_zarr(store, "transition")
    assert profile["crs"] == grid["crs"] and profile["nodata"] == -1
    expected = np.where(changed, before.astype(np.int32) * 100 + after, 0)
    expected[~valid] = -1
    np.testing.assert_array_equal(transition[0], expected)


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["flood_extent_camargue", "forest_fragmentation_slovenia",
                                  "landuse_change_lausanne"])
def test_recipes_end_in_one_line_on_bad_input(name, tmp_path, capsys):
    recipe = load_recipe(name)
    (tmp_path / "used").mkdir()
    assert recipe.main(["--out", str(tmp_path / "used")]) == 2
    assert recipe.main(["--out", str(tmp_path / "new"), "--cluster", "no-such-cluster"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(line.startswith("error: ") for line in errors)
    assert "already exists" in errors[0] and "no-such-cluster" in errors[1]
    assert not (tmp_path / "new").exists()
