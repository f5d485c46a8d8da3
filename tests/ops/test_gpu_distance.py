"""Exact distances through the GPU kernels: equal to the CPU kernels and to scipy.

Without a GPU the numba.cuda kernels run under numba's CUDA simulator (see tests/conftest.py)
on small rasters, and the Dask option ``geoquant.kernels = "cuda"`` sends NumPy tiles
through them. Under the simulator the arithmetic is the CPU kernels' own, so the results must
be bit for bit those of the CPU path; on a GPU (CuPy tests, marked ``gpu``) fused
multiply-adds may move the last bit, so those compare within 1e-12 relative.
"""

from __future__ import annotations

import dask
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage

from geoquant.ops._distance import distance, min_distance, within_distance
from geoquant.ops.kernels import cuda_edt, edt
from geoquant.testing.rasters import as_raster

GPU_KERNELS = {"geoquant.kernels": "cuda"}  # NumPy tiles through the GPU kernels
# The simulator runs every GPU thread on the CPU: slow, so in the slow set (tests/conftest.py).
pytestmark = pytest.mark.cudasim

DX, DY = 10.0, 7.5


def _tile(seed: int, shape: tuple[int, int], density: float):
    rng = np.random.default_rng(seed)
    codes = (rng.random(shape) < density).astype(np.uint8)
    codes[rng.random(shape) < 0.1] = edt.EXCLUDED
    w = shape[1]
    above = np.where(rng.random(w) < 0.5, edt.NO_ROW_ABOVE, rng.integers(0, 10, w))
    below = np.where(rng.random(w) < 0.5, edt.NO_ROW_BELOW, rng.integers(60, 90, w))
    return codes, above.astype(np.int64), below.astype(np.int64)


@pytest.mark.parametrize(("shape", "density"), [((1, 1), 0.5), ((19, 20), 0.02),
                                                 ((24, 5), 0.3), ((2, 33), 0.0),
                                                 ((15, 34), 0.7)])
def test_tile_kernels_equal_the_cpu_kernels(shape, density):
    codes, above, below = _tile(sum(shape), shape, density)
    row0, col0, ncols = 10, 7, 7 + shape[1] + 11
    np.testing.assert_array_equal(cuda_edt.column_extremes(codes, row0),
                                  edt.column_extremes(codes, row0))
    f = np.empty(shape)
    edt.vertical_squared(codes, row0, above, below, DY, f)
    np.testing.assert_array_equal(cuda_edt.vertical_squared(codes, row0, above, below, DY), f)
    # one width for every row (projected grids), then one per row (geographic grids)
    for dx in (edt.row_widths(DX, shape[0]), DX * (1.0 + 0.3 * np.arange(shape[0]))):
        want = edt.border_sites(codes, row0, col0, ncols, above, below, dx, DY)
        got = cuda_edt.border_sites(codes, row0, col0, ncols, above, below, dx, DY)
        for a, b in zip(got, want, strict=True):
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)


def test_border_sites_grow_their_room_until_every_row_fits(monkeypatch):
    # A diagonal rising to the right on narrow, tall pixels: seen from the left edge, each
    # column is nearer than the last, so every column up to the line is a candidate site.
    rows, cols = 30, 40
    codes = np.zeros((rows, cols), np.uint8)
    codes[np.maximum(rows - 1 - np.arange(cols), 0), np.arange(cols)] = edt.OBJECT
    above = np.full(cols, edt.NO_ROW_ABOVE, np.int64)
    below = np.full(cols, edt.NO_ROW_BELOW, np.int64)
    want = edt.border_sites(codes, 0, 5, 50, above, below, edt.row_widths(0.1, rows), 30.0)
    rooms = []
    launch = cuda_edt.launch

    def recording(kernel, n, *args):
        if kernel is cuda_edt._side:
            rooms.append(args[7].shape[1])  # cand_pos: (rows, room)
        launch(kernel, n, *args)

    monkeypatch.setattr(cuda_edt, "launch", recording)
    monkeypatch.setattr(cuda_edt, "FIRST_ROOM", 2)
    got = cuda_edt.border_sites(codes, 0, 5, 50, above, below, 0.1, 30.0)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    assert rooms[:3] == [2, 8, 32]  # the left side grew twice, then every row fitted


