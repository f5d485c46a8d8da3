#!/usr/bin/env bash
# Wheels that the lent GPU machine's image lacks (it has Python 3.12, torch, CuPy, numba,
# numba-cuda, xarray, scipy, scikit-image, pandas, pyyaml; no registry access). Run here, in
# the repository root; `.whl/` is git-ignored and travels with `carry: [".whl"]`.
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
mkdir -p .whl
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
    --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux_2_26_x86_64 --platform manylinux_2_24_x86_64 -d .whl \
    dask==2026.7.1 distributed==2026.7.1 dask-cuda==26.10.0 rioxarray==0.19.0 \
    rasterio==1.4.4 pyproj==3.7.2 affine==3.0.1 shapely==2.2.0 \
    partd locket tblib zict tornado click-plugins cligj jsonschema==4.25.1 \
    jsonschema-specifications==2025.9.1 referencing==0.37.0 rpds-py==2026.9.1
du -sh .whl
