"""Files to answers: ``gq.ask`` against the pipeline a capable user would write (issue 33 item 1).

    python benchmarks/end_to_end.py [--size 10000] [--tile 5000] [--data DIR] [--json out.json]

**Input.** A square region of ``--size`` x ``--size`` pixels at 10 m (10 000 px: 10 000 km²,
100 Mpx per band) of ``geoquant.synth``'s world, written by the script as tiled GeoTIFFs in COG
layout (512 px blocks, DEFLATE with a horizontal predictor, uint16 digital numbers, 0 = no
data), one file per band (B03 green, B04 red, B08 NIR, B11 SWIR 1.6 µm) and tile
(``--tile`` px) and date: 2024-07-01 and 2025-07-01. The second date is the same land cover
with forest cleared in rectangles (one clear-cut per 500 x 500 px on average, 40-240 px a side)
and its own reflectance noise. A STAC catalog of the tiles (``geoquant.sources.build_catalog``)
is served on loopback by ``CatalogServer`` (rustac); beside it one VRT per date mosaics the
tiles and stacks the bands, for the questions from the files. Written once into ``--data``
(default: a temporary folder) and reused when the parameters match.

**Questions** (one date: 2024; change: both):

* ``near``: "How many forest patches larger than 1 ha lie within 500 m of water?"
* ``share``: "What share of the area is built-up?"
* ``change``: "How much did the forest area change between 2024 and 2025?"

**Segmentation.** Both sides use the same hard thresholds on normalised differences of the
float32 digital numbers (:class:`ThresholdSegmenter`: water MNDWI > 0; forest NDVI > 0.6 and
NDMI > 0.3; built-up NDBI > 0 and NDVI < 0.3; the fixed thresholds of
``geoquant.segment.spectral_rules`` without their logistic softness), so that the masks, and
therefore the answers, must be identical: the script asserts it.

**Contenders**, each in its own process (peak memory is its own), in turn:

* ``geoquant-stac``: ``gq.ask(question, source=<STAC API collection URL>, bbox=...,
  segmenter=ThresholdSegmenter(), thresholds=None)``, one call per question, dask's threaded
  scheduler on all cores (``thresholds=None``: no range runs, which the user's pipeline has no
  counterpart for);
* ``geoquant-files``: the same from the VRTs (one per date);
* ``user``: ``pystac_client`` search, ``odc.stac.load`` of the bands into memory (all cores),
  the thresholds in NumPy, then ``scipy.ndimage`` on the whole array: ``label`` (8-connected),
  ``distance_transform_edt`` of the non-water pixels, the minimum distance per object and the
  areas with ``bincount``; each date read once for all three questions;
* ``user-xrspatial``: the same with ``xrspatial.proximity(max_distance=500 m)`` in place of
  scipy's EDT (xarray-spatial has no labelling); its distances are not exact (up to 2.7 m off
  in ``distance.py``), so its answer is compared but not asserted.

**Measured**: wall time of the three questions (and of each), km²/s over the region's area
times the questions, the process's peak resident set (``VmHWM``, libraries and all), the time
split (geoquant: from ``ask``'s progress lines: plan, open + read + decode + segment (one lazy
pass), operators with their merge, evidence; the user's pipeline: search, load, thresholds,
label, distance, per-object reduction), and, alone, what bounds the reading: the decode
throughput of the files with rasterio (all tiles and bands, one thread per core) and the
thresholds on arrays already in memory. No reprojection happens: every contender reads the
files' own UTM grid. ``--evidence`` makes ``geoquant-*`` also write the evidence Zarr, JSON and
quick-look (``out=``).

The 1-minute load average is recorded before and after each contender.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _common import describe, load, machine, markdown, peak_kib, write_json

RESOLUTION = 10.0
CRS = "EPSG:32633"
ORIGIN = (300_000.0, 5_200_000.0)   # west, north (m)
COLLECTION = "synth-s2"
BANDS = {"green": "B03", "red": "B04", "nir": "B08", "swir16": "B11"}
DATES = ("2024-07-01", "2025-07-01")
BLOCK = 512
SCALE = 10_000            # reflectance -> digital number
CLEARCUT_SPACING = 500    # px per clear-cut on average, along each axis
QUESTIONS = {
    "near": "How many forest patches larger than 1 ha lie within 500 m of water?",
    "share": "What share of the area is built-up?",
    "change": "How much did the forest area change between 2024 and 2025?",
}
MIN_AREA_M2, NEAR_M = 1e4, 500.0
CONTENDERS = ("geoquant-stac", "geoquant-files", "user", "user-xrspatial")
ASSERTED = ("geoquant-stac", "geoquant-files", "user")  # must give identical answers
DATA_VERSION = 1


# -- segmentation shared by every contender -------------------------------------------------------
def _nd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return (a - b) / (a + b)


def threshold_classes(green: np.ndarray, red: np.ndarray, nir: np.ndarray,
                      swir16: np.ndarray) -> dict[str, np.ndarray]:
    """Water, forest and built-up masks (bool) from float32 bands, by fixed thresholds on
    normalised differences: what the user's pipeline computes, and what
    :class:`ThresholdSegmenter` gives ``ask``."""
    ndvi = _nd(nir, red)
    ndmi = _nd(nir, swir16)
    return {"water": _nd(green, swir16) > 0.0,
            "forest": (ndvi > 0.6) & (ndmi > 0.3),
            "built-up": (_nd(swir16, nir) > 0.0) & (ndvi < 0.3)}


@dataclass(frozen=True)
class ThresholdSegmenter:
    """A segmenter (``geoquant.segment.Segmenter``) of hard thresholds: probability 1 where
    :func:`threshold_classes` holds, 0 elsewhere, NaN where a band has no data."""

    name: str = "benchmark thresholds"
    version: str = "1"
    classes: tuple[str, ...] = ("water", "forest", "built-up")
    bands: tuple[str, ...] = ("green", "red", "nir", "swir16")
    halo: int = 0
    stride: int = 1
    exclusive: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    def predict(self, tile: Any, bands: Sequence[str]) -> np.ndarray:
        from geoquant.segment._bands import band_indices

        positions = band_indices(list(bands), self.bands, who=self.name)
        values = [np.asarray(tile[p], dtype=np.float32) for p in positions]
        found = threshold_classes(*values)
        out = np.stack([found[c] for c in self.classes]).astype(np.float32)
        missing = ~np.isfinite(np.stack(values)).all(axis=0)
        out[:, missing] = np.nan
        return out


# -- the region's files ---------------------------------------------------------------------------
def clearcuts(size: int, seed: int) -> np.ndarray:
    """Clear-cut rectangles ``(row0, row1, col0, col1)`` over the region (global pixels)."""
    rng = np.random.default_rng([seed, 33])
    n = max(1, (size // CLEARCUT_SPACING) ** 2)
    r0 = rng.integers(0, size, n)
    c0 = rng.integers(0, size, n)
    h = rng.integers(40, 241, n)
    w = rng.integers(40, 241, n)
    return np.stack([r0, np.minimum(r0 + h, size), c0, np.minimum(c0 + w, size)], axis=1)


def _tile_job(job: tuple) -> None:
    """Render one tile at one date and write its bands (run in a worker process)."""
    import rasterio
    from affine import Affine

    from geoquant.synth import OPTICAL_BANDS
    from geoquant.synth._classes import FOREST, GRASSLAND
    from geoquant.synth._render import render_landcover, render_optical

    folder, seed, date_index, r0, r1, c0, c1, cuts = job
    lc = render_landcover(seed, r0, r1, c0, c1)
    if date_index == 1:
        for a, b, c, d in cuts:
            a, b, c, d = max(a, r0) - r0, min(b, r1) - r0, max(c, c0) - c0, min(d, c1) - c0
            if a < b and c < d:
                window = lc[a:b, c:d]
                window[window == FOREST] = GRASSLAND
    reflectance = render_optical(lc, seed + date_index, r0, c0)
    transform = Affine(RESOLUTION, 0, ORIGIN[0] + c0 * RESOLUTION,
                       0, -RESOLUTION, ORIGIN[1] - r0 * RESOLUTION)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for common, band in BANDS.items():
        dn = np.clip(np.rint(reflectance[OPTICAL_BANDS.index(band)] * SCALE), 1, 65535)
        profile = {"driver": "GTiff", "width": c1 - c0, "height": r1 - r0, "count": 1,
                   "dtype": "uint16", "crs": CRS, "transform": transform, "nodata": 0,
                   "tiled": True, "blockxsize": BLOCK, "blockysize": BLOCK,
                   "compress": "deflate", "predictor": 2, "interleave": "band"}
        with rasterio.open(folder / f"{band}.tif", "w", **profile) as dst:
            dst.write(dn.astype(np.uint16), 1)
            dst.update_tags(1, name=band, common_name=common)
            dst.set_band_description(1, common)


def _vrt(path: Path, tiles: list[tuple[Path, int, int, int, int]], size: int) -> None:
    """One VRT over the region: a band per entry of :data:`BANDS`, mosaicking the tiles."""
    gt = f"{ORIGIN[0]}, {RESOLUTION}, 0, {ORIGIN[1]}, 0, {-RESOLUTION}"
    from pyproj import CRS as PyCRS

    lines = [f'<VRTDataset rasterXSize="{size}" rasterYSize="{size}">',
             f"  <SRS>{PyCRS.from_user_input(CRS).to_wkt()}</SRS>",
             f"  <GeoTransform>{gt}</GeoTransform>"]
    for k, (common, band) in enumerate(BANDS.items(), start=1):
        lines += [f'  <VRTRasterBand dataType="UInt16" band="{k}">',
                  f"    <Description>{common}</Description>",
                  "    <NoDataValue>0</NoDataValue>"]
        for folder, r0, r1, c0, c1 in tiles:
            h, w = r1 - r0, c1 - c0
            lines += ["    <SimpleSource>",
                      f"      <SourceFilename relativeToVRT=\"0\">{folder / f'{band}.tif'}"
                      "</SourceFilename>",
                      "      <SourceBand>1</SourceBand>",
                      f'      <SourceProperties RasterXSize="{w}" RasterYSize="{h}" '
                      f'DataType="UInt16" BlockXSize="{BLOCK}" BlockYSize="{BLOCK}"/>',
                      f'      <SrcRect xOff="0" yOff="0" xSize="{w}" ySize="{h}"/>',
                      f'      <DstRect xOff="{c0}" yOff="{r0}" xSize="{w}" ySize="{h}"/>',
                      "    </SimpleSource>"]
        lines.append("  </VRTRasterBand>")
    lines.append("</VRTDataset>")
    path.write_text("\n".join(lines) + "\n")


@dataclass(frozen=True)
class Region:
    """Where the written region lies: catalog folder, one VRT per date, lon/lat bbox."""

    folder: Path
    catalog: Path
    vrts: tuple[Path, Path]
    bbox: tuple[float, float, float, float]
    size: int
    tiles: int
    bytes_on_disk: int
    write_s: float


def lonlat_bbox(size: int) -> tuple[float, float, float, float]:
    """The region's bounds in lon/lat, shrunk by a pixel so that no neighbour is touched."""
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)
    west, north = ORIGIN
    east, south = west + size * RESOLUTION, north - size * RESOLUTION
    xs, ys = to_lonlat.transform([west, east, west, east], [south, south, north, north])
    return (min(xs), min(ys), max(xs), max(ys))


