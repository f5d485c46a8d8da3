"""Dask clusters by name or by file: start one, or reach one, and compute there.

- :func:`cluster` — start (or connect to) the cluster a definition describes; a
  :class:`ClusterHandle` with ``.client``, ``.dashboard_link``, ``.kind``, ``.definition``
  (``from geoquant.cluster import cluster``).
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

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
