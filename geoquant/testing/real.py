"""The real rasters of ``../shared/data`` as geoquant cubes, for tests, benchmarks and recipes.

Each loader takes the data folder (``shared/data``) and raises FileNotFoundError when a file is
missing; tests turn that into a skip.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from geoquant.testing.rasters import as_cube, as_raster

#: Sentinel-2 MSI bands in the order of the Slovenia scenes' last axis.
SLOVENIA_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10",
                  "B11", "B12")
SLOVENIA_GRID = {"crs": "EPSG:32633", "origin": (465181.05, 5080254.63), "resolution": 10.0}
CAMARGUE_VV = "camargue-s1/S1A__IW___A_20150309T173017_VV_grd_mli_geo_norm_db.tif"

#: Position in ``timestamps.json`` of each of the five reference scenes, in the scenes' order:
#: NDVI computed from a scene's B04 and B08 equals ``NDVI.npy`` at exactly that date.
REFERENCE_SCENE_TIMESTAMP_INDEX = (2, 1, 4, 3, 0)


def slovenia_scenes(data: Path) -> Any:
    """The five Sentinel-2 L1C scenes, ``(time, band, y, x)`` float32 TOA reflectance."""
    import json

    folder = Path(data) / "real" / "slovenia-s2"
    scenes = np.load(folder / "REFERENCE_SCENES.npy")
    stamps = json.loads((folder / "timestamps.json").read_text())
    times = [np.datetime64(str(stamps[i])[:19]) for i in REFERENCE_SCENE_TIMESTAMP_INDEX]
    return as_cube(np.moveaxis(scenes, -1, 1), SLOVENIA_BANDS, times=times, **SLOVENIA_GRID)


def slovenia_ndvi_series(data: Path, *, with_scenes: bool = False) -> tuple[Any, Any]:
    """The 68-date NDVI series and its clear-sky mask.

    With ``with_scenes``, the cube also holds the 13 L1C bands of the five reference scenes at
    their dates (NaN at the other 63), as a user with a dense NDVI series and a few full-band
    scenes has.

    Returns
    -------
    tuple of xarray.DataArray
        ``(time, band, y, x)`` float32 NDVI (band ``ndvi``, then the L1C bands) and
        ``(time, y, x)`` bool, True where the date is valid and cloud-free (eo-learn's
        ``IS_VALID`` and ``CLM``).
    """
    import json

    import xarray as xr

    folder = Path(data) / "real" / "slovenia-s2"
    ndvi = np.load(folder / "NDVI.npy")[..., 0]
    clear = np.load(folder / "IS_VALID.npy")[..., 0] & (np.load(folder / "CLM.npy")[..., 0] == 0)
    stamps = json.loads((folder / "timestamps.json").read_text())
    times = [np.datetime64(str(s)[:19]) for s in stamps]
    layers, names = ndvi[:, None], ("ndvi",)
    if with_scenes:
        bands = np.full((len(times), len(SLOVENIA_BANDS), *ndvi.shape[1:]), np.nan, np.float32)
        scenes = np.moveaxis(np.load(folder / "REFERENCE_SCENES.npy"), -1, 1)
        bands[list(REFERENCE_SCENE_TIMESTAMP_INDEX)] = scenes
        layers, names = np.concatenate([layers, bands], axis=1), names + SLOVENIA_BANDS
    cube = as_cube(layers, names, times=times, **SLOVENIA_GRID)
    mask = xr.DataArray(clear, dims=("time", "y", "x"),
                        coords={k: cube.coords[k] for k in ("time", "y", "x")})
    return cube, mask


def slovenia_reference(data: Path) -> Any:
    """The land-cover reference (eo-learn codes, 0 no data), ``(y, x)`` uint16."""
    codes = np.load(Path(data) / "real" / "slovenia-s2" / "LULC.npy")[..., 0]
    raster = as_raster(codes, name="lulc", **SLOVENIA_GRID)
    return raster.rio.write_nodata(0, encoded=False)


def camargue_vv(data: Path) -> Any:
    """The Camargue Sentinel-1 VV scene, ``(band, y, x)`` float32 dB, band ``VV``."""
    import rioxarray

    path = Path(data) / "real" / CAMARGUE_VV
    if not path.exists():
        raise FileNotFoundError(path)
    vv = rioxarray.open_rasterio(path).astype(np.float32)
    return vv.assign_coords(band=["VV"])
