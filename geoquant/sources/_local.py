"""Open local rasters (COG/GeoTIFF, Zarr) with the same conventions as STAC loads."""

from __future__ import annotations

from pathlib import Path

from geoquant.errors import AssetError, StoreError

#: The CRS of a raster without georeferencing read with a pixel size: a local metric grid
#: (transverse Mercator at 0°, 0°: metres, with negligible scale error over any image).
LOCAL_METRIC_CRS = "+proj=tmerc +lat_0=0 +lon_0=0 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"


def _open_geotiff(path: Path, chunks, gsd_m: float | None = None):
    import warnings

    import rioxarray
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            arr = rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunks, "x": chunks},
                                          mask_and_scale=False, lock=False)
    except RasterioIOError as err:
        raise AssetError(f"cannot read raster {path}: {err}; check the file") from err
    if arr.rio.crs is None:
        if gsd_m is None:
            raise AssetError(f"raster {path} has no CRS: give its pixel size (gsd=0.5, "
                             "--gsd 0.5, or '(GSD: 0.5m)' in the question) to read it as a "
                             "local metric grid, or set a CRS (gdal_edit.py -a_srs EPSG:....)")
        arr = local_metric_grid(arr, gsd_m)
    elif gsd_m is not None:
        _check_gsd(arr, gsd_m, path)
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
    nodata = arr.rio.nodata
    scale = arr.attrs.get("scale_factor", 1.0)
    offset = arr.attrs.get("add_offset", 0.0)
    if arr.dtype.kind == "f" or scale != 1.0 or offset != 0.0:
        import numpy as np

        masked = arr.where(arr != nodata) if nodata is not None else arr
        arr = (masked * scale + offset).astype(np.float32).rio.write_nodata(np.nan)
    return arr


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


def open(path: str | Path, *, chunks: int = 1024, variable: str | None = None,  # noqa: A001
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
        for Zarr. Floating or scaled data come as float32 with NaN for nodata; integer
        categorical data keep their dtype and nodata value (``arr.rio.nodata``). A paletted
        image keeps its indices, with its colour table in ``attrs["palette"]``; a
        JPEG-compressed file says so in ``attrs["lossy_compression"]``.

    Raises
    ------
    AssetError
        The file is missing or unreadable, has no CRS and no ``gsd_m`` was given, or
        ``gsd_m`` contradicts its georeferencing.
    StoreError
        The Zarr store is corrupt, lacks georeferencing, or the variable is not in it.
    """
    path = Path(path)
    if not path.exists():
        raise AssetError(f"{path} does not exist; check the path")
    if path.is_dir() or path.suffix == ".zarr":
        return _open_zarr(path, variable)
    if gsd_m is not None and not (isinstance(gsd_m, (int, float)) and 0 < gsd_m < 1e6):
        raise AssetError(f"the pixel size must be a positive number of metres, not {gsd_m!r}")
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
    return arr


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


def _check_gsd(arr, gsd_m: float, path: Path) -> None:
    """Refuse a stated pixel size that contradicts the raster's own (by more than 1 %)."""
    crs = arr.rio.crs
    if not crs.is_projected:
        return      # degrees: the metric size varies; geoquant measures geodesically
    factor = crs.linear_units_factor[1] if crs.linear_units_factor else 1.0
    res_x, res_y = (abs(r) * factor for r in arr.rio.resolution())
    size = (res_x * res_y) ** 0.5
    if abs(size - gsd_m) > 0.01 * size:
        raise AssetError(f"the stated pixel size {gsd_m:g} m contradicts {path}'s own "
                         f"georeferencing ({res_x:g} x {res_y:g} m per pixel): drop the GSD, "
                         "or fix the raster's transform")
