"""Type stub of geoquant.ops.kernels: its public modules (read at run time by
``geoquant._lazy.attach``; each loads on first use)."""

from . import cpu, cuda, cuda_counts, cuda_edt, cuda_label, dispatch, edges, edt, label

__all__ = [
    "cpu",
    "cuda",
    "cuda_counts",
    "cuda_edt",
    "cuda_label",
    "dispatch",
    "edges",
    "edt",
    "label",
]
