"""Numba kernels that paint one window of a synthetic scene; plain arrays in, plain arrays out.

Every kernel works in global pixel coordinates (row ``j``, column ``i``; the window starts at
``r0, c0``) and decides each pixel from those coordinates and the primitives it is given, never
from the window's shape or position, so a pixel gets the same value in every window. Only
``+ - * /`` and comparisons touch floats (no transcendental functions, no fast-math), which
IEEE 754 rounds the same way in vectorised and scalar loops.

Imported on first use: ``import geoquant`` does not load numba.
"""

from __future__ import annotations

import numba
import numpy as np

_JIT = {"cache": True, "nogil": True}

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S16 = np.uint64(16)
_LOW16 = np.uint64(0xFFFF)


@numba.njit(**_JIT)
def _mix(z):
    z = z ^ (z >> _S30)
    z = z * _M1
    z = z ^ (z >> _S27)
    z = z * _M2
    return z ^ (z >> _S31)


@numba.njit(**_JIT)
def _clip(x0, y0, x1, y1, r0, c0, ny, nx):
    """Inclusive pixel box (x0, y0, x1, y1) cut to the ``ny`` x ``nx`` window at ``r0, c0``.

    Returns the global rows ``jlo..jhi`` and columns ``ilo..ihi`` it covers there, inclusive;
    the box misses the window when ``jlo > jhi`` or ``ilo > ihi``.
    """
    return max(y0, r0), min(y1, r0 + ny - 1), max(x0, c0), min(x1, c0 + nx - 1)


@numba.njit(**_JIT)
def add_octave(out, table, ia, wy, ib, wx, amp):
    """out += amp * (value noise of one octave), interpolated from lattice ``table``."""
    ny, nx = out.shape
    nb = table.shape[1]
    line = np.empty(nb, dtype=np.float32)
    for r in range(ny):
        a = ia[r]
        w = wy[r]
        for b in range(nb):
            line[b] = table[a, b] + (table[a + 1, b] - table[a, b]) * w
        for c in range(nx):
            b = ib[c]
            out[r, c] += amp * (line[b] + (line[b + 1] - line[b]) * wx[c])


@numba.njit(**_JIT)
def paint_base(
    out, forest, forest_threshold, active, margins, pa0, pb0, parcel, r0, c0,
    grass, forest_code, crop_code,
):
    """Grassland, forest where the forest noise exceeds its threshold, cropland in parcels.

    ``active[pa - pa0, pb - pb0]`` says whether parcel ``(pa, pb)`` (a ``parcel``-pixel cell)
    is cultivated; ``margins[..., :4]`` are its top, bottom, left and right insets in pixels and
    ``margins[..., 4]`` splits it by a 2-px strip across rows (1) or columns (2), or not (0).
    """
    ny, nx = out.shape
    half = parcel // 2
    for r in range(ny):
        j = r0 + r
        pa = j // parcel
        pr = j - pa * parcel
        for c in range(nx):
            i = c0 + c
            pb = i // parcel
            pc = i - pb * parcel
            code = grass
            if forest[r, c] > forest_threshold:
                code = forest_code
            la = pa - pa0
            lb = pb - pb0
            if active[la, lb]:
                m = margins[la, lb]
                if m[0] <= pr < parcel - m[1] and m[2] <= pc < parcel - m[3]:
                    if m[4] == 1 and half - 1 <= pr <= half:
                        pass
                    elif m[4] == 2 and half - 1 <= pc <= half:
                        pass
                    else:
                        code = crop_code
            out[r, c] = code


@numba.njit(**_JIT)
def paint_thick_segments(out, segs, r0, c0, code):
    """Paint every pixel whose centre lies within ``hw`` of a segment (x0, y0, x1, y1, hw)."""
    ny, nx = out.shape
    for s in range(segs.shape[0]):
        x0 = segs[s, 0]
        y0 = segs[s, 1]
        x1 = segs[s, 2]
        y1 = segs[s, 3]
        hw = segs[s, 4]
        hw2 = hw * hw
        jlo, jhi, ilo, ihi = _clip(
            int(np.floor(min(x0, x1) - hw)), int(np.floor(min(y0, y1) - hw)),
            int(np.ceil(max(x0, x1) + hw)), int(np.ceil(max(y0, y1) + hw)), r0, c0, ny, nx,
        )
        if jlo > jhi or ilo > ihi:
            continue
        dx = x1 - x0
        dy = y1 - y0
        len2 = dx * dx + dy * dy
        for j in range(jlo, jhi + 1):
            py = j - y0
            for i in range(ilo, ihi + 1):
                px = i - x0
                t = 0.0
                if len2 > 0.0:
                    t = (px * dx + py * dy) / len2
                    if t < 0.0:
                        t = 0.0
                    elif t > 1.0:
                        t = 1.0
                ex = px - t * dx
                ey = py - t * dy
                if ex * ex + ey * ey <= hw2:
                    out[j - r0, i - c0] = code


@numba.njit(**_JIT)
def paint_thin_segments(out, segs, r0, c0, code):
    """Paint 1-pixel, 8-connected digital lines between integer end points (x0, y0, x1, y1).

    Along the major axis every step sets one pixel, rounded half up with exact integer
    arithmetic: diagonal steps touch only at corners, so these lines are connected under
    8-connectivity and broken under 4-connectivity.
    """
    ny, nx = out.shape
    r1 = r0 + ny
    c1 = c0 + nx
    for s in range(segs.shape[0]):
        x0 = segs[s, 0]
        y0 = segs[s, 1]
        x1 = segs[s, 2]
        y1 = segs[s, 3]
        if abs(x1 - x0) >= abs(y1 - y0):
            if x1 < x0:
                x0, y0, x1, y1 = x1, y1, x0, y0
            dx = x1 - x0
            dy = y1 - y0
            for i in range(max(x0, c0), min(x1, c1 - 1) + 1):
                j = y0
                if dx > 0:
                    j = (2 * (y0 * dx + (i - x0) * dy) + dx) // (2 * dx)
                if r0 <= j < r1:
                    out[j - r0, i - c0] = code
        else:
            if y1 < y0:
                x0, y0, x1, y1 = x1, y1, x0, y0
            dx = x1 - x0
            dy = y1 - y0
            for j in range(max(y0, r0), min(y1, r1 - 1) + 1):
                i = (2 * (x0 * dy + (j - y0) * dx) + dy) // (2 * dy)
                if c0 <= i < c1:
                    out[j - r0, i - c0] = code


