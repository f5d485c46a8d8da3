"""Build the blind question set ``blind4.jsonl`` and its code PNGs in ``data4/``.

Written blind: the author read only the README, docs/, the CLI's ``--help`` and the data's
README, never the planner. Every truth is computed here with numpy/scipy/rasterio/pyproj/PIL
(geoquant is never imported). Run from anywhere: ``python benchmarks/blind/blind4_build.py``.

Conventions (the engine's documented ones): objects are 8-connected components of one class;
no-data pixels are left out of denominators (unless "whole image"); distances are Euclidean
between pixel centres in metres (geodesic via local UTM on EPSG:4326 grids); areas from the
pixel size (geodesic corner polygons on EPSG:4326); "within d" is ``<= d``; "touch" is an
8-neighbour or overlap.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from pyproj import CRS, Geod, Transformer
from scipy import ndimage
from scipy.spatial import cKDTree

HERE = Path(__file__).resolve().parent
DATA = Path("/work/shared/data/real")
OUT_DIR = HERE / "data4"
OUT = HERE / "blind4.jsonl"
S8 = np.ones((3, 3), bool)
S4 = ndimage.generate_binary_structure(2, 1)

NLCD8 = {"1": "Water", "2": "Developed", "3": "Barren", "4": "Forest", "5": "Shrubland",
         "6": "Herbaceous", "7": "Cultivated", "8": "Wetlands"}
NLCD = {"11": "Open Water", "21": "Developed, Open Space", "22": "Developed, Low Intensity",
        "23": "Developed, Medium Intensity", "31": "Barren Land (Rock/Sand/Clay)",
        "41": "Deciduous Forest", "42": "Evergreen Forest", "43": "Mixed Forest",
        "52": "Shrub/Scrub", "71": "Grassland/Herbaceous", "81": "Pasture/Hay",
        "82": "Cultivated Crops", "90": "Woody Wetlands", "95": "Emergent Herbaceous Wetlands"}
FLOOD = {"-1": "no data", "0": "not water", "1": "water"}
DUBAI = {"0": "no data", "1": "Building", "2": "Land (unpaved area)", "3": "Road",
         "4": "Vegetation", "5": "Water"}
DUBAI_COLOURS = {"#3C1098": 1, "#8429F6": 2, "#6EC1E4": 3, "#FEDD3A": 4, "#E2A929": 5}
SLOVENIA = {"0": "no data", "1": "cultivated land", "2": "forest", "3": "grassland",
            "4": "shrubland", "8": "artificial surface"}


# ----------------------------------------------------------------------------- rasters
class Raster:
    """A label raster with its pixel areas (m²), valid mask and a distance helper."""

    def __init__(self, key, image, product, codes, valid, pixel_area, res=None, xy=None,
                 gsd=None):
        self.key, self.image, self.product, self.codes = key, image, product, codes
        self.valid = valid
        self.pa = pixel_area  # m² per pixel: scalar or (rows, 1) array
        self.res = res  # (dy, dx) metres on a metric grid
        self.xy = xy  # (rows, cols, 2) projected centres on a geographic grid
        self.gsd = gsd
        self._dist = {}

    def m(self, *codes):
        """Boolean mask of the given codes."""
        return np.isin(self.codes, codes) & self.valid

    def area(self, mask):
        """Area of a mask in m²."""
        return float((np.broadcast_to(self.pa, mask.shape) * mask).sum())

    @property
    def valid_area(self):
        return self.area(self.valid)

    @property
    def whole_area(self):
        return self.area(np.ones_like(self.valid))

    def pix(self):
        """Typical pixel area (m²) and side (m)."""
        a = float(np.median(np.broadcast_to(self.pa, self.valid.shape)))
        return a, a ** 0.5

    def dist(self, target):
        """Distance (m) from every pixel centre to the nearest pixel of ``target``."""
        key = target.tobytes()
        if key not in self._dist:
            if self.xy is None:
                d = ndimage.distance_transform_edt(~target, sampling=self.res)
            else:
                pts = self.xy[target]
                d, _ = cKDTree(pts).query(self.xy.reshape(-1, 2))
                d = d.reshape(target.shape)
            self._dist[key] = d
        return self._dist[key]


def _tif(key, path, product, fill=None):
    with rasterio.open(path) as src:
        a = src.read(1)
        valid = np.ones(a.shape, bool)
        if src.nodata is not None:
            valid &= a != src.nodata
        if fill is not None:
            valid &= a != fill
        if src.crs.is_geographic:
            geod = Geod(ellps="WGS84")
            t = src.transform
            rows = np.arange(src.height)
            pa = np.empty((src.height, 1))
            for r in rows:
                lons = [t.c, t.c + t.a, t.c + t.a, t.c]
                lats = [t.f + r * t.e, t.f + r * t.e, t.f + (r + 1) * t.e, t.f + (r + 1) * t.e]
                pa[r, 0] = abs(geod.polygon_area_perimeter(lons, lats)[0])
            cols = np.arange(src.width)
            lon = t.c + (cols + 0.5) * t.a
            lat = t.f + (rows + 0.5) * t.e
            lon2, lat2 = np.meshgrid(lon, lat)
            zone = int((lon.mean() + 180) // 6) + 1
            utm = CRS.from_dict({"proj": "utm", "zone": zone,
                                 "south": bool(lat.mean() < 0), "datum": "WGS84"})
            x, y = Transformer.from_crs(4326, utm, always_xy=True).transform(lon2, lat2)
            return Raster(key, str(path), product, a, valid, pa, xy=np.dstack([x, y]))
        dx, dy = src.res
        return Raster(key, str(path), product, a, valid, dx * dy, res=(dy, dx))


def _png(key, codes, name, product, gsd):
    OUT_DIR.mkdir(exist_ok=True)
    path = OUT_DIR / name
    Image.fromarray(codes.astype(np.uint8), mode="L").save(path, optimize=True)
    back = np.array(Image.open(path))
    assert (back == codes).all()
    valid = back != 0
    return Raster(key, str(path), product, back, valid, gsd * gsd, res=(gsd, gsd), gsd=gsd)


def _dubai(key, tile, part, gsd):
    rgb = np.array(Image.open(DATA / f"dubai-aerial/tile-{tile}/masks/image_part_{part:03d}.png")
                   .convert("RGB"))
    codes = np.zeros(rgb.shape[:2], np.uint8)  # unlabeled and stray colours: no data
    for hexc, code in DUBAI_COLOURS.items():
        c = tuple(int(hexc[i:i + 2], 16) for i in (1, 3, 5))
        codes[(rgb == c).all(axis=2)] = code
    return _png(key, codes, f"dubai_t{tile}_p{part:03d}.png", DUBAI, gsd)


@lru_cache(None)
def R(key):
    """The rasters of the set, by short key."""
    z = DATA / "zion-landsat-nlcd"
    lab = DATA / "sen1floods11/Labels"
    if key == "z":
        return _tif(key, z / "nlcd.tif", NLCD8)
    if key == "n":
        return _tif(key, z / "nlcd2011.tif", NLCD)
    if key == "l":
        return _tif(key, DATA / "lausanne-landuse/ls100_12.tif", "codes")
    if key in ("gh", "mk", "ng", "sp"):
        ev = {"gh": "Ghana_53713", "mk": "Mekong_333434", "ng": "Nigeria_812045",
              "sp": "Spain_6860600"}[key]
        return _tif(key, lab / f"{ev}_LabelHand.tif", FLOOD, fill=-1)
    if key == "d2":
        return _dubai(key, 2, 4, 0.5)
    if key == "d5":
        return _dubai(key, 5, 8, 1.0)
    if key == "s":
        a = np.load(DATA / "slovenia-s2/LULC.npy")[:, :, 0]
        return _png(key, a.astype(np.uint8), "slovenia_lulc.png", SLOVENIA, 10.0)
    raise KeyError(key)


# ----------------------------------------------------------------------------- measures
def objects(mask, conn=8):
    """Labels and count of the connected components of a mask."""
    lab, n = ndimage.label(mask, structure=S8 if conn == 8 else S4)
    return lab, n


def obj_areas(r, mask, conn=8):
    """Area (m²) of every object of a mask, in label order."""
    lab, n = objects(mask, conn)
    pa = np.broadcast_to(r.pa, mask.shape)
    return ndimage.sum(pa, lab, np.arange(1, n + 1)) if n else np.zeros(0)


def obj_filter(r, mask, min_m2=None, max_m2=None, conn=8):
    """Labels, ids kept by an area filter (strict > min, < max), and all areas."""
    lab, n = objects(mask, conn)
    areas = obj_areas(r, mask, conn)
    keep = np.ones(n, bool)
    if min_m2 is not None:
        keep &= areas > min_m2
    if max_m2 is not None:
        keep &= areas < max_m2
    return lab, np.arange(1, n + 1)[keep], areas


def obj_dist(r, mask, target, how="min", conn=8):
    """Per-object nearest (min) or farthest (max) pixel distance (m) to a target mask."""
    lab, n = objects(mask, conn)
    d = r.dist(target)
    f = ndimage.minimum if how == "min" else ndimage.maximum
    return np.asarray(f(d, lab, np.arange(1, n + 1))) if n else np.zeros(0)


def touching(mask, other, conn=8):
    """Boolean per object: touches (8-neighbour or overlap) the other mask."""
    lab, n = objects(mask, conn)
    grown = ndimage.binary_dilation(other, S8)
    hit = ndimage.maximum(grown, lab, np.arange(1, n + 1)) if n else np.zeros(0)
    return np.asarray(hit, bool)


def edge_length(r, a, b):
    """Length (m) of the shared 4-neighbour boundary between masks a and b."""
    dy, dx = r.res
    horiz = (a[:, :-1] & b[:, 1:]) | (b[:, :-1] & a[:, 1:])  # vertical edges: length dy
    vert = (a[:-1, :] & b[1:, :]) | (b[:-1, :] & a[1:, :])  # horizontal edges: length dx
    return float(horiz.sum() * dy + vert.sum() * dx)


def share(r, mask, whole=False):
    """Per cent of the valid (or whole) area."""
    return 100.0 * r.area(mask) / (r.whole_area if whole else r.valid_area)


UNITS = {"m²": 1.0, "ha": 1e4, "km²": 1e6, "acres": 4046.8564224, "sq mi": 2589988.110336,
         "m": 1.0, "km": 1000.0, "ft": 0.3048, "mi": 1609.344, "ft²": 0.09290304}


# ----------------------------------------------------------------------------- records
RECORDS: list[dict] = []
WARNINGS: list[str] = []
PENDING: list[tuple] = []  # (what, threshold, objects within 1 %) since the last record


def guard(values, threshold, what):
    """Warn when an object's deciding value sits within 1 % of a threshold."""
    v = np.asarray(values, float)
    close = np.abs(v - threshold) <= 0.01 * abs(threshold)
    PENDING.append((what, threshold, int(close.sum())))


