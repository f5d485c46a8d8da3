"""Turning user masks into the tile codes every kernel reads, with checks at the boundary.

Kernels never see xarray objects or NaN. They read one ``uint8`` code per pixel:

* ``0`` background: a valid pixel that is not part of the mask,
* ``1`` object: a valid pixel of the mask,
* ``2`` excluded: nodata or outside the region, neither object nor background.

Kernels that read a tile with its one-pixel halo see ``3`` (outside) beyond the raster.

Nodata comes from NaN in float masks, from the raster's nodata value (``rio.nodata`` or
``_FillValue``) in integer masks, and from an optional ``valid`` mask.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant._backend import array_module, is_cupy
from geoquant.errors import GridMismatchError, InvalidOptionError, MaskError
from geoquant.ops._geometry import PixelGeometry

BACKGROUND, OBJECT, EXCLUDED, OUTSIDE = 0, 1, 2, 3

NODATA_ATTRS = ("_FillValue", "nodata", "missing_value", "flag_values", "flag_meanings")
"""Attributes describing an input's nodata, which per-pixel results do not inherit."""

DEFAULT_TILE = 2048
"""Tile edge (pixels) used when a NumPy-backed mask is split for the per-tile kernels."""

LARGE_TILE = 4096
"""Tile edge (pixels) for NumPy-backed masks too wide for row bands but large enough to give
every core two such tiles: fewer tiles mean fewer tasks and seams to merge (``count`` of a
20000² mask on two cores: 0.41 -> 0.27 s with 4096² instead of 2048² tiles)."""

BAND_PIXELS = 16_000_000
"""Pixels per row band of an in-memory mask at most, unless that leaves a core without one."""

MIN_BAND_PIXELS = 1_000_000
"""Pixels per row band at least: smaller rasters are not split further to feed more cores."""

MAX_BAND_WIDTH = 65_536
"""Columns beyond which an in-memory mask gets square tiles instead of full-width row bands
(a band's top and bottom rows travel through the merge as whole rows)."""


