"""Sources: STAC search, loading into chunked cubes, local rasters and the local STAC API.

Public names (re-exported from private modules):

- :func:`search` — search any STAC API (bbox or GeoJSON region, dates, collections, filters).
- :func:`load` — items into a lazy ``(time, band, y, x)`` cube with CRS (stackstac, or
  odc-stac for mosaics of many items: ``engine=``).
- :func:`clear_mask` — the clear-sky mask (SCL, QA_PIXEL, CLM) on a cube's grid.
- :func:`detect_clouds` — cloud and shadow mask from the bands (s2cloudless) for imagery
  without a quality layer (Sentinel-2 L1C, GeoTIFFs).
- :func:`native_grids` — the grid each item was made on (``proj:transform``).
- :func:`open_raster` — a local COG/GeoTIFF or Zarr store as a DataArray (``open``, its
  former name, stays a deprecated alias for one release); :func:`local_metric_grid`
  places an image without georeferencing on a local metric grid; :func:`checked_gsd` and
  :func:`check_gsd` refuse implausible pixel sizes and those that contradict a raster's own.
- :func:`profile_for`, :func:`is_quality_asset` — the sensor profile of items and which of
  their assets are quality layers rather than data.
- :func:`build_catalog` — STAC collections and items for a folder of local rasters.
- :class:`CatalogServer` — a real STAC API on loopback (``rustac serve``).
"""

from geoquant._lazy import Alias as _Alias
from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__, deprecated={
    "open": _Alias("._local", "open_raster", "geoquant.sources.open_raster"),
})
