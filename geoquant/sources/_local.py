"""Open local rasters (COG/GeoTIFF, Zarr) with the same conventions as STAC loads."""

from __future__ import annotations

from pathlib import Path

from geoquant.errors import AssetError, InvalidOptionError, StoreError

#: The CRS of a raster without georeferencing read with a pixel size: a local metric grid
#: (transverse Mercator at 0°, 0°: metres, with negligible scale error over any image).
LOCAL_METRIC_CRS = "+proj=tmerc +lat_0=0 +lon_0=0 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"


#: Formats decoded from their first byte on whatever part is read: a window costs the whole
#: image before it, so they are decoded whole or not at all.
SEQUENTIAL_DRIVERS = frozenset({"PNG", "JPEG", "GIF", "BMP", "WEBP"})
#: The most a sequential image may take once decoded (bytes), and the most one block of a
#: tiled or striped raster may (a block is decoded whole for any pixel in it).
MAX_DECODED_BYTES = 2**30
MAX_BLOCK_BYTES = 2**28


def decoded_size(path: Path) -> tuple[int, int]:
    """Bytes ``path`` takes once decoded, whole and per block, read from its header only.

    A sequential format (PNG, JPEG, GIF, BMP, WebP) counts as one block. Bands of a
    pixel-interleaved file share blocks. A 1-bit image counts a byte per pixel, as it is read.

    Raises
    ------
    AssetError
        When the header cannot be read.
    """
    import warnings

    import numpy as np
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                itemsize = max(np.dtype(d).itemsize for d in src.dtypes)
                whole = src.width * src.height * src.count * itemsize
                if src.driver in SEQUENTIAL_DRIVERS:
                    return whole, whole
                rows, cols = src.block_shapes[0]
                interleaved = (src.interleaving is not None
                               and src.interleaving.name.lower() == "pixel")
                block = rows * cols * itemsize * (src.count if interleaved else 1)
                return whole, block
    except RasterioIOError as err:
        raise AssetError(f"cannot read raster {path}: {err}; check the file") from err


def check_decoded_size(path: Path) -> None:
    """Refuse a raster that would take too much memory to decode, before reading any pixel
    (a decompression bomb: a 1 MB PNG of 10 Gpx), with the figure and what to do instead.

    Raises
    ------
    AssetError
        A sequential image above :data:`MAX_DECODED_BYTES`, or blocks above
        :data:`MAX_BLOCK_BYTES`.
    """
    import rasterio

    whole, block = decoded_size(path)
    fix = ("convert it to a tiled GeoTIFF, which is read chunk by chunk: gdal_translate -co "
           f"TILED=YES -co COMPRESS=DEFLATE {path.name} {path.stem}.tif")
    if whole == block and block > MAX_DECODED_BYTES:
        with rasterio.open(path) as src:
            shape = f"{src.width} x {src.height} pixels, {src.count} band(s)"
            driver = src.driver
        raise AssetError(f"{path} is a {driver} image of {shape}: {whole / 2**30:.1f} GiB once "
                         f"decoded, more than the {MAX_DECODED_BYTES / 2**30:g} GiB geoquant "
                         f"decodes at once, and a {driver} cannot be read in parts; {fix}")
    if block > MAX_BLOCK_BYTES:
        raise AssetError(f"{path} is stored in blocks of {block / 2**20:.0f} MiB each (decoded "
                         f"whole for any pixel in them), more than "
                         f"{MAX_BLOCK_BYTES / 2**20:.0f} MiB; {fix}")


def _open_geotiff(path: Path, chunks, gsd_m: float | None = None):
    import warnings

    import rioxarray
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    check_decoded_size(path)
    located = check_transform(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            arr = rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunks, "x": chunks},
                                          mask_and_scale=False, lock=False)
    except RasterioIOError as err:
        raise AssetError(f"cannot read raster {path}: {err}; check the file") from err
    if arr.rio.crs is None or not located:
        if gsd_m is None:
            lacks = "no CRS" if arr.rio.crs is None else "a CRS but no transform"
            raise AssetError(f"raster {path} has {lacks}: give its pixel size (gsd=0.5, "
                             "--gsd 0.5, or '(GSD: 0.5m)' in the question) to read it as a "
                             "local metric grid, or set its georeferencing (gdal_edit.py "
                             "-a_srs EPSG:.... -a_ullr ULX ULY LRX LRY)")
        arr = local_metric_grid(arr, gsd_m)
    elif gsd_m is not None:
        check_gsd(arr, gsd_m, f"{path}'s")
    names = arr.attrs.get("long_name")
    if isinstance(names, (tuple, list)) and len(names) == arr.sizes["band"]:
        arr = arr.assign_coords(band=list(names))
    elif arr.sizes["band"] == 1:
        import rasterio

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                name = src.tags(1).get("name") or src.descriptions[0] or path.stem
        arr = arr.assign_coords(band=[name])
    arr.attrs.update(_encoding_facts(path))
    return physical_values(arr)


