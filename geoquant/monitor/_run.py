"""One monitoring run: new acquisitions in, one time step per date appended, alerts out.

For every (region, source) series of the configuration, under the store's lock:

1. search the STAC API for the source's items in the region acquired after the last
   acquisition processed (or from ``start``), leaving out those processed before; items of
   the 30 days before it (:data:`LATE_LOOKBACK`) that were not processed, or that fall on the
   last processed date, arrived late: they are reported, not computed (a series only grows
   forward in time);
2. load them as one cube (acquisitions of one solar day mosaicked into one date), mask clouds
   and everything outside the region's polygon, and segment each date;
3. per date, in time order: measure the figures, append the step to the store, send the alerts
   that fire, then record the step in the store's state.

A run that finds nothing new writes nothing. A run interrupted at any point leaves the store
as it was after its last recorded step; the next run trims what lies beyond it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoquant.errors import (
    BandError,
    CatalogUnreachableError,
    ConfigError,
    NoItemsFoundError,
    OutputPathError,
    StoreError,
)
from geoquant.monitor._alerts import AlertSink, evaluate
from geoquant.monitor._config import load_config
from geoquant.monitor._specs import (
    CLEAR_METRIC,
    MonitorConfig,
    RegionSpec,
    SourceSpec,
    series_key,
)
from geoquant.monitor._state import (
    new_state,
    now_text,
    processed_items,
    record_alerts,
    record_run,
    record_step,
    store_lock,
)
from geoquant.monitor._store import MonitorStore, mask_variable, step_dataset

Say = Callable[[str], None]
#: Quality layers :func:`geoquant.sources.clear_mask` decodes (Sentinel-2 L2A, Landsat C2 L2,
#: cloud masks); without one, every pixel with data counts as seen clearly.
QUALITY_ASSETS = ("SCL", "qa_pixel", "CLM")
#: How far before the last processed acquisition a run looks for items that arrived late.
LATE_LOOKBACK = dt.timedelta(days=30)


@dataclass(frozen=True)
class RunReport:
    """What a run did.

    Attributes
    ----------
    store : Path
        The monitor's Zarr store.
    added : mapping of str to tuple of str
        The dates appended, per series (``region/source``).
    alerts : tuple of dict
        The alerts fired, as sent.
    late_items : mapping of str to tuple of str
        Items that arrived after later dates were processed, per series (not computed).
    repaired : tuple of str
        What was undone of an earlier, interrupted run.
    hook_failures : tuple of str
        Alert hooks that failed (the alerts are in the alerts file regardless).
    elapsed_s : float
    """

    store: Path
    added: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    alerts: tuple[dict[str, Any], ...] = ()
    late_items: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    repaired: tuple[str, ...] = ()
    hook_failures: tuple[str, ...] = ()
    elapsed_s: float = 0.0

    @property
    def changed(self) -> bool:
        """Whether the run wrote anything to the store."""
        return any(self.added.values()) or bool(self.repaired)

    def summary(self) -> str:
        steps = sum(len(d) for d in self.added.values())
        if not steps:
            text = f"nothing new; {self.store} unchanged"
            if self.repaired:
                text = f"nothing new; repaired {self.store} ({'; '.join(self.repaired)})"
        else:
            series = ", ".join(f"{k} +{len(d)}" for k, d in self.added.items() if d)
            text = (f"appended {steps} date{'s' * (steps != 1)} to {self.store} ({series}); "
                    f"{len(self.alerts)} alert{'s' * (len(self.alerts) != 1)} fired")
        if self.hook_failures:
            text += f"; {len(self.hook_failures)} alert hook call(s) failed"
        return f"{text}  ({self.elapsed_s:.1f} s)"


def run(config: MonitorConfig | str | Path, *, client: Any = None, say: Say | None = print,
        echo_alert: Say | None = print) -> RunReport:
    """Run a monitor once: compute and append every acquisition newer than the last run.

    Parameters
    ----------
    config : MonitorConfig or path
        A validated configuration, or the path of its YAML file.
    client : distributed.Client, optional
        Compute on this Dask cluster; by default the current Dask scheduler is used.
    say : callable, optional
        Receives progress lines (one per date); None for silence.
    echo_alert : callable, optional
        Receives each fired alert's JSON line (also appended to the alerts file).

    Returns
    -------
    RunReport

    Raises
    ------
    ConfigError, RegionError
        The configuration is invalid (see :func:`load_config`).
    StoreError
        The output path holds a foreign or corrupt store (left untouched), a store of another
        monitor, or a series whose metrics or grid changed.
    StoreLockedError
        Another run holds the store's lock.
    CatalogUnreachableError, NoItemsFoundError
        The STAC API does not answer, or lacks a configured collection.
    """
    started = time.perf_counter()
    if not isinstance(config, MonitorConfig):
        config = load_config(config)
    store = MonitorStore(config.output)
    _check_output_folder(store.path)
    sink = AlertSink(config.alerts_file, hook=config.hook, timeout_s=config.hook_timeout_s,
                     echo=echo_alert, warn=say)
    sink.check()
    _check_state(store.read_state(), config, store)   # before the lock: a foreign store fails
    with store_lock(store.path, purpose=str(config.path or config.name),
                    say=lambda line: _say(say, line)), _scheduler(client):
        state = _check_state(store.read_state(), config, store)
        repaired = tuple(store.repair(state)) if state is not None else ()
        for line in repaired:
            _say(say, f"repaired {store.path.name}: {line}")
        job = _Job(config, store, state, sink, say)
        for region, source in config.series():
            job.series(region, source)
    return RunReport(store.path, {k: tuple(v) for k, v in job.added.items()},
                     tuple(job.alerts), {k: tuple(v) for k, v in job.late.items()}, repaired,
                     tuple(sink.hook_failures), time.perf_counter() - started)


def _say(say: Say | None, line: str) -> None:
    if say is not None:
        say(line)


@contextlib.contextmanager
def _scheduler(client: Any):
    if client is None:
        yield
        return
    import dask

    with dask.config.set(scheduler=client.get):
        yield


def _check_output_folder(path: Path) -> None:
    parent = path.parent
    if not parent.is_dir():
        raise OutputPathError(f"cannot write the monitor store {path}: the folder {parent} "
                              "does not exist; create it or change output")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(f"cannot write the monitor store {path}: no permission to "
                              f"create files in {parent}; change output")


def _check_state(state: dict[str, Any] | None, config: MonitorConfig, store: MonitorStore
                 ) -> dict[str, Any] | None:
    if state is None:
        return None
    if state["name"] != config.name:
        raise StoreError(f"{store.path} belongs to monitor {state['name']!r}, not "
                         f"{config.name!r}: give this monitor its own output store (it was "
                         "left as it is)")
    for region, source in config.series():
        key = series_key(region.name, source.name)
        recorded = state["series"].get(key)
        if recorded is None:
            continue
        wanted = [CLEAR_METRIC, *(m.name for m in source.metrics)]
        masks = [mask_variable(c) for c in source.masks]
        if recorded.get("metrics") != wanted or recorded.get("masks") != masks:
            raise StoreError(
                f"series {key!r} of {store.path} holds metrics {recorded.get('metrics')} and "
                f"masks {recorded.get('masks')}, but the config now asks for {wanted} and "
                f"{masks}: restore the source's metrics and masks, or write to a new output "
                "store")
    return state


def _instant(text: str) -> dt.datetime:
    """An ISO 8601 STAC datetime as an aware UTC datetime."""
    when = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def solar_day(item: Mapping[str, Any]) -> str:
    """The local solar date of an acquisition (the day :func:`geoquant.sources.load` mosaics
    acquisitions by): UTC time shifted by the longitude of the footprint's centre."""
    when = _instant(item["properties"]["datetime"])
    bbox = item.get("bbox") or [0.0, 0.0, 0.0, 0.0]
    lon = (bbox[0] + bbox[2]) / 2.0
    return (when + dt.timedelta(hours=lon / 15.0)).date().isoformat()


