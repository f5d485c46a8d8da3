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

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

if TYPE_CHECKING:
    from geoquant.ops._geometry import PixelGeometry
    from geoquant.ops._mask import PreparedMask
    from geoquant.tiling import TileGrid

BACKGROUND = 0
OBJECT = 1
OUTSIDE = 3


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
        for c in range(w):
            here = padded[r + 1, c + 1]
            if here == OBJECT:
                if padded[r + 2, c + 1] == BACKGROUND:
                    faces_x[r] += 1
                if padded[r + 1, c + 2] == BACKGROUND:
                    faces_y[r] += 1
            elif here == BACKGROUND:
                if padded[r + 2, c + 1] == OBJECT:
                    faces_x[r] += 1
                if padded[r + 1, c + 2] == OBJECT:
                    faces_y[r] += 1
    return faces_x, faces_y


def class_edges(prepared: PreparedMask) -> dict[str, float]:
    """Total edge of a mask's object class under the pylandstats/FRAGSTATS default.

    Runs :func:`object_background_faces` on every tile (one-pixel halo, the raster's outside
    filled with code 3) and sums the tiles' totals in a dask tree reduction; every task holds
    one tile and returns three numbers.

    Parameters
    ----------
    prepared : PreparedMask
        Tile codes and pixel geometry (:func:`geoquant.ops._mask.prepare_mask`).

    Returns
    -------
    dict
        ``faces_x`` (int): horizontal object|background faces (between vertically adjacent
        pixels); ``faces_y`` (int): vertical ones (between horizontally adjacent pixels);
        ``total_edge_m`` (float): their length, m. Faces against excluded pixels and the
        raster boundary are not edge. On projected grids ``faces_x * dx + faces_y * dy``
        (``(faces_x + faces_y) * dx`` when ``dx == dy``, the order of operations pylandstats
        uses), so the value is independent of the tiling; on geographic grids the sum of
        per-row edge lengths (:meth:`PixelGeometry.edge_x`, :meth:`PixelGeometry.edge_y`).
    """
    import dask.array as da

    from geoquant.tiling import TileGrid

    codes = prepared.codes
    geometry = prepared.geometry
    grid = TileGrid.from_chunks(codes.chunks)
    padded = da.overlap.overlap(codes, depth={0: 1, 1: 1}, boundary={0: OUTSIDE, 1: OUTSIDE})
    rows_tiles, cols_tiles = grid.tiles
    parts = da.map_blocks(_tile_edges, padded, grid=grid, geometry=geometry,
                          chunks=((1,) * rows_tiles, (3,) * cols_tiles), dtype=np.float64,
                          meta=np.empty((0, 0), np.float64))
    totals = np.asarray(parts.sum(axis=0).compute()).reshape(cols_tiles, 3).sum(axis=0)
    # Counts travel as float64, exact below 2**53 faces.
    faces_x, faces_y = int(totals[0]), int(totals[1])
    if geometry.geographic:
        total_edge = float(totals[2])
    elif geometry.dx == geometry.dy:
        total_edge = (faces_x + faces_y) * geometry.dx
    else:
        total_edge = faces_x * geometry.dx + faces_y * geometry.dy
    return {"faces_x": faces_x, "faces_y": faces_y, "total_edge_m": float(total_edge)}


def _tile_edges(padded: np.ndarray, *, grid: TileGrid, geometry: PixelGeometry,
                block_id: tuple[int, int] | None = None) -> np.ndarray:
    i, j = block_id
    r0, r1, _, _ = grid.bounds(i, j)
    faces_x, faces_y = object_background_faces(np.ascontiguousarray(padded, dtype=np.uint8))
    if geometry.geographic:
        metres = (float(faces_x @ geometry.edge_x(r0, r1)[1:])
                  + float(faces_y @ geometry.edge_y(r0, r1)))
    else:
        metres = 0.0  # computed once from the exact totals
    return np.array([[faces_x.sum(), faces_y.sum(), metres]], dtype=np.float64)
