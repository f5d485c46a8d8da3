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

Thresholds that adapt to the scene (``spectral_rules(adaptive=True)``, the default)
-----------------------------------------------------------------------------------
Water, vegetation and forest conditions carry an :class:`Adaptive` search. Before any tile is
segmented, :meth:`RuleSegmenter.fit` computes each such index over the whole region once (a
histogram of 0.005-wide bins over the condition's domain; dask reduces it, so the result is the
same for any chunking) and takes Otsu's threshold (Otsu 1979) when the histogram is clearly
two-moded there: between-class variance at least 60 % of the total, each side at least 2 % of
the domain's pixels, the threshold inside the condition's plausible window, and a real valley
(on the histogram smoothed over 9 bins, each side has its own peak and the lowest count between
them is at most half the lower peak; a skewed single mode passes the variance test but not
this). Otherwise the fixed threshold above is kept. The answer's provenance lists, per class,
the threshold used and where it came from (``otsu`` or ``fallback (...)``).

=============  ====================  ====================  ===============================
condition      domain (histogram)    plausible window      why
=============  ====================  ====================  ===============================
water index    -1 .. 1               -0.35 .. 0.30         land/water valley; mixed shore
                                                           pixels and turbid water sit below
                                                           0 (Xu 2006; Donchyts et al. 2016)
vegetation     -1 .. 1               0.15 .. 0.50          vegetated vs bare/built/water
forest NDVI    0.3 .. 1              0.45 .. 0.80          dense canopy vs crops and grass,
                                                           among the vegetated pixels only
=============  ====================  ====================  ===============================

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
class Adaptive:
    """Where a condition may look for its own threshold in a region's index histogram.

    Attributes
    ----------
    domain : tuple of float
        Index values the histogram covers (values outside are left out), e.g. only the
        vegetated pixels when forest is split from other vegetation.
    window : tuple of float
        Otsu's threshold is accepted only inside this range (index units); otherwise the
        condition keeps its fixed threshold.
    """

    domain: tuple[float, float]
    window: tuple[float, float]


@dataclass(frozen=True)
class Condition:
    """One fuzzy condition: an index above (or below) a threshold.

    Attributes
    ----------
    index : str
        A name in :data:`INDICES`.
    threshold : float
        Where the probability is 0.5 (index units; dB for ``vv``); with ``adaptive``, the
        fallback when the region's histogram gives no accepted threshold.
    softness : float
        Logistic scale (index units): how fast the probability moves from 0 to 1.
    above : bool
        True when the class lies above the threshold.
    adaptive : Adaptive, optional
        Look for the threshold in the region's histogram (:meth:`RuleSegmenter.fit`).
    """

    index: str
    threshold: float
    softness: float
    above: bool = True
    adaptive: Adaptive | None = None

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
    fitted: Mapping[str, tuple[Any, ...]] | None = None
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
        rules = {c: [{k: v for k, v in vars(cond).items() if k != "adaptive"} for cond in conds]
                 for c, conds in self.rules.items()}
        info: dict[str, Any] = {"rules": rules}
        if self.fitted is not None:
            info["thresholds"] = {
                cls: [{"index": cond.index, "threshold": round(cond.threshold, 4),
                       "source": source, **({"otsu": round(result.threshold, 4),
                                            "otsu_separability": round(result.separability, 4)}
                                           if result is not None else {})}
                      for cond, (source, result) in zip(self.rules[cls], found, strict=True)]
                for cls, found in self.fitted.items()}
        return info

    def fit(self, cube: Any) -> RuleSegmenter:
        """Thresholds from the region's index histograms for the adaptive conditions.

        Reads the cube once per adaptive index (a histogram; dask cubes are reduced by dask),
        eagerly: thresholds must be known before any tile is segmented, so that every tile
        uses the same ones. Conditions without :class:`Adaptive`, and a segmenter fitted
        already, are returned as they are (fit the unfitted segmenter again for another
        region).

        Returns
        -------
        RuleSegmenter
            With accepted thresholds in place and ``fitted`` recording, per class and
            condition, where each threshold came from.
        """
        from geoquant.segment._bands import band_names

        if self.fitted is not None or not any(c.adaptive for cs in self.rules.values()
                                              for c in cs):
            return self
        names = band_names(cube)
        positions = dict(zip(self.bands, band_indices(names, self.bands, who=self.name),
                             strict=True))
        histograms: dict[tuple[str, tuple[float, float]], Any] = {}
        rules, fitted = {}, {}
        for cls, conds in self.rules.items():
            new_conds, found = [], []
            for cond in conds:
                if cond.adaptive is None:
                    new_conds.append(cond)
                    found.append(("fixed", None))
                    continue
                key = (cond.index, cond.adaptive.domain)
                if key not in histograms:
                    histograms[key] = index_histogram(cube, cond.index, positions,
                                                      cond.adaptive.domain)
                result = otsu(*histograms[key], plausible=cond.adaptive.window,
                              fallback=cond.threshold, max_valley=MAX_VALLEY)
                if result.accepted:
                    new_conds.append(replace(cond, threshold=result.threshold))
                    found.append(("otsu", result))
                else:
                    found.append((f"fallback ({result.reason})", result))
                    new_conds.append(cond)
            rules[cls], fitted[cls] = tuple(new_conds), tuple(found)
        return replace(self, rules=rules, fitted=fitted)

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