@dataclass(frozen=True)
class PreparedMask:
    """A mask as the kernels read it.

    Attributes
    ----------
    codes : dask.array.Array
        ``uint8`` codes (see module docstring), chunked like the input (NumPy input is split
        into row bands, see :func:`memory_tiles`).
    geometry : PixelGeometry
        Pixel sizes in metres.
    template : xarray.DataArray
        The input, for coordinates and attributes of per-pixel outputs.
    padded : dask.array.Array or None
        The code tiles with their halo, when they can be cut straight from an in-memory
        mask; read them through :meth:`padded_codes`.
    """

    codes: Any
    geometry: PixelGeometry
    template: Any
    padded: Any = None

    @property
    def chunks(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        return self.codes.chunks

    def like(self, data: Any, *, name: str, attrs: dict | None = None) -> Any:
        """A per-pixel result on this mask's grid: its dims, coords and CRS, the given attrs.

        The input's nodata attributes are not carried over (results have their own). The CRS
        is written in place, so large in-memory results are not deep-copied.
        """
        import xarray as xr

        kept = {k: v for k, v in self.template.attrs.items() if k not in NODATA_ATTRS}
        kept.update(attrs or {})
        out = xr.DataArray(data, dims=self.template.dims, coords=self.template.coords,
                           name=name, attrs=kept)
        crs = self.template.rio.crs
        return out.rio.write_crs(crs, inplace=True) if crs is not None else out

    def padded_codes(self) -> Any:
        """Tiles of codes with a one-pixel halo, code 3 (outside) beyond the raster."""
        if self.padded is not None:
            return self.padded
        return padded_tiles(self.codes)


def padded_tiles(array: Any, fill: int = OUTSIDE) -> Any:
    """Tiles of a dask array with a one-pixel halo of their neighbours, ``fill`` outside."""
    import dask.array as da

    return da.overlap.overlap(array, depth={0: 1, 1: 1}, boundary={0: fill, 1: fill})


def prepare_mask(mask: Any, *, name: str = "mask", valid: Any = None,
                 tile: tuple[int, int] | None = None) -> PreparedMask:
    """Check a 2-D mask and encode it as tile codes.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask; or 0/1 numbers with NaN (float) or the raster's nodata value
        (integer) marking excluded pixels.
    name : str
        What to call the mask in error messages.
    valid : xarray.DataArray of bool, optional
        Pixels to keep; False pixels are excluded (outside the region, nodata).
    tile : (int, int), optional
        Tile shape ``(rows, cols)`` for an in-memory mask (default: row bands of
        :func:`memory_tiles`); dask masks keep their chunks.

    Raises
    ------
    MaskError
        When the mask is not a 2-D DataArray, is empty, or holds values other than 0 and 1.
    """
    import dask.array as da

    mask = one_band(mask)
    check_2d(mask, name)
    geometry = PixelGeometry.of(mask, name=name)
    data = as_tiles(mask.data, tile)
    dtype = np.dtype(mask.dtype)
    if dtype == np.bool_:
        codes = data.astype(np.uint8)
    elif dtype.kind in "iuf":
        nodata = nodata_value(mask)
        if nodata in (0.0, 1.0):
            raise MaskError(
                f"{name}'s nodata value {nodata:g} is also one of its values (0 background, 1 "
                "object), so its background would be read as no data; it was likely kept from "
                "the class raster it was made from: clear it (.rio.write_nodata(None)) and "
                f"pass that raster's no data as valid=, e.g. valid=(landcover != {nodata:g})")
        codes = da.map_blocks(_encode_numbers, data, nodata=nodata, name_=name,
                              dtype=np.uint8, meta=np.empty((0, 0), np.uint8))
        if not is_dask(mask.data):
            codes = codes.persist()  # in memory anyway; bad values raise here, not later
    else:
        raise MaskError(
            f"{name} has dtype {dtype}; pass a boolean mask, for example "
            f"`landcover == 2`, or 0/1 numbers with NaN for nodata"
        )
    padded = None
    if dtype == np.bool_ and valid is None and not is_dask(mask.data):
        padded = _padded_from_memory(mask.data, codes.chunks)
    if valid is not None:
        valid = one_band(valid)
        check_2d(valid, "valid")
        if tuple(valid.shape) != tuple(mask.shape):
            raise GridMismatchError(
                f"valid has shape {tuple(valid.shape)} but {name} has {tuple(mask.shape)}; "
                "pass a valid mask on the same grid"
            )
        if np.dtype(valid.dtype) != np.bool_:
            raise MaskError(f"valid has dtype {valid.dtype}; pass a boolean DataArray")
        # the same shape is not the same grid: a valid mask of another place or resolution
        # would exclude the wrong pixels
        if valid.rio.crs is not None:
            check_same_grid(geometry, PixelGeometry.of(valid, name="valid"), (name, "valid"))
        elif all(c in valid.coords and c in mask.coords for c in ("x", "y")) and not (
                np.allclose(valid["x"].values, mask["x"].values)
                and np.allclose(valid["y"].values, mask["y"].values)):
            raise GridMismatchError(f"valid lies on other coordinates than {name}: pass a "
                                    "valid mask on the same grid")
        valid_data = as_tiles(valid.data).rechunk(codes.chunks)
        codes = da.where(valid_data, codes, np.uint8(EXCLUDED)).astype(np.uint8)
    return PreparedMask(codes=codes, geometry=geometry, template=mask, padded=padded)


def prepare_pair(a: Any, b: Any, *, names: tuple[str, str] = ("a", "b"),
                 valid: Any = None) -> tuple[PreparedMask, PreparedMask]:
    """Prepare two masks that must share one grid, chunked alike (``b`` follows ``a``)."""
    first = prepare_mask(a, name=names[0], valid=valid)
    second = prepare_mask(b, name=names[1], valid=valid)
    check_same_grid(first.geometry, second.geometry, names)
    if second.codes.chunks != first.codes.chunks:
        second = dataclasses.replace(second, codes=second.codes.rechunk(first.codes.chunks),
                                     padded=None)
    return first, second


def check_connectivity(connectivity: int) -> bool:
    """True for 8-connectivity; raise for anything but 4 or 8."""
    if connectivity not in (4, 8):
        raise InvalidOptionError(
            f"connectivity={connectivity!r}; use 8 (edges and corners, the default) or 4 (edges)"
        )
    return connectivity == 8


def check_non_negative(value: Any, name: str, *, unit: str, example: str) -> float:
    """``value`` as a float; :class:`InvalidOptionError` unless it is finite and >= 0."""
    try:
        number = float(value)
    except OverflowError:               # an int beyond float range (10**400): too large
        number = math.inf
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number < 0:
        raise InvalidOptionError(
            f"{name}={_quoted(value)}; pass a finite number of {unit} >= 0, for example "
            f"{example}"
        )
    return number


def _quoted(value: Any, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, with its length (10**400 has 401 digits)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def check_same_grid(first: PixelGeometry, second: PixelGeometry,
                    names: tuple[str, str] = ("a", "b")) -> None:
    """Raise :class:`GridMismatchError` unless both grids have the same pixels.

    Parameters
    ----------
    first, second : PixelGeometry
        The grids (shape, transform and CRS) of two rasters.
    names : tuple of str
        What the error calls the two rasters.

    Raises
    ------
    GridMismatchError
        Naming each difference (shape, pixel size or origin in metres, CRS) and what to do.
    """
    if first.same_grid(second):
        return
    what = []
    if first.shape != second.shape:
        what.append(f"shape {first.shape} vs {second.shape}")
    if tuple(first.transform)[:6] != tuple(second.transform)[:6]:
        what.append(f"transform {tuple(first.transform)[:6]} vs {tuple(second.transform)[:6]}")
    if first.crs_wkt != second.crs_wkt:
        what.append("CRS differs")
    raise GridMismatchError(
        f"{names[0]} and {names[1]} lie on different grids ({'; '.join(what) or 'transform'}); "
        f"resample one onto the other first, for example "
        f"{names[1]}.rio.reproject_match({names[0]}, resampling=Resampling.nearest)"
    )


def one_band(array: Any) -> Any:
    """A raster of one band as 2-D: ``(band, y, x)`` with a single band, as
    :func:`geoquant.sources.open_raster` and rioxarray give a one-band GeoTIFF, squeezed to
    ``(y, x)`` (its CRS and nodata kept); anything else as it is."""
    import xarray as xr

    if isinstance(array, xr.DataArray) and array.ndim == 3 and "band" in array.dims \
            and array.sizes["band"] == 1:
        return array.squeeze("band", drop=True)
    return array


def check_2d(array: Any, name: str) -> None:
    import xarray as xr

    if not isinstance(array, xr.DataArray):
        raise MaskError(
            f"{name} is a {type(array).__name__}; pass an xarray.DataArray with a CRS "
            "(for example from gq.sources.load or rioxarray.open_rasterio(...).squeeze())"
        )
    if array.ndim != 2:
        raise MaskError(
            f"{name} has {array.ndim} dimensions {array.dims}; pass a 2-D (y, x) mask, "
            "for example mask.isel(time=0).squeeze()"
        )
    if 0 in array.shape:
        raise MaskError(f"{name} is empty (shape {tuple(array.shape)}); pass a mask with pixels")


def as_tiles(data: Any, edge: int | tuple[int, int] | None = None) -> Any:
    """A dask array of ``data``: dask input as it is, NumPy split into tiles of ``edge``
    pixels, or of ``(rows, cols)`` (default :func:`memory_tiles`).

    The tiles are views of the input: unlike ``dask.array.from_array``, nothing is copied or
    hashed, which on large in-memory masks costs as much as the operator itself.
    """
    import uuid

    import dask.array as da

    if is_dask(data):
        return data
    array = data if is_cupy(data) else np.asarray(data)
    edge = edge or memory_tiles(array.shape)
    edges = (edge, edge) if isinstance(edge, int) else edge
    chunks = tuple(_split(n, e) for n, e in zip(array.shape, edges, strict=True))
    name = f"gq-tiles-{uuid.uuid4().hex}"
    graph = {}
    for i, (r0, r1) in enumerate(_bounds(chunks[0])):
        for j, (c0, c1) in enumerate(_bounds(chunks[1])):
            graph[(name, i, j)] = array[r0:r1, c0:c1]
    return da.Array(graph, name, chunks=chunks, dtype=array.dtype,
                    meta=array_module(array).empty((0, 0), array.dtype))


def once_written(out: Any, _writes: list) -> Any:
    """``out`` once the tile tasks given as ``_writes`` have filled it: the last task of a
    graph whose tiles write into one preallocated array (``label``, ``distance``)."""
    return out


def _padded_from_memory(array: Any, chunks: tuple[tuple[int, ...], ...]) -> Any:
    """Padded code tiles cut straight from an in-memory boolean mask (no overlap tasks)."""
    import uuid
    from functools import partial

    import dask.array as da

    name = f"gq-padded-{uuid.uuid4().hex}"
    source = f"gq-source-{uuid.uuid4().hex}"
    graph: dict = {source: array}
    row_bounds, col_bounds = _bounds(chunks[0]), _bounds(chunks[1])
    for i, rows in enumerate(row_bounds):
        for j, cols in enumerate(col_bounds):
            graph[(name, i, j)] = (partial(_padded_tile, rows=rows, cols=cols), source)
    padded_chunks = tuple(tuple(c + 2 for c in axis) for axis in chunks)
    return da.Array(graph, name, chunks=padded_chunks, dtype=np.uint8,
                    meta=array_module(array).empty((0, 0), np.uint8))


def _padded_tile(array: Any, *, rows: tuple[int, int], cols: tuple[int, int]) -> Any:
    (r0, r1), (c0, c1) = rows, cols
    out = array_module(array).full((r1 - r0 + 2, c1 - c0 + 2), OUTSIDE, np.uint8)
    src_r0, src_r1 = max(r0 - 1, 0), min(r1 + 1, array.shape[0])
    src_c0, src_c1 = max(c0 - 1, 0), min(c1 + 1, array.shape[1])
    out[src_r0 - r0 + 1:src_r1 - r0 + 1, src_c0 - c0 + 1:src_c1 - c0 + 1] = \
        array[src_r0:src_r1, src_c0:src_c1]
    return out


def memory_tiles(shape: tuple[int, int], cores: int | None = None) -> tuple[int, int]:
    """Tile shape ``(rows, cols)`` for an in-memory 2-D raster of ``shape`` on ``cores``
    (default: this machine's).

    Full-width bands of rows: one per core at least (none under :data:`MIN_BAND_PIXELS`),
    more where a band would exceed :data:`BAND_PIXELS`. A band's output is one contiguous
    block of memory that no other task writes, and bands meet only along rows, so the merge
    is a chain. Measured on two cores against the square tiles used before (best of 5-7 in
    one process): ``label`` at 8000² 0.056-0.070 -> 0.044-0.057 s, ``count`` 0.028-0.040 ->
    0.026-0.031 s, ``distance`` 0.28-0.29 -> 0.25-0.28 s; ``area`` and ``fragmentation``
    unchanged. Rasters wider than :data:`MAX_BAND_WIDTH` get squares of :func:`tile_edge`.
    """
    rows, cols = (max(int(n), 1) for n in shape)
    if cols > MAX_BAND_WIDTH:
        edge = tile_edge(shape, cores)
        return edge, edge
    cores = cores or os.cpu_count() or 1
    pixels = rows * cols
    pieces = max(cores, -(-pixels // BAND_PIXELS))
    pieces = max(1, min(pieces, pixels // MIN_BAND_PIXELS, rows))
    return -(-rows // pieces), cols


def tile_edge(shape: tuple[int, ...], cores: int | None = None) -> int:
    """Square tile edge (pixels) for an in-memory raster of ``shape`` too wide for row bands:
    :data:`LARGE_TILE` where that still gives each of ``cores`` (default: this machine's) two
    tiles, else :data:`DEFAULT_TILE`."""
    cores = cores or os.cpu_count() or 1
    tiles = 1
    for n in shape:
        tiles *= -(-int(n) // LARGE_TILE)
    return LARGE_TILE if tiles >= 2 * cores else DEFAULT_TILE


def _split(length: int, edge: int) -> tuple[int, ...]:
    full, rest = divmod(length, edge)
    return (edge,) * full + ((rest,) if rest else ())


def _bounds(chunks: tuple[int, ...]) -> list[tuple[int, int]]:
    stops = np.cumsum(chunks)
    return [(int(stop - size), int(stop)) for size, stop in zip(chunks, stops, strict=True)]


def is_dask(data: Any) -> bool:
    return type(data).__module__.startswith("dask.")


def check_no_lost_nodata(mask: Any, valid: Any, name: str = "mask") -> None:
    """For measures over the valid region (shares, complements, landscape metrics): refuse a
    boolean mask without ``valid`` that kept the nodata value of the raster it was compared
    from (``landcover == 2`` keeps its ``_FillValue``). The raster's no-data pixels are False
    in it, background, so a share would be of the whole raster rather than of its data."""
    if valid is not None or np.dtype(mask.dtype) != np.bool_:
        return
    value = mask.attrs.get("_FillValue", mask.encoding.get("_FillValue"))
    if value is None or isinstance(value, (bool, np.bool_)):
        return
    try:
        number = float(value)
    except (TypeError, ValueError):
        return
    if np.isnan(number):
        return
    raise MaskError(
        f"{name} is boolean but kept the nodata value {number:g} of the raster it was made "
        "from, whose no-data pixels it now counts as background: pass them as valid=, e.g. "
        f"gq.ops.share(landcover == 2, valid=landcover != {number:g}); if they are already "
        f"left out, drop the attribute ({name}.attrs.pop('_FillValue'))")


def nodata_value(mask: Any) -> float | None:
    """The mask's nodata value, if it has one; refused when it cannot be one of its values."""
    try:
        candidates = (mask.rio.nodata, mask.rio.encoded_nodata)
    except (OverflowError, ValueError, TypeError) as err:    # rioxarray's own conversion
        raise MaskError(f"{getattr(mask, 'name', None) or 'the mask'}'s nodata value cannot "
                        f"be held by its dtype {mask.dtype} ({err}): write a nodata value "
                        "that fits (mask.rio.write_nodata(...)) or drop _FillValue") from None
    for value in (*candidates, mask.attrs.get("_FillValue"), mask.encoding.get("_FillValue")):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise MaskError(f"the mask's nodata value {str(value)[:40]!r} is not a number: "
                            "write a numeric one (mask.rio.write_nodata(...))") from None
        kind = np.dtype(mask.dtype)
        if kind.kind in "iu" and not (np.iinfo(kind).min <= number <= np.iinfo(kind).max):
            raise MaskError(f"the mask's nodata value {number:g} does not fit its dtype "
                            f"{kind}: write one that does (mask.rio.write_nodata(...))")
        return number
    return None


def _encode_numbers(block: Any, nodata: float | None, name_: str) -> Any:
    xp = array_module(block)
    codes = xp.full(block.shape, EXCLUDED, dtype=np.uint8)
    if block.dtype.kind == "f":
        finite = ~xp.isnan(block)
    else:
        finite = xp.ones(block.shape, dtype=bool)
    if nodata is not None:
        finite &= block != nodata
    values = block[finite]
    if values.size and not bool(xp.all((values == 0) | (values == 1))):
        bad = xp.unique(values[(values != 0) & (values != 1)])[:5].tolist()
        raise MaskError(
            f"{name_} holds values {bad} besides 0 and 1; pass a boolean mask (for example "
            f"`{name_} > 0.5`) or mark nodata with NaN or .rio.write_nodata()"
        )
    codes[finite] = values.astype(np.uint8)
    return codes
