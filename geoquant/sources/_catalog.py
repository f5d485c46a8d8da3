"""Write STAC collections and items for a folder of local rasters.

The folder holds one sub-folder per collection. Inside a collection, either each sub-folder is
an item whose rasters are its assets (``<collection>/<item>/<asset>.tif``, asset key = file
stem), or each raster directly in the collection folder is an item with one asset ``data``.
An optional ``<collection>/collection.json`` gives title, description, licence and providers.

Each item's datetime comes from the GeoTIFF tag ``datetime`` (ISO 8601), else from a date in
the item's name (``YYYYMMDDTHHMMSS``, ``YYYY-MM-DD``, ``YYYYMMDD`` or a year ``YYYY``); extra
item properties come from the tag ``stac_properties`` (JSON). Band metadata (``name``,
``common_name``, ``unit``, ``classes``, scale and offset) come from band tags; scale and
offset otherwise from the band's own (GDAL's) scale and offset.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from geoquant.errors import AssetError, OutputPathError

RASTER_SUFFIXES = (".tif", ".tiff")
STAC_VERSION = "1.0.0"
EXTENSIONS = {
    "proj": "https://stac-extensions.github.io/projection/v1.1.0/schema.json",
    "raster": "https://stac-extensions.github.io/raster/v1.1.0/schema.json",
    "eo": "https://stac-extensions.github.io/eo/v1.1.0/schema.json",
    "sar": "https://stac-extensions.github.io/sar/v1.0.0/schema.json",
    "classification": "https://stac-extensions.github.io/classification/v1.1.0/schema.json",
}
# Dates in file and folder names, most precise first; the groups of a match, joined, are read
# with the format beside the pattern.
_DATE_PATTERNS = (
    (re.compile(r"(\d{8})T(\d{6})"), "%Y%m%d%H%M%S"),
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})"), "%Y%m%d"),
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), "%Y%m%d"),
    (re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)"), "%Y"),
)


def _date_from_name(name: str) -> str | None:
    for pattern, fmt in _DATE_PATTERNS:
        match = pattern.search(name)
        if match:
            try:
                when = dt.datetime.strptime("".join(match.groups()), fmt)
            except ValueError:
                continue
            return when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _asset_from_raster(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (asset dict, raster-level facts) for one raster file."""
    import rasterio
    from rasterio.errors import RasterioIOError

    try:
        src = rasterio.open(path)
    except RasterioIOError as err:
        raise AssetError(f"cannot read raster {path}: {err}; remove it or fix the file") from err
    with src:
        if src.crs is None:
            raise AssetError(f"raster {path} has no CRS; set one (e.g. gdal_edit.py -a_srs)")
        if src.transform.is_identity:  # GDAL's answer for none: 1-unit pixels at 0, 0
            raise AssetError(f"raster {path} has a CRS but no transform (or only ground "
                             "control points); set its grid (gdal_edit.py -a_ullr ULX ULY LRX "
                             "LRY) or warp it onto one (gdalwarp -t_srs EPSG:....)")
        tags, band = src.tags(), src.tags(1)
        epsg = src.crs.to_epsg()
        raster_band: dict[str, Any] = {
            "data_type": src.dtypes[0],
            "spatial_resolution": abs(src.res[0]),
        }
        if src.nodata is not None:
            nodata = src.nodata
            raster_band["nodata"] = "nan" if nodata != nodata else nodata
        if "scale" in band:
            raster_band["scale"] = float(band["scale"])
            raster_band["offset"] = float(band.get("offset", 0.0))
        elif src.scales[0] != 1.0 or src.offsets[0] != 0.0:
            # GDAL's own band scale and offset (gdal_edit.py -scale/-offset, Landsat C2),
            # which open_raster applies: a load through the catalog must apply them too
            raster_band["scale"] = float(src.scales[0])
            raster_band["offset"] = float(src.offsets[0])
        if "unit" in band:
            raster_band["unit"] = band["unit"]
        asset: dict[str, Any] = {
            "href": path.resolve().as_uri(),
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "roles": ["data"],
            "proj:epsg": epsg,
            "proj:shape": [src.height, src.width],
            "proj:transform": list(src.transform)[:6],
            "proj:bbox": list(src.bounds),
            "raster:bands": [raster_band],
        }
        if "name" in band:
            asset["title"] = band["name"]
        if "common_name" in band:
            asset["eo:bands"] = [{"name": band["name"], "common_name": band["common_name"]}]
        if "classes" in band:
            classes = json.loads(band["classes"])
            asset["classification:classes"] = [
                {"value": int(v), "description": d} for v, d in classes.items()
            ]
            asset["roles"] = ["data", "classification"]
        facts = {
            "crs": src.crs, "epsg": epsg, "bounds": tuple(src.bounds),
            "datetime": tags.get("datetime"),
            "properties": json.loads(tags["stac_properties"]) if "stac_properties" in tags else {},
        }  # fmt: skip
        return asset, facts


