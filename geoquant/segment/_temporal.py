"""Temporal composites: the median of the cloud-free observations of each pixel."""

from __future__ import annotations

from typing import Any

from geoquant.errors import InvalidOptionError


def temporal_composite(cube: Any, *, clear: Any = None) -> Any:
    """Per-pixel median over ``time`` of the clear observations.

    Parameters
    ----------
    cube : xarray.DataArray
        ``(time, band, y, x)``; NaN marks missing data.
    clear : xarray.DataArray of bool, optional
        ``(time, y, x)`` or ``(time, band, y, x)``: True where the ground is seen clearly
        (:func:`geoquant.sources.clear_mask`). Without it every finite value counts.

    Returns
    -------
    xarray.DataArray
        ``(band, y, x)`` float32, NaN where no observation was clear; attribute
        ``composite_of`` lists the time steps considered (which of them were clear varies
        from pixel to pixel).
    """
    import numpy as np

    if "time" not in cube.dims:
        raise InvalidOptionError(f"a temporal composite needs a 'time' dimension; the cube has "
                                 f"{tuple(cube.dims)}")
    values = cube.astype(np.float32)
    if clear is not None:
        extra = set(clear.dims) - set(cube.dims)
        if extra or "time" not in clear.dims or any(clear.sizes[d] != cube.sizes[d]
                                                    for d in clear.dims):
            raise InvalidOptionError(f"the clear mask's dims {tuple(clear.dims)} and sizes do "
                                     f"not match the cube's {dict(cube.sizes)}")
        if "time" in clear.coords and not np.array_equal(clear["time"].values,
                                                         cube["time"].values):
            raise InvalidOptionError(
                "the clear mask's time steps differ from the cube's: build it for the same "
                "items (geoquant.sources.clear_mask(items, like=cube)) or drop its time "
                "coordinate to match the steps by position")
        # Matched by position (checked above), never by label: a join could silently empty it.
        clear = clear.astype(bool).assign_coords(
            {d: cube[d] for d in clear.dims if d in cube.coords})
        values = values.where(clear)
    if hasattr(values.data, "dask"):
        values = values.chunk({"time": -1})
    out = values.median("time", skipna=True).astype(np.float32)
    out.attrs = {**cube.attrs, "composite_of": [str(t) for t in cube["time"].values]}
    crs = cube.rio.crs
    return out.rio.write_crs(crs, inplace=True) if crs is not None else out
