"""Overlapping windows: blends equal the whole-raster result wherever the halo suffices, one
window per task or in batches."""

import math

import dask.array as da
import numpy as np
import pytest
from scipy import ndimage

from geoquant.errors import InvalidOptionError, TilingError
from geoquant.tiling import edge_weights, map_windows

RADIUS = 5


def box(window):
    """A function with a receptive radius of RADIUS px (zero padding at window edges)."""
    out = ndimage.uniform_filter(np.nan_to_num(window[0]), 2 * RADIUS + 1, mode="constant")
    out = out[None].astype(np.float32)
    out[:, np.isnan(window[0])] = np.nan
    return out


@pytest.mark.parametrize(("shape", "chunks"), [
    ((1, 40, 50), (1, 40, 50)),                       # a single tile
    ((1, 9, 300), (1, 9, 64)),                        # narrower than the overlap along y
    ((1, 300, 7), (1, (100, 90, 110), 7)),            # irregular chunks, narrow along x
    ((1, 131, 97), (1, (40, 40, 51), (30, 30, 37))),
])
def test_blend_equals_whole_raster(shape, chunks):
    rng = np.random.default_rng(sum(shape))
    img = rng.random(shape).astype(np.float32)
    img[0, shape[1] // 2, :] = np.nan
    out = map_windows(da.from_array(img, chunks=chunks), box, channels=1, overlap=8,
                      dead=RADIUS).compute()
    whole = box(img)
    np.testing.assert_array_equal(np.isnan(out), np.isnan(whole))
    np.testing.assert_allclose(np.nan_to_num(out), np.nan_to_num(whole), atol=1e-6)
    assert out.dtype == np.float32


def test_windows_that_return_nan_do_not_weigh_in():
    img = np.ones((1, 128, 128), np.float32)
    img[:, :, 70:] = np.nan

    def ones_unless_mostly_empty(window):
        value = np.nan if np.isnan(window).mean() > 0.5 else 1.0
        return np.full((1, *window.shape[1:]), value, np.float32)

    out = map_windows(da.from_array(img, chunks=(1, 64, 64)), ones_unless_mostly_empty,
                      channels=1, overlap=16, dead=0).compute()
    finite = out[np.isfinite(out)]
    np.testing.assert_array_equal(finite, 1.0)


def test_per_pixel_functions_need_no_halo_and_return_float32():
    img = np.arange(24, dtype=np.float64).reshape(1, 4, 6)
    out = map_windows(da.from_array(img, chunks=(1, 2, 3)), lambda w: w * 2, channels=1,
                      overlap=0, dead=0).compute()
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, img * 2)


def test_tiles_smaller_than_the_overlap_are_refused():
    with pytest.raises(TilingError, match="smaller than the overlap"):
        map_windows(da.zeros((1, 64, 64), chunks=(1, 8, 8)), box, channels=1, overlap=16,
                    dead=RADIUS)


# --- windows in batches ----------------------------------------------------------------------

CHUNKINGS = [
    ((1, 40, 50), (1, 40, 50)),                       # a single window
    ((1, 9, 300), (1, 9, 64)),                        # one tile along y, narrower than the halo
    ((1, 300, 7), (1, (100, 90, 110), 7)),            # irregular tiles, narrow along x
    ((1, 131, 97), (1, (40, 40, 51), (30, 30, 37))),
    ((1, 96, 96), (1, 32, 32)),                       # nine windows of three sizes
]


