"""Watch a computation on a Dask cluster, and say in one line what failed when it fails.

Three failures of a cluster are not the user's input and not a bug, and each has a fix the
user can make:

- **the scheduler went away** (its process killed, its machine gone): distributed cancels every
  future with ``scheduler-connection-lost`` or raises ``CommClosedError``; the client then logs a
  traceback per reconnection attempt. Reported as :class:`~geoquant.errors.ClusterLostError`.
- **a worker at its memory limit**: above 95 % of its limit the nanny restarts it, and after
  ``distributed.scheduler.allowed-failures`` restarts the task fails with ``KilledWorker``;
  between 80 % and 95 % of unmanaged memory the worker *pauses* and never resumes, and the
  computation waits forever. A watchdog thread polls the scheduler: when every worker stays
  paused for ``stall_s`` seconds it closes the client (which cancels the computation) and the
  failure is reported, like a ``KilledWorker`` after memory restarts, as
  :class:`~geoquant.errors.WorkerMemoryError` naming the limit, the tile size and what to change.
- anything else the cluster raises stays what it is.

While the watch is on, distributed's log lines in this process are recorded, not printed (the
nanny's memory restarts are read from them), and a cluster geoquant started has its workers'
logging silenced too: the user reads one line, not dozens of tracebacks.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoquant.errors import ClusterError, ClusterLostError, WorkerMemoryError

#: Seconds every worker may stay paused (at its memory limit) before the run is failed.
STALL_S = 60.0
#: Seconds between two looks at the workers.
POLL_S = 1.0
#: The loggers whose lines are recorded instead of printed while the watch is on.
QUIET_LOGGERS = ("distributed", "tornado", "asyncio")
#: The memory fraction of its limit at which distributed pauses a worker (its default).
PAUSE_FRACTION = 0.8
#: The most log records kept (the first ones: they say what went wrong first).
MAX_RECORDS = 200


@dataclass
class Watch:
    """What was seen of the cluster during one computation.

    Attributes
    ----------
    memory_limit
        The smallest memory limit of a worker seen, in bytes (``None``: none seen, or no limit).
    memory_restarts
        Workers restarted by their nanny for passing 95 % of their memory limit.
    paused_s
        The longest time every worker was paused together, seconds.
    peak_fraction
        The highest memory of a worker seen, as a fraction of its limit (a remote nanny's
        restarts are not logged here: a worker seen near its limit tells of them).
    stalled
        Every worker stayed paused for ``stall_s``: the watchdog closed the client.
    lost
        The client lost its scheduler during the computation: the watchdog closed it.
    records
        distributed's log lines, recorded instead of printed.
    """

    memory_limit: int | None = None
    memory_restarts: int = 0
    paused_s: float = 0.0
    peak_fraction: float = 0.0
    stalled: bool = False
    lost: bool = False
    records: list[str] = field(default_factory=list)

    @property
    def memory_trouble(self) -> bool:
        """A worker was restarted, or paused, at its memory limit."""
        return (self.stalled or self.memory_restarts > 0 or self.paused_s > 0
                or self.peak_fraction >= PAUSE_FRACTION)

    def note_limit(self, limit: Any) -> None:
        if isinstance(limit, (int, float)) and limit > 0:
            limit = int(limit)
            self.memory_limit = limit if self.memory_limit is None else min(self.memory_limit,
                                                                              limit)


    def note_memory(self, info: Mapping[str, Any]) -> None:
        """Keep the highest memory fraction of a worker's ``scheduler_info`` entry."""
        limit = info.get("memory_limit")
        memory = (info.get("metrics") or {}).get("memory")
        if isinstance(limit, (int, float)) and limit > 0 and isinstance(memory, (int, float)):
            self.peak_fraction = max(self.peak_fraction, memory / limit)


class _Recorder(logging.Handler):
    def __init__(self, watch: Watch) -> None:
        super().__init__(logging.DEBUG)
        self.watch = watch

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format itself
            text = str(record.msg)
        if record.name.startswith("distributed.nanny") and "memory budget" in text:
            self.watch.memory_restarts += 1
        if len(self.watch.records) < MAX_RECORDS:
            self.watch.records.append(f"{record.name}: {text[:300]}")


@contextlib.contextmanager
def recorded_logs(watch: Watch) -> Iterator[Watch]:
    """Record the lines of :data:`QUIET_LOGGERS` in ``watch`` instead of printing them; the
    loggers' handlers, levels and propagation are restored on leaving, but for distributed's
    after a failure: a client that lost its scheduler logs its cancelled reconnection from
    its own thread once closed, after the block has ended."""
    recorder = _Recorder(watch)
    saved = []
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, list(logger.handlers), logger.propagate, logger.level))
        logger.handlers[:] = [recorder]
        logger.propagate = False
        if name != "distributed":        # tornado's and asyncio's: warnings only
            logger.setLevel(logging.WARNING)
    failed = False
    try:
        yield watch
    except BaseException:
        failed = True
        raise
    finally:
        for logger, handlers, propagate, level in saved:
            if failed and logger.name == "distributed":
                continue
            logger.handlers[:] = handlers
            logger.propagate = propagate
            logger.setLevel(level)


