"""Build the sealed blind question set blind7 (issue 27): truths from numpy/scipy/skimage only.

Run from anywhere:  .venv/bin/python benchmarks/blind/blind7_build.py
Writes benchmarks/blind/blind7.jsonl and the converted rasters in benchmarks/blind/data7/.
Never imports geoquant. Deterministic (no randomness except a seeded sample for cross-checks).

Conventions (see BLIND7.md): 8-connectivity unless the question says otherwise; no-data pixels
are left out of every denominator; distances between pixel centres in metres; "within d" means
<= d, "farther/more than d" means > d; areas from the transform (projected), geodesic cell areas
(EPSG:4326) or the stated GSD (plain pictures).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from pyproj import Geod
from rasterio.transform import from_origin
from scipy import ndimage as ndi
from scipy.spatial import cKDTree
from skimage import measure

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent.parent / "shared" / "data" / "real"   # ../shared/data from the root
REL = "../../../shared/data/real"                               # the same, from this folder
OUT = HERE / "data7"
S8 = np.ones((3, 3), bool)
S4 = ndi.generate_binary_structure(2, 1)
GEOD = Geod(ellps="WGS84")

ACRE = 4046.8564224
SQFT = 0.09290304
SQMI = 2589988.110336
FT = 0.3048
YD = 0.9144
MILE = 1609.344
AREA_UNITS = {"m2": 1.0, "ha": 1e4, "km2": 1e6, "acres": ACRE, "sqft": SQFT, "sqmi": SQMI}
LEN_UNITS = {"m": 1.0, "km": 1000.0, "ft": FT, "yd": YD, "mi": MILE}


# ----------------------------------------------------------------------------------- rasters
class Raster:
    """A label map with its metric: per-pixel area (m2, per row) and pixel spacing (dy, dx) m."""

    def __init__(self, key, arr, valid, image, product, gsd=None, transform=None, crs=None):
        self.key, self.a, self.valid = key, arr, valid
        self.image, self.product, self.gsd = image, product, gsd
        h, w = arr.shape
        if gsd is not None:                       # plain picture: local metric grid
            self.dy = self.dx = float(gsd)
            self.row_area = np.full(h, gsd * gsd)
        elif crs is not None and crs.is_geographic:
            # geodesic cell areas per row and metric spacing at the chip's centre latitude
            t = transform
            lon0 = t.c
            lats_top = t.f + t.e * np.arange(h)
            ras = []
            for lt in lats_top:
                lb = lt + t.e
                area, _ = GEOD.polygon_area_perimeter(
                    [lon0, lon0 + t.a, lon0 + t.a, lon0], [lt, lt, lb, lb])
                ras.append(abs(area))
            self.row_area = np.array(ras)
            latc = t.f + t.e * h / 2
            lonc = t.c + t.a * w / 2
            _, _, self.dx = GEOD.inv(lonc, latc, lonc + t.a, latc)
            _, _, self.dy = GEOD.inv(lonc, latc, lonc, latc + t.e)
            self.transform = t
        else:
            self.dx, self.dy = abs(transform.a), abs(transform.e)
            self.row_area = np.full(h, self.dx * self.dy)
        self.geographic = crs is not None and crs.is_geographic
        self.pix = max(self.dx, self.dy)
        self.pix_area = float(self.row_area.mean())
        self._edt = {}

    # masks
    def m(self, *codes):
        return np.isin(self.a, codes) & self.valid

    def area(self, mask):
        return float((mask.sum(axis=1) * self.row_area).sum())

    def edt(self, mask, key=None):
        """distance (m) from every pixel centre to the nearest pixel centre of mask"""
        k = key if key is not None else mask.tobytes().__hash__()
        if k not in self._edt:
            if not mask.any():
                self._edt[k] = np.full(mask.shape, np.inf)
            else:
                self._edt[k] = ndi.distance_transform_edt(~mask, sampling=(self.dy, self.dx))
        return self._edt[k]


def load_tif(path):
    with rasterio.open(path) as r:
        return r.read(1), r.transform, r.crs, r.nodata


def build_rasters():
    OUT.mkdir(exist_ok=True)
    R = {}
    # Zion, NLCD 2011 simplified to 8 classes (names from nlcd.tif.aux.xml)
    a, t, c, nd = load_tif(DATA / "zion-landsat-nlcd/nlcd.tif")
    R["zion8"] = Raster("zion8", a, a != nd, f"{REL}/zion-landsat-nlcd/nlcd.tif",
                        {"1": "Water", "2": "Developed", "3": "Barren", "4": "Forest",
                         "5": "Shrubland", "6": "Herbaceous", "7": "Cultivated", "8": "Wetlands"},
                        transform=t, crs=c)
    a, t, c, nd = load_tif(DATA / "zion-landsat-nlcd/nlcd2011.tif")
    R["nlcd"] = Raster("nlcd", a, a != nd, f"{REL}/zion-landsat-nlcd/nlcd2011.tif",
                       {"11": "Open Water", "12": "Perennial Ice/Snow",
                        "21": "Developed, Open Space", "22": "Developed, Low Intensity",
                        "23": "Developed, Medium Intensity", "24": "Developed, High Intensity",
                        "31": "Barren Land (Rock/Sand/Clay)", "41": "Deciduous Forest",
                        "42": "Evergreen Forest", "43": "Mixed Forest", "52": "Shrub/Scrub",
                        "71": "Grassland/Herbaceous", "81": "Pasture/Hay", "82": "Cultivated Crops",
                        "90": "Woody Wetlands", "95": "Emergent Herbaceous Wetlands"},
                       transform=t, crs=c)
    a, t, c, nd = load_tif(DATA / "lausanne-landuse/ls100_06.tif")
    R["laus"] = Raster("laus", a, a != nd, f"{REL}/lausanne-landuse/ls100_06.tif", "codes",
                       transform=t, crs=c)
    # Sen1Floods11 hand labels: 1 water, 0 not water, -1 no data (declared in the legend)
    sen_legend = {"1": "water", "0": "not water", "-1": "nodata"}
    for key, ev in [("mekong", "Mekong_333434"), ("nigeria", "Nigeria_812045"),
                    ("pakistan", "Pakistan_849790"), ("spain", "Spain_7370579"),
                    ("spain2", "Spain_6860600")]:
        a, t, c, nd = load_tif(DATA / f"sen1floods11/Labels/{ev}_LabelHand.tif")
        R[key] = Raster(key, a, a != -1, f"{REL}/sen1floods11/Labels/{ev}_LabelHand.tif",
                        dict(sen_legend), transform=t, crs=c)
    # Dubai aerial masks: colours -> codes, written as 8-bit PNG (no georeferencing)
    colours = {0x3C1098: 1, 0x8429F6: 2, 0x6EC1E4: 3, 0xFEDD3A: 4, 0xE2A929: 5, 0x9B9B9B: 0}
    dub_legend = {"0": "nodata", "1": "building", "2": "land (unpaved area)", "3": "road",
                  "4": "vegetation", "5": "water"}
    for key, tile, part, gsd in [("d2_4", 2, 4, 1.0), ("d2_5", 2, 5, 1.0), ("d2_7", 2, 7, 1.0),
                                 ("d5_4", 5, 4, 0.5), ("d5_8", 5, 8, 0.5),
                                 ("d6_1", 6, 1, 0.8), ("d6_4", 6, 4, 0.8)]:
        im = np.array(Image.open(DATA / f"dubai-aerial/tile-{tile}/masks/image_part_{part:03d}.png")
                      .convert("RGB")).astype(np.int64)
        hexv = (im[..., 0] << 16) | (im[..., 1] << 8) | im[..., 2]
        codes = np.full(hexv.shape, 255, np.uint8)
        for col, code in colours.items():
            codes[hexv == col] = code
        assert (codes != 255).all(), key
        name = f"dubai_tile{tile}_part{part:03d}_codes.png"
        Image.fromarray(codes, mode="L").save(OUT / name, optimize=True)
        back = np.array(Image.open(OUT / name))
        assert (back == codes).all()
        R[key] = Raster(key, codes, codes != 0, f"data7/{name}", dict(dub_legend), gsd=gsd)
    # Slovenia LULC (eo-learn example), written as a GeoTIFF on its UTM 33N grid
    lulc = np.load(DATA / "slovenia-s2/LULC.npy")[..., 0].astype(np.uint8)
    h, w = lulc.shape
    x0, x1, y0, y1 = 465181.05, 466180.53, 5079244.89, 5080254.63
    tr = from_origin(x0, y1, (x1 - x0) / w, (y1 - y0) / h)
    p = OUT / "slovenia_lulc.tif"
    with rasterio.open(p, "w", driver="GTiff", width=w, height=h, count=1, dtype="uint8",
                       crs="EPSG:32633", transform=tr, nodata=0, compress="deflate") as dst:
        dst.write(lulc, 1)
    a, t, c, nd = load_tif(p)
    R["slo"] = Raster("slo", a, a != 0, "data7/slovenia_lulc.tif",
                      {"1": "cultivated land", "2": "forest", "3": "grassland", "4": "shrubland",
                       "8": "artificial surface"}, transform=t, crs=c)
    return R


# ------------------------------------------------------------------------------ primitives
def label(mask, conn=8):
    lab, n = ndi.label(mask, S8 if conn == 8 else S4)
    return lab, n


CHECKED_LABELS = []


def objects(r, mask, conn=8):
    """labels, count and object areas (m2, index 1..n)"""
    lab, n = label(mask, conn)
    if len(CHECKED_LABELS) < 400:          # cross-check with skimage on the way
        sk = measure.label(mask, connectivity=2 if conn == 8 else 1, background=0)
        assert sk.max() == n, (r.key, sk.max(), n)
        CHECKED_LABELS.append(n)
    areas = ndi.sum_labels(np.broadcast_to(r.row_area[:, None], mask.shape), lab,
                           np.arange(1, n + 1)) if n else np.zeros(0)
    return lab, n, np.asarray(areas, float)


def keep(lab, ids):
    return np.isin(lab, ids) & (lab > 0)


def per_obj(lab, n, values, fn):
    idx = np.arange(1, n + 1)
    return np.asarray(fn(values, lab, idx), float)


def obj_min(lab, n, values):
    return per_obj(lab, n, values, ndi.minimum)


def obj_max(lab, n, values):
    return per_obj(lab, n, values, ndi.maximum)


def touching(lab, n, other):
    """objects with a pixel 8-adjacent to (or on) a pixel of `other`"""
    grown = ndi.binary_dilation(other, S8)
    return per_obj(lab, n, grown.astype(float), ndi.maximum) > 0


def nn_other(r, lab, ids):
    """for each object id in ids: metric distance to the nearest pixel of another object in ids"""
    sel = keep(lab, ids)
    out = []
    sl = ndi.find_objects(lab)
    h, w = lab.shape
    for i in ids:
        s = sl[i - 1]
        margin = 40
        while True:
            r0, r1 = max(0, s[0].start - margin), min(h, s[0].stop + margin)
            c0, c1 = max(0, s[1].start - margin), min(w, s[1].stop + margin)
            sub = lab[r0:r1, c0:c1]
            others = sel[r0:r1, c0:c1] & (sub != i)
            whole = r0 == 0 and c0 == 0 and r1 == h and c1 == w
            if others.any():
                d = ndi.distance_transform_edt(~others, sampling=(r.dy, r.dx))
                dmin = float(d[sub == i].min())
                if dmin <= margin * min(r.dx, r.dy) or whole:
                    out.append(dmin)
                    break
            elif whole:
                out.append(math.inf)
                break
            margin *= 2
    return np.array(out)


# --------------------------------------------------------------------------------- records
RECORDS = []
DEGENERATE = []
PERSONAS = {"B": "wildlife biologist", "E": "emergency-response coordinator",
            "L": "logistics manager", "R": "retired engineer", "T": "teenager",
            "S": "Spanish/French first language"}


def rnd(x):
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.6g}")


def add(r, persona, tier, typ, question, value, kind, unit=None, denom=None, **extra):
    """kind: share | area | count | dist | ratio | yesno | refuse"""
    rec = {"id": f"b7-{len(RECORDS) + 1:03d}", "image": r.image, "product": r.product,
           "gsd": r.gsd, "question": question}
    if kind == "refuse":
        rec.update(answer="refuse", unit=None, acceptable_range=None)
    elif kind == "yesno":
        rec.update(answer="yes" if value else "no", unit=None, acceptable_range=None)
    else:
        v = float(value)
        if kind == "share":          # value in %, denom: denominator area m2
            tol = max(0.05 * v, 100.0 * r.pix_area / denom)
        elif kind == "area":
            tol = max(0.05 * v, r.pix_area / AREA_UNITS[unit])
        elif kind == "count":
            v = int(round(v))
            tol = 0 if v <= 10 else 0.10 * v
        elif kind == "dist":
            tol = max(0.05 * v, r.pix / LEN_UNITS[unit])
        elif kind == "ratio":
            tol = 0.05 * v
        else:
            raise ValueError(kind)
        if not v > 0:
            DEGENERATE.append((question, v))
        lo, hi = v - tol, v + tol
        if kind == "count":
            lo, hi = math.floor(lo), math.ceil(hi)
            rec.update(answer=v, unit="count", acceptable_range=[lo, hi])
        else:
            rec.update(answer=rnd(v), unit=unit, acceptable_range=[rnd(lo), rnd(hi)])
    rec.update(tier=tier, type=typ, persona=PERSONAS[persona], raster=r.key)
    rec.update(extra)
    RECORDS.append(rec)


def share(r, part, of):
    den = r.area(of)
    return 100.0 * r.area(part & of) / den, den


# ------------------------------------------------------------------------------- Zion 8-class
def q_zion8(r):
    V = r.valid
    W, D, B, F, SH, H, C, WE = (r.m(k) for k in range(1, 9))
    v, den = share(r, F, V)
    add(r, "T", 1, "share", "whats the % of forest on this map", v, "share", "%", den)
    add(r, "R", 1, "area", "Please state the total area classified as Shrubland, expressed in "
        "square kilometres.", r.area(SH) / 1e6, "area", "km2")
    lab, n, ar = objects(r, WE)
    add(r, "B", 1, "count", "How many separate Wetlands patches are there in the scene?", n,
        "count")
    lab, n, ar = objects(r, W)
    add(r, "E", 1, "count", "How many water bodies are on the map?", n, "count")
    add(r, "S", 2, "object_area", "Which is the surface of the biggest lake, in hectares?",
        ar.max() / 1e4, "area", "ha")
    # leave out the largest water body
    add(r, "E", 3, "area", "Leaving out the largest water body, what is the total area of the "
        "remaining water? Give it in hectares.", (ar.sum() - ar.max()) / 1e4, "area", "ha")
    d_dev = r.edt(D, "dev")
    add(r, "L", 3, "distance", "What's the greatest distance from any point of the map to the "
        "nearest Developed pixel? km please", d_dev[V].max() / 1000, "dist", "km")
    add(r, "L", 2, "distance", "On average how far is Cultivated land from the nearest Developed "
        "land, in metres (averaged over the cultivated pixels)?", d_dev[C].mean(), "dist", "m")
    # forest patches > 100 ha touching wetlands
    lab, n, ar = objects(r, F)
    big = ar > 100e4
    t = touching(lab, n, WE)
    add(r, "B", 3, "count", "Of the forest patches over 100 ha, how many touch a Wetlands patch?",
        int((big & t).sum()), "count")
    # herbaceous >= 5 ha, share within 500 m of developed
    lab, n, ar = objects(r, H)
    sel = keep(lab, np.flatnonzero(ar >= 5e4) + 1)
    v, den = share(r, sel & (d_dev <= 500), sel)
    add(r, "R", 3, "share", "Consider only the Herbaceous patches of at least 5 hectares. What "
        "fraction of their combined area lies within 500 metres of Developed land? Please give "
        "the answer as a percentage.", v, "share", "%", den)
    v, den = share(r, ~F & ~SH & V, V)
    add(r, "S", 2, "share", "What percentage of the territory is not forest and not shrubland?",
        v, "share", "%", den)
    d_w = r.edt(W, "water")
    lab, n, ar = objects(r, WE)
    mx = obj_max(lab, n, d_w)
    add(r, "B", 3, "count", "Wetland patches that lie wholly within 300 m of open water - how "
        "many are there?", int((mx <= 300).sum()), "count")
    far = d_dev[V].max()
    add(r, "T", 3, "yes_no", "is there anywhere on this map more than 12 km from developed "
        "stuff?? yes or no", far > 12000, "yesno")
    # developed > 1 ha with another developed > 1 ha within 200 m
    lab, n, ar = objects(r, D)
    ids = np.flatnonzero(ar > 1e4) + 1
    nn = nn_other(r, lab, ids)
    add(r, "R", 3, "count", "Among the Developed patches larger than 1 hectare, how many have "
        "another Developed patch that is also larger than 1 hectare within 200 metres of it? "
        "Distances are measured between the nearest pixel centres.", int((nn <= 200).sum()),
        "count")
    add(r, "L", 2, "area", "How much Developed area lies within 1 km of Water? (km2)",
        r.area(D & (d_w <= 1000)) / 1e6, "area", "km2")
    lab, n, ar = objects(r, W)
    sel = keep(lab, np.flatnonzero(ar > 5e4) + 1)
    d_sel = r.edt(sel, "water>5ha")
    add(r, "E", 3, "area", "Take the water bodies larger than 5 ha. How much Developed land is "
        "within 2 km of them? Answer in km².", r.area(D & (d_sel <= 2000)) / 1e6, "area", "km2")
    v, den = share(r, B, V)
    add(r, "S", 1, "share", "How much is the proportion of barren in the zone, in percent?", v,
        "share", "%", den)
    lab, n, ar = objects(r, F)
    rest = np.sort(ar)[:-3]
    add(r, "B", 3, "object_area", "What is the mean size of the Forest patches if I don't count "
        "the 3 largest ones? hectares", rest.mean() / 1e4, "area", "ha")
    lab, n, ar = objects(r, SH)
    add(r, "T", 2, "object_area", "biggest patch of shrubland how big in km2", ar.max() / 1e6,
        "area", "km2")
    d_f = r.edt(F, "forest")
    add(r, "R", 3, "distance", "Identify the Water pixel that lies farthest from any Forest "
        "pixel. How far, in metres, is it from the nearest Forest pixel?", d_f[W].max(), "dist",
        "m")
    add(r, "B", 2, "yes_no", "Is there more Wetlands than Herbaceous, by area?",
        r.area(WE) > r.area(H), "yesno")
    add(r, "E", 2, "refuse", "How much of the forest burned between 2011 and 2016?", None,
        "refuse")
    add(r, "T", 1, "refuse", "how healthy r the trees here lol, like whats the avg greenness",
        None, "refuse")
    v, den = share(r, C & (d_dev > MILE), C)
    add(r, "L", 3, "share", "What share of the Cultivated land is more than 1 mile from any "
        "Developed land? Answer as a percent.", v, "share", "%", den)
    add(r, "T", 2, "area", "how many acres of cultivated r there", r.area(C) / ACRE, "area",
        "acres")
    lab, n, ar = objects(r, H)
    add(r, "S", 3, "count", "The herbaceous patches of more than 2 hectares, how many of them "
        "are touching the shrubland?", int(((ar > 2e4) & touching(lab, n, SH)).sum()), "count")
    lab, n, ar = objects(r, C)
    add(r, "E", 2, "count", "Count the cultivated fields bigger than 10 ha.",
        int((ar > 10e4).sum()), "count")


# ----------------------------------------------------------------------------- NLCD full codes
def q_nlcd(r):
    V = r.valid
    m = r.m
    EVG, DEC, MIX, SHR, GRA = m(42), m(41), m(43), m(52), m(71)
    OW, DOS, DLI, DMI = m(11), m(21), m(22), m(23)
    DEV = m(21, 22, 23, 24)
    PAS, CRO, WW, EHW, BAR = m(81), m(82), m(90), m(95), m(31)
    v, den = share(r, EVG, V)
    add(r, "R", 1, "share", "What proportion of the mapped area is Evergreen Forest? Kindly "
        "answer in percent.", v, "share", "%", den)
    add(r, "T", 1, "area", "how much deciduous forest in hectares", r.area(DEC) / 1e4, "area",
        "ha")
    lab, n, ar = objects(r, MIX)
    add(r, "B", 2, "count", "How many Mixed Forest patches are bigger than 10 ha?",
        int((ar > 10e4).sum()), "count")
    add(r, "S", 1, "area", "How many hectares of Pasture/Hay there are in the image?",
        r.area(PAS) / 1e4, "area", "ha")
    d_ow = r.edt(OW, "ow")
    add(r, "E", 2, "area", "How much Developed, Low Intensity land is within 500 m of Open "
        "Water? in hectares", r.area(DLI & (d_ow <= 500)) / 1e4, "area", "ha")
    d_pas = r.edt(PAS, "pas")
    add(r, "L", 3, "distance", "whats the longest distance from any Cultivated Crops pixel to "
        "the closest Pasture/Hay pixel, in meters", d_pas[CRO].max(), "dist", "m")
    wet = WW | EHW
    lab, n, ar = objects(r, wet)
    add(r, "R", 3, "count", "Consider the Woody Wetlands and the Emergent Herbaceous Wetlands "
        "together as a single wetland class. Excluding the two largest wetland patches, how "
        "many wetland patches remain?", n - 2, "count")
    d_shr = r.edt(SHR, "shr")
    d_dev = r.edt(DEV, "dev")
    lab, n, ar = objects(r, GRA)
    c = (ar > 2e4) & (obj_min(lab, n, d_shr) <= 100) & (obj_min(lab, n, d_dev) > 100)
    add(r, "B", 3, "count", "Of the Grassland/Herbaceous patches over 2 ha, how many are partly "
        "within 100 m of Shrub/Scrub yet nowhere within 100 m of developed land (any "
        "intensity)?", int(c.sum()), "count")
    v, den = share(r, DEV & (d_ow <= 1000), DEV)
    add(r, "T", 3, "share", "all the developed (open space, low, medium, whatever) lumped "
        "together... what percent of it is within 1km of open water", v, "share", "%", den)
    d_ww = r.edt(WW, "ww")
    add(r, "E", 3, "area", "How many acres of Developed, Open Space lie within 300 yards of "
        "Woody Wetlands?", r.area(DOS & (d_ww <= 300 * YD)) / ACRE, "area", "acres")
    lab, n, ar = objects(r, BAR)
    add(r, "S", 2, "object_area", "Which is the area of the largest patch of Barren Land "
        "(Rock/Sand/Clay), in km2?", ar.max() / 1e6, "area", "km2")
    rest = V & ~EVG & ~SHR
    v, den = share(r, DEV & rest, rest)
    add(r, "L", 3, "share", "Leaving aside Evergreen Forest and Shrub/Scrub, what percent of "
        "the rest of the map is developed (any of the developed classes)?", v, "share", "%", den)
    lab, n, ar = objects(r, MIX)
    add(r, "R", 3, "yes_no", "Are Mixed Forest patches smaller than 1 hectare more numerous "
        "than Mixed Forest patches larger than 5 hectares?",
        (ar < 1e4).sum() > (ar > 5e4).sum(), "yesno")
    lab, n, ar = objects(r, DEC)
    sel = keep(lab, np.flatnonzero(ar > 50e4) + 1)
    d_sel = r.edt(sel, "dec>50")
    add(r, "B", 3, "area", "Find the Deciduous Forest patches over 50 hectares. What area of "
        "Evergreen Forest lies within 100 m of them? Answer in km².",
        r.area(EVG & (d_sel <= 100)) / 1e6, "area", "km2")
    add(r, "B", 1, "refuse", "How much of the area is planted in vineyards?", None, "refuse")
    lab, n, ar = objects(r, CRO)
    add(r, "T", 1, "count", "how many cultivated crops fields r there", n, "count")
    d_dos = r.edt(DOS, "dos")
    add(r, "E", 3, "distance", "What is the farthest any Developed, Low Intensity pixel sits "
        "from Developed, Open Space? Answer in feet.", d_dos[DLI].max() / FT, "dist", "ft")
    lab, n, ar = objects(r, SHR)
    big = ar > 1000e4
    add(r, "S", 3, "share", "The patches of Shrub/Scrub larger than 1000 ha, what percentage "
        "of the total Shrub/Scrub do they represent?", 100 * ar[big].sum() / ar.sum(), "share",
        "%", ar.sum())
    add(r, "L", 2, "area", "Total area of Developed, Medium Intensity in square feet?",
        r.area(DMI) / SQFT, "area", "sqft")
    lab, n, ar = objects(r, PAS)
    add(r, "R", 3, "count", "Determine the number of Pasture/Hay patches situated entirely "
        "within 1 km of developed land of any intensity.",
        int((obj_max(lab, n, d_dev) <= 1000).sum()), "count")
    lab, n, ar = objects(r, MIX)
    ids = np.flatnonzero(ar > 5e4) + 1
    nn = nn_other(r, lab, ids)
    add(r, "B", 3, "distance", "For the Mixed Forest patches over 5 ha: what is the mean "
        "distance from each one to the nearest other Mixed Forest patch over 5 ha, in metres "
        "(edge to edge)?", nn.mean(), "dist", "m", n_objects=len(ids))
    add(r, "T", 2, "area", "total open water area in acres?", r.area(OW) / ACRE, "area",
        "acres")
    d_ow_c = d_ow[CRO].min()
    add(r, "L", 2, "yes_no", "Is any Cultivated Crops pixel within 2 km of Open Water?",
        d_ow_c <= 2000, "yesno")
    lab, n, ar = objects(r, OW)
    add(r, "E", 2, "count", "How many separate Open Water bodies bigger than 1 ha?",
        int((ar > 1e4).sum()), "count")
    lab, n, ar = objects(r, DOS, conn=4)
    add(r, "S", 2, "count", "Counting with 4-connectivity (only the sides, not the corners), how "
        "many pieces of Developed, Open Space there are?", n, "count")
    v, den = share(r, V & ~(d_dev <= 1000), V)
    add(r, "L", 3, "share", "What percentage of the whole map is farther than 1 km from any "
        "developed land?", v, "share", "%", den)


# --------------------------------------------------------------------------- Lausanne 2006 codes
def q_laus(r):
    V = r.valid
    m = r.m
    v, den = share(r, m(12), V)
    add(r, "T", 1, "share", "what % of the mapped area is code 12", v, "share", "%", den)
    add(r, "R", 1, "area", "State the total area of land-use code 25, in hectares.",
        r.area(m(25)) / 1e4, "area", "ha")
    lab, n, ar = objects(r, m(2))
    add(r, "B", 2, "count", "How many patches of code 2 are larger than 50 ha?",
        int((ar > 50e4).sum()), "count")
    lab12, n12, ar12 = objects(r, m(12))
    add(r, "S", 2, "object_area", "Which is the area of the biggest patch of code 12, in km2?",
        ar12.max() / 1e6, "area", "km2")
    d2 = r.edt(m(2), "c2")
    add(r, "L", 2, "distance", "Mean distance from code 25 pixels to the nearest code 2 pixel, "
        "in metres?", d2[m(25)].mean(), "dist", "m")
    add(r, "E", 3, "area", "Excluding the two largest patches of code 2, how much area do the "
        "other code 2 patches cover, in km²?", np.sort(ar)[:-2].sum() / 1e6, "area", "km2")
    lab24, n24, ar24 = objects(r, m(24))
    add(r, "R", 3, "count", "Consider the patches of code 24 exceeding 100 hectares. How many of "
        "them are adjacent to code 25?", int(((ar24 > 100e4) & touching(lab24, n24, m(25))).sum()),
        "count")
    add(r, "T", 3, "area", "codes 23 and 24 together, whats their total area within 500m of "
        "code 2, in ha", r.area(m(23, 24) & (d2 <= 500)) / 1e4, "area", "ha")
    lab25, n25, ar25 = objects(r, m(25))
    add(r, "B", 3, "count", "How many code 25 patches lie wholly farther than 300 m from any "
        "code 2 pixel?", int((obj_min(lab25, n25, d2) > 300).sum()), "count")
    rest = V & ~m(12)
    v, den = share(r, m(25), rest)
    add(r, "S", 3, "share", "Leaving out the code 12, which percent of the remaining mapped land "
        "is code 25?", v, "share", "%", den)
    add(r, "L", 3, "distance", "whats the greatest distance from any mapped (non-nodata) pixel "
        "to the nearest code 2 pixel? in km", d2[V].max() / 1000, "dist", "km")
    lab1, n1, _ = objects(r, m(1))
    add(r, "E", 1, "count", "How many separate patches of code 1 are there?", n1, "count")
    add(r, "R", 2, "refuse", "By how many hectares did the area of code 2 grow between 2006 and "
        "2012 in this map?", None, "refuse")
    add(r, "T", 3, "yes_no", "is there a single patch of code 12 bigger than 200 km2? y/n",
        ar12.max() > 200e6, "yesno")
    d12 = r.edt(m(12), "c12")
    c = (ar25 > 50e4) & (obj_min(lab25, n25, d12) <= 200) & (obj_min(lab25, n25, d2) > 200)
    add(r, "B", 3, "count", "Patches of code 25 over 50 ha that are partly within 200 m of code "
        "12 but nowhere within 200 m of code 2: how many are there?", int(c.sum()), "count")
    add(r, "R", 3, "area", "Calculate the area of code 12 situated more than one mile from any "
        "code 2 pixel. Express the result in square miles.",
        r.area(m(12) & (d2 > MILE)) / SQMI, "area", "sqmi")
    add(r, "S", 2, "area", "How many hectares of code 15 are within 1 km from code 2?",
        r.area(m(15) & (d2 <= 1000)) / 1e4, "area", "ha")
    add(r, "L", 1, "count", "number of code 24 patches?", n24, "count")
    lab23, n23, ar23 = objects(r, m(23))
    sel = keep(lab23, np.flatnonzero(ar23 > 100e4) + 1)
    ds = r.edt(sel, "c23>100")
    add(r, "E", 3, "area", "Take the patches of code 23 over 100 ha. What area of code 25 lies "
        "within 300 m of them? Answer in hectares.", r.area(m(25) & (ds <= 300)) / 1e4, "area",
        "ha")
    add(r, "T", 2, "object_area", "mean patch size of code 2 in hectares?", ar.mean() / 1e4,
        "area", "ha")
    rest = V & ~m(12, 25)
    v, den = share(r, m(2), rest)
    add(r, "R", 3, "share", "Of the mapped area, excluding codes 12 and 25, what proportion is "
        "code 2? Please express it as a percentage.", v, "share", "%", den)
    add(r, "S", 1, "refuse", "Which is the population living in the zone of the map?", None,
        "refuse")
    add(r, "B", 3, "distance", "How far is the code 3 pixel that lies farthest from all code 2? "
        "In metres.", d2[m(3)].max(), "dist", "m")
    lab10, n10, _ = objects(r, m(10))
    add(r, "E", 3, "yes_no", "Is every patch of code 10 at least partly within 2 km of code 2?",
        bool((obj_min(lab10, n10, d2) <= 2000).all()), "yesno")
    add(r, "L", 2, "area", "how many acres of code 21", r.area(m(21)) / ACRE, "area", "acres")
    add(r, "T", 3, "count", "how many code 2 patches r bigger than 100 ha, not counting the "
        "biggest one", int((ar > 100e4).sum()) - 1, "count")


# ------------------------------------------------------------------------ Sen1Floods11 chips
def q_mekong(r):
    V = r.valid
    W, L = r.m(1), r.m(0)
    v, den = share(r, W, V)
    add(r, "E", 1, "share", "What percentage of the valid area is water?", v, "share", "%", den)
    add(r, "T", 1, "area", "how many sq km of water in this chip", r.area(W) / 1e6, "area",
        "km2")
    lab, n, ar = objects(r, W)
    add(r, "E", 2, "count", "How many separate water bodies larger than 0.5 ha are there?",
        int((ar > 0.5e4).sum()), "count")
    dW = r.edt(W, "w")
    add(r, "L", 3, "distance", "What's the farthest any dry (not water) pixel is from water, in "
        "metres?", dW[L].max(), "dist", "m")
    add(r, "S", 3, "area", "Without counting the biggest water body, how many hectares of water "
        "remain?", (ar.sum() - ar.max()) / 1e4, "area", "ha")
    add(r, "B", 2, "area", "how much not-water land lies within 100 m of water, in hectares?",
        r.area(L & (dW <= 100)) / 1e4, "area", "ha")
    ids = np.flatnonzero(ar >= 1000) + 1
    nn = nn_other(r, lab, ids)
    add(r, "R", 3, "distance", "Consider the water bodies of at least 1000 square metres. What "
        "is the mean distance, in metres, from each of them to the nearest other such water "
        "body?", nn.mean(), "dist", "m", n_objects=len(ids))
    add(r, "E", 1, "refuse", "How many houses were flooded in this area?", None, "refuse")
    add(r, "T", 2, "object_area", "whats the avg size of a water body here in m2", ar.mean(),
        "area", "m2")
    add(r, "B", 3, "share", "Leaving out the water bodies smaller than 0.1 ha, what share of "
        "the valid area is water? percent", share(r, keep(lab, np.flatnonzero(ar >= 1e3) + 1),
                                                    V)[0], "share", "%", r.area(V))


def q_nigeria(r):
    V = r.valid
    W, L = r.m(1), r.m(0)
    v, den = share(r, W, V)
    add(r, "E", 1, "share", "Flood extent: what share of the area with data is covered by "
        "water? %", v, "share", "%", den)
    lab, n, ar = objects(r, W)
    add(r, "S", 2, "object_area", "Which is the surface of the largest flooded zone, in km²?",
        ar.max() / 1e6, "area", "km2")
    add(r, "T", 3, "count", "not counting the 2 biggest water blobs how many water blobs r "
        "there", n - 2, "count")
    dW = r.edt(W, "w")
    add(r, "L", 2, "area", "What area of land (not water) is more than 200 m from water? "
        "hectares", r.area(L & (dW > 200)) / 1e4, "area", "ha")
    labL, nL, arL = objects(r, L)
    add(r, "R", 3, "count", "Determine the number of land (not water) patches that lie entirely "
        "within 50 metres of water.", int((obj_max(labL, nL, dW) <= 50).sum()), "count")
    ids = np.flatnonzero(ar > 1e4) + 1
    nn = nn_other(r, lab, ids)
    add(r, "B", 3, "count", "How many water bodies over 1 ha have another water body over 1 ha "
        "within 30 m?", int((nn <= 30).sum()), "count")
    add(r, "E", 2, "area", "What is the total area of the water bodies smaller than 1 ha, in "
        "square metres?", ar[ar < 1e4].sum(), "area", "m2")
    add(r, "T", 1, "refuse", "how deep is the flood water here", None, "refuse")
    add(r, "S", 3, "distance", "Which is the maximum distance between a point of land (not "
        "water) and the nearest water? In metres please.", dW[L].max(), "dist", "m")
    add(r, "L", 3, "share", "Excluding the largest water body, what percent of the valid area is "
        "still water?", 100 * (ar.sum() - ar.max()) / r.area(V), "share", "%", r.area(V))


def q_pakistan(r):
    V = r.valid
    W, L = r.m(1), r.m(0)
    v, den = share(r, W, V)
    add(r, "T", 1, "share", "% water?? (ignore the no data)", v, "share", "%", den)
    labL, nL, arL = objects(r, L)
    add(r, "R", 2, "count", "State the number of distinct land (not water) areas larger than "
        "1 hectare.", int((arL > 1e4).sum()), "count")
    dW = r.edt(W, "w")
    add(r, "L", 3, "distance", "What's the greatest distance from any land pixel to the nearest "
        "water, in yards?", dW[L].max() / YD, "dist", "yd")
    add(r, "E", 2, "area", "Land within 50 m of the water: how many hectares? Leave out the "
        "no-data pixels.", r.area(L & (dW <= 50)) / 1e4, "area", "ha")
    c = (arL > 0.1e4) & (obj_max(labL, nL, dW) <= 100)
    add(r, "S", 3, "count", "Of the pieces of land bigger than 0.1 ha, how many have no point "
        "farther than 100 m from the water?", int(c.sum()), "count")
    lab, n, ar = objects(r, W)
    add(r, "B", 2, "object_area", "mean size of the water bodies in m2?", ar.mean(), "area",
        "m2")
    add(r, "E", 2, "yes_no", "Is more than half of the valid area under water?", v > 50,
        "yesno")
    add(r, "R", 3, "area", "Calculate the area of water, excluding the largest water body, in "
        "acres.", (ar.sum() - ar.max()) / ACRE, "area", "acres")
    add(r, "B", 3, "area", "Find the land patches over 1 ha. How much water lies within 20 m of "
        "them? Give hectares.", r.area(W & (r.edt(keep(labL, np.flatnonzero(arL > 1e4) + 1),
                                                      "L>1ha") <= 20)) / 1e4, "area", "ha")
    add(r, "T", 3, "share", "what % of the land (not water) is more than 100m from water",
        share(r, L & (dW > 100), L)[0], "share", "%", r.area(L))


def q_spain(r):
    V = r.valid
    W, L = r.m(1), r.m(0)
    add(r, "E", 1, "area", "How many km² are under water?", r.area(W) / 1e6, "area", "km2")
    lab, n, ar = objects(r, W)
    add(r, "T", 2, "count", "how many water bits bigger than 1000 m2", int((ar > 1000).sum()),
        "count")
    dW = r.edt(W, "w")
    add(r, "L", 2, "distance", "Mean distance from the land pixels to the nearest water, "
        "meters.", dW[L].mean(), "dist", "m")
    v, den = share(r, L & (dW > 500), L)
    add(r, "S", 3, "share", "Which percentage of the land (not water) is at more than 500 m "
        "from the water?", v, "share", "%", den)
    sel = keep(lab, np.flatnonzero(ar > 1e4) + 1)
    ds = r.edt(sel, "w>1ha")
    add(r, "B", 3, "area", "Find the water bodies over 1 ha. What area of land lies within 50 m "
        "of them? Answer in hectares.", r.area(L & (ds <= 50)) / 1e4, "area", "ha")
    ids = np.flatnonzero(ar > 1e4) + 1
    nn = nn_other(r, lab, ids)
    add(r, "R", 3, "distance", "What is the distance, in metres, between the two closest water "
        "bodies that each exceed one hectare? Measure between the nearest pixel centres.",
        nn.min(), "dist", "m")
    add(r, "E", 2, "refuse", "How much did the water extent increase since the day before?",
        None, "refuse")
    add(r, "S", 2, "object_area", "Which is the area of the second biggest water body, in "
        "hectares?", np.sort(ar)[-2] / 1e4, "area", "ha")
    add(r, "L", 3, "yes_no", "Is there any spot more than 1 km from water? Just yes or no.",
        dW[V].max() > 1000, "yesno")


def q_spain2(r):
    V = r.valid
    W = r.m(1)
    lab, n, ar = objects(r, W)
    add(r, "E", 1, "count", "How many separate water bodies are in this chip?", n, "count")
    dW = r.edt(W, "w")
    add(r, "L", 3, "distance", "What is the greatest distance from any valid pixel to the "
        "nearest water, in km?", dW[V].max() / 1000, "dist", "km")
    add(r, "T", 1, "area", "how many m2 of water", r.area(W), "area", "m2")
    add(r, "S", 2, "yes_no", "There is some water body larger than 1 hectare?",
        bool((ar > 1e4).any()), "yesno")
    add(r, "B", 2, "area", "How much not-water ground lies within 100 m of water, in hectares?",
        r.area(r.m(0) & (dW <= 100)) / 1e4, "area", "ha")


# -------------------------------------------------------------------------------- Dubai masks
def dub(r):
    m = r.m
    return m(1), m(2), m(3), m(4), m(5)


def q_d2_4(r):
    BU, LA, RO, VE, WA = dub(r)
    lab, n, ar = objects(r, BU)
    add(r, "T", 1, "count", "how many buildings r in this pic (GSD: 1m)", n, "count")
    add(r, "R", 2, "area", "Determine the total area of the buildings that are larger than "
        "100 m², in square metres. The ground sampling distance is 1.0 m.",
        ar[ar > 100].sum(), "area", "m2")
    dR = r.edt(RO, "ro")
    add(r, "L", 3, "distance", "What is the greatest distance from any building pixel to the "
        "nearest road, in metres?", dR[BU].max(), "dist", "m")
    dW = r.edt(WA, "wa")
    add(r, "B", 2, "area", "vegetation within 20 m of water: how many m2? pixels are 1 m",
        r.area(VE & (dW <= 20)), "area", "m2")
    ids = np.arange(1, n + 1)
    nn = nn_other(r, lab, ids)
    add(r, "S", 3, "count", "How many buildings have a neighbour building more close than 10 m?",
        int((nn < 10).sum()), "count")
    add(r, "E", 3, "yes_no", "Are the buildings smaller than 50 m² more numerous than the ones "
        "above 200 m²?", (ar < 50).sum() > (ar > 200).sum(), "yesno")


def q_d2_5(r):
    BU, LA, RO, VE, WA = dub(r)
    v, den = share(r, WA, r.valid)
    add(r, "E", 1, "share", "What percentage of the image is water? (1 m pixels)", v, "share",
        "%", den)
    lab, n, ar = objects(r, BU)
    add(r, "T", 2, "object_area", "biggest building area in m2? gsd 1m", ar.max(), "area", "m2")
    dR = r.edt(RO, "ro")
    add(r, "L", 2, "distance", "Mean distance from the buildings to the nearest road in metres, "
        "averaged over all building pixels. Pixel size 1 m.", dR[BU].mean(), "dist", "m")
    rest = r.valid & ~WA
    v, den = share(r, VE, rest)
    add(r, "R", 3, "share", "Leaving the water out, what fraction of the remaining area is "
        "vegetation? Please give a percentage.", v, "share", "%", den)
    labv, nv, arv = objects(r, VE)
    add(r, "B", 3, "count", "Of the vegetation patches above 200 m², how many touch water?",
        int(((arv > 200) & touching(labv, nv, WA)).sum()), "count")
    dW = r.edt(WA, "wa")
    add(r, "S", 3, "area", "How many square feet of buildings there are within 100 metres of the "
        "water?", r.area(BU & (dW <= 100)) / SQFT, "area", "sqft")


def q_d2_7(r):
    BU, LA, RO, VE, WA = dub(r)
    V = r.valid
    v, den = share(r, RO, V)
    add(r, "E", 1, "share", "Excluding the unlabeled (no data) pixels, what share of the picture "
        "is road? GSD 1 m.", v, "share", "%", den)
    lab, n, ar = objects(r, BU)
    add(r, "T", 3, "area", "if u ignore the 3 largest buildings how many m2 of building is left "
        "(1m/px)", np.sort(ar)[:-3].sum(), "area", "m2")
    dR = r.edt(RO, "ro")
    add(r, "L", 3, "yes_no", "Is there any spot in this image more than 100 m from a road? "
        "yes/no. Pixel = 1 m.", dR[V].max() > 100, "yesno")
    labv, nv, arv = objects(r, VE)
    add(r, "B", 1, "count", "How many vegetation patches can be counted here?", nv, "count")
    labw, nw, arw = objects(r, WA)
    sel = keep(labw, np.flatnonzero(arw > 500) + 1)
    ds = r.edt(sel, "w>500")
    add(r, "R", 3, "area", "Find the water bodies larger than 500 m². What area of vegetation "
        "lies within 15 m of them? The GSD is 1 m; answer in square metres.",
        r.area(VE & (ds <= 15)), "area", "m2")
    add(r, "S", 2, "area", "Which is the total surface of land (unpaved area), in hectares? The "
        "pixel is of 1 m.", r.area(LA) / 1e4, "area", "ha")


def q_d5_4(r):
    BU, LA, RO, VE, WA = dub(r)
    add(r, "S", 1, "area", "Which is the area of the water in square metres? (GSD 0.5 m)",
        r.area(WA), "area", "m2")
    lab, n, ar = objects(r, BU)
    add(r, "E", 2, "count", "How many buildings larger than 200 m² are there? Pixel size "
        "0.5 m.", int((ar > 200).sum()), "count")
    dR = r.edt(RO, "ro")
    add(r, "L", 3, "distance", "What's the greatest distance from any building to the nearest "
        "road, in feet? 0.5 m pixels.", dR[BU].max() / FT, "dist", "ft")
    dV = r.edt(VE, "ve")
    add(r, "B", 3, "count", "Buildings wholly within 50 m of vegetation: how many? (GSD: 0.5m)",
        int((obj_max(lab, n, dV) <= 50).sum()), "count")
    add(r, "T", 2, "area", "land (unpaved) thats more than 25 m from any road, how much in m2?? "
        "its 0.5m per pixel", r.area(LA & (dR > 25)), "area", "m2")
    near = r.edt(BU | RO, "bu|ro") <= 10
    v, den = share(r, LA & ~near, LA)
    add(r, "R", 3, "share", "Determine the proportion of land (unpaved area) that is not within "
        "10 metres of a building or a road. Express it as a percentage. The ground sampling "
        "distance is 0.5 m.", v, "share", "%", den)


def q_d5_8(r):
    BU, LA, RO, VE, WA = dub(r)
    labr, nr, arr = objects(r, RO)
    add(r, "T", 1, "count", "how many separate road pieces r there (0.5 m gsd)", nr, "count")
    dB = r.edt(BU, "bu")
    add(r, "E", 2, "area", "How much vegetation, in m², is within 20 m of buildings? GSD "
        "0.5 m.", r.area(VE & (dB <= 20)), "area", "m2")
    lab, n, ar = objects(r, BU)
    add(r, "S", 3, "object_area", "Without the largest building, which is the average size of "
        "the buildings in m²? (GSD: 0.5m)", np.sort(ar)[:-1].mean(), "area", "m2")
    dR = r.edt(RO, "ro")
    dV = r.edt(VE, "ve")
    c = (ar > 100) & (obj_min(lab, n, dR) <= 5) & (obj_min(lab, n, dV) > 5)
    add(r, "R", 3, "count", "Consider the buildings exceeding 100 square metres. How many of "
        "them lie partly within 5 metres of a road yet nowhere within 5 metres of vegetation? "
        "Assume 0.5 m pixels.", int(c.sum()), "count")
    add(r, "L", 2, "distance", "mean distance from water pixels to the nearest road, metres? "
        "0.5m gsd", dR[WA].mean(), "dist", "m")
    add(r, "E", 1, "refuse", "How many cars are parked in this image? GSD 0.5 m.", None,
        "refuse")


def q_d6_1(r):
    BU, LA, RO, VE, WA = dub(r)
    v, den = share(r, VE, r.valid)
    add(r, "B", 1, "share", "What percentage of the labelled area is vegetation? (GSD 0.8 m)",
        v, "share", "%", den)
    lab, n, ar = objects(r, BU)
    add(r, "S", 2, "count", "How many buildings there are bigger than 300 m²? The GSD is "
        "0.8 m.", int((ar > 300).sum()), "count")
    add(r, "T", 2, "count", "buildings touching the road, how many? 0.8m px",
        int(touching(lab, n, RO).sum()), "count")
    dW = r.edt(WA, "wa")
    add(r, "E", 2, "area", "How many square metres of buildings lie within 200 m of water? "
        "Pixel size is 0.8 m.", r.area(BU & (dW <= 200)), "area", "m2")
    add(r, "R", 3, "distance", "Identify the building pixel farthest from any water pixel, and "
        "state its distance to the nearest water pixel in metres. The ground sampling distance "
        "is 0.8 m.", dW[BU].max(), "dist", "m")
    add(r, "L", 3, "area", "Total area of road within 100 ft of the buildings, in square feet? "
        "(gsd 0.8 m)", r.area(RO & (r.edt(BU, "bu") <= 100 * FT)) / SQFT, "area", "sqft")


def q_d6_4(r):
    BU, LA, RO, VE, WA = dub(r)
    add(r, "L", 1, "area", "What's the total road area in m²? (0.8 m pixels)", r.area(RO),
        "area", "m2")
    lab, n, ar = objects(r, BU)
    add(r, "B", 3, "yes_no", "Are there more buildings under 100 m² than buildings over 400 m²? "
        "GSD 0.8 m.", (ar < 100).sum() > (ar > 400).sum(), "yesno")
    add(r, "T", 1, "refuse", "how tall is the tallest building in this pic", None, "refuse")
    nn = nn_other(r, lab, np.arange(1, n + 1))
    add(r, "S", 3, "distance", "Which is the mean distance between each building and the "
        "building more close to it, in metres? (GSD: 0.8m)", nn.mean(), "dist", "m",
        n_objects=n)
    labv, nv, arv = objects(r, VE)
    add(r, "E", 3, "count", "Of the vegetation patches over 50 m², how many lie entirely more "
        "than 20 m from water? 0.8 m per pixel.",
        int(((arv > 50) & (obj_min(labv, nv, r.edt(WA, "wa")) > 20)).sum()), "count")
    v, den = share(r, BU, r.valid & ~WA & ~LA)
    add(r, "R", 3, "share", "Setting aside water and land (unpaved area), what percentage of "
        "the remaining area is occupied by buildings? The pixel size is 0.8 m.", v, "share",
        "%", den)


# ------------------------------------------------------------------------------ Slovenia LULC
def q_slo(r):
    V = r.valid
    F, G, SH, A = r.m(2), r.m(3), r.m(4), r.m(8)
    v, den = share(r, F, V)
    add(r, "B", 1, "share", "What share of the mapped area is forest?", v, "share", "%", den)
    add(r, "T", 1, "area", "how many ha of grassland", r.area(G) / 1e4, "area", "ha")
    labg, ng, arg = objects(r, G)
    add(r, "R", 2, "count", "How many grassland patches exceed 0.5 hectares?",
        int((arg > 0.5e4).sum()), "count")
    dA = r.edt(A, "a")
    add(r, "L", 3, "distance", "max distance from any forest pixel to artificial surface, in "
        "metres?", dA[F].max(), "dist", "m")
    add(r, "E", 2, "area", "How much forest, in hectares, lies within 50 m of artificial "
        "surface?", r.area(F & (dA <= 50)) / 1e4, "area", "ha")
    rest = V & ~F
    v, den = share(r, G, rest)
    add(r, "S", 3, "share", "Leaving out the forest, which percentage of the rest is grassland?",
        v, "share", "%", den)
    labs, ns, ars = objects(r, SH)
    dG = r.edt(G, "g")
    add(r, "B", 3, "count", "Shrubland patches wholly within 100 m of grassland: how many?",
        int((obj_max(labs, ns, dG) <= 100).sum()), "count")
    add(r, "T", 3, "area", "not counting the biggest grassland patch how many ha of grassland r "
        "left", (arg.sum() - arg.max()) / 1e4, "area", "ha")
    add(r, "B", 2, "refuse", "How healthy is the forest in this area?", None, "refuse")
    dF = r.edt(F, "f")
    add(r, "R", 3, "yes_no", "Is there any location in the mapped area more than 200 metres "
        "from the nearest forest pixel?", dF[V].max() > 200, "yesno")
    add(r, "L", 2, "area", "How many acres of artificial surface are there?", r.area(A) / ACRE,
        "area", "acres")
    labf, nf, arf = objects(r, F)
    add(r, "S", 2, "count", "How many pieces of forest there are, of any size?", nf, "count")
    add(r, "E", 3, "area", "Grassland that is not within 30 m of forest: how much is there, in "
        "square metres?", r.area(G & (dF > 30)), "area", "m2")
    add(r, "T", 3, "distance", "avg distance from the shrubland to the closest artificial "
        "surface (over all shrubland pixels) in m", dA[SH].mean(), "dist", "m")
    add(r, "R", 3, "count", "Find the grassland patches larger than 0.1 ha. How many of them "
        "are adjacent to shrubland?", int(((arg > 0.1e4) & touching(labg, ng, SH)).sum()),
        "count")


# ------------------------------------------------------------------------------- cross-checks
def cross_checks(R, rng):
    """truths a second way: brute-force distances (KD-tree / geodesic), areas, labels"""
    notes = []
    for key in ["zion8", "laus", "d5_4", "slo"]:
        r = R[key]
        codes = {"zion8": 1, "laus": 2, "d5_4": 3, "slo": 8}[key]
        tgt = r.m(codes)
        e = ndi.distance_transform_edt(~tgt, sampling=(r.dy, r.dx))
        ty, tx = np.nonzero(tgt)
        tree = cKDTree(np.c_[ty * r.dy, tx * r.dx])
        py = rng.integers(0, tgt.shape[0], 300)
        px = rng.integers(0, tgt.shape[1], 300)
        d, _ = tree.query(np.c_[py * r.dy, px * r.dx])
        assert np.allclose(d, e[py, px], atol=1e-6), key
        notes.append(f"{key}: EDT == KD-tree brute force at 300 random pixels")
    for key in ["mekong", "nigeria", "pakistan", "spain", "spain2"]:
        r = R[key]
        t = r.transform
        tgt = r.m(1)
        e = ndi.distance_transform_edt(~tgt, sampling=(r.dy, r.dx))
        ty, tx = np.nonzero(tgt)
        if len(ty) > 4000:
            pick = rng.choice(len(ty), 4000, replace=False)
            ty, tx = ty[pick], tx[pick]
        worst = 0.0
        for _ in range(15):
            y, x = int(rng.integers(0, 512)), int(rng.integers(0, 512))
            lon = t.c + t.a * (x + 0.5)
            lat = t.f + t.e * (y + 0.5)
            lons = t.c + t.a * (tx + 0.5)
            lats = t.f + t.e * (ty + 0.5)
            _, _, g = GEOD.inv(np.full(len(tx), lon), np.full(len(tx), lat), lons, lats)
            gmin = g.min()
            # the subsample can only be farther than the EDT's true nearest
            assert gmin >= e[y, x] * (1 - 2e-3) - 1e-6, (key, gmin, e[y, x])
            if len(np.nonzero(tgt)[0]) <= 4000:
                worst = max(worst, abs(gmin - e[y, x]) / max(gmin, 1))
        assert worst < 2e-3, (key, worst)
        # areas: geodesic rows vs local dx*dy
        a1 = r.area(tgt)
        a2 = tgt.sum() * r.dx * r.dy
        assert abs(a1 - a2) / a1 < 2e-3, (key, a1, a2)
        notes.append(f"{key}: geodesic distances (pyproj) vs EDT within 0.2 %, "
                     f"areas per-row geodesic vs dx*dy within 0.2 %")
    # object-to-object distances: nn_other vs brute force on boundary pixels
    r = R["d6_4"]
    lab, n = label(r.m(1))
    nn = nn_other(r, lab, np.arange(1, n + 1))
    pts = [np.c_[np.nonzero(lab == i)[0] * r.dy, np.nonzero(lab == i)[1] * r.dx]
           for i in range(1, n + 1)]
    trees = [cKDTree(p) for p in pts]
    for i in range(0, n, max(1, n // 20)):
        best = min(trees[j].query(pts[i])[0].min() for j in range(n) if j != i)
        assert abs(best - nn[i]) < 1e-6, (i, best, nn[i])
    notes.append("d6_4: nearest-other-building distances == brute force KD-tree (sample)")
    # per-object max/min of a distance field: skimage regionprops vs scipy.ndimage
    r = R["zion8"]
    lab, n = label(r.m(8))
    dw = ndi.distance_transform_edt(~r.m(1), sampling=(r.dy, r.dx))
    props = measure.regionprops(lab, intensity_image=dw)
    mx = obj_max(lab, n, dw)
    mn = obj_min(lab, n, dw)
    assert np.allclose([p.intensity_max for p in props], mx)
    assert np.allclose([p.intensity_min for p in props], mn)
    notes.append("zion8: per-patch max/min distance, regionprops == ndimage.maximum/minimum")
    # touching (8-adjacent) vs chessboard distance transform <= 1
    lab, n = label(r.m(6))
    t1 = touching(lab, n, r.m(5))
    cd = ndi.distance_transform_cdt(~r.m(5), metric="chessboard")
    t2 = obj_min(lab, n, cd.astype(float)) <= 1
    assert (t1 == t2).all()
    notes.append("zion8: touching by dilation == chessboard distance <= 1")
    notes.append(f"labels: scipy.ndimage.label == skimage.measure.label for "
                 f"{len(CHECKED_LABELS)} labelings")
    return notes


def main():
    R = build_rasters()
    q_zion8(R["zion8"])
    q_nlcd(R["nlcd"])
    q_laus(R["laus"])
    q_mekong(R["mekong"])
    q_nigeria(R["nigeria"])
    q_pakistan(R["pakistan"])
    q_spain(R["spain"])
    q_spain2(R["spain2"])
    for k in ["d2_4", "d2_5", "d2_7", "d5_4", "d5_8", "d6_1", "d6_4"]:
        globals()[f"q_{k}"](R[k])
    q_slo(R["slo"])
    q_more(R)
    notes = cross_checks(R, np.random.default_rng(7))
    with open(HERE / "blind7.jsonl", "w") as f:
        for rec in RECORDS:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    size = sum(p.stat().st_size for p in OUT.iterdir())
    for d in DEGENERATE:
        print("DEGENERATE", d)
    print(f"{len(RECORDS)} records, data7 {size / 1e3:.0f} kB")
    for nline in notes:
        print(" ", nline)


# ------------------------------------------------------------------ second pass (same voices)
def q_more(R):
    r = R["zion8"]
    W, D, C, F, SH, WE = r.m(1), r.m(2), r.m(7), r.m(4), r.m(5), r.m(8)
    lab, n, ar = objects(r, WE)
    d_w = r.edt(W, "water")
    c = (ar >= 2e4) & (obj_min(lab, n, d_w) <= 500)
    add(r, "B", 3, "count", "How many Wetlands patches (ignoring those under 2 ha) come within "
        "500 m of Water?", int(c.sum()), "count")
    d_dev = r.edt(D, "dev")
    add(r, "E", 3, "area", "Look at the Developed land. Now take the Cultivated land within "
        "500 m of it. How many hectares is that?", r.area(C & (d_dev <= 500)) / 1e4, "area",
        "ha")
    add(r, "S", 2, "ratio", "How many times is the Forest bigger than the Shrubland, in area?",
        r.area(F) / r.area(SH), "ratio", "times")
    add(r, "L", 2, "distance", "mean distance from Developed pixels to the nearest Water pixel, "
        "in miles?", d_w[D].mean() / MILE, "dist", "mi")

    r = R["nlcd"]
    m = r.m
    lab, n, ar = objects(r, m(43))
    add(r, "B", 2, "object_area", "What is the area of the second largest Mixed Forest patch "
        "(in hectares)?", np.sort(ar)[-2] / 1e4, "area", "ha")
    lab, n, ar = objects(r, m(90))
    sel = keep(lab, np.flatnonzero(ar > 5e4) + 1)
    add(r, "R", 3, "area", "The Woody Wetlands patches of more than 5 ha are to be considered. "
        "What is the total area of Shrub/Scrub within 250 metres of those patches? Express the "
        "answer in hectares.", r.area(m(52) & (r.edt(sel, "ww>5") <= 250)) / 1e4, "area", "ha")
    lab, n, ar = objects(r, m(42))
    add(r, "T", 3, "count", "how many evergreen forest pieces (bigger than 100 ha only) touch "
        "deciduous forest", int(((ar > 100e4) & touching(lab, n, m(41))).sum()), "count")

    r = R["laus"]
    m = r.m
    lab, n, ar = objects(r, m(2))
    ids = np.flatnonzero(ar > 100e4) + 1
    nn = nn_other(r, lab, ids)
    add(r, "S", 3, "distance", "The code 2 patches bigger than 100 ha: which is the mean "
        "distance from each one to the nearest other of them, in metres?", nn.mean(), "dist",
        "m", n_objects=len(ids))
    lab, n, ar = objects(r, m(25))
    sel = keep(lab, np.flatnonzero(ar > 200e4) + 1)
    v, den = share(r, sel, r.valid)
    add(r, "E", 3, "share", "Look at code 25. Keep only the patches above 200 ha. What share of "
        "the mapped area do they cover? Reply as a percentage.", v, "share", "%", den)

    r = R["mekong"]
    lab, n, ar = objects(r, r.m(1))
    big = keep(lab, [int(np.argmax(ar)) + 1])
    db = r.edt(big, "biggest")
    c = (ar >= 0.2e4) & (obj_min(lab, n, db) > 500)
    c[np.argmax(ar)] = False
    add(r, "B", 3, "count", "How many water bodies (only the ones of 0.2 ha or more) are wholly "
        "farther than 500 m from the biggest one?", int(c.sum()), "count")

    r = R["nigeria"]
    lab, n, ar = objects(r, r.m(1))
    sel = keep(lab, np.flatnonzero(ar > 5e4) + 1)
    add(r, "E", 3, "area", "Find the water bodies over 5 ha. Then tell me how much land (not "
        "water) is within 100 m of those, in km².",
        r.area(r.m(0) & (r.edt(sel, "w>5") <= 100)) / 1e6, "area", "km2")

    r = R["d5_8"]
    lab, n, ar = objects(r, r.m(1))
    dR = r.edt(r.m(3), "ro")
    add(r, "T", 3, "count", "how many buildings (only the ones over 300 m2) r within 10 m of a "
        "road? 0.5m px", int(((ar > 300) & (obj_min(lab, n, dR) <= 10)).sum()), "count")

    r = R["d5_4"]
    RO = r.m(3)
    v, den = share(r, RO & (r.edt(r.m(5), "wa") <= 15), RO)
    add(r, "L", 3, "share", "What share of the road area lies within 15 m of water? Answer as a "
        "percent. GSD 0.5 m.", v, "share", "%", den)

    r = R["slo"]
    add(r, "L", 2, "ratio", "How many times larger is the grassland than the shrubland, by "
        "area?", r.area(r.m(3)) / r.area(r.m(4)), "ratio", "times")
    lab, n, ar = objects(r, r.m(4))
    add(r, "R", 3, "object_area", "Disregarding the single largest shrubland patch, what is the "
        "mean area of the remaining shrubland patches, in square metres?",
        np.sort(ar)[:-1].mean(), "area", "m2")


if __name__ == "__main__":
    main()
