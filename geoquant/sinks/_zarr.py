"""Zarr stores that GIS software opens with the right CRS and transform, written atomically."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoquant.errors import StoreError
from geoquant.sinks._atomic import atomic_output, check_output_path
from geoquant.sinks._compute import compute_settled
from geoquant.sinks._georef import (
    GDAL_CRS_ATTR,
    as_dataset,
    georeference,
    spatial_variables,
    write_crs,
)

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["open_zarr", "write_zarr"]

DEFAULT_SPATIAL_CHUNK = 512

# Encoding keys that say how values are stored (CF), as opposed to how a previous store
# chunked or compressed them; only these survive from the input's encoding.
_KEPT_ENCODING = frozenset(
    {"_FillValue", "dtype", "scale_factor", "add_offset", "units", "calendar", "grid_mapping"}
)


def _check_options(zarr_format: int, chunks: Any, compressor_level: int) -> tuple[int, int] | None:
    if zarr_format not in (2, 3):
        raise ValueError(
            f"zarr_format must be 2 or 3, not {zarr_format!r}; 2 is what GDAL < 3.11 reads."
        )
    if isinstance(compressor_level, bool) or not isinstance(compressor_level, int):
        raise TypeError(f"compressor_level must be an int from 0 to 9, not {compressor_level!r}.")
    if not 0 <= compressor_level <= 9:
        raise ValueError(
            f"compressor_level must be from 0 (no compression) to 9 (smallest), "
            f"not {compressor_level}."
        )
    if chunks is None:
        return None
    pair = (chunks, chunks) if isinstance(chunks, int) else tuple(chunks)
    if len(pair) != 2 or not all(
        isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in pair
    ):
        raise ValueError(
            "chunks must be a positive int or a pair (rows, columns) of positive ints, "
            f"not {chunks!r}."
        )
    return pair  # type: ignore[return-value]


def _regular_size(sizes: tuple[int, ...]) -> int | None:
    """The chunk size if ``sizes`` is a regular chunking (all equal but a smaller last one)."""
    first = sizes[0]
    if all(s == first for s in sizes[:-1]) and sizes[-1] <= first:
        return first
    return None


def _spatial_chunks(
    var: xr.DataArray, y_dim: str, x_dim: str, chunks: tuple[int, int] | None
) -> tuple[int, int]:
    ny, nx = var.sizes[y_dim], var.sizes[x_dim]
    if chunks is not None:
        cy, cx = chunks
    elif var.chunks is not None:
        # Follow the dask chunks so each task writes whole Zarr chunks of its own; an
        # irregular chunking is evened out to its largest chunk.
        dask_chunks = var.chunksizes
        cy = _regular_size(dask_chunks[y_dim]) or max(dask_chunks[y_dim])
        cx = _regular_size(dask_chunks[x_dim]) or max(dask_chunks[x_dim])
    else:
        cy = cx = DEFAULT_SPATIAL_CHUNK
    return min(cy, ny), min(cx, nx)


def _compressor(zarr_format: int, itemsize: int, level: int) -> Any:
    # Bit shuffling suits one-byte masks and classes; byte shuffling suits wider numbers.
    if zarr_format == 2:
        from numcodecs import Blosc

        shuffle = Blosc.BITSHUFFLE if itemsize == 1 else Blosc.SHUFFLE
        return Blosc(cname="zstd", clevel=level, shuffle=shuffle)
    from zarr.codecs import BloscCodec

    return BloscCodec(
        cname="zstd", clevel=level, shuffle="bitshuffle" if itemsize == 1 else "shuffle"
    )


def _kept_encoding(var: xr.DataArray | xr.Variable) -> dict[str, Any]:
    return {k: v for k, v in var.encoding.items() if k in _KEPT_ENCODING}


def _prepare(
    data: Any, *, zarr_format: int, chunks: tuple[int, int] | None, level: int
) -> xr.Dataset:
    """Georeference, chunk and set the compression of every variable, lazily."""
    ds, y_dim, x_dim, names = georeference(as_dataset(data))

    ds = ds.copy()  # shallow: the encodings set below must not leak into the caller's objects
    for name, var in ds.variables.items():
        if name not in names:
            var.encoding = _kept_encoding(var)
    for name, var in list(ds.data_vars.items()):
        if name not in names and var.chunks is not None:
            # Zarr needs regular chunks; small non-raster variables just get evened out.
            ds[name] = var.chunk(
                {dim: _regular_size(c) or max(c) for dim, c in var.chunksizes.items()}
            )
    for name in names:
        var = ds[name]
        cy, cx = _spatial_chunks(var, y_dim, x_dim, chunks)
        if var.chunks is not None:
            var = var.chunk({y_dim: cy, x_dim: cx})
        encoding = _kept_encoding(var)
        if "_FillValue" not in encoding and "_FillValue" not in var.attrs:
            # The nodata value becomes the Zarr fill value, which GDAL reports as nodata. With
            # none declared, none is recorded: otherwise xarray would pick NaN for floats and
            # GIS software would treat it as nodata.
            encoding["_FillValue"] = var.rio.nodata
        encoding["chunks"] = (1,) * (var.ndim - 2) + (cy, cx)
        encoding["compressors"] = (_compressor(zarr_format, var.dtype.itemsize, level),)
        var.encoding = encoding
        ds[name] = var
    return ds


def write_zarr(
    data: xr.Dataset | xr.DataArray,
    path: str | os.PathLike[str],
    *,
    zarr_format: int = 2,
    chunks: int | tuple[int, int] | None = None,
    compressor_level: int = 5,
    overwrite: bool = False,
    progress: bool = False,
) -> Path:
    """Write a georeferenced raster to a Zarr store, whole or not at all.

    The store carries its georeferencing twice: the CF ``spatial_ref`` variable that
    xarray and rioxarray read, and GDAL's ``_CRS`` attribute (WKT2:2019) on each raster
    variable. GDAL derives the transform from the regular pixel-centre ``x``/``y``
    coordinates. QGIS, ``gdalinfo`` and rasterio open each variable as
    ``ZARR:"/path/store.zarr":/name``; dimensions before ``(y, x)`` become bands
    (for ``(time, band, y, x)``: ``time``-major, ``band``-minor).

    Parameters
    ----------
    data : xarray.Dataset or xarray.DataArray
        The raster, with dims ``(y, x)``, ``(band, y, x)``, ``(time, band, y, x)`` or similar,
        a CRS set through rioxarray (``data.rio.crs``) and regularly spaced pixel-centre
        coordinates (CRS units, usually metres). NumPy- or dask-backed. A DataArray becomes a
        one-variable Dataset named ``data.name``, or ``"data"`` if it has no name. Variables
        without both spatial dims are written as they are. The nodata value
        (``.rio.nodata``) becomes the Zarr fill value, which GDAL reports as nodata.
    path : str or os.PathLike
        The store to create, a directory such as ``"answer.zarr"``. Its parent must exist.
    zarr_format : {2, 3}, optional
        Zarr format version. 2 (default) is read by GDAL 3.4 and later, so by today's desktop
        GIS. 3 needs GDAL >= 3.11 to be read by GIS software.
    chunks : int or (int, int), optional
        Spatial chunk shape in pixels, ``(rows, columns)``, or one int for square chunks.
        Default: the dask chunks of the input (evened out to the largest chunk if irregular),
        or 512 x 512 pixels for NumPy input. Every other dimension is chunked one slice
        at a time (one chunk per band and time step).
    compressor_level : int, optional
        Blosc-zstd compression level, from 0 (none) to 9 (smallest, slowest). Default 5.
    overwrite : bool, optional
        Replace an existing store at ``path``. The old store is removed only once the new one
        is complete and in place. Default False.
    progress : bool, optional
        Show a progress bar while computing: dask's ``ProgressBar`` with a local scheduler,
        ``distributed.progress`` with a ``distributed`` client. Default False.

    Returns
    -------
    pathlib.Path
        The absolute path of the written store.

    Raises
    ------
    OutputPathError
        If ``path`` exists and ``overwrite`` is False, or its parent is missing, is a file or
        cannot be written. Checked before anything is computed.
    StoreError
        If the raster has no CRS (set one with ``data.rio.write_crs("EPSG:...")``), no
        spatial dimensions, x/y coordinates that are not regularly spaced, or a single row
        or column and no stored transform (``.rio.write_transform``) that matches them.
    TypeError, ValueError
        If ``data`` is not xarray, or an option is out of range.

    Warns
    -----
    UserWarning
        If the raster is a single row or column: GDAL cannot derive a transform from one
        coordinate, so GIS software will not place it (xarray and rioxarray will).

    Notes
    -----
    Everything is written into a hidden sibling directory (``.<name>.partial-<id>``) that is
    renamed to ``path`` only once complete; if anything fails, including the computation of
    a dask chunk, the sibling is removed and ``path`` is left as it was; tasks already
    running when one fails are waited for first, so none writes into the removed sibling. With
    ``overwrite=True`` the old store is first renamed aside, so for an instant ``path`` does
    not exist, but a reader never sees a mix of old and new. With a distributed cluster,
    ``path`` must be on a filesystem every worker can write to.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np, xarray as xr, rioxarray
    >>> mask = xr.DataArray(
    ...     np.array([[0, 1, 1], [0, 0, 1]], dtype="uint8"),
    ...     dims=("y", "x"),
    ...     coords={"y": [5_000_010.0, 4_999_990.0], "x": [500_005.0, 500_015.0, 500_025.0]},
    ...     name="mask",
    ... ).rio.write_crs("EPSG:32633")
    >>> store = write_zarr(mask, pathlib.Path(tempfile.mkdtemp()) / "mask.zarr")
    >>> store.name
    'mask.zarr'
    >>> ds = open_zarr(store)
    >>> ds.rio.crs.to_epsg(), tuple(ds["mask"].rio.transform())[:6]
    (32633, (10.0, 0.0, 500000.0, 0.0, -20.0, 5000020.0))
    """
    spatial_chunks = _check_options(zarr_format, chunks, compressor_level)
    target = check_output_path(path, overwrite=overwrite, kind="directory")
    ds = _prepare(data, zarr_format=zarr_format, chunks=spatial_chunks, level=compressor_level)

    with atomic_output(target, overwrite=overwrite, kind="directory") as partial:
        # Metadata and NumPy-backed variables are written here, dask-backed ones by the
        # returned graph. Consolidated metadata is part of the v2 convention (GDAL reads it
        # first) but not of the v3 specification, where zarr-python warns about it.
        delayed = ds.to_zarr(
            partial,
            mode="w",
            zarr_format=zarr_format,
            consolidated=zarr_format == 2,
            compute=False,
        )
        compute_settled(delayed, progress=progress)
    return target


def _store_layout(store: Path) -> bool:
    """Whether the store has consolidated metadata; raise if it is not a Zarr store at all."""
    if not store.exists():
        raise StoreError(
            f"No Zarr store at {store}: check the path, or write one with "
            "geoquant.sinks.write_zarr."
        )
    if not store.is_dir():
        raise StoreError(f"{store} is a file, not a Zarr store (a directory): check the path.")
    if (store / ".zmetadata").is_file():
        return True
    if (store / ".zgroup").is_file() or (store / "zarr.json").is_file():
        return False
    raise StoreError(
        f"{store} is not a Zarr store: it has no .zgroup, .zmetadata or zarr.json. "
        "Check the path, or write the store again with geoquant.sinks.write_zarr."
    )


def _crs_from_gdal_attribute(ds: xr.Dataset) -> xr.Dataset:
    """Adopt the CRS of GDAL's ``_CRS`` attribute (stores written by GDAL carry only that)."""
    import pyproj

    for var in ds.data_vars.values():
        definition = var.attrs.get(GDAL_CRS_ATTR)
        if not isinstance(definition, dict):
            continue
        # GDAL's own reading order: url, then wkt, then projjson.
        for key in ("url", "wkt", "projjson"):
            if key in definition:
                try:
                    crs = pyproj.CRS.from_user_input(definition[key])
                except pyproj.exceptions.CRSError as exc:
                    raise StoreError(
                        f"The {GDAL_CRS_ATTR}[{key!r}] attribute of {var.name!r} is not a CRS "
                        f"({exc}): fix it, or write the store again with a valid CRS."
                    ) from exc
                return write_crs(ds, crs.to_wkt())
    return ds


