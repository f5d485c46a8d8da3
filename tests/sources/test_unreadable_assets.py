"""An asset that cannot be read (HTTP 404 on a loopback server) fails the answer and names the
asset; it is never read as no data (stackstac's default), which would silently shrink areas."""

from __future__ import annotations

import json
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from geoquant.errors import AssetError


class _Missing(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's name
        self.send_response(404)
        self.end_headers()

    do_HEAD = do_GET

    def log_message(self, *args):
        pass


def _lulc_catalog(demo_catalog, folder, **asset_fields):
    """A copy of the demo's slovenia-lulc collection with ``asset_fields`` set on every asset."""
    shutil.copytree(demo_catalog / "slovenia-lulc", folder / "slovenia-lulc")
    items_file = folder / "slovenia-lulc" / "items.json"
    items = json.loads(items_file.read_text())
    for item in items["features"]:
        for asset in item["assets"].values():
            asset.update(asset_fields)
    items_file.write_text(json.dumps(items))
    return folder


@pytest.fixture
def broken_api(demo_catalog, tmp_path):
    from geoquant.sources import CatalogServer

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Missing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = _lulc_catalog(demo_catalog, tmp_path / "catalog",
                           href=f"http://127.0.0.1:{server.server_address[1]}/gone/lulc.tif")
    try:
        with CatalogServer(folder) as api:
            yield api.url
    finally:
        server.shutdown()


def test_a_missing_asset_fails_and_is_named(broken_api):
    from geoquant.reason import ask

    with pytest.raises(AssetError, match="could not be read.*gone/lulc.tif"):
        ask("What share of the area is forest?", source=f"{broken_api}/collections/"
            "slovenia-lulc")


def test_the_cli_says_it_in_one_line(broken_api, capsys):
    from geoquant.cli import main

    code = main(["ask", "What share of the area is forest?", "--source",
                 f"{broken_api}/collections/slovenia-lulc", "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "gone/lulc.tif" in err[0]


@pytest.mark.parametrize("transform", [[0, 0, "x"], ["a", "b", "c", "d", "e", "f"],
                                       [0, 0, 0, 0, 0, 0]])
def test_a_bogus_proj_transform_is_named(demo_catalog, tmp_path, transform):
    from geoquant.errors import InvalidOptionError
    from geoquant.reason import ask
    from geoquant.sources import CatalogServer

    folder = _lulc_catalog(demo_catalog, tmp_path / "catalog", **{"proj:transform": transform})
    with CatalogServer(folder) as api:
        with pytest.raises(InvalidOptionError, match="no usable proj:transform"):
            ask("What share of the area is forest?",
                source=f"{api.url}/collections/slovenia-lulc")
