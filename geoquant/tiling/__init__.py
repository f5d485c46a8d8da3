"""The tile grid over a region, tree reductions over its tiles, and overlapping windows.

- :class:`TileGrid` — tiles of a chunked 2-D raster.
- :func:`tree_reduce` — merge per-tile summaries pairwise in a tree.
- :func:`map_windows` — run a function on tiles with halos and blend the overlaps seamlessly.
- :func:`edge_weights` — the blending weights of one window edge.
"""

from geoquant.tiling._grid import TileGrid
from geoquant.tiling._reduce import tree_reduce
from geoquant.tiling._windows import edge_weights, map_windows

__all__ = ["TileGrid", "edge_weights", "map_windows", "tree_reduce"]
