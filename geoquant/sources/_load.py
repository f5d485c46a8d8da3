"""Load STAC items into a chunked ``(time, band, y, x)`` cube, with stackstac or odc-stac.

The pipeline: items → a :class:`LoadPlan` (bands, output grid, time steps, scale and offset,
units: everything that does not depend on the reader) → the raw array from one engine
(stackstac here, odc-stac in ``_load_odc``) → physical values → same-day mosaic →
coordinates, CRS and attributes. Both engines read onto the plan's grid and the cube's
coordinates come from the plan, so the engines give the same cube.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlparse

import numpy as np

from geoquant.errors import (
    AssetError,
    GridMismatchError,
    InvalidOptionError,
    MixedCRSError,
    NoItemsFoundError,
    RegionError,
)
from geoquant.sources._profiles import SensorProfile, is_quality_asset, profile_for
from geoquant.sources._region import region_from

SarUnits = Literal["db", "linear"]
Engine = Literal["auto", "stackstac", "odc"]
ENGINES = ("auto", "stackstac", "odc")
# engine="auto" reads with odc-stac from this many items per time step on (same-day mosaics of
# tiles); see _choose_engine.
ODC_FROM_ITEMS_PER_STEP = 3


@dataclass(frozen=True)
class Grid:
    """The output grid of a load: CRS, bounds (CRS units), resolution (CRS units), chunks."""

    epsg: int
    bounds: tuple[float, float, float, float]
    resolution: tuple[float, float]
    chunks: int | tuple[int, int]

    @property
    def shape(self) -> tuple[int, int]:
        """(height, width) in pixels, rounded as GDAL and stackstac round them."""
        left, bottom, right, top = self.bounds
        rx, ry = self.resolution
        return int((top - bottom + ry / 2) / ry), int((right - left + rx / 2) / rx)

    @property
    def transform(self) -> tuple[float, float, float, float, float, float]:
        """The affine transform (a, b, c, d, e, f) of the top-left pixel corner, north up."""
        left, _, _, top = self.bounds
        rx, ry = self.resolution
        return (rx, 0.0, left, 0.0, -ry, top)

    @property
    def chunk_shape(self) -> tuple[int, int]:
        """Spatial chunk size (y, x) in pixels."""
        return (self.chunks, self.chunks) if np.isscalar(self.chunks) else tuple(self.chunks)

    def coords(self) -> tuple[np.ndarray, np.ndarray]:
        """Pixel-centre coordinates (y, x), computed as stackstac computes them, bit for bit."""
        left, bottom, right, top = self.bounds
        rx, ry = self.resolution
        height, width = self.shape
        x = np.linspace(left + rx / 2, right + rx / 2, width, endpoint=False, dtype="float64")
        y = np.linspace(top - ry / 2, bottom - ry / 2, height, endpoint=False, dtype="float64")
        return y, x


@dataclass(frozen=True, eq=False)
class LoadPlan:
    """Everything about one load that does not depend on the engine that reads the pixels.

    Attributes
    ----------
    items
        Item dicts in time order (datetime, then id): the order of ``scale``'s rows.
    assets
        Asset keys read as bands, in band order.
    grid
        The output grid.
    resampling
        rasterio resampling name.
    steps
        Indices into ``items`` of the acquisitions merged into each time step (one each when
        nothing is mosaicked), earliest first.
    times
        datetime64[ns] of each item (UTC, no time zone).
    scale, offset
        float32 ``(item, band)``: physical value = raw value * scale + offset.
    convert_to
        Radar units to convert into after scaling (``"db"`` or ``"linear"``), or None.
    attrs
        Attributes of the cube.
    """

    items: tuple[dict[str, Any], ...]
    assets: tuple[str, ...]
    grid: Grid
    resampling: str
    steps: tuple[tuple[int, ...], ...]
    times: np.ndarray
    scale: np.ndarray
    offset: np.ndarray
    convert_to: SarUnits | None
    attrs: Mapping[str, Any]

    @property
    def single_items(self) -> tuple[tuple[int, ...], ...]:
        """One group per item, in time order: what a reader returns that does not mosaic."""
        return tuple((k,) for k in range(len(self.items)))

    @property
    def fusable(self) -> bool:
        """Whether a reader may merge each time step's items on their raw values, earliest
        valid pixel first, and give the same cube as merging the physical values.

        True when every step's items share scale and offset per band and the unit
        conversion keeps valid values valid (linear to dB does not: it makes values <= 0 no
        data, which a later acquisition of the day would then fill).
        """
        if all(len(step) == 1 for step in self.steps):
            return True
        if self.convert_to == "db":
            return False
        return all((self.scale[list(step)] == self.scale[step[0]]).all()
                   and (self.offset[list(step)] == self.offset[step[0]]).all()
                   for step in self.steps)


def _as_dicts(items) -> list[dict[str, Any]]:
    """Items as plain dicts, in datetime then id order (the order of the time axis)."""
    out = [item.to_dict() if hasattr(item, "to_dict") else item for item in items]
    if not out:
        raise NoItemsFoundError("no items to load; search with a wider region, dates or "
                                "filters")
    return sorted(out, key=lambda i: (i["properties"].get("datetime") or "", i["id"]))


def _epsg_of(item: dict[str, Any], asset: str | None = None) -> int | None:
    for source in ((item["assets"].get(asset, {}) if asset else {}), item["properties"]):
        if source.get("proj:epsg"):
            return int(source["proj:epsg"])
        code = source.get("proj:code")
        if code and str(code).upper().startswith("EPSG:"):
            return int(str(code).split(":")[1])
    return None


def _choose_assets(items, assets, profile: SensorProfile) -> list[str]:
    first = items[0]["assets"]
    if assets is None:
        if profile.default_assets is not None:
            chosen = [a for a in profile.default_assets if a in first]
        else:
            chosen = sorted((k for k, a in first.items() if not is_quality_asset(k, a, profile)
                             and "image/tiff" in a.get("type", "image/tiff")), key=_band_order)
    else:
        chosen = [assets] if isinstance(assets, str) else list(assets)
    if not chosen:
        raise AssetError(f"item {items[0]['id']} has no raster assets to load; it has "
                         f"{sorted(first)}")
    for item in items:
        missing = [a for a in chosen if a not in item["assets"]]
        if missing:
            raise AssetError(f"item {item['id']} has no asset(s) {missing}; it has "
                             f"{sorted(item['assets'])}. Choose assets present in every item")
    return chosen


def _band_order(name: str) -> tuple:
    """Bands in their natural order: B01 ... B08, B8A, B09 ... B12 (not B11, B12, B8A last
    as text sorts them); names of another form keep their place after these."""
    import re

    found = re.fullmatch(r"[Bb](\d+)([A-Za-z]?)", name)
    return (0, int(found[1]), found[2].upper()) if found else (1, 0, "")


def _check_local_files(items, assets) -> None:
    """Fail early, naming the file, when a local asset is missing or unreadable."""
    import rasterio
    from rasterio.errors import RasterioIOError

    for item in items:
        for key in assets:
            href = item["assets"][key]["href"]
            parsed = urlparse(href)
            if parsed.scheme not in ("", "file"):
                continue
            path = Path(unquote(parsed.path))
            if not path.exists():
                raise AssetError(f"asset {key!r} of item {item['id']} is missing: {path} does "
                                 "not exist; rebuild the catalog or restore the file")
            try:
                with rasterio.open(path):
                    pass
            except RasterioIOError as err:
                raise AssetError(f"asset {key!r} of item {item['id']} cannot be read ({path}): "
                                 f"{err}; replace the file or drop the item") from err


def _grid(items, assets, *, crs, resolution, region, chunks) -> Grid:
    epsgs = sorted({_epsg_of(item, assets[0]) for item in items} - {None})
    if crs is not None:
        from rasterio.crs import CRS

        epsg = CRS.from_user_input(crs).to_epsg()
        if epsg is None:
            raise MixedCRSError(f"crs {crs!r} has no EPSG code; give one such as 'EPSG:32633'")
    elif len(epsgs) > 1:
        counts = {e: sum(_epsg_of(i, assets[0]) == e for i in items) for e in epsgs}
        best = max(counts, key=counts.get)
        listed = ", ".join(f"EPSG:{e} x{counts[e]}" for e in epsgs)
        raise MixedCRSError(
            f"items are in {len(epsgs)} CRSs ({listed}); pass crs= to reproject them into one, "
            f"e.g. crs='EPSG:{best}' (most items)")
    elif epsgs:
        epsg = epsgs[0]
    else:
        raise MixedCRSError("items carry no proj:epsg or proj:code; pass crs='EPSG:....'")
    if resolution is not None:
        resolution = (float(resolution), float(resolution)) if np.isscalar(resolution) \
            else tuple(float(r) for r in resolution)
        if min(resolution) <= 0:
            raise RegionError(f"resolution must be positive (CRS units), got {resolution}")
        _check_resolution_units(epsg, resolution)
    native = all(_epsg_of(item, a) == epsg for item in items for a in assets)
    if resolution is None:
        if not native:
            raise InvalidOptionError(
                f"items are reprojected into EPSG:{epsg}: pass resolution= in its units "
                "(metres for UTM), e.g. resolution=10")
        resolution = _native_resolution(items, assets)
    if region is not None:
        bounds = _align_to_native(items, assets[0], epsg, resolution,
                                  region.bounds_in(f"EPSG:{epsg}"))
    elif native:
        bounds = _union_bounds(items, assets)
    else:
        from rasterio.warp import transform_bounds

        bounds = _snap(transform_bounds("EPSG:4326", f"EPSG:{epsg}", *_lonlat_bounds(items)),
                       resolution)
    return Grid(epsg, _whole_pixels(bounds, resolution), resolution, chunks)


def _check_resolution_units(epsg: int, resolution: tuple[float, float]) -> None:
    """Refuse metres given for degrees: ``resolution=10`` with ``crs="EPSG:4326"`` made
    10-degree pixels, a region of a few kilometres one pixel."""
    from pyproj import CRS

    if CRS.from_epsg(epsg).is_geographic and max(resolution) >= 1.0:
        metres = max(resolution)
        raise InvalidOptionError(
            f"resolution={metres:g} is in the CRS's units, degrees for EPSG:{epsg}: "
            f"{metres:g}° pixels are {metres * 111:,.0f} km high; for {metres:g} m pixels "
            f"pass resolution={metres / 111_320:.2g} (degrees), or a projected crs such as "
            "its UTM zone with resolution in metres")


def _native_resolution(items, assets) -> tuple[float, float]:
    sizes = []
    for item in items:
        for a in assets:
            transform = item["assets"][a].get("proj:transform", ())
            try:
                size = (abs(float(transform[0])), abs(float(transform[4])))
            except (TypeError, ValueError, IndexError, KeyError):
                continue                        # a bogus transform tells no resolution
            if all(0 < v < float("inf") for v in size):
                sizes.append(size)
    if not sizes:
        raise InvalidOptionError("the items carry no usable proj:transform (missing, or not six "
                                 "numbers); pass resolution= in CRS units")
    return (min(s[0] for s in sizes), min(s[1] for s in sizes))


def _union_bounds(items, assets):
    boxes = [item["assets"][a].get("proj:bbox") for item in items for a in assets]
    if any(b is None for b in boxes):
        raise InvalidOptionError("the items carry no proj:bbox; pass bbox= or region=")
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _snap(bounds, resolution):
    """Bounds snapped outwards to multiples of the resolution (grids of separate loads align)."""
    rx, ry = resolution
    left, bottom, right, top = bounds
    return (np.floor(left / rx) * rx, np.floor(bottom / ry) * ry,
            np.ceil(right / rx) * rx, np.ceil(top / ry) * ry)


def _whole_pixels(bounds, resolution):
    """Extend right and bottom so the grid holds whole pixels: stackstac spreads a fractional
    width over all pixels when bounds are not snapped, which would shift coordinates."""
    rx, ry = resolution
    left, bottom, right, top = bounds
    nx = max(1, int(np.ceil((right - left) / rx - 1e-6)))
    ny = max(1, int(np.ceil((top - bottom) / ry - 1e-6)))
    return (left, top - ny * ry, left + nx * rx, top)


def _align_to_native(items, asset, epsg, resolution, bounds):
    """Snap region bounds outwards onto the items' own pixel grid, so no pixel is resampled
    when the items are already in the target CRS at the target resolution."""
    transforms = {tuple(i["assets"][asset].get("proj:transform", ())[:6]) for i in items}
    if len(transforms) != 1 or _epsg_of(items[0], asset) != epsg or () in transforms:
        return bounds
    a, _, c, _, e, f = next(iter(transforms))
    if resolution is not None and (not np.isclose(resolution[0], a)
                                   or not np.isclose(resolution[1], -e)):
        return bounds
    left, bottom, right, top = bounds
    left = c + np.floor((left - c) / a) * a
    right = c + np.ceil((right - c) / a) * a
    top = f + np.floor((top - f) / e) * e
    bottom = f + np.ceil((bottom - f) / e) * e
    return (left, bottom, right, top)


def _lonlat_bounds(items) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees around all the items' bboxes."""
    return (min(i["bbox"][0] for i in items), min(i["bbox"][1] for i in items),
            max(i["bbox"][2] for i in items), max(i["bbox"][3] for i in items))


