"""Type stub of geoquant.sinks: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._atomic import (
    atomic_output,
    check_output_path,
)
from ._json import (
    to_jsonable,
    write_json,
)
from ._zarr import (
    open_zarr,
    write_zarr,
)

__all__ = [
    "atomic_output",
    "check_output_path",
    "open_zarr",
    "to_jsonable",
    "write_json",
    "write_zarr",
]
