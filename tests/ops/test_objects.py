"""label, count, objects, connected, area: equal to whole-array scipy/skimage for any chunking."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

import geoquant as gq
from geoquant.errors import CRSError, GridMismatchError, InvalidOptionError, MaskError
from geoquant.testing.rasters import as_raster
from geoquant.testing.strategies import checkerboard, chunk_sizes, diagonal, masks, river, spiral

STRUCTURE = {8: np.ones((3, 3), bool), 4: None}


def reference_labels(mask: np.ndarray, connectivity: int) -> tuple[np.ndarray, int]:
    values = np.nan_to_num(mask.astype(np.float64), nan=0.0) > 0
    return ndi.label(values, structure=STRUCTURE[connectivity])


def reference_faces(labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical pixel faces of each label against anything else (numpy)."""
    padded = np.pad(labels, 1)
    core = padded[1:-1, 1:-1]
    faces_x = np.zeros(n + 1, np.int64)
    faces_y = np.zeros(n + 1, np.int64)
    for neighbour, faces in ((padded[:-2, 1:-1], faces_x), (padded[2:, 1:-1], faces_x),
                             (padded[1:-1, :-2], faces_y), (padded[1:-1, 2:], faces_y)):
        edge = (core > 0) & (neighbour != core)
        faces += np.bincount(core[edge], minlength=n + 1)
    return faces_x[1:], faces_y[1:]


@st.composite
def chunked(draw, max_side=16, nodata=False):
    mask = draw(masks(max_side=max_side, nodata=nodata))
    chunks = (draw(chunk_sizes(mask.shape[0])), draw(chunk_sizes(mask.shape[1])))
    return mask, chunks


@settings(deadline=None)
@given(case=chunked(nodata=True), connectivity=st.sampled_from([8, 4]))
def test_label_equals_scipy_for_any_chunking(case, connectivity):
    mask, chunks = case
    expected, n = reference_labels(mask, connectivity)
    raster = as_raster(mask, chunks=chunks)
    got = gq.ops.label(raster, connectivity=connectivity)
    assert got.dtype == np.int32  # ids fit int32; scipy's dtype too
    assert got.data.chunks == chunks
    np.testing.assert_array_equal(got.values, expected)
    assert gq.ops.count(raster, connectivity=connectivity) == n


# One-pixel tiles cost 7-14 s a case: the spiral keeps them in the default run, the other shapes
# cross tile corners and edges at every other chunking there, and at one pixel in the slow run.
@pytest.mark.parametrize("connectivity", [8, 4])
@pytest.mark.parametrize(("shape_name", "chunks"), [
    (shape_name, chunks) if chunks != 1 or shape_name == "spiral"
    else pytest.param(shape_name, chunks, marks=pytest.mark.slow)
    for shape_name in ["spiral", "checkerboard", "diagonal", "river"]
    for chunks in [1, 3, (5, 7), (2, 17), 64]])
def test_adversarial_shapes_across_tiles(shape_name, chunks, connectivity):
    side = 21
    mask = {"spiral": lambda: spiral(side), "checkerboard": lambda: checkerboard((side, side)),
            "diagonal": lambda: diagonal((side, side)),
            "river": lambda: river((side, side), seed=3)}[shape_name]()
    expected, n = reference_labels(mask, connectivity)
    got = gq.ops.label(as_raster(mask, chunks=chunks), connectivity=connectivity)
    np.testing.assert_array_equal(got.values, expected)


