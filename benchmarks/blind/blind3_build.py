"""Build blind question set 3 (``blind3.jsonl``): 120 questions over the real rasters in
``../shared/data``, worded as new users word them, with truths computed here from numpy,
scipy.ndimage, rasterio and pyproj only (never geoquant).

Conventions: 8-connectivity unless a question says otherwise; no data is excluded from objects
and denominators unless a question says "of the image" (then every pixel counts); distances are
between pixel centres in Euclidean metres (on EPSG:4326 chips: metres under the chip's local
metric, rows and columns at their own geodesic spacing, which is within 0.1 % of the geodesic at
these chip sizes); "within d" means <= d.
Ranges: shares and areas +-5 % relative (at least one pixel), counts exact up to 10 and +-10 %
above, distances +-max(5 %, one pixel), yes/no exact.

Run: .venv/bin/python benchmarks/blind/blind3_build.py  (deterministic; writes data3/ and
blind3.jsonl beside this file).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from pyproj import Geod
from scipy import ndimage as ndi

HERE = Path(__file__).resolve().parent
DATA = Path("/work/shared/data/real")
OUT_DATA = HERE / "data3"
S8 = np.ones((3, 3), bool)
S4 = ndi.generate_binary_structure(2, 1)

HA, ACRE, FT2, MI2, KM2 = 1e4, 4046.8564224, 0.09290304, 2589988.110336, 1e6
FT, YD, MI = 0.3048, 0.9144, 1609.344

NLCD8 = {"1": "water", "2": "developed", "3": "barren", "4": "forest", "5": "shrubland",
         "6": "herbaceous", "7": "cultivated", "8": "wetlands"}
NLCD = {"11": "Open Water", "21": "Developed, Open Space", "22": "Developed, Low Intensity",
        "23": "Developed, Medium Intensity", "24": "Developed, High Intensity",
        "31": "Barren Land (Rock/Sand/Clay)", "41": "Deciduous Forest", "42": "Evergreen Forest",
        "43": "Mixed Forest", "52": "Shrub/Scrub", "71": "Grassland/Herbaceous",
        "81": "Pasture/Hay", "82": "Cultivated Crops", "90": "Woody Wetlands",
        "95": "Emergent Herbaceous Wetlands"}
FLOOD = {"-1": "no data", "0": "land", "1": "water"}
DUBAI = {"1": "building", "2": "land", "3": "road", "4": "vegetation", "5": "water",
         "6": "unlabeled"}
DUBAI_COLOURS = {"#3C1098": 1, "#8429F6": 2, "#6EC1E4": 3, "#FEDD3A": 4, "#E2A929": 5,
                 "#9B9B9B": 6}
DUBAI_FILES = {"D1": (2, 6), "D2": (3, 8), "D3": (5, 8), "D4": (6, 4)}
GEOD = Geod(ellps="WGS84")


class Scene:
    """One label raster: codes, valid mask, per-pixel area (m², array) and sampling (dy, dx)."""

    def __init__(self, codes, valid, area, sampling, image, product, gsd=None):
        self.codes, self.valid, self.sampling = codes, valid, sampling
        self.area = np.broadcast_to(area, codes.shape)
        self.image, self.product, self.gsd = image, product, gsd
        self.px = max(sampling)  # one pixel, for distance ranges
        self.px_area = float(np.max(self.area))

    def m(self, *codes):
        return np.isin(self.codes, codes) & self.valid


def _tif(path, product):
    with rasterio.open(path) as r:
        a = r.read(1)
        nod = r.nodata
        t = r.transform
        dx, dy = abs(t.a), abs(t.e)
        valid = np.ones(a.shape, bool) if nod is None else a != nod
        if r.crs.is_geographic:
            h, w = a.shape
            lat_top = t.f
            lon0 = t.c
            area = np.empty((h, 1))
            dxm = np.empty(h)
            for i in range(h):
                la0, la1 = lat_top - i * dy, lat_top - (i + 1) * dy
                ar, _ = GEOD.polygon_area_perimeter([lon0, lon0 + dx, lon0 + dx, lon0],
                                                    [la0, la0, la1, la1])
                area[i, 0] = abs(ar)
                latc = (la0 + la1) / 2
                dxm[i] = GEOD.inv(lon0, latc, lon0 + dx, latc)[2]
            latc = lat_top - h / 2 * dy
            dym = GEOD.inv(lon0, latc - dy / 2, lon0, latc + dy / 2)[2]
            sampling = (dym, float(dxm[h // 2]))
            valid = valid & (a != -1)
            return Scene(a, valid, area, sampling, str(path), product)
        return Scene(a, valid, dx * dy, (dy, dx), str(path), product)


def load_scenes():
    s = {}
    z = DATA / "zion-landsat-nlcd"
    s["Z"] = _tif(z / "nlcd.tif", NLCD8)
    s["Z11"] = _tif(z / "nlcd2011.tif", NLCD)
    lz = DATA / "lausanne-landuse"
    s["L06"] = _tif(lz / "ls100_06.tif", "codes")
    s["L12"] = _tif(lz / "ls100_12.tif", "codes")
    for ev in ["Mekong_333434", "Nigeria_812045", "Pakistan_849790", "Spain_7370579",
               "Spain_6860600", "Ghana_97059", "Paraguay_34417"]:
        s[ev.split("_")[0] + ("2" if ev == "Spain_6860600" else "")] = _tif(
            DATA / "sen1floods11" / "Labels" / f"{ev}_LabelHand.tif", FLOOD)
    OUT_DATA.mkdir(exist_ok=True)
    for key, (tile, part) in DUBAI_FILES.items():
        rgb = np.array(Image.open(DATA / "dubai-aerial" / f"tile-{tile}" / "masks"
                                  / f"image_part_{part:03d}.png").convert("RGB"))
        codes = np.full(rgb.shape[:2], 255, np.uint8)
        for hexc, code in DUBAI_COLOURS.items():
            col = np.array([int(hexc[i:i + 2], 16) for i in (1, 3, 5)], np.uint8)
            codes[(rgb == col).all(-1)] = code
        assert (codes != 255).all(), key
        out = OUT_DATA / f"dubai3_tile{tile}_part{part:03d}.png"
        Image.fromarray(codes, mode="L").save(out, optimize=False)
        s[key] = Scene(codes, np.ones(codes.shape, bool), 0.25, (0.5, 0.5), str(out), DUBAI, 0.5)
    lulc = np.load(DATA / "slovenia-s2" / "LULC.npy")[..., 0].astype(np.int32)
    dx, dy = (466180.53 - 465181.05) / 100, (5080254.63 - 5079244.89) / 101
    s["SLO"] = Scene(lulc, lulc != 0, dx * dy, (dy, dx), "slovenia-lulc", "slovenia-lulc")
    return s


# ---------------------------------------------------------------- measurement helpers
def area(S, mask):
    return float(S.area[mask].sum())


def share(S, mask, denom=None):
    denom = S.valid if denom is None else denom
    return 100.0 * area(S, mask & denom) / area(S, denom)


def label(mask, conn=8):
    lab, n = ndi.label(mask, structure=S8 if conn == 8 else S4)
    return lab, n


def obj_areas(S, mask, conn=8):
    lab, n = label(mask, conn)
    a = ndi.sum(S.area, lab, index=np.arange(1, n + 1)) if n else np.zeros(0)
    return lab, n, np.asarray(a, float)


def dist_to(S, mask):
    """Distance (m) from every pixel centre to the nearest pixel of mask."""
    if not mask.any():
        return np.full(mask.shape, np.inf)
    return ndi.distance_transform_edt(~mask, sampling=S.sampling)


def per_obj(lab, n, values, fn):
    idx = np.arange(1, n + 1)
    return np.asarray(fn(values, lab, index=idx), float) if n else np.zeros(0)


def obj_min_dist(S, mask, target, conn=8):
    lab, n, a = obj_areas(S, mask, conn)
    d = dist_to(S, target)
    return lab, n, a, per_obj(lab, n, d, ndi.minimum), per_obj(lab, n, d, ndi.maximum)


def same_class_nearest(S, mask, reach_m):
    """For every object, the distance to the nearest other object of the same mask (inf when
    none within reach_m plus a margin)."""
    lab, n = label(mask)
    out = np.full(n, np.inf)
    sl = ndi.find_objects(lab)
    r = int(math.ceil(reach_m / min(S.sampling))) + 2
    h, w = mask.shape
    for i, s in enumerate(sl, start=1):
        y0, y1 = max(s[0].start - r, 0), min(s[0].stop + r, h)
        x0, x1 = max(s[1].start - r, 0), min(s[1].stop + r, w)
        win = lab[y0:y1, x0:x1]
        other = (win > 0) & (win != i)
        if not other.any():
            continue
        d = ndi.distance_transform_edt(~other, sampling=S.sampling)
        out[i - 1] = d[win == i].min()
    return out


def touches(lab, n, side):
    edge = {"N": lab[0], "S": lab[-1], "W": lab[:, 0], "E": lab[:, -1]}[side]
    return set(np.unique(edge[edge > 0]).tolist())


def crosses(mask, a, b, conn=8):
    lab, n = label(mask, conn)
    return bool(touches(lab, n, a) & touches(lab, n, b))


def yn(b):
    return "yes" if b else "no"


# ---------------------------------------------------------------- the questions
def questions(s):
    Q = []

    def q(key, tier, typ, text, value, kind, unit, scale=1.0):
        """kind: share | area | count | dist | ratio | yn. ``scale``: metres (or m²) per unit."""
        Q.append((key, tier, typ, text, value, kind, unit, scale))

    # ---------------- Zion, 8 classes
    Z = s["Z"]
    W, DEV, BAR, FOR, SHR, HER, CUL, WET = (Z.m(c) for c in range(1, 9))
    q("Z", 1, "share", "What percentage of the map is forest?", share(Z, FOR), "share", "%")
    q("Z", 1, "area", "how much shrubland is there? answer in km2", area(Z, SHR) / KM2, "area",
      "km2", KM2)
    _, n, _ = obj_areas(Z, W)
    q("Z", 1, "count", "How many separate water bodies are on this map?", n, "count", "count")
    _, n, a = obj_areas(Z, DEV)
    q("Z", 2, "count", "How many developed patches are bigger than 5 ha?", int((a > 5 * HA).sum()),
      "count", "count")
    q("Z", 2, "area", "Total cultivated area in acres?", area(Z, CUL) / ACRE, "area", "acres", ACRE)
    q("Z", 2, "share", "What fraction of the non-forest land is barren? Reply as a percentage.",
      share(Z, BAR, Z.valid & ~FOR), "share", "%")
    _, n, a = obj_areas(Z, WET)
    q("Z", 2, "object_size", "How big is the largest wetland patch, in hectares?", a.max() / HA,
      "area", "ha", HA)
    lab, n, a, dmin, dmax = obj_min_dist(Z, FOR, DEV)
    q("Z", 3, "proximity", "Of the forest patches over 10 ha, how many lie within 300 m of "
      "developed land?", int(((a > 10 * HA) & (dmin <= 300)).sum()), "count", "count")
    _, n, a, dW, _ = obj_min_dist(Z, HER, W)
    dD = obj_min_dist(Z, HER, DEV)[3]
    q("Z", 3, "multi_condition", "How many herbaceous patches are partly within 2 km of water "
      "but nowhere within 500 m of developed land?", int(((dW <= 2000) & (dD > 500)).sum()),
      "count", "count")
    dW_all = dist_to(Z, W)
    q("Z", 2, "distance", "What is the greatest distance from any developed pixel to the nearest "
      "water pixel? Answer in km.", dW_all[DEV].max() / 1000, "dist", "km", 1000)
    dF = dist_to(Z, FOR)
    q("Z", 2, "distance", "mean distance from shrubland pixels to the closest forest, in metres?",
      dF[SHR].mean(), "dist", "m")
    dDev = dist_to(Z, DEV)
    q("Z", 2, "distance", "Is there anywhere on the map more than 10 km from developed land?",
      yn(dDev[Z.valid].max() > 10000), "yn", "")
    q("Z", 3, "share", "Leaving out forest and shrubland, what share of the remaining land is "
      "developed?", share(Z, DEV, Z.valid & ~FOR & ~SHR), "share", "%")
    _, n, a = obj_areas(Z, BAR)
    srt = np.sort(a)[::-1]
    q("Z", 3, "count", "Not counting the two largest, how many barren patches exceed 1 ha?",
      int((srt[2:] > HA).sum()), "count", "count")
    q("Z", 3, "area", "Find the water bodies. How much cultivated land lies within 200 m of them? "
      "Give hectares.", area(Z, CUL & (dW_all <= 200)) / HA, "area", "ha", HA)
    q("Z", 2, "comparison", "Is there more herbaceous than cultivated land?",
      yn(area(Z, HER) > area(Z, CUL)), "yn", "")
    _, n, a = obj_areas(Z, DEV)
    q("Z", 3, "comparison", "Are small developed patches (under 1 ha) more numerous than large "
      "ones (over 10 ha)?", yn((a < HA).sum() > (a > 10 * HA).sum()), "yn", "")
    q("Z", 2, "comparison", "How many times larger is the forest area than the shrubland area?",
      area(Z, FOR) / area(Z, SHR), "ratio", "ratio")
    _, n, _ = obj_areas(Z, SHR)
    q("Z", 1, "fragmentation", "how many shrubland patches r there", n, "count", "count")
    _, n, _ = obj_areas(Z, DEV)
    q("Z", 2, "fragmentation", "What's the patch density of developed land, in patches per km² "
      "of the map?", n / (area(Z, Z.valid) / KM2), "ratio", "per km2")
    _, n, a = obj_areas(Z, WET)
    q("Z", 2, "fragmentation", "What is the mean size of a wetland patch in hectares?",
      a.mean() / HA, "area", "ha", HA)
    _, n, a = obj_areas(Z, FOR)
    q("Z", 2, "fragmentation", "What share of all the forest is in the single biggest forest "
      "patch?", 100 * a.max() / a.sum(), "share", "%")
    q("Z", 2, "connectivity", "Can one go from the northern edge to the southern edge of the map "
      "through forest only?", yn(crosses(FOR, "N", "S")), "yn", "")
    nb = same_class_nearest(Z, WET, 100)
    q("Z", 3, "proximity", "How many wetland patches have another wetland patch closer than "
      "100 m?", int((nb < 100).sum()), "count", "count")
    q("Z", 3, "distance", "How far is the water pixel that lies farthest from all forest? (m)",
      dF[W].max(), "dist", "m")
    q("Z", 2, "area", "Area of barren land in square miles?", area(Z, BAR) / MI2, "area", "mi2",
      MI2)
    _, n, a, dmin, _ = obj_min_dist(Z, DEV, W)
    q("Z", 3, "proximity", "How many developed patches over 2 ha are wholly farther than 1 km "
      "from water?", int(((a > 2 * HA) & (dmin > 1000)).sum()), "count", "count")
    q("Z", 3, "share", "Take the shrubland within 500 m of developed land. What percentage of "
      "all shrubland is that?", 100 * area(Z, SHR & (dDev <= 500)) / area(Z, SHR), "share", "%")

    # ---------------- Zion, full NLCD codes
    Y = s["Z11"]
    q("Z11", 1, "share", "What % of the area is Evergreen Forest?", share(Y, Y.m(42)), "share",
      "%")
    q("Z11", 1, "area", "How many hectars of Pasture/Hay are there?", area(Y, Y.m(81)) / HA,
      "area", "ha", HA)
    _, n, a = obj_areas(Y, Y.m(43))
    q("Z11", 2, "count", "Mixed Forest patches: how many are larger than 2 ha?",
      int((a > 2 * HA).sum()), "count", "count")
    q("Z11", 2, "area", "Developed, Low Intensity plus Developed, Medium Intensity: total area in "
      "km²?", area(Y, Y.m(22, 23)) / KM2, "area", "km2", KM2)
    _, n, a, dmin, _ = obj_min_dist(Y, Y.m(41), Y.m(42))
    q("Z11", 3, "proximity", "How many Deciduous Forest patches are wholly farther than 100 m "
      "from Evergreen Forest?", int((dmin > 100).sum()), "count", "count")
    d11 = dist_to(Y, Y.m(11))
    q("Z11", 2, "distance", "What's the shortest distance between Cultivated Crops and Open "
      "Water, in meters?", d11[Y.m(82)].min(), "dist", "m")
    q("Z11", 2, "comparison", "Is there more Woody Wetlands than Emergent Herbaceous Wetlands?",
      yn(area(Y, Y.m(90)) > area(Y, Y.m(95))), "yn", "")
    _, n, a = obj_areas(Y, Y.m(21))
    q("Z11", 3, "area", "Of the Developed, Open Space patches over 1 ha, what is their combined "
      "area in acres?", a[a > HA].sum() / ACRE, "area", "acres", ACRE)
    _, n, _ = obj_areas(Y, Y.m(95))
    q("Z11", 1, "count", "Count the Emergent Herbaceous Wetlands patches.", n, "count", "count")
    q("Z11", 2, "area", "How much Grassland/Herbaceous lies within 1 km of Open Water? (ha)",
      area(Y, Y.m(71) & (d11 <= 1000)) / HA, "area", "ha", HA)
    q("Z11", 2, "share", "Share of the map that is developed land of any intensity (the four "
      "developed classes together)?", share(Y, Y.m(21, 22, 23, 24)), "share", "%")
    _, n, a = obj_areas(Y, Y.m(31))
    q("Z11", 2, "count", "How many Barren Land (Rock/Sand/Clay) patches are larger than 100 ha?",
      int((a > 100 * HA).sum()), "count", "count")
    _, n, a = obj_areas(Y, Y.m(42))
    q("Z11", 3, "object_size", "Apart from the biggest one, how large is the largest Evergreen "
      "Forest patch? Answer in km².", np.sort(a)[-2] / KM2, "area", "km2", KM2)
    d21 = dist_to(Y, Y.m(21))
    q("Z11", 2, "distance", "What's the farthest any Pasture/Hay pixel is from Developed, Open "
      "Space? in feet", d21[Y.m(81)].max() / FT, "dist", "ft", FT)
    _, n, a, dmin, _ = obj_min_dist(Y, Y.m(90), Y.m(81))
    q("Z11", 3, "proximity", "Is there a Woody Wetlands patch bigger than 5 ha within 1 km of "
      "Pasture/Hay?", yn(((a > 5 * HA) & (dmin <= 1000)).any()), "yn", "")
    q("Z11", 1, "area", "How much Developed, High Intensity is there, in hectares?",
      area(Y, Y.m(24)) / HA, "area", "ha", HA)

    # ---------------- Lausanne (codes)
    L = s["L06"]
    q("L06", 1, "share", "What share of the mapped area is code 12?", share(L, L.m(12)), "share",
      "%")
    q("L06", 1, "area", "Area of class 2 in ha?", area(L, L.m(2)) / HA, "area", "ha", HA)
    L12 = s["L12"]
    _, n, _ = obj_areas(L12, L12.m(41))
    q("L12", 1, "count", "How many patches of code 41 are there?", n, "count", "count")
    _, n, a = obj_areas(L, L.m(2))
    q("L06", 2, "count", "How many code 2 patches exceed 10.5 ha?", int((a > 10.5 * HA).sum()),
      "count", "count")
    q("L06", 2, "share", "Everything except code 12 and code 25: what fraction of the mapped land "
      "is it?", share(L, L.valid & ~L.m(12, 25)), "share", "%")
    d35 = dist_to(L, L.m(35))
    q("L06", 2, "distance", "Shortest distance between code 7 and code 35 (m)?",
      d35[L.m(7)].min(), "dist", "m")
    _, n, a, dmin, dmax = obj_min_dist(L, L.m(24), L.m(12))
    q("L06", 3, "proximity", "How many code 24 patches lie entirely within 350 m of code 12?",
      int((dmax <= 350).sum()), "count", "count")
    _, n, a, dmin, _ = obj_min_dist(L, L.m(23), L.m(41))
    q("L06", 3, "proximity", "Of the code 23 patches larger than 3.5 ha, how many are within "
      "3 km of code 41?", int(((a > 3.5 * HA) & (dmin <= 3000)).sum()), "count", "count")
    _, n, a = obj_areas(L, L.m(25))
    q("L06", 2, "fragmentation", "Largest patch index of code 25, as a percentage of the mapped "
      "area.", 100 * a.max() / area(L, L.valid), "share", "%")
    d2 = dist_to(L, L.m(2))
    q("L06", 2, "distance", "Is any point of the mapped area more than 2 km from code 2?",
      yn(d2[L.valid].max() > 2000), "yn", "")
    _, n, a = obj_areas(L, L.m(12))
    q("L06", 3, "area", "Leaving out the largest patch, what's the total area of the code 12 "
      "patches in km2?", (a.sum() - a.max()) / KM2, "area", "km2", KM2)
    _, n, a = obj_areas(L, L.m(15))
    q("L06", 2, "object_size", "Average code 15 patch size, hectares?", a.mean() / HA, "area",
      "ha", HA)
    lab, n, a = obj_areas(L, L.m(2))
    big = np.isin(lab, np.flatnonzero(a > 20.5 * HA) + 1)
    q("L06", 3, "area", "Find the code 2 patches over 20.5 ha. How much code 25 is within 250 m "
      "of them? Reply in hectares.", area(L, L.m(25) & (dist_to(L, big) <= 250)) / HA, "area",
      "ha", HA)
    q("L06", 2, "comparison", "Is there at least twice as much code 25 as code 2?",
      yn(area(L, L.m(25)) >= 2 * area(L, L.m(2))), "yn", "")
    _, n, _ = obj_areas(L, L.m(23), conn=4)
    q("L06", 2, "fragmentation", "Using 4-connectivity, how many code 23 patches are there?", n,
      "count", "count")
    _, n, _ = obj_areas(L, L.m(12))
    q("L06", 2, "connectivity", "Is all of code 12 one single connected patch?", yn(n == 1), "yn",
      "")
    _, n, a = obj_areas(L, L.m(2))
    q("L06", 3, "comparison", "Are code 2 patches under 2.5 ha more numerous than code 2 patches "
      "over 10.5 ha?", yn((a < 2.5 * HA).sum() > (a > 10.5 * HA).sum()), "yn", "")
    q("L12", 1, "area", "In this map, how many hectares are code 41?", area(L12, L12.m(41)) / HA,
      "area", "ha", HA)

    # ---------------- Sen1Floods11 labels
    M = s["Mekong"]
    q("Mekong", 1, "share", "What percentage of the valid area is water?", share(M, M.m(1)),
      "share", "%")
    allpx = np.ones(M.codes.shape, bool)
    q("Mekong", 2, "share", "What share of the whole image, no-data pixels included, is water?",
      100 * area(M, M.m(1)) / area(M, allpx), "share", "%")
    _, n, _ = obj_areas(M, M.m(1))
    q("Mekong", 1, "count", "How many water bodies are there?", n, "count", "count")
    q("Mekong", 1, "area", "total water area in hectares", area(M, M.m(1)) / HA, "area", "ha", HA)
    N = s["Nigeria"]
    dWN = dist_to(N, N.m(1))
    q("Nigeria", 2, "distance", "What is the farthest any land pixel is from water? Answer in "
      "meters.", dWN[N.m(0)].max(), "dist", "m")
    _, n, a = obj_areas(N, N.m(0))
    q("Nigeria", 3, "count", "Leaving out the largest, how many land patches larger than half a "
      "hectare are there?", int((np.sort(a)[:-1] > 0.5 * HA).sum()), "count", "count")
    _, n, a = obj_areas(N, N.m(1))
    q("Nigeria", 3, "area", "Not counting the largest water body, how much water is there, in "
      "km²?", (a.sum() - a.max()) / KM2, "area", "km2", KM2)
    P = s["Pakistan"]
    _, n, a = obj_areas(P, P.m(0))
    q("Pakistan", 2, "count", "How many islands (land patches) bigger than 0.5 ha are there?",
      int((a > 0.5 * HA).sum()), "count", "count")
    dWP = dist_to(P, P.m(1))
    q("Pakistan", 2, "distance", "Is there land more than 1 km away from any water?",
      yn(dWP[P.m(0)].max() > 1000), "yn", "")
    q("Pakistan", 3, "distance", "On average, how far is a land pixel from the nearest water? (m)",
      dWP[P.m(0)].mean(), "dist", "m")
    Sp = s["Spain"]
    q("Spain", 1, "area", "water area in acres?", area(Sp, Sp.m(1)) / ACRE, "area", "acres", ACRE)
    lab, n, a = obj_areas(Sp, Sp.m(1))
    big = np.isin(lab, np.flatnonzero(a > HA) + 1)
    q("Spain", 3, "area", "Find the water bodies over 1 ha. What area of land lies within 100 m "
      "of them? Reply in hectares.", area(Sp, Sp.m(0) & (dist_to(Sp, big) <= 100)) / HA, "area",
      "ha", HA)
    q("Spain", 2, "object_size", "How large is the biggest water body in km²?", a.max() / KM2,
      "area", "km2", KM2)
    S2 = s["Spain2"]
    _, n, _ = obj_areas(S2, S2.m(1))
    q("Spain2", 1, "count", "How many pools of water are there?", n, "count", "count")
    nb = same_class_nearest(S2, S2.m(1), 6000)
    q("Spain2", 3, "distance", "How far apart are the two closest water bodies? (m)", nb.min(),
      "dist", "m")
    G = s["Ghana"]
    q("Ghana", 1, "comparison", "Is there any water in this scene?", yn(G.m(1).any()), "yn", "")
    q("Ghana", 2, "share", "What fraction of the image is no data? (%)",
      100 * area(G, G.codes == -1) / area(G, np.ones(G.codes.shape, bool)), "share", "%")
    Pa = s["Paraguay"]
    q("Paraguay", 2, "share", "What percentage of the valid pixels is land?", share(Pa, Pa.m(0)),
      "share", "%")
    q("Paraguay", 1, "area", "How much water is there (km²)?", area(Pa, Pa.m(1)) / KM2, "area",
      "km2", KM2)
    q("Nigeria", 2, "connectivity", "Is the water connected from the top edge to the bottom edge "
      "of the chip?", yn(crosses(N.m(1), "N", "S")), "yn", "")
    _, n, _ = obj_areas(M, M.m(1))
    q("Mekong", 3, "fragmentation", "How many water bodies per km² of valid area are there?",
      n / (area(M, M.valid) / KM2), "ratio", "per km2")

    # ---------------- Dubai masks (GSD 0.5 m)
    D = s["D1"]
    B, LA, R, V, WA, U = (D.m(c) for c in range(1, 7))
    q("D1", 1, "share", "What share of the image is road?", share(D, R), "share", "%")
    _, n, a = obj_areas(D, B)
    q("D1", 1, "count", "How many buildings are there?", n, "count", "count")
    q("D1", 2, "count", "How many buildings have a footprint above 200 m²?",
      int((a > 200).sum()), "count", "count")
    nb = same_class_nearest(D, B, 8)
    q("D1", 3, "proximity", "How many buidings have a neighbouring building closer than 8 m?",
      int((nb < 8).sum()), "count", "count")
    q("D1", 2, "area", "Total vegetated area in square feet?", area(D, V) / FT2, "area", "ft2",
      FT2)
    q("D1", 3, "share", "Excluding roads and unlabeled pixels, what fraction of the rest is "
      "building?", share(D, B, D.valid & ~R & ~U), "share", "%")
    lab, n, a = obj_areas(D, B)
    big = np.isin(lab, np.flatnonzero(a > 100) + 1)
    q("D1", 3, "area", "Find the buildings larger than 100 m². What is the total road area within "
      "5 m of them (m²)?", area(D, R & (dist_to(D, big) <= 5)), "area", "m2")

    D = s["D2"]
    B, LA, R, V, WA, U = (D.m(c) for c in range(1, 7))
    dR = dist_to(D, R)
    q("D2", 2, "distance", "How far is the farthest point of land (unpaved area) from a road? "
      "meters", dR[LA].max(), "dist", "m")
    _, n, a, dRo, _ = obj_min_dist(D, B, R)
    dVo = obj_min_dist(D, B, V)[3]
    q("D2", 3, "multi_condition", "Buildings partly within 10 m of a road but nowhere within "
      "10 m of vegetation: how many?", int(((dRo <= 10) & (dVo > 10)).sum()), "count", "count")
    q("D2", 2, "distance", "Is there any spot more than 60 m from every road?",
      yn(dR.max() > 60), "yn", "")
    q("D2", 1, "area", "How many m² of water?", area(D, WA), "area", "m2")
    _, n, a = obj_areas(D, V)
    srt = np.sort(a)[::-1]
    q("D2", 3, "count", "Not counting the largest one, how many vegetation blobs are bigger than "
      "20 m²?", int((srt[1:] > 20).sum()), "count", "count")
    q("D2", 2, "comparison", "Is there more road than vegetation?", yn(area(D, R) > area(D, V)),
      "yn", "")

    D = s["D3"]
    B, LA, R, V, WA, U = (D.m(c) for c in range(1, 7))
    _, n, a = obj_areas(D, WA)
    q("D3", 2, "count", "How many separate water bodies bigger than 100 m²?",
      int((a > 100).sum()), "count", "count")
    _, n, a = obj_areas(D, B)
    q("D3", 3, "comparison", "Are small buildings (below 50 m²) more numerous than large ones "
      "(above 500 m²)?", yn((a < 50).sum() > (a > 500).sum()), "yn", "")
    dR = dist_to(D, R)
    q("D3", 3, "distance", "What's the mean distance from building pixels to the nearest road, "
      "in feet?", dR[B].mean() / FT, "dist", "ft", FT)
    q("D3", 2, "comparison", "What is the ratio of land area to water area?",
      area(D, LA) / area(D, WA), "ratio", "ratio")
    q("D3", 3, "area", "Take the vegetation within 20 m of water. How big is that, in m²?",
      area(D, V & (dist_to(D, WA) <= 20)), "area", "m2")

    D = s["D4"]
    B, LA, R, V, WA, U = (D.m(c) for c in range(1, 7))
    _, n, a = obj_areas(D, V)
    q("D4", 2, "fragmentation", "What's the average size of a vegetation patch in m²?", a.mean(),
      "area", "m2")
    q("D4", 2, "connectivity", "Can you go from the left edge to the right edge on water only?",
      yn(crosses(WA, "W", "E")), "yn", "")
    _, n, a, dmin, dmax = obj_min_dist(D, B, WA)
    q("D4", 3, "proximity", "How many buildings lie wholly within 30 m of water?",
      int((dmax <= 30).sum()), "count", "count")
    _, n, a = obj_areas(D, B)
    q("D4", 2, "object_size", "largest building footprint in m2?", a.max(), "area", "m2")
    q("D4", 3, "share", "What percentage of the land (unpaved area) is within 15 m of a "
      "building?", 100 * area(D, LA & (dist_to(D, B) <= 15)) / area(D, LA), "share", "%")

    # ---------------- Slovenia land cover
    S = s["SLO"]
    CU, FO, GR, SH, AR = (S.m(c) for c in (1, 2, 3, 4, 8))
    q("SLO", 1, "share", "What percentage of the classified area is grassland?", share(S, GR),
      "share", "%")
    _, n, _ = obj_areas(S, AR)
    q("SLO", 1, "count", "How many artificial surface patches are there?", n, "count", "count")
    q("SLO", 2, "area", "How many acres of shrubland?", area(S, SH) / ACRE, "area", "acres", ACRE)
    dA = dist_to(S, AR)
    q("SLO", 2, "distance", "Shortest distance from cultivated land to artificial surface, m?",
      dA[CU].min(), "dist", "m")
    _, n, a, dmin, dmax = obj_min_dist(S, GR, AR)
    q("SLO", 3, "proximity", "How many grassland patches over 0.55 ha are within 50 m of "
      "artificial surface?", int(((a > 0.55 * HA) & (dmin <= 50)).sum()), "count", "count")
    dFo = dist_to(S, FO)
    q("SLO", 2, "distance", "Is any grassland more than 150 m from forest?",
      yn(dFo[GR].max() > 150), "yn", "")
    q("SLO", 3, "area", "Non-forest, non-grassland land: how many hectares?",
      area(S, S.valid & ~FO & ~GR) / HA, "area", "ha", HA)
    _, n, _ = obj_areas(S, FO, conn=4)
    q("SLO", 2, "fragmentation", "Forest patch count under 4-connectivity?", n, "count", "count")
    _, n, a = obj_areas(S, FO)
    q("SLO", 3, "area", "Apart from the biggest one, how much forest is there, in ha?",
      (a.sum() - a.max()) / HA, "area", "ha", HA)
    _, n, _ = obj_areas(S, SH)
    q("SLO", 2, "fragmentation", "How many shrubland patches per km² of classified land?",
      n / (area(S, S.valid) / KM2), "ratio", "per km2")
    dG = dist_to(S, GR)
    q("SLO", 3, "distance", "What is the greatest distance from any shrubland pixel to the "
      "nearest grassland, in yards?", dG[SH].max() / YD, "dist", "yd", YD)
    q("SLO", 3, "share", "Find the artificial surface patches. What share of the forest lies "
      "within 100 m of them?", 100 * area(S, FO & (dA <= 100)) / area(S, FO), "share", "%")
    _, n, a, dmin, _ = obj_min_dist(S, SH, AR)
    q("SLO", 3, "proximity", "How many shrubland patches are wholly farther than 50 m from "
      "artificial surface?", int((dmin > 50).sum()), "count", "count")
    _, n, a = obj_areas(S, GR)
    q("SLO", 2, "object_size", "Biggest grassland patch, in square metres?", a.max(), "area",
      "m2")
    return Q


def _range(S, value, kind, unit, scale, text):
    if kind == "yn":
        return value, None, None
    v = float(value)
    if kind == "count":
        v = int(v)
        if v <= 10:
            return v, v, v
        return v, math.floor(v * 0.9), math.ceil(v * 1.1)
    if kind == "share":
        # one pixel of the denominator, in percentage points: bounded by 1 px of the smallest
        # plausible denominator; use the raster's pixel over its valid area as a floor
        one = 100.0 * S.px_area / float(S.area[S.valid].sum())
        w = max(0.05 * abs(v), one)
    elif kind == "area":
        w = max(0.05 * abs(v), S.px_area / scale)
    elif kind == "dist":
        w = max(0.05 * abs(v), S.px / scale)
    else:  # ratio
        w = 0.05 * abs(v)
    return v, max(v - w, 0.0), v + w


def main():
    s = load_scenes()
    recs = []
    n3 = 0
    for i, (key, tier, typ, text, value, kind, unit, scale) in enumerate(questions(s), start=1):
        S = s[key]
        v, lo, hi = _range(S, value, kind, unit, scale, text)
        if isinstance(v, float):
            v, lo, hi = round(v, 6), round(lo, 6), round(hi, 6)
        rec = {"id": f"blind3-{i:03d}", "question": text, "answer": v,
               "acceptable_range_lower": lo, "acceptable_range_upper": hi, "unit": unit,
               "type": typ, "tier": tier, "image": S.image, "product": S.product}
        if S.gsd is not None:
            rec["gsd"] = S.gsd
        rec["datetime"] = None
        recs.append(rec)
        n3 += tier == 3
    assert len(recs) == 120, len(recs)
    assert n3 >= 40, n3
    with open(HERE / "blind3.jsonl", "w") as f:
        for r in recs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(recs)} questions, {n3} tier 3")


if __name__ == "__main__":
    main()
