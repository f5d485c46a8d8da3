"""Area of a mask and its share of the valid region: one per-tile count, summed in a tree."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from geoquant.ops._geometry import PixelGeometry
from geoquant.ops._mask import PreparedMask, check_no_lost_nodata, prepare_mask
from geoquant.tiling import TileGrid, tree_reduce


@dataclass(frozen=True)
class Coverage:
    """Object and valid pixels of a mask, counted exactly.

    Attributes
    ----------
    object_cells, valid_cells : int
        Pixels of the mask, and pixels that are not excluded.
    object_area_m2, valid_area_m2 : float
        Their areas, m².
    """

    object_cells: int
    valid_cells: int
    object_area_m2: float
    valid_area_m2: float

    @property
    def share_percent(self) -> float:
        """Object area over valid area, % (NaN when nothing is valid)."""
        if self.valid_area_m2 == 0:
            return float("nan")
        return 100.0 * self.object_area_m2 / self.valid_area_m2


def coverage_of(prepared: PreparedMask) -> Coverage:
    """Count object and valid pixels per tile and add them up (a tree reduction)."""
    return coverage_from_totals(coverage_totals(prepared).compute(), prepared.geometry)


def coverage_totals(prepared: PreparedMask) -> Any:
    """Lazy sums over tiles: object cells, valid cells, object area, valid area.

    A Delayed of four float64 (counts are exact below 2**53), summed in a tree.
    """
    from geoquant.ops.kernels.dispatch import configured_kernels

    task = partial(_tile_counts, grid=TileGrid.from_chunks(prepared.chunks),
                   geometry=prepared.geometry, kernels=configured_kernels())
    return tree_reduce([prepared.codes], task, np.add, name="gq-coverage")


def coverage_from_totals(totals: np.ndarray, geometry: PixelGeometry) -> Coverage:
    """The :class:`Coverage` of computed :func:`coverage_totals` (exact cell counts)."""
    objects, valid, object_area, valid_area = np.asarray(totals, np.float64)
    objects, valid = int(objects), int(valid)
    return Coverage(objects, valid, float(geometry.area_of(objects, object_area)),
                    float(geometry.area_of(valid, valid_area)))


def area(mask: Any, *, valid: Any = None) -> float:
    """Area of a mask's True pixels, m².

    Parameters
    ----------
    mask : xarray.DataArray
        2-D boolean mask with a CRS. Projected grids use the pixel size of the transform;
        geographic grids use the exact ellipsoidal area of each row's cells.
    valid : xarray.DataArray of bool, optional
        False where pixels are excluded.

    Returns
    -------
    float
        Square metres.
    """
    return coverage_of(prepare_mask(mask, valid=valid)).object_area_m2


def share(mask: Any, *, valid: Any = None) -> float:
    """Share of the valid region the mask covers, % (area-weighted on geographic grids).

    Nodata, NaN and pixels outside ``valid`` count neither as mask nor as region. NaN when no
    pixel is valid. A boolean mask that kept its source raster's nodata value (``lc == 2``)
    needs ``valid`` (``valid=lc != nodata``): its no-data pixels are False in it.
    """
    check_no_lost_nodata(mask, valid)
    return coverage_of(prepare_mask(mask, valid=valid)).share_percent


def _tile_counts(codes: Any, *, block_index: tuple[int, int], grid: TileGrid,
                 geometry: PixelGeometry, kernels: str) -> np.ndarray:
    from geoquant.ops.kernels.dispatch import kernels_for

    r0, r1, _, _ = grid.bounds(*block_index)
    counts = kernels_for(codes, kernels).count_codes(codes, geometry.cell_area(r0, r1))
    return np.asarray(counts, np.float64)
