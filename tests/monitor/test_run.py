"""A monitoring season end to end over a real STAC API whose catalog grows between runs.

The NDVI series of the demo site is served 10 items first, then 20 (the server restarted with
the larger set): the second run computes only the new dates, runs with nothing new change no
byte of the store, every figure equals NumPy/SciPy on the rasters, and the alerts fired are
exactly those the rules give on the reference figures.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from monitor_kit import (
    CAMARGUE,
    NDVI,
    NDVI_CLASSES,
    LiveCatalog,
    day_of,
    first_of_each_day,
    footprint,
    item_dirs,
    ndvi_reference,
    store_digest,
    write_region,
)

from geoquant.errors import StoreLockedError

SEASON_CONFIG = """\
name: season
catalog: {url}
output: season.zarr
cadence: 10d
regions:
  - name: site
    geojson: site.geojson
sources:
  - name: ndvi
    collection: slovenia-s2-ndvi
{classes}    min_clear_percent: 50
    metrics:
      - vegetation_share_percent
      - forest_area_m2
      - forest_patches
      - {{name: forest_share_answer, question: "What share of the area is forest?"}}
alerts:
  - {{name: vegetation-low, metric: vegetation_share_percent, below: 50}}
  - {{name: forest-drop, metric: forest_area_m2, change_percent_below: -50, window_days: 365,
     min_span_days: 30}}
