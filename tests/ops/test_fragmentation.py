"""fragmentation(): the same values as pylandstats on the whole array, for any chunking."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geoquant as gq
from geoquant.errors import InvalidOptionError
from geoquant.ops._landscape import PYLANDSTATS_NAMES
from geoquant.testing.rasters import as_raster
from geoquant.testing.strategies import chunk_sizes

# total_area is checked in test_landscape; here the metrics a user reads most
PYLANDSTATS = {ours: theirs for ours, theirs in PYLANDSTATS_NAMES.items() if ours != "total_area"}


def pylandstats_metrics(values: np.ndarray, resolution: float, connectivity: int) -> dict:
    import pylandstats as pls

    landscape = np.where(np.isnan(values), 255, np.where(values == 1, 1, 2)).astype(np.uint8)
    ls = pls.Landscape(landscape, res=(resolution, resolution), nodata=255,
                       neighborhood_rule=str(connectivity))
    frame = ls.compute_class_metrics_df(metrics=list(PYLANDSTATS.values()))
    return {ours: float(frame.loc[1, theirs]) for ours, theirs in PYLANDSTATS.items()}


def assert_metrics_equal(got: dict, expected: dict) -> None:
    for name, value in expected.items():
        if math.isnan(value):
            assert math.isnan(got[name]), name
        else:
            assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("code", [12, 25, 2])
def test_lausanne_classes_equal_pylandstats_across_chunkings(shared_data, code):
    import rioxarray

    landuse = rioxarray.open_rasterio(
        shared_data / "real" / "lausanne-landuse" / "ls100_12.tif").squeeze(drop=True)
    values = np.where(landuse.values == 255, np.nan, landuse.values == code).astype(float)
    mask = landuse.copy(data=values).rio.write_nodata(None, encoded=False)
    resolution = abs(landuse.rio.resolution()[0])
    expected = pylandstats_metrics(values, resolution, 8)
    first = None
    for chunks in [(325, 472), (40, 33), (7, 200)]:
        got = gq.ops.fragmentation(mask.chunk({"y": chunks[0], "x": chunks[1]}),
                                   connectance_m=1000.0)
        assert_metrics_equal(got, expected)
        if first is None:
            first = got
        else:
            assert got["number_of_patches"] == first["number_of_patches"]
            assert got["connectance"] == first["connectance"]
            assert got["patch_cohesion_index"] == pytest.approx(first["patch_cohesion_index"],
                                                                rel=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@settings(deadline=None)
@given(seed=st.integers(0, 10_000), connectivity=st.sampled_from([8, 4]), data=st.data())
def test_random_masks_with_nodata_equal_pylandstats(seed, connectivity, data):
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(3, 20, 2)
    values = (rng.random((rows, cols)) < rng.uniform(0.2, 0.8)).astype(float)
    values[rng.random((rows, cols)) < 0.1] = np.nan
    chunks = (data.draw(chunk_sizes(int(rows))), data.draw(chunk_sizes(int(cols))))
    got = gq.ops.fragmentation(as_raster(values, chunks=chunks), connectivity=connectivity)
    assert_metrics_equal(got, pylandstats_metrics(values, 10.0, connectivity))


def test_cohesion_follows_fragstats_formula():
    mask = np.zeros((10, 10), bool)
    mask[1:4, 1:4] = True  # 9 cells, 12 faces
    mask[6, 6] = True  # 1 cell, 4 faces
    got = gq.ops.fragmentation(as_raster(mask, chunks=3), connectance_m=50.0)
    expected = (1 - 16 / (12 * 3 + 4 * 1)) / (1 - 1 / math.sqrt(100)) * 100
    assert got["patch_cohesion_index"] == pytest.approx(expected, rel=1e-12)
    assert got["connectance"] == 100.0  # 1 pair; nearest cells (3,3)-(6,6): 42.4 m
    assert gq.ops.fragmentation(as_raster(mask), connectance_m=40.0)["connectance"] == 0.0


def test_one_read_of_a_lazy_mask_and_options_checked_first():
    """Every pass, the nearest-neighbour one included, runs in one compute."""
    import dask.array as da

    values = np.random.default_rng(3).random((60, 80)) < 0.3
    reads = []

    def generate(block):
        reads.append(block.shape)
        return block

    data = da.from_array(values, chunks=(20, 20)).map_blocks(generate, dtype=bool,
                                                            meta=np.empty((0, 0), bool))
    mask = as_raster(values).copy(data=data)
    with pytest.raises(InvalidOptionError, match="threshold_m"):
        gq.ops.fragmentation(mask, connectance_m=-1.0)
    assert reads == []
    got = gq.ops.fragmentation(mask, connectance_m=30.0)
    assert len(reads) == 12  # each of the 3 x 4 tiles once
    assert_metrics_equal(got, pylandstats_metrics(values.astype(float), 10.0, 8))


def test_geographic_grid_gets_every_metric():
    mask = as_raster(np.ones((4, 4), bool), resolution=0.01, crs="EPSG:4326", origin=(6, 46))
    got = gq.ops.fragmentation(mask, connectance_m=100.0)
    assert got["number_of_patches"] == 1
    assert math.isnan(got["enn_mn"])  # one patch: no neighbour (tests/ops/test_geographic.py
    assert got["total_area"] > 0       # checks the distances against pyproj.Geod)
    got = gq.ops.fragmentation(mask, neighbours=False)
    assert got["number_of_patches"] == 1
    assert math.isnan(got["enn_mn"])
