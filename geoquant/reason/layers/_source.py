"""Sources: where a question's masks come from, opened once per question (or per source in eval).

A source is one of

- a STAC collection, given as its URL (``http://host/collections/<id>``): searched over the
  region and dates, loaded lazily, and segmented by the given segmenter or by default
  (:class:`~geoquant.segment.SarWater` for SAR, :func:`~geoquant.segment.spectral_rules` for
  optical imagery; a land-cover collection whose items carry ``classification:classes`` is read
  as that product);
- local rasters: a path or a list of paths (GeoTIFF/COG or Zarr), one time step each, in order;
- an xarray cube ``([time,] band, y, x)``, or a segmentation Dataset from
  :func:`geoquant.segment.apply`.

``product=`` names a land-cover code table (:data:`geoquant.segment.PRODUCTS`) for categorical
rasters, or ``"codes"`` for rasters whose classes are only numbers (asked for as "code 12").

What comes back, :class:`Layers`, holds one segmentation per date the plan needs (``None`` for a
one-date question, ``"before"`` and ``"after"`` for change: the first and the last time step of
the date range), the raw class codes of categorical sources, a picture for the quick-look and
the provenance. Segmentations are persisted once, so every mask of every step and of the range
runs reads the imagery a single time.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import (
    ClassNameError,
    DateRangeError,
    InvalidOptionError,
    NoItemsFoundError,
    RegionError,
    quote,
)
from geoquant.segment import (
    MASK_NODATA,
    Vocabulary,
    class_asset,
    code_mask,
    has_data,
    is_class_asset,
    is_sar,
    segmentation_mask,
)

CODES = "codes"
CHANGE_DATES = ("before", "after")
#: Layers up to this size (bytes) are computed once and held in memory for every step of a
#: plan; larger ones stay lazy and are read again, chunk by chunk, by each step.
PERSIST_BYTES = 2**30


def quiet_cf_warnings(func: Callable) -> Callable:
    """Silence pyproj's note that an oblique-Mercator CRS (the Swiss EPSG:2056) loses a
    parameter in its CF description: the CRS itself is kept as WKT, so nothing is lost."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="angle from rectified to skew grid",
                                    category=UserWarning)
            return func(*args, **kwargs)

    return wrapper


@dataclass
class Layers:
    """The data a plan runs on: segmentations (or class codes) per date, picture, provenance."""

    segmentations: dict[str | None, Any]
    codes: dict[str | None, Any]
    picture: Any
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def dates(self) -> list[str | None]:
        return list(self.segmentations or self.codes)

    def mask(self, what: str | int, date: str | None, *, threshold: float | None = None) -> Any:
        """uint8 mask (1, 0, 255 nodata) of a class name or code at a date."""
        key = date if date in self.dates else None
        if date is not None and key is None:
            raise DateRangeError(f"the plan asks for the {quote(date)} date but this source was "
                                 "opened for one date; pass a date range covering two dates")
        if what is None:            # the whole region: every pixel with data
            return self._on_common_area(region_mask(self.codes.get(key),
                                                    self.segmentations.get(key)), key)
        if isinstance(what, (int, np.integer)):
            codes = self.codes.get(key)
            if codes is None:
                raise ClassNameError(f"this source has no class codes (asked for code {what}); "
                                     "ask for a class by name, or use a categorical raster")
            if self.provenance.get("nodata") == int(what):
                raise ClassNameError(f"code {what} is the raster's nodata value: it marks "
                                     "pixels without data, not a class. Ask what share has no "
                                     "data, or correct the raster's nodata tag")
            return self._on_common_area(code_mask(codes, int(what)), key)
        collided = self.provenance.get("nodata_class")
        if collided is not None and str(what).lower() == collided.lower():
            raise ClassNameError(f"the legend's class {quote(collided)} has the code the raster "
                                 f"declares no data ({self.provenance.get('nodata')}): its "
                                 "pixels read as no data, so the class cannot be measured. "
                                 "Correct the raster's nodata tag (gdal_edit.py -a_nodata) or "
                                 "the legend's code")
        seg = self.segmentations.get(key)
        if seg is None:
            raise ClassNameError(f"this source's classes are numbers only (product 'codes'): "
                                 f"ask for 'code N' instead of {quote(what)}, or pass "
                                 "product= with a code table")
        return self._on_common_area(segmentation_mask(seg, what, threshold=threshold), key)

    def _on_common_area(self, mask: Any, key: str | None) -> Any:
        """A mask of one date of a change, excluded where the other date has no data.

        Two dates compare only where both were seen: otherwise a map that covers more ground
        at one date (a longer shore, a wider swath) reads as change.
        """
        if key not in CHANGE_DATES or not all(d in self.dates for d in CHANGE_DATES):
            return mask
        both = None
        for date in CHANGE_DATES:
            seg = self.segmentations.get(date)
            seen = has_data(seg) if seg is not None else self.codes[date].notnull()
            both = seen if both is None else both & seen
        out = mask.where(both.data, MASK_NODATA).astype(np.uint8)
        out.name, out.attrs = mask.name, mask.attrs
        out.rio.write_nodata(MASK_NODATA, encoded=False, inplace=True)
        return out.rio.write_crs(mask.rio.crs, inplace=True)