def physical_values(arr):
    """``arr`` with its scale and offset applied and its nodata as NaN when it is float or
    scaled; integer codes without scale keep their dtype and nodata value.

    A GeoTIFF's band scale and offset, or a Zarr's CF ``scale_factor`` and ``add_offset``
    (read back raw by :func:`geoquant.sinks.open_zarr`), are removed from ``attrs`` once
    applied, so a writer does not store them for readers to apply again.
    """
    nodata = arr.rio.nodata
    scale = arr.attrs.get("scale_factor", 1.0)
    offset = arr.attrs.get("add_offset", 0.0)
    if arr.dtype.kind == "f" or scale != 1.0 or offset != 0.0:
        import numpy as np

        masked = arr.where(arr != nodata) if nodata is not None else arr
        # float32 holds what most rasters store; float64 data (and scaled 32-bit integers)
        # keep their precision: float32 turned 1e300 into inf and code 16777217 into 16777216
        wide = arr.dtype == np.float64 or (arr.dtype.kind in "iu" and arr.dtype.itemsize >= 4)
        arr = (masked * scale + offset).astype(np.float64 if wide else np.float32)
        arr = arr.rio.write_nodata(np.nan)
        # Applied: left in attrs, a writer stores them and every reader applies them again.
        for applied in ("scale_factor", "add_offset"):
            arr.attrs.pop(applied, None)
    return arr


def check_transform(path: Path) -> bool:
    """Whether a raster has a transform (one that is not the identity, which GDAL answers
    for none); refuse one located by ground control points instead (a Sentinel-1 GRD, a drone
    image with GCPs). rioxarray gives either the identity transform, with the points' CRS or
    a CRS of its own, so its pixels would measure one degree or one metre whatever their size.

    Raises
    ------
    AssetError
        Saying how to warp it onto a grid.
    """
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            gcps, gcp_crs = src.gcps
            located_by_points = bool(gcps) and src.transform.is_identity
    if located_by_points:
        crs = f"-t_srs {gcp_crs.to_string()} " if gcp_crs else ""
        raise AssetError(f"{path} is located by {len(gcps)} ground control points, not by a "
                         "transform, so its pixel size is unknown here; warp it onto a grid "
                         f"first: gdalwarp {crs}{path.name} {path.stem}_warped.tif (or a "
                         "UTM zone: -t_srs EPSG:326NN)")
    return not src.transform.is_identity


def _encoding_facts(path: Path) -> dict:
    """What the file's encoding says about its values: ``palette`` (a paletted image's
    colour table, ``{index: [red, green, blue]}``, values being indices into it) and
    ``lossy_compression`` (JPEG: values changed near every edge)."""
    import warnings

    import rasterio
    from rasterio.enums import ColorInterp
    from rasterio.errors import NotGeoreferencedWarning

    facts: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as src:
            if src.count == 1 and src.colorinterp[0] == ColorInterp.palette:
                facts["palette"] = {int(k): [int(c) for c in v[:3]]
                                    for k, v in src.colormap(1).items()}
            compression = src.compression.name.lower() if src.compression else ""
            if src.driver == "JPEG" or compression in ("jpeg", "ojpeg"):
                facts["lossy_compression"] = "JPEG"
            elif src.driver == "WEBP" and src.tags(ns="IMAGE_STRUCTURE").get(
                    "COMPRESSION_REVERSIBILITY", "").upper() != "LOSSLESS":
                facts["lossy_compression"] = "WebP"
    return facts