def _both_paths(values: np.ndarray, chunks, dx: float = DX, dy: float = DY):
    mask = as_raster(values, chunks=chunks, resolution=(dx, dy))
    want = distance(mask).values
    with dask.config.set(GPU_KERNELS):
        got = distance(mask).values
    return got, want


def _scipy(values: np.ndarray, dx: float, dy: float) -> np.ndarray:
    objects = values == 1
    ref = (ndimage.distance_transform_edt(~objects, sampling=(dy, dx)) if objects.any()
           else np.full(values.shape, np.inf))
    return np.where(np.isnan(values), np.nan, ref)


@pytest.mark.parametrize("chunks", [(7, 9), (1, 13), (16, 5), (40, 40)])
def test_distance_equals_the_cpu_path_and_scipy(chunks):
    rng = np.random.default_rng(4)
    values = (rng.random((23, 37)) < 0.03).astype(np.float64)
    values[rng.random(values.shape) < 0.1] = np.nan
    got, want = _both_paths(values, chunks)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, _scipy(values, DX, DY), rtol=1e-9, atol=0)


def test_far_objects_empty_and_full_masks():
    corner = np.zeros((20, 26))
    corner[19, 25] = 1
    for values in (corner, np.zeros((9, 11)), np.ones((9, 11))):
        got, want = _both_paths(values, (4, 5), dx=3.7, dy=0.6)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(got, _scipy(values, 3.7, 0.6), rtol=1e-9, atol=0)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.integers(1, 18), cols=st.integers(1, 18), seed=st.integers(0, 2**32 - 1),
       density=st.sampled_from([0.0, 0.02, 0.2, 0.9]), chunk=st.integers(1, 20))