def region_mask(codes: Any, segmentation: Any) -> Any:
    """uint8 mask of the whole region (1 where the source has data, :data:`MASK_NODATA`
    elsewhere), from class codes or a segmentation."""
    if segmentation is not None:       # a legend's own no-data codes are read here
        hit = segmentation["label"] != MASK_NODATA
    else:
        hit = codes.notnull()
    mask = hit.astype(np.uint8).where(hit, MASK_NODATA).astype(np.uint8)
    mask.attrs = {}
    mask.rio.write_nodata(MASK_NODATA, encoded=False, inplace=True)
    crs = (segmentation if segmentation is not None else codes).rio.crs
    return mask.rio.write_crs(crs, inplace=True) if crs is not None else mask


def source_vocabulary(source: Any, product: Any) -> Vocabulary:
    """The class words of a source: the built-in vocabulary and the legend of its product
    (a :class:`~geoquant.segment.LandCoverProduct` or a built-in product's name), or of a
    segmentation's classes."""
    import xarray as xr

    legend: list[str] = []
    resolved = _resolve_product(product) if isinstance(product, (str, Mapping)) else product
    if resolved is not None and resolved != CODES and hasattr(resolved, "classes"):
        legend += [str(c) for c in resolved.classes]
    if isinstance(source, xr.Dataset) and "classes" in source.attrs:
        legend += [str(c) for c in source.attrs["classes"]]
    elif isinstance(source, xr.Dataset) and "probability" in source:
        legend += [str(c) for c in source["probability"].coords["class"].values]
    return Vocabulary(legend)


def stac_vocabulary(url: str, *, region: Any, bbox: Any, datetime: str | None
                    ) -> Vocabulary | None:
    """The legend of a STAC land-cover collection over the region (its items'
    ``classification:classes``), or None when its items carry none."""
    from geoquant import sources

    api, sep, collection = url.rstrip("/").rpartition("/collections/")
    if not sep or not collection:
        return None
    items = sources.search(api, collections=[collection], bbox=bbox, region=region,
                           datetime=datetime)
    if not items or not _classified(items, sources.profile_for(items)):
        return None
    return Vocabulary([str(c) for c in _stac_product(items[0]).classes])


