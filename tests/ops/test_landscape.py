"""Class-level landscape metrics against pylandstats, and their tile drivers across chunkings.

Per-patch statistics come from ``scipy.ndimage`` on the whole array (the cross-tile merge is
tested elsewhere); the edge and nearest-neighbour drivers run on several chunkings. pylandstats
gets the same 2-class landscape: class 1, background 2, nodata 255.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial.distance import cdist

from geoquant.errors import InvalidOptionError
from geoquant.ops import _neighbours
from geoquant.ops._edges import class_edges
from geoquant.ops._landscape import (
    METRIC_NAMES,
    PYLANDSTATS_NAMES,
    class_metrics,
    patch_moments,
)
from geoquant.ops._mask import prepare_mask
from geoquant.ops._neighbours import (
    edge_points,
    joined_pairs,
    nearest_neighbour_distances,
    patch_neighbours,
)
from geoquant.ops.kernels.edges import object_background_faces
from geoquant.testing.rasters import as_raster

pls = pytest.importorskip("pylandstats")
da = pytest.importorskip("dask.array")

RTOL = 1e-9
CHUNKINGS = [None, (37, 41), (16, 100), (9, 13)]
PYLANDSTATS_METHODS = {theirs: ours for ours, theirs in PYLANDSTATS_NAMES.items()}


# -- inputs ----------------------------------------------------------------------------------
def blobs(seed: int, shape: tuple[int, int] = (120, 150), *, sigma: float = 2.0,
          level: float = 0.53, nodata: float = 0.05) -> np.ndarray:
    """Tile codes: smooth random blobs (1) on background (0), scattered and a block of 2."""
    rng = np.random.default_rng(seed)
    codes = (ndimage.gaussian_filter(rng.random(shape), sigma) > level).astype(np.uint8)
    codes[rng.random(shape) < nodata] = 2
    codes[: shape[0] // 6, : shape[1] // 5] = 2
    return codes


def lausanne(shared_data, cls: int) -> tuple[np.ndarray, float]:
    """Codes for one class of the real Lausanne land-use map (nodata 255 excluded)."""
    rasterio = pytest.importorskip("rasterio")
    with rasterio.open(shared_data / "real" / "lausanne-landuse" / "ls100_06.tif") as src:
        values = src.read(1)
        res = float(src.res[0])
    codes = np.where(values == 255, 2, values == cls).astype(np.uint8)
    return codes, res


def raster(codes: np.ndarray, resolution, chunks=None, crs: str = "EPSG:32633"):
    values = np.where(codes == 2, np.nan, codes.astype(np.float64))
    return as_raster(values, resolution=resolution, chunks=chunks, crs=crs)


def reference_patches(codes: np.ndarray, connectivity: int, dx: float, dy: float):
    """Labels and exact per-patch statistics of the whole array (scipy)."""
    structure = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    labels, n = ndimage.label(codes == 1, structure)
    cells = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    padded = np.pad(labels, 1)
    faces_x = np.zeros(n + 1, np.int64)
    faces_y = np.zeros(n + 1, np.int64)
    for faces, (a, b) in ((faces_x, (padded[1:, :], padded[:-1, :])),
                          (faces_y, (padded[:, 1:], padded[:, :-1]))):
        differ = a != b
        np.add.at(faces, a[differ], 1)
        np.add.at(faces, b[differ], 1)
    patches = {"cells": cells, "area_m2": cells * (dx * dy),
               "perimeter_faces": (faces_x + faces_y)[1:],
               "perimeter_m": (faces_x * dx + faces_y * dy)[1:]}
    return labels, n, patches


def landscape(codes: np.ndarray, dx: float, dy: float, connectivity: int = 8):
    values = np.where(codes == 1, 1, np.where(codes == 0, 2, 255)).astype(np.uint8)
    return pls.Landscape(values, res=(dx, dy), nodata=255, neighborhood_rule=str(connectivity))


def pylandstats_metrics(codes, dx, dy, connectivity) -> dict[str, float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        frame = landscape(codes, dx, dy, connectivity).compute_class_metrics_df(
            metrics=list(PYLANDSTATS_METHODS), classes=[1])
    return {ours: float(frame.loc[1, theirs]) for theirs, ours in PYLANDSTATS_METHODS.items()}


def our_metrics(codes, connectivity, dx, dy, chunks, threshold_m=None):
    prepared = prepare_mask(raster(codes, (dx, dy), chunks))
    geometry = prepared.geometry
    labels, n, patches = reference_patches(codes, connectivity, geometry.dx, geometry.dy)
    edges = class_edges(prepared)
    neighbours = patch_neighbours(da.from_array(labels, chunks=chunks or labels.shape),
                                  geometry, n_patches=n, threshold_m=threshold_m)
    valid = int(np.count_nonzero(codes != 2))
    metrics = class_metrics(patch_moments(patches), valid_cells=valid,
                            valid_area_m2=valid * (geometry.dx * geometry.dy),
                            total_edge_m=edges["total_edge_m"], enn_m=neighbours.enn_m,
                            joined_pairs=neighbours.joined_pairs)
    return metrics, geometry


def assert_same(ours: float, theirs: float, name: str) -> None:
    if isinstance(theirs, float) and math.isnan(theirs):
        assert math.isnan(ours), name
    else:
        assert ours == pytest.approx(theirs, rel=RTOL, abs=0), name


def brute_distances(labels: np.ndarray, n: int, dx: float, dy: float) -> np.ndarray:
    """Patch-to-patch distances between cell centres, m, from every pixel pair."""
    points = [np.argwhere(labels == i) * np.array([dy, dx]) for i in range(1, n + 1)]
    distances = np.full((n, n), np.inf)
    for i in range(n):
        for j in range(i + 1, n):
            distances[i, j] = distances[j, i] = cdist(points[i], points[j]).min()
    return distances


def reference_edge(codes: np.ndarray, length_x: np.ndarray, length_y: np.ndarray) -> float:
    """Object|background faces of the whole array weighed by per-row lengths, m."""
    pair = {(0, 1), (1, 0)}
    below = np.array([[(a, b) in pair for a, b in zip(r0, r1, strict=True)]
                      for r0, r1 in zip(codes[:-1], codes[1:], strict=True)])
    right = np.array([[(a, b) in pair for a, b in zip(row[:-1], row[1:], strict=True)]
                      for row in codes])
    return float(below.sum(axis=1) @ length_x[1:-1] + right.sum(axis=1) @ length_y)


# -- the edge kernel and its driver ------------------------------------------------------------
def test_kernel_counts_each_core_face_once():
    rng = np.random.default_rng(3)
    padded = rng.integers(0, 4, (23, 31)).astype(np.uint8)
    faces_x, faces_y = object_background_faces(padded)
    core = padded[1:-1, 1:-1]
    below = padded[2:, 1:-1]
    right = padded[1:-1, 2:]

    def edge(a, b):
        return ((a == 1) & (b == 0)) | ((a == 0) & (b == 1))

    np.testing.assert_array_equal(faces_x, edge(core, below).sum(axis=1))
    np.testing.assert_array_equal(faces_y, edge(core, right).sum(axis=1))
    assert faces_x.dtype == np.int64 and faces_y.dtype == np.int64


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_class_edges_any_chunking_matches_pylandstats(chunks):
    codes = blobs(1)
    expected = class_edges(prepare_mask(raster(codes, 10.0)))
    got = class_edges(prepare_mask(raster(codes, 10.0, chunks)))
    assert got == expected
    assert type(got["faces_x"]) is int and type(got["total_edge_m"]) is float
    assert got["total_edge_m"] == landscape(codes, 10.0, 10.0).total_edge(class_val=1)


def test_class_edges_ignore_nodata_and_raster_boundary():
    codes = np.array([[1, 1, 2],
                      [1, 0, 1],
                      [2, 1, 1]], np.uint8)
    # 1|0 faces: (0,1)-(1,1), (1,0)-(1,1), (1,1)-(1,2), (1,1)-(2,1)
    edges = class_edges(prepare_mask(raster(codes, 10.0, chunks=(1, 1))))
    assert edges == {"faces_x": 2, "faces_y": 2, "total_edge_m": 40.0}
    full = np.ones((4, 5), np.uint8)
    assert class_edges(prepare_mask(raster(full, 10.0, chunks=2)))["total_edge_m"] == 0.0


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_class_edges_anisotropic_pixels(chunks):
    codes = blobs(2, (60, 70))
    dx, dy = 10.0, 30.0
    got = class_edges(prepare_mask(raster(codes, (dx, dy), chunks)))
    expected = reference_edge(codes, np.full(codes.shape[0] + 1, dx), np.full(codes.shape[0], dy))
    assert got["total_edge_m"] == pytest.approx(expected, rel=RTOL)
    # pylandstats weighs horizontally adjacent pairs by the cell width: ours is its TE with
    # the two pixel lengths swapped (see geoquant.ops._landscape).
    assert got["total_edge_m"] == landscape(codes, dy, dx).total_edge(class_val=1)
    assert landscape(codes, dx, dy).total_edge(class_val=1) != pytest.approx(got["total_edge_m"])


@pytest.mark.parametrize("chunks", [None, (13, 17), (40, 3)])
def test_class_edges_geographic_grid(chunks):
    codes = blobs(4, (50, 60))
    array = raster(codes, 0.01, chunks, crs="EPSG:4326")
    prepared = prepare_mask(array)
    geometry = prepared.geometry
    rows = codes.shape[0]
    expected = reference_edge(codes, geometry.edge_x(0, rows), geometry.edge_y(0, rows))
    got = class_edges(prepared)
    assert got["total_edge_m"] == pytest.approx(expected, rel=RTOL)
    whole = class_edges(prepare_mask(raster(codes, 0.01, None, crs="EPSG:4326")))
    assert (got["faces_x"], got["faces_y"]) == (whole["faces_x"], whole["faces_y"])


# -- class metrics against pylandstats ---------------------------------------------------------
@pytest.mark.parametrize("connectivity", [8, 4])
@pytest.mark.parametrize("seed", [1, 7])
def test_class_metrics_match_pylandstats_on_blobs(seed, connectivity):
    codes = blobs(seed)
    expected = pylandstats_metrics(codes, 10.0, 10.0, connectivity)
    for chunks in CHUNKINGS:
        got, _ = our_metrics(codes, connectivity, 10.0, 10.0, chunks)
        assert set(got) == set(METRIC_NAMES)
        for name, value in expected.items():
            assert_same(got[name], value, f"{name} chunks={chunks}")
        assert type(got["number_of_patches"]) is int
        assert got["number_of_patches"] == expected["number_of_patches"]


@pytest.mark.parametrize(("cls", "connectivity"), [(12, 8), (12, 4), (25, 8), (2, 4)])
def test_class_metrics_match_pylandstats_on_lausanne(shared_data, cls, connectivity):
    codes, res = lausanne(shared_data, cls)
    for chunks in (None, (64, 100)):
        got, geometry = our_metrics(codes, connectivity, res, res, chunks)
        expected = pylandstats_metrics(codes, geometry.dx, geometry.dy, connectivity)
        for name, value in expected.items():
            assert_same(got[name], value, f"{name} class {cls} chunks={chunks}")


def test_anisotropic_area_metrics_match_pylandstats():
    codes = blobs(5, (80, 90))
    dx, dy = 10.0, 25.0
    expected = pylandstats_metrics(codes, dx, dy, 8)
    got, _ = our_metrics(codes, 8, dx, dy, (30, 30))
    # pylandstats measures TE and ENN differently for non-square pixels (module docstring).
    for name in ("number_of_patches", "patch_density", "largest_patch_index", "area_mn",
                 "effective_mesh_size", "proportion_of_landscape", "total_area"):
        assert_same(got[name], expected[name], name)
    swapped = pylandstats_metrics(codes, dy, dx, 8)
    assert got["total_edge"] == pytest.approx(swapped["total_edge"], rel=RTOL)
    assert got["edge_density"] == pytest.approx(swapped["edge_density"], rel=RTOL)


@pytest.mark.parametrize("connectivity", [8, 4])
@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_enn_per_patch_identical_to_pylandstats(chunks, connectivity):
    codes = blobs(11)
    labels, n, _ = reference_patches(codes, connectivity, 10.0, 10.0)
    geometry = prepare_mask(raster(codes, 10.0)).geometry
    got = patch_neighbours(da.from_array(labels, chunks=chunks or labels.shape), geometry,
                           n_patches=n).enn_m
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = landscape(codes, 10.0, 10.0, connectivity).euclidean_nearest_neighbor(
            class_val=1)
    np.testing.assert_array_equal(got, np.asarray(expected))


def reference_edge_points(labels: np.ndarray, n: int) -> np.ndarray:
    """Edge pixels from scipy: each patch minus its 4-erosion, the raster's outside in it."""
    cross = ndimage.generate_binary_structure(2, 1)
    edge = np.zeros(labels.shape, bool)
    for patch in range(1, n + 1):
        inside = labels == patch
        edge |= inside & ~ndimage.binary_erosion(inside, cross, border_value=1)
    return np.argwhere(edge)  # row-major: sorted by row, then column


