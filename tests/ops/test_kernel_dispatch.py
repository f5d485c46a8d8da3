"""One tile-kernel interface: the CPU and GPU modules agree on it, and the choice is explicit.

The GPU module's kernels run here under numba's CUDA simulator (see tests/conftest.py).
"""

from __future__ import annotations

import inspect

import dask
import numpy as np
import pytest

import geoquant as gq
from geoquant.errors import InvalidOptionError
from geoquant.ops.kernels import cpu, cuda, dispatch
from geoquant.testing.rasters import as_raster

INTERFACE = [name for name, value in vars(dispatch.TileKernels).items()
             if callable(value) and not name.startswith("_")]


def test_the_interface_names_every_kernel():
    assert set(INTERFACE) >= {"count_codes", "label_parts", "distance_tile", "transitions"}


@pytest.mark.parametrize("name", INTERFACE)
def test_both_modules_take_the_same_arguments(name):
    want = [p for p in inspect.signature(getattr(dispatch.TileKernels, name)).parameters
            if p != "self"]
    for module in (cpu, cuda):
        got = list(inspect.signature(getattr(module, name)).parameters)
        assert got == want, f"{module.__name__}.{name}{got} differs from the interface {want}"


def test_numpy_tiles_get_the_cpu_kernels_unless_told():
    tile = np.zeros((2, 2), np.uint8)
    assert dispatch.kernels_for(tile) is cpu
    assert dispatch.kernels_for(tile, "cpu") is cpu
    assert dispatch.kernels_for(tile, "cuda") is cuda


def test_a_bad_choice_is_refused_by_name():
    with dask.config.set({"geoquant.kernels": "tpu"}), \
            pytest.raises(InvalidOptionError, match="geoquant.kernels='tpu'.*auto, cpu, cuda"):
        gq.ops.count(as_raster(np.ones((4, 4), bool)))


def test_the_choice_is_read_when_the_graph_is_built(monkeypatch):
    calls = []
    label_parts = cuda.label_parts

    def spy(padded, conn8):
        calls.append(padded.shape)
        return label_parts(padded, conn8)

    monkeypatch.setattr(cuda, "label_parts", spy)
    mask = as_raster(np.eye(6, dtype=bool)).chunk(3)
    with dask.config.set({"geoquant.kernels": "cuda"}):
        lazy = gq.ops.label(mask)
    assert not calls  # nothing computed yet
    labels = lazy.compute()  # outside the block: the choice travelled in the graph
    assert len(calls) == 4
    assert int(labels.max()) == 1
    assert gq.ops.count(mask) == 1 and len(calls) == 4  # the default is the CPU again


@pytest.mark.parametrize("module", [cpu, cuda], ids=["cpu", "cuda"])
def test_part_keys_are_first_pixels_and_border_keys_as_scipy_finds_them(module):
    from scipy import ndimage

    rng = np.random.default_rng(3)
    codes = (rng.random((23, 17)) < 0.4).astype(np.uint8)
    codes[5, :] = 2  # excluded pixels split parts
    padded = np.pad(codes, 1, constant_values=3)
    parts = module.label_parts(padded, True)
    row0, col0, width = 40, 9, 100
    keys, strips = module.part_keys(padded, parts, row0, col0, width)
    # Reference: each part's key is the global raster index of its first pixel in raster order.
    labels, n = ndimage.label(codes == 1, structure=np.ones((3, 3)))
    first = np.array([np.flatnonzero(labels.ravel() == k)[0] for k in range(1, n + 1)])
    part_key = (row0 + first // 17) * width + col0 + first % 17
    assert keys[0] == -1 and sorted(keys[1:].tolist()) == sorted(part_key.tolist())
    key_image = np.where(labels > 0, np.r_[-1, part_key][labels], -1)
    for got, want in zip(strips, (key_image[0], key_image[-1], key_image[:, 0],
                                  key_image[:, -1]), strict=True):
        np.testing.assert_array_equal(got, want)
    # and exactly what part_summary says of them, statistics aside
    ones = np.ones(24)
    with_stats, _, strips_with_stats = module.part_summary(padded, parts, row0, col0, width,
                                                           ones[:23], ones, ones[:23], [])
    np.testing.assert_array_equal(keys, with_stats)
    for got, want in zip(strips, strips_with_stats, strict=True):
        np.testing.assert_array_equal(got, want)


def test_passes_whose_reducer_reads_no_statistics_skip_them(monkeypatch):
    """``label`` and ``count`` without a minimum area read only keys: the per-part statistics
    (a third of a tile's leaf work) are not computed, and the answers do not change."""
    calls = []
    part_summary = cpu.part_summary

    def spy(*args):
        calls.append(1)
        return part_summary(*args)

    monkeypatch.setattr(cpu, "part_summary", spy)
    rng = np.random.default_rng(5)
    values = rng.random((40, 50)) < 0.45
    mask = as_raster(values).chunk(16)
    from scipy import ndimage

    want, n = ndimage.label(values, structure=np.ones((3, 3)))
    np.testing.assert_array_equal(gq.ops.label(mask).values, want)
    assert gq.ops.count(mask) == n
    assert calls == []
    sizes = np.bincount(want.ravel())[1:]
    assert gq.ops.count(mask, min_area_m2=300.0) == int(np.count_nonzero(sizes * 100 >= 300))
    assert calls
