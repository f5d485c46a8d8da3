"""Open local rasters (COG/GeoTIFF, Zarr) with the same conventions as STAC loads."""

from __future__ import annotations

from pathlib import Path

from geoquant.errors import AssetError, StoreError


def _open_geotiff(path: Path, chunks):
    import rioxarray
    from rasterio.errors import RasterioIOError

    try:
        arr = rioxarray.open_rasterio(path, chunks={"band": 1, "y": chunks, "x": chunks},
                                      mask_and_scale=False, lock=False)
    except RasterioIOError as err:
        raise AssetError(f"cannot read raster {path}: {err}; check the file") from err
    if arr.rio.crs is None:
        raise AssetError(f"raster {path} has no CRS; set one (gdal_edit.py -a_srs EPSG:....)")
    names = arr.attrs.get("long_name")
    if isinstance(names, (tuple, list)) and len(names) == arr.sizes["band"]:
        arr = arr.assign_coords(band=list(names))
    elif arr.sizes["band"] == 1:
        import rasterio

        with rasterio.open(path) as src:
            name = src.tags(1).get("name") or src.descriptions[0] or path.stem
        arr = arr.assign_coords(band=[name])
    nodata = arr.rio.nodata
    scale = arr.attrs.get("scale_factor", 1.0)
    offset = arr.attrs.get("add_offset", 0.0)
    if arr.dtype.kind == "f" or scale != 1.0 or offset != 0.0:
        import numpy as np

        masked = arr.where(arr != nodata) if nodata is not None else arr
        arr = (masked * scale + offset).astype(np.float32).rio.write_nodata(np.nan)
    return arr


def open(path: str | Path, *, chunks: int = 1024, variable: str | None = None):  # noqa: A001
    """Open a local raster as a lazy DataArray with its CRS.

    Parameters
    ----------
    path
        A GeoTIFF / COG (``.tif``), or a Zarr store (``.zarr``) written by geoquant or any
        CF/rioxarray-georeferenced Zarr.
    chunks
        Spatial chunk size in pixels.
    variable
        For a Zarr store with several variables, the one to open (default: the only one).

    Returns
    -------
    xarray.DataArray
        Dims ``(band, y, x)`` for GeoTIFF (band coordinate from band names); the stored dims
        for Zarr. Floating or scaled data come as float32 with NaN for nodata; integer
        categorical data keep their dtype and nodata value (``arr.rio.nodata``).

    Raises
    ------
    AssetError
        The file is missing, unreadable or has no CRS.
    StoreError
        The Zarr store is corrupt, lacks georeferencing, or the variable is not in it.
    """
    path = Path(path)
    if not path.exists():
        raise AssetError(f"{path} does not exist; check the path")
    if path.is_dir() or path.suffix == ".zarr":
        from geoquant.sinks import open_zarr

        ds = open_zarr(path)
        names = [v for v in ds.data_vars if v != "spatial_ref"]
        if variable is None:
            if len(names) != 1:
                raise StoreError(f"{path} holds variables {names}; pass variable= to choose one")
            variable = names[0]
        if variable not in ds:
            raise StoreError(f"{path} has no variable {variable!r}; it has {names}")
        arr = ds[variable]
        if arr.rio.crs is None:
            raise StoreError(f"{path}:{variable} has no CRS")
        return arr
    return _open_geotiff(path, chunks)
