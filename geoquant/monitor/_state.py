"""What a monitor has done, recorded in its store, and the lock that keeps runs apart.

The state is one JSON mapping in the store's root attributes (``geoquant_monitor``):

``format``, ``kind``, ``name``, ``catalog``, ``cadence``, ``created``
    What the store is and which monitor writes it.
``series``
    Per ``region/source``: ``steps`` (time steps written), ``dates`` and ``items`` (the STAC
    item ids of each step), ``last_acquisition`` (the newest item datetime processed),
    ``metrics`` and ``masks`` (variable names), ``collection``, ``segmenter``.
``runs``
    One entry per run that added data: ``started``, ``finished``, ``added`` (steps per
    series), ``alerts``, ``hook_failures``, ``geoquant`` version. Runs that found nothing new
    change nothing and are not recorded.
``alerts``
    ``fired`` (count) and ``last`` (the latest alert records).

The state is rewritten only after the data of a step are in the store, so steps beyond
``series[...].steps`` are leftovers of an interrupted run: the next run trims them.

The lock is a file beside the store (``<store>.lock``), created with ``O_CREAT | O_EXCL`` so that
of two runs only one can hold it; it names its holder (pid, host, start time).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from geoquant.errors import StoreError, StoreLockedError

STATE_KEY = "geoquant_monitor"
STATE_FORMAT = 1
#: Seconds after which an empty lock file is a run's that was killed while taking it (a run
#: writes its holder within microseconds of creating the file), so the next run breaks it.
EMPTY_LOCK_STALE_S = 30.0
STORE_KIND = "geoquant monitor store"
#: Alert records kept in the state for ``status`` (the alerts file keeps all of them).
KEPT_ALERTS = 20


def now_text() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_state(*, name: str, catalog: str, cadence: str) -> dict[str, Any]:
    """The state of a store that holds nothing yet."""
    from geoquant._version import __version__

    return {"format": STATE_FORMAT, "kind": STORE_KIND, "name": name, "catalog": catalog,
            "cadence": cadence, "created": now_text(), "geoquant": __version__,
            "series": {}, "runs": [], "alerts": {"fired": 0, "last": []}}


def check_state(state: Any, store: Path) -> dict[str, Any]:
    """The state read from ``store``, checked; StoreError when it is not a monitor's."""
    if not isinstance(state, Mapping) or state.get("kind") != STORE_KIND:
        raise StoreError(f"{store} is a Zarr store but not one that geoquant monitor wrote (its "
                         f"'{STATE_KEY}' attribute is missing or foreign): it was left as it "
                         "is; choose another output path")
    if state.get("format") != STATE_FORMAT:
        raise StoreError(f"{store} was written by a geoquant monitor of state format "
                         f"{state.get('format')!r}; this geoquant reads format {STATE_FORMAT}: "
                         "use a matching geoquant version or a new output path")
    for key in ("series", "runs", "alerts", "name"):
        if key not in state:
            raise StoreError(f"the monitor state of {store} lacks {key!r}: the store is "
                             "damaged; move it aside and run again to rebuild it")
    for name, series in state["series"].items():
        if not isinstance(series, Mapping) or not {"steps", "dates", "items"} <= set(series) \
                or len(series["dates"]) != series["steps"] \
                or len(series["items"]) != series["steps"]:
            raise StoreError(f"the monitor state of {store} is damaged for series {name!r} "
                             "(steps, dates and items disagree); move the store aside and run "
                             "again to rebuild it")
    return dict(state)


def record_step(state: dict[str, Any], key: str, *, date: str, items: list[str],
                last_acquisition: str, series_info: Mapping[str, Any]) -> None:
    """Add one written time step of series ``key`` to ``state`` (in place)."""
    series = state["series"].setdefault(key, {**series_info, "steps": 0, "dates": [],
                                              "items": [], "last_acquisition": None})
    series.update({k: v for k, v in series_info.items() if k not in series})
    series["steps"] += 1
    series["dates"].append(date)
    series["items"].append(list(items))
    series["last_acquisition"] = last_acquisition   # steps are written in time order


def record_run(state: dict[str, Any], run: Mapping[str, Any]) -> None:
    """Put this run's entry last in ``state['runs']``, replacing an earlier copy of it."""
    runs = state["runs"]
    if runs and runs[-1].get("id") == run.get("id"):
        runs[-1] = dict(run)
    else:
        runs.append(dict(run))


def record_alerts(state: dict[str, Any], alerts: list[Mapping[str, Any]]) -> None:
    """Count fired alerts and keep the latest few in ``state``."""
    if not alerts:
        return
    state["alerts"]["fired"] += len(alerts)
    state["alerts"]["last"] = [*state["alerts"]["last"], *alerts][-KEPT_ALERTS:]


def processed_items(state: Mapping[str, Any], key: str) -> set[str]:
    series = state["series"].get(key)
    return {i for step in series["items"] for i in step} if series else set()


# -- the lock --------------------------------------------------------------------------------

def lock_path(store: Path) -> Path:
    """Where the lock of ``store`` lives: ``<store>.lock`` beside it."""
    return store.with_name(f"{store.name}.lock")


def read_lock(store: Path) -> dict[str, Any] | None:
    """The holder recorded in the lock of ``store``, or None when it is not locked."""
    return _read_holder(lock_path(store))


