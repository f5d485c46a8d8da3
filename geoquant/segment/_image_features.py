"""Per-pixel features of one image (one date): its bands, band contrasts and their spatial context.

What :class:`~geoquant.segment._image_classifier.ImageClassifier` learns from. An
:class:`ImageFeatures` spec turns a ``(band, y, x)`` array into ``(feature, y, x)`` float32
layers:

====================================  ===========================================================
name                                  meaning
====================================  ===========================================================
``<b>``                               the band's value, as given (trees need no scaling)
``<a>-<b>``                           a contrast per band pair: ``(a - b) / (|a| + |b|)`` for
                                      optical bands (NDVI is ``nir-red``), ``a - b`` for radar
                                      bands in dB (``vv-vh``)
``<f>_r<k>_mean``, ``<f>_r<k>_sd``    for every band and contrast ``f`` and every radius ``k`` of
                                      ``radii_px``: mean and standard deviation over the
                                      ``(2k + 1)``-pixel square around the pixel (texture,
                                      edges, the neighbourhood of small objects)
====================================  ===========================================================

A pixel with a missing band (NaN) has NaN features. Windows skip missing pixels and are cut at
the raster's edge. Their sums are exact: each feature is quantised to 16 bits over its range
(``ranges``, set from the training pixels; contrasts of optical bands span [-1, 1]) and summed
as integers through an integral image, so the mean and spread cost the same for any radius
and a tile read with ``max(radii_px)`` pixels of halo gives bitwise the layers of the whole
image in its core: stitched predictions equal whole-image ones. (Quantisation steps are
1/65535 of a feature's range, far below what separates classes.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from geoquant.errors import InvalidOptionError

#: Band names read as radar backscatter in dB (contrasts are differences, not ratios).
RADAR_BANDS = ("vv", "vh", "hh", "hv")
#: Largest context radius, pixels (each radius costs two window sums per feature).
MAX_RADIUS = 32


@dataclass(frozen=True)
class ImageFeatures:
    """Which features :meth:`compute` makes from the bands of one image.

    Attributes
    ----------
    bands : tuple of str
        Common names of the bands read, in order (``("red", "green", "blue")``).
    radii_px : tuple of int
        Radii of the context windows, pixels (1 to :data:`MAX_RADIUS`; empty: no context).
    ranges : tuple of (float, float)
        Range of each of :attr:`base_names` over which context sums are quantised (see the
        module docstring); set by :meth:`fitted`. Empty: each image's own range (training
        only; a model must carry fixed ranges for tiles to agree).
    """

    bands: tuple[str, ...]
    radii_px: tuple[int, ...] = (2, 8)
    ranges: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        if not self.bands:
            raise InvalidOptionError("image features need at least one band")
        radii = tuple(int(r) for r in self.radii_px)
        bad = [r for r in self.radii_px if int(r) != r or not 1 <= int(r) <= MAX_RADIUS]
        if bad or len(set(radii)) != len(radii):
            raise InvalidOptionError(f"context radii must be distinct whole numbers of pixels "
                                     f"from 1 to {MAX_RADIUS}, not {list(self.radii_px)}")
        object.__setattr__(self, "bands", tuple(str(b) for b in self.bands))
        object.__setattr__(self, "radii_px", tuple(sorted(radii)))
        ranges = tuple((float(lo), float(hi)) for lo, hi in self.ranges)
        if ranges and len(ranges) != len(self.base_names):
            raise InvalidOptionError(f"ranges needs one (low, high) per base feature "
                                     f"({len(self.base_names)}), not {len(ranges)}")
        object.__setattr__(self, "ranges", ranges)

    @property
    def radar(self) -> bool:
        """Whether every band is radar backscatter (dB): contrasts are differences."""
        return all(b.lower() in RADAR_BANDS for b in self.bands)

    @property
    def halo(self) -> int:
        """Pixels of context a tile needs around its core (the largest radius)."""
        return max(self.radii_px, default=0)

    @property
    def base_names(self) -> tuple[str, ...]:
        """The bands and their pairwise contrasts, in layer order."""
        return (*self.bands, *(f"{a}-{b}" for a, b in combinations(self.bands, 2)))

    @property
    def names(self) -> tuple[str, ...]:
        """Every feature's name, in layer order."""
        context = [f"{f}_r{r}_{stat}" for r in self.radii_px for f in self.base_names
                   for stat in ("mean", "sd")]
        return (*self.base_names, *context)

    def to_json(self) -> dict[str, Any]:
        return {"bands": list(self.bands), "radii_px": list(self.radii_px),
                "ranges": [list(r) for r in self.ranges]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImageFeatures:
        return cls(tuple(data["bands"]), tuple(int(r) for r in data.get("radii_px", ())),
                   tuple((float(lo), float(hi)) for lo, hi in data.get("ranges", ())))

    def fitted(self, images: Sequence[np.ndarray]) -> ImageFeatures:
        """The same spec with :attr:`ranges` set from ``(band, y, x)`` images (each base
        feature's 0.1 and 99.9 percentiles over a sample of their valid pixels; optical
        contrasts keep [-1, 1])."""
        samples = []
        for values in images:
            flat = np.asarray(values, np.float32).reshape(values.shape[0], -1)
            step = max(1, flat.shape[1] // 20_000)
            samples.append(flat[:, ::step])
        pixels = np.concatenate(samples, axis=1)[:, :, None]
        base = ImageFeatures(self.bands, ()).compute(pixels)[:, :, 0]
        ranges = []
        for j, row in enumerate(base):
            row = row[np.isfinite(row)]
            if j >= len(self.bands) and not self.radar:
                ranges.append((-1.0, 1.0))
            elif row.size:
                low, high = (float(v) for v in np.percentile(row, [0.1, 99.9]))
                ranges.append((low, high if high > low else low + 1.0))
            else:
                ranges.append((0.0, 1.0))
        return ImageFeatures(self.bands, self.radii_px, tuple(ranges))

    def compute(self, values: np.ndarray) -> np.ndarray:
        """The feature layers of a ``(band, y, x)`` array whose bands are :attr:`bands`.

        Parameters
        ----------
        values : numpy.ndarray
            ``(len(bands), y, x)``, any numeric type, NaN for missing data.

        Returns
        -------
        numpy.ndarray
            ``(len(names), y, x)`` float32; NaN wherever a band is missing.
        """
        values = np.asarray(values, dtype=np.float32)
        if values.ndim != 3 or values.shape[0] != len(self.bands):
            raise InvalidOptionError(f"image features need ({len(self.bands)}, y, x) values, "
                                     f"not shape {values.shape}")
        missing = ~np.isfinite(values).all(axis=0)
        base = [values[i] for i in range(len(self.bands))]
        for a, b in combinations(range(len(self.bands)), 2):
            if self.radar:
                base.append(values[a] - values[b])
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    total = np.abs(values[a]) + np.abs(values[b])
                    base.append(np.where(total > 0, (values[a] - values[b]) / total, 0)
                                .astype(np.float32))
        out = np.empty((len(self.names), *values.shape[1:]), np.float32)
        stack = np.stack(base)
        stack[:, missing] = np.nan
        out[: len(base)] = stack
        if self.radii_px:
            valid = ~missing
            count = _integral(valid.astype(np.int64))
            ranges = self.ranges or _default_ranges(stack, self.radar, len(self.bands))
            k = len(base)
            windows = {r: _windows(valid.shape, r) for r in self.radii_px}
            for j in range(len(base)):
                low, high = ranges[j]
                span = (high - low) / LEVELS if high > low else 1.0
                q = np.where(valid, np.clip(np.rint((stack[j] - low) / span), 0, LEVELS), 0)
                q = q.astype(np.int64)
                total, square = _integral(q), _integral(q * q)
                for i, r in enumerate(self.radii_px):
                    n = _box(count, windows[r])
                    with np.errstate(invalid="ignore", divide="ignore"):
                        mean = _box(total, windows[r]) / n
                        var = np.maximum(_box(square, windows[r]) / n - mean * mean, 0)
                    at = k + 2 * (i * len(base) + j)
                    out[at] = low + mean * span
                    out[at + 1] = np.sqrt(var) * span
        out[:, missing] = np.nan
        return out


#: Quantisation levels of context sums (16 bits: sums of squares over 2 Gpx fit int64).
LEVELS = 65535


def _default_ranges(stack: np.ndarray, radar: bool, n_bands: int
                    ) -> tuple[tuple[float, float], ...]:
    out = []
    for j, layer in enumerate(stack):
        if j >= n_bands and not radar:
            out.append((-1.0, 1.0))
            continue
        finite = layer[np.isfinite(layer)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        out.append((low, high if high > low else low + 1.0))
    return tuple(out)


def _integral(values: np.ndarray) -> np.ndarray:
    """Integral image with a leading row and column of zeros (int64, exact)."""
    out = np.zeros((values.shape[0] + 1, values.shape[1] + 1), np.int64)
    np.cumsum(values, axis=0, out=out[1:, 1:])
    np.cumsum(out[1:, 1:], axis=1, out=out[1:, 1:])
    return out


def _windows(shape: tuple[int, int], radius: int) -> tuple[np.ndarray, ...]:
    h, w = shape
    rows, cols = np.arange(h), np.arange(w)
    return (np.clip(rows - radius, 0, h)[:, None], np.clip(rows + radius + 1, 0, h)[:, None],
            np.clip(cols - radius, 0, w)[None, :], np.clip(cols + radius + 1, 0, w)[None, :])


def _box(integral: np.ndarray, window: tuple[np.ndarray, ...]) -> np.ndarray:
    """Sum over each pixel's window (cut at the edge) from an integral image, exact."""
    y0, y1, x0, x1 = window
    return integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]


def radii_from_text(text: str | Sequence[int]) -> tuple[int, ...]:
    """Context radii from ``"2,8"`` (or a sequence); ``""`` or ``"0"`` means none."""
    if not isinstance(text, str):
        return tuple(int(r) for r in text)
    parts = [p for p in text.replace(" ", "").split(",") if p and p != "0"]
    try:
        return tuple(int(p) for p in parts)
    except ValueError:
        raise InvalidOptionError(f"context radii are whole pixels separated by commas "
                                 f"('2,8'), not {text!r}") from None
