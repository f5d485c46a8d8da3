"""Which array library holds an array, and which kernels run on it.

NumPy arrays run the numba CPU kernels; CuPy arrays run the numba.cuda / CuPy GPU kernels, end
to end on the device. The array type decides, never a flag, with one exception kept for tests:
:func:`cuda_kernels` routes NumPy tiles through the GPU kernels, which under numba's CUDA
simulator (``NUMBA_ENABLE_CUDASIM=1``) run on the CPU, so CI checks the GPU path against the
CPU path without a GPU.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

_FORCED = [False]


def array_module(array: Any) -> Any:
    """NumPy or CuPy, whichever holds ``array``; CuPy is imported only for CuPy arrays."""
    if is_cupy(array):
        import cupy

        return cupy
    return np


def is_cupy(array: Any) -> bool:
    """Whether ``array`` is a CuPy array (checked by type, without importing CuPy)."""
    return type(array).__module__.startswith("cupy")


def uses_cuda_kernels(array: Any) -> bool:
    """Whether tiles like ``array`` go to the GPU kernels (CuPy, or inside :func:`cuda_kernels`)."""
    return is_cupy(array) or _FORCED[0]


@contextlib.contextmanager
def cuda_kernels() -> Iterator[None]:
    """Within the block, NumPy tiles run the GPU kernels too (for tests under the simulator).

    Tasks must run in this process (dask's threaded or synchronous scheduler).
    """
    before = _FORCED[0]
    _FORCED[0] = True
    try:
        yield
    finally:
        _FORCED[0] = before
