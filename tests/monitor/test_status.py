"""``status``: what a monitor has done, read from its store without writing anything."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
from monitor_kit import NDVI, NDVI_CLASSES, footprint, item_dirs, store_digest, write_region

from geoquant.errors import ConfigError
from geoquant.monitor import run, status, store_lock


def _config(tmp_path, url):
    write_region(tmp_path / "site.geojson", footprint(item_dirs(NDVI)[0]))
    path = tmp_path / "watch.yaml"
    path.write_text(f"name: watch\ncatalog: {url}\noutput: out.zarr\ncadence: 2d\n"
                    "regions: [{name: site, geojson: site.geojson}]\n"
                    "sources:\n  - name: ndvi\n    collection: slovenia-s2-ndvi\n"
                    f"{NDVI_CLASSES}    metrics: [vegetation_share_percent]\n"
                    "alerts: [{name: always, metric: clear_percent, above: -1}]\n")
    return path


def test_status_before_any_run(tmp_path):
    found = status(_config(tmp_path, "http://127.0.0.1:9"))
    assert found.state is None
    assert "no store yet" in "\n".join(found.lines())
    with pytest.raises(ConfigError, match="neither a monitor store nor a .yaml config"):
        status(tmp_path / "nothing.zarr")


def test_status_after_runs_from_the_config_or_the_store(tmp_path, live_catalog):
    config = _config(tmp_path, live_catalog.url)
    items = item_dirs(NDVI)[:2]
    with live_catalog.serving({NDVI: items}):
        run(config, say=None, echo_alert=None)
    before = store_digest(tmp_path / "out.zarr")
    by_config, by_store = status(config), status(tmp_path / "out.zarr")
    assert store_digest(tmp_path / "out.zarr") == before            # read-only
    lines = by_config.lines()
    text = "\n".join(lines)
    assert "1 run that added data" in text and "2 dates added, 2 alerts" in text
    assert "site/ndvi (slovenia-s2-ndvi): 2 dates 2015-07-11 .. 2015-07-31" in text
    assert "latest: clear_percent 0, vegetation_share_percent n/a" in text
    assert "alerts: 2 fired (all in" in text and "always: clear_percent above -1" in text
    assert by_store.state == by_config.state
    series = [line for line in lines if line.startswith("  site/")]
    assert series and series == [x for x in by_store.lines() if x.startswith("  site/")]
    assert "overdue" not in text
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=5)
    assert any("overdue" in line and "cadence 2d" in line for line in by_config.lines(now=later))
    json.dumps(by_store.to_dict())                                 # plain JSON


def test_status_shows_a_held_or_stale_lock(tmp_path):
    config = _config(tmp_path, "http://127.0.0.1:9")
    with store_lock(tmp_path / "out.zarr"):
        assert "(running)" in "\n".join(status(config).lines())
    (tmp_path / "out.zarr.lock").write_text(json.dumps(
        {"pid": 2 ** 22 + 1, "host": socket.gethostname(), "started": "2026-01-01T00:00:00Z"}))
    assert "stale: its process is gone; the next run breaks it" in "\n".join(
        status(config).lines())
