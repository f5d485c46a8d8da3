"""Cluster definitions: frozen dataclasses, one class per kind, checked on construction.

A definition says what to start or reach (its ``kind``) and how big (workers, threads and
memory per worker, GPUs). Every key is checked at the boundary: unknown keys are named with
the closest known one, missing keys with an example, wrong values with what to write. Nothing
here imports dask or starts anything; :mod:`._files` reads definitions from YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields, replace
from types import MappingProxyType
from typing import Any, ClassVar

from geoquant.cluster import _values as v
from geoquant.errors import ConfigError, InvalidOptionError


@dataclass(frozen=True, kw_only=True)
class ClusterDefinition:
    """What :func:`geoquant.cluster` starts or reaches, read from a YAML file.

    One subclass per ``kind``; the YAML keys are the dataclass fields (except ``name`` and
    ``source``). Values are checked and normalised on construction: memory becomes bytes,
    lists become tuples, mappings become read-only.

    Attributes
    ----------
    name
        The definition's name: the file's stem (``slurm`` for ``slurm.yaml``).
    source
        Where it was read from (a path), or ``"<python>"`` when built in code.
    description
        Free text shown nowhere but in the file and ``repr``.
    wait_for_workers
        Workers to wait for before :func:`geoquant.cluster` returns; ``None`` waits for none
        beyond what the cluster itself waits for.
    timeout_s
        Seconds allowed to reach the scheduler (for ``kubernetes`` also to create the
        cluster), and again for ``wait_for_workers`` workers to join.
    """

    kind: ClassVar[str] = ""
    name: str = "custom"
    source: str = "<python>"
    description: str = v.key(v.note, "")
    wait_for_workers: int | None = v.key(v.optional(v.whole(0)), None)
    timeout_s: float = v.key(v.seconds, 60.0)

    def __post_init__(self) -> None:
        for item in fields(self):
            check = item.metadata.get("check")
            if check is not None:
                value = check(getattr(self, item.name), f"{self.source}: {item.name}")
                object.__setattr__(self, item.name, value)
        self._check_together()

    def _check_together(self) -> None:
        """Checks across keys (subclasses)."""

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The YAML keys of this kind, ``kind`` included, sorted."""
        return tuple(sorted(["kind", *(f.name for f in fields(cls) if "check" in f.metadata)]))

    @classmethod
    def required_keys(cls) -> tuple[str, ...]:
        """The keys without a default: a file of this kind must give them."""
        return tuple(f.name for f in fields(cls) if "check" in f.metadata
                     and f.default is MISSING and f.default_factory is MISSING)

    def settings(self) -> dict[str, Any]:
        """The YAML keys and their (normalised) values, ``kind`` first."""
        out: dict[str, Any] = {"kind": self.kind}
        for item in fields(self):
            if "check" in item.metadata:
                value = getattr(self, item.name)
                out[item.name] = dict(value) if isinstance(value, Mapping) else (
                    list(value) if isinstance(value, tuple) else value)
        return out


@dataclass(frozen=True, kw_only=True)
class LocalDefinition(ClusterDefinition):
    """``kind: local``: a :class:`distributed.LocalCluster` on this machine.

    Attributes
    ----------
    workers
        Worker processes; ``None`` sizes the cluster to the machine (about the square root of
        the cores, dask's rule).
    threads
        Threads per worker; ``None``: the cores shared among the workers.
    memory
        Memory limit per worker in bytes; ``None``: the machine's memory shared among them.
    processes
        Workers as separate processes (True) or threads of this process (False).
    dashboard_address
        Where the scheduler serves its dashboard (``":8787"``; needs ``bokeh``), or ``None``.
    local_directory
        Folder for spilled data; ``None``: dask's temporary directory.
    """

    kind: ClassVar[str] = "local"
    workers: int | None = v.key(v.optional(v.whole(1)), None)
    threads: int | None = v.key(v.optional(v.whole(1)), None)
    memory: int | None = v.key(v.memory_or_auto, None)
    processes: bool = v.key(v.flag, True)
    dashboard_address: str | None = v.key(v.optional(v.dashboard), None)
    local_directory: str | None = v.key(v.optional(v.text), None)