def write_region(folder: Path, size: int, tile: int, seed: int,
                 processes: int | None = None) -> Region:
    """Write (or reuse) the region's tiles, catalog and VRTs under ``folder``, rendering the
    tiles in ``processes`` worker processes (default: one per core; 1: in this process)."""
    from concurrent.futures import ProcessPoolExecutor

    from geoquant.sources import build_catalog

    stamp = json.loads(json.dumps({"version": DATA_VERSION, "size": size, "tile": tile,
                                   "seed": seed, "bands": BANDS, "dates": DATES}))
    done = folder / "region.json"
    edges = list(range(0, size, tile))
    windows = [(r, min(r + tile, size), c, min(c + tile, size)) for r in edges for c in edges]
    items = [(folder / "imagery" / COLLECTION / f"tile_{r0:06d}_{c0:06d}_{date}", d, r0, r1,
              c0, c1) for d, date in enumerate(DATES) for r0, r1, c0, c1 in windows]
    start = time.perf_counter()
    if not (done.exists() and json.loads(done.read_text()).get("stamp") == stamp):
        cuts = clearcuts(size, seed)
        jobs = [(str(p), seed, d, r0, r1, c0, c1, cuts) for p, d, r0, r1, c0, c1 in items]
        processes = processes or os.cpu_count() or 1
        if processes == 1:
            for job in jobs:
                _tile_job(job)
        else:
            with ProcessPoolExecutor(processes) as pool:
                list(pool.map(_tile_job, jobs))
        build_catalog(folder / "imagery", folder / "catalog")
        for d, date in enumerate(DATES):
            _vrt(folder / f"region_{date}.vrt",
                 [(p, r0, r1, c0, c1) for p, dd, r0, r1, c0, c1 in items if dd == d], size)
        done.write_text(json.dumps({"stamp": stamp,
                                    "write_s": time.perf_counter() - start}))
    on_disk = sum(p.stat().st_size for p in (folder / "imagery").rglob("*.tif"))
    return Region(folder, folder / "catalog",
                  tuple(folder / f"region_{date}.vrt" for date in DATES),  # type: ignore[arg-type]
                  lonlat_bbox(size), size, len(windows), on_disk,
                  json.loads(done.read_text())["write_s"])