class QuietWorkers:
    """A worker plugin that silences distributed's logging on each worker (restarted ones too):
    their memory warnings and tracebacks are the scheduler's to act on, not the user's."""

    name = "geoquant-quiet-workers"

    def setup(self, worker: Any) -> None:
        for name in QUIET_LOGGERS:
            logging.getLogger(name).setLevel(logging.CRITICAL)

    def teardown(self, worker: Any) -> None:
        pass


def _quiet_workers(handle: Any) -> None:
    """Silence the workers of a cluster geoquant started (never someone else's scheduler's)."""
    if getattr(handle, "cluster", None) is None:
        return
    try:
        from distributed import WorkerPlugin

        plugin = type("GeoquantQuietWorkers", (QuietWorkers, WorkerPlugin), {})
        handle.client.register_plugin(plugin(), name=QuietWorkers.name)
    except Exception:  # noqa: BLE001 - quieter workers are a nicety, never a failure
        pass


class _Watchdog(threading.Thread):
    """Polls the scheduler for its workers' memory; closes the client when all stay paused."""

    def __init__(self, handle: Any, watch: Watch, stall_s: float, poll_s: float) -> None:
        super().__init__(name="geoquant-cluster-watchdog", daemon=True)
        self.handle, self.watch = handle, watch
        self.stall_s, self.poll_s = stall_s, poll_s
        self.done = threading.Event()

    def run(self) -> None:
        paused_since: float | None = None
        while not self.done.wait(self.poll_s):
            client = self.handle.client
            if str(getattr(client, "status", "running")) == "connecting":
                # the scheduler's connection dropped: every future is lost with it, but a
                # graph sent as it dropped would wait for the reconnection's timeout
                self.watch.lost = True
                self._stop_computation()
                return
            try:
                workers = _workers(client, timeout_s=max(5.0, 3 * self.poll_s))
            except Exception:  # noqa: BLE001 - a scheduler gone: the next look says so
                continue
            for info in workers.values():
                self.watch.note_limit(info.get("memory_limit"))
                self.watch.note_memory(info)
            paused = bool(workers) and all(str(w.get("status", "")).endswith("paused")
                                           for w in workers.values())
            now = time.monotonic()
            if not paused:
                paused_since = None
                continue
            paused_since = now if paused_since is None else paused_since
            self.watch.paused_s = max(self.watch.paused_s, now - paused_since)
            if self.watch.paused_s >= self.stall_s and not self.done.is_set():
                self.watch.stalled = True
                self._stop_computation()
                return

    def _stop_computation(self) -> None:
        if not self.done.is_set():
            with contextlib.suppress(Exception):
                self.handle.client.close()     # cancels the computation waiting on it


def _workers(client: Any, *, timeout_s: float) -> dict[str, Any]:
    """The scheduler's workers (``scheduler_info``), within ``timeout_s`` seconds: a scheduler
    killed during the call would otherwise hold it for the connection's timeout."""
    update = getattr(client, "_update_scheduler_info", None)
    if update is None or getattr(client, "asynchronous", False):   # another distributed
        return client.scheduler_info(n_workers=-1)["workers"]
    client.sync(update, n_workers=-1, callback_timeout=timeout_s)
    return dict(client._scheduler_identity.get("workers", {}))


