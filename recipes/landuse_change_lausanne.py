"""Land-use change between two dates around Lausanne.

Question
    How much of the area around Lausanne changed land use between 2006 and 2012, which
    transitions made up the change, and which classes gained or lost area?

Data
    The demo's two land-use maps around Lausanne (``lausanne-landuse``: ``landuse_2006`` and
    ``landuse_2012``, 100 m, EPSG:2056), from the pylandstats project's test data (GPL-3.0),
    derived from the Swiss Federal Statistical Office's land-use statistics. The maps hold
    class codes only (the rasters carry no class names), so the recipe reports codes.

Method
    1. Build a STAC catalog over the demo rasters, serve it as a STAC API on loopback, search
       it for ``lausanne-landuse`` and load both maps lazily onto one grid. The two rasters
       lie on slightly different grids (offset by about a pixel, 100.005 and 99.992 m
       pixels); the loader puts both on the finer one (nearest neighbour), so pixels are
       compared where they are on the ground, as in ``geoquant demo``.
    2. On a local Dask cluster of worker processes, :func:`geoquant.ops.change` gives the
       transition matrix (area from each class in the first date to each class in the last,
       m², from the pixel areas of the grid; nodata in either date left out), the area each
       class gained and lost, and per class the patches (8-connected) that appeared (no pixel
       of the class there before) or vanished.
    3. From the matrix: the share of the area that changed class (off-diagonal over all),
       the largest transitions, and the net change per class; :func:`geoquant.ops.share`
       of the changed-pixel mask checks the share a second way.

Run
    ``.venv/bin/python recipes/landuse_change_lausanne.py --out lausanne-change``
    (options: ``--overwrite``, ``--workers N``, ``--cluster NAME|FILE``, ``--chunk PIXELS``,
    ``--top N``, ``--bbox W S E N``, ``--datetime A/B``, ``--data DIR``).

Writes (``--out``, whole or not at all)
    * ``summary.json``: the share changed, the whole transition matrix in ha, the top
      transitions, gained/lost/net area and appeared/vanished patches per class, and the
      STAC item ids;
    * ``lausanne_change.zarr`` (Zarr v2, GDAL-readable: ``gdalinfo
      'ZARR:"lausanne_change.zarr":/transition'``): ``landuse_before``, ``landuse_after``
      (255 nodata), ``changed`` (1 changed, 0 same, 255 nodata) and ``transition``
      (``before * 100 + after`` where the class changed, 0 where it did not, -1 nodata);
    * ``quicklook.png``: both maps, the changed pixels, the largest transitions and the net
      change per class as bar charts.

Prints the share of the area that changed (the demo's "8.0% of the area changed land use
between 2006 and 2012"), the largest transitions and the largest net gains and losses.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import _common

DEFAULT_BBOX = (6.4, 46.4, 6.9, 46.7)
COLLECTION = "lausanne-landuse"
NODATA = 255


def _arguments(argv: list[str] | None) -> Any:
    p = _common.parser(__doc__.split("\n\n")[0], default_out="lausanne-change")
    p.add_argument("--top", type=int, default=10, help="largest transitions listed (default 10)")
    p.add_argument("--bbox", type=float, nargs=4, default=DEFAULT_BBOX,
                   metavar=("W", "S", "E", "N"), help="search box, degrees")
    p.add_argument("--datetime", default=None, help="search range, e.g. 2006-01-01/2012-12-31")
    _common.add_data_options(p)
    return p.parse_args(argv)


def recipe(args: Any) -> None:
    import geoquant as gq

    out = gq.sinks.check_output_path(args.out, overwrite=args.overwrite, kind="directory")
    steps = _common.Steps(total=6)

    import dask
    import numpy as np
    import xarray as xr

    from geoquant.errors import NoItemsFoundError

    with _common.services(args.data, cluster=args.cluster, workers=args.workers) as (
            url, handle):
        steps.step(f"STAC API on {url} over {args.data}; Dask cluster ({handle.kind}) of "
                   f"{handle.n_workers} workers")
        items = gq.sources.search(url, collections=[COLLECTION], bbox=args.bbox,
                                  datetime=args.datetime)
        landuse = gq.sources.load(items, assets=["landuse"], chunks=args.chunk).isel(
            band=0, drop=True)
        if landuse.sizes["time"] < 2:
            raise NoItemsFoundError(f"{COLLECTION} has one date in the searched range; a "
                                    "change needs two: widen --datetime")
        years = [str(t)[:4] for t in landuse.time.values]
        before = landuse.isel(time=0, drop=True).drop_vars("item_ids", errors="ignore")
        after = landuse.isel(time=-1, drop=True).drop_vars("item_ids", errors="ignore")
        before, after = dask.persist(before, after)
        steps.step(f"found {len(items)} maps ({', '.join(i['id'] for i in items)}); loaded "
                   f"{years[0]} and {years[-1]} onto one grid of {landuse.sizes['y']} x "
                   f"{landuse.sizes['x']} pixels")

        moved = gq.ops.change(before, after)
        valid = before.notnull() & after.notnull()
        changed = (before != after) & valid
        changed_share = gq.ops.share(changed, valid=valid)
        mapped_ha = {years[0]: gq.ops.area(before.notnull()) / 1e4,
                     years[-1]: gq.ops.area(after.notnull()) / 1e4,
                     "both": gq.ops.area(valid) / 1e4}
        steps.step("transition matrix, gains, losses and appeared/vanished patches on the "
                   "cluster (geoquant.ops.change)")

        matrix_ha = moved.transitions / 1e4
        total_ha = float(matrix_ha.to_numpy().sum())
        same_ha = float(np.trace(matrix_ha.to_numpy()))
        changed_ha = total_ha - same_ha
        pairs = [(int(b), int(a), float(matrix_ha.loc[b, a])) for b in matrix_ha.index
                 for a in matrix_ha.columns if b != a and matrix_ha.loc[b, a] > 0]
        pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
        classes = [int(c) for c in matrix_ha.index]
        per_class = {str(c): {"before_ha": float(matrix_ha.loc[c].sum()),
                              "after_ha": float(matrix_ha[c].sum()),
                              "gained_ha": float(moved.gained[c] / 1e4),
                              "lost_ha": float(moved.lost[c] / 1e4),
                              "net_ha": float(moved.net[c] / 1e4),
                              "patches_appeared": int(moved.appeared[c]),
                              "patches_vanished": int(moved.vanished[c])} for c in classes}
        summary: dict[str, Any] = {
            "question": f"How much of the area changed land use between {years[0]} and "
                        f"{years[-1]}, through which transitions, and which classes gained or "
                        "lost?",
            "years": [years[0], years[-1]],
            "changed_share_percent": 100.0 * changed_ha / total_ha,
            "changed_share_percent_from_mask": changed_share,
            "changed_area_ha": changed_ha,
            "compared_area_ha": total_ha,
            "mapped_area_ha": mapped_ha,
            "top_transitions": [{"from": b, "to": a, "area_ha": ha,
                                 "share_of_change_percent": 100.0 * ha / changed_ha}
                                for b, a, ha in pairs[:args.top]],
            "classes": per_class,
            "transitions_ha": {str(b): {str(a): float(matrix_ha.loc[b, a])
                                        for a in classes if matrix_ha.loc[b, a] > 0}
                               for b in classes},
            "method": {
                "grid": "both maps loaded onto one grid by the STAC loader (nearest "
                        "neighbour, the finer pixel); nodata (255) in either date excluded",
                "change": "geoquant.ops.change: transitions in m² from pixel areas (here in "
                          "ha), gained/lost per class, appeared/vanished 8-connected patches",
                "share": "off-diagonal area over all compared area (mapped on both dates); "
                         "checked with geoquant.ops.share of the changed-pixel mask",
                "areas": "every area, per class too, is over the area mapped on both dates: "
                         "a class can grow where only the later map has data, which this "
                         "comparison leaves out (mapped_area_ha gives each date's extent)",
                "classes": "the source's class codes (the rasters carry no class names)",
            },
            "pixel_size_m": [abs(v) for v in landuse.rio.resolution()],
            "crs": str(landuse.rio.crs),
            "items": [i["id"] for i in items],
        }

        def codes(layer: Any) -> Any:
            out = layer.fillna(NODATA).astype(np.uint8)
            out.attrs = {"_FillValue": NODATA, "long_name": "land-use class code"}
            return out

        transition = xr.where(changed, before.fillna(0) * 100 + after.fillna(0), 0)
        transition = transition.where(valid, -1).astype(np.int32)
        transition.attrs = {"_FillValue": -1, "long_name": "before * 100 + after where the "
                            "class changed, 0 where it did not"}
        changed_codes = changed.astype(np.uint8).where(valid, NODATA).astype(np.uint8)
        changed_codes.attrs = {"_FillValue": NODATA, "long_name": "1 changed, 0 same"}
        store = xr.Dataset({"landuse_before": codes(before), "landuse_after": codes(after),
                            "changed": changed_codes, "transition": transition})
        store.attrs["years"] = f"{years[0]} {years[-1]}"
        with gq.sinks.atomic_output(out, overwrite=args.overwrite, kind="directory") as partial:
            gq.sinks.write_zarr(store, partial / "lausanne_change.zarr")
            steps.step("wrote lausanne_change.zarr (Zarr v2, GDAL-readable)")
            _quicklook(partial / "quicklook.png", summary, np.asarray(before.values),
                       np.asarray(after.values), np.asarray(changed.values),
                       ~np.asarray(valid.values))
            summary["elapsed_s"] = steps.elapsed()
            gq.sinks.write_json(summary, partial / "summary.json")
            steps.step("wrote quicklook.png and summary.json")
    steps.step(f"stopped the STAC API and the cluster; results in {out}")
    for line in _sentences(summary):
        print(line)


def _sentences(summary: dict[str, Any], *, top: int = 3) -> list[str]:
    first, last = summary["years"]
    transitions = "; ".join(f"{t['from']} -> {t['to']} {t['area_ha']:.0f} ha"
                            for t in summary["top_transitions"][:top])
    net = sorted(summary["classes"].items(), key=lambda kv: kv[1]["net_ha"])
    gains = ", ".join(f"code {c} {v['net_ha']:+.0f} ha" for c, v in reversed(net[-top:])
                      if v["net_ha"] > 0)
    losses = ", ".join(f"code {c} {v['net_ha']:+.0f} ha" for c, v in net[:top]
                       if v["net_ha"] < 0)
    most = max(summary["classes"].items(), key=lambda kv: kv[1]["patches_appeared"])
    mapped = summary["mapped_area_ha"]
    return [
        f"{summary['changed_share_percent']:.1f}% of the area changed land use between "
        f"{first} and {last} ({summary['changed_area_ha']:.0f} ha of the "
        f"{summary['compared_area_ha']:.0f} ha mapped on both dates; {first} maps "
        f"{mapped[first]:.0f} ha, {last} {mapped[last]:.0f} ha).",
        f"Largest transitions (class codes): {transitions}.",
        f"Largest net gains: {gains or 'none'}; largest net losses: {losses or 'none'}.",
        f"Most new patches: code {most[0]}, {most[1]['patches_appeared']} patches where it "
        f"had none in {first}.",
    ]


def _quicklook(path: Path, summary: dict[str, Any], before: Any, after: Any, changed: Any,
               nodata: Any) -> None:
    import numpy as np

    first, last = summary["years"]
    classes = sorted(int(c) for c in summary["classes"])
    colours = _common.class_colours(classes)
    before_codes = np.nan_to_num(before, nan=-1).astype(np.int64)
    after_codes = np.nan_to_num(after, nan=-1).astype(np.int64)
    changed_rgb = _common.paint(changed.astype(np.int64), {1: (200, 30, 30)},
                                base=(225, 225, 225), nodata=nodata)
    panels = [
        _common.panel(f"Land use {first}", _common.paint(before_codes, colours, nodata=nodata)),
        _common.panel(f"Land use {last}", _common.paint(after_codes, colours, nodata=nodata)),
        _common.panel(f"Changed {first}-{last}: {summary['changed_share_percent']:.1f}% "
                      "of the area (red)", changed_rgb),
    ]
    top = _common.bar_chart(
        [(f"{t['from']} -> {t['to']}", t["area_ha"], colours[t["to"]])
         for t in summary["top_transitions"]],
        title="Largest transitions (class codes), ha", unit="ha", width=460)
    net = sorted(summary["classes"].items(), key=lambda kv: kv[1]["net_ha"])
    net_bars = _common.bar_chart(
        [(f"code {c}", v["net_ha"], (44, 160, 44) if v["net_ha"] >= 0 else (214, 39, 40))
         for c, v in net if abs(v["net_ha"]) > 0],
        title=f"Net change per class {first}-{last}, ha", unit="ha", width=460)
    key = _common.legend([(f"code {c}", colours[c]) for c in classes], width=120)
    _common.sheet(path, [panels, [top, net_bars, key]], _sentences(summary))


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    return _common.run(recipe, args)


if __name__ == "__main__":
    sys.exit(main())
