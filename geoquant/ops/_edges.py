"""Total edge of a mask's class: the edge kernel on every tile, summed over tiles."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import PreparedMask
from geoquant.ops.kernels.dispatch import configured_kernels, kernels_for
from geoquant.tiling import TileGrid, tree_reduce


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
    return edges_from_totals(edge_totals(prepared).compute(), prepared.geometry)


def edge_totals(prepared: PreparedMask) -> Any:
    """Lazy sums over tiles: horizontal faces, vertical faces, metres (geographic grids only).

    A Delayed of three float64, summed in a tree.
    """
    task = partial(_tile_edges, grid=TileGrid.from_chunks(prepared.chunks),
                   geometry=prepared.geometry, kernels=configured_kernels())
    return tree_reduce([prepared.padded_codes()], task, np.add, name="gq-edges")


def edges_from_totals(totals: np.ndarray, geometry: PixelGeometry) -> dict[str, float]:
    """Total edge from computed :func:`edge_totals` (counts travel as float64, exact < 2**53)."""
    totals = np.asarray(totals, np.float64)
    faces_x, faces_y = int(totals[0]), int(totals[1])
    geometry.require_true_lengths("edge lengths")
    if geometry.geographic:
        total_edge = float(totals[2])
    elif geometry.dx == geometry.dy:
        total_edge = (faces_x + faces_y) * geometry.dx
    else:
        total_edge = faces_x * geometry.dx + faces_y * geometry.dy
    return {"faces_x": faces_x, "faces_y": faces_y, "total_edge_m": float(total_edge)}


def _tile_edges(padded: Any, *, block_index: tuple[int, int], grid: TileGrid,
                geometry: PixelGeometry, kernels: str) -> np.ndarray:
    r0, r1, _, _ = grid.bounds(*block_index)
    faces_x, faces_y = kernels_for(padded, kernels).object_background_faces(padded)
    if geometry.geographic:
        metres = (float(faces_x @ geometry.edge_x(r0, r1)[1:])
                  + float(faces_y @ geometry.edge_y(r0, r1)))
    else:
        metres = 0.0  # computed once from the exact totals
    return np.array([faces_x.sum(), faces_y.sum(), metres], dtype=np.float64)
