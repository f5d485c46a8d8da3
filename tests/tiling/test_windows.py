"""Overlapping windows: blends equal the whole-raster result wherever the halo suffices."""

import dask.array as da
import numpy as np
import pytest
from scipy import ndimage

from geoquant.errors import TilingError
from geoquant.tiling import map_windows

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
