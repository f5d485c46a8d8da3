"""``ask --out`` publishes its three outputs together: a late failure keeps the previous ones
whole, a run killed at any point of publishing is finished by the next, and staging folders
of dead runs are cleared."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

import geoquant as gq

QUESTION = "What share of the image is forest? (GSD: 100m)"


@pytest.fixture(scope="module")
def picture(shared_data, tmp_path_factory):
    from PIL import Image

    from geoquant.testing.squid import lausanne_indices

    path = tmp_path_factory.mktemp("pictures") / "lausanne.png"
    Image.fromarray(lausanne_indices(shared_data, 2006), mode="L").save(path)
    return path


LEGEND = {"5": "forest", "3": "water"}


def _outputs(out):
    return [out, out.with_suffix(".json"), out.with_suffix(".png")]


def _ask(picture, out, question=QUESTION, **kw):
    return gq.ask(question, source=str(picture), product=LEGEND, out=out, thresholds=None,
                  **kw)


def test_a_late_failure_keeps_the_previous_outputs_whole(picture, tmp_path, monkeypatch):
    out = tmp_path / "a.zarr"
    first = _ask(picture, out)
    before = {p.name: (p.stat().st_mtime_ns if p.is_file() else None) for p in _outputs(out)}
    from geoquant import sinks

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sinks, "write_json", broken)
    with pytest.raises(OSError, match="No space left"):
        _ask(picture, out, "What share of the image is water? (GSD: 100m)", overwrite=True)
    assert all(p.exists() for p in _outputs(out))
    assert json.loads(out.with_suffix(".json").read_text())["value"] == first.value
    assert {p.name: (p.stat().st_mtime_ns if p.is_file() else None)
            for p in _outputs(out)} == before
    assert not list(tmp_path.glob(".a.ask-*"))               # no staging left behind


KILL_WHILE_PUBLISHING = """\
import os, signal, sys
calls = {"n": 0}
real = os.rename
def rename(a, b):
    real(a, b)
    calls["n"] += 1
    if calls["n"] == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)
os.rename = rename
import geoquant as gq
gq.ask("What share of the image is water? (GSD: 100m)", source=sys.argv[1],
       product={"5": "forest", "3": "water"}, out=sys.argv[2], overwrite=True, thresholds=None)
"""


@pytest.mark.parametrize("kill_after", [1, 2, 3, 5, 6, 7])
def test_a_run_killed_while_publishing_is_finished_by_the_next(picture, tmp_path, kill_after):
    out = tmp_path / "a.zarr"
    _ask(picture, out)                                        # the previous outputs: forest
    died = subprocess.run([sys.executable, "-c", KILL_WHILE_PUBLISHING, str(picture), str(out),
                           str(kill_after)], capture_output=True, text=True, timeout=300)
    assert died.returncode == -signal.SIGKILL, died.stderr[-2000:]
    from geoquant.reason._ask import recover_outputs

    done = recover_outputs({"zarr": out, "json": out.with_suffix(".json"),
                            "png": out.with_suffix(".png")})
    assert len(done) == 1
    assert all(p.exists() for p in _outputs(out))            # all three, never one alone
    saved = json.loads(out.with_suffix(".json").read_text())
    store = gq.sinks.open_zarr(out)
    assert json.loads(store.attrs["geoquant_answer"])["question"] == saved["question"]
    # killed while staging: the previous outputs; killed while publishing: the new ones
    new = saved["question"].startswith("What share of the image is water")
    assert new == done[0].startswith("finished publishing")
    assert not list(tmp_path.glob(".a.ask-*"))


def test_unfinished_staging_of_a_dead_run_is_removed(picture, tmp_path):
    out = tmp_path / "a.zarr"
    stale = tmp_path / ".a.ask-999999999-deadbeef"
    (stale / "new").mkdir(parents=True)
    (stale / "new" / "a.json").write_text("{")
    _ask(picture, out)
    assert not stale.exists() and all(p.exists() for p in _outputs(out))
