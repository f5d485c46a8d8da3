# ruff: noqa: E501  (the questions are prose, kept on one line each)
"""Build the blind6 question set (issue 27): truths from numpy/scipy/skimage/rasterio/pyproj only.

Written without reading geoquant's planner, its corpus, its tests or any other blind set.
Run from the repository root:  .venv/bin/python benchmarks/blind/blind6_build.py
Writes benchmarks/blind/blind6.jsonl and the converted rasters in benchmarks/blind/data6/.
Never imports geoquant. Deterministic.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from pyproj import Geod
from rasterio.transform import from_origin
from scipy import ndimage as ndi
from scipy import spatial
from skimage import measure

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHARED = Path(os.environ.get("GEOQUANT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "real"
OUT = HERE / "data6"
# image paths in the records are relative to this folder (eval's default --images)
REL_SHARED = os.path.relpath(SHARED, HERE)

GEOD = Geod(ellps="WGS84")
ACRE = 4046.8564224
SQFT = 0.09290304
SQMI = 2589988.110336
FT = 0.3048
YD = 0.9144
MI = 1609.344
UNITS_AREA = {"m2": 1.0, "ha": 1e4, "km2": 1e6, "acre": ACRE, "sqft": SQFT, "sqmi": SQMI}
UNITS_LEN = {"m": 1.0, "km": 1e3, "ft": FT, "yd": YD, "mi": MI}
S8 = np.ones((3, 3), bool)
S4 = ndi.generate_binary_structure(2, 1)


# ----------------------------------------------------------------------------- rasters


class Raster:
    """A label map with per-pixel areas (m²) and metric pixel spacing (dy, dx) in metres."""

    def __init__(self, key, image, product, arr, valid, pixarea, dy, dx, gsd=None):
        self.key, self.image, self.product, self.gsd = key, image, product, gsd
        self.a, self.valid = arr, valid
        self.pa = np.broadcast_to(np.asarray(pixarea, float), arr.shape)
        self.dy, self.dx = float(dy), float(dx)
        self._d = {}

    # masks
    def m(self, *codes):
        return np.isin(self.a, codes) & self.valid

    def area(self, mask, unit="m2"):
        return float(self.pa[mask].sum()) / UNITS_AREA[unit]

    def pxarea(self, unit="m2"):
        return float(self.pa.max()) / UNITS_AREA[unit]

    def pxlen(self, unit="m"):
        return max(self.dy, self.dx) / UNITS_LEN[unit]

    def D(self, mask):
        """Distance (m) from every pixel centre to the nearest pixel centre of mask."""
        k = mask.tobytes().__hash__(), mask.sum()
        if k not in self._d:
            if not mask.any():
                self._d[k] = np.full(mask.shape, np.inf)
            else:
                self._d[k] = ndi.distance_transform_edt(~mask, sampling=(self.dy, self.dx))
        return self._d[k]

    def within(self, mask, d):
        return self.D(mask) <= d + 1e-6

    def farther(self, mask, d):
        return self.D(mask) > d + 1e-6

    def lab(self, mask, conn=8):
        return ndi.label(mask, S8 if conn == 8 else S4)

    def obj_areas(self, mask, conn=8):
        lab, n = self.lab(mask, conn)
        if n == 0:
            return lab, n, np.zeros(0)
        return lab, n, np.asarray(ndi.sum(self.pa, lab, np.arange(1, n + 1)), float)


def load_geotiff(key, path, product, nodata_codes=()):
    with rasterio.open(path) as ds:
        a = ds.read(1)
        crs, t = ds.crs, ds.transform
        nod = ds.nodata
    valid = np.ones(a.shape, bool)
    if nod is not None:
        valid &= a != nod
    for c in nodata_codes:
        valid &= a != c
    if crs.to_epsg() == 4326:
        h, w = a.shape
        rows = np.arange(h)
        lat_top = t.f + rows * t.e
        lat_bot = lat_top + t.e
        lon0, lon1 = t.c, t.c + t.a
        rowarea = np.array(
            [
                abs(GEOD.polygon_area_perimeter([lon0, lon1, lon1, lon0], [b, b, tp, tp])[0])
                for tp, b in zip(lat_top, lat_bot, strict=True)
            ]
        )
        pa = np.repeat(rowarea[:, None], w, axis=1)
        latc = t.f + (h / 2) * t.e
        lonc = t.c + (w / 2) * t.a
        dx = GEOD.inv(lonc - t.a / 2, latc, lonc + t.a / 2, latc)[2]
        dy = GEOD.inv(lonc, latc - abs(t.e) / 2, lonc, latc + abs(t.e) / 2)[2]
    else:
        pa = abs(t.a * t.e)
        dy, dx = abs(t.e), abs(t.a)
    rel = os.path.relpath(path, HERE)
    return Raster(key, rel, product, a, valid, pa, dy, dx), (crs, t)


DUBAI_COLOURS = {  # data README: the masks follow these colours
    0x3C1098: 1,  # building
    0x8429F6: 2,  # land (unpaved area)
    0x6EC1E4: 3,  # road
    0xFEDD3A: 4,  # vegetation
    0xE2A929: 5,  # water
    0x9B9B9B: 6,  # unlabeled
}
DUBAI_LEGEND = {
    "1": "building",
    "2": "land (unpaved area)",
    "3": "road",
    "4": "vegetation",
    "5": "water",
    "6": "unlabeled",
}


def load_dubai(tile, part, gsd):
    src = SHARED / "dubai-aerial" / f"tile-{tile}" / "masks" / f"image_part_{part:03d}.png"
    im = np.array(Image.open(src).convert("RGB")).astype(np.int64)
    h = (im[..., 0] << 16) | (im[..., 1] << 8) | im[..., 2]
    codes = np.zeros(h.shape, np.uint8)
    for col, c in DUBAI_COLOURS.items():
        codes[h == col] = c
    assert (codes > 0).all(), f"unknown colour in {src}"
    name = f"dubai_t{tile}_p{part:03d}.png"
    Image.fromarray(codes, mode="L").save(OUT / name, optimize=True)
    return Raster(
        f"D{tile}{part}",
        f"data6/{name}",
        DUBAI_LEGEND,
        codes,
        np.ones(codes.shape, bool),
        gsd * gsd,
        gsd,
        gsd,
        gsd=gsd,
    )


def load_slovenia():
    a = np.load(SHARED / "slovenia-s2" / "LULC.npy")[..., 0].astype(np.uint8)
    # bbox.geojson / data README: x 465181.05..466180.53, y 5079244.89..5080254.63, 100 x 101
    x0, x1, y0, y1 = 465181.05, 466180.53, 5079244.89, 5080254.63
    h, w = a.shape
    rx, ry = (x1 - x0) / w, (y1 - y0) / h
    t = from_origin(x0, y1, rx, ry)
    path = OUT / "slovenia_lulc.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=h,
        width=w,
        count=1,
        dtype="uint8",
        crs="EPSG:32633",
        transform=t,
        nodata=0,
        compress="deflate",
    ) as ds:
        ds.write(a, 1)
    legend = {
        "0": "no data",
        "1": "cultivated land",
        "2": "forest",
        "3": "grassland",
        "4": "shrubland",
        "8": "artificial surface",
    }
    return Raster("SLO", "data6/slovenia_lulc.tif", legend, a, a != 0, rx * ry, ry, rx)


Z8_LEGEND = {
    "1": "Water",
    "2": "Developed",
    "3": "Barren",
    "4": "Forest",
    "5": "Shrubland",
    "6": "Herbaceous",
    "7": "Cultivated",
    "8": "Wetlands",
}
NLCD_LEGEND = {
    "11": "Open Water",
    "12": "Perennial Ice/Snow",
    "21": "Developed, Open Space",
    "22": "Developed, Low Intensity",
    "23": "Developed, Medium Intensity",
    "24": "Developed, High Intensity",
    "31": "Barren Land (Rock/Sand/Clay)",
    "41": "Deciduous Forest",
    "42": "Evergreen Forest",
    "43": "Mixed Forest",
    "52": "Shrub/Scrub",
    "71": "Grassland/Herbaceous",
    "81": "Pasture/Hay",
    "82": "Cultivated Crops",
    "90": "Woody Wetlands",
    "95": "Emergent Herbaceous Wetlands",
}
FLOOD_LEGEND = {"-1": "no data", "0": "not water", "1": "water"}


def load_all():
    OUT.mkdir(exist_ok=True)
    R = {}
    z = SHARED / "zion-landsat-nlcd"
    R["Z8"], _ = load_geotiff("Z8", z / "nlcd.tif", Z8_LEGEND)
    R["Z11"], _ = load_geotiff("Z11", z / "nlcd2011.tif", NLCD_LEGEND)
    R["LS"], _ = load_geotiff("LS", SHARED / "lausanne-landuse" / "ls100_12.tif", "codes")
    for k, ev in [
        ("MEK", "Mekong_333434"),
        ("NIG", "Nigeria_812045"),
        ("PAK", "Pakistan_849790"),
        ("ESP", "Spain_7370579"),
        ("ESP2", "Spain_6860600"),
        ("GHA", "Ghana_53713"),
    ]:
        R[k], _ = load_geotiff(
            k,
            SHARED / "sen1floods11" / "Labels" / f"{ev}_LabelHand.tif",
            FLOOD_LEGEND,
            nodata_codes=(-1,),
        )
    for tile, part, gsd in [
        (1, 3, 1.0),
        (1, 7, 1.0),
        (1, 8, 1.0),
        (1, 9, 1.0),
        (2, 1, 1.0),
        (2, 3, 1.0),
        (2, 4, 1.0),
        (2, 5, 1.0),
        (5, 4, 1.0),
        (5, 8, 0.5),
    ]:
        r = load_dubai(tile, part, gsd)
        R[r.key] = r
    R["SLO"] = load_slovenia()
    return R


# ----------------------------------------------------------------------------- answers and ranges


def share(v, px):
    """percent; +-5 % relative, at least one pixel."""
    return {"kind": "share", "v": v, "tol": max(0.05 * abs(v), px), "unit": "%"}


def area(v, px, unit):
    return {"kind": "area", "v": v, "tol": max(0.05 * abs(v), px), "unit": unit}


def dist(v, px, unit):
    return {"kind": "dist", "v": v, "tol": max(0.05 * abs(v), px), "unit": unit}


def count(n):
    n = int(n)
    return {"kind": "count", "v": n, "tol": 0 if n <= 10 else 0.1 * n, "unit": "objects"}


def ratio(v, unit="ratio"):
    return {"kind": "ratio", "v": v, "tol": 0.05 * abs(v), "unit": unit}


def yes(b):
    return {"kind": "yesno", "v": "yes" if b else "no"}


REFUSE = {"kind": "refuse", "v": "refuse"}


def pct(r, mask, den=None):
    den = r.valid if den is None else den
    A = r.area(den)
    return share(100.0 * r.area(mask & den) / A, 100.0 * r.pxarea() / A)


def ar(r, mask, unit):
    return area(r.area(mask, unit), r.pxarea(unit), unit)


def keep_objects(lab, n, keep):
    """mask of the objects whose 1-based ids are True in keep (array of n bools)."""
    sel = np.zeros(n + 1, bool)
    sel[1:] = keep
    return sel[lab]


def obj_max(values, lab, n):
    return np.asarray(ndi.maximum(values, lab, np.arange(1, n + 1)), float)


def obj_min(values, lab, n):
    return np.asarray(ndi.minimum(values, lab, np.arange(1, n + 1)), float)


def obj_any(mask, lab, n):
    return np.asarray(ndi.maximum(mask.astype(np.uint8), lab, np.arange(1, n + 1)), bool)


def touching(r, mask_obj, other, conn=8):
    """per object of mask_obj: does it touch (share an edge or corner) a pixel of other."""
    lab, n = r.lab(mask_obj, conn)
    grown = ndi.binary_dilation(other, S8 if conn == 8 else S4)
    return lab, n, obj_any(grown, lab, n)


def nn_same_class(r, mask, conn=8):
    """per object: distance (m) to the nearest pixel of another object of the same mask."""
    lab, n = r.lab(mask, conn)
    out = np.full(n, np.inf)
    # crop to the bbox grown by a margin for speed; margin large enough for the thresholds used
    for i in range(1, n + 1):
        others = (lab > 0) & (lab != i)
        if not others.any():
            continue
        d = ndi.distance_transform_edt(~others, sampling=(r.dy, r.dx))
        out[i - 1] = d[lab == i].min()
    return lab, n, out


def without_largest(r, mask, k, conn=8):
    lab, n, a = r.obj_areas(mask, conn)
    order = np.argsort(-a, kind="stable")
    keep = np.ones(n, bool)
    keep[order[:k]] = False
    return keep_objects(lab, n, keep)


# ----------------------------------------------------------------------------- the questions

QS = []  # (persona, raster key, tier, type, question, fn)


def Q(persona, key, tier, qtype, text, fn):
    QS.append((persona, key, tier, qtype, text, fn))


# personas: hydrologist, forester, council (member), teacher, drone (-mapping contractor), developer


def add_questions(Q):
    """All question texts, written before anything was run, and their truths."""

    # small helpers over one raster r
    def n_obj(r, mask, conn=8, amin=None, amax=None, strict=True):
        lab, n, a = r.obj_areas(mask, conn)
        keep = np.ones(n, bool)
        if amin is not None:
            keep &= (a > amin) if strict else (a >= amin)
        if amax is not None:
            keep &= a < amax
        return int(keep.sum())

    def biggest(r, mask, k=0):
        a = np.sort(r.obj_areas(mask)[2])[::-1]
        return float(a[k])

    def objs_where(r, mask, pred, conn=8):
        """objects of mask for which pred(lab, n, areas) is True -> (count, mask of them)."""
        lab, n, a = r.obj_areas(mask, conn)
        keep = pred(lab, n, a)
        return int(keep.sum()), keep_objects(lab, n, keep), a[keep]

    W, L = 1, 0  # flood labels
    # ------------------------------------------------------------------ hydrologist
    h = "hydrologist"
    Q(
        h,
        "MEK",
        1,
        "proportion",
        "Mekong_333434 hand label: what percentage of the labelled pixels are water? Ignore the -1 (no data) cells.",
        lambda r: pct(r, r.m(W)),
    )
    Q(
        h,
        "MEK",
        1,
        "count",
        "how many separate water bodies are in the Mekong label",
        lambda r: count(r.lab(r.m(W))[1]),
    )
    Q(
        h,
        "MEK",
        2,
        "count",
        "I'm checking the flood extent on this Mekong chip. How many of the flooded patches are bigger than 1 hectare?",
        lambda r: count(n_obj(r, r.m(W), amin=1e4)),
    )
    Q(
        h,
        "NIG",
        1,
        "area",
        "whats the total flooded area in the nigeria chip, km2",
        lambda r: ar(r, r.m(W), "km2"),
    )
    Q(
        h,
        "NIG",
        3,
        "area",
        "Nigeria event. One huge water body dominates the chip. Apart from that biggest one, how much water area is there in total? In hectares.",
        lambda r: ar(r, without_largest(r, r.m(W), 1), "ha"),
    )
    Q(
        h,
        "NIG",
        2,
        "distance",
        "What's the greatest distance from any dry pixel to the nearest water in this chip, in metres?",
        lambda r: dist(float(r.D(r.m(W))[r.m(L)].max()), r.pxlen(), "m"),
    )
    Q(
        h,
        "PAK",
        1,
        "proportion",
        "Pakistan flood label. Percent water (no-data pixels excluded).",
        lambda r: pct(r, r.m(W)),
    )
    Q(
        h,
        "PAK",
        3,
        "count",
        "Not counting the two largest water bodies, how many water patches are there in the Pakistan chip?",
        lambda r: count(r.lab(r.m(W))[1] - 2),
    )

    def h9(r):
        _, big, _ = objs_where(r, r.m(W), lambda lab, n, a: a > 5000)
        land = r.m(L)
        return pct(r, land & r.within(big, 100), den=land)

    Q(
        h,
        "PAK",
        3,
        "proportion",
        "Find the water patches over 0.5 ha. What share of the dry land lies within 100 m of them?",
        h9,
    )
    Q(
        h,
        "ESP",
        2,
        "area",
        "Spain_7370579: how much not-water ground is within 50 m of water, in hectares?",
        lambda r: ar(r, r.m(L) & r.within(r.m(W), 50), "ha"),
    )

    def h11(r):
        lab, n, a = r.obj_areas(r.m(W))
        i = int(np.argmax(a)) + 1
        dmin = obj_min(r.D(lab == i), lab, n)
        keep = dmin <= 30 + 1e-6
        keep[i - 1] = False
        return count(keep.sum())

    Q(
        h,
        "ESP",
        3,
        "count",
        "In the Spain chip (7370579), how many water patches are partly within 30 m of the biggest water patch, not counting that patch itself?",
        h11,
    )
    Q(
        h,
        "ESP2",
        1,
        "count",
        "How many little water bodies did the labeller mark in Spain_6860600?",
        lambda r: count(r.lab(r.m(W))[1]),
    )
    Q(
        h,
        "ESP2",
        2,
        "distance",
        "What's the shortest distance between two separate water bodies in the Spain 6860600 chip? metres please",
        lambda r: dist(float(nn_same_class(r, r.m(W))[2].min()), r.pxlen(), "m"),
    )
    Q(
        h,
        "GHA",
        1,
        "yes_no",
        "Ghana 53713 chip - is there any surface water labelled at all?",
        lambda r: yes(r.m(W).any()),
    )
    Q(
        h,
        "Z8",
        1,
        "area",
        "How many hectares of open water are there in the Zion land cover map?",
        lambda r: ar(r, r.m(1), "ha"),
    )
    Q(
        h,
        "Z8",
        2,
        "count",
        "Zion 8-class NLCD: how many Wetlands patches (8-connected) are larger than 10 ha?",
        lambda r: count(n_obj(r, r.m(8), amin=1e5)),
    )
    Q(
        h,
        "Z11",
        3,
        "area",
        "Take the Woody Wetlands within 300 m of Open Water. How big is that, in acres?",
        lambda r: ar(r, r.m(90) & r.within(r.m(11), 300), "acre"),
    )
    Q(
        h,
        "Z11",
        3,
        "proportion",
        "What fraction of the Emergent Herbaceous Wetlands and Woody Wetlands combined lies more than 1 km from any Open Water? Give a percentage.",
        lambda r: pct(r, r.m(90, 95) & r.farther(r.m(11), 1000), den=r.m(90, 95)),
    )
    Q(
        h,
        "Z8",
        3,
        "distance",
        "In the simplified Zion map, how far is the wetland pixel that lies farthest from all water? km",
        lambda r: dist(float(r.D(r.m(1))[r.m(8)].max()) / 1e3, r.pxlen("km"), "km"),
    )
    Q(
        h,
        "D58",
        1,
        "proportion",
        "Aerial mask, 0.5 m pixels. What share of the picture is water?",
        lambda r: pct(r, r.m(5)),
    )
    Q(
        h,
        "D58",
        3,
        "area",
        "Not counting the largest water body, how many square metres of water are left? (GSD: 0.5m)",
        lambda r: ar(r, without_largest(r, r.m(5), 1), "m2"),
    )
    Q(
        h,
        "D17",
        2,
        "area",
        "How much vegetation lies within 50 m of water, in m²? Pixels are 1 m.",
        lambda r: ar(r, r.m(4) & r.within(r.m(5), 50), "m2"),
    )
    Q(
        h,
        "LS",
        1,
        "proportion",
        "In the 2012 Lausanne land use map, what share of the mapped cells carry code 41?",
        lambda r: pct(r, r.m(41)),
    )
    Q(h, "NIG", 1, "refusal", "How deep is the flood water on average in the Nigeria chip?", REFUSE)
    Q(
        h,
        "MEK",
        3,
        "proportion",
        "Mekong: leaving out the no-data area, what fraction of the non-water land lies more than 1 km from any water? percent",
        lambda r: pct(r, r.m(L) & r.farther(r.m(W), 1000), den=r.m(L)),
    )
    Q(
        h,
        "PAK",
        2,
        "distance",
        "On average how far is a dry pixel from the nearest water in the Pakistan chip? metres. Leave the no-data pixels out.",
        lambda r: dist(float(r.D(r.m(W))[r.m(L)].mean()), r.pxlen(), "m"),
    )
    Q(
        h,
        "NIG",
        2,
        "yes_no",
        "Is there a dry spot in the Nigeria chip more than 1 km away from every water pixel?",
        lambda r: yes((r.D(r.m(W))[r.m(L)] > 1000).any()),
    )

    def h29(r):
        _, big, _ = objs_where(r, r.m(W), lambda lab, n, a: a > 1e4)
        return ar(r, r.m(L) & r.within(big, 100), "ha")

    Q(
        h,
        "ESP",
        3,
        "area",
        "Spain 7370579. Find the water bodies over 1 ha. How much of the dry land is within 100 m of them, in hectares?",
        h29,
    )

    # ------------------------------------------------------------------ forester
    f = "forester"
    forest11 = (41, 42, 43)
    dev11 = (21, 22, 23, 24)
    Q(
        f,
        "Z8",
        1,
        "proportion",
        "Roughly what percentage of the Zion map is covered by trees?",
        lambda r: pct(r, r.m(4)),
    )
    Q(f, "Z11", 1, "area", "Evergreen Forest area in hectares?", lambda r: ar(r, r.m(42), "ha"))
    Q(
        f,
        "Z11",
        1,
        "area",
        "how much Deciduous Forest is there, in acres",
        lambda r: ar(r, r.m(41), "acre"),
    )
    Q(
        f,
        "Z11",
        2,
        "proportion",
        "What share of all the forest (deciduous, evergreen and mixed) is Mixed Forest?",
        lambda r: pct(r, r.m(43), den=r.m(*forest11)),
    )
    Q(
        f,
        "Z11",
        2,
        "count",
        "How many Mixed Forest stands are larger than 5 hectares?",
        lambda r: count(n_obj(r, r.m(43), amin=5e4)),
    )
    Q(
        f,
        "Z8",
        2,
        "largest_object",
        "Size of the largest contiguous forest patch in km²?",
        lambda r: area(biggest(r, r.m(4)) / 1e6, r.pxarea("km2"), "km2"),
    )
    Q(
        f,
        "Z8",
        3,
        "area",
        "Apart from the biggest one, what's the total area of the forest patches, in hectares?",
        lambda r: ar(r, without_largest(r, r.m(4), 1), "ha"),
    )

    def f8(r):
        lab, n, tch = touching(r, r.m(4), r.m(2))
        a = r.obj_areas(r.m(4))[2]
        return count(((a > 50e4) & tch).sum())

    Q(
        f,
        "Z8",
        3,
        "count",
        "Of the forest patches over 50 ha, how many touch Developed land? We worry about fire risk at the interface.",
        f8,
    )

    def f9(r):
        m = r.m(42)
        lab, n, a = r.obj_areas(m)
        dmin = obj_min(r.D(r.m(*dev11)), lab, n)
        return count(((a > 10e4) & (dmin > 500 + 1e-6)).sum())

    Q(
        f,
        "Z11",
        3,
        "count",
        "How many Evergreen Forest patches bigger than 10 ha are wholly farther than 500 m from any developed land (all the Developed classes)?",
        f9,
    )
    Q(
        f,
        "Z11",
        3,
        "proportion",
        "What share of the Deciduous Forest lies within 100 m of Shrub/Scrub? Reply as a percentage.",
        lambda r: pct(r, r.m(41) & r.within(r.m(52), 100), den=r.m(41)),
    )
    Q(
        f,
        "Z8",
        2,
        "distance",
        "How deep does the forest interior go - i.e. what is the farthest any forest pixel gets from the nearest non-forest pixel? metres",
        lambda r: dist(float(r.D(r.valid & ~r.m(4))[r.m(4)].max()), r.pxlen(), "m"),
    )

    def f12(r):
        a = r.obj_areas(r.m(4))[2]
        a = a[a >= 1e4]
        return area(a.mean() / 1e4, r.pxarea("ha"), "ha")

    Q(
        f,
        "Z8",
        3,
        "object_size",
        "leaving out forest patches smaller than 1 ha, whats the mean forest patch size in hectares?",
        f12,
    )
    Q(
        f,
        "SLO",
        1,
        "proportion",
        "What fraction of this Slovenian tile is forest? Percentage, and leave out the no-data pixels.",
        lambda r: pct(r, r.m(2)),
    )
    Q(
        f,
        "SLO",
        2,
        "area",
        "How much grassland is within 50 m of forest? in hectares",
        lambda r: ar(r, r.m(3) & r.within(r.m(2), 50), "ha"),
    )

    def f15(r):
        lab, n, tch = touching(r, r.m(4), r.m(2))
        return count(tch.sum())

    Q(f, "SLO", 3, "count", "Find the shrubland patches. How many of them touch forest?", f15)
    Q(
        f,
        "SLO",
        3,
        "distance",
        "How far is the artificial surface pixel that lies farthest from the forest, in metres?",
        lambda r: dist(float(r.D(r.m(2))[r.m(8)].max()), r.pxlen(), "m"),
    )
    Q(
        f,
        "SLO",
        1,
        "refusal",
        "What's the standing timber volume of the forest here, in cubic metres?",
        REFUSE,
    )
    Q(f, "Z11", 1, "refusal", "How healthy is the Evergreen Forest in this map?", REFUSE)
    Q(
        f,
        "Z8",
        2,
        "refusal",
        "How many hectares of forest were clearcut since the previous survey?",
        REFUSE,
    )
    Q(
        f,
        "Z11",
        3,
        "area",
        "Not counting the two largest Evergreen Forest patches, how many acres of Evergreen Forest are there?",
        lambda r: ar(r, without_largest(r, r.m(42), 2), "acre"),
    )
    Q(
        f,
        "Z11",
        2,
        "comparison",
        "How many times more Evergreen Forest than Deciduous Forest is there, by area?",
        lambda r: ratio(r.area(r.m(42)) / r.area(r.m(41)), "times"),
    )
    Q(
        f,
        "LS",
        1,
        "area",
        "Lausanne 2012: how many hectares are code 12?",
        lambda r: ar(r, r.m(12), "ha"),
    )
    Q(
        f,
        "LS",
        2,
        "count",
        "Lausanne land use, 2012 map, 100 m cells. How many separate patches of code 25 are larger than 10 ha?",
        lambda r: count(n_obj(r, r.m(25), amin=10e4)),
    )
    Q(
        f,
        "LS",
        3,
        "proportion",
        "Of the code 12 area, what percentage is more than 500 m from any code 25 cell?",
        lambda r: pct(r, r.m(12) & r.farther(r.m(25), 500), den=r.m(12)),
    )
    Q(
        f,
        "Z11",
        2,
        "yes_no",
        "Is there any Mixed Forest patch larger than 30 ha?",
        lambda r: yes(biggest(r, r.m(43)) > 30e4),
    )
    Q(
        f,
        "Z8",
        3,
        "area",
        "Forest within 200 m of water - how many hectares? I mean the Water class only, not Wetlands.",
        lambda r: ar(r, r.m(4) & r.within(r.m(1), 200), "ha"),
    )
    Q(
        f,
        "SLO",
        2,
        "count",
        "How many grassland patches are there? Use 4-connectivity (pixels touching by a side only).",
        lambda r: count(r.lab(r.m(3), 4)[1]),
    )
    Q(
        f,
        "Z11",
        3,
        "proportion",
        "Consider the Shrub/Scrub within 200 m of Evergreen Forest. What fraction of all Shrub/Scrub is that? percent",
        lambda r: pct(r, r.m(52) & r.within(r.m(42), 200), den=r.m(52)),
    )
    Q(
        f,
        "Z8",
        2,
        "object_size",
        "What is the mean size of the forest patches in hectares, counting every patch?",
        lambda r: area(r.obj_areas(r.m(4))[2].mean() / 1e4, r.pxarea("ha"), "ha"),
    )

    # ------------------------------------------------------------------ council member
    c = "council"
    B, LD, RD, VG, WT = 1, 2, 3, 4, 5  # 6 is unlabeled
    Q(
        c,
        "D18",
        1,
        "count",
        "How many buildings are there in this aerial tile?",
        lambda r: count(r.lab(r.m(B))[1]),
    )
    Q(c, "D18", 1, "proportion", "What percentage of the tile is road?", lambda r: pct(r, r.m(RD)))
    Q(
        c,
        "D18",
        2,
        "count",
        "how many buildings are bigger than 1000 m²? pixels are 1 m",
        lambda r: count(n_obj(r, r.m(B), amin=1000)),
    )
    Q(
        c,
        "D18",
        3,
        "count",
        "Residents complain the houses are packed too tight. How many houses have a neighbouring house closer than 10 m?",
        lambda r: count((nn_same_class(r, r.m(B))[2] < 10 - 1e-6).sum()),
    )
    Q(
        c,
        "D18",
        3,
        "count",
        "How many buildings lie wholly within 50 m of a road?",
        lambda r: (lambda lab, n: count((obj_max(r.D(r.m(RD)), lab, n) <= 50 + 1e-6).sum()))(
            *r.lab(r.m(B))
        ),
    )
    Q(
        c,
        "D19",
        2,
        "area",
        "total footprint of the buildings in square metres? (GSD: 1m)",
        lambda r: ar(r, r.m(B), "m2"),
    )

    def c7(r):
        a = np.sort(r.obj_areas(r.m(B))[2])[::-1][3:]
        return area(a.mean(), 1.0, "m2")

    Q(
        c,
        "D19",
        3,
        "object_size",
        "Leaving out the three largest buildings, what is the average building footprint in m²?",
        c7,
    )
    Q(
        c,
        "D19",
        3,
        "proportion",
        "What share of the unpaved land is more than 30 m from any road?",
        lambda r: pct(r, r.m(LD) & r.farther(r.m(RD), 30), den=r.m(LD)),
    )
    Q(
        c,
        "D21",
        1,
        "proportion",
        "What share of this picture is covered by buildings?",
        lambda r: pct(r, r.m(B)),
    )

    def c10(r):
        a = r.obj_areas(r.m(B))[2]
        return yes((a < 500).sum() > (a > 1500).sum())

    Q(
        c,
        "D21",
        3,
        "yes_no",
        "Are small buildings (under 500 m²) more numerous than large ones (over 1500 m²)?",
        c10,
    )
    Q(
        c,
        "D21",
        2,
        "distance",
        "What's the greatest distance from any point in the image to the nearest road?",
        lambda r: dist(float(r.D(r.m(RD)).max()), r.pxlen(), "m"),
    )
    Q(
        c,
        "D23",
        2,
        "count",
        "I'm preparing for Thursday's planning committee and someone asked me about access. Looking at this aerial picture, how many of the buildings actually touch a road?",
        lambda r: count(touching(r, r.m(B), r.m(RD))[2].sum()),
    )

    def c13(r):
        _, big, _ = objs_where(r, r.m(B), lambda lab, n, a: a > 2000)
        return ar(r, r.m(LD) & r.within(big, 25), "m2")

    Q(
        c,
        "D23",
        3,
        "area",
        "Find the buildings larger than 2000 m². What area of unpaved land lies within 25 m of them?",
        c13,
    )
    Q(
        c,
        "LS",
        1,
        "proportion",
        "What share of the mapped Lausanne area is code 2?",
        lambda r: pct(r, r.m(2)),
    )
    Q(
        c,
        "LS",
        2,
        "area",
        "How many hectares of code 25 lie within 200 m of code 2?",
        lambda r: ar(r, r.m(25) & r.within(r.m(2), 200), "ha"),
    )
    Q(
        c,
        "LS",
        3,
        "proportion",
        "Everything except code 12 and code 25: what percent of the mapped cells is that?",
        lambda r: pct(r, r.valid & ~r.m(12, 25)),
    )
    Q(
        c,
        "LS",
        3,
        "count",
        "Leaving the no-data area out, how many distinct code-2 blocks are there if we ignore blocks smaller than 2.5 ha?",
        lambda r: count(n_obj(r, r.m(2), amin=2.5e4, strict=False)),
    )
    Q(
        c,
        "Z11",
        1,
        "area",
        "How many acres of Developed, Low Intensity are in the Zion raster?",
        lambda r: ar(r, r.m(22), "acre"),
    )
    Q(
        c,
        "Z11",
        2,
        "area",
        "What is the combined area of all four Developed classes in square miles?",
        lambda r: ar(r, r.m(*dev11), "sqmi"),
    )
    Q(
        c,
        "Z11",
        3,
        "area",
        "How much Developed, Open Space is farther than 1 mile from any Developed, Medium Intensity pixel? answer in acres",
        lambda r: ar(r, r.m(21) & r.farther(r.m(23), MI), "acre"),
    )
    Q(
        c,
        "Z8",
        2,
        "count",
        "How many separate built-up areas bigger than 20 ha does the Zion map show?",
        lambda r: count(n_obj(r, r.m(2), amin=20e4)),
    )
    Q(
        c,
        "Z8",
        3,
        "area",
        "Take the built-up land within 500 m of water. How big is that, in hectares?",
        lambda r: ar(r, r.m(2) & r.within(r.m(1), 500), "ha"),
    )
    Q(c, "D13", 1, "refusal", "How many cars are parked along the roads?", REFUSE)
    Q(c, "D18", 1, "refusal", "What is the average building height in metres?", REFUSE)
    Q(c, "LS", 2, "refusal", "How much has code 12 grown since 2006?", REFUSE)
    Q(
        c,
        "D24",
        2,
        "proportion",
        "what share of the tile is road or buildings",
        lambda r: pct(r, r.m(RD, B)),
    )
    Q(
        c,
        "D25",
        2,
        "yes_no",
        "For the fire service: is there any building more than 100 m from the nearest road?",
        lambda r: yes((r.D(r.m(RD))[r.m(B)] > 100).any()),
    )
    Q(
        c,
        "D23",
        3,
        "proportion",
        "Excluding roads and buildings, what percentage of the remaining area is vegetation?",
        lambda r: pct(r, r.m(VG), den=r.valid & ~r.m(RD, B)),
    )
    Q(
        c,
        "Z8",
        3,
        "proportion",
        "Leaving out Shrubland and Forest, what share of the rest of the map is Developed?",
        lambda r: pct(r, r.m(2), den=r.valid & ~r.m(4, 5)),
    )

    # ------------------------------------------------------------------ teacher
    t = "teacher"
    Q(
        t,
        "Z8",
        1,
        "proportion",
        "What proportion of the Zion area is Barren? Answer as a percentage.",
        lambda r: pct(r, r.m(3)),
    )
    Q(
        t,
        "Z8",
        1,
        "count",
        "Homework Q1. How many separate lakes (Water patches) are shown on the Zion map?",
        lambda r: count(r.lab(r.m(1))[1]),
    )
    Q(
        t,
        "Z8",
        2,
        "largest_object",
        "Homework Q2. How large is the biggest lake, in hectares?",
        lambda r: area(biggest(r, r.m(1)) / 1e4, r.pxarea("ha"), "ha"),
    )
    Q(
        t,
        "Z11",
        1,
        "proportion",
        "Q4: What percentage of the full-legend NLCD map is Grassland/Herbaceous?",
        lambda r: pct(r, r.m(71)),
    )
    Q(
        t,
        "Z11",
        2,
        "yes_no",
        "Is there more Pasture/Hay than Cultivated Crops?",
        lambda r: yes(r.area(r.m(81)) > r.area(r.m(82))),
    )
    Q(
        t,
        "SLO",
        1,
        "proportion",
        "What percentage of the tile is artificial surface (leave out no data)?",
        lambda r: pct(r, r.m(8)),
    )
    Q(
        t,
        "SLO",
        1,
        "count",
        "How many separate artificial surface patches are there?",
        lambda r: count(r.lab(r.m(8))[1]),
    )

    def t8(r):
        _, big, _ = objs_where(r, r.m(8), lambda lab, n, a: a > 1000)
        return ar(r, r.m(3) & r.within(big, 100), "m2")

    Q(
        t,
        "SLO",
        3,
        "area",
        "Find the artificial surface patches bigger than 1000 m². How much grassland is within 100 m of them? Answer in m².",
        t8,
    )
    Q(
        t,
        "MEK",
        1,
        "area",
        "Class exercise with the Mekong flood label: what is the total water area in square kilometres?",
        lambda r: ar(r, r.m(W), "km2"),
    )
    Q(
        t,
        "PAK",
        2,
        "largest_object",
        "Pakistan flood chip. What is the area of the largest water body in km²?",
        lambda r: area(biggest(r, r.m(W)) / 1e6, r.pxarea("km2"), "km2"),
    )
    Q(
        t,
        "NIG",
        3,
        "comparison",
        "Nigeria chip: how many times bigger is the largest water body than the second largest?",
        lambda r: ratio(biggest(r, r.m(W), 0) / biggest(r, r.m(W), 1), "times"),
    )
    Q(
        t,
        "ESP",
        2,
        "object_size",
        "mean size of the water bodies in Spain_7370579 in square metres",
        lambda r: area(r.obj_areas(r.m(W))[2].mean(), r.pxarea(), "m2"),
    )
    Q(
        t,
        "D13",
        1,
        "proportion",
        "What percentage of this Dubai picture is vegetation? pixel size 1 m.",
        lambda r: pct(r, r.m(VG)),
    )
    Q(
        t,
        "D13",
        2,
        "count",
        "How many patches of vegetation are there? Ignore patches smaller then 100 m².",
        lambda r: count(n_obj(r, r.m(VG), amin=100, strict=False)),
    )
    Q(
        t,
        "D17",
        3,
        "area",
        "First find the water. Then: how much road lies within 40 m of it? Give m².",
        lambda r: ar(r, r.m(RD) & r.within(r.m(WT), 40), "m2"),
    )
    Q(t, "D24", 1, "count", "How many buildings?", lambda r: count(r.lab(r.m(B))[1]))
    Q(
        t,
        "LS",
        1,
        "count",
        "How many separate patches of code 3 are there on the 2012 map?",
        lambda r: count(r.lab(r.m(3))[1]),
    )
    Q(
        t,
        "LS",
        2,
        "largest_object",
        "How big is the largest code 24 patch, in km²?",
        lambda r: area(biggest(r, r.m(24)) / 1e6, r.pxarea("km2"), "km2"),
    )
    Q(
        t,
        "Z8",
        3,
        "proportion",
        "Out of all the Herbaceous pixels, what percentage lie within 100 m of Shrubland but more than 1 km from Forest?",
        lambda r: pct(r, r.m(6) & r.within(r.m(5), 100) & r.farther(r.m(4), 1000), den=r.m(6)),
    )

    def t20(r):
        zone = r.within(r.m(11), 2000) & r.valid
        return pct(r, r.m(42), den=zone)

    Q(
        t,
        "Z11",
        3,
        "proportion",
        "Look at the Open Water. Find everything within 2 km of it. What share of that zone is Evergreen Forest?",
        t20,
    )
    Q(t, "Z8", 1, "refusal", "How much did the lakes shrink between 2001 and 2011?", REFUSE)
    Q(
        t,
        "D21",
        1,
        "proportion",
        "What share of the picture is unpaved land?",
        lambda r: pct(r, r.m(LD)),
    )
    Q(
        t,
        "D54",
        2,
        "count",
        "How many buildings are bigger than 2000 square metres?",
        lambda r: count(n_obj(r, r.m(B), amin=2000)),
    )
    Q(
        t,
        "D54",
        3,
        "distance",
        "Pupils, work this out: what is the average distance from a building pixel to the nearest road, in metres? Each pixel is 1 m across.",
        lambda r: dist(float(r.D(r.m(RD))[r.m(B)].mean()), r.pxlen(), "m"),
    )
    Q(
        t,
        "SLO",
        3,
        "area",
        "Leaving out the largest grassland patch, how many hectares of grassland remain?",
        lambda r: ar(r, without_largest(r, r.m(3), 1), "ha"),
    )
    Q(
        t,
        "Z11",
        2,
        "comparison",
        "Which is bigger in area, Shrub/Scrub or Evergreen Forest - and by how many km²?",
        lambda r: area(abs(r.area(r.m(42)) - r.area(r.m(52))) / 1e6, r.pxarea("km2"), "km2"),
    )
    Q(
        t,
        "Z8",
        2,
        "yes_no",
        "Is there anywhere on the map more than 10 km from the nearest Developed pixel?",
        lambda r: yes((r.D(r.m(2))[r.valid] > 10000).any()),
    )
    Q(
        t,
        "NIG",
        1,
        "proportion",
        "What share of the Nigeria chip, counting its no-data strip too, is water?",
        lambda r: share(
            100 * r.area(r.m(W)) / float(r.pa.sum()), 100 * r.pxarea() / float(r.pa.sum())
        ),
    )

    def t29(r):
        lab, n, a = r.obj_areas(r.m(W))
        edge = np.zeros(r.a.shape, bool)
        edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
        return count(((a > 1e4) & obj_any(edge, lab, n)).sum())

    Q(
        t,
        "PAK",
        3,
        "count",
        "How many of the Pakistan water bodies are bigger than 1 ha and touch the edge of the image?",
        t29,
    )

    # ------------------------------------------------------------------ drone-mapping contractor
    d = "drone"
    Q(
        d,
        "D18",
        1,
        "area",
        "total building footprint in sq ft? pixels are 1 m",
        lambda r: ar(r, r.m(B), "sqft"),
    )
    Q(
        d,
        "D18",
        2,
        "largest_object",
        "largest building footprint in square feet",
        lambda r: area(biggest(r, r.m(B)) / SQFT, r.pxarea("sqft"), "sqft"),
    )
    Q(
        d,
        "D19",
        1,
        "area",
        "How many acres of vegetation are there? GSD is 1 m.",
        lambda r: ar(r, r.m(VG), "acre"),
    )
    Q(
        d,
        "D19",
        3,
        "area",
        "client wants to know how many square feet of unpaved land lie within 50 feet of a building. 1m GSD",
        lambda r: ar(r, r.m(LD) & r.within(r.m(B), 50 * FT), "sqft"),
    )
    Q(
        d,
        "D58",
        1,
        "area",
        "(GSD: 0.5m) How many acres of land (unpaved area) in this image?",
        lambda r: ar(r, r.m(LD), "acre"),
    )

    def d6(r):
        lab, n, a = r.obj_areas(r.m(VG))
        dmin = obj_min(r.D(r.m(RD)), lab, n)
        return count(((a > 1000 * SQFT) & (dmin > 30 * FT + 1e-6)).sum())

    Q(
        d,
        "D58",
        3,
        "count",
        "How many vegetation patches bigger than 1,000 sq ft are wholly farther than 30 ft from any road? 0.5 m pixels",
        d6,
    )
    Q(
        d,
        "D58",
        2,
        "distance",
        "What's the farthest you can get from a road in this image? answer in feet. gsd 0.5 m",
        lambda r: dist(float(r.D(r.m(RD)).max()) / FT, r.pxlen("ft"), "ft"),
    )
    Q(
        d,
        "D54",
        1,
        "area",
        "What is the water area in acres? 1 m per pixel",
        lambda r: ar(r, r.m(WT), "acre"),
    )
    Q(
        d,
        "D54",
        3,
        "count",
        "Buildings within 100 yards of the water - how many? count a building if any part of it is within 100 yd",
        lambda r: (lambda lab, n: count((obj_min(r.D(r.m(WT)), lab, n) <= 100 * YD + 1e-6).sum()))(
            *r.lab(r.m(B))
        ),
    )
    Q(
        d,
        "D25",
        3,
        "area",
        "Ignore the biggest vegetation area. What's the total of the rest in square feet?",
        lambda r: ar(r, without_largest(r, r.m(VG), 1), "sqft"),
    )
    Q(
        d,
        "D25",
        1,
        "area",
        "Road area in square yards?",
        lambda r: area(r.area(r.m(RD)) / YD**2, r.pxarea() / YD**2, "sqyd"),
    )
    Q(
        d,
        "D23",
        3,
        "count",
        "How many buildings have another building within 30 feet of them?",
        lambda r: count((nn_same_class(r, r.m(B))[2] <= 30 * FT + 1e-6).sum()),
    )
    Q(
        d,
        "SLO",
        1,
        "area",
        "How many acres of forest in this tile?",
        lambda r: ar(r, r.m(2), "acre"),
    )
    Q(
        d,
        "SLO",
        2,
        "distance",
        "How far in feet is the grassland pixel that's farthest from the forest?",
        lambda r: dist(float(r.D(r.m(2))[r.m(3)].max()) / FT, r.pxlen("ft"), "ft"),
    )

    def d15(r):
        lab, n, a = r.obj_areas(r.m(8))
        dmin = obj_min(r.D(r.m(2)), lab, n)
        return area(a[dmin <= 50 * YD + 1e-6].sum() / SQFT, r.pxarea("sqft"), "sqft")

    Q(
        d,
        "SLO",
        3,
        "area",
        "Artificial surface patches partly within 50 yards of forest: what's their total area in square feet?",
        d15,
    )
    Q(d, "Z8", 1, "area", "Zion NLCD: Cultivated land in acres?", lambda r: ar(r, r.m(7), "acre"))

    def d17(r):
        lab, n, a = r.obj_areas(r.m(7))
        dmin = obj_min(r.D(r.m(2)), lab, n)
        return count(((a > 5 * ACRE) & (dmin > MI / 2 + 1e-6)).sum())

    Q(
        d,
        "Z8",
        3,
        "count",
        "Cultivated fields (patches) larger than 5 acres that are entirely more than half a mile from Developed land - how many?",
        d17,
    )
    Q(
        d,
        "Z11",
        2,
        "area",
        "Pasture/Hay within 1 mile of Developed, Low Intensity - how many acres?",
        lambda r: ar(r, r.m(81) & r.within(r.m(22), MI), "acre"),
    )
    Q(
        d,
        "PAK",
        1,
        "area",
        "flood water area in acres for the Pakistan chip",
        lambda r: ar(r, r.m(W), "acre"),
    )

    def d20(r):
        a = r.obj_areas(r.m(W))[2]
        return count((a > 2 * ACRE).sum() - 1)

    Q(
        d,
        "ESP",
        3,
        "count",
        "How many water bodies larger than 2 acres are there in the Spain 7370579 chip, not counting the largest?",
        d20,
    )
    Q(
        d,
        "MEK",
        2,
        "distance",
        "distance between the two closest separate water bodies in the Mekong chip, in feet?",
        lambda r: dist(float(nn_same_class(r, r.m(W))[2].min()) / FT, r.pxlen("ft"), "ft"),
    )
    Q(
        d,
        "NIG",
        3,
        "area",
        "Nigeria chip. Take the dry ground within 200 yards of water. What is it in acres?",
        lambda r: ar(r, r.m(L) & r.within(r.m(W), 200 * YD), "acre"),
    )
    Q(d, "D17", 1, "refusal", "What is the slope of the terrain in this tile, in degrees?", REFUSE)
    Q(d, "D13", 1, "area", "sqaure footage of road? gsd 1m", lambda r: ar(r, r.m(RD), "sqft"))
    Q(
        d,
        "D21",
        2,
        "object_size",
        "Average building size in square feet (GSD 1m)",
        lambda r: area(r.obj_areas(r.m(B))[2].mean() / SQFT, r.pxarea("sqft"), "sqft"),
    )
    Q(
        d,
        "D24",
        2,
        "yes_no",
        "Is any vegetation patch bigger than half an acre?",
        lambda r: yes(biggest(r, r.m(VG)) > ACRE / 2),
    )
    Q(
        d,
        "Z11",
        1,
        "area",
        "How many square miles of Shrub/Scrub?",
        lambda r: ar(r, r.m(52), "sqmi"),
    )
    Q(
        d,
        "LS",
        2,
        "area",
        "How many acres of code 23 are within 300 yards of code 12?",
        lambda r: ar(r, r.m(23) & r.within(r.m(12), 300 * YD), "acre"),
    )

    def d29(r):
        a = r.obj_areas(r.m(B))[2] / SQFT
        return area(a[a > 1000].mean(), r.pxarea("sqft"), "sqft")

    Q(
        d,
        "D58",
        3,
        "object_size",
        "(GSD: 0.5m) Of the buildings over 1,000 square feet, what's the mean footprint in sq ft?",
        d29,
    )

    # ------------------------------------------------------------------ real-estate developer
    v = "developer"
    Q(
        v,
        "D19",
        1,
        "proportion",
        "What percent of this lot is unpaved land?",
        lambda r: pct(r, r.m(LD)),
    )
    Q(
        v,
        "D19",
        2,
        "area",
        "How much unpaved land lies within 20 m of a road, in m²?",
        lambda r: ar(r, r.m(LD) & r.within(r.m(RD), 20), "m2"),
    )
    Q(
        v,
        "D17",
        3,
        "area",
        "We're scouting for build sites away from the water. Unpaved land that is not within 50 m of water: how many square metres is there?",
        lambda r: ar(r, r.m(LD) & r.farther(r.m(WT), 50), "m2"),
    )
    Q(
        v,
        "D17",
        2,
        "count",
        "How many blocks of unpaved land are larger than 5000 m²?",
        lambda r: count(n_obj(r, r.m(LD), amin=5000)),
    )
    Q(
        v,
        "D13",
        3,
        "proportion",
        "What share of the land (unpaved area) is within 100 m of water but more than 20 m from any building?",
        lambda r: pct(r, r.m(LD) & r.within(r.m(WT), 100) & r.farther(r.m(B), 20), den=r.m(LD)),
    )
    Q(
        v,
        "D13",
        2,
        "largest_object",
        "Largest single piece of unpaved land, in hectares?",
        lambda r: area(biggest(r, r.m(LD)) / 1e4, r.pxarea("ha"), "ha"),
    )
    Q(
        v,
        "D54",
        3,
        "proportion",
        "Leaving the water out, what share of the image is buildings?",
        lambda r: pct(r, r.m(B), den=r.valid & ~r.m(WT)),
    )
    Q(
        v,
        "D54",
        3,
        "area",
        "I want the unpaved land that's at least 50 m from every road and also at least 50 m from the water. How many hectares is that?",
        lambda r: ar(r, r.m(LD) & (r.D(r.m(RD)) >= 50 - 1e-6) & (r.D(r.m(WT)) >= 50 - 1e-6), "ha"),
    )
    Q(v, "D25", 1, "area", "Land (unpaved area) in hectares?", lambda r: ar(r, r.m(LD), "ha"))

    def v10(r):
        lab, n, tch = touching(r, r.m(LD), r.m(WT))
        a = r.obj_areas(r.m(LD))[2]
        return count(((a > 1000) & tch).sum())

    Q(v, "D25", 3, "count", "Of the unpaved land patches over 1,000 m², how many touch water?", v10)
    Q(
        v,
        "D23",
        2,
        "distance",
        "Mean distance from unpaved land to the nearest road, in metres?",
        lambda r: dist(float(r.D(r.m(RD))[r.m(LD)].mean()), r.pxlen(), "m"),
    )
    Q(
        v,
        "Z8",
        2,
        "area",
        "How much Shrubland lies within 1 km of built-up land, in hectares?",
        lambda r: ar(r, r.m(5) & r.within(r.m(2), 1000), "ha"),
    )
    Q(
        v,
        "Z8",
        3,
        "area",
        "Shrubland or Barren land more than 2 km from any Developed land and more than 500 m from Water: how many km²?",
        lambda r: ar(r, r.m(5, 3) & r.farther(r.m(2), 2000) & r.farther(r.m(1), 500), "km2"),
    )

    def v14(r):
        _, big, _ = objs_where(r, r.m(21), lambda lab, n, a: a > 10 * ACRE)
        return ar(r, r.m(52) & r.within(big, 200), "acre")

    Q(
        v,
        "Z11",
        3,
        "area",
        "Find the Developed, Open Space patches bigger than 10 acres. How much Shrub/Scrub is within 200 m of them, in acres?",
        v14,
    )
    Q(
        v,
        "Z11",
        2,
        "proportion",
        "What's the share of developed land (all Developed classes) within 1 km of Open Water?",
        lambda r: pct(r, r.m(*dev11) & r.within(r.m(11), 1000), den=r.m(*dev11)),
    )
    Q(
        v,
        "LS",
        1,
        "area",
        "How many hectares of code 24 on the 2012 land use map?",
        lambda r: ar(r, r.m(24), "ha"),
    )

    def v17(r):
        lab, n, a = r.obj_areas(r.m(25))
        dmax = obj_max(r.D(r.m(2)), lab, n)
        return count(((a >= 4.5e4) & (dmax <= 300 + 1e-6)).sum())

    Q(
        v,
        "LS",
        3,
        "count",
        "How many code-25 patches of at least 4.5 ha lie entirely within 300 m of code 2?",
        v17,
    )
    Q(
        v,
        "LS",
        2,
        "proportion",
        "Share of the mapped land that is code 23 or code 24?",
        lambda r: pct(r, r.m(23, 24)),
    )
    Q(
        v,
        "SLO",
        2,
        "area",
        "How many hectares of grassland are more than 30 m from forest?",
        lambda r: ar(r, r.m(3) & r.farther(r.m(2), 30), "ha"),
    )
    Q(
        v,
        "SLO",
        2,
        "yes_no",
        "Does any artificial surface touch forest directly?",
        lambda r: yes(touching(r, r.m(8), r.m(2))[2].any()),
    )
    Q(
        v,
        "MEK",
        1,
        "area",
        "How much dry ground (not water, and with data) is there in km²?",
        lambda r: ar(r, r.m(L), "km2"),
    )
    Q(
        v,
        "PAK",
        3,
        "area",
        "How much not-water land lies more than 300 m from the water, in hectares? Leave no data out.",
        lambda r: ar(r, r.m(L) & r.farther(r.m(W), 300), "ha"),
    )
    Q(
        v,
        "D21",
        2,
        "largest_object",
        "The unpaved land between the roads: what's the largest connected block, in m²?",
        lambda r: area(biggest(r, r.m(LD)), 1.0, "m2"),
    )
    Q(
        v,
        "D54",
        3,
        "proportion",
        "Of the ground within 60 m of the water (not the water itself), what share is buildings?",
        lambda r: pct(r, r.m(B), den=r.within(r.m(WT), 60) & ~r.m(WT)),
    )
    Q(v, "Z8", 1, "area", "Total Developed area in square miles?", lambda r: ar(r, r.m(2), "sqmi"))
    Q(
        v,
        "D18",
        3,
        "count",
        "How many buildings over 2,000 m² sit entirely within 60 m of a road? Pixels 1m.",
        lambda r: (
            lambda lab, n, a: count(
                ((a > 2000) & (obj_max(r.D(r.m(RD)), lab, n) <= 60 + 1e-6)).sum()
            )
        )(*r.obj_areas(r.m(B))),
    )
    Q(
        v,
        "Z11",
        3,
        "area",
        "Shrub/Scrub that is within 500 m of Developed, Open Space but not within 500 m of any Evergreen Forest - in hectares?",
        lambda r: ar(r, r.m(52) & r.within(r.m(21), 500) & r.farther(r.m(42), 500), "ha"),
    )
    Q(
        v,
        "D23",
        3,
        "area",
        "Not counting the two biggest buildings, what's the total building footprint? m2",
        lambda r: ar(r, without_largest(r, r.m(B), 2), "m2"),
    )

    # ------------------------------------------------------------------ second round (same voices)
    def n1(r):
        lab, n, a = r.obj_areas(r.m(B))
        dmin = obj_min(r.D(r.m(VG)), lab, n)
        return count(((a > 1000) & (dmin <= 20 + 1e-6)).sum())

    Q(
        c,
        "D19",
        3,
        "count",
        "Consider the buildings larger than 1,000 m². How many of those are within 20 m of vegetation? Count one if any part of it is within 20 m.",
        n1,
    )

    def n2(r):
        a = r.obj_areas(r.m(B))[2]
        return area(a[a > 100].min(), 1.0, "m2")

    Q(
        t,
        "D18",
        3,
        "object_size",
        "What is the area of the smallest building (among buildings larger than 100 m²)? Pixels are 1 m.",
        n2,
    )

    def n3(r):
        _, big, _ = objs_where(r, r.m(11), lambda lab, n, a: a > 5e4)
        return ar(r, r.m(90) & r.within(big, 500), "ha")

    Q(
        h,
        "Z11",
        3,
        "area",
        "Find the Open Water patches over 5 ha. What area of Woody Wetlands lies within 500 m of them? Answer in ha.",
        n3,
    )

    def n4(r):
        lab, n, a = r.obj_areas(r.m(42))
        dmin = obj_min(r.D(r.m(21)), lab, n)
        return count(((a > 10e4) & (dmin <= 100 + 1e-6)).sum())

    Q(
        f,
        "Z11",
        3,
        "count",
        "Evergreen Forest stands over 10 ha: how many of them are partly within 100 m of Developed, Open Space?",
        n4,
    )
    Q(
        v,
        "D25",
        3,
        "count",
        "The buildings here - how many have no other building within 20 m? Pixel is 1 metre.",
        lambda r: count((nn_same_class(r, r.m(B))[2] > 20 + 1e-6).sum()),
    )
    Q(
        d,
        "D19",
        3,
        "area",
        "Take the roads. Everything within 10 yards of them that isn't road itself - how many square feet is that?",
        lambda r: ar(r, r.within(r.m(RD), 10 * YD) & ~r.m(RD) & r.valid, "sqft"),
    )
    Q(
        c,
        "LS",
        3,
        "proportion",
        "Leaving out code 12, what fraction of the mapped land is code 25? percentage please",
        lambda r: pct(r, r.m(25), den=r.valid & ~r.m(12)),
    )
    Q(
        t,
        "PAK",
        2,
        "yes_no",
        "Is there a dry place in the Pakistan chip more than 500 m from every water pixel?",
        lambda r: yes((r.D(r.m(W))[r.m(L)] > 500).any()),
    )
    Q(
        h,
        "ESP",
        2,
        "count",
        "Spain_7370579 again. Count the water patches larger than 0.5 ha but smaller than 5 ha.",
        lambda r: count(n_obj(r, r.m(W), amin=5e3, amax=5e4)),
    )
    Q(
        v,
        "Z8",
        3,
        "area",
        "Everything that is neither Forest nor Shrubland nor Barren - how many square km is that?",
        lambda r: ar(r, r.valid & ~r.m(4, 5, 3), "km2"),
    )
    Q(
        f,
        "SLO",
        3,
        "area",
        "Grassland that is not within 20 m of forest and not within 20 m of artificial surface - hectares?",
        lambda r: ar(r, r.m(3) & r.farther(r.m(2), 20) & r.farther(r.m(8), 20), "ha"),
    )
    Q(
        d,
        "D58",
        2,
        "count",
        "(GSD: 0.5m) Count the buildings bigger than 500 sq ft.",
        lambda r: count(n_obj(r, r.m(B), amin=500 * SQFT)),
    )
    Q(f, "SLO", 1, "refusal", "How much of the land is vineyards?", REFUSE)
    Q(t, "LS", 1, "refusal", "What share of the Lausanne map is forest?", REFUSE)
    Q(
        h,
        "Z8",
        1,
        "refusal",
        "How much of Zion is Emergent Herbaceous Wetlands, in hectares?",
        REFUSE,
    )

    def n16(r):
        _, big, _ = objs_where(r, r.m(B), lambda lab, n, a: a > 1500)
        return pct(r, r.m(LD) & r.within(big, 15), den=r.m(LD))

    Q(
        v,
        "D21",
        3,
        "proportion",
        "Look at the buildings over 1,500 m². Now take the unpaved land within 15 m of those. What share of all the unpaved land is that, in percent?",
        n16,
    )

    def n17(r):
        _, big, _ = objs_where(r, r.m(W), lambda lab, n, a: a > 5e3)
        return dist(float(nn_same_class(r, big)[2].min()), r.pxlen(), "m")

    Q(
        h,
        "MEK",
        3,
        "distance",
        "Among the Mekong water bodies bigger than 0.5 ha, which two are closest together, and how far apart are they (m)? I only need the distance.",
        n17,
    )

    def n18(r):
        lab, n, tch = touching(r, r.m(22), r.m(21))
        dmin = obj_min(r.D(r.m(11)), lab, n)
        return count((tch & (dmin >= 1000 - 1e-6)).sum())

    Q(
        c,
        "Z11",
        3,
        "count",
        "How many Developed, Low Intensity patches touch Developed, Open Space but are at least 1 km from every Open Water pixel?",
        n18,
    )


def build():
    R = load_all()
    add_questions(Q)
    recs = []
    for i, (persona, key, tier, qtype, text, fn) in enumerate(QS, 1):
        r = R[key]
        res = fn(r) if callable(fn) else fn
        rec = {"id": f"blind6-{i:03d}", "persona": persona, "image": r.image}
        rec["product"] = r.product if isinstance(r.product, str) else json.dumps(r.product)
        if r.gsd is not None:
            rec["gsd"] = r.gsd
        rec["question"] = text
        if res["kind"] in ("yesno", "refuse"):
            rec["answer"] = res["v"]
            rec["acceptable_range_lower"] = None
            rec["acceptable_range_upper"] = None
            rec["unit"] = None
        else:
            v = res["v"]
            rec["answer"] = round(float(v), 4) if res["kind"] != "count" else int(v)
            lo, hi = v - res["tol"], v + res["tol"]
            if res["kind"] == "count" and v > 10:
                lo, hi = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
            rec["acceptable_range_lower"] = round(float(lo), 4)
            rec["acceptable_range_upper"] = round(float(hi), 4)
            rec["unit"] = res["unit"]
        rec["tier"] = tier
        rec["type"] = qtype
        recs.append((rec, res))
    with open(HERE / "blind6.jsonl", "w") as f:
        for rec, _ in recs:
            f.write(json.dumps(rec) + "\n")
    return R, recs


# ----------------------------------------------------------------------------- cross-checks


def cross_check(R):
    """A sample of truths computed a second way."""
    n_ok = 0
    # 1. object counts: scipy.ndimage.label vs skimage.measure.label (8- and 4-connectivity)
    for key, codes in [
        ("Z8", (1,)),
        ("Z8", (2,)),
        ("Z11", (41, 42, 43)),
        ("LS", (25,)),
        ("PAK", (1,)),
        ("ESP", (1,)),
        ("D18", (1,)),
        ("D58", (4,)),
        ("SLO", (3,)),
    ]:
        r = R[key]
        m = r.m(*codes)
        for conn, st in [(8, 2), (4, 1)]:
            a = r.lab(m, conn)[1]
            b = measure.label(m, connectivity=st).max()
            assert a == b, (key, codes, conn, a, b)
            n_ok += 1
    # 2. distances: EDT vs brute force (KD-tree) on a subset of pixels
    rng = np.random.default_rng(6)
    for key, codes in [("Z8", (1,)), ("LS", (12,)), ("D18", (3,)), ("SLO", (8,))]:
        r = R[key]
        m = r.m(*codes)
        d = r.D(m)
        ys, xs = np.nonzero(m)
        tree = spatial.cKDTree(np.c_[ys * r.dy, xs * r.dx])
        py, px = rng.integers(0, m.shape[0], 300), rng.integers(0, m.shape[1], 300)
        bf, _ = tree.query(np.c_[py * r.dy, px * r.dx])
        assert np.allclose(bf, d[py, px], atol=1e-6), key
        n_ok += 1
    # 3. geographic chips: local metric spacing vs exact geodesic distances between pixel centres
    for key in ["MEK", "NIG", "PAK", "ESP"]:
        r = R[key]
        with rasterio.open(os.path.join(HERE, r.image)) as ds:
            t = ds.transform
        m = r.m(1)
        ys, xs = np.nonzero(m)
        sel = rng.choice(len(ys), min(200, len(ys)), replace=False)
        ys, xs = ys[sel], xs[sel]
        qy, qx = rng.integers(0, 512, 200), rng.integers(0, 512, 200)
        lon = lambda x, t=t: t.c + (x + 0.5) * t.a  # noqa: E731
        lat = lambda y, t=t: t.f + (y + 0.5) * t.e  # noqa: E731
        # exact nearest geodesic distance from each query pixel to the sampled water pixels
        exact = np.array(
            [
                GEOD.inv(np.full(len(xs), lon(x)), np.full(len(xs), lat(y)), lon(xs), lat(ys))[
                    2
                ].min()
                for y, x in zip(qy, qx, strict=True)
            ]
        )
        tree = spatial.cKDTree(np.c_[ys * r.dy, xs * r.dx])
        local, _ = tree.query(np.c_[qy * r.dy, qx * r.dx])
        rel = np.abs(local - exact) / np.maximum(exact, 1)
        assert rel.max() < 0.005, (key, rel.max())
        # pixel area: sum of geodesic pixel areas vs the whole chip's geodesic area
        h, w = r.a.shape
        lons = [t.c, t.c + w * t.a, t.c + w * t.a, t.c]
        lats = [t.f + h * t.e, t.f + h * t.e, t.f, t.f]
        whole = abs(GEOD.polygon_area_perimeter(lons, lats)[0])
        assert abs(r.pa.sum() - whole) / whole < 1e-6, key
        n_ok += 2
    # 4. areas of objects: ndi.sum vs regionprops
    for key, codes in [("D19", (1,)), ("ESP", (1,))]:
        r = R[key]
        lab, n, a = r.obj_areas(r.m(*codes))
        rp = measure.regionprops(lab)
        if r.key.startswith("D"):
            assert np.allclose(sorted(a), sorted(p.area * r.pxarea() for p in rp)), key
        else:
            assert np.allclose(sorted(a), sorted(r.pa[lab == p.label].sum() for p in rp)), key
        n_ok += 1
    return n_ok


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    R, recs = build()
    n = cross_check(R)
    from collections import Counter

    print(f"{len(recs)} records; {n} cross-checks passed")
    print("tiers", sorted(Counter(r["tier"] for r, _ in recs).items()))
    print("types", sorted(Counter(r["type"] for r, _ in recs).items()))
    print("personas", sorted(Counter(r["persona"] for r, _ in recs).items()))
    print("rasters", sorted(Counter(r["image"] for r, _ in recs).items()))
    if "-v" in sys.argv:
        for rec, _ in recs:
            print(
                rec["id"],
                rec["tier"],
                rec["answer"],
                rec["acceptable_range_lower"],
                rec["acceptable_range_upper"],
                rec["unit"],
                "|",
                rec["question"][:90],
            )
