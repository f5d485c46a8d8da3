"""The dense labelling path (bit-packed runs, rows linked through groups) and the dense paint:
equal to scipy.ndimage on whole arrays, and to the sparse path run for run, on adversarial
inputs (noise at several densities, checkerboards, stripes, rows whose width is a multiple
of 64 or one off, one-pixel tiles), under both connectivities."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

import geoquant as gq
from geoquant.ops.kernels import label
from geoquant.testing.rasters import as_raster

STRUCTURE = {8: np.ones((3, 3), bool), 4: None}


def padded(codes: np.ndarray, halo: int = 3) -> np.ndarray:
    out = np.full((codes.shape[0] + 2, codes.shape[1] + 2), halo, np.uint8)
    out[1:-1, 1:-1] = codes
    return out


def noise(rng: np.random.Generator, shape: tuple[int, int], p: float) -> np.ndarray:
    return rng.random(shape) < p


def adversarial(rng: np.random.Generator) -> list[np.ndarray]:
    """Masks that stress word boundaries, group cuts and long unions."""
    yy, xx = np.indices((37, 130))
    masks = [((yy + xx) % 2 == 0), ((yy + xx) % 2 == 1), (xx % 2 == 0), (yy % 2 == 0),
             ((yy // 2 + xx // 2) % 2 == 0), (xx % 64 == 63), (xx % 64 == 0),
             np.ones((5, 64), bool), np.ones((5, 128), bool), np.zeros((4, 65), bool),
             np.eye(70, dtype=bool), np.eye(70, dtype=bool)[::-1], np.ones((1, 1), bool),
             np.zeros((1, 1), bool)]
    # diagonal staircase: every pair of rows touches only corner to corner
    stairs = np.zeros((40, 200), bool)
    for r in range(40):
        stairs[r, 3 * r:3 * r + 3] = True
    masks.append(stairs)
    masks.append(stairs[:, ::-1].copy())
    for shape in ((1, 200), (200, 1), (3, 63), (3, 64), (3, 65), (9, 127), (9, 128),
                  (9, 129), (31, 191), (31, 192), (31, 193)):
        for p in (0.1, 0.3, 0.5, 0.6, 0.9):
            masks.append(noise(rng, shape, p))
    return masks


@pytest.mark.parametrize("connectivity", [8, 4])
def test_dense_runs_equal_the_sparse_path_and_scipy(connectivity):
    rng = np.random.default_rng(33)
    conn8 = connectivity == 8
    for mask in adversarial(rng):
        for halo in (0, 1, 3):
            # excluded pixels (code 2) are no object, as background is
            codes = np.where(mask, 1, np.where(rng.random(mask.shape) < 0.1, 2, 0)).astype(
                np.uint8)
            tile = padded(codes, halo)
            row_ptr, starts, stops = label.tile_runs(tile)
            run_label, n = label.link_runs(row_ptr, starts, stops, conn8)
            dense = label.dense_runs(tile, conn8)
            for got, want in zip(dense, (row_ptr, starts, stops, run_label, n), strict=True):
                np.testing.assert_array_equal(got, want)
            expected, n_expected = ndi.label(mask, structure=STRUCTURE[connectivity])
            assert dense[4] == n_expected
            painted = np.full(mask.shape, -7, np.int32)
            label.paint_runs(dense[0], dense[1], dense[2], dense[3], painted)
            np.testing.assert_array_equal(painted, expected)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_dense_paint_writes_large_ids_exactly(dtype):
    rng = np.random.default_rng(5)
    mask = noise(rng, (20, 300), 0.4)
    row_ptr, starts, stops, run_label, _ = label.dense_runs(padded(mask.astype(np.uint8)), True)
    big = np.iinfo(np.int32).max - 1
    values = (big - run_label).astype(dtype)  # ids near int32's maximum, as a relabel writes
    out = np.full(mask.shape, 99, dtype)
    label.paint_runs(row_ptr, starts, stops, values, out)
    expected = np.zeros(mask.shape, dtype)
    for r in range(mask.shape[0]):
        for i in range(row_ptr[r], row_ptr[r + 1]):
            expected[r, starts[i]:stops[i]] = values[i]
    np.testing.assert_array_equal(out, expected)


def test_run_density_picks_the_dense_path_on_noise_only():
    rng = np.random.default_rng(1)
    assert label.run_density(padded(noise(rng, (256, 512), 0.3).astype(np.uint8))) > 0.15
    blob = np.zeros((256, 512), np.uint8)
    blob[40:200, 50:400] = 1
    assert label.run_density(padded(blob)) < label.DENSE_RUNS_PER_PIXEL


@pytest.mark.parametrize("connectivity", [8, 4])
@pytest.mark.parametrize("path", ["dense", "sparse", "chosen"])
@pytest.mark.parametrize(("shape", "chunks"), [((28, 36), (7, 9)), ((100, 130), (64, 64)),
                                               ((100, 130), (13, 65)), ((100, 130), (100, 130))])
def test_label_and_count_of_noise_equal_scipy_for_any_chunking(monkeypatch, connectivity, path,
                                                                shape, chunks):
    if path != "chosen":
        monkeypatch.setattr(label, "DENSE_RUNS_PER_PIXEL", 0.0 if path == "dense" else np.inf)
    rng = np.random.default_rng([connectivity, *chunks])
    for p in (0.05, 0.3, 0.45, 0.7):
        mask = noise(rng, shape, p)
        expected, n = ndi.label(mask, structure=STRUCTURE[connectivity])
        raster = as_raster(mask, chunks=chunks)
        np.testing.assert_array_equal(gq.ops.label(raster, connectivity=connectivity).values,
                                      expected)
        assert gq.ops.count(raster, connectivity=connectivity) == n


@pytest.mark.slow
@pytest.mark.parametrize("connectivity", [8, 4])
def test_one_pixel_tiles_on_the_dense_path(monkeypatch, connectivity):
    monkeypatch.setattr(label, "DENSE_RUNS_PER_PIXEL", 0.0)
    rng = np.random.default_rng(7)
    yy, xx = np.indices((6, 7))
    for mask in (noise(rng, (6, 7), 0.5), (yy + xx) % 2 == 0, (yy // 2 + xx) % 3 == 0):
        expected, n = ndi.label(mask, structure=STRUCTURE[connectivity])
        raster = as_raster(mask, chunks=(1, 1))
        np.testing.assert_array_equal(gq.ops.label(raster, connectivity=connectivity).values,
                                      expected)
        assert gq.ops.count(raster, connectivity=connectivity) == n


@pytest.mark.parametrize("connectivity", [8, 4])
def test_objects_statistics_are_the_same_on_both_paths(monkeypatch, connectivity):
    rng = np.random.default_rng(11)
    raster = as_raster(noise(rng, (90, 140), 0.35), chunks=(30, 70))
    tables = []
    for threshold in (0.0, np.inf):
        monkeypatch.setattr(label, "DENSE_RUNS_PER_PIXEL", threshold)
        tables.append(gq.ops.objects(raster, connectivity=connectivity))
    dense, sparse = tables
    assert list(dense.columns) == list(sparse.columns)
    for column in dense.columns:
        np.testing.assert_array_equal(dense[column].to_numpy(), sparse[column].to_numpy())