def Q(qid, key, question, answer, unit, typ, tier, kind, px=None, note=None):
    """Add one record; ``kind`` picks the range rule, ``px`` one pixel's worth in ``unit``."""
    r = R(key)
    pa, side = r.pix()
    lo = hi = None
    if kind in ("yn", "refuse"):
        assert answer in ("yes", "no", "refuse"), (qid, answer)
    else:
        answer = float(answer)
        if answer <= 0:
            WARNINGS.append(f"{qid}: degenerate truth {answer}")
        if kind == "count":
            assert answer == int(answer)
            lo, hi = (answer, answer) if answer <= 10 else (answer * 0.9, answer * 1.1)
        else:
            if px is None:
                px = {"share": 100.0 * pa / r.valid_area, "area": pa / UNITS.get(unit, 1.0),
                      "dist": side / UNITS.get(unit, 1.0), "rel": 0.0}[kind]
            half = max(0.05 * answer, px)
            lo, hi = max(0.0, answer - half), answer + half
        answer = int(answer) if kind == "count" else round(answer, 6)
        lo, hi = round(lo, 6), round(hi, 6)
    rec = {"id": f"blind4-{qid}", "question": question, "answer": answer,
           "acceptable_range_lower": lo, "acceptable_range_upper": hi, "unit": unit,
           "type": typ, "tier": tier, "image": r.image, "product": r.product,
           "datetime": None}
    if r.gsd is not None:
        rec["gsd"] = r.gsd
    if note:
        rec["note"] = note
    assert not any(x["id"] == rec["id"] for x in RECORDS), qid
    close = sum(c for _, _, c in PENDING)
    slack = int(hi - answer) if kind == "count" else 0  # objects that may flip in range
    if close > slack:
        WARNINGS.append(f"{qid}: {close} deciding value(s) within 1% of a threshold "
                        f"(range allows {slack}): {PENDING}")
    PENDING.clear()
    RECORDS.append(rec)


def yn(flag):
    return "yes" if flag else "no"


def n_obj(mask, conn=8):
    return objects(mask, conn)[1]


def count_area(r, mask, min_m2=None, max_m2=None, conn=8, what=""):
    """Number of objects with area > min and < max (m²), guarded."""
    lab, ids, areas = obj_filter(r, mask, min_m2, max_m2, conn)
    for t in (min_m2, max_m2):
        if t is not None:
            guard(areas, t, what or "area")
    return len(ids)


def sel(r, mask, min_m2=None, max_m2=None, what=""):
    """Boolean per object (label order): area filter, guarded."""
    areas = obj_areas(r, mask)
    keep = np.ones(len(areas), bool)
    if min_m2 is not None:
        guard(areas, min_m2, what or "sel")
        keep &= areas > min_m2
    if max_m2 is not None:
        guard(areas, max_m2, what or "sel")
        keep &= areas < max_m2
    return keep


def near(r, mask, target, d, how="min", what="", among=None):
    """Boolean per object: its nearest (min) / farthest (max) pixel within d metres.

    ``among`` (boolean per object) limits the 1 % guard to the objects that matter.
    """
    dd = obj_dist(r, mask, target, how)
    guard(dd if among is None else dd[among], d, what or "near")
    return dd <= d


def pixels_within(r, mask, target, d):
    return mask & (r.dist(target) <= d)


def mean_size(r, mask, unit):
    return obj_areas(r, mask).mean() / UNITS[unit]


HA, KM2, AC = 1e4, 1e6, UNITS["acres"]