def test_any_chunking_equals_the_cpu_path(rows, cols, seed, density, chunk):
    rng = np.random.default_rng(seed)
    values = (rng.random((rows, cols)) < density).astype(np.float64)
    values[rng.random(values.shape) < 0.1] = np.nan
    got, want = _both_paths(values, (chunk, max(1, chunk // 2)))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, _scipy(values, DX, DY), rtol=1e-9, atol=0)


def test_geographic_distances_equal_the_cpu_path():
    """One pixel width per row (the local metric of ops._geodesy) through the GPU kernels."""
    rng = np.random.default_rng(12)
    values = (rng.random((23, 31)) < 0.03).astype(np.float64)
    values[rng.random(values.shape) < 0.1] = np.nan
    mask = as_raster(values, crs="EPSG:4326", resolution=0.001, origin=(10.0, 70.0),
                     chunks=(7, 9))
    want = distance(mask).values
    with dask.config.set(GPU_KERNELS):
        got = distance(mask).values
    np.testing.assert_array_equal(got, want)
    assert np.isfinite(want[~np.isnan(values)]).all()


def test_min_and_within_distance_equal_the_cpu_path_and_scipy():
    rng = np.random.default_rng(9)
    a_values, b_values = rng.random((21, 19)) < 0.05, rng.random((21, 19)) < 0.02
    a = as_raster(a_values, chunks=(8, 6), resolution=DX)
    b = as_raster(b_values, chunks=(8, 6), resolution=DX)
    want = (min_distance(a, b), within_distance(a, b, 35.0).values)
    with dask.config.set(GPU_KERNELS):
        got = (min_distance(a, b), within_distance(a, b, 35.0).values)
    assert got[0] == want[0]
    np.testing.assert_array_equal(got[1], want[1])
    to_b = ndimage.distance_transform_edt(~b_values, sampling=DX)
    assert got[0] == pytest.approx(to_b[a_values].min(), rel=1e-12)
    np.testing.assert_array_equal(got[1], a_values & (to_b <= 35.0))


def test_quantifier_operators_through_the_gpu_kernels_equal_the_cpu_path():
    """distance_stats and objects(distance_to=, farthest, touching, neighbours) with NumPy
    tiles sent through the GPU kernels, on a geographic grid."""
    import geoquant as gq

    rng = np.random.default_rng(15)
    a_values = ndimage.gaussian_filter(rng.random((22, 27)), 1.0) > 0.55
    b_values = rng.random((22, 27)) < 0.03
    a, b = (as_raster(v & ~b_values if v is a_values else v, chunks=(7, 9), crs="EPSG:4326",
                      resolution=0.001, origin=(10.0, 70.0)) for v in (a_values, b_values))
    options = {"distance_to": b, "farthest": True, "touching": True, "neighbours": True}
    want = (gq.ops.distance_stats(b, over=a, farther_than_m=150.0), gq.ops.objects(a, **options))
    with dask.config.set(GPU_KERNELS):
        got = (gq.ops.distance_stats(b, over=a, farther_than_m=150.0),
               gq.ops.objects(a, **options))
    assert got[0] == want[0]
    assert got[1].equals(want[1]) and len(want[1]) > 2


@pytest.mark.gpu
def test_cupy_distances_stay_on_the_device_and_give_the_cpu_answers(cupy):
    rng = np.random.default_rng(12)
    values = (rng.random((4096, 3000)) < 0.0005).astype(np.float64)
    values[rng.random(values.shape) < 0.01] = np.nan
    cpu = as_raster(values, chunks=1024, resolution=(10.0, 12.5))
    gpu = cpu.copy(data=cpu.data.map_blocks(cupy.asarray))
    on_gpu = distance(gpu)
    assert type(on_gpu.data._meta).__module__.startswith("cupy")
    got = on_gpu.data.compute()
    assert type(got).__module__.startswith("cupy")
    np.testing.assert_allclose(got.get(), distance(cpu).values, rtol=1e-12, atol=0)
    a = as_raster(rng.random((4096, 3000)) < 0.001, chunks=1024)
    b = as_raster(rng.random((4096, 3000)) < 0.0002, chunks=1024)
    a_gpu = a.copy(data=a.data.map_blocks(cupy.asarray))
    b_gpu = b.copy(data=b.data.map_blocks(cupy.asarray))
    assert min_distance(a_gpu, b_gpu) == pytest.approx(min_distance(a, b), rel=1e-12)
    near = within_distance(a_gpu, b_gpu, 150.0).data.compute().get()
    np.testing.assert_array_equal(near, within_distance(a, b, 150.0).values)


@pytest.mark.gpu
def test_an_in_memory_cupy_mask_gets_one_cupy_array_of_distances(cupy):
    rng = np.random.default_rng(13)
    values = rng.random((3000, 2100)) < 0.001
    cpu = as_raster(values, resolution=(10.0, 12.5))
    gpu = cpu.copy(data=cupy.asarray(values))
    got = distance(gpu).data
    assert type(got).__module__.startswith("cupy") and got.shape == values.shape
    np.testing.assert_allclose(got.get(), distance(cpu).values, rtol=1e-12, atol=0)


@pytest.mark.gpu
def test_cupy_masks_give_the_cpu_answers_for_the_new_operators(cupy):
    """distance_stats, objects(distance_to=, neighbours=), largest and complement on CuPy
    tiles (geographic grid: one pixel width per row) equal the CPU path."""
    import geoquant as gq

    rng = np.random.default_rng(14)
    shape = (2048, 1500)
    a = as_raster(rng.random(shape) < 0.002, chunks=512, crs="EPSG:4326", resolution=0.0001,
                  origin=(10.0, 60.0))
    b = as_raster(rng.random(shape) < 0.0005, chunks=512, crs="EPSG:4326", resolution=0.0001,
                  origin=(10.0, 60.0))
    a_gpu = a.copy(data=a.data.map_blocks(cupy.asarray))
    b_gpu = b.copy(data=b.data.map_blocks(cupy.asarray))
    want, got = gq.ops.distance_stats(b, over=a), gq.ops.distance_stats(b_gpu, over=a_gpu)
    assert (got.cells, got.farthest_x, got.farthest_y) == (want.cells, want.farthest_x,
                                                           want.farthest_y)
    assert got.max_m == pytest.approx(want.max_m, rel=1e-12)
    assert got.mean_m == pytest.approx(want.mean_m, rel=1e-12)
    cols = ["distance_m", "distance_max_m", "touching", "neighbour_m"]
    options = {"farthest": True, "touching": True, "neighbours": True}
    table = gq.ops.objects(a_gpu, distance_to=b_gpu, **options)[cols]
    expected = gq.ops.objects(a, distance_to=b, **options)[cols]
    np.testing.assert_allclose(table.to_numpy(float), expected.to_numpy(float), rtol=1e-12)
    np.testing.assert_array_equal(gq.ops.largest(a_gpu, 3).data.compute().get(),
                                  gq.ops.largest(a, 3).values)
    np.testing.assert_array_equal(gq.ops.complement(a_gpu).data.compute().get(),
                                  gq.ops.complement(a).values)
