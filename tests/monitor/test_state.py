"""The store's lock (exclusive, naming its holder, telling a stale lock from a live one) and
the checks on a recorded state."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from geoquant.errors import OutputPathError, StoreError, StoreLockedError
from geoquant.monitor import store_lock
from geoquant.monitor._state import (
    check_state,
    holder_alive,
    lock_path,
    new_state,
    read_lock,
    record_step,
)


def test_the_lock_is_exclusive_and_names_its_holder(tmp_path):
    store = tmp_path / "m.zarr"
    with store_lock(store, purpose="first") as holder:
        written = json.loads(lock_path(store).read_text())
        assert written == holder and written["host"] == socket.gethostname()
        with pytest.raises(StoreLockedError) as info:
            with store_lock(store):
                pass
        message = str(info.value)
        assert f"pid {holder['pid']} on {holder['host']}" in message
        assert "being written by another run" in message and "(first)" in message
    assert not lock_path(store).exists()


def test_the_lock_is_released_when_the_run_fails(tmp_path):
    store = tmp_path / "m.zarr"
    with pytest.raises(RuntimeError), store_lock(store):
        raise RuntimeError("boom")
    with store_lock(store):            # free again
        pass


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


def test_a_lock_whose_process_is_gone_is_broken_with_a_line(tmp_path):
    store = tmp_path / "m.zarr"
    lock_path(store).write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname(),
                                            "started": "2026-01-01T00:00:00Z", "token": "old"}))
    said = []
    with store_lock(store, say=said.append) as holder:
        assert read_lock(store)["token"] == holder["token"]
    assert len(said) == 1 and said[0].startswith("broke the lock")
    assert not lock_path(store).exists()


def test_a_reused_pid_does_not_keep_a_lock_alive(tmp_path):
    store = tmp_path / "m.zarr"
    # pid 1 runs, but it started long before this lock was taken "now"
    lock_path(store).write_text(json.dumps({"pid": 1, "host": socket.gethostname(),
                                            "started": "2099-01-01T00:00:00Z", "token": "x"}))
    assert holder_alive(read_lock(store)) is True        # started before: cannot tell
    lock_path(store).write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                            "started": "2000-01-01T00:00:00Z", "token": "x"}))
    assert holder_alive(read_lock(store)) is False       # this process started after 2000


@pytest.mark.parametrize(("holder", "expected"), [
    ({"pid": 1, "host": "elsewhere.example", "started": "2026-01-01T00:00:00Z"},
     "another host"),
    (None, "no longer running"),
])
def test_a_foreign_or_unreadable_lock_says_what_to_do(tmp_path, holder, expected):
    store = tmp_path / "m.zarr"
    if holder is None:
        lock_path(store).write_text("garbage")
    else:
        lock_path(store).write_text(json.dumps(holder))
    with pytest.raises(StoreLockedError) as info:
        with store_lock(store):
            pass
    message = str(info.value)
    assert expected in message and str(lock_path(store)) in message
    assert lock_path(store).exists()      # never removed behind the user's back


def test_a_lock_in_a_missing_folder_is_an_output_path_error(tmp_path):
    with pytest.raises(OutputPathError, match="cannot create the lock"):
        with store_lock(tmp_path / "missing" / "m.zarr"):
            pass


def test_a_state_whose_steps_disagree_is_refused(tmp_path):
    state = new_state(name="m", catalog="http://x", cadence="daily")
    record_step(state, "a/b", date="2020-01-01", items=["i1"],
                last_acquisition="2020-01-01T10:00:00Z", series_info={})
    assert check_state(state, tmp_path)["series"]["a/b"]["steps"] == 1
    state["series"]["a/b"]["steps"] = 2
    with pytest.raises(StoreError, match="damaged for series 'a/b'"):
        check_state(state, tmp_path)
    with pytest.raises(StoreError, match="not one that geoquant monitor wrote"):
        check_state({"kind": "something else"}, tmp_path)
    with pytest.raises(StoreError, match="state format 99"):
        check_state({**state, "format": 99}, tmp_path)
