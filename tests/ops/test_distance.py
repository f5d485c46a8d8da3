"""Exact Euclidean distances against scipy.ndimage on whole arrays, across chunkings.

The reference is ``scipy.ndimage.distance_transform_edt(~objects, sampling=(dy, dx))`` on the
whole array, with excluded pixels as non-objects (they do not block paths) and NaN in our
output. Different chunkings must agree with each other bit for bit when pixel sizes are whole
metres (every squared distance is then an exact float, so tied sites give equal values); with
fractional sizes tied sites may differ in the last bit, so those agree to 1e-12.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage
from scipy.spatial.distance import cdist

from geoquant.errors import CRSError, GridMismatchError, InvalidOptionError, MaskError
from geoquant.ops._distance import distance, distance_to, min_distance, within_distance
from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import prepare_mask
from geoquant.testing.rasters import as_raster

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

RTOL = 1e-9
ORIGIN = (500_000.0, 5_100_000.0)
SETTINGS = settings(deadline=None,  # max_examples: the Hypothesis profile (tests/conftest.py)
                    suppress_health_check=[HealthCheck.too_slow])
FEWER = settings(SETTINGS, max_examples=max(1, SETTINGS.max_examples // 2))


# -- helpers --------------------------------------------------------------------------------------
def raster(values, *, dx: float = 10.0, dy: float = 10.0, chunks=None, name: str = "mask"):
    """A north-up raster whose transform is written, so one-row or one-column grids work too."""
    out = as_raster(values, resolution=(dx, dy), chunks=chunks, name=name)
    return out.rio.write_transform(Affine(dx, 0.0, ORIGIN[0], 0.0, -dy, ORIGIN[1]))


def sampling(mask) -> tuple[float, float]:
    geometry = PixelGeometry.of(mask)
    return geometry.dy, geometry.dx


def reference(objects: np.ndarray, excluded: np.ndarray, spacing: tuple[float, float]):
    """scipy's EDT on the whole array; inf without objects; NaN on excluded pixels."""
    if objects.any():
        ref = ndimage.distance_transform_edt(~objects, sampling=spacing)
    else:
        ref = np.full(objects.shape, np.inf)
    return np.where(excluded, np.nan, ref)


def assert_close(got: np.ndarray, want: np.ndarray, rtol: float = RTOL) -> None:
    assert got.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol, atol=0)


def check_against_scipy(objects: np.ndarray, *, dx: float = 10.0, dy: float = 10.0,
                        chunkings=((7, 9), (1, 13), (16, 5)), excluded=None) -> None:
    """Every chunking matches scipy and, with whole-metre pixels, each other exactly."""
    if excluded is None:
        excluded = np.zeros(objects.shape, bool)
    values = np.where(excluded, np.nan, objects.astype(np.float64))
    results = []
    for chunks in chunkings:
        mask = raster(values, dx=dx, dy=dy, chunks=chunks)
        got = distance(mask).values
        assert_close(got, reference(objects, excluded, sampling(mask)))
        results.append(got)
    for other in results[1:]:
        np.testing.assert_array_equal(other, results[0])


@st.composite
def masks(draw, max_side: int = 40):
    """Objects, excluded pixels, pixel sizes and two chunkings (1 px to wider than the array)."""
    rows = draw(st.integers(1, max_side))
    cols = draw(st.integers(1, max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    density = draw(st.sampled_from([0.0, 0.0005, 0.01, 0.05, 0.3, 0.9, 1.0]))
    objects = rng.random((rows, cols)) < density
    if draw(st.booleans()):  # a single object pixel
        objects[:] = False
        objects[rng.integers(rows), rng.integers(cols)] = True
    holes = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5]))
    excluded = rng.random((rows, cols)) < holes
    objects &= ~excluded
    whole = draw(st.booleans())
    sizes = st.sampled_from([1.0, 10.0, 30.0]) if whole else st.sampled_from([0.6, 3.7, 10.25])
    dx, dy = draw(sizes), draw(sizes)
    chunk = st.tuples(st.integers(1, rows + 3), st.integers(1, cols + 3))
    return objects, excluded, dx, dy, whole, draw(chunk), draw(chunk)


