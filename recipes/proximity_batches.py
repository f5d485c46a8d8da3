"""Buildings within 500 m of water over a large synthetic region, in batches on a cluster.

Question
    How many buildings lie within 500 m of open water (lakes and rivers), how much of the
    built area is that, and what share of all buildings is it, over a region far larger than
    one machine's memory would hold as one array?

Data
    A synthetic region from :func:`geoquant.synth.landcover` (10 m pixels, UTM 33N), generated
    tile by tile inside the computation and never materialised: lakes and meandering rivers
    that cross many tiles, roads, and buildings in rows along them (15 % of them touching a
    twin at one corner, so 8-connectivity matters). The default is 30,000 x 30,000 pixels
    (0.9 Gpx, 90,000 km²); ``--size 316000`` is 100 Gpx, about a continent's area of
    Sentinel-2 pixels. Synthetic data is used because the demo's real rasters cover a few
    km²; every number below is checked against scipy on whole arrays in the recipe's test.

Method
    1. Start the cluster (``--cluster``, default ``local``: worker processes sized to the
       machine; any definition of ``clusters/`` works: ``address``, ``slurm``...), and print
       its dashboard address.
    2. :func:`geoquant.ops.survey` cuts the region into batches of ``--tiles-per-batch``
       tiles and keeps two on the cluster at once, so the scheduler's graph stays bounded
       (thousands of tasks) at any size. Per batch it labels the buildings (8-connected, with
       global keys, so a building cut by a batch border is one building), reads water over
       the batch widened by 500 m (exact Euclidean distance between pixel centres), and
       returns a summary that merges with its neighbours' as batches finish.
    3. Progress lines show batches and tiles done, km² done and the time left. With
       ``--checkpoint DIR`` each finished batch is saved: a run killed and started again
       with the same options resumes where it stopped.
    4. An overview at 1/``--overview`` resolution (water, buildings, buildings within 500 m)
       is computed on the cluster block by block and written as GIS-readable Zarr and PNG.

Run
    ``.venv/bin/python recipes/proximity_batches.py --out proximity``
    (options: ``--size PIXELS``, ``--chunk PIXELS``, ``--distance-m M``,
    ``--tiles-per-batch N``, ``--checkpoint DIR``, ``--cluster NAME|FILE``, ``--workers N``,
    ``--overview N``, ``--seed S``, ``--overwrite``).

Writes (``--out``, whole or not at all)
    * ``summary.json``: the survey (buildings, buildings within the distance, their areas and
      shares), the region, batches and timing;
    * ``proximity.zarr`` (Zarr v2, GDAL-readable: ``gdalinfo 'ZARR:"proximity.zarr":/overview'``):
      ``overview`` (uint8: 0 land, 1 water, 2 building, 3 building within the distance) at
      the overview resolution, georeferenced;
    * ``quicklook.png``: the overview with a legend and the answer as caption.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import _common
import numpy as np

WATER_CODES, BUILDING = (1, 7), 6
COLOURS = {0: (235, 235, 235), 1: (31, 119, 180), 2: (120, 120, 120), 3: (214, 39, 40)}


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    from geoquant.cluster import add_cluster_option

    p = _common.parser(__doc__.splitlines()[0], default_out="proximity")
    p.set_defaults(chunk=2048, workers=None)  # the cluster definition sizes the workers
    p.add_argument("--size", type=int, default=30_000, help="region side, pixels (10 m)")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic region")
    p.add_argument("--distance-m", type=float, default=500.0, help="distance to water, m")
    p.add_argument("--tiles-per-batch", type=int, default=64, help="tiles per batch")
    p.add_argument("--checkpoint", type=Path, default=None,
                   help="folder that keeps finished batches, to resume a stopped run")
    p.add_argument("--overview", type=int, default=None,
                   help="overview reduction factor (default: about 1000 px across)")
    add_cluster_option(p, default="local")
    args = p.parse_args(argv)
    if args.size < 1 or args.chunk < 1:
        p.error("--size and --chunk must be positive")
    return args


def _overview_block(lc: np.ndarray, near: np.ndarray, *, factor: int) -> np.ndarray:
    """The most telling class of each factor x factor cell: near > building > water > land."""
    h, w = lc.shape
    rows, cols = -(-h // factor), -(-w // factor)
    pad = ((0, rows * factor - h), (0, cols * factor - w))
    codes = np.zeros(lc.shape, np.uint8)
    codes[np.isin(lc, WATER_CODES)] = 1
    codes[lc == BUILDING] = 2
    codes[near] = 3
    cells = np.pad(codes, pad).reshape(rows, factor, cols, factor)
    return cells.max(axis=(1, 3))


def overview(lc: Any, near: Any, factor: int) -> Any:
    """Coarse class map of the region as a georeferenced DataArray (computed on the cluster)."""
    import dask.array as da
    import xarray as xr
    from affine import Affine

    if any(c % factor for axis in lc.data.chunks for c in axis[:-1]):
        raise ValueError("the overview factor must divide the chunk size")
    coarse = da.map_blocks(_overview_block, lc.data, near.data, factor=factor, dtype=np.uint8,
                           chunks=tuple(tuple(-(-c // factor) for c in axis)
                                        for axis in lc.data.chunks))
    values = coarse.compute()
    t = lc.rio.transform()
    transform = Affine(t.a * factor, 0.0, t.c, 0.0, t.e * factor, t.f)
    rows, cols = values.shape
    out = xr.DataArray(values, dims=("y", "x"), name="overview", coords={
        "y": t.f + (np.arange(rows) + 0.5) * t.e * factor,
        "x": t.c + (np.arange(cols) + 0.5) * t.a * factor},
        attrs={"flag_values": [0, 1, 2, 3],
               "flag_meanings": "land water building building_near_water"})
    return out.rio.write_crs(lc.rio.crs).rio.write_transform(transform)


def recipe(args: argparse.Namespace) -> None:
    import geoquant as gq
    from geoquant.cluster import cluster_from_args

    out = gq.sinks.check_output_path(args.out, overwrite=args.overwrite, kind="directory")
    steps = _common.Steps(4)
    side = args.size
    lc = gq.synth.landcover((side, side), seed=args.seed, chunks=args.chunk, resolution=10.0)
    buildings, water = lc == BUILDING, lc.isin(WATER_CODES)
    factor = args.overview or max(1, side // 1000)
    while args.chunk % factor:
        factor -= 1
    say = (lambda line: print(f"    {line}", flush=True))  # noqa: E731
    with cluster_from_args(args, workers=args.workers) as handle:
        steps.step(f"cluster {handle.kind}: {handle.n_workers} workers, "
                   + (f"dashboard {handle.dashboard_link}" if handle.dashboard_link
                      else "no dashboard"))
        started = time.perf_counter()
        survey = gq.ops.survey(buildings, near=water, within_m=args.distance_m,
                               tiles_per_batch=args.tiles_per_batch,
                               checkpoint=args.checkpoint, say=say, client=handle.client)
        steps.step(f"surveyed {survey.pixels / 1e9:.2f} Gpx in {survey.batches} batches of "
                   f"up to {args.tiles_per_batch} tiles ({survey.resumed_batches} resumed)")
        near = gq.ops.within_distance(buildings, water, args.distance_m)
        picture = overview(lc, near, factor)
        steps.step(f"overview at 1/{factor} resolution ({picture.shape[1]} x "
                   f"{picture.shape[0]} px)")
    share = 100.0 * survey.objects_near / survey.objects if survey.objects else float("nan")
    area_share = 100.0 * survey.area_near_m2 / survey.area_m2 if survey.area_m2 else float("nan")
    lines = [
        f"{survey.objects_near:,} of {survey.objects:,} buildings ({share:.1f} %) lie within "
        f"{args.distance_m:g} m of water,",
        f"with {survey.area_near_m2 / 1e4:,.1f} ha of {survey.area_m2 / 1e4:,.1f} ha of "
        f"built area ({area_share:.1f} %) that close; region {side:,} x {side:,} px "
        f"({survey.valid_area_m2 / 1e6:,.0f} km²).",
    ]
    summary = {
        "question": f"How many buildings lie within {args.distance_m:g} m of water?",
        "answer": {"buildings_near_water": survey.objects_near, "buildings": survey.objects,
                   "share_percent": share, "built_area_near_water_m2": survey.area_near_m2,
                   "built_area_m2": survey.area_m2, "built_area_near_percent": area_share},
        "survey": survey.to_dict(),
        "region": {"size_px": side, "resolution_m": 10.0, "crs": str(lc.rio.crs),
                   "chunk_px": args.chunk, "seed": args.seed, "synthetic": True},
        "method": "geoquant.ops.survey in batches; exact Euclidean distance between pixel "
                  "centres; buildings are 8-connected objects of class 6, water classes 1 "
                  "and 7 of geoquant.synth.landcover",
        "cluster": args.cluster, "seconds": time.perf_counter() - started,
    }
    with gq.sinks.atomic_output(out, overwrite=args.overwrite, kind="directory") as folder:
        gq.sinks.write_json(summary, folder / "summary.json")
        gq.sinks.write_zarr(picture.to_dataset(), folder / "proximity.zarr")
        image = _common.paint(picture.values, COLOURS)
        _common.sheet(folder / "quicklook.png", [[
            _common.panel(f"{side:,} x {side:,} px at 1/{factor}", image, height=600),
            _common.legend([("land", COLOURS[0]), ("water", COLOURS[1]),
                            ("building", COLOURS[2]),
                            (f"building within {args.distance_m:g} m of water", COLOURS[3])])]],
            lines)
    steps.step(f"wrote {out}")
    for line in lines:
        print(line)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    return _common.run(recipe, args)


if __name__ == "__main__":
    sys.exit(main())
