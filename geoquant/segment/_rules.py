"""Rule segmenters: spectral indices and SAR backscatter thresholds, no training needed.

Each class is a fuzzy AND of conditions on an index: the probability of one condition is a
logistic function of the index around its threshold, ``1 / (1 + exp(-(index - t) / s))`` for
"above" (and the mirror for "below"), so a pixel at the threshold scores 0.5 and one a softness
``s`` beyond it about 0.73. Probabilities, not hard masks, let answers carry ranges: thresholding
at 0.3 or 0.7 instead of 0.5 moves each threshold by about ``0.85 s``.

Indices (bands by STAC common name)
-----------------------------------
=========  ==========================================  ===========================================
index      formula                                     reference
=========  ==========================================  ===========================================
``ndvi``   (nir - red) / (nir + red)                   Rouse et al. 1974; Tucker 1979
``mndwi``  (green - swir16) / (green + swir16)         Xu 2006, Int. J. Remote Sens. 27(14)
``ndwi``   (green - nir) / (green + nir)               McFeeters 1996, Int. J. Remote Sens. 17(7)
``ndbi``   (swir16 - nir) / (swir16 + nir)             Zha et al. 2003, Int. J. Remote Sens. 24(3)
``ndmi``   (nir - swir16) / (nir + swir16)             Gao 1996; Wilson & Sader 2002 (forest)
``bsi``    ((swir16 + red) - (nir + blue)) /           Rikimaru et al. 2002, Trop. For. Update
           ((swir16 + red) + (nir + blue))
``vv``     VV backscatter, dB                          Sentinel-1 open water: specular, dark
=========  ==========================================  ===========================================

Default rules (:func:`spectral_rules`; thresholds ``t`` and softness ``s``)
-------------------------------------------------------------------------
=============  ============================================================================
class          conditions
=============  ============================================================================
water          mndwi > 0.0 (s 0.05); ``index="ndwi"`` for sensors without SWIR: ndwi > 0.0
vegetation     ndvi > 0.3 (s 0.05)
forest         ndvi > 0.6 (s 0.05) and ndmi > 0.3 (s 0.04): dense canopy is moister than
               crops and grass at the same greenness (Wilson & Sader 2002)
built-up       ndbi > 0.0 (s 0.05) and ndvi < 0.3 (s 0.05)
bare           bsi > 0.1 (s 0.05) and ndvi < 0.2 (s 0.05)
=============  ============================================================================

SAR open water (:class:`SarWater`): VV < threshold dB (s 1 dB). The threshold is Otsu's over the
region's VV histogram (0.1 dB bins from -35 to +5 dB, computed once over the whole region by
:meth:`SarWater.fit`, so every tile uses the same threshold and results do not depend on the
tiling), accepted only when the histogram is clearly two-moded (Otsu's between-class variance
at least 60 % of the total, both modes at least 2 % of pixels, threshold within -24..-12 dB);
otherwise the fixed -18 dB of the literature's C-band range (e.g. Twele et al. 2016, -15..-20).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.errors import BandError, InvalidOptionError
from geoquant.segment._bands import band_indices
from geoquant.segment._vocabulary import CLASS_NAMES, canonical_class


def _nd(a, b):
    return (a - b) / (a + b)


#: Index name -> (bands it reads, formula over those bands in order).
INDICES: Mapping[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "ndvi": (("nir", "red"), _nd),
    "mndwi": (("green", "swir16"), _nd),
    "ndwi": (("green", "nir"), _nd),
    "ndbi": (("swir16", "nir"), _nd),
    "ndmi": (("nir", "swir16"), _nd),
    "bsi": (("swir16", "red", "nir", "blue"), lambda s, r, n, b: _nd(s + r, n + b)),
    "vv": (("vv",), lambda v: v),
}
# How the CPU kernel combines each index's bands (see _rule_kernel).
_KERNEL_KIND = {"vv": 0, "bsi": 2}


@dataclass(frozen=True)
class Condition:
    """One fuzzy condition: an index above (or below) a threshold.

    Attributes
    ----------
    index : str
        A name in :data:`INDICES`.
    threshold : float
        Where the probability is 0.5 (index units; dB for ``vv``).
    softness : float
        Logistic scale (index units): how fast the probability moves from 0 to 1.
    above : bool
        True when the class lies above the threshold.
    """

    index: str
    threshold: float
    softness: float
    above: bool = True

    def probability(self, value: Any) -> Any:
        xp = array_module(value)
        z = (value - self.threshold) / self.softness
        if not self.above:
            z = -z
        return (1.0 / (1.0 + xp.exp(-xp.clip(z, -60.0, 60.0)))).astype(np.float32)


@dataclass(frozen=True)
class RuleSegmenter:
    """Classes defined by conditions on spectral indices or backscatter.

    Parameters
    ----------
    rules : mapping of str to tuple of Condition
        Class (vocabulary word) -> conditions that must all hold.
    name : str
        For provenance and messages.
    """

    rules: Mapping[str, tuple[Condition, ...]]
    name: str = "spectral rules"
    version: str = "1"
    halo: int = 0
    stride: int = 1
    exclusive: bool = False
    classes: tuple[str, ...] = field(init=False)
    bands: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        rules = {canonical_class(c): tuple(conds) for c, conds in self.rules.items()}
        for conds in rules.values():
            for cond in conds:
                if cond.index not in INDICES:
                    raise InvalidOptionError(f"unknown index {cond.index!r}: known indices are "
                                             f"{', '.join(INDICES)}")
                if cond.softness <= 0:
                    raise InvalidOptionError(f"softness must be > 0, not {cond.softness}")
        order = sorted(rules, key=CLASS_NAMES.index)
        object.__setattr__(self, "rules", {c: rules[c] for c in order})
        object.__setattr__(self, "classes", tuple(order))
        needed: list[str] = []
        for conds in rules.values():
            for cond in conds:
                needed.extend(b for b in INDICES[cond.index][0] if b not in needed)
        object.__setattr__(self, "bands", tuple(needed))

    def parameters(self) -> dict[str, Any]:
        return {"rules": {c: [vars(cond) for cond in conds] for c, conds in self.rules.items()}}

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        positions = band_indices(bands, self.bands, who=self.name)
        xp = array_module(tile)
        if xp is np:
            return self._predict_numpy(np.asarray(tile), positions)
        return self._predict_arrays(xp, tile, positions)

    def _program(self) -> tuple[np.ndarray, ...]:
        """The rules as flat arrays for the CPU kernel (one row per condition)."""
        rows = [(k, cond) for k, cls in enumerate(self.classes) for cond in self.rules[cls]]
        operands = np.zeros((len(rows), 4), dtype=np.int64)
        for r, (_, cond) in enumerate(rows):
            names = INDICES[cond.index][0]
            operands[r, :len(names)] = [self.bands.index(b) for b in names]
        return (np.array([k for k, _ in rows], dtype=np.int64),
                np.array([_KERNEL_KIND.get(c.index, 1) for _, c in rows], dtype=np.int64),
                operands,
                np.array([c.threshold for _, c in rows], dtype=np.float64),
                np.array([(1.0 if c.above else -1.0) / c.softness for _, c in rows]))

    def _predict_numpy(self, tile: np.ndarray, positions: list[int]) -> np.ndarray:
        from geoquant.segment._rule_kernel import evaluate_rules

        out = np.empty((len(self.classes), *tile.shape[1:]), dtype=np.float32)
        evaluate_rules(tile, np.asarray(positions, dtype=np.int64), *self._program(), out)
        return out

    def _predict_arrays(self, xp: Any, tile: Any, positions: list[int]) -> Any:
        """Array expressions for CuPy (and any NumPy-like module)."""
        values = {b: tile[i].astype(np.float32) for b, i in zip(self.bands, positions,
                                                                 strict=True)}
        indices: dict[str, Any] = {}
        out = xp.empty((len(self.classes), *tile.shape[1:]), dtype=np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            for k, cls in enumerate(self.classes):
                prob = xp.ones(tile.shape[1:], dtype=np.float32)
                for cond in self.rules[cls]:
                    if cond.index not in indices:
                        names, formula = INDICES[cond.index]
                        indices[cond.index] = formula(*(values[b] for b in names))
                    prob = prob * cond.probability(indices[cond.index])
                out[k] = prob
        missing = xp.zeros(tile.shape[1:], dtype=bool)
        for v in values.values():
            missing |= ~xp.isfinite(v)
        out[:, missing] = np.nan
        return out


def spectral_rules(*, index: str = "mndwi",
                   classes: Sequence[str] | None = None) -> RuleSegmenter:
    """The default optical rule segmenter (see the module docstring for every threshold).

    Parameters
    ----------
    index : {"mndwi", "ndwi"}
        Water index: MNDWI needs SWIR (Sentinel-2, Landsat); NDWI needs only green and NIR.
    classes : sequence of str, optional
        A subset of water, vegetation, forest, built-up and bare (default: all).

    Returns
    -------
    RuleSegmenter
    """
    if index not in ("mndwi", "ndwi"):
        raise InvalidOptionError(f"water index must be 'mndwi' or 'ndwi', not {index!r}")
    rules = {
        "water": (Condition(index, 0.0, 0.05),),
        "vegetation": (Condition("ndvi", 0.3, 0.05),),
        "forest": (Condition("ndvi", 0.6, 0.05), Condition("ndmi", 0.3, 0.04)),
        "built-up": (Condition("ndbi", 0.0, 0.05), Condition("ndvi", 0.3, 0.05, above=False)),
        "bare": (Condition("bsi", 0.1, 0.05), Condition("ndvi", 0.2, 0.05, above=False)),
    }
    if classes is not None:
        wanted = [canonical_class(c) for c in classes]
        unknown = [c for c in wanted if c not in rules]
        if unknown:
            raise InvalidOptionError(f"no spectral rule for {', '.join(unknown)}: rules exist "
                                     f"for {', '.join(rules)}")
        rules = {c: rules[c] for c in wanted}
    name = "spectral rules" if index == "mndwi" else "spectral rules (NDWI water)"
    return RuleSegmenter(rules, name=name)


# -- SAR --------------------------------------------------------------------------------------
HIST_RANGE_DB = (-35.0, 5.0)
HIST_BIN_DB = 0.1
FALLBACK_THRESHOLD_DB = -18.0
LINEAR_UNITS = ("linear", "linear power", "power")
_LINEAR_MESSAGE = ("SarWater reads VV backscatter in dB, but the cube holds {units}: load it "
                   "with geoquant.sources.load(..., sar_units='db') or convert it with "
                   "10 * log10(vv)")
PLAUSIBLE_DB = (-24.0, -12.0)


@dataclass(frozen=True)
class OtsuResult:
    """An Otsu threshold and whether the histogram supports it.

    Attributes
    ----------
    threshold_db : float
        Otsu's threshold (dB).
    separability : float
        Between-class variance over total variance at the threshold (0..1).
    low_fraction : float
        Share of pixels below the threshold.
    accepted : bool
        Whether the threshold passed the checks (see module docstring).
    """

    threshold_db: float
    separability: float
    low_fraction: float
    accepted: bool


def otsu(counts: np.ndarray, edges: np.ndarray) -> OtsuResult:
    """Otsu's threshold of a histogram (Otsu 1979), with its acceptance checks."""
    counts = np.asarray(counts, dtype=np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    total = counts.sum()
    if total == 0:
        return OtsuResult(FALLBACK_THRESHOLD_DB, 0.0, 0.0, False)
    weight = np.cumsum(counts) / total
    mean = np.cumsum(counts * centres) / total
    mean_all = mean[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * weight - mean) ** 2 / (weight * (1 - weight))
    between = np.nan_to_num(between[:-1], nan=0.0, posinf=0.0)
    k = int(np.argmax(between))
    variance = (counts * (centres - mean_all) ** 2).sum() / total
    separability = float(between[k] / variance) if variance > 0 else 0.0
    threshold = float(edges[k + 1])
    low = float(weight[k])
    accepted = (separability >= 0.6 and 0.02 <= low <= 0.98
                and PLAUSIBLE_DB[0] <= threshold <= PLAUSIBLE_DB[1])
    return OtsuResult(threshold, separability, low, accepted)


@dataclass(frozen=True)
class SarWater:
    """Open water from Sentinel-1 VV backscatter in dB.

    Parameters
    ----------
    threshold_db : float, optional
        A fixed threshold (dB). ``None`` (the default) asks :meth:`fit` for Otsu's threshold
        over the region; an unfitted segmenter uses the fallback -18 dB.
    softness_db : float
        Logistic scale of the probability (dB).
    otsu : OtsuResult, optional
        Set by :meth:`fit`.
    """

    threshold_db: float | None = None
    softness_db: float = 1.0
    otsu: OtsuResult | None = None
    name: str = "SAR open water (VV)"
    classes: tuple[str, ...] = ("water",)
    bands: tuple[str, ...] = ("vv",)
    halo: int = 0
    stride: int = 1
    exclusive: bool = False

    @property
    def version(self) -> str:
        return f"1 ({self.threshold:.2f} dB)"

    @property
    def threshold(self) -> float:
        """The threshold in use (dB): fixed, fitted, or the fallback."""
        if self.threshold_db is not None:
            return float(self.threshold_db)
        if self.otsu is not None and self.otsu.accepted:
            return self.otsu.threshold_db
        return FALLBACK_THRESHOLD_DB

    @property
    def threshold_source(self) -> str:
        if self.threshold_db is not None:
            return "fixed"
        if self.otsu is None:
            return "fallback (not fitted)"
        return "otsu" if self.otsu.accepted else "fallback (histogram not two-moded)"

    def parameters(self) -> dict[str, Any]:
        info: dict[str, Any] = {"threshold_db": self.threshold,
                                "threshold_source": self.threshold_source}
        if self.otsu is not None:
            info.update(otsu_threshold_db=self.otsu.threshold_db,
                        otsu_separability=round(self.otsu.separability, 4))
        return info

    def fit(self, cube: Any) -> SarWater:
        """Otsu's threshold over the VV band of a whole cube.

        This reads the cube once (a histogram; dask cubes are reduced by dask), eagerly: the
        threshold must be known before any tile is segmented. Returns a new segmenter; a fixed
        ``threshold_db``, or a segmenter fitted already, skips the pass (fit ``SarWater()``
        again for another region).

        Raises
        ------
        BandError
            When the cube holds linear power rather than dB (its ``units`` attribute, or values
            that all lie in 0..5).
        """
        from geoquant.segment._bands import band_names

        if str(cube.attrs.get("units", "")).lower() in LINEAR_UNITS:
            raise BandError(_LINEAR_MESSAGE.format(units=cube.attrs["units"]))
        if self.threshold_db is not None or self.otsu is not None:
            return self   # fixed, or fitted already: apply() does not read the cube again
        (vv,) = band_indices(band_names(cube), self.bands, who=self.name)
        data = cube.isel(band=vv).data if "band" in cube.dims else cube.data
        counts, edges = vv_histogram(data)
        total = counts.sum()
        if total and counts[edges[:-1] >= 0].sum() > 0.99 * total:
            raise BandError(_LINEAR_MESSAGE.format(units="values in 0..5, like linear power"))
        return replace(self, otsu=otsu(counts, edges))

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        xp = array_module(tile)
        (vv,) = band_indices(bands, self.bands, who=self.name)
        value = tile[vv].astype(np.float32)
        prob = Condition("vv", self.threshold, self.softness_db, above=False).probability(value)
        prob[~xp.isfinite(value)] = np.nan
        return prob[None]


def vv_histogram(data: Any) -> tuple[np.ndarray, np.ndarray]:
    """Counts of VV values (dB) in fixed bins, NaN left out; exact for any chunking."""
    edges = np.round(np.arange(HIST_RANGE_DB[0], HIST_RANGE_DB[1] + HIST_BIN_DB / 2,
                               HIST_BIN_DB), 6)
    # Equal bins given as (count, range) take NumPy's direct-index path, not a binary search.
    # Values are clipped into the range first; NaN falls in no bin, so nodata is left out.
    bins, span = len(edges) - 1, (float(edges[0]), float(edges[-1]))
    if hasattr(data, "dask"):
        import dask.array as da

        counts, _ = da.histogram(da.clip(data, *span), bins=bins, range=span)
        return _host(counts.compute()), edges
    xp = array_module(data)
    counts, _ = xp.histogram(xp.clip(data, *span), bins=bins, range=span)
    return _host(counts), edges


def _host(array: Any) -> np.ndarray:
    """A NumPy copy of a NumPy or CuPy array."""
    return array.get() if hasattr(array, "get") else np.asarray(array)
