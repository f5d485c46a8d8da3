"""Type stub of geoquant.ops: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._area import (
    Coverage,
    area,
    share,
)
from ._change import (
    Change,
    change,
)
from ._complement import complement
from ._distance import (
    distance,
    min_distance,
    within_distance,
)
from ._distance_stats import (
    DistanceStats,
    distance_stats,
)
from ._fragmentation import fragmentation
from ._geometry import PixelGeometry
from ._mask import check_same_grid
from ._objects import (
    connected,
    count,
    label,
    largest,
    objects,
)
from ._registration import (
    Registration,
    registration,
)
from ._survey import (
    Survey,
    survey,
)

__all__ = [
    "Change",
    "Coverage",
    "DistanceStats",
    "PixelGeometry",
    "Registration",
    "Survey",
    "area",
    "change",
    "check_same_grid",
    "complement",
    "connected",
    "count",
    "distance",
    "distance_stats",
    "fragmentation",
    "label",
    "largest",
    "min_distance",
    "objects",
    "registration",
    "share",
    "survey",
    "within_distance",
]
