"""Matching the bands a segmenter needs to the bands a cube carries.

Segmenters ask for bands by STAC ``eo:common_name`` (``green``, ``nir``, ``swir16``) or by
polarization (``vv``, ``vh``). Cubes name bands as their catalog does: Sentinel-2 ``B03``,
Landsat ``green``, Sentinel-1 ``VV``. This table joins the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from geoquant.errors import BandError

#: Band names of common sensors -> STAC common name (Sentinel-2 MSI, Landsat 8/9 OLI, SAR).
COMMON_NAMES: MappingProxyType[str, str] = MappingProxyType({
    "b01": "coastal", "b02": "blue", "b03": "green", "b04": "red", "b05": "rededge1",
    "b06": "rededge2", "b07": "rededge3", "b08": "nir", "b8a": "nir08", "b09": "nir09",
    "b10": "cirrus", "b11": "swir16", "b12": "swir22",
    "coastal": "coastal", "blue": "blue", "green": "green", "red": "red", "nir": "nir",
    "nir08": "nir08", "nir09": "nir09", "swir16": "swir16", "swir22": "swir22",
    "swir1": "swir16", "swir2": "swir22", "cirrus": "cirrus",
    "rededge1": "rededge1", "rededge2": "rededge2", "rededge3": "rededge3",
    "vv": "vv", "vh": "vh", "hh": "hh", "hv": "hv",
})

# A segmenter asking for "nir" accepts the narrow NIR band (Landsat nir08, Sentinel-2 B8A)
# where the broad one is missing.
_STAND_INS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({"nir": ("nir08",)})

_EXAMPLES: MappingProxyType[str, str] = MappingProxyType({
    "blue": "Sentinel-2 B02", "green": "Sentinel-2 B03", "red": "Sentinel-2 B04",
    "nir": "Sentinel-2 B08 or Landsat nir08", "swir16": "Sentinel-2 B11 or Landsat swir16",
    "swir22": "Sentinel-2 B12 or Landsat swir22", "vv": "Sentinel-1 VV", "vh": "Sentinel-1 VH",
})


def common_name(band: str) -> str:
    """The STAC common name of a band name (``"B03"`` -> ``"green"``); unknown names as given."""
    key = str(band).strip().lower()
    return COMMON_NAMES.get(key, key)


def band_names(cube: Any) -> tuple[str, ...]:
    """Common names of a cube's bands, read from its ``common_name`` or ``band`` coordinate."""
    for coord in ("common_name", "band", "polarization"):
        if coord in getattr(cube, "coords", {}):
            values = cube.coords[coord].values
            return tuple(common_name(v) for v in values.reshape(-1))
    raise BandError("the cube has no 'band' coordinate naming its bands: give it one, e.g. "
                    "cube.assign_coords(band=['B02', 'B03', 'B04', 'B08'])")


def band_indices(available: Sequence[str], needed: Sequence[str], *, who: str) -> list[int]:
    """Positions of the needed bands among the available ones.

    Parameters
    ----------
    available : sequence of str
        The tile's bands, any naming (``B03``, ``green``, ``VV``).
    needed : sequence of str
        Common names the segmenter reads.
    who : str
        The segmenter, for the error message.

    Raises
    ------
    BandError
        Naming every missing band and the cube's bands.
    """
    names = [common_name(b) for b in available]
    found, missing = [], []
    for band in needed:
        wanted = common_name(band)  # "B04" or "red" alike
        options = (wanted, *_STAND_INS.get(wanted, ()))
        hit = next((names.index(o) for o in options if o in names), None)
        if hit is None:
            missing.append(band)
        else:
            found.append(hit)
    if missing:
        described = ", ".join(f"{m} ({_EXAMPLES[m]})" if m in _EXAMPLES else m for m in missing)
        raise BandError(f"{who} needs band(s) {described}, which the cube lacks; it has "
                        f"{', '.join(map(str, available)) or 'no bands'}. Load the missing "
                        f"assets or choose a segmenter for these bands")
    return found
