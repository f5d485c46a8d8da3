"""Pair real STAC item metadata with local rasters.

Real catalog items point at remote storage that tests cannot reach. :func:`localize_item`
keeps an item's real structure (collection, properties such as the Sentinel-2 processing
baseline, asset keys, roles, ``raster:bands`` scale and offset) and points the named assets at
local rasters, with projection metadata and footprint read from those rasters.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def write_raster(path: str | Path, array, *, crs: str, transform, nodata=None) -> Path:
    """Write a single-band GeoTIFF (DEFLATE) and return its path."""
    import rasterio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(path, "w", driver="GTiff", width=array.shape[1], height=array.shape[0],
                       count=1, dtype=array.dtype.name, crs=crs, transform=transform,
                       nodata=nodata, compress="DEFLATE") as dst:
        dst.write(array, 1)
    return path


def localize_item(item: Mapping[str, Any], rasters: Mapping[str, str | Path], *,
                  item_id: str | None = None, datetime: str | None = None) -> dict[str, Any]:
    """A copy of ``item`` whose assets ``rasters`` point at local files.

    Assets not in ``rasters`` are dropped; ``proj:*`` fields, ``bbox`` and ``geometry`` are
    recomputed from the local rasters (all in one CRS).
    """
    import rasterio
    from rasterio.warp import transform_bounds

    out = copy.deepcopy(dict(item))
    out["assets"] = {}
    bounds = epsg = None
    for key, path in rasters.items():
        asset = copy.deepcopy(item["assets"][key])
        with rasterio.open(path) as src:
            epsg = src.crs.to_epsg()
            bounds = tuple(src.bounds)
            asset.update({"href": Path(path).resolve().as_uri(), "proj:epsg": epsg,
                          "proj:shape": [src.height, src.width],
                          "proj:transform": list(src.transform)[:6],
                          "proj:bbox": list(src.bounds)})
            for band in asset.get("raster:bands", []):
                band["spatial_resolution"] = abs(src.res[0])
        out["assets"][key] = asset
    props = out["properties"]
    for stale in ("proj:shape", "proj:transform", "proj:bbox", "proj:code", "proj:geometry",
                  "proj:centroid"):
        props.pop(stale, None)
    props["proj:epsg"] = epsg
    if datetime is not None:
        props["datetime"] = datetime
    west, south, east, north = transform_bounds(f"EPSG:{epsg}", "EPSG:4326", *bounds)
    out["bbox"] = [west, south, east, north]
    out["geometry"] = {"type": "Polygon", "coordinates": [[
        [west, south], [east, south], [east, north], [west, north], [west, south]]]}
    out["links"] = []
    if item_id is not None:
        out["id"] = item_id
    return out
