"""The packaged demo COGs: rebuilt from ../shared/data they are identical, and their pixels land
where the sources say (Slovenia's grid checked against its own land-cover polygons)."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import rasterio
import rasterio.features
import shapely

from geoquant.demo import DEMO_DATA
from geoquant.demo._build import build_demo_data


def test_rebuild_matches_packaged_data(shared_data, tmp_path):
    out = build_demo_data(shared_data, tmp_path / "demo")
    built = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    packaged = sorted(p.relative_to(DEMO_DATA) for p in DEMO_DATA.rglob("*") if p.is_file())
    assert built == packaged and len(built) > 200
    for rel in built:
        if rel.suffix != ".tif":
            assert (out / rel).read_bytes() == (DEMO_DATA / rel).read_bytes()
            continue
        with rasterio.open(out / rel) as a, rasterio.open(DEMO_DATA / rel) as b:
            assert a.profile == b.profile and a.tags() == b.tags()
            np.testing.assert_array_equal(a.read(), b.read())


def test_slovenia_grid_matches_bbox_and_polygons(shared_data):
    bbox = json.loads((shared_data / "real/slovenia-s2/bbox.geojson").read_text())
    xs = [p[0] for p in bbox["coordinates"][0]]
    ys = [p[1] for p in bbox["coordinates"][0]]
    with rasterio.open(DEMO_DATA / "slovenia-lulc/LULC_2018/lulc.tif") as src:
        assert src.crs.to_epsg() == 32633
        np.testing.assert_allclose(src.bounds, (min(xs), min(ys), max(xs), max(ys)), atol=1e-6)
        lulc, transform = src.read(1), src.transform
    # Rasterise the reference polygons (GeoPackage geometry blobs: header, envelope, WKB).
    db = sqlite3.connect(shared_data / "real/slovenia-s2/LULC.gpkg")
    shapes = []
    for blob, code in db.execute("SELECT geom, LULC_ID FROM LULC"):
        envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}[(blob[3] >> 1) & 7]
        shapes.append((shapely.from_wkb(bytes(blob[8 + envelope:])), int(code)))
    burned = rasterio.features.rasterize(shapes, out_shape=lulc.shape, transform=transform,
                                         fill=0, dtype="uint16")
    assert np.mean(burned == lulc) == 1.0
    assert np.mean(burned[::-1] == lulc) < 0.9  # a flipped grid would not match


def test_camargue_and_lausanne_keep_source_georeferencing(shared_data):
    pairs = [("real/camargue-s1/S1A__IW___A_20150309T173017_VV_grd_mli_geo_norm_db.tif",
              "camargue-s1/S1A_IW_20150309T173017/vv.tif"),
             ("real/lausanne-landuse/ls100_06.tif", "lausanne-landuse/landuse_2006/landuse.tif"),
             ("real/lausanne-landuse/ls100_12.tif", "lausanne-landuse/landuse_2012/landuse.tif")]
    for source, packaged in pairs:
        with rasterio.open(shared_data / source) as a, rasterio.open(DEMO_DATA / packaged) as b:
            assert a.crs == b.crs and a.transform == b.transform and a.nodata == b.nodata
            np.testing.assert_array_equal(a.read(), b.read())


def test_attribution_is_carried():
    text = (DEMO_DATA / "ATTRIBUTION.md").read_text()
    for origin in ("eo-learn", "pyroSAR", "pylandstats", "Copernicus"):
        assert origin in text
