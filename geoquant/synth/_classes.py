"""The class table of synthetic scenes and the signal each class gives in optical and SAR bands.

Codes are small integers so that a land-cover chunk is a ``uint8`` array. Code 0 is reserved
for nodata and is never produced: every pixel of a synthetic scene has a class.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = [
    "BUILDING",
    "CLASSES",
    "CROPLAND",
    "FOREST",
    "GRASSLAND",
    "LAKE",
    "NODATA",
    "OPTICAL_BANDS",
    "RIVER",
    "ROAD",
    "SAR_POLARIZATIONS",
    "WATER_CODES",
]

NODATA = 0
LAKE = 1
FOREST = 2
CROPLAND = 3
GRASSLAND = 4
ROAD = 5
BUILDING = 6
RIVER = 7

#: Class code -> name. ``water`` is standing water (lakes); ``river`` is running water. Both are
#: water: use :data:`WATER_CODES` for a water mask.
CLASSES: MappingProxyType[int, str] = MappingProxyType(
    {
        LAKE: "water",
        FOREST: "forest",
        CROPLAND: "cropland",
        GRASSLAND: "grassland",
        ROAD: "road",
        BUILDING: "building",
        RIVER: "river",
    }
)

#: Codes whose pixels are open water (lakes and rivers).
WATER_CODES: tuple[int, ...] = (LAKE, RIVER)

#: Sentinel-2 band names of the ``optical`` variable, in order: blue, green, red, nir, swir16,
#: swir22.
OPTICAL_BANDS: tuple[str, ...] = ("B02", "B03", "B04", "B08", "B11", "B12")

#: Polarizations of the ``sar`` variable, in order.
SAR_POLARIZATIONS: tuple[str, ...] = ("VV", "VH")

# Mean surface reflectance (0..1) per class and band (B02, B03, B04, B08, B11, B12), in the
# range of Sentinel-2 L2A over temperate Europe. Water: green above SWIR (MNDWI > 0) and very low
# NIR; vegetation: high NIR; built-up: high SWIR. Cropland mixes BARE_SOIL and GREEN_CROP per
# parcel, so that fields differ from one another as they do in summer imagery.
REFLECTANCE: dict[int, tuple[float, ...]] = {
    NODATA: (0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
    LAKE: (0.060, 0.070, 0.045, 0.025, 0.012, 0.008),
    FOREST: (0.025, 0.045, 0.025, 0.330, 0.160, 0.070),
    CROPLAND: (0.050, 0.080, 0.060, 0.380, 0.220, 0.120),
    GRASSLAND: (0.040, 0.070, 0.050, 0.300, 0.200, 0.110),
    ROAD: (0.100, 0.110, 0.120, 0.150, 0.200, 0.180),
    BUILDING: (0.140, 0.150, 0.170, 0.220, 0.300, 0.260),
    RIVER: (0.070, 0.085, 0.060, 0.040, 0.020, 0.014),
}
BARE_SOIL: tuple[float, ...] = (0.080, 0.100, 0.130, 0.200, 0.290, 0.230)
GREEN_CROP: tuple[float, ...] = (0.035, 0.075, 0.040, 0.450, 0.200, 0.090)

# Mean backscatter in dB per class (VV, VH), C-band: specular water very dark, volume
# scattering of forest bright in VH, double bounce of buildings brightest.
BACKSCATTER_DB: dict[int, tuple[float, float]] = {
    NODATA: (0.0, 0.0),
    LAKE: (-22.0, -29.0),
    FOREST: (-8.0, -14.0),
    CROPLAND: (-11.0, -18.0),
    GRASSLAND: (-12.0, -19.0),
    ROAD: (-15.0, -23.0),
    BUILDING: (0.0, -7.0),
    RIVER: (-20.0, -27.0),
}
# Cropland VH moves with the crop's biomass: bare parcels are this much darker than green ones.
CROP_VH_RANGE_DB = 5.0