@pytest.mark.parametrize("connectivity", [8, 4])
@pytest.mark.parametrize("chunks", [None, 3, (5, 7)])
def test_labels_beyond_the_int32_threshold_are_int64_with_the_same_ids(monkeypatch, chunks,
                                                                      connectivity):
    import geoquant.ops._tree as tree

    mask = np.random.default_rng(3).random((21, 23)) < 0.35
    expected, n = reference_labels(mask, connectivity)
    assert n > 2
    raster = as_raster(mask, chunks=chunks)
    in_memory = chunks is None
    # In memory the count decides: n ids fit a threshold of n, not of n - 1.
    monkeypatch.setattr(tree, "MAX_INT32_LABEL", n if in_memory else tree.most_objects(
        mask.shape, connectivity == 8))
    fits = gq.ops.label(raster, connectivity=connectivity)
    assert fits.dtype == np.int32
    monkeypatch.setattr(tree, "MAX_INT32_LABEL", (n if in_memory else tree.most_objects(
        mask.shape, connectivity == 8)) - 1)
    wide = gq.ops.label(raster, connectivity=connectivity)
    assert wide.dtype == np.int64
    assert isinstance(wide.data, np.ndarray) == in_memory
    np.testing.assert_array_equal(wide.values, expected)
    np.testing.assert_array_equal(fits.values, expected)
    assert wide.values.dtype == np.int64


@pytest.mark.parametrize("shape", [(1, 1), (1, 6), (5, 1), (4, 6), (7, 9), (8, 8)])
def test_most_objects_is_the_largest_count_a_raster_can_hold(shape):
    from geoquant.ops._tree import most_objects

    rows, cols = np.indices(shape)
    dots = (rows % 2 == 0) & (cols % 2 == 0)  # the most 8-connected objects
    assert most_objects(shape, True) == reference_labels(dots, 8)[1]
    board = (rows + cols) % 2 == 0  # the most 4-connected objects
    assert most_objects(shape, False) == reference_labels(board, 4)[1]


@settings(deadline=None)
@given(mask=masks(max_side=9), connectivity=st.sampled_from([8, 4]))
def test_no_mask_holds_more_objects_than_most_objects(mask, connectivity):
    from geoquant.ops._tree import most_objects

    assert reference_labels(mask, connectivity)[1] <= most_objects(mask.shape,
                                                                   connectivity == 8)


@pytest.mark.parametrize(("side", "connectivity", "dtype"), [
    (92_680, 8, np.int32), (92_682, 8, np.int64), (65_535, 4, np.int32), (65_536, 4, np.int64)])
def test_lazy_labels_take_their_dtype_from_the_raster_size_without_computing(side, connectivity,
                                                                             dtype):
    import dask
    import dask.array as da
    import rioxarray  # noqa: F401
    import xarray as xr

    def refuse(*args, **kwargs):
        raise AssertionError("label computed something; lazy input must stay lazy")

    huge = xr.DataArray(da.zeros((side, side), dtype=bool, chunks=16_384), dims=("y", "x"),
                        coords={"y": np.arange(side)[::-1] * 10.0, "x": np.arange(side) * 10.0})
    huge = huge.rio.write_crs("EPSG:32633")
    with dask.config.set(scheduler=refuse):
        labels = gq.ops.label(huge, connectivity=connectivity)
    assert labels.dtype == dtype
    assert labels.data._meta.dtype == dtype