@dataclass(frozen=True, kw_only=True)
class LocalGPUDefinition(ClusterDefinition):
    """``kind: local-gpu``: a ``dask_cuda.LocalCUDACluster``, one worker per GPU.

    Without a usable NVIDIA GPU (dask-cuda absent, NVML missing, no device, no CUDA runtime)
    :func:`geoquant.cluster` says so in one line and starts ``fallback`` instead.

    Attributes
    ----------
    gpus
        GPU indexes or UUIDs to use (``CUDA_VISIBLE_DEVICES``); ``None``: every visible GPU.
    threads
        Threads per worker (per GPU).
    memory
        Host memory limit per worker in bytes (spill to disk above it); ``None``: the machine's
        memory shared among the workers.
    device_memory_limit
        GPU memory per worker above which data spills to host memory: bytes, or a fraction of
        the device's memory; ``None``: dask-cuda's default (0.8).
    rmm_pool_size
        RMM memory pool allocated up front on each GPU (bytes or fraction); ``None``: no pool.
        Needs the ``rmm`` package (``rmm-cu12``).
    rmm_maximum_pool_size
        Largest size the RMM pool may grow to; needs ``rmm_pool_size``.
    rmm_managed_memory
        Use CUDA managed (unified) memory through RMM.
    rmm_async
        Use RMM's asynchronous allocator (not with a pool or managed memory).
    protocol
        ``"tcp"`` or ``"ucx"`` (NVLink/InfiniBand; needs ``distributed-ucxx``); ``None``: tcp.
    dashboard_address, local_directory
        As for ``local``.
    fallback
        Definition started when there is no GPU; ``None`` raises :class:`ClusterError` instead.
    """

    kind: ClassVar[str] = "local-gpu"
    gpus: tuple[int | str, ...] | None = v.key(v.optional(v.gpu_ids), None)
    threads: int = v.key(v.whole(1), 1)
    memory: int | None = v.key(v.memory_or_auto, None)
    device_memory_limit: int | float | None = v.key(v.optional(v.memory_or_fraction), None)
    rmm_pool_size: int | float | None = v.key(v.optional(v.memory_or_fraction), None)
    rmm_maximum_pool_size: int | float | None = v.key(v.optional(v.memory_or_fraction), None)
    rmm_managed_memory: bool = v.key(v.flag, False)
    rmm_async: bool = v.key(v.flag, False)
    protocol: str | None = v.key(v.optional(v.choice("tcp", "ucx")), None)
    dashboard_address: str | None = v.key(v.optional(v.dashboard), None)
    local_directory: str | None = v.key(v.optional(v.text), None)
    fallback: str | None = v.key(v.optional(v.text), "local")

    def _check_together(self) -> None:
        if self.rmm_async and (self.rmm_pool_size is not None or self.rmm_managed_memory):
            raise ConfigError(f"{self.source}: rmm_async cannot be combined with rmm_pool_size "
                              "or rmm_managed_memory: choose one allocator")
        if self.rmm_maximum_pool_size is not None and self.rmm_pool_size is None:
            raise ConfigError(f"{self.source}: rmm_maximum_pool_size needs rmm_pool_size: set "
                              "the pool's starting size too")
        if self.fallback in ("local-gpu", self.name):
            raise ConfigError(f"{self.source}: fallback {self.fallback!r} would start the GPU "
                              "cluster again: name a CPU definition such as 'local', or null")


@dataclass(frozen=True, kw_only=True)
class AddressDefinition(ClusterDefinition):
    """``kind: address``: a scheduler that is already running, reached by its address.

    Attributes
    ----------
    address
        The scheduler's address, ``protocol://host:port`` (``tcp://`` when left out).
    """

    kind: ClassVar[str] = "address"
    address: str = v.key(v.address, example="address: tcp://scheduler-host:8786")
    wait_for_workers: int | None = v.key(v.optional(v.whole(0)), 1)
    timeout_s: float = v.key(v.seconds, 30.0)


