"""One entry per tile kernel: the array type picks the numba CPU or the GPU version.

NumPy tiles run the numba CPU kernels; CuPy tiles (or NumPy tiles inside
:func:`geoquant._backend.cuda_kernels`) run the GPU kernels of the ``cuda_*`` modules, which
return the same results. GPU modules are imported only when a GPU tile arrives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from geoquant._backend import uses_cuda_kernels


def count_codes(codes: Any, cell_area: np.ndarray) -> tuple[int, int, float, float]:
    """Object and valid pixel counts and areas (m²) of one tile of codes (no halo)."""
    if uses_cuda_kernels(codes):
        from geoquant.ops.kernels.cuda_counts import count_codes as on_gpu

        return on_gpu(codes, cell_area)
    from geoquant.ops.kernels.label import count_codes as on_cpu

    return on_cpu(np.ascontiguousarray(codes, dtype=np.uint8), cell_area)


def object_background_faces(padded: Any) -> tuple[np.ndarray, np.ndarray]:
    """Object|background faces owned by each core row of a padded tile (host int64)."""
    if uses_cuda_kernels(padded):
        from geoquant.ops.kernels.cuda_counts import object_background_faces as on_gpu

        return on_gpu(padded)
    from geoquant.ops.kernels.edges import object_background_faces as on_cpu

    return on_cpu(np.ascontiguousarray(padded, dtype=np.uint8))