@quiet_cf_warnings
def open_source(source: Any, *, region: Any = None, bbox: Sequence[float] | None = None,
                datetime: str | None = None, dates: Sequence[str | None] = (None,),
                product: str | None = None, segmenter: Any = None, sar: Any = None,
                chunks: int = 1024, gsd_m: float | None = None) -> Layers:
    """Open a source for the dates a plan needs (see the module docstring).

    ``sar`` is a second source of radar backscatter (same forms as ``source``): the optical
    segmentation is fused with SAR open water where the optical view is cloudy or missing
    (:func:`geoquant.segment.fuse`), for one-date questions.

    ``gsd_m`` is the pixel size of images without georeferencing (PNG, JPEG, GeoTIFF or
    arrays without a CRS), read as a local metric grid; for georeferenced local rasters it
    must agree with their own pixel size.

    Raises
    ------
    NoItemsFoundError
        A STAC search found nothing in the region and dates.
    DateRangeError
        A change question over fewer than two dates.
    RegionError, AssetError, BandError, InvalidOptionError
        From loading and segmenting, each saying what to change.
    """
    import xarray as xr

    if isinstance(source, xr.Dataset) and "probability" in source:
        return _from_segmentation(source, dates)
    cube, clear, product, provenance = _open_cube(source, region=region, bbox=bbox,
                                                  datetime=datetime, product=product,
                                                  chunks=chunks, gsd_m=gsd_m)
    # Optical imagery over several dates is composited (median of clear views); radar and
    # class rasters are read at their latest date.
    composite = product is None and not is_sar(cube, segmenter) and segmenter != "sar-water"
    steps = _steps_for(cube, dates, datetime, composite=composite)
    provenance["dates"] = {str(k): _date_text(cube, i) for k, i in steps.items()}
    if sar is not None:
        if list(steps) != [None] or product is not None:
            raise InvalidOptionError("sar= fuses radar into optical imagery for one-date "
                                     "questions; drop it for change questions and class "
                                     "rasters")
        view_clear = None if clear is None else (
            clear.any("time") if steps[None] is None else clear.isel(time=steps[None]))
        return _segment_fused(cube, steps, sar, clear=clear, view_clear=view_clear,
                              segmenter=segmenter,
                              provenance=provenance, region=region, bbox=bbox,
                              datetime=datetime, chunks=chunks)
    return _segment(cube, steps, clear=clear, product=product, segmenter=segmenter,
                    provenance=provenance)


def _open_cube(source: Any, *, region: Any, bbox: Any, datetime: str | None,
               product: Any, chunks: int, gsd_m: float | None = None
               ) -> tuple[Any, Any, Any, dict[str, Any]]:
    """``(time, band, y, x)`` cube, clear-sky mask or None, product, provenance."""
    import xarray as xr

    from geoquant.sources import check_gsd, checked_gsd

    gsd_m = checked_gsd(gsd_m)
    provenance: dict[str, Any] = {}
    clear = None
    if isinstance(source, xr.DataArray):
        cube = nodata_as_nan(source, _resolve_product(product))
        provenance["source"] = "array"
        if cube.rio.crs is not None and gsd_m is not None:
            check_gsd(cube, gsd_m, "the array's")
        if cube.rio.crs is None:
            if gsd_m is None:
                raise InvalidOptionError("the array has no CRS: give its pixel size (gsd=0.5) "
                                         "to read it as a local metric grid, or write a CRS "
                                         "(arr.rio.write_crs(...))")
            from geoquant.sources import local_metric_grid

            cube = local_metric_grid(cube, gsd_m)
    elif isinstance(source, str) and source.startswith(("http://", "https://")):
        cube, clear, items, product = _from_stac(source, region=region, bbox=bbox,
                                                 datetime=datetime, product=product,
                                                 chunks=chunks)
        provenance.update(source=source, items=[i["id"] for i in items])
        if gsd_m is not None:
            check_gsd(cube, gsd_m, f"collection {source}'s")
        if clear is not None:
            provenance["clear_sky"] = clear.attrs.get("clear_sky")
        from geoquant.sources import native_grids

        grids = native_grids(items)
        if grids:
            provenance["native_grids"] = grids
    else:
        _check_paths(source)
        cube = _from_paths(source, chunks=chunks, gsd_m=gsd_m,
                           product=_resolve_product(product))
        paths = [source] if isinstance(source, (str, Path)) else list(source)
        provenance["source"] = [str(p) for p in paths]
        cube = _within(cube, region=region, bbox=bbox, datetime=datetime,
                       provenance=provenance)
    if "source_nodata" in cube.attrs:
        provenance["nodata"] = cube.attrs["source_nodata"]
    if "nodata_class" in cube.attrs:
        provenance["nodata_class"] = cube.attrs["nodata_class"]
    if "band" not in cube.dims:
        cube = cube.expand_dims(band=["data"], axis=0)
    if "georeferencing" in cube.attrs:
        provenance["georeferencing"] = cube.attrs["georeferencing"]
    if "native_grids" in cube.attrs:
        provenance["native_grids"] = cube.attrs["native_grids"]
    resolved = _resolve_product(product)
    if getattr(resolved, "colours", None) and cube.sizes["band"] >= 3:
        cube = resolved.codes_from_colours(cube)     # colour-coded class masks
    if "time" not in cube.dims:
        cube = cube.expand_dims(time=[np.datetime64("NaT", "ns")])
    return cube.transpose("time", "band", "y", "x"), clear, product, provenance


