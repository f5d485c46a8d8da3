"""Ensembles: several segmenters with different class sets fused by max-logit.

Each member scores its own classes; the ensemble scores the union. For a class several members
score, the fused log-odds is the largest of theirs, ``max_m log(p_m / (1 - p_m))``; since the
logistic function is increasing, that is the probability ``max_m p_m``, which is what is
computed (no clipping of log-odds at 0 or 1). A member with no data at a pixel (NaN) does not
vote there. The classes of an ensemble are scored independently (``exclusive`` is False), so the
class map follows the rule for independent classes (:mod:`geoquant.segment`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.errors import InvalidOptionError
from geoquant.segment._protocol import Segmenter, describe
from geoquant.segment._vocabulary import CLASS_NAMES


@dataclass(frozen=True)
class Ensemble:
    """Max-logit fusion of segmenters over the union of their classes.

    Parameters
    ----------
    members : sequence of Segmenter
        At least one; each may score different classes and read different bands.
    """

    members: tuple[Any, ...]
    exclusive: bool = False
    name: str = field(init=False)
    version: str = field(init=False)
    classes: tuple[str, ...] = field(init=False)
    bands: tuple[str, ...] = field(init=False)
    halo: int = field(init=False)
    stride: int = field(init=False)

    def __post_init__(self) -> None:
        members = tuple(self.members)
        if not members:
            raise InvalidOptionError("an ensemble needs at least one member segmenter")
        for m in members:
            if not isinstance(m, Segmenter):
                raise InvalidOptionError(f"ensemble member {m!r} is not a segmenter")
        union = {c for m in members for c in m.classes}
        bands: list[str] = []
        for m in members:
            bands.extend(b for b in m.bands if b not in bands)
        setter = object.__setattr__
        setter(self, "members", members)
        setter(self, "classes", tuple(c for c in CLASS_NAMES if c in union))
        setter(self, "bands", tuple(bands))
        setter(self, "halo", max(int(m.halo) for m in members))
        setter(self, "stride", math.lcm(*(max(int(m.stride), 1) for m in members)))
        setter(self, "name", "ensemble of " + " + ".join(m.name for m in members))
        setter(self, "version", "+".join(m.version for m in members))

    def parameters(self) -> dict[str, Any]:
        return {"members": [describe(m) for m in self.members], "fusion": "max-logit"}

    def fit(self, cube: Any) -> Ensemble:
        """Fit every member that fits (SAR thresholds); the others as they are."""
        fitted = tuple(m.fit(cube) if callable(getattr(m, "fit", None)) else m
                       for m in self.members)
        return Ensemble(fitted)

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        xp = array_module(tile)
        out = xp.full((len(self.classes), *tile.shape[1:]), np.nan, dtype=np.float32)
        for member in self.members:
            prob = member.predict(tile, bands)
            for k, cls in enumerate(member.classes):
                i = self.classes.index(cls)
                out[i] = xp.fmax(out[i], prob[k])
        return out


def ensemble(*members: Segmenter) -> Ensemble:
    """Fuse segmenters by max-logit over the union of their classes (see :class:`Ensemble`)."""
    return Ensemble(tuple(members))
