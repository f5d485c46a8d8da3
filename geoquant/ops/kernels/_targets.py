"""One loop body, two targets: numba CPU functions compiled again as CUDA device functions.

The maths of a tile kernel is written once, as a plain numba CPU function (``@njit``) whose
body uses only what both targets compile: scalar ``math`` functions, ``np.float64``/``np.int64``
casts and constants, indexing and loops; no ``min``/``max`` builtins (numba's CUDA target fails
to type them for a real device) and no array allocation. :func:`device_function` compiles the
same Python body for the GPU, with the other kernels it calls by name bound to *their* device
versions, so a GPU kernel is a few lines that pick its thread's row or column and call the
shared body, and both targets take the same decisions in the same order.

Calls by name are why the rebinding is needed: a CPU body that calls ``_push`` finds the CPU
dispatcher in its module's globals, which neither a GPU nor numba's CUDA simulator can run.
"""

from __future__ import annotations

import types
from typing import Any


def device_function(kernel: Any, **callees: Any) -> Any:
    """The CUDA device function of a numba CPU function's Python body.

    Parameters
    ----------
    kernel : numba dispatcher or function
        The CPU function (``@njit``); its ``py_func`` is compiled.
    **callees
        Global names the body calls, bound to their device functions (the result of this
        function for those kernels).

    Returns
    -------
    numba.cuda dispatcher
        ``cuda.jit(device=True)`` of the body (a simulated device function under
        ``NUMBA_ENABLE_CUDASIM=1``).
    """
    from numba import cuda

    body = getattr(kernel, "py_func", kernel)
    scope = {**body.__globals__, **callees}
    rebound = types.FunctionType(body.__code__, scope, body.__name__, body.__defaults__,
                                 body.__closure__)
    rebound.__doc__ = body.__doc__
    rebound.__module__ = body.__module__
    rebound.__qualname__ = body.__qualname__
    return cuda.jit(device=True)(rebound)