"""


def _lines():
    lines: list[str] = []
    return lines, lines.append


@pytest.fixture(scope="module")
def season(tmp_path_factory):
    """Four runs: 10 items, again, 20 items (server restarted), again."""
    from geoquant import monitor

    folder = tmp_path_factory.mktemp("season")
    items = item_dirs(NDVI)
    write_region(folder / "site.geojson", footprint(items[0]))
    catalog = LiveCatalog(folder / "stac")
    config = folder / "season.yaml"
    config.write_text(SEASON_CONFIG.format(url=catalog.url, classes=NDVI_CLASSES))
    store, alerts = folder / "season.zarr", folder / "season.alerts.jsonl"
    out = {"folder": folder, "store": store, "alerts_file": alerts, "items": items[:20]}
    with catalog.serving({NDVI: items[:10]}):
        progress, say = _lines()
        out["first"], out["first_progress"] = monitor.run(config, say=say, echo_alert=None), \
            progress
        out["after_first"] = store_digest(store, alerts)
        out["again"] = monitor.run(config, say=None, echo_alert=None)
        out["after_again"] = store_digest(store, alerts)
    with catalog.serving({NDVI: items[:20]}):
        progress, say = _lines()
        echoed, echo = _lines()
        out["grown"] = monitor.run(config, say=say, echo_alert=echo)
        out["grown_progress"], out["echoed"] = progress, echoed
        out["after_grown"] = store_digest(store, alerts)
        out["last"] = monitor.run(config, say=None, echo_alert=None)
        out["after_last"] = store_digest(store, alerts)
    out["status"] = monitor.status(config)
    return out


def _dates(items):
    return [day_of(i) for i in first_of_each_day(items)]


def test_each_run_appends_only_the_dates_it_has_not_seen(season):
    first_dates = _dates(season["items"][:10])
    all_dates = _dates(season["items"])
    assert list(season["first"].added["site/ndvi"]) == first_dates
    assert list(season["grown"].added["site/ndvi"]) == all_dates[len(first_dates):]
    assert len(season["grown"].added["site/ndvi"]) == 10

    import xarray as xr

    with xr.open_zarr(season["store"], group="site/ndvi") as ds:
        assert [str(t)[:10] for t in ds.time.values] == all_dates
    state = season["status"].state
    series = state["series"]["site/ndvi"]
    assert series["dates"] == all_dates and series["steps"] == len(all_dates)
    processed = [i for step in series["items"] for i in step]
    assert sorted(processed) == sorted(i.name for i in season["items"])   # every item, once
    assert series["last_acquisition"].startswith(all_dates[-1])
    assert [sum(r["added"].values()) for r in state["runs"]] == [len(first_dates), 10]


def test_a_run_with_nothing_new_changes_no_byte(season):
    assert season["after_again"] == season["after_first"]
    assert season["after_last"] == season["after_grown"]
    assert not season["again"].changed and not season["last"].changed
    assert season["again"].summary().startswith("nothing new")
    assert not (season["folder"] / "season.zarr.lock").exists()


def test_progress_is_one_line_per_date(season):
    dated = [line for line in season["grown_progress"] if line.startswith("[")]
    assert [line.split("]")[0] for line in dated] == [f"[{k}/10" for k in range(1, 11)]
    first = dated[0]
    assert "site/ndvi" in first and "vegetation_share_percent" in first and first.endswith("s)")


def test_figures_equal_numpy_on_the_rasters(season):
    import xarray as xr

    reference = [ndvi_reference(i) for i in first_of_each_day(season["items"])]
    with xr.open_zarr(season["store"], group="site/ndvi") as ds:
        stored = {name: ds[name].values for name in
                  ("clear_percent", "vegetation_share_percent", "forest_area_m2",
                   "forest_patches", "forest_share_answer")}
    observed = 0
    for k, ref in enumerate(reference):
        assert stored["clear_percent"][k] == pytest.approx(ref["clear_percent"], rel=1e-12)
        if ref["clear_percent"] < 50:   # min_clear_percent: not observed
            for name in ("vegetation_share_percent", "forest_area_m2", "forest_patches",
                         "forest_share_answer"):
                assert math.isnan(stored[name][k])
            continue
        observed += 1
        for name in ("vegetation_share_percent", "forest_area_m2", "forest_patches"):
            assert stored[name][k] == pytest.approx(ref[name], rel=1e-9, abs=1e-9), name
        share = 100.0 * ref["forest_pixels"] / (ref["clear_percent"] / 100.0 * 10100)
        assert stored["forest_share_answer"][k] == pytest.approx(share, rel=1e-9)
    assert 5 <= observed < len(reference)      # the season has clear and cloudy dates


def _expected_alerts(references, dates):
    """The rules of SEASON_CONFIG applied by hand to the reference figures."""
    expected = []
    times = [np.datetime64(d) for d in dates]
    observed = [r["clear_percent"] >= 50 for r in references]
    for k, ref in enumerate(references):
        if not observed[k]:
            continue
        if ref["vegetation_share_percent"] < 50:
            expected.append(("vegetation-low", dates[k]))
        candidates = [j for j in range(k) if observed[j]
                      and 30 <= (times[k] - times[j]).astype(int) <= 365]
        if candidates:
            before = references[candidates[0]]["forest_area_m2"]
            if before and 100 * (ref["forest_area_m2"] - before) / before < -50:
                expected.append(("forest-drop", dates[k]))
    return expected


def test_alerts_fire_exactly_when_the_rules_say(season):
    items = first_of_each_day(season["items"])
    references = [ndvi_reference(i) for i in items]
    dates = [day_of(i) for i in items]
    expected = _expected_alerts(references, dates)
    assert {a for a, _ in expected} == {"vegetation-low", "forest-drop"}  # both rules fire ...
    assert len({d for _, d in expected}) < sum(r["clear_percent"] >= 50 for r in references)

    lines = season["alerts_file"].read_text().splitlines()
    fired = [(json.loads(line)["alert"], json.loads(line)["date"]) for line in lines]
    assert fired == expected                                           # ... on these dates only
    reported = [(a["alert"], a["date"]) for a in season["first"].alerts + season["grown"].alerts]
    assert reported == expected
    assert [json.loads(line) for line in season["echoed"]] == list(season["grown"].alerts)
    first_loss = next(json.loads(x) for x in lines if json.loads(x)["alert"] == "forest-drop")
    assert first_loss["items"] and first_loss["store"] == str(season["store"])
    assert first_loss["reference_value"] > first_loss["value"]
    assert season["status"].state["alerts"]["fired"] == len(expected)


def test_gdal_reads_the_mask_series(season):
    import rasterio

    items = first_of_each_day(season["items"])
    with rasterio.open(f'ZARR:"{season["store"]}":/site/ndvi/forest_mask') as src:
        assert src.count == len(items)
        assert src.crs.to_epsg() == 32633
        assert src.nodata == 255
        stack = src.read()
    with rasterio.open(items[0] / "ndvi.tif") as raster:
        assert src.transform.a == pytest.approx(raster.transform.a)
    for band, item in zip(stack, items, strict=True):
        assert int((band == 1).sum()) == ndvi_reference(item)["forest_pixels"]


def test_status_tells_what_has_been_done(season):
    lines = season["status"].lines()
    text = "\n".join(lines)
    assert lines[0].startswith("monitor season: ")
    assert "2 runs that added data" in text
    assert f"site/ndvi (slovenia-s2-ndvi): 19 dates {_dates(season['items'])[0]}" in text
    assert "latest: clear_percent" in text
    assert f"alerts: {season['status'].state['alerts']['fired']} fired" in text


# -- two runs at once, interruption, late items -------------------------------------------

HOLD_LOCK = """\
import sys
from geoquant.monitor import store_lock
with store_lock(sys.argv[1], purpose="test holder"):
    print("held", flush=True)
    sys.stdin.read()
