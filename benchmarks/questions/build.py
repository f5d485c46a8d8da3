"""Build the SQuID-format question set over the demo rasters (``questions.jsonl``).

    python benchmarks/questions/build.py           # (re)write questions.jsonl beside this file
    python benchmarks/questions/build.py --check   # exit 1 if the file is not what it would write

Truth comes from whole arrays with NumPy and ``scipy.ndimage`` (8-connected labels, exact
distance transforms), never from ``geoquant.ops`` or ``geoquant.reason``; the rasters are read
with ``geoquant.sources``, the answering side's loader, so both see the same grids. Questions
are the planner's canonical phrasings filled with class words or codes. See README.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage as ndi

OUT = Path(__file__).resolve().parent / "questions.jsonl"
EIGHT = np.ones((3, 3), bool)          # 8-connectivity
MARGIN = 5e-4                          # size and distance thresholds clear the data by 0.05 %
AREA = {"m2": 1.0, "ha": 1e4, "km2": 1e6}
LENGTH = {"m": 1.0, "km": 1e3}
WORDS = {"m2": "m²", "ha": "ha", "km2": "km²", "m": "m", "km": "km"}
SLOVENIA = {"cropland": [1], "forest": [2], "grassland": [3], "shrubland": [4], "built-up": [8]}
SITES = {  # site -> image (reference labels), product, imagery (geoquant's own segmenters)
    "slovenia": ("slovenia-lulc", "slovenia-lulc", "slovenia-s2-l1c"),
    "lausanne": ("lausanne-landuse", "codes", None),
    "camargue": ("camargue-s1", None, "camargue-s1")}
CHANGE_RANGE = "2006-01-01/2012-12-31"
LAUSANNE_NOW = "2012-01-01/2012-12-31"   # single-date Lausanne questions read 2012


# -- truths on whole arrays ----------------------------------------------------------------------
class Grid:
    """Valid pixels and pixel size (m) of one 2-D layer; ``guard`` checks thresholds."""

    def __init__(self, valid: np.ndarray, dx: float, dy: float, guard: bool = True):
        self.valid, self.dx, self.dy, self.guard = valid, dx, dy, guard
        self.pa, self.size = dx * dy, max(dx, dy)      # pixel area m², pixel size m
        self.land = float(valid.sum()) * self.pa       # the valid landscape, m²

    def clear(self, values: np.ndarray, threshold: float) -> None:
        """Refuse a threshold within MARGIN of a value it decides (ties are fragile)."""
        values = np.asarray(values, float)
        if self.guard and values.size and np.abs(values - threshold).min() <= MARGIN * threshold:
            raise SystemExit(f"threshold {threshold} is too close to a data value")


def patches(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """8-connected labels and each patch's pixel count (label i at index i-1)."""
    labels, n = ndi.label(m, EIGHT)
    return labels, np.bincount(labels.ravel(), minlength=n + 1)[1:]


def keep_sized(m: np.ndarray, g: Grid, low: float = 0.0, high: float = np.inf) -> np.ndarray:
    """The patches of ``m`` whose area (m²) lies in [low, high]."""
    labels, sizes = patches(m)
    areas = sizes * g.pa
    for s in {low, high} - {0.0, np.inf}:
        g.clear(areas, s)
    return np.isin(labels, np.flatnonzero((areas >= low) & (areas <= high)) + 1) & m


def distance_to(to: np.ndarray, g: Grid) -> np.ndarray:
    """Pixel-centre Euclidean distance (m) of every pixel to the nearest ``to`` pixel."""
    if not to.any():
        return np.full(to.shape, np.inf)
    return ndi.distance_transform_edt(~to, sampling=(g.dy, g.dx))


def near(of: np.ndarray, to: np.ndarray, d: float, g: Grid) -> np.ndarray:
    dist = distance_to(to, g)
    g.clear(dist[of], d)
    return of & (dist <= d)


def keep_near(of: np.ndarray, to: np.ndarray, d: float, g: Grid, far: bool = False):
    """Patches of ``of`` whose minimum distance to ``to`` is <= d (or > d with ``far``)."""
    labels, sizes = patches(of)
    ids = np.arange(1, sizes.size + 1)
    dist = np.asarray(ndi.minimum(distance_to(to, g), labels, ids)) if ids.size else ids
    g.clear(dist, d)
    return np.isin(labels, ids[dist > d] if far else ids[dist <= d]) & of


