"""Every metric operator on geographic (EPSG:4326) grids, against pyproj.Geod.

Distances from pixel to nearest pixel use the local metric of ``geoquant.ops._geodesy``: they
must equal a brute-force evaluation of that metric (to rounding), lie within the stated bound of
the geodesic distances ``pyproj.Geod`` gives between the same pixel centres, and be identical
for every chunking. Patch-to-patch distances (ENN, connectance) use geocentric chords and must
match brute-force geodesics to 1e-6. Areas and edge lengths are exact per row.
"""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod
from scipy import ndimage

import geoquant as gq
from geoquant.errors import CRSError, GeographicExtentError
from geoquant.ops._geodesy import MAX_RELATIVE_ERROR, relative_error
from geoquant.ops._geometry import PixelGeometry
from geoquant.testing.rasters import as_raster

GEOD = Geod(ellps="WGS84")
LATITUDES = [0.0, 45.0, 72.0]  # north edge of the test grids
CHUNKINGS = [None, (7, 9), (13, 50), (40, 4)]
RES = 0.001  # degrees: about 111 m north-south


def grid(values, north: float, *, chunks=None, res: float = RES, west: float = 10.0):
    return as_raster(values, resolution=res, crs="EPSG:4326", origin=(west, north),
                     chunks=chunks)


def scene(seed: int, shape=(40, 50), density: float = 0.02):
    rng = np.random.default_rng(seed)
    objects = rng.random(shape) < density
    objects[5:9, 30:33] = True           # a block across tile borders
    objects[12, 8] = objects[13, 9] = True  # a diagonal contact at a tile corner (7, 9)
    excluded = rng.random(shape) < 0.05
    return objects & ~excluded, excluded


def centres(shape, north: float, res: float = RES, west: float = 10.0):
    rows, cols = np.indices(shape)
    return west + (cols + 0.5) * res, north - (rows + 0.5) * res


def geodesic_nearest(targets, sources, shape, north, res=RES):
    """Geodesic distance (m) from each target pixel to the nearest source pixel, brute force."""
    lon, lat = centres(shape, north, res)
    tr, tc = np.nonzero(targets)
    sr, sc = np.nonzero(sources)
    out = np.full(shape, np.nan)
    if not sr.size:
        out[targets] = np.inf
        return out
    for r, c in zip(tr, tc, strict=True):
        _, _, d = GEOD.inv(np.full(sr.size, lon[r, c]), np.full(sr.size, lat[r, c]),
                           lon[sr, sc], lat[sr, sc])
        out[r, c] = d.min()
    return out


def metric_nearest(sources, geometry: PixelGeometry):
    """The local metric's nearest distance for every pixel, brute force (float64)."""
    dy, dx = geometry.metric_dy(), geometry.metric_dx(0, sources.shape[0])
    rows, cols = np.indices(sources.shape)
    sr, sc = np.nonzero(sources)
    if not sr.size:
        return np.full(sources.shape, np.inf)
    vertical = (dy * (rows[..., None] - sr)) ** 2
    horizontal = (dx[:, None, None] * (cols[..., None] - sc)) ** 2
    return np.sqrt(vertical + horizontal).min(axis=-1)


# -- the bound ------------------------------------------------------------------------------------
@pytest.mark.parametrize("north", [0.5, 45.0, 70.0, 80.0, -60.0])
@pytest.mark.parametrize("degrees", [0.05, 0.4])
def test_local_metric_stays_within_its_bound_of_the_geodesic(north, degrees):
    res = degrees / 200
    geometry = PixelGeometry.of(grid(np.zeros((200, 200), bool), north, res=res))
    rng = np.random.default_rng(int(abs(north) * 10 + degrees * 100))
    t, s = rng.integers(0, 200, (2, 4000)), rng.integers(0, 200, (2, 4000))
    # and the worst cases: the full width at the poleward and equatorward rows
    t = np.c_[t, [[0, 199, 0, 199], [0, 0, 199, 199]]]
    s = np.c_[s, [[199, 0, 199, 0], [199, 199, 0, 0]]]
    dy, dx = geometry.metric_dy(), geometry.metric_dx(0, 200)
    local = np.hypot(dy * (t[0] - s[0]), dx[t[0]] * (t[1] - s[1]))
    lon, lat = centres((200, 200), north, res)
    _, _, geodesic = GEOD.inv(lon[t[0], t[1]], lat[t[0], t[1]], lon[s[0], s[1]],
                              lat[s[0], s[1]])
    apart = geodesic > 0
    error = np.abs(local[apart] / geodesic[apart] - 1)
    bounds = np.array([relative_error(geometry, d) for d in geodesic[apart]])
    assert np.all(error <= bounds)
    assert error.max() > 0.05 * relative_error(geometry)  # the bound is not vacuous


