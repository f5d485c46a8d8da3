"""Window sums: scipy's box filter as the reference, and bitwise the same on any block."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage as ndi

from geoquant.segment._window import window_sum


@pytest.mark.parametrize("radius", [0, 1, 3])
def test_window_sums_are_scipy_box_sums_cut_at_the_edge(radius):
    values = np.random.default_rng(1).random((2, 19, 23))
    size = 2 * radius + 1
    want = ndi.uniform_filter(values, size=(1, size, size), mode="constant") * size * size
    np.testing.assert_allclose(window_sum(values, radius), want, rtol=1e-12, atol=1e-12)
    assert window_sum(values[0] > 0.5, radius).dtype == np.float64


def test_a_block_with_a_halo_gives_bitwise_the_whole_arrays_sums():
    values = np.random.default_rng(2).normal(size=(60, 50)) * 1e3
    r = 2
    whole = window_sum(values, r)
    for r0, r1, c0, c1 in ((10, 30, 7, 41), (0, 60, 0, 13), (33, 60, 20, 50)):
        lo_r, hi_r, lo_c, hi_c = max(r0 - r, 0), min(r1 + r, 60), max(c0 - r, 0), min(c1 + r, 50)
        block = window_sum(values[lo_r:hi_r, lo_c:hi_c], r)
        core = block[r0 - lo_r:r1 - lo_r, c0 - lo_c:c1 - lo_c]
        np.testing.assert_array_equal(core, whole[r0:r1, c0:c1])
