"""geoquant.synth against references written here: brute-force painters over whole windows,
imagery recomputed pixel by pixel in NumPy from the documented model, and a pinned digest.

The chunking tests in ``test_synth_scene.py`` compare the generator with itself; these compare
it with code that shares none of its window arithmetic (clipping, parcel offsets, row keys).
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import geoquant.synth as synth
from geoquant.synth import _classes as cls
from geoquant.synth import _features as feat
from geoquant.synth import _kernels as k
from geoquant.synth import _render as render
from geoquant.synth._noise import _mix, hash_coords, uniform16

# Windows (r0, c0, ny, nx) that cut the primitives below on every side, or miss some entirely.
WINDOWS = [(0, 0, 64, 64), (-20, 35, 50, 47), (30, -15, 41, 90), (100, 100, 16, 16)]


def _grid(r0: int, c0: int, ny: int, nx: int) -> tuple[np.ndarray, np.ndarray]:
    """Global row and column index of every pixel of the window."""
    return np.mgrid[r0:r0 + ny, c0:c0 + nx]


def _background(ny: int, nx: int) -> np.ndarray:
    # Some pixels already hold ROAD, which rectangles must leave alone.
    out = np.full((ny, nx), cls.GRASSLAND, dtype=np.uint8)
    out[::7, :] = cls.ROAD
    return out


@pytest.mark.parametrize("window", WINDOWS)
def test_rectangles_paint_their_inclusive_boxes(window):
    r0, c0, ny, nx = window
    rng = np.random.default_rng(1)
    lo = rng.integers(-30, 90, size=(40, 2))
    rects = np.concatenate([lo, lo + rng.integers(0, 25, size=(40, 2))], axis=1)
    got = _background(ny, nx)
    k.paint_rectangles(got, np.ascontiguousarray(rects), r0, c0, cls.BUILDING, cls.ROAD)

    j, i = _grid(*window)
    expected = _background(ny, nx)
    for x0, y0, x1, y1 in rects:
        inside = (i >= x0) & (i <= x1) & (j >= y0) & (j <= y1) & (expected != cls.ROAD)
        expected[inside] = cls.BUILDING
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("window", WINDOWS)
def test_metaballs_paint_where_the_field_reaches_one(window):
    r0, c0, ny, nx = window
    rng = np.random.default_rng(2)
    starts = np.array([0, 3, 4, 9], dtype=np.int64)
    circles = np.stack([rng.uniform(-10, 80, 9), rng.uniform(-10, 80, 9),
                        rng.uniform(2, 15, 9) ** 2], axis=-1)
    bboxes = np.array([[-20, -20, 90, 90], [0, 0, 40, 30], [10, -25, 95, 70]], dtype=np.int64)
    got = np.full((ny, nx), cls.GRASSLAND, dtype=np.uint8)
    k.paint_metaballs(got, bboxes, starts, circles, r0, c0, cls.LAKE)

    j, i = _grid(*window)
    expected = np.full((ny, nx), cls.GRASSLAND, dtype=np.uint8)
    for n, (x0, y0, x1, y1) in enumerate(bboxes):
        on_circle = np.zeros((ny, nx), dtype=bool)
        field = np.zeros((ny, nx))
        for cx, cy, r2 in circles[starts[n]:starts[n + 1]]:
            d2 = (i - cx) ** 2 + (j - cy) ** 2
            on_circle |= d2 <= r2
            field += (r2 / np.maximum(d2, 1e-300)) ** 2
        inside = (i >= x0) & (i <= x1) & (j >= y0) & (j <= y1)
        expected[inside & (on_circle | (field >= 1.0))] = cls.LAKE
    np.testing.assert_array_equal(got, expected)
    assert (got == cls.LAKE).any() or window == (100, 100, 16, 16)


@pytest.mark.parametrize("window", WINDOWS)
def test_thick_segments_paint_pixels_within_half_width(window):
    r0, c0, ny, nx = window
    rng = np.random.default_rng(3)
    segs = np.stack([rng.uniform(-20, 90, 12), rng.uniform(-20, 90, 12),
                     rng.uniform(-20, 90, 12), rng.uniform(-20, 90, 12),
                     rng.uniform(0.5, 4.0, 12)], axis=-1)
    segs[0, 2:4] = segs[0, 0:2]  # a segment of length zero paints a disc
    got = np.full((ny, nx), cls.GRASSLAND, dtype=np.uint8)
    k.paint_thick_segments(got, segs, r0, c0, cls.RIVER)

    j, i = _grid(*window)
    expected = np.full((ny, nx), cls.GRASSLAND, dtype=np.uint8)
    for x0, y0, x1, y1, hw in segs:
        # Distance from each pixel centre to the closest point of the segment.
        dx, dy = x1 - x0, y1 - y0
        len2 = dx * dx + dy * dy
        t = np.zeros((ny, nx)) if len2 == 0 else np.clip(((i - x0) * dx + (j - y0) * dy) / len2,
                                                         0.0, 1.0)
        ex, ey = (i - x0) - t * dx, (j - y0) - t * dy
        expected[ex * ex + ey * ey <= hw * hw] = cls.RIVER
    np.testing.assert_array_equal(got, expected)


def _pixel_hashes(seed: int, salt: int, j: np.ndarray, i: np.ndarray) -> np.ndarray:
    return hash_coords(seed, salt, j, i)


def _greenness(seed: int, j: np.ndarray, i: np.ndarray) -> np.ndarray:
    """Each pixel's parcel greenness, looked up by the parcel's global index."""
    h = hash_coords(seed, feat.SALT_PARCEL, j // feat.PARCEL, i // feat.PARCEL)
    return uniform16(h, 1).astype(np.float32)


# A window whose edges cut parcels, with lakes, forest, cropland, grass, roads and buildings.
IMAGERY_WINDOW = (1017, 229, 150, 170)


@pytest.fixture(scope="module")
def imagery_window():
    r0, c0, ny, nx = IMAGERY_WINDOW
    seed = 2
    lc = render.render_landcover(seed, r0, r0 + ny, c0, c0 + nx)
    assert set(np.unique(lc)) >= {cls.LAKE, cls.FOREST, cls.CROPLAND, cls.BUILDING}
    j, i = _grid(*IMAGERY_WINDOW)
    return seed, lc, j, i


def test_sar_is_class_mean_plus_speckle_of_the_pixel_hash(imagery_window):
    seed, lc, j, i = imagery_window
    r0, c0 = IMAGERY_WINDOW[:2]
    got = render.render_sar(lc, seed, r0, c0)

    h = _pixel_hashes(seed, feat.SALT_SAR, j, i)
    speckle = render._speckle_table()
    low16 = np.uint64(0xFFFF)
    means = {code: np.float32(v) for code, v in cls.BACKSCATTER_DB.items()}
    vv = np.vectorize(lambda c: means[c][0], otypes=[np.float32])(lc)
    vh = np.vectorize(lambda c: means[c][1], otypes=[np.float32])(lc)
    crop = lc == cls.CROPLAND
    vh[crop] += np.float32(cls.CROP_VH_RANGE_DB) * (_greenness(seed, j, i)[crop]
                                                   - np.float32(0.5))
    np.testing.assert_array_equal(got[0], vv + speckle[h & low16])
    np.testing.assert_array_equal(got[1], vh + speckle[(h >> np.uint64(16)) & low16])


def test_optical_is_class_mean_times_noise_of_the_pixel_hash(imagery_window):
    seed, lc, j, i = imagery_window
    r0, c0 = IMAGERY_WINDOW[:2]
    got = render.render_optical(lc, seed, r0, c0)

    h = _pixel_hashes(seed, feat.SALT_OPTICAL, j, i)
    with np.errstate(over="ignore"):
        h2 = _mix(h ^ np.uint64(0x9E3779B97F4A7C15))
    gauss = render._gauss_table()
    g = _greenness(seed, j, i)
    crop = lc == cls.CROPLAND
    for b in range(len(cls.OPTICAL_BANDS)):
        bits = h if b < 4 else h2
        idx = (bits >> np.uint64(16 * (b % 4))) & np.uint64(0xFFFF)
        mean = np.vectorize(lambda c, b=b: cls.REFLECTANCE[c][b], otypes=[np.float32])(lc)
        bare, green = np.float32(cls.BARE_SOIL[b]), np.float32(cls.GREEN_CROP[b])
        mean[crop] = bare + (green - bare) * g[crop]
        value = mean * (np.float32(1.0) + np.float32(render.OPTICAL_REL_SIGMA) * gauss[idx])
        np.testing.assert_array_equal(got[b], np.clip(value, 0.0, 1.0), err_msg=str(b))


def test_noise_tables_follow_their_distributions():
    from scipy.special import polygamma

    gauss = render._gauss_table()
    assert gauss.shape == (65536,) and np.all(np.diff(gauss) > 0)
    assert abs(float(gauss.mean())) < 1e-6 and float(gauss.std()) == pytest.approx(1.0, abs=1e-4)
    speckle = render._speckle_table()
    assert speckle.shape == (65536,) and np.all(np.diff(speckle) >= 0)
    # 10 log10 of a mean of 4 exponentials: standard deviation 10 / ln 10 * sqrt(trigamma(4)).
    expected_std = 10.0 / np.log(10.0) * np.sqrt(polygamma(1, render.SAR_LOOKS))
    assert abs(float(speckle.mean())) < 1e-5
    assert float(speckle.std()) == pytest.approx(expected_std, rel=1e-3)


def test_landcover_pixels_are_pinned():
    # Changing what the generator draws must be deliberate: update this digest and bump
    # geoquant.synth._scene._GENERATOR_VERSION together.
    lc = synth.landcover((384, 512), seed=5, chunks=(200, 300)).values
    assert hashlib.sha256(lc.tobytes()).hexdigest() == PINNED_LANDCOVER_SHA256


PINNED_LANDCOVER_SHA256 = "6c5e06cc1afae69dd8cd3ae00c82d3cb94e4c4b64c55b51ac95b21a28f17da69"
