"""Bad output paths: a foreign or corrupt store, a file, another monitor's store, changed
metrics. Each is a StoreError of one line, and nothing at the path changes."""

from __future__ import annotations

import json

import numpy as np
import pytest
from monitor_kit import NDVI, NDVI_CLASSES, footprint, item_dirs, store_digest, write_region

from geoquant.errors import StoreError
from geoquant.monitor import run


def _config(tmp_path, url="http://127.0.0.1:9", *, name="watch",
            metrics="[vegetation_share_percent]"):
    write_region(tmp_path / "site.geojson", footprint(item_dirs(NDVI)[0]))
    path = tmp_path / "watch.yaml"
    path.write_text(f"name: {name}\ncatalog: {url}\noutput: out.zarr\ncadence: daily\n"
                    "regions: [{name: site, geojson: site.geojson}]\n"
                    "sources:\n  - name: ndvi\n    collection: slovenia-s2-ndvi\n"
                    f"{NDVI_CLASSES}    metrics: {metrics}\n")
    return path


def _foreign_v2(store):
    import zarr

    group = zarr.open_group(str(store), mode="w", zarr_format=2)
    group.create_array("data", shape=(4, 4), dtype="f4")[:] = np.arange(16).reshape(4, 4)
    group.attrs["owner"] = "someone else"


def _foreign_v3(store):
    import zarr

    zarr.open_group(str(store), mode="w", zarr_format=3).create_array(
        "data", shape=(2,), dtype="i4")


def _garbage_folder(store):
    store.mkdir()
    (store / "notes.txt").write_text("precious")


def _garbage_zgroup(store):
    store.mkdir()
    (store / ".zgroup").write_text("{not json")


def _file(store):
    store.write_text("a file")


def _empty_folder(store):
    store.mkdir()


@pytest.mark.parametrize(("make", "expected"), [
    (_foreign_v2, "not one that geoquant monitor wrote"),
    (_foreign_v3, "Zarr v3 store that geoquant monitor did not write"),
    (_garbage_folder, "not a Zarr store"),
    (_garbage_zgroup, "is corrupt"),
    (_file, "is a file"),
    (_empty_folder, "is an empty folder"),
])
def test_what_is_at_the_output_path_is_refused_and_left_as_it_is(tmp_path, make, expected):
    store = tmp_path / "out.zarr"
    make(store)
    before = store_digest(store)
    with pytest.raises(StoreError) as info:
        run(_config(tmp_path), say=None, echo_alert=None)
    assert expected in str(info.value) and "\n" not in str(info.value)
    assert store_digest(store) == before
    assert not (tmp_path / "out.zarr.lock").exists()
    assert not (tmp_path / "out.alerts.jsonl").exists()


def test_another_monitors_store_or_changed_metrics_are_refused(tmp_path, live_catalog):
    store = tmp_path / "out.zarr"
    with live_catalog.serving({NDVI: item_dirs(NDVI)[:1]}):
        run(_config(tmp_path, live_catalog.url), say=None, echo_alert=None)
    before = store_digest(store)
    with pytest.raises(StoreError, match="belongs to monitor 'watch', not 'other'"):
        run(_config(tmp_path, live_catalog.url, name="other"), say=None, echo_alert=None)
    changed = _config(tmp_path, live_catalog.url,
                      metrics="[vegetation_share_percent, forest_area_m2]")
    with pytest.raises(StoreError, match="the config now asks for"):
        run(changed, say=None, echo_alert=None)
    assert store_digest(store) == before


def test_a_monitor_store_with_unreadable_state_is_refused(tmp_path, live_catalog):
    store = tmp_path / "out.zarr"
    with live_catalog.serving({NDVI: item_dirs(NDVI)[:1]}):
        run(_config(tmp_path, live_catalog.url), say=None, echo_alert=None)
    attrs = json.loads((store / ".zattrs").read_text())
    attrs["geoquant_monitor"]["series"]["site/ndvi"]["steps"] = 5
    (store / ".zattrs").write_text(json.dumps(attrs))
    before = store_digest(store)
    with pytest.raises(StoreError, match="damaged"):
        run(_config(tmp_path, live_catalog.url), say=None, echo_alert=None)
    assert store_digest(store) == before
    (store / ".zattrs").write_text("{broken")
    before = store_digest(store)
    with pytest.raises(StoreError, match="is corrupt: .zattrs cannot be read"):
        run(_config(tmp_path, live_catalog.url), say=None, echo_alert=None)
    assert store_digest(store) == before
