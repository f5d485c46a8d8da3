"""Importing the scripts of ``benchmarks/`` as modules in the test session.

The scripts import their helpers as ``_common`` (Python puts a script's folder first on the
path), and so do the recipes (``recipes/_common.py``): in one session the first one imported
would be handed to everyone. :func:`import_benchmarks` loads the benchmarks' own ``_common``
and leaves ``sys.modules`` as it found it.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="session")
def import_benchmarks():
    """``import_benchmarks("labels", "distance")``: those scripts as modules (a tuple)."""
    def load(*names: str) -> tuple[ModuleType, ...]:
        taken = {n: sys.modules.pop(n) for n in ("_common", *names) if n in sys.modules}
        sys.path.insert(0, str(BENCHMARKS))
        try:
            return tuple(importlib.import_module(n) for n in names)
        finally:
            sys.path.remove(str(BENCHMARKS))
            for name in ("_common", *names):
                sys.modules.pop(name, None)
            sys.modules.update(taken)
    return load
