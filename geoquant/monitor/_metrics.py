"""The figures of one date: class masks of a segmentation measured with :mod:`geoquant.ops`.

Every date records ``clear_percent``, the share of the region's pixels seen clearly (data
present, not cloud). Pixels outside the region's polygon, without data or under cloud are
neither class nor background for every measure. A date on which no pixel is seen, or fewer
than the source's ``min_clear_percent``, gets NaN for every figure: an area measured through
clouds would read as a loss, and alerts would fire on the weather.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from geoquant.monitor._specs import CLEAR_METRIC, MetricSpec, SourceSpec


def region_mask(region: Any, like: Any) -> Any:
    """``(y, x)`` bool DataArray on the grid of ``like``: True where a pixel centre lies inside
    the region's polygon."""
    import xarray as xr
    from rasterio.features import geometry_mask
    from rasterio.warp import transform_geom

    geometry = transform_geom("EPSG:4326", like.rio.crs, region.geometry)
    inside = geometry_mask([geometry], out_shape=(like.sizes["y"], like.sizes["x"]),
                           transform=like.rio.transform(), invert=True)
    return xr.DataArray(inside, dims=("y", "x"), coords={"y": like["y"], "x": like["x"]})


def measure(segmentation: Any, masks: Mapping[str, Any], source: SourceSpec, *,
            region_pixels: int, plans: Mapping[str, Any]) -> dict[str, float]:
    """Every figure of ``source`` for one date, with ``clear_percent`` first.

    Parameters
    ----------
    segmentation : xarray.Dataset
        The date's segmentation (``probability``, ``label``), no data outside the region.
    masks : mapping of str to DataArray
        The class masks the metrics read (see :func:`geoquant.segment.class_masks`).
    source : SourceSpec
    region_pixels : int
        Pixels of the grid inside the region's polygon.
    plans : mapping of str to Plan
        Validated plans of the source's question metrics, by metric name.

    Returns
    -------
    dict of str to float
        NaN where a figure cannot be made (no clear pixel, or below ``min_clear_percent``).
    """
    import dask

    from geoquant.segment import has_data

    (seen,) = dask.compute(has_data(segmentation).sum())
    clear = 100.0 * float(seen) / region_pixels if region_pixels else 0.0
    values: dict[str, float] = {CLEAR_METRIC: clear}
    observed = int(seen) > 0 and clear >= source.min_clear_percent
    for metric in source.metrics:
        if not observed:
            values[metric.name] = math.nan
        elif metric.measure == "question":
            values[metric.name] = _answer(plans[metric.name], segmentation)
        else:
            values[metric.name] = measure_mask(masks[metric.class_name], metric)
    return values


def measure_mask(mask: Any, metric: MetricSpec) -> float:
    """One figure of one class mask (area, share, count or a fragmentation index)."""
    from geoquant import ops
    from geoquant.monitor._specs import AREA_UNITS

    if metric.measure == "area":
        return ops.area(mask) * AREA_UNITS[metric.unit]
    if metric.measure == "share":
        return ops.share(mask)
    if metric.measure == "count":
        return float(ops.count(mask, connectivity=metric.connectivity,
                               min_area_m2=metric.min_area_m2))
    neighbours = metric.index in ("enn_mn", "connectance")
    result = ops.fragmentation(mask, connectivity=metric.connectivity,
                               connectance_m=metric.connectance_m, neighbours=neighbours)
    return float(result[metric.index])


def _answer(plan: Any, segmentation: Any) -> float:
    from geoquant.reason import ask

    answer = ask(plan, source=segmentation, thresholds=None)
    value = answer.value
    if isinstance(value, bool | np.bool_):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
