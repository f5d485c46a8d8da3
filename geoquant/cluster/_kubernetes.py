"""The ``DaskCluster`` custom resource for a ``kubernetes`` definition, built without an API.

The resource has the shape that ``dask_kubernetes.operator.make_cluster_spec`` gives (the
operator's CRD: ``spec.scheduler`` with a pod spec and a service, ``spec.worker`` with replicas
and a pod spec), with geoquant's sizes filled in: each worker's threads and memory limit on its
command line and as the pod's requests and limits, GPUs as ``nvidia.com/gpu`` limits. Built here
so that a definition can be checked where dask-kubernetes is not installed, and passed to
``KubeCluster(custom_cluster_spec=...)`` where it is.
"""

from __future__ import annotations

from typing import Any

from geoquant.cluster._definition import KubernetesDefinition

API_VERSION = "kubernetes.dask.org/v1"
SCHEDULER_PORT = 8786
DASHBOARD_PORT = 8787
WORKER_DASHBOARD_PORT = 8788


def quantity(n_bytes: int) -> str:
    """A byte count as a Kubernetes quantity: ``Gi``/``Mi``/``Ki`` when exact, else bytes.

    >>> quantity(8 * 2**30), quantity(1536 * 2**20), quantity(1000)
    ('8Gi', '1536Mi', '1000')
    """
    for suffix, scale in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if n_bytes % scale == 0:
            return f"{n_bytes // scale}{suffix}"
    return str(n_bytes)


def _cpu(cores: float) -> str:
    return str(int(cores)) if float(cores).is_integer() else f"{round(cores * 1000)}m"


def _env(definition: KubernetesDefinition) -> list[dict[str, str]] | None:
    return [{"name": k, "value": v} for k, v in definition.env.items()] or None


def worker_command(definition: KubernetesDefinition) -> list[str]:
    """The worker container's command line, before the operator's ``--name`` and dashboard."""
    base = ["dask", "cuda", "worker"] if definition.gpus else ["dask", "worker"]
    return [*base, "--nthreads", str(definition.threads),
            "--memory-limit", str(definition.memory)]


def cluster_resource(definition: KubernetesDefinition) -> dict[str, Any]:
    """The ``DaskCluster`` manifest (a plain dict, ready for ``yaml.safe_dump``)."""
    memory = quantity(definition.memory)
    worker_resources: dict[str, Any] = {
        "requests": {"cpu": _cpu(definition.threads), "memory": memory},
        "limits": {"memory": memory}}
    if definition.gpus:
        worker_resources["limits"]["nvidia.com/gpu"] = str(definition.gpus)
    scheduler_memory = quantity(definition.scheduler_memory)
    scheduler_resources = {
        "requests": {"cpu": _cpu(definition.scheduler_cpu), "memory": scheduler_memory},
        "limits": {"memory": scheduler_memory}}
    env = _env(definition)
    name = definition.cluster_name
    metadata: dict[str, Any] = {"name": name}
    if definition.namespace is not None:
        metadata["namespace"] = definition.namespace
    return {
        "apiVersion": API_VERSION,
        "kind": "DaskCluster",
        "metadata": metadata,
        "spec": {
            "idleTimeout": definition.idle_timeout_s,
            "worker": {
                "replicas": definition.workers,
                "spec": {"containers": [{
                    "name": "worker",
                    "image": definition.image,
                    "args": [*worker_command(definition), "--name", "$(DASK_WORKER_NAME)",
                             "--dashboard", "--dashboard-address", str(WORKER_DASHBOARD_PORT)],
                    "env": env,
                    "resources": worker_resources,
                    "ports": [{"name": "http-dashboard", "containerPort": WORKER_DASHBOARD_PORT,
                               "protocol": "TCP"}],
                }]},
            },
            "scheduler": {
                "spec": {"containers": [{
                    "name": "scheduler",
                    "image": definition.image,
                    "args": ["dask-scheduler", "--host", "0.0.0.0"],
                    "env": env,
                    "resources": scheduler_resources,
                    "ports": [
                        {"name": "tcp-comm", "containerPort": SCHEDULER_PORT, "protocol": "TCP"},
                        {"name": "http-dashboard", "containerPort": DASHBOARD_PORT,
                         "protocol": "TCP"}],
                    "readinessProbe": {
                        "httpGet": {"port": "http-dashboard", "path": "/health"},
                        "initialDelaySeconds": 0, "periodSeconds": 1, "timeoutSeconds": 300},
                    "livenessProbe": {
                        "httpGet": {"port": "http-dashboard", "path": "/health"},
                        "initialDelaySeconds": 15, "periodSeconds": 20},
                }]},
                "service": {
                    "type": definition.scheduler_service_type,
                    "selector": {"dask.org/cluster-name": name,
                                 "dask.org/component": "scheduler"},
                    "ports": [
                        {"name": "tcp-comm", "protocol": "TCP", "port": SCHEDULER_PORT,
                         "targetPort": "tcp-comm"},
                        {"name": "http-dashboard", "protocol": "TCP", "port": DASHBOARD_PORT,
                         "targetPort": "http-dashboard"}],
                },
            },
        },
    }
