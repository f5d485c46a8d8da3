"""Type stub of geoquant.tiling: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._batches import (
    Batch,
    BatchPlan,
    BatchProgress,
    Checkpoint,
    plan_batches,
    run_batches,
)
from ._grid import TileGrid
from ._reduce import tree_reduce
from ._windows import (
    edge_weights,
    map_windows,
)

__all__ = [
    "Batch",
    "BatchPlan",
    "BatchProgress",
    "Checkpoint",
    "TileGrid",
    "edge_weights",
    "map_windows",
    "plan_batches",
    "run_batches",
    "tree_reduce",
]
