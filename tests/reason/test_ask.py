"""``ask`` end to end: a real STAC API on loopback over the embedded real rasters, answers
checked against scipy on the whole arrays, evidence read back by GDAL, bad input refused with
nothing written."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage

import geoquant as gq
from geoquant.cli import main
from geoquant.errors import (
    ClassNameError,
    DateRangeError,
    NoItemsFoundError,
    OutputPathError,
    QuestionError,
    RegionError,
)
from geoquant.testing.rasters import as_cube
from geoquant.testing.real import slovenia_reference

EIGHT = np.ones((3, 3), bool)


@pytest.fixture(scope="module")
def lulc(demo_api):
    return f"{demo_api}/collections/slovenia-lulc"


@pytest.fixture(scope="module")
def codes(demo_api, shared_data):
    """The reference codes (0 no data) as served, and the pixel area in m²."""
    cube = gq.sources.load(gq.sources.search(demo_api, collections=["slovenia-lulc"]))
    values = np.nan_to_num(cube.isel(time=0, band=0).values).astype(np.uint16)
    np.testing.assert_array_equal(values, slovenia_reference(shared_data).values)
    return values, float(abs(np.prod(cube.rio.resolution())))


def test_count_with_size_and_distance_matches_scipy(lulc, codes):
    values, pixel = codes
    answer = gq.ask("How many forest patches larger than 1 ha are within 100 m of built-up "
                    "land?", source=lulc)
    forest, built = values == 2, values == 8
    labels, n = ndimage.label(forest, EIGHT)
    sizes = ndimage.sum(forest, labels, range(1, n + 1)) * pixel
    res = np.sqrt(pixel)
    distance = ndimage.distance_transform_edt(~built, sampling=[res, res])
    near = ndimage.minimum(distance, labels, range(1, n + 1))
    expected = int(((sizes >= 1e4) & (near <= 100.0)).sum())
    assert answer.value == expected and answer.unit == "objects"
    assert answer.range == (expected, expected)     # class labels: no threshold spread
    assert [t.op for t in answer.trace][-1] == "count"
    assert answer.provenance["items"] == ["LULC_2018"]
    assert answer.provenance["segmenter"]["name"] == "slovenia-lulc"


def test_area_share_and_distance_units_match_numpy(lulc, codes):
    values, pixel = codes
    valid = values > 0
    share = gq.ask("What share of the area is forest?", source=lulc)
    assert share.value == pytest.approx(100.0 * (values == 2).sum() / valid.sum())
    assert share.unit == "%"
    assert share.range[0] < share.value < share.range[1]     # widened by the pixel error
    area = gq.ask("What is the area of grassland in ha?", source=lulc)
    assert area.value == pytest.approx((values == 3).sum() * pixel / 1e4)
    assert area.unit == "ha"


def test_outputs_are_written_together_and_read_by_gdal(lulc, codes, tmp_path):
    import rasterio

    values, _ = codes
    out = tmp_path / "answer.zarr"
    lines = []
    answer = gq.ask("How many forest patches are there?", source=lulc, out=out,
                    say=lines.append)
    assert len(lines) == 4 and lines[-1].startswith("[4/4] wrote")
    with rasterio.open(f'ZARR:"{out}":/forest') as src:
        assert src.crs.to_epsg() == 32633 and src.nodata == 255
        forest = src.read(1)
    np.testing.assert_array_equal(forest == 1, values == 2)
    with rasterio.open(f'ZARR:"{out}":/forest_labels') as src:
        labels = src.read(1)
    assert labels.max() == answer.value == ndimage.label(values == 2, EIGHT)[1]
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["value"] == answer.value and saved["plan"]["answer"] == answer.plan.answer
    assert saved["trace"][0]["evidence"] == ["forest"]
    from PIL import Image

    with Image.open(out.with_suffix(".png")) as picture:
        assert picture.width >= 480
    store = gq.sinks.open_zarr(out)
    assert json.loads(store.attrs["geoquant_answer"])["value"] == answer.value


def test_imagery_answers_have_a_threshold_range(demo_api):
    answer = gq.ask("What share of the area is vegetation?",
                    source=f"{demo_api}/collections/slovenia-s2-l1c")
    low, high = answer.range
    assert low < answer.value < high
    assert answer.provenance["range_thresholds"] == [0.3, 0.7]
    assert answer.provenance["dates"]["None"].startswith("composite of 2015-07-11")
    assert "spectral rules" in answer.provenance["segmenter"]["name"]


def test_change_between_two_dates_matches_numpy(demo_api):
    url = f"{demo_api}/collections/lausanne-landuse"
    answer = gq.ask("By what percentage did the area of land-use code 41 change between 2006 "
                    "and 2012?", source=url, product="codes")
    cube = gq.sources.load(gq.sources.search(demo_api, collections=["lausanne-landuse"]),
                           assets=["landuse"]).isel(band=0).values
    both = ~np.isnan(cube[0]) & ~np.isnan(cube[1])   # compared where both maps have data
    before, after = ((cube[0] == 41) & both).sum(), ((cube[1] == 41) & both).sum()
    assert answer.value == pytest.approx(100.0 * (after - before) / before)
    assert abs(answer.value) < 10  # each map over its own extent would read +245 %
    assert answer.provenance["dates"] == {"before": "2006-01-01", "after": "2012-01-01"}
    lost = gq.ask("How much land-use code 12 area was lost between 2006 and 2012, in ha?",
                  source=url, product="codes")
    pixel = 1e-4 * np.prod(np.abs(gq.sources.load(gq.sources.search(
        demo_api, collections=["lausanne-landuse"]), assets=["landuse"]).rio.resolution()))
    assert lost.value == pytest.approx(((cube[0] == 12) & (cube[1] != 12)
                                        & both).sum() * pixel)


def test_local_raster_with_a_product(codes):
    from geoquant.demo import DEMO_DATA

    values, _ = codes
    path = DEMO_DATA / "slovenia-lulc" / "LULC_2018" / "lulc.tif"
    answer = gq.ask("How many shrubland patches are there?", source=path,
                    product="slovenia-lulc")
    assert answer.value == ndimage.label(values == 4, EIGHT)[1]


def test_sar_answers_where_optical_is_clouded():
    scene = gq.synth.scene((256, 256), seed=6, chunks=128)  # a lake in the west half
    optical = scene.optical.copy(data=scene.optical.values.copy())
    optical.values[:, :, :128] = np.nan                     # the west half under cloud
    sar = scene.sar.rename(polarization="band")
    alone = gq.ask("What share of the area is water?", source=optical)
    fused = gq.ask("What share of the area is water?", source=optical, sar=sar)
    truth = 100.0 * np.isin(scene.landcover.values, gq.synth.WATER_CODES).mean()
    assert alone.value == 0.0                     # the optical half sees no water
    assert fused.value == pytest.approx(truth, rel=0.1)
    assert fused.provenance["sar"]["segmenter"]["name"].startswith("SAR")


def test_cli_ask_prints_json(lulc, tmp_path, capsys):
    assert main(["ask", "What is the area of forest in km2?", "--source", lulc, "--json",
                 "--quiet", "--out", str(tmp_path / "a.zarr")]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["unit"] == "km2" and printed["outputs"]["zarr"].endswith("a.zarr")


@pytest.mark.parametrize(("question", "options", "error", "message"), [
    ("What share of the area is foorrest?", {}, ClassNameError, "did you mean 'forest'"),
    ("Tell me a story about the forest", {}, QuestionError, "supported"),
    ("What share of the area is forest?", {"datetime": "1990-01-01/1990-12-31"},
     NoItemsFoundError, "widen"),
    ("How much forest area was lost between 2017 and 2018, in ha?", {}, DateRangeError,
     "two dates"),
])
def test_bad_input_is_refused_and_nothing_is_written(lulc, tmp_path, question, options, error,
                                                     message):
    out = tmp_path / "answer.zarr"
    with pytest.raises(error, match=message):
        gq.ask(question, source=lulc, out=out, **options)
    assert list(tmp_path.iterdir()) == []


def test_a_region_without_valid_pixels_is_refused(tmp_path):
    cube = as_cube(np.full((1, 8, 8), np.nan, np.float32), ("lulc",))
    with pytest.raises(RegionError, match="no valid pixels"):
        gq.ask("What share of the area is forest?", source=cube, product="slovenia-lulc",
               out=tmp_path / "a.zarr")
    assert list(tmp_path.iterdir()) == []


def test_existing_outputs_are_refused_before_any_work(lulc, tmp_path):
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(OutputPathError):
        gq.ask("What share of the area is forest?", source="/nonexistent.tif",
               out=tmp_path / "a.zarr")
