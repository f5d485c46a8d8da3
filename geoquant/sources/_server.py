"""A real STAC API on loopback over a folder of collection and item JSON (``rustac serve``)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from geoquant.errors import CatalogUnreachableError, OutputPathError


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


class CatalogServer:
    """Serve a folder of STAC collections and items as a STAC API on ``127.0.0.1``.

    Use as a context manager; the server stops on exit.

    Parameters
    ----------
    folder
        Folder of ``collection.json`` and item (FeatureCollection) JSON files, as written by
        :func:`geoquant.sources.build_catalog`.
    port
        TCP port; a free one is chosen when omitted.
    startup_timeout
        Seconds to wait for the API to answer.

    Examples
    --------
    >>> with CatalogServer("catalog/") as server:  # doctest: +SKIP
    ...     items = search(server.url, collections=["camargue-s1"])
    """

    def __init__(self, folder: str | Path, *, port: int | None = None,
                 startup_timeout: float = 20.0) -> None:
        self.files = catalog_files(folder)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen | None = None

    def start(self) -> CatalogServer:
        _check_port_free(self.port)
        command = [_rustac_executable(), "serve", "--addr", f"127.0.0.1:{self.port}",
                   *map(str, self.files)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
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
