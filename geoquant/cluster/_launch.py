"""What a definition starts: the class, its keyword arguments, and what it would submit.

:func:`check_definition` builds a :class:`ClusterLaunch` without starting anything, so that the
definitions that cannot start here (SSH hosts, a SLURM site, a Kubernetes cluster) are checked
for real: the SLURM job script is rendered by dask-jobqueue itself, the Kubernetes
``DaskCluster`` resource is built in full. :func:`geoquant.cluster` starts from the same launch.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from geoquant.cluster._definition import (
    AddressDefinition,
    ClusterDefinition,
    KubernetesDefinition,
    LocalDefinition,
    LocalGPUDefinition,
    SlurmDefinition,
    SSHDefinition,
    with_overrides,
)
from geoquant.cluster._files import load_definition
from geoquant.errors import ClusterError, ConfigError

#: What a SLURM job script shows where the scheduler's address will be (known once it runs).
SCHEDULER_PLACEHOLDER = "tcp://SCHEDULER-ADDRESS:8786"

#: The package each kind needs here, and how to get it.
NEEDS = MappingProxyType({
    "local-gpu": ("dask_cuda", "pip install 'geoquant[gpu]'"),
    "ssh": ("asyncssh", "pip install 'geoquant[hpc]'"),
    "slurm": ("dask_jobqueue", "pip install 'geoquant[hpc]'"),
    "kubernetes": ("dask_kubernetes", "pip install 'geoquant[hpc]'"),
})


@dataclass(frozen=True)
class ClusterLaunch:
    """What :func:`geoquant.cluster` would start for a definition, built without starting it.

    Attributes
    ----------
    definition
        The definition, with the options given applied.
    target
        The dotted name of what is called: ``"distributed.LocalCluster"``,
        ``"dask_jobqueue.SLURMCluster"``... (``"distributed.Client"`` for ``address``).
    options
        Its keyword arguments.
    jobs
        SLURM jobs to submit (``cluster.scale(jobs=...)``); ``None`` for other kinds.
    job_script
        The ``sbatch`` script of one SLURM job, as dask-jobqueue renders it (the scheduler's
        address shown as :data:`SCHEDULER_PLACEHOLDER`); ``None`` for other kinds.
    resource
        The Kubernetes ``DaskCluster`` manifest; ``None`` for other kinds.
    """

    definition: ClusterDefinition
    target: str
    options: Mapping[str, Any]
    jobs: int | None = None
    job_script: str | None = None
    resource: Mapping[str, Any] | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        """The definition's kind."""
        return self.definition.kind


