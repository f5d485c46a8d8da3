"""Issue 32 item 15: a question holding a lone surrogate is refused before anything is
computed (it failed with UnicodeEncodeError only when the answer was written)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from geoquant.errors import QuestionError

RASTER = Path(__file__).resolve().parents[3] / "shared" / "data" / "real" / \
    "lausanne-landuse" / "ls100_06.tif"

pytestmark = pytest.mark.skipif(not RASTER.exists(), reason=f"real data missing: {RASTER}")


def _no_compute(monkeypatch) -> None:
    import geoquant.reason._ask as module

    def opened(*args, **kwargs):
        raise AssertionError("the source was opened: work began before the refusal")

    monkeypatch.setattr(module, "open_source", opened)


def test_a_plan_whose_question_holds_a_surrogate_is_refused_before_the_source_is_read(
        tmp_path, monkeypatch):
    from geoquant.reason import ask
    from geoquant.reason._ask import planned

    plan, _ = planned("What share of the area is code 2?", "rules", vocabulary=None)
    plan = dataclasses.replace(plan, question="What share of the area is code 2?\ud800")
    _no_compute(monkeypatch)
    with pytest.raises(QuestionError, match="no character"):
        ask(plan, source=str(RASTER), product="codes", out=tmp_path / "a.zarr")
    assert list(tmp_path.iterdir()) == []


def test_a_question_with_bytes_that_are_not_utf8_exits_2_naming_them(tmp_path, monkeypatch,
                                                                      capsys):
    from geoquant.cli import main

    _no_compute(monkeypatch)
    # what Python makes of the argument b"... \xffcode 2?" (surrogateescape)
    code = main(["ask", "What share of the area is \udcffcode 2?", "--source", str(RASTER),
                 "--product", "codes"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "\n" not in err
    assert "at character 27, which is no character" in err and "retype" in err


def test_the_same_question_without_it_is_answered(monkeypatch):
    from geoquant.reason import ask

    answer = ask("What share of the area is code 2?", source=str(RASTER), product="codes")
    assert answer.unit == "%" and 0 <= answer.value <= 100