# ----------------------------------------------------------------------------- Zion, 8 classes
def zion8():
    r = R("z")
    W, D, B, F, S, H, C, WL = (r.m(c) for c in range(1, 9))
    k = "z"
    Q("z01", k, "what share of the map is forest?", share(r, F), "%", "percentage", 1, "share")
    Q("z02", k, "How much shrubland is there? Answer in square kilometres.",
      r.area(S) / KM2, "km²", "area", 1, "area")
    Q("z03", k, "Total developed area in acres please", r.area(D) / AC, "acres", "area", 2,
      "area")
    Q("z04", k, "how many seperate patches of cultivated land are there", n_obj(C), "objects",
      "count", 1, "count")
    Q("z05", k, "How many wetland patches are bigger than 5 hectares?",
      count_area(r, WL, 5 * HA, what="z05"), "objects", "count", 2, "count")
    Q("z06", k, "What percentage of the park is covered by vegetation (forest, shrubland or "
      "herbaceous)?", share(r, F | S | H), "%", "percentage", 2, "share")
    Q("z07", k, "Give me the area of the largest barren patch. ha",
      obj_areas(r, B).max() / HA, "ha", "object_size", 2, "area")
    Q("z08", k, "average size of a water body, in hectares", mean_size(r, W, "ha"), "ha",
      "object_size", 1, "rel")
    Q("z09", k, "Is there more cultivated land than herbaceous land on this map?",
      yn(r.area(C) > r.area(H)), None, "comparison", 2, "yn")
    Q("z10", k, "how many times bigger is the forest area than the shrubland area?",
      r.area(F) / r.area(S), "times", "comparison", 2, "rel")
    d_w = r.dist(W)
    Q("z11", k, "How far is the point farthest from any water? in km",
      d_w[r.valid].max() / 1e3, "km", "distance", 2, "dist")
    Q("z12", k, "What's the average distance from built-up land to the nearest water, in km?",
      d_w[D].mean() / 1e3, "km", "distance", 2, "rel")
    Q("z13", k, "how many developed patches are within 1 km of water",
      int(near(r, D, W, 1000, what="z13").sum()), "objects", "proximity", 2, "count")
    big_f = sel(r, F, 10 * HA, what="z14")
    Q("z14", k, "How many forest patches larger than 10 ha lie within 500 m of developed land?",
      int((big_f & near(r, F, D, 500, what="z14d", among=big_f)).sum()), "objects",
      "multi_condition", 3, "count")
    Q("z15", k, "Number of forest patches per 100 km2?", n_obj(F) / (r.valid_area / 1e8),
      "patches per 100 km²", "fragmentation", 2, "rel")
    fa = obj_areas(r, F)
    Q("z16", k, "what share of all the forest does the single largest forest patch make up",
      100 * fa.max() / fa.sum(), "%", "fragmentation", 2, "rel")
    Q("z18", k, "mean patch size of herbaceous, hectares", mean_size(r, H, "ha"), "ha",
      "fragmentation", 1, "rel")
    Q("z19", k, "How many wetland patches touch open water?", int(touching(WL, W).sum()),
      "objects", "connectivity", 2, "count")
    Q("z20", k, "how many cultivated patches are right next to developed land",
      int(touching(C, D).sum()), "objects", "connectivity", 2, "count")
    Q("z21", k, "Count the barren patches using 4-connectivity (pixels that only touch at a "
      "corner are separate patches).", n_obj(B, 4), "objects", "connectivity", 2, "count")
    sa = np.sort(obj_areas(r, S))[::-1]
    Q("z22", k, "Ignoring the two biggest shrubland patches, how much shrubland is left? (km²)",
      sa[2:].sum() / KM2, "km²", "area", 3, "area")
    big_d = sel(r, D, 20 * HA, what="z23")
    Q("z23", k, "Find the developed patches over 20 ha. How many of them are entirely within "
      "8 km of water?", int((big_d & near(r, D, W, 8000, "max", "z23d", big_d)).sum()), "objects",
      "proximity", 3, "count")
    Q("z24", k, "how many wetland patches are wholly farther than 1 km from any water?",
      int((~near(r, WL, W, 1000, what="z24")).sum()), "objects", "proximity", 3, "count")
    Q("z25", k, "What share of the land (i.e. not water) is barren?",
      100 * r.area(B) / r.area(r.valid & ~W), "%", "percentage", 2, "share")
    Q("z26", k, "Apart from forest and shrubland, what percentage of the map is everything "
      "else combined?", share(r, r.valid & ~F & ~S), "%", "percentage", 3, "share")
    far = d_w[r.valid].max()
    guard([far], 20000, "z27")
    Q("z27", k, "Is there anywhere in the map more than 20 km from water?", yn(far > 20000),
      None, "distance", 2, "yn")
    d_d = r.dist(D)
    Q("z28", k, "median distance of cultivated pixels to developed land, in metres",
      np.median(d_d[C]), "m", "distance", 2, "dist")
    Q("z29", k, "How many developed patches have none of their pixels within 1.2 km of forest?",
      int((~near(r, D, F, 1200, what="z29")).sum()), "objects", "proximity", 3, "count")
    big_h = sel(r, H, 5 * AC, what="z30")
    Q("z30", k, "Of the herbaceous patches bigger than 5 acres, how many are at least partly "
      "within 300 m of cultivated land?",
      int((big_h & near(r, H, C, 300, what="z30d", among=big_h)).sum()), "objects",
      "multi_condition", 3, "count")
    Q("z32", k, "is barren land bigger than developed, cultivated and herbaceous put together?",
      yn(r.area(B) > r.area(D | C | H)), None, "comparison", 3, "yn")
    Q("z33", k, "I need the area of forest within 1 km of developed land, hectares",
      r.area(pixels_within(r, F, D, 1000)) / HA, "ha", "proximity", 2, "area")
    Q("z34", k, "edge density of forest: total length of forest boundary (with any other "
      "class, not the map edge) per hectare of map, m/ha",
      edge_length(r, F, r.valid & ~F) / (r.valid_area / HA), "m/ha", "fragmentation", 2, "rel")
    fa_ac = obj_areas(r, F) / AC
    guard(fa_ac, 1.0, "z35")
    Q("z35", k, "Forest patches: are there more small ones (under an acre) than ones over an "
      "acre?", yn((fa_ac < 1).sum() > (fa_ac > 1).sum()), None, "comparison", 3, "yn")
    big_b = sel(r, B, 60 * HA, what="z36")
    Q("z36", k, "Take the barren patches bigger than 60 ha. How many of them touch forest and "
      "are also within 2.5 km of developed land?",
      int((big_b & touching(B, F) & near(r, B, D, 2500, what="z36d", among=big_b)).sum()),
      "objects", "multi_condition", 3, "count")
    Q("z37", k, "what share of the shrubland lies more than 1 km from both water and developed "
      "land?", 100 * r.area(S & (d_w > 1000) & (d_d > 1000)) / r.area(S), "%", "proximity", 3,
      "rel")
    fa_sorted = np.sort(fa)[::-1]
    guard(fa_sorted[1:], 150 * HA, "z38")
    Q("z38", k, "Excluding the largest forest patch, how many forest patches are bigger than "
      "150 hectares?", int((fa_sorted[1:] > 150 * HA).sum()), "objects", "count", 3, "count")
    wl_t = touching(WL, W) & sel(r, WL, 3 * HA, what="z39")
    Q("z39", k, "total area (ha) of the wetland patches that touch water, leaving out patches "
      "under 3 ha", obj_areas(r, WL)[wl_t].sum() / HA, "ha", "multi_condition", 3, "area")



