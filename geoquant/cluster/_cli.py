"""The ``--cluster`` option of the commands that compute: one line to add, one to use.

>>> import argparse
>>> parser = argparse.ArgumentParser()
>>> add_cluster_option(parser)
>>> parser.parse_args(["--cluster", "slurm"]).cluster
'slurm'
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from typing import Any

CLUSTER_HELP = ("Dask cluster to compute on: a name (local, local-gpu, address, ssh, slurm, "
                "kubernetes, or NAME.yaml in ./clusters/ or $GEOQUANT_CLUSTERS) or a YAML "
                "definition file; see clusters/README.md")


def add_cluster_option(parser: argparse.ArgumentParser, *, default: str | None = None) -> None:
    """Add ``--cluster NAME|FILE`` to a command's parser.

    Parameters
    ----------
    parser
        The command's (sub)parser.
    default
        The definition used without ``--cluster``; ``None``: no cluster, dask's threads in
        this process (what :func:`cluster_from_args` then yields).
    """
    suffix = (f" (default: {default})" if default is not None
              else " (default: none, dask's threads in this process)")
    parser.add_argument("--cluster", default=default, metavar="NAME|FILE",
                        help=CLUSTER_HELP + suffix)


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextlib.contextmanager
def cluster_from_args(args: argparse.Namespace, **options: Any) -> Iterator[Any]:
    """Run the body on the cluster that ``--cluster`` names (none when it was not given).

    Parameters
    ----------
    args
        The parsed arguments; ``args.cluster`` is read (absent or ``None``: no cluster).
    **options
        Options of :func:`geoquant.cluster` (``workers=``, ``timeout_s=``...); ``None`` values
        are left to the definition. Notices (a GPU fallback) go to stderr unless ``say`` is
        given.

    The body runs watched (:func:`geoquant.cluster._watch.watched`): distributed's log lines
    are recorded, not printed, and a lost scheduler or workers at their memory limit end it
    with one-line errors naming ``args.out``, ``args.chunk`` and ``args.checkpoint`` where
    the command has them.

    Yields
    ------
    ClusterHandle or None
        The open handle, closed when the body ends.
    """
    name = getattr(args, "cluster", None)
    if name is None:
        yield None
        return
    from geoquant.cluster._start import cluster
    from geoquant.cluster._watch import Watch, recorded_logs, watched

    options.setdefault("say", _to_stderr)
    with recorded_logs(Watch()) as watch, cluster(name, **options) as handle, \
            watched(handle, out=getattr(args, "out", None), tile=getattr(args, "chunk", None),
                    checkpoint=getattr(args, "checkpoint", None), watch=watch):
        yield handle
