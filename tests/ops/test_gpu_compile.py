"""The numba.cuda kernels compile for a real GPU (PTX for sm_90), checked without one.

The GPU tests run the kernels under numba's CUDA simulator, which accepts Python that CUDA
compilation rejects; ``ptx_compile.py`` compiles them with NVVM (the ``nvidia-cuda-nvcc-cu12``
wheel), in a process of its own since the simulator is on in this one.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("ptx_compile.py")
ROOT = Path(__file__).resolve().parents[2]

_spec = importlib.util.spec_from_file_location("_ptx_compile", SCRIPT)
ptx_compile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ptx_compile)


@pytest.mark.parametrize("module", sorted(ptx_compile.SIGNATURES))
def test_kernels_compile_to_ptx(module, tmp_path):
    home = ptx_compile.nvcc_home()
    if home is None:
        pytest.skip("NVVM is absent: nvidia-cuda-nvcc-cu12 is not installed "
                    "(pip install 'geoquant[test]')")
    env = dict(os.environ)
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    env["CUDA_HOME"] = home
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "numba-cache")  # nothing cached in the package
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, str(SCRIPT), module], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (
        f"{module}: kernels fail to compile to PTX (rc {proc.returncode})\n"
        f"--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")


def test_every_gpu_kernel_module_has_a_table():
    kernels = ROOT / "geoquant" / "ops" / "kernels"
    modules = {f"geoquant.ops.kernels.{path.stem}" for path in kernels.glob("cuda_*.py")}
    assert modules == set(ptx_compile.SIGNATURES)