# -- contenders -----------------------------------------------------------------------------------
class Clock:
    """Named phases of one contender: ``with clock("label"): ...`` adds up seconds."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    def add(self, name: str, seconds: float) -> None:
        self.phases[name] = self.phases.get(name, 0.0) + seconds

    def __call__(self, name: str) -> Any:
        clock = self

        class _Phase:
            def __enter__(self) -> None:
                self.start = time.perf_counter()

            def __exit__(self, *exc: object) -> None:
                clock.add(name, time.perf_counter() - self.start)

        return _Phase()


def _ask_phases(lines: list[tuple[float, str]], start: float, clock: Clock) -> None:
    """Split one ``ask`` call by its progress lines (their order is ``ask``'s)."""
    names = {"planned": "plan", "opened": "open, read, decode, segment",
             "ran the plan": "operators and merge", "wrote": "evidence"}
    before = start
    for at, text in lines:
        body = text.split("] ", 1)[-1]
        name = next((v for k, v in names.items() if body.startswith(k)), "other")
        clock.add(name, at - before)
        before = at


def run_geoquant(region: Region, via: str, server_url: str | None, evidence: Path | None,
                 clock: Clock, questions: Sequence[str] = tuple(QUESTIONS)) -> dict[str, Any]:
    """The ``questions`` (keys of :data:`QUESTIONS`) through ``gq.ask``, from the STAC API
    (``via="stac"``) or the VRTs (``"files"``)."""
    import dask

    import geoquant as gq

    answers = {}
    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        for key in questions:
            question, change = QUESTIONS[key], key == "change"
            if via == "stac":
                source: Any = f"{server_url}/collections/{COLLECTION}"
                where = {"bbox": region.bbox,
                         "datetime": f"{DATES[0]}/{DATES[1]}" if change else DATES[0]}
            else:
                source = [str(v) for v in region.vrts] if change else str(region.vrts[0])
                where = {}
            lines: list[tuple[float, str]] = []
            out = None if evidence is None else evidence / f"{via}-{key}.zarr"
            start = time.perf_counter()
            answer = gq.ask(question, source=source, segmenter=ThresholdSegmenter(),
                            thresholds=None, out=out, overwrite=True,
                            say=lambda text, lines=lines: lines.append(
                                (time.perf_counter(), text)), **where)
            seconds = time.perf_counter() - start
            _ask_phases(lines, start, clock)
            answers[key] = {"value": _plain(answer.value), "unit": answer.unit,
                            "seconds": seconds, "text": answer.text()}
    return answers


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def user_pipeline(region: Region, server_url: str, clock: Clock,
                  distance: str = "scipy") -> dict[str, Any]:
    """What a capable user writes: search, ``odc.stac.load`` into memory, thresholds in
    NumPy, ``scipy.ndimage`` on the whole array (``distance="xrspatial"``: the distance by
    ``xrspatial.proximity`` bounded at 500 m)."""
    import odc.stac
    import pystac_client
    from scipy import ndimage

    answers: dict[str, Any] = {}
    start = time.perf_counter()
    with clock("search"):
        client = pystac_client.Client.open(server_url)
        items = list(client.search(collections=[COLLECTION], bbox=region.bbox,
                                   datetime=f"{DATES[0]}/{DATES[1]}").items())
        by_date = {date: [i for i in items if i.datetime.date().isoformat() == date]
                   for date in DATES}

    def masks(date: str, bands: Sequence[str]) -> tuple[dict[str, np.ndarray], Any]:
        with clock("load (read, decode, mosaic)"):
            ds = odc.stac.load(by_date[date], bands=[BANDS[b] for b in bands],
                               pool=os.cpu_count(), groupby="solar_day")
            grid = ds.odc.geobox
            arrays = {b: ds[BANDS[b]].values[0] for b in bands}
            del ds
        with clock("thresholds"):
            valid = np.ones(arrays[bands[0]].shape, bool)
            for a in arrays.values():
                valid &= a != 0
            values = {b: a.astype(np.float32) for b, a in arrays.items()}
            del arrays
            found = threshold_classes(*(values[b] for b in BANDS))
            found["valid"] = valid
        return found, grid

    first, grid = masks(DATES[0], list(BANDS))
    pixel_m2 = RESOLUTION * RESOLUTION
    with clock("label"):
        labels, n = ndimage.label(first["forest"], structure=np.ones((3, 3), bool))
    with clock("areas"):
        areas = np.bincount(labels.ravel(), minlength=n + 1) * pixel_m2
    with clock("distance"):
        if distance == "scipy":
            dist = ndimage.distance_transform_edt(~first["water"],
                                                  sampling=(RESOLUTION, RESOLUTION))
        else:
            dist = _xrspatial_distance(first["water"], grid)
    with clock("per-object minimum"):
        ids = np.arange(1, n + 1)
        nearest = np.asarray(ndimage.minimum(dist, labels, ids)) if n else np.zeros(0)
        near = int(np.count_nonzero((areas[1:] >= MIN_AREA_M2) & (nearest <= NEAR_M)))
    del labels, dist
    answers["near"] = {"value": near, "unit": "objects",
                       "seconds": time.perf_counter() - start}
    split = time.perf_counter()
    with clock("shares and areas"):
        built = np.count_nonzero(first["built-up"] & first["valid"])
        share = 100.0 * built / np.count_nonzero(first["valid"])
        forest_before = np.count_nonzero(first["forest"] & first["valid"]) * pixel_m2
    answers["share"] = {"value": share, "unit": "%", "seconds": time.perf_counter() - split}
    del first
    split = time.perf_counter()
    second, _ = masks(DATES[1], list(BANDS))
    with clock("shares and areas"):
        forest_after = np.count_nonzero(second["forest"] & second["valid"]) * pixel_m2
    answers["change"] = {"value": forest_after - forest_before, "unit": "m2",
                         "seconds": time.perf_counter() - split}
    return answers


def _xrspatial_distance(water: np.ndarray, grid: Any) -> np.ndarray:
    """Distance (m) to the nearest water pixel by ``xrspatial.proximity``, searched up to
    500 m (beyond: NaN, read as far)."""
    import warnings

    import xarray as xr
    from xrspatial import proximity

    y0, x0 = ORIGIN[1] - RESOLUTION / 2, ORIGIN[0] + RESOLUTION / 2
    raster = xr.DataArray(water.astype(np.uint8), dims=("y", "x"), coords={
        "y": y0 - RESOLUTION * np.arange(water.shape[0]),
        "x": x0 + RESOLUTION * np.arange(water.shape[1])})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dist = np.asarray(proximity(raster, target_values=[1], max_distance=NEAR_M).values)
    return np.where(np.isnan(dist), np.inf, dist)


def worker(contender: str, region: Region, server_url: str, evidence: Path | None) -> dict:
    """One contender in this process: its answers, times, split and peak memory."""
    clock = Clock()
    load_before = load()
    start = time.perf_counter()
    if contender.startswith("geoquant"):
        answers = run_geoquant(region, contender.split("-")[1], server_url, evidence, clock)
    else:
        answers = user_pipeline(region, server_url, clock,
                                "xrspatial" if contender == "user-xrspatial" else "scipy")
    seconds = time.perf_counter() - start
    return {"contender": contender, "seconds": seconds, "answers": answers,
            "phases": clock.phases, "peak_rss_mib": peak_kib() / 1024,
            "load_before": load_before, "load_after": load()}


# -- what bounds the reading, measured alone ------------------------------------------------------
def decode_alone(region: Region, threads: int) -> dict[str, float]:
    """Read and decode every tile and band of the first date with rasterio, ``threads`` files
    at a time (no mosaic, no dask): the codec's throughput on this machine."""
    from concurrent.futures import ThreadPoolExecutor

    import rasterio

    files = sorted((region.folder / "imagery" / COLLECTION).glob(f"*_{DATES[0]}/*.tif"))

    def read(path: Path) -> int:
        with rasterio.open(path) as src:
            return int(src.read(1).size)

    start = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        pixels = sum(pool.map(read, files))
    seconds = time.perf_counter() - start
    compressed = sum(p.stat().st_size for p in files)
    return {"seconds": seconds, "mpx_per_s": pixels / seconds / 1e6,
            "decoded_mb_per_s": pixels * 2 / seconds / 1e6,
            "compressed_mb_per_s": compressed / seconds / 1e6, "files": len(files),
            "band_pixels": pixels, "threads": threads}


def thresholds_alone(region: Region) -> dict[str, float]:
    """The thresholds of one date on arrays already in memory (one thread, NumPy)."""
    import rasterio

    with rasterio.open(region.vrts[0]) as src:
        bands = [b.astype(np.float32) for b in src.read()]
    start = time.perf_counter()
    threshold_classes(*bands)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "mpx_per_s": bands[0].size / seconds / 1e6}


