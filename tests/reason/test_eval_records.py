"""`eval` robustness (issue 32 items 8 and 9): bad records are scored as errors in their own
rows while the others are answered; an empty file and a missing images folder are refused; images
embedded in parquet are extracted into a private folder, keyed by record, and the user's image
folder is only read. Real rasters (the SQuID fixture built from ../shared/data), real files."""

from __future__ import annotations

import json
import os
import tempfile

import pytest

from geoquant.cli import main
from geoquant.errors import InvalidOptionError
from geoquant.reason import evaluate
from geoquant.reason.evaluation._eval import read_questions

GOOD = ("la-share-water", "sl-share-veg")


@pytest.fixture(scope="module")
def fixture(shared_data, tmp_path_factory):
    from geoquant.testing.squid import write_fixture

    return write_fixture(tmp_path_factory.mktemp("squid-records"), shared_data)


def _good(fixture):
    records = [json.loads(line) for line in fixture.read_text().splitlines()]
    return [r for r in records if r["id"] in GOOD]


def _bad_lines(good):
    base = dict(good, id=None)
    deep = "[" * 100_000 + "]" * 100_000
    return [
        json.dumps(dict(base, id="image-5", image=5)).encode(),
        json.dumps(dict(base, id="bbox-5", bbox=5)).encode(),
        json.dumps(dict(base, id="swapped", acceptable_range_lower=9.0,
                        acceptable_range_upper=1.0)).encode(),
        json.dumps(dict(base, id="bound-word", acceptable_range_lower="low")).encode(),
        json.dumps(dict(base, id="latin-1", question="Quelle part est forêt ?")).encode()
        .replace("forêt".encode(), "forêt".encode("latin-1")).replace(b"\\u00ea", b"\xea"),
        ('{"id": "deep", "question": ' + deep + "}").encode(),
        json.dumps(dict(base, id="nested", product={"a": {"b": {"c": {"d": {"e": {"f": {
            "g": {"h": {"i": "j"}}}}}}}}})).encode(),
        b"not json at all",
        json.dumps(dict(base, id="gsd-true", gsd=True)).encode(),
        json.dumps(dict(base, id="surrogate", question="How much \ud800 water?")).encode(),
        json.dumps(dict(base, id="null-answer", answer=None)).encode(),
    ]


def test_bad_records_are_error_rows_and_the_others_are_answered(fixture, tmp_path, capsys):
    good = _good(fixture)
    bad = _bad_lines(good[0])
    path = tmp_path / "mixed.jsonl"
    shown = json.dumps(dict(good[0], id="escape", type="\x1b[31mred")).encode()
    path.write_bytes(b"\n".join([json.dumps(good[0]).encode(), *bad,
                                 json.dumps(good[1]).encode(), shown]) + b"\n")
    for name in ("slovenia-deepglobe.png", "lausanne-2006.png"):
        (tmp_path / name).symlink_to(fixture.parent / name)
    lines = []
    report = evaluate(path, say=lines.append)
    assert len(report.outcomes) == 3 + len(bad)
    by_id = {o.record.id: o for o in report.outcomes}
    answered = [by_id[k] for k in ("la-share-water", "sl-share-veg", "escape")]
    assert all(o.error is None and o.value is not None for o in answered)
    assert by_id["escape"].record.type == "red"
    assert by_id["escape"].value == by_id[good[0]["id"]].value
    wrong = [o for o in report.outcomes if o.error]
    assert len(wrong) == len(bad) and not any(o.correct for o in wrong)
    assert all(o.error.startswith(f"InvalidOptionError: {path}:") for o in wrong)
    messages = {o.record.id: o.error for o in wrong}
    assert "has image 5: give a file name" in messages["image-5"]
    assert "has bbox 5: give [west, south, east, north]" in messages["bbox-5"]
    assert "above acceptable_range_upper 1: swap them" in messages["swapped"]
    assert "acceptable_range_lower 'low': give a number" in messages["bound-word"]
    assert "is not UTF-8 text" in messages["6"] and "save the file as UTF-8" in messages["6"]
    assert "nested too deeply" in messages["7"]
    assert "nested deeper than 8 levels" in messages["nested"]
    assert "is not JSON" in messages["9"]
    assert "has gsd True" in messages["gsd-true"]
    assert "lone surrogate" in messages["surrogate"]
    assert "has answer null" in messages["null-answer"]
    right = sum(o.correct for o in answered)
    assert report.accuracy == pytest.approx(100 * right / (3 + len(bad)))
    table = report.table()
    assert "\x1b" not in table and "\x1b" not in "".join(lines)
    json.dumps(report.to_dict())                      # the report is writable as JSON
    out = tmp_path / "report.json"
    assert main(["eval", str(path), "--report", str(out), "--quiet"]) == 0
    assert "Wrong or failed" in capsys.readouterr().out
    assert len(json.loads(out.read_text())["outcomes"]) == 3 + len(bad)


def test_read_questions_still_refuses_the_first_bad_record_when_strict(fixture, tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(dict(_good(fixture)[0], image=5)) + "\n")
    with pytest.raises(InvalidOptionError, match=r"q.jsonl:1 has image 5"):
        read_questions(path)
    assert read_questions(path, strict=False)[0].problem.endswith("or a collection id")


