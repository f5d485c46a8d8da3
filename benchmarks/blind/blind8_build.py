"""Build blind8: converts rasters into data8/ and computes every truth with numpy/scipy/rasterio/pyproj/PIL.

Run from anywhere:  python benchmarks/blind/blind8_build.py
Written blind (see BLIND8.md). Conventions: 8-connectivity unless a question says otherwise;
no data left out of denominators; distances between pixel centres in metres, "within d" is <= d;
EPSG:4326 areas are geodesic per pixel row (pyproj.Geod), metric distances use the local geodesic
pixel spacing at the chip centre.
"""
import json, os
import numpy as np
import rasterio
from rasterio.transform import from_origin
from scipy import ndimage as ndi
from pyproj import Geod
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "../../../shared/data/real"))
REL = "../../../shared/data/real"
OUT8 = os.path.join(HERE, "data8")
GEOD = Geod(ellps="WGS84")
ACRE = 4046.8564224
SQMI = 2589988.110336
FT = 0.3048
MILE = 1609.344


class R:
    def __init__(self, key, image, product, arr, valid, pa, samp, gsd=None):
        self.key, self.image, self.product, self.a, self.v = key, image, product, arr, valid
        self.pa = pa            # per-pixel area (m2), full array
        self.samp = samp        # (dy, dx) metres
        self.gsd = gsd
        self.pxm = max(samp)
        self._dist = {}

    def m(self, *codes):
        return np.isin(self.a, codes) & self.v

    def dist(self, mask, key=None):
        """distance (m) from every pixel centre to the nearest centre of mask"""
        if key is not None and key in self._dist:
            return self._dist[key]
        d = ndi.distance_transform_edt(~mask, sampling=self.samp)
        if key is not None:
            self._dist[key] = d
        return d


def load_geotiff(key, rel, product, nodata_codes):
    path = os.path.join(DATA, rel)
    with rasterio.open(path) as ds:
        a = ds.read(1)
        crs, t = ds.crs, ds.transform
    v = ~np.isin(a, nodata_codes)
    H, W = a.shape
    if crs.to_epsg() == 4326:
        dx, dy = t.a, -t.e
        areas = np.empty(H)
        lon0 = t.c
        for i in range(H):
            top = t.f - i * dy
            bot = top - dy
            ar, _ = GEOD.polygon_area_perimeter([lon0, lon0 + dx, lon0 + dx, lon0], [top, top, bot, bot])
            areas[i] = abs(ar)
        pa = np.repeat(areas[:, None], W, axis=1)
        clat = t.f - dy * H / 2
        clon = lon0 + dx * W / 2
        _, _, sx = GEOD.inv(clon, clat, clon + dx, clat)
        _, _, sy = GEOD.inv(clon, clat, clon, clat + dy)
        samp = (sy, sx)
    else:
        samp = (abs(t.e), abs(t.a))
        pa = np.full(a.shape, abs(t.a * t.e))
    return R(key, REL + "/" + rel, product, a, v, pa, samp)


DUBAI = {(0x3C, 0x10, 0x98): 1, (0x84, 0x29, 0xF6): 2, (0x6E, 0xC1, 0xE4): 3,
         (0xFE, 0xDD, 0x3A): 4, (0xE2, 0xA9, 0x29): 5, (0x9B, 0x9B, 0x9B): 0}
DUBAI_LEG = {"0": "no data", "1": "building", "2": "land (unpaved)", "3": "road",
             "4": "vegetation", "5": "water"}


def load_dubai(key, tile, part, gsd):
    im = np.array(Image.open(os.path.join(DATA, f"dubai-aerial/tile-{tile}/masks/image_part_00{part}.png")).convert("RGB"))
    code = np.zeros(im.shape[:2], np.uint8)  # any colour not in the list -> 0 (no data)
    for (r, g, b), c in DUBAI.items():
        code[(im[..., 0] == r) & (im[..., 1] == g) & (im[..., 2] == b)] = c
    name = f"dubai_t{tile}_p{part}_codes.png"
    Image.fromarray(code).save(os.path.join(OUT8, name), optimize=True)
    v = code != 0
    return R(key, "data8/" + name, DUBAI_LEG, code, v, np.full(code.shape, gsd * gsd), (gsd, gsd), gsd)


def load_slovenia():
    a = np.load(os.path.join(DATA, "slovenia-s2/LULC.npy"))[..., 0].astype(np.uint8)
    x0, x1, y0, y1 = 465181.05, 466180.53, 5079244.89, 5080254.63
    dx, dy = (x1 - x0) / a.shape[1], (y1 - y0) / a.shape[0]
    name = "slovenia_lulc.tif"
    with rasterio.open(os.path.join(OUT8, name), "w", driver="GTiff", width=a.shape[1], height=a.shape[0],
                       count=1, dtype="uint8", crs="EPSG:32633", transform=from_origin(x0, y1, dx, dy),
                       nodata=0, compress="deflate") as ds:
        ds.write(a, 1)
    leg = {"0": "no data", "1": "cultivated land", "2": "forest", "3": "grassland", "4": "shrubland",
           "8": "artificial surface"}
    return R("SL", "data8/" + name, leg, a, a != 0, np.full(a.shape, dx * dy), (dy, dx))


