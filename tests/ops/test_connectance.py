"""Connectance (FRAGSTATS CONNECT) on the cell grid equals the whole-array reference.

The reference labels the whole array with ``scipy.ndimage.label`` and measures every pair of
patch pixels (cell centre to cell centre, ``cdist``): pylandstats has no connectance, and
this is the definition in :mod:`geoquant.ops._landscape`. Thresholds are taken among the
pair distances themselves, so the inclusive ``<=`` is exercised exactly at equality.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from scipy.spatial.distance import cdist

import geoquant as gq
from geoquant.ops import _neighbours
from geoquant.testing.rasters import as_raster

da = pytest.importorskip("dask.array")


def reference_distances(mask: np.ndarray, connectivity: int, dx: float, dy: float):
    """Patch-to-patch distances (m) over every pixel pair of the whole array."""
    structure = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    labels, n = ndimage.label(mask, structure)
    if dx == dy:  # pixel units times the pixel size, as pylandstats and the k-d tree
        points = [np.argwhere(labels == i).astype(float) for i in range(1, n + 1)]
        scale = dx
    else:
        points = [np.argwhere(labels == i) * np.array([dy, dx]) for i in range(1, n + 1)]
        scale = 1.0
    distances = np.full((n, n), np.inf)
    for i in range(n):
        for j in range(i + 1, n):
            distances[i, j] = distances[j, i] = cdist(points[i], points[j]).min() * scale
    return distances


def reference_connectance(distances: np.ndarray, threshold_m: float) -> float:
    n = distances.shape[0]
    if n < 2:
        return float("nan")
    return np.count_nonzero(np.triu(distances <= threshold_m, 1)) / (n * (n - 1) / 2) * 100


def landscape(seed: int, shape=(48, 64)) -> tuple[np.ndarray, np.ndarray]:
    """Blobs of several sizes and a nodata stripe with holes (class mask, valid mask)."""
    rng = np.random.default_rng(seed)
    mask = ndimage.gaussian_filter(rng.random(shape), 1.2) > 0.56
    mask |= rng.random(shape) < 0.01  # single pixels
    valid = np.ones(shape, bool)
    valid[:, shape[1] // 3] = False  # a nodata column between patches
    valid[rng.random(shape) < 0.03] = False
    return mask & valid, valid


def fragmentation_connectance(mask, valid, threshold_m, chunks, connectivity=8,
                              resolution=10.0, say=None):
    got = gq.ops.fragmentation(as_raster(mask, chunks=chunks, resolution=resolution),
                               valid=as_raster(valid, chunks=chunks, resolution=resolution),
                               connectivity=connectivity, connectance_m=threshold_m, say=say)
    return got["connectance"]


@pytest.fixture(params=["grid", "grid-to-1px", "tree-finish"])
def search(request, monkeypatch):
    """The default search, the cell grid refined down to 1-pixel cells, and a coarse grid
    finished by the k-d tree at once."""
    if request.param == "grid-to-1px":
        monkeypatch.setattr(_neighbours, "GRID_STEPS", 1)
        monkeypatch.setattr(_neighbours, "TREE_POINTS", 0)
    elif request.param == "tree-finish":
        monkeypatch.setattr(_neighbours, "GRID_STEPS", 1)
        monkeypatch.setattr(_neighbours, "TREE_POINTS", 1 << 30)
    return request.param


def joined_on_grid(mask, connectivity, dx, dy, threshold_m, chunks=7) -> list[int]:
    """Joined pairs at each of ``threshold_m`` from the edge points of the whole-array labels
    (tiles of ``chunks``)."""
    structure = ndimage.generate_binary_structure(2, 2 if connectivity == 8 else 1)
    labels, n = ndimage.label(mask, structure)
    rows, cols, ids = _neighbours.edge_points(da.from_array(labels, chunks=chunks))
    enn = _neighbours.nearest_neighbour_distances(rows, cols, ids, n, dx=dx, dy=dy)
    return [_neighbours.joined_pairs(rows, cols, ids, n, dx=dx, dy=dy, threshold_m=t, enn_m=enn)
            for t in threshold_m]


def reference_joined(distances: np.ndarray, threshold_m: float) -> int:
    return int(np.count_nonzero(np.triu(distances <= threshold_m, 1)))


def thresholds(distances: np.ndarray, step: float) -> list[float]:
    """Exactly at pair distances (inclusive), just below one, and long reaches."""
    finite = np.unique(distances[np.isfinite(distances)])
    assert finite.size > 10
    picks = [finite[2], finite[len(finite) // 4], finite[len(finite) // 2]]
    return [float(t) for t in picks] + [float(np.nextafter(finite[3], 0)), 15 * step,
                                        26 * step]


@pytest.mark.parametrize("seed,connectivity", [(1, 8), (2, 4), (4, 8)])
def test_joined_pairs_identical_to_whole_array_reference(search, seed, connectivity):
    mask, _ = landscape(seed)
    distances = reference_distances(mask, connectivity, 10.0, 10.0)
    picks = thresholds(distances, 10.0)
    assert joined_on_grid(mask, connectivity, 10.0, 10.0, picks) == \
        [reference_joined(distances, t) for t in picks]


@pytest.mark.parametrize("chunks", [None, 7, (5, 13), (16, 9)])
def test_fragmentation_connectance_identical_at_any_chunking(chunks):
    mask, valid = landscape(1)
    distances = reference_distances(mask, 8, 10.0, 10.0)
    for threshold in thresholds(distances, 10.0)[1::3]:
        got = fragmentation_connectance(mask, valid, threshold, chunks)
        assert got == reference_connectance(distances, threshold), threshold


@pytest.mark.parametrize("resolution", [(10.0, 25.0), (3.0, 7.5)])
def test_connectance_on_non_square_pixels(search, resolution):
    mask, _ = landscape(5, shape=(40, 44))
    dx, dy = resolution
    distances = reference_distances(mask, 8, dx, dy)
    picks = thresholds(distances, max(dx, dy))
    assert joined_on_grid(mask, 8, dx, dy, picks, chunks=(9, 11)) == \
        [reference_joined(distances, t) for t in picks]


def test_adversarial_shapes(search):
    # Two long patches exactly 5 px apart, one 3-4-5 diagonal pair, diagonal contacts, and
    # patches across a nodata column (distances run through nodata).
    mask = np.zeros((30, 40), bool)
    valid = np.ones_like(mask)
    mask[2, 2:30] = True
    mask[7, 2:30] = True  # 50 m below the first
    mask[12, 2] = True
    mask[15, 6] = True  # (3, 4) from (12, 2): 50 m
    mask[20, 20] = mask[21, 21] = mask[22, 22] = True  # diagonal chain
    valid[:, 33] = False
    mask[25, 30:33] = True
    mask[25, 34:37] = True  # 20 m apart across nodata
    for connectivity in (8, 4):
        distances = reference_distances(mask, connectivity, 10.0, 10.0)
        picks = [50.0, float(np.nextafter(50.0, 0)), 20.0, float(np.sqrt(2) * 10), 14.0, 500.0]
        for chunks in (3, (2, 5)):
            assert joined_on_grid(mask, connectivity, 10.0, 10.0, picks, chunks) == \
                [reference_joined(distances, t) for t in picks], (connectivity, chunks)
        got = fragmentation_connectance(mask, valid, 50.0, 3, connectivity)
        assert got == reference_connectance(distances, 50.0)


def test_connectance_prints_progress_lines():
    mask, valid = landscape(3)
    lines: list[str] = []
    got = fragmentation_connectance(mask, valid, 200.0, 16, say=lines.append)
    distances = reference_distances(mask, 8, 10.0, 10.0)
    assert got == reference_connectance(distances, 200.0)
    assert any(line.startswith("connectance: cells of") for line in lines), lines
    assert lines[-1].startswith("fragmentation: distance metrics done"), lines
