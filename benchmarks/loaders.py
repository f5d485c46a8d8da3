"""STAC loaders: ``gq.sources.load(..., engine="stackstac")`` against ``engine="odc"``.

    python benchmarks/loaders.py [--repeat 5] [--tiles 236 118 64 32 16] [--json out.json]

(about 7 minutes on 2 cores with these tiles; 16 px tiles alone take 4 of them)

Cases, all on real rasters (the demo catalog that ``geoquant.sources.build_catalog`` writes for
``geoquant/data/demo``, with ``file://`` hrefs):

* the demo collections as the tests load them: Slovenia S2 L1C (5 items x 13 bands), Slovenia
  NDVI (68 items, one solar day with two; also in 32 px chunks), Slovenia land cover, Camargue
  S1 (1 item), Lausanne land use (2 items), and Camargue reprojected into the next UTM zone;
* mosaics of many items: the two Lausanne land-use maps (2006, 2012; 472 x 325 px at 100 m)
  cut into tiles of ``--tiles`` pixels (2 px overlap), each tile a single-asset GeoTIFF item,
  the tiles of one map acquired on one day a second apart, so that ``load`` mosaics each map
  back from its tiles (2 time steps), in 1024 and 128 px chunks;
* a mosaic that odc-stac cannot merge while reading: Camargue as 40 px tiles of linear power
  loaded in dB (values <= 0 become no data before the mosaic).

Each case is loaded and computed in this process with dask's threaded scheduler on all cores
(``load(...).values``: the graph and the reads); each engine first runs once (imports, GDAL
caches), then ``--repeat`` times alternating with the other engine; the table shows the best
time, and checks that both engines gave the same cube. ``auto`` is the engine that
``engine="auto"`` picks for the case.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import _common
import numpy as np

ENGINES = ("stackstac", "odc")


def demo_items(folder: Path) -> dict[str, list[dict]]:
    """The demo catalog's items by collection (written into ``folder``)."""
    from geoquant.demo import DEMO_DATA
    from geoquant.sources import build_catalog

    build_catalog(DEMO_DATA, folder)
    return {path.parent.name: json.loads(path.read_text())["features"]
            for path in sorted(folder.glob("*/items.json"))}


