"""Shared fixtures: the real test data beside the checkout, the demo catalog and live APIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the real test data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_catalog(tmp_path_factory) -> Path:
    from geoquant.demo import DEMO_DATA
    from geoquant.sources import build_catalog

    out = tmp_path_factory.mktemp("demo-catalog")
    build_catalog(DEMO_DATA, out)
    return out


@pytest.fixture(scope="session")
def demo_api(demo_catalog):
    """A real STAC API (rustac) on a free loopback port, over the demo catalog."""
    from geoquant.sources import CatalogServer

    with CatalogServer(demo_catalog) as server:
        yield server.url


@pytest.fixture(scope="session")
def real_items(shared_data) -> dict[str, list[dict]]:
    """The real Planetary Computer search results, by collection."""
    out = {}
    for path in sorted((shared_data / "stac").glob("*.json")):
        items = json.loads(path.read_text())
        out[items[0]["collection"]] = items
    return out


@pytest.fixture(scope="session")
def real_api(real_items, tmp_path_factory):
    """A real STAC API serving the real items as they are (remote hrefs, real metadata)."""
    from geoquant.sources import CatalogServer

    folder = tmp_path_factory.mktemp("real-catalog")
    for cid, items in real_items.items():
        (folder / cid).mkdir()
        west = min(i["bbox"][0] for i in items)
        south = min(i["bbox"][1] for i in items)
        east = max(i["bbox"][2] for i in items)
        north = max(i["bbox"][3] for i in items)
        collection = {"type": "Collection", "stac_version": "1.0.0", "id": cid,
                      "description": cid, "license": "proprietary", "links": [],
                      "extent": {"spatial": {"bbox": [[west, south, east, north]]},
                                 "temporal": {"interval": [[None, None]]}}}
        (folder / cid / "collection.json").write_text(json.dumps(collection))
        (folder / cid / "items.json").write_text(
            json.dumps({"type": "FeatureCollection", "features": items}))
    with CatalogServer(folder) as server:
        yield server.url