def _drop_none(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


def _dashboard(address: str | None) -> dict[str, Any]:
    """LocalCluster's dashboard options. The scheduler runs an HTTP server (health, metrics)
    even without a dashboard, on port 8787 unless told otherwise: without one, it takes any
    free port, so that a second cluster does not warn that 8787 is in use."""
    if address is not None:
        return {"dashboard_address": address}
    return {"dashboard_address": None, "scheduler_kwargs": {"dashboard_address": ":0"}}


def _local(d: LocalDefinition) -> ClusterLaunch:
    options = _drop_none({"n_workers": d.workers, "threads_per_worker": d.threads,
                          "memory_limit": d.memory, "local_directory": d.local_directory})
    options.update(processes=d.processes, **_dashboard(d.dashboard_address))
    return ClusterLaunch(d, "distributed.LocalCluster", MappingProxyType(options))


def _local_gpu(d: LocalGPUDefinition) -> ClusterLaunch:
    options = _drop_none({
        "CUDA_VISIBLE_DEVICES": ",".join(str(g) for g in d.gpus) if d.gpus else None,
        "threads_per_worker": d.threads,
        "memory_limit": d.memory,
        "device_memory_limit": d.device_memory_limit,
        "rmm_pool_size": d.rmm_pool_size,
        "rmm_maximum_pool_size": d.rmm_maximum_pool_size,
        "protocol": d.protocol,
        "local_directory": d.local_directory,
    })
    options.update(rmm_managed_memory=d.rmm_managed_memory, rmm_async=d.rmm_async,
                   **_dashboard(d.dashboard_address))
    return ClusterLaunch(d, "dask_cuda.LocalCUDACluster", MappingProxyType(options))


def _address(d: AddressDefinition) -> ClusterLaunch:
    return ClusterLaunch(d, "distributed.Client",
                         MappingProxyType({"address": d.address, "timeout": d.timeout_s}))


def _ssh(d: SSHDefinition) -> ClusterLaunch:
    worker_options = _drop_none({"n_workers": d.workers_per_host, "nthreads": d.threads,
                                 "memory_limit": d.memory})
    scheduler_options = {"port": d.scheduler_port, "dashboard_address": d.dashboard_address}
    options = {"hosts": list(d.hosts), "connect_options": dict(d.connect_options),
               "worker_options": worker_options, "scheduler_options": scheduler_options,
               "worker_class": d.worker_class,
               "remote_python": d.remote_python or sys.executable}
    return ClusterLaunch(d, "distributed.SSHCluster", MappingProxyType(options))


def slurm_options(d: SlurmDefinition) -> dict[str, Any]:
    """Keyword arguments of ``dask_jobqueue.SLURMCluster`` for a definition."""
    directives = list(d.job_extra_directives)
    if d.gpus:
        directives.append(f"--gres=gpu:{d.gpus}")
    options = _drop_none({
        "queue": d.queue, "account": d.account, "walltime": d.walltime,
        "cores": d.threads * d.workers_per_job, "processes": d.workers_per_job,
        "memory": f"{d.memory * d.workers_per_job}B",
        "interface": d.interface, "local_directory": d.local_directory,
        "log_directory": d.log_directory, "python": d.python or sys.executable,
        "job_name": f"geoquant-{d.name}",
    })
    options.update(job_extra_directives=directives,
                   job_script_prologue=list(d.job_script_prologue),
                   scheduler_options={"dashboard_address": d.dashboard_address})
    return options


def _job_script(options: Mapping[str, Any]) -> str:
    try:
        from dask_jobqueue.slurm import SLURMJob
    except ImportError:
        raise ClusterError("checking a SLURM definition renders its job script with "
                           "dask-jobqueue, which is not installed: pip install "
                           "'geoquant[hpc]'") from None
    job_options = {k: v for k, v in options.items() if k != "scheduler_options"}
    try:
        job = SLURMJob(scheduler=SCHEDULER_PLACEHOLDER, name="geoquant-worker", **job_options)
        return job.job_script()
    except (ValueError, TypeError) as err:
        raise ConfigError(f"dask-jobqueue refuses the SLURM settings: {err}") from None


def _slurm(d: SlurmDefinition) -> ClusterLaunch:
    options = slurm_options(d)
    return ClusterLaunch(d, "dask_jobqueue.SLURMCluster", MappingProxyType(options),
                         jobs=d.jobs, job_script=_job_script(options))


def _kubernetes(d: KubernetesDefinition) -> ClusterLaunch:
    from geoquant.cluster._kubernetes import cluster_resource

    resource = cluster_resource(d)
    options = _drop_none({"custom_cluster_spec": resource, "namespace": d.namespace,
                          "shutdown_on_close": d.shutdown_on_close,
                          "resource_timeout": int(d.timeout_s), "quiet": True})
    return ClusterLaunch(d, "dask_kubernetes.operator.KubeCluster", MappingProxyType(options),
                         resource=MappingProxyType(resource))


_BUILD = {"local": _local, "local-gpu": _local_gpu, "address": _address, "ssh": _ssh,
          "slurm": _slurm, "kubernetes": _kubernetes}


def check_definition(name_or_path: str | os.PathLike[str] | ClusterDefinition = "local", *,
                     workers: int | None = None, threads: int | None = None,
                     memory: int | str | None = None, address: str | None = None,
                     wait_for_workers: int | None = None, timeout_s: float | None = None
                     ) -> ClusterLaunch:
    """Check a cluster definition and build what it would start, without starting anything.

    Parameters
    ----------
    name_or_path
        A definition name, a YAML file, or a :class:`ClusterDefinition`
        (see :func:`load_definition`).
    workers, threads, memory, address, wait_for_workers, timeout_s
        Override the definition's keys of the same name, as in :func:`geoquant.cluster`.

    Returns
    -------
    ClusterLaunch
        The class to call and its arguments; for ``slurm`` the rendered job script, for
        ``kubernetes`` the ``DaskCluster`` manifest.

    Raises
    ------
    ClusterError
        If the name is unknown, or (``slurm``) dask-jobqueue is missing to render the script.
    ConfigError
        If a key or value is wrong.
    InvalidOptionError
        If an option does not apply to the definition's kind.

    Examples
    --------
    >>> from geoquant.cluster import check_definition
    >>> launch = check_definition("kubernetes", workers=4, memory="16GiB")
    >>> launch.resource["spec"]["worker"]["replicas"]
    4
    """
    definition = with_overrides(load_definition(name_or_path), workers=workers,
                                threads=threads, memory=memory, address=address,
                                wait_for_workers=wait_for_workers, timeout_s=timeout_s)
    return _BUILD[definition.kind](definition)
