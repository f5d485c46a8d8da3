"""Counter-based randomness: every random number is a hash of the seed and integer coordinates.

Nothing here keeps state. A value drawn for lattice point ``(a, b)`` under ``salt`` is the same
in every call, whatever else is drawn with it, so any window of the world can be generated alone
and agrees with every other window. The floating-point work is elementwise (no sums across
elements, no transcendental functions), so results do not depend on array shapes either.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "hash_coords",
    "key",
    "lattice_table",
    "uniform",
    "uniform16",
    "value_noise",
    "value_noise_1d",
]

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_U64 = np.uint64


def _mix(z: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, applied elementwise to a uint64 array."""
    z = z ^ (z >> _U64(30))
    z = z * _U64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> _U64(27))
    z = z * _U64(0x94D049BB133111EB)
    return z ^ (z >> _U64(31))


def _mix_int(z: int) -> int:
    """The splitmix64 finaliser on a Python int (exact, modulo 2**64)."""
    z &= _MASK64
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & _MASK64
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def key(seed: int, salt: int) -> int:
    """A 64-bit key for one stream of numbers: a hash of the seed and a salt naming the stream."""
    return _mix_int(_mix_int(seed) + _GOLDEN * (salt + 1))


def hash_coords(seed: int, salt: int, *coords: np.ndarray | int) -> np.ndarray:
    """64-bit hashes of integer coordinates (broadcast together), one per element.

    Coordinates may be negative; they are taken modulo 2**64.
    """
    with np.errstate(over="ignore"):
        h = np.full((), key(seed, salt), dtype=np.uint64)
        for c in coords:
            c = np.atleast_1d(np.asarray(c, dtype=np.int64)).astype(np.uint64)
            h = _mix(h ^ _mix(c + _U64(_GOLDEN)))
        return np.atleast_1d(h)


def uniform(h: np.ndarray) -> np.ndarray:
    """Floats in [0, 1) (float64, 53 random bits) from 64-bit hashes."""
    return (h >> _U64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def uniform16(h: np.ndarray, part: int) -> np.ndarray:
    """Floats in [0, 1) from the 16-bit part ``part`` (0..3) of 64-bit hashes: four per hash."""
    return ((h >> _U64(16 * part)) & _U64(0xFFFF)).astype(np.float64) * (1.0 / 65536.0)


def smoothstep(f: np.ndarray) -> np.ndarray:
    """3f² - 2f³: interpolation weight with zero slope at lattice points."""
    return f * f * (3.0 - 2.0 * f)


def lattice_weights(pos: np.ndarray, spacing: int) -> tuple[np.ndarray, np.ndarray]:
    """Lattice index and smoothstep weight of integer pixel positions for one noise octave.

    Pixel ``p`` sits at ``(p + 0.5) / spacing`` lattice units; the value is interpolated between
    lattice points ``floor`` and ``floor + 1``.
    """
    g = (np.asarray(pos, dtype=np.float64) + 0.5) / spacing
    a = np.floor(g)
    return a.astype(np.int64), smoothstep(g - a)


def value_noise(
    seed: int,
    salt: int,
    rows: np.ndarray,
    cols: np.ndarray,
    octaves: Sequence[tuple[int, float]],
) -> np.ndarray:
    """Multi-octave 2-D value noise at integer pixel positions (rows, cols broadcast), float64.

    ``octaves`` lists ``(spacing in pixels, amplitude)``; each octave's lattice values are
    uniform in [0, 1), so the result lies in [0, sum of amplitudes).
    """
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    total = np.zeros(np.broadcast_shapes(rows.shape, cols.shape), dtype=np.float64)
    for k, (spacing, amp) in enumerate(octaves):
        a, wy = lattice_weights(rows, spacing)
        b, wx = lattice_weights(cols, spacing)
        s = salt * 16 + k
        v00 = uniform(hash_coords(seed, s, a, b))
        v01 = uniform(hash_coords(seed, s, a, b + 1))
        v10 = uniform(hash_coords(seed, s, a + 1, b))
        v11 = uniform(hash_coords(seed, s, a + 1, b + 1))
        top = v00 + (v01 - v00) * wx
        bottom = v10 + (v11 - v10) * wx
        total = total + amp * (top + (bottom - top) * wy)
    return total


def value_noise_1d(
    seed: int,
    salt: int,
    stream: int,
    pos: np.ndarray,
    octaves: Sequence[tuple[int, float]],
) -> np.ndarray:
    """Multi-octave 1-D value noise in [-sum of amplitudes, +sum) at integer positions, float64.

    ``stream`` selects an independent curve (for example one per river).
    """
    pos = np.asarray(pos)
    total = np.zeros(pos.shape, dtype=np.float64)
    for k, (spacing, amp) in enumerate(octaves):
        a, w = lattice_weights(pos, spacing)
        s = salt * 16 + k
        v0 = uniform(hash_coords(seed, s, stream, a))
        v1 = uniform(hash_coords(seed, s, stream, a + 1))
        total = total + amp * (2.0 * (v0 + (v1 - v0) * w) - 1.0)
    return total


def lattice_table(
    seed: int, salt: int, rows: np.ndarray, cols: np.ndarray, spacing: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One octave's lattice values over a window, for per-pixel interpolation in a kernel.

    Returns ``(table, ia, wy, ib, wx)``: float32 lattice values covering the window, and per
    pixel row (column) the local lattice index and smoothstep weight, float32.
    """
    a, wy = lattice_weights(rows, spacing)
    b, wx = lattice_weights(cols, spacing)
    a0, b0 = int(a[0]), int(b[0])
    la = np.arange(a0, int(a[-1]) + 2)
    lb = np.arange(b0, int(b[-1]) + 2)
    table = uniform(hash_coords(seed, salt, la[:, None], lb[None, :])).astype(np.float32)
    return (
        table,
        (a - a0).astype(np.int64),
        wy.astype(np.float32),
        (b - b0).astype(np.int64),
        wx.astype(np.float32),
    )
