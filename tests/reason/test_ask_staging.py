"""Issue 32 item 12: ``ask --out`` staging is swept only when its owner is provably gone.

Threads of one process never remove each other's staging; staging whose pid now belongs to
another process (pid reuse) is finished or removed; real files and real processes throughout
(a ``sleep`` child stands for the process that reused the pid)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

import geoquant as gq
from geoquant.reason._ask import recover_outputs
from geoquant.sinks._owner import _boot_id, _start_ticks, owner_tag

QUESTION = "What share of the image is forest? (GSD: 100m)"
LEGEND = {"5": "forest", "3": "water"}


@pytest.fixture(scope="module")
def picture(shared_data, tmp_path_factory):
    from PIL import Image

    from geoquant.testing.squid import lausanne_indices

    path = tmp_path_factory.mktemp("pictures") / "lausanne.png"
    Image.fromarray(lausanne_indices(shared_data, 2006), mode="L").save(path)
    return path


@pytest.fixture
def other_process():
    """A live process that is not the owner of any staging (its pid is 'reused')."""
    child = subprocess.Popen(["sleep", "60"])
    yield child.pid
    child.kill()
    child.wait()


def _paths(out):
    return {"zarr": out, "json": out.with_suffix(".json"), "png": out.with_suffix(".png")}


def test_a_thread_does_not_remove_the_staging_another_thread_is_writing(picture, tmp_path,
                                                                         monkeypatch):
    from geoquant import sinks

    out = tmp_path / "a.zarr"
    real_write_json = sinks.write_json
    staged, go_on = threading.Event(), threading.Event()

    def write_json(*args, **kwargs):          # the first thread pauses while staging
        staged.set()
        assert go_on.wait(120)
        return real_write_json(*args, **kwargs)

    monkeypatch.setattr(sinks, "write_json", write_json)
    failures = []

    def first() -> None:
        try:
            gq.ask(QUESTION, source=str(picture), product=LEGEND, out=out, thresholds=None)
        except BaseException as err:          # noqa: BLE001 - reported below
            failures.append(err)

    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert staged.wait(120)
        stage = next(tmp_path.glob(".a.ask-*"))
        assert stage.name.startswith(f".a.ask-{owner_tag()}-")
        # what a second thread's ask to the same outputs does first
        assert recover_outputs(_paths(out)) == []
        assert stage.is_dir()
    finally:
        go_on.set()
        worker.join(120)
    assert failures == []
    assert all(p.exists() for p in _paths(out).values())
    assert not list(tmp_path.glob(".a.ask-*"))


def _ready_stage(tmp_path, name):
    """A staging folder whose run was killed while publishing (READY written, nothing moved)."""
    out = tmp_path / "a.zarr"
    stage = tmp_path / name
    (stage / "new" / "a.zarr").mkdir(parents=True)
    (stage / "new" / "a.zarr" / "zarr.json").write_text("{}")
    (stage / "new" / "a.json").write_text(json.dumps({"value": 1}))
    (stage / "new" / "a.png").write_bytes(b"png")
    (stage / "old").mkdir()
    (stage / "READY").write_text("\n".join(f"{k}\t{p}" for k, p in _paths(out).items()))
    return out, stage


def test_staging_of_a_killed_run_whose_pid_was_reused_is_finished(tmp_path, other_process):
    ticks = int(_start_ticks(other_process)) + 1      # the killed run started at another time
    out, stage = _ready_stage(tmp_path, f".a.ask-{other_process}-{_boot_id()}.{ticks}-0abc")
    done = recover_outputs(_paths(out))
    assert len(done) == 1 and done[0].startswith("finished publishing")
    assert json.loads(out.with_suffix(".json").read_text()) == {"value": 1}
    assert not stage.exists()


def test_staging_of_a_live_process_is_kept(tmp_path, other_process):
    ticks = _start_ticks(other_process)
    out, stage = _ready_stage(tmp_path, f".a.ask-{other_process}-{_boot_id()}.{ticks}-0abc")
    assert recover_outputs(_paths(out)) == []
    assert stage.is_dir() and not out.exists()
    # an older name carries only the pid: a live pid may be its owner, so it is kept too
    os.rename(stage, tmp_path / f".a.ask-{other_process}-0abc")
    assert recover_outputs(_paths(out)) == [] and not out.exists()


def test_unfinished_staging_from_before_a_reboot_is_removed(tmp_path, other_process):
    ticks = _start_ticks(other_process)
    before = "ffffffff" if _boot_id() != "ffffffff" else "eeeeeeee"    # another boot id
    stage = tmp_path / f".a.ask-{other_process}-{before}.{ticks}-0abc"
    (stage / "new").mkdir(parents=True)
    done = recover_outputs(_paths(tmp_path / "a.zarr"))
    assert len(done) == 1 and done[0].startswith("removed the unfinished outputs")
    assert not stage.exists()


def test_a_claimed_staging_is_kept_whatever_form_its_path_is_given_in(tmp_path, monkeypatch):
    from geoquant.sinks._owner import claimed

    monkeypatch.chdir(tmp_path)
    with claimed(tmp_path / f".a.ask-{owner_tag()}-0abc") as stage:
        (stage / "new").mkdir(parents=True)
        assert recover_outputs({"zarr": Path("a.zarr"),
                                "json": tmp_path / "a.json", "png": tmp_path / "a.png"}) == []
        assert stage.is_dir()
    assert len(recover_outputs(_paths(tmp_path / "a.zarr"))) == 1      # a leftover now
