"""Vector primitives of the synthetic world that can touch one window: rivers, lakes, roads,
buildings and field parcels.

The world is unbounded and fixed by the seed; a scene is its window of rows ``[0, ny)`` and
columns ``[0, nx)``. Nothing global is ever built: each primitive is owned by one cell of a
coarse grid (a river band, a lake cell, a road node, a parcel) and generated from
``hash(seed, cell)``, so a window generates only the cells whose primitives can reach it (its
own cells plus neighbours within the largest reach of a primitive). The number of primitives
touched per window is proportional to the window's area, whatever the scene's size.

Coordinates are pixel indices: pixel ``(j, i)`` (row, column) has its centre at ``x = i``,
``y = j``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geoquant.synth._noise import (
    hash_coords,
    uniform,
    uniform16,
    value_noise,
    value_noise_1d,
)

__all__ = ["Lakes", "Parcels", "Roads", "lakes", "parcels", "rivers", "roads"]

# Salts name independent random streams; any distinct integers will do.
SALT_FOREST = 1
SALT_FARM = 2
SALT_PARCEL = 3
SALT_SETTLEMENT = 4
SALT_RIVER_EW = 10
SALT_RIVER_NS = 11
SALT_MEANDER_EW = 12
SALT_MEANDER_NS = 13
SALT_WIDTH_EW = 14
SALT_WIDTH_NS = 15
SALT_LAKE = 20
SALT_LAKE_CIRCLE = 21
SALT_NODE = 30
SALT_EDGE = 31
SALT_BUILDING = 32
SALT_BUILDING_SHAPE = 33
SALT_OPTICAL = 40
SALT_SAR = 41

# Forest: value noise (spacing px, amplitude) above a threshold; the largest octave makes
# forests of several kilometres, larger than a tile.
FOREST_OCTAVES: tuple[tuple[int, float], ...] = (
    (1024, 0.50), (256, 0.28), (64, 0.14), (16, 0.08)
)
FOREST_THRESHOLD = 0.5

# Field parcels: a PARCEL-pixel grid; a parcel is cultivated where the farmland noise at its
# centre exceeds FARM_THRESHOLD (and 85 % of those), inset by 0..5 px margins on each side
# (0 on 3/8 of the sides, so neighbouring fields fuse or touch at a corner). A share of the
# parcels is split in two halves (north/south or west/east) by a 2-px strip.
PARCEL = 48
PARCEL_SPLIT_SHARE = 0.15
FARM_OCTAVES: tuple[tuple[int, float], ...] = ((2048, 0.6), (512, 0.4))
FARM_THRESHOLD = 0.55
CULTIVATED_SHARE = 0.85

# Rivers: one west-east river per band of EW_BAND rows, centred in its band within
# +-EW_JITTER; one north-south river in 70 % of the bands of NS_BAND columns. A river is
# y = centre + meander(x) (x = centre + meander(y) for north-south), sampled every RIVER_STEP
# px; its half-width is 1.3..4.0 px, varying by +-25 % along its course. Meander plus jitter
# stay inside the band, so a window needs only the bands it overlaps.
EW_BAND = 2048
EW_JITTER = 256.0
NS_BAND = 6144
NS_JITTER = 1500.0
NS_SHARE = 0.7
RIVER_STEP = 8
MEANDER_OCTAVES: tuple[tuple[int, float], ...] = (
    (2048, 320.0), (512, 160.0), (128, 40.0), (32, 4.0)
)
WIDTH_OCTAVES: tuple[tuple[int, float], ...] = ((1024, 0.25),)
RIVER_HALF_WIDTH = (1.3, 4.0)
RIVER_HW_MAX = RIVER_HALF_WIDTH[1] * 1.25

# Lakes: one per LAKE_CELL-pixel cell, a metaball of 5..9 circles (field sum((r_k/d_k)^4) >= 1,
# which keeps lobes apart); one in 16 is large (radius 200..450 px, wider than a 1024 px tile),
# the rest 20..150 px.
LAKE_CELL = 1024
LAKE_SPREAD = 1.0
LAKE_CIRCLE_RADIUS = (0.3, 0.65)
LAKE_MIN_CIRCLES = 5
LAKE_MAX_CIRCLES = 9
LAKE_BIG_SHARE = 1.0 / 16.0
LAKE_BIG_RADIUS = (200.0, 450.0)
LAKE_RADIUS = (20.0, 150.0)
# A pixel with field >= 1 lies within (sum r_k^4)^(1/4) of some circle centre.
LAKE_REACH = int(
    np.ceil(
        LAKE_SPREAD * LAKE_BIG_RADIUS[1]
        + LAKE_MAX_CIRCLES**0.25 * LAKE_CIRCLE_RADIUS[1] * LAKE_BIG_RADIUS[1]
    )
) + 2

# Roads: nodes on a ROAD_SPACING grid jittered by +-ROAD_JITTER px; every node joins its east
# neighbour, and its south neighbour on every MAJOR_EVERY-th column or with VERTICAL_SHARE, so
# the network is connected. Each edge bends at a midpoint jittered by +-MID_JITTER px. Roads on
# every MAJOR_EVERY-th row/column are major (MAJOR_HALF_WIDTH); the others are 1-px lines,
# 8-connected only where they run diagonally.
ROAD_SPACING = 512
ROAD_JITTER = 110
MID_JITTER = 40
MAJOR_EVERY = 4
VERTICAL_SHARE = 0.65
MAJOR_HALF_WIDTH = 1.6
SETTLEMENT_OCTAVES: tuple[tuple[int, float], ...] = ((2048, 0.6), (512, 0.4))
# Largest distance (px) from a road's centre line to a pixel of a building it owns.
BUILDING_REACH = 64


@dataclass(frozen=True)
class Parcels:
    """Field parcels over a window: arrays indexed by ``(pa - pa0, pb - pb0)``."""

    pa0: int
    pb0: int
    active: np.ndarray  # uint8
    margins: np.ndarray  # int64, (..., 5): top, bottom, left, right insets in px; split kind
    greenness: np.ndarray  # float32 in [0, 1): crop biomass, 0 = bare soil


@dataclass(frozen=True)
class Lakes:
    """Lake metaballs: inclusive boxes, and circles (cx, cy, r²) in rows starts[n]:starts[n+1]."""

    bboxes: np.ndarray  # int64 (n, 4): x0, y0, x1, y1
    starts: np.ndarray  # int64 (n + 1,)
    circles: np.ndarray  # float64 (m, 3)


@dataclass(frozen=True)
class Roads:
    """Road segments and building rectangles that can touch a window."""

    major: np.ndarray  # float64 (n, 5): x0, y0, x1, y1, half-width
    minor: np.ndarray  # int64 (n, 4): x0, y0, x1, y1
    buildings: np.ndarray  # int64 (m, 4): inclusive x0, y0, x1, y1


def _span(lo: int, hi: int, cell: int) -> np.ndarray:
    """Indices of the cells of size ``cell`` that pixels ``lo..hi - 1`` fall in."""
    return np.arange(lo // cell, (hi - 1) // cell + 1, dtype=np.int64)


def _jitter(u: np.ndarray, amount: int) -> np.ndarray:
    """Integers uniform in [-amount, amount] from uniforms in [0, 1)."""
    return np.floor(u * (2 * amount + 1)).astype(np.int64) - amount


def parcels(seed: int, r0: int, r1: int, c0: int, c1: int) -> Parcels:
    """The field parcels covering rows ``r0..r1 - 1`` and columns ``c0..c1 - 1``."""
    pa = _span(r0, r1, PARCEL)[:, None]
    pb = _span(c0, c1, PARCEL)[None, :]
    farm = value_noise(
        seed, SALT_FARM, pa * PARCEL + PARCEL // 2, pb * PARCEL + PARCEL // 2, FARM_OCTAVES
    )
    h = hash_coords(seed, SALT_PARCEL, pa, pb)
    active = (farm > FARM_THRESHOLD) & (uniform16(h, 0) < CULTIVATED_SHARE)
    hm = hash_coords(seed, SALT_PARCEL + 100, pa, pb)
    insets = [
        np.maximum(np.floor(uniform16(hm, k) * 8.0).astype(np.int64) - 2, 0) for k in range(4)
    ]
    u = uniform16(h, 2)
    split = np.where(u < PARCEL_SPLIT_SHARE, 1, np.where(u < 2 * PARCEL_SPLIT_SHARE, 2, 0))
    margins = np.stack([*insets, split.astype(np.int64)], axis=-1)
    return Parcels(
        pa0=int(pa[0, 0]),
        pb0=int(pb[0, 0]),
        active=active.astype(np.uint8),
        margins=np.ascontiguousarray(margins),
        greenness=uniform16(h, 1).astype(np.float32),
    )


def _river_family(
    seed: int,
    bands: np.ndarray,
    lo: int,
    hi: int,
    *,
    band: int,
    jitter: float,
    share: float,
    salts: tuple[int, int, int],
) -> list[np.ndarray]:
    """Segments (along, across, along, across, hw) of the rivers of ``bands`` over ``lo..hi``."""
    salt_river, salt_meander, salt_width = salts
    pad = int(np.ceil(RIVER_HW_MAX)) + RIVER_STEP
    m = np.arange((lo - pad) // RIVER_STEP, (hi + pad) // RIVER_STEP + 2, dtype=np.int64)
    along = (m * RIVER_STEP).astype(np.float64)
    out = []
    for k in bands.tolist():
        h = hash_coords(seed, salt_river, k)
        if uniform16(h, 0)[0] >= share:
            continue
        centre = k * band + band / 2 + (2.0 * uniform16(h, 1)[0] - 1.0) * jitter
        hw0 = RIVER_HALF_WIDTH[0] + (RIVER_HALF_WIDTH[1] - RIVER_HALF_WIDTH[0]) * uniform16(h, 2)[0]
        across = centre + value_noise_1d(seed, salt_meander, k, m * RIVER_STEP, MEANDER_OCTAVES)
        hw = hw0 * (1.0 + value_noise_1d(seed, salt_width, k, m * RIVER_STEP, WIDTH_OCTAVES))
        out.append(
            np.stack(
                [along[:-1], across[:-1], along[1:], across[1:], np.maximum(hw[:-1], hw[1:])],
                axis=-1,
            )
        )
    return out


def rivers(seed: int, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """River segments (x0, y0, x1, y1, half-width), float64, that can touch the window."""
    ew = _river_family(
        seed, _span(r0, r1, EW_BAND), c0, c1, band=EW_BAND, jitter=EW_JITTER, share=1.0,
        salts=(SALT_RIVER_EW, SALT_MEANDER_EW, SALT_WIDTH_EW),
    )
    ns = _river_family(
        seed, _span(c0, c1, NS_BAND), r0, r1, band=NS_BAND, jitter=NS_JITTER, share=NS_SHARE,
        salts=(SALT_RIVER_NS, SALT_MEANDER_NS, SALT_WIDTH_NS),
    )
    # North-south rivers were generated as (y, x, y, x): swap to (x, y, x, y).
    ns = [s[:, [1, 0, 3, 2, 4]] for s in ns]
    parts = ew + ns
    if not parts:
        return np.zeros((0, 5), dtype=np.float64)
    return np.ascontiguousarray(np.concatenate(parts))


def _intersects(bbox: np.ndarray, r0: int, r1: int, c0: int, c1: int) -> np.ndarray:
    """Which inclusive boxes (x0, y0, x1, y1) overlap rows r0..r1-1 and columns c0..c1-1."""
    return (bbox[:, 0] < c1) & (bbox[:, 2] >= c0) & (bbox[:, 1] < r1) & (bbox[:, 3] >= r0)


def lakes(seed: int, r0: int, r1: int, c0: int, c1: int) -> Lakes:
    """The lakes that can touch the window (one per LAKE_CELL cell, within LAKE_REACH)."""
    ca = _span(r0 - LAKE_REACH, r1 + LAKE_REACH, LAKE_CELL)[:, None]
    cb = _span(c0 - LAKE_REACH, c1 + LAKE_REACH, LAKE_CELL)[None, :]
    ca, cb = np.broadcast_arrays(ca, cb)
    ca, cb = ca.ravel(), cb.ravel()
    h = hash_coords(seed, SALT_LAKE, ca, cb)
    cy = (ca + uniform16(h, 0)) * LAKE_CELL
    cx = (cb + uniform16(h, 1)) * LAKE_CELL
    big = uniform16(h, 2) < LAKE_BIG_SHARE
    u = uniform16(h, 3)
    radius = np.where(
        big,
        LAKE_BIG_RADIUS[0] + (LAKE_BIG_RADIUS[1] - LAKE_BIG_RADIUS[0]) * u,
        LAKE_RADIUS[0] + (LAKE_RADIUS[1] - LAKE_RADIUS[0]) * u * u,
    )
    spread = LAKE_MAX_CIRCLES - LAKE_MIN_CIRCLES + 1
    n_circles = LAKE_MIN_CIRCLES + np.floor(
        uniform(hash_coords(seed, SALT_LAKE + 100, ca, cb)) * spread
    ).astype(np.int64)

    k = np.arange(LAKE_MAX_CIRCLES)[None, :]
    hk = hash_coords(seed, SALT_LAKE_CIRCLE, ca[:, None], cb[:, None], k)
    r = radius[:, None]
    ox = cx[:, None] + (2.0 * uniform16(hk, 0) - 1.0) * LAKE_SPREAD * r
    oy = cy[:, None] + (2.0 * uniform16(hk, 1) - 1.0) * LAKE_SPREAD * r
    lo, hi = LAKE_CIRCLE_RADIUS
    rk = r * (lo + (hi - lo) * uniform16(hk, 2))
    used = k < n_circles[:, None]
    r2 = np.where(used, rk * rk, 0.0)
    reach = LAKE_SPREAD * radius + np.sqrt(np.sqrt((r2 * r2).sum(axis=1))) + 1.0
    bbox = np.stack(
        [np.floor(cx - reach), np.floor(cy - reach), np.ceil(cx + reach), np.ceil(cy + reach)],
        axis=-1,
    ).astype(np.int64)
    keep = _intersects(bbox, r0, r1, c0, c1)
    used = used[keep]
    circles = np.stack([ox[keep][used], oy[keep][used], r2[keep][used]], axis=-1)
    starts = np.concatenate([[0], np.cumsum(used.sum(axis=1))]).astype(np.int64)
    return Lakes(
        bboxes=np.ascontiguousarray(bbox[keep]),
        starts=starts,
        circles=np.ascontiguousarray(circles, dtype=np.float64),
    )


def _nodes(seed: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel positions (x, y) of road nodes (a, b): grid points jittered by +-ROAD_JITTER."""
    h = hash_coords(seed, SALT_NODE, a, b)
    x = b * ROAD_SPACING + ROAD_SPACING // 2 + _jitter(uniform16(h, 0), ROAD_JITTER)
    y = a * ROAD_SPACING + ROAD_SPACING // 2 + _jitter(uniform16(h, 1), ROAD_JITTER)
    return x, y