# ---------------------------------------------------------------- helpers
S8 = np.ones((3, 3), bool)
S4 = ndi.generate_binary_structure(2, 1)


def lab(mask, conn=8):
    return ndi.label(mask, structure=S8 if conn == 8 else S4)


def obj_areas(r, mask, conn=8):
    L, n = lab(mask, conn)
    if n == 0:
        return L, n, np.zeros(0)
    return L, n, np.asarray(ndi.sum(r.pa, L, np.arange(1, n + 1)))


def area(r, mask):
    return float(r.pa[mask].sum())


def share(r, mask, denom=None):
    d = r.v if denom is None else denom
    return 100.0 * area(r, mask & d) / area(r, d)


def obj_min(r, mask, field, conn=8):
    L, n = lab(mask, conn)
    return L, n, np.asarray(ndi.minimum(field, L, np.arange(1, n + 1))), np.asarray(ndi.maximum(field, L, np.arange(1, n + 1)))


def touching(r, mask, target, conn=8):
    """number of objects of mask that touch target (8-neighbourhood)"""
    L, n = lab(mask, conn)
    grown = ndi.binary_dilation(target, structure=S8)
    hit = np.unique(L[grown & (L > 0)])
    return L, n, hit


# ---------------------------------------------------------------- ranges
def rng(r, val, kind, unit=1.0, denom=None):
    if kind == "share":
        d = r.v if denom is None else denom
        px = 100.0 * float(r.pa[d].mean()) / area(r, d)
        h = max(0.05 * abs(val), px)
        return max(0.0, val - h), min(100.0, val + h)
    elif kind == "area":
        px = float(r.pa[r.v].mean()) / unit
        h = max(0.05 * abs(val), px)
    elif kind == "count":
        if val <= 10:
            return val, val
        h = 0.1 * val
    elif kind == "dist":
        h = max(0.05 * abs(val), r.pxm / unit)
    elif kind == "ratio":
        h = 0.05 * abs(val)
    else:
        raise ValueError(kind)
    return val - h, val + h


def rnd(x):
    if abs(x) >= 100:
        return round(x, 1)
    if abs(x) >= 1:
        return round(x, 3)
    return round(x, 5)


# ---------------------------------------------------------------- build
VOICES = {}
def main():
    os.makedirs(OUT8, exist_ok=True)
    Z8L = {"1": "Water", "2": "Developed", "3": "Barren", "4": "Forest", "5": "Shrubland", "6": "Herbaceous",
           "7": "Cultivated", "8": "Wetlands", "255": "no data"}
    Z11L = {"11": "Open Water", "21": "Developed, Open Space", "22": "Developed, Low Intensity",
            "23": "Developed, Medium Intensity", "24": "Developed, High Intensity", "31": "Barren Land (Rock/Sand/Clay)",
            "41": "Deciduous Forest", "42": "Evergreen Forest", "43": "Mixed Forest", "52": "Shrub/Scrub",
            "71": "Grassland/Herbaceous", "81": "Pasture/Hay", "82": "Cultivated Crops", "90": "Woody Wetlands",
            "95": "Emergent Herbaceous Wetlands", "255": "no data"}
    SEN = {"-1": "no data", "0": "not water", "1": "water"}
    rs = {
        "Z8": load_geotiff("Z8", "zion-landsat-nlcd/nlcd.tif", Z8L, [255]),
        "Z11": load_geotiff("Z11", "zion-landsat-nlcd/nlcd2011.tif", Z11L, [255]),
        "LS": load_geotiff("LS", "lausanne-landuse/ls100_12.tif", "codes", [255]),
        "NG": load_geotiff("NG", "sen1floods11/Labels/Nigeria_812045_LabelHand.tif", SEN, [-1]),
        "PK": load_geotiff("PK", "sen1floods11/Labels/Pakistan_849790_LabelHand.tif", SEN, [-1]),
        "ES": load_geotiff("ES", "sen1floods11/Labels/Spain_7370579_LabelHand.tif", SEN, [-1]),
        "MK": load_geotiff("MK", "sen1floods11/Labels/Mekong_333434_LabelHand.tif", SEN, [-1]),
        "D1": load_dubai("D1", 1, 9, 0.5),
        "D4": load_dubai("D4", 4, 2, 0.5),
        "SL": load_slovenia(),
    }
    recs = []
    for i, (key, voice, tier, typ, text, fn) in enumerate(QUESTIONS, 1):
        r = rs[key]
        res = fn(r)
        rec = {"id": f"blind8-{i:03d}", "image": r.image, "product": r.product}
        if r.gsd is not None:
            rec["gsd"] = r.gsd
        rec["question"] = text
        if res in ("yes", "no", "refuse"):
            rec.update(answer=res, acceptable_range_lower=None, acceptable_range_upper=None)
        else:
            val, lo, hi = res
            if isinstance(val, (int, np.integer)):
                rec.update(answer=int(val), acceptable_range_lower=rnd(float(lo)), acceptable_range_upper=rnd(float(hi)))
            else:
                rec.update(answer=rnd(float(val)), acceptable_range_lower=rnd(float(lo)), acceptable_range_upper=rnd(float(hi)))
        rec.update(tier=tier, type=typ)
        VOICES[voice] = VOICES.get(voice, 0) + 1
        recs.append(rec)
    with open(os.path.join(HERE, "blind8.jsonl"), "w") as f:
        for rec in recs:
            f.write(json.dumps(rec) + "\n")
    print(len(recs), "records"); print(VOICES)
    from collections import Counter
    print(Counter(x["tier"] for x in recs)); print(Counter(x["type"] for x in recs)); print(Counter(x["image"] for x in recs))