# ----------------------------------------------------------------------------- Zion, full NLCD
def nlcd():
    r = R("n")
    k = "n"
    m = r.m
    OW, DOS, DLI, DMI, BAR = m(11), m(21), m(22), m(23), m(31)
    DEC, EVG, MIX, SHR, GRA = m(41), m(42), m(43), m(52), m(71)
    PAS, CRO, WW, EHW = m(81), m(82), m(90), m(95)
    DEV, FOR, WET = DOS | DLI | DMI, DEC | EVG | MIX, WW | EHW
    Q("n01", k, "What percentage of the map is Evergreen Forest?", share(r, EVG), "%",
      "percentage", 1, "share")
    Q("n02", k, "how many hectares of Developed, Open Space are there", r.area(DOS) / HA, "ha",
      "area", 1, "area")
    Q("n03", k, "How much Shrub/Scrub is there in square miles?",
      r.area(SHR) / UNITS["sq mi"], "sq mi", "area", 2, "area")
    Q("n04", k, "total forest (deciduous, evergreen and mixed) as a share of the map",
      share(r, FOR), "%", "percentage", 2, "share")
    Q("n05", k, "How many Deciduous Forest patches are there?", n_obj(DEC), "objects", "count",
      1, "count")
    Q("n06", k, "how many separate patches of Pasture/Hay larger than 20 acres?",
      count_area(r, PAS, 20 * AC, what="n06"), "objects", "count", 2, "count")
    Q("n07", k, "combined area of all the developed classes (open space, low and medium "
      "intensity) in sq km", r.area(DEV) / KM2, "km²", "area", 2, "area")
    Q("n08", k, "Is there more Woody Wetlands than Emergent Herbaceous Wetlands?",
      yn(r.area(WW) > r.area(EHW)), None, "comparison", 2, "yn")
    Q("n09", k, "How many times larger is Evergreen Forest than Deciduous Forest, by area?",
      r.area(EVG) / r.area(DEC), "times", "comparison", 2, "rel")
    Q("n10", k, "what share of the wetlands (woody + emergent herbaceous) is the emergent "
      "herbaceous kind?", 100 * r.area(EHW) / r.area(WET), "%", "percentage", 2, "rel")
    Q("n11", k, "How many Mixed Forest patches touch Deciduous Forest?",
      int(touching(MIX, DEC).sum()), "objects", "connectivity", 2, "count")
    Q("n12", k, "There are a few Cultivated Crops patches on this map. How many of them are "
      "next to Pasture/Hay? Just the number.", int(touching(CRO, PAS).sum()), "objects",
      "connectivity", 3, "count")
    d_ow = r.dist(OW)
    Q("n13", k, "What's the longest distance any Developed, Low Intensity pixel is from Open "
      "Water (in miles)?", d_ow[DLI].max() / UNITS["mi"], "mi", "distance", 2, "dist")
    Q("n14", k, "mean distance from Grassland/Herbaceous pixels to the nearest Evergreen Forest "
      "in metres", r.dist(EVG)[GRA].mean(), "m", "distance", 2, "rel")
    Q("n15", k, "How many Open Water bodies are within 2 km of Developed, Medium Intensity?",
      int(near(r, OW, DMI, 2000, what="n15").sum()), "objects", "proximity", 2, "count")
    big_e = sel(r, EVG, 50 * HA, what="n16")
    Q("n16", k, "How many Evergreen Forest patches over 50 ha are at least partly within 1 km "
      "of Developed, Open Space?",
      int((big_e & near(r, EVG, DOS, 1000, what="n16d", among=big_e)).sum()), "objects",
      "multi_condition", 3, "count")
    big_g = sel(r, GRA, 5 * AC, what="n17")
    Q("n17", k, "grassland/herbaceous patches over 5 acres that don't touch Shrub/Scrub - how "
      "many?", int((big_g & ~touching(GRA, SHR)).sum()), "objects", "connectivity", 3, "count")
    Q("n18", k, "Number of Shrub/Scrub patches per square km", n_obj(SHR) / (r.valid_area / KM2),
      "patches per km²", "fragmentation", 2, "rel")
    Q("n19", k, "Mean patch size of Decidous Forest (ha)?", mean_size(r, DEC, "ha"), "ha",
      "fragmentation", 1, "rel")
    Q("n21", k, "What fraction of the non-forest land (anything but the three forest classes) "
      "is Barren Land (Rock/Sand/Clay)? as a percentage please",
      100 * r.area(BAR) / r.area(r.valid & ~FOR), "%", "percentage", 3, "share")
    da = np.sort(obj_areas(r, DEC))[::-1]
    Q("n22", k, "Ignoring the three largest Deciduous Forest patches, what's the mean size of "
      "the rest, in hectares?", da[3:].mean() / HA, "ha", "object_size", 3, "rel")
    dac = obj_areas(r, DEC) / AC
    guard(dac, 1.0, "n23")
    Q("n23", k, "Are there more Deciduous Forest patches under 1 acre than over 1 acre?",
      yn((dac < 1).sum() > (dac > 1).sum()), None, "comparison", 3, "yn")
    Q("n24", k, "how close does Cultivated Crops get to Open Water? metres",
      d_ow[CRO].min(), "m", "distance", 2, "dist")
    big_dev = sel(r, DEV, 10 * HA, what="n25")
    Q("n25", k, "Developed patches (any intensity, taken together) bigger than 10 ha: how many "
      "lie wholly more than 3 km from Open Water?",
      int((big_dev & ~near(r, DEV, OW, 3000, what="n25d", among=big_dev)).sum()), "objects",
      "proximity", 3, "count")
    Q("n26", k, "What's the area of Woody Wetlands within 100 m of Open Water, in hectares?",
      r.area(pixels_within(r, WW, OW, 100)) / HA, "ha", "proximity", 2, "area")
    far = r.dist(DEV)[r.valid].max()
    guard([far], 10 * UNITS["mi"], "n27")
    Q("n27", k, "Is any spot in the map more than 10 miles from developed land of any "
      "intensity?", yn(far > 10 * UNITS["mi"]), None, "distance", 2, "yn")
    Q("n28", k, "How much Developed, Low Intensity was converted to Developed, Medium Intensity "
      "since 2001?", "refuse", None, "area", 3, "refuse",
      note="one map of one date (2011): change since 2001 cannot be measured from it")
    big_ev = sel(r, EVG, 10 * HA, what="n29")
    Q("n29", k, "How many Evergreen Forest patches over 10 ha touch both Deciduous Forest and "
      "Shrub/Scrub?", int((big_ev & touching(EVG, DEC) & touching(EVG, SHR)).sum()), "objects",
      "connectivity", 3, "count")
    Q("n30", k, "How much Shrub/Scrub is within 500 m of Evergreen Forest but not within 500 m "
      "of Developed, Open Space? km² please",
      r.area(SHR & (r.dist(EVG) <= 500) & (r.dist(DOS) > 500)) / KM2, "km²", "proximity", 3,
      "area")
    ow_d = obj_dist(r, OW, DEV)
    Q("n31", k, "For each Open Water body find how far it is from the nearest developed pixel "
      "(any intensity). What's the average of those distances, in km?", ow_d.mean() / 1e3, "km",
      "distance", 3, "rel")
    farm = PAS | CRO
    Q("n32", k, "Treat Pasture/Hay and Cultivated Crops together as farmland. How many "
      "farmland patches bigger than 10 ha are there?",
      count_area(r, farm, 10 * HA, what="n32"), "objects", "count", 3, "count")


