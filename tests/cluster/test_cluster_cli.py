"""``--cluster NAME|FILE`` on the commands that compute: listed in their help, one-line errors
with exit 2, the computation sent to the cluster named, the GPU fallback in one line; and
``import geoquant`` / ``--help`` still load neither dask nor distributed."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from geoquant.cli import main
from geoquant.cluster import _gpu, add_cluster_option, cluster_from_args
from geoquant.demo import DEMO_DATA

LULC = str(DEMO_DATA / "slovenia-lulc" / "LULC_2018" / "lulc.tif")
ASK = ["ask", "What share of the area is forest?", "--source", LULC, "--product",
       "slovenia-lulc", "--quiet"]


def test_import_and_help_load_no_dask():
    code = ("import sys, geoquant, geoquant.cli, geoquant.cluster\n"
            "assert not callable(geoquant.cluster) and geoquant.cluster.load_definition\n"
            "for cmd in (['--help'], ['ask', '--help'], ['demo', '--help']):\n"
            "    try:\n        geoquant.cli.main(cmd)\n    except SystemExit:\n        pass\n"
            "print([m for m in ('dask', 'distributed', 'yaml', 'dask_jobqueue') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("command", ["ask", "eval", "demo"])
def test_commands_that_compute_take_cluster(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    assert "--cluster NAME|FILE" in capsys.readouterr().out


def test_unknown_cluster_is_one_line_and_exit_2(capsys):
    assert main([*ASK, "--cluster", "bogus"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("geoquant: error: unknown cluster 'bogus': known clusters "
                                   "are address, kubernetes, local, local-gpu, slurm, ssh")
    assert "Traceback" not in captured.err


def test_bad_definition_file_is_one_line_and_exit_2(tmp_path, capsys):
    path = tmp_path / "site.yaml"
    path.write_text("kind: local\nwrokers: 2\n")
    assert main(["eval", str(tmp_path / "questions.jsonl"), "--cluster", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown key 'wrokers' (did you mean 'workers'?)" in err


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path, closed_port, capsys):
    path = tmp_path / "down.yaml"
    path.write_text(f"kind: address\naddress: tcp://127.0.0.1:{closed_port}\ntimeout_s: 1\n")
    assert main([*ASK, "--cluster", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"geoquant: error: no scheduler answers at tcp://127.0.0.1:"
                          f"{closed_port} within 1 s")


def test_ask_computes_on_the_cluster_named(scheduler_with_two_workers, tmp_path, capsys):
    from distributed import Client

    path = tmp_path / "loopback.yaml"
    path.write_text(f"kind: address\naddress: {scheduler_with_two_workers}\n"
                    "wait_for_workers: 2\ntimeout_s: 60\n")
    with Client(scheduler_with_two_workers, set_as_default=False) as watcher:
        def transitions():
            return watcher.run_on_scheduler(lambda dask_scheduler:
                                            dask_scheduler.transition_counter)

        before = transitions()
        assert main([*ASK, "--cluster", str(path)]) == 0
        assert transitions() > before
    assert "forest" in capsys.readouterr().out


def test_gpu_fallback_on_the_command_line_is_one_line(tmp_path, capsys):
    if _gpu.gpu_unavailable_reason() is None:
        pytest.skip("a GPU is usable here")
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("kind: local\nworkers: 1\nthreads: 2\nprocesses: false\n")
    gpu = tmp_path / "gpu.yaml"
    gpu.write_text(f"kind: local-gpu\nfallback: {tiny}\n")
    assert main([*ASK, "--cluster", str(gpu)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("geoquant: no usable NVIDIA GPU found (")
    assert captured.err.endswith("; starting the CPU cluster 'tiny' instead\n")
    assert "forest" in captured.out


def test_option_glue_for_new_commands():
    parser = argparse.ArgumentParser()
    add_cluster_option(parser)
    args = parser.parse_args([])
    assert args.cluster is None
    with cluster_from_args(args) as handle:
        assert handle is None                     # no --cluster: no cluster started
    parser = argparse.ArgumentParser()
    add_cluster_option(parser, default="local")
    args = parser.parse_args(["--cluster", "local"])
    with cluster_from_args(args, workers=1, threads=1) as handle:
        assert handle.kind == "local" and handle.n_workers == 1
