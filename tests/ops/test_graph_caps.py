"""Operators over more tiles than one graph holds refuse before any work (issue 32 item 6):
``min_distance``, ``within_distance``, ``distance`` and ``change`` as ``count`` and ``label``
do, with the tile count and what to use instead."""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import pytest
from dask.callbacks import Callback

import geoquant as gq
from geoquant.errors import InvalidOptionError
from geoquant.ops._distance import MAX_DISTANCE_TILES
from geoquant.ops._tree import MAX_GRAPH_TILES
from geoquant.testing.rasters import as_raster


class _NothingComputed(Callback):
    def _start(self, dsk):
        raise AssertionError("a refused operator computed something")


def _lazy(side, chunk, dtype):
    """A raster of ``(side // chunk)²`` tiles that no test computes."""
    return as_raster(np.zeros((side, side), dtype)).copy(
        data=da.zeros((side, side), chunks=chunk, dtype=dtype))


@pytest.mark.parametrize("operator", [
    lambda a, b: gq.ops.min_distance(a, b),
    lambda a, b: gq.ops.within_distance(a, b, 100.0),
    lambda a, b: gq.ops.distance(b),
])
def test_distance_graphs_over_too_many_tiles_are_refused_before_any_work(operator):
    side = 65                                  # 65² = 4,225 tiles of one pixel
    assert side * side > MAX_DISTANCE_TILES
    a, b = _lazy(side, 1, bool), _lazy(side, 1, bool)
    with _NothingComputed(), pytest.raises(InvalidOptionError) as refused:
        operator(a, b)
    message = str(refused.value)
    assert f"{side * side:,} tiles" in message and f"{MAX_DISTANCE_TILES:,}" in message
    assert "survey" in message and "larger chunks" in message


@pytest.mark.slow      # 52 s at load 10 on 2 cores: 4,096 one-pixel tiles computed
def test_distance_graphs_at_the_cap_still_run():
    side = 64                                  # 4,096 tiles
    a = np.zeros((side, side), bool)
    b = np.zeros((side, side), bool)
    a[0, 0], b[side - 1, side - 1] = True, True
    found = gq.ops.min_distance(as_raster(a, chunks=1), as_raster(b, chunks=1))
    assert found == pytest.approx(10.0 * np.hypot(side - 1, side - 1))


def test_change_over_too_many_tiles_is_refused_before_any_work():
    side = 257                                 # 66,049 tiles of one pixel
    assert side * side > MAX_GRAPH_TILES
    before, after = _lazy(side, 1, np.uint8), _lazy(side, 1, np.uint8)
    with _NothingComputed(), pytest.raises(InvalidOptionError) as refused:
        gq.ops.change(before, after, objects=False)
    message = str(refused.value)
    assert f"{side * side:,} tiles" in message and "larger chunks" in message


def test_the_issues_239k_tiles_are_refused_at_once():
    side = 489                                 # 239,121 tiles, as in the issue
    with dask.config.set(scheduler="sync"), _NothingComputed(), \
            pytest.raises(InvalidOptionError, match="239,121 tiles"):
        gq.ops.min_distance(_lazy(side, 1, bool), _lazy(side, 1, bool))
