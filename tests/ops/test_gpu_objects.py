"""The GPU object kernels (numba.cuda) against scipy and the CPU path.

Without a GPU these run under numba's CUDA simulator (tests/conftest.py sets
``NUMBA_ENABLE_CUDASIM=1`` where there is no NVIDIA driver), on small arrays: the simulator
runs every GPU thread on the CPU. The Dask option ``geoquant.kernels = "cuda"`` sends NumPy
tiles through the GPU kernels; on a GPU the CuPy tests run the same kernels for real, end to
end on the device.
"""

from __future__ import annotations

import dask
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

import geoquant as gq
from geoquant.ops.kernels import cuda_label
from geoquant.ops.kernels.label import link_runs, run_keys, run_stats, run_strips, tile_runs
from geoquant.testing.rasters import as_raster
from geoquant.testing.strategies import chunk_sizes, masks, spiral

GPU_KERNELS = {"geoquant.kernels": "cuda"}  # NumPy tiles through the GPU kernels
# The simulator runs every GPU thread on the CPU: slow, so in the slow set (tests/conftest.py).
pytestmark = pytest.mark.cudasim


def reference_labels(mask: np.ndarray, connectivity: int) -> tuple[np.ndarray, int]:
    values = np.nan_to_num(mask.astype(np.float64), nan=0.0) > 0
    return ndi.label(values, structure=np.ones((3, 3), bool) if connectivity == 8 else None)


CODES = np.array([0, 1, 1, 2, 3], np.uint8)


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), conn8=st.booleans(), rows=st.integers(1, 14),
       cols=st.integers(1, 14))
def test_tile_kernels_match_the_cpu_kernels_exactly(seed, conn8, rows, cols):
    rng = np.random.default_rng(seed)
    padded = rng.choice(CODES, size=(rows + 2, cols + 2))
    cell_area, edge_x, edge_y = rng.random(rows), rng.random(rows + 1), rng.random(rows)
    aux = rng.random((2, rows, cols))
    parts = cuda_label.label_tile(padded, conn8)
    keys, stats, strips = cuda_label.part_stats(padded, parts, 5, 7, 1000, cell_area, edge_x,
                                                edge_y, aux)
    row_ptr, starts, stops = tile_runs(padded)
    run_label, n = link_runs(row_ptr, starts, stops, conn8)
    expected_keys = run_keys(row_ptr, starts, run_label, n, 5, 7, 1000)
    expected = run_stats(padded, row_ptr, starts, stops, run_label, n, 5, 7, cell_area, edge_x,
                         edge_y, aux)
    assert parts.n == n
    np.testing.assert_array_equal(keys, expected_keys)
    for got, want in zip(stats, expected, strict=True):
        if want.dtype.kind == "i":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-12)
    for got, want in zip(strips, run_strips(row_ptr, starts, stops, run_label, expected_keys,
                                            cols), strict=True):
        np.testing.assert_array_equal(got, want)


@settings(max_examples=8, deadline=None)
@given(data=st.data(), connectivity=st.sampled_from([8, 4]))
def test_label_on_gpu_kernels_equals_scipy_for_any_chunking(data, connectivity):
    mask = data.draw(masks(max_side=12, nodata=True))
    chunks = (data.draw(chunk_sizes(mask.shape[0])), data.draw(chunk_sizes(mask.shape[1])))
    expected, n = reference_labels(mask, connectivity)
    raster = as_raster(mask, chunks=chunks)
    with dask.config.set(GPU_KERNELS):
        got = gq.ops.label(raster, connectivity=connectivity).values
        count = gq.ops.count(raster, connectivity=connectivity)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, expected)
    assert count == n


@pytest.mark.parametrize("chunks", [None, (4, 5)])
def test_gpu_labels_beyond_the_int32_threshold_are_int64_with_the_same_ids(monkeypatch, chunks):
    import geoquant.ops._tree as tree

    mask = np.random.default_rng(6).random((11, 13)) < 0.35
    expected, n = reference_labels(mask, 8)
    monkeypatch.setattr(tree, "MAX_INT32_LABEL", n - 1)
    with dask.config.set(GPU_KERNELS):
        got = gq.ops.label(as_raster(mask, chunks=chunks)).values
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("connectivity", [8, 4])
def test_a_spiral_through_every_tile(connectivity):
    mask = spiral(13)
    expected, _ = reference_labels(mask, connectivity)
    with dask.config.set(GPU_KERNELS):
        got = gq.ops.label(as_raster(mask, chunks=4), connectivity=connectivity).values
    np.testing.assert_array_equal(got, expected)


def test_objects_table_on_gpu_kernels_equals_the_cpu_table():
    rng = np.random.default_rng(4)
    mask = rng.random((14, 15)) < 0.45
    target = rng.random((14, 15)) < 0.05
    raster = as_raster(mask, chunks=(5, 6), resolution=(10.0, 20.0))
    other = as_raster(target, chunks=(5, 6), resolution=(10.0, 20.0))
    expected = gq.ops.objects(raster, distance_to=other)
    with dask.config.set(GPU_KERNELS):
        got = gq.ops.objects(raster, distance_to=other)
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        if expected[column].dtype.kind == "i":
            np.testing.assert_array_equal(got[column], expected[column])
        else:
            np.testing.assert_allclose(got[column], expected[column], rtol=1e-6)


@pytest.mark.gpu
def test_cupy_masks_run_on_the_device_end_to_end(cupy):
    rng = np.random.default_rng(9)
    values = rng.random((3000, 2500)) < 0.4
    expected, n = reference_labels(values, 8)
    raster = as_raster(cupy.asarray(values), chunks=None)
    labels = gq.ops.label(raster)
    assert type(labels.data).__module__.startswith("cupy")
    assert labels.dtype == np.int32
    np.testing.assert_array_equal(labels.data.get(), expected)
    assert gq.ops.count(raster) == n
    chunked = as_raster(values, chunks=(1024, 700))
    lazy = chunked.copy(data=chunked.data.map_blocks(cupy.asarray))
    got = gq.ops.label(lazy).data.compute()
    assert type(got).__module__.startswith("cupy")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got.get(), expected)
