"""The complement of a mask within its valid pixels: nodata stays nodata.

"Non-water land", "everything except built-up", "ground that is neither grass nor cropland":
the valid pixels that are not in the mask. Excluded pixels (NaN, the raster's nodata value,
``valid=False``) are neither in the mask nor in its complement, so ``area(mask) +
area(complement(mask))`` is the valid area and no-data never turns into land.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geoquant.ops._mask import (
    BACKGROUND,
    EXCLUDED,
    OBJECT,
    check_no_lost_nodata,
    is_dask,
    prepare_mask,
)

NODATA = 255
"""The nodata value of complements that need one (uint8 output)."""


def complement(mask: Any, *, valid: Any = None) -> Any:
    """The valid pixels that are not in ``mask``.

    Parameters
    ----------
    mask : xarray.DataArray
        2-D mask with a CRS: boolean, or 0/1 numbers with NaN or the raster's nodata value
        marking excluded pixels.
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded (outside the region, nodata).

    Returns
    -------
    xarray.DataArray
        On the mask's grid, lazy for dask masks. A boolean mask without ``valid`` has no
        excluded pixel and gets ``~mask`` (bool). Otherwise uint8: 1 in the complement, 0 in
        the mask, :data:`NODATA` (255, written as the raster's nodata value) where excluded,
        which every operator reads as excluded.

    Raises
    ------
    geoquant.errors.MaskError
        When the mask is not a 2-D DataArray of booleans or 0/1 numbers.

    Examples
    --------
    >>> import numpy as np, geoquant as gq
    >>> from geoquant.testing.rasters import as_raster
    >>> water = as_raster(np.array([[1.0, 0.0, np.nan]]))
    >>> gq.ops.complement(water).values
    array([[  0,   1, 255]], dtype=uint8)
    """
    check_no_lost_nodata(mask, valid)
    prepared = prepare_mask(mask, name="mask", valid=valid)
    attrs = {"long_name": f"not {mask.name or 'the mask'}"}
    if np.dtype(mask.dtype) == np.bool_ and valid is None:
        return prepared.like(~mask.data, name=f"not_{mask.name or 'mask'}", attrs=attrs)
    codes = prepared.codes
    data = codes.map_blocks(_complement_codes, dtype=np.uint8)
    if not is_dask(mask.data):
        data = data.compute()
    out = prepared.like(data, name=f"not_{mask.name or 'mask'}", attrs=attrs)
    return out.rio.write_nodata(NODATA, encoded=False, inplace=True)


def _complement_codes(codes: Any) -> Any:
    from geoquant._backend import array_module

    xp = array_module(codes)
    out = xp.full(codes.shape, NODATA, np.uint8)
    out[codes == OBJECT] = 0
    out[codes == BACKGROUND] = 1
    out[codes == EXCLUDED] = NODATA
    return out