# ----------------------------------------------------------------------------- Lausanne, codes
def lausanne():
    r = R("l")
    k = "l"
    m = r.m
    Q("l01", k, "what share of the mapped area is code 12?", share(r, m(12)), "%", "percentage",
      1, "share")
    Q("l02", k, "area of code 25 in km²", r.area(m(25)) / KM2, "km²", "area", 1, "area")
    Q("l03", k, "How many hectares does code 2 cover? just the number", r.area(m(2)) / HA,
      "ha", "area", 1, "area")
    Q("l04", k, "how many separate patches of code 23 are there", n_obj(m(23)), "objects",
      "count", 1, "count")
    Q("l05", k, "how many code 24 patches are bigger than 50 ha",
      count_area(r, m(24), 50 * HA, what="l05"), "objects", "count", 2, "count")
    Q("l06", k, "How many patches of code 41 are there when counted 4-connected (edge "
      "neighbours only)?", n_obj(m(41), 4), "objects", "connectivity", 2, "count")
    Q("l07", k, "What share of the whole raster, nodata included, is code 12?",
      share(r, m(12), whole=True), "%", "percentage", 2, "share",
      px=100 * r.pix()[0] / r.whole_area)
    Q("l08", k, "is there more of code 2 than code 25?", yn(r.area(m(2)) > r.area(m(25))),
      None, "comparison", 2, "yn")
    Q("l10", k, "the biggest single patch of code 2 - how big is it in km2?",
      obj_areas(r, m(2)).max() / KM2, "km²", "object_size", 2, "area")
    Q("l11", k, "mean patch area for code 25 in ha", mean_size(r, m(25), "ha"), "ha",
      "fragmentation", 1, "rel")
    Q("l12", k, "patch density of code 29: patches per 100 km² of mapped land",
      n_obj(m(29)) / (r.valid_area / 1e8), "patches per 100 km²", "fragmentation", 2, "rel")
    Q("l13", k, "how many code 3 patches touch code 2", int(touching(m(3), m(2)).sum()),
      "objects", "connectivity", 2, "count")
    d2 = r.dist(m(2))
    Q("l14", k, "mean distance of code 41 pixels to the nearest code 2 pixel, in metres",
      d2[m(41)].mean(), "m", "distance", 2, "rel")
    big25 = sel(r, m(25), 20 * HA, what="l15")
    Q("l15", k, "How many code 25 patches over 20 ha lie within 300 m of code 2?",
      int((big25 & near(r, m(25), m(2), 300, what="l15d", among=big25)).sum()), "objects",
      "multi_condition", 3, "count")
    a12 = np.sort(obj_areas(r, m(12)))[::-1]
    Q("l16", k, "Excluding the largest code 12 patch, how many hectares of code 12 remain?",
      a12[1:].sum() / HA, "ha", "area", 3, "area")
    Q("l17", k, "Count the code 24 patches that are entirely within 1 km of code 2.",
      int(near(r, m(24), m(2), 1000, "max", "l17").sum()), "objects", "proximity", 3, "count")
    Q("l18", k, "what % of the mapped area that is not code 12 is code 25?",
      100 * r.area(m(25)) / r.area(r.valid & ~m(12)), "%", "percentage", 3, "share")
    far = d2[r.valid].max()
    guard([far], 5000, "l19")
    Q("l19", k, "Is any mapped pixel more than 5 km from code 2?", yn(far > 5000), None,
      "distance", 2, "yn")
    a23 = obj_areas(r, m(23)) / HA
    guard(a23, 40, "l20")
    guard(a23, 100, "l20")
    Q("l20", k, "Among the patches of code 23, are there more small ones (under 40 ha) than "
      "big ones (over 100 ha)?", yn((a23 < 40).sum() > (a23 > 100).sum()), None, "comparison",
      3, "yn")
    Q("l21", k, "what share of lausanne is forest?", "refuse", None, "percentage", 1, "refuse",
      note="the legend is bare codes: no class is named forest, so the question cannot be "
      "mapped to a code")
    Q("l22", k, "how many code 21 patches have none of their pixels within 1 km of code 23",
      int((~near(r, m(21), m(23), 1000, what="l22")).sum()), "objects", "proximity", 3, "count")
    big2 = sel(r, m(2), 100 * HA, what="l23")
    t25 = touching(m(2), m(25))
    rank = np.argsort(-obj_areas(r, m(2)))
    not_biggest = np.ones(len(big2), bool)
    not_biggest[rank[0]] = False
    Q("l23", k, "Find the code 2 patches larger than 100 ha, leaving out the very biggest one. "
      "How many of those touch code 25?", int((big2 & t25 & not_biggest).sum()), "objects",
      "connectivity", 3, "count")
    far23 = ~near(r, m(23), m(2), 800, what="l24")
    Q("l24", k, "What's the total area, in ha, of the code 23 patches that lie wholly more "
      "than 800 m from code 2?", obj_areas(r, m(23))[far23].sum() / HA, "ha",
      "multi_condition", 3, "area")
    Q("l25", k, "Treat codes 24 and 25 as one class. How many patches does that give?",
      n_obj(m(24, 25)), "objects", "count", 2, "count")
    Q("l26", k, "how many acres are codes 10, 11 and 20 together?",
      r.area(m(10, 11, 20)) / AC, "acres", "area", 2, "area")