def connected(through: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """One 8-connected component of through | a | b holds pixels of both a and b."""
    labels, _ = ndi.label(through | a | b, EIGHT)
    return bool(np.intersect1d(labels[a], labels[b]).size)


def fragmentation(m: np.ndarray, g: Grid) -> dict[str, float]:
    """FRAGSTATS class metrics (pylandstats conventions), the valid pixels as the landscape."""
    a = patches(m)[1] * g.pa
    other = g.valid & ~m        # edge: faces against other valid pixels, each its own length
    across = (m[:, :-1] & other[:, 1:]) | (other[:, :-1] & m[:, 1:])
    down = (m[:-1] & other[1:]) | (other[:-1] & m[1:])
    return {"count": a.size, "patch_density": a.size * 1e6 / g.land,
            "largest_patch_index": (a.max() if a.size else 0.0) * 100 / g.land,
            "edge_density": (across.sum() * g.dy + down.sum() * g.dx) * 1e4 / g.land,
            "area_mn": a.mean() / 1e4 if a.size else float("nan"),
            "effective_mesh_size": float(np.square(a).sum()) / g.land / 1e4,
            "is_fragmented": bool(a.size > 1 and a.max() < a.sum() / 2)}   # LPI < PLAND / 2


# -- questions: the canonical phrasings, filled with class words ---------------------------------
@dataclass
class Q:
    """A question and its truth; ``quantum`` is the one-pixel tolerance (None: exact), and
    ``signed`` answers (net and percent change) may be negative (others' ranges stop at 0)."""

    type: str
    tier: int
    question: str
    value: float | int | bool
    unit: str
    quantum: float | None = None
    signed: bool = False


FRAGMENTATION = {  # metric -> (phrasing, unit)
    "area_mn": ("What is the mean patch size of {} in ha?", "ha"),
    "largest_patch_index": ("What is the largest patch index of {}?", "%"),
    "effective_mesh_size": ("What is the effective mesh size of {} in ha?", "ha"),
    "patch_density": ("What is the patch density of {}?", "patches/100 ha"),
    "edge_density": ("What is the edge density of {}?", "m/ha"),
    "is_fragmented": ("Is the {} fragmented?", "yes/no"),
    "count": ("How many patches of {} are there?", "objects")}
CHANGE = {"lost": "How much {} area was lost {} in ha?",
          "gained": "How much {} area was gained {} in ha?",
          "net": "What is the net change in {} area {} in ha?",
          "percent": "By what percentage did the {} area change {}?",
          "new": "How many new {} patches appeared {}?"}


def sized(low: float | None, high: float | None = None) -> str:
    """A size filter's words (sizes in ha)."""
    if low and high:
        return f" between {low:g} ha and {high:g} ha"
    return f" larger than {low:g} ha" if low else f" smaller than {high:g} ha" if high else ""


def n_of(m: np.ndarray) -> int:
    return int(patches(m)[1].size)


class Ask:
    """Questions of each family on one grid; ``mask(word)`` is the class's boolean mask."""

    def __init__(self, g: Grid, mask):
        self.g, self.m = g, mask

    def _sized(self, a, low=None, high=None):
        return keep_sized(self.m(a), self.g, (low or 0) * 1e4, (high or np.inf) * 1e4)

    def _area(self, kind, tier, text, m, unit):
        pa = self.g.pa / AREA[unit]
        return Q(kind, tier, text, m.sum() * pa, unit, pa)

    def share(self, a, alt=False):
        px = self.g.valid.sum()
        text = (f"What percentage of the region is covered by {a}?" if alt
                else f"What share of the area is {a}?")
        return Q("share", 1, text, self.m(a).sum() * 100 / px, "%", 100 / px)

    def area(self, a, unit, alt=False):
        text = (f"How much area is covered by {a}, in {WORDS[unit]}?" if alt
                else f"What is the area of {a} in {WORDS[unit]}?")
        return self._area("area", 1, text, self.m(a), unit)

    def count(self, a, low=None, high=None, ignoring=False):
        text = (f"How many {a} patches are there, ignoring patches smaller than {low:g} ha?"
                if ignoring else f"How many {a} patches{sized(low, high)}?" if high and not low
                else f"How many {a} patches{sized(low, high)} are there?")
        return Q("count", 2 if low or high else 1, text, n_of(self._sized(a, low, high)),
                 "objects")

    def size(self, a, how, unit, low=None):
        text = (f"What is the size of the largest {a} patch in {WORDS[unit]}?" if how == "max"
                else f"What is the mean size of {a} patches{sized(low)} in {WORDS[unit]}?")
        sizes = patches(self._sized(a, low))[1] * self.g.pa / AREA[unit]
        value = (sizes.max() if how == "max" else sizes.mean()) if sizes.size else 0.0
        return Q("object_size", 2 if low else 1, text, value, unit, self.g.pa / AREA[unit])

    def more(self, a, b, what="area"):
        if what == "largest":
            return Q("comparison", 2, f"Is the largest {a} patch larger than {b:g} ha?",
                     bool(patches(self.m(a))[1].max() * self.g.pa > b * 1e4), "yes/no")
        text = {"area": f"Is there more {a} than {b}?",
                "area_of": f"Is the area of {a} larger than the area of {b}?",
                "patches": f"Are there more {a} patches than {b} patches?"}[what]
        measure = n_of if what == "patches" else np.sum
        return Q("comparison", 2, text, bool(measure(self.m(a)) > measure(self.m(b))), "yes/no")

    def connectivity(self, a, b=None, through=None):
        n = n_of(self.m(a))
        if through:
            return Q("connectivity", 3, f"Is {a} connected to {b} through {through}?",
                     connected(self.m(through), self.m(a), self.m(b)), "yes/no")
        return (Q("connectivity", 1, f"How many connected groups of {a} are there?", n, "objects")
                if b == "groups" else
                Q("connectivity", 1, f"Are the {a} patches connected?", n == 1, "yes/no"))

    def frag(self, a, metric):
        g, (text, unit) = self.g, FRAGMENTATION[metric]
        quantum = {"ha": g.pa / 1e4, "%": 100 * g.pa / g.land, "patches/100 ha": 1e6 / g.land,
                   "m/ha": g.size * 1e4 / g.land}.get(unit)    # None: exact
        return Q("fragmentation", 2, text.format(a), fragmentation(self.m(a), g)[metric], unit,
                 quantum)

    def proximity(self, a, b, d, unit="%", far=False):
        of = self.m(a)
        hit = near(of, self.m(b), d, self.g)
        if unit == "%":
            return Q("proximity_share", 2, f"What share of {a} lies within {d:g} m of {b}?",
                     hit.sum() * 100 / of.sum(), "%", 100 / of.sum())
        text = (f"How much {a} is farther than {d:g} m from {b}?" if far else
                f"What area of {a} lies within {d:g} m of {b}, in {WORDS[unit]}?")
        return self._area("proximity_area", 2, text, of & ~hit if far else hit, unit)

    def distance(self, a, b, unit, alt=False):
        text = (f"How far is {a} from {b}?" if alt and unit == "m"   # metres by default
                else f"What is the minimum distance between {a} and {b} in {unit}?")
        value = distance_to(self.m(b), self.g)[self.m(a)].min()
        return Q("distance", 2, text, value / LENGTH[unit], unit, self.g.size / LENGTH[unit])

    def multi(self, a, low=None, near_to=None, far_from=None, kind="multi_condition"):
        """Patches by size, then near one class, then far from another (objects_near: one)."""
        m, words = self._sized(a, low), [f"How many {a} patches{sized(low)}"]
        if near_to:
            m = keep_near(m, self.m(near_to[0]), near_to[1], self.g)
            words.append(f"are within {near_to[1]:g} m of {near_to[0]}")
        if far_from:
            m = keep_near(m, self.m(far_from[0]), far_from[1], self.g, far=True)
            words.append(f"{'and' if near_to else 'are'} farther than {far_from[1]:g} m from "
                         f"{far_from[0]}")
        return Q(kind, 2 if kind == "objects_near" else 3, " ".join(words) + "?", n_of(m),
                 "objects")


def slovenia(codes: np.ndarray, g: Grid) -> list[Q]:
    ask = Ask(g, lambda word: np.isin(codes, SLOVENIA[word]) & g.valid)
    return [
        ask.share("forest"), ask.share("grassland", alt=True), ask.area("shrubland", "ha"),
        ask.area("built-up", "km2", alt=True), ask.count("shrubland"),
        ask.count("grassland", low=0.15), ask.count("built-up", high=0.045),
        ask.count("shrubland", 0.05, 0.25), ask.count("built-up", low=0.035, ignoring=True),
        ask.size("grassland", "max", "ha"), ask.size("shrubland", "mean", "m2"),
        ask.size("built-up", "mean", "m2", low=0.045), ask.more("grassland", "shrubland"),
        ask.more("shrubland", "built-up", "patches"), ask.more("shrubland", 0.5, "largest"),
        ask.connectivity("grassland"), ask.connectivity("built-up", "groups"),
        ask.connectivity("cropland", "built-up", through="grassland"),
        ask.connectivity("shrubland", "built-up", through="forest"),
        ask.frag("shrubland", "area_mn"), ask.frag("grassland", "largest_patch_index"),
        ask.frag("grassland", "effective_mesh_size"), ask.frag("built-up", "patch_density"),
        ask.frag("shrubland", "edge_density"), ask.frag("shrubland", "is_fragmented"),
        ask.frag("grassland", "is_fragmented"), ask.frag("grassland", "count"),
        ask.proximity("grassland", "built-up", 45), ask.proximity("shrubland", "grassland", 25),
        ask.proximity("forest", "built-up", 25, "ha"),
        ask.proximity("grassland", "forest", 45, "m2", far=True),
        ask.multi("shrubland", near_to=("built-up", 45), kind="objects_near"),
        ask.multi("built-up", far_from=("forest", 25), kind="objects_near"),
        ask.distance("cropland", "forest", "m", alt=True),
        ask.multi("built-up", 0.035, ("grassland", 45), ("forest", 15)),
        ask.multi("grassland", 0.045, ("shrubland", 25)),
        ask.multi("shrubland", None, ("built-up", 45), ("forest", 15))]


def lausanne(before: np.ndarray, after: np.ndarray, g: Grid) -> list[tuple[Q, str]]:
    """Single-date questions on 2012 (``after``), change questions on 2006 -> 2012."""
    ask = Ask(g, lambda word: after == int(word.split()[-1]))
    c = {code: f"land-use code {code}" for code in (2, 6, 7, 12, 15, 21, 24, 25, 41)}
    now = [
        ask.share(c[12]), ask.area(c[2], "km2", alt=True), ask.count(c[41]),
        ask.count(c[2], low=5.5), ask.size(c[25], "max", "ha"), ask.size(c[7], "mean", "ha"),
        ask.more(c[25], c[2], "area_of"), ask.more(c[2], c[25], "patches"),
        ask.frag(c[12], "effective_mesh_size"), ask.frag(c[2], "edge_density"),
        ask.frag(c[25], "largest_patch_index"), ask.frag(c[24], "is_fragmented"),
        ask.proximity(c[41], c[2], 450), ask.proximity(c[12], c[2], 250, "ha"),
        ask.multi(c[15], near_to=(c[41], 450), kind="objects_near"),
        ask.distance(c[41], c[21], "m", alt=True), ask.distance(c[6], c[41], "km")]
    pa, span = g.pa / 1e4, "between 2006 and 2012"

    def change(code: int, what: str) -> Q:
        # Both dates compare only where both maps have data (the 2012 map covers more shore).
        both = np.isfinite(before) & np.isfinite(after)
        b, a = (before == code) & both, (after == code) & both   # difference: of & (minus != 1)
        text = CHANGE[what].format(c[code], span)
        if what == "new":                      # patches of after without a pixel of before
            labels, sizes = patches(a)
            return Q("change", 3, text, int(sizes.size - np.unique(labels[a & b]).size),
                     "objects")
        if what == "percent":
            return Q("change", 3, text, 100 * (a.sum() - b.sum()) / b.sum(), "%", 100 / b.sum(),
                     signed=True)
        px = {"lost": (b & ~a).sum(), "gained": (a & ~b).sum(), "net": a.sum() - b.sum()}[what]
        return Q("change", 3, text, px * pa, "ha", pa, signed=what == "net")

    changes = [change(41, "gained"), change(12, "lost"), change(2, "net"), change(41, "percent"),
               change(41, "new"), change(25, "lost"), change(7, "percent")]
    return [(q, LAUSANNE_NOW) for q in now] + [(q, CHANGE_RANGE) for q in changes]


def camargue(water: np.ndarray, g: Grid) -> list[Q]:
    ask = Ask(g, {"water": water}.__getitem__)
    return [ask.share("water"), ask.area("water", "km2", alt=True), ask.count("water", low=1),
            ask.size("water", "max", "ha"), ask.size("water", "mean", "ha", low=1),
            ask.frag("water", "effective_mesh_size"), ask.frag("water", "largest_patch_index"),
            ask.frag("water", "is_fragmented")]


# -- records ---------------------------------------------------------------------------------------
def record(q: Q, site: str, n: int, datetime: str | None, spread: list[Q]) -> dict:
    """A SQuID record; ``spread`` holds the same question at other thresholds (Camargue)."""
    runs, num = [q, *spread], (lambda x: float(f"{float(x):.7g}"))
    if isinstance(q.value, (bool, np.bool_)):
        if len({bool(r.value) for r in runs}) != 1:
            raise SystemExit(f"{q.question!r} flips with the threshold")
        answer, low, high = ("yes" if q.value else "no"), None, None
    elif q.quantum is None:   # exact counts; Camargue's span the thresholds
        answer = int(q.value)
        low, high = ((min(r.value for r in runs), max(r.value for r in runs)) if spread
                     else (None, None))
    else:                     # truth +- max(5 %, one pixel), over every threshold
        tol = [max(0.05 * abs(r.value), q.quantum) for r in runs]
        answer = num(q.value)
        low = min(r.value - t for r, t in zip(runs, tol, strict=True))
        low = num(low if q.signed else max(low, 0.0))
        high = num(max(r.value + t for r, t in zip(runs, tol, strict=True)))
    image, product, imagery = SITES[site]
    return {"question": q.question, "answer": answer, "acceptable_range_lower": low,
            "acceptable_range_upper": high, "unit": q.unit, "type": q.type, "tier": q.tier,
            "image": image, "product": product, "imagery": imagery, "datetime": datetime,
            "id": f"{site}-{q.type.replace('_', '-')}-{n}"}


def numbered(site: str, qs: list[tuple[Q, str | None, list[Q]]]) -> list[dict]:
    """Records numbered within each family: ids ``<site>-<type>-<n>``."""
    seen: dict[str, int] = {}
    out = []
    for q, datetime, spread in qs:
        seen[q.type] = seen.get(q.type, 0) + 1
        out.append(record(q, site, seen[q.type], datetime, spread))
    return out


def build() -> list[dict]:
    import rioxarray  # noqa: F401  (the .rio accessor)
    from skimage.filters import threshold_otsu

    from geoquant import sources
    from geoquant.demo import DEMO_DATA

    with tempfile.TemporaryDirectory() as tmp:
        sources.build_catalog(DEMO_DATA, tmp)

        def load(collection: str, **kw):
            items = json.loads((Path(tmp) / collection / "items.json").read_text())["features"]
            cube = sources.load(items, **kw)
            dx, dy = (abs(float(r)) for r in cube.rio.resolution())
            return np.asarray(cube.values, np.float64)[:, 0], dx, dy

        (codes,), sdx, sdy = load("slovenia-lulc")
        (before, after), ldx, ldy = load("lausanne-landuse", assets=["landuse"])
        (vv,), cdx, cdy = load("camargue-s1", sar_units="db")

    records = numbered("slovenia", [(q, None, []) for q in slovenia(
        codes, Grid(np.isfinite(codes) & (codes != 0), sdx, sdy))])
    records += numbered("lausanne", [(q, dt, []) for q, dt in lausanne(
        before, after, Grid(np.isfinite(after), ldx, ldy))])
    valid = np.isfinite(vv)
    t = float(threshold_otsu(vv[valid]))   # the reference water mask: VV < Otsu threshold
    at = {s: camargue((vv < t + s) & valid, Grid(valid, cdx, cdy, guard=s == 0))
          for s in (0.0, -0.5, 0.5)}
    return records + numbered("camargue", [(q, None, [at[-0.5][i], at[0.5][i]])
                                           for i, q in enumerate(at[0.0])])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if questions.jsonl differs from what would be written")
    args = parser.parse_args(argv)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in build())
    if not args.check:
        OUT.write_text(text, encoding="utf-8")
        print(f"wrote {text.count(chr(10))} questions to {OUT}")
        return 0
    ok = OUT.exists() and OUT.read_text(encoding="utf-8") == text
    print(f"{OUT} is {'current' if ok else 'out of date: run build.py'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