@numba.njit(**_JIT)
def paint_rectangles(out, rects, r0, c0, code, keep_code):
    """Paint inclusive pixel rectangles (x0, y0, x1, y1), leaving pixels of ``keep_code``."""
    ny, nx = out.shape
    for s in range(rects.shape[0]):
        jlo, jhi, ilo, ihi = _clip(
            rects[s, 0], rects[s, 1], rects[s, 2], rects[s, 3], r0, c0, ny, nx
        )
        for j in range(jlo, jhi + 1):
            for i in range(ilo, ihi + 1):
                if out[j - r0, i - c0] != keep_code:
                    out[j - r0, i - c0] = code


@numba.njit(**_JIT)
def paint_metaballs(out, bboxes, starts, circles, r0, c0, code):
    """Paint blobs: pixels where sum((r_k / d_k)^4) over a blob's circles is at least 1.

    ``bboxes[n]`` is blob n's inclusive pixel box (x0, y0, x1, y1); its circles are rows
    ``starts[n]:starts[n + 1]`` of ``circles`` (cx, cy, r²).
    """
    ny, nx = out.shape
    for n in range(bboxes.shape[0]):
        jlo, jhi, ilo, ihi = _clip(
            bboxes[n, 0], bboxes[n, 1], bboxes[n, 2], bboxes[n, 3], r0, c0, ny, nx
        )
        for j in range(jlo, jhi + 1):
            for i in range(ilo, ihi + 1):
                field = 0.0
                for k in range(starts[n], starts[n + 1]):
                    ex = i - circles[k, 0]
                    ey = j - circles[k, 1]
                    d2 = ex * ex + ey * ey
                    if d2 <= circles[k, 2]:
                        field = 1.0
                        break
                    q = circles[k, 2] / d2
                    field += q * q
                if field >= 1.0:
                    out[j - r0, i - c0] = code


@numba.njit(**_JIT)
def _pixel_hash(row_key, i):
    return _mix(row_key ^ _mix(np.uint64(i) + _GOLDEN))


@numba.njit(**_JIT)
def row_keys(stream_key, r0, ny):
    """One 64-bit key per pixel row j in [r0, r0 + ny) of a stream."""
    keys = np.empty(ny, dtype=np.uint64)
    for r in range(ny):
        keys[r] = _mix(stream_key ^ _mix(np.uint64(r0 + r) + _GOLDEN))
    return keys


@numba.njit(**_JIT)
def render_optical(out, lc, means, bare, green, greenness, pa0, pb0, parcel, r0, c0,
                   crop_code, stream_key, gauss, rel_sigma):
    """Reflectance per band: class mean times (1 + rel_sigma * N(0, 1)), clipped to [0, 1].

    Cropland mixes ``bare`` and ``green`` spectra by the parcel's greenness. The normal
    deviates come from table ``gauss`` indexed by 16-bit slices of per-pixel hashes.
    """
    nband = out.shape[0]
    ny, nx = lc.shape
    keys = row_keys(stream_key, r0, ny)
    for r in range(ny):
        j = r0 + r
        la = j // parcel - pa0
        for c in range(nx):
            i = c0 + c
            h = _pixel_hash(keys[r], i)
            h2 = _mix(h ^ _GOLDEN)
            code = lc[r, c]
            g = np.float32(0.0)
            if code == crop_code:
                g = greenness[la, i // parcel - pb0]
            for b in range(nband):
                if b < 4:
                    idx = (h >> np.uint64(16 * b)) & _LOW16
                else:
                    idx = (h2 >> np.uint64(16 * (b - 4))) & _LOW16
                mean = means[code, b]
                if code == crop_code:
                    mean = bare[b] + (green[b] - bare[b]) * g
                v = mean * (np.float32(1.0) + rel_sigma * gauss[idx])
                if v < np.float32(0.0):
                    v = np.float32(0.0)
                elif v > np.float32(1.0):
                    v = np.float32(1.0)
                out[b, r, c] = v


@numba.njit(**_JIT)
def render_sar(out, lc, means, greenness, pa0, pb0, parcel, r0, c0, crop_code, crop_vh_range,
               stream_key, speckle):
    """Backscatter in dB per polarization: class mean plus speckle looked up in ``speckle``.

    Cropland VH rises with the parcel's greenness by up to ``crop_vh_range`` dB.
    """
    ny, nx = lc.shape
    keys = row_keys(stream_key, r0, ny)
    for r in range(ny):
        j = r0 + r
        la = j // parcel - pa0
        for c in range(nx):
            i = c0 + c
            h = _pixel_hash(keys[r], i)
            code = lc[r, c]
            vv = means[code, 0]
            vh = means[code, 1]
            if code == crop_code:
                g = greenness[la, i // parcel - pb0]
                vh = vh + crop_vh_range * (g - np.float32(0.5))
            out[0, r, c] = vv + speckle[h & _LOW16]
            out[1, r, c] = vh + speckle[(h >> _S16) & _LOW16]
