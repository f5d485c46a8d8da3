"""A survey of a region of any size in batches of tiles: objects, area, and proximity.

:func:`survey` answers the questions of a large region in one pass of bounded batches (see
:func:`geoquant.tiling.run_batches`): how many objects, how many at least ``min_area_m2`` large,
how many of those lie within ``within_m`` of another mask, and the areas. Each batch is an
object pass over its tiles that keeps global keys, so batch summaries merge like tile
summaries and the counts are exact for any batching and chunking.

Proximity is exact with a bounded halo: a pixel lies within ``d`` metres of ``near`` exactly
when a ``near`` pixel lies within ``floor(d / dy)`` rows and ``floor(d / dx)`` columns, so
each batch reads ``near`` over its own window widened by that many pixels and no more.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

import numpy as np

from geoquant.errors import CheckpointError, InvalidOptionError
from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import (
    DEFAULT_TILE,
    OBJECT,
    OUTSIDE,
    as_tiles,
    check_connectivity,
    check_non_negative,
    check_same_grid,
    is_dask,
    prepare_mask,
)
from geoquant.ops._merge import merge
from geoquant.ops._reducers import SurveyReducer
from geoquant.ops._tree import object_pass
from geoquant.tiling import (
    Batch,
    Checkpoint,
    TileGrid,
    plan_batches,
    run_batches,
    tree_reduce,
)
from geoquant.tiling._batches import auto_tiles_per_batch

DEFAULT_TILES_PER_BATCH = None
"""Tiles per batch by default: chosen from the region's size and the cluster's threads
(:func:`geoquant.tiling._batches.auto_tiles_per_batch`), so progress comes within seconds."""


@dataclass(frozen=True)
class Survey:
    """What :func:`survey` found in a region.

    Attributes
    ----------
    objects : int
        Objects of the mask (connected components).
    objects_min_area : int
        Objects at least ``min_area_m2`` large.
    objects_near : int or None
        Objects at least ``min_area_m2`` large with a pixel within ``within_m`` of ``near``.
    area_m2, valid_area_m2 : float
        Area of the mask, and of the pixels that are not excluded, m².
    area_near_m2 : float or None
        Area of the mask's pixels within ``within_m`` of ``near``, m².
    min_area_m2 : float
        The size bound of ``objects_min_area``, m².
    within_m : float or None
        The distance bound, m.
    connectivity : int
        8 or 4.
    pixels, tiles, batches : int
        Size of the region and how it was cut.
    resumed_batches : int
        Batches read back from the checkpoint instead of computed.
    elapsed_s : float
        Wall time of the run, s.
    """

    objects: int
    objects_min_area: int
    objects_near: int | None
    area_m2: float
    valid_area_m2: float
    area_near_m2: float | None
    min_area_m2: float
    within_m: float | None
    connectivity: int
    pixels: int
    tiles: int
    batches: int
    resumed_batches: int
    elapsed_s: float

    @property
    def share_percent(self) -> float:
        """Mask area over valid area, % (NaN when nothing is valid)."""
        return 100.0 * self.area_m2 / self.valid_area_m2 if self.valid_area_m2 else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain values (JSON-ready), with ``share_percent``."""
        return {**asdict(self), "share_percent": self.share_percent}


