"""Read a load plan's pixels with odc-stac: the engine behind ``load(..., engine="odc")``.

One job: items → the raw ``(time, band, y, x)`` array of a :class:`~._load.LoadPlan`, the
same array the stackstac engine gives. The plan fixes everything else (bands, grid, time
steps, scaling, units, coordinates). How odc-stac is made to read as stackstac does:

- the output grid is the plan's, passed as an odc ``GeoBox`` (same transform and shape), so
  odc does not choose its own; overviews are not used (stackstac reads full resolution);
- ``dtype="float32"`` and ``nodata=nan``: no data become NaN. Which source pixels are no data
  comes from the file's own nodata value in both libraries (odc would otherwise fill with the
  STAC ``raster:bands`` nodata, such as 0, instead of NaN);
- time steps are the plan's groups of items, through a ``groupby`` key function, with the
  items of a group in the plan's (time) order: odc's default fuser then copies a pixel only
  where no earlier item of the group gave a valid one, which is geoquant's same-day mosaic,
  earliest valid pixel first. odc's own ``groupby="solar_day"`` is not used: it shifts every
  item by the longitude of the whole grid's centre, geoquant by the item's own.

Where the two still differ (tested in ``tests/sources/test_load_engines.py``): odc-stac warps
into float32, so values that GDAL computes (bilinear, cubic, average, ...) from integer files
keep their fraction, where stackstac's VRT in the file's data type rounds them; GDAL fits its
kernel and its approximate transformation to the window it warps, which is each chunk here
and a block of a VRT over the whole grid in stackstac. odc-stac takes no data from the file's
nodata value only, stackstac from GDAL's mask (the same, unless a file carries a mask band).
odc-stac reads an item only in the chunks that its STAC geometry touches.

Why it is faster for mosaics: a task per chunk and time step reads every item of the step
that touches the chunk, each only where it lies; stackstac reads each item onto whole chunks
and merges them afterwards. It reopens a file for every chunk, though, where stackstac opens
it once: slower for single items over many chunks (see ``_load._choose_engine``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from geoquant.errors import MissingDependencyError

if TYPE_CHECKING:
    from geoquant.sources._load import LoadPlan


def read_odc(plan: LoadPlan, groups: Sequence[Sequence[int]]):
    """The raw values of ``plan`` read by odc-stac, one time step per group of items.

    Parameters
    ----------
    plan
        What to read and onto which grid.
    groups
        Indices into ``plan.items`` of the items merged into each time step (earliest valid
        pixel first); single items, or ``plan.steps`` when ``plan.fusable``.

    Returns
    -------
    xarray.DataArray
        float32, dims ``(time, band, y, x)``, NaN where there are no data, chunked one time
        step and band a chunk and ``plan.grid.chunk_shape`` in y and x; without scale, offset
        or unit conversion and without coordinates (the caller sets them from the plan).

    Raises
    ------
    MissingDependencyError
        odc-stac is not installed.
    """
    try:
        import odc.stac
        from odc.geo.geobox import GeoBox
    except ImportError as err:
        raise MissingDependencyError(
            "engine='odc' needs odc-stac: pip install 'odc-stac>=0.5'; or pass "
            "engine='stackstac'") from err
    import dask.array as da
    import pystac
    import xarray as xr
    from affine import Affine

    grid = plan.grid
    geobox = GeoBox(grid.shape, Affine(*grid.transform), f"EPSG:{grid.epsg}")
    group_of = {k: g for g, group in enumerate(groups) for k in group}
    chunk_y, chunk_x = grid.chunk_shape
    # odc reads pystac Items only; from_dict copies the dict before migrating it.
    items = [pystac.Item.from_dict(item) for item in plan.items]
    ds = odc.stac.load(
        items, bands=list(plan.assets), geobox=geobox,
        groupby=lambda _item, _parsed, index: group_of[index], preserve_original_order=True,
        chunks={"time": 1, "y": chunk_y, "x": chunk_x}, dtype="float32", nodata=np.nan,
        resampling=plan.resampling, use_overviews=False, fail_on_error=True)
    data = da.stack([ds[band].data for band in plan.assets], axis=1)
    return xr.DataArray(data, dims=("time", "band", "y", "x"))
