"""Which array library holds an array: NumPy or CuPy, told apart without importing CuPy.

Which tile kernels run on an array is chosen in one place,
:func:`geoquant.ops.kernels.dispatch.kernels_for`.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def array_module(array: Any) -> Any:
    """NumPy or CuPy, whichever holds ``array``; CuPy is imported only for CuPy arrays."""
    if is_cupy(array):
        import cupy

        return cupy
    return np


def is_cupy(array: Any) -> bool:
    """Whether ``array`` is a CuPy array (checked by type, without importing CuPy)."""
    return type(array).__module__.startswith("cupy")
