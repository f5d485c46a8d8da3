"""Forest fragmentation and its trend from a Sentinel-2 NDVI series (Slovenia).

Question
    How fragmented is the forest of the Slovenia demo site in each clear summer scene of
    2015-2017, is there a trend in its fragmentation, and how does it compare with the
    fragmentation of the forest in the land-cover reference?

Data
    The demo's Sentinel-2 NDVI series with cloud masks over a 1 km² site in Slovenia
    (``slovenia-s2-ndvi``: 68 acquisitions, 2015-07 to 2017-12, 10 m, EPSG:32633; each item
    carries ``eo:cloud_cover``) and the site's land-cover reference of winter 2017/18
    (``slovenia-lulc``; class 2 is forest, 0 no data). From the eo-learn project's example
    data (MIT); contains modified Copernicus Sentinel data.

Method
    1. Build a STAC catalog over the demo rasters and serve it as a STAC API on loopback.
       For each year, search the API for the leaf-on season (``--season``, default June to
       August: deciduous canopy full, before senescence) with the STAC query
       ``eo:cloud_cover <= 10`` (``--max-cloud``), and load NDVI and its clear-sky mask
       (CLM, 0 = clear) lazily.
    2. Forest on each date: NDVI above 0.6 (``--ndvi-threshold``; the NDVI condition of
       :func:`geoquant.segment.spectral_rules`' forest class; the NDVI series has no SWIR
       band for the rule's moisture condition) on clear pixels. Cloudy pixels, and pixels
       the reference leaves unclassified, are outside the landscape (neither forest nor
       background), so every date and the reference cover the same ground where clear.
       In summer, dense grass and shrubs also pass NDVI 0.6 here, so the masks hold more
       than the reference's forest; the agreement with the reference is reported per date.
    3. Fragmentation on a local Dask cluster of worker processes with
       :func:`geoquant.ops.fragmentation` (8-connected patches; FRAGSTATS meaning, pylandstats
       values): number of patches (NP), largest patch index (LPI, %), edge density (ED,
       m/ha), effective mesh size (MESH, ha), mean patch area (ha), cohesion, forest share
       (PLAND, %). Patches are also labelled (:func:`geoquant.ops.label`) for the Zarr.
    4. Trend: a least-squares line of each metric against the decimal year of the dates,
       with its slope per year and the slope's standard error; a slope within two standard
       errors of zero is reported as no clear trend.
    5. The same metrics for the reference's forest (class 2 over classified pixels).

Run
    ``.venv/bin/python recipes/forest_fragmentation_slovenia.py --out slovenia-forest``
    (options: ``--overwrite``, ``--workers N``, ``--cluster NAME|FILE``, ``--chunk PIXELS``,
    ``--years 2015 2016 2017``, ``--season MM-DD/MM-DD``, ``--max-cloud PERCENT``,
    ``--ndvi-threshold T``, ``--data DIR``).

Writes (``--out``, whole or not at all)
    * ``summary.json``: the metrics per date, their trends, the reference's metrics, the
      agreement with the reference, the thresholds and the STAC item ids;
    * ``slovenia_forest.zarr`` (Zarr v2, GDAL-readable: ``gdalinfo
      'ZARR:"slovenia_forest.zarr":/reference_forest'``): ``ndvi`` and ``forest`` (1 forest,
      0 other, 255 cloud or unclassified) and ``patches`` (patch ids) per date, and
      ``landcover`` and ``reference_forest`` of the reference;
    * ``quicklook.png``: the reference's patches and those of the first, a middle and the
      last date, with MESH and NP over time, their trend lines and the reference level.

Prints the dates used, the forest share and fragmentation of the first and last date, the
trend of MESH and NP per year, and the reference's values.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import _common

SITE = {"type": "Polygon", "coordinates": [[
    [14.5514, 45.8659], [14.5643, 45.8659], [14.5643, 45.8750], [14.5514, 45.8750],
    [14.5514, 45.8659]]]}
FOREST_CODE = 2
NODATA = 255
#: Metrics kept per date and for the reference: key in fragmentation() -> (label, unit).
METRICS = {
    "number_of_patches": ("NP", "patches"),
    "largest_patch_index": ("LPI", "%"),
    "edge_density": ("ED", "m/ha"),
    "effective_mesh_size": ("MESH", "ha"),
    "area_mn": ("AREA_MN", "ha"),
    "patch_cohesion_index": ("COHESION", ""),
    "proportion_of_landscape": ("PLAND", "%"),
}


def _arguments(argv: list[str] | None) -> Any:
    p = _common.parser(__doc__.split("\n\n")[0], default_out="slovenia-forest")
    p.add_argument("--years", type=int, nargs="+", default=[2015, 2016, 2017],
                   help="years whose season is searched (default 2015 2016 2017)")
    p.add_argument("--season", default="06-01/08-31",
                   help="season searched in each year, MM-DD/MM-DD (default 06-01/08-31)")
    p.add_argument("--max-cloud", type=float, default=10.0,
                   help="STAC query eo:cloud_cover <= this, %% (default 10)")
    p.add_argument("--ndvi-threshold", type=float, default=0.6,
                   help="forest where NDVI is above this (default 0.6)")
    _common.add_data_options(p)
    return p.parse_args(argv)


def _search(url: str, args: Any) -> list[dict]:
    """The season's clear items of every year; years without any are left out."""
    import geoquant as gq
    from geoquant.errors import InvalidOptionError, NoItemsFoundError

    try:
        start, end = args.season.split("/")
    except ValueError:
        raise InvalidOptionError(f"--season must look like 06-01/08-31, not {args.season!r}"
                                 ) from None
    items: list[dict] = []
    for year in args.years:
        try:
            items += gq.sources.search(url, collections=["slovenia-s2-ndvi"], region=SITE,
                                       datetime=f"{year}-{start}/{year}-{end}",
                                       query={"eo:cloud_cover": {"lte": args.max_cloud}})
        except NoItemsFoundError:
            continue
    if len(items) < 2:
        raise NoItemsFoundError(
            f"{len(items)} clear item(s) in {args.season} of {args.years} with eo:cloud_cover "
            f"<= {args.max_cloud:g}; a trend needs two or more: widen --years, --season or "
            "--max-cloud")
    return sorted(items, key=lambda i: (i["properties"]["datetime"], i["id"]))