@dataclass(frozen=True, kw_only=True)
class SSHDefinition(ClusterDefinition):
    """``kind: ssh``: a scheduler and workers started over SSH (``distributed.SSHCluster``).

    Needs ``asyncssh`` here (``pip install 'geoquant[hpc]'``) and the same Python environment,
    with geoquant, at ``remote_python`` on every host.

    Attributes
    ----------
    hosts
        Host names or addresses: the first runs the scheduler, every other one workers (list a
        host twice to run both on it).
    connect_options
        Options of ``asyncssh.connect``: ``username``, ``port``, ``known_hosts``,
        ``client_keys``...; one mapping for every host.
    workers_per_host
        Worker processes on each worker host.
    threads
        Threads per worker; ``None``: the host's cores shared among its workers.
    memory
        Memory limit per worker in bytes; ``None``: the host's memory shared among its workers.
    remote_python
        Python on the hosts; ``None``: the same path as this Python.
    worker_class
        ``"distributed.Nanny"``, or ``"dask_cuda.CUDAWorker"`` for one worker per GPU.
    scheduler_port
        Port of the scheduler on the first host (0: any free port).
    dashboard_address
        As for ``local``.
    """

    kind: ClassVar[str] = "ssh"
    hosts: tuple[str, ...] = v.key(v.text_list, example="hosts: [login-node, node-1, node-2]")
    connect_options: Mapping[str, Any] = v.key(v.mapping, {})
    workers_per_host: int = v.key(v.whole(1), 1)
    threads: int | None = v.key(v.optional(v.whole(1)), None)
    memory: int | None = v.key(v.memory_or_auto, None)
    remote_python: str | None = v.key(v.optional(v.text), None)
    worker_class: str = v.key(v.text, "distributed.Nanny")
    scheduler_port: int = v.key(v.whole(0, 65535), 8786)
    dashboard_address: str | None = v.key(v.optional(v.dashboard), None)
    timeout_s: float = v.key(v.seconds, 120.0)

    def _check_together(self) -> None:
        if len(self.hosts) < 2 or not all(h.strip() and " " not in h for h in self.hosts):
            raise ConfigError(f"{self.source}: hosts: expected at least two host names, the "
                              "scheduler's first, then the workers' (repeat a host to run "
                              f"both on it), got {list(self.hosts)!r}")


@dataclass(frozen=True, kw_only=True)
class SlurmDefinition(ClusterDefinition):
    """``kind: slurm``: workers as SLURM batch jobs (``dask_jobqueue.SLURMCluster``).

    The scheduler runs in this process (on the login node); each job runs
    ``workers_per_job`` workers. Needs ``dask-jobqueue`` (``pip install 'geoquant[hpc]'``).

    Attributes
    ----------
    workers
        Worker processes in all; a multiple of ``workers_per_job``.
    workers_per_job
        Worker processes in each job (one job per node is typical).
    threads
        Threads per worker: a job books ``threads * workers_per_job`` cores.
    memory
        Memory limit per worker in bytes: a job books ``memory * workers_per_job``.
    gpus
        GPUs per job, booked with ``--gres=gpu:N``.
    queue, account
        Partition (``-p``) and account (``-A``); ``None``: the site's defaults.
    walltime
        Time limit of each job, ``hours:minutes:seconds`` or ``days-hours:minutes:seconds``.
    interface
        Network interface for the scheduler and workers (``ib0``); ``None``: the default route.
    local_directory, log_directory
        Workers' spill folder (node-local disk, such as ``$TMPDIR``) and the jobs' log folder.
    job_extra_directives
        More ``#SBATCH`` lines, without the prefix (``--constraint=skylake``).
    job_script_prologue
        Shell lines run before the worker starts (``module load``, ``source venv/bin/activate``).
    python
        Python on the compute nodes; ``None``: this Python's path.
    dashboard_address
        As for ``local``.
    """

    kind: ClassVar[str] = "slurm"
    workers: int = v.key(v.whole(1), 2)
    workers_per_job: int = v.key(v.whole(1), 1)
    threads: int = v.key(v.whole(1), 4)
    memory: int = v.key(v.parse_memory, 16 * 2**30)
    gpus: int = v.key(v.whole(0), 0)
    queue: str | None = v.key(v.optional(v.text), None)
    account: str | None = v.key(v.optional(v.text), None)
    walltime: str = v.key(v.walltime, "01:00:00")
    interface: str | None = v.key(v.optional(v.text), None)
    local_directory: str | None = v.key(v.optional(v.text), None)
    log_directory: str | None = v.key(v.optional(v.text), None)
    job_extra_directives: tuple[str, ...] = v.key(v.text_list, [])
    job_script_prologue: tuple[str, ...] = v.key(v.text_list, [])
    python: str | None = v.key(v.optional(v.text), None)
    dashboard_address: str | None = v.key(v.optional(v.dashboard), None)
    wait_for_workers: int | None = v.key(v.optional(v.whole(0)), 1)
    timeout_s: float = v.key(v.seconds, 600.0)

    def _check_together(self) -> None:
        if self.workers % self.workers_per_job:
            raise ConfigError(f"{self.source}: workers ({self.workers}) must be a multiple of "
                              f"workers_per_job ({self.workers_per_job}): each job runs "
                              "workers_per_job workers")
        for line in self.job_extra_directives:
            if line.lstrip().startswith("#SBATCH"):
                raise ConfigError(f"{self.source}: job_extra_directives: write {line!r} "
                                  "without '#SBATCH' (it is added)")

    @property
    def jobs(self) -> int:
        """SLURM jobs submitted: ``workers / workers_per_job``."""
        return self.workers // self.workers_per_job


