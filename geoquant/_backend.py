"""Which array library holds an array: NumPy, or CuPy on a GPU (imported only when it does)."""

from __future__ import annotations

from typing import Any

import numpy as np


def array_module(array: Any) -> Any:
    """NumPy or CuPy, whichever holds ``array``; CuPy is imported only for CuPy arrays."""
    if type(array).__module__.startswith("cupy"):
        import cupy

        return cupy
    return np