# ---------------------------------------------------------------- questions
def SH(mf, df=None):
    def f(r):
        d = df(r) & r.v if df else r.v
        v = share(r, mf(r) & d, d)
        lo, hi = rng(r, v, "share", denom=d)
        return v, lo, hi
    return f


def AR(mf, unit=1.0):
    def f(r):
        v = area(r, mf(r)) / unit
        lo, hi = rng(r, v, "area", unit)
        return v, lo, hi
    return f


def AV(vf, unit=1.0):
    def f(r):
        v = vf(r) / unit
        lo, hi = rng(r, v, "area", unit)
        return v, lo, hi
    return f


def CT(nf):
    def f(r):
        n = int(nf(r))
        lo, hi = rng(r, n, "count")
        return n, lo, hi
    return f


def DI(vf, unit=1.0):
    def f(r):
        v = float(vf(r)) / unit
        lo, hi = rng(r, v, "dist", unit)
        return v, lo, hi
    return f


def RA(vf):
    def f(r):
        v = float(vf(r))
        lo, hi = rng(r, v, "ratio")
        return v, lo, hi
    return f


def YN(bf):
    return lambda r: "yes" if bf(r) else "no"


REF = lambda r: "refuse"


def nobj(r, mask, conn=8, min_m2=None, max_m2=None):
    L, n, a = obj_areas(r, mask, conn)
    k = np.ones(n, bool)
    if min_m2 is not None:
        k &= a > min_m2
    if max_m2 is not None:
        k &= a < max_m2
    return int(k.sum())


def largest(r, mask, conn=8, k=1):
    L, n, a = obj_areas(r, mask, conn)
    a = np.sort(a)[::-1]
    return float(a[k - 1]) if len(a) >= k else 0.0


def drop_largest(r, mask, k, conn=8):
    L, n, a = obj_areas(r, mask, conn)
    return float(np.sort(a)[::-1][k:].sum())


def within_objs(r, A, B, d, how):
    L, n, mn, mx = obj_min(r, A, r.dist(B))
    return int((mn <= d).sum()) if how == "partly" else int((mx <= d).sum())


def within_objs_area(r, A, B, d, how):
    L, n, mn, mx = obj_min(r, A, r.dist(B))
    keep = (mn <= d) if how == "partly" else (mx <= d)
    ids = np.arange(1, n + 1)[keep]
    return area(r, np.isin(L, ids))


def n_touch(r, A, B, conn=8):
    L, n, hit = touching(r, A, B, conn)
    return len(hit)


def touch_area(r, A, B, invert=False):
    L, n, hit = touching(r, A, B)
    ids = np.setdiff1d(np.arange(1, n + 1), hit) if invert else hit
    return area(r, np.isin(L, ids))


def mean_dist(r, A, B):
    return r.dist(B)[A].mean()


def max_dist(r, A, B):
    return r.dist(B)[A].max()


def med_dist(r, A, B):
    return np.median(r.dist(B)[A])


def centroid_dist_two_largest(r, mask):
    L, n, a = obj_areas(r, mask)
    o = np.argsort(a)[::-1][:2] + 1
    c = ndi.center_of_mass(np.ones_like(L, float), L, o)
    (y1, x1), (y2, x2) = c
    return float(np.hypot((y1 - y2) * r.samp[0], (x1 - x2) * r.samp[1]))


def edge_len(r, mask, other):
    """length (m) of shared 4-neighbour edges between mask and other"""
    h = (mask[:, :-1] & other[:, 1:]) | (other[:, :-1] & mask[:, 1:])
    v = (mask[:-1, :] & other[1:, :]) | (other[:-1, :] & mask[1:, :])
    return h.sum() * r.samp[0] + v.sum() * r.samp[1]


def ring(r, B, d):
    return (r.dist(B) <= d) & ~B & r.v


M = lambda *c: (lambda r: r.m(*c))
NOT = lambda *c: (lambda r: r.v & ~np.isin(r.a, c))

H, RN, CV, LC, WU, BW = "heat", "rancher", "civil", "lecturer", "water", "birder"
Q = []
add = lambda key, voice, tier, typ, text, fn: Q.append((key, voice, tier, typ, text, fn))

