"""Sums over square windows that come out the same wherever a raster was cut into blocks.

:func:`window_sum` adds each pixel's ``(2r + 1)²`` neighbours in one fixed order (the
window's rows, then its columns), treating everything beyond the array as 0. A block that
carries ``r`` pixels of halo therefore gives bitwise the sums of the whole array in its core,
which running-sum filters (``scipy.ndimage.uniform_filter``) do not: their rounding depends on
where the block starts. Used for smoothing class probabilities and for the spatial context of
temporal features.
"""

from __future__ import annotations

import numpy as np


def window_sum(values: np.ndarray, radius: int) -> np.ndarray:
    """Sum over the ``(2 * radius + 1)``-pixel square around each pixel of the last two axes.

    Parameters
    ----------
    values : ndarray
        ``(..., y, x)``; booleans count as 0/1. NaN propagates, so zero NaN pixels first
        where they must not count.
    radius : int
        Half the window's edge, pixels (0: ``values`` as float64).

    Returns
    -------
    ndarray of float64
        The shape of ``values``; windows are cut at the array's edge (0 beyond it).
    """
    values = np.asarray(values, np.float64)
    r = int(radius)
    h, w = values.shape[-2:]
    padded = np.pad(values, [(0, 0)] * (values.ndim - 2) + [(r, r), (r, r)])
    rows = padded[..., 0:h, :].copy()
    for dy in range(1, 2 * r + 1):
        rows += padded[..., dy:dy + h, :]
    out = rows[..., 0:w].copy()
    for dx in range(1, 2 * r + 1):
        out += rows[..., dx:dx + w]
    return out
