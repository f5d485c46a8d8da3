"""Evaluation: SQuID's scoring rule, the question file format, and the committed question set
answered over a real STAC API on loopback (100 % from the reference labels)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geoquant.cli import main
from geoquant.errors import InvalidOptionError
from geoquant.reason import evaluate
from geoquant.reason.evaluation._eval import Record, is_correct, read_questions

QUESTIONS = Path(__file__).resolve().parents[2] / "benchmarks" / "questions" / "questions.jsonl"


def _record(answer, lower=None, upper=None):
    return Record("q", answer, lower, upper, "count", 1)


@pytest.mark.parametrize(("value", "record", "right"), [
    (12, _record(12), True),                       # a count without a range: exact
    (13, _record(12), False),
    (12.0000001, _record(12), False),
    (13, _record(12, 11, 14), True),               # with a range: inside it
    (15, _record(12, 11, 14), False),
    (True, _record("yes"), True),                  # yes/no: exact
    (False, _record("yes"), False),
    (1, _record("yes"), False),                    # a number is not a yes
    (float("nan"), _record(3.0, 2.0, 4.0), False),
    (None, _record(3.0, 2.0, 4.0), False),
])
def test_squid_rule(value, record, right):
    assert is_correct(value, record) is right


def test_question_files_are_checked_line_by_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"question": "q", "answer": 1}\n')
    with pytest.raises(InvalidOptionError, match=r"q.jsonl:1 lacks acceptable_range_lower"):
        read_questions(path)
    path.write_text("not json\n")
    with pytest.raises(InvalidOptionError, match=r"q.jsonl:1 is not JSON"):
        read_questions(path)
    with pytest.raises(InvalidOptionError, match="not a file"):
        read_questions(tmp_path / "missing.jsonl")


def test_the_question_set_scores_100_percent_from_reference_labels(demo_api, shared_data):
    report = evaluate(QUESTIONS, catalog=demo_api, use="labels")
    wrong = [o.to_dict() for o in report.outcomes if not o.correct]
    assert wrong == []
    assert len(report.outcomes) == len(read_questions(QUESTIONS))
    assert set(report.by("tier")) == {"1", "2", "3"}


def test_imagery_scores_the_evidence_against_the_reference(demo_api, shared_data, tmp_path):
    records = [json.loads(line) for line in QUESTIONS.read_text().splitlines()]
    chosen = [r for r in records if r["id"] in ("slovenia-share-1", "camargue-count-1",
                                                "lausanne-share-1")]
    path = tmp_path / "some.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in chosen) + "\n")
    report = evaluate(path, catalog=demo_api, use="imagery")
    assert [r.id for r in report.skipped] == ["lausanne-share-1"]    # no imagery there
    by_id = {o.record.id: o for o in report.outcomes}
    assert by_id["camargue-count-1"].correct
    forest_iou = by_id["slovenia-share-1"].iou
    assert set(forest_iou) == {"forest"} and 0.5 < forest_iou["forest"] < 1.0
    assert "evidence IoU" in report.table()


def test_cli_eval_prints_the_table_and_writes_the_report(demo_api, shared_data, tmp_path,
                                                         capsys):
    records = QUESTIONS.read_text().splitlines()[:3]
    path = tmp_path / "few.jsonl"
    path.write_text("\n".join(records) + "\n")
    report = tmp_path / "report.json"
    assert main(["eval", str(path), "--catalog", demo_api, "--report", str(report),
                 "--quiet"]) == 0
    assert "accuracy 100.0%" in capsys.readouterr().out
    assert json.loads(report.read_text())["accuracy"] == 100.0


def test_a_refuse_record_is_right_only_when_the_planner_declines(tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    codes = np.zeros((20, 20), dtype=np.uint8)
    codes[5:10, 5:10] = 1
    with rasterio.open(tmp_path / "map.tif", "w", driver="GTiff", height=20, width=20,
                       count=1, dtype="uint8", crs="EPSG:32631",
                       transform=from_origin(500000, 5000000, 10, 10)) as dst:
        dst.write(codes, 1)
    legend = {"0": "grass", "1": "water"}
    rows = [("How many unicorns graze here?", "refuse"),        # declined: right
            ("How many water bodies are there?", "refuse"),     # answered: wrong
            ("How many water bodies are there?", 1)]
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps({
        "id": f"r{n}", "question": q, "answer": a, "acceptable_range_lower": None,
        "acceptable_range_upper": None, "type": "count", "tier": 1, "image": "map.tif",
        "product": legend}) + "\n" for n, (q, a) in enumerate(rows)))
    report = evaluate(path, use="labels")
    assert [o.correct for o in report.outcomes] == [True, False, True]
    assert report.outcomes[0].error is not None