def reference_runs(padded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of OBJECT codes in the core, pixel by pixel in plain Python."""
    row_ptr, starts, stops = [0], [], []
    for row in padded[1:-1, 1:-1]:
        inside = False
        for c, code in enumerate(row):
            if (code == 1) != inside:
                (starts if not inside else stops).append(c)
                inside = not inside
        if inside:
            stops.append(row.size)
        row_ptr.append(len(starts))
    return np.array(row_ptr), np.array(starts, np.int32), np.array(stops, np.int32)


@settings(deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(0, 12), cols=st.integers(0, 41),
       fill=st.sampled_from([0.0, 0.5, 0.9, 0.98]), offset=st.integers(0, 7))
def test_tile_runs_equal_a_pixel_by_pixel_scan(seed, rows, cols, fill, offset):
    """Word-wise skipping over uniform stretches finds exactly the runs a per-pixel scan does,
    whatever the width, the codes (excluded, outside) and the buffer's alignment."""
    from geoquant.ops.kernels.label import tile_runs

    rng = np.random.default_rng(seed)
    codes = rng.choice(np.array([0, 1, 2, 3], np.uint8), size=(rows + 2, cols + 2),
                       p=[0.4, 0.4, 0.1, 0.1])
    uniform = rng.random(codes.shape) < fill  # long stretches of one code skip word by word
    codes[uniform] = rng.choice(np.array([0, 1, 2], np.uint8))
    buffer = np.empty(codes.size + offset, np.uint8)
    padded = buffer[offset:].reshape(codes.shape)  # not 8-byte aligned for most offsets
    padded[...] = codes
    for got, want in zip(tile_runs(padded), reference_runs(padded), strict=True):
        np.testing.assert_array_equal(got, want)


def test_corner_contacts_exactly_at_tile_corners():
    mask = np.zeros((8, 12), bool)
    mask[3, 3] = mask[4, 4] = True  # diagonal across the corner of four 4x4 tiles
    mask[3, 8] = mask[4, 7] = True  # anti-diagonal across the next tile corner
    raster = as_raster(mask, chunks=4)
    assert gq.ops.count(raster) == 2
    assert gq.ops.count(raster, connectivity=4) == 4


def test_one_object_covering_every_tile_and_empty_mask():
    full = as_raster(np.ones((40, 30), bool), chunks=(3, 7))
    assert gq.ops.count(full) == 1
    table = gq.ops.objects(full)
    assert table.loc[0, "cells"] == 1200
    assert table.loc[0, "perimeter_m"] == pytest.approx(2 * (40 + 30) * 10.0)
    empty = as_raster(np.zeros((40, 30), bool), chunks=(3, 7))
    assert gq.ops.count(empty) == 0
    assert len(gq.ops.objects(empty)) == 0
    assert int(gq.ops.label(empty).max()) == 0


@settings(deadline=None)
@given(case=chunked(max_side=14), connectivity=st.sampled_from([8, 4]),
       resolution=st.sampled_from([(10.0, 10.0), (2.5, 7.0), (30.0, 1.0)]))
def test_objects_table_equals_regionprops(case, connectivity, resolution):
    from skimage.measure import regionprops

    mask, chunks = case
    dx, dy = resolution
    expected, n = reference_labels(mask, connectivity)
    raster = as_raster(mask, chunks=chunks, resolution=resolution)
    table = gq.ops.objects(raster, connectivity=connectivity)
    assert len(table) == n
    props = regionprops(expected)
    np.testing.assert_array_equal(table["id"], [p.label for p in props])
    np.testing.assert_array_equal(table["cells"], [p.area for p in props])
    np.testing.assert_allclose(table["area_m2"], [p.area * dx * dy for p in props], rtol=1e-12)
    boxes = np.array([p.bbox for p in props]).reshape(-1, 4)
    np.testing.assert_array_equal(table[["row_min", "col_min"]].to_numpy(), boxes[:, :2])
    np.testing.assert_array_equal(table[["row_max", "col_max"]].to_numpy(), boxes[:, 2:] - 1)
    centroids = np.array([p.centroid for p in props]).reshape(-1, 2)
    np.testing.assert_allclose(table["centroid_x"], 500_000 + (centroids[:, 1] + 0.5) * dx,
                               rtol=1e-12)
    np.testing.assert_allclose(table["centroid_y"], 5_100_000 - (centroids[:, 0] + 0.5) * dy,
                               rtol=1e-12)
    faces_x, faces_y = reference_faces(expected, n)
    np.testing.assert_allclose(table["perimeter_m"], faces_x * dx + faces_y * dy, rtol=1e-12)


def test_objects_on_real_lausanne_land_use(shared_data):
    import rioxarray

    landuse = rioxarray.open_rasterio(
        shared_data / "real" / "lausanne-landuse" / "ls100_12.tif").squeeze(drop=True)
    values = landuse.values
    for code in (12, 25, 2):
        mask = landuse.copy(data=np.where(values == 255, np.nan, values == code))
        mask = mask.rio.write_nodata(None, encoded=False)
        expected, n = ndi.label(values == code, structure=STRUCTURE[8])
        cells = np.bincount(expected.ravel(), minlength=n + 1)[1:]
        boxes = np.array([(s[0].start, s[1].start, s[0].stop - 1, s[1].stop - 1)
                          for s in ndi.find_objects(expected)]).reshape(-1, 4)
        first = None
        for chunks in [(325, 472), (50, 60), (17, 101)]:
            table = gq.ops.objects(mask.chunk({"y": chunks[0], "x": chunks[1]}))
            assert len(table) == n
            np.testing.assert_array_equal(table["cells"], cells)
            np.testing.assert_array_equal(
                table[["row_min", "col_min", "row_max", "col_max"]].to_numpy(), boxes)
            np.testing.assert_array_equal(
                gq.ops.label(mask.chunk({"y": chunks[0], "x": chunks[1]})).values, expected)
            if first is None:
                first = table
            else:
                np.testing.assert_array_equal(table.to_numpy(), first.to_numpy())


def test_count_with_minimum_area_uses_whole_object_areas():
    rng = np.random.default_rng(7)
    mask = ndi.binary_dilation(rng.random((60, 80)) < 0.03, iterations=2)
    expected, n = ndi.label(mask, structure=STRUCTURE[8])
    sizes = np.bincount(expected.ravel())[1:] * 100.0
    raster = as_raster(mask, chunks=(7, 9))
    for threshold in (0.0, 900.0, 2500.0, 10_000.0):
        assert gq.ops.count(raster, min_area_m2=threshold) == int((sizes >= threshold).sum())


def test_objects_distance_column():
    mask = np.zeros((20, 20), bool)
    mask[2:4, 2:4] = True
    mask[15, 15] = True
    target = np.zeros((20, 20), bool)
    target[2, 10] = True
    table = gq.ops.objects(as_raster(mask, chunks=6), distance_to=as_raster(target, chunks=6))
    np.testing.assert_allclose(table["distance_m"], [70.0, np.hypot(130.0, 50.0)])


@settings(deadline=None)
@given(case=chunked(max_side=18), seed=st.integers(0, 2**32 - 1),
       density=st.sampled_from([0.0, 0.01, 0.1]),
       resolution=st.sampled_from([(10.0, 10.0), (3.7, 12.0)]))
def test_objects_distance_column_equals_scipy_edt(case, seed, density, resolution):
    """Per object, the minimum over its pixels of scipy's EDT to the target (whole array)."""
    mask, chunks = case
    dx, dy = resolution
    target = np.random.default_rng(seed).random(mask.shape) < density
    labels, n = reference_labels(mask, 8)
    table = gq.ops.objects(as_raster(mask, chunks=chunks, resolution=resolution),
                           distance_to=as_raster(target, resolution=resolution))
    if target.any():
        field = ndi.distance_transform_edt(~target, sampling=(dy, dx))
        expected = ndi.minimum(field, labels, index=np.arange(1, n + 1))
    else:
        expected = np.full(n, np.inf)
    assert len(table) == n
    # the contract: floats within 1e-9 relative (EDT square roots differ in the last bits)
    np.testing.assert_allclose(table["distance_m"], expected, rtol=1e-9)


@settings(deadline=None)
@given(case=chunked(max_side=16), seed=st.integers(0, 2**32 - 1),
       connectivity=st.sampled_from([8, 4]))
def test_valid_mask_excludes_pixels_like_numpy(case, seed, connectivity):
    mask, chunks = case
    valid = np.random.default_rng(seed).random(mask.shape) < 0.8
    expected, n = reference_labels(mask & valid, connectivity)
    raster = as_raster(mask, chunks=chunks, resolution=(10.0, 20.0))
    region = as_raster(valid, chunks=chunks, name="valid", resolution=(10.0, 20.0))
    got = gq.ops.label(raster, connectivity=connectivity, valid=region)
    np.testing.assert_array_equal(got.values, expected)
    assert gq.ops.count(raster, connectivity=connectivity, valid=region) == n
    assert gq.ops.area(raster, valid=region) == 200.0 * np.count_nonzero(mask & valid)
    share = gq.ops.share(raster, valid=region)
    if valid.any():
        assert share == pytest.approx(100.0 * np.count_nonzero(mask & valid) / valid.sum(),
                                      rel=1e-12)
    else:
        assert np.isnan(share)


def reference_connected(through: np.ndarray, ends: list[np.ndarray], valid: np.ndarray,
                        connectivity: int) -> bool:
    """scipy: one component of ``(through | a | b) & valid`` holds pixels of both ends."""
    passable = (through | ends[0] | ends[1]) & valid
    labels, _ = ndi.label(passable, structure=STRUCTURE[connectivity])
    touched = [set(np.unique(labels[end & valid])) - {0} for end in ends]
    return bool(touched[0] & touched[1])


@settings(deadline=None)
@given(case=chunked(max_side=16), seed=st.integers(0, 2**32 - 1),
       connectivity=st.sampled_from([8, 4]), holes=st.booleans())
def test_connected_equals_scipy_labelling(case, seed, connectivity, holes):
    through, chunks = case
    rng = np.random.default_rng(seed)
    ends = [rng.random(through.shape) < 0.05 for _ in range(2)]
    valid = (rng.random(through.shape) < 0.85) if holes else np.ones(through.shape, bool)
    got = gq.ops.connected(as_raster(through, chunks=chunks), as_raster(ends[0], name="a"),
                           as_raster(ends[1], name="b"), connectivity=connectivity,
                           valid=as_raster(valid, name="valid") if holes else None)
    assert got == reference_connected(through, ends, valid, connectivity)


def test_connected_through_roads_between_towns_and_points():
    road = np.zeros((12, 12), bool)
    road[5, 1:11] = True
    town_a = np.zeros_like(road)
    town_a[4:7, 0] = True
    town_b = np.zeros_like(road)
    town_b[6, 11] = True  # touches the road's end diagonally
    through = as_raster(road, chunks=4)
    assert gq.ops.connected(through, as_raster(town_a), as_raster(town_b))
    assert not gq.ops.connected(through, as_raster(town_a), as_raster(town_b), connectivity=4)
    x0, y0 = 500_000 + 15, 5_100_000 - 55  # pixel (5, 1)
    x1, y1 = 500_000 + 105, 5_100_000 - 55  # pixel (5, 10)
    assert gq.ops.connected(through, (x0, y0), (x1, y1))
    road[5, 6] = False
    assert not gq.ops.connected(as_raster(road, chunks=4), (x0, y0), (x1, y1))


def test_graph_grows_linearly_with_tiles():
    sizes = {}
    for tiles in (4, 8, 16):
        raster = as_raster(np.zeros((tiles * 4, tiles * 4), bool), chunks=4)
        sizes[tiles] = len(gq.ops.label(raster).data.__dask_graph__()) / tiles**2
    assert max(sizes.values()) < 40
    assert sizes[16] < 1.5 * sizes[4]


def test_bad_input_says_what_to_change():
    good = as_raster(np.zeros((4, 4), bool))
    with pytest.raises(MaskError, match="boolean mask"):
        gq.ops.count(as_raster(np.array([[0, 3], [1, 1]], np.uint8)))
    with pytest.raises(MaskError, match="2-D"):
        gq.ops.count(good.expand_dims(time=2))
    with pytest.raises(MaskError, match="xarray.DataArray"):
        gq.ops.count(np.zeros((4, 4), bool))
    with pytest.raises(InvalidOptionError, match="connectivity"):
        gq.ops.label(good, connectivity=6)
    for bad in (-1, math.nan, math.inf, "large"):
        with pytest.raises(InvalidOptionError, match="min_area_m2"):
            gq.ops.count(good, min_area_m2=bad)
    with pytest.raises(CRSError, match="write_crs"):
        gq.ops.count(good.drop_vars("spatial_ref"))
    with pytest.raises(GridMismatchError, match="different grids"):
        gq.ops.connected(good, as_raster(np.zeros((5, 4), bool)), (500_005.0, 5_099_995.0))
    with pytest.raises(MaskError, match="outside the raster"):
        gq.ops.connected(good, (0.0, 0.0), (500_005.0, 5_099_995.0))


def test_area_and_share_with_nodata_and_geographic_cells():
    mask = as_raster(np.array([[1, 0, np.nan], [1, 1, 0]]), resolution=(10, 20), chunks=1)
    assert gq.ops.area(mask) == 600.0
    assert gq.ops.share(mask) == pytest.approx(60.0)
    # a 1x1 degree cell on WGS84 against pyproj's geodesic area of the densified cell outline
    from pyproj import Geod

    cell = as_raster(np.ones((1, 1), bool), resolution=1.0, crs="EPSG:4326", origin=(0, 46))
    lons = np.r_[np.linspace(0, 1, 2001), np.linspace(1, 0, 2001)]
    lats = np.r_[np.full(2001, 46.0), np.full(2001, 45.0)]
    outline, _ = Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)
    assert gq.ops.area(cell) == pytest.approx(abs(outline), rel=1e-7)
    world = as_raster(np.ones((180, 360), bool), resolution=1.0, crs="EPSG:4326",
                      origin=(-180, 90), chunks=(7, 50))
    assert gq.ops.area(world) / 1e6 == pytest.approx(510_065_621.724, rel=1e-9)


