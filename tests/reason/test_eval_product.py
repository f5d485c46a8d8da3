"""``eval --product``: the code table of the records that name none (issue 28 item 3)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import rasterio

from geoquant.cli import main
from geoquant.reason import evaluate


@pytest.fixture
def records(tmp_path, shared_data):
    source = shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"
    with rasterio.open(source) as f:
        codes, nodata = f.read(1), f.nodata
    valid = codes != nodata
    truth = 100.0 * float((codes[valid] == 41).sum()) / float(valid.sum())
    path = tmp_path / "questions.jsonl"
    record = {"question": "What share of the area is code 41?", "answer": truth,
              "acceptable_range_lower": truth * 0.999, "acceptable_range_upper": truth * 1.001,
              "type": "share", "tier": 1, "image": str(source)}
    path.write_text(json.dumps(record) + "\n" + json.dumps({**record, "product": "codes",
                                                           "id": "own"}) + "\n")
    return path


def test_records_without_a_product_take_the_one_given(records):
    without = evaluate(records, planner="rules")
    assert [o.correct for o in without.outcomes] == [False, True]
    assert "--product codes" in without.outcomes[0].error          # says what to pass
    given = evaluate(records, planner="rules", product="codes")
    assert [o.correct for o in given.outcomes] == [True, True]
    assert np.isclose(given.outcomes[0].value, given.outcomes[1].value)


def test_the_cli_takes_a_product(records, capsys):
    assert main(["eval", str(records), "--product", "codes", "--planner", "rules",
                 "--quiet"]) == 0
    assert "100.0%" in capsys.readouterr().out
