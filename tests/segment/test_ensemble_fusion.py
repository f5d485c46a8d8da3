"""Ensembles keep every class of every member; fusion takes optical where clear, else SAR."""

import json

import numpy as np
import pytest
import xarray as xr

import geoquant as gq
from geoquant.errors import GridMismatchError, InvalidOptionError
from geoquant.segment import SarWater, apply, ensemble, fuse, open_segmenter, spectral_rules


@pytest.fixture(scope="module")
def scene():
    ds = gq.synth.scene((256, 256), seed=5, chunks=128)   # water in every band of rows
    return ds.load()


def _with_sar(ds):
    """Optical and SAR bands stacked into one cube (the synth names them apart)."""
    sar = ds.sar.rename(polarization="band")
    cube = xr.concat([ds.optical.drop_vars("common_name"), sar], dim="band")
    return cube.rio.write_crs(ds.rio.crs)


def test_ensemble_keeps_every_class_of_every_member(scene):
    rules = spectral_rules(classes=["forest", "built-up"])
    synth = open_segmenter("geoquant-synth")
    both = ensemble(rules, SarWater(threshold_db=-17.0))
    assert set(both.classes) == {"forest", "built-up", "water"}
    mixed = ensemble(synth, rules)
    assert set(mixed.classes) == set(synth.classes) | set(rules.classes)
    assert mixed.exclusive is False


def test_ensemble_is_max_logit_over_shared_classes(scene):
    cube = _with_sar(scene)
    optical, sar = spectral_rules(classes=["water"]), SarWater(threshold_db=-17.0)
    fused = apply(cube, ensemble(optical, sar)).probability.sel({"class": "water"}).values
    p_opt = apply(cube, optical).probability.sel({"class": "water"}).values
    p_sar = apply(cube, sar).probability.sel({"class": "water"}).values
    logit = lambda p: np.log(p) - np.log1p(-p)  # noqa: E731
    with np.errstate(divide="ignore"):   # log-odds of 0 and 1 are infinite, which is fine
        expected = 1 / (1 + np.exp(-np.maximum(logit(p_opt.astype(np.float64)),
                                               logit(p_sar.astype(np.float64)))))
    np.testing.assert_allclose(fused, expected, rtol=1e-5, atol=1e-7)
    info = json.loads(apply(cube, ensemble(optical, sar)).attrs["segmenter"])
    assert [m["name"] for m in info["members"]] == [optical.name, sar.name]


def test_ensemble_fits_its_sar_member(shared_data):
    from geoquant.testing.real import camargue_vv

    vv = camargue_vv(shared_data)
    out = apply(vv, ensemble(SarWater()))
    info = json.loads(out.attrs["segmenter"])
    assert info["members"][0]["threshold_source"] == "otsu"


def test_ensemble_needs_segmenters():
    with pytest.raises(InvalidOptionError, match="at least one"):
        ensemble()
    with pytest.raises(InvalidOptionError, match="not a segmenter"):
        ensemble(spectral_rules(), "water")


def test_fusion_uses_sar_under_clouds_and_records_the_source(scene):
    optical_cube = scene.optical.copy()
    values = optical_cube.values.copy()
    values[:, 200:, :] = np.nan                      # a data gap
    optical_cube = optical_cube.copy(data=values)
    clear = xr.ones_like(scene.landcover, dtype=bool)
    clear[:100, :128] = False                        # a cloud
    opt = apply(optical_cube, spectral_rules())
    sar = apply(scene.sar.rename(polarization="band"), SarWater(threshold_db=-17.0))
    out = fuse(opt, sar, clear=clear)
    source = out.source.values
    assert (source[:100, :128] == 2).all() and (source[200:] == 2).all()
    assert (source[100:200] == 1).all()
    water = gq.segment.class_mask(out, "water").values
    optical_water = gq.segment.class_mask(opt, "water").values
    np.testing.assert_array_equal(water[100:200], optical_water[100:200])
    np.testing.assert_array_equal(water[200:], gq.segment.class_mask(sar, "water").values[200:])
    # Forest is unknown where SAR decided: excluded (255), not absent.
    forest = gq.segment.class_mask(out, "forest").values
    assert (forest[:100, :128] == 255).all() and (forest[100:200] != 255).all()
    # The fused water agrees with the truth where either modality sees it.
    truth = np.isin(scene.landcover.values, gq.synth.WATER_CODES)
    iou = (truth & (water == 1)).sum() / (truth | (water == 1)).sum()
    assert iou > 0.8
    assert out.rio.crs == scene.rio.crs


def test_fusion_needs_one_grid(scene):
    opt = apply(scene.optical, spectral_rules())
    other = gq.synth.scene((256, 256), seed=5, chunks=128, origin=(600_000.0, 5_100_000.0))
    sar = apply(other.sar.rename(polarization="band"), SarWater(threshold_db=-17.0))
    with pytest.raises(GridMismatchError, match="transform.*reproject_match"):
        fuse(opt, sar)
    with pytest.raises(InvalidOptionError, match="segmentation"):
        fuse(opt, scene.sar)


def test_fusion_keeps_an_exclusive_models_class_map_where_optical_decides(scene):
    codes = scene.landcover.expand_dims(band=["lc"]).astype(np.float32)
    # A one-hot product stands in for a softmax model: exclusive, every pixel one class.
    opt = apply(codes, open_segmenter("geoquant-synth"))
    sar = apply(scene.sar.rename(polarization="band"), SarWater(threshold_db=-17.0))
    out = fuse(opt, sar)
    assert (out.source.values == 1).all()
    np.testing.assert_array_equal(
        gq.segment.class_mask(out, "forest").values, gq.segment.class_mask(opt, "forest").values)
    # Thresholded broad classes agree with the class map (members count for their class).
    np.testing.assert_array_equal(gq.segment.class_mask(out, "vegetation", threshold=0.5).values,
                                  gq.segment.class_mask(out, "vegetation").values)


def test_fusion_over_time_and_its_grid_checks(scene):
    optical = xr.concat([scene.optical, scene.optical], dim="time").assign_coords(
        time=np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[ns]"))
    sar_cube = xr.concat([scene.sar, scene.sar], dim="time").assign_coords(time=optical.time)
    opt = apply(optical.rio.write_crs(scene.rio.crs), spectral_rules())
    sar = apply(sar_cube.rename(polarization="band").rio.write_crs(scene.rio.crs),
                SarWater(threshold_db=-17.0))
    clear = xr.ones_like(opt.label, dtype=bool)
    clear[1, :100] = False
    out = fuse(opt, sar, clear=clear)
    assert out.probability.dims == ("time", "class", "y", "x")
    assert out.label.dims == out.source.dims == ("time", "y", "x")
    assert (out.source.values[0] == 1).all() and (out.source.values[1, :100] == 2).all()
    # Coordinates equal to within float noise (1e-9 m on 10 m pixels) are one grid.
    nudged = sar.assign_coords(x=sar.x + 1e-9)
    assert fuse(opt, nudged).source.shape == out.source.shape
    with pytest.raises(GridMismatchError, match="dates"):
        fuse(opt, sar.assign_coords(time=sar.time + np.timedelta64(1, "h")))
    with pytest.raises(GridMismatchError, match="CRS differs"):
        fuse(opt, sar.rio.write_crs("EPSG:32634"))
    with pytest.raises(GridMismatchError, match="only one"):
        fuse(opt.isel(time=0), sar)
