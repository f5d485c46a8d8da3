"""Type stub of geoquant.cluster: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._cli import (
    add_cluster_option,
    cluster_from_args,
)
from ._definition import (
    KINDS,
    AddressDefinition,
    ClusterDefinition,
    KubernetesDefinition,
    LocalDefinition,
    LocalGPUDefinition,
    SlurmDefinition,
    SSHDefinition,
)
from ._files import (
    builtin_names,
    known_names,
    load_definition,
    search_path,
)
from ._launch import (
    ClusterLaunch,
    check_definition,
)
from ._start import (
    ClusterHandle,
    cluster,
)
from ._values import parse_memory

__all__ = [
    "AddressDefinition",
    "ClusterDefinition",
    "ClusterHandle",
    "ClusterLaunch",
    "KINDS",
    "KubernetesDefinition",
    "LocalDefinition",
    "LocalGPUDefinition",
    "SSHDefinition",
    "SlurmDefinition",
    "add_cluster_option",
    "builtin_names",
    "check_definition",
    "cluster",
    "cluster_from_args",
    "known_names",
    "load_definition",
    "parse_memory",
    "search_path",
]
