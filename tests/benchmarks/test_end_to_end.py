"""benchmarks/end_to_end.py on a tiny region: the files, the catalog on loopback, and the
answers of ``gq.ask`` (from the STAC API and from the files) equal to the user's pipeline.

The full run (10,000 km², minutes) is a benchmark, not a test: ``python
benchmarks/end_to_end.py``.
"""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def e2e(import_benchmarks):
    return import_benchmarks("end_to_end")[0]


@pytest.fixture(scope="module")
def region(e2e, tmp_path_factory):
    return e2e.write_region(tmp_path_factory.mktemp("e2e"), size=128, tile=64, seed=3,
                            processes=1)


def test_the_region_is_tiled_banded_and_dated(e2e, region):
    import rasterio

    tifs = sorted((region.folder / "imagery" / e2e.COLLECTION).rglob("*.tif"))
    assert len(tifs) == 4 * len(e2e.BANDS) * len(e2e.DATES)
    with rasterio.open(tifs[0]) as src:
        assert src.profile["tiled"] and src.nodata == 0 and src.dtypes[0] == "uint16"
    for vrt in region.vrts:
        with rasterio.open(vrt) as src:
            assert (src.width, src.height, src.count) == (128, 128, len(e2e.BANDS))
            assert list(src.descriptions) == list(e2e.BANDS)
    # the second date is another acquisition: its own noise, and forest cleared in the cuts
    with rasterio.open(region.vrts[0]) as a, rasterio.open(region.vrts[1]) as b:
        before = e2e.threshold_classes(*a.read().astype(np.float32))["forest"]
        after = e2e.threshold_classes(*b.read().astype(np.float32))["forest"]
    assert before.any() and not np.array_equal(before, after)
    r0, r1, c0, c1 = e2e.clearcuts(2000, 3)[0]
    assert 40 <= r1 - r0 <= 240 and 40 <= c1 - c0 <= 240


def test_the_segmenter_gives_the_users_thresholds(e2e):
    rng = np.random.default_rng(0)
    tile = rng.integers(1, 6000, (4, 16, 16)).astype(np.float32)
    tile[2, 0, 0] = np.nan
    out = e2e.ThresholdSegmenter().predict(tile, ["green", "red", "nir", "swir16"])
    expected = e2e.threshold_classes(*tile)
    for k, name in enumerate(e2e.ThresholdSegmenter.classes):
        assert np.isnan(out[k, 0, 0])
        assert np.array_equal(out[k].ravel()[1:] == 1, expected[name].ravel()[1:])


def test_ask_from_the_files_agrees_with_the_users_pipeline(e2e, region):
    from geoquant.sources import CatalogServer

    with CatalogServer(region.catalog) as server:
        user = e2e.user_pipeline(region, server.url, e2e.Clock())
    clock = e2e.Clock()
    files = e2e.run_geoquant(region, "files", None, None, clock, questions=("near", "share"))
    assert set(user) == set(e2e.QUESTIONS)
    assert e2e.check_answers([{"contender": "user", "answers": user},
                              {"contender": "geoquant-files", "answers": files}]) == []
    assert "open, read, decode, segment" in clock.phases
    # a wrong answer is caught
    wrong = {**files, "share": {**files["share"], "value": files["share"]["value"] + 1e-6}}
    assert e2e.check_answers([{"contender": "user", "answers": user},
                              {"contender": "geoquant-files", "answers": wrong}])


@pytest.mark.slow
def test_every_contender_agrees_on_every_question(e2e, region):
    from geoquant.sources import CatalogServer

    with CatalogServer(region.catalog) as server:
        user = e2e.user_pipeline(region, server.url, e2e.Clock())
        stac = e2e.run_geoquant(region, "stac", server.url, None, e2e.Clock())
    files = e2e.run_geoquant(region, "files", None, None, e2e.Clock())
    rows = [{"contender": c, "answers": a} for c, a in
            (("user", user), ("geoquant-stac", stac), ("geoquant-files", files))]
    assert e2e.check_answers(rows) == []