def survey(mask: Any, *, near: Any = None, within_m: float | None = None,
           min_area_m2: float = 0.0, connectivity: int = 8,
           tiles_per_batch: int | None = DEFAULT_TILES_PER_BATCH, in_flight: int = 2,
           checkpoint: Any = None, say: Any = None, client: Any = None) -> Survey:
    """Count and measure a mask's objects over a region of any size, in batches of tiles.

    The region is cut into batches of at most ``tiles_per_batch`` tiles (the mask's chunks);
    at most ``in_flight`` batches run on the cluster at once, so the scheduler's graph stays
    bounded whatever the region's size, and batch summaries merge as batches finish. Every
    figure equals the whole-array result of :func:`count`, :func:`area` and
    :func:`within_distance`, for any chunking and batching.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS, NumPy- or dask-backed (the dask chunks are the tiles);
        NaN or the nodata value marks excluded pixels.
    near : xarray.DataArray, optional
        A second mask on the same projected grid; with ``within_m``, adds the objects and
        area of ``mask`` within that distance of it.
    within_m : float, optional
        Distance bound between pixel centres, m (inclusive).
    min_area_m2 : float
        Size bound of ``objects_min_area`` and ``objects_near``, m².
    connectivity : {8, 4}
        Pixel connectivity of objects.
    tiles_per_batch : int, optional
        Upper bound on the tiles of one batch. Default: one tile per worker thread
        (at most 256, and at most a quarter of the region), so that each batch takes seconds
        and the first progress line comes soon whatever the region's size.
    in_flight : int
        Batches on the cluster at once.
    checkpoint : str or path, optional
        Folder for finished batches: a run started again with the same job and folder
        resumes without recomputing them.
    say : callable, optional
        Receives one progress line per batch (tiles done, km² done, time left).
    client : distributed.Client, optional
        Default: the current client, else the local threaded scheduler.

    Returns
    -------
    Survey

    Raises
    ------
    geoquant.errors.InvalidOptionError
        When only one of ``near`` and ``within_m`` is given, or an option is out of range.
    geoquant.errors.CheckpointError
        When ``checkpoint`` holds another job's batches.
    """
    started = time.perf_counter()
    conn8 = check_connectivity(connectivity)
    min_area_m2 = check_non_negative(min_area_m2, "min_area_m2", unit="square metres",
                                     example="10000.0 for 1 ha")
    if (near is None) != (within_m is None):
        raise InvalidOptionError(
            "near and within_m go together: pass both (for example near=water, within_m=500.0) "
            "or neither")
    if within_m is not None:
        within_m = check_non_negative(within_m, "within_m", unit="metres",
                                      example="500.0")
    mask = _as_dask(mask)
    geometry = PixelGeometry.of(mask, name="mask")
    halo = (0, 0)
    if near is not None:
        near = _as_dask(near)
        check_same_grid(geometry, PixelGeometry.of(near, name="near"), ("mask", "near"))
        geometry.require_projected("distance")
        geometry.require_true_lengths("distances")
        if near.data.chunks != mask.data.chunks:
            near = near.chunk(dict(zip(near.dims, mask.data.chunks, strict=True)))
        halo = (math.floor(within_m / geometry.dy) + 1, math.floor(within_m / geometry.dx) + 1)
    grid = TileGrid.from_chunks(mask.data.chunks)
    if tiles_per_batch is None:
        tiles_per_batch = _resumed_tiles_per_batch(checkpoint) or auto_tiles_per_batch(
            grid.tiles[0] * grid.tiles[1], _threads(client))
    plan = plan_batches(grid, tiles_per_batch=tiles_per_batch)
    reducer = SurveyReducer(geometry, min_area_m2, within=near is not None)
    store = None
    if checkpoint is not None:
        store = Checkpoint(checkpoint, _fingerprint(mask, near, within_m, min_area_m2,
                                                    connectivity, plan, tiles_per_batch))
    build = partial(_batch_graph, mask=mask, near=near, within_m=within_m, halo=halo,
                    geometry=geometry, conn8=conn8, reducer=reducer,
                    with_digest=store is not None)
    areas = [_batch_km2(batch, geometry) for batch in plan]
    digest = partial(_batch_digest, mask=mask, near=near, halo=halo, geometry=geometry)
    (summary, totals, *_), progress = run_batches(
        plan, build, partial(_merge_batches, conn8=conn8, reducer=reducer),
        in_flight=in_flight, checkpoint=store, area_km2=areas, say=say, client=client,
        check_resumed=partial(_check_resumed, digest=digest, folder=checkpoint))
    closed = reducer.combine(summary.closed, reducer.reduce(summary.open))
    objects, big, big_near = (int(v) for v in closed)
    cells, valid, area_sum, valid_sum, near_cells, near_sum = (float(v) for v in totals)
    return Survey(
        objects=objects, objects_min_area=big,
        objects_near=big_near if near is not None else None,
        area_m2=float(geometry.area_of(int(cells), area_sum)),
        valid_area_m2=float(geometry.area_of(int(valid), valid_sum)),
        area_near_m2=float(geometry.area_of(int(near_cells), near_sum))
        if near is not None else None,
        min_area_m2=min_area_m2, within_m=within_m, connectivity=connectivity,
        pixels=int(np.prod(geometry.shape)), tiles=grid.tiles[0] * grid.tiles[1],
        batches=len(plan), resumed_batches=progress.resumed_batches,
        elapsed_s=time.perf_counter() - started)


def _resumed_tiles_per_batch(checkpoint: Any) -> int | None:
    """The batch size a checkpoint was written with, so that an automatically sized run
    resumes on a cluster of another size (None when there is no such checkpoint)."""
    import json
    from pathlib import Path

    if checkpoint is None:
        return None
    try:
        job = json.loads((Path(checkpoint) / "job.json").read_text())
    except (OSError, ValueError):
        return None
    size = job.get("tiles_per_batch") if isinstance(job, dict) else None
    return size if isinstance(size, int) and size >= 1 else None


def _threads(client: Any) -> int:
    """Worker threads of ``client`` (or of the current client); this machine's cores when
    the batches run on the local threaded scheduler."""
    import os

    from geoquant.tiling._batches import _current_client

    client = client if client is not None else _current_client()
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # noqa: BLE001 - a client that cannot say: size for this machine
            pass
    return os.cpu_count() or 1