def _segment_fused(cube: Any, steps: dict[str | None, int | None], sar: Any, *, clear: Any,
                   view_clear: Any, segmenter: Any, provenance: dict[str, Any],
                   region: Any, bbox: Any, datetime: str | None, chunks: int) -> Layers:
    import dask

    from geoquant import segment

    optical = _segment(cube, steps, clear=clear, product=None, segmenter=segmenter,
                       provenance=provenance)
    sar_cube, _, _, sar_provenance = _open_cube(sar, region=region, bbox=bbox,
                                                datetime=datetime, product=None, chunks=chunks)
    sar_view = sar_cube.isel(time=-1, drop=True)
    like = optical.segmentations[None]
    if sar_view.rio.shape != like.rio.shape or sar_view.rio.transform() != like.rio.transform():
        sar_view = sar_view.rio.reproject_match(like)  # eager: radar onto the optical grid
    water = segment.SarWater().fit(sar_view)
    fused = segment.fuse(like, segment.apply(sar_view, water), clear=view_clear)
    (fused,) = dask.persist(fused)
    provenance["sar"] = {**sar_provenance, "segmenter": segment.describe(water)}
    return Layers({None: fused}, {}, optical.picture, provenance)


def _date_text(cube: Any, index: int | None) -> Any:
    if index is None:
        times = [str(t)[:10] for t in cube.time.values if not np.isnat(t)]
        return f"composite of {', '.join(times)}" if times else None
    value, n = cube.time.values[index], cube.sizes["time"]
    if not np.isnat(value):
        return str(value)[:10]
    return f"time step {index % n + 1} of {n}" if n > 1 else None


def _steps_for(cube: Any, dates: Sequence[str | None], datetime: str | None, *,
               composite: bool = False) -> dict[str | None, int | None]:
    """Which time step answers each date the plan asks for (``None`` index: composite)."""
    n = cube.sizes["time"]
    if "before" in dates or "after" in dates:
        if n < 2:
            when = f"the date range {quote(datetime)}" if datetime else "the source"
            raise DateRangeError(f"a change question needs two dates, but {when} has "
                                 f"{n} time step: widen the date range to cover both dates")
        return {"before": 0, "after": n - 1}
    return {None: None if composite and n > 1 else n - 1}


def _from_stac(url: str, *, region: Any, bbox: Any, datetime: str | None,
               product: str | None, chunks: int):
    from geoquant import sources

    api, sep, collection = url.rstrip("/").rpartition("/collections/")
    if not sep or not collection:
        raise InvalidOptionError(f"a STAC source is the URL of a collection, "
                                 f"'<api>/collections/<id>'; got {quote(url)}")
    items = sources.search(api, collections=[collection], bbox=bbox, region=region,
                           datetime=datetime)
    if not items:
        raise NoItemsFoundError(f"collection {quote(collection)} has no items in this region and "
                                f"date range ({datetime or 'any date'}): widen either")
    profile = sources.profile_for(items)
    cube = sources.load(items, bbox=bbox, region=region, chunks=chunks,
                        sar_units="db" if profile.sar else None)
    clear = None
    if product is None and _classified(items, profile):
        product = _stac_product(items[0])
    if product is None and not profile.sar and cube.sizes["time"] > 1:
        try:
            clear = sources.clear_mask(items, like=cube)
            clear.attrs["clear_sky"] = "the items' quality layer"
        except Exception:  # noqa: BLE001 - a collection without a quality layer
            clear = _detected_clear(cube)
    return cube, clear, items, product


def _detected_clear(cube: Any) -> Any:
    """Clear sky detected from the bands (s2cloudless) for imagery without a quality layer;
    None when the cube lacks the bands or s2cloudless is not installed (every view counts)."""
    from geoquant.errors import BandError, MissingDependencyError
    from geoquant.sources import detect_clouds

    try:
        clear = detect_clouds(cube)
    except (BandError, MissingDependencyError):
        return None
    clear.attrs["clear_sky"] = "s2cloudless on the bands (no quality layer)"
    return clear


