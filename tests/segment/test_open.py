"""geoquant.segment.open_segmenter: the one public way to open any segmenter."""

from __future__ import annotations

import json

import pytest

from geoquant.errors import GeoquantError, InvalidOptionError, WeightsError
from geoquant.segment import (
    PRODUCTS,
    SEGMENTER_NAMES,
    LandCoverProduct,
    RuleSegmenter,
    SarWater,
    Segmenter,
    open_segmenter,
    spectral_rules,
)


def test_segmenter_names_open_their_segmenters():
    water = open_segmenter("sar-water", threshold_db=-18.0)
    assert isinstance(water, SarWater) and water.threshold_db == -18.0
    assert open_segmenter("sar-water").threshold_db is None
    ndwi = open_segmenter("spectral-ndwi")
    assert isinstance(ndwi, RuleSegmenter)
    assert ndwi == spectral_rules(index="ndwi") != open_segmenter("spectral")
    assert open_segmenter("spectral") == spectral_rules(index="mndwi")


def test_auto_is_no_segmenter_of_its_own():
    assert "auto" in SEGMENTER_NAMES
    with pytest.raises(InvalidOptionError, match="chooses one per source"):
        open_segmenter("auto")


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_product_names_open_the_products(name):
    assert open_segmenter(name) is PRODUCTS[name]


def test_a_product_reads_the_band_named():
    found = open_segmenter("esa-worldcover", band="map")
    assert isinstance(found, LandCoverProduct)
    assert found.classes == PRODUCTS["esa-worldcover"].classes
    assert found != PRODUCTS["esa-worldcover"]


def test_a_segmenter_is_returned_as_it_is():
    rules = spectral_rules()
    assert isinstance(rules, Segmenter)
    assert open_segmenter(rules) is rules


@pytest.mark.parametrize(("source", "options", "match"), [
    ("esa-worldcover", {"device": "cpu"},
     r"device= does not apply to a land-cover product \(esa-worldcover\) \(read for a "
     r"checkpoint\)"),
    ("sar-water", {"band": "vv"}, r"band= does not apply to a segmenter name .*land-cover"),
    ("spectral", {"halo": 2, "asset": "model"},
     r"asset=, halo= does not apply to a segmenter name \(spectral\) \(read for a STAC MLM"),
    (spectral_rules(), {"threshold_db": -18.0}, r"does not apply to a segmenter \(RuleSegmenter"),
    ("spectral", {"threshold_db": -18.0}, "read by the sar-water segmenter only"),
])
def test_an_option_the_kind_does_not_read_is_refused(source, options, match):
    with pytest.raises(InvalidOptionError, match=match):
        open_segmenter(source, **options)


def test_a_model_needs_both_bands_and_classes():
    with pytest.raises(InvalidOptionError, match="needs both bands= and classes="):
        open_segmenter("model.onnx", bands=["red"])


@pytest.mark.parametrize(("name", "hint"), [
    ("worldcover", "did you mean 'esa-worldcover'"),
    ("sar_water", "did you mean 'sar-water'"),
    ("nothing-like-it", "built-in products are esa-worldcover"),
])
def test_an_unknown_name_says_what_it_might_be(name, hint, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidOptionError, match=hint) as caught:
        open_segmenter(name)
    assert "auto" not in str(caught.value).split("segmenters are ")[1].split(";")[0]


def test_a_missing_or_unknown_file_is_a_weights_error(tmp_path):
    with pytest.raises(WeightsError, match="no segmenter file at .*model.pt"):
        open_segmenter(tmp_path / "model.pt")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"type": "FeatureCollection"}))
    with pytest.raises(WeightsError, match="neither a geoquant classifier nor a STAC item"):
        open_segmenter(other)


def test_stac_items_go_to_the_mlm_reader(tmp_path):
    item = {"type": "Feature", "stac_extensions": ["https://stac-extensions.github.io/mlm/"],
            "properties": {}, "assets": {}}
    # An item without a model asset is the MLM reader's to refuse, as a dict or a file.
    with pytest.raises(GeoquantError, match="MLM item .* no asset with role 'mlm:model'"):
        open_segmenter(item)
    path = tmp_path / "item.json"
    path.write_text(json.dumps(item))
    with pytest.raises(GeoquantError, match="MLM item .* no asset with role 'mlm:model'"):
        open_segmenter(path)
    with pytest.raises(InvalidOptionError, match=r"device= does not apply to a STAC MLM item"):
        open_segmenter(item, device="cpu")


def test_something_else_is_refused_with_what_to_give():
    with pytest.raises(InvalidOptionError, match="cannot open a segmenter from int: give"):
        open_segmenter(3)


def test_a_torch_module_with_bands_and_classes_is_a_model_segmenter():
    torch = pytest.importorskip("torch")
    from geoquant.segment import ModelSegmenter

    net = torch.nn.Conv2d(3, 2, 3, padding=1)
    seg = open_segmenter(net, bands=["B04", "B03", "B02"], classes=["water", "trees"],
                         mean=0.1, std=0.05, halo=1)
    assert isinstance(seg, ModelSegmenter)
    assert (seg.bands, seg.classes, seg.halo) == (("red", "green", "blue"),
                                                  ("water", "forest"), 1)
    with pytest.raises(InvalidOptionError, match="cannot open a segmenter from Conv2d"):
        open_segmenter(net)
