"""Pixel geometry in metres: cell areas, cell edge lengths and pixel centres from a raster's CRS.

Projected grids take their pixel size from the affine transform (anisotropic pixels allowed,
linear units converted to metres). That size is a size on the map, which is the size on the
ground only where the projection is true to scale: a projected grid whose scale (Tissot's
indicatrix, sampled over the raster) departs from 1 by more than :data:`MAX_SCALE_ERROR`
is refused: for every measure when its areal scale does (Web Mercator at 60° N doubles lengths
and quadruples areas), for distances and perimeters when only its linear scale does (an
equal-area grid such as EASE-Grid 2.0 keeps areas but stretches lengths). Geographic grids
get exact ellipsoidal cell areas per row (a cell is bounded by two meridians and two parallels)
and edge lengths along parallels and meridians, so nothing treats degrees as metres.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant.errors import CRSError

MAX_SCALE_ERROR = 0.01
"""How far a projected grid's scale may depart from 1 anywhere on the raster before its map
sizes are refused as ground sizes (as geographic grids are refused beyond a 1 % distance
error): UTM within its zone stays below 0.1 %; LAEA Europe (EPSG:3035) keeps areas exactly and
lengths within 1 % from Madrid to Scandinavia (1.2 % in Lapland and 1.3 % at Lisbon, where
distances are refused); Web Mercator exceeds 1 % beyond 6° of latitude for areas and 8° for
lengths."""


@dataclass(frozen=True)
class PixelGeometry:
    """How big the pixels of one grid are, in metres.

    Attributes
    ----------
    shape : tuple of int
        ``(rows, cols)`` of the grid.
    transform : affine.Affine
        Pixel to CRS transform (north-up, no rotation).
    crs_wkt : str
        The grid's CRS as WKT.
    geographic : bool
        True for a geographic (longitude/latitude) CRS.
    dx, dy : float
        Pixel width and height in metres on projected grids; NaN on geographic grids.
    semi_major, inverse_flattening : float
        The ellipsoid of geographic grids, m and 1/f; NaN on projected grids.
    area_scale, length_scale : (float, float)
        Smallest and largest areal and linear scale of a projected grid over its extent (map
        size over ground size); ``(1, 1)`` on geographic grids.
    """

    shape: tuple[int, int]
    transform: Any
    crs_wkt: str
    geographic: bool
    dx: float
    dy: float
    semi_major: float = math.nan
    inverse_flattening: float = math.nan
    area_scale: tuple[float, float] = (1.0, 1.0)
    length_scale: tuple[float, float] = (1.0, 1.0)

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def of(cls, array: Any, *, name: str = "mask") -> PixelGeometry:
        """Read the geometry of a 2-D DataArray through rioxarray.

        Raises
        ------
        CRSError
            When the array has no CRS or a rotated transform.
        """
        import rioxarray  # noqa: F401  (registers .rio)

        rio_crs = array.rio.crs
        if rio_crs is None:
            raise CRSError(
                f"{name} has no CRS, so pixel sizes in metres are unknown; set one with "
                f"{name}.rio.write_crs('EPSG:32633') (your grid's EPSG code)"
            )
        from pyproj import CRS

        crs = CRS.from_user_input(rio_crs.to_wkt())
        if min(array.shape[-2:]) < 2:  # one row or column: only a stored GeoTransform tells
            transform = _stored_transform(array, name)
        else:
            transform = array.rio.transform(recalc=True)
        if transform.b != 0 or transform.d != 0:
            raise CRSError(
                f"{name} has a rotated transform {tuple(transform)[:6]}; reproject it to a "
                "north-up grid with .rio.reproject(...) first"
            )
        common = {"shape": (int(array.shape[-2]), int(array.shape[-1])), "transform": transform,
                  "crs_wkt": crs.to_wkt()}
        if crs.is_geographic:
            return cls(**common, geographic=True, dx=math.nan, dy=math.nan,
                       semi_major=float(crs.ellipsoid.semi_major_metre),
                       inverse_flattening=float(crs.ellipsoid.inverse_flattening))
        factor = _linear_unit_factor(crs)
        areal, linear = scale_range(crs.to_wkt(), tuple(transform)[:6], common["shape"])
        return cls(**common, geographic=False, dx=abs(transform.a) * factor,
                   dy=abs(transform.e) * factor, area_scale=areal, length_scale=linear)

    # -- checks ---------------------------------------------------------------------------------
    def require_projected(self, measure: str) -> None:
        """Raise :class:`CRSError` on geographic grids, for measures that need metric pixels."""
        if self.geographic:
            raise CRSError(
                f"{measure} needs a projected CRS, but the grid is geographic (degrees); "
                "reproject it first, for example mask.rio.reproject(mask.rio.estimate_utm_crs())"
            )

    def require_true_lengths(self, measure: str) -> None:
        """Raise :class:`CRSError` when the grid's pixel sizes are not ground lengths (a
        projected CRS whose linear scale over the raster departs from 1 by more than
        :data:`MAX_SCALE_ERROR`), for measures of lengths: distances, perimeters, edges."""
        if not self.geographic:
            _check_true_to_scale(self.crs_wkt, self.length_scale, measure)

    def require_true_areas(self) -> None:
        """Raise :class:`CRSError` when the grid's pixel areas are not ground areas (a
        projected CRS whose areal scale departs from 1 by more than :data:`MAX_SCALE_ERROR`).

        Checked where areas are made (:meth:`area_of`), not when the grid is read: counts
        of objects, labels and connectivity do not depend on the scale.
        """
        if not self.geographic:
            _check_true_to_scale(self.crs_wkt, self.area_scale, "areas")

    def same_grid(self, other: PixelGeometry) -> bool:
        """True when both describe the same pixels (shape, transform and CRS)."""
        return (
            self.shape == other.shape
            and np.allclose(tuple(self.transform)[:6], tuple(other.transform)[:6], rtol=0,
                            atol=1e-9 * max(1.0, abs(self.transform.a)))
            and self.crs_wkt == other.crs_wkt
        )

    # -- sizes ----------------------------------------------------------------------------------
    def area_of(self, cells: Any, summed_area: Any) -> Any:
        """Area (m²) of ``cells`` pixels whose :meth:`cell_area` values sum to ``summed_area``.

        Projected grids take it from the exact count, ``cells * (dx * dy)``, so every tiling
        (every order of summation) gives the same number; geographic grids use the sum.
        """
        if self.geographic:
            return summed_area
        self.require_true_areas()
        return cells * (self.dx * self.dy)

    def cell_area(self, row_start: int, row_stop: int) -> np.ndarray:
        """Area of one cell in each row ``row_start:row_stop``, m² (float64)."""
        n = row_stop - row_start
        if not self.geographic:
            return np.full(n, self.dx * self.dy)
        lat_top, lat_bottom = self._row_edge_latitudes(row_start, row_stop)
        dlon = math.radians(abs(self.transform.a))
        return dlon * np.abs(_zone_area(lat_top, self.semi_major, self._e2) -
                             _zone_area(lat_bottom, self.semi_major, self._e2))

    def edge_x(self, row_start: int, row_stop: int) -> np.ndarray:
        """Length of the horizontal cell edges at the top of rows ``row_start..row_stop``, m.

        Returns ``row_stop - row_start + 1`` values: the last is the bottom edge of the last row.
        """
        if not self.geographic:
            return np.full(row_stop - row_start + 1, self.dx)
        rows = np.arange(row_start, row_stop + 1, dtype=np.float64)
        lat = np.radians(self.transform.f + rows * self.transform.e)
        prime_vertical = self.semi_major / np.sqrt(1.0 - self._e2 * np.sin(lat) ** 2)
        return math.radians(abs(self.transform.a)) * prime_vertical * np.abs(np.cos(lat))

    def edge_y(self, row_start: int, row_stop: int) -> np.ndarray:
        """Length of the vertical cell edges (along a meridian) in each row, m."""
        n = row_stop - row_start
        if not self.geographic:
            return np.full(n, self.dy)
        from pyproj import Geod

        lat_top, lat_bottom = self._row_edge_latitudes(row_start, row_stop)
        geod = Geod(a=self.semi_major, rf=self.inverse_flattening)
        zeros = np.zeros(n)
        _, _, dist = geod.inv(zeros, np.degrees(lat_top), zeros, np.degrees(lat_bottom))
        return np.asarray(dist, dtype=np.float64)

    def metric_dx(self, row_start: int, row_stop: int) -> np.ndarray:
        """Pixel width (m) of each row ``row_start:row_stop`` under the distance metric.

        ``dx`` on projected grids; on geographic grids the length along the row's centre
        parallel (the local metric of :mod:`geoquant.ops._geodesy`).
        """
        if not self.geographic:
            self.require_true_lengths("distances")
            return np.full(row_stop - row_start, self.dx)
        from geoquant.ops._geodesy import row_widths

        return row_widths(self, row_start, row_stop)

    def metric_dy(self) -> float:
        """Pixel height (m) under the distance metric: ``dy``, or on geographic grids the mean
        meridian arc of one row."""
        if not self.geographic:
            self.require_true_lengths("distances")
            return float(self.dy)
        from geoquant.ops._geodesy import row_height

        return row_height(self)

    def pixel_centres(self, rows: np.ndarray, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """CRS coordinates of (fractional) pixel indices, taken at pixel centres."""
        t = self.transform
        rows = np.asarray(rows, dtype=np.float64) + 0.5
        cols = np.asarray(cols, dtype=np.float64) + 0.5
        return t.c + cols * t.a + rows * t.b, t.f + cols * t.d + rows * t.e

    # -- helpers --------------------------------------------------------------------------------
    @property
    def _e2(self) -> float:
        f = 1.0 / self.inverse_flattening if self.inverse_flattening else 0.0
        return f * (2.0 - f)

    def _row_edge_latitudes(self, row_start: int, row_stop: int) -> tuple[np.ndarray, np.ndarray]:
        rows = np.arange(row_start, row_stop, dtype=np.float64)
        top = self.transform.f + rows * self.transform.e
        bottom = top + self.transform.e
        top = np.clip(top, -90.0, 90.0)
        bottom = np.clip(bottom, -90.0, 90.0)
        return np.radians(top), np.radians(bottom)


def _zone_area(lat: np.ndarray, a: float, e2: float) -> np.ndarray:
    """Area between the equator and latitude ``lat`` (radians) per radian of longitude, m².

    The closed form for an ellipsoid of revolution (authalic-latitude integral).
    """
    sin = np.sin(lat)
    if e2 == 0.0:
        return a * a * sin
    e = math.sqrt(e2)
    b2 = a * a * (1.0 - e2)
    return 0.5 * b2 * (sin / (1.0 - e2 * sin * sin)
                       + np.log((1.0 + e * sin) / (1.0 - e * sin)) / (2.0 * e))


_LOCAL_PLANE = "+proj=tmerc +lat_0=0 +lon_0=0 +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
"""``geoquant.sources.LOCAL_METRIC_CRS``, the grid of pictures read with a stated GSD."""


def _stored_transform(array: Any, name: str) -> Any:
    """The GeoTransform stored with a raster of one row or column, whose coordinates alone
    cannot give a pixel size; without one, rioxarray answers the identity (1 m pixels)."""
    grid_mapping = array.rio.grid_mapping
    stored = array.coords[grid_mapping].attrs.get("GeoTransform") \
        if grid_mapping in array.coords else None
    if stored is None:
        raise CRSError(
            f"{name} has {array.shape[-2]} row(s) and {array.shape[-1]} column(s) and no stored "
            "transform, so its pixel size cannot be read from its coordinates; write it, e.g. "
            f"{name}.rio.write_transform(Affine(10, 0, x_left, 0, -10, y_top))"
        )
    return array.rio.transform(recalc=False)


def _check_true_to_scale(crs_wkt: str, scale: tuple[float, float], measure: str) -> None:
    """Refuse ``measure`` on a grid whose ``(low, high)`` scale departs from 1 by more than
    :data:`MAX_SCALE_ERROR` (see the module).

    Raises
    ------
    CRSError
        Naming the CRS, its scale over the raster and how to reproject.
    """
    low, high = scale
    error = max(abs(low - 1.0), abs(high - 1.0))
    if error <= MAX_SCALE_ERROR:
        return
    from pyproj import CRS

    raise CRSError(
        f"the raster's CRS, {CRS.from_wkt(crs_wkt).name}, has a scale of {low:.4g} to "
        f"{high:.4g} for {measure} over it: its pixel sizes are not ground sizes, so "
        f"{measure} would be off by up to {100 * error:.0f} %; reproject it to a CRS true to "
        "scale here, such as its UTM zone (mask.rio.reproject(mask.rio.estimate_utm_crs()), "
        "or gdalwarp -t_srs EPSG:326NN)"
    )


@functools.lru_cache(maxsize=256)
def scale_range(crs_wkt: str, transform: tuple[float, ...], shape: tuple[int, int]
                ) -> tuple[tuple[float, float], tuple[float, float]]:
    """How far a projected grid's map sizes are from ground sizes: the smallest and largest
    areal scale, and linear scale (Tissot's semi-axes: any direction), over its extent, at
    9 x 9 points from corner to corner.

    ``(1, 1)`` both for geoquant's local metric grid of pictures without georeferencing (a
    plane, not a projection of the Earth) and where the projection's factors are unknown.
    """
    from pyproj import CRS, Proj, Transformer

    true = ((1.0, 1.0), (1.0, 1.0))
    crs = CRS.from_wkt(crs_wkt)
    if crs.equals(CRS.from_proj4(_LOCAL_PLANE)):
        return true
    a, b, c, d, e, f = transform
    rows, cols = np.meshgrid(np.linspace(0, shape[0], 9), np.linspace(0, shape[1], 9))
    x, y = c + cols * a + rows * b, f + cols * d + rows * e
    try:
        to_lonlat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
        lon, lat = to_lonlat.transform(x.ravel(), y.ravel())
        factors = Proj(crs).get_factors(lon, lat, errcheck=False)
        areal = np.asarray(factors.areal_scale, np.float64)
        linear = np.concatenate([np.asarray(factors.tissot_semimajor, np.float64),
                                 np.asarray(factors.tissot_semiminor, np.float64)])
    except Exception:  # a CRS pyproj has no factors for: nothing to check
        return true
    areal = areal[np.isfinite(areal) & (areal > 0)]
    linear = linear[np.isfinite(linear) & (linear > 0)]
    if not areal.size or not linear.size:
        return true
    return ((float(areal.min()), float(areal.max())),
            (float(linear.min()), float(linear.max())))


def _linear_unit_factor(crs: Any) -> float:
    for axis in crs.axis_info:
        factor = getattr(axis, "unit_conversion_factor", None)
        if factor:
            return float(factor)
    return 1.0