@pytest.mark.parametrize(("name", "content"), [
    ("empty.jsonl", b""), ("blank.jsonl", b"\n  \n\n"), ("list.json", b"[]"),
])
def test_a_file_without_questions_says_so_and_exits_2(tmp_path, capsys, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    assert main(["eval", str(path), "--quiet"]) == 2
    assert "holds no questions" in capsys.readouterr().err
    with pytest.raises(InvalidOptionError, match="holds no questions"):
        evaluate(path)


def test_an_empty_parquet_file_says_so(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"question": pa.array([], pa.string())}), path)
    assert main(["eval", str(path), "--quiet"]) == 2
    assert "holds no questions" in capsys.readouterr().err


def test_a_missing_images_folder_is_an_error(fixture, tmp_path, capsys):
    missing = tmp_path / "no-such-folder"
    assert main(["eval", str(fixture), "--images", str(missing), "--quiet"]) == 2
    assert f"the images folder {missing} does not exist" in capsys.readouterr().err
    with pytest.raises(InvalidOptionError, match="does not exist"):
        evaluate(fixture, images=missing)


# --- parquet: the image folder's safety ----------------------------------------------------------

def _parquet(fixture, path, *, same_name=None):
    """Some records of the fixture as SQuID parquet, images embedded (all under one file name
    when ``same_name``)."""
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pq.read_table(fixture.with_suffix(".parquet")).to_pylist()
    rows = [r for r in table if r["id"] in ("la-share-water", "sl-share-veg", "sl-area-forest")]
    if same_name:
        for row in rows:
            row["image"] = dict(row["image"], path=same_name)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def _values(report):
    return {o.record.id: (o.value, o.error) for o in report.outcomes}


def test_images_sharing_a_file_name_are_kept_apart(fixture, tmp_path):
    """Three records whose embedded images are all "image.png" answer as the same records
    with their images under their own names (not all from the last image)."""
    apart = evaluate(_parquet(fixture, tmp_path / "apart.parquet"))
    same = evaluate(_parquet(fixture, tmp_path / "same.parquet", same_name="image.png"))
    assert len(same.outcomes) == 3 and _values(same) == _values(apart)
    assert all(error is None for _, error in _values(same).values())
    assert same.accuracy == apart.accuracy


def test_extraction_is_private_and_the_images_folder_is_only_read(fixture, tmp_path,
                                                                   monkeypatch):
    path = _parquet(fixture, tmp_path / "q.parquet")
    images = tmp_path / "images"
    images.mkdir()
    decoy = (fixture.parent / "slovenia-deepglobe.png").read_bytes()
    (images / "lausanne-2006.png").write_bytes(decoy)         # the user's own file, same name
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    for name in ("lausanne-2006.png", "slovenia-deepglobe.png"):
        os.symlink(victim, images / f".{name}.partial")       # planted links
    before = {p.name: (p.is_symlink(), p.read_bytes()) for p in images.iterdir()}
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    report = evaluate(path, images=images)
    assert _values(report) == _values(evaluate(path))          # the decoy was not read
    assert {p.name: (p.is_symlink(), p.read_bytes()) for p in images.iterdir()} == before
    assert victim.read_text() == "keep me"
    assert list(scratch.iterdir()) == []                       # the private folder is gone


def test_read_questions_extracts_into_a_private_folder_keyed_by_record(fixture, tmp_path):
    path = _parquet(fixture, tmp_path / "same.parquet", same_name="image.png")
    records = read_questions(path)
    folders = {os.path.dirname(r.image) for r in records}
    assert len(folders) == 1
    folder = folders.pop()
    try:
        assert oct(os.stat(folder).st_mode & 0o777) == "0o700"
        assert sorted(os.listdir(folder)) == [f"record-{n}-image.png" for n in (1, 2, 3)]
    finally:
        import shutil

        shutil.rmtree(folder)


def test_a_gsd_contradicting_the_questions_is_an_error_row(fixture, tmp_path):
    good = _good(fixture)[0]
    path = tmp_path / "gsd.jsonl"
    path.write_text(json.dumps(dict(good, id="contradicts", gsd=good["gsd"] * 10)) + "\n"
                    + json.dumps(good) + "\n")
    (tmp_path / good["image"]).symlink_to(fixture.parent / good["image"])
    report = evaluate(path)
    first, second = report.outcomes
    assert first.error.startswith("InvalidOptionError: record contradicts gives gsd")
    assert "keep one" in first.error
    assert second.error is None and second.value is not None


def test_a_range_given_as_one_pair_is_read(tmp_path):
    records = [{"question": "What share is water?", "answer": 12.5, "acceptable_range": [12, 13],
                "type": "share", "tier": 1},
               {"question": "How many lakes?", "answer": 3, "acceptable_range": None,
                "type": "count", "tier": 1},
               {"question": "How many lakes?", "answer": 3, "acceptable_range": [1, 2, 3],
                "type": "count", "tier": 1}]
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records))
    pair, exact, bad = read_questions(path, strict=False)
    assert (pair.lower, pair.upper, pair.problem) == (12, 13, None)
    assert (exact.lower, exact.upper, exact.problem) == (None, None, None)
    assert "acceptable_range" in bad.problem and "[lower, upper]" in bad.problem
