"""The operators a question planner composes: distance statistics, per-object quantified
relations (nearest and farthest pixel, touching), same-class proximity, the k largest objects,
the complement. Each against scipy on the whole array, for every chunking, with objects that
wind through many tiles, diagonal contacts at tile corners and nodata.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

import geoquant as gq
from geoquant.errors import InvalidOptionError
from geoquant.testing.rasters import as_raster
from geoquant.testing.strategies import spiral

CHUNKINGS = [None, (7, 9), (5, 50), (40, 3), (1, 64)]
STRUCTURE = {8: np.ones((3, 3), bool), 4: ndi.generate_binary_structure(2, 1)}
DX, DY = 10.0, 7.5


def scene(seed: int, shape=(33, 41), density=0.45, sigma=1.3):
    """Smooth blobs (objects through several tiles), a diagonal contact across the (7, 9)
    tile corner, and nodata."""
    rng = np.random.default_rng(seed)
    mask = ndi.gaussian_filter(rng.random(shape), sigma) > 1 - density
    mask[6, 8] = mask[7, 9] = True
    mask[5, 8] = mask[8, 9] = False
    mask[6, 9] = mask[7, 8] = False
    excluded = rng.random(shape) < 0.04
    return mask & ~excluded, excluded


def floats(mask, excluded):
    return np.where(excluded, np.nan, mask.astype(float))


def raster(values, chunks=None):
    return as_raster(values, resolution=(DX, DY), chunks=chunks)


def edt(objects):
    if not objects.any():
        return np.full(objects.shape, np.inf)
    return ndi.distance_transform_edt(~objects, sampling=(DY, DX))


# -- distance statistics ------------------------------------------------------------------------
@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_distance_stats_over_a_region_equal_scipy(chunks):
    water, water_out = scene(1, density=0.25)
    forest, forest_out = scene(2, density=0.15)
    to_forest = edt(forest)
    region = water  # pixels of `over`; forest's nodata does not remove them
    want_max = to_forest[region].max()
    flat = np.flatnonzero(region.ravel())
    first = flat[np.argmax(to_forest.ravel()[flat])]
    got = gq.ops.distance_stats(raster(floats(forest, forest_out), chunks),
                                over=raster(floats(water, water_out), chunks),
                                farther_than_m=40.0)
    assert got.max_m == want_max
    assert got.mean_m == pytest.approx(to_forest[region].mean(), rel=1e-12)
    row, col = divmod(int(first), water.shape[1])
    assert (got.farthest_x, got.farthest_y) == (500_000 + (col + 0.5) * DX,
                                               5_100_000 - (row + 0.5) * DY)
    assert got.cells == int(region.sum()) and got.area_m2 == region.sum() * DX * DY
    assert got.farther_cells == int((to_forest[region] > 40.0).sum())
    assert got.farther_area_m2 == got.farther_cells * DX * DY
    assert got.any_farther is True
    assert got.farther_share_percent == pytest.approx(100 * got.farther_cells / got.cells)
    assert got.max_relative_error == 0.0


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_distance_stats_default_to_every_valid_pixel(chunks):
    road, out = scene(3, density=0.1)
    to_road = edt(road)
    got = gq.ops.distance_stats(raster(floats(road, out), chunks))
    assert got.max_m == to_road[~out].max()
    assert got.mean_m == pytest.approx(to_road[~out].mean(), rel=1e-12)
    assert got.cells == int((~out).sum())
    assert got.farther_cells is None and got.any_farther is None


def test_distance_stats_of_empty_masks_are_defined():
    shape = (12, 14)
    none, some = np.zeros(shape, bool), np.zeros(shape, bool)
    some[3, 4] = True
    # nothing to measure to: every distance is infinite
    got = gq.ops.distance_stats(raster(none, (5, 5)), farther_than_m=1e6)
    assert got.max_m == np.inf and got.mean_m == np.inf and got.farther_cells == got.cells
    # nothing measured: NaN, no pixel
    got = gq.ops.distance_stats(raster(some, (5, 5)), over=raster(none, (5, 5)),
                                farther_than_m=10.0)
    assert got.cells == 0 and np.isnan(got.max_m) and np.isnan(got.mean_m)
    assert got.any_farther is False and np.isnan(got.farther_share_percent)
    with pytest.raises(InvalidOptionError, match="farther_than_m"):
        gq.ops.distance_stats(raster(some), farther_than_m=-5.0)


# -- per-object quantified relations --------------------------------------------------------------
@pytest.mark.parametrize("connectivity", [8, 4])
@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_objects_nearest_farthest_and_touching_equal_scipy(chunks, connectivity):
    fields, fields_out = scene(4, density=0.4)
    road, road_out = scene(5, density=0.08, sigma=0.8)
    road[:, 20] = ~road_out[:, 20]   # a road through every tile-row
    road[3, 36], fields[2, 35] = True, True  # touching at a corner only (8, not 4)
    fields[1:4, 34:38] = False
    fields[2, 35] = True
    road[2, 36] = road[3, 35] = False
    road_out[3, 36] = fields_out[2, 35] = False
    fields &= ~road
    labels, n = ndi.label(fields, structure=STRUCTURE[connectivity])
    to_road = np.where(road_out, np.nan, edt(road))  # fields pixels on road nodata: left out
    ids = np.arange(1, n + 1)
    want_min = np.array([np.nanmin(to_road[labels == i], initial=np.inf) for i in ids])
    want_max = np.array([np.nanmax(to_road[labels == i], initial=-np.inf) for i in ids])
    touching = ndi.binary_dilation(road, structure=STRUCTURE[connectivity])
    want_touch = np.array([touching[labels == i].any() for i in ids])
    table = gq.ops.objects(raster(floats(fields, fields_out), chunks), connectivity=connectivity,
                           distance_to=raster(floats(road, road_out), chunks), farthest=True,
                           touching=True)
    assert len(table) == n
    np.testing.assert_array_equal(table["distance_m"], want_min)
    np.testing.assert_array_equal(table["distance_max_m"], want_max)
    np.testing.assert_array_equal(table["touching"], want_touch)
    assert table["touching"].dtype == bool
    assert want_touch.any() and not want_touch.all()
    # the planner's quantifiers read straight off the table
    d = 30.0
    partly, wholly = table["distance_m"] <= d, table["distance_max_m"] <= d
    assert (wholly <= partly).all() and (table["distance_m"] <= table["distance_max_m"]).all()


def test_objects_on_nodata_of_the_other_mask_get_nan_and_no_objects_an_empty_table():
    a = np.zeros((6, 8))
    a[1:3, 1:3] = 1
    a[4, 6] = 1
    b = np.zeros((6, 8))
    b[1:3, 1:3] = np.nan   # the first object lies wholly on b's nodata
    b[0, 7] = 1
    plain = gq.ops.objects(raster(a, (2, 3)), distance_to=raster(b, (2, 3)))
    assert list(plain.columns[-1:]) == ["distance_m"] and plain.loc[0, "distance_m"] == np.inf
    table = gq.ops.objects(raster(a, (2, 3)), distance_to=raster(b, (2, 3)), farthest=True)
    assert np.isnan(table.loc[0, "distance_m"]) and np.isnan(table.loc[0, "distance_max_m"])
    assert table.loc[1, "distance_m"] == table.loc[1, "distance_max_m"] == np.hypot(4 * DY, DX)
    empty = gq.ops.objects(raster(np.zeros((6, 8), bool), 3), distance_to=raster(b),
                           farthest=True, touching=True, neighbours=True)
    assert len(empty) == 0
    assert {"distance_m", "distance_max_m", "touching", "neighbour_m", "area_rank"} <= set(
        empty.columns)
    # nothing to measure to: every object is infinitely far and touches nothing
    far = gq.ops.objects(raster(a, 3), distance_to=raster(np.zeros((6, 8), bool)),
                         farthest=True, touching=True)
    assert (far["distance_m"] == np.inf).all() and (far["distance_max_m"] == np.inf).all()
    assert not far["touching"].any()


# -- same-class proximity -------------------------------------------------------------------------
@pytest.mark.parametrize("connectivity", [8, 4])
@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_nearest_other_object_equals_scipy(chunks, connectivity):
    houses, out = scene(6, density=0.2, sigma=0.5)
    labels, n = ndi.label(houses, structure=STRUCTURE[connectivity])
    want = np.array([edt(houses & (labels != i))[labels == i].min() for i in range(1, n + 1)])
    table = gq.ops.objects(raster(floats(houses, out), chunks), connectivity=connectivity,
                           neighbours=True)
    np.testing.assert_allclose(table["neighbour_m"], want, rtol=1e-12)
    close = table.loc[table["neighbour_m"] < 20.0, "id"]
    assert 0 < len(close) < n  # "houses with a neighbouring house closer than 20 m"


def test_a_single_object_has_no_neighbour():
    one = np.zeros((9, 9), bool)
    one[2:5, 2:5] = True
    assert np.isnan(gq.ops.objects(raster(one, 4), neighbours=True)["neighbour_m"]).all()


# -- the k largest ---------------------------------------------------------------------------------
def test_area_rank_breaks_ties_by_id_and_largest_keeps_or_drops_them():
    mask = np.zeros((8, 12), bool)
    mask[0, 0:2] = True          # id 1: 2 px
    mask[0, 4:7] = True          # id 2: 3 px
    mask[3, 0:3] = True          # id 3: 3 px (ties with 2: 2 ranks first)
    mask[3, 9] = True            # id 4: 1 px
    mask[6:8, 6:12] = True       # id 5: 12 px
    for chunks in CHUNKINGS:
        table = gq.ops.objects(raster(mask, chunks))
        assert table["area_rank"].tolist() == [4, 2, 3, 5, 1]
        labels = gq.ops.label(raster(mask, chunks)).values
        top2 = gq.ops.largest(raster(mask, chunks), 2)
        np.testing.assert_array_equal(np.asarray(top2.values), np.isin(labels, [5, 2]))
        rest = gq.ops.largest(raster(mask, chunks), 2, exclude=True)
        np.testing.assert_array_equal(np.asarray(rest.values), np.isin(labels, [1, 3, 4]))
        assert gq.ops.count(rest.copy(data=np.asarray(rest.values))) == 3
    assert not gq.ops.largest(raster(mask), 0).values.any()
    np.testing.assert_array_equal(gq.ops.largest(raster(mask), 9).values, mask)
    assert not gq.ops.largest(raster(mask), 9, exclude=True).values.any()
    assert not gq.ops.largest(raster(np.zeros((4, 4), bool)), 1).values.any()  # no objects
    for bad in (-1, 1.5, True, "two"):
        with pytest.raises(InvalidOptionError, match="whole number"):
            gq.ops.largest(raster(mask), bad)


def test_largest_on_a_spiral_through_many_tiles_stays_lazy_for_dask():
    mask = np.zeros((40, 50), bool)
    mask[:, :40] = spiral(40)    # one object winding through every tile
    mask[10:13, 44:47] = True    # and a smaller one
    masked = raster(mask, (6, 7))
    got = gq.ops.largest(masked, 1)
    assert hasattr(got.data, "dask")
    labels, n = ndi.label(mask, structure=STRUCTURE[8])
    assert n == 2
    sizes = np.bincount(labels.ravel())[1:]
    np.testing.assert_array_equal(got.values, labels == 1 + int(np.argmax(sizes)))


# -- complement -----------------------------------------------------------------------------------
@pytest.mark.parametrize("chunks", [None, (7, 9)])
def test_complement_keeps_nodata_out(chunks):
    water, out = scene(7, density=0.3)
    got = gq.ops.complement(raster(floats(water, out), chunks))
    assert got.dtype == np.uint8 and got.rio.nodata == 255
    np.testing.assert_array_equal(got.values, np.where(out, 255, (~water).astype(np.uint8)))
    valid_area = (~out).sum() * DX * DY
    assert gq.ops.area(got) + gq.ops.area(raster(floats(water, out))) == valid_area
    assert gq.ops.share(got) == pytest.approx(100 * (~water & ~out).sum() / (~out).sum())
    # a boolean mask has no nodata: its complement is ~mask, lazily for dask
    plain = gq.ops.complement(raster(water, chunks))
    assert plain.dtype == bool
    np.testing.assert_array_equal(plain.values, ~water)
    # integers with a nodata value, and a valid mask
    codes = np.where(out, 9, water).astype(np.uint8)
    coded = raster(codes, chunks).rio.write_nodata(9)
    np.testing.assert_array_equal(gq.ops.complement(coded).values, got.values)
    region = raster(~out, chunks)
    np.testing.assert_array_equal(gq.ops.complement(raster(water, chunks), valid=region).values,
                                  got.values)


def test_accessor_gives_the_new_operators():
    water, out = scene(8, density=0.3)
    road, _ = scene(9, density=0.1)
    mask, roads = raster(floats(water, out), (7, 9)), raster(road, (7, 9))
    want = gq.ops.distance_stats(roads, over=mask)  # gq.ops registers the accessor
    assert roads.gq.distance_stats(over=mask) == want
    np.testing.assert_array_equal(mask.gq.complement().values, gq.ops.complement(mask).values)
    np.testing.assert_array_equal(mask.gq.largest(2, exclude=True).values,
                                  gq.ops.largest(mask, 2, exclude=True).values)
    assert mask.gq.objects(neighbours=True).equals(gq.ops.objects(mask, neighbours=True))


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_distance_stats_median_is_exact(chunks, monkeypatch):
    import geoquant.ops._distance_stats as stats_module

    road, out = scene(10, density=0.05)
    water, _ = scene(11, density=0.35)
    to_road = edt(road)
    got = gq.ops.distance_stats(raster(floats(road, out), chunks), over=raster(water, chunks),
                                median=True)
    assert got.median_m == np.median(to_road[water])            # an even count: two ranks
    assert got.cells % 2 == 0
    got = gq.ops.distance_stats(raster(floats(road, out), chunks), median=True)
    assert got.median_m == np.median(to_road[~out])
    # bins refined until few pixels remain: the same answer
    monkeypatch.setattr(stats_module, "MEDIAN_BINS", 4)
    monkeypatch.setattr(stats_module, "GATHER_LIMIT", 3)
    again = gq.ops.distance_stats(raster(floats(road, out), chunks), median=True)
    assert again.median_m == got.median_m


def test_distance_stats_median_of_edge_cases():
    some = np.zeros((6, 7), bool)
    some[2, 3] = True
    assert gq.ops.distance_stats(raster(some), median=False).median_m is None
    assert gq.ops.distance_stats(raster(some), over=raster(some), median=True).median_m == 0.0
    none = np.zeros((6, 7), bool)
    assert gq.ops.distance_stats(raster(none), median=True).median_m == np.inf
    assert np.isnan(gq.ops.distance_stats(raster(some), over=raster(none), median=True).median_m)