def _prepare(items, assets, *, crs, resolution, bbox, region, chunks):
    items = _as_dicts(items)
    profile = profile_for(items)
    chosen = _choose_assets(items, assets, profile)
    area = region_from(bbox=bbox, region=region)
    grid = _grid(items, chosen, crs=crs, resolution=resolution, region=area, chunks=chunks)
    if area is not None:
        w, s, e, n = _lonlat_bounds(items)
        rw, rs, re_, rn = area.bbox
        if rw >= e or re_ <= w or rs >= n or rn <= s:
            raise RegionError(
                f"the region {area.bbox} lies outside the items' extent "
                f"{(round(w, 5), round(s, 5), round(e, 5), round(n, 5))} (degrees); move it "
                "or search again for this region")
    return items, profile, chosen, grid


def _resampling(name: str) -> str:
    from rasterio.enums import Resampling

    if name not in Resampling.__members__:
        raise InvalidOptionError(f"unknown resampling {name!r}; use one of "
                                 f"{[r.name for r in Resampling][:8]}")
    return name


def _solar_days(items) -> list[str]:
    days = []
    for item in items:
        when = dt.datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))
        lon = (item["bbox"][0] + item["bbox"][2]) / 2.0
        days.append((when + dt.timedelta(hours=lon / 15.0)).date().isoformat())
    return days