# -- the run --------------------------------------------------------------------------------------
def _region_from(args: argparse.Namespace) -> Region:
    data = Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    return write_region(data, args.size, args.tile, args.seed)


def check_answers(rows: list[dict]) -> list[str]:
    """The answers of :data:`ASSERTED` contenders that differ from the user's, as lines."""
    by = {r["contender"]: r["answers"] for r in rows if "answers" in r}
    if "user" not in by:
        return []
    differ = []
    for contender in ASSERTED:
        for key, answer in by.get(contender, {}).items():
            if not same_value(answer, by["user"][key]):
                differ.append(f"{contender} {key}: {answer['value']} {answer['unit']} "
                              f"vs user {by['user'][key]['value']} {by['user'][key]['unit']}")
    return differ


UNITS = {"m2": 1.0, "ha": 1e4, "km2": 1e6, "%": 1.0, "objects": 1.0}


def same_value(a: dict, b: dict) -> bool:
    """Equal answers after unit conversion: counts exactly, areas and shares to 1e-9."""
    va, vb = a["value"] * UNITS[a["unit"]], b["value"] * UNITS[b["unit"]]
    if a["unit"] == "objects" or b["unit"] == "objects":
        return a["unit"] == b["unit"] and va == vb
    return abs(va - vb) <= 1e-9 * max(abs(va), abs(vb), 1.0)


