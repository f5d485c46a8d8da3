"""Is a change real, or are the two dates misregistered? Evidence from the class maps alone.

Two class maps of the same ground that are shifted by a pixel or so "change" along every class
boundary: the change map becomes thin lines around each patch. :func:`registration` measures
three things that make this visible, exactly and for any chunking (every figure is a sum of
elementwise comparisons between sliced arrays):

- ``boundary_share``: the share of the changed pixels that lie within one pixel (8-neighbours)
  of a class boundary of the ``before`` map, beside ``boundary_pixels_share``, the share of all
  valid pixels that do. Real change of whole patches sits mostly inside them; a shift puts
  nearly all change on boundaries (the share approaches 1 while boundary pixels are a minority).
- ``agreement``: the share of valid pixels with the same class, at every whole-pixel shift of
  ``after`` against ``before`` up to ``max_shift_px``; ``best_shift_px`` is the shift with the
  highest agreement. A best shift other than (0, 0) that agrees clearly better says the grids
  are off by about that much.

Pixels with no data in either map, and pixels whose shifted partner falls outside the array, are
left out of each figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant.errors import GridMismatchError, InvalidOptionError


@dataclass(frozen=True)
class Registration:
    """How two class maps line up (see the module docstring).

    Attributes
    ----------
    changed_share : float
        Share of valid pixels whose class differs (0..1), at no shift.
    boundary_share : float
        Share of the changed pixels within one pixel of a ``before`` class boundary (NaN when
        nothing changed).
    boundary_pixels_share : float
        Share of all valid pixels within one pixel of a ``before`` class boundary.
    agreement : dict
        ``(dy, dx)`` -> share of valid pixels with the same class when ``after`` is read
        ``dy`` rows and ``dx`` columns further on.
    best_shift_px : tuple of int
        The ``(dy, dx)`` of the highest agreement (the smaller shift on a tie).
    """

    changed_share: float
    boundary_share: float
    boundary_pixels_share: float
    agreement: dict[tuple[int, int], float]
    best_shift_px: tuple[int, int]

    @property
    def looks_misregistered(self) -> bool:
        """Most change lies on boundaries, well above their share of the map, or another
        shift agrees at least one percentage point better."""
        on_edges = (np.isfinite(self.boundary_share) and self.boundary_share >= 0.8
                    and self.boundary_share >= 1.5 * self.boundary_pixels_share)
        shifted = self.best_shift_px != (0, 0) and (
            self.agreement[self.best_shift_px] - self.agreement[(0, 0)] >= 0.01)
        return bool(on_edges or shifted)

    def to_dict(self) -> dict[str, Any]:
        return {"changed_share": self.changed_share, "boundary_share": self.boundary_share,
                "boundary_pixels_share": self.boundary_pixels_share,
                "best_shift_px": list(self.best_shift_px),
                "agreement_at_no_shift": self.agreement[(0, 0)],
                "agreement_at_best_shift": self.agreement[self.best_shift_px],
                "looks_misregistered": self.looks_misregistered}


OUTSIDE = -2   # code of the pad beyond the array's edge; nodata is -1


def _codes(raster: Any, name: str) -> Any:
    """Class codes (int64, -1 where no data) of a 2-D categorical raster (NumPy or dask)."""
    data = raster.data if hasattr(raster, "data") else raster
    if getattr(data, "ndim", 0) != 2:
        raise InvalidOptionError(f"{name} must be a 2-D class map, not shape "
                                 f"{getattr(data, 'shape', None)}")
    nodata = getattr(getattr(raster, "rio", None), "nodata", None)
    if hasattr(data, "dask"):
        import dask.array as xp
    else:
        xp, data = np, np.asarray(data)
    valid = data == data       # not NaN
    if nodata is not None and not (isinstance(nodata, float) and np.isnan(nodata)):
        valid = valid & (data != nodata)
    codes = data.astype(np.float64) if data.dtype.kind == "f" else data.astype(np.int64)
    return xp.where(valid, codes, -1).astype(np.int64)


def _shifts(m: int) -> list[tuple[int, int]]:
    return [(dy, dx) for dy in range(-m, m + 1) for dx in range(-m, m + 1)]


NEIGHBOURS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def _block_counts(a: np.ndarray, b: np.ndarray, *, depth: int, m: int) -> np.ndarray:
    """Counts over the core of one block padded by ``depth`` on every side: per shift the
    valid pairs and equal pairs, then changed, valid, changed on a boundary, boundary."""
    h, w = a.shape[0] - 2 * depth, a.shape[1] - 2 * depth
    core_a = a[depth:depth + h, depth:depth + w]
    va = core_a >= 0
    out = []
    for dy, dx in _shifts(m):
        part = b[depth + dy:depth + dy + h, depth + dx:depth + dx + w]
        both = va & (part >= 0)
        out += [int(both.sum()), int((both & (core_a == part)).sum())]
    core_b = b[depth:depth + h, depth:depth + w]
    valid = va & (core_b >= 0)
    edge = np.zeros_like(va)
    for dy, dx in NEIGHBOURS:
        n = a[depth + dy:depth + dy + h, depth + dx:depth + dx + w]
        edge |= (n >= 0) & (n != core_a)
    changed = valid & (core_a != core_b)
    out += [int(changed.sum()), int(valid.sum()), int((changed & edge).sum()),
            int((edge & valid).sum())]
    return np.asarray(out, dtype=np.int64)


def registration(before: Any, after: Any, *, max_shift_px: int = 1) -> Registration:
    """How two class maps of one grid line up: boundary share of change, best shift.

    Parameters
    ----------
    before, after : xarray.DataArray
        2-D class codes on the same grid (NumPy or dask; NaN or the raster's nodata is no
        data).
    max_shift_px : int
        Largest whole-pixel shift tried along each axis (``(2 m + 1)²`` shifts).

    Returns
    -------
    Registration

    Raises
    ------
    GridMismatchError
        The maps differ in shape.

    Notes
    -----
    One pass over the maps: each chunk is read with a halo of ``max(max_shift_px, 1)`` pixels
    (beyond the array's edge a pad that counts as no data) and returns a handful of counts,
    which add up; the figures are therefore the same for any chunking.
    """
    if isinstance(max_shift_px, bool) or not isinstance(max_shift_px, (int, np.integer)) \
            or max_shift_px < 0:
        raise InvalidOptionError(f"max_shift_px must be a whole number >= 0, not "
                                 f"{max_shift_px!r}")
    if tuple(before.shape) != tuple(after.shape):
        raise GridMismatchError(f"the class maps differ in shape ({tuple(before.shape)} vs "
                                f"{tuple(after.shape)}): bring them onto one grid first")
    m = int(max_shift_px)
    depth = max(m, 1)
    a, b = _codes(before, "before"), _codes(after, "after")
    if hasattr(a, "dask") or hasattr(b, "dask"):
        import dask.array as da

        a = da.asarray(a)
        b = da.asarray(b).rechunk(a.chunks)
        small = min(min(a.chunks[0]), min(a.chunks[1]))
        if small < depth:     # every chunk must lend its neighbours a full halo
            a, b = a.rechunk(max(depth, 256)), b.rechunk(max(depth, 256))
        a = da.overlap.overlap(a, depth={0: depth, 1: depth}, boundary=OUTSIDE)
        b = da.overlap.overlap(b, depth={0: depth, 1: depth}, boundary=OUTSIDE)
        size = 2 * len(_shifts(m)) + 4
        counts = da.map_blocks(
            lambda x, y: _block_counts(x, y, depth=depth, m=m)[None, None],
            a, b, dtype=np.int64, new_axis=2,
            chunks=((1,) * len(a.chunks[0]), (1,) * len(a.chunks[1]), (size,)))
        totals = counts.sum(axis=(0, 1)).compute()
    else:
        pad = ((depth, depth), (depth, depth))
        totals = _block_counts(np.pad(a, pad, constant_values=OUTSIDE),
                               np.pad(b, pad, constant_values=OUTSIDE), depth=depth, m=m)
    totals = [int(v) for v in totals]
    shifts = _shifts(m)
    agreement = {}
    for k, shift in enumerate(shifts):
        valid_pairs, same = totals[2 * k], totals[2 * k + 1]
        agreement[shift] = same / valid_pairs if valid_pairs else float("nan")
    changed, valid, changed_on_edge, edge = totals[2 * len(shifts):]
    best = max(shifts, key=lambda s: (np.nan_to_num(agreement[s], nan=-1.0),
                                      -(abs(s[0]) + abs(s[1]))))
    return Registration(
        changed_share=changed / valid if valid else float("nan"),
        boundary_share=changed_on_edge / changed if changed else float("nan"),
        boundary_pixels_share=edge / valid if valid else float("nan"),
        agreement=agreement, best_shift_px=best)