# ----------------------------------------------------------------------------- Sen1Floods11
def floods():
    r = R("gh")
    Q("gh1", "gh", "is there any flood water in this chip at all?",
      yn(r.m(1).any()), None, "area", 1, "yn")
    Q("gh2", "gh", "total area covered by the label map, in square km",
      r.valid_area / KM2, "km²", "area", 1, "area")
    Q("gh3", "gh", "how far is the nearest water from the middle of the chip?", "refuse", None,
      "distance", 2, "refuse", note="the label holds no water pixel: the distance is undefined")

    r, k = R("mk"), "mk"
    W, L = r.m(1), r.m(0)
    Q("mk01", k, "how much of the chip is flooded? percent please", share(r, W), "%",
      "percentage", 1, "share")
    Q("mk02", k, "Flooded area in hectares?", r.area(W) / HA, "ha", "area", 1, "area")
    Q("mk03", k, "how many separate water bodies are there", n_obj(W), "objects", "count", 1,
      "count")
    Q("mk04", k, "How many water bodies bigger than 1 ha?", count_area(r, W, HA, what="mk04"),
      "objects", "count", 2, "count")
    Q("mk05", k, "largest water body in m2", obj_areas(r, W).max(), "m²", "object_size", 2,
      "area")
    Q("mk06", k, "what share of the whole image is no data?",
      100 * r.area(~r.valid) / r.whole_area, "%", "percentage", 2, "share",
      px=100 * r.pix()[0] / r.whole_area)
    dw = r.dist(W)
    Q("mk07", k, "how far from water does the dry ground get? i.e. the maximum distance, in km",
      dw[L].max() / 1e3, "km", "distance", 2, "dist")
    Q("mk08", k, "mean distance of not-water pixels to the nearest water, metres",
      dw[L].mean(), "m", "distance", 2, "rel")
    lab, n = objects(W)
    areas = obj_areas(r, W)
    biggest = lab == (np.argmax(areas) + 1)
    others = np.ones(n, bool)
    others[np.argmax(areas)] = False
    Q("mk09", k, "How many other water bodies are within 200 m of the biggest one?",
      int((others & near(r, W, biggest, 200, what="mk09", among=others)).sum()), "objects",
      "proximity", 3, "count")
    srt = np.sort(areas)[::-1]
    Q("mk10", k, "Ignoring the biggest two water bodies, what's the total remaining water area "
      "in ha", srt[2:].sum() / HA, "ha", "area", 3, "area")
    Q("mk11", k, "How many water bodies are smaller than 0.1 ha?",
      count_area(r, W, max_m2=1000, what="mk11"), "objects", "count", 2, "count")
    guard(areas, 500, "mk14")
    Q("mk14", k, "are there more water bodies under 500 m2 than over 500 m2?",
      yn((areas < 500).sum() > (areas > 500).sum()), None, "comparison", 3, "yn")
    big = sel(r, W, 1000, what="mk15")
    Q("mk15", k, "Look at the water bodies over 1000 square metres. How many of them are at "
      "least 500 m from the biggest water body?",
      int((big & others & ~near(r, W, biggest, 500, what="mk15d", among=big & others)).sum()),
      "objects", "proximity", 3, "count")
    Q("mk16", k, "What share of the dry land (not counting no-data) lies within 50 m of water?",
      100 * r.area(pixels_within(r, L, W, 50)) / r.area(L), "%", "proximity", 2, "share")

    r, k = R("ng"), "ng"
    W, L = r.m(1), r.m(0)
    Q("ng01", k, "what percentage of the valid area is under water", share(r, W), "%",
      "percentage", 1, "share")
    Q("ng02", k, "flooded area in sq km (the flood response team needs it)", r.area(W) / KM2,
      "km²", "area", 1, "area")
    Q("ng04", k, "how many patches of dry land are there", n_obj(L), "objects", "count", 1,
      "count")
    Q("ng05", k, "How many dry patches larger than 1 hectare?", count_area(r, L, HA, what="ng05"),
      "objects", "count", 2, "count")
    la = obj_areas(r, L)
    Q("ng06", k, "largest dry patch as a % of all the dry land", 100 * la.max() / la.sum(), "%",
      "fragmentation", 2, "rel")
    dw = r.dist(W)
    Q("ng07", k, "what's the maximum distance from any dry pixel to water, in metres",
      dw[L].max(), "m", "distance", 2, "dist")
    far = dw[L].max()
    guard([far], 2000, "ng08")
    Q("ng08", k, "is there anywhere on dry land more than 2 km from the water?",
      yn(far > 2000), None, "distance", 2, "yn")
    Q("ng09", k, "how much dry land (ha) lies within 100 m of water?",
      r.area(pixels_within(r, L, W, 100)) / HA, "ha", "proximity", 2, "area")
    wlab, wn = objects(W)
    wa = obj_areas(r, W)
    main_water = wlab == (np.argmax(wa) + 1)
    big = sel(r, L, 5 * HA, what="ng10")
    Q("ng10", k, "Find the dry land patches over 5 ha. How many of them touch the biggest water "
      "body?", int((big & touching(L, main_water)).sum()), "objects", "connectivity", 3,
      "count")
    inner = near(r, L, W, 200, "max", "ng11")
    big05 = sel(r, L, 0.5 * HA, what="ng11a")
    Q("ng11", k, "Dry patches that are entirely within 200 m of water: how many of them are "
      "bigger than half a hectare?", int((inner & big05).sum()), "objects", "multi_condition",
      3, "count")
    Q("ng12", k, "except for the largest water body, how many ha of water are there?",
      np.sort(wa)[::-1][1:].sum() / HA, "ha", "area", 3, "area")
    srt = np.sort(wa)[::-1]
    Q("ng14", k, "how many times larger is the biggest water body than the second biggest?",
      srt[0] / srt[1], "times", "comparison", 2, "rel")
    rest = np.sort(la)[::-1][1:]
    guard(rest, 1000, "ng15")
    Q("ng15", k, "Ignoring the largest dry patch, what's the mean area of the remaining dry "
      "patches over 0.1 ha, in m²?", rest[rest > 1000].mean(), "m²", "object_size", 3, "rel")

    r, k = R("sp"), "sp"
    W, L = r.m(1), r.m(0)
    Q("sp1", k, "how many water bodies are in this scene", n_obj(W), "objects", "count", 1,
      "count")
    Q("sp2", k, "total water area in m2", r.area(W), "m²", "area", 1, "area")
    Q("sp3", k, "What % is water?", share(r, W), "%", "percentage", 1, "share")
    Q("sp4", k, "average water body size in square metres", obj_areas(r, W).mean(), "m²",
      "object_size", 1, "rel")
    dw = r.dist(W)
    Q("sp5", k, "median distance from dry ground to the nearest water, in km",
      np.median(dw[L]) / 1e3, "km", "distance", 2, "dist")
    far = dw[r.valid].max()
    guard([far], 2000, "sp6")
    Q("sp6", k, "Is there any place more than 2 km from water?", yn(far > 2000), None,
      "distance", 2, "yn")
    lab, n = objects(W)
    gap = np.array([r.dist(W & (lab != i))[lab == i].min() for i in range(1, n + 1)])
    guard(gap, 200, "sp7")
    Q("sp7", k, "How many water bodies are at least 200 m away from every other water body?",
      int((gap >= 200).sum()), "objects", "proximity", 3, "count")
    Q("sp8", k, "how many water bodies larger than 0.2 ha? answer as a number",
      count_area(r, W, 0.2 * HA, what="sp8"), "objects", "count", 2, "count")
    Q("sp9", k, "total water in square feet", r.area(W) / UNITS["ft²"], "ft²", "area", 2,
      "area")
    big = sel(r, W, 0.1 * HA, what="sp10")
    guard(gap[big], 1000, "sp10d")
    Q("sp10", k, "Among the water bodies bigger than 0.1 ha, how many are within 1 km of "
      "another water body?", int((big & (gap <= 1000)).sum()), "objects", "proximity", 3,
      "count")


