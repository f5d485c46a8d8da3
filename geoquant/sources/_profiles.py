"""What real catalogs serve: per-collection band sets, scaling and quality layers.

A :class:`SensorProfile` says which assets are spectral bands by default, how digital numbers
become physical values, and which asset is the quality layer that :func:`clear_mask` decodes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Sentinel-2 L2A scene classification (SCL) codes that are ground seen clearly:
# 2 dark area / topographic shadow, 4 vegetation, 5 not vegetated, 6 water, 7 unclassified,
# 11 snow or ice. Excluded: 0 no data, 1 saturated or defective, 3 cloud shadow,
# 8 cloud medium probability, 9 cloud high probability, 10 thin cirrus.
S2_SCL_CLEAR = (2, 4, 5, 6, 7, 11)
S2_L2A_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09",
                "B11", "B12")
LANDSAT_C2_L2_BANDS = ("coastal", "blue", "green", "red", "nir08", "swir16", "swir22")
# Landsat Collection 2 QA_PIXEL bits that hide the ground: 0 fill, 1 dilated cloud,
# 2 cirrus, 3 cloud, 4 cloud shadow.
LANDSAT_QA_MASK_BITS = 0b11111


def _s2_scl_clear(codes: np.ndarray) -> np.ndarray:
    return np.isin(codes, S2_SCL_CLEAR)


def _landsat_qa_clear(codes: np.ndarray) -> np.ndarray:
    valid = np.isfinite(codes)
    bits = np.where(valid, codes, 1).astype(np.uint16)
    return valid & ((bits & LANDSAT_QA_MASK_BITS) == 0)


def _cloud_mask_clear(codes: np.ndarray) -> np.ndarray:
    # Cloud-mask layers such as the demo's CLM: 0 clear, 1 cloud, 255 (or NaN) no data.
    return codes == 0


def s2_l2a_scale_offset(item: dict[str, Any]) -> tuple[float, float]:
    """Reflectance = DN * scale + offset for a Sentinel-2 L2A item.

    From processing baseline 04.00 (January 2022) L2A digital numbers carry an offset of
    -1000 (BOA_ADD_OFFSET), so reflectance = (DN - 1000) / 10000; before it, DN / 10000.
    """
    baseline = str(item["properties"].get("s2:processing_baseline", "99.99"))
    try:
        offset = -0.1 if float(baseline) >= 4.0 else 0.0
    except ValueError:
        offset = -0.1
    return 1e-4, offset


@dataclass(frozen=True)
class SensorProfile:
    """How to load one kind of STAC collection.

    Attributes
    ----------
    name
        Human name of the sensor or product.
    default_assets
        Asset keys loaded as bands when the caller names none; ``None`` means every
        single-band data asset except quality layers.
    quality_asset
        Asset key of the cloud / quality layer, if any.
    clear
        Decodes quality-layer values into True where the ground is seen clearly.
    item_scale_offset
        Per-item (scale, offset) applied to digital numbers, for products whose STAC items do
        not carry ``raster:bands`` scale and offset; ``None`` uses the items' own metadata.
    sar
        Whether bands are radar backscatter (linear power or dB).
    """

    name: str
    default_assets: Sequence[str] | None = None
    quality_asset: str | None = None
    clear: Callable[[np.ndarray], np.ndarray] | None = None
    item_scale_offset: Callable[[dict[str, Any]], tuple[float, float]] | None = None
    sar: bool = False
    skip_assets: frozenset[str] = field(default_factory=frozenset)


SENTINEL2_L2A = SensorProfile(
    "Sentinel-2 L2A", S2_L2A_BANDS, "SCL", _s2_scl_clear, s2_l2a_scale_offset,
    skip_assets=frozenset({"SCL", "AOT", "WVP", "visual", "preview"}))
LANDSAT_C2_L2 = SensorProfile(
    "Landsat Collection 2 Level-2", LANDSAT_C2_L2_BANDS, "qa_pixel", _landsat_qa_clear)
SENTINEL1_RTC = SensorProfile("Sentinel-1 RTC", sar=True)
CLOUD_MASKED = SensorProfile("optical with cloud mask", quality_asset="CLM",
                             clear=_cloud_mask_clear)
GENERIC = SensorProfile("generic raster")


def profile_for(items: Sequence[dict[str, Any]]) -> SensorProfile:
    """Choose the profile from the items' collection and properties."""
    item = items[0]
    collection = str(item.get("collection", "")).lower()
    props = item.get("properties", {})
    if "sentinel-2-l2a" in collection or props.get("s2:product_type") == "S2MSI2A":
        return SENTINEL2_L2A
    if "landsat-c2-l2" in collection or "qa_pixel" in item.get("assets", {}):
        return LANDSAT_C2_L2
    if "sar:polarizations" in props or "sentinel-1" in collection:
        return SENTINEL1_RTC
    if "CLM" in item.get("assets", {}):
        return CLOUD_MASKED
    return GENERIC


def is_quality_asset(key: str, asset: dict[str, Any], profile: SensorProfile) -> bool:
    roles = set(asset.get("roles", []))
    return (key == profile.quality_asset or key in profile.skip_assets
            or bool(roles & {"cloud", "cloud-shadow", "metadata", "thumbnail", "overview",
                             "tiles"}))
