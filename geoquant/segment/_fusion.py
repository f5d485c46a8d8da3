"""Optical and SAR together: each pixel segmented by the modality that sees the ground.

Optical imagery is richer but blind under clouds and in data gaps; SAR sees through clouds but
knows fewer classes. :func:`fuse` takes, per pixel, the optical result where the optical data are
valid and clear, and the SAR result elsewhere, and records which modality decided in a
``source`` evidence layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geoquant.errors import GridMismatchError, InvalidOptionError
from geoquant.segment._result import NODATA, label_array, label_attrs
from geoquant.segment._vocabulary import CLASS_NAMES

#: Values of the ``source`` layer.
SOURCE_NONE, SOURCE_OPTICAL, SOURCE_SAR = 0, 1, 2
SOURCE_MEANINGS = "none optical sar"


def fuse(optical: Any, sar: Any, *, clear: Any = None) -> Any:
    """Fuse an optical and a SAR segmentation of the same grid.

    Parameters
    ----------
    optical, sar : xarray.Dataset
        Results of :func:`geoquant.segment.apply` on the same ``(y, x)`` grid (and the same
        ``time`` steps, if any).
    clear : xarray.DataArray of bool, optional
        ``([time,] y, x)``: True where the optical view is clear (e.g.
        :func:`geoquant.sources.clear_mask`). Optical pixels that are NaN (no data) count as
        not clear whatever this says.

    Returns
    -------
    xarray.Dataset
        ``probability`` over the union of both class sets, ``label``, and ``source``
        (uint8: 1 optical, 2 SAR, 0 neither had data). Where SAR decides, classes only the
        optical segmenter knows are NaN (unknown), not zero: a forest mask under clouds is
        excluded, not empty.
    """
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    for name, ds in (("optical", optical), ("sar", sar)):
        if not isinstance(ds, xr.Dataset) or "probability" not in ds:
            raise InvalidOptionError(f"{name} must be a segmentation (a Dataset from "
                                     "geoquant.segment.apply)")
    for dim in ("y", "x"):
        a, b = optical.sizes.get(dim), sar.sizes.get(dim)
        if a != b or not np.allclose(optical[dim].values, sar[dim].values):
            raise GridMismatchError(
                f"the optical and SAR segmentations lie on different grids ({dim}: {a} vs "
                f"{b} pixels or other coordinates); load both on one grid, e.g. "
                "sar.rio.reproject_match(optical)")
    p_opt, p_sar = optical["probability"], sar["probability"]
    classes = [c for c in CLASS_NAMES
               if c in p_opt["class"].values or c in p_sar["class"].values]
    p_opt = p_opt.reindex({"class": classes})
    p_sar = p_sar.reindex({"class": classes})
    usable = ~p_opt.isnull().all("class")
    if clear is not None:
        usable = usable & clear.astype(bool)
    sar_has = ~p_sar.isnull().all("class")
    probability = xr.where(usable, p_opt, p_sar).astype(np.float32)
    probability = probability.transpose(*p_opt.dims)
    source = xr.where(usable, SOURCE_OPTICAL,
                      xr.where(sar_has, SOURCE_SAR, SOURCE_NONE)).astype(np.uint8)
    source.attrs = {"long_name": "modality that decided the pixel",
                    "flag_values": [SOURCE_NONE, SOURCE_OPTICAL, SOURCE_SAR],
                    "flag_meanings": SOURCE_MEANINGS}
    exclusive = bool(optical.attrs.get("exclusive")) and bool(sar.attrs.get("exclusive"))
    label = xr.DataArray(label_array(probability.data, classes, exclusive=exclusive),
                         dims=source.dims, coords=source.coords, attrs=label_attrs(classes))
    label.rio.write_nodata(NODATA, encoded=False, inplace=True)
    ds = xr.Dataset({"probability": probability, "label": label, "source": source},
                    attrs={"optical_segmenter": optical.attrs.get("segmenter", ""),
                           "sar_segmenter": sar.attrs.get("segmenter", ""),
                           "exclusive": int(exclusive), "fusion": "optical where clear, "
                           "else SAR"})
    crs = optical.rio.crs
    if crs is not None:
        ds = ds.rio.write_crs(crs, inplace=True)
    return ds
