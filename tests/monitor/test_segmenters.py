"""Classes as band thresholds, checked against NumPy at several chunkings; the default
segmenter's advice when a collection serves an index it cannot read."""

from __future__ import annotations

import numpy as np
import pytest
from monitor_kit import NDVI, footprint, item_dirs, write_region

from geoquant.errors import BandError, ConfigError
from geoquant.monitor import BandClass, BandThresholds, run

RULES = (BandClass("vegetation", "ndvi", above=0.3), BandClass("forest", "ndvi", above=0.6),
         BandClass("bare", "ndvi", above=-0.1, below=0.2))


def _tile(seed=0, shape=(37, 41)):
    rng = np.random.default_rng(seed)
    values = rng.uniform(-1, 1, size=(1, *shape)).astype(np.float32)
    values[0, rng.random(shape) < 0.1] = np.nan
    values[0, 0, :3] = (0.3, 0.6, 0.2)          # on the thresholds: not in the class
    return values


def test_predict_is_the_rule_itself():
    tile = _tile()
    out = BandThresholds(RULES).predict(tile, ["ndvi"])
    v = tile[0]
    for k, expected in enumerate((v > 0.3, v > 0.6, (v > -0.1) & (v < 0.2))):
        assert np.array_equal(out[k][np.isfinite(v)], expected[np.isfinite(v)])
        assert np.isnan(out[k][~np.isfinite(v)]).all()


@pytest.mark.parametrize("chunks", [None, 7, 16])
def test_applied_masks_equal_numpy_at_any_chunking(chunks):
    from geoquant import segment
    from geoquant.testing.rasters import as_cube

    tile = _tile(seed=1)
    cube = as_cube(tile, ["ndvi"], chunks=chunks)
    seg = segment.apply(cube, BandThresholds(RULES))
    v = tile[0]
    for cls, expected in (("vegetation", v > 0.3), ("forest", v > 0.6),
                          ("bare", (v > -0.1) & (v < 0.2))):
        mask = segment.class_mask(seg, cls, threshold=0.5).values
        assert np.array_equal(mask == 1, expected & np.isfinite(v))
        assert np.array_equal(mask == 255, ~np.isfinite(v))


def test_bands_are_matched_by_common_name():
    tile = np.stack([_tile(seed=2)[0], _tile(seed=3)[0]])
    rule = BandThresholds((BandClass("forest", "B08", above=0.5),))
    assert rule.bands == ("nir",)
    out = rule.predict(tile, ["red", "nir"])          # apply hands common names
    assert np.array_equal(out[0] == 1, tile[1] > 0.5)
    with pytest.raises(BandError, match="band\\(s\\) nir"):
        rule.predict(tile, ["red", "green"])


def test_an_index_collection_without_classes_gets_advice(tmp_path, live_catalog):
    write_region(tmp_path / "site.geojson", footprint(item_dirs(NDVI)[0]))
    config = tmp_path / "watch.yaml"
    config.write_text(f"name: w\ncatalog: {live_catalog.url}\noutput: out.zarr\ncadence: daily\n"
                      "regions: [{name: site, geojson: site.geojson}]\n"
                      "sources: [{name: ndvi, collection: slovenia-s2-ndvi,"
                      " metrics: [vegetation_share_percent]}]\n")
    with live_catalog.serving({NDVI: item_dirs(NDVI)[:1]}):
        with pytest.raises(ConfigError, match="define classes as band thresholds"):
            run(config, say=None, echo_alert=None)
    assert not (tmp_path / "out.zarr").exists()
