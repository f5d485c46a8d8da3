"""Build the blind question set 1 (blind1.jsonl) with truths computed from the rasters.

Truths use numpy, scipy.ndimage, scipy.spatial, rasterio, pyproj and PIL only (never geoquant).
Run from anywhere:  python benchmarks/blind/blind1_build.py
Writes benchmarks/blind/blind1.jsonl and the Dubai code masks under benchmarks/blind/data/.

Conventions (see README.md): objects are 8-connected unless the question says otherwise; no-data
pixels are neither object nor background and are left out of denominators unless the question
says "of the image"; distances are between pixel centres, Euclidean in metres (geographic grids:
pixel centres projected to their local UTM zone); "within d" means distance <= d.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from pyproj import CRS, Geod, Transformer
from scipy import ndimage
from scipy.spatial import cKDTree

HERE = Path(__file__).resolve().parent
DATA = Path("/work/shared/data/real")
OUT = HERE / "blind1.jsonl"
EIGHT = np.ones((3, 3), bool)
FOUR = ndimage.generate_binary_structure(2, 1)

ACRE = 4046.8564224
SQFT = 0.09290304
SQMI = 2589988.110336
FOOT = 0.3048
MILE = 1609.344


# --------------------------------------------------------------------------------------------
# grids
# --------------------------------------------------------------------------------------------
class Grid:
    """A categorical raster with valid mask, per-pixel areas (m²) and a distance function."""

    def __init__(self, arr, valid, dx=None, dy=None, geo_transform=None):
        self.a = arr
        self.valid = valid
        self.h, self.w = arr.shape
        self._cache = {}
        if geo_transform is None:  # projected / local metric grid
            self.dx, self.dy = float(dx), float(dy)
            self.px_area = np.full(arr.shape, self.dx * self.dy)
            self.px = max(self.dx, self.dy)
            self.xy = None
        else:  # EPSG:4326 grid: geodesic areas, centres projected to the local UTM zone
            t = geo_transform
            geod = Geod(ellps="WGS84")
            rows = np.arange(self.h)
            lat_top = t.f + rows * t.e
            lat_bot = lat_top + t.e
            lon0, lon1 = t.c, t.c + t.a
            areas = np.array([abs(geod.polygon_area_perimeter(
                [lon0, lon1, lon1, lon0], [lb, lb, lt, lt])[0]) for lt, lb in zip(lat_top, lat_bot)])
            self.px_area = np.repeat(areas[:, None], self.w, axis=1)
            cols = np.arange(self.w)
            lon = t.c + (cols + 0.5) * t.a
            lat = t.f + (rows + 0.5) * t.e
            LON, LAT = np.meshgrid(lon, lat)
            zone = int((lon.mean() + 180) // 6) + 1
            epsg = (32600 if lat.mean() >= 0 else 32700) + zone
            tr = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True)
            X, Y = tr.transform(LON, LAT)
            self.xy = np.stack([X, Y], -1)
            # largest side of a pixel in metres (for one-pixel tolerances)
            self.px = float(max(np.hypot(*(self.xy[0, 1] - self.xy[0, 0])),
                                np.hypot(*(self.xy[1, 0] - self.xy[0, 0]))))
            self.dx = self.dy = None

    # masks ---------------------------------------------------------------------------------
    def m(self, *codes):
        return np.isin(self.a, codes) & self.valid

    # distances -----------------------------------------------------------------------------
    def dist(self, target):
        """Distance (m) from every pixel centre to the nearest target pixel centre."""
        key = ("d", target.tobytes().__hash__(), target.sum())
        if key in self._cache:
            return self._cache[key]
        if not target.any():
            d = np.full(target.shape, np.inf)
        elif self.xy is None:
            d = ndimage.distance_transform_edt(~target, sampling=(self.dy, self.dx))
        else:
            tree = cKDTree(self.xy[target])
            d = tree.query(self.xy.reshape(-1, 2))[0].reshape(target.shape)
        self._cache[key] = d
        return d

    # objects -------------------------------------------------------------------------------
    def label(self, mask, conn=8):
        return ndimage.label(mask, structure=EIGHT if conn == 8 else FOUR)

    def obj_areas(self, lab, n):
        if n == 0:
            return np.zeros(0)
        return np.asarray(ndimage.sum(self.px_area, lab, np.arange(1, n + 1)))

    def obj_min(self, field, lab, n):
        if n == 0:
            return np.zeros(0)
        return np.asarray(ndimage.minimum(field, lab, np.arange(1, n + 1)))

    def obj_max(self, field, lab, n):
        if n == 0:
            return np.zeros(0)
        return np.asarray(ndimage.maximum(field, lab, np.arange(1, n + 1)))

    def area(self, mask):
        return float(self.px_area[mask].sum())

    def coords(self, mask):
        if self.xy is None:
            r, c = np.nonzero(mask)
            return np.stack([(c + 0.5) * self.dx, -(r + 0.5) * self.dy], -1)
        return self.xy[mask]

    def nearest_other_object(self, lab, n):
        """For each object, the distance (m) to the nearest pixel of any other object."""
        inner = ndimage.binary_erosion(lab > 0, FOUR, border_value=0)
        bnd = (lab > 0) & ~inner
        pts = self.coords(bnd)
        ids = lab[bnd]
        out = np.full(n, np.inf)
        for i in range(1, n + 1):
            mine = ids == i
            others = ~mine
            if not others.any():
                continue
            tree = cKDTree(pts[others])
            out[i - 1] = tree.query(pts[mine])[0].min()
        return out

    def touches(self, lab, n, other):
        """Objects with a pixel 8-adjacent to (or overlapping) a pixel of `other`."""
        near = ndimage.binary_dilation(other, EIGHT)
        hit = ndimage.maximum(near.astype(np.uint8), lab, np.arange(1, n + 1))
        return np.asarray(hit) > 0


def open_tif(path, nodata_codes=()):
    with rasterio.open(path) as r:
        a = r.read(1)
        t = r.transform
        nd = r.nodata
        crs = r.crs
    valid = np.ones(a.shape, bool)
    if nd is not None:
        valid &= a != nd
    for c in nodata_codes:
        valid &= a != c
    if crs.is_geographic:
        return Grid(a, valid, geo_transform=t)
    return Grid(a, valid, dx=abs(t.a), dy=abs(t.e))


# --------------------------------------------------------------------------------------------
# ranges
# --------------------------------------------------------------------------------------------
def rng_rel(v, floor):
    tol = max(0.05 * abs(v), floor)
    lo = v - tol
    if v >= 0:
        lo = max(lo, 0.0)
    return lo, v + tol


def rng_count(n):
    if n <= 10:
        return n, n
    return 0.9 * n, 1.1 * n


RECORDS = []


def add(g, src, qid, question, kind, value, unit, qtype, tier, *, floor=None, product=None,
        gsd=None):
    """kind: 'share' (floor = one pixel in %), 'area' (floor one pixel in unit), 'count',
    'dist' (floor one pixel in unit), 'yn', 'rel' (5 % with the given floor)."""
    if kind == "yn":
        ans, lo, hi = ("yes" if value else "no"), None, None
    elif kind == "count":
        ans = int(value)
        lo, hi = rng_count(ans)
    else:
        ans = float(value)
        lo, hi = rng_rel(ans, floor if floor is not None else 0.0)
    rec = {"id": qid, "question": question, "answer": ans,
           "acceptable_range_lower": None if lo is None else round(float(lo), 6),
           "acceptable_range_upper": None if hi is None else round(float(hi), 6),
           "unit": unit, "type": qtype, "tier": tier, "image": src["image"],
           "product": product if product is not None else src["product"]}
    if src.get("gsd") is not None:
        rec["gsd"] = src["gsd"]
    rec["datetime"] = None
    RECORDS.append(rec)


def share_floor(g, denom_mask):
    return 100.0 / max(int(denom_mask.sum()), 1)


def pct(g, num, den):
    return 100.0 * g.area(num) / g.area(den)


# --------------------------------------------------------------------------------------------
# Zion NLCD, 8 classes
# --------------------------------------------------------------------------------------------
def zion8():
    path = DATA / "zion-landsat-nlcd/nlcd.tif"
    g = open_tif(path)
    legend = {"1": "water", "2": "developed", "3": "barren", "4": "forest", "5": "shrubland",
              "6": "herbaceous", "7": "cultivated", "8": "wetlands"}
    src = {"image": str(path), "product": legend}
    W, D, B, F, S, H, C, WL = (g.m(i) for i in range(1, 9))
    V = g.valid
    pa = float(g.px_area[0, 0])
    px = g.px
    A = lambda q, *a, **k: add(g, src, "z8-%02d" % (len([r for r in RECORDS if r["id"].startswith("z8-")]) + 1), q, *a, **k)

    A("What percentage of the map is shrubland?", "share", pct(g, S, V), "%", "share", 1,
      floor=share_floor(g, V))
    A("How many km² of forest are there?", "area", g.area(F) / 1e6, "km²", "area", 1, floor=pa / 1e6)
    lw, nw = g.label(W)
    A("How many separate water bodies are there?", "count", nw, "", "count", 1)
    A("total wetlands area in hectares?", "area", g.area(WL) / 1e4, "ha", "area", 1, floor=pa / 1e4)
    ld, nd = g.label(D)
    ad = g.obj_areas(ld, nd)
    A("How large is the biggest patch of developed land, in ha?", "area", ad.max() / 1e4, "ha",
      "object_size", 1, floor=pa / 1e4)
    lf, nf = g.label(F)
    af = g.obj_areas(lf, nf)
    A("How many forest patches are larger than 50 ha?", "count", (af > 50e4).sum(), "", "count", 2)
    A("How many acres of cultivated land are there?", "area", g.area(C) / ACRE, "acres", "area", 2,
      floor=pa / ACRE)
    A("What share of the non-barren land is forest?", "share", pct(g, F, V & ~B), "%", "share", 2,
      floor=share_floor(g, V & ~B))
    dD = g.dist(D)
    A("How much shrubland lies within 100 m of developed land? Answer in hectares.", "area",
      g.area(S & (dD <= 100)) / 1e4, "ha", "proximity", 2, floor=pa / 1e4)
    dW = g.dist(W)
    A("What is the shortest distance between water and developed land, in metres?", "dist",
      dW[D].min(), "m", "distance", 2, floor=px)
    lh, nh = g.label(H)
    A("How many herbaceous patches touch forest?", "count", g.touches(lh, nh, F).sum(), "",
      "proximity", 2)
    A("What is the greatest distance from any point of the map to the nearest water pixel, in km?",
      "dist", dW[V].max() / 1000, "km", "distance", 2, floor=px / 1000)
    dF = g.dist(F)
    A("Mean distance from developed pixels to the nearest forest, in metres?", "dist",
      dF[D].mean(), "m", "distance", 2, floor=px)
    big = af > 10e4
    fmin_d = g.obj_min(dD, lf, nf)
    A("Of the forest patches over 10 ha, how many lie within 500 m of developed land?", "count",
      (big & (fmin_d <= 500)).sum(), "", "proximity", 3)
    lwl, nwl = g.label(WL)
    A("How many wetland patches are wholly farther than 1 km from any developed land?", "count",
      (g.obj_min(dD, lwl, nwl) > 1000).sum(), "", "proximity", 3)
    A("Not counting the largest one, what is the total area of the forest patches in hectares?",
      "area", (af.sum() - af.max()) / 1e4, "ha", "object_size", 3, floor=pa / 1e4)
    aw = g.obj_areas(lw, nw)
    bigw = np.isin(lw, np.nonzero(aw > 1e4)[0] + 1)
    A("Find the water bodies bigger than 1 ha. How much wetland area lies within 200 m of them, in hectares?",
      "area", g.area(WL & (g.dist(bigw) <= 200)) / 1e4, "ha", "proximity", 3, floor=pa / 1e4)
    rest = V & ~S & ~F
    A("What share of the land that is not shrubland and not forest is barren? Reply as a percentage.",
      "share", pct(g, B, rest), "%", "share", 3, floor=share_floor(g, rest))
    lc, nc = g.label(C)
    A("Are there more cultivated patches than herbaceous patches?", "yn", nc > nh, "", "comparison", 3)
    A("Is there a place in the map more than 15 km from every developed pixel?", "yn",
      dD[V].max() > 15000, "", "distance", 3)
    hmin_w = g.obj_min(dW, lh, nh)
    hmin_d = g.obj_min(dD, lh, nh)
    A("How many herbaceous patches are within 2 km of water but more than 500 m from developed land?",
      "count", ((hmin_w <= 2000) & (hmin_d > 500)).sum(), "", "multi_condition", 3)
    rest2 = V & ~B & ~W
    A("Excluding barren land and water, what fraction of the area is developed? (%)", "share",
      pct(g, D, rest2), "%", "share", 3, floor=share_floor(g, rest2))
    A("How fragmented is the herbaceous class - how many patches per 100 km²?", "rel",
      nh / (g.area(V) / 1e6) * 100, "patches per 100 km²", "fragmentation", 2, floor=0.0)
    ls_, ns = g.label(S)
    as_ = g.obj_areas(ls_, ns)
    A("What is the average size of a shrubland patch in hectares?", "rel", as_.mean() / 1e4, "ha",
      "object_size", 1, floor=0.0)
    A("Among forest patches larger than 1 ha, what is the mean patch size (ha)?", "rel",
      af[af > 1e4].mean() / 1e4, "ha", "object_size", 2, floor=0.0)
    A("Are small forest patches (under 1 ha) more numerous than large ones (over 100 ha)?", "yn",
      (af < 1e4).sum() > (af > 100e4).sum(), "", "comparison", 3)
    A("How many developed patches are partly within 100 m of water?", "count",
      (g.obj_min(dW, ld, nd) <= 100).sum(), "", "proximity", 3)
    A("How many cultivated patches lie entirely within 2 km of water?", "count",
      (g.obj_max(dW, lc, nc) <= 2000).sum(), "", "proximity", 3)
    A("Is the largest forest patch bigger than all shrubland patches combined?", "yn",
      af.max() > g.area(S), "", "comparison", 3)
    A("What is the area of herbaceous land within 1 km of water, in square miles?", "area",
      g.area(H & (dW <= 1000)) / SQMI, "sq mi", "proximity", 2, floor=pa / SQMI)
    A("Take the developed land within 500 m of water. How big is that, in hectares?", "area",
      g.area(D & (dW <= 500)) / 1e4, "ha", "proximity", 3, floor=pa / 1e4)
    dS = g.dist(S)
    A("What share of the forest lies more than 300 m from shrubland?", "share",
      pct(g, F & (dS > 300), F), "%", "proximity", 2, floor=share_floor(g, F))
    dWl_from_w = dW[WL]
    A("How far is the wetland pixel that lies farthest from all water? (km)", "dist",
      dWl_from_w.max() / 1000, "km", "distance", 2, floor=px / 1000)
    A("how many blobs of barren land are there in total", "count", g.label(B)[1], "", "count", 1)
    A("What is the smallest distance between cultivated land and wetlands in meters?", "dist",
      g.dist(WL)[C].min(), "m", "distance", 2, floor=px)
    A("Forest and shrubland together: what percent of the area do they cover?", "share",
      pct(g, F | S, V), "%", "share", 2, floor=share_floor(g, V))


# --------------------------------------------------------------------------------------------
# Zion NLCD 2011, full legend
# --------------------------------------------------------------------------------------------
def zion_full():
    path = DATA / "zion-landsat-nlcd/nlcd2011.tif"
    g = open_tif(path)
    legend = {"11": "Open Water", "21": "Developed, Open Space", "22": "Developed, Low Intensity",
              "23": "Developed, Medium Intensity", "24": "Developed, High Intensity",
              "31": "Barren Land (Rock/Sand/Clay)", "41": "Deciduous Forest",
              "42": "Evergreen Forest", "43": "Mixed Forest", "52": "Shrub/Scrub",
              "71": "Grassland/Herbaceous", "81": "Pasture/Hay", "82": "Cultivated Crops",
              "90": "Woody Wetlands", "95": "Emergent Herbaceous Wetlands"}
    src = {"image": str(path), "product": legend}
    V = g.valid
    pa = float(g.px_area[0, 0])
    px = g.px
    A = lambda q, *a, **k: add(g, src, "nl-%02d" % (len([r for r in RECORDS if r["id"].startswith("nl-")]) + 1), q, *a, **k)

    A("What share of the map is Evergreen Forest?", "share", pct(g, g.m(42), V), "%", "share", 1,
      floor=share_floor(g, V))
    A("How many hectares of Deciduous Forest are there?", "area", g.area(g.m(41)) / 1e4, "ha", "area", 1,
      floor=pa / 1e4)
    A("Area of Shrub/Scrub in km2?", "area", g.area(g.m(52)) / 1e6, "km²", "area", 1, floor=pa / 1e6)
    A("What share of the area is Developed, Open Space? Reply as a percentage.", "share",
      pct(g, g.m(21), V), "%", "share", 1, floor=share_floor(g, V))
    lww, nww = g.label(g.m(90))
    aww = g.obj_areas(lww, nww)
    A("How many patches of Woody Wetlands are larger than 5 ha?", "count", (aww > 5e4).sum(), "",
      "count", 2)
    A("How many acres of Pasture/Hay?", "area", g.area(g.m(81)) / ACRE, "acres", "area", 2,
      floor=pa / ACRE)
    A("How many Emergent Herbaceous Wetlands patches are there?", "count", g.label(g.m(95))[1], "",
      "count", 1)
    dW = g.dist(g.m(11))
    A("What is the total area of Grassland/Herbaceous within 1 km of Open Water, in ha?", "area",
      g.area(g.m(71) & (dW <= 1000)) / 1e4, "ha", "proximity", 2, floor=pa / 1e4)
    A("Is there more Mixed Forest than Cultivated Crops?", "yn", g.area(g.m(43)) > g.area(g.m(82)), "",
      "comparison", 2)
    lph, nph = g.label(g.m(81))
    A("How many Pasture/Hay fields are adjacent to Developed, Low Intensity land?", "count",
      g.touches(lph, nph, g.m(22)).sum(), "", "proximity", 2)
    ldf, ndf = g.label(g.m(41))
    adf = g.obj_areas(ldf, ndf)
    A("Of the Deciduous Forest patches over 5 ha, how many touch Developed, Open Space?",
      "count", ((adf > 5e4) & g.touches(ldf, ndf, g.m(21))).sum(), "", "proximity", 3)
    dev = g.m(21, 22, 23, 24)
    A("Of all developed land (any intensity, open space included), what percentage is Developed, Low Intensity?",
      "share", pct(g, g.m(22), dev), "%", "share", 3, floor=share_floor(g, dev))
    A("What is the mean distance from Pasture/Hay pixels to the nearest Open Water pixel in metres?",
      "dist", dW[g.m(81)].mean(), "m", "distance", 2, floor=px)
    nb = V & ~g.m(31)
    A("Ignoring Barren Land (Rock/Sand/Clay), what percentage of the remaining area is Shrub/Scrub?",
      "share", pct(g, g.m(52), nb), "%", "share", 3, floor=share_floor(g, nb))
    low, now = g.label(g.m(11))
    aow = g.obj_areas(low, now)
    bigw = np.isin(low, np.nonzero(aow > 2e4)[0] + 1)
    A("Find the Open Water bodies larger than 2 ha. How many Woody Wetlands patches lie within 100 m of them?",
      "count", (g.obj_min(g.dist(bigw), lww, nww) <= 100).sum(), "", "proximity", 3)
    lev, nev = g.label(g.m(42))
    aev = g.obj_areas(lev, nev)
    A("Largest Evergreen Forest patch, in km²?", "area", aev.max() / 1e6, "km²", "object_size", 1,
      floor=pa / 1e6)
    dWW = g.dist(g.m(90))
    A("How many hectares of Cultivated Crops or Pasture/Hay lie within 500 m of Woody Wetlands?", "area",
      g.area(g.m(81, 82) & (dWW <= 500)) / 1e4, "ha", "proximity", 3, floor=pa / 1e4)
    A("How close does Developed, Medium Intensity land come to Open Water? Answer in feet.", "dist",
      dW[g.m(23)].min() / FOOT, "ft", "distance", 2, floor=px / FOOT)
    s = np.sort(aev)[::-1]
    A("What is the total area of Evergreen Forest patches excluding the two largest, in km²?", "area",
      s[2:].sum() / 1e6, "km²", "object_size", 3, floor=pa / 1e6)
    A("Are there more Deciduous Forest patches under 1 ha than over 10 ha?", "yn",
      (adf < 1e4).sum() > (adf > 10e4).sum(), "", "comparison", 3)
    A("What percent of the Evergreen Forest is within 100 m of Deciduous Forest?", "share",
      pct(g, g.m(42) & (g.dist(g.m(41)) <= 100), g.m(42)), "%", "proximity", 2,
      floor=share_floor(g, g.m(42)))


# --------------------------------------------------------------------------------------------
# Lausanne land use (codes)
# --------------------------------------------------------------------------------------------
def lausanne():
    g6 = open_tif(DATA / "lausanne-landuse/ls100_06.tif")
    g12 = open_tif(DATA / "lausanne-landuse/ls100_12.tif")
    s6 = {"image": str(DATA / "lausanne-landuse/ls100_06.tif"), "product": "codes"}
    s12 = {"image": str(DATA / "lausanne-landuse/ls100_12.tif"), "product": "codes"}

    def A(g, src, q, *a, **k):
        add(g, src, "ls-%02d" % (len([r for r in RECORDS if r["id"].startswith("ls-")]) + 1), q, *a, **k)

    for g, src in ((g6, s6),):
        V, pa, px = g.valid, float(g.px_area[0, 0]), g.px
        A(g, src, "What share of the area is land-use code 12?", "share", pct(g, g.m(12), V), "%", "share", 1,
          floor=share_floor(g, V))
        A(g, src, "How many separate patches of land-use code 2 are there?", "count", g.label(g.m(2))[1], "",
          "count", 1)
        l24, n24 = g.label(g.m(24))
        a24 = g.obj_areas(l24, n24)
        A(g, src, "How many patches of code 24 are larger than 10 ha?", "count", (a24 > 10e4).sum(), "",
          "count", 2)
        A(g, src, "What percentage of the whole image is no data?", "share",
          100.0 * (~V).sum() / V.size, "%", "share", 2, floor=100.0 / V.size)
        A(g, src, "What is the area of code 23 within 200 m of code 12, in ha?", "area",
          g.area(g.m(23) & (g.dist(g.m(12)) <= 200)) / 1e4, "ha", "proximity", 2, floor=pa / 1e4)
        l2, n2 = g.label(g.m(2))
        a2 = g.obj_areas(l2, n2)
        A(g, src, "Of the code 2 patches bigger than 5 ha, how many are within 300 m of code 12?", "count",
          ((a2 > 5e4) & (g.obj_min(g.dist(g.m(12)), l2, n2) <= 300)).sum(), "", "proximity", 3)
        A(g, src, "Min distance between code 41 and code 35, in km?", "dist",
          g.dist(g.m(35))[g.m(41)].min() / 1000, "km", "distance", 2, floor=px / 1000)
        rest = V & ~g.m(12, 25)
        A(g, src, "Excluding codes 12 and 25, what share of the rest is code 2?", "share",
          pct(g, g.m(2), rest), "%", "share", 3, floor=share_floor(g, rest))
        l3, n3 = g.label(g.m(3))
        A(g, src, "What is the mean patch size of code 3 in hectares?", "rel",
          g.obj_areas(l3, n3).mean() / 1e4, "ha", "object_size", 2, floor=0.0)
        A(g, src, "Are there more patches of code 1 than of code 3?", "yn", g.label(g.m(1))[1] > n3, "",
          "comparison", 3)
        A(g, src, "Is any code 41 pixel more than 2 km from the nearest code 2 pixel?", "yn",
          g.dist(g.m(2))[g.m(41)].max() > 2000, "", "distance", 2)
        A(g, src, "What is the maximum distance from any valid pixel to the nearest code 2 pixel, in metres?",
          "dist", g.dist(g.m(2))[V].max(), "m", "distance", 2, floor=px)
        A(g, src, "Everything except code 12: what is its area in km²?", "area",
          g.area(V & ~g.m(12)) / 1e6, "km²", "area", 3, floor=pa / 1e6)
        l29, n29 = g.label(g.m(29))
        a29 = g.obj_areas(l29, n29)
        big = np.isin(l29, np.nonzero(a29 > 3e4)[0] + 1)
        A(g, src, "Find the code 29 patches larger than 3 ha. How much code 12 area lies within 200 m of them, in ha?",
          "area", g.area(g.m(12) & (g.dist(big) <= 200)) / 1e4, "ha", "proximity", 3, floor=pa / 1e4)
        A(g, src, "How many code 7 clusters are there, using 4-connectivity (edge neighbours only)?", "count",
          g.label(g.m(7), conn=4)[1], "", "count", 2)

    g, src = g12, s12
    V, pa, px = g.valid, float(g.px_area[0, 0]), g.px
    A(g, src, "How many hectares does code 25 cover?", "area", g.area(g.m(25)) / 1e4, "ha", "area", 1,
      floor=pa / 1e4)
    l41, n41 = g.label(g.m(41))
    A(g, src, "What is the largest patch of code 41 in hectares?", "area", g.obj_areas(l41, n41).max() / 1e4,
      "ha", "object_size", 1, floor=pa / 1e4)
    l25, n25 = g.label(g.m(25))
    a25 = g.obj_areas(l25, n25)
    A(g, src, "What is the total area of code 25 outside its largest patch, in hectares?", "area",
      (a25.sum() - a25.max()) / 1e4, "ha", "object_size", 3, floor=pa / 1e4)
    A(g, src, "Does code 24 cover more ground than code 23?", "yn", g.area(g.m(24)) > g.area(g.m(23)), "",
      "comparison", 2)
    l21, n21 = g.label(g.m(21))
    A(g, src, "How many code 21 patches lie wholly farther than 200 m from code 12?", "count",
      (g.obj_min(g.dist(g.m(12)), l21, n21) > 200).sum(), "", "proximity", 3)
    A(g, src, "Average distance from code 41 pixels to the nearest code 12 pixel (m)?", "dist",
      g.dist(g.m(12))[g.m(41)].mean(), "m", "distance", 2, floor=px)
    c15 = g.m(15)
    A(g, src, "Take the code 15 land within 100 m of code 2. What share of all code 15 is that?", "share",
      pct(g, c15 & (g.dist(g.m(2)) <= 100), c15), "%", "proximity", 3, floor=share_floor(g, c15))
    A(g, src, "share of land use code 41?", "share", pct(g, g.m(41), V), "%", "share", 1,
      floor=share_floor(g, V))
    l24, n24 = g.label(g.m(24))
    a24 = g.obj_areas(l24, n24)
    A(g, src, "Are code 24 patches under 2 ha more numerous than those over 20 ha?", "yn",
      (a24 < 2e4).sum() > (a24 > 20e4).sum(), "", "comparison", 3)
    A(g, src, "How much of code 10 or code 11 is there, in km2?", "area", g.area(g.m(10, 11)) / 1e6, "km²",
      "area", 2, floor=pa / 1e6)
    A(g, src, "Leaving out the no-data area and code 12, what fraction of the map is code 25? Give a percentage.",
      "share", pct(g, g.m(25), V & ~g.m(12)), "%", "share", 3, floor=share_floor(g, V & ~g.m(12)))


# --------------------------------------------------------------------------------------------
# Sen1Floods11 hand labels (EPSG:4326)
# --------------------------------------------------------------------------------------------
def sen1floods():
    lab_dir = DATA / "sen1floods11/Labels"
    legend = {"0": "land", "1": "water"}
    grids = {}

    def G(name):
        if name not in grids:
            grids[name] = open_tif(lab_dir / f"{name}_LabelHand.tif", nodata_codes=(-1,))
        return grids[name]

    def A(name, q, *a, **k):
        g = G(name)
        src = {"image": str(lab_dir / f"{name}_LabelHand.tif"), "product": legend}
        add(g, src, "sf-%02d" % (len([r for r in RECORDS if r["id"].startswith("sf-")]) + 1), q, *a, **k)

    g = G("Spain_7370579")
    W, L, V = g.m(1), g.m(0), g.valid
    pa = float(g.px_area.mean())
    A("Spain_7370579", "What share of the area is water?", "share", pct(g, W, V), "%", "share", 1,
      floor=share_floor(g, V))
    dW = g.dist(W)
    A("Spain_7370579", "What share of the land is within 100 m of water?", "share",
      pct(g, L & (dW <= 100), L), "%", "proximity", 2, floor=share_floor(g, L))
    A("Spain_7370579", "Mean distance from land to the nearest water, in m?", "dist", dW[L].mean(), "m",
      "distance", 2, floor=g.px)
    lw, nw = g.label(W)
    aw = g.obj_areas(lw, nw)
    A("Spain_7370579", "Is the largest water body bigger than all the other water bodies together?", "yn",
      aw.max() > aw.sum() - aw.max(), "", "comparison", 3)
    A("Spain_7370579", "How many water bodies are larger than 1 hectare?", "count", (aw > 1e4).sum(), "",
      "count", 2)

    g = G("Nigeria_812045")
    W, L, V = g.m(1), g.m(0), g.valid
    pa = float(g.px_area.mean())
    A("Nigeria_812045", "How much area is water, in km²?", "area", g.area(W) / 1e6, "km²", "area", 1,
      floor=pa / 1e6)
    lw, nw = g.label(W)
    A("Nigeria_812045", "Not counting the largest lake, how many water bodies are there?", "count", nw - 1, "",
      "count", 3)
    dL = g.dist(L)
    A("Nigeria_812045", "What share of the water lies within 30 m of land? Reply as a percentage.", "share",
      pct(g, W & (dL <= 30), W), "%", "proximity", 3, floor=share_floor(g, W))
    A("Nigeria_812045", "How many land patches are there?", "count", g.label(L)[1], "", "count", 1)
    A("Nigeria_812045", "What is the greatest distance from a water pixel to the nearest land, in metres?",
      "dist", dL[W].max(), "m", "distance", 2, floor=g.px)

    g = G("Mekong_333434")
    W, L, V = g.m(1), g.m(0), g.valid
    pa = float(g.px_area.mean())
    lw, nw = g.label(W)
    aw = g.obj_areas(lw, nw)
    A("Mekong_333434", "How many water bodies are there?", "count", nw, "", "count", 1)
    dW = g.dist(W)
    A("Mekong_333434", "What's the greatest distance from any land pixel to the nearest water, in metres?",
      "dist", dW[L].max(), "m", "distance", 2, floor=g.px)
    order = np.argsort(aw)[::-1]
    m1 = lw == order[0] + 1
    m2 = lw == order[1] + 1
    A("Mekong_333434", "How far apart are the two largest water bodies, in metres?", "dist",
      g.dist(m1)[m2].min(), "m", "distance", 3, floor=g.px)
    A("Mekong_333434", "Of the water bodies larger than 0.1 ha, what is their total area in hectares?", "area",
      aw[aw > 1e3].sum() / 1e4, "ha", "area", 3, floor=pa / 1e4)
    near = g.nearest_other_object(lw, nw)
    A("Mekong_333434", "How many water bodies lie more than 500 m from every other water body?", "count",
      (near > 500).sum(), "", "proximity", 3)

    g = G("Pakistan_849790")
    W, L, V = g.m(1), g.m(0), g.valid
    pa = float(g.px_area.mean())
    lw, nw = g.label(W)
    aw = g.obj_areas(lw, nw)
    A("Pakistan_849790", "How many water patches are bigger than 1 ha?", "count", (aw > 1e4).sum(), "",
      "count", 2)
    big = np.isin(lw, np.nonzero(aw > 5e4)[0] + 1)
    A("Pakistan_849790", "Find the water bodies over 5 ha. How much land lies within 50 m of them? (ha)", "area",
      g.area(L & (g.dist(big) <= 50)) / 1e4, "ha", "proximity", 3, floor=pa / 1e4)
    A("Pakistan_849790", "What is the combined area of all water bodies except the largest, in ha?", "area",
      (aw.sum() - aw.max()) / 1e4, "ha", "object_size", 3, floor=pa / 1e4)
    A("Pakistan_849790", "how many acres of land are there", "area", g.area(L) / ACRE, "acres", "area", 2,
      floor=pa / ACRE)

    g = G("Spain_6860600")
    W, L, V = g.m(1), g.m(0), g.valid
    pa = float(g.px_area.mean())
    lw, nw = g.label(W)
    aw = g.obj_areas(lw, nw)
    A("Spain_6860600", "How big is the largest water body in hectares?", "area", aw.max() / 1e4, "ha",
      "object_size", 1, floor=pa / 1e4)
    A("Spain_6860600", "How many square metres of water are there?", "area", g.area(W), "m²", "area", 1,
      floor=pa)
    A("Spain_6860600", "Is there a spot over 1 km from all water?", "yn", g.dist(W)[V].max() > 1000, "",
      "distance", 3)
    A("Spain_6860600", "Average water body size in m²?", "rel", aw.mean(), "m²", "object_size", 2, floor=0.0)

    g = G("Paraguay_34417")
    A("Paraguay_34417", "What share of the labelled area is water?", "share", pct(g, g.m(1), g.valid), "%",
      "share", 1, floor=share_floor(g, g.valid))
    g = G("Ghana_53713")
    A("Ghana_53713", "Is there any water in this image?", "yn", g.m(1).any(), "", "count", 1)
    g = G("Ghana_97059")
    A("Ghana_97059", "What fraction of the image has no data? Answer in percent.", "share",
      100.0 * (~g.valid).sum() / g.valid.size, "%", "share", 2, floor=100.0 / g.valid.size)


# --------------------------------------------------------------------------------------------
# Dubai aerial masks (colour -> codes), GSD 0.5 m
# --------------------------------------------------------------------------------------------
DUBAI_COLOURS = {"3C1098": 1, "8429F6": 2, "6EC1E4": 3, "FEDD3A": 4, "E2A929": 5, "9B9B9B": 6}
DUBAI_LEGEND = {"1": "building", "2": "land", "3": "road", "4": "vegetation", "5": "water",
                "6": "unlabeled"}
DUBAI_PICK = {"d1": "tile-1/masks/image_part_001.png", "d2": "tile-1/masks/image_part_008.png",
              "d3": "tile-2/masks/image_part_005.png", "d4": "tile-3/masks/image_part_003.png",
              "d5": "tile-4/masks/image_part_001.png", "d6": "tile-6/masks/image_part_004.png"}


def dubai():
    out_dir = HERE / "data"
    out_dir.mkdir(exist_ok=True)
    grids = {}
    for key, rel in DUBAI_PICK.items():
        rgb = np.array(Image.open(DATA / "dubai-aerial" / rel).convert("RGB"))
        code = np.zeros(rgb.shape[:2], np.uint8)
        for hx, c in DUBAI_COLOURS.items():
            col = tuple(int(hx[i:i + 2], 16) for i in (0, 2, 4))
            code[(rgb == col).all(-1)] = c
        assert (code > 0).all(), rel  # every pixel is one of the six colours
        name = "dubai_" + rel.replace("/masks/", "_").replace("/", "_")
        p = out_dir / name
        if not p.exists() or not np.array_equal(np.array(Image.open(p)), code):
            Image.fromarray(code).save(p, optimize=True)
        grids[key] = (Grid(code, np.ones(code.shape, bool), dx=0.5, dy=0.5), str(p))

    def A(key, q, *a, **k):
        g, p = grids[key]
        src = {"image": p, "product": DUBAI_LEGEND, "gsd": 0.5}
        add(g, src, "db-%02d" % (len([r for r in RECORDS if r["id"].startswith("db-")]) + 1), q, *a, **k)

    pa, px = 0.25, 0.5
    # d1
    g = grids["d1"][0]
    A("d1", "What share of the image is road?", "share", pct(g, g.m(3), g.valid), "%", "share", 1,
      floor=share_floor(g, g.valid))
    lb, nb = g.label(g.m(1))
    A("d1", "How close is the nearest building to water? (m) (GSD: 0.5m)", "dist", g.dist(g.m(5))[g.m(1)].min(),
      "m", "distance", 2, floor=px)
    lwa, nwa = g.label(g.m(5))
    A("d1", "Area of the largest water body in m²", "area", g.obj_areas(lwa, nwa).max(), "m²", "object_size", 1,
      floor=pa)
    dR = g.dist(g.m(3))
    A("d1", "What share of the land lies within 5 m of a road? Reply as a percentage.", "share",
      pct(g, g.m(2) & (dR <= 5), g.m(2)), "%", "proximity", 3, floor=share_floor(g, g.m(2)))
    # d2
    g = grids["d2"][0]
    lb, nb = g.label(g.m(1))
    ab = g.obj_areas(lb, nb)
    A("d2", "How many buildings are there? (GSD: 0.5m)", "count", nb, "", "count", 1)
    A("d2", "How many buildings lie within 10 m of a road?", "count",
      (g.obj_min(g.dist(g.m(3)), lb, nb) <= 10).sum(), "", "proximity", 2)
    A("d2", "What is the largest building's footprint in square feet?", "area", ab.max() / SQFT, "sq ft",
      "object_size", 2, floor=pa / SQFT)
    A("d2", "What is the area of everything except land, in m²?", "area", g.area(~g.m(2)), "m²", "area", 2,
      floor=pa)
    A("d2", "How many buildings are larger than 200 m² and within 20 m of vegetation?", "count",
      ((ab > 200) & (g.obj_min(g.dist(g.m(4)), lb, nb) <= 20)).sum(), "", "multi_condition", 3)
    lv, nv = g.label(g.m(4))
    av = g.obj_areas(lv, nv)
    A("d2", "Of the vegetation patches larger than 50 m², how many touch a road?", "count",
      ((av > 50) & g.touches(lv, nv, g.m(3))).sum(), "", "proximity", 3)
    # d3
    g = grids["d3"][0]
    A("d3", "What is the total vegetation area in square metres?", "area", g.area(g.m(4)), "m²", "area", 1,
      floor=pa)
    rest = g.valid & ~g.m(3, 6)
    A("d3", "Excluding roads and unlabeled pixels, what share is building?", "share", pct(g, g.m(1), rest), "%",
      "share", 3, floor=share_floor(g, rest))
    A("d3", "How many vegetation blobs are in this picture?", "count", g.label(g.m(4))[1], "", "count", 1)
    lb, nb = g.label(g.m(1))
    A("d3", "How many buildings are wholly farther than 10 m from water?", "count",
      (g.obj_min(g.dist(g.m(5)), lb, nb) > 10).sum(), "", "proximity", 3)
    # d4
    g = grids["d4"][0]
    dR = g.dist(g.m(3))
    A("d4", "Max distance from any pixel to the nearest road, in metres", "dist", dR.max(), "m", "distance", 2,
      floor=px)
    lv, nv = g.label(g.m(4))
    A("d4", "How many vegetation patches are wholly farther than 20 m from every road?", "count",
      (g.obj_min(dR, lv, nv) > 20).sum(), "", "proximity", 3)
    A("d4", "How many connected pieces does the road network form?", "count", g.label(g.m(3))[1], "",
      "connectivity", 1)
    A("d4", "What share of the image is water?", "share", pct(g, g.m(5), g.valid), "%", "share", 1,
      floor=share_floor(g, g.valid))
    A("d4", "Is there a place over 100 m from every road?", "yn", dR.max() > 100, "", "distance", 3)
    # d5
    g = grids["d5"][0]
    lb, nb = g.label(g.m(1))
    ab = g.obj_areas(lb, nb)
    A("d5", "How many buildings larger than 1000 m² are there?", "count", (ab > 1000).sum(), "", "count", 2)
    A("d5", "Are small buildings (under 600 m²) more numerous than big ones (over 2000 m²)?", "yn",
      (ab < 600).sum() > (ab > 2000).sum(), "", "comparison", 3)
    near = g.nearest_other_object(lb, nb)
    A("d5", "How many buildings have a neighbouring building closer than 5 m?", "count", (near < 5).sum(), "",
      "proximity", 3)
    s = np.sort(ab)[::-1]
    A("d5", "Not counting the two largest buildings, what is the total building area in m²?", "area",
      s[2:].sum(), "m²", "object_size", 3, floor=pa)
    A("d5", "How many buildings touch vegetation?", "count", g.touches(lb, nb, g.m(4)).sum(), "", "proximity", 2)
    A("d5", "What is the mean distance from building pixels to the nearest road pixel, in metres?", "dist",
      g.dist(g.m(3))[g.m(1)].mean(), "m", "distance", 2, floor=px)
    A("d5", "How many hectares of land?", "area", g.area(g.m(2)) / 1e4, "ha", "area", 1, floor=pa / 1e4)
    veg = g.m(4)
    A("d5", "Take the vegetation within 3 m of buildings. What share of all vegetation is that?", "share",
      pct(g, veg & (g.dist(g.m(1)) <= 3), veg), "%", "proximity", 3, floor=share_floor(g, veg))
    A("d5", "Is any spot in this image farther than 100 m from all roads?", "yn",
      g.dist(g.m(3)).max() > 100, "", "distance", 3)
    # d6
    g = grids["d6"][0]
    lwa, nwa = g.label(g.m(5))
    awa = g.obj_areas(lwa, nwa)
    bigw = np.isin(lwa, np.nonzero(awa > 100)[0] + 1)
    A("d6", "Find the water areas over 100 m². How much vegetation lies within 10 m of them (m²)?", "area",
      g.area(g.m(4) & (g.dist(bigw) <= 10)), "m²", "proximity", 3, floor=pa)
    lb, nb = g.label(g.m(1))
    A("d6", "mean building size in m2", "rel", g.obj_areas(lb, nb).mean(), "m²", "object_size", 2, floor=0.0)
    ll, nl = g.label(g.m(2))
    A("d6", "How many land patches are partly within 15 m of a building but nowhere within 15 m of water?",
      "count", ((g.obj_min(g.dist(g.m(1)), ll, nl) <= 15) & (g.obj_min(g.dist(g.m(5)), ll, nl) > 15)).sum(), "",
      "multi_condition", 3)
    A("d6", "What percentage of the picture is not water?", "share", pct(g, ~g.m(5), g.valid), "%", "share", 2,
      floor=share_floor(g, g.valid))


# --------------------------------------------------------------------------------------------
# Slovenia land cover (built-in collection)
# --------------------------------------------------------------------------------------------
def slovenia():
    a = np.load(DATA / "slovenia-s2/LULC.npy")[..., 0]
    # grid from bbox.geojson: x 465181.05 .. 466180.53 (100 cols), y 5079244.89 .. 5080254.63 (101 rows)
    dx = (466180.53 - 465181.05) / 100
    dy = (5080254.63 - 5079244.89) / 101
    g = Grid(a, a != 0, dx=dx, dy=dy)
    src = {"image": "slovenia-lulc", "product": "slovenia-lulc"}
    A = lambda q, *x, **k: add(g, src, "sl-%02d" % (len([r for r in RECORDS if r["id"].startswith("sl-")]) + 1), q, *x, **k)
    V = g.valid
    pa, px = dx * dy, g.px
    CU, FO, GR, SH, AR = g.m(1), g.m(2), g.m(3), g.m(4), g.m(8)
    A("What percentage of the area is grassland?", "share", pct(g, GR, V), "%", "share", 1,
      floor=share_floor(g, V))
    A("How many hectares of cultivated land are there?", "area", g.area(CU) / 1e4, "ha", "area", 1,
      floor=pa / 1e4)
    la, na = g.label(AR)
    A("How many artificial surface patches are there?", "count", na, "", "count", 1)
    lf, nf = g.label(FO)
    af = g.obj_areas(lf, nf)
    A("How many forest patches larger than 0.5 ha?", "count", (af > 5e3).sum(), "", "count", 2)
    dF = g.dist(FO)
    A("How much grassland lies within 20 m of forest? (m²)", "area", g.area(GR & (dF <= 20)), "m²",
      "proximity", 2, floor=pa)
    A("Shortest distance between artificial surface and shrubland, in metres?", "dist",
      g.dist(SH)[AR].min(), "m", "distance", 2, floor=px)
    lg, ng = g.label(GR)
    ag = g.obj_areas(lg, ng)
    A("Apart from the biggest one, how many grassland patches are there?", "count", ng - 1, "", "count", 3)
    A("What share of the land that is not forest is cultivated land?", "share", pct(g, CU, V & ~FO), "%",
      "share", 3, floor=share_floor(g, V & ~FO))
    lsh, nsh = g.label(SH)
    A("Mean size of shrubland patches in m²?", "rel", g.obj_areas(lsh, nsh).mean(), "m²", "object_size", 2,
      floor=0.0)
    dA, dC = g.dist(AR), g.dist(CU)
    A("How many grassland patches are partly within 30 m of artificial surface yet nowhere within 30 m of cultivated land?",
      "count", ((g.obj_min(dA, lg, ng) <= 30) & (g.obj_min(dC, lg, ng) > 30)).sum(), "", "multi_condition", 3)
    A("Is there a spot more than 300 m from every forest pixel?", "yn", dF[V].max() > 300, "", "distance", 2)
    A("Take the grassland within 50 m of artificial surface. How large is it in square feet?", "area",
      g.area(GR & (dA <= 50)) / SQFT, "sq ft", "proximity", 3, floor=pa / SQFT)
    A("What fraction of the image is no data (%)?", "share", 100.0 * (~V).sum() / V.size, "%", "share", 2,
      floor=100.0 / V.size)
    A("Are there more grassland patches than cultivated land patches?", "yn", ng > g.label(CU)[1], "",
      "comparison", 3)
    lc, nc = g.label(CU)
    A("Largest cultivated land patch, in acres", "area", g.obj_areas(lc, nc).max() / ACRE, "acres",
      "object_size", 2, floor=pa / ACRE)
    aa = g.obj_areas(la, na)
    bigA = np.isin(la, np.nonzero(aa > 1e3)[0] + 1)
    A("Find the artificial surface patches bigger than 0.1 ha. What area of forest is within 100 m of them, in ha?",
      "area", g.area(FO & (g.dist(bigA) <= 100)) / 1e4, "ha", "proximity", 3, floor=pa / 1e4)
    A("Max distance from a grassland pixel to the nearest forest (m)?", "dist", dF[GR].max(), "m", "distance", 2,
      floor=px)
    A("Excluding the largest forest patch, what is the total forest area in ha?", "area",
      (af.sum() - af.max()) / 1e4, "ha", "object_size", 3, floor=pa / 1e4)
    A("How much shrubland is there (m²)?", "area", g.area(SH), "m²", "area", 1, floor=pa)
    A("How many grassland fragments are wholly farther than 50 m from artificial surface?", "count",
      (g.obj_min(dA, lg, ng) > 50).sum(), "", "proximity", 3)
    A("Is the forest more than three times the size of all the other classes together?", "yn",
      g.area(FO) > 3 * g.area(V & ~FO), "", "comparison", 3)


def main():
    zion8()
    zion_full()
    lausanne()
    sen1floods()
    dubai()
    slovenia()
    ids = [r["id"] for r in RECORDS]
    assert len(ids) == len(set(ids))
    with open(OUT, "w") as f:
        for r in RECORDS:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    tiers = {}
    for r in RECORDS:
        tiers[r["tier"]] = tiers.get(r["tier"], 0) + 1
    print(f"{len(RECORDS)} questions -> {OUT}; by tier {dict(sorted(tiers.items()))}")


if __name__ == "__main__":
    main()