def open_raster(path: str | Path, *, chunks: int = 1024, variable: str | None = None,
                gsd_m: float | None = None):
    """Open a local raster as a lazy DataArray with its CRS.

    Parameters
    ----------
    path
        A GeoTIFF / COG (``.tif``), a PNG or JPEG with ``gsd_m``, or a Zarr store (``.zarr``,
        v2 or v3) written by geoquant (:func:`geoquant.sinks.write_zarr`, ``ask --out``
        evidence, a monitor store's ``region/source`` group) or any CF/rioxarray-georeferenced
        Zarr; one variable of a store may be given as its folder (``evidence.zarr/forest``).
    chunks
        Spatial chunk size in pixels.
    variable
        For a Zarr store with several variables, the one to open (default: the only one).
    gsd_m
        Ground sample distance in metres per pixel. A raster without georeferencing (a PNG or
        JPEG, a GeoTIFF without a CRS) is read with it as a local metric grid
        (:data:`LOCAL_METRIC_CRS`, origin at the top-left corner); for a georeferenced raster
        it must agree with the raster's own pixel size.

    Returns
    -------
    xarray.DataArray
        Dims ``(band, y, x)`` for GeoTIFF (band coordinate from band names); the stored dims
        for Zarr. Floating or scaled data come as float32 (float64 from float64 or scaled
        32-bit integers) with NaN for nodata, the scale and offset applied; integer
        categorical data keep their dtype and nodata value (``arr.rio.nodata``). A paletted
        image keeps its indices, with its colour table in ``attrs["palette"]``; a
        JPEG-compressed file says so in ``attrs["lossy_compression"]``.

    Raises
    ------
    AssetError
        The file is missing or unreadable, has no CRS and no ``gsd_m`` was given, or
        ``gsd_m`` contradicts its georeferencing (:func:`check_gsd`, projected or geographic).
    InvalidOptionError
        ``gsd_m`` is no plausible pixel size (:func:`checked_gsd`: NaN, inf, negative,
        1e-300).
    StoreError
        The Zarr store is corrupt, lacks georeferencing, or the variable is not in it.
    """
    path = Path(path)
    gsd_m = checked_gsd(gsd_m)
    if not path.exists():
        raise AssetError(f"{path} does not exist; check the path")
    if path.is_dir() or path.suffix == ".zarr":
        arr = _open_zarr(path, variable)
        if gsd_m is not None:
            check_gsd(arr, gsd_m, f"{path}'s")
        return arr
    return _open_geotiff(path, chunks, gsd_m)


def _is_zarr_array(path: Path) -> bool:
    """Whether ``path`` is one array of a Zarr store (v2 ``.zarray``, v3 ``zarr.json``)."""
    if (path / ".zarray").is_file():
        return True
    meta = path / "zarr.json"
    if not meta.is_file():
        return False
    import json

    try:
        return json.loads(meta.read_text(encoding="utf-8")).get("node_type") == "array"
    except (OSError, ValueError, AttributeError):
        return False


