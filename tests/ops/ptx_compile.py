"""Compile the numba.cuda kernels to PTX for a real GPU, without a GPU.

Usage: ``python tests/ops/ptx_compile.py [module ...]`` (no module: every module of
:data:`SIGNATURES`).

CI runs the GPU kernels under numba's CUDA simulator, which executes them as Python and so
cannot catch code that CUDA compilation rejects (``np.ceil`` in a kernel, say). This script
compiles every ``@cuda.jit`` kernel of the named modules with NVVM for compute capability
:data:`CC` (H200), with the argument types the modules' host wrappers pass, and exits non-zero
naming the kernel and numba's error on any failure. Device functions compile through the
kernels that call them.

It needs NVVM and libdevice, from the pip wheel ``nvidia-cuda-nvcc-cu12`` (the ``test`` extra):
``CUDA_HOME`` defaults to its ``nvidia/cuda_nvcc`` folder. The simulator must be off
(``NUMBA_ENABLE_CUDASIM`` unset or 0); numba reads it at import, so run this in a process of its
own. No driver is needed: the current device is faked as one of compute capability :data:`CC`.

Every kernel of a listed module must be in its table (a kernel added without an entry fails),
and every entry must name a kernel of the module.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import time
import types

from numba.types import boolean, float64, int32, int64, uint8

CC = (9, 0)
"""Compute capability compiled for: the H200 (sm_90)."""

# Argument types as the host wrappers pass them: NumPy/CuPy arrays made C-contiguous by the
# wrappers (``xp.empty``/``zeros``/``full``/``ascontiguousarray``, reshapes of those), Python
# ints as int64, Python floats as float64, Python bools as boolean.
U8_2D = uint8[:, ::1]
I32_1D, I32_2D = int32[::1], int32[:, ::1]
I64_1D, I64_2D = int64[::1], int64[:, ::1]
F64_1D, F64_2D, F64_3D = float64[::1], float64[:, ::1], float64[:, :, ::1]


SIGNATURES: dict[str, dict[str, tuple]] = {
    "geoquant.ops.kernels.cuda_label": {
        # label_tile(padded, conn8)
        "_init": (U8_2D, I32_1D),
        "_merge": (U8_2D, I32_1D, boolean),
        "_flatten": (I32_1D,),
        "_number": (I32_1D, I32_1D, I32_1D),
        # part_stats(...): padded, parts.local (h, w), row0, col0, cell_area, edge_x, edge_y,
        # aux (k, h, w), cells, area, sum_row, sum_col, row_min, row_max, col_min, col_max,
        # faces_x, faces_y, perimeter, aux_min (k, n + 1)
        "_run_stats": (U8_2D, I32_2D, int64, int64, F64_1D, F64_1D, F64_1D, F64_3D,
                       I64_1D, F64_1D, I64_1D, I64_1D, I64_1D, I64_1D, I64_1D, I64_1D,
                       I64_1D, I64_1D, F64_1D, F64_2D),
    },
    "geoquant.ops.kernels.cuda_counts": {
        # object_background_faces(padded)
        "_faces": (U8_2D, I64_1D, I64_1D),
    },
    # column_extremes, vertical_squared, border_sites (_side_sites), distance_tile
    "geoquant.ops.kernels.cuda_edt": {
        "_extremes": (U8_2D, int64, I64_2D),
        "_vertical": (U8_2D, int64, I64_1D, I64_1D, float64, F64_2D),
        "_side": (F64_2D, int64, int64, int64, int64, F64_1D, boolean, I64_2D, F64_2D,
                  F64_2D, F64_2D, F64_2D, I64_2D, F64_2D, I64_1D),
        "_rows": (F64_2D, U8_2D, int64, F64_1D, I64_1D, I64_1D, F64_1D, I64_1D, I64_1D, F64_1D,
                  boolean, F64_2D, F64_2D, F64_2D, F64_2D),
    },
}


class ListError(Exception):
    """A module missing from the table, or a table that does not match its module."""


def nvcc_home() -> str | None:
    """The ``nvidia/cuda_nvcc`` folder of the ``nvidia-cuda-nvcc-cu12`` wheel, if installed."""
    try:
        spec = importlib.util.find_spec("nvidia.cuda_nvcc")
    except ModuleNotFoundError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return list(spec.submodule_search_locations)[0]


def kernels_of(module: types.ModuleType) -> dict[str, object]:
    """The ``@cuda.jit`` kernels (not device functions) defined in a module."""
    from numba.cuda.dispatcher import CUDADispatcher

    return {name: value for name, value in vars(module).items()
            if isinstance(value, CUDADispatcher) and not value.targetoptions.get("device")
            and value.py_func.__module__ == module.__name__}


def fake_device() -> None:
    """Make numba's current device one of compute capability :data:`CC` (no driver here)."""
    from numba.cuda import api, compiler, dispatcher

    fake = types.SimpleNamespace(compute_capability=CC)
    api.get_current_device = lambda: fake
    dispatcher.get_current_device = lambda: fake
    compiler.get_current_device = lambda: fake


def compile_module(name: str) -> list[str]:
    """Compile every kernel of module ``name``; print a line per kernel, return the failures."""
    from numba import cuda

    if name not in SIGNATURES:
        raise ListError(f"{name}: not in SIGNATURES of {__file__}; add its kernels' types")
    table = SIGNATURES[name]
    module = importlib.import_module(name)
    found = kernels_of(module)
    missing = sorted(set(found) - set(table))
    stale = sorted(set(table) - set(found))
    problems = []
    if missing:
        problems.append(f"{name}: kernels missing from its table in SIGNATURES: "
                        f"{', '.join(missing)}")
    if stale:
        problems.append(f"{name}: SIGNATURES names no kernel of the module: {', '.join(stale)}")
    if problems:
        raise ListError("\n".join(problems))
    failures = []
    for kname in sorted(table):
        kernel = found[kname]
        opts = kernel.targetoptions
        start = time.perf_counter()
        try:
            ptx, _ = cuda.compile_ptx(kernel.py_func, table[kname], cc=CC,
                                      debug=bool(opts.get("debug")),
                                      lineinfo=bool(opts.get("lineinfo")),
                                      fastmath=bool(opts.get("fastmath")),
                                      opt=bool(opts.get("opt", True)))
        except Exception as err:  # numba's typing, lowering and NVVM errors alike
            failures.append(f"{name}.{kname}: FAILED to compile for sm_{CC[0]}{CC[1]}\n"
                            f"{type(err).__name__}: {err}")
            print(f"FAIL {name}.{kname}", flush=True)
            continue
        print(f"ok   {name}.{kname}: {len(ptx)} bytes of PTX "
              f"({time.perf_counter() - start:.2f} s)", flush=True)
    return failures


def main(argv: list[str]) -> int:
    from numba import config

    if config.ENABLE_CUDASIM:
        print("NUMBA_ENABLE_CUDASIM is on: the simulator compiles nothing; run with it unset "
              "or 0", file=sys.stderr)
        return 2
    if not os.environ.get("CUDA_HOME"):
        home = nvcc_home()
        if home is None:
            print("no NVVM: install nvidia-cuda-nvcc-cu12 (the test extra) or set CUDA_HOME",
                  file=sys.stderr)
            return 2
        os.environ["CUDA_HOME"] = home
    fake_device()
    failures = []
    for name in argv or SIGNATURES:
        try:
            failures += compile_module(name)
        except ListError as err:
            failures.append(str(err))
        except Exception as err:  # the module failed to import
            failures.append(f"{name}: cannot import: {type(err).__name__}: {err}")
    if failures:
        print("\n" + "\n\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
