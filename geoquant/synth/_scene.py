"""Public builders: validate the request, lay a dask graph of one task per chunk, wrap it in
georeferenced xarray objects."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np

from geoquant.errors import RegionError
from geoquant.synth import _classes as cls

if TYPE_CHECKING:  # pragma: no cover
    import dask.array as da
    import xarray as xr

__all__ = ["landcover", "scene"]

# Bump when the generated pixels change, so that dask never reuses a cached result of an
# older generator under the same key.
_GENERATOR_VERSION = 1

_COMMON_NAMES = ("blue", "green", "red", "nir", "swir16", "swir22")


@dataclass(frozen=True)
class _Grid:
    """A validated request: scene shape and chunks in pixels, georeferencing in CRS units."""

    shape: tuple[int, int]
    chunks: tuple[int, int]
    seed: int
    resolution: float
    crs: object  # pyproj.CRS
    origin: tuple[float, float]


def _positive_int(value: object) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool) and int(value) > 0


def _finite_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


def _pair(value: object, name: str, example: str) -> tuple[int, int]:
    if isinstance(value, Integral) and not isinstance(value, bool) and name == "chunks":
        value = (value, value)
    if isinstance(value, np.ndarray) and value.ndim == 1:
        value = tuple(value.tolist())
    if (
        not isinstance(value, Sequence)
        or isinstance(value, str)
        or len(value) != 2
        or not all(_positive_int(v) for v in value)
    ):
        raise RegionError(
            f"{name} must be two positive pixel counts (rows, columns), got {value!r}; "
            f"pass for example {name}={example}."
        )
    return int(value[0]), int(value[1])


def _validate(
    shape: object,
    seed: object,
    chunks: object,
    resolution: object,
    crs: object,
    origin: object,
) -> _Grid:
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    ny, nx = _pair(shape, "shape", "(2048, 2048)")
    cy, cx = _pair(chunks, "chunks", "1024 or (1024, 1024)")
    if not isinstance(seed, Integral) or isinstance(seed, bool):
        raise TypeError(f"seed must be an integer, got {seed!r}.")
    if not _finite_real(resolution) or resolution <= 0:
        raise RegionError(
            f"resolution must be a positive pixel size in CRS metres, got {resolution!r}; "
            "pass for example resolution=10.0."
        )
    if (
        not isinstance(origin, Sequence)
        or isinstance(origin, str)
        or len(origin) != 2
        or not all(_finite_real(v) for v in origin)
    ):
        raise RegionError(
            f"origin must be the (x, y) of the top-left corner in CRS metres, got {origin!r}; "
            "pass for example origin=(500000.0, 5100000.0)."
        )
    try:
        crs_obj = CRS.from_user_input(crs)
    except CRSError as exc:
        raise RegionError(
            f"crs {crs!r} is not a coordinate reference system; pass an EPSG code such as "
            "'EPSG:32633'."
        ) from exc
    if not crs_obj.is_projected:
        raise RegionError(
            f"crs {crs!r} is not projected: synthetic scenes are laid out in metres; pass a "
            "projected CRS such as a UTM zone ('EPSG:32633')."
        )
    return _Grid(
        shape=(ny, nx),
        chunks=(min(cy, ny), min(cx, nx)),
        seed=int(seed),
        resolution=float(resolution),
        crs=crs_obj,
        origin=(float(origin[0]), float(origin[1])),
    )


# Chunks are regular (all ``size`` but the last), so a block's window follows from its index;
# dask passes ``block_id`` lazily, where ``block_info`` would be built for every block up front.
def _window(block_id: tuple[int, ...], grid: _Grid) -> tuple[int, int, int, int]:
    bi, bj = block_id[-2:]
    (ny, nx), (cy, cx) = grid.shape, grid.chunks
    r0, c0 = bi * cy, bj * cx
    return r0, min(r0 + cy, ny), c0, min(c0 + cx, nx)


def _landcover_block(grid: _Grid, block_id: tuple[int, ...] | None = None) -> np.ndarray:
    from geoquant.synth._render import render_landcover

    return render_landcover(grid.seed, *_window(block_id, grid))


def _optical_block(
    lc: np.ndarray, grid: _Grid, block_id: tuple[int, ...] | None = None
) -> np.ndarray:
    from geoquant.synth._render import render_optical

    r0, _, c0, _ = _window(block_id, grid)
    return render_optical(lc, grid.seed, r0, c0)


def _sar_block(lc: np.ndarray, grid: _Grid, block_id: tuple[int, ...] | None = None) -> np.ndarray:
    from geoquant.synth._render import render_sar

    r0, _, c0, _ = _window(block_id, grid)
    return render_sar(lc, grid.seed, r0, c0)


def _landcover_array(grid: _Grid) -> da.Array:
    import dask.array as da
    from dask.base import tokenize

    chunks = da.core.normalize_chunks(grid.chunks, shape=grid.shape)
    token = tokenize(_GENERATOR_VERSION, grid.seed, chunks)
    return da.map_blocks(
        _landcover_block,
        grid,
        chunks=chunks,
        dtype=np.uint8,
        meta=np.empty((0, 0), dtype=np.uint8),
        name=f"synth-landcover-{token}",
    )


def _band_array(lc: da.Array, grid: _Grid, func, nband: int, what: str) -> da.Array:
    import dask.array as da
    from dask.base import tokenize

    return da.map_blocks(
        func,
        lc,
        grid,
        new_axis=0,
        chunks=((nband,), *lc.chunks),
        dtype=np.float32,
        meta=np.empty((0, 0, 0), dtype=np.float32),
        name=f"synth-{what}-{tokenize(_GENERATOR_VERSION, lc.name)}",
    )


def _coords(grid: _Grid) -> dict[str, np.ndarray]:
    ny, nx = grid.shape
    ox, oy = grid.origin
    res = grid.resolution
    return {
        "y": oy - (np.arange(ny, dtype=np.float64) + 0.5) * res,
        "x": ox + (np.arange(nx, dtype=np.float64) + 0.5) * res,
    }


def _georeference(obj, grid: _Grid):
    import rioxarray  # noqa: F401  (registers the .rio accessor)
    from affine import Affine

    ox, oy = grid.origin
    res = grid.resolution
    obj = obj.rio.write_crs(grid.crs)
    return obj.rio.write_transform(Affine(res, 0.0, ox, 0.0, -res, oy))


def _landcover_attrs(grid: _Grid) -> dict[str, object]:
    return {
        "long_name": "land cover class",
        "flag_values": list(cls.CLASSES),
        "flag_meanings": " ".join(cls.CLASSES.values()),
        "seed": grid.seed,
    }


def _landcover_dataarray(grid: _Grid, lc: da.Array) -> xr.DataArray:
    import xarray as xr

    return xr.DataArray(
        lc, dims=("y", "x"), coords=_coords(grid), name="landcover", attrs=_landcover_attrs(grid)
    )


def landcover(
    shape: tuple[int, int],
    *,
    seed: int = 0,
    chunks: int | tuple[int, int] = 1024,
    resolution: float = 10.0,
    crs: str = "EPSG:32633",
    origin: tuple[float, float] = (500000.0, 5100000.0),
) -> xr.DataArray:
    """Land-cover classes of a synthetic scene, lazily, one dask task per chunk.

    Parameters
    ----------
    shape
        ``(ny, nx)``: rows and columns, in pixels. Any size: nothing is computed or allocated
        for the whole scene.
    seed
        Fixes the world: the same seed gives the same pixels, whatever ``shape`` and
        ``chunks``. A scene is the top-left ``shape`` window of the world of its seed.
    chunks
        Chunk size in pixels: one number for square chunks, or ``(rows, columns)``.
    resolution
        Pixel size in CRS metres (square pixels).
    crs
        A projected CRS (anything :class:`pyproj.CRS` accepts, such as ``"EPSG:32633"``).
    origin
        ``(x, y)`` of the scene's top-left corner, in CRS metres; north up.

    Returns
    -------
    xarray.DataArray
        ``uint8`` class codes (see :data:`geoquant.synth.CLASSES`), dims ``(y, x)``, dask-backed,
        pixel-centre coordinates in metres, CRS and transform set through rioxarray. Attributes
        ``flag_values``/``flag_meanings`` (CF) hold the class table and ``seed`` the seed.

    Raises
    ------
    geoquant.errors.RegionError
        If ``shape`` or ``chunks`` are not positive pixel counts, ``resolution`` is not a
        positive number, ``origin`` is not two finite numbers, or ``crs`` is unknown or not
        projected.
    TypeError
        If ``seed`` is not an integer.

    Examples
    --------
    >>> import geoquant.synth as synth
    >>> lc = synth.landcover((4096, 4096), seed=7, chunks=1024)
    >>> lc.shape, str(lc.dtype), lc.data.npartitions
    ((4096, 4096), 'uint8', 16)
    >>> bool((lc[:256, :256] > 0).all())
    True
    """
    grid = _validate(shape, seed, chunks, resolution, crs, origin)
    return _georeference(_landcover_dataarray(grid, _landcover_array(grid)), grid)


def scene(
    shape: tuple[int, int],
    *,
    seed: int = 0,
    chunks: int | tuple[int, int] = 1024,
    resolution: float = 10.0,
    crs: str = "EPSG:32633",
    origin: tuple[float, float] = (500000.0, 5100000.0),
) -> xr.Dataset:
    """A synthetic scene: land cover with matching optical and SAR imagery, lazily.

    Parameters are those of :func:`landcover`.

    Returns
    -------
    xarray.Dataset
        Dask-backed, chunked ``chunks`` in ``(y, x)``, with CRS and transform set through
        rioxarray, and variables

        * ``landcover``: ``(y, x)`` ``uint8`` class codes, see :data:`geoquant.synth.CLASSES`;
        * ``optical``: ``(band, y, x)`` ``float32`` surface reflectance (0..1) for Sentinel-2
          bands ``B02, B03, B04, B08, B11, B12`` (blue, green, red, nir, swir16, swir22; the
          ``common_name`` coordinate names them);
        * ``sar``: ``(polarization, y, x)`` ``float32`` C-band backscatter in dB, ``VV`` and
          ``VH``. Its band dimension is named ``polarization`` because a Dataset has one size
          per dimension name; ``ds.sar.rename(polarization="band")`` gives ``(band, y, x)``.

        Attributes: ``seed``, ``class_codes``, ``class_names``, ``resolution_m``.

    Raises
    ------
    geoquant.errors.RegionError, TypeError
        As :func:`landcover`.

    Examples
    --------
    >>> import geoquant.synth as synth
    >>> ds = synth.scene((2048, 2048), seed=1, chunks=512)
    >>> ds.optical.dims, ds.sar.dims
    (('band', 'y', 'x'), ('polarization', 'y', 'x'))
    >>> ds.rio.crs.to_epsg(), ds.rio.resolution()
    (32633, (10.0, -10.0))
    """
    import xarray as xr

    grid = _validate(shape, seed, chunks, resolution, crs, origin)
    lc = _landcover_array(grid)
    optical = _band_array(lc, grid, _optical_block, len(cls.OPTICAL_BANDS), "optical")
    sar = _band_array(lc, grid, _sar_block, len(cls.SAR_POLARIZATIONS), "sar")
    coords = _coords(grid)
    ds = xr.Dataset(
        {
            "landcover": (("y", "x"), lc, _landcover_attrs(grid)),
            "optical": (
                ("band", "y", "x"),
                optical,
                {"long_name": "surface reflectance", "units": "1"},
            ),
            "sar": (
                ("polarization", "y", "x"),
                sar,
                {"long_name": "backscatter coefficient sigma0", "units": "dB"},
            ),
        },
        coords={
            **coords,
            "band": list(cls.OPTICAL_BANDS),
            "common_name": ("band", list(_COMMON_NAMES)),
            "polarization": list(cls.SAR_POLARIZATIONS),
        },
        attrs={
            "title": "geoquant synthetic scene",
            "seed": grid.seed,
            "class_codes": list(cls.CLASSES),
            "class_names": list(cls.CLASSES.values()),
            "resolution_m": grid.resolution,
        },
    )
    return _georeference(ds, grid)
