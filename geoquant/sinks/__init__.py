"""Outputs that GIS software and people read: georeferenced Zarr stores and answer JSON.

Every writer produces its output whole or not at all: it writes into a hidden sibling of the
target and renames it into place only when complete. Heavy libraries (xarray, zarr, dask) are
imported by the functions that need them, so importing this package is instant.

- :func:`write_zarr` writes a raster Dataset or DataArray as Zarr (v2 by default) with its CRS
  and transform readable by xarray/rioxarray and by GDAL (QGIS, ``gdalinfo``, rasterio).
- :func:`open_zarr` opens such a store lazily, with its CRS.
- :func:`write_json` writes an answer summary as strict JSON.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
