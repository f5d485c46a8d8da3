"""Shared fixtures: the real test data beside the checkout, the demo catalog and live APIs."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Without an NVIDIA driver, numba.cuda kernels run under numba's CUDA simulator (on the CPU,
# thread by thread), so the GPU kernels are checked against the CPU path here too. It must be
# set before anything imports numba.cuda. Those tests are marked ``cudasim``: minutes on a CPU,
# so they run with the slow set (``-m slow``), not by default.
if shutil.which("nvidia-smi") is None:
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

# Hypothesis profiles, chosen with HYPOTHESIS_PROFILE (default "ci"). A test's own
# ``@settings(max_examples=...)`` wins over the profile, so property tests that are costly per
# example leave ``max_examples`` to the profile: "ci" bounds them for the 10-minute default run,
# "thorough" (with the slow run: ``HYPOTHESIS_PROFILE=thorough pytest -m "not gpu"``) runs at
# least as many examples as any of them ever had.
settings.register_profile("ci", max_examples=20, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=300, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# A developer's own LLM endpoint must not change what the suite checks: planner="auto", the
# default of ask and eval, would send every question the rules refuse to it. Tests of the LLM
# planner configure a loopback endpoint themselves (tests/reason/test_llm.py).
for _name in ("GEOQUANT_LLM_URL", "GEOQUANT_LLM_MODEL", "GEOQUANT_LLM_API_KEY",
              "GEOQUANT_CONFIG"):
    os.environ.pop(_name, None)
os.environ["XDG_CONFIG_HOME"] = str(Path(__file__).resolve().parent / "no-config-home")

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"


# The default run spreads over two test processes (pytest-xdist; the CI machine has 2 cores),
# each test file whole on one of them, so a file's module fixtures (a trained network, a
# cluster) are built once. Set here rather than in addopts so that ``-p no:xdist`` and
# installs without pytest-xdist still run (addopts' ``-n`` would be an unknown option there).
# ``-n 0`` runs in one process, ``-n 4 --dist load`` otherwise.
TEST_PROCESSES = 2


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """``-n 2 --dist loadfile`` unless the command line chose (before xdist reads them)."""
    if (not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput")
            or config.option.numprocesses is not None or config.option.tx
            or config.option.usepdb):
        return
    config.option.numprocesses = TEST_PROCESSES
    if config.option.dist == "no":
        config.option.dist = "loadfile"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """``cudasim`` tests belong to the slow set: ``-m slow`` runs them, the default run not."""
    for item in items:
        if item.get_closest_marker("cudasim") is not None:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the real test data folder {SHARED_DATA} is absent")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_catalog(tmp_path_factory) -> Path:
    from geoquant.demo import DEMO_DATA
    from geoquant.sources import build_catalog

    out = tmp_path_factory.mktemp("demo-catalog")
    build_catalog(DEMO_DATA, out)
    return out


@pytest.fixture(scope="session")
def demo_api(demo_catalog):
    """A real STAC API (rustac) on a free loopback port, over the demo catalog."""
    from geoquant.sources import CatalogServer

    with CatalogServer(demo_catalog) as server:
        yield server.url


@pytest.fixture(scope="session")
def real_items(shared_data) -> dict[str, list[dict]]:
    """The real Planetary Computer search results, by collection."""
    out = {}
    for path in sorted((shared_data / "stac").glob("*.json")):
        items = json.loads(path.read_text())
        out[items[0]["collection"]] = items
    return out


@pytest.fixture(scope="session")
def real_api(real_items, tmp_path_factory):
    """A real STAC API serving the real items as they are (remote hrefs, real metadata)."""
    from geoquant.sources import CatalogServer

    folder = tmp_path_factory.mktemp("real-catalog")
    for cid, items in real_items.items():
        (folder / cid).mkdir()
        west = min(i["bbox"][0] for i in items)
        south = min(i["bbox"][1] for i in items)
        east = max(i["bbox"][2] for i in items)
        north = max(i["bbox"][3] for i in items)
        collection = {"type": "Collection", "stac_version": "1.0.0", "id": cid,
                      "description": cid, "license": "proprietary", "links": [],
                      "extent": {"spatial": {"bbox": [[west, south, east, north]]},
                                 "temporal": {"interval": [[None, None]]}}}
        (folder / cid / "collection.json").write_text(json.dumps(collection))
        (folder / cid / "items.json").write_text(
            json.dumps({"type": "FeatureCollection", "features": items}))
    with CatalogServer(folder) as server:
        yield server.url


def _cupy_reason() -> str | None:
    try:
        import cupy
    except ImportError:
        return "CuPy is not installed (pip install 'geoquant[gpu]')"
    try:
        if cupy.cuda.is_available():
            return None
    except Exception as err:  # CUDARuntimeError and kin
        return f"CuPy sees no GPU: {err}"
    return "CuPy sees no usable GPU here (cupy.cuda.is_available() is False)"


@pytest.fixture(scope="session")
def cupy():
    """CuPy on a real GPU; tests that take it skip, saying why, where there is none."""
    reason = _cupy_reason()
    if reason is not None:
        pytest.skip(reason)
    import cupy

    return cupy
