"""Fuzzing (issue 32, "Verified by"): eval records and LLM reply bodies of any shape only ever
give a record with its problem stated, a plan, or a GeoquantError; never another exception.
The reply parser is the real one, fed bytes directly (no server is needed to parse)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoquant.errors import GeoquantError
from geoquant.reason.evaluation._eval_records import REQUIRED, Record, _record, read_questions
from geoquant.reason.llm._llm import LLMConfig, _plan_from_reply

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                    st.text(max_size=30), st.sampled_from(["yes", "1", "nan", "1e400", "ha",
                                                           "\ud800", "\x1b[2J"]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)
FIELDS = (*REQUIRED, "image", "mask", "imagery", "product", "datetime", "bbox", "gsd", "id")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=len(FIELDS)) | JSON)
def test_any_record_is_read_or_names_its_problem(raw):
    record = _record(Path("q.jsonl"), 3, raw)
    assert isinstance(record, Record)
    if record.problem is None:
        assert isinstance(record.question, str) and record.question.strip()
        assert record.lower is None or isinstance(record.lower, float)
    else:
        assert record.problem.startswith("q.jsonl:3 ")
        record.problem.encode("utf-8")                 # printable: no lone surrogates
        assert "\x1b" not in record.problem


@settings(deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.binary(max_size=60) | JSON.map(lambda v: json.dumps(v).encode()),
                max_size=5))
def test_any_file_is_read_line_by_line(tmp_path, lines):
    path = tmp_path / "q.jsonl"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines))
    try:
        records = read_questions(path, strict=False)
    except GeoquantError:
        return                                # a JSON list that is no list of records
    assert all(isinstance(r, Record) for r in records)


CONFIG = LLMConfig(url="http://127.0.0.1:1/v1", model="m", api_key="sk-fuzz-key-12345")


def _completion(content):
    return json.dumps({"choices": [{"message": {"content": content}}]}).encode()


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=200),
    JSON.map(lambda v: json.dumps(v).encode()),
    JSON.map(lambda v: _completion(json.dumps(v))),
    st.text(max_size=200).map(_completion),
    st.fixed_dictionaries({"version": st.just(1), "answer": SCALARS,
                           "steps": st.lists(st.dictionaries(
                               st.sampled_from(["id", "op", "of", "class", "unit", "code",
                                                "distance_m", "min_area_m2", "x"]),
                               SCALARS | st.sampled_from(["mask", "count", "area", "a"]),
                               max_size=5), max_size=4)}).map(
        lambda v: _completion(json.dumps(v))),
))
def test_any_reply_body_is_a_plan_or_a_geoquant_error(body):
    try:
        _plan_from_reply(body, "how many forest patches?", CONFIG)
    except GeoquantError as err:
        assert "sk-fuzz-key" not in str(err)
