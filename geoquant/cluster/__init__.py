"""Dask clusters by name or by file: start one, or reach one, and compute there.

- :func:`cluster` — start (or connect to) the cluster a definition describes; a
  :class:`ClusterHandle` with ``.client``, ``.dashboard_link``, ``.kind``, ``.definition``.
  ``geoquant.cluster(...)`` calls it (this module is callable).
- :func:`load_definition`, :func:`check_definition`, :class:`ClusterLaunch` — read and check a
  definition; build what it would start (a SLURM job script, a Kubernetes ``DaskCluster``)
  without starting anything.
- :class:`ClusterDefinition` and one subclass per kind: :class:`LocalDefinition`,
  :class:`LocalGPUDefinition`, :class:`AddressDefinition`, :class:`SSHDefinition`,
  :class:`SlurmDefinition`, :class:`KubernetesDefinition`; :data:`KINDS`.
- :func:`add_cluster_option`, :func:`cluster_from_args` — the ``--cluster NAME|FILE`` option of
  the commands that compute.

Definitions are YAML files: the built-in ones ship in ``geoquant/cluster/definitions/`` (copies
to edit are in ``clusters/`` at the repository root); ``clusters/README.md`` documents them.
Nothing heavy is imported here: dask and distributed load when a cluster starts.
"""

import sys
import types

from geoquant.cluster._cli import add_cluster_option, cluster_from_args
from geoquant.cluster._definition import (
    KINDS,
    AddressDefinition,
    ClusterDefinition,
    KubernetesDefinition,
    LocalDefinition,
    LocalGPUDefinition,
    SlurmDefinition,
    SSHDefinition,
)
from geoquant.cluster._files import builtin_names, known_names, load_definition, search_path
from geoquant.cluster._launch import ClusterLaunch, check_definition
from geoquant.cluster._start import ClusterHandle, cluster
from geoquant.cluster._values import parse_memory

__all__ = ["KINDS", "AddressDefinition", "ClusterDefinition", "ClusterHandle", "ClusterLaunch",
           "KubernetesDefinition", "LocalDefinition", "LocalGPUDefinition", "SSHDefinition",
           "SlurmDefinition", "add_cluster_option", "builtin_names", "check_definition",
           "cluster", "cluster_from_args", "known_names", "load_definition", "parse_memory",
           "search_path"]


class _CallableModule(types.ModuleType):
    """``geoquant.cluster`` is both this subpackage and the function that starts a cluster:
    importing a subpackage sets it as its parent's attribute, which would hide a function of
    the same name, so the module itself calls :func:`cluster`."""

    def __call__(self, name_or_path="local", /, **options):  # noqa: ANN001, ANN204
        return cluster(name_or_path, **options)


sys.modules[__name__].__class__ = _CallableModule
