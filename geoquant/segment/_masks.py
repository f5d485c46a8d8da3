"""Class masks from what a source gives: one module for :mod:`geoquant.reason` and
:mod:`geoquant.monitor`.

A mask is a ``uint8`` DataArray on the source's grid: 1 where the class is, 0 on other valid
pixels and :data:`MASK_NODATA` where nothing is known (no data, cloud, outside the region). It
is read

- from a segmentation (:func:`geoquant.segment.apply`): :func:`segmentation_mask` and
  :func:`class_masks`, through :func:`geoquant.segment.class_mask`, also for a label-only
  segmentation (a land-cover product's class map kept as a byte per pixel); :func:`has_data`
  tells where its class map has data;
- from a raster of class codes (no data as NaN): :func:`code_mask`.

How a source is segmented is decided here too: :func:`is_sar` (radar backscatter is read by
:class:`~geoquant.segment.SarWater`, at one date rather than composited, with no clear-sky
mask) and :func:`class_asset` (the STAC asset holding a land-cover product's classes, read as
:meth:`~geoquant.segment.LandCoverProduct.from_stac`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from geoquant.segment._result import NODATA, class_mask, finished_mask, members_in
from geoquant.segment._rules import SarWater

#: The no-data code of every class mask, and of a segmentation's class map (``label``).
MASK_NODATA: int = NODATA
#: Units of a radar cube (:func:`geoquant.sources.load` with ``sar_units``).
_SAR_UNITS = ("db", "linear")
#: Bands only radar imagery has.
_SAR_BANDS = frozenset({"vv", "vh"})


def is_sar(cube: Any, segmenter: Any = None) -> bool:
    """Whether a cube holds radar backscatter, or is to be read by a radar segmenter.

    Parameters
    ----------
    cube : xarray.DataArray
        A cube with a ``band`` dimension.
    segmenter : Segmenter, optional
        The segmenter the cube is to be read by, when already chosen.

    Returns
    -------
    bool
        True when the cube's ``units`` are ``db`` or ``linear``, it has a VV or VH band, or
        ``segmenter`` is a :class:`~geoquant.segment.SarWater`.
    """
    if isinstance(segmenter, SarWater):
        return True
    bands = {str(b).lower() for b in cube.band.values}
    return str(cube.attrs.get("units", "")) in _SAR_UNITS or bool(bands & _SAR_BANDS)


def is_class_asset(asset: Mapping[str, Any]) -> bool:
    """Whether a STAC asset carries a land-cover product's classes (``classification:classes``
    or ``file:values``)."""
    return "classification:classes" in asset or "file:values" in asset


def class_asset(item: Mapping[str, Any], among: Sequence[str] | None = None) -> str | None:
    """The key of a STAC item's first asset that carries classes (:func:`is_class_asset`).

    Parameters
    ----------
    item : mapping
        A STAC item.
    among : sequence of str, optional
        Look at these assets only, in this order (the bands a cube loaded).

    Returns
    -------
    str or None
        None when no such asset carries classes.
    """
    assets = item.get("assets", {})
    keys = list(assets) if among is None else [str(k) for k in among]
    return next((k for k in keys if is_class_asset(assets.get(k, {}))), None)


def has_data(segmentation: Any) -> Any:
    """``([time,] y, x)`` bool: True where a segmentation's class map has data."""
    return segmentation["label"] != MASK_NODATA


def segmentation_mask(segmentation: Any, name: str, *, threshold: float | None = None) -> Any:
    """The mask of one class of a segmentation: :func:`geoquant.segment.class_mask`.

    Parameters
    ----------
    segmentation : xarray.Dataset
        A result of :func:`geoquant.segment.apply` or :func:`geoquant.segment.fuse`, or a
        label-only segmentation: its ``label`` and a ``classes`` attribute (a land-cover
        product's class map, whose one-hot probabilities were not kept).
    name : str
        A class word (synonyms allowed; a broad class is the union of its members).
    threshold : float, optional
        As for :func:`~geoquant.segment.class_mask`. A label-only segmentation is read at its
        class map whatever the threshold: its scores are one-hot, so no threshold could
        change the mask.

    Returns
    -------
    xarray.DataArray
        uint8: 1 for the class, 0 for other valid pixels, :data:`MASK_NODATA` where no data.

    Raises
    ------
    ClassNameError
        When the class is unknown or the segmentation has neither it nor any member of it.
    """
    if "probability" in segmentation:
        return class_mask(segmentation, name, threshold=threshold)
    # The class map says what its one-hot probabilities would, in a byte per pixel.
    classes = [str(c) for c in segmentation.attrs["classes"]]
    wanted, members = members_in(classes, name)
    label = segmentation["label"]
    hit = label.isin([classes.index(m) + 1 for m in members])
    return finished_mask(hit, label == MASK_NODATA, wanted, segmentation.rio.crs)


def class_masks(segmentation: Any, classes: Sequence[str], *, threshold: float | None = None
                ) -> dict[str, Any]:
    """The mask of each class of ``classes`` (:func:`segmentation_mask`), by class word as
    given."""
    return {cls: segmentation_mask(segmentation, cls, threshold=threshold) for cls in classes}


def code_mask(codes: Any, code: int) -> Any:
    """The mask of one code of a raster of class codes (NaN where it has no data).

    Parameters
    ----------
    codes : xarray.DataArray
        ``(y, x)`` class codes with a CRS.
    code : int

    Returns
    -------
    xarray.DataArray
        uint8 named ``code_<code>``: 1 for the code, 0 for other codes, :data:`MASK_NODATA`
        where the raster has no data.
    """
    import rioxarray  # noqa: F401  (the .rio accessor)

    mask = (codes == code).astype(np.uint8).where(codes.notnull(), MASK_NODATA).astype(np.uint8)
    mask.name = f"code_{code}"
    mask.attrs = {}
    mask.rio.write_nodata(MASK_NODATA, encoded=False, inplace=True)
    return mask.rio.write_crs(codes.rio.crs, inplace=True)