def _steps(items, *, mosaic_same_day: bool) -> tuple[tuple[int, ...], ...]:
    """The items of each time step: one each, or with ``mosaic_same_day`` the acquisitions of
    one solar day together (steps in day order, items in time order)."""
    days = _solar_days(items) if mosaic_same_day else None
    if days is None or len(set(days)) == len(days):
        return tuple((k,) for k in range(len(items)))
    return tuple(tuple(k for k, d in enumerate(days) if d == day) for day in sorted(set(days)))


def _times(items) -> np.ndarray:
    """Each item's datetime as datetime64[ns] in UTC without time zone (as stackstac does)."""
    import pandas as pd

    times = pd.to_datetime([item["properties"]["datetime"] for item in items], errors="raise",
                           format="ISO8601")
    if times.tz is not None:
        times = times.tz_convert(None)
    return np.asarray(times, dtype="datetime64[ns]")


def _plan(items, *, assets, crs, resolution, bbox, region, chunks, resampling, sar_units,
          mosaic_same_day) -> LoadPlan:
    items, profile, chosen, grid = _prepare(items, assets, crs=crs, resolution=resolution,
                                            bbox=bbox, region=region, chunks=chunks)
    method = _resampling(resampling)
    scale, offset = _scale_offset(items, chosen, profile)
    units = _units(items, chosen, profile)
    convert_to = None
    if profile.sar and sar_units is not None and units != sar_units:
        if sar_units not in ("db", "linear"):
            raise InvalidOptionError(f"sar_units must be 'db' or 'linear', got {sar_units!r}")
        convert_to = units = sar_units
    attrs = {"sensor": profile.name, "collection": str(items[0].get("collection", "")),
             "units": units or ""}
    return LoadPlan(tuple(items), tuple(chosen), grid, method,
                    _steps(items, mosaic_same_day=mosaic_same_day), _times(items), scale,
                    offset, convert_to, attrs)


