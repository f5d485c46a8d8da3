"""Codes a legend does not name are said, never left silent (a legend that forgot its no-data
code: Sen1Floods11's -1)."""

from __future__ import annotations

import numpy as np
import rasterio

from geoquant.reason import ask


def test_codes_the_legend_does_not_name_are_said_in_the_answer(shared_data):
    chip = shared_data / "real" / "sen1floods11" / "Labels" / "Spain_7370579_LabelHand.tif"
    with rasterio.open(chip) as f:
        labels = f.read(1)
    missing = int((labels == -1).sum())
    assert missing > 0
    answer = ask("What share of the area is water?", source=str(chip),
                 product={0: "land", 1: "water"}, planner="rules", thresholds=None)
    assert answer.provenance["codes_not_in_legend"] == {"-1": missing}
    assert '{"-1": "no data"}' in answer.summary()
    # shares on this geographic grid weigh each row by its geodesic cell area: within 0.1 %
    assert np.isclose(answer.value, 100 * (labels == 1).sum() / labels.size, rtol=1e-3)
    declared = ask("What share of the area is water?", source=str(chip),
                   product={-1: "no data", 0: "land", 1: "water"}, planner="rules",
                   thresholds=None)
    assert "codes_not_in_legend" not in declared.provenance
    assert np.isclose(declared.value, 100 * (labels == 1).sum() / (labels != -1).sum(),
                      rtol=1e-3)
    assert declared.value > answer.value
