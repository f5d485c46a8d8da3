"""Launch geometry and host transfers shared by the numba.cuda kernels.

The GPU kernels take *device arrays*: CuPy arrays on a GPU (numba reads them through
``__cuda_array_interface__``, no copy), or NumPy arrays under numba's CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``), which runs the same kernels thread by thread on the CPU so that
CI checks them without a GPU. Glue between kernels (prefix sums, gathers) uses the array's
own module, CuPy or NumPy, so one code path serves both.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from geoquant._backend import array_module

THREADS = 256
"""Threads per block of the 1-D launches (8 warps)."""


def blocks(n: int, threads: int = THREADS) -> int:
    """Blocks of ``threads`` that cover ``n`` items (at least one)."""
    return max(1, (int(n) + threads - 1) // threads)


SIMULATOR_THREADS = 32
"""Threads per block under the CUDA simulator, which runs every thread of a block as a Python
thread: small tiles then start few idle ones. The kernels do not depend on the block size."""

_SIMULATOR_LOCK = threading.Lock()


def launch(kernel: Any, n: int, *args: Any) -> None:
    """Run ``kernel`` over ``n`` threads (1-D, :data:`THREADS` per block) on ``args``.

    Under the CUDA simulator, launches from several threads (dask's threaded scheduler) take
    turns (the simulator runs one kernel at a time), with :data:`SIMULATOR_THREADS` per block.
    """
    from numba import config

    if config.ENABLE_CUDASIM:
        with _SIMULATOR_LOCK:
            kernel[blocks(n, SIMULATOR_THREADS), SIMULATOR_THREADS](*args)
    else:
        kernel[blocks(n), THREADS](*args)


def to_host(array: Any) -> np.ndarray:
    """A NumPy copy of a device array (the array itself when it is NumPy already)."""
    if array_module(array) is np:
        return np.asarray(array)
    return array.get()


def to_device(array: Any, like: Any) -> Any:
    """``array`` in the memory of ``like``: CuPy when ``like`` is CuPy, else NumPy."""
    xp = array_module(like)
    return xp.asarray(array)
