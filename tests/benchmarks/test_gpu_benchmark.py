"""benchmarks/gpu.py runs end to end: under the CUDA simulator here, on a GPU for real.

The simulated run (48² masks, NumPy tiles through the numba.cuda kernels) checks the script's
plumbing and that every GPU answer it reports agrees with the CPU path and scipy; its timings
mean nothing and are not looked at.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.cudasim  # 20-60 s of the CUDA simulator: with the slow set
def test_simulated_gpu_benchmark_agrees_everywhere(tmp_path):
    out = tmp_path / "gpu.json"
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--simulate",
                           "--masks", "blobs", "--json", str(out)], capture_output=True,
                          text=True, env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = json.loads(out.read_text())["rows"]
    assert {r["what"] for r in rows} == {"copy", "label", "distance", "fragmentation", "segment",
                                         "end-to-end"}
    checked = [r for r in rows if "agrees" in r]
    assert len(checked) >= 4 and all(r["agrees"] for r in checked)
    assert "| label | label-kernel | blobs | 48 |" in done.stdout
