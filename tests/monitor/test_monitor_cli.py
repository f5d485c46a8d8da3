"""The ``geoquant monitor`` commands, added to a parser by ``add_commands``."""

from __future__ import annotations

import argparse
import json
import sys

import pytest
from monitor_kit import NDVI, NDVI_CLASSES, footprint, item_dirs, write_region

from geoquant.errors import ConfigError
from geoquant.monitor import add_commands


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="geoquant")
    add_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def _call(*argv: str) -> int:
    args = _parser().parse_args(list(argv))
    return args.run(args)


def _config(tmp_path, url, hook=""):
    write_region(tmp_path / "site.geojson", footprint(item_dirs(NDVI)[0]))
    path = tmp_path / "watch.yaml"
    path.write_text(f"name: watch\ncatalog: {url}\noutput: out.zarr\ncadence: daily\n{hook}"
                    "regions: [{name: site, geojson: site.geojson}]\n"
                    "sources:\n  - name: ndvi\n    collection: slovenia-s2-ndvi\n"
                    f"{NDVI_CLASSES}    metrics: [vegetation_share_percent]\n"
                    "alerts: [{name: always, metric: clear_percent, above: -1}]\n")
    return path


def test_help_lists_run_and_status(capsys):
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(["monitor", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "run" in out and "status" in out


def test_run_prints_alerts_on_stdout_and_progress_on_stderr(tmp_path, live_catalog, capsys):
    config = _config(tmp_path, live_catalog.url)
    with live_catalog.serving({NDVI: item_dirs(NDVI)[:2]}):
        assert _call("monitor", "run", str(config)) == 0
        captured = capsys.readouterr()
        alerts = [json.loads(line) for line in captured.out.splitlines()]
        assert [a["alert"] for a in alerts] == ["always", "always"]
        assert "[1/2] site/ndvi 2015-07-11" in captured.err
        assert "appended 2 dates" in captured.err
        assert _call("monitor", "run", str(config), "--quiet") == 0
        assert capsys.readouterr() == ("", "")
    assert _call("monitor", "status", str(config)) == 0
    assert "monitor watch:" in capsys.readouterr().out
    assert _call("monitor", "status", str(tmp_path / "out.zarr"), "--json") == 0
    state = json.loads(capsys.readouterr().out)["state"]
    assert state["series"]["site/ndvi"]["steps"] == 2


def test_a_failing_hook_gives_exit_status_1(tmp_path, live_catalog, capsys):
    hook = f"hook: [{sys.executable}, -c, 'import sys; sys.exit(4)']\n"
    config = _config(tmp_path, live_catalog.url, hook=hook)
    with live_catalog.serving({NDVI: item_dirs(NDVI)[:1]}):
        assert _call("monitor", "run", str(config)) == 1
    assert "exited with status 4" in capsys.readouterr().err


def test_errors_reach_the_cli_as_geoquant_errors(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: x\ncadense: daily\n")
    with pytest.raises(ConfigError, match="did you mean 'cadence'"):
        _call("monitor", "run", str(tmp_path / "bad.yaml"))


def _wired() -> bool:
    from geoquant.cli import build_parser

    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    return "monitor" in commands.choices


@pytest.mark.skipif(not _wired(), reason="geoquant.cli does not call monitor.add_commands yet")
def test_geoquant_cli_gives_one_line_errors(tmp_path, capsys):
    from geoquant.cli import main

    (tmp_path / "bad.yaml").write_text("name: x\ncadense: daily\n")
    assert main(["monitor", "run", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("geoquant: error: ") and err.count("\n") == 1
    (tmp_path / "foreign.zarr").mkdir()
    assert main(["monitor", "status", str(tmp_path / "foreign.zarr")]) == 2
    assert "is an empty folder" in capsys.readouterr().err
