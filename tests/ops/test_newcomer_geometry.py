"""Projected grids whose map sizes are not ground sizes (Web Mercator, equal-area grids far
from their centre): the transform's pixel size was taken as the ground size, so a Web Mercator
raster at 60° N measured four times its area, with no word. Truth from pyproj's geodesic areas
and distances on the ellipsoid."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr
from pyproj import Geod, Transformer
from scipy import ndimage

import geoquant as gq
from geoquant.errors import CRSError

GEOD = Geod(ellps="WGS84")


def _grid(data: np.ndarray, epsg: int, lon: float, lat: float, res: float = 10.0):
    x0, y0 = Transformer.from_crs(4326, epsg, always_xy=True).transform(lon, lat)
    rows, cols = data.shape
    return xr.DataArray(data, dims=("y", "x"), coords={
        "y": y0 - res * (np.arange(rows) + 0.5), "x": x0 + res * (np.arange(cols) + 0.5),
    }).rio.write_crs(f"EPSG:{epsg}")


def _geodesic_area(mask) -> float:
    """Sum of the pixels' areas on the ellipsoid: each pixel's corners to lon/lat, then the
    geodesic polygon's area."""
    to_lonlat = Transformer.from_crs(mask.rio.crs, 4326, always_xy=True)
    t = mask.rio.transform()
    total = 0.0
    for r, c in zip(*np.nonzero(mask.values), strict=True):
        xs = [t.c + c * t.a, t.c + (c + 1) * t.a, t.c + (c + 1) * t.a, t.c + c * t.a]
        ys = [t.f + r * t.e, t.f + r * t.e, t.f + (r + 1) * t.e, t.f + (r + 1) * t.e]
        lon, lat = to_lonlat.transform(xs, ys)
        total += abs(GEOD.polygon_area_perimeter(lon, lat)[0])
    return total


def _mask() -> np.ndarray:
    return np.random.default_rng(5).random((12, 15)) < 0.4


def test_web_mercator_at_60_north_is_refused_not_measured_four_times_too_large():
    mask = _grid(_mask(), 3857, 10.0, 60.0)
    map_area = mask.values.sum() * 100.0
    assert map_area / _geodesic_area(mask) == pytest.approx(4.0, rel=0.01)  # the fault's size
    for measure in (gq.ops.area, gq.ops.objects, partial(gq.ops.count, min_area_m2=500.0)):
        with pytest.raises(CRSError, match="areas would be off by up to 300 %.*reproject"):
            measure(mask)
    with pytest.raises(CRSError, match="distances would be off by up to 100 %"):
        gq.ops.distance(mask)
    # a count of objects does not depend on the scale
    assert gq.ops.count(mask) == ndimage.label(mask.values, structure=np.ones((3, 3)))[1]


def test_web_mercator_near_the_equator_is_true_to_scale_and_measured():
    mask = _grid(_mask(), 3857, 10.0, 2.0)
    assert gq.ops.area(mask) == pytest.approx(_geodesic_area(mask), rel=0.01)


def test_an_equal_area_grid_keeps_areas_but_refuses_lengths():
    """EASE-Grid 2.0 at 60° N: areas are exact, east-west lengths 1.73 times too long."""
    mask = _grid(_mask(), 6933, 10.0, 60.0)
    assert gq.ops.area(mask) == pytest.approx(_geodesic_area(mask), rel=1e-3)
    assert gq.ops.count(mask) >= 1
    assert np.isnan(gq.ops.objects(mask)["perimeter_m"]).all()
    other = mask.copy(data=~mask.values)
    with pytest.raises(CRSError, match="distances would be off"):
        gq.ops.distance(other)
    with pytest.raises(CRSError, match="distances"):
        gq.ops.min_distance(mask, other)


def test_a_picture_on_the_local_metric_grid_is_not_refused(tmp_path):
    """A picture read with a stated GSD is a plane: 10,000 px at 100 m reach 1,000 km from the
    local grid's origin, where its transverse Mercator would be 1.2 % off, and that is no
    reason to refuse it."""
    import warnings

    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    path = tmp_path / "picture.tif"
    data = np.zeros((10, 10_000), np.uint8)
    data[:, -5:] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path, "w", driver="GTiff", width=10_000, height=10, count=1,
                           dtype="uint8") as dst:
            dst.write(data, 1)
    picture = gq.sources.open_raster(path, gsd_m=100.0).squeeze("band", drop=True) == 1
    assert gq.ops.area(picture) == 50 * 100.0 * 100.0


def test_a_single_row_without_a_stored_transform_is_refused_not_measured_in_1_m_pixels():
    """One row built from coordinates: rioxarray cannot read a pixel height from one
    coordinate and answered the identity transform, so 3 pixels of 10 m measured 3 m²."""
    from affine import Affine

    values = np.array([[True, True, False, True]])
    row = xr.DataArray(values, dims=("y", "x"), coords={
        "y": [4_999_995.0], "x": 500_000.0 + 10.0 * (np.arange(4) + 0.5),
    }).rio.write_crs("EPSG:32633")
    for measure in (gq.ops.area, gq.ops.objects):
        with pytest.raises(CRSError, match="no stored transform.*write_transform"):
            measure(row)
    with_transform = row.rio.write_transform(Affine(10, 0, 500_000, 0, -10, 5_000_000))
    assert gq.ops.area(with_transform) == values.sum() * 10.0 * 10.0
    column = xr.DataArray(values.T, dims=("y", "x"), coords={
        "y": 5_000_000.0 - 10.0 * (np.arange(4) + 0.5), "x": [500_005.0],
    }).rio.write_crs("EPSG:32633")
    with pytest.raises(CRSError, match="4 row"):
        gq.ops.area(column)
