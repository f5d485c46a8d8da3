"""The near pass of the distance transform (dense masks: noise, the inside of large objects):
identical to scipy's EDT on whole arrays with whole-metre pixels for any chunking, and the same
floats as the envelope (``_row_pass``) row by row, carries included."""

from __future__ import annotations

import numpy as np
import pytest
from affine import Affine
from scipy import ndimage

import geoquant as gq
from geoquant.ops.kernels import edt
from geoquant.testing.rasters import as_raster


def raster(mask: np.ndarray, dx: float, dy: float, chunks) -> object:
    out = as_raster(mask, resolution=(dx, dy), chunks=chunks)
    return out.rio.write_transform(Affine(dx, 0.0, 500000.0, 0.0, -dy, 4000000.0))


def inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    yy, xx = np.indices((60, 90))
    disc = (yy - 30) ** 2 + (xx - 45) ** 2 <= 26**2
    half = np.zeros((60, 90), bool)
    half[:30] = rng.random((30, 90)) < 0.3  # dense rows above, far-reaching rows below
    sparse_then_dense = np.zeros((60, 90), bool)
    sparse_then_dense[0, 3] = True
    sparse_then_dense[35:] = rng.random((25, 90)) < 0.5
    return {f"noise {p}": rng.random((60, 90)) < p for p in (0.05, 0.3, 0.6, 0.95)} | {
        "checkerboard": (yy + xx) % 2 == 0, "stripes": xx % 3 == 0, "rows": yy % 4 == 0,
        "disc": disc, "ring": disc & ((yy - 30) ** 2 + (xx - 45) ** 2 >= 20**2),
        "half": half, "sparse then dense": sparse_then_dense,
        "one column": xx == 89, "full": np.ones((60, 90), bool)}


@pytest.mark.parametrize("chunks", [(60, 90), (60, 13), (7, 90), (11, 9),
                                    pytest.param((60, 1), marks=pytest.mark.slow)])
@pytest.mark.parametrize(("dx", "dy"), [(10.0, 10.0), (10.0, 30.0), (30.0, 10.0)])
def test_dense_inputs_equal_scipy_exactly_for_any_chunking(chunks, dx, dy):
    rng = np.random.default_rng(3)
    for name, mask in inputs(rng).items():
        got = gq.ops.distance(raster(mask, dx, dy, chunks)).values
        want = ndimage.distance_transform_edt(~mask, sampling=(dy, dx))
        np.testing.assert_array_equal(got, want, err_msg=name)


@pytest.mark.parametrize(("dx", "dy"), [(3.7, 0.6), (10.25, 1.0)])
def test_dense_inputs_with_fractional_pixels_are_close_to_scipy(dx, dy):
    rng = np.random.default_rng(4)
    for name, mask in inputs(rng).items():
        got = gq.ops.distance(raster(mask, dx, dy, (13, 17))).values
        want = ndimage.distance_transform_edt(~mask, sampling=(dy, dx))
        # scipy sums the squares in another order: 1e-11 apart here, as in test_distance
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=0, err_msg=name)


def random_row(rng: np.random.Generator, w: int, dy: float) -> np.ndarray:
    """``f`` of one row: squared vertical distances, 0 on objects, inf on empty columns."""
    rows = rng.choice([0, 0, 1, 2, 3, 7, 40, -1], size=w)
    f = (dy * rows.astype(np.float64)) ** 2
    f[rows < 0] = np.inf
    return f


@pytest.mark.parametrize("w", [1, 2, 3, 5, 17, 64, 300])
@pytest.mark.parametrize("carries", ["none", "left", "right", "both"])
def test_near_and_far_passes_give_the_envelopes_floats(w, carries):
    rng = np.random.default_rng([w, len(carries)])
    dx = 10.0
    half = 0.5 / (dx * dx)
    for _ in range(40):
        f = random_row(rng, w, 10.0)
        left = (np.array([-3, -1], np.int64) if carries in ("left", "both")
                else np.empty(0, np.int64))
        right = (np.array([w, w + 2], np.int64) if carries in ("right", "both")
                 else np.empty(0, np.int64))
        left_val = rng.choice([0.0, 100.0, 400.0], size=left.size)
        right_val = rng.choice([0.0, 100.0, 900.0], size=right.size)
        size = w + 1 + left.size + right.size
        v, fv, z = (np.empty(size) for _ in range(3))
        want = np.empty(w)
        edt._row_pass(f, 0, dx, half, 0, left.size, left, left_val, 0, right.size, right,
                      right_val, v, fv, z, want)
        got = np.full(w, -5.0)
        missing = edt._near_pass(f, dx, left.size > 0, right.size > 0, got)
        assert missing == np.count_nonzero(got == -1.0)
        if missing:
            edt._far_pass(f, 0, dx, half, 0, left.size, left, left_val, 0, right.size, right,
                          right_val, v, fv, z, got)
        np.testing.assert_array_equal(got, want)
