"""The ``geoquant monitor`` commands: ``run CONFIG.yaml`` and ``status CONFIG.yaml|STORE``.

:func:`add_commands` adds them to the ``geoquant`` parser; heavy imports happen inside the
handlers, so ``geoquant --help`` stays instant. Errors (any ``GeoquantError``) are left to
``geoquant.cli.main``, which prints one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from geoquant.cluster import add_cluster_option


def _cmd_run(args: argparse.Namespace) -> int:
    from geoquant.cluster import cluster_from_args
    from geoquant.monitor._run import run

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    config = args.config
    if args.catalog is not None:       # a catalog served on a free port: its URL, given here
        import dataclasses

        from geoquant.errors import InvalidOptionError
        from geoquant.monitor._config import load_config

        if not args.catalog.startswith(("http://", "https://")):
            raise InvalidOptionError(f"--catalog {args.catalog!r}: give a STAC API URL, such "
                                     "as the one 'geoquant catalog serve' prints")
        config = dataclasses.replace(load_config(config), catalog=args.catalog.rstrip("/"))
    with cluster_from_args(args) as handle:
        report = run(config, client=handle.client if handle is not None else None,
                     say=None if args.quiet else say,
                     echo_alert=lambda line: print(line, flush=True))
    if not args.quiet:
        say(report.summary())
    return 1 if report.hook_failures else 0


def _cmd_status(args: argparse.Namespace) -> int:
    import json

    from geoquant.monitor._status import status

    found = status(args.target)
    if args.json:
        from geoquant.sinks import to_jsonable

        print(json.dumps(to_jsonable(found.to_dict()), indent=1))
    else:
        print("\n".join(found.lines()))
    return 0 if found.healthy else 1


def add_commands(commands: Any) -> None:
    """Add ``monitor run`` and ``monitor status`` to an argparse subparsers object.

    Parameters
    ----------
    commands
        What ``parser.add_subparsers()`` returned (the ``geoquant`` commands).
    """
    monitor = commands.add_parser(
        "monitor", help="scheduled regional monitoring into a Zarr store",
        description="Run a monitoring configuration (regions, STAC sources, metrics, alert "
                    "rules) over the acquisitions newer than the last run, appending one time "
                    "step per date to a Zarr store; or show what has been done. See "
                    "docs/monitoring.md for the configuration, a crontab line and a systemd "
                    "timer.")
    monitor_cmds = monitor.add_subparsers(dest="monitor_command", required=True)
    run = monitor_cmds.add_parser(
        "run", help="compute and append every acquisition newer than the last run",
        description="Compute every acquisition newer than the last run and append it to the "
                    "store; alerts go to stdout (JSON lines), the alerts file and the hook; "
                    "progress to stderr. Exit status: 0 done (also when nothing was new), "
                    "1 an alert hook failed, 2 an error (nothing half-written).")
    run.add_argument("config", help="monitoring configuration (YAML)")
    run.add_argument("--catalog", default=None, metavar="URL",
                     help="STAC API to search instead of the configuration's catalog (e.g. "
                          "the URL 'geoquant catalog serve' prints)")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    add_cluster_option(run)
    run.set_defaults(run=_cmd_run)
    show = monitor_cmds.add_parser(
        "status", help="show the runs, dates, last acquisitions and alerts of a monitor",
        description="Show what a monitor has done, from its store (read-only), and check the "
                    "store against its recorded state. Exit status: 0 the store agrees with "
                    "its state, 1 it needs repair (the next run repairs it), 2 an error.")
    show.add_argument("target", help="monitoring configuration (YAML) or its Zarr store")
    show.add_argument("--json", action="store_true", help="print the state as JSON")
    show.set_defaults(run=_cmd_status)
