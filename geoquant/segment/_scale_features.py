"""Multi-scale per-pixel features of one image: bands, band contrasts, and Gaussian context.

What :class:`~geoquant.segment._image_classifier.ImageClassifier` learns from by default
(``geoquant train --legend``). A :class:`ScaleFeatures` spec turns a ``(band, y, x)`` array
into ``(feature, y, x)`` float32 layers:

======================================  =========================================================
name                                    meaning
======================================  =========================================================
``<b>``                                 the band's value, as given (trees need no scaling)
``<a>-<b>``                             a contrast per band pair: ``(a - b) / (|a| + |b|)`` for
                                        optical bands (NDVI is ``nir-red``, NDWI
                                        ``green-nir``), ``a - b`` for radar bands in dB
``brightness``                          optical: the mean of the bands
``<b>_median5``                         radar: the 5 x 5 median (speckle filtered)
``<f>_s<r>_mean``, ``_sd``, ``_dev``    for each of the above ``f`` and each context radius
                                        ``r``: the Gaussian-weighted mean and standard
                                        deviation around the pixel (sigma ``r / 3``, cut at
                                        ``r``), and the pixel's departure from that mean
``<b>_s<r>_edge``                       the gradient magnitude of brightness (or of each
                                        speckle-filtered radar band; of the band when there is
                                        one) smoothed at that scale: edges, texture
======================================  =========================================================

Missing pixels (NaN in any band) have NaN features and weigh nothing in the means: each mean
is a normalised convolution (the filtered values over the filtered valid mask), cut at the
raster's edge. Edges and medians read missing pixels as the band's fill value (set by
:meth:`ScaleFeatures.fitted`).

Why this is exact across tiles: every filter is a direct separable correlation
(:func:`scipy.ndimage.correlate1d`, :func:`scipy.ndimage.median_filter`) whose value at a
pixel is computed from the same inputs in the same order wherever the pixel lies in its
array; a tile read with :attr:`ScaleFeatures.halo` pixels of context around its core (cut at
the raster's edge, as the whole image is) therefore gives bitwise the whole image's layers in
its core, and stitched predictions equal whole-image ones.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from geoquant.errors import InvalidOptionError
from geoquant.segment._image_features import RADAR_BANDS

#: Largest context radius, pixels.
MAX_RADIUS = 48
#: Width of the radar speckle median, pixels.
SPECKLE_PX = 5
#: A Gaussian of radius ``r`` has sigma ``r / TRUNCATE`` (cut at ``TRUNCATE`` sigmas).
TRUNCATE = 3.0


@dataclass(frozen=True)
class ScaleFeatures:
    """Which features :meth:`compute` makes from the bands of one image.

    Attributes
    ----------
    bands : tuple of str
        Common names of the bands read, in order (``("red", "green", "blue")``).
    radii_px : tuple of int
        Radii of the Gaussian context windows, pixels (sigma is a third of each; 1 to
        :data:`MAX_RADIUS`; empty: no context).
    fill : tuple of float
        Per band, the value missing pixels take in edges and medians (the band's median
        over the training pixels; set by :meth:`fitted`). Empty: zero.
    """

    bands: tuple[str, ...]
    radii_px: tuple[int, ...] = (3, 6, 12, 24)
    fill: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.bands:
            raise InvalidOptionError("image features need at least one band")
        object.__setattr__(self, "bands", tuple(str(b) for b in self.bands))
        object.__setattr__(self, "radii_px", _radii(self.radii_px))
        fill = tuple(float(v) for v in self.fill)
        if fill and len(fill) != len(self.bands):
            raise InvalidOptionError(f"fill needs one value per band ({len(self.bands)}), "
                                     f"not {len(fill)}")
        object.__setattr__(self, "fill", fill)

    @property
    def radar(self) -> bool:
        """Whether every band is radar backscatter (dB): contrasts are differences."""
        return all(b.lower() in RADAR_BANDS for b in self.bands)

    @property
    def halo(self) -> int:
        """Pixels of context a tile needs around its core."""
        speckle = SPECKLE_PX // 2 if self.radar else 0
        return max(max(self.radii_px, default=0) + speckle, speckle)

    @property
    def _extra(self) -> tuple[str, ...]:
        if self.radar:
            return tuple(f"{b}_median{SPECKLE_PX}" for b in self.bands)
        return ("brightness",) if len(self.bands) > 1 else ()

    @property
    def base_names(self) -> tuple[str, ...]:
        """The bands, their pairwise contrasts, and brightness or speckle-filtered bands."""
        return (*self.bands, *(f"{a}-{b}" for a, b in combinations(self.bands, 2)),
                *self._extra)

    @property
    def _edge_sources(self) -> tuple[str, ...]:
        # Edges of brightness or of the speckle-filtered bands (each costs four passes).
        return self._extra or self.bands

    @property
    def names(self) -> tuple[str, ...]:
        """Every feature's name, in layer order."""
        context = []
        for r in self.radii_px:
            context += [f"{f}_s{r}_{stat}" for f in self.base_names
                        for stat in ("mean", "sd", "dev")]
            context += [f"{b}_s{r}_edge" for b in self._edge_sources]
        return (*self.base_names, *context)

    def to_json(self) -> dict[str, Any]:
        return {"kind": "scales", "bands": list(self.bands), "radii_px": list(self.radii_px),
                "fill": list(self.fill)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScaleFeatures:
        return cls(tuple(data["bands"]), tuple(int(r) for r in data.get("radii_px", ())),
                   tuple(float(v) for v in data.get("fill", ())))

    def fitted(self, images: Sequence[np.ndarray]) -> ScaleFeatures:
        """The same spec with :attr:`fill` set from ``(band, y, x)`` images: each band's
        median over every 20,000th-or-denser sample of its valid pixels."""
        by_band = np.concatenate(
            [np.asarray(v, np.float32).reshape(len(v), -1)[:, :: max(1, v[0].size // 20_000)]
             for v in images], axis=1)
        medians = (np.median(b[np.isfinite(b)]) if np.isfinite(b).any() else 0.0
                   for b in by_band)
        return ScaleFeatures(self.bands, self.radii_px, tuple(float(m) for m in medians))

    def compute(self, values: np.ndarray) -> np.ndarray:
        """``(len(names), y, x)`` float32 feature layers of ``(len(bands), y, x)`` values
        (any numeric type; NaN for missing data, and NaN features there)."""
        from scipy import ndimage

        values = np.asarray(values, dtype=np.float32)
        if values.ndim != 3 or len(values) != len(self.bands):
            raise InvalidOptionError(f"image features need ({len(self.bands)}, y, x) values, "
                                     f"not shape {values.shape}")
        valid = np.isfinite(values).all(axis=0)
        fill = self.fill or (0.0,) * len(self.bands)
        filled = np.stack([np.where(valid, values[i], np.float32(fill[i]))
                           for i in range(len(self.bands))])
        base = list(filled)
        for a, b in combinations(range(len(self.bands)), 2):
            base.append(_contrast(filled[a], filled[b], self.radar))
        if self.radar:
            base += [ndimage.median_filter(band, SPECKLE_PX, mode="nearest")
                     for band in filled]
        elif len(self.bands) > 1:
            base.append(filled.mean(axis=0, dtype=np.float32))
        edges = base[len(base) - len(self._extra):] if self._extra else list(filled)
        out = np.empty((len(self.names), *values.shape[1:]), np.float32)
        out[: len(base)] = np.stack(base)
        at = len(base)
        weight = valid.astype(np.float32)
        for r in self.radii_px:
            kernel = _gaussian(r)
            count = _smooth(weight, kernel)
            for layer in base:
                kept = layer * weight
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = _smooth(kept, kernel) / count
                    square = _smooth(kept * layer, kernel) / count
                out[at] = mean
                out[at + 1] = np.sqrt(np.maximum(square - mean * mean, 0))
                out[at + 2] = layer - mean
                at += 3
            for layer in edges:
                out[at] = _edge(layer, r)
                at += 1
        out[:, ~valid] = np.nan
        return out


def _radii(radii: Sequence[int]) -> tuple[int, ...]:
    whole = tuple(int(r) for r in radii)
    if len(set(whole)) != len(whole) or any(r != w or not 1 <= w <= MAX_RADIUS
                                            for r, w in zip(radii, whole, strict=True)):
        raise InvalidOptionError(f"context radii must be distinct whole numbers of pixels "
                                 f"from 1 to {MAX_RADIUS}, not {list(radii)}")
    return tuple(sorted(whole))


def _contrast(a: np.ndarray, b: np.ndarray, radar: bool) -> np.ndarray:
    if radar:
        return a - b
    with np.errstate(invalid="ignore", divide="ignore"):
        total = np.abs(a) + np.abs(b)
        return np.where(total > 0, (a - b) / total, 0).astype(np.float32)


def _gaussian(radius: int, order: int = 0) -> np.ndarray:
    """A normalised Gaussian (or its first derivative) of sigma ``radius / TRUNCATE``,
    ``2 * radius + 1`` taps."""
    sigma = radius / TRUNCATE
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-0.5 * (x / sigma) ** 2)
    g /= g.sum()
    return g if order == 0 else -x / sigma ** 2 * g


def _smooth(layer: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Separable correlation with zeros outside the array (direct sums: position-free)."""
    from scipy import ndimage

    once = ndimage.correlate1d(layer, kernel, axis=0, mode="constant", cval=0.0)
    return ndimage.correlate1d(once, kernel, axis=1, mode="constant", cval=0.0)


def _edge(layer: np.ndarray, radius: int) -> np.ndarray:
    """Gradient magnitude of ``layer`` smoothed at ``radius`` (edge values repeated)."""
    from scipy import ndimage

    g, d = _gaussian(radius), _gaussian(radius, order=1)
    gy = ndimage.correlate1d(ndimage.correlate1d(layer, d, axis=0, mode="nearest"), g,
                             axis=1, mode="nearest")
    gx = ndimage.correlate1d(ndimage.correlate1d(layer, g, axis=0, mode="nearest"), d,
                             axis=1, mode="nearest")
    return np.hypot(gx, gy)
