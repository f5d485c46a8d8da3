"""The ``.gq`` accessor: geoquant's operators as methods of 2-D DataArrays.

Registered when :mod:`geoquant.ops` is first imported (``import geoquant.ops``, or any use of
``gq.ops``), so ``import geoquant`` alone stays light.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from geoquant.ops import (
    _area,
    _change,
    _complement,
    _distance,
    _distance_stats,
    _fragmentation,
    _objects,
)


@xr.register_dataarray_accessor("gq")
class GeoquantAccessor:
    """``mask.gq.count()``, ``mask.gq.distance()``, ...: the functions of :mod:`geoquant.ops`."""

    def __init__(self, array: xr.DataArray) -> None:
        self._array = array

    def label(self, *, connectivity: int = 8, valid: Any = None) -> xr.DataArray:
        """:func:`geoquant.ops.label` of this mask."""
        return _objects.label(self._array, connectivity=connectivity, valid=valid)

    def count(self, *, connectivity: int = 8, min_area_m2: float = 0.0, valid: Any = None) -> int:
        """:func:`geoquant.ops.count` of this mask."""
        return _objects.count(self._array, connectivity=connectivity, min_area_m2=min_area_m2,
                              valid=valid)

    def objects(self, *, connectivity: int = 8, distance_to: Any = None,
                farthest: bool = False, touching: bool = False, reach_m: float | None = None,
                neighbours: bool = False, valid: Any = None):
        """:func:`geoquant.ops.objects` of this mask (a pandas DataFrame)."""
        return _objects.objects(self._array, connectivity=connectivity, distance_to=distance_to,
                                farthest=farthest, touching=touching, reach_m=reach_m,
                                neighbours=neighbours, valid=valid)

    def largest(self, k: int = 1, *, exclude: bool = False, connectivity: int = 8,
                valid: Any = None) -> xr.DataArray:
        """:func:`geoquant.ops.largest`: this mask's ``k`` largest objects, or all but them."""
        return _objects.largest(self._array, k, exclude=exclude, connectivity=connectivity,
                                valid=valid)

    def complement(self, *, valid: Any = None) -> xr.DataArray:
        """:func:`geoquant.ops.complement`: the valid pixels not in this mask."""
        return _complement.complement(self._array, valid=valid)

    def area(self, *, valid: Any = None) -> float:
        """:func:`geoquant.ops.area` of this mask, m²."""
        return _area.area(self._array, valid=valid)

    def share(self, *, valid: Any = None) -> float:
        """:func:`geoquant.ops.share` of this mask, %."""
        return _area.share(self._array, valid=valid)

    def fragmentation(self, *, connectivity: int = 8, connectance_m: float | None = None,
                      neighbours: bool = True, valid: Any = None) -> dict[str, float]:
        """:func:`geoquant.ops.fragmentation` of this mask."""
        return _fragmentation.fragmentation(self._array, connectivity=connectivity,
                                            connectance_m=connectance_m, neighbours=neighbours,
                                            valid=valid)

    def distance(self, *, valid: Any = None) -> xr.DataArray:
        """:func:`geoquant.ops.distance` to this mask's True pixels, m."""
        return _distance.distance(self._array, valid=valid)

    def distance_stats(self, *, over: Any = None, farther_than_m: float | None = None,
                       median: bool = False,
                       valid: Any = None) -> _distance_stats.DistanceStats:
        """:func:`geoquant.ops.distance_stats` of the distance to this mask's True pixels."""
        return _distance_stats.distance_stats(self._array, over=over,
                                              farther_than_m=farther_than_m, median=median,
                                              valid=valid)

    def min_distance(self, other: xr.DataArray, *, valid: Any = None) -> float:
        """:func:`geoquant.ops.min_distance` from this mask to ``other``, m."""
        return _distance.min_distance(self._array, other, valid=valid)

    def within_distance(self, other: xr.DataArray, distance_m: float, *,
                        valid: Any = None) -> xr.DataArray:
        """:func:`geoquant.ops.within_distance`: pixels of this mask near ``other``."""
        return _distance.within_distance(self._array, other, distance_m, valid=valid)

    def connected(self, a: Any, b: Any, *, connectivity: int = 8, valid: Any = None) -> bool:
        """:func:`geoquant.ops.connected`: are ``a`` and ``b`` joined through this mask?"""
        return _objects.connected(self._array, a, b, connectivity=connectivity, valid=valid)

    def change(self, after: xr.DataArray, *, connectivity: int = 8,
               objects: bool = True) -> _change.Change:
        """:func:`geoquant.ops.change` from this categorical raster to ``after``."""
        return _change.change(self._array, after, connectivity=connectivity, objects=objects)
