"""Regions (bbox or GeoJSON) and datetime ranges, validated at the public boundary."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoquant.errors import DateRangeError, RegionError

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Region:
    """An area of interest in WGS84 longitude/latitude (degrees).

    Attributes
    ----------
    geometry
        GeoJSON geometry (Polygon or MultiPolygon) in EPSG:4326.
    bbox
        (west, south, east, north) in degrees.
    """

    geometry: dict[str, Any]
    bbox: BBox

    def bounds_in(self, crs) -> BBox:
        """The region's bounds in ``crs`` (densified, so curved edges are covered)."""
        from rasterio.warp import transform_bounds

        return tuple(transform_bounds("EPSG:4326", crs, *self.bbox, densify_pts=21))


def _check_bbox(bbox) -> BBox:
    try:
        west, south, east, north = (float(v) for v in bbox)
    except (TypeError, ValueError) as err:
        raise RegionError(f"bbox must be four numbers (west, south, east, north), got {bbox!r}"
                          ) from err
    if not (-180 <= west <= 180 and -180 <= east <= 180 and -90 <= south < north <= 90):
        raise RegionError(
            f"bbox {bbox!r} is not (west, south, east, north) in degrees of longitude and "
            "latitude with south < north; pass degrees (EPSG:4326), not metres")
    if west == east:
        raise RegionError(f"bbox {bbox!r} is empty: west equals east")
    return (west, south, east, north)


def _geometry_of(geojson: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    kind = geojson.get("type")
    crs = geojson.get("crs", {}).get("properties", {}).get("name")
    if kind == "FeatureCollection":
        geoms = [f["geometry"] for f in geojson.get("features", []) if f.get("geometry")]
        if not geoms:
            raise RegionError("the GeoJSON FeatureCollection has no geometries")
        polygons = []
        for g in geoms:
            if g["type"] == "Polygon":
                polygons.append(g["coordinates"])
            elif g["type"] == "MultiPolygon":
                polygons.extend(g["coordinates"])
            else:
                raise RegionError(f"region geometries must be polygons, got {g['type']}")
        return {"type": "MultiPolygon", "coordinates": polygons}, crs
    if kind == "Feature":
        return _geometry_of(geojson["geometry"] | ({"crs": geojson["crs"]} if crs else {}))
    if kind in ("Polygon", "MultiPolygon"):
        return {"type": kind, "coordinates": geojson["coordinates"]}, crs
    raise RegionError(f"a region must be a GeoJSON Polygon, MultiPolygon, Feature or "
                      f"FeatureCollection, got type {kind!r}")


def region_from(*, bbox=None, region=None) -> Region | None:
    """Make a :class:`Region` from a lon/lat ``bbox`` or a GeoJSON ``region``.

    ``region`` may be a GeoJSON mapping or a path to a ``.geojson`` file; a legacy ``crs``
    member (as in ``urn:ogc:def:crs:EPSG::32633``) is honoured and the geometry reprojected.
    """
    if bbox is not None and region is not None:
        raise RegionError("give either bbox or region, not both")
    if bbox is not None:
        west, south, east, north = _check_bbox(bbox)
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        return Region({"type": "Polygon", "coordinates": [ring]}, (west, south, east, north))
    if region is None:
        return None
    if isinstance(region, (str, Path)):
        path = Path(region)
        if not path.exists():
            raise RegionError(f"region file {path} does not exist")
        try:
            region = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise RegionError(f"region file {path} is not valid GeoJSON: {err}") from err
    if not isinstance(region, dict):
        raise RegionError(f"region must be GeoJSON (a mapping or a file path), got {region!r}")
    geometry, crs = _geometry_of(region)
    if crs and crs not in ("EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84"):
        from rasterio.crs import CRS
        from rasterio.warp import transform_geom

        source = CRS.from_user_input(crs.replace("urn:ogc:def:crs:EPSG::", "EPSG:"))
        geometry = transform_geom(source, "EPSG:4326", geometry, precision=9)
    import shapely.geometry

    try:
        shape = shapely.geometry.shape(geometry)
    except Exception as err:  # noqa: BLE001 - shapely raises several kinds for bad rings
        raise RegionError(f"the region is not valid GeoJSON: its polygon cannot be built "
                          f"({err}); each ring needs at least four [lon, lat] positions, the "
                          "last equal to the first") from None
    if shape.is_empty or shape.area == 0:
        raise RegionError("the region's geometry is empty; give a polygon with an area")
    if not shape.is_valid:
        from shapely.validation import explain_validity

        raise RegionError(f"the region's polygon is invalid ({explain_validity(shape)}): fix "
                          "its rings (no self-intersections), e.g. with shapely's make_valid")
    return Region(geometry, _check_bbox(shape.bounds))


def _parse_instant(text: str, *, end: bool) -> dt.datetime | None:
    text = text.strip()
    if text in ("", ".."):
        return None
    try:
        if len(text) == 4:
            year = int(text)
            return dt.datetime(year, 12, 31, 23, 59, 59, tzinfo=dt.UTC) if end else \
                dt.datetime(year, 1, 1, tzinfo=dt.UTC)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise DateRangeError(
            f"cannot read {text!r} as a date; use ISO 8601 such as 2021-06-01 or "
            "2021-06-01T10:00:00Z, and '..' for an open end") from err
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    if end and len(text) == 10:
        value = value + dt.timedelta(days=1) - dt.timedelta(seconds=1)
    return value


def datetime_range(value) -> str | None:
    """Normalise a datetime range to the STAC API form ``start/end`` (UTC, ISO 8601).

    Accepts ``"2021-06-01/2021-08-31"``, ``"2021"``, ``"2021-06-01"``, open ends ``..``, or a
    (start, end) pair of strings or datetimes. Raises :class:`DateRangeError` when a date cannot
    be read or the range ends before it starts.
    """
    if value is None:
        return None
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise DateRangeError(f"a datetime range is (start, end), got {value!r}")
        parts = [v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else
                 ("" if v is None else str(v)) for v in value]
    elif isinstance(value, (dt.date, dt.datetime)):
        parts = [value.isoformat()] * 2
    else:
        parts = str(value).split("/")
        if len(parts) == 1:
            parts = parts * 2
        if len(parts) != 2:
            raise DateRangeError(f"a datetime range is 'start/end', got {value!r}")
    start = _parse_instant(parts[0], end=False)
    stop = _parse_instant(parts[1], end=True)
    if start and stop and stop < start:
        raise DateRangeError(
            f"the datetime range {value!r} ends before it starts; swap the two dates")
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (f"{start.astimezone(dt.UTC).strftime(fmt) if start else '..'}/"
            f"{stop.astimezone(dt.UTC).strftime(fmt) if stop else '..'}")
