"""Per-tile kernels on plain arrays: numba on the CPU (GPU kernels join them in issue 6)."""
