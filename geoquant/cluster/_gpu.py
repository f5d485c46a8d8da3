"""Whether this machine can run a ``local-gpu`` cluster, and if not, why, in a few words."""

from __future__ import annotations


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def is_nvml_error(err: BaseException) -> bool:
    """An error raised by NVML (``pynvml.NVMLError`` and its subclasses, matched by name)."""
    return any(cls.__name__.startswith("NVMLError") for cls in type(err).__mro__)


def nvml_reason(err: BaseException) -> str:
    """A few words for an NVML error: the library missing, no driver, or NVML's own text."""
    name = type(err).__name__
    if name == "NVMLError_LibraryNotFound":
        return "NVML library missing"
    if name == "NVMLError_DriverNotLoaded":
        return "NVIDIA driver not loaded"
    return f"NVML error: {_first_line(err)}"


def gpu_unavailable_reason() -> str | None:
    """Why no ``LocalCUDACluster`` can start here, or ``None`` when a GPU looks usable.

    Checks, in order: dask-cuda imports; NVML loads and counts at least one device; where cupy
    is installed, its CUDA runtime is available. Never raises.
    """
    try:
        import dask_cuda  # noqa: F401
    except ImportError as err:
        if getattr(err, "name", None) == "dask_cuda":
            return "dask-cuda is not installed: pip install 'geoquant[gpu]'"
        return f"dask-cuda cannot be imported: {_first_line(err)}"
    except Exception as err:  # a broken CUDA install raises anything on import
        return f"dask-cuda cannot be imported: {_first_line(err)}"
    try:
        import pynvml

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
    except ImportError:
        return "NVML bindings (nvidia-ml-py) are not installed"
    except Exception as err:  # NVMLError subclasses, by name
        return nvml_reason(err) if is_nvml_error(err) else f"NVML failed: {_first_line(err)}"
    if count == 0:
        return "NVML sees no device"
    try:
        import cupy
    except ImportError:
        return None
    try:
        if not cupy.cuda.is_available():
            return "the CUDA runtime sees no usable device (cupy.cuda.is_available() is False)"
    except Exception as err:  # cupy raises CUDARuntimeError and others
        return f"the CUDA runtime failed: {_first_line(err)}"
    return None
