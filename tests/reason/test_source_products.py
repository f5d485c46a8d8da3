"""A source's product= goes through segment.open_segmenter and must name a land-cover product."""

from __future__ import annotations

import pytest

from geoquant.errors import InvalidOptionError
from geoquant.reason.layers._source import _resolve_product
from geoquant.segment import PRODUCTS


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_a_product_name_is_that_product(name):
    assert _resolve_product(name) is PRODUCTS[name]


@pytest.mark.parametrize(("product", "match"), [
    ("sar-water", "'sar-water' is a segmenter, not a land-cover product: pass it as the "
                  "segmenter"),
    ("worldcover", "did you mean 'esa-worldcover'"),
])
def test_other_names_are_refused_with_what_to_pass(product, match, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InvalidOptionError, match=match):
        _resolve_product(product)


def test_a_file_is_no_product(tmp_path):
    path = tmp_path / "model.pt"
    path.write_bytes(b"not read")
    with pytest.raises(InvalidOptionError, match="is a file, but a product is a name of "
                                                 "esa-worldcover"):
        _resolve_product(str(path))


def test_legends_and_codes_pass_through():
    assert _resolve_product(None) is None and _resolve_product("codes") == "codes"
    legend = _resolve_product('{"1": "water", "2": "forest"}')
    assert legend.classes == ("water", "forest")