WATER_SEARCH = Adaptive(domain=(-1.0, 1.0), window=(-0.35, 0.30))
VEGETATION_SEARCH = Adaptive(domain=(-1.0, 1.0), window=(0.15, 0.50))
FOREST_SEARCH = Adaptive(domain=(0.3, 1.0), window=(0.45, 0.80))


def spectral_rules(*, index: str = "mndwi", classes: Sequence[str] | None = None,
                   adaptive: bool = True) -> RuleSegmenter:
    """The default optical rule segmenter (see the module docstring for every threshold).

    Parameters
    ----------
    index : {"mndwi", "ndwi"}
        Water index: MNDWI needs SWIR (Sentinel-2, Landsat); NDWI needs only green and NIR.
    classes : sequence of str, optional
        A subset of water, vegetation, forest, built-up and bare (default: all).
    adaptive : bool
        Let water, vegetation and forest find their thresholds in the region's histograms
        (:meth:`RuleSegmenter.fit`, run by :func:`geoquant.segment.apply`), keeping the fixed
        ones as fallbacks; ``False`` uses the fixed thresholds only.

    Returns
    -------
    RuleSegmenter
    """
    if index not in ("mndwi", "ndwi"):
        raise InvalidOptionError(f"water index must be 'mndwi' or 'ndwi', not {index!r}")
    water, vegetation, forest = ((WATER_SEARCH, VEGETATION_SEARCH, FOREST_SEARCH) if adaptive
                                 else (None, None, None))
    rules = {
        "water": (Condition(index, 0.0, 0.05, adaptive=water),),
        "vegetation": (Condition("ndvi", 0.3, 0.05, adaptive=vegetation),),
        "forest": (Condition("ndvi", 0.6, 0.05, adaptive=forest),
                   Condition("ndmi", 0.3, 0.04)),
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
        Otsu's threshold (dB for backscatter; index units for spectral indices, see
        :attr:`threshold`).
    separability : float
        Between-class variance over total variance at the threshold (0..1).
    low_fraction : float
        Share of pixels below the threshold.
    accepted : bool
        Whether the threshold passed the checks (see module docstring).
    reason : str
        Why it was refused (empty when accepted).
    """

    threshold_db: float
    separability: float
    low_fraction: float
    accepted: bool
    reason: str = ""

    @property
    def threshold(self) -> float:
        """Otsu's threshold in the histogram's units."""
        return self.threshold_db


MIN_SEPARABILITY = 0.6
MIN_SIDE = 0.02
VALLEY_SMOOTH = 9
MAX_VALLEY = 0.5


def _peaks(counts: np.ndarray, k: int) -> tuple[np.ndarray, int, int]:
    """The smoothed histogram and the bins of its highest peak either side of edge ``k + 1``."""
    smooth = np.convolve(counts, np.ones(VALLEY_SMOOTH) / VALLEY_SMOOTH, mode="same")
    i = int(np.argmax(smooth[:k + 1]))
    j = k + 1 + int(np.argmax(smooth[k + 1:])) if k + 1 < smooth.size else i
    return smooth, i, j


def _valley(counts: np.ndarray, k: int) -> float:
    """The lowest smoothed count between the peaks either side of bin edge ``k + 1``, as a
    fraction of the lower peak (1.0: no valley, a single mode)."""
    smooth, i, j = _peaks(counts, k)
    peak = min(smooth[i], smooth[j])
    return float(smooth[i:j + 1].min() / peak) if peak > 0 and j > i else 1.0


def otsu(counts: np.ndarray, edges: np.ndarray, *,
         plausible: tuple[float, float] = PLAUSIBLE_DB,
         fallback: float = FALLBACK_THRESHOLD_DB,
         max_valley: float | None = None) -> OtsuResult:
    """Otsu's threshold of a histogram (Otsu 1979), with its acceptance checks.

    Parameters
    ----------
    counts, edges : numpy.ndarray
        A histogram (``edges`` one longer than ``counts``).
    plausible : tuple of float
        The threshold is accepted only inside this range (default: SAR water, dB).
    fallback : float
        The threshold reported when the histogram is empty.
    max_valley : float, optional
        Also require a real valley: on the histogram smoothed over :data:`VALLEY_SMOOTH`
        bins, each side of the threshold has its own peak and the lowest count between them
        is at most this fraction of the lower peak. A skewed single mode passes the
        separability test (a normal split at its mean scores 0.64) but not this one.
    """
    counts = np.asarray(counts, dtype=np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    total = counts.sum()
    if total == 0:
        return OtsuResult(fallback, 0.0, 0.0, False, "no valid pixels")
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
    if separability < MIN_SEPARABILITY:
        reason = f"histogram not two-moded (separability {separability:.2f})"
    elif not MIN_SIDE <= low <= 1 - MIN_SIDE:
        reason = f"one side holds {min(low, 1 - low):.1%} of the pixels"
    elif not plausible[0] <= threshold <= plausible[1]:
        reason = f"threshold {threshold:.3g} outside {plausible[0]:g}..{plausible[1]:g}"
    elif max_valley is not None and _valley(counts, k) > max_valley:
        reason = f"no valley between two modes (depth ratio {_valley(counts, k):.2f})"
    else:
        reason = ""
    return OtsuResult(threshold, separability, low, not reason, reason)


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
    """Counts of VV values (dB) in fixed bins, NaN left out; exact for any chunking.

    Values are clipped into the range first, so the end bins also count what lies beyond.
    """
    xp = _array_namespace(data)
    return _binned(xp.clip(data, *HIST_RANGE_DB), HIST_RANGE_DB, HIST_BIN_DB)


INDEX_BIN = 0.005


def index_histogram(cube: Any, index: str, positions: Mapping[str, int],
                    domain: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Counts of a spectral index over a cube in ``INDEX_BIN`` bins over ``domain``.

    Values outside the domain and NaN are left out; dask cubes are reduced by dask, so the
    counts are exact for any chunking.
    """
    names, formula = INDICES[index]
    bands = [cube.isel(band=positions[b]).data for b in names]
    with np.errstate(divide="ignore", invalid="ignore"):
        values = formula(*(b.astype(np.float32) for b in bands))
    return _binned(values, domain, INDEX_BIN)


def _array_namespace(data: Any) -> Any:
    if hasattr(data, "dask"):
        import dask.array as da

        return da
    return array_module(data)


def _binned(values: Any, span: tuple[float, float], step: float
            ) -> tuple[np.ndarray, np.ndarray]:
    """Counts of ``values`` in bins of ``step`` over ``span`` (NaN and values outside left
    out) and the bin edges; dask arrays are reduced by dask, CuPy ones on the device."""
    edges = np.round(np.arange(span[0], span[1] + step / 2, step), 6)
    # Equal bins given as (count, range) take NumPy's direct-index path, not a binary search.
    bins, bounds = len(edges) - 1, (float(edges[0]), float(edges[-1]))
    counts, _ = _array_namespace(values).histogram(values, bins=bins, range=bounds)
    if hasattr(counts, "dask"):
        counts = counts.compute()
    return _host(counts), edges


def _host(array: Any) -> np.ndarray:
    """A NumPy copy of a NumPy or CuPy array."""
    return array.get() if hasattr(array, "get") else np.asarray(array)
