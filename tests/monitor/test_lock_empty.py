"""Issue 32 item 15: an empty or unreadable lock file is judged the same by ``run`` and
``status``. An empty lock is what a run killed between creating its lock and writing its
holder leaves (real files here; the age is set with ``os.utime``)."""

from __future__ import annotations

import os
import time

import pytest
from monitor_kit import NDVI, NDVI_CLASSES, footprint, item_dirs, write_region

from geoquant.errors import StoreLockedError
from geoquant.monitor import run, status, store_lock
from geoquant.monitor._state import EMPTY_LOCK_STALE_S, lock_path, lock_verdict, read_lock


def _config(tmp_path):
    write_region(tmp_path / "site.geojson", footprint(item_dirs(NDVI)[0]))
    path = tmp_path / "watch.yaml"
    path.write_text("name: watch\ncatalog: http://127.0.0.1:9\noutput: out.zarr\ncadence: 2d\n"
                    "regions: [{name: site, geojson: site.geojson}]\n"
                    "sources:\n  - name: ndvi\n    collection: slovenia-s2-ndvi\n"
                    f"{NDVI_CLASSES}    metrics: [vegetation_share_percent]\n")
    return path


def _empty_lock(tmp_path, age_s: float):
    lock = lock_path(tmp_path / "out.zarr")
    lock.write_text("")
    then = time.time() - age_s
    os.utime(lock, (then, then))
    return lock


def _lock_line(config) -> str:
    return next(line for line in status(config).lines() if "locked by" in line)


def test_an_old_empty_lock_is_stale_for_status_and_broken_by_the_next_run(tmp_path):
    config = _config(tmp_path)
    lock = _empty_lock(tmp_path, EMPTY_LOCK_STALE_S + 60)
    line = _lock_line(config)
    assert "an empty lock" in line and "stale" in line and "the next run breaks it" in line
    assert "another host" not in line
    said = []
    with store_lock(tmp_path / "out.zarr", say=said.append) as holder:
        assert read_lock(tmp_path / "out.zarr")["token"] == holder["token"]
    assert len(said) == 1 and said[0].startswith("broke the lock") and "empty" in said[0]
    assert not lock.exists()


def test_a_fresh_empty_lock_is_a_run_taking_it_for_both(tmp_path):
    config = _config(tmp_path)
    lock = _empty_lock(tmp_path, 0.0)
    assert "being taken by a run right now" in _lock_line(config)
    with pytest.raises(StoreLockedError) as info:
        run(config)
    message = str(info.value)
    assert "being locked by another run right now" in message and "run again" in message
    assert lock.exists() and lock.read_text() == ""        # never removed behind its back


def test_a_garbled_lock_is_refused_by_run_and_status_says_so(tmp_path):
    config = _config(tmp_path)
    lock = lock_path(tmp_path / "out.zarr")
    lock.write_text("{not json")
    line = _lock_line(config)
    assert "unreadable" in line and f"remove {lock}" in line and "another host" not in line
    with pytest.raises(StoreLockedError) as info:
        run(config)
    assert "no longer running" in str(info.value) and f"remove {lock}" in str(info.value)
    assert lock.exists()


def test_the_verdicts():
    assert lock_verdict({"unreadable": "empty", "empty_for_s": 0.5}) == "taking"
    assert lock_verdict({"unreadable": "empty", "empty_for_s": 1e6}) == "stale"
    assert lock_verdict({"unreadable": "not JSON"}) == "unreadable"
    assert lock_verdict({"pid": 1, "host": "elsewhere.example"}) == "remote"