# -- one batch -------------------------------------------------------------------------------------
def _batch_graph(batch: Batch, *, mask: Any, near: Any, within_m: float | None,
                 halo: tuple[int, int], geometry: PixelGeometry, conn8: bool,
                 reducer: SurveyReducer, with_digest: bool = False) -> Any:
    """A Delayed of ``(object summary, totals)`` for one batch, with global keys; with
    ``with_digest``, also the digest of the pixels it read (checked when a checkpoint is
    resumed)."""
    import dask.array as da
    from dask import delayed
    from dask.delayed import Delayed
    from dask.highlevelgraph import HighLevelGraph

    (r0, r1), (c0, c1) = batch.rows, batch.cols
    width = geometry.shape[1]
    codes = prepare_mask(mask.isel({mask.dims[0]: slice(r0, r1),
                                    mask.dims[1]: slice(c0, c1)})).codes
    # The halo beyond the batch is filled as if it were the raster's edge: reading the real
    # one would load (or generate) every neighbouring tile whole for a one-pixel ring. Object
    # identity across the batch border comes from the merged border strips, not the halo;
    # only the per-object face counts (perimeters) would need it, and a survey keeps none.
    padded = da.overlap.overlap(codes, depth={0: 1, 1: 1}, boundary={0: OUTSIDE, 1: OUTSIDE})
    aux: tuple[Any, ...] = ()
    if near is not None:
        aux = (_near_field(near, batch, halo, geometry, within_m, codes.chunks),)
    run = object_pass(codes, geometry, conn8=conn8, reducer=reducer, aux=aux, padded=padded,
                      origin=(r0, c0), width=width)
    root = run.root.summary
    summary = Delayed(root, HighLevelGraph.from_collections(root, dict(run.graph),
                                                            dependencies=run.dependencies))
    totals = tree_reduce([codes, *aux],
                         partial(_tile_totals, grid=TileGrid.from_chunks(codes.chunks),
                                 row0=r0, geometry=geometry, kernels=run.kernels),
                         np.add, name="gq-survey-totals")
    if with_digest:
        digest = _batch_digest(batch, mask=mask, near=near, halo=halo, geometry=geometry)
        return delayed(_pair, pure=True)(summary, totals, digest)
    return delayed(_pair, pure=True)(summary, totals)


def _batch_windows(batch: Batch, *, mask: Any, near: Any, halo: tuple[int, int],
                   geometry: PixelGeometry) -> list[Any]:
    """The dask arrays of what a batch reads: its mask window and its near window (halo)."""
    (r0, r1), (c0, c1) = batch.rows, batch.cols
    windows = [mask.data[r0:r1, c0:c1]]
    if near is not None:
        height, width = geometry.shape
        w0, w1 = max(r0 - halo[0], 0), min(r1 + halo[0], height)
        v0, v1 = max(c0 - halo[1], 0), min(c1 + halo[1], width)
        windows.append(near.data[w0:w1, v0:v1])
    return windows


def _batch_digest(batch: Batch, *, mask: Any, near: Any, halo: tuple[int, int],
                  geometry: PixelGeometry) -> Any:
    """A Delayed hex digest of every pixel a batch reads, block by block (memory: a block)."""
    from dask import delayed

    parts = [delayed(_block_digest, pure=True)(block)
             for window in _batch_windows(batch, mask=mask, near=near, halo=halo,
                                          geometry=geometry)
             for block in window.to_delayed(optimize_graph=False).ravel()]
    return delayed(_join_digests, pure=True)(parts)


def _block_digest(block: Any) -> bytes:
    from geoquant.ops.kernels._launch import to_host

    values = np.ascontiguousarray(to_host(block))
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{values.dtype.str}{values.shape}".encode())
    digest.update(values.tobytes())
    return digest.digest()


def _join_digests(parts: list[bytes]) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def _check_resumed(batch: Batch, saved: Any, *, digest: Any, folder: Any) -> None:
    """Refuse a saved batch whose input pixels are not those it was computed from (a raster
    replaced in place, even with the same modification time)."""
    import dask

    if not isinstance(saved, tuple) or len(saved) != 3:
        raise CheckpointError(f"checkpoint {folder} holds batch {batch.index} without the "
                              "digest of its input: remove the folder to start afresh")
    (now,) = dask.compute(digest(batch), scheduler="threads")
    if now != saved[2]:
        raise CheckpointError(
            f"the input changed since checkpoint {folder} saved batch {batch.index} (its pixels "
            "differ): its batches would mix two rasters; pass a new checkpoint folder, or "
            "remove this one to start afresh")


