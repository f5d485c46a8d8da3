"""Issue 32 item 13: the catalog server outlives the thread that started it, a port out of
range exits 2 with one line, and SIGTERM ends ``catalog serve`` with the documented 143.
Real ``rustac`` servers and real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from geoquant.errors import InvalidOptionError

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/collections", timeout=2.0):
            return True
    except OSError:
        return False


@linux
def test_a_server_started_by_a_thread_that_ended_still_answers(demo_catalog):
    from geoquant.sources import CatalogServer

    started: list[CatalogServer] = []
    thread = threading.Thread(target=lambda: started.append(CatalogServer(demo_catalog).start()))
    thread.start()
    thread.join(60)
    assert started, "the server did not start"
    server = started[0]
    try:
        time.sleep(1.0)               # PR_SET_PDEATHSIG would have fired as the thread ended
        assert server.running and _answers(server.url)
    finally:
        server.stop()
    assert not _answers(server.url)


@pytest.mark.parametrize("port", [70000, -1, 65536])
def test_a_port_out_of_range_is_refused(demo_catalog, port, capsys):
    from geoquant.cli import main
    from geoquant.sources import CatalogServer

    with pytest.raises(InvalidOptionError, match="from 1 to 65535"):
        CatalogServer(demo_catalog, port=port)
    assert main(["catalog", "serve", str(demo_catalog), "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"port {str(port)!r} is not a TCP port" in err


@linux
def test_sigterm_stops_catalog_serve_with_status_143(demo_catalog):
    from geoquant.sources import free_port

    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "geoquant.cli", "catalog", "serve",
                              str(demo_catalog), "--port", str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert serve.stdout.readline().startswith("STAC API on")
        os.kill(serve.pid, signal.SIGTERM)
        _, err = serve.communicate(timeout=30)
    finally:
        if serve.poll() is None:
            serve.kill()
    assert serve.returncode == 143, err
    assert err.strip().splitlines() == [
        "geoquant: terminated (SIGTERM); nothing half-written is kept, locks are released"]
    assert not _answers(f"http://127.0.0.1:{port}")        # its rustac child stopped too
