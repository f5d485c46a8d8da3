"""The tile grid over a region, tree reductions over its tiles, overlapping windows, and runs of
a region in batches of tiles.

- :class:`TileGrid` — tiles of a chunked 2-D raster.
- :func:`tree_reduce` — merge per-tile summaries pairwise in a tree.
- :func:`map_windows` — run a function on tiles with halos (one window per task, or
  ``batch=`` windows of one size per task) and blend the overlaps seamlessly.
- :func:`edge_weights` — the blending weights of one window edge.
- :func:`plan_batches`, :class:`BatchPlan`, :class:`Batch` — a tile grid cut into rectangular
  batches of tiles.
- :func:`run_batches`, :class:`BatchProgress` — compute the batches a few at a time, merging
  their summaries in raster order; :class:`Checkpoint` keeps finished summaries so that a run
  started again resumes.
"""

from geoquant.tiling._batches import (
    Batch,
    BatchPlan,
    BatchProgress,
    Checkpoint,
    plan_batches,
    run_batches,
)
from geoquant.tiling._grid import TileGrid
from geoquant.tiling._reduce import tree_reduce
from geoquant.tiling._windows import edge_weights, map_windows

__all__ = ["Batch", "BatchPlan", "BatchProgress", "Checkpoint", "TileGrid", "edge_weights",
           "map_windows", "plan_batches", "run_batches", "tree_reduce"]
