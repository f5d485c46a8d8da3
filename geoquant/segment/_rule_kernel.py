"""The CPU kernel of rule segmenters: every condition of every class, row by row.

Whole-array NumPy makes a temporary per index, condition and product (about twenty passes over
memory for the default rules). This kernel works on one image row at a time, so everything stays
in cache, and each condition's inner loop over the row is branch-free and vectorises (float32).
CuPy tiles use the array expressions of :mod:`geoquant.segment._rules` instead.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

VALUE, NORMALISED_DIFFERENCE, NORMALISED_DIFFERENCE_OF_SUMS = 0, 1, 2


# Fast-math without "nnan"/"ninf": NaN marks nodata and must survive.
@njit(nogil=True, cache=True, error_model="numpy",
      fastmath={"nsz", "arcp", "contract", "afn", "reassoc"})
def evaluate_rules(tile, band_pos, cond_class, cond_kind, cond_operands, cond_threshold,
                   cond_scale, out):  # pragma: no cover - compiled
    """Fill ``out`` (class, y, x) with the product of each class's logistic conditions.

    ``band_pos[b]`` is the tile band of the rule's b-th band; condition k belongs to class
    ``cond_class[k]``, reads bands ``cond_operands[k]`` (positions in ``band_pos``) combined as
    ``cond_kind[k]``, and scores ``1 / (1 + exp(-(index - threshold) * scale))``, with
    ``scale = +-1 / softness``. Pixels with a non-finite band are NaN in every class.
    """
    n_classes, width = out.shape[0], tile.shape[2]
    one = np.float32(1.0)
    index = np.empty(width, np.float32)
    finite = np.empty(width, np.bool_)
    for i in range(tile.shape[1]):
        finite[:] = True
        for b in range(band_pos.shape[0]):
            row = tile[band_pos[b], i]
            for j in range(width):
                finite[j] &= math.isfinite(row[j])
        for c in range(n_classes):
            out[c, i, :] = one
        for k in range(cond_class.shape[0]):
            kind = cond_kind[k]
            first = tile[band_pos[cond_operands[k, 0]], i]
            second = tile[band_pos[cond_operands[k, 1]], i]
            if kind == VALUE:
                for j in range(width):
                    index[j] = first[j]
            elif kind == NORMALISED_DIFFERENCE:
                for j in range(width):
                    index[j] = (first[j] - second[j]) / (first[j] + second[j])
            else:
                third = tile[band_pos[cond_operands[k, 2]], i]
                fourth = tile[band_pos[cond_operands[k, 3]], i]
                for j in range(width):
                    a = first[j] + second[j]
                    b = third[j] + fourth[j]
                    index[j] = (a - b) / (a + b)
            threshold = np.float32(cond_threshold[k])
            scale = np.float32(cond_scale[k])
            target = out[cond_class[k], i]
            for j in range(width):
                z = min(max((index[j] - threshold) * scale, np.float32(-60.0)),
                        np.float32(60.0))
                target[j] *= one / (one + math.exp(-z))
        for j in range(width):
            if not finite[j]:
                for c in range(n_classes):
                    out[c, i, j] = np.nan
