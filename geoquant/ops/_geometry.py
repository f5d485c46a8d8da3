"""Pixel geometry in metres: cell areas, cell edge lengths and pixel centres from a raster's CRS.

Projected grids take their pixel size from the affine transform (anisotropic pixels allowed,
linear units converted to metres). Geographic grids get exact ellipsoidal cell areas per row
(a cell is bounded by two meridians and two parallels) and edge lengths along parallels and
meridians, so nothing treats degrees as metres.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant.errors import CRSError


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
    """

    shape: tuple[int, int]
    transform: Any
    crs_wkt: str
    geographic: bool
    dx: float
    dy: float
    semi_major: float = math.nan
    inverse_flattening: float = math.nan

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
        try:
            transform = array.rio.transform(recalc=True)
        except Exception:  # one row or column: only the stored GeoTransform can tell
            transform = array.rio.transform(recalc=False)
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
        return cls(**common, geographic=False, dx=abs(transform.a) * factor,
                   dy=abs(transform.e) * factor)

    # -- checks ---------------------------------------------------------------------------------
    def require_projected(self, measure: str) -> None:
        """Raise :class:`CRSError` on geographic grids, for measures that need metric pixels."""
        if self.geographic:
            raise CRSError(
                f"{measure} needs a projected CRS, but the grid is geographic (degrees); "
                "reproject it first, for example mask.rio.reproject(mask.rio.estimate_utm_crs())"
            )

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
            return np.full(row_stop - row_start, self.dx)
        from geoquant.ops._geodesy import row_widths

        return row_widths(self, row_start, row_stop)

    def metric_dy(self) -> float:
        """Pixel height (m) under the distance metric: ``dy``, or on geographic grids the mean
        meridian arc of one row."""
        if not self.geographic:
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


def _linear_unit_factor(crs: Any) -> float:
    for axis in crs.axis_info:
        factor = getattr(axis, "unit_conversion_factor", None)
        if factor:
            return float(factor)
    return 1.0
