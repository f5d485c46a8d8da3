"""Cloud and cloud-shadow masks for Sentinel-2 imagery that carries no quality layer.

:func:`clear_mask` decodes a product's own quality layer (SCL, QA_PIXEL, CLM). Sentinel-2 L1C
scenes and plain GeoTIFFs have none; :func:`detect_clouds` makes the same kind of mask from
the spectral bands.

Clouds
    s2cloudless (Zupanc et al., Sentinel Hub; a LightGBM pixel classifier trained on L1C
    top-of-atmosphere reflectance of bands B01 B02 B04 B05 B08 B8A B09 B10 B11 B12) gives a
    cloud probability per pixel. Its own post-processing follows: the probability averaged over
    a disk of ``average_over`` pixels, thresholded (``> threshold``), the mask dilated by a
    disk of ``dilation_size`` pixels. Those sizes are in pixels, so by default they follow the
    pixel size: a disk of about 220 m for the average and 110 m for the dilation, which gives
    the s2cloudless README's recommendations at 10 m (22 and 11 pixels) and at 60 m (4 and 2).

Shadows (modest, optional)
    s2cloudless finds clouds only. A pixel is called cloud shadow when it is dark in the near
    and short-wave infrared (B08 < 0.15 and B11 < 0.10, TOA reflectance; shadowed ground loses
    the direct sun that makes vegetation and soil bright there) and lies within
    ``shadow_distance_m`` of a detected cloud: along the direction away from the sun when the
    sun azimuth is known (the cloud-projection idea of Fmask, Zhu & Woodcock 2012, and of the
    Earth Engine s2cloudless tutorial, whose NIR threshold and 1 km distance these are),
    otherwise in any direction. It does not match cloud shapes or heights as Fmask does, and
    dark water near clouds is masked too; it removes the worst shadows from composites, no more.

Chunking
    The classifier works pixel by pixel (one dask task per chunk, all bands together); the
    averaging, dilation and shadow search look at neighbours, so they run on chunks grown by a
    halo of ``average_over + dilation_size + shadow pixels + 1`` (``dask.array.map_overlap``),
    which makes the mask identical for any chunking and, at the image edges, identical to
    s2cloudless on the whole image.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from functools import lru_cache, partial
from typing import Any

import numpy as np

from geoquant.errors import BandError, InvalidOptionError, MissingDependencyError

#: The bands s2cloudless reads, in its order, with the names a cube may give them
#: (Sentinel-2 catalog names and STAC ``eo:common_name``).
MODEL_BANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("B01", ("b01", "coastal")), ("B02", ("b02", "blue")), ("B04", ("b04", "red")),
    ("B05", ("b05", "rededge1")), ("B08", ("b08", "nir")), ("B8A", ("b8a", "nir08")),
    ("B09", ("b09", "nir09")), ("B10", ("b10", "cirrus")), ("B11", ("b11", "swir16", "swir1")),
    ("B12", ("b12", "swir22", "swir2")),
)  # fmt: skip
_NIR, _SWIR16 = 4, 8  # positions of B08 and B11 in MODEL_BANDS

#: Shadow darkness: TOA reflectance below these in B08 (NIR) and B11 (SWIR 1.6 um).
SHADOW_NIR_MAX = 0.15
SHADOW_SWIR16_MAX = 0.10
#: Disk radii of s2cloudless's post-processing, in metres (README: 22 and 11 pixels at 10 m,
#: 4 and 2 at 60 m).
AVERAGE_OVER_M = 220.0
DILATION_M = 110.0
#: Pixel size assumed when the cube has no CRS or coordinates to tell it (Sentinel-2's finest).
DEFAULT_PIXEL_M = 10.0
#: A pixel whose median band value exceeds this holds digital numbers, not reflectance.
_DN_MIN_MEDIAN = 2.0
_DN_SCALE = 1e-4
_SUN_AZIMUTH_COORDS = ("view:sun_azimuth", "s2:mean_solar_azimuth", "sun_azimuth")
_INSTALL = 'pip install "geoquant[imagery]"'


def detect_clouds(
    cube: Any,
    *,
    threshold: float = 0.4,
    average_over: int | None = None,
    dilation_size: int | None = None,
    shadows: bool = True,
    shadow_distance_m: float = 1000.0,
    sun_azimuth: float | Sequence[float] | None = None,
    scale: float | None = None,
) -> Any:
    """Where the ground is seen clearly, detected from Sentinel-2 L1C bands with s2cloudless.

    For imagery without a quality layer (Sentinel-2 L1C, plain GeoTIFFs); products with one
    use :func:`clear_mask`. Lazy: one dask task per spatial chunk.

    Parameters
    ----------
    cube : xarray.DataArray
        ``(time, band, y, x)`` from :func:`load`, or one scene ``(band, y, x)`` (e.g. from
        :func:`open`). Needs the L1C top-of-atmosphere bands B01 B02 B04 B05 B08 B8A B09 B10
        B11 B12, named by the ``band`` coordinate as catalog names (``B8A``) or common names
        (``nir08``); other bands are ignored.
    threshold : float
        Cloud probability (0..1) above which a pixel is cloud, after averaging.
    average_over : int, optional
        Radius in pixels of the disk the probability is averaged over; ``0`` skips it.
        Default: about 220 m in pixels (22 at 10 m, 4 at 60 m).
    dilation_size : int, optional
        Radius in pixels of the disk the cloud mask is dilated by; ``0`` skips it. Default:
        about 110 m in pixels (11 at 10 m, 2 at 60 m).
    shadows : bool
        Also mask cloud shadows: pixels dark in B08 and B11 within ``shadow_distance_m`` of a
        cloud (see the module notes: a simple test, not Fmask's shadow matching).
    shadow_distance_m : float
        How far from a cloud its shadow is searched, in metres on the ground.
    sun_azimuth : float or sequence of float, optional
        Sun azimuth in degrees clockwise from north, one value or one per time step; shadows
        are then searched only away from the sun. Default: the cube's ``view:sun_azimuth`` or
        ``s2:mean_solar_azimuth`` coordinate, else every direction.
    scale : float, optional
        Factor from the cube's values to reflectance (0..1). Default: 1e-4 for pixels that hold
        digital numbers (median band value above 2), 1 otherwise. L1C digital numbers from
        processing baseline 04.00 on carry an offset of 1000: load them with :func:`load`,
        which applies the items' scale and offset, or subtract it first.

    Returns
    -------
    xarray.DataArray
        bool, dims ``(time, y, x)`` (``(y, x)`` for one scene), True where clear; False for
        cloud, shadow and pixels with no data in any of the bands read. Same coordinates and
        CRS as the cube, so it serves as ``clear=`` of
        :func:`geoquant.segment.temporal_composite`, :func:`geoquant.segment.fuse` and
        :func:`geoquant.segment.apply`.

    Raises
    ------
    BandError
        The cube lacks bands s2cloudless needs (they are named), or is Sentinel-2 L2A, whose
        SCL layer :func:`clear_mask` decodes.
    MissingDependencyError
        s2cloudless is not installed (``pip install "geoquant[imagery]"``).
    InvalidOptionError
        An option is out of range or the cube's dimensions are not ``([time,] band, y, x)``.

    Notes
    -----
    The classifier costs about 8 s of CPU per million pixels and time step (measured on the
    Slovenia scenes). For large areas, load the bands coarser (``load(items, resolution=60)``;
    the disk sizes follow the pixel size) and resample the mask to the fine grid.

    Examples
    --------
    >>> cube = load(l1c_items, chunks=1024)                      # doctest: +SKIP
    >>> clear = detect_clouds(cube)                              # doctest: +SKIP
    >>> median = temporal_composite(cube, clear=clear)           # doctest: +SKIP
    """
    import dask.array as da
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    single = _check_dims(cube)
    if single:
        cube = cube.expand_dims("time")
    cube = cube.transpose("time", "band", "y", "x")
    _reject_l2a(cube)
    positions = _model_band_positions(cube)
    _check_options(threshold, average_over, dilation_size, shadow_distance_m, scale)
    _s2cloudless()  # fail early, before any task is built, when it is missing
    pixel_m = _pixel_size_m(cube)
    if average_over is None:
        average_over = max(1, round(AVERAGE_OVER_M / pixel_m))
    if dilation_size is None:
        dilation_size = max(1, round(DILATION_M / pixel_m))
    shadow_px = math.ceil(shadow_distance_m / pixel_m) if shadows else 0
    azimuths = _sun_azimuths(cube, sun_azimuth) if shadow_px else None

    data = cube.data
    lazy = isinstance(data, da.Array)
    if not lazy:
        data = da.from_array(np.asarray(data), chunks=(1, -1, -1, -1))
    bands = data[:, positions].rechunk({1: -1})
    stage = bands.map_blocks(
        partial(_probability_and_darkness, scale=scale, nodata=_nodata(cube)),
        chunks=(bands.chunks[0], (2,), *bands.chunks[2:]), dtype=np.float32,
        meta=np.empty((0, 0, 0, 0), dtype=np.float32))
    halo = int(average_over) + int(dilation_size) + shadow_px + 1
    # An axis shorter than the halo is taken whole: one chunk sees all its neighbours.
    whole = {axis: -1 for axis in (2, 3) if halo >= stage.shape[axis]}
    stage = stage.rechunk(whole) if whole else stage
    depth = {0: 0, 1: 0, **{axis: 0 if axis in whole else halo for axis in (2, 3)}}
    clear = da.map_overlap(
        partial(_clear_pixels, threshold=float(threshold), average_over=int(average_over),
                dilation_size=int(dilation_size), shadow_px=shadow_px,
                directions=_directions(azimuths, _rows_point_south(cube))),
        stage, depth=depth, boundary="none", drop_axis=1,
        dtype=bool, meta=np.empty((0, 0, 0), dtype=bool))
    if clear.chunks[1:] != data.chunks[2:]:
        clear = clear.rechunk((clear.chunks[0], *data.chunks[2:]))

    coords = {name: c for name, c in cube.coords.items() if "band" not in c.dims}
    out = xr.DataArray(clear, dims=("time", "y", "x"), coords=coords, name="clear")
    out.attrs = {"meaning": "True where the ground is seen clearly",
                 "cloud_detector": f"s2cloudless {_s2cloudless_version()}",
                 "threshold": float(threshold), "average_over": int(average_over),
                 "dilation_size": int(dilation_size),
                 "shadows": (f"dark B08/B11 within {shadow_distance_m:g} m of clouds"
                             if shadow_px else "not masked")}
    if not lazy:
        out = out.compute()
    if single:
        out = out.isel(time=0, drop=True)
    crs = cube.rio.crs
    return out.rio.write_crs(crs) if crs is not None else out


def _check_dims(cube: Any) -> bool:
    """Whether ``cube`` is one scene ``(band, y, x)``; raises unless it is a cube at all."""
    dims = tuple(getattr(cube, "dims", ()))
    if set(dims) == {"band", "y", "x"}:
        return True
    if set(dims) == {"time", "band", "y", "x"}:
        return False
    raise InvalidOptionError(f"detect_clouds needs a DataArray with dims (time, band, y, x) or "
                             f"(band, y, x); got {dims or type(cube).__name__}")


def _normalised(name: Any) -> str:
    """``"B8"`` -> ``"b08"``, ``"B8A"`` -> ``"b8a"``, ``"NIR08"`` -> ``"nir08"``."""
    key = str(name).strip().lower()
    match = re.fullmatch(r"b0*(\d{1,2})(a?)", key)
    if match:
        number, suffix = match.groups()
        return f"b{number}{suffix}" if suffix else f"b{int(number):02d}"
    return key


def _band_labels(cube: Any) -> list[list[str]]:
    """Every name each band position goes by (``band`` and ``common_name`` coordinates)."""
    labels: list[list[str]] = [[] for _ in range(cube.sizes["band"])]
    for coord in ("band", "common_name"):
        if coord in cube.coords and cube.coords[coord].dims == ("band",):
            for i, value in enumerate(cube.coords[coord].values):
                labels[i].append(_normalised(value))
    return labels


def _reject_l2a(cube: Any) -> None:
    names = {n for labels in _band_labels(cube) for n in labels}
    sensor = str(cube.attrs.get("sensor", "")).lower()
    collection = str(cube.attrs.get("collection", "")).lower()
    if "scl" in names or "l2a" in sensor or "l2a" in collection:
        raise BandError(
            "the cube is Sentinel-2 L2A (bottom-of-atmosphere reflectance, no B10): its SCL "
            "layer already marks clouds and shadows, use geoquant.sources.clear_mask(items, "
            "like=cube); detect_clouds (s2cloudless) is for L1C top-of-atmosphere bands")


def _model_band_positions(cube: Any) -> list[int]:
    labels = _band_labels(cube)
    if not any(labels):
        raise BandError("the cube has no 'band' coordinate naming its bands: give it one, e.g. "
                        "cube.assign_coords(band=['B01', 'B02', 'B04', ...])")
    positions, missing = [], []
    for band, aliases in MODEL_BANDS:
        hit = next((i for i, names in enumerate(labels) if set(names) & set(aliases)), None)
        if hit is None:
            missing.append(f"{band} ({aliases[1]})")
        else:
            positions.append(hit)
    if missing:
        have = ", ".join(str(b) for b in cube.coords["band"].values) if "band" in cube.coords \
            else "no named bands"
        needed = " ".join(b for b, _ in MODEL_BANDS)
        raise BandError(
            f"detect_clouds (s2cloudless) needs band(s) {', '.join(missing)}, which the cube "
            f"lacks; it has {have}. Load the Sentinel-2 L1C bands {needed} "
            f"(load(items, assets=[...]))")
    return positions


def _check_options(threshold, average_over, dilation_size, shadow_distance_m, scale) -> None:
    if not 0.0 <= float(threshold) <= 1.0:
        raise InvalidOptionError(f"threshold is a cloud probability in 0..1, got {threshold}")
    for name, value in (("average_over", average_over), ("dilation_size", dilation_size)):
        if value is not None and (int(value) != value or value < 0):
            raise InvalidOptionError(f"{name} is a disk radius in whole pixels (0 skips it), "
                                     f"got {value}")
    if not (np.isfinite(shadow_distance_m) and shadow_distance_m >= 0):
        raise InvalidOptionError(f"shadow_distance_m must be a distance >= 0 in metres, got "
                                 f"{shadow_distance_m}")
    if scale is not None and not (np.isfinite(scale) and scale > 0):
        raise InvalidOptionError(f"scale must be a positive factor to reflectance (1e-4 for "
                                 f"Sentinel-2 digital numbers), got {scale}")


def _pixel_size_m(cube: Any) -> float:
    """Pixel size in metres from the cube's CRS and coordinates (10 m when they say nothing)."""
    try:
        res_x, res_y = cube.rio.resolution()
        crs = cube.rio.crs
    except Exception:  # noqa: BLE001  (no x/y coordinates or transform: nothing to tell)
        return DEFAULT_PIXEL_M
    size_x, size_y = abs(float(res_x)), abs(float(res_y))
    if crs is None or not all(np.isfinite(v) and v > 0 for v in (size_x, size_y)):
        return DEFAULT_PIXEL_M
    if crs.is_geographic:
        lat = math.radians(float(np.mean(cube["y"].values)))
        return (size_x * math.cos(lat) + size_y) / 2.0 * 111_320.0  # metres per degree
    try:
        metres = float(crs.linear_units_factor[1])
    except Exception:  # noqa: BLE001  (units rasterio cannot name: take them as metres)
        metres = 1.0
    return (size_x + size_y) / 2.0 * metres


def _sun_azimuths(cube: Any, sun_azimuth) -> np.ndarray | None:
    """Sun azimuth (degrees) per time step, or None when unknown (search every direction)."""
    steps = cube.sizes["time"]
    if sun_azimuth is None:
        name = next((c for c in _SUN_AZIMUTH_COORDS if c in cube.coords), None)
        if name is None:
            return None
        values = np.broadcast_to(np.asarray(cube.coords[name].values, dtype=float), (steps,))
        return values.copy()
    values = np.asarray(sun_azimuth, dtype=float).reshape(-1)
    if values.size not in (1, steps):
        raise InvalidOptionError(f"sun_azimuth needs one value or one per time step ({steps}), "
                                 f"got {values.size}")
    return np.broadcast_to(values, (steps,)).copy()


def _rows_point_south(cube: Any) -> bool:
    y = np.asarray(cube["y"].values) if "y" in cube.coords else np.array([])
    return not (y.size > 1 and y[-1] > y[0])


def _directions(azimuths: np.ndarray | None, rows_south: bool) -> tuple:
    """Per time step, the (row, column) unit step away from the sun, or None (any direction)."""
    if azimuths is None:
        return ()
    sign = 1.0 if rows_south else -1.0
    return tuple(None if not np.isfinite(a) else
                 (sign * math.cos(math.radians(a)), -math.sin(math.radians(a)))
                 for a in azimuths)


def _nodata(cube: Any) -> float | None:
    try:
        value = cube.rio.nodata
    except Exception:  # noqa: BLE001
        return None
    return None if value is None or not np.isfinite(value) else float(value)


def _s2cloudless():
    try:
        import s2cloudless
    except ImportError as err:
        raise MissingDependencyError(
            f"detect_clouds needs s2cloudless (and its LightGBM model): {_INSTALL}") from err
    return s2cloudless


def _s2cloudless_version() -> str:
    return str(getattr(_s2cloudless(), "__version__", "?"))


@lru_cache(maxsize=1)
def _classifier():
    """s2cloudless with its model loaded, once per process (the model file is read here)."""
    detector = _s2cloudless().S2PixelCloudDetector(all_bands=False)
    detector.classifier  # noqa: B018  (loads the booster now, not in every task)
    return detector


@lru_cache(maxsize=8)
def _post_processor(threshold: float, average_over: int, dilation_size: int):
    return _s2cloudless().S2PixelCloudDetector(threshold=threshold, all_bands=False,
                                               average_over=average_over or None,
                                               dilation_size=dilation_size or None)


def _probability_and_darkness(block: np.ndarray, *, scale: float | None,
                              nodata: float | None) -> np.ndarray:
    """``(t, 10 bands, y, x)`` values -> ``(t, 2, y, x)``: cloud probability (NaN where a band
    has no data) and shadow darkness (1.0 dark, 0.0 not)."""
    t, _, ny, nx = block.shape
    out = np.zeros((t, 2, ny, nx), dtype=np.float32)
    if out.size == 0:
        return out
    values = block.astype(np.float32)
    missing = ~np.isfinite(values).all(axis=1)
    if nodata is not None:
        missing |= (block == nodata).any(axis=1)
    if scale is None:
        with np.errstate(invalid="ignore"):
            digital = np.median(values, axis=1) > _DN_MIN_MEDIAN
        values = np.where(digital[:, None], values * np.float32(_DN_SCALE), values)
    else:
        values = values * np.float32(scale)
    values = np.where(missing[:, None], np.float32(0.0), values)
    pixels = np.ascontiguousarray(np.moveaxis(values, 1, -1))
    probability = _classifier().get_cloud_probability_maps(pixels)
    out[:, 0] = np.where(missing, np.float32(np.nan), probability)
    out[:, 1] = ((values[:, _NIR] < SHADOW_NIR_MAX) & (values[:, _SWIR16] < SHADOW_SWIR16_MAX)
                 & ~missing)
    return out


def _clear_pixels(block: np.ndarray, *, threshold: float, average_over: int,
                  dilation_size: int, shadow_px: int, directions: tuple,
                  block_info=None) -> np.ndarray:
    """``(t, 2, y, x)`` probability and darkness (with a halo) -> ``(t, y, x)`` clear."""
    probability, dark = block[:, 0], block[:, 1] > 0.5
    if probability.size == 0:
        return np.zeros(probability.shape, dtype=bool)
    missing = np.isnan(probability)
    # No data adds no cloud to its neighbours' averages; it is masked on its own below.
    detector = _post_processor(threshold, average_over, dilation_size)
    cloud = detector.get_mask_from_prob(np.where(missing, np.float32(0.0), probability)) > 0
    clear = ~cloud & ~missing
    if shadow_px:
        first = block_info[0]["array-location"][0][0] if block_info else 0
        steps = [directions[first + k] if directions else None for k in range(len(cloud))]
        clear &= ~(_near_clouds(cloud, shadow_px, steps) & dark)
    return clear


def _near_clouds(cloud: np.ndarray, distance_px: int, steps: list) -> np.ndarray:
    """Pixels within ``distance_px`` of a cloud: along the shadow direction of each time step
    (a (row, column) unit step), or within a disk where the direction is None."""
    import cv2

    near = np.zeros_like(cloud)
    for t, step in enumerate(steps):
        if step is None:
            # Exact Euclidean distance to the nearest cloud pixel (0 on clouds).
            distance = cv2.distanceTransform((~cloud[t]).astype(np.uint8), cv2.DIST_L2,
                                             cv2.DIST_MASK_PRECISE)
            near[t] = distance <= distance_px
            continue
        offsets = {(round(k * step[0]), round(k * step[1])) for k in range(distance_px + 1)}
        for dr, dc in offsets:
            near[t] |= _shifted(cloud[t], dr, dc)
    return near


def _shifted(mask: np.ndarray, dr: int, dc: int) -> np.ndarray:
    """``mask`` moved ``dr`` rows down and ``dc`` columns right, False where it moved from."""
    out = np.zeros_like(mask)
    ny, nx = mask.shape
    if abs(dr) >= ny or abs(dc) >= nx:
        return out
    out[max(dr, 0):ny + min(dr, 0), max(dc, 0):nx + min(dc, 0)] = \
        mask[max(-dr, 0):ny + min(-dr, 0), max(-dc, 0):nx + min(-dc, 0)]
    return out
