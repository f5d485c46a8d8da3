"""Importing geoquant.sinks loads none of the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("xarray", "zarr", "dask", "rioxarray", "rasterio", "numcodecs", "numpy", "pyproj")


def test_importing_sinks_is_light():
    code = (
        "import sys, geoquant.sinks as s; "
        "s.write_zarr, s.open_zarr, s.write_json; "
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""
