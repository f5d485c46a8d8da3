"""Multi-scale image features (issue 29): exact in any tile with its halo, against scipy's
Gaussian filters as the reference, NaN-aware, and their options checked."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from geoquant.errors import InvalidOptionError
from geoquant.segment._scale_features import TRUNCATE, ScaleFeatures


def _image(bands: int, shape: tuple[int, int] = (150, 130), seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = ndimage.gaussian_filter(rng.random((bands, *shape)), (0, 2, 2)) * 200 - 30
    values = values.astype(np.float32)
    values[:, 40:44, 60:75] = np.nan        # a hole of missing data inside
    values[-1, 100, 10] = np.nan            # one band missing at one pixel
    return values


@pytest.mark.parametrize("bands", [("red", "green", "blue"), ("vv", "vh"), ("nir",)])
@pytest.mark.parametrize("window", [(0, 60, 0, 50), (30, 110, 40, 100), (90, 150, 70, 130)])
def test_a_tile_with_its_halo_gives_the_whole_images_layers_bitwise(bands, window):
    values = _image(len(bands))
    spec = ScaleFeatures(bands, (2, 5, 9)).fitted([values])
    whole = spec.compute(values)
    y0, y1, x0, x1 = window
    h = spec.halo
    a0, a1, b0, b1 = max(0, y0 - h), min(150, y1 + h), max(0, x0 - h), min(130, x1 + h)
    tile = spec.compute(values[:, a0:a1, b0:b1])
    np.testing.assert_array_equal(tile[:, y0 - a0:y1 - a0, x0 - b0:x1 - b0],
                                  whole[:, y0:y1, x0:x1])


def test_layers_match_scipys_gaussian_filters():
    values = _image(3)
    spec = ScaleFeatures(("red", "green", "blue"), (6,)).fitted([values])
    out = dict(zip(spec.names, spec.compute(values), strict=True))
    valid = np.isfinite(values).all(axis=0)
    sigma = 6 / TRUNCATE
    kept = np.where(valid, values[0], 0).astype(np.float64)
    mean = (ndimage.gaussian_filter(kept, sigma, mode="constant", truncate=TRUNCATE)
            / ndimage.gaussian_filter(valid.astype(np.float64), sigma, mode="constant",
                                      truncate=TRUNCATE))
    np.testing.assert_allclose(out["red_s6_mean"][valid], mean[valid], rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(out["red_s6_dev"][valid], (values[0] - mean)[valid],
                               rtol=1e-4, atol=1e-3)
    # missing pixels take each band's fill in edges: compare where the stencil sees none
    far = ndimage.binary_erosion(valid, np.ones((13, 13)), border_value=1)
    edge = ndimage.gaussian_gradient_magnitude(values.mean(axis=0).astype(np.float64), sigma,
                                               mode="nearest", truncate=TRUNCATE)
    np.testing.assert_allclose(out["brightness_s6_edge"][far], edge[far], rtol=1e-3, atol=1e-3)
    nd = (values[0] - values[1]) / (np.abs(values[0]) + np.abs(values[1]))
    np.testing.assert_allclose(out["red-green"][valid], nd[valid], rtol=1e-5, atol=1e-6)
    assert np.isnan(out["red_s6_sd"][~valid]).all()
    assert (out["red_s6_sd"][valid] >= 0).all()


def test_radar_layers_are_differences_and_speckle_medians():
    values = _image(2)
    spec = ScaleFeatures(("vv", "vh"), (3,)).fitted([values])
    assert spec.radar and spec.halo == 3 + 2
    out = dict(zip(spec.names, spec.compute(values), strict=True))
    valid = np.isfinite(values).all(axis=0)
    np.testing.assert_array_equal(out["vv-vh"][valid], (values[0] - values[1])[valid])
    filled = np.where(valid, values[0], np.float32(spec.fill[0]))   # a pixel missing any band
    median = ndimage.median_filter(filled, 5, mode="nearest")
    np.testing.assert_array_equal(out["vv_median5"][valid], median[valid])
    assert "vv_median5_s3_edge" in spec.names and "brightness" not in spec.names


def test_the_spec_round_trips_and_bad_options_are_refused():
    spec = ScaleFeatures(("vv", "vh"), (12, 3)).fitted([_image(2)])
    assert spec.radii_px == (3, 12)
    assert ScaleFeatures.from_json(spec.to_json()) == spec
    with pytest.raises(InvalidOptionError, match="context radii"):
        ScaleFeatures(("red",), (0,))
    with pytest.raises(InvalidOptionError, match="context radii"):
        ScaleFeatures(("red",), (3, 3))
    with pytest.raises(InvalidOptionError, match="at least one band"):
        ScaleFeatures((), (3,))
    with pytest.raises(InvalidOptionError, match=r"\(2, y, x\) values"):
        spec.compute(np.zeros((3, 8, 8), np.float32))