# ----------------------------------------------------------------------------- Dubai
def dubai():
    r, k = R("d2"), "d2"
    Bu, La, Ro, Ve, Wa = (r.m(c) for c in range(1, 6))
    ba = obj_areas(r, Bu)
    Q("d2a", k, "how many buildings are there (GSD: 0.5m)", n_obj(Bu), "objects", "count", 1,
      "count")
    Q("d2b", k, "What percentage of the image is buildings?", share(r, Bu, whole=True), "%",
      "percentage", 1, "share")
    Q("d2c", k, "total road area in m²", r.area(Ro), "m²", "area", 1, "area")
    Q("d2d", k, "how big is the largest building, in square metres?", ba.max(), "m²",
      "object_size", 2, "area")
    big = sel(r, Bu, 200, what="d2e")
    Q("d2e", k, "how many buildings over 200 m² lie within 5 m of the road?",
      int((big & near(r, Bu, Ro, 5, what="d2ed", among=big)).sum()), "objects",
      "multi_condition", 3, "count")
    Q("d2f", k, "How many buildings are within 3 metres of a road?",
      int(near(r, Bu, Ro, 3, what="d2f").sum()), "objects", "proximity", 2, "count")
    Q("d2g", k, "average building footprint? (m2)", ba.mean(), "m²", "object_size", 1, "rel")
    Q("d2h", k, "Is there more vegetation than building area in this tile?",
      yn(r.area(Ve) > r.area(Bu)), None, "comparison", 2, "yn")
    Q("d2i", k, "How far is the water from the nearest building, in metres? (GSD: 0.5m)",
      r.dist(Wa)[Bu].min(), "m", "distance", 2, "dist")
    Q("d2j", k, "how many buildings are within 100 m of the water?",
      int(near(r, Bu, Wa, 100, what="d2j").sum()), "objects", "proximity", 2, "count")
    Q("d2k", k, "What share of the Land (unpaved area) lies within 10 m of a road?",
      100 * r.area(pixels_within(r, La, Ro, 10)) / r.area(La), "%", "proximity", 2, "share",
      px=100 * r.pix()[0] / r.area(La))
    Q("d2l", k, "Ignoring the largest two buildings, what is the average size of the rest, in "
      "square meters?", np.sort(ba)[::-1][2:].mean(), "m²", "object_size", 3, "rel")
    Q("d2m", k, "how many vegetation patches touch the water", int(touching(Ve, Wa).sum()),
      "objects", "connectivity", 2, "count")
    guard(ba, 200, "d2n")
    Q("d2n", k, "buildings under 200 sq m vs over 200 sq m: are there more of the small ones?",
      yn((ba < 200).sum() > (ba > 200).sum()), None, "comparison", 3, "yn")
    b150 = sel(r, Bu, 150, what="d2o")
    nv = near(r, Bu, Ve, 90, what="d2o1", among=b150)
    nw = near(r, Bu, Wa, 100, what="d2o2", among=b150)
    Q("d2o", k, "Find the buildings larger than 150 m². How many of those are within 90 m of "
      "vegetation but more than 100 m from the water?", int((b150 & nv & ~nw).sum()),
      "objects", "multi_condition", 3, "count")
    v100 = sel(r, Ve, 100, what="d2p")
    Q("d2p", k, "vegetation patches bigger than 100 m2 lying entirely within 40 m of a road - "
      "how many?", int((v100 & near(r, Ve, Ro, 40, "max", "d2p1", v100)).sum()), "objects",
      "proximity", 3, "count")

    r, k = R("d5"), "d5"
    Bu, La, Ro, Ve, Wa = (r.m(c) for c in range(1, 6))
    ba = obj_areas(r, Bu)
    Q("d5a", k, "what fraction of the labelled area is water (%)", share(r, Wa), "%",
      "percentage", 1, "share")
    Q("d5b", k, "Water area in ha?", r.area(Wa) / HA, "ha", "area", 1, "area")
    Q("d5c", k, "how many buildings", n_obj(Bu), "objects", "count", 1, "count")
    Q("d5d", k, "How many buildings are bigger than 1000 m²? (GSD: 1m)",
      count_area(r, Bu, 1000, what="d5d"), "objects", "count", 2, "count")
    Q("d5e", k, "mean distance from building pixels to the nearest road, meters",
      r.dist(Ro)[Bu].mean(), "m", "distance", 2, "rel")
    Q("d5f", k, "Are there more vegetation patches than buildings?",
      yn(n_obj(Ve) > n_obj(Bu)), None, "comparison", 2, "yn")
    Q("d5g", k, "how many patches of vegetation touch water", int(touching(Ve, Wa).sum()),
      "objects", "connectivity", 2, "count")
    ra = obj_areas(r, Ro)
    Q("d5h", k, "what share of all the road area is in the single largest road segment?",
      100 * ra.max() / ra.sum(), "%", "fragmentation", 2, "rel")
    Q("d5i", k, "How many buildings are entirely farther than 150 m from any water?",
      int((~near(r, Bu, Wa, 150, what="d5i")).sum()), "objects", "proximity", 3, "count")
    b500 = sel(r, Bu, 500, what="d5j")
    Q("d5j", k, "Of the buildings larger than 500 m², how many are at least partly within 30 m "
      "of vegetation?", int((b500 & near(r, Bu, Ve, 30, what="d5j1", among=b500)).sum()),
      "objects", "multi_condition", 3, "count")
    la = np.sort(obj_areas(r, La))[::-1]
    Q("d5l", k, "What's the area of Land (unpaved area) apart from the biggest 3 patches? "
      "answer in m2", la[3:].sum(), "m²", "area", 3, "area")
    far = r.dist(Ro)[r.valid].max()
    guard([far], 300, "d5m")
    Q("d5m", k, "is anywhere in the image more than 300 m from a road?", yn(far > 300), None,
      "distance", 2, "yn")
    Q("d5n", k, "how many cars are parked along the roads?", "refuse", None, "count", 1,
      "refuse", note="the legend has no car class: the label raster cannot tell")
    rank = np.argsort(-ba)
    rest = np.ones(len(ba), bool)
    rest[rank[:2]] = False
    Q("d5o", k, "Ignoring the two biggest buildings, how many buildings have at least part of "
      "their footprint within 20 m of water?",
      int((rest & near(r, Bu, Wa, 20, what="d5o", among=rest)).sum()), "objects",
      "proximity", 3, "count")
    Q("d5p", k, "How many buildings share a border with a road?", int(touching(Bu, Ro).sum()),
      "objects", "connectivity", 2, "count")
    lone = ~touching(Bu, Ro) & ~touching(Bu, Ve)
    Q("d5q", k, "What's the total footprint (m²) of the buildings that touch neither a road "
      "nor vegetation?", ba[lone].sum(), "m²", "connectivity", 3, "area")