def load(
    items: Sequence[Any],
    *,
    assets: Sequence[str] | str | None = None,
    crs: str | int | None = None,
    resolution: float | tuple[float, float] | None = None,
    bbox: Sequence[float] | None = None,
    region: Mapping[str, Any] | str | Path | None = None,
    chunks: int | tuple[int, int] = 1024,
    resampling: str = "nearest",
    sar_units: SarUnits | None = None,
    mosaic_same_day: bool = True,
    engine: Engine = "auto",
):
    """Load STAC items into a lazy, chunked ``(time, band, y, x)`` cube.

    Parameters
    ----------
    items
        Items from :func:`search` (dicts or pystac Items).
    assets
        Asset keys to load as bands. Default: the sensor's spectral bands (Sentinel-2 L2A:
        B01..B12 and B8A; Landsat C2 L2: coastal..swir22; Sentinel-1 RTC: vv, vh), otherwise
        every data asset that is not a quality layer.
    crs
        Target CRS (``"EPSG:32633"`` or 32633). Required when items span several CRSs (for
        example two UTM zones); they are then reprojected into it.
    resolution
        Pixel size in CRS units (metres for UTM); a number or (x, y). Default: the finest
        native resolution of the assets.
    bbox, region
        Clip to a lon/lat bbox or a GeoJSON region (its bounds in the target CRS).
    chunks
        Spatial chunk size in pixels (one number, or (y, x)); one time step and band a chunk.
    resampling
        rasterio resampling name for reprojection and resolution change ("nearest",
        "bilinear", ...).
    sar_units
        For radar backscatter: "db" or "linear" converts (dB = 10 log10(linear)); ``None``
        keeps the catalog's units (Sentinel-1 RTC serves linear power).
    mosaic_same_day
        Merge acquisitions of one solar day into one time step (earliest valid pixel first).
    engine
        The library that reads the pixels: ``"stackstac"``, ``"odc"`` (odc-stac) or
        ``"auto"``: odc-stac for same-day mosaics of three or more items a time step on
        average (about twice as fast there), stackstac otherwise, as measured by
        ``benchmarks/loaders.py``. Both give the same cube (values, coordinates, CRS, no
        data, chunks, attributes) wherever GDAL picks source pixels: native grids, clips, and
        nearest or the choosing resamplings (mode, min, max, med, q1, q3) at any resolution.
        Where GDAL computes values (bilinear, cubic, average, ...) on a grid that is not a
        whole multiple of the files', or under reprojection, values differ slightly: GDAL
        fits its kernel to the window it warps (stackstac warps a VRT over the whole grid,
        odc-stac each chunk), and stackstac rounds values computed from integer files to
        whole units (its VRT keeps the file's data type) where odc-stac keeps the fraction.
        Under reprojection with nearest, a pixel whose centre lies within GDAL's tolerance
        (1/8 pixel) of a source pixel's edge may take the neighbouring source pixel.

    Returns
    -------
    xarray.DataArray
        float32, NaN where there are no data, dims ``(time, band, y, x)``, pixel-centre
        coordinates, CRS via rioxarray (``cube.rio.crs``, ``cube.rio.transform()``); the
        ``item_ids`` coordinate records which items made each time step. Optical products are
        scaled to reflectance (0..1).

    Raises
    ------
    NoItemsFoundError, AssetError, MixedCRSError, RegionError, InvalidOptionError
        With a message that says what to change.
    MissingDependencyError
        ``engine="odc"`` without odc-stac installed.
    """
    if engine not in ENGINES:
        raise InvalidOptionError(f"unknown engine {engine!r}; use one of "
                                 f"{', '.join(repr(e) for e in ENGINES)}")
    plan = _plan(items, assets=assets, crs=crs, resolution=resolution, bbox=bbox,
                 region=region, chunks=chunks, resampling=resampling, sar_units=sar_units,
                 mosaic_same_day=mosaic_same_day)
    _check_local_files(plan.items, plan.assets)
    if (_choose_engine(plan) if engine == "auto" else engine) == "odc":
        from geoquant.sources._load_odc import read_odc

        groups = plan.steps if plan.fusable else plan.single_items
        raw = read_odc(plan, groups)
    else:
        groups = plan.single_items
        raw = _read_stackstac(plan)
    cube = _mosaic(_physical(raw, plan, groups), plan, groups)
    return _finish(_label(cube, plan), plan)