# ======================= Zion NLCD 8 class
add("Z8", H, 1, "share", "what percent of this map is developed land?", SH(M(2)))
add("Z8", H, 1, "area", "Total developed area in square kilometres please.", AR(M(2), 1e6))
add("Z8", H, 2, "object_count", "How many separate patches of developed land are there (diagonal neighbours count as connected)?", CT(lambda r: nobj(r, r.m(2))))
add("Z8", H, 2, "object_count_filter", "how many developed patches are bigger than 50 hectares", CT(lambda r: nobj(r, r.m(2), min_m2=50e4)))
add("Z8", H, 2, "distance_mean", "For developed pixels, what's the average distance in metres to the nearest forest?", DI(lambda r: mean_dist(r, r.m(2), r.m(4))))
add("Z8", H, 3, "distance_share", "Heat island question: what share (%) of developed land lies more than 1 km from any forest or water pixel?", SH(lambda r: r.m(2) & (r.dist(r.m(1, 4)) > 1000), M(2)))
add("Z8", H, 3, "largest_excluded", "Leave out the single biggest developed patch. How many square km of developed land remain?", AV(lambda r: drop_largest(r, r.m(2), 1), 1e6))
add("Z8", H, 3, "object_within", "Count developed patches that are wholly within 300 m of forest.", CT(lambda r: within_objs(r, r.m(2), r.m(4), 300, "wholly")))
add("Z8", RN, 1, "area", "how many acres of cultivated land in this map", AR(M(7), ACRE))
add("Z8", RN, 1, "area", "Herbaceous acreage?", AR(M(6), ACRE))
add("Z8", RN, 2, "share", "Of all the land that isn't forest, what percentage is shrubland?", SH(M(5), NOT(4)))
add("Z8", RN, 2, "distance_mean", "avg distance from cultivated fields to the closest water, in feet", DI(lambda r: mean_dist(r, r.m(7), r.m(1)), FT))
add("Z8", RN, 3, "object_within_area", "I run cattle on the cultivated ground. Take only cultivated patches that are at least partly within half a mile of water: how many acres do those patches add up to?", AV(lambda r: within_objs_area(r, r.m(7), r.m(1), 0.5 * MILE, "partly"), ACRE))
add("Z8", RN, 3, "complement_share", "What percent of the area is neither forest nor shrubland nor barren?", SH(NOT(3, 4, 5)))
add("Z8", CV, 1, "yes_no", "Is there more wetland than open water in this map?", YN(lambda r: r.m(8).sum() > r.m(1).sum()))
add("Z8", CV, 2, "distance_share", "What share of developed land sits within 200 m of water or wetlands?", SH(lambda r: r.m(2) & (r.dist(r.m(1, 8)) <= 200), M(2)))
add("Z8", CV, 2, "distance_max", "Wildfire planning: whats the farthest any developed pixel gets from shrubland, in metres?", DI(lambda r: max_dist(r, r.m(2), r.m(5))))
add("Z8", CV, 3, "object_touch", "How many developed patches touch shrubland directly? Then tell me only that number.", CT(lambda r: n_touch(r, r.m(2), r.m(5))))
add("Z8", CV, 3, "ring_share", "Consider a 100 m buffer around all developed land (outside the developed land itself). What percentage of that buffer is shrubland or forest?", SH(M(4, 5), lambda r: ring(r, r.m(2), 100)))
add("Z8", LC, 1, "share", "Q1 (2 marks). Compute the proportion of the study area classified as Barren, as a percentage.", SH(M(3)))
add("Z8", LC, 2, "largest_object", "Q2. Using 8-connectivity, give the area in hectares of the largest contiguous Water patch.", AV(lambda r: largest(r, r.m(1)), 1e4))
add("Z8", LC, 2, "object_count", "Q3. Using 4-connectivity (rook's case) how many distinct Wetlands patches exist?", CT(lambda r: nobj(r, r.m(8), conn=4)))
add("Z8", LC, 3, "ratio", "Q4. Express the total Cultivated area as a multiple of the total Herbaceous area (a ratio, no units).", RA(lambda r: r.m(7).sum() / r.m(6).sum()))
add("Z8", LC, 3, "largest_excluded_share", "Q5. Excluding the three largest Wetlands patches, what percentage of the remaining wetland area lies in patches smaller than 1 ha? Answer as % of the wetland area that remains after exclusion.",
    lambda r: (lambda L, n, a: (lambda rest: (lambda v: (v, *rng(r, v, 'ratio')))(100.0 * rest[rest < 1e4].sum() / rest.sum())
                                 )(np.sort(a)[::-1][3:]))(*obj_areas(r, r.m(8))))
add("Z8", WU, 1, "area", "total open water in km2", AR(M(1), 1e6))
add("Z8", WU, 2, "object_count_filter", "number of water bodies over 5 ha", CT(lambda r: nobj(r, r.m(1), min_m2=5e4)))
add("Z8", WU, 3, "distance_centroid", "Distance between the centroids of the two largest water bodies, in kilometres?", DI(lambda r: centroid_dist_two_largest(r, r.m(1)), 1000))
add("Z8", WU, 3, "distance_share", "Source protection: what percent of cultivated or developed land is within 500 metres of open water?", SH(lambda r: r.m(2, 7) & (r.dist(r.m(1)) <= 500), M(2, 7)))
add("Z8", BW, 1, "yes_no", "any wetlands at all on this one?", YN(lambda r: r.m(8).any()))
add("Z8", BW, 2, "share", "wetlands share of the map in %?", SH(M(8)))
add("Z8", BW, 3, "object_within", "How many wetland patches are at least partly within 100 m of open water? 8-connected patches please", CT(lambda r: within_objs(r, r.m(8), r.m(1), 100, "partly")))
add("Z8", BW, 3, "distance_mean", "For the wetland pixels that are NOT touching water, how far on average are they from the nearest water, in meters?",
    DI(lambda r: (lambda W, D: D[W & (D > r.pxm * 1.5)].mean())(r.m(8), r.dist(r.m(1)))))
