"""Class masks of a segmentation, one way for reason and monitor (``segment._masks``).

A label-only segmentation (a land-cover product's class map without its one-hot
probabilities) must give the masks that ``class_mask`` gives for the same map with those
probabilities, read from the class map alone (a byte per pixel, never one plane per class).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import geoquant as gq
from geoquant.errors import ClassNameError
from geoquant.testing.rasters import as_raster

CLASSES = ["water", "forest", "grassland", "cropland", "built-up"]


def _label_only(chunks: int | None) -> xr.Dataset:
    rng = np.random.default_rng(3)
    codes = rng.integers(0, len(CLASSES) + 1, (23, 31)).astype(np.uint8)
    codes[codes == 0] = gq.segment.MASK_NODATA
    label = as_raster(codes, name="label")
    if chunks:
        label = label.chunk(chunks)
    return xr.Dataset({"label": label}, attrs={"classes": CLASSES})


def _with_probabilities(seg: xr.Dataset) -> xr.Dataset:
    codes = xr.DataArray(np.arange(1, len(CLASSES) + 1), dims="class",
                         coords={"class": CLASSES})
    probability = (seg["label"] == codes).astype(np.float32)
    probability = probability.where(seg["label"] != gq.segment.MASK_NODATA)
    return seg.assign(probability=probability.transpose("class", ...))


@pytest.mark.parametrize("chunks", [None, 7])
@pytest.mark.parametrize("name", ["forest", "vegetation", "built-up", "trees"])
def test_label_only_masks_equal_those_of_the_one_hot_probabilities(chunks, name):
    seg = _label_only(chunks)
    got = gq.segment.segmentation_mask(seg, name)
    want = gq.segment.class_mask(_with_probabilities(seg), name)
    xr.testing.assert_identical(got.compute().drop_attrs(deep=False),
                                want.compute().drop_attrs(deep=False))
    assert got.attrs["long_name"] == f"{want.name} mask"
    assert "threshold" not in got.attrs  # read at the class map: no threshold to record
    assert got.rio.nodata == gq.segment.MASK_NODATA and got.rio.crs == seg.rio.crs
    if chunks:
        assert got.chunks == seg["label"].chunks  # stays lazy, chunk for chunk


def test_label_only_masks_never_build_a_plane_per_class():
    seg = _label_only(7)
    mask = gq.segment.segmentation_mask(seg, "vegetation")
    shapes = {tuple(layer.shape) for layer in mask.data.dask.layers.values()
              if hasattr(layer, "shape")}
    assert all(len(shape) <= 2 for shape in shapes)


def test_an_absent_class_is_refused_by_name():
    with pytest.raises(ClassNameError, match="no class 'shrubland'.*water, forest"):
        gq.segment.segmentation_mask(_label_only(None), "shrubland")
