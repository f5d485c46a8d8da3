"""Run a dask write so that, when it fails, nothing of it is still running afterwards.

When one task of a graph raises, dask re-raises at once while tasks already started keep
running and keep writing chunks. A writer that cleans up on failure must first wait for them,
or they recreate what it just removed. Local schedulers run here on a private pool that is shut
down (pending tasks cancelled, running ones awaited) before the error propagates; on a
``distributed`` cluster the result is cancelled and the workers are polled until none of the
graph's tasks is still running.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Hashable, Iterator
from typing import Any

__all__ = ["compute_settled"]

# How long to wait for tasks of a failed graph to stop on a distributed cluster (seconds); a
# task that runs longer than this is left to finish on its own.
_SETTLE_TIMEOUT_S = 600.0
_SETTLE_POLL_S = 0.05


@contextlib.contextmanager
def _progress_bar(progress: bool) -> Iterator[None]:
    if not progress:
        yield
        return
    from dask.diagnostics import ProgressBar

    with ProgressBar():
        yield


def _normalise_key(key: Any) -> Hashable:
    # Keys that crossed a comm as msgpack come back as lists instead of tuples.
    if isinstance(key, list | tuple):
        return tuple(_normalise_key(k) for k in key)
    return key


def _running_keys(dask_worker: Any) -> list:
    return [ts.key for ts in dask_worker.state.all_running_tasks]


def _wait_until_stopped(client: Any, keys: set[Hashable]) -> None:
    deadline = time.monotonic() + _SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            running = client.run(_running_keys)
        except Exception:  # a worker died or the cluster is closing: nothing more to wait for
            return
        if not any(_normalise_key(k) in keys for ks in running.values() for k in ks):
            return
        time.sleep(_SETTLE_POLL_S)


def _compute_distributed(client: Any, delayed: Any, progress: bool) -> None:
    future = client.compute(delayed)
    try:
        if progress:
            from distributed import progress as show_progress

            show_progress(future)
        future.result()
    except BaseException:
        keys = {_normalise_key(k) for k in delayed.__dask_graph__()}
        client.cancel([future])
        _wait_until_stopped(client, keys)
        raise


def _compute_local(delayed: Any, progress: bool) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import dask

    # Writing chunks is I/O and compression (both release the GIL), so threads serve any local
    # scheduler; a private pool is what lets us wait for the tasks of a failed graph.
    num_workers = dask.config.get("num_workers", None) or os.cpu_count() or 1
    pool = ThreadPoolExecutor(num_workers, thread_name_prefix="geoquant-sink")
    try:
        with _progress_bar(progress):
            dask.compute(delayed, scheduler="threads", pool=pool, num_workers=num_workers)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def compute_settled(delayed: Any, *, progress: bool = False) -> None:
    """Compute a dask collection; if it fails, return only once none of its tasks runs.

    Parameters
    ----------
    delayed
        The dask collection to compute, such as the result of ``to_zarr(compute=False)``.
    progress
        Show a progress bar: dask's ``ProgressBar`` locally, ``distributed.progress`` on a
        cluster.
    """
    import dask
    from dask.base import get_scheduler
    from dask.local import get_sync

    scheduler = get_scheduler()
    client = getattr(scheduler, "__self__", None)
    if client is not None and hasattr(client, "run") and hasattr(client, "cancel"):
        _compute_distributed(client, delayed, progress)
    elif scheduler is get_sync:
        with _progress_bar(progress):
            dask.compute(delayed, scheduler="sync")
    else:
        _compute_local(delayed, progress)