@contextlib.contextmanager
def watched(handle: Any, *, out: str | Path | None = None, tile: int | None = None,
            checkpoint: str | Path | None = None, stall_s: float | None = None,
            poll_s: float | None = None, watch: Watch | None = None) -> Iterator[Watch]:
    """Run the body on ``handle``'s cluster, turning its failures into one-line errors.

    Parameters
    ----------
    handle
        An open :class:`~geoquant.cluster.ClusterHandle`.
    out
        The output the body writes, named in the error (nothing is written on failure).
    tile
        The tile edge of the computation, pixels (``--chunk``), named in a memory error.
    checkpoint
        A checkpoint folder the computation resumes from, named in the error.
    stall_s
        Seconds every worker may stay paused at its memory limit before the run fails
        (default :data:`STALL_S`).
    poll_s
        Seconds between two looks at the workers (default :data:`POLL_S`).
    watch
        Where to record what is seen, its logs recorded by the caller (:func:`recorded_logs`,
        which should then also cover the cluster's close); ``None``: a new one, the logs
        recorded during the body.

    Yields
    ------
    Watch
        What was seen of the cluster.

    Raises
    ------
    ClusterLostError
        The scheduler went away during the computation.
    WorkerMemoryError
        The workers were restarted, or stayed paused, at their memory limit.
    ClusterError
        A worker died running a task for another reason (``KilledWorker``).
    """
    if watch is None:
        with recorded_logs(Watch()) as own, watched(handle, out=out, tile=tile,
                                                    checkpoint=checkpoint, stall_s=stall_s,
                                                    poll_s=poll_s, watch=own):
            yield own
        return
    stall_s = STALL_S if stall_s is None else stall_s
    poll_s = POLL_S if poll_s is None else poll_s
    definition = getattr(handle, "definition", None)
    watch.note_limit(getattr(definition, "memory", None))
    try:
        address = handle.scheduler_address
    except Exception:  # noqa: BLE001 - a client already closed
        address = "(unknown address)"
    _quiet_workers(handle)
    dog = _Watchdog(handle, watch, stall_s, poll_s)
    dog.start()
    try:
        yield watch
    except BaseException as err:
        dog.done.set()
        failure = cluster_failure(err, handle, watch, address=address, out=out, tile=tile,
                                  checkpoint=checkpoint)
        if failure is None:
            raise
        raise failure from None
    finally:
        dog.done.set()
        dog.join(timeout=poll_s + 1)


def cluster_failure(err: BaseException, handle: Any, watch: Watch, *, address: str,
                    out: str | Path | None = None, tile: int | None = None,
                    checkpoint: str | Path | None = None) -> ClusterError | None:
    """The one-line error for a failure of the cluster, or ``None`` when ``err`` is not one."""
    kind = type(err).__name__
    if isinstance(err, KeyboardInterrupt) or not isinstance(err, Exception):
        return None
    if watch.stalled or (kind == "KilledWorker" and watch.memory_trouble):
        return WorkerMemoryError(_memory_message(err, watch, tile, out, checkpoint))
    if kind == "KilledWorker":
        return ClusterError(f"a worker process died each time it ran one task ({_short(err)}); "
                            f"{_kept(out, checkpoint)}; check the workers' logs (a worker "
                            "killed by the system for memory needs smaller tiles or more "
                            "memory per worker)")
    if watch.lost or _scheduler_lost(err, handle):
        return ClusterLostError(
            f"the Dask scheduler at {address} went away during the computation; "
            f"{_kept(out, checkpoint)}; restart the cluster or run without --cluster")
    return None


def _scheduler_lost(err: BaseException, handle: Any) -> bool:
    text = str(err)
    if "scheduler-connection-lost" in text:
        return True
    kind = type(err).__name__
    status = str(getattr(getattr(handle, "client", None), "status", ""))
    gone = status in ("connecting", "closing", "closed", "failed")
    return gone and (kind in ("CommClosedError", "StreamClosedError", "FutureCancelledError",
                              "CancelledError", "TimeoutError") or isinstance(err, OSError))


def _kept(out: str | Path | None, checkpoint: str | Path | None) -> str:
    if checkpoint is not None:
        return f"the batches finished are kept in {checkpoint}: run again to resume from them"
    if out is not None:
        return f"nothing was written to {out} (what it held before is kept)"
    return "nothing was written"


def _memory_message(err: BaseException, watch: Watch, tile: int | None,
                    out: str | Path | None, checkpoint: str | Path | None) -> str:
    from dask.utils import format_bytes

    limit = (f"{format_bytes(watch.memory_limit)} each" if watch.memory_limit
             else "no limit set")
    if watch.stalled:
        what = (f"every Dask worker stayed paused at its memory limit ({limit}) for "
                f"{watch.paused_s:.0f} s, so the computation could not go on")
    else:
        restarts = (f", restarted {watch.memory_restarts} time(s) at 95 % of it"
                    if watch.memory_restarts else "")
        what = (f"the Dask workers ran out of memory ({limit}{restarts}): one task needs more "
                f"than a worker has ({_short(err)})")
    if tile:
        smaller = (f"tiles of {tile:,}×{tile:,} pixels are too large for it: use smaller ones "
                   f"(--chunk {max(tile // 2, 16)})")
    else:
        smaller = "the tiles are too large for it: use smaller chunks"
    return (f"{what}; {smaller}, or give each worker more memory (the cluster definition's "
            f"'memory', or fewer workers per machine); {_kept(out, checkpoint)}")


def _short(err: BaseException) -> str:
    from geoquant.errors import quote

    text = " ".join(str(err).split()) or type(err).__name__
    return quote(text, limit=160, as_repr=False)