def _decimal_year(stamp: Any) -> float:
    import pandas as pd

    t = pd.Timestamp(stamp)
    start = pd.Timestamp(year=t.year, month=1, day=1)
    length = pd.Timestamp(year=t.year + 1, month=1, day=1) - start
    return t.year + (t - start) / length


def _metrics(values: dict[str, float]) -> dict[str, float]:
    return {key: float(values[key]) for key in METRICS}


def recipe(args: Any) -> None:
    import geoquant as gq

    out = gq.sinks.check_output_path(args.out, overwrite=args.overwrite, kind="directory")
    steps = _common.Steps(total=7)

    import dask
    import numpy as np
    import xarray as xr

    with _common.services(args.data, cluster=args.cluster, workers=args.workers) as (
            url, handle):
        steps.step(f"STAC API on {url} over {args.data}; Dask cluster ({handle.kind}) of "
                   f"{handle.n_workers} workers")
        items = _search(url, args)
        lulc_items = gq.sources.search(url, collections=["slovenia-lulc"], region=SITE)
        steps.step(f"searched the API: {len(items)} NDVI items in {args.season} of "
                   f"{', '.join(map(str, args.years))} with eo:cloud_cover <= "
                   f"{args.max_cloud:g}, and the land-cover reference")

        ndvi = gq.sources.load(items, assets=["ndvi"], chunks=args.chunk).isel(band=0,
                                                                              drop=True)
        clear = gq.sources.clear_mask(items, like=ndvi)
        lulc = _common.on_grid(_common.single(gq.sources.load(lulc_items, chunks=args.chunk)),
                               ndvi)
        ndvi, clear, lulc = dask.persist(ndvi, clear, lulc)
        dates = [str(t)[:10] for t in ndvi.time.values]
        steps.step(f"loaded NDVI and clear-sky masks of {len(dates)} dates "
                   f"({ndvi.sizes['y']} x {ndvi.sizes['x']} pixels) and the reference")

        classified = lulc.notnull() & (lulc != 0)
        reference = (lulc == FOREST_CODE) & classified
        valid = clear & ndvi.notnull() & classified
        forest = (ndvi > args.ndvi_threshold) & valid
        forest, valid, reference, classified = dask.persist(forest, valid, reference,
                                                            classified)

        per_date = []
        patches = []
        for k, date in enumerate(dates):
            f_k, v_k = forest.isel(time=k, drop=True), valid.isel(time=k, drop=True)
            f_k, v_k = (a.drop_vars("item_ids", errors="ignore") for a in (f_k, v_k))
            values = gq.ops.fragmentation(f_k, valid=v_k)
            agreement = gq.ops.share(f_k == reference, valid=v_k)
            per_date.append({"date": date, "decimal_year": _decimal_year(ndvi.time.values[k]),
                             "item_ids": str(ndvi.item_ids.values[k]),
                             "clear_percent": gq.ops.share(v_k, valid=classified),
                             "agreement_with_reference_percent": agreement,
                             **_metrics(values)})
            patches.append(gq.ops.label(f_k, valid=v_k))
        steps.step(f"fragmentation of the forest on {len(dates)} dates on the cluster")

        reference_metrics = _metrics(gq.ops.fragmentation(reference, valid=classified))
        reference_labels = gq.ops.label(reference, valid=classified)
        years = [d["decimal_year"] for d in per_date]
        trends = {}
        for key, (name, unit) in METRICS.items():
            fit = _common.least_squares(years, [d[key] for d in per_date])
            clear_trend = bool(np.isfinite(fit["slope_se"])
                               and abs(fit["slope"]) > 2 * fit["slope_se"])
            trends[key] = {"metric": name, "unit": unit, "slope_per_year": fit["slope"],
                           "slope_standard_error": fit["slope_se"],
                           "intercept": fit["intercept"], "dates": fit["n"],
                           "clear_trend": clear_trend}
        steps.step("fitted the trends and measured the reference's forest")

        summary: dict[str, Any] = {
            "question": "How fragmented is the forest on each clear summer date, is there a "
                        "trend, and how does it compare with the land-cover reference?",
            "dates": per_date,
            "trend": trends,
            "reference": {"what": "land-cover reference (winter 2017/18), class 2 forest over "
                                  "classified pixels",
                          **reference_metrics, "items": [i["id"] for i in lulc_items]},
            "method": {
                "search": f"slovenia-s2-ndvi, {args.season} of each of {args.years}, STAC "
                          f"query eo:cloud_cover <= {args.max_cloud:g}",
                "forest": f"NDVI > {args.ndvi_threshold:g} on clear pixels (CLM == 0) that "
                          "the reference classifies; cloudy or unclassified pixels are "
                          "outside the landscape",
                "metrics": "geoquant.ops.fragmentation, 8-connected patches; FRAGSTATS "
                           "meaning, pylandstats values: NP, LPI %, ED m/ha, MESH ha, "
                           "AREA_MN ha, COHESION, PLAND %",
                "trend": "least-squares slope per year over the dates' decimal years, with "
                         "its standard error; clear_trend when |slope| > 2 standard errors",
            },
            "pixel_size_m": [abs(v) for v in ndvi.rio.resolution()],
            "crs": str(ndvi.rio.crs),
            "items": [i["id"] for i in items],
        }

        def uint8_mask(mask: Any, where: Any) -> Any:
            return mask.astype(np.uint8).where(where, NODATA).astype(np.uint8)

        store = xr.Dataset({
            "ndvi": ndvi.drop_vars("item_ids"),
            "forest": uint8_mask(forest, valid).drop_vars("item_ids"),
            "patches": xr.concat(patches, dim="time").assign_coords(
                time=ndvi.time.values).astype(np.int32),
            "landcover": lulc.fillna(0).astype(np.uint16),
            "reference_forest": uint8_mask(reference, classified),
        })
        store["forest"].attrs.update(_FillValue=NODATA, long_name="forest (NDVI > "
                                     f"{args.ndvi_threshold:g}); 255 cloud or unclassified")
        store["reference_forest"].attrs.update(_FillValue=NODATA,
                                               long_name="reference forest (class 2)")
        with gq.sinks.atomic_output(out, overwrite=args.overwrite, kind="directory") as partial:
            gq.sinks.write_zarr(store, partial / "slovenia_forest.zarr")
            _quicklook(partial / "quicklook.png", summary, np.asarray(reference_labels.values),
                       np.asarray(classified.values),
                       [np.asarray(p.values) for p in patches], np.asarray(valid.values))
            summary["elapsed_s"] = steps.elapsed()
            gq.sinks.write_json(summary, partial / "summary.json")
            steps.step("wrote slovenia_forest.zarr (Zarr v2, GDAL-readable), quicklook.png and "
                       "summary.json")
    steps.step(f"stopped the STAC API and the cluster; results in {out}")
    for line in _sentences(summary):
        print(line)


