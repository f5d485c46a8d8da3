"""The demo: the main job end to end on the embedded demo region.

:func:`run_demo` builds a STAC catalog over the packaged demo rasters, serves it as a real STAC
API on loopback, searches it, loads the cubes on a local Dask cluster, computes first figures,
writes GIS-readable Zarr stores, a JSON summary and a quick-look PNG, and stops the server.

Figures (each documented in the summary it writes):

- forest share and area of the Slovenia site, from its land-cover reference (class 2, forest),
  over the pixels that carry a class (code 0, no data, excluded);
- open-water area of the Camargue Sentinel-1 scene with :class:`geoquant.segment.SarWater`:
  VV backscatter below Otsu's threshold over the scene (calm open water is a specular
  reflector and returns far less than land), falling back to -18 dB when the histogram is not
  two-moded; the threshold and how it was chosen are in the summary;
- the clear-sky mean NDVI of the Slovenia site on each of its Sentinel-2 L1C dates;
- the share of the Lausanne area whose land-use class changed between 2006 and 2012, with the
  evidence that most of it is a grid shift: the two maps' grids lie 0.6 px and 1.4 px apart,
  almost all of the change lies within one pixel of a class boundary, and the best whole-pixel
  alignment halves it. The demo keeps the change as measured (what a naive overlay shows) and
  says so beside it, rather than silently re-aligning data whose true registration it cannot
  know;
- three questions in plain words answered by :func:`geoquant.ask` over the same API
  (:data:`QUESTIONS`), each with its range, trace, evidence Zarr and quick-look in ``answers/``.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoquant.data import DEMO_DATA

FOREST_CODE = 2
#: (name, question, collection, product) answered by the demo with :func:`geoquant.ask`.
QUESTIONS = (
    ("slovenia-forest", "How many forest patches larger than 1 ha are within 100 m of "
     "built-up land?", "slovenia-lulc", None),
    ("camargue-water", "How many water patches larger than 1 ha are there?", "camargue-s1",
     None),
    ("lausanne-change", "By what percentage did the area of land-use code 41 change between "
     "2006 and 2012?", "lausanne-landuse", "codes"),
)


@dataclass
class Steps:
    """Prints numbered progress lines with elapsed seconds."""

    total: int
    say: Callable[[str], None] = print
    done: int = 0
    started: float = field(default_factory=time.perf_counter)

    def step(self, text: str) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.started
        self.say(f"[{self.done}/{self.total}] {text}  ({elapsed:.1f} s)")


def _registration_figures(landuse: Any, items: Any) -> dict[str, Any]:
    """How far apart the two land-use maps' grids are and where their change lies: the demo
    reports the change as measured, beside the evidence that most of it is a grid shift
    (:func:`geoquant.ops.registration`)."""
    from geoquant import ops, sources

    check = ops.registration(landuse.isel(time=0), landuse.isel(time=-1))
    grids = sources.native_grids(items)
    if grids is None:   # the demo's own catalog always records proj:transform
        raise RuntimeError("the demo's land-use items lack proj:transform")
    first, last = grids[0], grids[-1]
    return {
        "grid_offset_px": {"east": round((last[0] - first[0]) / abs(first[2]), 3),
                           "north": round((last[1] - first[1]) / abs(first[3]), 3)},
        "change_on_boundaries_percent": 100.0 * check.boundary_share,
        "boundary_pixels_percent": 100.0 * check.boundary_pixels_share,
        "best_shift_px": list(check.best_shift_px),
        "changed_after_best_shift_percent": 100.0 * (1.0 - check.agreement[
            check.best_shift_px]),
        "change_method": "class differs on the common grid (both dates resampled by nearest "
                         "neighbour); boundary share and best shift from "
                         "geoquant.ops.registration",
    }


def _pixel_area_m2(arr) -> float:
    res_x, res_y = arr.rio.resolution()
    return abs(res_x * res_y)


def _single(cube):
    """The one (y, x) layer of a one-date, one-band cube, without its time and band labels."""
    return cube.isel(time=0, band=0, drop=True).drop_vars("item_ids", errors="ignore")


#: Colour of the pixels of a panel that are neither its subject nor no data.
OTHER = (235, 232, 220)


def _quicklook(path: Path, panels: list[dict[str, Any]]) -> None:
    """Side-by-side panels, each with its title, picture, legend and caption
    (:func:`geoquant.sinks._png.sheet`); nearest upscaling to a common height."""
    from PIL import Image

    from geoquant.sinks._png import HATCHED, NO_DATA, hatch, save_png, sheet

    height = 360
    pages = []
    for panel in panels:
        rgb = _colour(panel["mask"], panel["colour"])
        rgb = hatch(rgb, panel["nodata"]) if panel["nodata"].any() else rgb
        img = Image.fromarray(rgb)
        img = img.resize((max(1, round(img.width * height / img.height)), height),
                         Image.Resampling.NEAREST)
        legend = [(panel["subject"], panel["colour"]), (panel["other"], OTHER)]
        if panel["nodata"].any():
            legend.append((panel.get("nodata_words", NO_DATA), HATCHED))
        pages.append(sheet(img, title=panel["title"], caption=panel.get("caption", ""),
                           legend=legend, width=max(img.width, 420)))
    width = sum(p.width for p in pages) + 16 * (len(pages) - 1)
    page = Image.new("RGB", (width, max(p.height for p in pages)), "white")
    x = 0
    for tile in pages:
        page.paste(tile, (x, 0))
        x += tile.width + 16
    save_png(page, path)


def _colour(mask: Any, on: tuple[int, int, int], off: tuple[int, int, int] = OTHER) -> Any:
    import numpy as np

    rgb = np.empty((*mask.shape, 3), dtype=np.uint8)
    rgb[...] = off
    rgb[mask] = on
    return rgb


def _lausanne_caveat(lu: dict[str, Any]) -> str:
    """Why most of the measured Lausanne change is misregistration (the demo's own evidence)."""
    return (f"{lu['change_on_boundaries_percent']:.0f}% of the change lies within one pixel "
            f"of a class boundary: the two maps' grids are "
            f"{lu['grid_offset_px']['east']:+.2f} px "
            f"east and {lu['grid_offset_px']['north']:+.2f} px north apart, so most of it is "
            f"misregistration; at the best whole-pixel alignment "
            f"{lu['changed_after_best_shift_percent']:.1f}% differs (an upper bound on real "
            "change).")


class _QuietLogging:
    """Dask's loggers at ERROR until :meth:`restore`."""

    NAMES = ("distributed", "distributed.nanny", "distributed.worker", "distributed.core",
             "tornado.application")

    def __init__(self) -> None:
        import logging

        self.levels = {name: logging.getLogger(name).level for name in self.NAMES}
        for name in self.NAMES:
            logging.getLogger(name).setLevel(logging.ERROR)

    def restore(self) -> None:
        import logging

        for name, level in self.levels.items():
            logging.getLogger(name).setLevel(level)


@contextlib.contextmanager
def _stopped_quietly(cluster: Any) -> Iterator[Any]:
    """The cluster of ``with cluster as handle``, stopped without Dask's log lines (the
    nanny's "still alive, killing"); a cluster slow to stop after the body finished (a busy
    machine) does not fail a run whose results are complete."""
    with contextlib.ExitStack() as stack:
        handle = stack.enter_context(cluster)
        finished = False
        try:
            yield handle
            finished = True
        finally:
            quiet = _QuietLogging()
            try:
                stack.close()
            except TimeoutError:
                if not finished:
                    raise
            finally:
                quiet.restore()


def _record_final_paths(stem: Path, partial: Path, final: Path) -> None:
    """Rewrite the staging folder ``partial`` as ``final`` in the paths an answer records:
    its JSON (``stem.json``) and the answer kept in its evidence Zarr's attributes."""
    import json

    from geoquant import sinks

    def moved(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(str(partial), str(final))
        if isinstance(value, dict):
            return {k: moved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [moved(v) for v in value]
        return value

    answer_json = stem.with_suffix(".json")
    sinks.write_json(moved(json.loads(answer_json.read_text())), answer_json, overwrite=True)
    for meta in (".zattrs", ".zmetadata"):
        path = stem.with_suffix(".zarr") / meta
        if path.is_file():
            path.write_text(json.dumps(moved(json.loads(path.read_text())), indent=4))


def run_demo(out: str | Path = "geoquant-demo-out", *, overwrite: bool = False,
             workers: int | None = None, cluster: str | Path = "local",
             say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the end-to-end demo and return its summary.

    Parameters
    ----------
    out
        Output folder, written whole or not at all: ``slovenia.zarr``, ``camargue.zarr``,
        ``lausanne.zarr`` (Zarr v2, GDAL-readable), ``summary.json``, ``quicklook.png`` and
        ``answers/`` (per question: evidence ``.zarr``, answer ``.json``, quick-look ``.png``).
    overwrite
        Replace ``out`` if it exists.
    workers
        Dask worker processes; ``None``: 2 on a ``local`` cluster (one thread each), the
        definition's own number on other kinds.
    cluster
        The Dask cluster to compute on: a definition name or YAML file, as for
        :func:`geoquant.cluster` (default ``local``).
    say
        Where progress and the summary lines go.

    Returns
    -------
    dict
        The summary written to ``summary.json``.
    """
    from geoquant import sinks
    from geoquant.cluster import check_definition, load_definition
    from geoquant.cluster import cluster as start_cluster

    # The output path and the cluster definition are checked before the heavy imports and
    # before any work.
    out = sinks.check_output_path(out, overwrite=overwrite, kind="directory")
    definition = load_definition(cluster)
    sizes = ({"workers": workers or 2, "threads": 1} if definition.kind == "local"
             else {"workers": workers})
    check_definition(definition, **sizes)
    steps = Steps(total=9, say=say)

    import dask
    import numpy as np
    import xarray as xr

    from geoquant import segment, sources
    from geoquant.reason import ask

    work = Path(tempfile.mkdtemp(prefix="geoquant-demo-"))
    try:
        sources.build_catalog(DEMO_DATA, work / "catalog")
        steps.step(f"built a STAC catalog over the demo rasters in {DEMO_DATA}")
        with sources.CatalogServer(work / "catalog") as server, \
                _stopped_quietly(start_cluster(definition, say=say, **sizes)) as dask_cluster:
            steps.step(f"STAC API on {server.url}; Dask cluster of {dask_cluster.n_workers} "
                       "worker processes")
            slovenia_region = {"type": "Polygon", "coordinates": [[
                [14.5514, 45.8659], [14.5643, 45.8659], [14.5643, 45.8750],
                [14.5514, 45.8750], [14.5514, 45.8659]]]}
            lulc_items = sources.search(server.url, collections=["slovenia-lulc"],
                                        region=slovenia_region)
            s2_items = sources.search(server.url, collections=["slovenia-s2-l1c"],
                                      region=slovenia_region, datetime="2015-07-01/2015-09-30")
            s1_items = sources.search(server.url, collections=["camargue-s1"],
                                      bbox=(4.45, 43.55, 4.60, 43.65))
            lu_items = sources.search(server.url, collections=["lausanne-landuse"],
                                      bbox=(6.4, 46.4, 6.9, 46.7))
            n_items = len(lulc_items) + len(s2_items) + len(s1_items) + len(lu_items)
            steps.step(f"searched the API: {n_items} items in 4 collections")

            lulc = _single(sources.load(lulc_items))
            s2 = sources.load(s2_items, assets=["B04", "B08"])
            clear = sources.clear_mask(s2_items, like=s2)
            vv = _single(sources.load(s1_items, sar_units="db"))
            landuse = sources.load(lu_items, assets=["landuse"]).isel(band=0, drop=True)
            steps.step("loaded the cubes lazily (land cover, S2 red/NIR + clear mask, S1 VV, "
                       "land use x2)")

            # Read the rasters that the stores carry once: the SAR threshold, the figures and
            # the stores all reuse them.
            lulc, vv, landuse = dask.persist(lulc, vv, landuse)
            classified = lulc.notnull() & (lulc != 0)
            forest = (lulc == FOREST_CODE) & classified
            vv_cube = vv.expand_dims(band=["VV"])
            sar_water = segment.SarWater().fit(vv_cube)
            water = segment.class_mask(segment.apply(vv_cube, sar_water), "water") == 1
            red, nir = s2.sel(band="B04"), s2.sel(band="B08")
            ndvi = ((nir - red) / (nir + red)).where(clear)
            lu_valid = landuse.notnull().all("time")
            changed = (landuse.isel(time=0) != landuse.isel(time=1)) & lu_valid
            # Persist the small derived layers once: figures, stores and picture reuse them.
            forest, classified, water, sar_valid, ndvi, clear, changed, lu_valid = dask.persist(
                forest, classified, water, vv.notnull(), ndvi, clear, changed, lu_valid)
            (n_forest, n_classified, n_water, n_sar, ndvi_mean, clear_share, n_changed,
             n_lu) = dask.compute(forest.sum(), classified.sum(), water.sum(), sar_valid.sum(),
                                  ndvi.mean(("y", "x")), clear.mean(("y", "x")), changed.sum(),
                                  lu_valid.sum())
            steps.step("computed the figures on the cluster")

            forest_area = float(n_forest) * _pixel_area_m2(lulc)
            water_area = float(n_water) * _pixel_area_m2(vv)
            summary: dict[str, Any] = {
                "slovenia": {
                    "forest_share_percent": 100.0 * float(n_forest) / float(n_classified),
                    "forest_area_m2": forest_area, "forest_area_ha": forest_area / 1e4,
                    "classified_pixels": int(n_classified),
                    "pixel_size_m": [abs(v) for v in lulc.rio.resolution()],
                    "method": "land-cover reference class 2 (forest) over pixels with a class",
                    "ndvi_clear_mean": {str(t)[:10]: (None if np.isnan(v) else float(v))
                                        for t, v in zip(s2.time.values, ndvi_mean.values,
                                                        strict=True)},
                    "clear_share_percent": {str(t)[:10]: 100.0 * float(v) for t, v in
                                            zip(s2.time.values, clear_share.values, strict=True)},
                    "items": [i["id"] for i in lulc_items + s2_items],
                },
                "camargue": {
                    "open_water_area_m2": water_area, "open_water_area_km2": water_area / 1e6,
                    "open_water_share_percent": 100.0 * float(n_water) / float(n_sar),
                    "threshold_db": sar_water.threshold,
                    "threshold_source": sar_water.threshold_source,
                    "method": "Sentinel-1 VV backscatter below the threshold (dB): "
                              "geoquant.segment.SarWater, Otsu over the scene",
                    "items": [i["id"] for i in s1_items],
                },
                "lausanne": {
                    **_registration_figures(landuse, lu_items),
                    "changed_share_percent": 100.0 * float(n_changed) / float(n_lu),
                    "changed_area_ha": float(n_changed) * _pixel_area_m2(landuse) / 1e4,
                    "years": [str(t)[:4] for t in landuse.time.values],
                    "items": [i["id"] for i in lu_items],
                },
            }

            with sinks.atomic_output(out, overwrite=overwrite, kind="directory") as partial:
                sinks.write_zarr(xr.Dataset({
                    "landcover": lulc.fillna(0).astype("uint16"), "forest": forest, "ndvi": ndvi}),
                    partial / "slovenia.zarr")
                sinks.write_zarr(xr.Dataset({"vv_db": vv, "open_water": water}),
                                 partial / "camargue.zarr")
                sinks.write_zarr(xr.Dataset({"landuse": landuse, "changed": changed}),
                                 partial / "lausanne.zarr")
                steps.step("wrote slovenia.zarr, camargue.zarr, lausanne.zarr "
                           "(Zarr v2, GDAL-readable)")

                lu = summary["lausanne"]
                lu["caveat"] = _lausanne_caveat(lu)
                _quicklook(partial / "quicklook.png", [
                    {"title": "Slovenia: forest "
                              f"{summary['slovenia']['forest_share_percent']:.1f}% of the "
                              "classified area",
                     "mask": forest.values, "colour": (34, 120, 50), "nodata": ~classified.values,
                     "subject": "forest (land-cover reference class 2)",
                     "other": "other classes", "nodata_words": "no class (code 0)"},
                    {"title": f"Camargue: open water {water_area / 1e6:.2f} km²",
                     "mask": water.values, "colour": (30, 90, 200), "nodata": ~sar_valid.values,
                     "subject": f"open water (Sentinel-1 VV < {sar_water.threshold:.1f} dB, "
                                f"{sar_water.threshold_source})",
                     "other": "land and marsh (VV at or above the threshold)"},
                    {"title": f"Lausanne: land use changed {lu['years'][0]}-{lu['years'][1]} on "
                              f"{lu['changed_share_percent']:.1f}% of the area",
                     "mask": changed.values, "colour": (200, 60, 40), "nodata": ~lu_valid.values,
                     "subject": "class differs between the two maps",
                     "other": "same class on both maps",
                     "nodata_words": "not mapped on both dates",
                     "caption": "Caveat: " + lu["caveat"]},
                ])
                (partial / "answers").mkdir()
                summary["answers"] = {}
                for name, question, collection, product in QUESTIONS:
                    answer = ask(question, source=f"{server.url}/collections/{collection}",
                                 product=product, out=partial / "answers" / f"{name}.zarr")
                    # the answers are written into the staging folder, which is renamed to
                    # `out` at the end: record the paths they will have
                    _record_final_paths(partial / "answers" / name, partial, out)
                    summary["answers"][name] = {
                        "question": question, "answer": answer.text(), "value": answer.value,
                        "unit": answer.unit, "range": list(answer.range),
                        "outputs": {kind: str(out / Path(path).relative_to(partial))
                                    for kind, path in answer.outputs.items()}}
                steps.step(f"answered {len(QUESTIONS)} questions with geoquant.ask "
                           "(answers/: evidence Zarr, JSON, quick-look each)")
                summary["elapsed_s"] = time.perf_counter() - steps.started
                sinks.write_json(summary, partial / "summary.json")
                steps.step("wrote summary.json and quicklook.png")
        steps.step(f"stopped the STAC API and the cluster; results in {out}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    s, c, lu = summary["slovenia"], summary["camargue"], summary["lausanne"]
    say(f"Slovenia: forest covers {s['forest_share_percent']:.1f}% "
        f"({s['forest_area_ha']:.1f} ha) of the classified area.")
    say(f"Camargue: open water {c['open_water_area_km2']:.2f} km² "
        f"({c['open_water_share_percent']:.1f}% of the scene, VV < {c['threshold_db']:.1f} dB, "
        f"{c['threshold_source']}).")
    say(f"Lausanne: {lu['changed_share_percent']:.1f}% of the area changed land use "
        f"between {lu['years'][0]} and {lu['years'][1]} ({lu['changed_area_ha']:.0f} ha), but "
        + _lausanne_caveat(lu))
    for entry in summary["answers"].values():
        say(f"Q: {entry['question']}\nA: {entry['answer']}")
    return summary
