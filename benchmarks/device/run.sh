#!/usr/bin/env bash
# The whole GPU check in one call on the lent machine (device tool), from the repository root:
#   run(command="bash benchmarks/device/run.sh", carry=[".whl"], timeout_s=540)
# after `bash benchmarks/device/fetch_wheels.sh` here. It installs the carried wheels, runs the
# GPU tests for real (CuPy and numba.cuda, no simulator) and benchmarks/gpu.py; logs and the
# JSON land in $OUT.
set -uo pipefail
export PYTHONUNBUFFERED=1
OUT=${OUT:-/tmp/gq-out}
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/device.txt"
python3 -c "import cupy, numba.cuda, geoquant.ops; print(cupy.__version__, cupy.cuda.is_available(), numba.cuda.is_available())" \
    2>&1 | tee -a "$OUT/device.txt"
timeout 200 python3 -m pytest -q -p no:cacheprovider -m gpu -o addopts="" tests \
    2>&1 | tee "$OUT/gpu-tests.log" | tail -25
timeout 300 python3 benchmarks/gpu.py --sizes ${GQ_SIZES:-4096 8192 16384 32768} \
    --json "$OUT/gpu.json" 2>"$OUT/gpu-progress.log" | tee "$OUT/gpu.md"
tail -5 "$OUT/gpu-progress.log"
