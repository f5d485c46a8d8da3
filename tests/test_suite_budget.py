"""The default run stays within its 10-minute budget on a 2-core machine (issue 30).

What keeps it there: two test processes (pytest-xdist, chosen in ``tests/conftest.py``),
Hypothesis profiles (``ci`` by default, ``thorough`` for the slow run), the numba
CUDA-simulator tests behind their own ``cudasim`` marker (part of the slow set), and no property
test that fixes its own example count above the ``ci`` bound.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

TESTS = Path(__file__).resolve().parent
CI_MAX_EXAMPLES = 20


def test_hypothesis_profiles_bound_the_default_run_and_widen_the_thorough_one():
    assert settings.get_current_profile_name() == os.environ.get("HYPOTHESIS_PROFILE", "ci")
    ci, thorough = settings.get_profile("ci"), settings.get_profile("thorough")
    assert ci.max_examples == CI_MAX_EXAMPLES and ci.deadline is None
    assert thorough.max_examples >= 300 and thorough.deadline is None


def test_no_property_test_fixes_more_examples_than_the_ci_profile():
    """A test's own ``max_examples`` overrides the profile: above the bound, leave it out."""
    found = []
    for path in sorted(TESTS.rglob("test_*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for count in re.findall(r"max_examples=(\d+)", line):
                if int(count) > CI_MAX_EXAMPLES:
                    found.append(f"{path.relative_to(TESTS)}:{number}: max_examples={count}")
    assert not found, ("these fix more examples than the 'ci' profile's "
                       f"{CI_MAX_EXAMPLES}; drop max_examples= and let the profile decide: "
                       + "; ".join(found))


PROBE = """
import pytest


def test_plain():
    pass


@pytest.mark.slow
def test_slow():
    pass


@pytest.mark.cudasim
def test_simulated():
    pass
"""


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """pytest run on ``folder`` under the repository's pytest settings."""
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "-c", str(TESTS.parent / "pyproject.toml"), "--rootdir", str(folder),
                           *args, str(folder)],
                          capture_output=True, text=True, cwd=folder, timeout=300)


def _collected(folder: Path, *args: str) -> list[str]:
    """Test names pytest collects from ``folder`` under the repository's pytest settings."""
    run = _pytest(folder, "--collect-only", "-q", *args)
    assert run.returncode in (0, 5), run.stdout + run.stderr  # 5: every test deselected
    return [line.split("::")[-1] for line in run.stdout.splitlines() if "::" in line]


def test_simulator_tests_leave_the_default_run_for_the_slow_one(tmp_path):
    """The repository's own addopts, markers and conftest, on a probe module of three tests."""
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (tmp_path / "test_probe.py").write_text(PROBE)
    assert _collected(tmp_path) == ["test_plain"]
    assert _collected(tmp_path, "-m", "slow") == ["test_slow", "test_simulated"]
    assert _collected(tmp_path, "-m", "cudasim") == ["test_simulated"]


def test_the_simulator_test_modules_are_marked():
    for name in ("test_gpu_counts.py", "test_gpu_distance.py", "test_gpu_objects.py"):
        assert "pytestmark = pytest.mark.cudasim" in (TESTS / "ops" / name).read_text(), name
    benchmark = (TESTS / "benchmarks" / "test_gpu_benchmark.py").read_text()
    assert "@pytest.mark.cudasim" in benchmark.split("def test_simulated_gpu_benchmark")[0]



WORKER_PROBE = """
import os


def test_runs_in_the_one_test_process():
    assert os.environ.get("PYTEST_XDIST_WORKER") is None
"""


def test_the_default_run_takes_two_test_processes(tmp_path, monkeypatch):
    """Plain ``pytest`` spreads over two processes, and a failure there still says which
    test failed and why."""
    pytest.importorskip("xdist")
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (tmp_path / "test_probe.py").write_text(WORKER_PROBE)
    run = _pytest(tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "created: 2/2 workers" in run.stdout, run.stdout
    assert "FAILED test_probe.py::test_runs_in_the_one_test_process" in run.stdout, run.stdout
    assert re.search(r"AssertionError: assert '(gw0|gw1)' is None", run.stdout), run.stdout


def test_one_test_process_when_asked(request):
    """``-n 0`` and ``-p no:xdist`` run in one process: the processes are chosen in conftest
    only where the command line chose none, and addopts names no option of pytest-xdist
    (``-p no:xdist`` would reject it)."""
    conftest, = (plugin for plugin in request.config.pluginmanager.get_plugins()
                 if getattr(plugin, "__file__", None) == str(TESTS / "conftest.py"))

    class Option:
        numprocesses, tx, usepdb, dist = None, [], False, "no"

    class Config:
        option = Option()

        class pluginmanager:
            hasplugin = staticmethod(lambda name: name == "xdist")

    config = Config()
    conftest.pytest_cmdline_main(config)
    assert (config.option.numprocesses, config.option.dist) == (2, "loadfile")
    config.option.numprocesses, config.option.dist = 0, "no"
    conftest.pytest_cmdline_main(config)
    assert (config.option.numprocesses, config.option.dist) == (0, "no")
    config.option.numprocesses, config.workerinput = None, {}  # in a test process: left alone
    conftest.pytest_cmdline_main(config)
    assert config.option.numprocesses is None
    pyproject = (TESTS.parent / "pyproject.toml").read_text()
    addopts = re.search(r"^addopts = (.*)$", pyproject, re.M).group(1)
    assert not re.search(r"(^| )(-n|--numprocesses|--dist|--tx)\b", addopts), addopts
