"""Alert rules evaluated on each new date, and where fired alerts go.

Rules (``alerts:`` in the configuration), on the value ``v`` of a metric at the new date:

- ``above: X`` / ``below: X`` fire when ``v > X`` / ``v < X``;
- ``change_percent_above: P`` / ``change_percent_below: P`` compare ``v`` with a reference
  value ``r``, the earliest valid value of the metric at most ``window_days`` (default 365) and
  at least ``min_span_days`` (default 30) before the date: they fire when
  ``100 (v - r) / |r|`` is above / below ``P``;
- ``change_per_year_percent_above: R`` / ``change_per_year_percent_below: R`` divide that
  change by the years between the two dates (a forest loss rate: ``below: -5`` fires when the
  area shrinks faster than 5 % a year).

NaN values (a cloudy date) never fire and never serve as references; a change rule without a
reference, or with a reference of 0, does not fire.

A fired alert is one JSON object: appended as a line to the alerts file (created if missing,
flushed and synced), printed, and, when ``hook`` is configured, passed on stdin to that command
(run without a shell; its failure is reported, not fatal: the alert is already in the file).
Alerts are sent once the date's data are in the store and before its state is recorded, so an
interrupted run sends them again rather than never.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from geoquant.errors import OutputPathError
from geoquant.monitor._specs import AlertRule

DAYS_PER_YEAR = 365.25


def _days(delta: Any) -> float:
    """Days in a numpy timedelta64."""
    import numpy as np

    return float(delta / np.timedelta64(1, "s")) / 86400.0


def _reference(times: Any, values: Any, rule: AlertRule
               ) -> tuple[int, float] | None:
    """Index and value of the change reference for the last date, or None."""
    now = times[-1]
    for k in range(len(times) - 1):
        age = _days(now - times[k])
        if age <= rule.window_days and age >= rule.min_span_days and math.isfinite(values[k]):
            return k, float(values[k])
    return None


def evaluate(rules: Sequence[AlertRule], *, region: str, source: str, times: Any,
             history: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rules that fire at the last date of a series.

    Parameters
    ----------
    rules : sequence of AlertRule
        All rules; those for another region, source or a metric the series lacks are skipped.
    region, source : str
        The series.
    times : numpy.ndarray of datetime64
        Every date of the series, the new one last.
    history : mapping of str to numpy.ndarray
        Each metric's values at those dates.

    Returns
    -------
    list of dict
        One record per fired rule: ``alert``, ``rule``, ``metric``, ``condition``,
        ``threshold``, ``value`` and, for change rules, ``reference_date``,
        ``reference_value``, ``change_percent``, ``change_per_year_percent``.
    """
    import numpy as np

    fired = []
    for rule in rules:
        if rule.region not in (None, region) or rule.source not in (None, source) \
                or rule.metric not in history:
            continue
        values = np.asarray(history[rule.metric], dtype=float)
        value = float(values[-1])
        if not math.isfinite(value):
            continue
        record: dict[str, Any] = {"alert": rule.name, "rule": rule.describe(),
                                  "metric": rule.metric, "condition": rule.condition,
                                  "threshold": rule.threshold, "value": value}
        if rule.condition in ("above", "below"):
            hit = value > rule.threshold if rule.condition == "above" else \
                value < rule.threshold
        else:
            found = _reference(times, values, rule)
            if found is None or found[1] == 0:
                continue
            k, ref = found
            change = 100.0 * (value - ref) / abs(ref)
            per_year = change / (_days(times[-1] - times[k]) / DAYS_PER_YEAR)
            measured = per_year if "per_year" in rule.condition else change
            hit = measured > rule.threshold if rule.condition.endswith("above") else \
                measured < rule.threshold
            record.update(reference_date=str(times[k])[:10], reference_value=ref,
                          change_percent=change, change_per_year_percent=per_year)
        if hit:
            fired.append(record)
    return fired


class AlertSink:
    """Where fired alerts go: the alerts file, a printer, and an optional command hook.

    Parameters
    ----------
    path : Path
        The JSON-lines file alerts are appended to.
    hook : sequence of str, optional
        A command (no shell) that receives each alert's JSON on stdin.
    timeout_s : float
        Seconds a hook may run before it counts as failed.
    echo : callable, optional
        Receives each alert's JSON line (``print`` on the command line).
    warn : callable, optional
        Receives a line for each hook that failed.
    """

    def __init__(self, path: Path, *, hook: Sequence[str] | None = None,
                 timeout_s: float = 30.0, echo: Callable[[str], None] | None = None,
                 warn: Callable[[str], None] | None = None) -> None:
        self.path, self.hook, self.timeout_s = Path(path), hook, timeout_s
        self.echo, self.warn = echo, warn
        self.hook_failures: list[str] = []

    def check(self) -> None:
        """Fail before any work when the alerts file cannot be written."""
        parent = self.path.parent
        if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK) or (
                self.path.exists() and not os.access(self.path, os.W_OK)):
            raise OutputPathError(f"cannot write the alerts file {self.path}: check that "
                                  f"{parent} exists and can be written, or set alerts_file")

    def send(self, alert: Mapping[str, Any]) -> None:
        from geoquant.sinks import to_jsonable

        line = json.dumps(to_jsonable(alert), allow_nan=False)
        try:
            with open(self.path, "a") as out:
                out.write(line + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as err:
            raise OutputPathError(f"cannot append to the alerts file {self.path}: "
                                  f"{err.strerror or err}") from err
        if self.echo is not None:
            self.echo(line)
        if self.hook:
            failure = self._run_hook(line)
            if failure is not None:
                self.hook_failures.append(failure)
                if self.warn is not None:
                    self.warn(failure)

    def _run_hook(self, line: str) -> str | None:
        command = list(self.hook or ())
        try:
            done = subprocess.run(command, input=line + "\n", text=True, capture_output=True,
                                  timeout=self.timeout_s, check=False)
        except FileNotFoundError:
            return f"alert hook {command[0]!r} was not found; fix hook in the config"
        except PermissionError:
            return f"alert hook {command[0]!r} cannot be run (not executable)"
        except subprocess.TimeoutExpired:
            return f"alert hook {command[0]!r} ran past {self.timeout_s:g} s and was stopped"
        except OSError as err:
            return f"alert hook {command[0]!r} failed to start: {err}"
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return f"alert hook {command[0]!r} exited with status {done.returncode}: {said[0]}"
        return None