def _choose_engine(plan: LoadPlan) -> str:
    """The faster engine for ``plan``, as measured by ``benchmarks/loaders.py``.

    odc-stac reads the items of a time step together, one task per chunk, and each only where
    it lies; stackstac reads every item onto whole chunks and mosaics afterwards, but opens
    each file once for all its chunks where odc-stac opens it again for every chunk. Measured
    on 2026-12-03 (2 cores, real rasters, same-day mosaics of 4 to 630 tiles): odc-stac
    1.3-3.7x faster; with one item a step stackstac 1.2-3x faster, more so in small chunks;
    mosaics that odc-stac cannot merge while reading (``plan.fusable`` False) stackstac
    1.0-1.2x faster.
    """
    if not plan.fusable or len(plan.items) < ODC_FROM_ITEMS_PER_STEP * len(plan.steps):
        return "stackstac"
    return "odc" if _has_odc() else "stackstac"


def _has_odc() -> bool:
    """Whether odc-stac can be imported (without importing it)."""
    from importlib.util import find_spec

    try:
        return find_spec("odc.stac") is not None
    except (ImportError, ValueError):   # no ``odc`` namespace at all
        return False


def _read_stackstac(plan: LoadPlan):
    """The raw values (no scale, offset or unit conversion) of every item on the plan's grid:
    float32 ``(item, band, y, x)``, NaN where there are no data."""
    import stackstac
    from rasterio.enums import Resampling

    grid = plan.grid
    try:
        arr = stackstac.stack(
            list(plan.items), assets=list(plan.assets), epsg=grid.epsg,
            resolution=grid.resolution, bounds=grid.bounds,
            resampling=Resampling[plan.resampling], chunksize=grid.chunks,
            dtype=np.dtype("float32"), fill_value=np.float32(np.nan), rescale=False,
            sortby_date=False, xy_coords="center", properties=False, band_coords=False,
            snap_bounds=False,
            # an asset that cannot be read is an error, never silent no data (stackstac's
            # default turns a 404 into an empty tile)
            errors_as_nodata=())
    except ValueError as err:
        if "resolution" in str(err).lower():
            raise RegionError(f"{err}; pass resolution= in CRS units (metres for UTM)") from err
        raise RegionError(f"cannot build the grid: {err}") from err
    return _every_item(arr, plan)


