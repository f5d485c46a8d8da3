"""Class edges of one tile: pixel faces between object and background pixels.

The tile arrives with a one-pixel halo (``padded``, shape ``(h + 2, w + 2)``) of tile codes
(0 background, 1 object, 2 excluded, 3 outside the raster). Total edge in the FRAGSTATS and
pylandstats default (``count_boundary=False``) counts only faces between the class and another
*valid* class, so faces against excluded pixels or the raster boundary never count.

Ownership of faces across tiles: a core pixel owns the face on its right and the face below
it, never those on its left or above. The left and top faces of a tile's first column and row
belong to the neighbouring tiles (whose core pixels they are right or below of), and the
raster's own left and top boundary faces lie against the halo's code 3, so they are never
counted. Each face is therefore counted exactly once over any tiling.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BACKGROUND = 0
OBJECT = 1


@njit(cache=True, nogil=True)
def object_background_faces(padded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Count the object|background faces owned by each core row of a padded tile.

    Parameters
    ----------
    padded : ndarray of uint8, shape (h + 2, w + 2)
        Tile codes with a one-pixel halo.

    Returns
    -------
    faces_x : ndarray of int64, shape (h,)
        Horizontal faces (edges along x) between core row ``r`` and the row below it, one
        object and one background pixel on either side. Their length is the bottom edge of
        row ``r``: ``edge_x[r + 1]`` of :meth:`PixelGeometry.edge_x` over the tile's rows.
    faces_y : ndarray of int64, shape (h,)
        Vertical faces (edges along y) between a core pixel of row ``r`` and its right
        neighbour, object against background. Their length is ``edge_y[r]``.
    """
    h = padded.shape[0] - 2
    w = padded.shape[1] - 2
    faces_x = np.zeros(h, np.int64)
    faces_y = np.zeros(h, np.int64)
    for r in range(h):
        faces_x[r], faces_y[r] = segment_faces(padded, r, 0, w)
    return faces_x, faces_y


@njit(cache=True, nogil=True, inline="always")
def segment_faces(padded: np.ndarray, r: int, c0: int, c1: int) -> tuple[int, int]:
    """Object|background faces owned by core pixels ``c0 <= c < c1`` of core row ``r``.

    Returns ``(below, right)``: faces against the pixel below and against the right
    neighbour. Shared with the GPU kernel (one thread per row segment).
    """
    fx = 0
    fy = 0
    for c in range(c0, c1):
        here = padded[r + 1, c + 1]
        if here == OBJECT or here == BACKGROUND:
            other = OBJECT - here
            if padded[r + 2, c + 1] == other:
                fx += 1
            if padded[r + 1, c + 2] == other:
                fy += 1
    return fx, fy
