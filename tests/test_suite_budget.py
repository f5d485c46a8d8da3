"""The default run stays within its 10-minute budget on a 2-core machine (issue 30).

What keeps it there: Hypothesis profiles (``ci`` by default, ``thorough`` for the slow run),
the numba CUDA-simulator tests behind their own ``cudasim`` marker (part of the slow set), and
no property test that fixes its own example count above the ``ci`` bound.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

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


def _collected(folder: Path, *args: str) -> list[str]:
    """Test names pytest collects from ``folder`` under the repository's pytest settings."""
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", "-c", str(TESTS.parent / "pyproject.toml"),
                          "--rootdir", str(folder), *args, str(folder)],
                         capture_output=True, text=True, cwd=folder, timeout=300)
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