def table(rows: list[dict], region: Region) -> str:
    km2 = region.size**2 * RESOLUTION**2 / 1e6
    user = next((r["seconds"] for r in rows if r["contender"] == "user" and "seconds" in r),
                float("nan"))
    body = []
    for r in rows:
        if "skipped" in r:
            body.append([r["contender"], f"skipped: {r['skipped']}"] + [""] * 8)
            continue
        a = r["answers"]
        split = ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
        body.append([r["contender"], f"{r['seconds']:.1f}", f"{user / r['seconds']:.2f}",
                     f"{3 * km2 / r['seconds']:.0f}", f"{r['peak_rss_mib']:.0f}",
                     f"{a['near']['value']} ({a['near']['seconds']:.1f} s)",
                     f"{_value(a['share'])} ({a['share']['seconds']:.1f} s)",
                     f"{_value(a['change'])} ({a['change']['seconds']:.1f} s)", split,
                     f"{r['load_before'][0]:.2f}-{r['load_after'][0]:.2f}"])
    return markdown(["contender", "wall (s)", "x user", "km²/s (3 questions)",
                     "peak RSS (MiB)", "near: objects (time)", "share (time)",
                     "change (time)", "time split (s)", "load 1 min"], body, "lrrrrrrrll")


def _value(answer: dict) -> str:
    if answer["unit"] in ("m2", "ha", "km2"):
        return f"{answer['value'] * UNITS[answer['unit']] / 1e6:.4f} km²"
    return f"{answer['value']:.4f} {answer['unit']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000,
                        help="edge of the square region in 10 m pixels (10000: 10,000 km²)")
    parser.add_argument("--tile", type=int, default=5_000, help="edge of one file, pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data", type=Path,
                        help="folder of the region's files (kept; default: temporary)")
    parser.add_argument("--contenders", nargs="+", choices=CONTENDERS, default=list(CONTENDERS))
    parser.add_argument("--evidence", action="store_true",
                        help="geoquant contenders also write evidence (ask out=)")
    parser.add_argument("--timeout", type=float, default=1800.0,
                        help="seconds allowed to one contender")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--worker", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.data is None:
        with tempfile.TemporaryDirectory(prefix="gq-bench-e2e-") as folder:
            return main([*(argv if argv is not None else sys.argv[1:]), "--data", folder])
    region = _region_from(args)
    if args.worker:
        print(json.dumps(worker(args.worker, region, args.server, args.out)))
        return 0

    from geoquant.sources import CatalogServer

    info = machine("odc-stac", "rasterio", "xarray-spatial", "pystac-client", "rustac")
    rows: list[dict] = []
    with CatalogServer(region.catalog) as server, \
            tempfile.TemporaryDirectory(prefix="gq-bench-e2e-out-") as out:
        for contender in args.contenders:
            command = [sys.executable, __file__, "--worker", contender, "--size", str(args.size),
                       "--tile", str(args.tile), "--seed", str(args.seed), "--data",
                       str(args.data), "--server", server.url]
            if args.evidence:
                command += ["--out", out]
            rows.append(_run(command, contender, args.timeout))
            print(f"{contender}: " + (rows[-1].get("skipped") or
                                      f"{rows[-1]['seconds']:.1f} s"), file=sys.stderr)
    bounds = {"decode_1_thread": decode_alone(region, 1),
              f"decode_{os.cpu_count()}_threads": decode_alone(region, os.cpu_count() or 1),
              "thresholds_1_thread": thresholds_alone(region)}
    info["load_at_end"] = load()
    differ = check_answers(rows)
    km2 = region.size**2 * RESOLUTION**2 / 1e6
    print(f"\nFiles to answers: {km2:,.0f} km² at 10 m ({region.size}² px, {region.tiles} "
          f"tiles x {len(BANDS)} bands x {len(DATES)} dates, {region.bytes_on_disk / 1e9:.2f} "
          f"GB of files written in {region.write_s:.0f} s). {describe(info)}\n")
    print(table(rows, region))
    print("\nAlone: " + "; ".join(
        f"{k} {v['seconds']:.2f} s ({v['mpx_per_s']:.0f} Mpx/s"
        + (f", {v['compressed_mb_per_s']:.0f} MB/s compressed" if "compressed_mb_per_s" in v
           else "") + ")" for k, v in bounds.items()))
    write_json(args.json, {"machine": info, "region": {
        "size": region.size, "tiles": region.tiles, "km2": km2, "bands": BANDS, "dates": DATES,
        "bytes_on_disk": region.bytes_on_disk, "write_s": region.write_s},
        "results": rows, "bounds": bounds, "differ": differ})
    if differ:
        print("ANSWERS DIFFER:\n" + "\n".join(differ))
        return 1
    print("\nAnswers identical across " + ", ".join(
        c for c in ASSERTED if any(r["contender"] == c and "answers" in r for r in rows)))
    return 0


def _run(command: list[str], contender: str, timeout: float) -> dict:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"contender": contender, "skipped": f"over the {timeout:g} s timeout"}
    if done.returncode != 0:
        return {"contender": contender,
                "skipped": "failed: " + (done.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    raise SystemExit(main())