@pytest.mark.parametrize("chunks", CHUNKINGS)
def test_edge_points_equal_scipy_erosion_for_any_chunking(chunks):
    labels, n, _ = reference_patches(blobs(12), 8, 1.0, 1.0)
    rows, cols, ids = edge_points(da.from_array(labels, chunks=chunks or labels.shape))
    expected = reference_edge_points(labels, n)
    np.testing.assert_array_equal(np.column_stack([rows, cols]), expected)
    np.testing.assert_array_equal(ids, labels[expected[:, 0], expected[:, 1]])


# -- nearest neighbours and connectance, exact -------------------------------------------------
@pytest.mark.parametrize("isolated", [False, True])
def test_enn_and_connectance_equal_brute_force(monkeypatch, isolated):
    finished = []
    if isolated:  # force the per-patch finish for every pending point
        monkeypatch.setattr(_neighbours, "FIRST_K", 2)
        monkeypatch.setattr(_neighbours, "MAX_K", 2)
        finish = _neighbours._finish_isolated
        monkeypatch.setattr(_neighbours, "_finish_isolated",
                            lambda *args: finished.append(1) or finish(*args))
    rng = np.random.default_rng(21)
    for trial in range(15):
        shape = tuple(int(s) for s in rng.integers(6, 36, 2))
        if trial % 3 == 0:
            mask = rng.random(shape) < rng.uniform(0.05, 0.4)
        elif trial % 3 == 1:
            mask = ndimage.gaussian_filter(rng.random(shape), 1.5) > 0.55
        else:  # a big patch, one far corner pixel, a small patch by the edge
            mask = np.zeros(shape, bool)
            mask[: shape[0] // 2, : shape[1] // 2] = True
            mask[-1, -1] = True
            mask[-2:, :2] = True
        connectivity = (8, 4)[trial % 2]
        dx, dy = [(10.0, 10.0), (10.0, 25.0), (3.0, 7.5)][trial % 3]
        structure = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
        labels, n = ndimage.label(mask, structure)
        if n < 2:
            continue
        distances = brute_distances(labels, n, dx, dy)
        threshold = float(np.median(distances.min(axis=1)))
        chunks = (int(rng.integers(1, 9)), int(rng.integers(1, 9)))
        rows, cols, ids = edge_points(da.from_array(labels, chunks=chunks))
        enn = nearest_neighbour_distances(rows, cols, ids, n, dx=dx, dy=dy)
        np.testing.assert_allclose(enn, distances.min(axis=1), rtol=1e-12)
        joined = joined_pairs(rows, cols, ids, n, dx=dx, dy=dy, threshold_m=threshold,
                              enn_m=enn)
        assert joined == int(np.count_nonzero(np.triu(distances <= threshold, 1)))
        assert joined == joined_pairs(rows, cols, ids, n, dx=dx, dy=dy, threshold_m=threshold)
    assert bool(finished) == isolated


def test_connectance_threshold_is_inclusive():
    mask = np.zeros((3, 12), bool)
    mask[1, [0, 3, 6, 11]] = True  # gaps of 30, 30 and 50 m between centres
    labels, n = ndimage.label(mask)
    geometry = prepare_mask(as_raster(mask, resolution=10.0)).geometry
    lazy = da.from_array(labels, chunks=(2, 5))
    result = patch_neighbours(lazy, geometry, n_patches=n, threshold_m=30.0)
    np.testing.assert_array_equal(result.enn_m, [30.0, 30.0, 30.0, 50.0])
    assert result.joined_pairs == 2
    assert patch_neighbours(lazy, geometry, threshold_m=29.999).joined_pairs == 0
    assert patch_neighbours(lazy, geometry, threshold_m=60.0).joined_pairs == 4
    cells = np.ones(n, np.int64)
    moments = patch_moments({"cells": cells, "area_m2": cells * 100.0,
                             "perimeter_faces": cells * 4})
    metrics = class_metrics(moments, valid_cells=36, valid_area_m2=3600.0, total_edge_m=160.0,
                            enn_m=result.enn_m, joined_pairs=result.joined_pairs)
    assert metrics["connectance"] == pytest.approx(100 * 2 / 6, rel=RTOL)
    assert metrics["enn_mn"] == 35.0


def test_neighbours_on_geographic_grids_are_geodesic_and_bad_thresholds_refused():
    from pyproj import Geod

    labels = da.from_array(np.array([[1, 0, 2]]), chunks=1)
    geographic = prepare_mask(as_raster(np.ones((1, 3), bool), resolution=0.1,
                                        crs="EPSG:4326", origin=(10.0, 70.0))).geometry
    _, _, apart = Geod(ellps="WGS84").inv(10.05, 69.95, 10.25, 69.95)
    found = patch_neighbours(labels, geographic, threshold_m=apart * (1 + 1e-6))
    np.testing.assert_allclose(found.enn_m, [apart, apart], rtol=1e-7)
    assert found.joined_pairs == 1
    assert patch_neighbours(labels, geographic, threshold_m=apart * (1 - 1e-6)).joined_pairs == 0
    projected = prepare_mask(as_raster(np.ones((1, 3), bool))).geometry
    for bad in (-1.0, math.nan, math.inf, "far"):
        with pytest.raises(InvalidOptionError, match="threshold_m"):
            patch_neighbours(labels, projected, threshold_m=bad)


# -- cohesion and edge cases -------------------------------------------------------------------
def test_cohesion_follows_fragstats():
    codes = blobs(8)
    _, n, patches = reference_patches(codes, 8, 10.0, 10.0)
    valid = int(np.count_nonzero(codes != 2))
    metrics = class_metrics(patch_moments(patches), valid_cells=valid,
                            valid_area_m2=valid * 100.0, total_edge_m=0.0)
    # FRAGSTATS' formula on pylandstats' own patch perimeters and areas
    ls = landscape(codes, 10.0, 10.0)
    perimeter = np.asarray(ls.perimeter(class_val=1)) / 10.0
    cells = np.asarray(ls.area(class_val=1, hectares=False)) / 100.0
    expected = ((1 - perimeter.sum() / (perimeter * np.sqrt(cells)).sum())
                / (1 - 1 / np.sqrt(valid)) * 100)
    assert metrics["patch_cohesion_index"] == pytest.approx(expected, rel=RTOL)
    assert 0 < metrics["patch_cohesion_index"] < 100


def test_cohesion_bounds():
    # one patch filling a square landscape: the maximum, 100
    full = np.ones((9, 9), np.uint8)
    _, _, patches = reference_patches(full, 8, 10.0, 10.0)
    metrics = class_metrics(patch_moments(patches), valid_cells=81, valid_area_m2=8100.0,
                            total_edge_m=0.0)
    assert metrics["patch_cohesion_index"] == pytest.approx(100.0, rel=RTOL)
    # single-cell patches: 0
    dots = np.zeros((9, 9), np.uint8)
    dots[::2, ::2] = 1
    _, _, patches = reference_patches(dots, 4, 10.0, 10.0)
    metrics = class_metrics(patch_moments(patches), valid_cells=81, valid_area_m2=8100.0,
                            total_edge_m=0.0)
    assert metrics["patch_cohesion_index"] == 0.0


def test_empty_class_and_single_patch():
    codes = np.zeros((20, 30), np.uint8)
    codes[:5, :5] = 2
    empty, _ = our_metrics(codes, 8, 10.0, 10.0, (7, 9), threshold_m=100.0)
    for name in ("number_of_patches", "patch_density", "largest_patch_index", "total_edge",
                 "edge_density", "effective_mesh_size", "proportion_of_landscape",
                 "total_area"):
        assert empty[name] == 0, name
    for name in ("area_mn", "enn_mn", "patch_cohesion_index", "connectance"):
        assert math.isnan(empty[name]), name

    codes[8:12, 10:20] = 1
    single, _ = our_metrics(codes, 8, 10.0, 10.0, (7, 9), threshold_m=100.0)
    expected = pylandstats_metrics(codes, 10.0, 10.0, 8)
    for name, value in expected.items():
        assert_same(single[name], value, name)
    assert math.isnan(single["enn_mn"]) and math.isnan(single["connectance"])
    assert single["number_of_patches"] == 1 and single["area_mn"] == 0.4


def test_no_valid_cells_give_nan_ratios():
    moments = patch_moments({"cells": np.zeros(0, np.int64), "area_m2": np.zeros(0),
                             "perimeter_faces": np.zeros(0, np.int64)})
    metrics = class_metrics(moments, valid_cells=0, valid_area_m2=0.0, total_edge_m=0.0)
    assert metrics["number_of_patches"] == 0
    assert math.isnan(metrics["patch_density"]) and math.isnan(metrics["edge_density"])
