"""Flood extent and its change from Sentinel-1 over the Camargue wetlands.

Question
    How much of the Camargue scene is open water, in how many water bodies larger than 1 ha,
    and how does that extent differ from a reference water extent?

Data
    The demo's one Sentinel-1A IW GRD scene (VV backscatter in dB, terrain-corrected, 20 m,
    EPSG:32631) of 2015-03-09 over the Camargue (``camargue-s1``; pyroSAR test data, MIT,
    contains modified Copernicus Sentinel data).

What "change" means here
    The demo holds **one acquisition**, so there is no second date to compare with, and this
    recipe does not invent one. On one acquisition it compares two extents of the same date:

    * **reference water**: VV below the fixed -18 dB of the C-band literature (Twele et al.
      2016 use -15 to -20 dB; it is also :class:`geoquant.segment.SarWater`'s fallback), a
      conservative extent that keeps only the darkest, surely open water;
    * **flood extent**: VV below Otsu's threshold over this scene's own histogram
      (``SarWater().fit``), the scene-adaptive extent geoquant reports as open water.

    The change between them is the water that the scene's own threshold adds to the
    conservative extent: shallow or wind-roughened water, flooded fields and marsh fringes,
    but also any smooth dry surface darker than the threshold. It says how much of the flood
    extent rests on the choice of threshold, not how water moved over time.

    When the catalog holds two or more acquisitions in the searched range (``--data`` with a
    folder of your own, ``--datetime``), the recipe compares dates instead: the reference is
    the first acquisition's extent and the flood extent the last one's, each at its own
    scene's Otsu threshold. The JSON summary records which comparison was made
    (``comparison.kind``: ``"threshold"`` or ``"dates"``).

Method
    1. Build a STAC catalog over the demo rasters, serve it as a STAC API on loopback, search
       it for ``camargue-s1`` over the Camargue bbox, and load VV in dB lazily, chunked.
    2. Segment open water with :class:`geoquant.segment.SarWater` (probability 0.5 at the
       threshold, so the class mask is VV below it); nodata stays nodata.
    3. Measure on a local Dask cluster of worker processes with :mod:`geoquant.ops`: area and
       share (``area``, ``share``), water bodies (8-connected) of at least 1 ha
       (``count(min_area_m2=10_000)``), the largest body (``objects``), the transition between
       the two extents (``change``: water gained and lost in m², water bodies that appear with
       no reference water in them), and how much of the added water lies within 100 m of
       reference water (``within_distance``), i.e. fringes rather than separate water.

Run
    ``.venv/bin/python recipes/flood_extent_camargue.py --out camargue-flood``
    (options: ``--overwrite``, ``--workers N``, ``--cluster NAME|FILE``, ``--chunk PIXELS``,
    ``--reference-db DB``, ``--bbox W S E N``, ``--datetime A/B``, ``--data DIR``).

Writes (``--out``, whole or not at all)
    * ``summary.json``: every figure with its unit, the thresholds and how they were chosen,
      what was compared, and the STAC item ids;
    * ``camargue_flood.zarr`` (Zarr v2, GDAL-readable: ``gdalinfo
      'ZARR:"camargue_flood.zarr":/water_change'``): ``vv_db`` (of the flood extent's
      acquisition), ``reference_water`` and ``flood_water`` (1 water, 0 land, 255 nodata),
      ``water_change`` (0 land in both, 1 water in both, 2 water only in the flood extent,
      3 water only in the reference, 255 nodata) and ``water_bodies`` (global ids of the
      flood extent's water bodies);
    * ``quicklook.png``: VV, the two extents and their difference, and the water bodies of at
      least 1 ha.

Prints the flood extent (km², % of the scene, threshold), the number of water bodies of at
least 1 ha, the reference extent, and the change between them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import _common

DEFAULT_BBOX = (4.45, 43.55, 4.60, 43.65)
COLLECTION = "camargue-s1"
#: water_change codes
DRY, WATER_BOTH, GAINED, LOST, NODATA = 0, 1, 2, 3, 255
CHANGE_MEANING = {DRY: "land in both", WATER_BOTH: "water in both",
                  GAINED: "water only in the flood extent",
                  LOST: "water only in the reference", NODATA: "no data"}
COLOURS = {WATER_BOTH: (8, 69, 148), GAINED: (66, 198, 255), LOST: (214, 39, 40)}
MIN_BODY_M2 = 10_000.0
FRINGE_M = 100.0


def _arguments(argv: list[str] | None) -> Any:
    p = _common.parser(__doc__.split("\n\n")[0], default_out="camargue-flood")
    p.add_argument("--reference-db", type=float, default=-18.0,
                   help="fixed VV threshold of the reference water on one acquisition, dB "
                        "(default -18)")
    p.add_argument("--bbox", type=float, nargs=4, default=DEFAULT_BBOX,
                   metavar=("W", "S", "E", "N"), help="search box, degrees")
    p.add_argument("--datetime", default=None, help="search range, e.g. 2015-01-01/2015-12-31")
    _common.add_data_options(p)
    return p.parse_args(argv)


def _water(scene: Any, segmenter: Any) -> Any:
    """The water mask (uint8 1/0, 255 nodata) of a ``(band, y, x)`` VV scene."""
    import geoquant as gq

    return gq.segment.class_mask(gq.segment.apply(scene, segmenter), "water")


def _extents(cube: Any, reference_db: float) -> tuple[Any, Any, dict[str, Any]]:
    """Reference and flood water masks, and what they are."""
    import geoquant as gq

    dates = [str(t)[:10] for t in cube.time.values]
    if len(dates) == 1:
        scene = cube.isel(time=0, drop=True)
        otsu = gq.segment.SarWater().fit(scene)
        fixed = gq.segment.SarWater(threshold_db=reference_db)
        comparison = {
            "kind": "threshold",
            "note": "one acquisition: the change is between two water extents of the same "
                    "date (a fixed conservative threshold and the scene's Otsu threshold), "
                    "not between dates",
            "reference": {"what": f"VV below the fixed {reference_db:g} dB", "date": dates[0],
                          "threshold_db": fixed.threshold, "threshold_source": "fixed"},
            "flood": {"what": "VV below Otsu's threshold over the scene", "date": dates[0],
                      "threshold_db": otsu.threshold,
                      "threshold_source": otsu.threshold_source},
        }
        return _water(scene, fixed), _water(scene, otsu), comparison
    first, last = cube.isel(time=0, drop=True), cube.isel(time=-1, drop=True)
    fit_first, fit_last = gq.segment.SarWater().fit(first), gq.segment.SarWater().fit(last)
    comparison = {
        "kind": "dates",
        "note": "the change is between the first and the last acquisition found, each at "
                "its own scene's Otsu threshold",
        "reference": {"what": "open water of the first acquisition", "date": dates[0],
                      "threshold_db": fit_first.threshold,
                      "threshold_source": fit_first.threshold_source},
        "flood": {"what": "open water of the last acquisition", "date": dates[-1],
                  "threshold_db": fit_last.threshold,
                  "threshold_source": fit_last.threshold_source},
    }
    return _water(first, fit_first), _water(last, fit_last), comparison


def _extent_figures(mask: Any, table: Any, cell_m2: float) -> dict[str, Any]:
    import geoquant as gq

    area = gq.ops.area(mask)
    return {
        "area_m2": area, "area_km2": area / 1e6, "share_percent": gq.ops.share(mask),
        "water_bodies": int(len(table)),
        "water_bodies_at_least_1_ha": gq.ops.count(mask, min_area_m2=MIN_BODY_M2),
        "largest_body_ha": float(table["area_m2"].max() / 1e4) if len(table) else 0.0,
        "pixel_area_m2": cell_m2,
    }


def recipe(args: Any) -> None:
    import geoquant as gq

    out = gq.sinks.check_output_path(args.out, overwrite=args.overwrite, kind="directory")
    steps = _common.Steps(total=6)

    import dask
    import numpy as np
    import xarray as xr

    with _common.services(args.data, cluster=args.cluster, workers=args.workers) as (
            url, handle):
        steps.step(f"STAC API on {url} over {args.data}; Dask cluster ({handle.kind}) of "
                   f"{handle.n_workers} workers")
        items = gq.sources.search(url, collections=[COLLECTION], bbox=args.bbox,
                                  datetime=args.datetime)
        cube = gq.sources.load(items, sar_units="db", chunks=args.chunk).persist()
        steps.step(f"found {len(items)} Sentinel-1 item(s) ({', '.join(i['id'] for i in items)})"
                   f"; loaded VV in dB, {cube.sizes['y']} x {cube.sizes['x']} pixels")

        reference, flood, comparison = _extents(cube, args.reference_db)
        valid = (flood != NODATA) & (reference != NODATA)
        in_reference, in_flood = reference == 1, flood == 1
        change_codes = xr.where(in_reference & in_flood, WATER_BOTH,
                                xr.where(in_flood, GAINED, xr.where(in_reference, LOST, DRY)))
        change_codes = change_codes.where(valid, NODATA).astype(np.uint8)
        change_codes = change_codes.rio.write_crs(flood.rio.crs)
        change_codes.rio.write_nodata(NODATA, encoded=False, inplace=True)
        gained = (change_codes == GAINED).astype(np.uint8).where(valid, NODATA).astype(np.uint8)
        gained = gained.rio.write_crs(flood.rio.crs)
        gained.rio.write_nodata(NODATA, encoded=False, inplace=True)
        reference, flood, change_codes, gained = dask.persist(reference, flood, change_codes,
                                                              gained)
        ref, fl = comparison["reference"], comparison["flood"]
        steps.step(f"segmented open water: reference at {ref['threshold_db']:.1f} dB, flood "
                   f"extent at {fl['threshold_db']:.1f} dB ({fl['threshold_source']})")

        cell = _common.pixel_area_m2(flood)
        # Each flood-extent water body with its distance to the nearest reference water
        # pixel: 0 where it holds reference water, > 0 for a body apart from it.
        bodies = gq.ops.objects(flood, distance_to=reference)
        figures_flood = _extent_figures(flood, bodies, cell)
        figures_reference = _extent_figures(reference, gq.ops.objects(reference), cell)
        apart = bodies[(bodies["area_m2"] >= MIN_BODY_M2) & (bodies["distance_m"] > 0)]
        moved = gq.ops.change(reference, flood)
        matrix = moved.transitions
        gained_m2 = float(matrix.loc[0, 1]) if 0 in matrix.index and 1 in matrix.columns else 0.0
        lost_m2 = float(matrix.loc[1, 0]) if 1 in matrix.index and 0 in matrix.columns else 0.0
        fringe = gq.ops.within_distance(gained, reference, FRINGE_M)
        fringe_m2 = gq.ops.area(fringe)
        labels = gq.ops.label(flood)
        steps.step("measured both extents and their change on the cluster (area, share, "
                   "objects, count >= 1 ha, change, within_distance)")

        net_m2 = figures_flood["area_m2"] - figures_reference["area_m2"]
        summary: dict[str, Any] = {
            "question": "How much of the scene is open water, in how many water bodies of at "
                        "least 1 ha, and how does it differ from the reference water extent?",
            "comparison": comparison,
            "flood_extent": figures_flood,
            "reference_extent": figures_reference,
            "change": {
                "water_gained_m2": gained_m2, "water_gained_km2": gained_m2 / 1e6,
                "water_lost_m2": lost_m2, "water_lost_km2": lost_m2 / 1e6,
                "net_change_m2": net_m2, "net_change_km2": net_m2 / 1e6,
                "net_change_percent_of_reference": (
                    100.0 * net_m2 / figures_reference["area_m2"]
                    if figures_reference["area_m2"] else None),
                "new_water_bodies": int(moved.appeared.get(1, 0)),
                "new_water_bodies_at_least_1_ha": int(len(apart)),
                "new_water_bodies_at_least_1_ha_area_m2": float(apart["area_m2"].sum()),
                "vanished_water_bodies": int(moved.vanished.get(1, 0)),
                "gained_within_100_m_of_reference_m2": fringe_m2,
                "gained_within_100_m_of_reference_percent": (
                    100.0 * fringe_m2 / gained_m2 if gained_m2 else None),
                "transitions_m2": {f"{'water' if b else 'land'}->{'water' if a else 'land'}":
                                   float(matrix.loc[b, a]) for b in matrix.index
                                   for a in matrix.columns},
            },
            "method": {
                "segmenter": "geoquant.segment.SarWater: VV (dB) below the threshold; Otsu over "
                             "the scene's histogram (0.1 dB bins), accepted when two-moded, "
                             "else -18 dB",
                "water_bodies": "8-connected objects of the water mask; 'at least 1 ha' counts "
                                "objects of >= 10,000 m2",
                "change": "geoquant.ops.change on the two masks (1 water, 0 land); new water "
                          "bodies are flood-extent objects with no reference water pixel "
                          "(geoquant.ops.change appeared; of at least 1 ha: "
                          "geoquant.ops.objects with distance_to the reference > 0)",
                "fringe": f"gained water pixels within {FRINGE_M:g} m of reference water "
                          "(geoquant.ops.within_distance)",
            },
            "pixel_size_m": [abs(v) for v in flood.rio.resolution()],
            "crs": str(flood.rio.crs),
            "items": [i["id"] for i in items],
            "zarr": {"store": "camargue_flood.zarr",
                     "water_change_codes": {str(k): v for k, v in CHANGE_MEANING.items()}},
        }

        # VV of the flood extent's acquisition (the only one on the demo data).
        vv = cube.isel(time=-1, drop=True).sel(band=cube.band.values[0], drop=True)
        vv = vv.drop_vars("item_ids", errors="ignore")
        with gq.sinks.atomic_output(out, overwrite=args.overwrite, kind="directory") as partial:
            gq.sinks.write_zarr(xr.Dataset({
                "vv_db": vv, "reference_water": reference, "flood_water": flood,
                "water_change": change_codes, "water_bodies": labels.astype(np.int32)}),
                partial / "camargue_flood.zarr")
            _quicklook(partial / "quicklook.png", vv.values, change_codes.values,
                       labels.values, summary)
            summary["elapsed_s"] = steps.elapsed()
            gq.sinks.write_json(summary, partial / "summary.json")
            steps.step("wrote camargue_flood.zarr (Zarr v2, GDAL-readable), quicklook.png and "
                       "summary.json")
    steps.step(f"stopped the STAC API and the cluster; results in {out}")
    for line in _sentences(summary):
        print(line)


def _sentences(summary: dict[str, Any]) -> list[str]:
    c, f, r, d = (summary["comparison"], summary["flood_extent"], summary["reference_extent"],
                  summary["change"])
    fl, ref = c["flood"], c["reference"]
    lines = [
        f"Flood extent ({fl['date']}): open water {f['area_km2']:.2f} km² "
        f"({f['share_percent']:.1f}% of the scene, VV < {fl['threshold_db']:.1f} dB, "
        f"{fl['threshold_source']}), in {f['water_bodies_at_least_1_ha']} water bodies of at "
        f"least 1 ha (largest {f['largest_body_ha']:.0f} ha).",
        f"Reference ({ref['what']}, {ref['date']}): {r['area_km2']:.2f} km² in "
        f"{r['water_bodies_at_least_1_ha']} water bodies of at least 1 ha.",
    ]
    pct = d["net_change_percent_of_reference"]
    fringe = d["gained_within_100_m_of_reference_percent"]
    lines.append(
        f"Change: {d['water_gained_km2']:.2f} km² more water and {d['water_lost_km2']:.2f} km² "
        f"less, net {d['net_change_km2']:+.2f} km²"
        + (f" ({pct:+.0f}% of the reference)" if pct is not None else "")
        + f"; {d['new_water_bodies_at_least_1_ha']} new water bodies of at least 1 ha "
        f"({d['new_water_bodies']} of any size)"
        + (f"; {fringe:.0f}% of the added water lies within 100 m of reference water."
           if fringe is not None else "."))
    if c["kind"] == "threshold":
        lines.append("(One acquisition: this change is between two thresholds on the same "
                     "date, not between dates.)")
    return lines


def _quicklook(path: Path, vv: Any, change_codes: Any, labels: Any,
               summary: dict[str, Any]) -> None:
    import numpy as np

    c, f, d = summary["comparison"], summary["flood_extent"], summary["change"]
    nodata = change_codes == NODATA
    cell = f["pixel_area_m2"]
    sizes = np.bincount(labels.ravel(), minlength=int(labels.max()) + 1) * cell
    keep = sizes >= MIN_BODY_M2
    keep[0] = False
    panels = [
        _common.panel(f"Sentinel-1 VV (dB), {c['flood']['date']}", _common.grey(vv)),
        _common.panel("Reference and flood extent",
                      _common.paint(change_codes, COLOURS, nodata=nodata)),
        _common.panel(f"{f['water_bodies_at_least_1_ha']} water bodies >= 1 ha",
                      _common.objects_rgb(labels, keep, nodata=nodata)),
    ]
    key = _common.legend([
        (f"water in both ({c['reference']['what']})", COLOURS[WATER_BOTH]),
        (f"water only in the flood extent: {d['water_gained_km2']:.2f} km²", COLOURS[GAINED]),
        (f"water only in the reference: {d['water_lost_km2']:.2f} km²", COLOURS[LOST]),
        ("land in both", _common.BACKGROUND_RGB),
        ("smaller water bodies (right panel)", (150, 150, 150)),
    ], width=520)
    caption = _sentences(summary)
    _common.sheet(path, [panels, [key]], caption)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    return _common.run(recipe, args)


if __name__ == "__main__":
    sys.exit(main())
