"""write_json: strict JSON from NumPy and datetime values, written whole or not at all."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
from pathlib import Path

import numpy as np
import pytest

from geoquant import sinks
from geoquant.errors import OutputPathError


class Unit(enum.Enum):
    HECTARES = "ha"


@dataclasses.dataclass(frozen=True)
class Answer:
    value: float
    unit: Unit
    range: tuple[float, float]


def test_numpy_datetimes_and_containers_are_written_sensibly(tmp_path):
    obj = {
        "count": np.int64(12),
        "area_m2": np.float32(2.5e4),
        "flag": np.bool_(True),
        "labels": np.array([[1, 2], [3, 4]], dtype="uint8"),
        "when": dt.datetime(2024, 5, 1, 12, 30, tzinfo=dt.UTC),
        "day": dt.date(2024, 5, 1),
        "acquired": np.datetime64("2023-07-14T10:20:30"),
        "times": np.array(["2020-01-01", "2021-01-01"], dtype="datetime64[D]"),
        "duration": dt.timedelta(minutes=2),
        "missing": [float("nan"), np.float64("inf"), np.datetime64("NaT")],
        "answer": Answer(value=np.float64(3.5), unit=Unit.HECTARES, range=(3.0, 4.0)),
        "where": Path("/data/scene.tif"),
        np.int64(7): "numpy key",
        "classes": {3, 1, 2},
    }
    path = sinks.write_json(obj, tmp_path / "answer.json")

    assert path == tmp_path / "answer.json"
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n")
    back = json.loads(text)
    assert back == {
        "count": 12,
        "area_m2": 25000.0,
        "flag": True,
        "labels": [[1, 2], [3, 4]],
        "when": "2024-05-01T12:30:00+00:00",
        "day": "2024-05-01",
        "acquired": "2023-07-14T10:20:30",
        "times": ["2020-01-01", "2021-01-01"],
        "duration": 120.0,
        "missing": [None, None, None],
        "answer": {"value": 3.5, "unit": "ha", "range": [3.0, 4.0]},
        "where": "/data/scene.tif",
        "7": "numpy key",
        "classes": [1, 2, 3],
    }
    assert isinstance(back["count"], int)


def test_output_is_strict_json(tmp_path):
    path = sinks.write_json({"x": math.nan}, tmp_path / "a.json")
    assert "NaN" not in path.read_text()
    json.loads(path.read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_unserialisable_object_names_where_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match=r"\$\.trace\[1\]"):
        sinks.write_json({"trace": [1, object()]}, tmp_path / "a.json")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_is_refused_and_kept(tmp_path):
    path = sinks.write_json({"v": 1}, tmp_path / "a.json")
    with pytest.raises(OutputPathError, match="overwrite=True"):
        sinks.write_json({"v": 2}, path)
    assert json.loads(path.read_text()) == {"v": 1}


def test_overwrite_replaces(tmp_path):
    path = sinks.write_json({"v": 1}, tmp_path / "a.json")
    sinks.write_json({"v": 2}, path, overwrite=True)
    assert json.loads(path.read_text()) == {"v": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_directory_at_target_is_never_replaced(tmp_path):
    (tmp_path / "a.json").mkdir()
    with pytest.raises(OutputPathError, match="is a directory"):
        sinks.write_json({"v": 1}, tmp_path / "a.json", overwrite=True)
    assert (tmp_path / "a.json").is_dir()


def test_failure_while_writing_leaves_old_file_and_no_partial(tmp_path, monkeypatch):
    from geoquant.sinks import _json

    path = sinks.write_json({"v": 1}, tmp_path / "a.json")

    def failing_fsync(fd):
        raise OSError("simulated disk failure")

    monkeypatch.setattr(_json.os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="simulated"):
        sinks.write_json({"v": 2}, path, overwrite=True)
    with pytest.raises(OSError, match="simulated"):
        sinks.write_json({"v": 2}, tmp_path / "b.json")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]
    assert json.loads(path.read_text()) == {"v": 1}


def test_bad_parents_are_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputPathError, match="is a file, not a directory"):
        sinks.write_json({}, tmp_path / "file" / "a.json")
    with pytest.raises(OutputPathError, match="does not exist"):
        sinks.write_json({}, tmp_path / "missing" / "a.json")
