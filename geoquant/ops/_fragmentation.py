"""Class-level fragmentation metrics of a mask, exact for any chunking.

One object pass gives the patch sums (count, areas, squared areas, largest area, perimeter
faces); one edge pass gives total edge; a count pass gives the landscape's valid area; and,
for the distance metrics, the edge pixels of the global labels feed the nearest-neighbour
search. All of them run in one compute, so the mask is read (or generated) once. The
formulas and their conventions (those of pylandstats, FRAGSTATS where pylandstats has no such
metric) are documented in :mod:`geoquant.ops._landscape`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from geoquant.ops._area import coverage_from_totals, coverage_totals
from geoquant.ops._landscape import class_metrics
from geoquant.ops._mask import check_connectivity, check_no_lost_nodata, prepare_mask
from geoquant.ops._reducers import PatchMomentsReducer
from geoquant.ops._tree import object_pass, write_labels


def fragmentation(mask: Any, *, connectivity: int = 8, connectance_m: float | None = None,
                  neighbours: bool = True, valid: Any = None,
                  say: Callable[[str], None] | None = None) -> dict[str, float]:
    """Class-level landscape metrics of a mask's True class (FRAGSTATS meaning and units).

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS; its True pixels are the class, other valid pixels the
        rest of the landscape, excluded pixels (NaN, nodata, outside ``valid``) are not part
        of the landscape.
    connectivity : {8, 4}
        Pixel connectivity of patches.
    connectance_m : float, optional
        Threshold distance for connectance, m (edge to edge between cell centres); connectance
        is NaN without it.
    neighbours : bool
        Compute the distance metrics (``enn_mn``, ``connectance``), which need a second pass
        over global labels (on geographic grids: geocentric chords turned into arcs, see
        :mod:`geoquant.ops._geodesy`). False skips them (NaN).
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded.
    say : callable, optional
        Receives progress lines: one when the tile passes end, one before the distance
        metrics, one per level of the connectance search (see
        :func:`geoquant.ops._neighbours.joined_pairs`).

    Returns
    -------
    dict
        ``number_of_patches``; ``patch_density`` (per 100 ha); ``largest_patch_index`` (%);
        ``total_edge`` (m, class against other valid pixels, landscape boundary and nodata
        not counted); ``edge_density`` (m/ha); ``area_mn`` (mean patch area, ha);
        ``effective_mesh_size`` (ha); ``patch_cohesion_index`` (0-100); ``connectance``
        (%); ``enn_mn`` (mean Euclidean nearest-neighbour distance, m);
        ``proportion_of_landscape`` (%); ``total_area`` (ha).

    Notes
    -----
    On geographic grids areas are exact per row, edges are per-row geodesic lengths of the
    cell sides (east-west sides along their parallel), and patch distances are measured
    between cell centres on the ellipsoid.
    """
    import dask

    from geoquant.ops._edges import edge_totals, edges_from_totals
    from geoquant.ops._neighbours import (
        check_threshold,
        edge_point_tasks,
        gather_edge_points,
        neighbours_of_points,
    )

    started = time.perf_counter()
    conn8 = check_connectivity(connectivity)
    check_no_lost_nodata(mask, valid)
    prepared = prepare_mask(mask, valid=valid)
    if neighbours and connectance_m is not None:
        connectance_m = check_threshold(connectance_m)
    run = object_pass(prepared.codes, prepared.geometry, conn8=conn8,
                      reducer=PatchMomentsReducer(prepared.geometry),
                      padded=prepared.padded_codes())
    points = edge_point_tasks(write_labels(run)) if neighbours else []
    # One compute for every pass, so the object pass runs once and a lazily built mask is
    # read or generated once. All are Delayed: the installed dask returns a mix of Delayed
    # and arrays grouped by type, not in the order asked for.
    moments, edge_sums, coverage_sums, *points = dask.compute(
        run.result, edge_totals(prepared), coverage_totals(prepared), *points)
    if say is not None:
        say(f"fragmentation: {int(moments['patches']):,} patches, tile passes done in "
            f"{time.perf_counter() - started:.1f} s")
    edges = edges_from_totals(edge_sums, prepared.geometry)
    coverage = coverage_from_totals(coverage_sums, prepared.geometry)
    enn = joined = None
    if neighbours:
        gathered = gather_edge_points(points)
        if say is not None:
            say(f"fragmentation: nearest neighbours over {gathered[0].size:,} edge points")
        found = neighbours_of_points(gathered, prepared.geometry,
                                     n_patches=int(moments["patches"]),
                                     threshold_m=connectance_m, say=say)
        if say is not None:
            say(f"fragmentation: distance metrics done in {time.perf_counter() - started:.1f} s")
        enn, joined = found.enn_m, found.joined_pairs
    return class_metrics(moments, valid_cells=coverage.valid_cells,
                         valid_area_m2=coverage.valid_area_m2,
                         total_edge_m=edges["total_edge_m"], enn_m=enn, joined_pairs=joined)