@pytest.mark.parametrize("chunks", [None, (2, 3)])
def test_geographic_object_area_and_perimeter_equal_geodesic_outline(chunks):
    from pyproj import Geod

    mask = np.zeros((6, 8), bool)
    mask[1:5, 2:7] = True  # 4 x 5 cells of 0.5 degree, north edge at 59.5 N
    raster = as_raster(mask, resolution=0.5, crs="EPSG:4326", origin=(10.0, 60.0),
                       chunks=chunks)
    table = gq.ops.objects(raster)
    west, east, north, south = 11.0, 13.5, 59.5, 57.5
    steps = 4001  # parallels are not geodesics: densify them
    lons = np.r_[np.linspace(west, east, steps), np.linspace(east, west, steps)]
    lats = np.r_[np.full(steps, north), np.full(steps, south)]
    area, perimeter = Geod(ellps="WGS84").polygon_area_perimeter(lons, lats)
    assert table.loc[0, "area_m2"] == pytest.approx(abs(area), rel=1e-7)
    assert table.loc[0, "perimeter_m"] == pytest.approx(perimeter, rel=1e-7)
    assert gq.ops.area(raster) == pytest.approx(abs(area), rel=1e-7)


def test_in_memory_mask_spanning_several_default_tiles():
    rng = np.random.default_rng(11)
    mask = ndi.gaussian_filter(rng.random((2600, 2300)), 3) > 0.52
    expected, n = ndi.label(mask, structure=STRUCTURE[8])
    got = gq.ops.label(as_raster(mask))
    assert isinstance(got.data, np.ndarray)
    np.testing.assert_array_equal(got.values, expected)
    assert gq.ops.count(as_raster(mask)) == n