@dataclass(frozen=True, kw_only=True)
class KubernetesDefinition(ClusterDefinition):
    """``kind: kubernetes``: a ``DaskCluster`` resource run by the Dask Kubernetes operator.

    Needs ``dask-kubernetes`` here (``pip install 'geoquant[hpc]'``), access to the cluster
    (``~/.kube/config`` or in-cluster), and the operator installed there.

    Attributes
    ----------
    cluster_name
        Name of the ``DaskCluster`` resource (lower case, digits, '-').
    namespace
        Namespace; ``None``: the current context's (``default`` when it has none).
    image
        Container image of the scheduler and workers; it must hold geoquant and the same dask
        as here (with the ``ghcr.io/dask/dask`` images: ``env: {EXTRA_PIP_PACKAGES: geoquant}``).
    workers
        Worker pods.
    threads
        Threads per worker, also its CPU request.
    memory
        Memory per worker in bytes: the pod's memory request and limit, and the worker's limit.
    gpus
        NVIDIA GPUs per worker pod (``nvidia.com/gpu``); workers run ``dask cuda worker`` when
        above 0, so the image must hold dask-cuda.
    env
        Environment variables of the scheduler and workers.
    scheduler_cpu, scheduler_memory
        The scheduler pod's CPU (cores) and memory (bytes).
    scheduler_service_type
        ``ClusterIP`` (reached through a port-forward), ``NodePort`` or ``LoadBalancer``.
    idle_timeout_s
        Seconds idle after which the operator deletes the cluster; 0: never.
    shutdown_on_close
        Delete the cluster when the handle closes.
    """

    kind: ClassVar[str] = "kubernetes"
    cluster_name: str = v.key(v.k8s_name(v.K8S_NAME_MAX), "geoquant")
    namespace: str | None = v.key(v.optional(v.k8s_name(63)), None)
    image: str = v.key(v.text, "ghcr.io/dask/dask:2026.7.1-py3.11")
    workers: int = v.key(v.whole(1), 2)
    threads: int = v.key(v.whole(1), 2)
    memory: int = v.key(v.parse_memory, 8 * 2**30)
    gpus: int = v.key(v.whole(0), 0)
    env: Mapping[str, str] = v.key(v.text_mapping, {})
    scheduler_cpu: float = v.key(v.number, 1)
    scheduler_memory: int = v.key(v.parse_memory, 2 * 2**30)
    scheduler_service_type: str = v.key(v.choice("ClusterIP", "NodePort", "LoadBalancer"),
                                       "ClusterIP")
    idle_timeout_s: int = v.key(v.whole(0), 0)
    shutdown_on_close: bool = v.key(v.flag, True)
    wait_for_workers: int | None = v.key(v.optional(v.whole(0)), 1)
    timeout_s: float = v.key(v.seconds, 300.0)


