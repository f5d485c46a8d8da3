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


def two_utm_zone_items(vv_path: str | Path, folder: str | Path) -> list[dict[str, Any]]:
    """Two items of one real scene (a dB GeoTIFF with nodata -99, in UTM zone 31): the scene
    as it is (``zone31``, a.tif) and warped into zone 32 by nearest neighbour at 20 m
    (``zone32``, b.tif, the next day), written into ``folder``."""
    import numpy as np
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    folder = Path(folder)
    with rasterio.open(vv_path) as src:
        db, transform, crs = src.read(1), src.transform, src.crs
    other = "EPSG:32632"
    dst_transform, width, height = calculate_default_transform(
        crs, other, db.shape[1], db.shape[0],
        *rasterio.transform.array_bounds(db.shape[0], db.shape[1], transform), resolution=20)
    moved = np.full((height, width), -99.0, np.float32)
    reproject(db, moved, src_transform=transform, src_crs=crs, dst_transform=dst_transform,
              dst_crs=other, resampling=Resampling.nearest, src_nodata=-99, dst_nodata=-99)
    base = {"type": "Feature", "stac_version": "1.0.0", "collection": "s1", "links": [],
            "properties": {"datetime": "2015-03-09T17:30:17Z"},
            "assets": {"vv": {"type": "image/tiff", "roles": ["data"],
                              "raster:bands": [{"unit": "dB"}]}}}
    west = localize_item(base, {"vv": write_raster(folder / "a.tif", db, crs=crs.to_string(),
                                                   transform=transform, nodata=-99)},
                         item_id="zone31")
    east = localize_item(base, {"vv": write_raster(folder / "b.tif", moved, crs=other,
                                                   transform=dst_transform, nodata=-99)},
                         item_id="zone32", datetime="2015-03-10T17:30:17Z")
    return [west, east]
