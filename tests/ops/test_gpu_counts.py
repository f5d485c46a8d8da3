"""Area, share, edges, fragmentation, change and survey through the GPU kernels.

Without a GPU the numba.cuda kernels run under numba's CUDA simulator (see tests/conftest.py)
on small rasters, and the Dask option ``geoquant.kernels = "cuda"`` sends NumPy tiles
through them; the answers must equal the CPU path (integers exactly, floats within 1e-9
relative). On a GPU the CuPy tests run the same operators on CuPy-backed rasters for real.
"""

from __future__ import annotations

import dataclasses

import dask
import numpy as np
import pytest

import geoquant as gq
from geoquant.ops.kernels import cuda_counts
from geoquant.ops.kernels.edges import object_background_faces
from geoquant.ops.kernels.label import count_codes
from geoquant.testing.rasters import as_raster

GPU_KERNELS = {"geoquant.kernels": "cuda"}  # NumPy tiles through the GPU kernels
# The simulator runs every GPU thread on the CPU: slow, so in the slow set (tests/conftest.py).
pytestmark = pytest.mark.cudasim

CODES = np.array([0, 1, 1, 2, 3], np.uint8)


@pytest.mark.parametrize("shape", [(1, 1), (3, 40), (17, 33), (9, 1)])
def test_tile_counts_and_faces_match_the_cpu_kernels(shape):
    rng = np.random.default_rng(sum(shape))
    padded = rng.choice(CODES, size=(shape[0] + 2, shape[1] + 2))
    cell_area = rng.random(shape[0]) * 100
    core = padded[1:-1, 1:-1].copy()
    core[core == 3] = 2
    got = cuda_counts.count_codes(core, cell_area)
    want = count_codes(core, cell_area)
    assert got[:2] == want[:2]
    np.testing.assert_allclose(got[2:], want[2:], rtol=1e-12)
    for a, b in zip(cuda_counts.object_background_faces(padded),
                    object_background_faces(padded), strict=True):
        np.testing.assert_array_equal(a, b)


def _mask(seed: int, shape=(15, 18), nodata=True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = (rng.random(shape) < 0.4).astype(np.float64)
    if nodata:
        values[rng.random(shape) < 0.1] = np.nan
    return values


@pytest.mark.parametrize("chunks", [(4, 5), (15, 7)])
def test_area_share_and_fragmentation_equal_the_cpu_path(chunks):
    raster = as_raster(_mask(1), chunks=chunks, resolution=(10.0, 20.0))
    expected = (gq.ops.area(raster), gq.ops.share(raster),
                gq.ops.fragmentation(raster, connectance_m=60.0))
    with dask.config.set(GPU_KERNELS):
        got = (gq.ops.area(raster), gq.ops.share(raster),
               gq.ops.fragmentation(raster, connectance_m=60.0))
    assert got[0] == expected[0]
    assert got[1] == expected[1]
    assert got[2].keys() == expected[2].keys()
    for key, value in expected[2].items():
        np.testing.assert_allclose(got[2][key], value, rtol=1e-9, err_msg=key)


def test_change_matrix_equals_the_cpu_path():
    rng = np.random.default_rng(3)
    before = rng.integers(0, 3, (10, 12)).astype(np.float64)
    after = np.where(rng.random((10, 12)) < 0.3, rng.integers(0, 3, (10, 12)), before)
    before[0, :3] = np.nan
    first = as_raster(before, chunks=(5, 6))
    second = as_raster(after, chunks=(5, 6))
    expected = gq.ops.change(first, second)
    with dask.config.set(GPU_KERNELS):
        got = gq.ops.change(first, second)
    np.testing.assert_allclose(got.transitions.to_numpy(), expected.transitions.to_numpy(),
                               rtol=1e-12)
    assert list(got.transitions.index) == list(expected.transitions.index)
    assert got.appeared.equals(expected.appeared)
    assert got.vanished.equals(expected.vanished)


def test_survey_equals_the_cpu_path():
    mask = as_raster(_mask(5, (20, 22), nodata=False) > 0, chunks=6)
    near = as_raster(np.random.default_rng(2).random((20, 22)) < 0.03, chunks=6)
    expected = gq.ops.survey(mask, near=near, within_m=25.0, tiles_per_batch=4)
    with dask.config.set(GPU_KERNELS):
        got = gq.ops.survey(mask, near=near, within_m=25.0, tiles_per_batch=4)
    assert dataclasses.replace(got, elapsed_s=0.0) == dataclasses.replace(expected, elapsed_s=0.0)


@pytest.mark.gpu
def test_cupy_rasters_give_the_cpu_answers(cupy):
    rng = np.random.default_rng(11)
    values = rng.random((4096, 3000)) < 0.35
    cpu = as_raster(values, chunks=1024)
    gpu = cpu.copy(data=cpu.data.map_blocks(cupy.asarray))
    assert gq.ops.area(gpu) == gq.ops.area(cpu)
    assert gq.ops.count(gpu) == gq.ops.count(cpu)
    got, want = gq.ops.fragmentation(gpu), gq.ops.fragmentation(cpu)
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-6, err_msg=key)
    classes = rng.integers(0, 5, (4096, 3000))
    later = np.where(rng.random(classes.shape) < 0.1, rng.integers(0, 5, classes.shape), classes)
    a, b = as_raster(classes, chunks=1024), as_raster(later, chunks=1024)
    on_gpu = gq.ops.change(a.copy(data=a.data.map_blocks(cupy.asarray)),
                           b.copy(data=b.data.map_blocks(cupy.asarray)), objects=False)
    on_cpu = gq.ops.change(a, b, objects=False)
    np.testing.assert_allclose(on_gpu.transitions.to_numpy(), on_cpu.transitions.to_numpy(),
                               rtol=1e-6)