def roads(seed: int, r0: int, r1: int, c0: int, c1: int) -> Roads:
    """Road segments and buildings that can touch the window."""
    g = ROAD_SPACING
    margin = BUILDING_REACH + 2 * g
    a = np.arange((r0 - margin) // g, (r1 + margin) // g + 1, dtype=np.int64)
    b = np.arange((c0 - margin) // g, (c1 + margin) // g + 1, dtype=np.int64)
    nx_, ny_ = _nodes(seed, a[:, None], b[None, :])
    h = hash_coords(seed, SALT_EDGE, a[:, None], b[None, :])
    aa, bb = np.broadcast_arrays(a[:, None], b[None, :])

    # East edges (a, b) -> (a, b + 1), bent at a midpoint jittered north-south.
    e_from = (nx_[:, :-1], ny_[:, :-1])
    e_to = (nx_[:, 1:], ny_[:, 1:])
    e_mid = ((e_from[0] + e_to[0]) // 2,
             (e_from[1] + e_to[1]) // 2 + _jitter(uniform16(h[:, :-1], 0), MID_JITTER))
    e_major = (aa[:, :-1] % MAJOR_EVERY) == 0
    e_keep = np.ones(e_major.shape, dtype=bool)
    e_id = (aa[:, :-1], bb[:, :-1], np.zeros(e_major.shape, dtype=np.int64))

    # South edges (a, b) -> (a + 1, b), bent at a midpoint jittered east-west.
    s_from = (nx_[:-1, :], ny_[:-1, :])
    s_to = (nx_[1:, :], ny_[1:, :])
    s_mid = ((s_from[0] + s_to[0]) // 2 + _jitter(uniform16(h[:-1, :], 1), MID_JITTER),
             (s_from[1] + s_to[1]) // 2)
    s_major = (bb[:-1, :] % MAJOR_EVERY) == 0
    s_keep = s_major | (uniform16(h[:-1, :], 2) < VERTICAL_SHARE)
    s_id = (aa[:-1, :], bb[:-1, :], np.ones(s_major.shape, dtype=np.int64))

    segs, major, ids = [], [], []
    for frm, mid, to, maj, keep, eid in (
        (e_from, e_mid, e_to, e_major, e_keep, e_id),
        (s_from, s_mid, s_to, s_major, s_keep, s_id),
    ):
        for half, (p, q) in enumerate(((frm, mid), (mid, to))):
            segs.append(np.stack([p[0][keep], p[1][keep], q[0][keep], q[1][keep]], axis=-1))
            major.append(maj[keep])
            ids.append(np.stack([eid[0][keep], eid[1][keep], 2 * eid[2][keep] + half], axis=-1))
    segs_a = np.concatenate(segs).astype(np.int64)
    major_a = np.concatenate(major)
    ids_a = np.concatenate(ids)

    box = np.stack(
        [
            np.minimum(segs_a[:, 0], segs_a[:, 2]) - BUILDING_REACH,
            np.minimum(segs_a[:, 1], segs_a[:, 3]) - BUILDING_REACH,
            np.maximum(segs_a[:, 0], segs_a[:, 2]) + BUILDING_REACH,
            np.maximum(segs_a[:, 1], segs_a[:, 3]) + BUILDING_REACH,
        ],
        axis=-1,
    )
    near = _intersects(box, r0, r1, c0, c1)
    segs_a, major_a, ids_a = segs_a[near], major_a[near], ids_a[near]
    hw = np.where(major_a, MAJOR_HALF_WIDTH, 0.5)

    thick = np.concatenate(
        [segs_a[major_a].astype(np.float64), hw[major_a][:, None]], axis=1
    )
    return Roads(
        major=np.ascontiguousarray(thick),
        minor=np.ascontiguousarray(segs_a[~major_a]),
        buildings=_buildings(seed, segs_a, hw, ids_a, r0, r1, c0, c1),
    )


def _buildings(
    seed: int,
    segs: np.ndarray,
    hw: np.ndarray,
    ids: np.ndarray,
    r0: int,
    r1: int,
    c0: int,
    c1: int,
) -> np.ndarray:
    """Building rectangles along road segments, denser in settlements.

    A segment carries ``density * length * 0.3`` buildings (density 0.04..1 from settlement
    noise at its midpoint) in two rows on either side; 15 % of them get a twin touching one
    corner diagonally, away from the road.
    """
    x0, y0, x1, y1 = (segs[:, k].astype(np.float64) for k in range(4))
    dx, dy = x1 - x0, y1 - y0
    length = np.sqrt(dx * dx + dy * dy)
    settle = value_noise(
        seed, SALT_SETTLEMENT, (segs[:, 1] + segs[:, 3]) // 2, (segs[:, 0] + segs[:, 2]) // 2,
        SETTLEMENT_OCTAVES,
    )
    density = np.clip((settle - 0.4) / 0.3, 0.04, 1.0)
    count = np.floor(density * length * 0.3).astype(np.int64)
    total = int(count.sum())
    if total == 0:
        return np.zeros((0, 4), dtype=np.int64)
    seg = np.repeat(np.arange(len(segs)), count)
    k = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    h1 = hash_coords(seed, SALT_BUILDING, ids[seg, 0], ids[seg, 1], ids[seg, 2], k)
    h2 = hash_coords(seed, SALT_BUILDING_SHAPE, ids[seg, 0], ids[seg, 1], ids[seg, 2], k)

    t = 0.12 + 0.76 * uniform16(h1, 0)
    side = np.where(uniform16(h1, 1) < 0.5, -1.0, 1.0)
    back_row = uniform16(h1, 2) < 0.4
    w = 4 + np.floor(8.0 * uniform16(h1, 3)).astype(np.int64)
    h = 4 + np.floor(8.0 * uniform16(h2, 0)).astype(np.int64)
    offset = (
        hw[seg]
        + 2.5
        + 0.5 * np.sqrt((w * w + h * h).astype(np.float64))
        + np.where(back_row, 10.0 + 8.0 * uniform16(h2, 1), 0.0)
    )
    nx_ = -dy[seg] / length[seg] * side
    ny_ = dx[seg] / length[seg] * side
    cx = x0[seg] + t * dx[seg] + offset * nx_
    cy = y0[seg] + t * dy[seg] + offset * ny_
    bx0 = np.floor(cx - 0.5 * w + 0.5).astype(np.int64)
    by0 = np.floor(cy - 0.5 * h + 0.5).astype(np.int64)
    rects = np.stack([bx0, by0, bx0 + w - 1, by0 + h - 1], axis=-1)

    twin = uniform16(h2, 2) < 0.15
    tw = 3 + np.floor(6.0 * uniform16(h2, 3)).astype(np.int64)
    sx = nx_ >= 0.0
    sy = ny_ >= 0.0
    tx0 = np.where(sx, rects[:, 2] + 1, rects[:, 0] - tw)
    ty0 = np.where(sy, rects[:, 3] + 1, rects[:, 1] - tw)
    twins = np.stack([tx0, ty0, tx0 + tw - 1, ty0 + tw - 1], axis=-1)[twin]

    rects = np.concatenate([rects, twins])
    return np.ascontiguousarray(rects[_intersects(rects, r0, r1, c0, c1)])