def _open_zarr(path: Path, variable: str | None):
    """One variable of a Zarr store: a store (or a group of one, such as a monitor store's
    ``region/source``), or the folder of one of its arrays (``evidence.zarr/forest``)."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    from geoquant.sinks import open_zarr

    if _is_zarr_array(path):
        if variable is not None and variable != path.name:
            raise StoreError(f"{path} is the array {path.name!r}, not {variable!r}: give the "
                             "store's folder with variable=, or the array's folder alone")
        path, variable = path.parent, path.name
    ds = open_zarr(path)
    names = [str(v) for v in ds.data_vars if v != "spatial_ref"]
    if variable is None:
        if len(names) != 1:
            raise StoreError(f"{path} holds variables {', '.join(names) or 'none'}: choose one "
                             f"with variable=, or give its folder as the source "
                             f"({path / (names[0] if names else 'NAME')})")
        variable = names[0]
    if variable not in names:
        raise StoreError(f"{path} has no variable {variable!r}; it has {', '.join(names)}")
    arr = ds[variable]
    if arr.rio.crs is None:
        arr = arr.rio.write_crs(ds.rio.crs)
    if arr.rio.crs is None:
        raise StoreError(f"{path}:{variable} has no CRS: write it with "
                         "geoquant.sinks.write_zarr from data with a CRS")
    return physical_values(arr)


def local_metric_grid(arr, gsd_m: float):
    """``arr`` (no georeferencing) on a local metric grid of ``gsd_m`` metres per pixel."""
    import warnings

    import numpy as np
    from affine import Affine
    from rasterio.errors import NotGeoreferencedWarning

    # The chunks are read later, in dask's threads: rasterio's note that the file has no
    # georeferencing is answered here, so it is not repeated there.
    warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)

    height, width = arr.sizes["y"], arr.sizes["x"]
    transform = Affine(gsd_m, 0.0, 0.0, 0.0, -gsd_m, height * gsd_m)
    arr = arr.assign_coords(x=(np.arange(width) + 0.5) * gsd_m,
                            y=height * gsd_m - (np.arange(height) + 0.5) * gsd_m)
    arr = arr.rio.write_crs(LOCAL_METRIC_CRS).rio.write_transform(transform)
    arr.attrs["georeferencing"] = f"local metric grid, {gsd_m:g} m per pixel (no CRS in file)"
    return arr


#: Pixel sizes geoquant accepts, metres: from a millimetre (close-range drone imagery) to
#: 100 km (the coarsest global grids). Outside, a figure is a typo or a unit mistake.
GSD_RANGE_M: tuple[float, float] = (1e-3, 1e5)
#: How far a stated pixel size may differ from a geographic grid's own metric sizes: the
#: nominal "10 m" of a 1/12000-degree product is its north-south size, 9.26 m.
_GEOGRAPHIC_MARGIN = 0.10


def checked_gsd(gsd_m: object) -> float | None:
    """A stated pixel size (metres) if it is one, else :class:`InvalidOptionError`.

    Raises
    ------
    InvalidOptionError
        Not a finite number (NaN, inf, True, text), or outside :data:`GSD_RANGE_M`.
    """
    import math

    if gsd_m is None:
        return None
    low, high = GSD_RANGE_M
    if isinstance(gsd_m, bool) or not isinstance(gsd_m, (int, float)) \
            or not math.isfinite(gsd_m) or not low <= gsd_m <= high:
        shown = repr(gsd_m) if len(repr(gsd_m)) <= 40 else repr(gsd_m)[:37] + "..."
        raise InvalidOptionError(f"the pixel size (GSD) must be a number of metres per pixel "
                                 f"from {low:g} to {high:g}, not {shown}: give e.g. --gsd 0.5")
    return float(gsd_m)


def metric_pixel_sizes(arr) -> tuple[float, float]:
    """The smallest and largest side of ``arr``'s pixels in metres, over its extent.

    Projected grids: the transform's sizes in metres. Geographic grids: geodesic sizes on the
    CRS's ellipsoid, east-west at the raster's latitude nearest and farthest from the
    equator, north-south at its centre.
    """
    crs = arr.rio.crs
    res_x, res_y = (abs(r) for r in arr.rio.resolution())
    if crs.is_projected:
        factor = crs.linear_units_factor[1] if crs.linear_units_factor else 1.0
        return min(res_x, res_y) * factor, max(res_x, res_y) * factor
    from pyproj import CRS

    geod = CRS.from_user_input(crs).get_geod()
    left, bottom, right, top = arr.rio.bounds()
    lats = [min(max(lat, -89.9), 89.9) for lat in (bottom, top)] + \
        ([0.0] if bottom < 0 < top else [])
    middle = (left + right) / 2
    sizes = [geod.inv(middle, lat, middle + res_x, lat)[2] for lat in lats]
    centre = min(max((bottom + top) / 2, -89.9), 89.9)
    sizes.append(geod.inv(middle, centre - res_y / 2, middle, centre + res_y / 2)[2])
    return min(sizes), max(sizes)


def check_gsd(arr, gsd_m: float, whose: str) -> None:
    """Refuse a stated pixel size that contradicts a raster's own georeferencing.

    On a projected grid it must agree with the pixel size within 1 %; on a geographic grid
    it must lie within the pixels' metric sizes over the raster (:func:`metric_pixel_sizes`),
    give or take 10 %.

    Raises
    ------
    AssetError
        Naming both sizes and what to change.
    """
    low, high = metric_pixel_sizes(arr)
    crs = arr.rio.crs
    if crs.is_projected:
        size = (low * high) ** 0.5
        if abs(size - gsd_m) <= 0.01 * size:
            return
        own = f"{low:g} x {high:g} m per pixel" if low != high else f"{low:g} m per pixel"
    else:
        if low * (1 - _GEOGRAPHIC_MARGIN) <= gsd_m <= high * (1 + _GEOGRAPHIC_MARGIN):
            return
        res = abs(arr.rio.resolution()[0])
        own = f"a geographic grid of {res:.6g}° pixels, {low:.3g} to {high:.3g} m here"
    raise AssetError(f"the stated pixel size {gsd_m:g} m contradicts {whose} own "
                     f"georeferencing ({own}): drop the GSD (the georeferencing gives the "
                     "pixel size), or fix the raster's transform")