KINDS: Mapping[str, type[ClusterDefinition]] = MappingProxyType({
    cls.kind: cls for cls in (LocalDefinition, LocalGPUDefinition, AddressDefinition,
                              SSHDefinition, SlurmDefinition, KubernetesDefinition)})

#: Options of :func:`geoquant.cluster` that override a definition's key of the same name.
OVERRIDES = ("workers", "threads", "memory", "address", "wait_for_workers", "timeout_s")
_NOT_APPLICABLE = {
    ("local-gpu", "workers"): "it runs one worker per GPU: choose the GPUs with the "
                              "definition's 'gpus' key",
    ("ssh", "workers"): "set the definition's 'hosts' and 'workers_per_host' instead",
    ("address", "workers"): "it connects to workers that are already running: size them "
                            "where they start (`dask worker ADDRESS --nworkers N`)",
    ("address", "threads"): "size the workers where they start (`dask worker ADDRESS "
                            "--nthreads N`)",
    ("address", "memory"): "size the workers where they start (`dask worker ADDRESS "
                           "--memory-limit 4GiB`)",
}


def from_mapping(raw: Any, *, name: str = "custom", source: str = "<python>"
                 ) -> ClusterDefinition:
    """A definition from a mapping of YAML keys, checked.

    Raises
    ------
    ConfigError
        If ``kind`` is missing or unknown, a key is unknown or missing, or a value is wrong.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: expected a mapping of keys (kind: local, workers: 2, ...)"
                          f", got {type(raw).__name__}")
    kinds = sorted(KINDS)
    if "kind" not in raw:
        raise ConfigError(f"{source}: missing key 'kind': one of {', '.join(kinds)}")
    kind = raw["kind"]
    if kind not in KINDS:
        raise ConfigError(f"{source}: unknown kind {kind!r}{v.closest(str(kind), kinds)}; "
                          f"known kinds: {', '.join(kinds)}")
    cls = KINDS[kind]
    known = cls.keys()
    unknown = [key for key in raw if key not in known]
    if unknown:
        first = str(unknown[0])
        more = f" (and {', '.join(repr(k) for k in unknown[1:])})" if unknown[1:] else ""
        raise ConfigError(f"{source}: unknown key {first!r}{v.closest(first, known)}{more} for "
                          f"kind {kind!r}; known keys: {', '.join(known)}")
    for key in cls.required_keys():
        if key not in raw:
            example = next(f.metadata["example"] for f in fields(cls) if f.name == key)
            raise ConfigError(f"{source}: missing key {key!r} for kind {kind!r}"
                              + (f" (e.g. {example})" if example else ""))
    return cls(name=name, source=source, **{k: value for k, value in raw.items() if k != "kind"})


def with_overrides(definition: ClusterDefinition, **overrides: Any) -> ClusterDefinition:
    """The definition with the options of :func:`geoquant.cluster` that were given applied.

    Raises
    ------
    InvalidOptionError
        If an option does not apply to the definition's kind (the message says what does).
    ConfigError
        If a value is wrong.
    """
    given = {k: value for k, value in overrides.items() if value is not None}
    for key in given:
        if key not in OVERRIDES:
            raise InvalidOptionError(f"unknown cluster option {key!r}{v.closest(key, OVERRIDES)}")
    kind = definition.kind
    keys = type(definition).keys()
    for key in given:
        if key not in keys:
            hint = _NOT_APPLICABLE.get((kind, key))
            if hint is None and key == "address":
                hint = "it connects to a running scheduler only with kind 'address': use " \
                       "geoquant.cluster.cluster('address', address=...)"
            if hint is None:
                hint = f"its keys are {', '.join(keys)}"
            raise InvalidOptionError(f"{key}= does not apply to cluster {definition.name!r} "
                                     f"(kind {kind!r}): {hint}")
    if not given:
        return definition
    try:
        return replace(definition, **given)
    except ConfigError as err:
        # The check names the file; the value came from an option, so say that instead.
        message = str(err).replace(f"{definition.source}: ", "", 1)
        raise ConfigError(f"option {message} (cluster {definition.name!r})") from None