def _classified(items: Sequence[Mapping[str, Any]], profile: Any) -> bool:
    """Whether every data asset is a classification (a land-cover product)."""
    from geoquant.sources import is_quality_asset

    data = [a for k, a in items[0].get("assets", {}).items()
            if not is_quality_asset(k, a, profile)]
    return bool(data) and all(is_class_asset(a) for a in data)


def _stac_product(item: Mapping[str, Any]) -> Any:
    from geoquant.segment import LandCoverProduct

    return LandCoverProduct.from_stac(item, asset=class_asset(item),
                                      name=str(item.get("collection")))


def _check_paths(source: Any) -> None:
    ok = isinstance(source, (str, Path)) or (
        isinstance(source, (list, tuple)) and all(isinstance(p, (str, Path)) for p in source))
    if not ok:
        raise InvalidOptionError(
            f"source must be a STAC collection URL, a raster path or a list of them, an xarray "
            f"DataArray or a segmentation Dataset; got {type(source).__name__} "
            f"{str(source)[:80]!r}")


def _within(cube: Any, *, region: Any, bbox: Any, datetime: str | None,
            provenance: dict[str, Any]) -> Any:
    """A local cube clipped to the region and dates asked for, with the same errors as a STAC
    source (a region outside the data, a reversed box, an unreadable or empty date range)."""
    from geoquant.sources import datetime_range, region_from

    span = datetime_range(datetime)
    if span is not None:
        times = cube.time.values if "time" in cube.dims else np.array([np.datetime64("NaT")])
        if np.isnat(times).all():
            provenance["datetime"] = (f"{datetime} not applied: local rasters carry no dates; "
                                      "they were taken in the order given")
        else:
            start, stop = (None if part == ".." else np.datetime64(part.rstrip("Z"))
                           for part in span.split("/"))
            keep = np.ones(times.shape, dtype=bool)
            keep &= True if start is None else times >= start
            keep &= True if stop is None else times <= stop
            if not keep.any():
                raise DateRangeError(f"no time step of the rasters lies in {datetime}: they "
                                     f"run from {str(times.min())[:10]} to "
                                     f"{str(times.max())[:10]}; widen the date range")
            cube = cube.isel(time=np.flatnonzero(keep))
    area = region_from(bbox=bbox, region=region)
    if area is None:
        return cube
    if "georeferencing" in cube.attrs:
        raise RegionError("a region in degrees cannot be placed on an image without "
                          "georeferencing (read with a pixel size only): drop bbox/region, "
                          "or give a georeferenced raster")
    from rioxarray.exceptions import NoDataInBounds, OneDimensionalRaster

    if cube.dtype.kind in "iub":          # outside the region becomes no data (NaN)
        nodata = cube.rio.nodata
        cube = (cube.where(cube != nodata) if nodata is not None else cube).astype(np.float32)
        cube = cube.rio.write_nodata(np.nan, encoded=False)
    try:
        clipped = cube.rio.clip([area.geometry], crs="EPSG:4326", drop=True)
    except (NoDataInBounds, OneDimensionalRaster):
        left, bottom, right, top = cube.rio.transform_bounds("EPSG:4326")
        raise RegionError(f"the region {area.bbox} lies outside the rasters (they cover "
                          f"{left:.5f}, {bottom:.5f}, {right:.5f}, {top:.5f} in lon/lat): choose "
                          "a region over the data") from None
    provenance["region"] = list(area.bbox)
    return clipped


def _from_paths(source: Any, *, chunks: int, gsd_m: float | None = None,
                product: Any = None) -> Any:
    import xarray as xr

    from geoquant import sources

    paths = [source] if isinstance(source, (str, Path)) else list(source)
    if not paths:
        raise InvalidOptionError("no source given: pass a STAC collection URL, raster paths, "
                                 "or an xarray cube")
    layers = []
    for path in paths:
        arr = _as_class_mask(sources.open_raster(path, chunks=chunks, gsd_m=gsd_m), path, product)
        arr = nodata_as_nan(arr, product)
        layers.append(arr if "band" in arr.dims else arr.expand_dims(band=["data"]))
    if len(layers) == 1:
        return layers[0]
    first = layers[0]
    grids = [_grid_of(layer) for layer in layers]
    # Rasters of other dates on another grid are resampled onto the first's (nearest
    # neighbour, so class codes stay codes); the resampling reads them whole.
    layers = [first] + [layer if _same_grid(layer, first) else
                        _resampled(layer, first) for layer in layers[1:]]
    times = np.full(len(layers), np.datetime64("NaT", "ns"))   # file order, dates unknown
    cube = xr.concat(layers, dim="time", join="override").assign_coords(time=times)
    cube.attrs["native_grids"] = grids
    return cube


