"""Fixtures of the monitor tests (helpers live in monitor_kit)."""

from __future__ import annotations

import pytest
from monitor_kit import LiveCatalog


@pytest.fixture
def live_catalog(tmp_path) -> LiveCatalog:
    """A real STAC API on a loopback port of its own, served over chosen demo items."""
    return LiveCatalog(tmp_path / "stac")