def _near_field(near: Any, batch: Batch, halo: tuple[int, int], geometry: PixelGeometry,
                within_m: float, chunks: tuple[tuple[int, ...], ...]) -> Any:
    """0.0 where a core pixel lies within ``within_m`` of ``near``, 1.0 elsewhere."""
    import dask.array as da

    from geoquant.ops._distance import distance_to

    (r0, r1), (c0, c1) = batch.rows, batch.cols
    height, width = geometry.shape
    w0, w1 = max(r0 - halo[0], 0), min(r1 + halo[0], height)
    v0, v1 = max(c0 - halo[1], 0), min(c1 + halo[1], width)
    window = prepare_mask(near.isel({near.dims[0]: slice(w0, w1), near.dims[1]: slice(v0, v1)}),
                          name="near")
    # The raster's own pixel size, not the window's: read off the window's coordinates it can
    # differ in the last bits, and a distance tie at within_m would then depend on the batch.
    window = dataclasses.replace(window, geometry=geometry)
    to_near = distance_to(window, excluded_nan=False, max_tiles=None)[r0 - w0:r1 - w0,
                                                                      c0 - v0:c1 - v0]
    field = da.map_blocks(_within_field, to_near, limit=within_m, dtype=np.float64,
                          meta=np.empty((0, 0), np.float64))
    return field.rechunk(chunks)


def _within_field(distance: np.ndarray, *, limit: float) -> np.ndarray:
    return np.where(distance <= limit, 0.0, 1.0)


def _tile_totals(codes: Any, *aux: Any, block_index: tuple[int, int],
                 grid: TileGrid, row0: int, geometry: PixelGeometry,
                 kernels: str) -> np.ndarray:
    """Object and valid cells and areas of one tile; and those within reach of ``near``."""
    from geoquant.ops.kernels._launch import to_host
    from geoquant.ops.kernels.dispatch import kernels_for

    r0, r1, _, _ = grid.bounds(*block_index)
    cell_area = geometry.cell_area(row0 + r0, row0 + r1)
    counts = np.zeros(6, np.float64)
    counts[:4] = kernels_for(codes, kernels).count_codes(codes, cell_area)
    if aux:
        near_per_row = to_host(((codes == OBJECT) & (aux[0] == 0.0)).sum(axis=1))
        counts[4] = int(near_per_row.sum())
        counts[5] = float(np.sum(near_per_row * cell_area))
    return counts


def _pair(summary: Any, totals: np.ndarray, *digest: str) -> tuple[Any, ...]:
    return (summary, totals, *digest)


def _merge_batches(first: tuple, second: tuple, axis: int, *, conn8: bool,
                   reducer: SurveyReducer) -> tuple:
    return (merge(first[0], second[0], axis=axis, conn8=conn8, reducer=reducer),
            first[1] + second[1])


# -- helpers -------------------------------------------------------------------------------------
def _as_dask(mask: Any) -> Any:
    """A dask-backed copy of an in-memory mask (tiles are views, nothing is copied).

    Always :data:`DEFAULT_TILE` tiles: a batch holds ``tiles_per_batch`` of them at once, so
    larger tiles would multiply the memory a batch needs."""
    if is_dask(mask.data):
        return mask
    return mask.copy(data=as_tiles(mask.data, DEFAULT_TILE))


def _batch_km2(batch: Batch, geometry: PixelGeometry) -> float:
    (r0, r1), (c0, c1) = batch.rows, batch.cols
    return float(np.sum(geometry.cell_area(r0, r1)) * (c1 - c0) / 1e6)


def _fingerprint(mask: Any, near: Any, within_m: float | None, min_area_m2: float,
                 connectivity: int, plan: Any, tiles_per_batch: int) -> dict[str, Any]:
    """What makes two runs the same job: the inputs' identity, the options and the batches."""
    from geoquant._version import __version__

    return {"operator": "survey", "geoquant": __version__, "mask": _identity(mask),
            "near": _identity(near) if near is not None else None, "within_m": within_m,
            "min_area_m2": min_area_m2, "connectivity": connectivity, **plan.describe(),
            "tiles_per_batch": tiles_per_batch}


def _identity(array: Any) -> dict[str, Any]:
    """What the pixels are: the dask graph's name (deterministic for stores and synthetic
    scenes; for in-memory tiles, whose names are random, a hash of the pixels), and how they
    are read: dtype, nodata, CRS and transform (the same pixels at another resolution, or
    with another nodata value, are another job)."""
    from geoquant.ops._mask import nodata_value

    data = array.data
    if data.name.startswith("gq-tiles-"):
        digest = hashlib.blake2b(digest_size=16)
        for block in data.to_delayed().ravel():
            digest.update(np.ascontiguousarray(block.compute()).tobytes())
        name = f"pixels-{digest.hexdigest()}"
    else:
        name = data.name
    geometry = PixelGeometry.of(array)
    return {"data": name, "dtype": str(array.dtype), "nodata": nodata_value(array),
            "crs": geometry.crs_wkt, "transform": list(tuple(geometry.transform)[:6])}