def _every_item(arr, plan: LoadPlan):
    """stackstac leaves out the items that lie wholly outside the grid: put them back, as no
    data, so that the time axis holds every item of the plan (as odc-stac's does)."""
    kept = [str(i) for i in arr.coords["id"].values]
    if len(kept) == len(plan.items):
        return arr
    import dask.array as da
    import xarray as xr

    empty = da.full((1, *arr.shape[1:]), np.nan, dtype=arr.dtype,
                    chunks=((1,), *arr.data.chunks[1:]))
    parts, k = [], 0
    for item in plan.items:                       # both in the plan's order
        if k < len(kept) and kept[k] == item["id"]:
            parts.append(arr.data[k:k + 1])
            k += 1
        else:
            parts.append(empty)
    return xr.DataArray(da.concatenate(parts, axis=0), dims=arr.dims)


def _physical(raw, plan: LoadPlan, groups: Sequence[Sequence[int]]):
    """Raw values of each group (whose items share scale and offset) as physical values."""
    first = [group[0] for group in groups]
    scale, offset = plan.scale[first], plan.offset[first]
    arr = raw
    if not (np.all(scale == 1.0) and np.all(offset == 0.0)):
        import xarray as xr

        dims = ("time", "band")
        arr = (arr * xr.DataArray(scale, dims=dims) + xr.DataArray(offset, dims=dims)
               ).astype(np.float32)
    if plan.convert_to is not None:
        arr = _convert_sar(arr, to=plan.convert_to)
    return arr