add("Z8", H, 1, "refuse", "What is the average land surface temperature of the developed areas in August?", REF)

# ======================= Zion NLCD full classes
add("Z11", H, 1, "share", "What percentage of the scene is Developed, Open Space?", SH(M(21)))
add("Z11", H, 2, "share", "Among all developed classes (open space through high intensity), what share is low or medium intensity?", SH(M(22, 23), M(21, 22, 23, 24)))
add("Z11", H, 3, "distance_mean", "Mean distance from Developed, Low Intensity pixels to the nearest Deciduous Forest pixel, in metres.", DI(lambda r: mean_dist(r, r.m(22), r.m(41))))
add("Z11", H, 3, "object_count_filter", "Count the medium-intensity developed patches; ignore any made of a single pixel.", CT(lambda r: nobj(r, r.m(23), min_m2=float(r.pa[0, 0]) * 1.5)))
add("Z11", RN, 1, "area", "How many acres of Pasture/Hay?", AR(M(81), ACRE))
add("Z11", RN, 1, "area", "cultivated crops in hectares", AR(M(82), 1e4))
add("Z11", RN, 2, "share", "what fraction of all forest is evergreen, in percent", SH(M(42), M(41, 42, 43)))
add("Z11", RN, 2, "object_count_filter", "how many hay/pasture fields are larger than 40 acres", CT(lambda r: nobj(r, r.m(81), min_m2=40 * ACRE)))
add("Z11", RN, 3, "object_touch_area", "Pasture fields that border Grassland/Herbaceous directly - how many acres are they in total?", AV(lambda r: touch_area(r, r.m(81), r.m(71)), ACRE))
add("Z11", RN, 3, "largest_excluded", "Leaving out my two biggest pasture fields, how many acres of pasture are left?", AV(lambda r: drop_largest(r, r.m(81), 2), ACRE))
add("Z11", CV, 2, "distance_share", "What % of Developed (any intensity) is within 1 mile of Evergreen Forest?", SH(lambda r: r.m(21, 22, 23, 24) & (r.dist(r.m(42)) <= MILE), M(21, 22, 23, 24)))
add("Z11", CV, 3, "ring_share", "Take a 250 m zone around medium-intensity development, not counting the development itself. What percent of the zone is Shrub/Scrub or Evergreen Forest?", SH(M(52, 42), lambda r: ring(r, r.m(23), 250)))
add("Z11", LC, 1, "area", "Q6. Report the area of Mixed Forest in km².", AR(M(43), 1e6))
add("Z11", LC, 2, "object_count", "Q7. How many 8-connected patches of Emergent Herbaceous Wetlands are present?", CT(lambda r: nobj(r, r.m(95))))
add("Z11", LC, 3, "yes_no", "Q8. True or false (answer yes/no): Deciduous Forest covers more than a third of all forest in the scene.", YN(lambda r: r.m(41).sum() > r.m(41, 42, 43).sum() / 3))
add("Z11", LC, 3, "edge_length", "Q9. Compute the total length, in kilometres, of the shared boundary between Open Water and Woody Wetlands (count cell edges, rook adjacency).", DI(lambda r: edge_len(r, r.m(11), r.m(90)), 1000))
add("Z11", WU, 1, "area", "Woody Wetlands area, km^2", AR(M(90), 1e6))
add("Z11", WU, 2, "distance_max", "max distance from any Cultivated Crops pixel to open water (m)", DI(lambda r: max_dist(r, r.m(82), r.m(11))))
add("Z11", WU, 3, "object_within", "How many open water bodies lie wholly within 1 km of Developed land of any intensity?", CT(lambda r: within_objs(r, r.m(11), r.m(21, 22, 23, 24), 1000, "wholly")))
add("Z11", BW, 1, "share", "percent emergent herbaceous wetland??", SH(M(95)))
add("Z11", BW, 2, "distance_mean", "On average how far are Emergent Herbaceous Wetlands from Woody Wetlands? metres", DI(lambda r: mean_dist(r, r.m(95), r.m(90))))
add("Z11", BW, 3, "object_within_area", "Im after riparian birds. Woody wetland patches at least partly within 200m of open water - total hectares?", AV(lambda r: within_objs_area(r, r.m(90), r.m(11), 200, "partly"), 1e4))
add("Z11", BW, 1, "refuse", "Which of these wetlands had the most warbler sightings last spring?", REF)

# ======================= Lausanne land use 2012 (codes)
add("LS", H, 1, "share", "What share of the mapped area has code 12? (%)", SH(M(12)))
add("LS", H, 2, "share", "Excluding code 12, what percent is code 25?", SH(M(25), NOT(12)))
add("LS", H, 3, "distance_mean", "Average distance in metres from code 24 cells to the nearest code 2 cell.", DI(lambda r: mean_dist(r, r.m(24), r.m(2))))
add("LS", RN, 1, "area", "how many hectares are code 2", AR(M(2), 1e4))
add("LS", RN, 2, "area", "code 23 plus code 24, total in acres", AR(M(23, 24), ACRE))
add("LS", CV, 2, "object_count", "How many separate code 25 patches? 8 neighbours.", CT(lambda r: nobj(r, r.m(25))))
add("LS", CV, 3, "object_count_filter", "Count code-2 patches of at least 1 km² that touch a code-25 cell.",
    CT(lambda r: (lambda L, n, a: len(np.intersect1d(np.arange(1, n + 1)[a >= 1e6], touching(r, r.m(2), r.m(25))[2])))(*obj_areas(r, r.m(2)))))
