"""Applying a segmenter to a cube of any size: lazily, tile by tile, seamlessly.

Each tile is read with a halo of ``overlap`` pixels, segmented, and the overlapping windows are
blended (:func:`geoquant.tiling.map_windows`). Windows give zero weight to the ``halo`` pixels of
their cut edges that the segmenter cannot see past (its receptive field), so with an overlap
larger than the segmenter's halo the stitched result equals segmenting the whole cube at once.
Windows start at multiples of the segmenter's stride, so a network's downsampling sees the same
pixel phases in every window.
"""

from __future__ import annotations

import json
import warnings
from functools import partial
from typing import Any

import numpy as np

from geoquant.errors import BandError, InvalidOptionError, TilingError
from geoquant.segment._bands import band_indices, band_names
from geoquant.segment._protocol import Segmenter, describe
from geoquant.segment._result import NODATA, label_array, label_attrs

DEFAULT_TILE = 2048
"""Tile edge (pixels) when the cube is not chunked (NumPy-backed)."""


def _round_up(value: int, multiple: int) -> int:
    return -(-int(value) // multiple) * multiple


def default_overlap(segmenter: Segmenter) -> int:
    """The overlap that makes stitching exact: the halo plus a blending ramp, stride-aligned."""
    if segmenter.halo <= 0:
        return 0
    return _round_up(segmenter.halo + max(segmenter.stride, segmenter.halo // 4),
                     segmenter.stride)


def tile_chunks(size: int, tile: int, overlap: int) -> tuple[int, ...]:
    """Chunks of ``tile`` pixels along an axis; a last piece smaller than the overlap joins
    the tile before it, so every tile can lend its neighbours a full halo."""
    chunks = [tile] * (size // tile)
    rest = size - tile * len(chunks)
    if rest:
        if chunks and rest < max(overlap, 1):
            chunks[-1] += rest
        else:
            chunks.append(rest)
    return tuple(chunks)


def _predict_window(window: Any, *, segmenter: Segmenter, bands: tuple[str, ...]) -> Any:
    out = segmenter.predict(window.astype(np.float32, copy=False), bands)
    return out.astype(np.float32, copy=False)


def _check_segmenter(segmenter: Any) -> None:
    if not isinstance(segmenter, Segmenter):
        raise InvalidOptionError(
            f"{type(segmenter).__name__} is not a segmenter: it needs name, version, classes, "
            "bands, halo, stride, exclusive and predict(tile, bands) (see "
            "geoquant.segment.Segmenter)")


def apply(cube: Any, segmenter: Segmenter, *, tile: int | None = None,
          overlap: int | None = None, composite: bool = False, clear: Any = None) -> Any:
    """Segment a cube lazily, one dask task per tile with its halo.

    Parameters
    ----------
    cube : xarray.DataArray
        ``(band, y, x)`` or ``(time, band, y, x)``, NumPy-, dask- or CuPy-backed, with a
        ``band`` coordinate naming the bands (catalog names such as ``B03`` or common names).
        NaN marks missing data.
    segmenter : Segmenter
        Rule, product, model or ensemble.
    tile : int, optional
        Tile edge in pixels (default: the cube's spatial chunks along y and x, or 2048 for
        in-memory cubes), rounded up to a multiple of the segmenter's stride.
    overlap : int, optional
        Halo read around each tile, pixels (default: the segmenter's halo plus a blending
        ramp, rounded up to the stride; 0 for per-pixel rules). Stitching equals whole-cube
        inference when the overlap exceeds the segmenter's halo.
    composite : bool
        Segment the median of the cloud-free observations over ``time`` instead of every
        time step (needs a ``time`` dimension).
    clear : xarray.DataArray of bool, optional
        ``(time, y, x)`` clear-sky mask for the composite (:func:`geoquant.sources.clear_mask`);
        pixels not clear are left out of the median.

    Returns
    -------
    xarray.Dataset
        ``probability`` ``([time,] class, y, x)`` float32 and ``label`` ``([time,] y, x)`` uint8
        (see :mod:`geoquant.segment`), dask-backed, chunked by tile, with the cube's CRS; the
        attributes record the segmenter (``segmenter``, JSON), tile and overlap.

    Raises
    ------
    geoquant.errors.BandError
        When the cube lacks bands the segmenter needs.
    geoquant.errors.TilingError
        When the tile is smaller than the overlap.
    """
    import dask.array as da
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    from geoquant.segment._temporal import temporal_composite
    from geoquant.tiling import map_windows

    _check_segmenter(segmenter)
    if clear is not None and not composite:
        raise InvalidOptionError("clear= is read only for composite=True; to leave cloudy "
                                 "pixels out of every time step, mask the cube first "
                                 "(cube.where(clear)) or fuse with SAR (geoquant.segment.fuse)")
    if composite:
        cube = temporal_composite(cube, clear=clear)
    dims = tuple(cube.dims)
    if dims not in (("band", "y", "x"), ("time", "band", "y", "x")):
        raise InvalidOptionError(f"apply needs a cube with dims (band, y, x) or (time, band, y, "
                                 f"x), not {dims}; transpose or expand it first")
    names = band_names(cube)
    if segmenter.bands:
        band_indices(names, segmenter.bands, who=segmenter.name)
    elif len(names) > 1:
        raise BandError(f"{segmenter.name} names no band, so it reads a cube's only band, but "
                        f"this cube has {len(names)} ({', '.join(names)}): select one band, or "
                        f"name it (for a product: product(..., band={names[-1]!r}))")
    fit = getattr(segmenter, "fit", None)
    if callable(fit):
        segmenter = fit(cube)

    stride = max(int(segmenter.stride), 1)
    halo = max(int(segmenter.halo), 0)
    if overlap is None:
        overlap = default_overlap(segmenter)
    elif overlap < 0:
        raise InvalidOptionError(f"overlap must be >= 0 pixels, not {overlap}")
    overlap = _round_up(overlap, stride) if overlap else 0
    if halo and overlap <= halo:
        warnings.warn(f"overlap {overlap} px does not exceed {segmenter.name}'s receptive-field "
                      f"radius ({halo} px): tiles are blended but may differ from whole-image "
                      f"inference near their edges; use overlap > {halo}", stacklevel=2)
    dead = halo if overlap > halo else overlap // 2

    data = cube.data if hasattr(cube.data, "dask") else da.from_array(cube.data, chunks=-1)
    if tile is not None and tile <= 0:
        raise InvalidOptionError(f"tile must be > 0 pixels, not {tile}")
    if tile is None and hasattr(cube.data, "dask"):
        tiles = (int(data.chunks[-2][0]), int(data.chunks[-1][0]))
    else:
        tiles = (tile or DEFAULT_TILE,) * 2
    tiles = tuple(_round_up(t, stride) for t in tiles)
    sizes = (cube.sizes["y"], cube.sizes["x"])
    for t, n in zip(tiles, sizes, strict=True):
        if overlap and t < overlap and n > t:
            raise TilingError(f"tile of {t} px is smaller than the overlap of {overlap} px: "
                              f"use tile >= {overlap} (or overlap <= {t}, giving up exactness)")
    spatial = tuple(tile_chunks(n, t, overlap) for t, n in zip(tiles, sizes, strict=True))
    data = data.rechunk({data.ndim - 3: -1, data.ndim - 2: spatial[0], data.ndim - 1: spatial[1]})

    func = partial(_predict_window, segmenter=segmenter, bands=names)
    channels = len(segmenter.classes)
    if "time" in dims:
        prob = da.stack([map_windows(data[t], func, channels=channels, overlap=overlap,
                                     dead=dead, name="segment")
                         for t in range(data.shape[0])])
    else:
        prob = map_windows(data, func, channels=channels, overlap=overlap, dead=dead,
                           name="segment")
    label = label_array(prob, segmenter.classes, exclusive=segmenter.exclusive)

    spatial_dims = dims[:-3] + ("class", "y", "x")
    coords = {k: v for k, v in cube.coords.items()
              if set(cube.coords[k].dims) <= set(dims) - {"band"}}
    probability = xr.DataArray(prob, dims=spatial_dims, coords=coords,
                               attrs={"long_name": "class probability", "units": "1"})
    probability = probability.assign_coords({"class": list(segmenter.classes)})
    label_da = xr.DataArray(label, dims=dims[:-3] + ("y", "x"), coords=coords,
                            attrs=label_attrs(segmenter.classes))
    label_da.rio.write_nodata(NODATA, encoded=False, inplace=True)
    ds = xr.Dataset({"probability": probability, "label": label_da}, attrs={
        "segmenter": json.dumps(describe(segmenter)), "exclusive": int(segmenter.exclusive),
        "tile_px": list(tiles), "overlap_px": overlap, "composite": int(composite)})
    crs = cube.rio.crs
    if crs is not None:
        ds = ds.rio.write_crs(crs, inplace=True)
    return ds
