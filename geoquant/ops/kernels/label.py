"""Connected-component labelling of one tile by runs, and the statistics of its parts.

The tile arrives with a one-pixel halo (``padded``, shape ``(h + 2, w + 2)``) of tile codes
(0 background, 1 object, 2 excluded, 3 outside the raster). Parts cover the core only; the
halo is read only to find perimeter faces, so a face between two tiles is seen from both
sides but belongs to exactly one object pixel.

The core is cut into runs (maximal horizontal stretches of object pixels). A run joins the
runs of the row above that overlap it (widened by one pixel on each side under
8-connectivity) through union-find. Unions keep the smaller run index as root and runs are
numbered in raster order, so parts come out numbered ``1..n`` in raster order of their first
pixel, the order ``scipy.ndimage.label`` uses. Work is per run, not per pixel, except for
the faces above and below and the auxiliary minima; the scan that finds the runs reads eight
codes at a time across uniform stretches.

Dense tiles (many short runs, such as noise: a fifth of a run per pixel) take another path to
the same runs and labels, :func:`dense_runs`, chosen by :func:`label_runs` from a sample of
the tile's rows: the object pixels are packed into bits, runs are read from 64-bit words with
bit tricks (no branch per pixel), and each pair of rows is linked through the runs of the
union of the two rows (see :func:`dense_runs`), so the union-find touches each run a bounded
number of times without a merge walk whose branches mispredict at every run end.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.cpython.unsafe.numbers import trailing_zeros
from numba.extending import intrinsic

BACKGROUND, OBJECT = 0, 1

DENSE_RUNS_PER_PIXEL = 1 / 128
"""Sampled run density from which :func:`label_runs` takes the bit-packed :func:`dense_runs`
(measured crossover on noise near 1/100 runs per pixel; the synthetic forest mask has 1/185)."""


@njit(cache=True, nogil=True)
def tile_runs(padded: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs of object pixels in the core of a padded tile.

    The scan reads eight codes at a time (one uint64 word) wherever a word cannot end or
    start a run: all object codes inside a run, no object code outside one. Only words that
    hold a run end, and the unaligned pixels at row ends, are read byte by byte, so uniform
    stretches (most of a mask) cost an eighth of a per-pixel scan.

    Parameters
    ----------
    padded : uint8 (h + 2, w + 2), C-contiguous
        Codes with halo.

    Returns
    -------
    row_ptr : int64 (h + 1,)
        Runs of core row ``r`` are ``row_ptr[r]:row_ptr[r + 1]``.
    starts, stops : int32 (n_runs,)
        Core columns ``[start, stop)`` of each run.
    """
    h = padded.shape[0] - 2
    w = padded.shape[1] - 2
    stride = w + 2
    flat = padded.reshape(-1)
    words = flat[:flat.shape[0] // 8 * 8].view(np.uint64)  # word k holds flat[8k:8k + 8]
    ones = np.uint64(0x0101010101010101)  # OBJECT in every byte
    highs = np.uint64(0x8080808080808080)
    zero = np.uint64(0)
    capacity = h * ((w + 1) // 2)  # the most runs a tile can hold; untouched memory is free
    starts = np.empty(capacity, np.int32)
    stops = np.empty(capacity, np.int32)
    row_ptr = np.empty(h + 1, np.int64)
    n = 0
    for r in range(h):
        row_ptr[r] = n
        base = (r + 1) * stride + 1  # flat index of core column 0
        end = base + w
        last_word = end >> 3  # words before it lie wholly before ``end``
        p = base
        inside = False
        while p < end:
            if (p & 7) == 0:
                k = p >> 3
                if inside:
                    while k < last_word and words[k] == ones:
                        k += 1
                else:
                    while k < last_word:
                        x = words[k] ^ ones  # a zero byte where a code is OBJECT
                        if ((x - ones) & ~x & highs) != zero:  # some byte of x is zero
                            break
                        k += 1
                p = k << 3
                if p >= end:
                    break
            here = flat[p] == OBJECT
            if here != inside:
                if here:
                    starts[n] = p - base
                else:
                    stops[n] = p - base
                    n += 1
                inside = here
            p += 1
        if inside:
            stops[n] = w
            n += 1
    row_ptr[h] = n
    return row_ptr, starts[:n].copy(), stops[:n].copy()


@intrinsic
def _popcount(typingctx, src):
    """Set bits of an integer (LLVM ``ctpop``: one instruction on x86-64 with POPCNT)."""
    if not isinstance(src, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return src(src), codegen



@njit(cache=True, nogil=True)
def _object_bits(padded: np.ndarray) -> np.ndarray:
    """Bit ``i`` (of word ``i >> 6``) set where flat code ``i`` of ``padded`` is OBJECT.

    Eight codes (one uint64 word) become one byte: with codes 0-3, ``b & ~(b >> 1) & 1`` is 1
    exactly for code 1, and a multiply gathers the eight low bits into the top byte. Two spare
    words at the end let :func:`_window` read past the last code.
    """
    flat = padded.reshape(-1)
    size = flat.shape[0]
    nw = size // 8
    words = flat[:nw * 8].view(np.uint64)
    out = np.zeros((size + 63) // 64 + 2, np.uint64)
    out_bytes = out.view(np.uint8)
    ones = np.uint64(0x0101010101010101)
    gather = np.uint64(0x0102040810204080)  # byte k's low bit lands on bit 56 + k
    for k in range(nw):
        x = words[k]
        out_bytes[k] = np.uint8(((x & ~(x >> np.uint64(1)) & ones) * gather) >> np.uint64(56))
    for i in range(nw * 8, size):
        if flat[i] == OBJECT:
            out_bytes[i >> 3] |= np.uint8(1 << (i & 7))
    return out


@njit(cache=True, nogil=True, inline="always")
def _window(bits: np.ndarray, p: int) -> np.uint64:
    """The 64 bits of ``bits`` from bit ``p`` on (bit 0 of the result is bit ``p``)."""
    k = p >> 6
    shift = np.uint64(p & 63)
    return (bits[k] >> shift) | ((bits[k + 1] << (np.uint64(63) - shift)) << np.uint64(1))


@njit(cache=True, nogil=True, inline="always")
def _through(t: int) -> np.uint64:
    """Bits ``0..t`` set (``0 <= t < 64``)."""
    return np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(63 - t)


@njit(cache=True, nogil=True)
def run_density(padded: np.ndarray) -> float:
    """Runs per pixel of the core of a padded tile, estimated from one row in 16."""
    h = padded.shape[0] - 2
    w = padded.shape[1] - 2
    runs = 0
    rows = 0
    for r in range(0, h, 16):
        row = padded[r + 1]
        rows += 1
        inside = False
        for c in range(1, w + 1):
            here = row[c] == OBJECT
            runs += here and not inside
            inside = here
    return runs / max(1, rows * w)


def label_runs(padded: np.ndarray, conn8: bool) -> tuple:
    """Runs and part labels of a padded tile: ``(row_ptr, starts, stops, run_label, n)`` as
    :func:`tile_runs` then :func:`link_runs` give them, by :func:`dense_runs` on tiles whose
    sampled run density reaches :data:`DENSE_RUNS_PER_PIXEL`."""
    if run_density(padded) >= DENSE_RUNS_PER_PIXEL:
        return dense_runs(padded, conn8)
    row_ptr, starts, stops = tile_runs(padded)
    run_label, n = link_runs(row_ptr, starts, stops, conn8)
    return row_ptr, starts, stops, run_label, n


@njit(cache=True, nogil=True)
def dense_runs(padded: np.ndarray, conn8: bool) -> tuple:
    """Runs and part labels of a padded tile, from its object pixels packed into bits.

    Returns ``(row_ptr, starts, stops, run_label, n)``, identical to :func:`tile_runs` then
    :func:`link_runs`.

    Rows are linked in pairs through *groups*: the runs of ``above | here`` (the two rows'
    bits or-ed). Under 8-connectivity two runs of adjacent rows touch exactly when their
    column ranges overlap or meet end to start, which is when they lie in one group; within a
    group consecutive runs of a row are bridged by a run of the other row, so all runs of a
    group are connected, and runs of different groups are not adjacent. Under 4-connectivity
    runs must overlap: a group is also cut where a run of one row ends and one of the other
    row starts at the next column with no overlap, and the same holds. So per pair of rows:
    the runs above in one group are united (they are consecutive), and each run here takes
    its group's root, or starts a part when its group holds no run above. A run's group is
    the number of group starts up to its first column (a popcount of the word). Roots are
    the smallest run index of their part, as in :func:`link_runs`.
    """
    h = padded.shape[0] - 2
    w = padded.shape[1] - 2
    stride = w + 2
    bits = _object_bits(padded)
    one = np.uint64(1)
    zero = np.uint64(0)
    last = np.uint64(63)
    row_ptr = np.empty(h + 1, np.int64)
    n = 0
    for r in range(h):  # first pass: runs per row, from the run starts of each word
        row_ptr[r] = n
        base = (r + 1) * stride + 1
        carry = zero
        for c in range(0, w, 64):
            x = _window(bits, base + c)
            if w - c < 64:
                x &= (one << np.uint64(w - c)) - one
            n += _popcount(x & ~((x << one) | carry))
            carry = x >> last
    row_ptr[h] = n
    starts = np.empty(n, np.int32)
    stops = np.empty(n, np.int32)
    parent = np.empty(n, np.int32)
    group_here = np.empty(w + 1, np.int32)  # group of each run of this row
    group_above = np.empty(w + 1, np.int32)  # group of each run of the row above
    group_root = np.empty(w + 1, np.int32)  # a run above of each group (-1: none)
    for r in range(h):
        base = (r + 1) * stride + 1
        carry_x = zero
        carry_a = zero
        i = row_ptr[r]
        j = i
        k_above = 0
        groups = 0
        for c in range(0, w, 64):
            x = _window(bits, base + c)
            a = _window(bits, base - stride + c) if r > 0 else zero
            if w - c < 64:
                valid = (one << np.uint64(w - c)) - one
                x &= valid
                a &= valid
            xs = (x << one) | carry_x  # bit c: pixel c - 1
            as_ = (a << one) | carry_a
            carry_x = x >> last
            carry_a = a >> last
            run_starts = x & ~xs
            run_stops = ~x & xs
            group_starts = (x | a) & ~(xs | as_)
            if not conn8:
                group_starts |= (xs & ~as_ & a & ~x) | (as_ & ~xs & x & ~a)
            above_starts = a & ~as_
            while run_starts != zero:
                t = trailing_zeros(run_starts)
                starts[i] = c + t
                group_here[i - row_ptr[r]] = groups + _popcount(group_starts & _through(t)) - 1
                i += 1
                run_starts &= run_starts - one
            while above_starts != zero:
                t = trailing_zeros(above_starts)
                group_above[k_above] = groups + _popcount(group_starts & _through(t)) - 1
                k_above += 1
                above_starts &= above_starts - one
            while run_stops != zero:
                stops[j] = c + trailing_zeros(run_stops)
                j += 1
                run_stops &= run_stops - one
            groups += _popcount(group_starts)
        if j < i:
            stops[j] = w
        group_root[:groups] = -1
        first_above = row_ptr[r - 1] if r > 0 else 0
        group = -1
        root = -1
        for k in range(k_above):  # unite the runs above that share a group
            g = group_above[k]
            other = _find(parent, first_above + k)
            if g != group:
                group = g
                root = other
            elif other < root:
                parent[root] = other
                root = other
            elif root < other:
                parent[other] = root
            group_root[g] = root
        first = row_ptr[r]
        for k in range(row_ptr[r + 1] - first):
            above = group_root[group_here[k]]
            parent[first + k] = above if above >= 0 else first + k
    # parent[i] < i lies in i's part, and roots are the parts' first runs: one raster pass
    run_label = np.empty(n, np.int32)
    count = 0
    for i in range(n):
        up = parent[i]
        if up == i:
            count += 1
            run_label[i] = count
        else:
            run_label[i] = run_label[up]
    return row_ptr, starts, stops, run_label, count


@njit(cache=True, nogil=True)
def _find(parent: np.ndarray, x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        up = parent[x]
        parent[x] = root
        x = up
    return root


@njit(cache=True, nogil=True)
def link_runs(row_ptr: np.ndarray, starts: np.ndarray, stops: np.ndarray,
              conn8: bool) -> tuple[np.ndarray, int]:
    """Part label ``1..n`` of every run, in raster order of each part's first pixel."""
    n_runs = starts.shape[0]
    parent = np.arange(n_runs, dtype=np.int32)
    reach = 1 if conn8 else 0
    h = row_ptr.shape[0] - 1
    for r in range(1, h):
        j = row_ptr[r - 1]
        j_end = row_ptr[r]
        for i in range(row_ptr[r], row_ptr[r + 1]):
            lo = starts[i] - reach
            hi = stops[i] + reach
            while j < j_end and stops[j] <= lo:
                j += 1
            k = j
            while k < j_end and starts[k] < hi:
                a = _find(parent, i)
                b = _find(parent, k)
                if a < b:
                    parent[b] = a
                elif b < a:
                    parent[a] = b
                k += 1
    labels = np.zeros(n_runs, np.int32)
    n = 0
    for i in range(n_runs):
        root = _find(parent, i)
        if root == i:
            n += 1
            labels[i] = n
        else:
            labels[i] = labels[root]
    return labels, n


@njit(cache=True, nogil=True)
def run_keys(row_ptr: np.ndarray, starts: np.ndarray, run_label: np.ndarray, n: int,
             row0: int, col0: int, width: int) -> np.ndarray:
    """Global raster index of each part's first pixel (``keys[0] = -1``), int64."""
    keys = np.full(n + 1, -1, np.int64)
    h = row_ptr.shape[0] - 1
    for r in range(h):
        for i in range(row_ptr[r], row_ptr[r + 1]):
            lab = run_label[i]
            if keys[lab] < 0:
                keys[lab] = (row0 + r) * np.int64(width) + col0 + starts[i]
    return keys


@njit(cache=True, nogil=True)
def run_stats(padded: np.ndarray, row_ptr: np.ndarray, starts: np.ndarray, stops: np.ndarray,
              run_label: np.ndarray, n: int, row0: int, col0: int, cell_area: np.ndarray,
              edge_x: np.ndarray, edge_y: np.ndarray, aux: np.ndarray) -> tuple:
    """Per-part sums, extents and perimeter of one tile.

    Parameters
    ----------
    padded : uint8 (h + 2, w + 2)
        Codes with halo.
    row_ptr, starts, stops, run_label, n
        From :func:`tile_runs` and :func:`link_runs`.
    row0, col0 : int
        Global index of the tile's first row and column.
    cell_area : float64 (h,)
        Cell area per row, m².
    edge_x : float64 (h + 1,)
        Length of horizontal cell edges at the top of each row (and the bottom of the last), m.
    edge_y : float64 (h,)
        Length of vertical cell edges per row, m.
    aux : float64 (k, h, w)
        Extra fields reduced per part by their minimum (for example distances).

    Returns
    -------
    tuple
        ``cells, area, sum_row, sum_col, row_min, row_max, col_min, col_max, faces_x,
        faces_y, perimeter, aux_min``; arrays of length ``n + 1`` (index 0 unused).
        ``faces_x`` counts horizontal faces (top and bottom of pixels), ``faces_y`` vertical
        ones; ``perimeter`` is their length in metres.
    """
    k = aux.shape[0]
    h = row_ptr.shape[0] - 1
    big = np.iinfo(np.int64).max
    cells = np.zeros(n + 1, np.int64)
    area = np.zeros(n + 1, np.float64)
    sum_row = np.zeros(n + 1, np.int64)
    sum_col = np.zeros(n + 1, np.int64)
    row_min = np.full(n + 1, big, np.int64)
    row_max = np.full(n + 1, -1, np.int64)
    col_min = np.full(n + 1, big, np.int64)
    col_max = np.full(n + 1, -1, np.int64)
    faces_x = np.zeros(n + 1, np.int64)
    faces_y = np.zeros(n + 1, np.int64)
    perimeter = np.zeros(n + 1, np.float64)
    aux_min = np.full((k, n + 1), np.inf, np.float64)
    for r in range(h):
        gr = row0 + r
        above = padded[r]
        below = padded[r + 2]
        here = padded[r + 1]
        up = row_ptr[r - 1] if r > 0 else 0
        down = row_ptr[r + 1]
        for i in range(row_ptr[r], row_ptr[r + 1]):
            lab = run_label[i]
            s = starts[i]
            e = stops[i]
            length = e - s
            gs = col0 + s
            ge = col0 + e - 1
            cells[lab] += length
            area[lab] += length * cell_area[r]
            sum_row[lab] += gr * length
            sum_col[lab] += (gs + ge) * length // 2
            if gr < row_min[lab]:
                row_min[lab] = gr
            if gr > row_max[lab]:
                row_max[lab] = gr
            if gs < col_min[lab]:
                col_min[lab] = gs
            if ge > col_max[lab]:
                col_max[lab] = ge
            # Faces above and below: inside the tile from run overlaps (no pixel loop); on
            # the tile's first and last rows from the halo, pixel by pixel.
            if r == 0:
                top = _halo_faces(above, s, e)
            else:
                up = _advance(starts, stops, up, row_ptr[r], s)
                top = length - _covered(starts, stops, up, row_ptr[r], s, e)
            if r == h - 1:
                bottom = _halo_faces(below, s, e)
            else:
                down = _advance(starts, stops, down, row_ptr[r + 2], s)
                bottom = length - _covered(starts, stops, down, row_ptr[r + 2], s, e)
            sides = 0
            if here[s] != OBJECT:
                sides += 1
            if here[e + 1] != OBJECT:
                sides += 1
            faces_x[lab] += top + bottom
            faces_y[lab] += sides
            perimeter[lab] += top * edge_x[r] + bottom * edge_x[r + 1] + sides * edge_y[r]
            for f in range(k):
                for c in range(s, e):
                    value = aux[f, r, c]
                    if value < aux_min[f, lab]:
                        aux_min[f, lab] = value
    return (cells, area, sum_row, sum_col, row_min, row_max, col_min, col_max, faces_x,
            faces_y, perimeter, aux_min)


@njit(cache=True, nogil=True, inline="always")
def _halo_faces(padded_row: np.ndarray, s: int, e: int) -> int:
    """Pixels of core columns ``[s, e)`` that are not object in a padded halo row."""
    faces = 0
    for c in range(s + 1, e + 1):
        if padded_row[c] != OBJECT:
            faces += 1
    return faces


@njit(cache=True, nogil=True, inline="always")
def _advance(starts: np.ndarray, stops: np.ndarray, j: int, end: int, s: int) -> int:
    """First run at or after ``j`` (before ``end``) that ends after column ``s``."""
    while j < end and stops[j] <= s:
        j += 1
    return j


@njit(cache=True, nogil=True, inline="always")
def _covered(starts: np.ndarray, stops: np.ndarray, j: int, end: int, s: int, e: int) -> int:
    """Pixels of columns ``[s, e)`` covered by the runs ``j..end`` of one row."""
    covered = 0
    while j < end and starts[j] < e:
        covered += min(e, stops[j]) - max(s, starts[j])
        j += 1
    return covered


@njit(cache=True, nogil=True)
def run_strips(row_ptr: np.ndarray, starts: np.ndarray, stops: np.ndarray,
               run_label: np.ndarray, keys: np.ndarray, width: int) -> tuple:
    """Part keys along the top, bottom, left and right border of the core (-1 elsewhere)."""
    h = row_ptr.shape[0] - 1
    top = np.full(width, -1, np.int64)
    bottom = np.full(width, -1, np.int64)
    left = np.full(h, -1, np.int64)
    right = np.full(h, -1, np.int64)
    for r in range(h):
        first = row_ptr[r]
        last = row_ptr[r + 1]
        if last == first:
            continue
        if starts[first] == 0:
            left[r] = keys[run_label[first]]
        if stops[last - 1] == width:
            right[r] = keys[run_label[last - 1]]
        if r == 0 or r == h - 1:
            for i in range(first, last):
                key = keys[run_label[i]]
                for c in range(starts[i], stops[i]):
                    if r == 0:
                        top[c] = key
                    if r == h - 1:
                        bottom[c] = key
    return top, bottom, left, right


@njit(cache=True, nogil=True)
def paint_runs(row_ptr: np.ndarray, starts: np.ndarray, stops: np.ndarray,
               run_value: np.ndarray, out: np.ndarray) -> None:
    """Write ``run_value[i]`` on the pixels of run ``i`` of ``out``, 0 elsewhere (any integer
    dtype; int32 or int64 labels)."""
    h = row_ptr.shape[0] - 1
    width = out.shape[1]
    for r in range(h):
        row = out[r]
        first = row_ptr[r]
        last = row_ptr[r + 1]
        if (last - first) * 8 > width:
            # Many short runs (noise): a fill per run costs a call and a mispredicted loop
            # end per run, so write each run's value at its start and its negative at its
            # stop, then sum along the row (a run's stop never meets another's start).
            row[:] = 0
            for i in range(first, last):
                row[starts[i]] = run_value[i]
                if stops[i] < width:
                    row[stops[i]] = -run_value[i]
            total = row[0]
            for c in range(1, width):
                total += row[c]
                row[c] = total
            continue
        c = 0
        for i in range(first, last):
            # slice fills compile to tight stores (memset for the zeros), about 1.4x faster
            # than a per-pixel loop here
            row[c:starts[i]] = 0
            row[starts[i]:stops[i]] = run_value[i]
            c = stops[i]
        row[c:width] = 0


@njit(cache=True, nogil=True)
def count_codes(codes: np.ndarray, cell_area: np.ndarray) -> tuple:
    """Object and valid pixel counts and areas (m²) of one tile (no halo)."""
    h, w = codes.shape
    objects = 0
    valid = 0
    object_area = 0.0
    valid_area = 0.0
    for r in range(h):
        row_objects = 0
        row_valid = 0
        for c in range(w):
            code = codes[r, c]
            if code == OBJECT:
                row_objects += 1
                row_valid += 1
            elif code == BACKGROUND:
                row_valid += 1
        objects += row_objects
        valid += row_valid
        object_area += row_objects * cell_area[r]
        valid_area += row_valid * cell_area[r]
    return objects, valid, object_area, valid_area