add("LS", LC, 1, "count", "Q10. How many distinct land-use codes (excluding no data) occur in this raster?", CT(lambda r: len(np.unique(r.a[r.v]))))
add("LS", LC, 2, "largest_object", "Q11. Area in km2 of the largest 8-connected code 25 patch.", AV(lambda r: largest(r, r.m(25)), 1e6))
add("LS", LC, 3, "largest_excluded_count", "Q12. After discarding the largest code 2 patch, how many code 2 patches remain that are larger than 10 ha?", CT(lambda r: nobj(r, r.m(2), min_m2=10e4) - 1))
add("LS", WU, 1, "area", "How many square km carry code 24?", AR(M(24), 1e6))
add("LS", WU, 3, "distance_share", "What percent of code 2 is more than 500 m away from every code 24 cell?", SH(lambda r: r.m(2) & (r.dist(r.m(24)) > 500), M(2)))
add("LS", BW, 2, "yes_no", "is there more code 23 than code 24 here?", YN(lambda r: r.m(23).sum() > r.m(24).sum()))
add("LS", BW, 3, "ring_share", "In the 200 m belt around code 24 (belt excludes code 24 itself), which percentage is code 12?", SH(M(12), lambda r: ring(r, r.m(24), 200)))
add("LS", LC, 1, "refuse", "Q13. By how many hectares did code 25 change between 2006 and this map?", REF)

# ======================= Sen1Floods11: Nigeria
add("NG", CV, 1, "share", "What percent of the valid area is flooded (water)?", SH(M(1)))
add("NG", CV, 1, "area", "flood water area in km2", AR(M(1), 1e6))
add("NG", CV, 2, "object_count_filter", "How many water bodies exceed 1 hectare?", CT(lambda r: nobj(r, r.m(1), min_m2=1e4)))
add("NG", CV, 3, "distance_share", "Of the dry (not water) land, what percentage is within 50 m of water?", SH(lambda r: r.m(0) & (r.dist(r.m(1)) <= 50), M(0)))
add("NG", CV, 3, "largest_excluded", "Ignore the largest water body. How many hectares of water are left?", AV(lambda r: drop_largest(r, r.m(1), 1), 1e4))
add("NG", WU, 2, "largest_object", "Largest single water body, in square kilometres?", AV(lambda r: largest(r, r.m(1)), 1e6))
add("NG", WU, 3, "distance_max", "Farthest distance, in metres, from any dry pixel to water.", DI(lambda r: max_dist(r, r.m(0), r.m(1))))
add("NG", BW, 2, "object_count", "how many dry islands (not-water patches) are there, 4-connected?", CT(lambda r: nobj(r, r.m(0), conn=4)))
add("NG", BW, 3, "object_within", "Count not-water patches that lie wholly within 100 m of water.", CT(lambda r: within_objs(r, r.m(0), r.m(1), 100, "wholly")))
add("NG", LC, 2, "area", "Q14. Give the area of the no-data region in hectares.", lambda r: (lambda v: (v, *rng(r, v, 'area', 1e4)))(float(r.pa[r.a == -1].sum()) / 1e4))
add("NG", H, 1, "refuse", "How many people lived in the flooded part of this scene?", REF)

# ======================= Sen1Floods11: Pakistan
add("PK", CV, 1, "area", "Pakistan chip: how many square miles are under water?", AR(M(1), SQMI))
add("PK", CV, 2, "distance_mean", "mean distance from not-water pixels to the nearest water, in metres", DI(lambda r: mean_dist(r, r.m(0), r.m(1))))
add("PK", RN, 1, "share", "how much of it is dry land, percent", SH(M(0)))
add("PK", RN, 3, "object_count_filter", "How many patches of dry ground bigger than 5 acres are left? And of those, how many are completely surrounded by water, not touching the edge of the image or no data?",
    CT(lambda r: (lambda L, n, a: int(sum(1 for i in np.arange(1, n + 1)[a > 5 * ACRE] if not (
        np.isin(i, np.concatenate([L[0], L[-1], L[:, 0], L[:, -1]])) or (ndi.binary_dilation(L == i, S8) & (r.a == -1)).any()))))(*obj_areas(r, r.m(0)))))
add("PK", WU, 2, "object_count", "number of separate water bodies (8-conn)", CT(lambda r: nobj(r, r.m(1))))
add("PK", WU, 3, "largest_excluded_share", "Leave out the largest water body; what % of the valid area do the remaining water bodies cover?",
    lambda r: (lambda v: (v, *rng(r, v, 'share')))(100.0 * drop_largest(r, r.m(1), 1) / area(r, r.v)))
add("PK", LC, 3, "object_within_area", "Q15. Sum the areas (ha) of all dry-land patches that are at least partly within 30 m of water.", AV(lambda r: within_objs_area(r, r.m(0), r.m(1), 30, "partly"), 1e4))
add("PK", BW, 1, "yes_no", "more water than dry land in this one?", YN(lambda r: area(r, r.m(1)) > area(r, r.m(0))))

