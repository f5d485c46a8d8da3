r"""Class-level landscape metrics of a mask's True class, as FRAGSTATS defines them.

The values are those of pylandstats 3.1.0 (``Landscape.compute_class_metrics_df``) for the
same landscape wherever pylandstats has the metric; COHESION and CONNECT, which it lacks,
follow the FRAGSTATS manual. The landscape is a 2-class map: the class (code 1), the other
valid class (code 0, "background") and nodata (code 2, pylandstats' ``nodata`` value).

pylandstats conventions (read from its source, ``pylandstats/landscape.py``)
----------------------------------------------------------------------------
* **Patches**: ``ndimage.label(arr == class, structure)`` with the 8-neighbourhood
  (``neighborhood_rule="8"``, the default) or the 4-neighbourhood (``"4"``). Connectivity
  only changes the labelling and the ENN edge pixels; adjacency and edges always use faces.
* **Cells and resolution**: ``res=(cell_width, cell_height)`` = ``(dx, dy)``; ``cell_area =
  dx * dy``; patch area ``a_j = cells_j * cell_area`` [m²].
* **Landscape area** ``A = (number of cells != nodata) * cell_area`` [m²]: background cells
  count, nodata cells do not. Here ``A`` is the valid area (codes 0 and 1).
* **Patch perimeter** ``p_j`` [m]: every face between the patch and anything else (other
  class, nodata, the raster boundary; the patch is padded with "not patch"), horizontal
  faces ``* dx``, vertical faces ``* dy``. Not used by the metrics below except COHESION,
  where FRAGSTATS counts it in cell surfaces (``perimeter_faces``).
* **Total edge** (``count_boundary=False``, the default): faces between the class and another
  *valid* class only (from an adjacency table of the nodata-padded map, with the nodata row
  and column dropped). Faces against nodata and the landscape boundary are not edge.
  For square pixels (``isclose(dx, dy, rtol=1e-3)``) ``TE = faces * dx``. For other pixels
  pylandstats weighs the count of *horizontally adjacent* pairs (whose shared face is
  vertical, ``dy`` long) by ``dx`` and vertically adjacent pairs by ``dy``: its TE swaps the
  two lengths. geoquant weighs every face by its own length
  (``TE = faces_x * dx + faces_y * dy``), which equals pylandstats' TE with ``res=(dy, dx)``,
  and is the same as pylandstats' for exactly square pixels. Nearly square pixels (within
  0.1 %) get ``faces * dx`` from pylandstats, and exact lengths here.
* **ENN**: per patch, the shortest distance between cell centres of its edge pixels and those
  of any other patch of the class (k-d tree on pixel indices; edge pixels from a binary
  erosion with the connectivity's structure, which keeps every possible closest pixel), so
  the exact minimum over all pixel pairs, times ``dx`` for (nearly, 0.1 %) square pixels and
  times ``sqrt(dx * dy)`` otherwise: not a distance in metres for non-square pixels, where
  geoquant uses ``sqrt((dcol dx)² + (drow dy)²)``. ``[nan]`` when the class has fewer than
  two patches, so ENN_MN is NaN then. Nodata plays no part.
* **Class metrics** (``n`` patches, areas ``a_j`` in m², ``A`` in m²):

  - ``NP = n``
  - ``PD = n * 100 * 10000 / A`` [patches per 100 ha]
  - ``LPI = max_j a_j * 100 / A`` [%]
  - ``TE`` [m] as above; ``ED = TE * 10000 / A`` [m/ha]
  - ``AREA_MN = mean_j(a_j / 10000)`` [ha]
  - ``MESH = sum_j a_j² / A / 10000`` [ha]
  - ``PLAND = sum_j a_j * 100 / A`` [%]
  - ``TA = sum_j a_j / 10000`` [ha]
  - ``ENN_MN = mean_j ENN_j`` [m]

  Metrics over no patches are NaN in pylandstats (with a warning).

FRAGSTATS metrics pylandstats does not have
-------------------------------------------
* **COHESION** = ``(1 - sum_j p*_j / sum_j p*_j sqrt(a*_j)) / (1 - 1 / sqrt(Z)) * 100``, with
  ``p*_j`` the patch perimeter in cell surfaces (every face, boundary and nodata included, as
  FRAGSTATS' PERIM), ``a*_j`` the patch area in cells and ``Z`` the number of cells in the
  landscape (valid cells, nodata excluded), as in FRAGSTATS and landscapemetrics. NaN without
  patches or when ``Z <= 1``.
* **CONNECT** = ``sum_{j<k} c_jk / (n (n - 1) / 2) * 100`` [%], ``c_jk = 1`` when patches ``j``
  and ``k`` are at most the threshold distance apart (edge to edge, cell centres, as ENN).
  NaN with fewer than two patches.

Empty class (no patches)
------------------------
``number_of_patches``, ``patch_density``, ``largest_patch_index``, ``total_edge``,
``edge_density``, ``effective_mesh_size``, ``proportion_of_landscape``, ``total_area`` are 0;
``area_mn``, ``enn_mn``, ``patch_cohesion_index`` and ``connectance`` are NaN (means over no
patches). Ratios over a landscape without valid cells are NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

PYLANDSTATS_NAMES = {
    "number_of_patches": "number_of_patches",
    "patch_density": "patch_density",
    "largest_patch_index": "largest_patch_index",
    "total_edge": "total_edge",
    "edge_density": "edge_density",
    "area_mn": "area_mn",
    "effective_mesh_size": "effective_mesh_size",
    "proportion_of_landscape": "proportion_of_landscape",
    "total_area": "total_area",
    "enn_mn": "euclidean_nearest_neighbor_mn",
}
"""Our metric key -> pylandstats' class metric of the same meaning (COHESION and CONNECT
have none)."""

MOMENT_NAMES = ("patches", "cells", "area", "area_sq", "area_max", "faces", "faces_sqrt_cells",
                "perimeter")
"""Sums over patches :func:`class_metrics` reads (those of ``PatchMomentsReducer``)."""

METRIC_NAMES = ("number_of_patches", "patch_density", "largest_patch_index", "total_edge",
                "edge_density", "area_mn", "effective_mesh_size", "patch_cohesion_index",
                "connectance", "enn_mn", "proportion_of_landscape", "total_area")


def patch_moments(patches: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Sums over patches that the class metrics need, from per-patch arrays.

    Parameters
    ----------
    patches : mapping of str to ndarray
        One value per patch: ``cells`` (int, pixels), ``area_m2`` (float, m²),
        ``perimeter_faces`` (int, pixel faces against anything not in the patch, the raster
        boundary and excluded pixels included) and optionally ``perimeter_m`` (float, m).

    Returns
    -------
    dict
        ``patches`` (int), ``cells`` (int), ``area`` (m²), ``area_sq`` (m⁴), ``area_max``
        (m², 0 without patches), ``faces``, ``faces_sqrt_cells`` (``sum faces * sqrt(cells)``)
        and ``perimeter`` (m, 0 without ``perimeter_m``): the keys of
        :data:`MOMENT_NAMES`, which an associative merge can also add up tile by tile.
    """
    cells = np.asarray(patches["cells"], np.int64)
    area = np.asarray(patches["area_m2"], np.float64)
    faces = np.asarray(patches["perimeter_faces"], np.float64)
    perimeter = np.asarray(patches.get("perimeter_m", np.zeros(0)), np.float64)
    return {
        "patches": int(cells.size),
        "cells": int(cells.sum()),
        "area": float(area.sum()),
        "area_sq": float(np.square(area).sum()),
        "area_max": float(area.max()) if area.size else 0.0,
        "faces": float(faces.sum()),
        "faces_sqrt_cells": float((faces * np.sqrt(cells.astype(np.float64))).sum()),
        "perimeter": float(perimeter.sum()),
    }


