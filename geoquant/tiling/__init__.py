"""The tile grid over a region and tree reductions over its tiles."""

from geoquant.tiling._grid import TileGrid
from geoquant.tiling._reduce import tree_reduce

__all__ = ["TileGrid", "tree_reduce"]