def tiled(items: list[dict], tile: int, folder: Path, overlap: int = 2,
          linear: bool = False) -> list[dict]:
    """Each item's single asset cut into ``tile`` x ``tile`` px tiles (``overlap`` px more on
    the right and bottom), one item per tile, acquired a second apart on the item's day.
    ``linear``: dB values written as linear power (float32, NaN no data), unit dropped."""
    import datetime as dt

    import rasterio
    from rasterio.windows import Window

    from geoquant.testing.stac import localize_item, write_raster

    out = []
    for item in items:
        (key, asset), = item["assets"].items()
        when = dt.datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))
        with rasterio.open(asset["href"].removeprefix("file://")) as src:
            values, crs, nodata = src.read(1), src.crs.to_string(), src.nodata
            if linear:
                values = np.where(values == nodata, np.nan, 10 ** (values / 10)).astype("f4")
                nodata = float("nan")
            for row in range(0, src.height, tile):
                for col in range(0, src.width, tile):
                    window = Window(col, row, min(tile + overlap, src.width - col),
                                    min(tile + overlap, src.height - row))
                    name = f"{item['id']}_{row}_{col}"
                    path = write_raster(folder / f"{name}.tif",
                                        values[window.toslices()], crs=crs,
                                        transform=src.window_transform(window), nodata=nodata)
                    stamp = when + dt.timedelta(seconds=len(out))
                    part = localize_item(item, {key: path}, item_id=name,
                                         datetime=stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
                    if linear:
                        part["assets"][key]["raster:bands"][0].pop("unit", None)
                    out.append(part)
    return out


def cases(folder: Path, tiles: list[int]) -> list[tuple[str, list[dict], dict]]:
    items = demo_items(folder / "catalog")
    lausanne = items["lausanne-landuse"]
    found = [
        ("Slovenia S2 L1C, 13 bands", items["slovenia-s2-l1c"], {}),
        ("Slovenia NDVI, 68 dates", items["slovenia-s2-ndvi"], {}),
        ("Slovenia NDVI, 68 dates", items["slovenia-s2-ndvi"], {"chunks": 32}),
        ("Slovenia land cover", items["slovenia-lulc"], {}),
        ("Camargue S1", items["camargue-s1"], {}),
        ("Camargue S1 into EPSG:32632", items["camargue-s1"],
         {"crs": "EPSG:32632", "resolution": 20}),
        ("Lausanne land use, 2 dates", lausanne, {}),
        ("Lausanne land use, 2 dates", lausanne, {"chunks": 128}),
    ]
    for size in tiles:
        parts = tiled(lausanne, size, folder / f"tiles-{size}")
        for chunks in (1024, 128):
            found.append((f"Lausanne as {size} px tiles, 2 days", parts, {"chunks": chunks}))
    sar = tiled(items["camargue-s1"], 40, folder / "sar-tiles", linear=True)
    for chunks in (1024, 64):
        found.append(("Camargue as 40 px tiles, linear to dB", sar,
                      {"chunks": chunks, "sar_units": "db"}))
    return found


def best_times(items: list[dict], options: dict, repeat: int) -> tuple[dict, bool, int]:
    """Best seconds of each engine, whether the cubes were identical, the graph's tasks."""
    import dask

    from geoquant.sources import load

    def run(engine: str) -> np.ndarray:
        return load(items, engine=engine, **options).values

    results = {engine: run(engine) for engine in ENGINES}          # warm-up
    same = np.array_equal(results["stackstac"], results["odc"], equal_nan=True)
    tasks = {engine: len(dict(load(items, engine=engine, **options).__dask_graph__()))
             for engine in ENGINES}
    times: dict[str, list[float]] = {engine: [] for engine in ENGINES}
    with dask.config.set(scheduler="threads"):
        for k in range(repeat):
            for engine in ENGINES[::1 if k % 2 == 0 else -1]:
                start = time.perf_counter()
                run(engine)
                times[engine].append(time.perf_counter() - start)
    return {e: min(t) for e, t in times.items()}, same, tasks


def auto_engine(items: list[dict], options: dict) -> str:
    from geoquant.sources._load import _choose_engine, _plan

    plan = _plan(items, assets=None, crs=options.get("crs"),
                 resolution=options.get("resolution"), bbox=None, region=None,
                 chunks=options.get("chunks", 1024), resampling="nearest",
                 sar_units=options.get("sar_units"), mosaic_same_day=True)
    return _choose_engine(plan)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per engine; best counts")
    parser.add_argument("--tiles", type=int, nargs="*", default=[236, 118, 64, 32, 16],
                        help="tile edges (px) of the many-item mosaics")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    info = _common.machine("stackstac", "odc-stac", "rasterio", "xarray")
    rows, table = [], []
    with tempfile.TemporaryDirectory(prefix="geoquant-loaders-") as tmp:
        for name, items, options in cases(Path(tmp), args.tiles):
            seconds, same, tasks = best_times(items, options, args.repeat)
            steps = len({i["properties"]["datetime"][:10] for i in items})
            auto = auto_engine(items, options)
            ratio = seconds["odc"] / seconds["stackstac"]
            chunks = options.get("chunks", 1024)
            rows.append({"case": name, "options": options, "items": len(items), "steps": steps,
                         "seconds": seconds, "tasks": tasks, "identical": bool(same),
                         "auto": auto})
            table.append([name, chunks, len(items), steps, f"{seconds['stackstac']:.3f}",
                          f"{seconds['odc']:.3f}", f"{ratio:.2f}",
                          f"{tasks['stackstac']} / {tasks['odc']}",
                          "yes" if same else "NO", auto])
            print(f"{name} ({chunks} px chunks): stackstac {seconds['stackstac']:.3f} s, "
                  f"odc {seconds['odc']:.3f} s", file=sys.stderr)
    info["load_at_end"] = _common.load()
    print(_common.markdown(
        ["case", "chunks", "items", "days", "stackstac s", "odc s", "odc / stackstac",
         "tasks (stackstac / odc)", "identical", "auto"], table, "lrrrrrrrll"))
    print(f"\n{_common.describe(info)}; best of {args.repeat}")
    _common.write_json(args.json, {"machine": info, "repeat": args.repeat, "rows": rows})


if __name__ == "__main__":
    main()
