"""Applying segmenters over tiles: stitching equals whole-image inference, time, composites."""

import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import ndimage

import geoquant as gq
from geoquant.errors import InvalidOptionError, TilingError
from geoquant.segment import apply, spectral_rules
from geoquant.testing.rasters import as_cube
from geoquant.tiling import edge_weights

S2 = ["B02", "B03", "B04", "B08", "B11", "B12"]


@dataclass(frozen=True)
class BoxFilter:
    """A stand-in convolutional segmenter: exact receptive field, zero padding, a stride."""

    size: int = 9
    name: str = "box filter"
    version: str = "1"
    classes: tuple = ("water", "forest")
    bands: tuple = ("green",)
    stride: int = 4
    exclusive: bool = True

    @property
    def halo(self):
        return self.size // 2

    def predict(self, tile, bands):
        from geoquant.segment._bands import band_indices

        (position,) = band_indices(bands, self.bands, who=self.name)
        green = tile[position]
        s = ndimage.uniform_filter(np.nan_to_num(green), self.size, mode="constant")
        p = 1 / (1 + np.exp(-(s - 0.5) * 10))
        out = np.stack([p, 1 - p]).astype(np.float32)
        out[:, np.isnan(green)] = np.nan
        return out


def test_edge_weights_fall_to_zero_at_cut_edges():
    w = edge_weights(20, True, True, overlap=6, dead=2)
    assert (w[:2] == 0).all() and (w[-2:] == 0).all()
    assert (w[6:14] == 1).all() and (np.diff(w[:7]) >= 0).all()
    assert (edge_weights(10, False, False, overlap=6, dead=2) == 1).all()


@pytest.mark.parametrize(("tile", "overlap"), [(64, 16), (100, 8), (32, 32), (48, 12)])
def test_stitching_equals_whole_image(tile, overlap):
    rng = np.random.default_rng(tile)
    img = rng.random((2, 301, 257)).astype(np.float32)   # band lookup: green is the 2nd band
    img[1, 150:170, 60:200] = np.nan
    seg = BoxFilter()
    whole = seg.predict(img, ["B02", "B03"])
    out = apply(as_cube(img, ["B02", "B03"]), seg, tile=tile, overlap=overlap)
    got = out.probability.values
    np.testing.assert_allclose(got, whole, atol=1e-6)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(whole))
    assert out.probability.chunks[1][0] == tile


def test_too_small_an_overlap_warns_and_blends():
    img = np.random.default_rng(0).random((1, 200, 200)).astype(np.float32)
    with pytest.warns(UserWarning, match="receptive-field radius"):
        out = apply(as_cube(img, ["B03"]), BoxFilter(), tile=64, overlap=4)
    got, whole = out.probability.values, BoxFilter().predict(img, ["B03"])
    assert np.isfinite(got).all()
    np.testing.assert_allclose(got[:, 80:100, 80:100], whole[:, 80:100, 80:100], atol=1e-6)
    seams = np.abs(got - whole)[:, 20:44, :].max(axis=(0, 1))   # rows far from any cut
    assert seams[60:68].max() > 1e-3            # differs near the cut at column 64 ...
    assert seams[20:44].max() < 1e-6            # ... and nowhere far from a cut


def test_rasters_narrower_than_the_overlap_and_single_tiles():
    rng = np.random.default_rng(2)
    for shape, tile in (((1, 10, 300), 64), ((1, 40, 50), 64)):
        img = rng.random(shape).astype(np.float32)
        out = apply(as_cube(img, ["B03"]), BoxFilter(size=41), tile=tile)
        np.testing.assert_allclose(out.probability.values, BoxFilter(size=41).predict(
            img, ["B03"]), atol=1e-6)


def test_default_tiles_follow_the_cube_chunks_along_each_axis():
    scene = gq.synth.scene((256, 256), seed=1, chunks=(128, 64))
    out = apply(scene.optical, spectral_rules())
    assert out.label.chunks == ((128, 128), (64, 64, 64, 64))


def test_tile_smaller_than_overlap_is_an_error():
    img = np.zeros((1, 200, 200), np.float32)
    with pytest.raises(TilingError, match="smaller than the overlap"):
        apply(as_cube(img, ["B03"]), BoxFilter(size=41), tile=16, overlap=32)
    with pytest.raises(InvalidOptionError, match="overlap"):
        apply(as_cube(img, ["B03"]), BoxFilter(), overlap=-1)


def test_default_overlap_covers_the_halo_and_the_stride():
    seg = BoxFilter(size=41)
    assert gq.segment.default_overlap(seg) > seg.halo
    assert gq.segment.default_overlap(seg) % seg.stride == 0
    assert gq.segment.default_overlap(spectral_rules()) == 0