def nodata_as_nan(arr: Any, product: Any) -> Any:
    """An integer class raster with its nodata value as NaN, the value kept in
    ``attrs["source_nodata"]``: a resampling onto another date's grid must fill with NaN, not
    with the old code (which reads as a valid class).

    The file's nodata tag wins over a legend class of the same code; that class is named in
    ``attrs["nodata_class"]`` so that a question about it is refused
    (:meth:`Layers.mask`) rather than answered as absent.
    """
    nodata = arr.rio.nodata
    if arr.dtype.kind not in "iu" or nodata is None or np.isnan(float(nodata)):
        return arr
    named = getattr(product, "codes", None) or {}
    out = arr.where(arr != nodata).astype(np.float32)
    out = out.rio.write_nodata(np.nan, encoded=False)
    out.attrs["source_nodata"] = int(nodata)
    collided = [w for c, w in named.items() if int(c) == int(nodata)]
    if collided:
        out.attrs["nodata_class"] = str(collided[0])
    return out


def _as_class_mask(arr: Any, path: Any, product: Any) -> Any:
    """A local raster as its classes are read: a lossy (JPEG) file is refused as a class
    mask, and a paletted mask of a colour-coded product (DeepGlobe) becomes codes through
    its palette's colours (the indices alone are not the product's codes)."""
    if product is None:
        return arr
    lossy = arr.attrs.get("lossy_compression")
    if lossy:
        from geoquant.errors import AssetError

        raise AssetError(f"{path} is {lossy}-compressed, which changes class codes and "
                         "colours along every edge: a class mask read from it would be "
                         "silently wrong. Give the mask losslessly (PNG or GeoTIFF without "
                         "JPEG compression), or drop --product to read it as imagery")
    palette = arr.attrs.get("palette")
    if palette and getattr(product, "colours", None):
        return product.codes_from_palette(arr, palette)
    return arr


def _grid_of(layer: Any) -> list[float]:
    """A raster's own grid: origin x, origin y, pixel width, pixel height (CRS units)."""
    t = layer.rio.transform()
    return [float(t.c), float(t.f), float(t.a), float(t.e)]


def _resampled(layer: Any, like: Any) -> Any:
    """``layer`` on ``like``'s grid (nearest neighbour), NaN where it has no data."""
    if layer.dtype.kind != "f":
        layer = layer.astype(np.float32)
    layer = layer.rio.write_nodata(np.nan, encoded=False)
    return layer.rio.reproject_match(like, nodata=np.nan).chunk(dict(like.chunksizes))


def _same_grid(a: Any, b: Any) -> bool:
    return a.rio.shape == b.rio.shape and a.rio.transform() == b.rio.transform() \
        and a.rio.crs == b.rio.crs


def _from_segmentation(seg: Any, dates: Sequence[str | None]) -> Layers:
    if "time" in seg.dims:
        steps = _steps_for(seg, dates, None)
        segs = {k: seg.isel(time=i if i is not None else -1, drop=True)
                for k, i in steps.items()}
    else:
        if "before" in dates or "after" in dates:
            raise DateRangeError("a change question needs a segmentation with a time "
                                 "dimension of at least two steps")
        segs = {None: seg}
    return Layers(segs, {}, None, {"source": "segmentation",
                                   "segmenter": seg.attrs.get("segmenter")})


def _source_words(provenance: Mapping[str, Any]) -> str:
    """The source as an error names it: "raster a.tif", "collection URL", "the array"."""
    source = provenance.get("source")
    if isinstance(source, list):
        return f"raster {source[0]}" if len(source) == 1 else f"rasters {', '.join(source)}"
    if isinstance(source, str) and source.startswith(("http://", "https://")):
        return f"collection {source}"
    return "the array" if source == "array" else "the source"


