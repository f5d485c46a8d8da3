"""Per-pixel temporal features: what a pixel's year looks like, for land-cover classifiers.

Cropland, grassland and forest differ by their seasonal course more than by any one date:
crops are bare, green up late and are harvested; grass is green early and mown; forest stays
green. A :class:`FeatureSpec` turns a ``(time, band, y, x)`` cube and its clear-sky mask into one
layer per feature, ``(band=feature, y, x)``, computed pixel by pixel (halo 0, so any chunking
gives the same layers).

Features of each *series* (NDVI by default: the cube's ``ndvi`` band, else computed from its
red and NIR bands), over the clear observations only:

===================  ==========================================================================
name                 meaning
===================  ==========================================================================
``<s>_q10 .. q90``   quantiles 10, 25, 50, 75, 90 of the series
``<s>_mean, _std``   mean and standard deviation
``<s>_amplitude``    q90 - q10: how much the pixel changes over the year
``<s>_winter ..``    median per quarter of the year by day of year (winter = Jan-Mar, spring,
                     summer, autumn); NaN when a quarter has no clear view
``<s>_peak_doy``     day of year of the highest value
``<s>_greenup_doy``  first day of year (all years pooled) at which the series reaches halfway
                     from q10 to q90: the timing of green-up
===================  ==========================================================================

Each other band listed in ``bands`` adds its median, q10 and q90 (``B04_median`` ...), over the
clear dates where that band has a value: bands may be observed on fewer dates than the series
(a few full-band scenes beside a dense NDVI series).

With ``context_px = r > 0``, the main features (each series' q10, q50, q90, amplitude and
standard deviation; each band's median) also get their spatial context over the
``(2r + 1)``-pixel square around the pixel: the window's mean (``ndvi_q50_ctx1_mean``), its
standard deviation (``_ctx1_sd``: texture, high in mixed built-up and shrub mosaics) and the
pixel's departure from the mean (``_ctx1_dev``: edges, small patches). Windows skip NaN pixels
and are cut at the raster's edge; they are summed in a fixed order, so any chunking gives the
same layers (the dask path reads an ``r``-pixel halo).

Last, ``clear_count`` is the number of clear observations of the series (of the bands when
there is no series). A pixel with fewer than ``min_clear`` of them gets NaN features, and
classifiers leave it as no data.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant.errors import BandError, InvalidOptionError
from geoquant.segment._window import window_sum

QUANTILES = (10, 25, 50, 75, 90)
SEASONS = (("winter", 1, 90), ("spring", 91, 181), ("summer", 182, 273), ("autumn", 274, 366))
SERIES_STATS = (*(f"q{q}" for q in QUANTILES), "mean", "std", "amplitude",
                *(name for name, _, _ in SEASONS), "peak_doy", "greenup_doy")
BAND_STATS = ("median", "q10", "q90")
SERIES_CONTEXT = ("q10", "q50", "q90", "amplitude", "std")
BAND_CONTEXT = ("median",)
CONTEXT_STATS = ("mean", "sd", "dev")
MAX_CONTEXT = 8


@dataclass(frozen=True)
class FeatureSpec:
    """Which temporal features to compute.

    Attributes
    ----------
    series : tuple of str
        Variables described by their seasonal course: ``"ndvi"`` (the cube's ``ndvi`` band,
        or computed from ``red`` and ``nir``) and/or names of the cube's bands.
    bands : tuple of str
        Bands summarised by median, q10 and q90 only.
    min_clear : int
        Clear observations a pixel needs; fewer gives NaN features (no data).
    context_px : int
        Radius in pixels of the square window whose mean, standard deviation and the
        pixel's departure from that mean are added for the main features (0: none). 1 or 2
        at 10 m helps tell built-up and shrubland from their surroundings.
    """

    series: tuple[str, ...] = ("ndvi",)
    bands: tuple[str, ...] = ()
    min_clear: int = 3
    context_px: int = 0

    def __post_init__(self) -> None:
        if not self.series and not self.bands:
            raise InvalidOptionError("a FeatureSpec needs at least one series or band")
        if int(self.min_clear) < 1:
            raise InvalidOptionError(f"min_clear must be >= 1, not {self.min_clear}")
        if int(self.context_px) != self.context_px or not 0 <= self.context_px <= MAX_CONTEXT:
            raise InvalidOptionError(f"context_px must be a whole number of pixels from 0 to "
                                     f"{MAX_CONTEXT}, not {self.context_px!r}")

    @property
    def pixel_names(self) -> tuple[str, ...]:
        """The per-pixel features (without context and ``clear_count``), in layer order."""
        out = [f"{s}_{stat}" for s in self.series for stat in SERIES_STATS]
        out += [f"{b}_{stat}" for b in self.bands for stat in BAND_STATS]
        return tuple(out)

    @property
    def context_of(self) -> tuple[str, ...]:
        """The per-pixel features whose spatial context is added (none without context)."""
        if not self.context_px:
            return ()
        return (*(f"{s}_{stat}" for s in self.series for stat in SERIES_CONTEXT),
                *(f"{b}_{stat}" for b in self.bands for stat in BAND_CONTEXT))

    @property
    def names(self) -> tuple[str, ...]:
        """The feature names, in the order of the layers."""
        context = [f"{name}_ctx{self.context_px}_{stat}" for name in self.context_of
                   for stat in CONTEXT_STATS]
        return (*self.pixel_names, *context, "clear_count")

    def to_json(self) -> dict[str, Any]:
        return {"series": list(self.series), "bands": list(self.bands),
                "min_clear": int(self.min_clear), "context_px": int(self.context_px)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpec:
        return cls(tuple(data["series"]), tuple(data.get("bands", ())),
                   int(data.get("min_clear", 3)), int(data.get("context_px", 0)))


def temporal_features(cube: Any, *, clear: Any = None,
                      spec: FeatureSpec | None = None) -> Any:
    """Per-pixel temporal features of a time series cube.

    Parameters
    ----------
    cube : xarray.DataArray
        ``(time, band, y, x)`` with a ``time`` coordinate of dates; NaN marks missing data.
    clear : xarray.DataArray of bool, optional
        ``(time, y, x)``: True where the ground is seen clearly
        (:func:`geoquant.sources.clear_mask`, :func:`geoquant.sources.detect_clouds`).
        Matched to the cube's time steps by position. Without it every finite value counts.
    spec : FeatureSpec, optional
        Default: NDVI's seasonal course, at least 3 clear observations.

    Returns
    -------
    xarray.DataArray
        ``(band, y, x)`` float32, one band per feature (:attr:`FeatureSpec.names`), lazy when
        the cube is dask-backed, with the cube's CRS; NaN where a pixel has fewer than
        ``min_clear`` clear observations.

    Raises
    ------
    InvalidOptionError
        No ``time`` dimension, fewer dates than ``min_clear``, or a clear mask that does not
        match the cube.
    BandError
        A series or band the cube lacks.
    """
    import dask.array as da
    import xarray as xr

    from geoquant.segment._bands import band_names

    spec = spec or FeatureSpec()
    if tuple(cube.dims) != ("time", "band", "y", "x"):
        raise InvalidOptionError(
            f"temporal features need a (time, band, y, x) cube, not {tuple(cube.dims)}: load "
            "the whole season or year of observations, not a composite")
    steps = cube.sizes["time"]
    if steps < spec.min_clear:
        raise InvalidOptionError(
            f"too few observations: temporal features need at least {spec.min_clear} clear "
            f"dates per pixel and the cube has {steps} date(s); load a longer time range")
    names = band_names(cube)
    pick = _band_picks(names, spec)
    data = cube.data
    if clear is not None:
        wanted = (steps, cube.sizes["y"], cube.sizes["x"])
        if tuple(clear.dims) != ("time", "y", "x") or clear.shape != wanted:
            raise InvalidOptionError(f"the clear mask must be (time, y, x) with sizes {wanted}, "
                                     f"not {tuple(clear.dims)} {clear.shape}")
        mask = clear.data
    else:
        mask = None
    doy = _day_of_year(cube["time"].values)
    count = len(spec.pixel_names) + 1
    if hasattr(data, "dask") or (mask is not None and hasattr(mask, "dask")):
        data = da.asarray(data).rechunk({0: -1, 1: -1})
        if mask is None:
            out = data.map_blocks(_features_block, doy=doy, pick=pick, spec=spec,
                                  dtype=np.float32, chunks=((count,), *data.chunks[2:]),
                                  drop_axis=0)
        else:
            mask = da.asarray(mask).rechunk((-1, data.chunks[2], data.chunks[3]))
            out = da.map_blocks(_features_block, data, mask[:, None], doy=doy, pick=pick,
                                spec=spec, dtype=np.float32,
                                chunks=((count,), *data.chunks[2:]), drop_axis=0)
        if spec.context_px:
            r = int(spec.context_px)
            haloed = da.overlap.overlap(out, depth={0: 0, 1: r, 2: r},
                                        boundary={0: "none", 1: np.nan, 2: np.nan})
            out = haloed.map_blocks(_with_context, spec=spec, trim=r, dtype=np.float32,
                                    chunks=((len(spec.names),), *out.chunks[1:]))
    else:
        out = _features_block(np.asarray(data), None if mask is None else
                              np.asarray(mask)[:, None], doy=doy, pick=pick, spec=spec)
        out = _with_context(out, spec=spec)
    coords = {k: v for k, v in cube.coords.items() if set(v.dims) <= {"y", "x"}}
    layers = xr.DataArray(out, dims=("band", "y", "x"),
                          coords={**coords, "band": list(spec.names)},
                          attrs={"long_name": "temporal features",
                                 "features_of": [str(t)[:10] for t in cube["time"].values]})
    crs = cube.rio.crs
    return layers.rio.write_crs(crs, inplace=True) if crs is not None else layers


def _band_picks(names: Sequence[str], spec: FeatureSpec) -> dict[str, tuple[int, ...]]:
    """Band positions each series or band reads (NDVI: itself, or red and NIR)."""
    from geoquant.segment._bands import band_indices

    picks: dict[str, tuple[int, ...]] = {}
    lowered = [str(n).lower() for n in names]
    for variable in (*spec.series, *spec.bands):
        if variable.lower() in lowered:
            picks[variable] = (lowered.index(variable.lower()),)
        elif variable.lower() == "ndvi":
            try:
                picks[variable] = tuple(band_indices(names, ("red", "nir"), who="NDVI"))
            except BandError:
                raise BandError(f"the cube has no ndvi band and no red and NIR bands to compute "
                                f"it from (bands: {', '.join(map(str, names))})") from None
        else:
            picks[variable] = tuple(band_indices(names, (variable,), who="temporal features"))
    return picks


def _day_of_year(times: np.ndarray) -> np.ndarray:
    try:
        days = np.asarray(times, dtype="datetime64[D]")
    except (TypeError, ValueError):
        raise InvalidOptionError("the cube's time coordinate must hold dates") from None
    years = days.astype("datetime64[Y]")
    return (days - years).astype(np.int64) + 1


def _features_block(values: np.ndarray, clear: np.ndarray | None = None, *,
                    doy: np.ndarray, pick: dict[str, tuple[int, ...]],
                    spec: FeatureSpec) -> np.ndarray:
    """Features of one spatial block: ``values`` (time, band, y, x), ``clear`` (time, 1, y, x)."""
    values = np.asarray(values, dtype=np.float32)
    ok = np.ones(values.shape[:1] + values.shape[2:], dtype=bool)
    if clear is not None:
        ok &= np.asarray(clear, dtype=bool)[:, 0]
    series = {}
    for variable, at in pick.items():
        if len(at) == 2:
            red, nir = values[:, at[0]], values[:, at[1]]
            with np.errstate(divide="ignore", invalid="ignore"):
                series[variable] = (nir - red) / (nir + red)
        else:
            series[variable] = values[:, at[0]]
    # A date counts for the series where every series variable is finite there; a band
    # summary uses the clear dates where that band is finite, so bands observed on fewer dates
    # (another sensor, a few full-band scenes beside a dense NDVI series) still add features.
    counted = spec.series or spec.bands
    seen = ok.copy()
    for variable in counted:
        seen &= np.isfinite(series[variable])
    count = seen.sum(axis=0)
    layers: list[np.ndarray] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN pixels and quarters
        for variable in spec.series:
            v = np.where(seen, series[variable], np.nan)
            q = np.nanpercentile(v, QUANTILES, axis=0)
            layers += list(q)
            layers += [np.nanmean(v, axis=0), np.nanstd(v, axis=0), q[-1] - q[0]]
            for _, first, last in SEASONS:
                in_season = (doy >= first) & (doy <= last)
                layers.append(np.nanmedian(v[in_season], axis=0) if in_season.any()
                              else np.full(v.shape[1:], np.nan))
            peak = np.nanargmax(np.where(np.isnan(v), -np.inf, v), axis=0)
            layers.append(doy[peak].astype(np.float32))
            layers.append(_greenup(v, doy, (q[0] + q[-1]) / 2))
        for band in spec.bands:
            v = np.where(ok & np.isfinite(series[band]), series[band], np.nan)
            layers += [np.nanmedian(v, axis=0), *np.nanpercentile(v, (10, 90), axis=0)]
    out = np.stack([*layers, count.astype(np.float32)]).astype(np.float32)
    out[:-1, count < spec.min_clear] = np.nan
    return out


def _with_context(layers: np.ndarray, *, spec: FeatureSpec, trim: int = 0) -> np.ndarray:
    """The per-pixel layers with the context layers of ``spec`` inserted before the count.

    A block may carry a halo of ``trim`` pixels (NaN beyond the raster), cut off the result;
    :func:`~geoquant.segment._window.window_sum` makes a pixel's value independent of where
    the block starts.
    """
    r = int(spec.context_px)
    if not r:
        return layers
    names = spec.pixel_names
    h, w = layers.shape[1:]
    extra = np.empty((3 * len(spec.context_of), h, w), np.float32)
    for k, name in enumerate(spec.context_of):
        v = layers[names.index(name)].astype(np.float64)
        finite = np.isfinite(v)
        zeroed = np.where(finite, v, 0.0)
        total, squares = window_sum(np.stack([zeroed, zeroed * zeroed]), r)
        n = window_sum(finite, r)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = total / n
            sd = np.sqrt(np.maximum(squares / n - mean * mean, 0.0))
        extra[3 * k], extra[3 * k + 1], extra[3 * k + 2] = mean, sd, v - mean
    # a pixel without features of its own (too few clear views, beyond the raster) gets no
    # context either: classifiers leave it as no data
    extra[:, np.isnan(layers[:-1]).all(axis=0)] = np.nan
    out = np.concatenate([layers[:-1], extra, layers[-1:]])
    return out[:, trim:h - trim, trim:w - trim] if trim else out


def _greenup(v: np.ndarray, doy: np.ndarray, half: np.ndarray) -> np.ndarray:
    """First day of year (years pooled) at which ``v`` reaches ``half``; NaN if never."""
    order = np.argsort(doy, kind="stable")
    reached = v[order] >= half[None]
    first = np.argmax(reached, axis=0)
    out = doy[order][first].astype(np.float32)
    out[~reached.any(axis=0)] = np.nan
    return out
