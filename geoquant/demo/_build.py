"""Build the demo region's COGs from the real rasters in ``../shared/data``.

This runs once, by a developer, when the demo data change; the package carries its output in
``geoquant/data/demo``. A test rebuilds into a temporary folder and checks the carried files
are exactly what this produces, and that every pixel lands where the source says it should.

Layout written (one folder per collection, one per item, one single-band COG per asset):

``<collection>/collection.json``   title, description, licence and attribution of the source;
``<collection>/<item>/<asset>.tif`` with GDAL metadata tags that ``build_catalog`` reads:
``datetime`` (ISO 8601), ``stac_properties`` (JSON of extra item properties) and per band
``name``, ``common_name``, ``unit``, ``classes`` (JSON).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from geoquant.testing.real import REFERENCE_SCENE_TIMESTAMP_INDEX

# Slovenia: the grid from bbox.geojson; rows run north to south (checked against LULC.gpkg).
SLOVENIA_BOUNDS = (465181.0522318204, 5079244.8912012065, 466180.53145382757, 5080254.63349641)
SLOVENIA_SHAPE = (101, 100)
SLOVENIA_EPSG = 32633

# Sentinel-2 MSI bands in REFERENCE_SCENES order, with STAC eo common names.
S2_BANDS = (
    ("B01", "coastal"), ("B02", "blue"), ("B03", "green"), ("B04", "red"),
    ("B05", "rededge"), ("B06", "rededge"), ("B07", "rededge"), ("B08", "nir"),
    ("B8A", "nir08"), ("B09", "nir09"), ("B10", "cirrus"), ("B11", "swir16"),
    ("B12", "swir22"),
)  # fmt: skip

# REFERENCE_SCENES carries no dates: REFERENCE_SCENE_TIMESTAMP_INDEX (geoquant.testing.real)
# dates them by the one frame of NDVI.npy that each scene's NDVI equals exactly.

SLOVENIA_LULC_CLASSES = {
    0: "no data", 1: "cultivated land", 2: "forest", 3: "grassland",
    4: "shrubland", 8: "artificial surface",
}  # fmt: skip

CLOUD_MASK_CLASSES = {0: "clear", 1: "cloud", 255: "no data"}

ATTRIBUTION = {
    "slovenia": (
        "Sentinel-2 scenes, NDVI, cloud masks and land-cover reference from the eo-learn "
        "project's example data (sentinel-hub/eo-learn, MIT licence); imagery contains "
        "modified Copernicus Sentinel data."
    ),
    "camargue": (
        "Sentinel-1 VV backscatter from the pyroSAR project's test data "
        "(johntruckenbrodt/pyroSAR, MIT licence); contains modified Copernicus Sentinel data."
    ),
    "lausanne": (
        "Land-use maps from the pylandstats project's test data (martibosch/pylandstats, "
        "GPL-3.0), derived from the Swiss Federal Statistical Office's land-use statistics."
    ),
}


def _write_cog(path: Path, array: np.ndarray, *, transform, epsg: int, nodata, tags: dict,
               band_tags: dict) -> None:
    import rasterio

    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "COG", "width": array.shape[1], "height": array.shape[0], "count": 1,
        "dtype": array.dtype.name, "crs": f"EPSG:{epsg}", "transform": transform,
        "nodata": nodata, "compress": "DEFLATE", "blocksize": 256,
    }  # fmt: skip
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array, 1)
        dst.update_tags(**{k: v for k, v in tags.items() if v is not None})
        dst.update_tags(1, **{k: v for k, v in band_tags.items() if v is not None})
        if "scale" in band_tags:
            dst.scales = (float(band_tags["scale"]),)
            dst.offsets = (float(band_tags.get("offset", 0.0)),)


def _collection(folder: Path, cid: str, title: str, description: str, licence: str,
                attribution: str, providers: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    doc = {
        "id": cid, "title": title, "description": description, "license": licence,
        "attribution": attribution,
        "providers": [{"name": name, "roles": ["producer"]} for name in providers],
    }  # fmt: skip
    (folder / "collection.json").write_text(json.dumps(doc, indent=2) + "\n")


def _cloud_codes(valid: np.ndarray, cloud: np.ndarray) -> np.ndarray:
    codes = np.where(cloud > 0, 1, 0).astype(np.uint8)
    codes[(~valid) & (cloud == 0)] = 255
    return codes


def build_slovenia(src: Path, out: Path) -> None:
    from rasterio.transform import from_bounds

    transform = from_bounds(*SLOVENIA_BOUNDS, SLOVENIA_SHAPE[1], SLOVENIA_SHAPE[0])
    timestamps = json.loads((src / "timestamps.json").read_text())
    scenes = np.load(src / "REFERENCE_SCENES.npy")
    ndvi = np.load(src / "NDVI.npy")[..., 0]
    valid = np.load(src / "IS_VALID.npy")[..., 0]
    cloud = np.load(src / "CLM.npy")[..., 0]
    lulc = np.load(src / "LULC.npy")[..., 0]
    clm_tags = {"name": "CLM", "classes": json.dumps(CLOUD_MASK_CLASSES)}

    l1c = out / "slovenia-s2-l1c"
    _collection(l1c, "slovenia-s2-l1c", "Slovenia Sentinel-2 L1C (demo)",
                "Five Sentinel-2 L1C top-of-atmosphere scenes, 13 bands, with cloud masks.",
                "MIT", ATTRIBUTION["slovenia"], ["ESA Copernicus", "Sinergise (eo-learn)"])
    for scene, t_index in enumerate(REFERENCE_SCENE_TIMESTAMP_INDEX):
        when = timestamps[t_index]
        item = l1c / f"S2_L1C_{when[:10].replace('-', '')}"
        tags = {"datetime": when + "Z", "stac_properties": json.dumps(
            {"platform": "sentinel-2", "instruments": ["msi"], "constellation": "sentinel-2",
             "eo:cloud_cover": round(100.0 * float(cloud[t_index].mean()), 2)})}
        for b, (name, common) in enumerate(S2_BANDS):
            # Stored as Sentinel-2 style digital numbers: reflectance = DN * 1e-4, 0 = no data.
            dn = np.clip(np.rint(scenes[scene, :, :, b] * 10000.0), 1, 65535).astype(np.uint16)
            _write_cog(item / f"{name}.tif", dn, transform=transform, epsg=SLOVENIA_EPSG,
                       nodata=0, tags=tags, band_tags={"name": name, "common_name": common,
                                                       "scale": "0.0001", "offset": "0.0",
                                                       "unit": "reflectance"})
        _write_cog(item / "CLM.tif", _cloud_codes(valid[t_index], cloud[t_index]),
                   transform=transform, epsg=SLOVENIA_EPSG, nodata=None, tags=tags,
                   band_tags=clm_tags)

    series = out / "slovenia-s2-ndvi"
    _collection(series, "slovenia-s2-ndvi", "Slovenia Sentinel-2 NDVI time series (demo)",
                "NDVI on 68 dates from 2015-07 to 2017-12, with cloud masks; two acquisitions "
                "on 2015-12-08.", "MIT", ATTRIBUTION["slovenia"],
                ["ESA Copernicus", "Sinergise (eo-learn)"])
    for t, when in enumerate(timestamps):
        item = series / f"S2_NDVI_{when.replace('-', '').replace(':', '')}"
        tags = {"datetime": when + "Z", "stac_properties": json.dumps(
            {"platform": "sentinel-2", "eo:cloud_cover": round(100.0 * float(cloud[t].mean()), 2)})}
        _write_cog(item / "ndvi.tif", ndvi[t].astype(np.float32), transform=transform,
                   epsg=SLOVENIA_EPSG, nodata=None, tags=tags,
                   band_tags={"name": "ndvi", "unit": "1"})
        _write_cog(item / "CLM.tif", _cloud_codes(valid[t], cloud[t]), transform=transform,
                   epsg=SLOVENIA_EPSG, nodata=None, tags=tags, band_tags=clm_tags)

    ref = out / "slovenia-lulc"
    _collection(ref, "slovenia-lulc", "Slovenia land-cover reference (demo)",
                "Land-cover reference map (cadastral land use, winter 2017/18).", "MIT",
                ATTRIBUTION["slovenia"], ["Sinergise (eo-learn)"])
    tags = {"datetime": "2018-01-08T00:00:00Z", "stac_properties": json.dumps(
        {"start_datetime": "2017-12-13T00:00:00Z", "end_datetime": "2018-02-02T23:59:59Z"})}
    _write_cog(ref / "LULC_2018" / "lulc.tif", lulc.astype(np.uint16), transform=transform,
               epsg=SLOVENIA_EPSG, nodata=0, tags=tags,
               band_tags={"name": "lulc", "classes": json.dumps(SLOVENIA_LULC_CLASSES)})


def _copy_as_cog(src_tif: Path, dst: Path, tags: dict, band_tags: dict) -> None:
    import rasterio

    with rasterio.open(src_tif) as src:
        array = src.read(1)
        _write_cog(dst, array, transform=src.transform, epsg=src.crs.to_epsg(),
                   nodata=src.nodata, tags=tags, band_tags=band_tags)


def build_camargue(src: Path, out: Path) -> None:
    coll = out / "camargue-s1"
    _collection(coll, "camargue-s1", "Camargue Sentinel-1 GRD (demo)",
                "Sentinel-1A IW VV backscatter in dB, terrain-corrected and normalised, "
                "2015-03-09, over the Camargue wetlands.", "MIT", ATTRIBUTION["camargue"],
                ["ESA Copernicus", "pyroSAR"])
    tags = {"datetime": "2015-03-09T17:30:17Z", "stac_properties": json.dumps(
        {"platform": "sentinel-1a", "constellation": "sentinel-1", "sar:instrument_mode": "IW",
         "sar:frequency_band": "C", "sar:polarizations": ["VV"], "sar:product_type": "GRD",
         "sat:orbit_state": "ascending"})}
    _copy_as_cog(src / "S1A__IW___A_20150309T173017_VV_grd_mli_geo_norm_db.tif",
                 coll / "S1A_IW_20150309T173017" / "vv.tif", tags,
                 {"name": "vv", "unit": "dB"})


def build_lausanne(src: Path, out: Path) -> None:
    coll = out / "lausanne-landuse"
    _collection(coll, "lausanne-landuse", "Lausanne land use 2006 and 2012 (demo)",
                "Swiss land-use statistics around Lausanne at 100 m, two dates.", "GPL-3.0",
                ATTRIBUTION["lausanne"], ["Swiss Federal Statistical Office", "pylandstats"])
    for year, name in (("2006", "ls100_06.tif"), ("2012", "ls100_12.tif")):
        _copy_as_cog(src / name, coll / f"landuse_{year}" / "landuse.tif",
                     {"datetime": f"{year}-01-01T00:00:00Z"}, {"name": "landuse"})


ATTRIBUTION_MD = """# Demo data: origin and licences

Built by `geoquant/demo/_build.py` from the real rasters in the project's shared test data.

- slovenia-s2-l1c, slovenia-s2-ndvi, slovenia-lulc: {slovenia}
- camargue-s1: {camargue}
- lausanne-landuse: {lausanne}
"""


def build_demo_data(shared_data: Path, out: Path) -> Path:
    """Write the demo region's COGs and collection templates into ``out`` (replaced whole)."""
    shared_data, out = Path(shared_data), Path(out)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    build_slovenia(shared_data / "real" / "slovenia-s2", partial)
    build_camargue(shared_data / "real" / "camargue-s1", partial)
    build_lausanne(shared_data / "real" / "lausanne-landuse", partial)
    (partial / "ATTRIBUTION.md").write_text(ATTRIBUTION_MD.format(**ATTRIBUTION))
    shutil.rmtree(out, ignore_errors=True)
    partial.rename(out)
    return out


if __name__ == "__main__":  # pragma: no cover - developer tool
    import sys

    here = Path(__file__).resolve().parents[1] / "data" / "demo"
    build_demo_data(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data"), here)
    print(f"demo data written to {here}")