def test_a_region_far_beyond_one_graph_is_refused_with_the_estimate():
    """1e6 x 1e6 px in 2048² tiles: no 950k-task graph is built; survey is named instead."""
    import time

    import dask.array as da
    import rioxarray  # noqa: F401
    import xarray as xr

    from geoquant.errors import InvalidOptionError

    huge = xr.DataArray(da.zeros((1_000_000, 1_000_000), dtype=bool, chunks=2048),
                        dims=("y", "x"), coords={"y": np.arange(1_000_000)[::-1] * 10.0,
                                                 "x": np.arange(1_000_000) * 10.0})
    huge = huge.rio.write_crs("EPSG:32633")
    started = time.perf_counter()
    with pytest.raises(InvalidOptionError, match=r"1,000.0 Gpx in 239,121 tiles.*survey"):
        gq.ops.count(huge)
    assert time.perf_counter() - started < 30


def test_a_valid_mask_of_another_grid_is_refused():
    from geoquant.errors import GridMismatchError

    mask = as_raster(np.ones((20, 20), bool))
    elsewhere = as_raster(np.ones((20, 20), bool), origin=(600000.0, 5_000_000.0))
    with pytest.raises(GridMismatchError):
        gq.ops.count(mask, valid=elsewhere)
    assert gq.ops.count(mask, valid=as_raster(np.ones((20, 20), bool))) == 1


