"""Alert rules against values worked out by hand, and where fired alerts go (the alerts file,
the printer, a command hook that reads them on stdin)."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from geoquant.errors import OutputPathError
from geoquant.monitor import AlertRule
from geoquant.monitor._alerts import AlertSink, evaluate

DATES = np.array(["2020-01-01", "2020-02-01", "2020-07-01", "2021-01-01"], dtype="datetime64[s]")


def _fired(rule, values, **kwargs):
    where = {"region": "r", "source": "s", **kwargs}
    return evaluate([rule], times=DATES[:len(values)], history={rule.metric: np.array(values)},
                    **where)


def test_thresholds_fire_on_the_last_value_only():
    above = AlertRule("high", "area", "above", 10.0)
    assert _fired(above, [50.0, 11.0])[0]["value"] == 11.0
    assert _fired(above, [50.0, 10.0]) == []             # strictly above
    assert _fired(above, [50.0, np.nan]) == []           # a cloudy date never fires
    below = AlertRule("low", "area", "below", 10.0)
    assert _fired(below, [1.0, 9.5])[0]["rule"] == "area below 10"


def test_change_rules_compare_with_the_earliest_valid_value_in_the_window():
    rule = AlertRule("drop", "area", "change_percent_below", -20.0, window_days=200,
                     min_span_days=30)
    # 2020-07-01 is 182 days after 2020-01-01 (in the window) and 151 after 2020-02-01.
    (alert,) = _fired(rule, [100.0, 200.0, 75.0])
    assert alert["reference_date"] == "2020-01-01" and alert["reference_value"] == 100.0
    assert alert["change_percent"] == pytest.approx(-25.0)
    assert _fired(rule, [np.nan, 200.0, 75.0])[0]["reference_value"] == 200.0  # NaN skipped
    assert _fired(rule, [np.nan, np.nan, 75.0]) == []       # no reference: no alert
    assert _fired(rule, [0.0, np.nan, 75.0]) == []          # a zero reference: no alert
    short = AlertRule("drop", "area", "change_percent_below", -20.0, min_span_days=200)
    assert _fired(short, [100.0, 100.0, 50.0]) == []        # references too recent


def test_change_per_year_divides_by_the_years_between_the_dates():
    rule = AlertRule("loss", "forest", "change_per_year_percent_below", -5.0,
                     window_days=400, min_span_days=300)
    # 2020-01-01 -> 2021-01-01 is 366 days: -6 % over 366/365.25 years.
    (alert,) = _fired(rule, [100.0, 100.0, 100.0, 94.0])
    assert alert["change_per_year_percent"] == pytest.approx(-6.0 / (366 / 365.25))
    assert _fired(rule, [100.0, 100.0, 100.0, 96.0]) == []
    grow = AlertRule("gain", "forest", "change_per_year_percent_above", 5.0, window_days=400,
                     min_span_days=300)
    assert _fired(grow, [100.0, 1.0, 1.0, 106.0])[0]["alert"] == "gain"


def test_rules_for_another_series_or_metric_are_skipped():
    rule = AlertRule("high", "area", "above", 1.0, source="other")
    assert _fired(rule, [5.0]) == []
    assert _fired(AlertRule("high", "area", "above", 1.0, region="r"), [5.0])
    assert evaluate([AlertRule("x", "missing", "above", 0.0)], region="r", source="s",
                    times=DATES[:1], history={"area": np.array([1.0])}) == []


HOOK = """\
import sys
data = sys.stdin.read()
open(sys.argv[1], "a").write(data)
sys.exit(int(sys.argv[2]))
"""


def test_alerts_go_to_the_file_the_printer_and_the_hook(tmp_path):
    (tmp_path / "hook.py").write_text(HOOK)
    printed = []
    sink = AlertSink(tmp_path / "alerts.jsonl", echo=printed.append, warn=printed.append,
                     hook=[sys.executable, str(tmp_path / "hook.py"), str(tmp_path / "got"),
                           "0"])
    sink.check()
    sink.send({"alert": "a", "value": 1.5})
    sink.send({"alert": "b", "value": 2.5})
    lines = (tmp_path / "alerts.jsonl").read_text().splitlines()
    assert [json.loads(x)["alert"] for x in lines] == ["a", "b"]
    assert printed == lines
    assert (tmp_path / "got").read_text().splitlines() == lines
    assert sink.hook_failures == []


@pytest.mark.parametrize(("hook", "expected"), [
    (["{python}", "{hook}", "{got}", "3"], "exited with status 3"),
    (["/nonexistent/notify"], "was not found"),
    (["{python}", "-c", "import time; time.sleep(5)"], "ran past 0.5 s"),
])
def test_a_failing_hook_is_reported_and_the_alert_kept(tmp_path, hook, expected):
    (tmp_path / "hook.py").write_text(HOOK)
    hook = [h.format(python=sys.executable, hook=tmp_path / "hook.py", got=tmp_path / "got")
            for h in hook]
    warned = []
    sink = AlertSink(tmp_path / "alerts.jsonl", hook=hook, timeout_s=0.5, warn=warned.append)
    sink.send({"alert": "a"})
    assert len(sink.hook_failures) == 1 and expected in sink.hook_failures[0]
    assert warned == sink.hook_failures
    assert json.loads((tmp_path / "alerts.jsonl").read_text())["alert"] == "a"


def test_an_alerts_file_that_cannot_be_written_fails_first(tmp_path):
    with pytest.raises(OutputPathError, match="cannot write the alerts file"):
        AlertSink(tmp_path / "missing" / "alerts.jsonl").check()
    if os.geteuid() != 0:     # root writes anywhere
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        with pytest.raises(OutputPathError):
            AlertSink(folder / "alerts.jsonl").check()