# ======================= Sen1Floods11: Spain 7370579
add("ES", WU, 1, "area", "Spain scene, water surface in hectares?", AR(M(1), 1e4))
add("ES", WU, 2, "largest_object", "Area of the biggest water body in km2", AV(lambda r: largest(r, r.m(1)), 1e6))
add("ES", WU, 3, "object_count_filter", "Ignoring the biggest water body, how many others are larger than 1000 m2?", CT(lambda r: nobj(r, r.m(1), min_m2=1000) - (1 if largest(r, r.m(1)) > 1000 else 0)))
add("ES", CV, 2, "distance_share", "percent of non-water land within 100 m of water", SH(lambda r: r.m(0) & (r.dist(r.m(1)) <= 100), M(0)))
add("ES", CV, 3, "distance_median", "What is the median distance from dry land to the water? In feet please.", DI(lambda r: med_dist(r, r.m(0), r.m(1)), FT))
add("ES", BW, 2, "object_count", "How many small ponds - water bodies under half a hectare?", CT(lambda r: nobj(r, r.m(1), max_m2=0.5e4)))
add("ES", BW, 3, "object_within", "How many water bodies lie wholly within 200 m of the largest one (not counting the largest itself)?",
    CT(lambda r: (lambda L, n, a: (lambda big: int(sum(1 for i in range(1, n + 1) if i != big and r.dist(L == big, None)[L == i].max() <= 200)))(int(np.argmax(a)) + 1))(*obj_areas(r, r.m(1)))))
add("ES", H, 1, "share", "Water share of this chip (excluding no data) in %", SH(M(1)))
add("ES", LC, 3, "ratio", "Q16. Compute the ratio of water area to not-water area. Then state it as a decimal.", RA(lambda r: area(r, r.m(1)) / area(r, r.m(0))))
add("ES", CV, 1, "refuse", "How deep is the floodwater at its deepest point?", REF)

# ======================= Sen1Floods11: Mekong
add("MK", WU, 1, "share", "mekong chip - % water?", SH(M(1)))
add("MK", WU, 2, "object_count", "How many water bodies, diagonal counts as touching?", CT(lambda r: nobj(r, r.m(1))))
add("MK", BW, 2, "largest_object", "size of the largest water patch in acres", AV(lambda r: largest(r, r.m(1)), ACRE))
add("MK", BW, 3, "distance_centroid", "How far apart are the centres of the two largest water patches, in metres?", DI(lambda r: centroid_dist_two_largest(r, r.m(1))))
add("MK", RN, 1, "area", "acres of water on this one", AR(M(1), ACRE))
add("MK", CV, 3, "distance_mean", "average distance (m) from not-water land to water, only counting land within 1 km of water", DI(lambda r: (lambda D: D[r.m(0) & (D <= 1000)].mean())(r.dist(r.m(1)))))
add("MK", H, 2, "object_count_filter", "water bodies larger than 2 ha: how many?", CT(lambda r: nobj(r, r.m(1), min_m2=2e4)))
add("MK", LC, 3, "yes_no", "Q17. Is the total water area more than ten times the area of its largest water body? yes/no", YN(lambda r: area(r, r.m(1)) > 10 * largest(r, r.m(1))))

# ======================= Dubai tile 1 part 9 (0.5 m)
add("D1", H, 1, "share", "What percentage of this aerial tile is vegetation?", SH(M(4)))
add("D1", H, 2, "share", "Of the built-up surfaces (buildings plus roads), what % is roads?", SH(M(3), M(1, 3)))
add("D1", H, 3, "distance_mean", "Average distance from building pixels to the nearest vegetation, in metres.", DI(lambda r: mean_dist(r, r.m(1), r.m(4))))
add("D1", H, 3, "distance_share", "What share of building area is more than 20 m from any vegetation?", SH(lambda r: r.m(1) & (r.dist(r.m(4)) > 20), M(1)))
add("D1", RN, 1, "area", "how many square metres of unpaved land", AR(M(2)))
add("D1", CV, 2, "object_count_filter", "How many buildings have a footprint above 100 m²?", CT(lambda r: nobj(r, r.m(1), min_m2=100)))
add("D1", CV, 3, "object_within", "How many buildings lie at least partly within 10 m of water?", CT(lambda r: within_objs(r, r.m(1), r.m(5), 10, "partly")))
add("D1", CV, 3, "object_touch", "Count the buildings that do not touch a road.", CT(lambda r: (lambda L, n, hit: n - len(hit))(*touching(r, r.m(1), r.m(3)))))
add("D1", LC, 1, "count", "Q18. How many buildings (8-connected building objects) are in the image?", CT(lambda r: nobj(r, r.m(1))))
add("D1", LC, 2, "largest_object", "Q19. Footprint of the largest building in m2.", AV(lambda r: largest(r, r.m(1))))
add("D1", LC, 3, "largest_excluded", "Q20. Excluding the two largest buildings, what's the mean footprint of the remaining buildings (m2)?",
    lambda r: (lambda a: (lambda v: (v, *rng(r, v, 'area')))(float(a[2:].mean())))(np.sort(obj_areas(r, r.m(1))[2])[::-1]))
