"""Build the blind question set ``blind5.jsonl`` and its converted rasters in ``data5/``.

Written blind (see ``BLIND5.md``): every truth is computed here from the label rasters with
NumPy, SciPy, rasterio, pyproj and PIL only, following geoquant's documented conventions
(8-connected objects, no data left out of denominators, pixel-centre Euclidean distances in
metres, "within d" meaning <= d, geodesic cell areas and distances on EPSG:4326 grids).

Run from anywhere: ``.venv/bin/python benchmarks/blind/blind5_build.py`` rewrites
``blind5.jsonl`` and ``data5/*.png``; ``--check`` also perturbs every threshold by 1 % and
reports questions whose truth would move out of its range (none should).
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
from pathlib import Path

import numpy as np
import rasterio
from PIL import Image
from pyproj import CRS, Geod, Transformer
from scipy import ndimage as ndi
from scipy.spatial import cKDTree

HERE = Path(__file__).resolve().parent
DATA5 = HERE / "data5"
OUT = HERE / "blind5.jsonl"
SHARED = Path("/work/shared/data/real")

S8 = np.ones((3, 3), dtype=bool)
S4 = ndi.generate_binary_structure(2, 1)

# unit conversions (exact definitions)
ACRE = 4046.8564224
SQMI = 2589988.110336
SQFT = 0.09290304
FT = 0.3048
MILE = 1609.344
HA = 10_000.0
KM2 = 1_000_000.0

# ----------------------------------------------------------------------------------------
# legends, exactly as the products write them


ZION8 = {"1": "Water", "2": "Developed", "3": "Barren", "4": "Forest", "5": "Shrubland",
         "6": "Herbaceous", "7": "Cultivated", "8": "Wetlands"}
NLCD = {"11": "Open Water", "21": "Developed, Open Space", "22": "Developed, Low Intensity",
        "23": "Developed, Medium Intensity", "31": "Barren Land (Rock/Sand/Clay)",
        "41": "Deciduous Forest", "42": "Evergreen Forest", "43": "Mixed Forest",
        "52": "Shrub/Scrub", "71": "Grassland/Herbaceous", "81": "Pasture/Hay",
        "82": "Cultivated Crops", "90": "Woody Wetlands",
        "95": "Emergent Herbaceous Wetlands"}
FLOODS = {"-1": "no data", "0": "not water", "1": "water"}
DUBAI = {"0": "no data", "1": "building", "2": "land (unpaved area)", "3": "road",
         "4": "vegetation", "5": "water"}
SLOVENIA = {"0": "no data", "1": "cultivated land", "2": "forest", "3": "grassland",
            "4": "shrubland", "8": "artificial surface"}

DUBAI_COLOURS = {0x3C1098: 1, 0x8429F6: 2, 0x6EC1E4: 3, 0xFEDD3A: 4, 0xE2A929: 5}
# unlabeled (#9B9B9B) and the few stray black pixels become code 0, "no data"


# ----------------------------------------------------------------------------------------
# grids


class Grid:
    """A label raster with its valid mask, cell areas and a metric for distances."""

    def __init__(self, key, codes, valid, *, image, product, xres=None, yres=None,
                 gsd=None, geo=None):
        self.key = key
        self.codes = codes
        self.valid = valid
        self.image = image
        self.product = product
        self.gsd = gsd
        self.shape = codes.shape
        self.geo = geo
        self._dist = {}
        if geo is None:
            self.xres, self.yres = float(xres), float(yres)
            self.cell = np.full(self.shape, self.xres * self.yres)
            self.pixel_m = max(self.xres, self.yres)
        else:
            self._init_geo(*geo)

    def _init_geo(self, transform, epsg_utm):
        rows, cols = self.shape
        geod = Geod(ellps="WGS84")
        a, _, c, _, e, f = transform[:6]
        area_row = np.empty(rows)
        for r in range(rows):
            lat0, lat1 = f + e * r, f + e * (r + 1)
            lons = [c, c + a, c + a, c]
            lats = [lat0, lat0, lat1, lat1]
            area_row[r] = abs(geod.polygon_area_perimeter(lons, lats)[0])
        self.cell = np.repeat(area_row[:, None], cols, axis=1)
        jj, ii = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
        lon = c + a * jj
        lat = f + e * ii
        tr = Transformer.from_crs(CRS.from_epsg(4326), CRS.from_epsg(epsg_utm), always_xy=True)
        self.ux, self.uy = tr.transform(lon, lat)
        self.pixel_m = float(np.sqrt(area_row.max()) * 1.01)

    # masks ------------------------------------------------------------------------------
    def m(self, *codes):
        return self.valid & np.isin(self.codes, codes)

    def notm(self, *codes):
        return self.valid & ~np.isin(self.codes, codes)

    # areas ------------------------------------------------------------------------------
    def area(self, mask):
        return float(self.cell[mask & self.valid].sum())

    def valid_area(self):
        return self.area(self.valid)

    def image_area(self):
        return float(self.cell.sum())

    def image_share(self, mask):
        """Percent of the whole image, no-data pixels included in the total."""
        return 100.0 * self.area(mask) / self.image_area()

    def share(self, mask, within=None):
        den = self.valid if within is None else (within & self.valid)
        return 100.0 * self.area(mask & den) / self.area(den)

    # distances --------------------------------------------------------------------------
    def dist(self, target):
        """Metres from every pixel centre to the nearest pixel centre of ``target``."""
        key = np.packbits(target).tobytes()
        if key in self._dist:
            return self._dist[key]
        if not target.any():
            raise ValueError(f"{self.key}: distance to an empty mask")
        if self.geo is None:
            d = ndi.distance_transform_edt(~target, sampling=(self.yres, self.xres))
        else:
            pts = np.column_stack([self.ux[target], self.uy[target]])
            tree = cKDTree(pts)
            q = np.column_stack([self.ux.ravel(), self.uy.ravel()])
            d = tree.query(q, k=1, workers=1)[0].reshape(self.shape)
        self._dist[key] = d
        return d

    # objects ----------------------------------------------------------------------------
    def objects(self, mask, conn=8):
        lab, n = ndi.label(mask & self.valid, S8 if conn == 8 else S4)
        return Objects(self, lab, n)


class Objects:
    def __init__(self, grid, lab, n):
        self.g = grid
        self.lab = lab
        self.n = n
        self.idx = np.arange(1, n + 1)
        self.areas = np.asarray(ndi.sum(grid.cell, lab, self.idx)) if n else np.zeros(0)

    def min_dist(self, target):
        return np.asarray(ndi.minimum(self.g.dist(target), self.lab, self.idx))

    def max_dist(self, target):
        return np.asarray(ndi.maximum(self.g.dist(target), self.lab, self.idx))

    def touches(self, target):
        grown = ndi.binary_dilation(target, S8)
        return np.asarray(ndi.maximum(grown, self.lab, self.idx)).astype(bool)

    def on_rows(self, rows):
        hit = np.zeros(self.n + 1, bool)
        hit[np.unique(self.lab[rows, :])] = True
        return hit[1:]

    def on_cols(self, cols):
        hit = np.zeros(self.n + 1, bool)
        hit[np.unique(self.lab[:, cols])] = True
        return hit[1:]

    def on_border(self):
        return self.on_rows([0, -1]) | self.on_cols([0, -1])

    def neighbour_dist(self, which):
        """For each selected object: metres to the nearest pixel of another object."""
        out = []
        for i in np.flatnonzero(which):
            other = (self.lab > 0) & (self.lab != i + 1)
            out.append(float(self.g.dist(other)[self.lab == i + 1].min()))
            self.g._dist.clear()
        return np.asarray(out)

    def ranked(self):
        return np.sort(self.areas)[::-1]


def loc_edges(mask, valid, xres, yres):
    """Metres of edge between ``mask`` and other valid pixels (image border not counted)."""
    m = mask & valid
    other = valid & ~mask
    horiz = (m[:, :-1] & other[:, 1:]) | (other[:, :-1] & m[:, 1:])  # vertical edges
    vert = (m[:-1, :] & other[1:, :]) | (other[:-1, :] & m[1:, :])  # horizontal edges
    return float(horiz.sum() * yres + vert.sum() * xres)


def shared_edge(a, b, xres, yres):
    """Metres of pixel edge shared by masks ``a`` and ``b`` (4-neighbour pairs)."""
    horiz = (a[:, :-1] & b[:, 1:]) | (b[:, :-1] & a[:, 1:])
    vert = (a[:-1, :] & b[1:, :]) | (b[:-1, :] & a[1:, :])
    return float(horiz.sum() * yres + vert.sum() * xres)


# ----------------------------------------------------------------------------------------
# loading and converting the rasters


def load_tif(key, path, product, *, nodata_codes=()):
    with rasterio.open(path) as src:
        codes = src.read(1)
        nodata = src.nodata
        crs = src.crs
        transform = src.transform
        xres, yres = abs(transform.a), abs(transform.e)
    valid = np.ones(codes.shape, bool)
    if nodata is not None:
        valid &= codes != nodata
    for c in nodata_codes:
        valid &= codes != c
    if crs.to_epsg() == 4326:
        lon = transform.c + transform.a * codes.shape[1] / 2
        lat = transform.f + transform.e * codes.shape[0] / 2
        zone = int((lon + 180) // 6) + 1
        epsg = (32600 if lat >= 0 else 32700) + zone
        return Grid(key, codes, valid, image=str(path), product=product,
                    geo=(transform, epsg))
    return Grid(key, codes, valid, image=str(path), product=product, xres=xres, yres=yres)


def dubai_codes(tile, part):
    rgb = np.asarray(Image.open(SHARED / f"dubai-aerial/tile-{tile}/masks/"
                                f"image_part_{part:03d}.png").convert("RGB")).astype(np.int64)
    hexes = rgb[..., 0] * 65536 + rgb[..., 1] * 256 + rgb[..., 2]
    codes = np.zeros(hexes.shape, np.uint8)
    for colour, code in DUBAI_COLOURS.items():
        codes[hexes == colour] = code
    return codes


def save_png(codes, name):
    DATA5.mkdir(exist_ok=True)
    path = DATA5 / name
    Image.fromarray(codes.astype(np.uint8), mode="L").save(path, optimize=True)
    back = np.asarray(Image.open(path))
    if not np.array_equal(back, codes):
        raise RuntimeError(f"{path} did not round-trip")
    return path


def png_grid(key, codes, name, gsd, product):
    path = save_png(codes, name)
    valid = codes != 0
    return Grid(key, codes, valid, image=str(path), product=product, xres=gsd, yres=gsd,
                gsd=gsd)


def load_grids():
    g = {}
    z = SHARED / "zion-landsat-nlcd"
    g["z8"] = load_tif("z8", z / "nlcd.tif", ZION8)
    g["zf"] = load_tif("zf", z / "nlcd2011.tif", NLCD)
    g["ls"] = load_tif("ls", SHARED / "lausanne-landuse/ls100_06.tif", "codes")
    fl = SHARED / "sen1floods11/Labels"
    for key, ev in [("gh", "Ghana_97059"), ("pk", "Pakistan_849790"),
                    ("pg", "Paraguay_34417"), ("sp", "Spain_7370579")]:
        g[key] = load_tif(key, fl / f"{ev}_LabelHand.tif", FLOODS, nodata_codes=(-1,))
    for key, tile, part, gsd in [("d3a", 3, 2, 1.0), ("d3b", 3, 9, 1.0), ("d4a", 4, 1, 1.0),
                                 ("d4b", 4, 5, 1.0), ("d6a", 6, 1, 2.0), ("d6b", 6, 4, 2.0)]:
        g[key] = png_grid(key, dubai_codes(tile, part),
                          f"dubai_tile{tile}_part{part:03d}_codes.png", gsd, DUBAI)
    slo = np.load(SHARED / "slovenia-s2/LULC.npy")[..., 0].astype(np.uint8)
    g["so"] = png_grid("so", slo, "slovenia_lulc_codes.png", 10.0, SLOVENIA)
    return g


# ----------------------------------------------------------------------------------------
# helpers used by the questions


def count(objs, keep=None):
    return int(objs.n if keep is None else np.count_nonzero(keep))


def within(g, mask, target, d):
    return mask & (g.dist(target) <= d)


def beyond(g, mask, target, d):
    return mask & (g.dist(target) > d)


def patch_density(g, objs, per_m2):
    return objs.n / g.valid_area() * per_m2


def crosses(objs, a_rows=None, b_rows=None, a_cols=None, b_cols=None):
    if a_rows is not None:
        hit = objs.on_rows(a_rows) & objs.on_rows(b_rows)
    else:
        hit = objs.on_cols(a_cols) & objs.on_cols(b_cols)
    return bool(hit.any())


def yn(flag):
    return "yes" if flag else "no"


# ----------------------------------------------------------------------------------------
# the questions: (id, grid, tier, type, unit, question, truth(g, thresholds...))
# thresholds are keyword defaults so that --check can perturb them by 1 %

QUESTIONS = []


def q(qid, grid, tier, qtype, unit, text, fn, note=None, rel5=False):
    """One question; ``rel5``: a mean size or density, whose range is a plain +-5 %."""
    QUESTIONS.append(dict(id=qid, grid=grid, tier=tier, type=qtype, unit=unit, text=text,
                          fn=fn, note=note, rel5=rel5))


def refuse(qid, grid, tier, qtype, text, note):
    QUESTIONS.append(dict(id=qid, grid=grid, tier=tier, type=qtype, unit=None, text=text,
                          fn=None, note=note, rel5=False))


# ---- Zion, NLCD 2011 in 8 classes (1 Water, 2 Developed, 3 Barren, 4 Forest, 5 Shrubland,
# 6 Herbaceous, 7 Cultivated, 8 Wetlands); about 31.5 m pixels, no no-data pixels

q("blind5-z01", "z8", 1, "percentage", "%",
  "For a story I'm writing: what percentage of the park map is forest?",
  lambda g: g.share(g.m(4)))
q("blind5-z02", "z8", 2, "area", "acres",
  "How many acres of Cultivated land are on this map? Just the number in acres.",
  lambda g: g.area(g.m(7)) / ACRE)
q("blind5-z03", "z8", 1, "area", "km²",
  "The water on this map, how much area it covers? In square kilometres please.",
  lambda g: g.area(g.m(1)) / KM2)
q("blind5-z04", "z8", 2, "count", "objects",
  "How many developed patches are larger than 5 hectares?",
  lambda g, a=5 * HA: count(o := g.objects(g.m(2)), o.areas > a))
q("blind5-z05", "z8", 1, "count", "objects",
  "Count the Wetlands patches on the map.",
  lambda g: count(g.objects(g.m(8))))
q("blind5-z06", "z8", 1, "object_size", "ha",
  "how big is the biggest single patch of herbaceous, in hectares",
  lambda g: g.objects(g.m(6)).areas.max() / HA)
q("blind5-z07", "z8", 2, "proximity", "ha",
  "I farm near here. How much Cultivated land lies within 200 m of water? Give it in "
  "hectares.",
  lambda g, d=200: g.area(within(g, g.m(7), g.m(1), d)) / HA)
q("blind5-z08", "z8", 3, "multi_condition", "objects",
  "Find all Forest patches of at least 10 ha. How many of them lie wholly more than 1 km "
  "from any Developed land?",
  lambda g, a=10 * HA, d=1000: count(
      o := g.objects(g.m(4)), (o.areas >= a) & (o.min_dist(g.m(2)) > d)))
q("blind5-z09", "z8", 2, "distance", "m",
  "What's the shortest distance between the Herbaceous areas and the water, in metres?",
  lambda g: float(g.dist(g.m(1))[g.m(6)].min()))
q("blind5-z10", "z8", 2, "distance", None,
  "Is there a place on this map that is more far than 8 km from any water?",
  lambda g, d=8000: yn(g.dist(g.m(1))[g.valid].max() > d))
q("blind5-z11", "z8", 3, "percentage", "%",
  "Leaving the Barren class out of it, what share of the remaining area is Shrubland?",
  lambda g: g.share(g.m(5), within=g.notm(3)))
q("blind5-z13", "z8", 2, "comparison", "ratio",
  "how many times more shrubland than built-up land is there",
  lambda g: g.area(g.m(5)) / g.area(g.m(2)))
q("blind5-z14", "z8", 2, "fragmentation", "patches/100 km²",
  "For the Forest class, give me the patch density in patches per 100 km² (the usual "
  "8-neighbour rule).",
  lambda g: patch_density(g, g.objects(g.m(4)), 100 * KM2),
  rel5=True)
q("blind5-z15", "z8", 2, "fragmentation", "%",
  "What is the largest patch index of Shrubland, i.e. its biggest patch as a percentage of "
  "the total landscape area?",
  lambda g: 100 * g.objects(g.m(5)).areas.max() / g.valid_area())
q("blind5-z16", "z8", 1, "fragmentation", "ha",
  "whats the avrage size of a wetlands patch, in hectares?",
  lambda g: g.objects(g.m(8)).areas.mean() / HA,
  rel5=True)
q("blind5-z17", "z8", 2, "fragmentation", "m/ha",
  "Edge density of Forest please, in metres of forest edge per hectare of landscape (don't "
  "count the map border as edge).",
  lambda g: loc_edges(g.m(4), g.valid, g.xres, g.yres) / (g.valid_area() / HA))
q("blind5-z18", "z8", 2, "connectivity", "objects",
  "How many water bodies have Forest directly next to them (touching)?",
  lambda g: count(o := g.objects(g.m(1)), o.touches(g.m(4))))
q("blind5-z19", "z8", 3, "multi_condition", "ha",
  "For an insurance file: how many hectares of Developed land are within 300 m of Water "
  "but not within 300 m of Wetlands?",
  lambda g, d1=300, d2=300: g.area(beyond(g, within(g, g.m(2), g.m(1), d1), g.m(8), d2)) / HA)
q("blind5-z20", "z8", 3, "object_size", "ha",
  "Ignoring the two biggest Shrubland patches, how large is the largest one that's left? "
  "hectares",
  lambda g: g.objects(g.m(5)).ranked()[2] / HA)
q("blind5-z21", "z8", 3, "percentage", "%",
  "What fraction of the land -- not counting water -- is built-up? as a percentage please",
  lambda g: g.share(g.m(2), within=g.notm(1)))
q("blind5-z22", "z8", 2, "area", "mi²",
  "total area of Forest, Shrubland and Herbaceous together, in square miles",
  lambda g: g.area(g.m(4, 5, 6)) / SQMI)
q("blind5-z23", "z8", 2, "connectivity", None,
  "Can one go from the north edge of the map to the south edge staying only inside Forest?",
  lambda g: yn(crosses(g.objects(g.m(4)), a_rows=[0], b_rows=[-1])))
q("blind5-z24", "z8", 3, "proximity", "objects",
  "Of the Cultivated patches over 2 ha, how many are at least partly within 100 m of Water?",
  lambda g, a=2 * HA, d=100: count(
      o := g.objects(g.m(7)), (o.areas > a) & (o.min_dist(g.m(1)) <= d)))
q("blind5-z25", "z8", 3, "proximity", "objects",
  "How many Developed patches lie entirely within 150 m of Shrubland?",
  lambda g, d=150: count(o := g.objects(g.m(2)), o.max_dist(g.m(5)) <= d))
q("blind5-z26", "z8", 2, "distance", "km",
  "On average how far is a developed pixel from the nearest water? in km",
  lambda g: float(g.dist(g.m(1))[g.m(2)].mean()) / 1000)
q("blind5-z27", "z8", 2, "distance", "m",
  "median distance from Cultivated pixels to the nearest Developed pixel, in meters",
  lambda g: float(np.median(g.dist(g.m(2))[g.m(7)])))
q("blind5-z28", "z8", 2, "count", "objects",
  "Barren patches smaller than 1 hectare, how many there are?",
  lambda g, a=HA: count(o := g.objects(g.m(3)), o.areas < a))
q("blind5-z29", "z8", 3, "multi_condition", "acres",
  "Find the Wetlands patches bigger than 5 ha. What is their total area within 120 m of "
  "Cultivated land, in acres?",
  lambda g, a=5 * HA, d=120: g.area(
      np.isin((o := g.objects(g.m(8))).lab, o.idx[o.areas > a])
      & (g.dist(g.m(7)) <= d)) / ACRE)
q("blind5-z30", "z8", 3, "object_size", "ha",
  "Leaving out the single biggest Forest patch, what's the mean size of the remaining forest "
  "patches in hectares?",
  lambda g: g.objects(g.m(4)).ranked()[1:].mean() / HA,
  rel5=True)


# ---- Zion, full NLCD 2011 codes (same map, NLCD's own class names)

DEV = (21, 22, 23)
FOREST = (41, 42, 43)
WET = (90, 95)

q("blind5-f01", "zf", 1, "percentage", "%",
  "What share of the area is Evergreen Forest?",
  lambda g: g.share(g.m(42)))
q("blind5-f02", "zf", 2, "area", "acres",
  "how many acres of Pasture/Hay are there",
  lambda g: g.area(g.m(81)) / ACRE)
q("blind5-f03", "zf", 2, "comparison", "ha",
  "How many hectares more Pasture/Hay than Cultivated Crops is there?",
  lambda g: (g.area(g.m(81)) - g.area(g.m(82))) / HA)
q("blind5-f04", "zf", 1, "count", "objects",
  "Count the patches of Developed, Medium Intensity.",
  lambda g: count(g.objects(g.m(23))))
q("blind5-f06", "zf", 2, "percentage", "%",
  "From all developed land (open space, low and medium intensity), which percent is "
  "Developed, Low Intensity?",
  lambda g: g.share(g.m(22), within=g.m(*DEV)))
q("blind5-f07", "zf", 3, "multi_condition", "objects",
  "How many Developed, Low Intensity patches larger than 1 ha lie within 100 m of Open "
  "Water or of a wetland (woody or emergent herbaceous)?",
  lambda g, a=HA, d=100: count(
      o := g.objects(g.m(22)), (o.areas > a) & (o.min_dist(g.m(11, *WET)) <= d)))
q("blind5-f08", "zf", 2, "percentage", "%",
  "What percentage of the forest (deciduous, evergreen and mixed) is Mixed Forest?",
  lambda g: g.share(g.m(43), within=g.m(*FOREST)))
q("blind5-f09", "zf", 1, "object_size", "km²",
  "Give me the largest patch of Deciduous Forest in km².",
  lambda g: g.objects(g.m(41)).areas.max() / KM2)
q("blind5-f10", "zf", 2, "proximity", "ha",
  "Grassland/Herbaceous within 500 m of Evergreen Forest, how many hectares it is?",
  lambda g, d=500: g.area(within(g, g.m(71), g.m(42), d)) / HA)
q("blind5-f11", "zf", 3, "connectivity", "objects",
  "How many Shrub/Scrub patches over 50 ha touch Barren Land (Rock/Sand/Clay)?",
  lambda g, a=50 * HA: count(
      o := g.objects(g.m(52)), (o.areas > a) & o.touches(g.m(31))))
q("blind5-f12", "zf", 2, "proximity", "acres",
  "How much farmland (Pasture/Hay plus Cultivated Crops) lies within 250 m of Open Water? "
  "acres please",
  lambda g, d=250: g.area(within(g, g.m(81, 82), g.m(11), d)) / ACRE)
q("blind5-f13", "zf", 3, "proximity", "objects",
  "Find the Woody Wetlands patches of at least 2 ha. How many of them have no Open Water "
  "within 1 km, i.e. none of their pixels is within 1 km of open water?",
  lambda g, a=2 * HA, d=1000: count(
      o := g.objects(g.m(90)), (o.areas >= a) & (o.min_dist(g.m(11)) > d)))
q("blind5-f14", "zf", 2, "comparison", None,
  "Are there more Mixed Forest patches than Grassland/Herbaceous patches?",
  lambda g: yn(g.objects(g.m(43)).n > g.objects(g.m(71)).n))
q("blind5-f15", "zf", 2, "distance", "km",
  "The farthest that any Pasture/Hay pixel is from developed land (any of the Developed "
  "classes), in km?",
  lambda g: float(g.dist(g.m(*DEV))[g.m(81)].max()) / 1000)
q("blind5-f16", "zf", 2, "distance", None,
  "Is any Developed, Open Space more than 3 km away from Developed, Low Intensity?",
  lambda g, d=3000: yn(g.dist(g.m(22))[g.m(21)].max() > d))
q("blind5-f17", "zf", 2, "fragmentation", "ha",
  "Leaving out the tiny patches under 0.25 ha, what's the mean patch size of Evergreen "
  "Forest, in hectares?",
  lambda g, a=0.25 * HA: (o := g.objects(g.m(42))).areas[o.areas >= a].mean() / HA,
  rel5=True)
q("blind5-f18", "zf", 2, "fragmentation", "%",
  "What share of all Deciduous Forest is in its single largest patch?",
  lambda g: 100 * g.objects(g.m(41)).areas.max() / g.area(g.m(41)))
q("blind5-f19", "zf", 1, "count", "objects",
  "how many separate bits of open water are there?",
  lambda g: count(g.objects(g.m(11))))
q("blind5-f20", "zf", 3, "area", "km²",
  "Apart from Evergreen Forest and Shrub/Scrub, how much area do all the other classes "
  "cover together, in sq km?",
  lambda g: g.area(g.notm(42, 52)) / KM2)
q("blind5-f21", "zf", 3, "multi_condition", "objects",
  "Pasture/Hay patches bigger than 10 ha which are at least partly within 300 m of Open "
  "Water: how many are there?",
  lambda g, a=10 * HA, d=300: count(
      o := g.objects(g.m(81)), (o.areas > a) & (o.min_dist(g.m(11)) <= d)))
q("blind5-f22", "zf", 3, "object_size", "ha",
  "What is the total area of the three largest Developed, Open Space patches, in hectares?",
  lambda g: g.objects(g.m(21)).ranked()[:3].sum() / HA)
q("blind5-f23", "zf", 2, "percentage", "%",
  "Emergent Herbaceous Wetlands as a percentage of all wetland area (woody plus emergent)?",
  lambda g: g.share(g.m(95), within=g.m(*WET)))
q("blind5-f24", "zf", 2, "connectivity", "objects",
  "How many Developed, Medium Intensity patches touch Developed, Low Intensity?",
  lambda g: count(o := g.objects(g.m(23)), o.touches(g.m(22))))
refuse("blind5-f25", "zf", 2, "count",
       "how many people live in the developed parts of this map?",
       "A land-cover map has no population; the raster cannot tell how many people live "
       "there.")


# ---- Lausanne land use 2006 (codes only, 100 m pixels, nodata 255)

q("blind5-l01", "ls", 1, "percentage", "%",
  "What percentage of the mapped area is code 12?",
  lambda g: g.share(g.m(12)))
q("blind5-l02", "ls", 1, "percentage", "%",
  "what share of the whole image is code 12? (no-data pixels included in the total)",
  lambda g: g.image_share(g.m(12)))
q("blind5-l03", "ls", 1, "area", "ha",
  "I need the hectares of code 2.",
  lambda g: g.area(g.m(2)) / HA)
q("blind5-l04", "ls", 1, "count", "objects",
  "Code 25, how many patches does it have?",
  lambda g: count(g.objects(g.m(25))))
q("blind5-l05", "ls", 2, "count", "objects",
  "How many code 25 patches are larger than 150 ha?",
  lambda g, a=150 * HA: count(o := g.objects(g.m(25)), o.areas > a))
q("blind5-l06", "ls", 2, "proximity", "km²",
  "How much code 2 lies within 250 m of code 24? in km2",
  lambda g, d=250: g.area(within(g, g.m(2), g.m(24), d)) / KM2)
q("blind5-l07", "ls", 3, "multi_condition", "objects",
  "Find the code 23 patches of 50 ha or more. How many of them are more than 550 m from "
  "any code 2 pixel?",
  lambda g, a=50 * HA, d=550: count(
      o := g.objects(g.m(23)), (o.areas >= a) & (o.min_dist(g.m(2)) > d)))
q("blind5-l08", "ls", 2, "comparison", None,
  "Is there more code 24 than code 25?",
  lambda g: yn(g.area(g.m(24)) > g.area(g.m(25))))
q("blind5-l09", "ls", 2, "comparison", "ratio",
  "How many times bigger is code 25 than code 24, by area?",
  lambda g: g.area(g.m(25)) / g.area(g.m(24)))
q("blind5-l10", "ls", 2, "fragmentation", "patches/100 km²",
  "Patch density of code 2, in patches per 100 km²?",
  lambda g: patch_density(g, g.objects(g.m(2)), 100 * KM2),
  rel5=True)
q("blind5-l11", "ls", 2, "fragmentation", "%",
  "largest patch index for code 12 (percent of the mapped landscape)",
  lambda g: 100 * g.objects(g.m(12)).areas.max() / g.valid_area())
q("blind5-l12", "ls", 2, "object_size", "km²",
  "The second biggest patch of code 12, how big is it in km²?",
  lambda g: g.objects(g.m(12)).ranked()[1] / KM2)
q("blind5-l13", "ls", 3, "object_size", "ha",
  "Not counting the largest one, what's the average size of a code 2 patch, in hectares?",
  lambda g: g.objects(g.m(2)).ranked()[1:].mean() / HA,
  rel5=True)
q("blind5-l14", "ls", 2, "distance", "km",
  "What is the maximum distance from any code 12 pixel to the nearest code 2 pixel? Answer "
  "in km.",
  lambda g: float(g.dist(g.m(2))[g.m(12)].max()) / 1000)
q("blind5-l15", "ls", 3, "multi_condition", "ha",
  "How many hectares of code 12 lie within 250 m of code 2 but more than 750 m from code 25?",
  lambda g, d1=250, d2=750: g.area(
      beyond(g, within(g, g.m(12), g.m(2), d1), g.m(25), d2)) / HA)
q("blind5-l16", "ls", 2, "count", "objects",
  "How many patches of code 41 are bigger than 2 hectares?",
  lambda g, a=2 * HA: count(o := g.objects(g.m(41)), o.areas > a))
q("blind5-l17", "ls", 3, "proximity", "objects",
  "How many patches of code 29 are entirely within 1.5 km of code 2?",
  lambda g, d=1500: count(o := g.objects(g.m(29)), o.max_dist(g.m(2)) <= d))
q("blind5-l18", "ls", 2, "connectivity", "objects",
  "How many code 15 patches touch code 2?",
  lambda g: count(o := g.objects(g.m(15)), o.touches(g.m(2))))
q("blind5-l19", "ls", 3, "connectivity", "objects",
  "How many more patches does code 25 have when you count them 4-connected instead of "
  "8-connected?",
  lambda g: g.objects(g.m(25), conn=4).n - g.objects(g.m(25)).n)
q("blind5-l20", "ls", 2, "distance", "m",
  "average distance from code 23 pixels to the nearest code 12 pixel, metres",
  lambda g: float(g.dist(g.m(12))[g.m(23)].mean()))
q("blind5-l21", "ls", 3, "percentage", "%",
  "Leaving code 12 out, what percentage of the remaining mapped area is code 25?",
  lambda g: g.share(g.m(25), within=g.notm(12)))
q("blind5-l23", "ls", 3, "proximity", "objects",
  "Of the code 10 patches, how many lie wholly farther than 2 km from code 1?",
  lambda g, d=2000: count(o := g.objects(g.m(10)), o.min_dist(g.m(1)) > d))
refuse("blind5-l24", "ls", 1, "percentage",
       "What share of the Lausanne area is forest?",
       "The raster is given with bare codes (product 'codes'); nothing says which code is "
       "forest, so the class cannot be resolved.")
q("blind5-l25", "ls", 1, "fragmentation", "ha",
  "mean patch size of code 24 in ha",
  lambda g: g.objects(g.m(24)).areas.mean() / HA,
  rel5=True)


# ---- Sen1Floods11 hand labels (EPSG:4326, about 10 m; 1 water, 0 not water, -1 no data)

# Spain_7370579
q("blind5-s01", "sp", 1, "percentage", "%",
  "What percentage of this chip is under water?",
  lambda g: g.share(g.m(1)))
q("blind5-s02", "sp", 1, "area", "ha",
  "I need the total water area, in hectares.",
  lambda g: g.area(g.m(1)) / HA)
q("blind5-s03", "sp", 1, "count", "objects",
  "How many separate water bodies are there in this chip?",
  lambda g: count(g.objects(g.m(1))))
q("blind5-s04", "sp", 2, "count", "objects",
  "For the claim file: how many flooded areas (water bodies) are bigger than 1 ha?",
  lambda g, a=HA: count(o := g.objects(g.m(1)), o.areas > a))
q("blind5-s05", "sp", 1, "object_size", "ha",
  "area of the largest water body in ha",
  lambda g: g.objects(g.m(1)).areas.max() / HA)
q("blind5-s06", "sp", 2, "proximity", "ha",
  "how many hectares of dry land (i.e. not water) are within 50 m of water?",
  lambda g, d=50: g.area(within(g, g.m(0), g.m(1), d)) / HA)
q("blind5-s07", "sp", 2, "distance", "m",
  "Greatest distance from any non-water pixel to the nearest water, in metres.",
  lambda g: float(g.dist(g.m(1))[g.m(0)].max()))
q("blind5-s08", "sp", 3, "proximity", "ha",
  "Find the water bodies larger than 4 ha. How much dry land (not water) is within 100 m of "
  "them, in hectares?",
  lambda g, a=4 * HA, d=100: g.area(within(
      g, g.m(0), np.isin((o := g.objects(g.m(1))).lab, o.idx[o.areas > a]), d)) / HA)
q("blind5-s09", "sp", 2, "percentage", "%",
  "What share of the water area is in water bodies smaller than 1 ha?",
  lambda g, a=HA: 100 * (o := g.objects(g.m(1))).areas[o.areas < a].sum() / o.areas.sum())
q("blind5-s10", "sp", 3, "area", "ha",
  "The water bodies without the three biggest ones, how much area do they make together, in "
  "hectares?",
  lambda g: g.objects(g.m(1)).ranked()[3:].sum() / HA)
q("blind5-s11", "sp", 2, "connectivity", "objects",
  "How many water bodies touch the edge of the image?",
  lambda g: count(o := g.objects(g.m(1)), o.on_border()))

# Pakistan_849790
q("blind5-s12", "pk", 1, "percentage", "%",
  "What share of the scene is water?",
  lambda g: g.share(g.m(1)))
q("blind5-s13", "pk", 2, "area", "acres",
  "how many acres are under water",
  lambda g: g.area(g.m(1)) / ACRE)
q("blind5-s15", "pk", 2, "count", "objects",
  "Count the dry-land patches (not water) larger than 1 ha.",
  lambda g, a=HA: count(o := g.objects(g.m(0)), o.areas > a))
q("blind5-s16", "pk", 3, "proximity", "objects",
  "How many non-water patches bigger than 1 ha are entirely within 100 m of the water?",
  lambda g, a=HA, d=100: count(
      o := g.objects(g.m(0)), (o.areas > a) & (o.max_dist(g.m(1)) <= d)))
q("blind5-s17", "pk", 2, "distance", "m",
  "max distance from a dry pixel to the nearest water pixel (m)",
  lambda g: float(g.dist(g.m(1))[g.m(0)].max()))
q("blind5-s18", "pk", 2, "distance", "m",
  "the median distance from not-water pixels to the water, in metres",
  lambda g: float(np.median(g.dist(g.m(1))[g.m(0)])))
q("blind5-s19", "pk", 2, "connectivity", None,
  "Is the water connected from the west edge to the east edge of the chip?",
  lambda g: yn(crosses(g.objects(g.m(1)), a_cols=[0], b_cols=[-1])))
q("blind5-s20", "pk", 2, "fragmentation", "%",
  "What share of all the water is in the largest water body?",
  lambda g: 100 * g.objects(g.m(1)).areas.max() / g.area(g.m(1)))
q("blind5-s21", "pk", 2, "fragmentation", "objects/km²",
  "how many water bodies per square kilometre?",
  lambda g: patch_density(g, g.objects(g.m(1)), KM2),
  rel5=True)
q("blind5-s22", "pk", 3, "multi_condition", "ha",
  "How much dry land is more than 100 m from water, ignoring dry patches smaller than 1 ha? "
  "(hectares)",
  lambda g, a=HA, d=100: g.area(
      np.isin((o := g.objects(g.m(0))).lab, o.idx[o.areas >= a])
      & (g.dist(g.m(1)) > d)) / HA)

# Paraguay_34417
q("blind5-s23", "pg", 1, "area", "ha",
  "How big is the lake in this chip, in hectares?",
  lambda g: g.area(g.m(1)) / HA)
q("blind5-s24", "pg", 1, "percentage", "%",
  "Which fraction of the whole image has no data? In percent.",
  lambda g: 100 * (g.image_area() - g.valid_area()) / g.image_area())
q("blind5-s25", "pg", 2, "count", None,
  "Is there any dry land in the labelled part of this chip?",
  lambda g: yn(g.m(0).any()))

# Ghana_97059
q("blind5-s26", "gh", 1, "count", None,
  "Is any flood water mapped in this chip at all?",
  lambda g: yn(g.m(1).any()))
q("blind5-s27", "gh", 1, "area", "km²",
  "How much land (not water) is labelled, in km²?",
  lambda g: g.area(g.m(0)) / KM2)
q("blind5-s28", "gh", 2, "percentage", "%",
  "which percent of the whole picture is labelled as not water?",
  lambda g: g.image_share(g.m(0)))

refuse("blind5-s29", "pk", 2, "distance",
       "How deep is the flood water on average, in metres?",
       "The label raster says only water or not water; it holds no depth.")


# ---- Dubai aerial masks (codes 1 building, 2 land (unpaved area), 3 road, 4 vegetation,
# 5 water, 0 no data); GSD stated per record

# tile 3, part 2 (GSD 1 m)
q("blind5-d01", "d3a", 1, "count", "objects",
  "how many buildings are in this picture?",
  lambda g: count(g.objects(g.m(1))))
q("blind5-d02", "d3a", 2, "count", "objects",
  "How many buildings have a footprint over 2000 m²? (GSD: 1m)",
  lambda g, a=2000: count(o := g.objects(g.m(1)), o.areas > a))
q("blind5-d03", "d3a", 2, "proximity", "objects",
  "How many buidings are within 20 m of the water?",
  lambda g, d=20: count(o := g.objects(g.m(1)), o.min_dist(g.m(5)) <= d))
q("blind5-d04", "d3a", 2, "distance", "m",
  "What is the farthest distance from any building pixel to the nearest road, in metres?",
  lambda g: float(g.dist(g.m(3))[g.m(1)].max()))
q("blind5-d05", "d3a", 1, "percentage", "%",
  "Which percentage of the image is water?",
  lambda g: g.image_share(g.m(5)))
q("blind5-d06", "d3a", 2, "comparison", None,
  "Is there more vegetation than buildings in this image?",
  lambda g: yn(g.area(g.m(4)) > g.area(g.m(1))))
q("blind5-d07", "d3a", 3, "multi_condition", "objects",
  "Buildings larger than 500 m² that are within 10 m of a road but more than 50 m from "
  "water: how many?",
  lambda g, a=500, d1=10, d2=50: count(
      o := g.objects(g.m(1)),
      (o.areas > a) & (o.min_dist(g.m(3)) <= d1) & (o.min_dist(g.m(5)) > d2)))

# tile 3, part 9 (GSD 1 m)
q("blind5-d08", "d3b", 1, "object_size", "m²",
  "Give me the area of the largest building, m²",
  lambda g: g.objects(g.m(1)).areas.max())
q("blind5-d09", "d3b", 3, "object_size", "m²",
  "Ignoring the biggest building, what's the average footprint of the others (m²)?",
  lambda g: g.objects(g.m(1)).ranked()[1:].mean(),
  rel5=True)
q("blind5-d10", "d3b", 2, "area", "ft²",
  "how much greenery (vegetation) is there in square feet? just the number",
  lambda g: g.area(g.m(4)) / SQFT)
q("blind5-d11", "d3b", 2, "connectivity", "objects",
  "How many of the buildings are touching a road?",
  lambda g: count(o := g.objects(g.m(1)), o.touches(g.m(3))))
q("blind5-d12", "d3b", 3, "proximity", "objects",
  "Of the water bodies, how many are entirely within 100 m of a road?",
  lambda g, d=100: count(o := g.objects(g.m(5)), o.max_dist(g.m(3)) <= d))
q("blind5-d13", "d3b", 2, "distance", "m",
  "How far is the closest building from the water, in m?",
  lambda g: float(g.dist(g.m(5))[g.m(1)].min()))

# tile 4, part 1 (GSD 1 m)
q("blind5-d14", "d4a", 1, "percentage", "%",
  "What share of this scene is covered by buildings?",
  lambda g: g.share(g.m(1)))
q("blind5-d15", "d4a", 2, "count", "objects",
  "How many buildings over 0.5 ha?",
  lambda g, a=0.5 * HA: count(o := g.objects(g.m(1)), o.areas > a))
q("blind5-d16", "d4a", 2, "percentage", "%",
  "What share of the building area is in buildings smaller than 2000 m²?",
  lambda g, a=2000: 100 * (o := g.objects(g.m(1))).areas[o.areas < a].sum() / o.areas.sum())
q("blind5-d17", "d4a", 3, "multi_condition", "objects",
  "Buildings which touch vegetation and are bigger than 1 hectare, how many are they?",
  lambda g, a=HA: count(o := g.objects(g.m(1)), (o.areas > a) & o.touches(g.m(4))))
q("blind5-d18", "d4a", 3, "multi_condition", "m²",
  "How much building footprint (m²) is within 30 m of water, not counting buildings smaller "
  "than 1000 m²?",
  lambda g, a=1000, d=30: g.area(within(
      g, np.isin((o := g.objects(g.m(1))).lab, o.idx[o.areas >= a]), g.m(5), d)))
q("blind5-d19", "d4a", 2, "distance", None,
  "Is there anywhere in the image more than 100 m from the nearest road?",
  lambda g, d=100: yn(g.dist(g.m(3))[g.valid].max() > d))
q("blind5-d20", "d4a", 2, "comparison", "ratio",
  "How many times more road than vegetation is there?",
  lambda g: g.area(g.m(3)) / g.area(g.m(4)))
q("blind5-d21", "d4a", 1, "connectivity", "objects",
  "How many separate pieces does the road network break into?",
  lambda g: count(g.objects(g.m(3))))

# tile 4, part 5 (GSD 1 m)
q("blind5-d22", "d4b", 1, "count", "objects",
  "Count the water bodies.",
  lambda g: count(g.objects(g.m(5))))
q("blind5-d23", "d4b", 2, "count", "objects",
  "How many water bodies are there if we ignore the ones under 1000 m²?",
  lambda g, a=1000: count(o := g.objects(g.m(5)), o.areas >= a))
q("blind5-d24", "d4b", 3, "proximity", "objects",
  "How many buildings are at least partly within 15 m of water?",
  lambda g, d=15: count(o := g.objects(g.m(1)), o.min_dist(g.m(5)) <= d))
q("blind5-d25", "d4b", 3, "proximity", "objects",
  "How many buildings lie wholly farther than 60 m from any water?",
  lambda g, d=60: count(o := g.objects(g.m(1)), o.min_dist(g.m(5)) > d))
q("blind5-d26", "d4b", 1, "object_size", "m²",
  "mean size of the buildings in m²",
  lambda g: g.objects(g.m(1)).areas.mean(),
  rel5=True)
q("blind5-d27", "d4b", 3, "multi_condition", "objects",
  "Find the buildings bigger than 1 ha. How many of them are next to a road?",
  lambda g, a=HA: count(o := g.objects(g.m(1)), (o.areas > a) & o.touches(g.m(3))))
q("blind5-d28", "d4b", 2, "fragmentation", "%",
  "What percentage of the labelled image does the single largest building cover?",
  lambda g: 100 * g.objects(g.m(1)).areas.max() / g.valid_area())
refuse("blind5-d29", "d4b", 2, "object_size",
       "How many floors does the tallest tower in this image have?",
       "A 2-D label mask holds footprints only, no heights or floors.")

# tile 6, part 1 (GSD 2 m)
q("blind5-d30", "d6a", 1, "area", "ha",
  "How much area is water, in hectares? Pixels are 2 m.",
  lambda g: g.area(g.m(5)) / HA)
q("blind5-d31", "d6a", 2, "count", "objects",
  "How many buildings are bigger than 5000 sq ft?",
  lambda g, a=5000 * SQFT: count(o := g.objects(g.m(1)), o.areas > a))
q("blind5-d32", "d6a", 2, "distance", "m",
  "mean distance from building pixels to the nearest water pixel, in meters?",
  lambda g: float(g.dist(g.m(5))[g.m(1)].mean()))
q("blind5-d33", "d6a", 3, "multi_condition", "m²",
  "How much vegetation is within 40 m of buildings but more than 20 m from roads? m²",
  lambda g, d1=40, d2=20: g.area(beyond(g, within(g, g.m(4), g.m(1), d1), g.m(3), d2)))
q("blind5-d34", "d6a", 3, "percentage", "%",
  "what share of the non-water area is road?",
  lambda g: g.share(g.m(3), within=g.notm(5)))

# tile 6, part 4 (GSD 2 m)
q("blind5-d36", "d6b", 1, "percentage", "%",
  "How much of the image is vegetation, as a percentage?",
  lambda g: g.image_share(g.m(4)))
q("blind5-d37", "d6b", 2, "distance", "m",
  "How far from the water is the building that is farthest from it (measured from the "
  "building's nearest point)?",
  lambda g: float(g.objects(g.m(1)).min_dist(g.m(5)).max()))
q("blind5-d38", "d6b", 3, "object_size", "m²",
  "Total footprint of the five largest buildings in m²",
  lambda g: g.objects(g.m(1)).ranked()[:5].sum())
q("blind5-d39", "d6b", 3, "proximity", "objects",
  "How many buildings have no vegetation within 100 m (none of their pixels within 100 m of "
  "vegetation)?",
  lambda g, d=100: count(o := g.objects(g.m(1)), o.min_dist(g.m(4)) > d))
q("blind5-d40", "d6b", 2, "area", "acres",
  "Area of unpaved land in acres",
  lambda g: g.area(g.m(2)) / ACRE)


# ---- Slovenia land cover (codes 1 cultivated land, 2 forest, 3 grassland, 4 shrubland,
# 8 artificial surface, 0 no data); GSD 10 m

q("blind5-o01", "so", 1, "percentage", "%",
  "What share of the mapped area is forest?",
  lambda g: g.share(g.m(2)))
q("blind5-o02", "so", 1, "area", "ha",
  "How many hectares of grassland?",
  lambda g: g.area(g.m(3)) / HA)
q("blind5-o04", "so", 1, "count", "objects",
  "Tell me how many patches of artificial surface there are.",
  lambda g: count(g.objects(g.m(8))))
q("blind5-o05", "so", 2, "connectivity", "objects",
  "How many artificial surface patches do you count with 4-connectivity?",
  lambda g: count(g.objects(g.m(8), conn=4)))
q("blind5-o06", "so", 2, "proximity", "m²",
  "Grassland within 55 m of artificial surface, how many m²?",
  lambda g, d=55: g.area(within(g, g.m(3), g.m(8), d)))
q("blind5-o07", "so", 2, "connectivity", None,
  "Does the artificial surface connect the north edge to the south edge of the map?",
  lambda g: yn(crosses(g.objects(g.m(8)), a_rows=[0], b_rows=[-1])))
q("blind5-o08", "so", 3, "multi_condition", "objects",
  "How many grassland patches over 0.2 ha touch forest and lie within 100 m of artificial "
  "surface?",
  lambda g, a=0.2 * HA, d=100: count(
      o := g.objects(g.m(3)),
      (o.areas > a) & o.touches(g.m(2)) & (o.min_dist(g.m(8)) <= d)))
q("blind5-o09", "so", 1, "fragmentation", "m²",
  "mean patch size of shrubland in square metres",
  lambda g: g.objects(g.m(4)).areas.mean(),
  rel5=True)
q("blind5-o10", "so", 2, "fragmentation", "patches/km²",
  "Patch density of shrubland per km²",
  lambda g: patch_density(g, g.objects(g.m(4)), KM2),
  rel5=True)
q("blind5-o11", "so", 2, "distance", "m",
  "maximum distance from any forest pixel to the nearest artificial surface",
  lambda g: float(g.dist(g.m(8))[g.m(2)].max()))
q("blind5-o12", "so", 3, "percentage", "%",
  "Apart from forest, what share of the land is grassland?",
  lambda g: g.share(g.m(3), within=g.notm(2)))
q("blind5-o13", "so", 3, "area", "ha",
  "the grassland patches, without the biggest one, how big they are together in hectares",
  lambda g: g.objects(g.m(3)).ranked()[1:].sum() / HA)
q("blind5-o14", "so", 3, "proximity", "objects",
  "How many shrubland patches are entirely within 30 m of grassland?",
  lambda g, d=30: count(o := g.objects(g.m(4)), o.max_dist(g.m(3)) <= d))
q("blind5-o15", "so", 2, "comparison", None,
  "Is there more shrubland than artificial surface?",
  lambda g: yn(g.area(g.m(4)) > g.area(g.m(8))))
refuse("blind5-o16", "so", 2, "area",
       "How much has the forest grown since 2015?",
       "One land-cover map of one date: change since 2015 cannot be measured from it.")
q("blind5-o18", "so", 2, "percentage", "%",
  "vegetation (i.e. forest, grassland and shrubland) as a share of the map?",
  lambda g: g.share(g.m(2, 3, 4)))
q("blind5-o19", "so", 3, "multi_condition", "objects",
  "How many built-up patches (artificial surface) are bigger than 250 m² and lie wholly "
  "more than 25 m from forest?",
  lambda g, a=250, d=25: count(
      o := g.objects(g.m(8)), (o.areas > a) & (o.min_dist(g.m(2)) > d)))
q("blind5-o20", "so", 2, "fragmentation", "%",
  "largest patch index of grassland",
  lambda g: 100 * g.objects(g.m(3)).areas.max() / g.valid_area())


# ---- further compositions, by raster


def patches_mask(objs, keep):
    return np.isin(objs.lab, objs.idx[keep])


q("blind5-z31", "z8", 3, "proximity", "objects",
  "I'm looking at the Cultivated fields. Take the Cultivated patches larger than 5 ha. How "
  "many of them have another Cultivated patch within 100 m (closest pixel to closest "
  "pixel)?",
  lambda g, a=5 * HA, d=100: int(np.count_nonzero(
      (o := g.objects(g.m(7))).neighbour_dist(o.areas > a) <= d)))
q("blind5-z32", "z8", 3, "multi_condition", "%",
  "Consider the Shrubland that lies within 120 m of Forest. What percentage of it is also "
  "within 120 m of Barren?",
  lambda g, d1=120, d2=120: g.share(
      within(g, g.m(5), g.m(3), d2), within=within(g, g.m(5), g.m(4), d1)))
q("blind5-z33", "z8", 3, "comparison", None,
  "Are there more Developed patches over 1 ha than Wetlands patches over 1 ha?",
  lambda g, a=HA: yn(count(o := g.objects(g.m(2)), o.areas > a)
                     > count(w := g.objects(g.m(8)), w.areas > a)))
q("blind5-z34", "z8", 3, "distance", "km",
  "For the Developed patches over 10 ha, what's the average distance from their pixels to "
  "the nearest Water? km please",
  lambda g, a=10 * HA: float(g.dist(g.m(1))[
      patches_mask(o := g.objects(g.m(2)), o.areas > a)].mean()) / 1000)
q("blind5-z35", "z8", 3, "proximity", "ha",
  "Not counting Water and Wetlands themselves, how much of the map lies within 120 m of "
  "either of them? in hectares",
  lambda g, d=120: g.area(within(g, g.notm(1, 8), g.m(1, 8), d)) / HA)
q("blind5-z36", "z8", 3, "count", "objects",
  "Of the Wetlands patches, leaving out the three largest, how many are bigger than 5 ha?",
  lambda g, a=5 * HA: int(np.count_nonzero(g.objects(g.m(8)).ranked()[3:] > a)))

q("blind5-f26", "zf", 3, "area", "km²",
  "Take all the forest (Deciduous, Evergreen and Mixed Forest together). Leave out its two "
  "largest patches. How many square kilometres of forest are left?",
  lambda g: g.objects(g.m(*FOREST)).ranked()[2:].sum() / KM2)
q("blind5-f27", "zf", 3, "multi_condition", "ha",
  "How many hectares of Developed, Open Space are farther than 1 km from Developed, Low "
  "Intensity and also farther than 1 km from Developed, Medium Intensity?",
  lambda g, d1=1000, d2=1000: g.area(
      beyond(g, beyond(g, g.m(21), g.m(22), d1), g.m(23), d2)) / HA)
q("blind5-f28", "zf", 3, "connectivity", "objects",
  "Evergreen Forest patches over 5 ha which are not touching Deciduous Forest: how many "
  "there are?",
  lambda g, a=5 * HA: count(
      o := g.objects(g.m(42)), (o.areas > a) & ~o.touches(g.m(41))))

q("blind5-l26", "ls", 3, "comparison", "objects",
  "How many more code 25 patches over 50 ha are there than code 24 patches over 50 ha?",
  lambda g, a=50 * HA: count(o := g.objects(g.m(25)), o.areas > a)
  - count(p := g.objects(g.m(24)), p.areas > a))
q("blind5-l27", "ls", 3, "distance", "km",
  "Take the largest code 15 patch. How far is it from code 1, closest pixel to closest "
  "pixel, in km?",
  lambda g: float((o := g.objects(g.m(15))).min_dist(g.m(1))[np.argmax(o.areas)]) / 1000)

q("blind5-s30", "sp", 3, "multi_condition", "%",
  "What share of the dry land (not water) is more than 200 m from any water body of 10 ha or "
  "more?",
  lambda g, a=10 * HA, d=200: g.share(beyond(
      g, g.m(0), patches_mask(o := g.objects(g.m(1)), o.areas >= a), d), within=g.m(0)))
q("blind5-s31", "pk", 3, "area", "ha",
  "Ignoring the largest water body, how many hectares of water are left?",
  lambda g: g.objects(g.m(1)).ranked()[1:].sum() / HA)

q("blind5-d41", "d4a", 3, "proximity", "objects",
  "Not counting the biggest water body, how many buildings are within 30 m of the remaining "
  "water?",
  lambda g, d=30: count(o := g.objects(g.m(1)), o.min_dist(
      patches_mask(w := g.objects(g.m(5)), np.arange(w.n) != np.argmax(w.areas))) <= d))
q("blind5-d42", "d3b", 3, "multi_condition", "m²",
  "Find the buildings of at least 600 m². How much of the unpaved land is within 25 m of "
  "them? Answer in square metres.",
  lambda g, a=600, d=25: g.area(within(
      g, g.m(2), patches_mask(o := g.objects(g.m(1)), o.areas >= a), d)))
q("blind5-d43", "d6a", 3, "multi_condition", "objects",
  "How many buildings are not touching any road and are bigger than 200 m²?",
  lambda g, a=200: count(o := g.objects(g.m(1)), (o.areas > a) & ~o.touches(g.m(3))))
q("blind5-d44", "d4b", 3, "proximity", "objects",
  "Of the water bodies over 2000 m², how many are wholly within 55 m of a building?",
  lambda g, a=2000, d=55: count(
      o := g.objects(g.m(5)), (o.areas > a) & (o.max_dist(g.m(1)) <= d)))
refuse("blind5-d45", "d4b", 1, "object_size",
       "How big is the lake?",
       "The image holds 20 separate water bodies; 'the lake' does not say which one.")

q("blind5-o21", "so", 3, "multi_condition", "%",
  "What share of the grassland lies within 35 m of shrubland but not within 35 m of "
  "artificial surface?",
  lambda g, d1=35, d2=35: g.share(
      beyond(g, within(g, g.m(3), g.m(4), d1), g.m(8), d2), within=g.m(3)))

# ----------------------------------------------------------------------------------------
# ranges, checks and output

DIST_UNITS = {"m": 1.0, "km": 1000.0, "ft": FT, "mi": MILE}
AREA_UNITS = {"m²": 1.0, "ha": HA, "km²": KM2, "acres": ACRE, "mi²": SQMI, "ft²": SQFT}


def acceptable(answer, unit, g, rel5=False):
    """SQuID-like range: (lower, upper), or (None, None) for yes/no."""
    if isinstance(answer, str):
        return None, None
    if rel5:
        tol = 0.05 * abs(answer)
    elif unit == "objects":
        if abs(answer) <= 10:
            return float(answer), float(answer)
        tol = 0.1 * abs(answer)
    elif unit in DIST_UNITS:
        tol = max(0.05 * abs(answer), g.pixel_m / DIST_UNITS[unit])
    elif unit in AREA_UNITS:
        tol = max(0.05 * abs(answer), float(g.cell.max()) / AREA_UNITS[unit])
    elif unit == "%":
        tol = max(0.05 * abs(answer), 100 * float(g.cell.max()) / g.valid_area())
    else:  # ratios, densities, edge density, mean sizes
        tol = 0.05 * abs(answer)
    return max(0.0, answer - tol), answer + tol


def truth(spec, grids, **override):
    g = grids[spec["grid"]]
    value = spec["fn"](g, **override)
    if isinstance(value, str):
        return value
    return float(value)


def thresholds(fn):
    return {k: p.default for k, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty}


def check(spec, grids, answer, lo, hi):
    """Problems with a truth: degenerate, or moved out of range by a 1 % threshold change."""
    problems = []
    if not isinstance(answer, str) and answer == 0:
        problems.append("zero truth")
    for name, value in thresholds(spec["fn"]).items():
        for factor in (0.99, 1.01):
            moved = truth(spec, grids, **{name: value * factor})
            if isinstance(answer, str):
                bad = moved != answer
            else:
                bad = not (lo - 1e-9 <= moved <= hi + 1e-9)
            if bad:
                problems.append(f"{name}x{factor} -> {moved}")
    return problems


def records(grids, *, verbose=False, do_check=False):
    out = []
    for spec in QUESTIONS:
        g = grids[spec["grid"]]
        rec = {"id": spec["id"], "question": spec["text"]}
        if spec["fn"] is None:
            rec.update(answer="refuse", acceptable_range_lower=None,
                       acceptable_range_upper=None, unit=None)
        else:
            answer = truth(spec, grids)
            lo, hi = acceptable(answer, spec["unit"], g, spec["rel5"])
            if do_check:
                for p in check(spec, grids, answer, lo, hi):
                    print(f"CHECK {spec['id']}: {p}", file=sys.stderr)
            if not isinstance(answer, str):
                answer = round(answer, 4)
                lo, hi = round(lo, 4), round(hi, 4)
            rec.update(answer=answer, acceptable_range_lower=lo, acceptable_range_upper=hi,
                       unit=spec["unit"])
        rec.update(type=spec["type"], tier=spec["tier"], image=g.image, product=g.product,
                   datetime=None)
        if g.gsd is not None:
            rec["gsd"] = g.gsd
        if spec["note"]:
            rec["note"] = spec["note"]
        if verbose:
            print(f"{rec['id']:12s} t{rec['tier']} {rec['type']:15s} {rec['answer']!s:>12} "
                  f"[{rec['acceptable_range_lower']}, {rec['acceptable_range_upper']}] "
                  f"{rec['unit']}")
        out.append(rec)
    return out


def summary(recs):
    from collections import Counter

    by = {k: Counter(r[k] for r in recs) for k in ("tier", "type")}
    by["raster"] = Counter(Path(r["image"]).name for r in recs)
    by["refuse"] = sum(r["answer"] == "refuse" for r in recs)
    by["yes/no"] = sum(r["answer"] in ("yes", "no") for r in recs)
    return by


def crosscheck(grids):
    """Independent checks of the measuring code; raises on a mismatch, prints the margins."""
    from skimage.measure import label as sk_label

    rng = np.random.default_rng(5)
    # 1. object counts: scipy.ndimage.label against skimage.measure.label, every class
    checked = 0
    for g in grids.values():
        for c in np.unique(g.codes[g.valid]):
            m = g.m(c)
            for conn, sk_conn in ((8, 2), (4, 1)):
                if g.objects(m, conn=conn).n != sk_label(m, connectivity=sk_conn).max():
                    raise RuntimeError(f"{g.key} code {c}: scipy and skimage counts differ")
                checked += 1
    print(f"object counts: scipy == skimage for {checked} class/connectivity pairs")
    # 2. distance layers against brute force from independently built pixel coordinates
    worst = 0.0
    for g in grids.values():
        present = [c for c in np.unique(g.codes[g.valid])]
        target = g.m(min(present, key=lambda c: g.m(c).sum()))
        rows, cols = np.nonzero(g.valid)
        pick = rng.choice(rows.size, size=min(300, rows.size), replace=False)
        if g.geo is None:
            ty, tx = np.nonzero(target)
            ty, tx = ty * g.yres, tx * g.xres
            py, px = rows[pick] * g.yres, cols[pick] * g.xres
        else:
            ty, tx = g.uy[target], g.ux[target]
            py, px = g.uy[rows[pick], cols[pick]], g.ux[rows[pick], cols[pick]]
        brute = np.array([np.sqrt((ty - y) ** 2 + (tx - x) ** 2).min()
                          for y, x in zip(py, px, strict=True)])
        got = g.dist(target)[rows[pick], cols[pick]]
        worst = max(worst, float(np.abs(brute - got).max()))
    if worst > 1e-6:
        raise RuntimeError(f"distance layer differs from brute force by {worst} m")
    print(f"distance layers == brute force (max difference {worst:.2e} m)")
    # 3. EPSG:4326 grids: local-UTM distances against geodesic ones, cell areas against the
    #    chip's outline
    geod = Geod(ellps="WGS84")
    for g in grids.values():
        if g.geo is None:
            continue
        transform, epsg = g.geo
        tr = Transformer.from_crs(CRS.from_epsg(epsg), CRS.from_epsg(4326), always_xy=True)
        n = 2000
        i = rng.integers(0, g.shape[0], (2, n))
        j = rng.integers(0, g.shape[1], (2, n))
        x0, y0 = g.ux[i[0], j[0]], g.uy[i[0], j[0]]
        x1, y1 = g.ux[i[1], j[1]], g.uy[i[1], j[1]]
        lon0, lat0 = tr.transform(x0, y0)
        lon1, lat1 = tr.transform(x1, y1)
        gd = geod.inv(lon0, lat0, lon1, lat1)[2]
        ok = gd > 0
        rel = np.abs(np.hypot(x1 - x0, y1 - y0)[ok] - gd[ok]) / gd[ok]
        a, c, e, f = transform.a, transform.c, transform.e, transform.f
        h, w = g.shape
        k = np.linspace(0, 1, 513)
        lons = np.concatenate([c + a * w * k, np.full(513, c + a * w), c + a * w * k[::-1],
                               np.full(513, c)])
        lats = np.concatenate([np.full(513, f), f + e * h * k, np.full(513, f + e * h),
                               f + e * h * k[::-1]])
        outline = abs(geod.polygon_area_perimeter(lons, lats)[0])
        area_err = abs(g.image_area() - outline) / outline
        print(f"{g.key}: UTM {epsg} vs geodesic distance, max relative error {rel.max():.1e}; "
              f"cell areas vs outline {area_err:.1e}")
        if rel.max() > 5e-4 or area_err > 1e-4:
            raise RuntimeError(f"{g.key}: geodesic check failed")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="perturb thresholds by 1 %%")
    ap.add_argument("--verbose", action="store_true", help="print every truth")
    ap.add_argument("--crosscheck", action="store_true",
                    help="check the measuring code against skimage, brute force and geodesics")
    args = ap.parse_args(argv)
    ids = [s["id"] for s in QUESTIONS]
    if len(ids) != len(set(ids)):
        raise SystemExit("duplicate question ids")
    grids = load_grids()
    if args.crosscheck:
        crosscheck(grids)
    recs = records(grids, verbose=args.verbose, do_check=args.check)
    with open(OUT, "w", encoding="utf-8") as fh:
        for rec in recs:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {len(recs)} records to {OUT}")
    for k, v in summary(recs).items():
        print(f"  {k}: {dict(sorted(v.items())) if hasattr(v, 'items') else v}")


if __name__ == "__main__":
    main()
