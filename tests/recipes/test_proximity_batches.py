"""The proximity recipe: buildings within 500 m of water over a synthetic region, in batches on a
local cluster of worker processes; its figures equal scipy's on the whole array."""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from test_recipes import EIGHT, read_zarr, run_recipe

import geoquant as gq


def test_proximity_in_batches_equals_scipy_on_the_whole_region(tmp_path):
    size, chunk = 1600, 400
    summary = run_recipe("proximity_batches", tmp_path / "out", "--size", str(size), "--chunk",
                         str(chunk), "--tiles-per-batch", "4", "--seed", "3")
    survey = summary["survey"]
    assert survey["batches"] == 4 and survey["tiles"] == 16

    lc = gq.synth.landcover((size, size), seed=3, chunks=chunk).values
    buildings, water = lc == 6, np.isin(lc, (1, 7))
    labels, n = ndimage.label(buildings, structure=EIGHT)
    near = buildings & (ndimage.distance_transform_edt(~water, sampling=10.0) <= 500.0)
    near_ids = np.unique(labels[near])
    answer = summary["answer"]
    assert answer["buildings"] == n
    assert answer["buildings_near_water"] == np.count_nonzero(near_ids)
    assert answer["built_area_m2"] == buildings.sum() * 100.0
    assert answer["built_area_near_water_m2"] == near.sum() * 100.0

    values, profile = read_zarr(tmp_path / "out" / "proximity.zarr", "overview")
    assert profile["crs"].to_epsg() == 32633
    factor = size // values.shape[-1]
    assert profile["transform"].a == 10.0 * factor
    assert set(np.unique(values)) <= {0, 1, 2, 3}
    # every overview cell with a building near water holds one
    cells = near.reshape(values.shape[-2], factor, values.shape[-1], factor).any(axis=(1, 3))
    np.testing.assert_array_equal(values[0] == 3, cells)