def _image(shape):
    rng = np.random.default_rng(sum(shape))
    img = rng.random(shape).astype(np.float32)
    img[0, shape[1] // 2, :] = np.nan
    return img


class _Boxes:
    """``box`` on a list of windows, recording the sizes of each list it is given."""

    def __init__(self):
        self.calls = []

    def __call__(self, windows):
        self.calls.append([w.shape[1:] for w in windows])
        return [box(w) for w in windows]


@pytest.mark.parametrize(("shape", "chunks"), CHUNKINGS)
@pytest.mark.parametrize(("batch", "stride"), [(1, 1), (2, 1), (3, 8), (100, 16)])
def test_windows_in_batches_blend_to_the_whole_raster(shape, chunks, batch, stride):
    img = _image(shape)
    data = da.from_array(img, chunks=chunks)
    boxes = _Boxes()
    out = map_windows(data, boxes, channels=1, overlap=8, dead=RADIUS, batch=batch,
                      stride=stride).compute(scheduler="sync")
    whole = box(img)
    assert out.dtype == np.float32 and out.shape == whole.shape
    np.testing.assert_array_equal(np.isnan(out), np.isnan(whole))
    np.testing.assert_allclose(np.nan_to_num(out), np.nan_to_num(whole), atol=1e-6)
    # The same windows and weights as one window per task: the same result, bitwise.
    one = map_windows(data, box, channels=1, overlap=8, dead=RADIUS).compute()
    assert np.array_equal(out, one, equal_nan=True)
    # Every window mapped once, up to `batch` per call, of one stride-rounded size per call.
    ny, nx = len(data.chunks[1]), len(data.chunks[2])
    assert sum(len(sizes) for sizes in boxes.calls) == ny * nx
    for sizes in boxes.calls:
        assert 1 <= len(sizes) <= batch
        assert len({(-(-h // stride), -(-w // stride)) for h, w in sizes}) == 1
    rounded = {(-(-h // stride), -(-w // stride)) for sizes in boxes.calls for h, w in sizes}
    expected_calls = 0
    for size in rounded:
        n = sum(1 for sizes in boxes.calls for h, w in sizes
                if (-(-h // stride), -(-w // stride)) == size)
        expected_calls += -(-n // batch)
    assert len(boxes.calls) == expected_calls              # groups as full as they can be


def test_window_sizes_and_grouping_follow_the_halos():
    data = da.zeros((1, 96, 96), np.float32, chunks=(1, 32, 32))
    boxes = _Boxes()
    map_windows(data, boxes, channels=1, overlap=8, dead=2, batch=9).compute(scheduler="sync")
    # Edge tiles borrow one halo, inner tiles two: windows of 40 or 48 px per axis.
    assert sorted(len(sizes) for sizes in boxes.calls) == [1, 2, 2, 4]
    assert {s for sizes in boxes.calls for s in sizes} == {(40, 40), (40, 48), (48, 40),
                                                           (48, 48)}
    boxes = _Boxes()
    map_windows(data, boxes, channels=1, overlap=8, dead=2, batch=9,
                stride=16).compute(scheduler="sync")
    assert [len(sizes) for sizes in boxes.calls] == [9]    # all round up to 48 x 48


def test_batches_without_overlap_are_the_tiles():
    img = np.arange(2 * 10 * 14, dtype=np.float64).reshape(2, 10, 14)
    boxes = []

    def doubled(windows):
        boxes.append([w.shape for w in windows])
        return [w * 2 for w in windows]

    out = map_windows(da.from_array(img, chunks=(2, (3, 3, 4), (5, 9))), doubled, channels=2,
                      overlap=0, dead=0, batch=2).compute(scheduler="sync")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, img * 2)
    assert sorted(len(shapes) for shapes in boxes) == [1, 1, 2, 2]


def test_batches_need_whole_numbers_and_tiles_of_the_overlap():
    data = da.zeros((1, 64, 64), chunks=(1, 32, 32))
    for bad in ({"batch": 0}, {"batch": True}, {"batch": 2.0}, {"batch": 2, "stride": 0}):
        with pytest.raises(InvalidOptionError, match="whole number"):
            map_windows(data, _Boxes(), channels=1, overlap=8, dead=2, **bad)
    with pytest.raises(TilingError, match="smaller than the overlap"):
        map_windows(da.zeros((1, 64, 64), chunks=(1, 8, 8)), _Boxes(), channels=1,
                    overlap=16, dead=RADIUS, batch=4)


def _reference_weight(size, cut_before, cut_after, overlap, dead):
    """edge_weights pixel by pixel, from the module's description."""
    out = []
    for k in range(size):
        w = 1.0
        for cut, d in ((cut_before, k), (cut_after, size - 1 - k)):
            if not cut:
                continue
            if d < dead:
                w = 0.0
            else:
                t = min(max((d - dead + 0.5) / max(overlap - dead, 1), 0.0), 1.0)
                w *= 0.5 - 0.5 * math.cos(math.pi * t)
        out.append(w)
    return np.array(out)


@pytest.mark.parametrize(("size", "overlap", "dead"), [(40, 8, 5), (48, 8, 0), (20, 8, 8),
                                                       (7, 3, 1)])
def test_edge_weights_follow_the_description(size, overlap, dead):
    for cut_before in (False, True):
        for cut_after in (False, True):
            got = edge_weights(size, cut_before, cut_after, overlap=overlap, dead=dead)
            assert got.dtype == np.float32 and got.shape == (size,)
            np.testing.assert_allclose(got, _reference_weight(size, cut_before, cut_after,
                                                              overlap, dead), atol=1e-7)
            if cut_before:
                assert (got[:dead] == 0).all()
            reach = max(overlap, dead + 1)   # the ramp is at least one pixel long
            inner = slice(reach if cut_before else 0, size - reach if cut_after else size)
            np.testing.assert_array_equal(got[inner], 1.0)
