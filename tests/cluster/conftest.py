"""Real Dask processes on loopback: a scheduler and two workers started as ``dask scheduler`` /
``dask worker`` subprocesses, and a scheduler that no worker joins. Every process is killed
(its whole process group) when the module's tests end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"dask scheduler did not listen on port {port} within {timeout_s} s")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the process group (a worker's nanny and its worker), then SIGKILL it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=10)


class Processes:
    """Subprocesses started by a fixture, all stopped by its finalizer."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, *args: str) -> subprocess.Popen:
        proc = subprocess.Popen([str(DASK), *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            _stop(proc)


def _scheduler(processes: Processes) -> str:
    port = _free_port()
    proc = processes.start("scheduler", "--host", "127.0.0.1", "--port", str(port),
                           "--no-dashboard")
    _wait_for_port(port, proc)
    return f"tcp://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def scheduler_with_two_workers(request):
    """The address of a ``dask scheduler`` process that two ``dask worker`` processes joined."""
    processes = Processes()
    request.addfinalizer(processes.stop_all)
    address = _scheduler(processes)
    for _ in range(2):
        processes.start("worker", address, "--nthreads", "1", "--nworkers", "1",
                        "--no-dashboard", "--memory-limit", "1GiB")
    return address


@pytest.fixture(scope="session")
def scheduler_without_workers(request):
    """The address of a ``dask scheduler`` process that no worker joins."""
    processes = Processes()
    request.addfinalizer(processes.stop_all)
    return _scheduler(processes)


@pytest.fixture
def closed_port() -> int:
    """A loopback port that nothing listens on."""
    return _free_port()


@pytest.fixture
def scheduler_to_kill(request):
    """A fresh ``dask scheduler`` process that one ``dask worker`` process joins, for a test
    that kills it: ``(address, scheduler process)``."""
    processes = Processes()
    request.addfinalizer(processes.stop_all)
    address = _scheduler(processes)
    processes.start("worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                    "--memory-limit", "1GiB")
    return address, processes.procs[0]