def _check_collection(catalog: str, collection: str) -> None:
    """NoItemsFoundError when the STAC API lacks the collection (search would only say it
    found no items, which for a monitor is the normal answer)."""
    import urllib.error
    import urllib.request

    url = f"{catalog}/collections/{collection}"
    try:
        with urllib.request.urlopen(url, timeout=30):
            return
    except urllib.error.HTTPError as err:
        if err.code != 404:
            raise CatalogUnreachableError(f"the STAC API at {catalog} answered {err.code} for "
                                          f"collection {collection!r}") from err
    except (urllib.error.URLError, OSError) as err:
        raise CatalogUnreachableError(
            f"cannot reach the STAC API at {catalog} ({getattr(err, 'reason', err)}); check "
            "catalog in the config, or that the server runs") from err
    known = _collection_ids(catalog)
    from geoquant.monitor._keys import suggestion

    raise NoItemsFoundError(f"the STAC API at {catalog} has no collection {collection!r}"
                            f"{suggestion(collection, known)}; it has "
                            f"{', '.join(known) or 'none'}")


def _collection_ids(catalog: str) -> list[str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{catalog}/collections", timeout=30) as resp:
            return sorted(c.get("id", "") for c in json.load(resp).get("collections", []))
    except (urllib.error.URLError, OSError, ValueError):
        return []


class _Job:
    """The work of one run over every series (kept apart from ``run`` for readability)."""

    def __init__(self, config: MonitorConfig, store: MonitorStore,
                 state: dict[str, Any] | None, sink: AlertSink, say: Say | None) -> None:
        from geoquant import __version__

        self.config, self.store, self.state, self.sink, self.say = config, store, state, sink, say
        self.added: dict[str, list[str]] = {}
        self.late: dict[str, list[str]] = {}
        self.alerts: list[dict[str, Any]] = []
        self.entry = {"id": uuid.uuid4().hex[:12], "started": now_text(), "finished": None,
                      "added": {}, "alerts": 0, "hook_failures": 0, "geoquant": __version__,
                      "config": str(config.path) if config.path else None}
        self.checked: set[str] = set()

    # -- finding what is new ---------------------------------------------------------------

    def new_items(self, region: RegionSpec, source: SourceSpec, key: str
                  ) -> list[dict[str, Any]]:
        from geoquant.sources import search

        if source.collection not in self.checked:
            _check_collection(self.config.catalog, source.collection)
            self.checked.add(source.collection)
        recorded = (self.state or {}).get("series", {}).get(key)
        since = self.config.start
        if recorded and recorded.get("last_acquisition"):
            # Look a little further back than the last acquisition, to tell items that
            # arrived late (and are left out) from items never published.
            last = _instant(recorded["last_acquisition"])
            lookback = (last - LATE_LOOKBACK).strftime("%Y-%m-%dT%H:%M:%SZ")
            since = max(lookback, since) if since else lookback
        try:
            found = search(self.config.catalog, collections=[source.collection],
                           region=region.region.geometry,
                           datetime=f"{since}/.." if since else None, query=source.query)
        except NoItemsFoundError:
            return []
        done = processed_items(self.state, key) if self.state else set()
        fresh = [item for item in found if item["id"] not in done]
        if not recorded or not fresh:
            return fresh
        last_day = recorded.get("last_solar_day") or recorded["dates"][-1]
        last = _instant(recorded["last_acquisition"])
        late = [i for i in fresh if _instant(i["properties"]["datetime"]) <= last
                or solar_day(i) <= last_day]
        if late:
            ids = [i["id"] for i in late]
            self.late[key] = ids
            _say(self.say, f"{key}: {len(ids)} item(s) dated on or before the last processed "
                           f"date {last_day} arrived late and were left out: {', '.join(ids)}")
        return [i for i in fresh if i not in late]

    # -- one series ------------------------------------------------------------------------

    def series(self, region: RegionSpec, source: SourceSpec) -> None:
        import dask

        from geoquant import segment, sources
        from geoquant.monitor._metrics import measure, region_mask
        from geoquant.monitor._segmenters import BandThresholds, bands_hint, choose_segmenter

        key = series_key(region.name, source.name)
        items = self.new_items(region, source, key)
        if not items:
            _say(self.say, f"{key}: no new acquisitions")
            return
        cube = sources.load(items, assets=list(source.assets) if source.assets else None,
                            crs=source.crs, resolution=source.resolution,
                            region=region.region.geometry, sar_units="db")
        segmenter = choose_segmenter(source, items, cube)
        clear = None
        if not segment.is_sar(cube) and not isinstance(segmenter, segment.LandCoverProduct) \
                and set(QUALITY_ASSETS) & set(items[0].get("assets", {})):
            clear = sources.clear_mask(items, like=cube)   # on the cube's own coordinates
        inside = region_mask(region.region, cube)
        region_pixels = int(inside.sum())
        if region_pixels == 0:
            from geoquant.errors import RegionError

            raise RegionError(f"region {region.name!r} covers no pixel centre of the grid of "
                              f"{source.collection!r}: give a larger region")
        plans = self._plans(source)
        classes = list(dict.fromkeys([*(m.class_name for m in source.metrics
                                        if m.class_name), *source.masks]))
        # Band-threshold classes are read at probability 0.5 (exactly their rule, even where
        # two classes overlap); other segmenters through the class map, as ask reads them.
        threshold = 0.5 if isinstance(segmenter, BandThresholds) else None
        info = {"region": region.name, "source": source.name,
                "collection": source.collection, "region_origin": region.origin,
                "metrics": [CLEAR_METRIC, *(m.name for m in source.metrics)],
                "masks": [mask_variable(c) for c in source.masks],
                "segmenter": segment.describe(segmenter)}
        names = info["metrics"]
        history = self.store.history(key, names)
        steps = cube.sizes["time"]
        _say(self.say, f"{key}: {len(items)} new item(s) on {steps} date(s)")
        for t in range(steps):
            begun = time.perf_counter()
            keep = inside if clear is None else inside & clear.isel(time=t, drop=True)
            view = cube.isel(time=t, drop=True).where(keep)
            try:
                seg = segment.apply(view, segmenter)
            except BandError as err:
                if source.segmenter == "auto":
                    raise ConfigError(bands_hint(source, cube)) from err
                raise
            (seg,) = dask.persist(seg)
            masks = segment.class_masks(seg, classes, threshold=threshold)
            values = measure(seg, masks, source, region_pixels=region_pixels, plans=plans)
            stamp = cube.time.values[t]
            ids = str(cube.item_ids.values[t]).split(",")
            step = step_dataset(stamp, values, {c: masks[c] for c in source.masks},
                                metrics=source.metrics, crs=cube.rio.crs)
            self._commit(key, region, source, step, values, ids, items, info, history)
            shown = ", ".join(f"{k} {_number(values[k])}" for k in names)
            date = str(stamp)[:10]
            _say(self.say, f"[{t + 1}/{steps}] {key} {date}: {shown} "
                           f"({time.perf_counter() - begun:.1f} s)")

    def _plans(self, source: SourceSpec) -> dict[str, Any]:
        from geoquant.reason import make_plan

        return {m.name: make_plan(m.question) for m in source.metrics
                if m.measure == "question"}

    def _commit(self, key: str, region: RegionSpec, source: SourceSpec, step: Any,
                values: Mapping[str, float], ids: list[str], items: list[dict[str, Any]],
                info: Mapping[str, Any], history: dict[str, Any]) -> None:
        """Write a date, send its alerts, then record it: in that order (module docstring)."""
        import numpy as np

        if self.state is None:
            self.state = new_state(name=self.config.name, catalog=self.config.catalog,
                                   cadence=self.config.cadence.text)
            self.store.create(self.state)
        self.store.append(key, step)
        stamp = step["time"].values[0]
        history["time"] = np.append(history["time"], stamp)
        for name in info["metrics"]:
            history[name] = np.append(history[name], values[name])
        acquired = max((i["properties"]["datetime"] for i in items if i["id"] in ids),
                       key=_instant)
        date = str(stamp)[:10]
        fired = evaluate(self.config.alerts, region=region.name, source=source.name,
                         times=history["time"], history=history)
        sent = []
        for record in fired:
            alert = {"monitor": self.config.name, **record, "region": region.name,
                     "source": source.name, "date": date, "time": str(stamp)[:19],
                     "items": ids, "store": str(self.store.path), "fired_at": now_text()}
            self.sink.send(alert)
            sent.append(alert)
        self.alerts.extend(sent)
        record_step(self.state, key, date=date, items=ids, last_acquisition=acquired,
                    series_info=info)
        self.state["series"][key]["last_solar_day"] = max(
            solar_day(i) for i in items if i["id"] in ids)
        record_alerts(self.state, sent)
        self.added.setdefault(key, []).append(date)
        self.entry.update(finished=now_text(),
                          added={k: len(v) for k, v in self.added.items()},
                          alerts=len(self.alerts),
                          hook_failures=len(self.sink.hook_failures))
        record_run(self.state, self.entry)
        self.store.write_state(self.state)


def _number(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.4e}"
