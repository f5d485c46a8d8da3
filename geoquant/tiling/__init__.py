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

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