# -- distance, min_distance, within_distance, objects(distance_to=) -------------------------------
@pytest.mark.parametrize("north", LATITUDES)
def test_distance_field_equals_the_metric_and_the_geodesic_for_any_chunking(north):
    objects, excluded = scene(int(north) + 1)
    values = np.where(excluded, np.nan, objects.astype(float))
    runs = [gq.ops.distance(grid(values, north, chunks=chunks)) for chunks in CHUNKINGS]
    first = runs[0].values
    for run in runs[1:]:
        np.testing.assert_array_equal(run.values, first)  # bit for bit
    geometry = PixelGeometry.of(runs[0])
    want = np.where(excluded, np.nan, metric_nearest(objects, geometry))
    np.testing.assert_allclose(first, want, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(np.isnan(first), excluded)
    bound = runs[0].attrs["max_relative_error"]
    assert 0 < bound <= MAX_RELATIVE_ERROR
    geodesic = geodesic_nearest(~excluded, objects, objects.shape, north)
    keep = ~excluded & (geodesic > 0)
    assert np.all(np.abs(first[keep] / geodesic[keep] - 1) <= bound)
    assert np.all(first[objects] == 0)


@pytest.mark.parametrize("north", LATITUDES)
@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_min_and_within_distance_against_the_geodesic(north, chunks):
    a, _ = scene(3, density=0.01)
    b, _ = scene(4, density=0.005)
    a &= ~b
    geodesic = geodesic_nearest(a, b, a.shape, north)
    bound = relative_error(PixelGeometry.of(grid(a, north)))
    got = gq.ops.min_distance(grid(a, north, chunks=chunks), grid(b, north, chunks=chunks))
    assert got == pytest.approx(np.nanmin(geodesic[a]), rel=bound)
    assert got == gq.ops.min_distance(grid(a, north), grid(b, north))
    limit = 600.0
    near = gq.ops.within_distance(grid(a, north, chunks=chunks), grid(b, north, chunks=chunks),
                                  limit).values
    metric = metric_nearest(b, PixelGeometry.of(grid(a, north)))
    np.testing.assert_array_equal(near, a & (metric <= limit))
    # where the geodesic is clearly on one side of the limit, the answer agrees with it
    clear = a & (np.abs(geodesic / limit - 1) > relative_error(PixelGeometry.of(grid(a, north)),
                                                               limit))
    np.testing.assert_array_equal(near[clear], (geodesic <= limit)[clear])


@pytest.mark.parametrize("north", LATITUDES)
def test_objects_distance_columns_against_the_geodesic(north):
    a, _ = scene(5, density=0.04)
    b, _ = scene(6, density=0.004)
    a &= ~b
    labels, n = ndimage.label(a, structure=np.ones((3, 3), bool))
    geodesic = geodesic_nearest(a, b, a.shape, north)
    bound = relative_error(PixelGeometry.of(grid(a, north)))
    tables = [gq.ops.objects(grid(a, north, chunks=c), distance_to=grid(b, north, chunks=c),
                             farthest=True)
              for c in CHUNKINGS]
    for table in tables[1:]:
        np.testing.assert_array_equal(table["distance_m"], tables[0]["distance_m"])
        np.testing.assert_array_equal(table["distance_max_m"], tables[0]["distance_max_m"])
    want_min = ndimage.minimum(geodesic, labels, np.arange(1, n + 1))
    want_max = ndimage.maximum(geodesic, labels, np.arange(1, n + 1))
    np.testing.assert_allclose(tables[0]["distance_m"], want_min, rtol=bound)
    np.testing.assert_allclose(tables[0]["distance_max_m"], want_max, rtol=bound)


# -- refusals -------------------------------------------------------------------------------------
def test_a_grid_spanning_more_than_the_bound_allows_is_refused_by_name():
    # 3° x 3° at 70° N: the local metric could be off by several percent over its extent
    mask = grid(np.eye(60, dtype=bool), 72.0, res=0.05)
    corner, far = np.zeros((60, 60), bool), np.zeros((60, 60), bool)
    corner[0, 0], far[59, 59] = True, True
    corner, far = grid(corner, 72.0, res=0.05), grid(far, 72.0, res=0.05)
    bound = relative_error(PixelGeometry.of(mask))
    assert bound > MAX_RELATIVE_ERROR
    with pytest.raises(GeographicExtentError, match=r"off by up to .*% over its extent") as err:
        gq.ops.distance(mask)
    assert isinstance(err.value, CRSError)
    assert "clip" in str(err.value) and "reproject" in str(err.value)
    # the other operators check the bound at the distances their answer depends on
    for call in (lambda: gq.ops.min_distance(corner, far),
                 lambda: gq.ops.distance_stats(far, over=corner),
                 lambda: gq.ops.objects(corner, distance_to=far)):
        with pytest.raises(GeographicExtentError, match=r"off by up to .*% over distances up to"):
            call()
    with pytest.raises(GeographicExtentError, match="reach_m"):
        gq.ops.objects(corner, distance_to=far)
    # short distances only need the bound there
    assert gq.ops.min_distance(mask, mask) == 0.0
    assert gq.ops.distance_stats(mask, over=mask).max_m == 0.0
    table = gq.ops.objects(corner, distance_to=far, reach_m=1000.0)
    assert table.loc[0, "distance_m"] > 1000.0 and table.attrs["max_relative_error"] < 1e-3
    near = gq.ops.within_distance(mask, mask, 1000.0)
    np.testing.assert_array_equal(near.values, np.eye(60, dtype=bool))
    assert 0 < near.attrs["max_relative_error"] < 1e-3
    with pytest.raises(GeographicExtentError, match="distances up to 150000 m"):
        gq.ops.within_distance(mask, mask, 150_000.0)
    with pytest.raises(GeographicExtentError):
        gq.ops.objects(corner, distance_to=far, reach_m=150_000.0)


def test_a_grid_reaching_a_pole_is_refused():
    mask = grid(np.ones((10, 10), bool), 90.0, res=0.01)
    assert relative_error(PixelGeometry.of(mask)) > 1.0  # parallels shrink to nothing there
    with pytest.raises(GeographicExtentError):
        gq.ops.distance(mask)


# -- areas and edges ------------------------------------------------------------------------------
@pytest.mark.parametrize("north", [0.5, 45.0, 70.0, 80.0])
@pytest.mark.parametrize("chunks", [None, (2, 3)])
def test_object_area_and_perimeter_equal_the_geodesic_outline(north, chunks):
    mask = np.zeros((6, 8), bool)
    mask[1:5, 2:7] = True  # 4 x 5 cells of 0.1 degree
    raster = grid(mask, north, res=0.1, west=10.0, chunks=chunks)
    table = gq.ops.objects(raster)
    west, east, top, bottom = 10.2, 10.7, north - 0.1, north - 0.5
    steps = 2001  # parallels are not geodesics: densify them
    lons = np.r_[np.linspace(west, east, steps), np.linspace(east, west, steps)]
    lats = np.r_[np.full(steps, top), np.full(steps, bottom)]
    area, perimeter = GEOD.polygon_area_perimeter(lons, lats)
    assert table.loc[0, "area_m2"] == pytest.approx(abs(area), rel=1e-7)
    assert table.loc[0, "perimeter_m"] == pytest.approx(perimeter, rel=1e-7)
    assert gq.ops.area(raster) == pytest.approx(abs(area), rel=1e-7)
    metrics = gq.ops.fragmentation(raster, neighbours=False)
    # the class edge is the outline against the valid ring around it (the raster border is no edge)
    assert metrics["total_edge"] == pytest.approx(perimeter, rel=1e-7)


# -- patch to patch: nearest neighbours and connectance --------------------------------------------
def patch_distances(mask, north, res=RES):
    """Geodesic distance (m) between every two 8-connected patches, brute force."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    lon, lat = centres(mask.shape, north, res)
    out = np.full((n, n), np.inf)
    for i in range(1, n + 1):
        for j in range(i + 1, n + 1):
            a, b = np.nonzero(labels == i), np.nonzero(labels == j)
            la, pa = np.repeat(lon[a], b[0].size), np.repeat(lat[a], b[0].size)
            lb, pb = np.tile(lon[b], a[0].size), np.tile(lat[b], a[0].size)
            out[i - 1, j - 1] = out[j - 1, i - 1] = GEOD.inv(la, pa, lb, pb)[2].min()
    return out


@pytest.mark.parametrize("north", LATITUDES)
def test_patch_neighbours_and_connectance_are_geodesic(north):
    rng = np.random.default_rng(int(north) + 9)
    mask = ndimage.gaussian_filter(rng.random((30, 40)), 1.2) > 0.56
    mask[3:6, 8] = True          # a patch crossing the (7, 9) tile corner diagonally
    mask[6, 9] = True
    between = patch_distances(mask, north)
    n = between.shape[0]
    assert n >= 5
    want = between.min(axis=1)
    tables = [gq.ops.objects(grid(mask, north, chunks=c), neighbours=True) for c in CHUNKINGS]
    for table in tables:
        np.testing.assert_array_equal(table["neighbour_m"], tables[0]["neighbour_m"])
    np.testing.assert_allclose(tables[0]["neighbour_m"], want, rtol=1e-6)
    pairs = np.sort(between[np.triu_indices(n, 1)])
    threshold = 0.5 * (pairs[len(pairs) // 3] + pairs[len(pairs) // 3 + 1])
    joined = int(np.count_nonzero(pairs <= threshold))
    for chunks in CHUNKINGS:
        metrics = gq.ops.fragmentation(grid(mask, north, chunks=chunks), connectance_m=threshold)
        assert metrics["enn_mn"] == pytest.approx(want.mean(), rel=1e-6)
        assert metrics["connectance"] == pytest.approx(100.0 * joined / (n * (n - 1) / 2))


# -- a real geographic raster: Sen1Floods11 hand labels (EPSG:4326, about 10 m) ---------------
def test_real_sen1floods11_labels_against_the_geodesic(shared_data):
    import rioxarray

    path = shared_data / "real" / "sen1floods11" / "Labels" / "Spain_7370579_LabelHand.tif"
    labels = rioxarray.open_rasterio(path).squeeze("band", drop=True)
    water = labels.rio.write_nodata(-1)           # 1 water, 0 land, -1 no data
    codes = labels.values
    valid, wet = codes >= 0, codes == 1
    runs = [gq.ops.distance(water if chunks is None else water.chunk(chunks))
            for chunks in (None, {"y": 128, "x": 200})]
    np.testing.assert_array_equal(runs[0].values, runs[1].values)
    bound = runs[0].attrs["max_relative_error"]
    assert 0 < bound < 1e-3  # a 5 km chip at 38° N
    # geodesic nearest water for sampled land pixels, among the water's edge pixels
    edge = wet & ~ndimage.binary_erosion(wet, border_value=1)
    lon, lat = (np.asarray(c) for c in np.meshgrid(labels.x.values, labels.y.values))
    rng = np.random.default_rng(0)
    land = np.flatnonzero((valid & ~wet).ravel())
    sample = rng.choice(land, 60, replace=False)
    er, ec = np.nonzero(edge)
    got = runs[0].values.ravel()[sample]
    for value, pixel in zip(got, sample, strict=True):
        r, c = divmod(int(pixel), codes.shape[1])
        _, _, d = GEOD.inv(np.full(er.size, lon[r, c]), np.full(er.size, lat[r, c]),
                           lon[er, ec], lat[er, ec])
        assert abs(value / d.min() - 1) <= bound
    stats = gq.ops.distance_stats(water, over=(labels == 0).where(valid))
    assert stats.max_m == np.nanmax(np.where(valid & ~wet, runs[0].values, np.nan))
    assert stats.cells == int((valid & ~wet).sum())
    # the area of the valid pixels: exact ellipsoidal cells
    whole = gq.ops.area(labels.where(valid, np.nan) * 0 + 1)
    west, south, east, north = labels.rio.bounds()
    steps = 513
    lons = np.r_[np.linspace(west, east, steps), np.linspace(east, west, steps)]
    lats = np.r_[np.full(steps, north), np.full(steps, south)]
    chip, _ = GEOD.polygon_area_perimeter(lons, lats)
    cell = abs(chip) / codes.size
    assert whole == pytest.approx(abs(chip) - cell * (~valid).sum(), rel=1e-4)


@pytest.mark.parametrize("north", LATITUDES)
def test_distance_stats_against_the_geodesic_for_any_chunking(north):
    road, road_out = scene(21, density=0.01)
    water, _ = scene(22, density=0.3)
    water &= ~road
    runs = [gq.ops.distance_stats(grid(np.where(road_out, np.nan, road * 1.0), north, chunks=c),
                                  over=grid(water, north, chunks=c), farther_than_m=500.0)
            for c in CHUNKINGS]
    for run in runs[1:]:
        assert (run.max_m, run.farthest_x, run.farthest_y, run.cells, run.farther_cells) == (
            runs[0].max_m, runs[0].farthest_x, runs[0].farthest_y, runs[0].cells,
            runs[0].farther_cells)
        assert run.mean_m == pytest.approx(runs[0].mean_m, rel=1e-12)
    got = runs[0]
    geodesic = geodesic_nearest(water, road, water.shape, north)
    bound = got.max_relative_error
    assert 0 < bound <= MAX_RELATIVE_ERROR
    assert got.max_m == pytest.approx(np.nanmax(geodesic), rel=bound)
    geometry = PixelGeometry.of(grid(water, north))
    cell = geometry.cell_area(0, water.shape[0])[:, None] * np.ones(water.shape)
    mean = (geodesic[water] * cell[water]).sum() / cell[water].sum()
    assert got.mean_m == pytest.approx(mean, rel=bound)
    assert got.area_m2 == pytest.approx(cell[water].sum(), rel=1e-12)
