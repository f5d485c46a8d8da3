"""Outputs that GIS software and people read: georeferenced Zarr stores and answer JSON.

Every writer produces its output whole or not at all: it writes into a hidden sibling of the
target and renames it into place only when complete. Heavy libraries (xarray, zarr, dask) are
imported by the functions that need them, so importing this package is instant.

- :func:`write_zarr` writes a raster Dataset or DataArray as Zarr (v2 by default) with its CRS
  and transform readable by xarray/rioxarray and by GDAL (QGIS, ``gdalinfo``, rasterio).
- :func:`open_zarr` opens such a store lazily, with its CRS.
- :func:`write_json` writes an answer summary as strict JSON.
"""

from __future__ import annotations

from geoquant.sinks._atomic import atomic_output, check_output_path
from geoquant.sinks._json import to_jsonable, write_json
from geoquant.sinks._zarr import open_zarr, write_zarr

__all__ = [
    "atomic_output", "check_output_path", "open_zarr", "to_jsonable", "write_json", "write_zarr",
]
