"""Stitching a real ConvNeXt-UNet: tiles with an overlap beyond its receptive field equal
whole-image inference (within 1e-5), for several tile sizes, with no seams."""

import numpy as np
import pytest

import geoquant as gq
from geoquant.testing.rasters import as_cube

S2 = ["B02", "B03", "B04", "B08", "B11", "B12"]
CLASSES = ["water", "forest", "grass", "cropland", "built-up"]


@pytest.fixture(scope="module")
def model():
    return gq.segment.convnext_unet(S2, CLASSES, size="small", seed=3)


@pytest.fixture(scope="module")
def image():
    scene = gq.synth.scene((900, 1000), seed=5, chunks=1024)
    values = scene.optical.values.copy()
    values[:, 300:330, 100:700] = np.nan          # a gap across a tile boundary
    return values


@pytest.fixture(scope="module")
def whole(model, image):
    return model.predict(image, S2)


@pytest.mark.parametrize(("tile", "overlap"), [
    (416, 416), (480, 416), pytest.param(448, 448, marks=pytest.mark.slow)])  # as 416-416
def test_tiles_equal_whole_image_inference(model, image, whole, tile, overlap):
    assert overlap > model.halo
    lazy = gq.segment.apply(as_cube(image, S2), model, tile=tile, overlap=overlap)
    assert len(lazy.probability.chunks[1]) > 1 and len(lazy.probability.chunks[2]) > 1
    out = lazy.load()
    got = out.probability.values
    np.testing.assert_array_equal(np.isnan(got), np.isnan(whole))
    np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(whole), atol=1e-5, rtol=0)
    label = out.label.values
    assert (label[~np.isnan(whole).all(0)] >= 1).all()


def test_an_overlap_inside_the_receptive_field_shows_seams(model, image, whole):
    with pytest.warns(UserWarning, match="receptive-field"):
        out = gq.segment.apply(as_cube(image, S2), model, tile=416, overlap=64)
    assert np.nanmax(np.abs(out.probability.values - whole)) > 1e-4


def test_tiles_in_batches_equal_whole_image_inference(model, image, whole):
    lazy = gq.segment.apply(as_cube(image, S2), model, tile=448, overlap=448, batch=4)
    assert any("segment-batch" in str(k) for k in dict(lazy.probability.data.dask))
    got = lazy.probability.values
    np.testing.assert_array_equal(np.isnan(got), np.isnan(whole))
    np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(whole), atol=1e-5, rtol=0)
