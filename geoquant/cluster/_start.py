"""Start or reach the cluster a definition describes, and hand back a client on it."""

from __future__ import annotations

import importlib
import os
import shutil
from collections.abc import Callable
from typing import Any

from geoquant.cluster._definition import ClusterDefinition, with_overrides
from geoquant.cluster._files import load_definition
from geoquant.cluster._gpu import gpu_unavailable_reason, is_nvml_error, nvml_reason
from geoquant.cluster._launch import NEEDS, ClusterLaunch, check_definition
from geoquant.errors import ClusterError

Say = Callable[[str], None]


class ClusterHandle:
    """A running cluster (or a connection to one) and a :class:`distributed.Client` on it.

    Returned by :func:`geoquant.cluster`; use it as a context manager, or call :meth:`close`.
    While it is open its client is dask's default scheduler: every ``.compute()`` runs there.

    Attributes
    ----------
    client
        The :class:`distributed.Client`.
    cluster
        The cluster object geoquant started (``LocalCluster``, ``SLURMCluster``...), closed
        with the handle; ``None`` for ``address``, where the scheduler is someone else's.
    definition
        The definition started, options applied (the fallback's when ``local-gpu`` fell back).
    launch
        The class and arguments it was started with (:class:`ClusterLaunch`).
    fallback_reason
        Why ``local-gpu`` fell back to its CPU definition, or ``None``.
    """

    def __init__(self, client: Any, cluster: Any, launch: ClusterLaunch,
                 fallback_reason: str | None = None) -> None:
        self.client = client
        self.cluster = cluster
        self.launch = launch
        self.definition = launch.definition
        self.fallback_reason = fallback_reason
        self._closed = False

    @property
    def kind(self) -> str:
        """The kind of the cluster started: ``local``, ``local-gpu``, ``address``..."""
        return self.definition.kind

    @property
    def scheduler_address(self) -> str:
        """The scheduler's address, such as ``tcp://127.0.0.1:40123``."""
        return self.client.scheduler.address

    @property
    def dashboard_link(self) -> str | None:
        """The dashboard's URL, or ``None`` when the scheduler serves none."""
        # The scheduler always runs an HTTP server (health, metrics); a definition whose
        # dashboard_address is null asked for no dashboard on it.
        if getattr(self.definition, "dashboard_address", "") is None:
            return None
        try:
            services = self.client.scheduler_info(n_workers=0).get("services", {})
        except Exception:  # a closed client: no dashboard to show
            return None
        return self.client.dashboard_link if "dashboard" in services else None

    @property
    def n_workers(self) -> int:
        """Workers connected now."""
        return len(self.client.scheduler_info(n_workers=-1)["workers"])

    def close(self) -> None:
        """Close the client, and the cluster if geoquant started it. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()

    def __enter__(self) -> ClusterHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else self.scheduler_address
        return f"<ClusterHandle {self.definition.name!r} kind={self.kind!r} {state}>"


def _import(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _needs(kind: str) -> None:
    """Raise a one-line error when the package a kind needs is not installed here."""
    if kind not in NEEDS:
        return
    package, how = NEEDS[kind]
    try:
        importlib.import_module(package)
    except ImportError as err:
        raise ClusterError(f"cluster kind {kind!r} needs {package.replace('_', '-')}, which "
                           f"is not installed here ({err}): {how}") from None


def _connect(address: str, timeout_s: float) -> Any:
    from distributed import Client

    before = _default_client()
    try:
        return Client(address, timeout=timeout_s)
    except (OSError, TimeoutError):
        port = address.rpartition(":")[2]
        raise ClusterError(f"no scheduler answers at {address} within {timeout_s:g} s: start "
                           f"one with `dask scheduler --port {port}`, or check the address"
                           ) from None
    except Exception as err:  # e.g. tls:// without certificates: TypeError deep in comm
        dangling = _default_client()
        if dangling is not None and dangling is not before:
            dangling.close()  # the half-made client had set itself as dask's default
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ClusterError(f"cannot connect to the scheduler at {address}: "
                           f"{type(err).__name__}: {first}; check the address and, for "
                           "tls://, the security settings (dask's distributed.comm.tls "
                           "configuration)") from None


def _default_client() -> Any:
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


def _worker_hint(definition: ClusterDefinition, address: str) -> str:
    if definition.kind == "address":
        return f"start them with `dask worker {address}`, or lower wait_for_workers"
    if definition.kind == "slurm":
        return ("check the jobs with `squeue --me` and their logs (log_directory), or raise "
                "timeout_s for a busy queue")
    if definition.kind == "kubernetes":
        return ("check the worker pods with `kubectl get pods -l dask.org/cluster-name="
                f"{definition.cluster_name}`, or raise timeout_s")
    if definition.kind == "ssh":
        return "check that geoquant's Python is at remote_python on every host"
    return "raise timeout_s, or start fewer workers"


def _wait(handle: ClusterHandle) -> None:
    wanted = handle.definition.wait_for_workers
    if not wanted:
        return
    timeout = handle.definition.timeout_s
    try:
        handle.client.wait_for_workers(wanted, timeout=timeout)
    except TimeoutError:
        try:
            joined, address = handle.n_workers, handle.scheduler_address
        finally:
            handle.close()
        raise ClusterError(f"{joined} of {wanted} workers joined the scheduler at {address} "
                           f"within {timeout:g} s: "
                           f"{_worker_hint(handle.definition, address)}") from None


def _start_owned(launch: ClusterLaunch) -> Any:
    """Start the cluster object of a launch (any kind but ``address``)."""
    definition = launch.definition
    _needs(definition.kind)
    if definition.kind == "slurm" and shutil.which("sbatch") is None:
        raise ClusterError("cluster kind 'slurm' submits its workers with sbatch, which is not "
                           "on PATH here: run on a SLURM login node (check the definition "
                           "anywhere with geoquant.cluster.check_definition)")
    options = dict(launch.options)
    try:
        cluster = _import(launch.target)(**options)
    except ClusterError:
        raise
    except Exception as err:
        if is_nvml_error(err):
            raise
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ClusterError(f"the {definition.kind} cluster {definition.name!r} did not start "
                           f"({definition.source}): {type(err).__name__}: {first}") from None
    if launch.jobs:
        try:
            cluster.scale(jobs=launch.jobs)
        except Exception as err:
            cluster.close()  # never leave a scheduler running behind a failed start
            raise ClusterError(f"the {definition.kind} cluster {definition.name!r} started but "
                               f"could not submit {launch.jobs} job(s): "
                               f"{type(err).__name__}: {err}") from None
    return cluster


def _start(launch: ClusterLaunch, say: Say, overrides: dict[str, Any]) -> ClusterHandle:
    definition = launch.definition
    if definition.kind == "address":
        client = _connect(definition.address, definition.timeout_s)
        handle = ClusterHandle(client, None, launch)
        _wait(handle)
        return handle
    if definition.kind == "local-gpu":
        reason = gpu_unavailable_reason()
        if reason is None:
            try:
                cluster = _start_owned(launch)
            except Exception as err:
                if not is_nvml_error(err):
                    raise
                reason = nvml_reason(err)
        if reason is not None:
            return _fall_back(definition, reason, say, overrides)
    else:
        cluster = _start_owned(launch)
    from distributed import Client

    try:
        client = Client(cluster, timeout=definition.timeout_s)
    except Exception:
        cluster.close()
        raise
    handle = ClusterHandle(client, cluster, launch)
    _wait(handle)
    return handle


def _fall_back(definition: Any, reason: str, say: Say, overrides: dict[str, Any]
               ) -> ClusterHandle:
    if definition.fallback is None:
        raise ClusterError(f"no usable NVIDIA GPU found ({reason}) for cluster "
                           f"{definition.name!r}, and it has no fallback: run where there is a "
                           "GPU, or set 'fallback: local' in its definition")
    fallback = load_definition(definition.fallback)
    if fallback.kind == "local-gpu":
        raise ClusterError(f"{definition.source}: fallback {definition.fallback!r} is a GPU "
                           "cluster too: name a CPU definition such as 'local'")
    say(f"geoquant: no usable NVIDIA GPU found ({reason}); starting the CPU cluster "
        f"{fallback.name!r} instead")
    keep = {k: v for k, v in overrides.items() if k in type(fallback).keys()}
    launch = check_definition(with_overrides(fallback, **keep))
    handle = _start(launch, say, {})
    handle.fallback_reason = reason
    return handle


def cluster(name_or_path: str | os.PathLike[str] | ClusterDefinition = "local", *,
            workers: int | None = None, threads: int | None = None,
            memory: int | str | None = None, address: str | None = None,
            wait_for_workers: int | None = None, timeout_s: float | None = None,
            say: Say = print) -> ClusterHandle:
    """Start (or reach) a Dask cluster from a definition and connect a client to it.

    The definition is checked in full before anything starts. The client becomes dask's
    default scheduler until the handle closes, so geoquant's computations (``geoquant.ask``,
    ``.compute()``) run on the cluster inside ``with cluster(...):``.

    Parameters
    ----------
    name_or_path
        A definition name: ``"local"`` (default: worker processes sized to this machine),
        ``"local-gpu"`` (one worker per GPU, dask-cuda), ``"address"`` (a running scheduler),
        ``"ssh"``, ``"slurm"`` (dask-jobqueue), ``"kubernetes"`` (the Dask operator), or a
        ``<name>.yaml`` of your own in ``$GEOQUANT_CLUSTERS`` or ``./clusters/``; or the path of
        a YAML definition; or a :class:`ClusterDefinition`. See ``clusters/README.md``.
    workers
        Worker processes in all (kinds ``local``, ``slurm``, ``kubernetes``).
    threads
        Threads per worker (``local``, ``local-gpu``, ``ssh``, ``slurm``, ``kubernetes``).
    memory
        Memory limit per worker: bytes, or a string such as ``"4GiB"`` or ``"500MB"``.
    address
        The scheduler's address, ``tcp://host:port`` (kind ``address``).
    wait_for_workers
        Return only once this many workers have joined; 0 waits for none.
    timeout_s
        Seconds allowed to reach the scheduler (for ``kubernetes`` also to create the
        cluster), and again for ``wait_for_workers`` workers to join.
    say
        Where the one-line notice goes when ``local-gpu`` falls back to the CPU.

    Returns
    -------
    ClusterHandle
        With ``.client``, ``.dashboard_link``, ``.kind``, ``.definition`` and ``close()``.

    Raises
    ------
    ClusterError
        The name is unknown (the known ones are listed), the scheduler does not answer within
        ``timeout_s``, fewer than ``wait_for_workers`` workers join in time, a package the kind
        needs is missing, or the cluster fails to start.
    ConfigError
        The definition has unknown or missing keys or a wrong value.
    InvalidOptionError
        An option does not apply to the definition's kind (``workers=`` with ``address``).

    Examples
    --------
    >>> import dask.array as da
    >>> from geoquant.cluster import cluster
    >>> with cluster("local", workers=2, threads=1) as c:   # doctest: +SKIP
    ...     total = da.ones((1000, 1000), chunks=250).sum().compute()
    >>> cluster("address", address="tcp://10.0.0.5:8786", wait_for_workers=4)  # doctest: +SKIP
    """
    overrides = {"workers": workers, "threads": threads, "memory": memory, "address": address,
                 "wait_for_workers": wait_for_workers, "timeout_s": timeout_s}
    launch = check_definition(name_or_path, **overrides)
    return _start(launch, say, {k: v for k, v in overrides.items() if v is not None})
