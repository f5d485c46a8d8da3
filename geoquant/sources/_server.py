"""A real STAC API on loopback over a folder of collection and item JSON (``rustac serve``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from geoquant.errors import CatalogUnreachableError, InvalidOptionError, OutputPathError


def _rustac_executable() -> str:
    beside_python = Path(sys.executable).with_name("rustac")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("rustac")
    if found is None:
        raise CatalogUnreachableError(
            "the 'rustac' command is missing: install geoquant's dependencies "
            "(pip install -c constraints.txt -e .)"
        )
    return found


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def catalog_files(folder: str | Path) -> list[Path]:
    """The collection and item JSON files under ``folder``, collections first."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputPathError(f"catalog folder {folder} does not exist; build one with "
                              "'geoquant catalog build'")
    files = sorted(folder.rglob("*.json"))
    collections = [p for p in files if p.name == "collection.json"]
    others = [p for p in files if p.name != "collection.json"]
    if not collections:
        raise OutputPathError(f"no collection.json under {folder}; build one with "
                              "'geoquant catalog build'")
    return collections + others


def _check_port_free(port: int) -> None:
    """Refuse a port another process holds: the API there would not be this catalog."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # as the server will bind: connections of a server just stopped (TIME_WAIT) do not
        # hold the port, a listening socket does
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", int(port)))
        except OSError as err:
            raise CatalogUnreachableError(
                f"port {port} on 127.0.0.1 is in use by another process ({err.strerror}): "
                "choose another --port, or leave it out to take a free one") from None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM when the process that started it dies (even by
    SIGKILL), so a killed 'catalog serve' leaves no server listening."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _check_port(port: object) -> int | None:
    """``port`` as a TCP port number 1..65535, or None (choose a free one)."""
    if port is None:
        return None
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidOptionError(
            f"port {str(port)[:40]!r} is not a TCP port: give a whole number from 1 to 65535 "
            "(--port 8080), or leave it out to take a free one")
    return port


class _Spawner:
    """Starts child processes from one thread that lives as long as this process.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends, not the process:
    a server started from a short-lived thread (a thread pool, a request handler) would be
    killed when that thread returned. Forking from this long-lived daemon thread ties the
    child to the process instead.
    """

    def __init__(self) -> None:
        import queue

        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        self.pid = os.getpid()
        threading.Thread(target=self._serve, name="geoquant-spawner", daemon=True).start()

    def _serve(self) -> None:
        while True:
            args, kwargs, reply = self._requests.get()
            try:
                reply.put((subprocess.Popen(*args, **kwargs), None))
            except BaseException as err:            # noqa: BLE001 - handed to the caller
                reply.put((None, err))

    def popen(self, *args: object, **kwargs: object) -> subprocess.Popen:
        import queue

        reply: queue.SimpleQueue = queue.SimpleQueue()
        self._requests.put((args, kwargs, reply))
        process, error = reply.get()
        if error is not None:
            raise error
        return process


_SPAWNER: _Spawner | None = None
_SPAWNER_LOCK = threading.Lock()


def _spawner() -> _Spawner:
    """This process's spawner (a forked child starts its own: threads do not survive fork)."""
    global _SPAWNER
    with _SPAWNER_LOCK:
        if _SPAWNER is None or _SPAWNER.pid != os.getpid():
            _SPAWNER = _Spawner()
        return _SPAWNER


class CatalogServer:
    """Serve a folder of STAC collections and items as a STAC API on ``127.0.0.1``.

    Use as a context manager; the server stops on exit.

    Parameters
    ----------
    folder
        Folder of ``collection.json`` and item (FeatureCollection) JSON files, as written by
        :func:`geoquant.sources.build_catalog`.
    port
        TCP port, 1 to 65535; a free one is chosen when omitted.
    startup_timeout
        Seconds to wait for the API to answer.

    Examples
    --------
    >>> with CatalogServer("catalog/") as server:  # doctest: +SKIP
    ...     items = search(server.url, collections=["camargue-s1"])
    """

    def __init__(self, folder: str | Path, *, port: int | None = None,
                 startup_timeout: float = 20.0) -> None:
        port = _check_port(port)
        self.files = catalog_files(folder)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen | None = None

    def start(self) -> CatalogServer:
        _check_port_free(self.port)
        command = [_rustac_executable(), "serve", "--addr", f"127.0.0.1:{self.port}",
                   *map(str, self.files)]
        # forked from the spawner thread: PR_SET_PDEATHSIG follows the forking thread
        self._process = _spawner().popen(command, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, text=True,
                                         preexec_fn=_die_with_parent)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                error = self._process.stderr.read().strip() if self._process.stderr else ""
                raise CatalogUnreachableError(
                    f"the STAC server stopped at start ({error.splitlines()[-1:] or 'no output'});"
                    " check the catalog JSON and that the port is free")
            try:
                with urllib.request.urlopen(f"{self.url}/collections", timeout=1.0) as resp:
                    if resp.status == 200 and self._process.poll() is None:
                        return self     # and it is ours: our process still holds the port
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise CatalogUnreachableError(
            f"the STAC server on {self.url} did not answer within {self.startup_timeout} s")

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process is not None and self._process.stderr:
            self._process.stderr.close()
        self._process = None

    def __enter__(self) -> CatalogServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
