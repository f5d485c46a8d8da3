"""``import geoquant.segment`` stays light: torch loads only when a model is built or loaded."""

import subprocess
import sys

HEAVY = ("torch", "cupy", "dask", "xarray", "rasterio", "numba", "zarr")


def test_segment_namespace_and_rules_load_no_heavy_modules():
    code = ("import sys, geoquant.segment as s\n"
            "s.spectral_rules(); s.SarWater(); s.product('io-lulc'); s.canonical_class('trees')\n"
            "s.ensemble(s.spectral_rules(), s.SarWater()); s.SIZES\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_public_names_load_their_modules_on_first_use():
    # One mechanism (lazy_loader over __init__.pyi): importing the namespace loads none of
    # its private modules; every name of __all__ resolves, and the stub lists exactly those.
    code = ("import sys, geoquant.segment as s\n"
            "loaded = [m for m in sys.modules if m.startswith('geoquant.segment._')]\n"
            "missing = [n for n in s.__all__ if getattr(s, n, None) is None]\n"
            "print(loaded, missing, len(s.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1].startswith("[] [] ")