def _resolve_product(product: Any) -> Any:
    """A product from its name, or from a legend given as ``{code: class word}`` (a mapping,
    or its JSON text)."""
    from geoquant import segment

    if isinstance(product, str) and product.lstrip().startswith("{"):
        import json

        try:
            product = json.loads(product)
        except json.JSONDecodeError as err:
            raise InvalidOptionError(f"the product legend is not valid JSON: {err}") from None
    if isinstance(product, Mapping):
        return legend_product(product)
    if product is None or product == CODES or not isinstance(product, str):
        return product
    if product not in segment.PRODUCTS and Path(product).exists():
        raise InvalidOptionError(f"product {quote(product)} is a file, but a product is a name of "
                                 f"{', '.join(segment.PRODUCTS)} or a legend as JSON text: "
                                 "pass a segmenter file as the segmenter")
    found = segment.open_segmenter(product)       # a name; an unknown one gets suggestions
    if not isinstance(found, segment.LandCoverProduct):
        raise InvalidOptionError(f"{quote(product)} is a segmenter, not a land-cover product: pass "
                                 "it as the segmenter, or name one of "
                                 f"{', '.join(segment.PRODUCTS)}")
    return found


def legend_product(legend: Mapping[Any, Any]) -> Any:
    """A :class:`~geoquant.segment.LandCoverProduct` from a user's legend ``{code: word}``.

    Every code the legend names is a class, code 0 included; a code whose word is "no data"
    (``"nodata"``, ``"no-data"``) is no data, as is whatever the file's own nodata tag says.

    Raises
    ------
    InvalidOptionError
        A code that is not an integer, or a legend that names no class.
    """
    from geoquant import segment

    try:
        pairs = [(int(code), str(word)) for code, word in legend.items()]
    except (TypeError, ValueError):
        raise InvalidOptionError("a product legend maps integer codes to class words, "
                                 'e.g. {"1": "building", "2": "road"}') from None
    for code, word in legend.items():
        if not isinstance(word, str):
            raise InvalidOptionError(f"the product legend gives code {str(code)[:20]} the "
                                     f"{type(word).__name__} {str(word)[:40]!r}: give each "
                                     'code a class word as text, e.g. {"1": "building"}')
    nodata = tuple(c for c, w in pairs if _is_nodata_word(w))
    codes = {c: w for c, w in pairs if not _is_nodata_word(w)}
    if not codes:
        raise InvalidOptionError("the product legend names no class: give it as "
                                 '{"code": "class word", ...}, e.g. {"1": "building"}')
    return segment.LandCoverProduct("legend", codes, nodata, "user")


def _is_nodata_word(word: str) -> bool:
    return "".join(ch for ch in word.lower() if ch.isalnum()) in ("nodata", "novalue", "")


