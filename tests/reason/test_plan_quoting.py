"""Errors quote inputs shortened (issue 32 item 7): a one-megabyte step id, op name, reference,
answer, class or key gives an error of a few hundred characters that still names the field;
a plan with thousands of extra keys is refused at once."""

from __future__ import annotations

import time

import pytest

from geoquant.errors import ClassNameError, PlanError
from geoquant.reason.plans._plan import validate

BIG = "a" * 1_000_000


def _plan(*steps, answer="n"):
    return {"version": 1, "steps": list(steps), "answer": answer}


@pytest.mark.parametrize(("document", "named"), [
    (_plan({"id": BIG, "op": "mask", "class": "forest"}, answer=BIG), "id"),
    (_plan({"id": "a", "op": BIG, "class": "forest"}, answer="a"), "unknown op"),
    (_plan({"id": "a", "op": "mask", "class": "forest"}, {"id": "n", "op": "count", "of": BIG}),
     "step 'n' reads"),
    (_plan({"id": "a", "op": "mask", "class": "forest"}, answer=BIG), "the answer"),
    (_plan({"id": "a", "op": "mask", "class": "forest", BIG: 1}, answer="a"),
     "Additional properties"),
    ({**_plan({"id": "a", "op": "mask", "class": "forest"}, answer="a"), BIG: 1},
     "the plan: Additional properties"),
])
def test_a_megabyte_input_gives_a_short_error_that_names_the_field(document, named):
    with pytest.raises(PlanError) as refused:
        validate(document)
    message = str(refused.value).split("; known ops are")[0]     # the list is fixed
    assert len(message) < 500 and named in message
    assert "characters)…" in message                 # cut, with the length it had


def test_a_megabyte_class_name_gives_a_short_error():
    with pytest.raises(ClassNameError) as refused:
        validate(_plan({"id": "a", "op": "mask", "class": BIG}, answer="a"))
    message = str(refused.value)
    assert len(message) < 500 and message.startswith("unknown class 'aaa")


@pytest.mark.parametrize("where", ["step", "plan"])
def test_a_plan_with_thousands_of_extra_keys_is_refused_at_once(where):
    extra = {f"k{i}": i for i in range(8_000)}
    step = {"id": "a", "op": "mask", "class": "forest"}
    document = (_plan({**step, **extra}, answer="a") if where == "step"
                else {**_plan(step, answer="a"), **extra})
    started = time.perf_counter()
    with pytest.raises(PlanError) as refused:
        validate(document)
    assert time.perf_counter() - started < 1.0
    message = str(refused.value)
    assert "8,003 keys" in message and "'k0', 'k1', 'k2'" in message and len(message) < 300
    assert message.startswith("steps/0" if where == "step" else "the plan")


@pytest.mark.parametrize("argv", [
    ["ask", "how much forest?", "--source", "x.tif", "--product", "{" + BIG],
    ["search", "--query", "{" + BIG],
])
def test_a_megabyte_option_on_the_command_line_gives_a_short_error(capsys, argv):
    from geoquant import cli

    try:
        code = cli.main(argv)
    except SystemExit as stopped:              # argparse's own refusal (usage, then one line)
        code = stopped.code
    err = capsys.readouterr().err.splitlines()
    assert code == 2 and len(err[-1]) < 500


@pytest.mark.parametrize(("field", "value"), [
    ("answer", [BIG]),
    ("acceptable_range_lower", BIG),
    ("gsd", BIG),
])
def test_a_megabyte_value_in_an_eval_record_gives_a_short_problem(tmp_path, field, value):
    import json

    from geoquant.reason.evaluation._eval_records import read_questions

    record = {"question": "What share is water?", "answer": 10.0, "acceptable_range_lower": 5.0,
              "acceptable_range_upper": 15.0, "type": "share", "tier": 1, field: value}
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (found,) = read_questions(path, strict=False)
    assert found.problem is not None and f"has {field}" in found.problem.split(str(path))[-1]
    assert len(found.problem) < 500 + len(str(path))