def _mosaic(arr, plan: LoadPlan, groups: Sequence[Sequence[int]]):
    """One time step per ``plan.steps``: the items of a step merged, earliest valid pixel
    first. ``groups`` says what the time axis of ``arr`` holds: the steps already (nothing to
    do), or single items."""
    if tuple(tuple(g) for g in groups) == plan.steps:
        return arr
    import stackstac
    import xarray as xr

    arr = arr.drop_vars(list(arr.coords))
    parts = [stackstac.mosaic(arr.isel(time=list(step)), dim="time", reverse=True)
             if len(step) > 1 else arr.isel(time=step[0]) for step in plan.steps]
    return xr.concat(parts, dim="time", join="exact", combine_attrs="override")


def _label(arr, plan: LoadPlan):
    """The cube's coordinates, all from the plan: time (the earliest item of each step),
    ``item_ids`` (the ids of a step, joined by commas), band, and pixel-centre y and x."""
    y, x = plan.grid.coords()
    ids = [",".join(plan.items[k]["id"] for k in step) for step in plan.steps]
    arr = arr.drop_vars(list(arr.coords))
    coords = {"time": plan.times[[step[0] for step in plan.steps]], "y": y, "x": x,
              "item_ids": ("time", ids)}
    if "band" in arr.dims:
        coords["band"] = list(plan.assets)
    return arr.assign_coords(coords)


def _finish(arr, plan: LoadPlan):
    import rioxarray  # noqa: F401  (registers the .rio accessor)

    arr.attrs = {}
    arr.encoding = {}
    with warnings.catch_warnings():
        # pyproj notes that CF cannot name every parameter of some projections (EPSG:2056's
        # oblique Mercator); the WKT written beside it keeps the CRS exact.
        warnings.filterwarnings("ignore", "angle from rectified to skew", UserWarning)
        arr = arr.rio.write_crs(f"EPSG:{plan.grid.epsg}")
    arr.attrs.update(plan.attrs)
    return arr


def _scale_offset(items, assets, profile: SensorProfile) -> tuple[np.ndarray, np.ndarray]:
    """Per (time, band) scale and offset: physical value = DN * scale + offset."""
    scale = np.ones((len(items), len(assets)), dtype=np.float32)
    offset = np.zeros_like(scale)
    for t, item in enumerate(items):
        if profile.item_scale_offset is not None:
            scale[t], offset[t] = profile.item_scale_offset(item)
            continue
        for b, key in enumerate(assets):
            band = _raster_band(item, key)
            scale[t, b] = band.get("scale", 1.0)
            offset[t, b] = band.get("offset", 0.0)
    return scale, offset


def _raster_band(item, key: str) -> dict[str, Any]:
    """The ``raster:bands`` entry of a single-band asset, or ``{}`` when it has none."""
    return (item["assets"][key].get("raster:bands") or [{}])[0]


