"""Numba kernels of the exact, separable Euclidean distance transform on one tile.

They work on plain arrays (``uint8`` codes, ``int64`` global row and column indices, ``float64``
squared distances in m²), never on xarray objects, and release the GIL so dask's threaded
scheduler runs tiles side by side. The orchestration across tiles lives in
:mod:`geoquant.ops._distance`; its module docstring explains the algorithm.

Vocabulary
----------
``f``
    Squared vertical distance (m²) from a pixel to the nearest object pixel of its column,
    anywhere in the raster: ``(dy * rows)**2``, ``inf`` when the column holds no object pixel.
    Each column of a row is a *site*: a parabola ``x -> (dx * (x - site))**2 + f[site]``.
``dx``
    Pixel width (m) per row, a float64 array over the tile's rows: constant on projected
    grids; on geographic grids the width of the row's pixels at its own latitude (the local
    metric of :mod:`geoquant.ops._geodesy`). The row pass of row ``r`` only ever uses
    ``dx[r]``, so the transform stays exact and separable for that metric.
sites
    Per-row lists of sites in compressed sparse row form: ``offsets`` (``rows + 1``, int64),
    ``pos`` (global column, int64, increasing within a row) and ``val`` (``f``, float64). A
    list is kept *restricted to a column range*: it holds exactly the sites that give the
    minimum at some integer column of that range, so it is as short as it can be.

Dense rows (noise, the inside of large objects) first go through a near pass on the CPU
(:func:`_near_pass`): a pixel whose nearest site provably lies within a few columns is finished
there, and only the rest go to the envelope, built without the sites that can be lowest only on
their own, finished, column (:func:`_far_pass`). Both evaluate the same ``f + t * t`` as the
envelope, so the floats are the same.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

OBJECT, EXCLUDED = 1, 2

NO_ROW_ABOVE = -(2**62)
"""Sentinel global row: no object pixel above (used for the nearest object row above)."""

NO_ROW_BELOW = 2**62
"""Sentinel global row: no object pixel below."""

_FAR = 2.0**61  # row distances at or beyond this come from a sentinel: no object in the column
_BLOCK = 16  # rows per block of the column pass in distance_tile (16 x 2048 x 8 B = 256 KiB)
_NEAR_REACH = 4  # columns each side the near pass looks at before leaving a pixel to the envelope
_NEAR_TRIES = 1  # distance_tile: after a row the near pass left mostly unresolved, ...
_NEAR_RETRY = 32  # ... it tries again only on rows ``r % _NEAR_RETRY == 0``


def row_widths(dx, rows: int) -> np.ndarray:
    """``dx`` as the float64 array of per-row pixel widths the kernels read (m): a scalar is
    repeated over ``rows``, an array is made contiguous float64."""
    if np.ndim(dx) == 0:
        return np.full(rows, float(dx))
    widths = np.ascontiguousarray(dx, np.float64)
    if widths.shape != (rows,):
        raise ValueError(f"dx holds {widths.shape} widths for a tile of {rows} rows")
    return widths


# -- column pass ----------------------------------------------------------------------------------
@njit(cache=True, nogil=True, error_model="numpy")
def column_extremes(codes, row0):
    """First and last object row of every column of a tile, as global row indices.

    Returns an ``int64`` array ``(2, cols)``: row 0 the first object row (:data:`NO_ROW_BELOW`
    when none), row 1 the last (:data:`NO_ROW_ABOVE` when none).
    """
    h, w = codes.shape
    out = np.empty((2, w), np.int64)
    first = out[0]
    last = out[1]
    first[:] = NO_ROW_BELOW
    last[:] = NO_ROW_ABOVE
    for r in range(h):
        _track(codes[r], row0 + r, last)
    for r in range(h - 1, -1, -1):
        _track(codes[r], row0 + r, first)
    return out


# The column sweeps, one row at a time; every kernel below builds its column pass from them.
@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _track(codes_row, g, near):
    """Set ``near[c]`` to row ``g`` in every column where this row holds an object pixel."""
    for c in range(near.shape[0]):
        near[c] = g if codes_row[c] == OBJECT else near[c]


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _rows_up(codes_row, g, near, up_row):
    """Sweeping down: :func:`_track`, then the rows from ``g`` up to the nearest object."""
    for c in range(near.shape[0]):
        near[c] = g if codes_row[c] == OBJECT else near[c]
        up_row[c] = g - near[c]


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _vertical_row(codes_row, g, near_below, up_row, dy, f_row):
    """Sweeping up: :func:`_track` ``near_below``, then ``f`` of the row from ``up_row``.

    ``f_row`` may be ``up_row`` itself (each column is read before it is written).
    """
    for c in range(near_below.shape[0]):
        near_below[c] = g if codes_row[c] == OBJECT else near_below[c]
        f_row[c] = _squared_rows(up_row[c], near_below[c] - g, dy)


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _squared_rows(up, down, dy):
    """``f`` of one pixel (m²) from the rows up and down to the nearest object of its column.

    Shared with the GPU (:mod:`~geoquant.ops.kernels._targets`): no ``min`` builtin.
    """
    d = up if up <= down else down
    t = dy * d
    return t * t if d < _FAR else np.inf


@njit(cache=True, nogil=True, error_model="numpy")
def vertical_squared(codes, row0, above, below, dy, out):
    """Fill ``out`` with ``f``: squared vertical distance (m²) to the nearest object per column.

    ``above[c]`` / ``below[c]`` are the global rows of the nearest object pixels of column ``c``
    above and below the tile (or the sentinels), so ``f`` is global, not tile-local.
    """
    h = codes.shape[0]
    # Rows as float64 (exact below 2**53) keep both sweeps in one type, so they vectorise.
    near = above.astype(np.float64)
    for r in range(h):
        _rows_up(codes[r], np.float64(row0 + r), near, out[r])
    near[:] = below
    for r in range(h - 1, -1, -1):
        _vertical_row(codes[r], np.float64(row0 + r), near, out[r], dy, out[r])


# -- row pass: lower envelope of parabolas (Felzenszwalb & Huttenlocher) --------------------------
@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _push(v, fv, z, k, q, fq, half_inv_dx2):
    """Add site ``q`` (value ``fq``) right of every site on the stack; returns the new size.

    Positions are float64 columns (exact for integers below 2**53) relative to any origin.
    Written for both targets: :mod:`~geoquant.ops.kernels.cuda_edt` compiles the same
    function as a CUDA device function (so NumPy only for constants and scalar casts).
    """
    s = -np.inf
    while k > 0:
        p = v[k - 1]
        s = 0.5 * (q + p) + (fq - fv[k - 1]) * half_inv_dx2 / (q - p)
        if s > z[k - 1]:
            break
        k -= 1  # site p is nowhere strictly lowest
        s = -np.inf
    v[k] = q
    fv[k] = fq
    z[k] = s
    return k + 1


@njit(cache=True, nogil=True, error_model="numpy")
def _restrict(v, fv, z, n, origin, lo, hi, pos, val, m):
    """Append to ``pos/val`` from index ``m`` the sites lowest at some integer of ``[lo, hi]``.

    ``v`` holds positions relative to ``origin``; ``lo``, ``hi`` and ``pos`` are global.
    ``z[k]`` is where site ``k`` starts being lowest; the envelope uses site ``k`` at ``x`` when
    ``z[k] <= x < z[k + 1]``. Returns the new length. Compiled for CUDA too (see :func:`_push`);
    ``z[k]`` of an inner site lies in ``(lo, hi]``, so ``math.ceil`` of it is a safe integer.
    """
    if n == 0 or lo > hi:
        return m
    lo_f = np.float64(lo - origin)
    hi_f = np.float64(hi - origin)
    first = 0
    while first + 1 < n and z[first + 1] <= lo_f:
        first += 1
    last = n - 1
    while last > first and z[last] > hi_f:
        last -= 1
    for k in range(first, last + 1):
        if first < k < last and math.ceil(z[k]) >= z[k + 1]:
            continue  # lowest on no integer column
        pos[m] = np.int64(v[k]) + origin
        val[m] = fv[k]
        m += 1
    return m


@njit(cache=True, nogil=True, error_model="numpy")
def _grow(a, need):
    """``a`` itself when it holds ``need`` items, else a copy at least twice as long."""
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, 2 * a.shape[0]), a.dtype)
    b[: a.shape[0]] = a
    return b


@njit(cache=True, nogil=True, error_model="numpy")
def border_sites(codes, row0, col0, ncols_total, above, below, dx, dy):
    """Sites of a tile that matter beyond its left and right edges, per row.

    Parameters
    ----------
    codes : uint8 array (rows, cols)
        The tile's codes.
    row0, col0 : int
        Global row and column of the tile's first pixel.
    ncols_total : int
        Columns of the whole raster.
    above, below : int64 arrays (cols,)
        Nearest object rows above and below the tile (see :func:`vertical_squared`).
    dx : float64 array (rows,)
        Pixel width of each row, m.
    dy : float
        Pixel height, m.

    Returns
    -------
    tuple
        ``(offsets, pos, val)`` restricted to columns ``[0, col0 - 1]`` (what the tile offers
        to tiles on its left), then the same restricted to ``[col0 + cols, ncols_total - 1]``
        (what it offers to tiles on its right).
    """
    lo, lp, lv = _side_sites(codes, row0, col0, ncols_total, above, below, dx, dy, True)
    ro, rp, rv = _side_sites(codes, row0, col0, ncols_total, above, below, dx, dy, False)
    return lo, lp, lv, ro, rp, rv


@njit(cache=True, nogil=True, error_model="numpy")
def _side_sites(codes, row0, col0, ncols_total, above, below, dx, dy, leftwards):
    """Sites of a tile lowest somewhere beyond one of its edges (see :func:`border_sites`).

    Seen from beyond an edge, a site loses ground against every site nearer that edge, so a
    scan from the edge inwards keeps a site only when it beats all earlier ones at the edge
    pixel, and stops once the horizontal distance alone exceeds the best value there. The
    scan usually stops within a few columns, so ``f`` is computed for a band of columns along
    the edge, widened (4x) only while some row's scan runs through it.
    """
    h, w = codes.shape
    offsets = np.zeros(h + 1, np.int64)
    if (leftwards and col0 == 0) or (not leftwards and col0 + w >= ncols_total):
        return offsets, np.empty(0, np.int64), np.empty(0, np.float64)
    edge = col0 - 1 if leftwards else col0 + w
    lo = 0 if leftwards else col0 + w
    hi = col0 - 1 if leftwards else ncols_total - 1
    v = np.empty(w, np.float64)
    fv = np.empty(w, np.float64)
    z = np.empty(w, np.float64)
    cand_pos = np.empty(w, np.int64)
    cand_val = np.empty(w, np.float64)
    band = min(w, 32)
    while True:
        c_start = 0 if leftwards else w - band
        f = np.empty((h, band), np.float64)
        vertical_squared(codes[:, c_start:c_start + band], row0,
                         above[c_start:c_start + band], below[c_start:c_start + band], dy, f)
        pos = np.empty(max(h, 16), np.int64)
        val = np.empty(max(h, 16), np.float64)
        m = 0
        complete = True
        for r in range(h):
            nc, stopped = _edge_candidates(f[r], col0 + c_start, edge, dx[r], leftwards,
                                           cand_pos, cand_val)
            if not stopped and band < w:
                complete = False
                break
            pos = _grow(pos, m + nc)
            val = _grow(val, m + nc)
            m = _sites_of_candidates(cand_pos, cand_val, nc, leftwards, col0, lo, hi,
                                     0.5 / (dx[r] * dx[r]), v, fv, z, pos, val, m)
            offsets[r + 1] = m
        if complete:
            return offsets, pos[:m].copy(), val[:m].copy()
        band = min(w, 4 * band)


@njit(cache=True, nogil=True, error_model="numpy")
def _edge_candidates(f_row, x0, edge, dx, leftwards, cand_pos, cand_val):
    """Scan a row's sites from one edge inwards, keeping those that beat all earlier ones there.

    ``f_row`` holds ``f`` of columns ``x0, x0 + 1, ...`` (global); ``edge`` is the global
    column just beyond the scanned side. Returns ``(count, stopped)``: the candidates written
    to ``cand_pos``/``cand_val`` (``-1`` when they outgrow those arrays) and whether the scan
    stopped early because the horizontal distance alone exceeded the best value at the edge
    (else every column of ``f_row`` was looked at). Shared with the GPU.
    """
    w = f_row.shape[0]
    room = cand_pos.shape[0]
    best = np.inf
    nc = 0
    for i in range(w):
        c = i if leftwards else w - 1 - i
        x = x0 + c
        t = dx * np.float64(x - edge)
        t = t * t
        if t >= best:
            return nc, True
        fc = f_row[c]
        if t + fc < best:
            if nc == room:
                return -1, False
            best = t + fc
            cand_pos[nc] = x
            cand_val[nc] = fc
            nc += 1
    return nc, False


@njit(cache=True, nogil=True, error_model="numpy")
def _sites_of_candidates(cand_pos, cand_val, nc, leftwards, col0, lo, hi, half_inv_dx2,
                         v, fv, z, pos, val, m):
    """The envelope of ``nc`` edge candidates, restricted to ``[lo, hi]`` and appended to
    ``pos/val`` from index ``m``; returns the new length. Shared with the GPU."""
    n = 0
    for i in range(nc):
        j = i if leftwards else nc - 1 - i  # sites enter the envelope left to right
        n = _push(v, fv, z, n, np.float64(cand_pos[j] - col0), cand_val[j], half_inv_dx2)
    return _restrict(v, fv, z, n, col0, lo, hi, pos, val, m)


@njit(cache=True, nogil=True, error_model="numpy")
def merge_sites(off_a, pos_a, val_a, off_b, pos_b, val_b, lo, hi, dx):
    """Per row, the envelope of sites ``a`` then ``b`` (all of ``a`` left of ``b``) on ``[lo, hi]``.

    ``dx`` is the pixel width of each row (float64 array, m). Returns ``(offsets, pos, val)``.
    """
    h = off_a.shape[0] - 1
    width = 1
    for r in range(h):
        width = max(width, off_a[r + 1] - off_a[r] + off_b[r + 1] - off_b[r])
    v = np.empty(width, np.float64)
    fv = np.empty(width, np.float64)
    z = np.empty(width, np.float64)
    offsets = np.zeros(h + 1, np.int64)
    cap = max(16, pos_a.shape[0] + pos_b.shape[0])
    pos = np.empty(cap, np.int64)
    val = np.empty(cap, np.float64)
    m = 0
    for r in range(h):
        n = 0
        half_inv_dx2 = 0.5 / (dx[r] * dx[r])
        for i in range(off_a[r], off_a[r + 1]):
            n = _push(v, fv, z, n, np.float64(pos_a[i] - lo), val_a[i], half_inv_dx2)
        for i in range(off_b[r], off_b[r + 1]):
            n = _push(v, fv, z, n, np.float64(pos_b[i] - lo), val_b[i], half_inv_dx2)
        m = _restrict(v, fv, z, n, lo, lo, hi, pos, val, m)
        offsets[r + 1] = m
    return offsets, pos[:m].copy(), val[:m].copy()


@njit(cache=True, nogil=True, error_model="numpy")
def distance_tile(codes, row0, col0, above, below, dx, dy, off_l, pos_l, val_l,
                  off_r, pos_r, val_r, excluded_nan, row_lo, row_hi, out):
    """Exact distances (m) of one tile, from its codes and what lies beyond it.

    Parameters
    ----------
    codes : uint8 array (rows, cols)
        The tile's codes.
    row0, col0 : int
        Global row and column of the tile's first pixel.
    above, below : int64 arrays (cols,)
        Nearest object rows above and below the tile (see :func:`vertical_squared`).
    dx : float64 array (rows,)
        Pixel width of each row, m.
    dy : float
        Pixel height, m.
    off_l, pos_l, val_l, off_r, pos_r, val_r : arrays
        Sites left of the tile restricted to the columns from its left edge on, and sites
        right of it restricted to the columns up to its right edge (see module docstring).
    excluded_nan : bool
        Write NaN on excluded pixels.
    row_lo, row_hi : int
        Tile rows to compute, ``[row_lo, row_hi)``; calls on disjoint ranges may run at once.
    out : float64 array (rows, cols)
        Receives the distances in metres in rows ``row_lo:row_hi``; ``inf`` where no object
        pixel exists in the whole raster. (Allocated by the caller: NumPy reuses large
        blocks, numba's allocator maps fresh pages every time.)
    """
    h, w = codes.shape
    # The column pass runs in blocks of _BLOCK rows, bottom-up, so that its intermediate
    # stays in cache and ``out`` is written once: a first sweep keeps the nearest object row
    # above each block; per block, a forward sweep fills ``up`` (rows to the nearest object at
    # or above), then a backward sweep finishes ``f`` row by row and runs the row pass on it.
    nblocks = (row_hi - row_lo + _BLOCK - 1) // _BLOCK
    near_above = np.empty((max(nblocks, 1), w), np.float64)
    near = above.astype(np.float64)
    for r in range(row_hi):
        if r >= row_lo and (r - row_lo) % _BLOCK == 0:
            near_above[(r - row_lo) // _BLOCK] = near
        _track(codes[r], np.float64(row0 + r), near)
    up = np.empty((_BLOCK, w), np.float64)
    near_below = below.astype(np.float64)
    for r in range(h - 1, row_hi - 1, -1):
        _track(codes[r], np.float64(row0 + r), near_below)
    f = np.empty(w, np.float64)
    width = w + 1
    for r in range(h):
        width = max(width, w + 1 + off_l[r + 1] - off_l[r] + off_r[r + 1] - off_r[r])
    v = np.empty(width, np.float64)
    fv = np.empty(width, np.float64)
    z = np.empty(width, np.float64)
    tried = 0  # 0: try the near pass on the next row; _NEAR_TRIES: only every _NEAR_RETRY rows
    for b in range(nblocks - 1, -1, -1):
        r_start = row_lo + b * _BLOCK
        r_stop = min(row_hi, r_start + _BLOCK)
        near[:] = near_above[b]
        for r in range(r_start, r_stop):
            _rows_up(codes[r], np.float64(row0 + r), near, up[r - r_start])
        for r in range(r_stop - 1, r_start - 1, -1):
            _vertical_row(codes[r], np.float64(row0 + r), near_below, up[r - r_start], dy, f)
            out_row = out[r]
            half_inv_dx2 = 0.5 / (dx[r] * dx[r])
            if tried < _NEAR_TRIES or r % _NEAR_RETRY == 0:
                missing = _near_pass(f, dx[r], off_l[r + 1] > off_l[r],
                                     off_r[r + 1] > off_r[r], out_row)
                # rows alike keep trying: on far-reaching rows (sparse sites) the attempt
                # costs _NEAR_REACH steps a pixel for nothing, so it stops after one miss
                tried = 0 if missing * 4 <= w else _NEAR_TRIES
                if tried:  # mostly far: the plain envelope's branch-free write is cheaper
                    _row_pass(f, col0, dx[r], half_inv_dx2, off_l[r], off_l[r + 1], pos_l,
                              val_l, off_r[r], off_r[r + 1], pos_r, val_r, v, fv, z, out_row)
                elif missing:
                    _far_pass(f, col0, dx[r], half_inv_dx2, off_l[r], off_l[r + 1], pos_l, val_l,
                              off_r[r], off_r[r + 1], pos_r, val_r, v, fv, z, out_row)
            else:
                _row_pass(f, col0, dx[r], half_inv_dx2, off_l[r], off_l[r + 1], pos_l,
                          val_l, off_r[r], off_r[r + 1], pos_r, val_r, v, fv, z, out_row)
            if excluded_nan:
                _nan_where_excluded(codes[r], out_row)


@njit(cache=True, nogil=True, error_model="numpy")
def _row_pass(f, col0, dx, half_inv_dx2, l_start, l_stop, pos_l, val_l, r_start, r_stop,
              pos_r, val_r, v, fv, z, out_row):
    """Distances of one row: the envelope of left carry, the row's own sites and right carry.

    Shared with the GPU (one thread per row): ``math`` functions, no ``max`` builtin.
    """
    w = f.shape[0]
    # sites: left carry, the row itself, right carry; positions relative to col0
    n = 0
    for i in range(l_start, l_stop):
        n = _push(v, fv, z, n, np.float64(pos_l[i] - col0), val_l[i], half_inv_dx2)
    for c in range(w):
        if f[c] < np.inf:  # a column without object pixels is no site
            n = _push(v, fv, z, n, np.float64(c), f[c], half_inv_dx2)
    for i in range(r_start, r_stop):
        n = _push(v, fv, z, n, np.float64(pos_r[i] - col0), val_r[i], half_inv_dx2)
    if n == 0:
        for c in range(w):
            out_row[c] = np.inf
    # Site k serves the columns x with z[k] <= x < z[k + 1]: a run per site, so the
    # inner loop has no branch and vectorises.
    c = 0
    for k in range(n):
        if k + 1 == n:
            stop = w
        else:
            zk = z[k + 1]
            stop = w if zk >= w else (0 if zk <= 0.0 else math.ceil(zk))
        vk = v[k]
        fk = fv[k]
        for x in range(c, stop):
            t = dx * (np.float64(x) - vk)
            # (dy*rows)² + (dx*cols)², summed in the order scipy.ndimage sums them
            out_row[x] = math.sqrt(fk + t * t)
        c = c if c > stop else stop


@njit(cache=True, nogil=True, error_model="numpy")
def _near_pass(f, dx, left_carry, right_carry, out_row):
    """Distances of the pixels of one row whose nearest site lies within a few columns.

    Pixel ``x`` looks at the sites ``x - k`` and ``x + k`` for ``k = 1, 2, ...`` and stops as
    soon as ``(dx * k)**2`` reaches the best value found: every site farther away is at least
    that high there, so the minimum is exact (the same ``f + t * t`` the envelope of
    :func:`_row_pass` evaluates, so the same float). Dense masks (noise, the inside of large
    objects) resolve almost every pixel within a step or two, without the envelope's division
    per site. A pixel still open after :data:`_NEAR_REACH` steps, or whose search reaches a
    tile edge beyond which carried sites lie (``left_carry``, ``right_carry``), gets -1 for
    :func:`_far_pass`. Returns the number of such pixels.
    """
    w = f.shape[0]
    near = dx * np.float64(1)
    near = near * near
    for x in range(w):  # no other site beats f[x] <= dx**2: one vectorised sweep
        fx = f[x]
        out_row[x] = math.sqrt(fx) if fx <= near else -1.0
    missing = 0
    for x in range(w):
        if out_row[x] >= 0.0:
            continue
        best = f[x]
        done = False
        for k in range(1, _NEAR_REACH + 2):
            t = dx * np.float64(k)
            t = t * t
            if t >= best:
                done = True
                break
            if k > _NEAR_REACH:
                break
            left = x >= k
            right = x + k < w
            if (not left and left_carry) or (not right and right_carry):
                break
            if not left and not right:  # every site of the row seen, and none beyond it
                done = True
                break
            if left:
                value = f[x - k] + t
                best = value if value < best else best
            if right:
                value = f[x + k] + t
                best = value if value < best else best
        if done:
            out_row[x] = math.sqrt(best)
        else:
            out_row[x] = -1.0
            missing += 1
    return missing


@njit(cache=True, nogil=True, error_model="numpy")
def _far_pass(f, col0, dx, half_inv_dx2, l_start, l_stop, pos_l, val_l, r_start, r_stop, pos_r,
              val_r, v, fv, z, out_row):
    """:func:`_row_pass` for the pixels :func:`_near_pass` left (-1), over fewer sites.

    A site no higher than a neighbour's (``f[c] >= f[c - 1]`` and ``f[c] >= f[c + 1]``) is
    strictly above that neighbour's parabola at every other column (by at least ``dx**2``),
    so it can be lowest only on its own column; where the near pass resolved that column the
    site is left out of the envelope (the inside of an object: every site but its rim).
    """
    w = f.shape[0]
    n = 0
    for i in range(l_start, l_stop):
        n = _push(v, fv, z, n, np.float64(pos_l[i] - col0), val_l[i], half_inv_dx2)
    for c in range(w):
        fc = f[c]
        if fc < np.inf:
            if (out_row[c] >= 0.0 and (c == 0 or fc >= f[c - 1])
                    and (c == w - 1 or fc >= f[c + 1])):
                continue
            n = _push(v, fv, z, n, np.float64(c), fc, half_inv_dx2)
    for i in range(r_start, r_stop):
        n = _push(v, fv, z, n, np.float64(pos_r[i] - col0), val_r[i], half_inv_dx2)
    if n == 0:
        for c in range(w):
            if out_row[c] < 0.0:
                out_row[c] = np.inf
        return
    k = 0
    for x in range(w):
        if out_row[x] < 0.0:
            while k + 1 < n and z[k + 1] <= x:  # the site lowest at x, as in _row_pass
                k += 1
            t = dx * (np.float64(x) - v[k])
            out_row[x] = math.sqrt(fv[k] + t * t)


@njit(cache=True, nogil=True, error_model="numpy")
def _nan_where_excluded(codes_row, out_row):
    """NaN on the excluded pixels of one row. Shared with the GPU."""
    for c in range(out_row.shape[0]):
        if codes_row[c] == EXCLUDED:
            out_row[c] = np.nan
