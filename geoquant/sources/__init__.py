"""Sources: STAC search, loading into chunked cubes, local rasters and the local STAC API.

Public names (re-exported from private modules):

- :func:`search` — search any STAC API (bbox or GeoJSON region, dates, collections, filters).
- :func:`load` — items into a lazy ``(time, band, y, x)`` cube with CRS (stackstac, or
  odc-stac for mosaics of many items: ``engine=``).
- :func:`clear_mask` — the clear-sky mask (SCL, QA_PIXEL, CLM) on a cube's grid.
- :func:`detect_clouds` — cloud and shadow mask from the bands (s2cloudless) for imagery
  without a quality layer (Sentinel-2 L1C, GeoTIFFs).
- :func:`native_grids` — the grid each item was made on (``proj:transform``).
- :func:`open` — a local COG/GeoTIFF or Zarr store as a DataArray; :func:`local_metric_grid`
  places an image without georeferencing on a local metric grid; :func:`checked_gsd` and
  :func:`check_gsd` refuse implausible pixel sizes and those that contradict a raster's own.
- :func:`profile_for`, :func:`is_quality_asset` — the sensor profile of items and which of
  their assets are quality layers rather than data.
- :func:`build_catalog` — STAC collections and items for a folder of local rasters.
- :class:`CatalogServer` — a real STAC API on loopback (``rustac serve``).
"""

from geoquant.sources._assets import unreadable_assets_named
from geoquant.sources._catalog import build_catalog
from geoquant.sources._clouds import detect_clouds
from geoquant.sources._grids import native_grids
from geoquant.sources._load import clear_mask, load
from geoquant.sources._local import (  # noqa: A004
    GSD_RANGE_M,
    check_decoded_size,
    check_gsd,
    checked_gsd,
    decoded_size,
    local_metric_grid,
    metric_pixel_sizes,
    open,
)
from geoquant.sources._profiles import is_quality_asset, profile_for
from geoquant.sources._region import Region, datetime_range, region_from
from geoquant.sources._search import search
from geoquant.sources._server import CatalogServer, free_port

__all__ = ["CatalogServer", "GSD_RANGE_M", "Region", "build_catalog", "check_decoded_size",
           "check_gsd", "checked_gsd", "clear_mask", "datetime_range", "decoded_size",
           "detect_clouds", "free_port", "is_quality_asset", "load", "local_metric_grid",
           "metric_pixel_sizes", "native_grids", "open", "profile_for", "region_from",
           "search", "unreadable_assets_named"]