# -- distance against scipy -----------------------------------------------------------------------
@SETTINGS
@given(masks())
def test_distance_matches_scipy_for_any_chunking(case):
    objects, excluded, dx, dy, whole, chunks_a, chunks_b = case
    values = np.where(excluded, np.nan, objects.astype(np.float64))
    first = raster(values, dx=dx, dy=dy, chunks=chunks_a)
    got_a = distance(first).values
    got_b = distance(raster(values, dx=dx, dy=dy, chunks=chunks_b)).values
    assert_close(got_a, reference(objects, excluded, sampling(first)))
    if whole:
        np.testing.assert_array_equal(got_a, got_b)
    else:
        assert_close(got_b, got_a, rtol=1e-12)


@FEWER
@given(masks(max_side=24))
def test_valid_mask_excludes_like_nodata(case):
    objects, excluded, dx, dy, _, chunks, _ = case
    mask = raster(objects, dx=dx, dy=dy, chunks=chunks)
    valid = raster(~excluded, dx=dx, dy=dy, chunks=chunks, name="valid")
    got = distance(mask, valid=valid).values
    assert_close(got, reference(objects & ~excluded, excluded, sampling(mask)))


def test_numpy_mask_gives_the_same_as_dask():
    rng = np.random.default_rng(5)
    objects = ndimage.gaussian_filter(rng.random((90, 70)), 3) > 0.55
    from_numpy = distance(raster(objects)).values
    from_dask = distance(raster(objects, chunks=(11, 17))).values
    np.testing.assert_array_equal(from_numpy, from_dask)
    assert_close(from_numpy, reference(objects, np.zeros_like(objects), (10.0, 10.0)))


# -- adversarial layouts --------------------------------------------------------------------------
def test_single_pixel_in_a_corner_reaches_every_tile():
    objects = np.zeros((67, 83), bool)
    objects[0, 0] = True
    check_against_scipy(objects, chunkings=((7, 9), (67, 1), (1, 83), (5, 100)))
    check_against_scipy(objects[:13, :11], chunkings=((1, 1), (2, 3)))
    objects[:] = False
    objects[-1, -1] = True
    check_against_scipy(objects, dx=10.0, dy=30.0, chunkings=((7, 9), (3, 2)))


def test_objects_only_in_far_tiles():
    objects = np.zeros((64, 80), bool)
    objects[60:, 75:] = True
    objects[62, 3] = True  # and one far down on the left
    check_against_scipy(objects, dx=20.0, dy=10.0, chunkings=((8, 8), (5, 7), (64, 3)))


def test_spiral():
    n = 61
    objects = np.zeros((n, n), bool)
    top, left, bottom, right = 0, 0, n - 1, n - 1
    while top <= bottom and left <= right:
        objects[top, left:right + 1] = True
        objects[top:bottom + 1, right] = True
        if bottom - top >= 2:
            objects[bottom, left:right + 1] = True
        if right - left >= 2:
            objects[top + 2:bottom + 1, left] = True
        top, left, bottom, right = top + 2, left + 2, bottom - 2, right - 2
        if top <= bottom:
            objects[top - 1, left] = False  # open the next turn
    check_against_scipy(objects, chunkings=((8, 8), (13, 5), (2, 61)))


