"""Type stub of geoquant.sources: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._assets import unreadable_assets_named
from ._catalog import build_catalog
from ._clouds import detect_clouds
from ._grids import native_grids
from ._load import (
    clear_mask,
    load,
)
from ._local import (
    GSD_RANGE_M,
    check_decoded_size,
    check_gsd,
    checked_gsd,
    decoded_size,
    local_metric_grid,
    metric_pixel_sizes,
    open_raster,
)
from ._profiles import (
    is_quality_asset,
    profile_for,
)
from ._region import (
    Region,
    datetime_range,
    region_from,
)
from ._search import search
from ._server import (
    CatalogServer,
    free_port,
)

__all__ = [
    "CatalogServer",
    "GSD_RANGE_M",
    "Region",
    "build_catalog",
    "check_decoded_size",
    "check_gsd",
    "checked_gsd",
    "clear_mask",
    "datetime_range",
    "decoded_size",
    "detect_clouds",
    "free_port",
    "is_quality_asset",
    "load",
    "local_metric_grid",
    "metric_pixel_sizes",
    "native_grids",
    "open_raster",
    "profile_for",
    "region_from",
    "search",
    "unreadable_assets_named",
]
