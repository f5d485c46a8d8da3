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


def _check_same_grid(optical: Any, sar: Any, clear: Any) -> None:
    """Same pixels (the operators' grid check), same dates, and a clear mask that fits."""
    from geoquant.ops import PixelGeometry, check_same_grid

    check_same_grid(PixelGeometry.of(optical["label"], name="optical"),
                    PixelGeometry.of(sar["label"], name="sar"), ("optical", "sar"))
    if ("time" in optical.dims) != ("time" in sar.dims):
        raise GridMismatchError("only one of the segmentations has a 'time' dimension: fuse "
                                "them date by date, or both with the same dates")
    if "time" in optical.dims and not np.array_equal(optical["time"].values,
                                                     sar["time"].values):
        raise GridMismatchError("the optical and SAR segmentations have different dates: "
                                "select matching time steps first")
    if clear is not None:
        extra = set(clear.dims) - set(optical["label"].dims)
        if extra or any(clear.sizes[d] != optical.sizes[d] for d in clear.dims):
            raise GridMismatchError(f"the clear mask's dims {tuple(clear.dims)} or sizes do not "
                                    f"match the optical segmentation's {dict(optical.sizes)}")


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
    _check_same_grid(optical, sar, clear)
    # The same grid within the operators' tolerance: give SAR the optical coordinates, so
    # nothing is re-aligned by label.
    sar = sar.assign_coords({d: optical[d] for d in ("y", "x", "time") if d in sar.dims})
    p_opt, p_sar = optical["probability"], sar["probability"]
    classes = [c for c in CLASS_NAMES
               if c in p_opt["class"].values or c in p_sar["class"].values]
    p_opt = p_opt.reindex({"class": classes})
    p_sar = p_sar.reindex({"class": classes})
    usable = ~p_opt.isnull().all("class")
    if clear is not None:
        usable = usable & clear.astype(bool).assign_coords(
            {d: optical[d] for d in clear.dims if d in optical.coords})
    sar_has = ~p_sar.isnull().all("class")
    order = (*(d for d in p_opt.dims if d not in ("class", "y", "x")), "class", "y", "x")
    probability = xr.where(usable, p_opt, p_sar).astype(np.float32).transpose(*order)
    plane = order[:-3] + ("y", "x")
    source = xr.where(usable, SOURCE_OPTICAL,
                      xr.where(sar_has, SOURCE_SAR, SOURCE_NONE)).astype(np.uint8)
    source = source.transpose(*plane)
    source.attrs = {"long_name": "modality that decided the pixel",
                    "flag_values": [SOURCE_NONE, SOURCE_OPTICAL, SOURCE_SAR],
                    "flag_meanings": SOURCE_MEANINGS}
    # Each pixel's class follows the rule of the modality that decided it (a softmax model's
    # most probable class stays so where the optical model decides).
    opt_label = label_array(p_opt.transpose(*order).data, classes,
                            exclusive=bool(optical.attrs.get("exclusive")))
    sar_label = label_array(p_sar.transpose(*order).data, classes,
                            exclusive=bool(sar.attrs.get("exclusive")))
    label = xr.where(source == SOURCE_OPTICAL,
                     xr.DataArray(opt_label, dims=plane, coords=source.coords),
                     xr.DataArray(sar_label, dims=plane, coords=source.coords)).astype(np.uint8)
    label.attrs = label_attrs(classes)
    label.rio.write_nodata(NODATA, encoded=False, inplace=True)
    exclusive = bool(optical.attrs.get("exclusive")) and bool(sar.attrs.get("exclusive"))
    ds = xr.Dataset({"probability": probability, "label": label, "source": source},
                    attrs={"optical_segmenter": optical.attrs.get("segmenter", ""),
                           "sar_segmenter": sar.attrs.get("segmenter", ""),
                           "exclusive": int(exclusive), "fusion": "optical where clear, "
                           "else SAR"})
    crs = optical.rio.crs
    if crs is not None:
        ds = ds.rio.write_crs(crs, inplace=True)
    return ds