"""


def _small_config(folder, url, *, extra="", metrics="      - vegetation_share_percent\n",
                  alerts=""):
    write_region(folder / "site.geojson", footprint(item_dirs(NDVI)[0]))
    path = folder / "small.yaml"
    path.write_text(f"name: small\ncatalog: {url}\noutput: small.zarr\ncadence: daily\n"
                    f"regions:\n  - name: site\n    geojson: site.geojson\n"
                    f"sources:\n  - name: ndvi\n    collection: slovenia-s2-ndvi\n"
                    f"{NDVI_CLASSES}{extra}    metrics:\n{metrics}{alerts}")
    return path


def test_a_second_run_at_once_is_refused_and_changes_nothing(tmp_path, live_catalog):
    from geoquant import monitor

    config = _small_config(tmp_path, live_catalog.url)
    store = tmp_path / "small.zarr"
    with live_catalog.serving({NDVI: item_dirs(NDVI)[:2]}):
        monitor.run(config, say=None, echo_alert=None)
    before = store_digest(store)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(store)], text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        with live_catalog.serving({NDVI: item_dirs(NDVI)[:4]}):
            with pytest.raises(StoreLockedError) as info:
                monitor.run(config, say=None, echo_alert=None)
        assert f"pid {holder.pid}" in str(info.value) and "another run" in str(info.value)
        assert store_digest(store) == before
    finally:
        holder.communicate("", timeout=30)
    assert not (tmp_path / "small.zarr.lock").exists()     # the holder released it


KILL_ON_THIRD_CALL = """\
import os, pathlib, signal, sys
here = pathlib.Path(sys.argv[1])
calls = here / "calls"
n = int(calls.read_text()) + 1 if calls.exists() else 1
calls.write_text(str(n))
with open(here / "received.jsonl", "a") as out:
    out.write(sys.stdin.read())
if n == 3:
    os.kill(os.getppid(), signal.SIGKILL)   # the run dies after writing date 3, unrecorded
