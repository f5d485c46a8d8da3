"""A monitor run killed (SIGKILL) at every stage of writing a date, and one stopped by SIGTERM:
``monitor status`` says what the store needs, the next run repairs it to the recorded state and
finishes, and every date is stored exactly once with the figures NumPy gives."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time

import pytest
from monitor_kit import (
    NDVI,
    NDVI_CLASSES,
    day_of,
    footprint,
    item_dirs,
    ndvi_reference,
    write_region,
)

#: Runs the monitor in this process after arranging to SIGKILL itself at one stage of the
#: third date (dates 1 and 2 are written and recorded first). The stages are the points
#: between the writes of a date: nothing in geoquant knows of them.
KILLER = """\
import os, signal, sys
import zarr
from geoquant.monitor import _store

stage, config = sys.argv[1], sys.argv[2]
appends = {"n": 0}
resizes = {"n": 0}


def die():
    os.kill(os.getpid(), signal.SIGKILL)


real_append = _store.MonitorStore.append
def append(self, key, step):
    appends["n"] += 1
    if appends["n"] == 3 and stage == "before-append":
        die()
    real_append(self, key, step)
    if appends["n"] == 3 and stage == "after-append":
        die()                                   # data in, state not recorded
_store.MonitorStore.append = append

real_consolidate = _store.MonitorStore.consolidate
def consolidate(self, key=None):
    if appends["n"] == 3 and key is not None and stage == "before-consolidate":
        die()                                   # arrays resized, consolidated copy stale
    real_consolidate(self, key)
_store.MonitorStore.consolidate = consolidate

real_resize = zarr.Array.resize
def resize(self, *args, **kwargs):
    resizes["n"] += 1
    real_resize(self, *args, **kwargs)
    if appends["n"] == 3 and stage == "half-appended" and resizes["n"] >= 2:
        die()                                   # some variables one step longer, not all
    if appends["n"] == 3 and stage == "torn-metadata":
        path = os.path.join(self.store_path.store.root, self.path, ".zarray")
        with open(path, "r+") as meta:          # a metadata write cut in half
            text = meta.read()
            meta.seek(0)
            meta.write(text[: len(text) // 2])
            meta.truncate()
        die()
zarr.Array.resize = resize

real_write = _store._write_json
def write_json(path, value):
    if appends["n"] == 3 and stage == "state-write" and path.name == ".zattrs" \\
            and path.parent == _store.MonitorStore(path.parent).path:
        tmp = path.with_name(f".{path.name}.cut.tmp")
        tmp.write_text('{"geoquant_monitor": {"version": ')
        die()                                   # the state's temporary file, half written
    real_write(path, value)
_store._write_json = write_json

from geoquant.monitor import run
run(config, say=None, echo_alert=None)
"""
STAGES = ("before-append", "after-append", "before-consolidate", "half-appended",
          "torn-metadata", "state-write")
#: Stages after which the store holds more than its state records (status must say so).
UNRECORDED = {"after-append", "before-consolidate", "half-appended", "torn-metadata"}


def _config(folder, url):
    write_region(folder / "site.geojson", footprint(item_dirs(NDVI)[0]))
    path = folder / "kill.yaml"
    path.write_text(f"name: kill\ncatalog: {url}\noutput: kill.zarr\ncadence: daily\n"
                    "regions:\n  - name: site\n    geojson: site.geojson\n"
                    "sources:\n  - name: ndvi\n    collection: slovenia-s2-ndvi\n"
                    f"{NDVI_CLASSES}    metrics:\n      - vegetation_share_percent\n")
    return path


def _check_complete(store, items):
    import xarray as xr

    with xr.open_zarr(store, group="site/ndvi", consolidated=False) as ds:
        days = [str(t)[:10] for t in ds.time.values]
        shares = ds.vegetation_share_percent.values
        masks = {name: ds[name].sizes["time"] for name in ds.data_vars
                 if "time" in ds[name].dims}
    assert days == [day_of(i) for i in items]                 # each date once, in order
    assert set(masks.values()) == {len(items)}
    for value, item in zip(shares, items, strict=True):
        expected = ndvi_reference(item)["vegetation_share_percent"]
        assert (math.isnan(value) and math.isnan(expected)) or value == pytest.approx(expected)


@pytest.mark.parametrize("stage", STAGES)
def test_a_run_killed_at_any_stage_is_repaired_by_the_next(stage, tmp_path, live_catalog):
    from geoquant import monitor

    config = _config(tmp_path, live_catalog.url)
    items = item_dirs(NDVI)[:4]
    store = tmp_path / "kill.zarr"
    with live_catalog.serving({NDVI: items}):
        killed = subprocess.run([sys.executable, "-c", KILLER, stage, str(config)],
                                capture_output=True, text=True, timeout=300)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        found = monitor.status(config)
        assert found.state["series"]["site/ndvi"]["steps"] == 2
        if stage in UNRECORDED:
            assert not found.healthy and any("3 time steps, 2 recorded" in p or
                                             "unreadable metadata" in p
                                             for p in found.problems), found.problems
        said = []
        report = monitor.run(config, say=said.append, echo_alert=None)
    assert any(line.startswith("broke the lock") for line in said)
    if stage != "before-append":
        assert report.repaired, said
    assert list(report.added["site/ndvi"]) == [day_of(i) for i in items[2:]]
    assert monitor.status(config).healthy
    _check_complete(store, items)


def test_status_reports_a_date_stored_twice(tmp_path, live_catalog):
    """A store damaged by an older geoquant (a date appended twice) is flagged, not healthy."""
    import json

    from geoquant import monitor

    config = _config(tmp_path, live_catalog.url)
    with live_catalog.serving({NDVI: item_dirs(NDVI)[:2]}):
        monitor.run(config, say=None, echo_alert=None)
    store = tmp_path / "kill.zarr"
    state_file = store / ".zattrs"
    attrs = json.loads(state_file.read_text())
    series = attrs["geoquant_monitor"]["series"]["site/ndvi"]
    series["dates"][1] = series["dates"][0]
    state_file.write_text(json.dumps(attrs))
    problems = monitor.status(config).problems
    assert any("differ from the recorded" in p for p in problems)
    assert subprocess.run([sys.executable, "-m", "geoquant.cli", "monitor", "status",
                           str(config)], capture_output=True).returncode == 1


def test_sigterm_releases_the_lock_and_the_next_run_finishes(tmp_path, live_catalog):
    config = _config(tmp_path, live_catalog.url)
    items = item_dirs(NDVI)[:6]
    store = tmp_path / "kill.zarr"
    with live_catalog.serving({NDVI: items}):
        run = subprocess.Popen([sys.executable, "-m", "geoquant.cli", "monitor", "run",
                                str(config)], stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not (tmp_path / "kill.zarr.lock").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        while not store.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        run.send_signal(signal.SIGTERM)
        _, err = run.communicate(timeout=120)
        assert run.returncode in (143, 0), err[-2000:]
        assert not (tmp_path / "kill.zarr.lock").exists()       # released, not left behind
        if run.returncode == 143:
            assert "terminated (SIGTERM)" in err
        from geoquant import monitor

        monitor.run(config, say=None, echo_alert=None)
    assert monitor.status(config).healthy
    _check_complete(store, items)
    assert os.path.isdir(store)