def _read_holder(path: Path) -> dict[str, Any] | None:
    """The holder in a lock file; None when there is no file, ``{"unreadable": why}`` when it
    cannot be read."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as err:
        return {"unreadable": str(err)}
    if not text.strip():
        try:
            age = max(0.0, dt.datetime.now().timestamp() - path.stat().st_mtime)
        except OSError:
            age = 0.0
        return {"unreadable": "empty", "empty_for_s": round(age, 1)}
    try:
        holder = json.loads(text)
    except json.JSONDecodeError:
        return {"unreadable": "not JSON"}
    return holder if isinstance(holder, dict) else {"unreadable": "not a mapping"}


def holder_alive(holder: Mapping[str, Any]) -> bool | None:
    """Whether the lock's process still runs: None when that cannot be told from here.

    A process with the holder's pid that started after the lock was taken is another process
    (the pid was reused): the holder is gone.
    """
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return None
    try:
        os.kill(holder["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    started = _process_start(holder["pid"])
    taken = _instant(holder.get("started"))
    if started is not None and taken is not None and started > taken + 2.0:
        return False
    return True


def _process_start(pid: int) -> float | None:
    """When process ``pid`` started, seconds since the epoch (Linux ``/proc``), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text()
                    .splitlines() if line.startswith("btime"))
        return boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, StopIteration):
        return None


def _instant(text: Any) -> float | None:
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def lock_verdict(holder: Mapping[str, Any]) -> str:
    """What ``monitor run`` does with a lock, and ``monitor status`` says of it, in one word.

    ``"running"`` (refused), ``"stale"`` (its process is gone on this host, or the file is
    empty for :data:`EMPTY_LOCK_STALE_S`: a run killed while taking it; the next run breaks
    it), ``"taking"`` (empty, a run is taking it right now), ``"remote"`` (another host: cannot
    be judged from here) or ``"unreadable"`` (not a lock geoquant wrote: remove it by hand).
    """
    if holder.get("unreadable") == "empty":
        return "stale" if holder.get("empty_for_s", 0.0) >= EMPTY_LOCK_STALE_S else "taking"
    if "unreadable" in holder:
        return "unreadable"
    return {True: "running", False: "stale", None: "remote"}[holder_alive(holder)]


def describe_holder(holder: Mapping[str, Any]) -> str:
    if holder.get("unreadable") == "empty":
        return f"an empty lock (written {holder.get('empty_for_s', 0.0):g} s ago)"
    if "unreadable" in holder:
        return f"an unreadable lock ({holder['unreadable']})"
    return (f"pid {holder.get('pid')} on {holder.get('host')} since {holder.get('started')}"
            + (f" ({holder['purpose']})" if holder.get("purpose") else ""))


def _locked_error(store: Path, holder: Mapping[str, Any]) -> StoreLockedError:
    path = lock_path(store)
    verdict = lock_verdict(holder)
    who = describe_holder(holder)
    if verdict == "taking":
        return StoreLockedError(
            f"{store} is being locked by another run right now ({who}): run again in a "
            f"moment; an empty lock older than {EMPTY_LOCK_STALE_S:g} s is broken by the next "
            "run")
    if verdict in ("stale", "unreadable"):
        return StoreLockedError(
            f"{store} is locked by {who}, which is no longer running: the run was interrupted. "
            f"If no other run is active, remove {path} and run again (the next run trims any "
            "step left half-written)")
    if verdict == "remote":
        return StoreLockedError(
            f"{store} is locked by {who}, another host: wait for that run to finish; if it is "
            f"known to have stopped, remove {path} and run again")
    return StoreLockedError(
        f"{store} is being written by another run ({who}): wait for it to finish, or stop it; "
        f"the lock is {path}")


def _break_stale(path: Path, holder: Mapping[str, Any]) -> bool:
    """Remove a lock whose holder is gone; False when another run got to it first."""
    aside = path.with_name(f"{path.name}.broken-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(path, aside)                  # atomic: one breaker wins
    except FileNotFoundError:
        return False
    moved = _read_holder(aside) or {}
    if moved.get("token") != holder.get("token"):   # not the lock we judged: put it back
        with contextlib.suppress(OSError):
            os.link(aside, path)
        aside.unlink(missing_ok=True)
        return False
    aside.unlink(missing_ok=True)
    return True


@contextlib.contextmanager
def store_lock(store: str | Path, *, purpose: str = "",
               say: Callable[[str], None] | None = None) -> Iterator[dict[str, Any]]:
    """Hold the exclusive lock of a monitor store for the block.

    Parameters
    ----------
    store
        The store's path (the lock is ``<store>.lock`` beside it; the store need not exist).
    purpose
        Recorded in the lock for ``status`` and error messages (e.g. the config path).
    say
        Told, in one line, when a lock left by a process that is gone (on this host) is broken.

    Yields
    ------
    dict
        The holder record written to the lock file (pid, host, started, token).

    Raises
    ------
    StoreLockedError
        Another run holds the lock (the message names it), or an unreadable lock or one of
        another host whose state cannot be told from here (the message says what to do). A
        lock of this host whose process is gone is broken instead, and ``say`` told so.
    OutputPathError
        The lock cannot be created (the store's folder is missing or not writable).
    """
    from geoquant.errors import OutputPathError

    store = Path(store)
    path = lock_path(store)
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": now_text(),
              "token": uuid.uuid4().hex, "purpose": purpose}
    for attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            break
        except FileExistsError:
            current = read_lock(store) or {"unreadable": "vanished"}
            if attempt == 0 and lock_verdict(current) == "stale" \
                    and _break_stale(path, current):
                if say is not None:
                    say(f"broke the lock {path}: its run ({describe_holder(current)}) is no "
                        "longer running; what it left half-written is repaired now")
                continue
            raise _locked_error(store, current) from None
        except OSError as err:
            raise OutputPathError(f"cannot create the lock {path}: {err.strerror or err}; "
                                  f"check that {path.parent} exists and can be written") from err
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(holder, out)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    try:
        yield holder
    finally:
        # Remove only our own lock: a lock someone replaced by hand is theirs now.
        current = read_lock(store)
        if current is not None and current.get("token") == holder["token"]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
