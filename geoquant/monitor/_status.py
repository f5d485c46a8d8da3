"""What a monitor has done, read from its store without taking the lock (nothing is written)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoquant.errors import ConfigError
from geoquant.monitor._config import load_config, parse_cadence
from geoquant.monitor._specs import MonitorConfig
from geoquant.monitor._state import describe_holder, lock_path, lock_verdict, read_lock
from geoquant.monitor._store import MonitorStore


@dataclass(frozen=True)
class MonitorStatus:
    """The state of a monitor store, with the latest figures of each series.

    Attributes
    ----------
    store : Path
    state : dict, optional
        The recorded state (None when no store exists yet).
    latest : mapping of str to dict
        Per series, the figures of its last date.
    lock : dict, optional
        The lock's holder, when the store is locked.
    config : MonitorConfig, optional
        When status was asked with a configuration file.
    problems : tuple of str
        Where the store disagrees with its recorded state (arrays longer or shorter than the
        recorded steps, unreadable metadata, dates stored twice, leftovers of an interrupted
        run); empty when it agrees.
    """

    store: Path
    state: Mapping[str, Any] | None
    latest: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    lock: Mapping[str, Any] | None = None
    config: MonitorConfig | None = None
    problems: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        """Whether the store agrees with its recorded state."""
        return not self.problems

    def lines(self, *, now: dt.datetime | None = None) -> list[str]:
        """The status in words, one fact a line."""
        now = now or dt.datetime.now(dt.UTC)
        name = self.config.name if self.config else (self.state or {}).get("name", "?")
        out = [f"monitor {name}: {self.store}"]
        if self.state is None:
            out.append("  no store yet: no run has found acquisitions to write")
            out.extend(self._lock_lines())
            return out
        state = self.state
        runs = state["runs"]
        out.append(f"  created {state.get('created')}, cadence {state.get('cadence')}, "
                   f"{len(runs)} run{'s' * (len(runs) != 1)} that added data")
        if runs:
            last = runs[-1]
            added = sum(last.get("added", {}).values())
            out.append(f"  last run {last.get('started')} to {last.get('finished')}: "
                       f"{added} date{'s' * (added != 1)} added, {last.get('alerts', 0)} "
                       f"alert{'s' * (last.get('alerts', 0) != 1)}"
                       + (f", {last['hook_failures']} hook failure(s)"
                          if last.get("hook_failures") else ""))
            out.extend(self._due_lines(last, now))
        out.extend(self._lock_lines())
        if self.problems:
            out.append("  needs repair (the next 'monitor run' repairs it before anything "
                       "else):")
            out.extend(f"    {problem}" for problem in self.problems)
        else:
            out.append("  store agrees with its recorded state")
        for key, series in state["series"].items():
            dates = series["dates"]
            span = f"{dates[0]} .. {dates[-1]}" if dates else "none"
            out.append(f"  {key} ({series.get('collection')}): {series['steps']} "
                       f"date{'s' * (series['steps'] != 1)} {span}; last acquisition "
                       f"{series.get('last_acquisition')}")
            figures = self.latest.get(key)
            if figures:
                shown = ", ".join(f"{k} {_number(v)}" for k, v in figures.items())
                out.append(f"    latest: {shown}")
        alerts = state["alerts"]
        out.append(f"  alerts: {alerts['fired']} fired"
                   + (f" (all in {self.config.alerts_file})" if self.config else ""))
        for alert in alerts["last"][-5:]:
            out.append(f"    {alert.get('date')} {alert.get('region')}/{alert.get('source')} "
                       f"{alert.get('alert')}: {alert.get('rule')} (value "
                       f"{_number(alert.get('value'))})")
        return out

    def _due_lines(self, last: Mapping[str, Any], now: dt.datetime) -> list[str]:
        cadence_text = self.config.cadence.text if self.config else self.state.get("cadence")
        when = last.get("finished") or last.get("started")
        if not cadence_text or not when:
            return []
        try:
            cadence = parse_cadence(cadence_text)
        except ConfigError:
            return []
        finished = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        age = (now - finished).total_seconds()
        if age > 2 * cadence.seconds:
            return [f"  overdue: the last run that added data was {_age(age)} ago, cadence "
                    f"{cadence.text} (no new acquisitions, or the schedule is not running)"]
        return []

    def _lock_lines(self) -> list[str]:
        if self.lock is None:
            return []
        path = lock_path(self.store)
        state = {"running": "running",
                 "stale": ("stale: its process is gone; the next run breaks it "
                           f"({path})" if "unreadable" not in self.lock else
                           f"stale: left empty by a run killed while taking it; the next run "
                           f"breaks it ({path})"),
                 "taking": "being taken by a run right now",
                 "remote": "on another host",
                 "unreadable": ("unreadable, so not a live run's: the next run refuses it; if "
                                f"no other run is active, remove {path}")
                 }[lock_verdict(self.lock)]
        return [f"  locked by {describe_holder(self.lock)} ({state})"]

    def to_dict(self) -> dict[str, Any]:
        return {"store": str(self.store), "state": self.state, "latest": dict(self.latest),
                "lock": self.lock, "healthy": self.healthy, "problems": list(self.problems)}


def _age(seconds: float) -> str:
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def _number(value: Any) -> str:
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        return "n/a"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.4e}"


def status(target: str | Path | MonitorConfig) -> MonitorStatus:
    """What a monitor has done: runs, dates, last acquisitions, latest figures, alerts.

    Parameters
    ----------
    target
        A configuration (or its ``.yaml`` file) or the monitor's Zarr store.

    Returns
    -------
    MonitorStatus
        ``.lines()`` gives it in words.

    Raises
    ------
    ConfigError
        A configuration file that is not valid.
    StoreError
        A path that holds a foreign or corrupt store.
    """
    config = None
    if isinstance(target, MonitorConfig):
        config = target
    elif Path(target).suffix.lower() in (".yaml", ".yml") and not Path(target).is_dir():
        config = load_config(target)
    store = MonitorStore(config.output if config else target)
    if config is None and not store.exists():
        raise ConfigError(f"{store.path} is neither a monitor store nor a .yaml config: give "
                          "the config file or the store written by 'geoquant monitor run'")
    state = store.read_state()
    problems = tuple(store.check(state)) if state is not None else ()
    latest: dict[str, dict[str, float]] = {}
    for key, series in (state or {}).get("series", {}).items():
        names = list(series.get("metrics", []))
        if series["steps"] and names and store.has_series(key) and not problems:
            history = store.history(key, names)
            latest[key] = {n: float(history[n][series["steps"] - 1]) for n in names}
    return MonitorStatus(store.path, state, latest, read_lock(store.path), config, problems)
