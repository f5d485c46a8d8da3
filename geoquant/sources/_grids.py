"""The grids items were made on, as their metadata says (before any loading resamples them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def native_grids(items: Sequence[Mapping[str, Any]]) -> list[list[float]] | None:
    """Each item's own grid, in date order: ``[origin x, origin y, pixel width, pixel height]``
    in its CRS's units, from ``proj:transform`` (the item's, else its first asset's).

    Returns None when an item carries no ``proj:transform``.
    """
    grids = []
    for item in sorted(items, key=lambda i: str(i.get("properties", {}).get("datetime"))):
        transform = item.get("properties", {}).get("proj:transform") or next(
            (a["proj:transform"] for a in item.get("assets", {}).values()
             if "proj:transform" in a), None)
        if not transform or len(transform) < 6:
            return None
        a, _, c, _, e, f = (float(v) for v in transform[:6])
        grids.append([c, f, a, e])
    return grids