def _footprint(crs, bounds) -> tuple[dict[str, Any], list[float]]:
    from rasterio.warp import transform_geom

    left, bottom, right, top = bounds
    ring = [[left, bottom], [right, bottom], [right, top], [left, top], [left, bottom]]
    geom = transform_geom(crs, "EPSG:4326", {"type": "Polygon", "coordinates": [ring]},
                          antimeridian_cutting=True, precision=9)
    xs = [p[0] for p in geom["coordinates"][0]]
    ys = [p[1] for p in geom["coordinates"][0]]
    return geom, [min(xs), min(ys), max(xs), max(ys)]


def _item(collection: str, item_id: str, rasters: list[Path], asset_keys: list[str]) -> dict:
    assets, facts = {}, []
    for key, path in zip(asset_keys, rasters, strict=True):
        asset, fact = _asset_from_raster(path)
        assets[key] = asset
        facts.append(fact)
    first = facts[0]
    when = first["datetime"] or _date_from_name(item_id) or _date_from_name(rasters[0].stem)
    if when is None:
        raise AssetError(
            f"no date for item {item_id!r} ({rasters[0]}): put a date in its name "
            "(YYYY-MM-DD, YYYYMMDD or YYYY) or a 'datetime' GeoTIFF tag"
        )
    geom, bbox = _footprint(first["crs"], first["bounds"])
    properties = {"datetime": when, **first["properties"]}
    if len({f["epsg"] for f in facts}) == 1:
        properties["proj:epsg"] = first["epsg"]
    extensions = {EXTENSIONS["proj"], EXTENSIONS["raster"]}
    if any("eo:bands" in a for a in assets.values()):
        extensions.add(EXTENSIONS["eo"])
    if any(k.startswith("sar:") for k in properties):
        extensions.add(EXTENSIONS["sar"])
    if any("classification:classes" in a for a in assets.values()):
        extensions.add(EXTENSIONS["classification"])
    return {
        "type": "Feature", "stac_version": STAC_VERSION, "stac_extensions": sorted(extensions),
        "id": item_id, "collection": collection, "geometry": geom, "bbox": bbox,
        "properties": properties, "assets": assets, "links": [],
    }  # fmt: skip


def _collection_doc(cid: str, template: dict, items: list[dict]) -> dict:
    west = min(i["bbox"][0] for i in items)
    south = min(i["bbox"][1] for i in items)
    east = max(i["bbox"][2] for i in items)
    north = max(i["bbox"][3] for i in items)
    times = sorted(i["properties"]["datetime"] for i in items)
    doc = {
        "type": "Collection", "stac_version": STAC_VERSION, "id": cid,
        "title": template.get("title", cid),
        "description": template.get("description", f"Local rasters of {cid}"),
        "license": template.get("license", "other"),
        "extent": {"spatial": {"bbox": [[west, south, east, north]]},
                   "temporal": {"interval": [[times[0], times[-1]]]}},
        "links": [],
    }  # fmt: skip
    if "providers" in template:
        doc["providers"] = template["providers"]
    if "attribution" in template:
        doc["sci:citation"] = template["attribution"]
    return doc


def _items_of_collection(folder: Path) -> list[dict]:
    items = []
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            rasters = sorted(p for p in entry.iterdir() if p.suffix.lower() in RASTER_SUFFIXES)
            if rasters:
                items.append(_item(folder.name, entry.name, rasters, [p.stem for p in rasters]))
        elif entry.suffix.lower() in RASTER_SUFFIXES:
            items.append(_item(folder.name, entry.stem, [entry], ["data"]))
    return items


def build_catalog(root: str | Path, out: str | Path) -> list[Path]:
    """Write a STAC collection and its items for every collection folder under ``root``.

    Parameters
    ----------
    root
        Folder of collection folders of rasters (layout in the module docstring).
    out
        Folder to write into: ``<out>/<collection>/collection.json`` and
        ``<out>/<collection>/items.json`` (a FeatureCollection of items with ``file://``
        asset hrefs). Created if missing; collection files already there are replaced.

    Returns
    -------
    list of Path
        The JSON files written, collections before their items, ready for ``serve``.

    Raises
    ------
    AssetError
        A raster cannot be read, has no CRS or no date.
    OutputPathError
        ``root`` holds no rasters, or ``out`` cannot be written.
    """
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise OutputPathError(f"catalog source {root} is not a folder of collection folders")
    written: list[Path] = []
    docs = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        items = _items_of_collection(folder)
        if not items:
            continue
        template_path = folder / "collection.json"
        template = json.loads(template_path.read_text()) if template_path.exists() else {}
        docs.append((folder.name, _collection_doc(folder.name, template, items), items))
    if not docs:
        raise OutputPathError(
            f"no rasters found under {root}: expected <collection>/<item>/<asset>.tif "
            "or <collection>/<item>.tif"
        )
    try:
        for cid, collection, items in docs:
            target = out / cid
            target.mkdir(parents=True, exist_ok=True)
            for name, doc in (("collection.json", collection),
                              ("items.json", {"type": "FeatureCollection", "features": items})):
                path = target / name
                tmp = path.with_name(f".{name}.partial")
                tmp.write_text(json.dumps(doc, indent=1))
                tmp.replace(path)
                written.append(path)
    except OSError as err:
        raise OutputPathError(f"cannot write the catalog into {out}: {err}; choose another "
                              "folder") from err
    return written