@pytest.mark.parametrize("fill", [300, -1, "abc"])
def test_a_nodata_value_the_dtype_cannot_hold_is_named(fill):
    mask = as_raster(np.array([[0, 1], [1, 0]], np.uint8))
    mask.attrs["_FillValue"] = fill
    with pytest.raises(MaskError, match="nodata value"):
        gq.ops.count(mask)


def test_in_memory_masks_are_split_into_full_width_row_bands(monkeypatch):
    from geoquant.ops import _mask
    from geoquant.ops._mask import BAND_PIXELS, LARGE_TILE, memory_tiles, prepare_mask

    assert memory_tiles((8000, 8000), cores=2) == (2000, 8000)   # 16 Mpx bands, 4 of them
    assert memory_tiles((4000, 4000), cores=2) == (2000, 4000)   # one band per core
    assert memory_tiles((4000, 4000), cores=8) == (500, 4000)
    assert memory_tiles((1000, 1000), cores=8) == (1000, 1000)   # 1 Mpx: not split further
    assert memory_tiles((3, 5), cores=4) == (3, 5)
    rows, cols = memory_tiles((20000, 20000), cores=2)
    assert cols == 20000 and rows * cols <= BAND_PIXELS and rows == 800
    assert memory_tiles((500, 100_000), cores=2) == (LARGE_TILE, LARGE_TILE)  # too wide
    monkeypatch.setattr(_mask.os, "cpu_count", lambda: 4)
    rng = np.random.default_rng(4)
    values = rng.random((2500, 900)) < 0.3
    mask = as_raster(values)
    assert prepare_mask(mask).chunks == ((1250, 1250), (900,))
    want, n = ndi.label(values, structure=np.ones((3, 3)))
    np.testing.assert_array_equal(gq.ops.label(mask).values, want)
    assert gq.ops.count(mask) == n


def test_square_tiles_of_wide_masks_are_large_only_when_every_core_keeps_two():
    from geoquant.ops._mask import DEFAULT_TILE, LARGE_TILE, tile_edge

    assert tile_edge((8000, 8000), cores=2) == LARGE_TILE       # 4 tiles of 4096² for 2 cores
    assert tile_edge((8000, 8000), cores=4) == DEFAULT_TILE     # 16 tiles of 2048² for 4
    assert tile_edge((4000, 4000), cores=1) == DEFAULT_TILE     # one large tile is too few
    assert tile_edge((20000, 20000), cores=12) == LARGE_TILE    # 25 large tiles, 12 cores
    assert tile_edge((20000, 20000), cores=16) == DEFAULT_TILE  # 25 < 32: 100 smaller ones
    assert tile_edge((3, 5), cores=1) == DEFAULT_TILE