def _segment(cube: Any, steps: dict[str | None, int | None], *, clear: Any, product: Any,
             segmenter: Any, provenance: dict[str, Any]) -> Layers:
    import dask

    from geoquant import segment

    product = _resolve_product(product)
    categorical = product is not None
    if categorical and cube.sizes["band"] > 1 and getattr(product, "band", None) is None:
        shown = ", ".join(str(b)[:20] for b in cube.band.values[:6])
        raise InvalidOptionError(
            f"{_source_words(provenance)} has {cube.sizes['band']} bands ({shown}), but class "
            "codes are read from one band: give a single-band class raster, a colour-coded "
            "mask with a product that lists its colours (--product deepglobe), or drop "
            "--product to read it as imagery")
    # One decision point, shared with eval and the monitor (geoquant.segment._layers).
    segmenter, cube = segment.choose_segmenter(cube, segmenter=segmenter, product=product,
                                               source=_source_words(provenance))
    if isinstance(segmenter, segment.SarWater):
        segmenter = segmenter.fit(cube)          # one threshold over the whole region
    segs: dict[str | None, Any] = {}
    codes: dict[str | None, Any] = {}
    for key, index in steps.items():
        if index is None:
            view = cube  # (time, band, y, x): composite
        else:
            view = cube.isel(time=index, drop=True)
        if categorical:
            codes[key] = (view.isel(time=-1, drop=True) if "time" in view.dims
                          else view).isel(band=0, drop=True)
        if segmenter is None:
            continue
        if "time" in view.dims and view.sizes["time"] > 1:
            segs[key] = segment.apply(view, segmenter, composite=True, clear=clear)
        elif "time" in view.dims:
            segs[key] = segment.apply(view.isel(time=0, drop=True), segmenter)
        else:
            segs[key] = segment.apply(view, segmenter)
    # A product's probabilities are one-hot: threshold runs could not differ.
    provenance["categorical"] = categorical and (segmenter is None or segmenter is product)
    if segmenter is not None:
        provenance["segmenter"] = segment.describe(segmenter)
    elif product == CODES:
        provenance["segmenter"] = {"name": "class codes", "version": "-"}
    if provenance["categorical"]:
        # One-hot probabilities carry nothing the class map does not: keep a byte per pixel.
        segs = {k: seg[["label"]].assign_attrs(
            classes=[str(c) for c in seg["probability"].coords["class"].values])
            for k, seg in segs.items()}
    segs_keys, codes_keys = list(segs), list(codes)
    held = sum(int(x.nbytes) for x in (*segs.values(), *codes.values()))
    if held <= PERSIST_BYTES:
        persisted = dask.persist(*segs.values(), *codes.values())
        segs = dict(zip(segs_keys, persisted[:len(segs_keys)], strict=True))
        codes = dict(zip(codes_keys, persisted[len(segs_keys):], strict=True))
        _check_whole_codes(codes, provenance)
        _note_unnamed_codes(codes, product, provenance)
    else:
        # Larger than memory should hold: every step reads the source again, tile by tile.
        provenance["read"] = (f"lazily in chunks ({held / 2**30:.1f} GiB of layers, more "
                              f"than the {PERSIST_BYTES / 2**30:g} GiB held in memory)")
    picture = _picture_of(cube, steps)
    return Layers(segs, codes, picture, provenance)


def _note_unnamed_codes(codes: Mapping[Any, Any], product: Any,
                        provenance: dict[str, Any]) -> None:
    """Say which codes of a categorical raster its legend does not name: they are ground of
    no class (counted in shares of the region), which a legend that forgot its no-data code
    would otherwise leave unsaid (Sen1Floods11's -1)."""
    named = getattr(product, "codes", None)
    if not isinstance(named, Mapping):
        return
    known = {int(c) for c in named} | {int(c) for c in getattr(product, "nodata", ())}
    found: dict[int, int] = {}
    for layer in codes.values():
        values, counts = np.unique(np.asarray(layer.data), return_counts=True)
        for value, count in zip(values, counts, strict=True):
            if np.isfinite(value) and int(value) not in known:
                found[int(value)] = found.get(int(value), 0) + int(count)
    if not found:
        return
    listed = ", ".join(f"{code} ({count} pixels)" for code, count in sorted(found.items())[:8])
    provenance["codes_not_in_legend"] = {str(code): count for code, count in found.items()}
    provenance.setdefault("notes", []).append(
        f"codes {listed} are not in the legend: read as ground of no class, counted in shares "
        "of the region; name them in the legend (e.g. {\"%d\": \"no data\"}) to leave them "
        "out" % min(found))


def _check_whole_codes(codes: Mapping[Any, Any], provenance: Mapping[str, Any]) -> None:
    """Refuse class codes that are not whole numbers (a continuous raster read as classes)."""
    for layer in codes.values():
        if layer.dtype.kind != "f":
            continue
        values = np.asarray(layer.data)
        fractional = values[np.isfinite(values) & (values != np.round(values))]
        if fractional.size:
            raise InvalidOptionError(
                f"{_source_words(provenance)} holds fractional values (e.g. "
                f"{float(fractional[0]):.6g}), but class codes are whole numbers: it looks "
                "like a continuous quantity (backscatter, an index, a reflectance); drop "
                "--product and choose a segmenter (--segmenter sar-water for radar in dB)")


def _picture_of(cube: Any, steps: dict[str | None, int | None]) -> Any:
    """A lazy ``(band, y, x)`` view for the quick-look: true colour when the cube has it."""
    from geoquant.segment import common_name

    index = list(steps.values())[-1]
    last = cube.isel(time=-1 if index is None else index, drop=True)
    names = [common_name(str(b)) for b in last.band.values]
    if all(c in names for c in ("red", "green", "blue")):
        return last.isel(band=[names.index(c) for c in ("red", "green", "blue")])
    return last.isel(band=[0])
