"""survey under faults: a worker process killed mid-run, and a whole run killed and restarted.

Real processes only: a ``dask scheduler`` and ``dask worker`` processes on loopback, and the
run itself in a separate Python process that is killed with SIGKILL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

import geoquant as gq
from geoquant.sources._server import free_port

DASK = str(Path(sys.executable).with_name("dask"))
PIXEL = 10.0


def _scipy_survey(mask, near, *, within_m, min_area_m2) -> dict:
    """The answers on the whole array with scipy (8-connected labels, exact EDT)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:] * PIXEL * PIXEL
    out = {"objects": n, "objects_min_area": int(np.count_nonzero(areas >= min_area_m2)),
           "area_m2": float(mask.sum() * PIXEL * PIXEL),
           "valid_area_m2": float(mask.size * PIXEL * PIXEL)}
    if near is not None:
        close = mask & (ndimage.distance_transform_edt(~near, sampling=PIXEL) <= within_m)
        ids = np.unique(labels[close])
        ids = ids[ids > 0]
        out["objects_near"] = int(np.count_nonzero(areas[ids - 1] >= min_area_m2))
        out["area_near_m2"] = float(close.sum() * PIXEL * PIXEL)
    return out


def _start(args: list[str], processes: list[subprocess.Popen]) -> subprocess.Popen:
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(proc)
    return proc


@pytest.fixture
def scheduler_and_two_workers():
    """A scheduler and two single-thread workers (no nanny: a killed worker stays dead)."""
    processes: list[subprocess.Popen] = []
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    try:
        _start([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                "--dashboard-address", "127.0.0.1:0"], processes)
        workers = [_start([DASK, "worker", address, "--nthreads", "1", "--no-nanny",
                           "--host", "127.0.0.1", "--no-dashboard"], processes)
                   for _ in range(2)]
        yield address, workers
    finally:
        for proc in processes:
            proc.kill()
            proc.wait(timeout=30)


@pytest.mark.slow  # 30-100 s of three processes; survey on a real cluster stays in tests/cli
def test_a_worker_killed_mid_run_changes_nothing(scheduler_and_two_workers):
    from distributed import Client

    address, workers = scheduler_and_two_workers
    lc = gq.synth.landcover((1024, 1024), seed=5, chunks=128)
    forest, water = lc == 2, (lc == 1) | (lc == 7)
    expected = _scipy_survey(forest.values, water.values, within_m=300.0, min_area_m2=5000.0)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if line.startswith("batch 3/"):
            workers[0].send_signal(signal.SIGKILL)  # batches are still in flight

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(2, timeout=60)
        got = gq.ops.survey(forest, near=water, within_m=300.0, min_area_m2=5000.0,
                            tiles_per_batch=4, say=say, client=client)
        assert workers[0].wait(timeout=30) == -signal.SIGKILL
        assert len(client.scheduler_info()["workers"]) == 1
    assert lines[0].startswith("Dask dashboard: http://127.0.0.1:")
    assert got.batches == 16 and len([x for x in lines if x.startswith("batch ")]) == 16
    assert {name: getattr(got, name) for name in expected} == expected


RUN = textwrap.dedent("""
    import json, sys, time
    import geoquant as gq

    lc = gq.synth.landcover((1536, 1536), seed=6, chunks=128)
    paced = lambda line: time.sleep(0.15)   # slow enough for the test to kill it mid-run
    result = gq.ops.survey(lc == 2, min_area_m2=5000.0, tiles_per_batch=2,
                           checkpoint=sys.argv[1], say=paced if sys.argv[2] == "paced" else None)
    print(json.dumps(result.to_dict()))
""")


def test_a_killed_run_resumes_from_its_finished_batches(tmp_path):
    script = tmp_path / "run.py"
    script.write_text(RUN)
    state = tmp_path / "state"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, str(script), str(state), "paced"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while len(list(state.glob("batch-*.npz"))) < 5:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the run never saved five batches"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    finished = len(list(state.glob("batch-*.npz")))
    assert 5 <= finished < 72  # 12 x 12 tiles in batches of 2
    done = subprocess.run([sys.executable, str(script), str(state), "fast"], env=env,
                          capture_output=True, text=True, timeout=300, check=True)
    resumed = json.loads(done.stdout.strip().splitlines()[-1])
    assert not list(state.glob(".batch-*")), "half-written batch files are cleared on resume"
    assert resumed["resumed_batches"] == finished
    lc = gq.synth.landcover((1536, 1536), seed=6, chunks=128).values
    expected = _scipy_survey(lc == 2, None, within_m=None, min_area_m2=5000.0)
    assert {name: resumed[name] for name in expected} == expected
