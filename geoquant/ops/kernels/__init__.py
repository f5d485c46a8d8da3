"""Per-tile kernels on plain arrays, for the CPU (numba) and the GPU (numba.cuda, CuPy).

- :mod:`~geoquant.ops.kernels.dispatch`: the one interface (:class:`TileKernels`) and the one
  choice between the two implementations (:func:`kernels_for`).
- :mod:`~geoquant.ops.kernels.cpu` and :mod:`~geoquant.ops.kernels.cuda`: the implementations,
  with the same functions and arguments.
- ``label``, ``edt``, ``edges``: the numba CPU kernels; ``cuda_label``, ``cuda_edt``,
  ``cuda_counts``: the GPU kernels, whose shared loop bodies are the CPU kernels' own,
  compiled for the device by :mod:`~geoquant.ops.kernels._targets`.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
