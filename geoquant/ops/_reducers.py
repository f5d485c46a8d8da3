"""What object passes keep of closed objects: counts, moments, rows of a table, flags.

Each reducer turns a table of complete objects into a small aggregate and combines two
aggregates associatively, so merge-tree nodes never carry more than they must.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geoquant.ops._geometry import MAX_SCALE_ERROR, PixelGeometry
from geoquant.ops._landscape import patch_moments
from geoquant.ops._merge import Table


def object_area(table: Table, geometry: PixelGeometry) -> np.ndarray:
    """Object areas in m²; on projected grids from the exact cell count, so any tiling agrees."""
    return geometry.area_of(table["cells"], table["area"])


def object_perimeter(table: Table, geometry: PixelGeometry) -> np.ndarray:
    """Object perimeters in m; on projected grids from exact face counts."""
    if geometry.geographic:
        return table["perimeter"]
    if max(abs(s - 1.0) for s in geometry.length_scale) > MAX_SCALE_ERROR:
        # Map lengths are not ground lengths here (an equal-area grid far from its centre):
        # no perimeter rather than a wrong one; areas and counts still hold.
        return np.full(np.shape(table["faces_x"]), np.nan)
    return table["faces_x"] * geometry.dx + table["faces_y"] * geometry.dy


@dataclass(frozen=True)
class NoReducer:
    """Keeps nothing of closed objects (for passes that only write labels)."""

    needs_stats = False

    def reduce(self, table: Table) -> None:
        return None

    def combine(self, first: None, second: None) -> None:
        return None


@dataclass(frozen=True)
class CountReducer:
    """Number of objects, and of those at least ``min_area_m2`` large."""

    geometry: PixelGeometry
    min_area_m2: float = 0.0

    @property
    def needs_stats(self) -> bool:
        """Areas are read only to compare them with a positive ``min_area_m2``."""
        return self.min_area_m2 > 0

    def reduce(self, table: Table) -> tuple[int, int]:
        if not table["key"].size:
            return 0, 0
        if not self.needs_stats:
            return int(table["key"].size), int(table["key"].size)
        big = object_area(table, self.geometry) >= self.min_area_m2
        return int(table["key"].size), int(np.count_nonzero(big))

    def combine(self, first: tuple[int, int], second: tuple[int, int]) -> tuple[int, int]:
        return first[0] + second[0], first[1] + second[1]


@dataclass(frozen=True)
class RowsReducer:
    """Every closed object's row; combined lists are concatenated when the pass finishes."""

    def reduce(self, table: Table) -> list[Table]:
        return [table] if table["key"].size else []

    def combine(self, first: list[Table], second: list[Table]) -> list[Table]:
        return first + second


@dataclass(frozen=True)
class PatchMomentsReducer:
    """Sums over patches that class-level landscape metrics need (see ``_landscape``)."""

    geometry: PixelGeometry

    def reduce(self, table: Table) -> dict[str, float]:
        return patch_moments({
            "cells": table["cells"],
            "area_m2": object_area(table, self.geometry),
            "perimeter_faces": table["faces_x"] + table["faces_y"],
            "perimeter_m": object_perimeter(table, self.geometry),
        })

    def combine(self, first: dict[str, float], second: dict[str, float]) -> dict[str, float]:
        out = {name: first[name] + second[name] for name in first}
        out["area_max"] = max(first["area_max"], second["area_max"])
        return out


@dataclass(frozen=True)
class TouchReducer:
    """Whether one closed object has a zero in every auxiliary field (touches every mask)."""

    fields: int

    def reduce(self, table: Table) -> bool:
        if not table["key"].size:
            return False
        touches = np.ones(table["key"].size, bool)
        for index in range(self.fields):
            touches &= table[f"aux{index}"] == 0
        return bool(touches.any())

    def combine(self, first: bool, second: bool) -> bool:
        return first or second


@dataclass(frozen=True)
class AbsentByClassReducer:
    """Per class (the second auxiliary field, constant over an object): the objects whose first
    auxiliary field stays above zero."""

    def reduce(self, table: Table) -> dict[int, int]:
        if not table["key"].size:
            return {}
        absent = table["aux0"] > 0
        classes, counts = np.unique(table["aux1"][absent], return_counts=True)
        return {int(c): int(n) for c, n in zip(classes, counts, strict=True)}

    def combine(self, first: dict[int, int], second: dict[int, int]) -> dict[int, int]:
        out = dict(first)
        for c, n in second.items():
            out[c] = out.get(c, 0) + n
        return out


@dataclass(frozen=True)
class SurveyReducer:
    """Objects; those at least ``min_area_m2`` large; and of those, the ones that reach a mask.

    With ``within``, the first auxiliary field is 0 on pixels within reach of the other mask
    (its per-object minimum is 0 exactly when one of the object's pixels is).
    """

    geometry: PixelGeometry
    min_area_m2: float = 0.0
    within: bool = False

    def reduce(self, table: Table) -> np.ndarray:
        if not table["key"].size:
            return np.zeros(3, np.int64)
        big = object_area(table, self.geometry) >= self.min_area_m2
        near = big & (table["aux0"] == 0.0) if self.within else np.zeros_like(big)
        return np.array([table["key"].size, np.count_nonzero(big), np.count_nonzero(near)],
                        np.int64)

    def combine(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        return first + second