def class_metrics(moments: Mapping[str, float], *, valid_cells: int, valid_area_m2: float,
                  total_edge_m: float, enn_m: np.ndarray | None = None,
                  joined_pairs: int | None = None) -> dict[str, float]:
    """Class-level landscape metrics (FRAGSTATS meaning, pylandstats values).

    Parameters
    ----------
    moments : mapping
        Sums over the class's patches (:func:`patch_moments` or ``PatchMomentsReducer``):
        ``patches``, ``area`` (m²), ``area_sq`` (m⁴), ``area_max`` (m²), ``faces``,
        ``faces_sqrt_cells``.
    valid_cells : int
        Cells of the landscape: object and background, excluded pixels not counted.
    valid_area_m2 : float
        Their area, m² (pylandstats' landscape area ``A``).
    total_edge_m : float
        Length of the faces between object and background pixels, m
        (:func:`geoquant.ops._edges.class_edges`).
    enn_m : ndarray, optional
        Nearest-neighbour distance of every patch, m (:mod:`geoquant.ops._neighbours`).
    joined_pairs : int, optional
        Patch pairs within the connectance threshold distance.

    Returns
    -------
    dict
        ``number_of_patches`` (int); ``patch_density`` (patches per 100 ha);
        ``largest_patch_index`` (%); ``total_edge`` (m); ``edge_density`` (m/ha);
        ``area_mn`` (ha); ``effective_mesh_size`` (ha); ``patch_cohesion_index`` (0..100);
        ``connectance`` (%, NaN without ``joined_pairs``); ``enn_mn`` (m, NaN without
        ``enn_m``); ``proportion_of_landscape`` (%); ``total_area`` (ha). See the module
        docstring for each formula and the empty-class values.
    """
    n = int(moments["patches"])
    landscape = float(valid_area_m2)
    area = float(moments["area"])
    out: dict[str, float] = {
        "number_of_patches": n,
        "patch_density": _per_landscape(n * 100 * 10000, landscape),
        "largest_patch_index": _per_landscape(float(moments["area_max"]) * 100, landscape),
        "total_edge": float(total_edge_m),
        "edge_density": _per_landscape(float(total_edge_m) * 10000, landscape),
        "area_mn": area / n / 10000 if n else math.nan,
        "effective_mesh_size": _per_landscape(float(moments["area_sq"]), landscape) / 10000,
        "patch_cohesion_index": _cohesion(moments, int(valid_cells)),
        "connectance": math.nan,
        "enn_mn": math.nan,
        "proportion_of_landscape": _per_landscape(area * 100, landscape),
        "total_area": area / 10000,
    }
    if joined_pairs is not None and n >= 2:
        out["connectance"] = int(joined_pairs) / (n * (n - 1) / 2) * 100
    if enn_m is not None and n >= 2:
        out["enn_mn"] = float(np.mean(np.asarray(enn_m, np.float64)))
    return out


def _per_landscape(value: float, landscape_m2: float) -> float:
    if landscape_m2 <= 0:
        return math.nan
    return value / landscape_m2


def _cohesion(moments: Mapping[str, float], valid_cells: int) -> float:
    if int(moments["patches"]) == 0 or valid_cells <= 1:
        return math.nan
    ratio = float(moments["faces"]) / float(moments["faces_sqrt_cells"])
    return (1.0 - ratio) / (1.0 - 1.0 / math.sqrt(valid_cells)) * 100
