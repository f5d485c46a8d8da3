"""Issue 32 item 12: ``.partial-`` siblings that dead runs left are swept by the next write to
the same output, as docs/operations.md says; a live process's, or another thread's, never.
Real folders and processes (a ``sleep`` child stands for a process that reused a pid)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from geoquant.sinks._atomic import OWNERLESS_STALE_S, sibling_name
from geoquant.sinks._owner import _boot_id, _start_ticks, claimed, owner_tag

xr = pytest.importorskip("xarray")
pytest.importorskip("rioxarray")


def _dataset() -> xr.Dataset:
    mask = xr.DataArray(np.ones((3, 4), dtype="uint8"), dims=("y", "x"),
                        coords={"y": 5_000_025.0 - 10.0 * np.arange(3),
                                "x": 500_005.0 + 10.0 * np.arange(4)}, name="mask")
    return mask.rio.write_crs("EPSG:32633").to_dataset()


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    return int(done.stdout)


@pytest.fixture
def other_process():
    child = subprocess.Popen(["sleep", "60"])
    yield child.pid
    child.kill()
    child.wait()


def _partial(tmp_path, rest: str, *, age_s: float = 0.0):
    path = tmp_path / f".out.zarr.partial-{rest}"
    (path / "mask").mkdir(parents=True)
    then = time.time() - age_s
    for p in (path / "mask", path):
        os.utime(p, (then, then))
    return path


def test_the_partial_name_carries_its_owner(tmp_path):
    name = sibling_name(tmp_path / "out.zarr", "partial").name
    assert name.startswith(f".out.zarr.partial-{owner_tag()}-")
    assert owner_tag() == f"{os.getpid()}-{_boot_id()}.{_start_ticks(os.getpid())}"


def test_partials_of_dead_runs_are_swept_and_live_ones_kept(tmp_path, other_process):
    from geoquant.sinks import write_zarr

    boot, live = _boot_id(), _start_ticks(other_process)
    dead = _partial(tmp_path, f"{_dead_pid()}-{boot}.123-aaaaaaaaaaaa")
    reused = _partial(tmp_path, f"{other_process}-{boot}.{int(live) + 1}-bbbbbbbbbbbb")
    running = _partial(tmp_path, f"{other_process}-{boot}.{live}-cccccccccccc")
    old_style = _partial(tmp_path, "0123456789ab", age_s=OWNERLESS_STALE_S + 3600)
    old_style_recent = _partial(tmp_path, "ba9876543210", age_s=60)
    other_output = tmp_path / f".other.zarr.partial-{_dead_pid()}-{boot}.1-dddddddddddd"
    other_output.mkdir()

    write_zarr(_dataset(), tmp_path / "out.zarr")
    assert not dead.exists() and not reused.exists() and not old_style.exists()
    assert running.is_dir() and old_style_recent.is_dir() and other_output.is_dir()
    assert (tmp_path / "out.zarr").is_dir()


def test_a_thread_never_sweeps_the_partial_another_thread_is_writing(tmp_path):
    from geoquant.sinks import write_zarr

    name = sibling_name(tmp_path / "out.zarr", "partial")
    with claimed(name):                       # this thread is writing it
        name.mkdir()
        errors = []
        other = threading.Thread(target=lambda: _catch(errors, write_zarr, _dataset(),
                                                       tmp_path / "out.zarr"))
        other.start()
        other.join(60)
        assert errors == [] and name.is_dir()
    write_zarr(_dataset(), tmp_path / "out.zarr", overwrite=True)
    assert not name.exists()                  # no longer claimed, its owner's thread ended


def _catch(errors, function, *args):
    try:
        function(*args)
    except BaseException as err:              # noqa: BLE001 - reported by the test
        errors.append(err)
