"""The loopback STAC server: a port another process holds is refused (it would answer with
another catalog), and a killed 'catalog serve' leaves no server listening."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from geoquant.errors import CatalogUnreachableError


def test_a_port_held_by_another_process_is_refused(demo_catalog):
    from geoquant.sources import CatalogServer

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    try:
        with pytest.raises(CatalogUnreachableError, match=f"port {port} .* in use"):
            with CatalogServer(demo_catalog, port=port):
                pass
    finally:
        holder.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses PR_SET_PDEATHSIG")
def test_a_killed_catalog_serve_leaves_no_server(demo_catalog):
    from geoquant.sources import free_port

    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "geoquant.cli", "catalog", "serve",
                              str(demo_catalog), "--port", str(port)],
                             stdout=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/collections"
    try:
        assert serve.stdout.readline().startswith("STAC API on")
        assert _answers(url)
        os.kill(serve.pid, signal.SIGKILL)
        serve.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _answers(url) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _answers(url)                    # the rustac child went with it
    finally:
        if serve.poll() is None:
            serve.kill()