def _trend_words(trend: dict[str, Any]) -> str:
    unit = f" {trend['unit']}" if trend["unit"] and trend["unit"] != "patches" else ""
    words = (f"{trend['slope_per_year']:+.2f}{unit} per year "
             f"(± {trend['slope_standard_error']:.2f}, {trend['dates']} dates)")
    return words + ("" if trend["clear_trend"] else ", no clear trend")


def _sentences(summary: dict[str, Any]) -> list[str]:
    dates, ref, trend = summary["dates"], summary["reference"], summary["trend"]
    first, last = dates[0], dates[-1]
    mean_agreement = sum(d["agreement_with_reference_percent"] for d in dates) / len(dates)

    def state(d: dict[str, Any]) -> str:
        return (f"forest {d['proportion_of_landscape']:.1f}% of the clear area, "
                f"{d['number_of_patches']:.0f} patches, MESH {d['effective_mesh_size']:.1f} ha, "
                f"ED {d['edge_density']:.0f} m/ha")

    return [
        f"Dates: {len(dates)} clear leaf-on scenes from {first['date']} to {last['date']}.",
        f"{first['date']}: {state(first)}.",
        f"{last['date']}: {state(last)}.",
        f"Trend: MESH {_trend_words(trend['effective_mesh_size'])}; "
        f"NP {_trend_words(trend['number_of_patches'])}.",
        f"Reference forest: {state(ref)}; the NDVI masks agree with it on "
        f"{mean_agreement:.0f}% of the clear pixels on average.",
    ]


