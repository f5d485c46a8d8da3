"""``import geoquant.monitor`` stays light: the CLI adds its commands without heavy imports."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("dask", "distributed", "xarray", "rioxarray", "rasterio", "pyproj", "shapely", "scipy",
         "torch", "numba", "zarr", "numcodecs", "pystac_client", "stackstac", "yaml", "numpy")


def test_import_loads_no_heavy_modules():
    code = ("import sys, argparse, geoquant.monitor\n"
            "p = argparse.ArgumentParser()\n"
            "geoquant.monitor.add_commands(p.add_subparsers())\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
