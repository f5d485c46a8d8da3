"""change(): transitions, gains, losses and appeared/vanished objects against whole-array numpy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

import geoquant as gq
from geoquant.errors import GridMismatchError, MaskError
from geoquant.testing.rasters import as_raster


def reference(before: np.ndarray, after: np.ndarray, nodata: int, pixel_m2: float):
    keep = (before != nodata) & (after != nodata)
    classes = sorted(set(np.unique(before[keep])) | set(np.unique(after[keep])))
    matrix = {(b, a): pixel_m2 * np.count_nonzero(keep & (before == b) & (after == a))
              for b in classes for a in classes}
    appeared, vanished = {}, {}
    for c in classes:
        for here, there, out in ((after, before, appeared), (before, after, vanished)):
            labels, n = ndi.label(keep & (here == c), structure=np.ones((3, 3)))
            touched = np.unique(labels[keep & (there == c) & (labels > 0)])
            out[c] = n - touched.size
    return classes, matrix, appeared, vanished


@pytest.mark.parametrize("chunks", [None, 5, (3, 11), (1, 32)])
def test_change_equals_whole_array_reference(chunks):
    rng = np.random.default_rng(4)
    before = ndi.zoom(rng.integers(1, 5, (6, 8)), 4, order=0).astype(np.uint8)
    after = before.copy()
    after[rng.random(after.shape) < 0.15] = 3
    after[2:5, 20:24] = 7  # a class that appears
    before[0, :] = 255  # nodata stripe
    b = as_raster(before, chunks=chunks).rio.write_nodata(255)
    a = as_raster(after, chunks=chunks).rio.write_nodata(255)
    got = gq.ops.change(b, a)
    classes, matrix, appeared, vanished = reference(before, after, 255, 100.0)
    assert list(got.transitions.index) == classes
    for (bc, ac), value in matrix.items():
        assert got.transitions.loc[bc, ac] == value
    total = got.transitions.to_numpy().sum()
    assert total == 100.0 * np.count_nonzero((before != 255) & (after != 255))
    for c in classes:
        assert got.gained[c] == sum(v for (bc, ac), v in matrix.items() if ac == c and bc != c)
        assert got.lost[c] == sum(v for (bc, ac), v in matrix.items() if bc == c and ac != c)
        assert got.appeared[c] == appeared[c]
        assert got.vanished[c] == vanished[c]
    assert got.appeared[7] == 1


def test_change_on_real_lausanne_dates(shared_data):
    import rioxarray
    from rasterio.enums import Resampling

    folder = shared_data / "real" / "lausanne-landuse"
    after = rioxarray.open_rasterio(folder / "ls100_12.tif").squeeze(drop=True)
    before = rioxarray.open_rasterio(folder / "ls100_06.tif").squeeze(drop=True)
    with pytest.raises(GridMismatchError, match="reproject_match"):
        gq.ops.change(before, after, objects=False)
    before = before.rio.reproject_match(after, resampling=Resampling.nearest)
    whole = gq.ops.change(before, after, objects=False)
    chunked = gq.ops.change(before.chunk(64), after.chunk(97), objects=False)
    np.testing.assert_array_equal(whole.transitions.to_numpy(), chunked.transitions.to_numpy())
    _, matrix, _, _ = reference(before.values, after.values, 255,
                                abs(np.prod(after.rio.resolution())))
    for (bc, ac), value in matrix.items():
        assert whole.transitions.loc[bc, ac] == pytest.approx(value, rel=1e-12)


def test_accessor_matches_functions():
    mask = as_raster(np.eye(6, dtype=bool) | np.eye(6, k=3, dtype=bool), chunks=4)
    assert mask.gq.count() == gq.ops.count(mask)
    assert mask.gq.area() == gq.ops.area(mask)
    np.testing.assert_array_equal(mask.gq.label().values, gq.ops.label(mask).values)
    np.testing.assert_array_equal(mask.gq.distance().values, gq.ops.distance(mask).values)
    assert mask.gq.fragmentation() == gq.ops.fragmentation(mask)


def test_change_bad_input():
    with pytest.raises(MaskError, match="integer class codes"):
        gq.ops.change(as_raster(np.array([[0.5, 1.0]])), as_raster(np.array([[1.0, 1.0]])))
    with pytest.raises(GridMismatchError):
        gq.ops.change(as_raster(np.ones((2, 2), np.uint8)), as_raster(np.ones((3, 2), np.uint8)))


@pytest.mark.parametrize("chunks", [None, 7, pytest.param((4, 13), marks=pytest.mark.slow)])
def test_many_classes_scale_with_pixels_not_classes(chunks):
    """900 codes on 30x30 px (was two object passes per class: 1,800 passes, two minutes):
    one pass per colour of the classes' adjacency, the same counts as scipy class by class."""
    import time

    rng = np.random.default_rng(11)
    before = rng.permutation(900).reshape(30, 30).astype(np.int32) + 1
    after = np.where(rng.random(before.shape) < 0.3, rng.integers(1, 901, before.shape),
                     before)
    b, a = as_raster(before, chunks=chunks), as_raster(after, chunks=chunks)
    started = time.perf_counter()
    got = gq.ops.change(b, a)
    elapsed = time.perf_counter() - started
    classes, _, appeared, vanished = reference(before, after, -1, 100.0)
    assert {c: int(got.appeared[c]) for c in classes} == appeared
    assert {c: int(got.vanished[c]) for c in classes} == vanished
    assert elapsed < 30, elapsed