# ----------------------------------------------------------------------------- Slovenia
def slovenia():
    r, k = R("s"), "s"
    CU, FO, GR, SH, AR = r.m(1), r.m(2), r.m(3), r.m(4), r.m(8)
    Q("s01", k, "what share of the area is forest", share(r, FO), "%", "percentage", 1, "share")
    Q("s02", k, "grassland area in hectares", r.area(GR) / HA, "ha", "area", 1, "area")
    Q("s03", k, "how many grassland patches are there?", n_obj(GR), "objects", "count", 1,
      "count")
    Q("s04", k, "How many artificial surface patches are bigger than a tenth of an acre?",
      count_area(r, AR, 0.1 * AC, what="s04"), "objects", "count", 2, "count")
    Q("s05", k, "mean shrubland patch size in m²", mean_size(r, SH, "m²"), "m²",
      "fragmentation", 1, "rel")
    Q("s06", k, "how many shrubland patches touch artificial surface?",
      int(touching(SH, AR).sum()), "objects", "connectivity", 2, "count")
    Q("s07", k, "average distance from the artificial surface pixels to the nearest cultivated "
      "land, metres", r.dist(CU)[AR].mean(), "m", "distance", 2, "rel")
    Q("s08", k, "What's the farthest any forest pixel is from grassland, in metres?",
      r.dist(GR)[FO].max(), "m", "distance", 2, "dist")
    Q("s09", k, "how much forest lies within 50 m of artificial surface? hectares",
      r.area(pixels_within(r, FO, AR, 50)) / HA, "ha", "proximity", 2, "area")
    g2 = sel(r, GR, 0.2 * HA, what="s10")
    Q("s10", k, "How many grassland patches bigger than 0.2 ha lie within 100 m of artificial "
      "surface?", int((g2 & near(r, GR, AR, 100, what="s10d", among=g2)).sum()), "objects",
      "multi_condition", 3, "count")
    ga = np.sort(obj_areas(r, GR))[::-1]
    Q("s12", k, "Apart from the biggest grassland patch, how much grassland is there (m²)?",
      ga[1:].sum(), "m²", "area", 3, "area")
    Q("s13", k, "What percent of the classified area is non-forest?", share(r, r.valid & ~FO),
      "%", "percentage", 2, "share")
    Q("s14", k, "How many artificial surface patches are there if you count them 4-connected "
      "instead of 8-connected?", n_obj(AR, 4), "objects", "connectivity", 2, "count")
    Q("s15", k, "Take the shrubland patches. How many of them have no pixel within 25 m of "
      "grassland?", int((~near(r, SH, GR, 25, what="s15")).sum()), "objects", "proximity", 3,
      "count")
    Q("s16", k, "How tall are the trees in the forest on average?", "refuse", None,
      "object_size", 1, "refuse", note="a land-cover label holds no heights")
    a2 = sel(r, AR, 250, what="s17")
    Q("s17", k, "Take the artificial surface patches larger than 250 m². How many of them are "
      "adjacent to grassland but not to shrubland?",
      int((a2 & touching(AR, GR) & ~touching(AR, SH)).sum()), "objects", "connectivity", 3,
      "count")
    other = r.valid & ~FO
    Q("s18", k, "What share of the forest is more than 100 m away from any other class?",
      100 * r.area(FO & (r.dist(other) > 100)) / r.area(FO), "%", "proximity", 3, "share",
      px=100 * r.pix()[0] / r.area(FO))
    Q("s19", k, "edge density of shrubland in m per hectare (shrubland boundary against the "
      "other classes, not the map border)", edge_length(r, SH, r.valid & ~SH) /
      (r.valid_area / HA), "m/ha", "fragmentation", 2, "rel")


# ----------------------------------------------------------------------------- more compositions
def compositions():
    """Tier-3 questions of several sentences, exclusions and references, over all rasters."""
    r, k = R("z"), "z"
    W, D, F = r.m(1), r.m(2), r.m(4)
    f50 = sel(r, F, 50 * HA, what="z40")
    cand = f50 & ~touching(F, D)
    Q("z40", k, "I'm mapping wildlife habitat. Take the forest patches over 50 ha that are not "
      "touching developed land. How many of them are wholly more than 2 km from water?",
      int((cand & ~near(r, F, W, 2000, what="z40d", among=cand)).sum()), "objects",
      "multi_condition", 3, "count")
    lab, n = objects(D)
    outside = D & (lab != np.argmax(obj_areas(r, D)) + 1)
    Q("z41", k, "What's the median distance to the nearest water for the developed pixels "
      "outside the largest developed patch? in km", np.median(r.dist(W)[outside]) / 1e3, "km",
      "distance", 3, "dist")

    r, k = R("n"), "n"
    OW, WW = r.m(11), r.m(90)
    lab, n = objects(OW)
    big = sel(r, OW, 5 * HA, what="n33")
    big_ow = np.isin(lab, np.flatnonzero(big) + 1)
    Q("n33", k, "For the Open Water bodies bigger than 5 ha, what's the total area of Woody "
      "Wetlands within 200 m of them, in ha?", r.area(pixels_within(r, WW, big_ow, 200)) / HA,
      "ha", "proximity", 3, "area")

    r, k = R("l"), "l"
    c15 = obj_areas(r, r.m(15))
    rest = np.ones(len(c15), bool)
    rest[np.argmax(c15)] = False
    Q("l27", k, "hey, looking at code 15 - leave out its biggest patch; how many of the "
      "remaining code 15 patches touch code 2?",
      int((rest & touching(r.m(15), r.m(2))).sum()), "objects", "connectivity", 3, "count")

    r, k = R("mk"), "mk"
    W = r.m(1)
    lab, n = objects(W)
    gap = np.array([r.dist(W & (lab != i))[lab == i].min() for i in range(1, n + 1)])
    big = sel(r, W, HA, what="mk17")
    Q("mk17", k, "For the water bodies larger than one hectare, what is the average distance "
      "from each to its nearest neighbouring water body, in metres?", gap[big].mean(), "m",
      "distance", 3, "rel")

    r, k = R("ng"), "ng"
    W = r.m(1)
    lab, n = objects(W)
    wa = obj_areas(r, W)
    order = np.argsort(-wa)
    largest = lab == order[0] + 1
    rest = np.ones(n, bool)
    rest[order[:2]] = False
    Q("ng16", k, "Count the water bodies other than the two largest ones. How many of them are "
      "within 300 m of the largest?",
      int((rest & near(r, W, largest, 300, what="ng16", among=rest)).sum()), "objects",
      "proximity", 3, "count")

    r, k = R("d5"), "d5"
    Bu, Ve = r.m(1), r.m(4)
    lab, n = objects(Bu)
    b1000 = np.isin(lab, np.flatnonzero(sel(r, Bu, 1000, what="d5r")) + 1)
    Q("d5r", k, "The council wants to know about green space near the big buildings: what's the "
      "total vegetation area (m²) within 50 m of buildings bigger than 1000 m²?",
      r.area(pixels_within(r, Ve, b1000, 50)), "m²", "proximity", 3, "area")

    r, k = R("d2"), "d2"
    ra = np.sort(obj_areas(r, r.m(3)))[::-1]
    Q("d2q", k, "Excluding the biggest road segment, how much road area is left? in square feet",
      ra[1:].sum() / UNITS["ft²"], "ft²", "area", 3, "area")

    r, k = R("s"), "s"
    other = r.valid & ~r.m(2)
    Q("s20", k, "Consider the non-forest land (everything except forest). It forms a number of "
      "separate patches; how many of those exceed 0.5 ha?",
      count_area(r, other, 0.5 * HA, what="s20"), "objects", "count", 3, "count")


def main():
    for build in BUILDERS:
        build()
    with open(OUT, "w") as fh:
        for rec in RECORDS:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    for w in WARNINGS:
        print("WARNING", w)
    print(f"{len(RECORDS)} records -> {OUT}")
    if WARNINGS:
        raise SystemExit("fix the warned questions: a truth is degenerate or on a threshold")


BUILDERS = [zion8, nlcd, lausanne, floods, dubai, slovenia, compositions]

if __name__ == "__main__":
    main()
