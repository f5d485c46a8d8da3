"""Render one window of the synthetic world to land cover, reflectance and backscatter arrays.

A window is rows ``r0..r1 - 1`` and columns ``c0..c1 - 1`` of the world (global pixel indices).
Each function is pure: its output depends on the seed and the pixel indices only, so the dask
graph can call it per chunk with any chunking.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from geoquant.synth import _classes as cls
from geoquant.synth import _features as feat
from geoquant.synth._noise import key, lattice_table

__all__ = ["render_landcover", "render_optical", "render_sar"]

# Relative standard deviation of reflectance noise, per pixel and band.
OPTICAL_REL_SIGMA = 0.06
# Equivalent number of looks of the speckle (gamma-distributed intensity).
SAR_LOOKS = 4.0


def render_landcover(seed: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """Class codes (uint8, see :data:`geoquant.synth.CLASSES`) of one window."""
    from geoquant.synth import _kernels as k

    out = np.empty((r1 - r0, c1 - c0), dtype=np.uint8)
    rows = np.arange(r0, r1, dtype=np.int64)
    cols = np.arange(c0, c1, dtype=np.int64)

    forest = np.zeros(out.shape, dtype=np.float32)
    for o, (spacing, amp) in enumerate(feat.FOREST_OCTAVES):
        table, ia, wy, ib, wx = lattice_table(seed, feat.SALT_FOREST * 16 + o, rows, cols, spacing)
        k.add_octave(forest, table, ia, wy, ib, wx, np.float32(amp))

    p = feat.parcels(seed, r0, r1, c0, c1)
    k.paint_base(
        out, forest, np.float32(feat.FOREST_THRESHOLD), p.active, p.margins, p.pa0, p.pb0,
        feat.PARCEL, r0, c0, cls.GRASSLAND, cls.FOREST, cls.CROPLAND,
    )

    roads = feat.roads(seed, r0, r1, c0, c1)
    k.paint_thick_segments(out, roads.major, r0, c0, cls.ROAD)
    k.paint_thin_segments(out, roads.minor, r0, c0, cls.ROAD)
    k.paint_rectangles(out, roads.buildings, r0, c0, cls.BUILDING, cls.ROAD)

    # Water last: roads stop at rivers and lakes, buildings never stand in water.
    k.paint_thick_segments(out, feat.rivers(seed, r0, r1, c0, c1), r0, c0, cls.RIVER)
    lakes = feat.lakes(seed, r0, r1, c0, c1)
    k.paint_metaballs(out, lakes.bboxes, lakes.starts, lakes.circles, r0, c0, cls.LAKE)
    return out


def _table(values: dict[int, tuple[float, ...]]) -> np.ndarray:
    codes = max(values) + 1
    width = len(next(iter(values.values())))
    table = np.zeros((max(codes, 256), width), dtype=np.float32)
    for code, row in values.items():
        table[code] = row
    return table


@lru_cache(maxsize=1)
def _gauss_table() -> np.ndarray:
    """65536 standard normal quantiles: a 16-bit hash slice indexes one normal deviate."""
    from scipy.special import ndtri

    p = (np.arange(65536, dtype=np.float64) + 0.5) / 65536.0
    return ndtri(p).astype(np.float32)


@lru_cache(maxsize=1)
def _speckle_table() -> np.ndarray:
    """65536 quantiles of multi-look speckle in dB, shifted to zero mean."""
    from scipy.special import gammaincinv

    p = (np.arange(65536, dtype=np.float64) + 0.5) / 65536.0
    db = 10.0 * np.log10(gammaincinv(SAR_LOOKS, p) / SAR_LOOKS)
    return (db - db.mean()).astype(np.float32)


def render_optical(lc: np.ndarray, seed: int, r0: int, c0: int) -> np.ndarray:
    """Surface reflectance (float32, 0..1), shape (6, ny, nx), bands as OPTICAL_BANDS."""
    from geoquant.synth import _kernels as k

    ny, nx = lc.shape
    p = feat.parcels(seed, r0, r0 + ny, c0, c0 + nx)
    out = np.empty((len(cls.OPTICAL_BANDS), ny, nx), dtype=np.float32)
    k.render_optical(
        out, lc, _table(cls.REFLECTANCE), np.asarray(cls.BARE_SOIL, dtype=np.float32),
        np.asarray(cls.GREEN_CROP, dtype=np.float32), p.greenness, p.pa0, p.pb0, feat.PARCEL,
        r0, c0, cls.CROPLAND, np.uint64(key(seed, feat.SALT_OPTICAL)), _gauss_table(),
        np.float32(OPTICAL_REL_SIGMA),
    )
    return out


def render_sar(lc: np.ndarray, seed: int, r0: int, c0: int) -> np.ndarray:
    """Backscatter in dB (float32), shape (2, ny, nx), polarizations VV, VH."""
    from geoquant.synth import _kernels as k

    ny, nx = lc.shape
    p = feat.parcels(seed, r0, r0 + ny, c0, c0 + nx)
    out = np.empty((len(cls.SAR_POLARIZATIONS), ny, nx), dtype=np.float32)
    k.render_sar(
        out, lc, _table(cls.BACKSCATTER_DB), p.greenness, p.pa0, p.pb0, feat.PARCEL, r0, c0,
        cls.CROPLAND, np.float32(cls.CROP_VH_RANGE_DB), np.uint64(key(seed, feat.SALT_SAR)),
        _speckle_table(),
    )
    return out