"""


def test_a_killed_run_is_trimmed_and_finished_by_the_next(tmp_path, live_catalog):
    from geoquant import monitor

    (tmp_path / "hook.py").write_text(KILL_ON_THIRD_CALL)
    config = _small_config(
        tmp_path, live_catalog.url,
        alerts=f"hook: [{sys.executable}, {tmp_path / 'hook.py'}, {tmp_path}]\n"
               "alerts:\n  - {name: every-date, metric: clear_percent, above: -1}\n")
    items = item_dirs(NDVI)[:5]
    dates = [day_of(i) for i in items]
    store = tmp_path / "small.zarr"
    with live_catalog.serving({NDVI: items}):
        crashed = subprocess.run(
            [sys.executable, "-c", f"from geoquant.monitor import run; run({str(config)!r})"],
            capture_output=True, text=True, timeout=300)
        assert crashed.returncode == -9, crashed.stderr
        status = monitor.status(config)
        assert status.state["series"]["site/ndvi"]["dates"] == dates[:2]   # 2 recorded
        assert (tmp_path / "small.zarr.lock").exists()          # left by the killed run
        said = []
        report = monitor.run(config, say=said.append, echo_alert=None)
    assert any(line.startswith("broke the lock") and "no longer running" in line
               for line in said)
    assert any("trimmed" in line for line in report.repaired)
    assert list(report.added["site/ndvi"]) == dates[2:]
    import xarray as xr

    with xr.open_zarr(store, group="site/ndvi") as ds:
        assert [str(t)[:10] for t in ds.time.values] == dates
        shares = ds.vegetation_share_percent.values
    for value, item in zip(shares, items, strict=True):
        expected = ndvi_reference(item)["vegetation_share_percent"]
        assert (math.isnan(value) and math.isnan(expected)) or value == pytest.approx(expected)
    # Alerts are sent before a date is recorded: date 3's went out twice, none was lost.
    sent = [json.loads(x)["date"] for x in (tmp_path / "small.alerts.jsonl").read_text()
            .splitlines()]
    assert sent == [*dates[:3], *dates[2:]]
    received = (tmp_path / "received.jsonl").read_text().splitlines()
    assert received == (tmp_path / "small.alerts.jsonl").read_text().splitlines()


def test_late_items_are_reported_and_left_out(tmp_path, live_catalog):
    from geoquant import monitor

    config = _small_config(tmp_path, live_catalog.url)
    items = item_dirs(NDVI)
    with live_catalog.serving({NDVI: [items[0], items[1], items[4]]}):
        monitor.run(config, say=None, echo_alert=None)
    with live_catalog.serving({NDVI: items[:6]}):           # 2 and 3 arrive after 4
        report = monitor.run(config, say=None, echo_alert=None)
    assert sorted(report.late_items["site/ndvi"]) == [items[2].name, items[3].name]
    assert list(report.added["site/ndvi"]) == [day_of(items[5])]
    series = monitor.status(config).state["series"]["site/ndvi"]
    assert series["dates"] == [day_of(items[k]) for k in (0, 1, 4, 5)]


# -- SAR water and region polygons ---------------------------------------------------------

def test_sar_water_area_and_its_alert(tmp_path, live_catalog):
    import rasterio

    from geoquant import monitor

    (item,) = item_dirs(CAMARGUE)
    with rasterio.open(item / "vv.tif") as src:
        vv, (dx, dy) = src.read(1), src.res
    valid = np.isfinite(vv) & (vv != -99)
    water_m2 = float(((vv < -15) & valid).sum()) * dx * dy
    write_region(tmp_path / "camargue.geojson", footprint(item))
    config = tmp_path / "sar.yaml"
    config.write_text(textwrap.dedent(f"""\
        name: floods
        catalog: {live_catalog.url}
        output: floods.zarr
        cadence: 6h
        regions: [{{name: camargue, geojson: camargue.geojson}}]
        sources:
          - name: s1
            collection: camargue-s1
            segmenter: sar-water
            threshold_db: -15
            masks: []
            metrics: [water_area_m2, water_share_percent]
        alerts:
          - {{name: flood, metric: water_area_m2, above: {water_m2 * 0.9}}}
          - {{name: big-flood, metric: water_area_m2, above: {water_m2 * 1.1}}}
        """))
    with live_catalog.serving({CAMARGUE: [item]}):
        report = monitor.run(config, say=None, echo_alert=None)
    assert [a["alert"] for a in report.alerts] == ["flood"]
    assert report.alerts[0]["value"] == pytest.approx(water_m2, rel=1e-12)
    import xarray as xr

    with xr.open_zarr(tmp_path / "floods.zarr", group="camargue/s1") as ds:
        assert float(ds.water_share_percent[0]) == pytest.approx(
            100.0 * ((vv < -15) & valid).sum() / valid.sum(), rel=1e-12)
        assert "water_mask" not in ds                    # masks: [] keeps figures only


def test_pixels_outside_the_region_polygon_are_left_out(tmp_path, live_catalog):
    import rasterio
    from pyproj import Transformer
    from shapely import contains_xy
    from shapely.geometry import Polygon

    from geoquant import monitor

    item = item_dirs(NDVI)[0]
    triangle = [[14.5530, 45.8670], [14.5630, 45.8680], [14.5560, 45.8740], [14.5530, 45.8670]]
    config = _small_config(tmp_path, live_catalog.url)
    write_region(tmp_path / "site.geojson", {"type": "Polygon", "coordinates": [triangle]})
    with live_catalog.serving({NDVI: [item]}):
        monitor.run(config, say=None, echo_alert=None)
    with rasterio.open(item / "ndvi.tif") as src:
        ndvi, transform, crs = src.read(1), src.transform, src.crs
    with rasterio.open(item / "CLM.tif") as src:
        clear = (src.read(1) == 0) & np.isfinite(ndvi)
    to_utm = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    polygon = Polygon([to_utm.transform(lon, lat) for lon, lat in triangle])
    rows, cols = np.mgrid[0:ndvi.shape[0], 0:ndvi.shape[1]]
    xs, ys = transform * (cols + 0.5, rows + 0.5)
    inside = contains_xy(polygon, xs, ys)
    import xarray as xr

    with xr.open_zarr(tmp_path / "small.zarr", group="site/ndvi") as ds:
        share = float(ds.vegetation_share_percent[0])
        seen = float(ds.clear_percent[0])
        mask = ds.vegetation_mask.values[0]
    assert 0 < inside.sum() < inside.size / 2
    assert seen == pytest.approx(100.0 * (inside & clear).sum() / inside.sum(), rel=1e-12)
    assert share == pytest.approx(100.0 * ((ndvi > 0.3) & inside & clear).sum()
                                  / (inside & clear).sum(), rel=1e-12)
    assert int(np.isfinite(mask).sum()) == int((inside & clear).sum())   # 255 read as NaN


def test_land_cover_collections_are_read_as_products(tmp_path, live_catalog):
    import rasterio
    from monitor_kit import LULC

    from geoquant import monitor

    (item,) = item_dirs(LULC)
    with rasterio.open(item / "lulc.tif") as src:
        codes, (dx, dy) = src.read(1), src.res
    classified = codes != 0
    write_region(tmp_path / "site.geojson", footprint(item))
    config = tmp_path / "lc.yaml"
    config.write_text(textwrap.dedent(f"""\
        name: landcover
        catalog: {live_catalog.url}
        output: lc.zarr
        cadence: monthly
        regions: [{{name: site, geojson: site.geojson}}]
        sources:
          - name: lulc
            collection: slovenia-lulc
            metrics: [forest_share_percent, forest_area_m2]
        """))
    with live_catalog.serving({LULC: [item]}):
        report = monitor.run(config, say=None, echo_alert=None)
    assert list(report.added["site/lulc"]) == ["2018-01-08"]
    import xarray as xr

    with xr.open_zarr(tmp_path / "lc.zarr", group="site/lulc") as ds:
        assert float(ds.forest_share_percent[0]) == pytest.approx(
            100.0 * (codes == 2).sum() / classified.sum(), rel=1e-12)
        assert float(ds.forest_area_m2[0]) == pytest.approx((codes == 2).sum() * dx * dy)
        assert float(ds.clear_percent[0]) == pytest.approx(100.0 * classified.mean())
    segmenter = monitor.status(config).state["series"]["site/lulc"]["segmenter"]
    assert segmenter["name"] == "slovenia-lulc"


@pytest.mark.slow
def test_the_documented_example_runs_over_the_whole_demo(tmp_path, live_catalog):
    """docs/monitor.example.yaml over every demo collection: 48 dates, then nothing new."""
    import shutil
    from pathlib import Path

    from monitor_kit import L1C, LULC

    from geoquant import monitor

    docs = Path(__file__).resolve().parents[2] / "docs"
    shutil.copy(docs / "monitor-slovenia.geojson", tmp_path)
    text = (docs / "monitor.example.yaml").read_text()
    text = text.replace("http://127.0.0.1:8080", live_catalog.url)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("hook"))
    (tmp_path / "example.yaml").write_text(text)
    collections = {c: item_dirs(c) for c in (NDVI, CAMARGUE, LULC, L1C)}
    with live_catalog.serving(collections):
        first = monitor.run(tmp_path / "example.yaml", say=None, echo_alert=None)
        before = store_digest(tmp_path / "demo-monitor.zarr")
        again = monitor.run(tmp_path / "example.yaml", say=None, echo_alert=None)
    assert sum(len(d) for d in first.added.values()) > 40 and first.alerts
    assert not again.changed
    assert store_digest(tmp_path / "demo-monitor.zarr") == before
