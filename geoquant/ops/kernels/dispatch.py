"""One choice of tile kernels: CPU (numba) or GPU (numba.cuda, CuPy), by the tile's array type.

The operators' tasks call tile kernels through :func:`kernels_for`, which returns one of two
modules with the same functions and the same arguments (:class:`TileKernels`):
:mod:`geoquant.ops.kernels.cpu` for NumPy tiles, :mod:`geoquant.ops.kernels.cuda` for CuPy
tiles. The maths both share is written once (:mod:`geoquant.ops.kernels._targets`).

The array type decides, unless the graph was built with an explicit choice: the Dask
configuration key ``geoquant.kernels`` (``"auto"``, the default; ``"cpu"``; ``"cuda"``) is read
once when an operator builds its graph (:func:`configured_kernels`) and travels in the tasks,
so it holds on any scheduler. ``"cuda"`` on NumPy tiles runs the GPU kernels under numba's CUDA
simulator (``NUMBA_ENABLE_CUDASIM=1``): that is how CI checks the GPU path against the CPU path
without a GPU::

    with dask.config.set({"geoquant.kernels": "cuda"}):
        n = gq.ops.count(mask)
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Protocol

import numpy as np

from geoquant._backend import is_cupy
from geoquant.errors import InvalidOptionError

CONFIG_KEY = "geoquant.kernels"
CHOICES = ("auto", "cpu", "cuda")


class TileKernels(Protocol):
    """What both kernel modules provide (documented in :mod:`geoquant.ops.kernels.cpu`)."""

    NAME: str

    def count_codes(self, codes: Any, cell_area: np.ndarray) -> tuple[int, int, float, float]:
        ...

    def object_background_faces(self, padded: Any) -> tuple[np.ndarray, np.ndarray]: ...

    def transitions(self, before: Any, after: Any, keep: Any, cell_area: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]: ...

    def label_parts(self, padded: Any, conn8: bool) -> Any: ...

    def part_summary(self, padded: Any, parts: Any, row0: int, col0: int, width: int,
                     cell_area: np.ndarray, edge_x: np.ndarray, edge_y: np.ndarray,
                     aux: list[Any]) -> tuple[np.ndarray, tuple, tuple]: ...

    def part_keys(self, padded: Any, parts: Any, row0: int, col0: int, width: int
                  ) -> tuple[np.ndarray, tuple]: ...

    def paint_parts(self, parts: Any, lut: np.ndarray, shape: tuple[int, int],
                    out: Any = None) -> Any: ...

    def column_extremes(self, codes: Any, row0: int) -> np.ndarray: ...

    def border_sites(self, codes: Any, row0: int, col0: int, ncols_total: int,
                     above: np.ndarray, below: np.ndarray, dx: float | np.ndarray,
                     dy: float) -> tuple[np.ndarray, ...]: ...

    def distance_tile(self, codes: Any, row0: int, col0: int, above: np.ndarray,
                      below: np.ndarray, dx: float | np.ndarray, dy: float, left: tuple,
                      right: tuple, excluded_nan: bool, threads: int = 1,
                      out: Any = None) -> Any: ...


def configured_kernels() -> str:
    """The kernel choice of the Dask configuration (``geoquant.kernels``), checked.

    Raises
    ------
    InvalidOptionError
        A value other than ``"auto"``, ``"cpu"`` or ``"cuda"``.
    """
    import dask

    choice = str(dask.config.get(CONFIG_KEY, default="auto")).lower()
    if choice not in CHOICES:
        raise InvalidOptionError(f"dask config {CONFIG_KEY}={choice!r}: use one of "
                                 f"{', '.join(CHOICES)}")
    return choice


def kernels_for(tile: Any, choice: str = "auto") -> ModuleType:
    """The kernel module for ``tile``: GPU for CuPy tiles or ``choice="cuda"``, else CPU.

    ``choice="cpu"`` on a CuPy tile is refused: the CPU kernels cannot read device memory.
    """
    if choice == "cuda" or (choice == "auto" and is_cupy(tile)):
        from geoquant.ops.kernels import cuda

        return cuda
    if choice == "cpu" and is_cupy(tile):
        raise InvalidOptionError(f"{CONFIG_KEY}='cpu' with CuPy tiles: the CPU kernels read "
                                 "host memory; use 'auto' or 'cuda', or move the mask to the "
                                 "host (.get())")
    from geoquant.ops.kernels import cpu

    return cpu