def open_zarr(path: str | os.PathLike[str]) -> xr.Dataset:
    """Open a georeferenced Zarr store lazily, with its CRS and transform.

    Parameters
    ----------
    path : str or os.PathLike
        A Zarr v2 or v3 store, such as one written by :func:`write_zarr`.

    Returns
    -------
    xarray.Dataset
        Dask-backed variables chunked like the store, with the CF ``spatial_ref`` coordinate
        decoded, so ``ds.rio.crs`` and ``ds.rio.transform()`` work (a store written by GDAL,
        with only the ``_CRS`` attribute, gets its CRS from that). Values are returned as
        stored, without masking, as ``rioxarray.open_rasterio`` does by default: the nodata
        value stays in the data and is available as ``ds[name].rio.nodata``, and integer
        rasters keep their dtype.

    Raises
    ------
    StoreError
        If there is no store at ``path``, its metadata cannot be read (corrupt or not Zarr),
        or it has no CRS or no spatial dimensions. A damaged chunk is found only when it is
        computed.
    """
    import rioxarray  # noqa: F401  (the .rio accessor, used below)
    import xarray as xr

    store = Path(os.fspath(path)).expanduser().absolute()
    consolidated = _store_layout(store)
    try:
        ds = xr.open_zarr(
            store, consolidated=consolidated, decode_coords="all", mask_and_scale=False
        )
    except Exception as exc:
        # Whatever zarr or xarray choke on (bad JSON, missing arrays, unknown codecs), the
        # store cannot be used as it is; the original error stays chained for debugging.
        raise StoreError(
            f"Cannot read the Zarr store {store}: {type(exc).__name__}: {exc}. "
            "It may be corrupt or incomplete; write it again with geoquant.sinks.write_zarr."
        ) from exc
    try:
        if ds.rio.crs is None:
            ds = _crs_from_gdal_attribute(ds)
        if ds.rio.crs is None:
            raise StoreError(
                f"The Zarr store {store} has no CRS (neither a CF grid_mapping variable nor "
                "GDAL's _CRS attribute): it cannot be placed on the Earth. Write it with "
                "geoquant.sinks.write_zarr from data with a CRS (.rio.write_crs(...))."
            )
        spatial_variables(ds)
    except BaseException:
        ds.close()
        raise
    for var in ds.variables.values():
        var.attrs.pop(GDAL_CRS_ATTR, None)
    return ds