def test_results_are_lazy_chunked_like_the_cube_and_georeferenced():
    scene = gq.synth.scene((512, 384), seed=3, chunks=128)
    out = apply(scene.optical, spectral_rules())
    assert out.probability.chunks[1:] == scene.optical.chunks[1:]
    assert out.label.chunks == scene.landcover.chunks
    assert out.rio.crs == scene.rio.crs
    assert out.rio.transform() == scene.rio.transform()
    assert hasattr(out.probability.data, "dask")
    # Per-pixel rules: any tiling gives identical results.
    again = apply(scene.optical.chunk({"y": 77, "x": 200}), spectral_rules(), tile=96)
    np.testing.assert_array_equal(out.probability.values, again.probability.values)


def test_every_time_step_is_segmented():
    scene = gq.synth.scene((64, 64), seed=1, chunks=64)
    stack = np.stack([scene.optical.values, scene.optical.values * 0 + 0.05])
    cube = as_cube(stack, S2)
    out = apply(cube, spectral_rules())
    assert out.probability.dims == ("time", "class", "y", "x")
    assert out.label.dims == ("time", "y", "x")
    for t in range(2):
        alone = apply(as_cube(stack[t], S2), spectral_rules())
        np.testing.assert_array_equal(out.label.values[t], alone.label.values)
    assert not np.array_equal(out.label.values[0], out.label.values[1])
    forest = gq.segment.class_mask(out, "forest")
    assert forest.dims == ("time", "y", "x")


def test_composite_is_the_median_of_clear_observations():
    rng = np.random.default_rng(0)
    ground = rng.random((6, 32, 32)).astype(np.float32) * 0.3
    stack = np.stack([ground, ground + 0.5, ground, ground - 0.01])   # t=1 is cloud
    clear = np.ones((4, 32, 32), bool)
    clear[1] = False
    cube = as_cube(stack, S2)
    import xarray as xr

    clear_da = xr.DataArray(clear, dims=("time", "y", "x"), coords={"time": cube.time})
    comp = gq.segment.temporal_composite(cube, clear=clear_da)
    np.testing.assert_allclose(comp.values, ground, rtol=1e-6)
    out = apply(cube, spectral_rules(), composite=True, clear=clear_da)
    direct = apply(as_cube(ground, S2), spectral_rules())
    np.testing.assert_array_equal(out.label.values, direct.label.values)
    with pytest.raises(InvalidOptionError, match="time"):
        gq.segment.temporal_composite(as_cube(ground, S2))
    with pytest.raises(InvalidOptionError, match="composite=True"):
        apply(cube, spectral_rules(), clear=clear_da)
    shifted = clear_da.assign_coords(time=clear_da.time + np.timedelta64(30, "m"))
    with pytest.raises(InvalidOptionError, match="time steps differ"):
        gq.segment.temporal_composite(cube, clear=shifted)
    by_position = gq.segment.temporal_composite(cube, clear=clear_da.drop_vars("time"))
    np.testing.assert_allclose(by_position.values, ground, rtol=1e-6)


def test_not_a_segmenter_and_bad_dims_are_errors():
    with pytest.raises(InvalidOptionError, match="is not a segmenter"):
        apply(as_cube(np.zeros((1, 4, 4)), ["B03"]), object())
    scene = gq.synth.scene((16, 16), seed=1, chunks=16)
    with pytest.raises(InvalidOptionError, match=r"dims \(band, y, x\)"):
        apply(scene.optical.transpose("y", "x", "band"), spectral_rules())


def test_masks_feed_the_operators_exactly():
    scene = gq.synth.scene((300, 300), seed=5, chunks=100)
    out = apply(scene.optical, spectral_rules())
    water = gq.segment.class_mask(out, "water")
    labels = ndimage.label(water.values == 1, structure=np.ones((3, 3)))[1]
    assert gq.ops.count(water) == labels
    assert gq.ops.area(water) == pytest.approx((water.values == 1).sum() * 100.0)


def test_cupy_tiles_skip_without_a_gpu():
    cupy = pytest.importorskip("cupy", reason="cupy is not installed")
    if not cupy.cuda.is_available():
        pytest.skip("no CUDA device: cupy.cuda.is_available() is False")
    scene = gq.synth.scene((256, 256), seed=1, chunks=128)
    gpu = scene.optical.copy(data=scene.optical.data.map_blocks(cupy.asarray))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = apply(gpu, spectral_rules())
    cpu = apply(scene.optical, spectral_rules())
    np.testing.assert_allclose(cupy.asnumpy(out.probability.data.compute()),
                               cpu.probability.values, rtol=1e-6)