def _units(items, assets, profile: SensorProfile) -> str | None:
    unit = _raster_band(items[0], assets[0]).get("unit")
    if unit and unit.lower() in ("db", "decibel"):
        return "db"
    if profile.sar:
        return "linear"
    return unit


def _convert_sar(arr, *, to: SarUnits):
    import xarray as xr

    if to == "db":
        return xr.where(arr > 0, 10.0 * np.log10(arr.where(arr > 0)), np.nan).astype(np.float32)
    if to == "linear":
        return (10.0 ** (arr / 10.0)).astype(np.float32)
    raise InvalidOptionError(f"sar_units must be 'db' or 'linear', got {to!r}")


def clear_mask(items: Sequence[Any], *, like, mosaic_same_day: bool = True):
    """Where the ground is seen clearly, on the grid of a cube made by :func:`load`.

    Decodes the items' quality layer: Sentinel-2 L2A SCL (clear: dark area, vegetation, bare,
    water, unclassified, snow), Landsat C2 QA_PIXEL (no fill, cloud, dilated cloud, cirrus or
    shadow bit) or a cloud-mask asset ``CLM`` (0 = clear).

    Parameters
    ----------
    items
        The same items that made ``like``.
    like
        The cube from :func:`load`; its CRS, bounds, resolution and chunks are reused.

    Returns
    -------
    xarray.DataArray
        bool, dims ``(time, y, x)``, True where clear; False for cloud, shadow and no data.

    Raises
    ------
    AssetError
        The items have no quality layer this function knows.
    """
    items = _as_dicts(items)
    profile = profile_for(items)
    if profile.quality_asset is None or profile.quality_asset not in items[0]["assets"]:
        raise AssetError(f"items of {items[0].get('collection')!r} carry no cloud or quality "
                         "layer (SCL, qa_pixel or CLM); no clear-sky mask can be made")
    _check_local_files(items, [profile.quality_asset])
    import rioxarray  # noqa: F401

    res_x, res_y = like.rio.resolution()
    left, bottom, right, top = like.rio.bounds()
    grid = Grid(like.rio.crs.to_epsg(), (left, bottom, right, top), (abs(res_x), abs(res_y)),
                (like.chunks[-2][0], like.chunks[-1][0]) if like.chunks else 1024)
    ones = np.ones((len(items), 1), dtype=np.float32)
    plan = LoadPlan(tuple(items), (profile.quality_asset,), grid, "nearest",
                    _steps(items, mosaic_same_day=mosaic_same_day), _times(items), ones,
                    np.zeros_like(ones), None,
                    {"meaning": "True where the ground is seen clearly"})
    codes = _label(_mosaic(_read_stackstac(plan), plan, plan.single_items), plan)
    clear = codes.isel(band=0, drop=True).copy(data=codes.data[:, 0].map_blocks(
        profile.clear, dtype=bool))
    return _on_grid_of(_finish(clear, plan), like).rename("clear")


def _on_grid_of(layer, like):
    """``layer`` with ``like``'s pixel-centre coordinates, after checking both share a grid.

    Layers stacked separately onto one grid can carry coordinates that differ in the last
    bits; xarray would then align them by an inner join and silently drop rows.
    """
    a, b = layer.rio.transform(), like.rio.transform()
    same_shape = (layer.sizes["y"], layer.sizes["x"]) == (like.sizes["y"], like.sizes["x"])
    close = all(abs(p - q) <= 1e-6 * abs(b.a) for p, q in zip(a[:6], b[:6], strict=True))
    if not (same_shape and close):
        raise GridMismatchError(
            f"the clear-sky mask's grid ({layer.sizes['y']} x {layer.sizes['x']}, {tuple(a)[:6]}) "
            f"differs from the cube's ({like.sizes['y']} x {like.sizes['x']}, {tuple(b)[:6]}); "
            "pass the same items that made the cube")
    return layer.assign_coords(y=like.y.values, x=like.x.values)