@pytest.mark.parametrize("period", [1, 2, 7])
def test_checkerboards(period):
    rows, cols = np.indices((48, 56))
    objects = ((rows // period + cols // period) % 2 == 0)
    check_against_scipy(objects, dx=10.0, dy=20.0, chunkings=((8, 8), (7, 9)))


def test_diagonal_lines_through_tile_corners():
    objects = np.zeros((64, 64), bool)
    idx = np.arange(64)
    objects[idx, idx] = True
    objects[idx[::3], 63 - idx[::3]] = True  # a dotted anti-diagonal
    check_against_scipy(objects, chunkings=((8, 8), (16, 16), (7, 7)))
    check_against_scipy(objects, dx=3.7, dy=0.6, chunkings=((8, 8),))


def test_long_carries_from_a_curved_edge():
    # One object per column, lower the further right: every tile row sees many left sites.
    objects = np.zeros((80, 90), bool)
    cols = np.arange(90)
    objects[(cols**2 // 110), cols] = True
    check_against_scipy(objects, chunkings=((9, 9), (80, 4), (3, 90)))
    check_against_scipy(objects[:, ::-1], dx=10.0, dy=40.0, chunkings=((9, 9),))


def test_empty_full_and_excluded_everywhere():
    shape = (20, 30)
    check_against_scipy(np.zeros(shape, bool))
    check_against_scipy(np.ones(shape, bool))
    nothing = raster(np.full(shape, np.nan), chunks=(7, 7))
    assert np.isnan(distance(nothing).values).all()


def test_no_objects_gives_inf_and_nan_on_excluded():
    values = np.zeros((10, 12))
    values[2:4, 5:9] = np.nan
    got = distance(raster(values, chunks=(3, 5))).values
    assert np.isnan(got[2:4, 5:9]).all()
    assert np.isinf(got[~np.isnan(values)]).all()


def test_excluded_pixels_do_not_block_paths():
    values = np.zeros((9, 9))
    values[:, 4] = np.nan  # a wall of nodata
    values[4, 0] = 1
    got = distance(raster(values, chunks=(4, 4))).values
    assert got[4, 8] == pytest.approx(80.0)
    assert np.isnan(got[:, 4]).all()


def test_zero_sized_chunks():
    objects = np.zeros((12, 10), bool)
    objects[9, 2] = True
    data = da.from_array(objects, chunks=(5, 4)).rechunk(((5, 0, 7), (4, 0, 6)))
    mask = raster(objects)
    mask = mask.copy(data=data)
    assert_close(distance(mask).values, reference(objects, np.zeros_like(objects), (10.0, 10.0)))


# -- min_distance and within_distance -------------------------------------------------------------
def brute_min_distance(a: np.ndarray, b: np.ndarray, dx: float, dy: float) -> float:
    pa, pb = np.argwhere(a) * [dy, dx], np.argwhere(b) * [dy, dx]
    if not len(pa) or not len(pb):
        return math.inf
    return float(cdist(pa, pb).min())


@FEWER
@given(st.integers(0, 2**32 - 1), st.integers(1, 16), st.integers(1, 16),
       st.sampled_from([0.0, 0.02, 0.1, 0.4]), st.sampled_from([(10.0, 10.0), (3.7, 12.0)]),
       st.tuples(st.integers(1, 9), st.integers(1, 9)))
def test_min_distance_matches_brute_force(seed, rows, cols, density, size, chunks):
    rng = np.random.default_rng(seed)
    a = rng.random((rows, cols)) < density
    b = rng.random((rows, cols)) < density
    dx, dy = size
    got = min_distance(raster(a, dx=dx, dy=dy, chunks=chunks),
                       raster(b, dx=dx, dy=dy, chunks=chunks[::-1], name="b"))
    dy_, dx_ = sampling(raster(a, dx=dx, dy=dy))
    want = brute_min_distance(a, b, dx_, dy_)
    assert isinstance(got, float)
    if math.isinf(want):
        assert got == math.inf
    else:
        assert got == pytest.approx(want, rel=RTOL, abs=0)


def test_min_distance_overlap_and_empty():
    a = np.zeros((6, 7), bool)
    b = np.zeros((6, 7), bool)
    a[1, 1] = b[1, 1] = True
    assert min_distance(raster(a), raster(b)) == 0.0
    assert min_distance(raster(a), raster(np.zeros_like(b))) == math.inf
    assert min_distance(raster(np.zeros_like(a)), raster(b)) == math.inf


def test_min_distance_across_many_tiles():
    a = np.zeros((70, 90), bool)
    b = np.zeros((70, 90), bool)
    a[2, 3] = True
    b[66, 85] = True
    got = min_distance(raster(a, chunks=(8, 8), dx=10.0, dy=20.0),
                       raster(b, chunks=(8, 8), dx=10.0, dy=20.0))
    assert got == pytest.approx(math.hypot(64 * 20.0, 82 * 10.0), rel=RTOL)


@FEWER
@given(st.integers(0, 2**32 - 1), st.integers(2, 30), st.integers(2, 30),
       st.floats(0.0, 300.0), st.sampled_from([(10.0, 10.0), (3.7, 12.0)]),
       st.tuples(st.integers(1, 12), st.integers(1, 12)), st.booleans())
def test_within_distance_matches_thresholded_scipy(seed, rows, cols, limit, size, chunks, holes):
    rng = np.random.default_rng(seed)
    a = rng.random((rows, cols)) < 0.3
    b = rng.random((rows, cols)) < 0.05
    excluded = (rng.random((rows, cols)) < 0.2) if holes else np.zeros((rows, cols), bool)
    dx, dy = size
    mask_a = raster(np.where(excluded, np.nan, a.astype(float)), dx=dx, dy=dy, chunks=chunks)
    got = within_distance(mask_a, raster(b, dx=dx, dy=dy, name="b"), limit)
    assert got.dtype == bool and got.data.chunks == mask_a.data.chunks
    ref = reference(b, np.zeros_like(b), sampling(mask_a))
    want = a & ~excluded & (ref <= limit)
    ambiguous = np.isclose(ref, limit, rtol=RTOL, atol=0)  # a tie with the limit, to rounding
    np.testing.assert_array_equal(got.values[~ambiguous], want[~ambiguous])


def test_within_distance_zero_keeps_the_overlap():
    a = np.zeros((5, 5), bool)
    b = np.zeros((5, 5), bool)
    a[1:3, 1:3] = True
    b[2:4, 2:4] = True
    got = within_distance(raster(a), raster(b), 0).values
    np.testing.assert_array_equal(got, a & b)


# -- bad input ------------------------------------------------------------------------------------
def geographic(values):
    return as_raster(values, crs="EPSG:4326", resolution=0.001, origin=(6.5, 46.6))


def test_geographic_crs_is_measured_in_metres_and_too_large_a_span_refused():
    # tests/ops/test_geographic.py checks the values against pyproj.Geod
    mask = geographic(np.eye(4, dtype=bool))
    assert distance(mask).values[0, 1] == pytest.approx(0.001 * 111_320 * math.cos(
        math.radians(46.5995)), rel=0.01)
    assert min_distance(mask, mask) == 0.0
    wide = as_raster(np.eye(40, dtype=bool), crs="EPSG:4326", resolution=0.1, origin=(6, 70))
    with pytest.raises(CRSError, match="off by up to"):
        distance(wide)
    corner = np.zeros((40, 40), bool)
    corner[0, 0] = True
    with pytest.raises(CRSError, match="reproject"):
        min_distance(as_raster(corner, crs="EPSG:4326", resolution=0.1, origin=(6, 70)),
                     as_raster(corner[::-1, ::-1], crs="EPSG:4326", resolution=0.1,
                               origin=(6, 70)))
    with pytest.raises(CRSError):
        within_distance(wide, wide, 200_000.0)


@pytest.mark.parametrize("bad", [-1.0, -1e-9, math.nan, math.inf, "far"])
def test_bad_distance_is_refused(bad):
    mask = raster(np.eye(4, dtype=bool))
    with pytest.raises(InvalidOptionError, match="pass a finite number of metres"):
        within_distance(mask, mask, bad)


def test_different_grids_are_refused():
    a = raster(np.eye(4, dtype=bool))
    b = raster(np.eye(4, dtype=bool), dx=20.0, dy=20.0)
    with pytest.raises(GridMismatchError):
        min_distance(a, b)
    with pytest.raises(GridMismatchError):
        within_distance(a, b, 5.0)
    with pytest.raises(GridMismatchError):
        min_distance(a, raster(np.eye(5, dtype=bool)))


@pytest.mark.parametrize("values", [np.array([[0, 1], [2, 1]]), np.array([[0.5, 1.0], [0, 1]])])
def test_non_boolean_masks_are_refused(values):
    with pytest.raises(MaskError):
        distance(raster(values)).compute()
    with pytest.raises(MaskError):
        min_distance(raster(values), raster(values > 0))


def test_non_dataarray_is_refused():
    with pytest.raises(MaskError, match="DataArray"):
        distance(np.eye(3, dtype=bool))


# -- laziness, output shape and graph size --------------------------------------------------------
def _refuse_compute(*args, **kwargs):
    raise AssertionError("the operator computed something before being asked to")


def test_output_is_lazy_chunked_and_georeferenced():
    objects = np.zeros((40, 50), bool)
    objects[5, 7] = True
    mask = raster(objects, chunks=(16, 20))
    mask.attrs["source"] = "test"
    with dask.config.set(scheduler=_refuse_compute):
        out = distance(mask)
        near = within_distance(mask, mask, 100.0)
        to_mask = distance_to(prepare_mask(mask))
    assert isinstance(out.data, da.Array) and isinstance(near.data, da.Array)
    assert out.data.chunks == mask.data.chunks == near.data.chunks == to_mask.chunks
    assert out.dtype == np.float64 and near.dtype == bool
    assert out.rio.crs == mask.rio.crs and near.rio.crs == mask.rio.crs
    assert out.attrs["units"] == "m" and out.attrs["source"] == "test"
    np.testing.assert_array_equal(out.x, mask.x)
    np.testing.assert_array_equal(out.y, mask.y)
    assert out.rio.transform() == mask.rio.transform()


def test_numpy_masks_are_split_into_row_bands_written_into_one_array(monkeypatch):
    from geoquant.ops import _mask

    monkeypatch.setattr(_mask, "MIN_BAND_PIXELS", 1000)  # small bands, so seams are crossed
    monkeypatch.setattr(_mask.os, "cpu_count", lambda: 3)
    rng = np.random.default_rng(11)
    objects = rng.random((4200, 37)) < 0.002  # three tiles: carries cross two seams
    excluded = rng.random(objects.shape) < 0.05
    objects &= ~excluded
    values = np.where(excluded, np.nan, objects.astype(np.float64))
    assert prepare_mask(raster(values)).chunks == ((1400, 1400, 1400), (37,))
    out = distance(raster(values, dx=10.0, dy=30.0))
    assert isinstance(out.data, np.ndarray) and out.data.flags.c_contiguous
    want = reference(objects, excluded, (30.0, 10.0))
    assert_close(out.values, want)
    lazy = distance(raster(values, dx=10.0, dy=30.0, chunks=(2048, 37))).values
    np.testing.assert_array_equal(out.values, lazy)


def test_graph_grows_linearly_and_no_task_gathers():
    ntiles = 64
    mask = raster(np.random.default_rng(0).random((64, 64)) < 0.05, chunks=(8, 8))
    out = distance(mask)
    graph = out.data.__dask_graph__()
    assert len(graph) < 40 * ntiles
    deps = graph.to_dict() if hasattr(graph, "to_dict") else dict(graph)
    from dask.core import get_dependencies

    widest = max(len(get_dependencies(deps, key)) for key in deps)
    assert widest <= 7  # a tile, its two column carries and two row carries at most
    # and doubling the tiles doubles the graph
    bigger = distance(raster(np.zeros((128, 64), bool), chunks=(8, 8))).data.__dask_graph__()
    assert len(bigger) <= 2 * len(graph) + 4


def test_min_distance_reduces_per_tile():
    a = raster(np.eye(32, dtype=bool), chunks=(8, 8))
    assert min_distance(a, a) == 0.0
    b = np.zeros((32, 32), bool)
    b[31, 0] = True
    assert min_distance(a, raster(b, chunks=(8, 8))) == pytest.approx(10 * math.sqrt(481))


def test_rows_split_over_spare_cores_give_the_same(monkeypatch):
    from geoquant.ops import _distance

    rng = np.random.default_rng(3)
    objects = ndimage.gaussian_filter(rng.random((700, 45)), 4) > 0.56
    mask = raster(objects, chunks=(700, 45))  # one tile (in-memory masks get row bands)
    monkeypatch.setattr(_distance.os, "cpu_count", lambda: 1)
    alone = distance(mask).values
    from geoquant.ops.kernels import edt

    calls = []
    kernel = edt.distance_tile

    def counted(*args):
        calls.append(args[-3:-1])
        return kernel(*args)

    monkeypatch.setattr(edt, "distance_tile", counted)
    monkeypatch.setattr(_distance.os, "cpu_count", lambda: 3)
    split = distance(mask).values  # 700 rows: two bands of at least 256 rows
    assert sorted(calls) == [(0, 350), (350, 700)]
    np.testing.assert_array_equal(split, alone)
    assert_close(split, reference(objects, np.zeros_like(objects), (10.0, 10.0)))