def _quicklook(path: Path, summary: dict[str, Any], reference_labels: Any, classified: Any,
               patches: list[Any], valid: Any) -> None:
    import numpy as np

    dates = summary["dates"]

    def coloured(labels: Any, nodata: Any) -> Any:
        keep = np.ones(int(labels.max()) + 1, bool)
        return _common.objects_rgb(labels, keep, nodata=nodata)

    ref = summary["reference"]
    panels = [_common.panel(f"Reference: {ref['number_of_patches']:.0f} patches, MESH "
                            f"{ref['effective_mesh_size']:.0f} ha",
                            coloured(reference_labels, ~classified), height=220)]
    for k in sorted({0, len(dates) // 2, len(dates) - 1}):
        d = dates[k]
        panels.append(_common.panel(
            f"{d['date']}: {d['number_of_patches']:.0f} patches, MESH "
            f"{d['effective_mesh_size']:.0f} ha", coloured(patches[k], ~valid[k]), height=220))
    years = [d["decimal_year"] for d in dates]
    charts = []
    for key, colour in (("effective_mesh_size", (31, 119, 180)),
                        ("number_of_patches", (255, 127, 14))):
        trend = summary["trend"][key]
        charts.append(_common.line_chart(
            [(trend["metric"], years, [d[key] for d in dates], colour)],
            title=f"{trend['metric']} per date; trend {_trend_words(trend)}",
            y_label=f"{trend['metric']} ({trend['unit']})",
            fit=(trend["slope_per_year"], trend["intercept"]),
            reference=summary["reference"][key], size=(470, 260)))
    key = _common.legend([("forest patches (one colour per patch)", _common.PALETTE[0]),
                          ("not forest", _common.BACKGROUND_RGB),
                          ("cloud or unclassified", (255, 255, 255)),
                          ("trend line (least squares)", (214, 39, 40)),
                          ("reference level", (44, 160, 44))], width=300)
    _common.sheet(path, [panels, [*charts, key]], _sentences(summary))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    return _common.run(recipe, args)


if __name__ == "__main__":
    sys.exit(main())