add("D1", WU, 2, "area", "water area in square feet", AR(M(5), FT * FT))
add("D1", WU, 3, "distance_max", "Max distance from any building to water (metres).", DI(lambda r: max_dist(r, r.m(1), r.m(5))))
add("D1", BW, 2, "object_count", "how many seperate vegetation patches r there", CT(lambda r: nobj(r, r.m(4))))
add("D1", BW, 3, "object_within_area", "Vegetation patches partly within 15 m of water - how much area in m2 in total?", AV(lambda r: within_objs_area(r, r.m(4), r.m(5), 15, "partly")))
add("D1", H, 1, "refuse", "How tall is the tallest building?", REF)

# ======================= Dubai tile 4 part 2 (0.5 m)
add("D4", H, 1, "share", "building share of this scene, percent", SH(M(1)))
add("D4", H, 3, "ring_share", "In a 5 m strip around the buildings (not counting building pixels), what percent is vegetation?", SH(M(4), lambda r: ring(r, r.m(1), 5)))
add("D4", RN, 2, "area", "Vegetation in acres?", AR(M(4), ACRE))
add("D4", CV, 1, "count", "How many buildings?", CT(lambda r: nobj(r, r.m(1))))
add("D4", CV, 3, "distance_share", "What percent of the road area is within 30 m of water?", SH(lambda r: r.m(3) & (r.dist(r.m(5)) <= 30), M(3)))
add("D4", LC, 2, "object_count", "Q21. Count 4-connected road segments.", CT(lambda r: nobj(r, r.m(3), conn=4)))
add("D4", LC, 3, "complement_share", "Q22. What percentage of the image is neither building nor road nor vegetation?", SH(NOT(1, 3, 4)))
add("D4", WU, 2, "object_count_filter", "number of water features > 50 m2", CT(lambda r: nobj(r, r.m(5), min_m2=50)))
add("D4", WU, 3, "object_touch_area", "Total area (m2) of water features that touch vegetation.", AV(lambda r: touch_area(r, r.m(5), r.m(4))))
add("D4", BW, 2, "distance_mean", "how far is vegetation from water on average, m", DI(lambda r: mean_dist(r, r.m(4), r.m(5))))
add("D4", BW, 3, "largest_excluded", "Not counting the 3 biggest vegetation patches, how many m² of vegetation is there?", AV(lambda r: drop_largest(r, r.m(4), 3)))

# ======================= Slovenia LULC
add("SL", RN, 1, "share", "What percentage is grassland?", SH(M(3)))
add("SL", RN, 1, "area", "how many hectares of forest", AR(M(2), 1e4))
add("SL", RN, 2, "distance_mean", "Average distance from grassland to the forest edge - I mean to the nearest forest pixel - in feet", DI(lambda r: mean_dist(r, r.m(3), r.m(2)), FT))
add("SL", RN, 3, "object_count_filter", "How many grassland patches bigger than 0.5 ha don't touch forest?", CT(lambda r: (lambda L, n, a: len(np.setdiff1d(np.arange(1, n + 1)[a > 5000], touching(r, r.m(3), r.m(2))[2])))(*obj_areas(r, r.m(3)))))
add("SL", H, 2, "share", "Artificial surface as percent of everything that isn't forest?", SH(M(8), NOT(2)))
add("SL", H, 3, "distance_share", "What share of artificial surface is within 50 m of forest?", SH(lambda r: r.m(8) & (r.dist(r.m(2)) <= 50), M(8)))
add("SL", CV, 2, "object_count", "How many separate artificial-surface patches are there?", CT(lambda r: nobj(r, r.m(8))))
add("SL", CV, 3, "distance_max", "What's the farthest any artificial surface pixel is from shrubland? metres", DI(lambda r: max_dist(r, r.m(8), r.m(4))))
add("SL", LC, 1, "area", "Q23. Area of shrubland in m².", AR(M(4)))
add("SL", LC, 3, "object_within", "Q24. How many shrubland patches are wholly within 30 m of grassland? Use 8-connectivity.", CT(lambda r: within_objs(r, r.m(4), r.m(3), 30, "wholly")))
add("SL", WU, 2, "yes_no", "Is cultivated land more than 1 percent of the valid area?", YN(lambda r: share(r, r.m(1)) > 1))
add("SL", WU, 3, "ring_share", "Buffer the artificial surfaces by 30 m. Excluding the artificial pixels themselves, what % of the buffer is forest?", SH(M(2), lambda r: ring(r, r.m(8), 30)))
add("SL", BW, 1, "area", "shrubland area in acres", AR(M(4), ACRE))
add("SL", BW, 3, "largest_excluded_share", "Without the largest forest patch, what percent of the valid area is forest?", lambda r: (lambda v: (v, *rng(r, v, 'share')))(100 * drop_largest(r, r.m(2), 1) / area(r, r.v)))
add("SL", BW, 1, "refuse", "How many bird species were recorded in the forest last year?", REF)
add("SL", LC, 1, "refuse", "Q25. What was the mean NDVI of cultivated land in summer 2016?", REF)

QUESTIONS = Q


if __name__ == "__main__":
    import sys
    sys.path.insert(0, HERE)
    main()
