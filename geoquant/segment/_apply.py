"""Applying a segmenter to a cube of any size: lazily, tile by tile, seamlessly.

Each tile is read with a halo of ``overlap`` pixels, segmented, and the overlapping windows are
blended (:func:`geoquant.tiling.map_windows`). Windows give zero weight to the ``halo`` pixels of
their cut edges that the segmenter cannot see past (its receptive field), so with an overlap
larger than the segmenter's halo the stitched result equals segmenting the whole cube at once.
Windows start at multiples of the segmenter's stride, so a network's downsampling sees the same
pixel phases in every window.

By default every window is one dask task. With ``batch=n`` each task segments up to ``n``
windows of one size together, through the segmenter's ``predict_batch`` when it has one (the
ConvNeXt-UNet: one forward pass per batch, host-to-device copies overlapping the work on a
GPU), else by calling ``predict`` on each; the blending is the same.
"""

from __future__ import annotations

import inspect
import json
import numbers
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


def _predict_window(window: Any, *, segmenter: Segmenter, bands: tuple[str, ...],
                    precision: str | None = None) -> Any:
    options = {} if precision is None else {"precision": precision}
    out = segmenter.predict(window.astype(np.float32, copy=False), bands, **options)
    return out.astype(np.float32, copy=False)


def _predict_windows(windows: list[Any], *, segmenter: Segmenter, bands: tuple[str, ...],
                     precision: str | None = None, batch: int = 1) -> list[Any]:
    """Segment several windows: with ``predict_batch`` when the segmenter has it."""
    options: dict[str, Any] = {} if precision is None else {"precision": precision}
    windows = [w.astype(np.float32, copy=False) for w in windows]
    batched = getattr(segmenter, "predict_batch", None)
    if callable(batched):
        outs = batched(windows, bands, batch_size=batch, **options)
    else:
        outs = [segmenter.predict(w, bands, **options) for w in windows]
    return [out.astype(np.float32, copy=False) for out in outs]


def _takes_precision(segmenter: Any) -> bool:
    try:
        parameters = inspect.signature(segmenter.predict).parameters
    except (TypeError, ValueError):
        return False
    return "precision" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def _check_segmenter(segmenter: Any) -> None:
    if not isinstance(segmenter, Segmenter):
        raise InvalidOptionError(
            f"{type(segmenter).__name__} is not a segmenter: it needs name, version, classes, "
            "bands, halo, stride, exclusive and predict(tile, bands) (see "
            "geoquant.segment.Segmenter)")


def apply(cube: Any, segmenter: Segmenter, *, tile: int | None = None,
          overlap: int | None = None, composite: bool = False, clear: Any = None,
          batch: int = 1, precision: str | None = None) -> Any:
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
        time step (needs a ``time`` dimension). A segmenter with ``reduce_time`` (a
        :class:`~geoquant.segment.PixelClassifier`) always reduces a cube's time series into
        its own layers instead.
    clear : xarray.DataArray of bool, optional
        ``(time, y, x)`` clear-sky mask for the composite (:func:`geoquant.sources.clear_mask`);
        pixels not clear are left out of the median.
    batch : int
        Windows segmented per dask task (default 1: one task per window). Windows of one size
        are grouped; a segmenter with ``predict_batch`` (:class:`UNetSegmenter`) runs each
        group as one batch (one forward pass; on a GPU, copies overlap the work), others call
        ``predict`` per window. The result equals ``batch=1`` bitwise for segmenters without
        ``predict_batch``, and within :data:`~geoquant.segment._inference.BATCH_TOLERANCE`
        (1e-5) for the ConvNeXt-UNet in fp32 on the CPU. Larger batches use more memory per
        task (``batch`` windows of ``tile + 2 * overlap`` pixels at once).
    precision : {"fp32", "bf16", "fp16", "auto"}, optional
        Passed to the segmenter's ``predict``/``predict_batch`` (segmenters that take it, such
        as the ConvNeXt-UNet). Default: the segmenter's own (fp32 for the UNet). ``"auto"``
        is bf16 on a GPU and fp32 on the CPU (:data:`~geoquant.segment.GPU_PRECISION`).

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
    geoquant.errors.InvalidOptionError
        Bad dims or options, ``batch`` < 1, or ``precision`` for a segmenter without it.
    """
    import dask.array as da
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    from geoquant.segment._temporal import temporal_composite
    from geoquant.tiling import map_windows

    _check_segmenter(segmenter)
    if isinstance(batch, bool) or not isinstance(batch, numbers.Integral) or batch < 1:
        raise InvalidOptionError(f"batch must be a positive number of windows per task, not "
                                 f"{batch!r}")
    batch = int(batch)
    if precision is not None and precision not in ("fp32", "bf16", "fp16", "auto"):
        raise InvalidOptionError(f"unknown precision {precision!r}: use one of fp32, bf16, "
                                 "fp16 or auto")
    if precision is not None and not _takes_precision(segmenter):
        raise InvalidOptionError(f"{segmenter.name} takes no precision=; it is an option of "
                                 "model segmenters (convnext_unet, or a checkpoint opened with "
                                 "open_segmenter)")
    reduce_time = getattr(segmenter, "reduce_time", None)
    if callable(reduce_time) and "time" in cube.dims:
        # A segmenter of time series (a temporal classifier) makes its own layers of the
        # whole series, with clear= leaving cloudy views out.
        cube = reduce_time(cube, clear=clear)
        composite = True
    elif callable(reduce_time) and not set(segmenter.bands) <= set(band_names(cube)):
        raise InvalidOptionError(f"{segmenter.name} reads a time series: give it the "
                                 "(time, band, y, x) cube of the season or year, not one date "
                                 "or a composite")
    elif clear is not None and not composite:
        raise InvalidOptionError("clear= is read only for composite=True; to leave cloudy "
                                 "pixels out of every time step, mask the cube first "
                                 "(cube.where(clear)) or fuse with SAR (geoquant.segment.fuse)")
    elif composite:
        cube = temporal_composite(cube, clear=clear)
    dims = tuple(cube.dims)
    if dims not in (("band", "y", "x"), ("time", "band", "y", "x")):
        raise InvalidOptionError(f"apply needs a cube with dims (band, y, x) or (time, band, y, "
                                 f"x), not {dims}; transpose or expand it first")
    names = band_names(cube)
    if segmenter.bands:
        positions = getattr(segmenter, "band_positions", None)   # its own matching rule
        if callable(positions):
            positions(names)
        else:
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

    channels = len(segmenter.classes)
    options = {} if precision is None else {"precision": precision}
    if batch == 1:
        func = partial(_predict_window, segmenter=segmenter, bands=names, **options)
        run = partial(map_windows, func=func, channels=channels, overlap=overlap, dead=dead,
                      name="segment")
    else:
        func = partial(_predict_windows, segmenter=segmenter, bands=names, batch=batch,
                       **options)
        run = partial(map_windows, func=func, channels=channels, overlap=overlap, dead=dead,
                      batch=batch, stride=stride, name="segment")
    if "time" in dims:
        prob = da.stack([run(data[t]) for t in range(data.shape[0])])
    else:
        prob = run(data)
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
    if precision is not None:
        ds.attrs["precision"] = precision
    crs = cube.rio.crs
    if crs is not None:
        ds = ds.rio.write_crs(crs, inplace=True)
    return ds
