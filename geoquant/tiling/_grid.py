"""The grid of tiles a chunked 2-D raster is cut into."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TileGrid:
    """Tiles of a 2-D raster, as dask chunks describe them.

    Attributes
    ----------
    row_chunks, col_chunks : tuple of int
        Tile heights and widths, in pixels.
    """

    row_chunks: tuple[int, ...]
    col_chunks: tuple[int, ...]

    @classmethod
    def from_chunks(cls, chunks: tuple[tuple[int, ...], tuple[int, ...]]) -> TileGrid:
        return cls(tuple(int(c) for c in chunks[0]), tuple(int(c) for c in chunks[1]))

    @property
    def shape(self) -> tuple[int, int]:
        """Raster shape in pixels."""
        return sum(self.row_chunks), sum(self.col_chunks)

    @property
    def tiles(self) -> tuple[int, int]:
        """Number of tiles along rows and columns."""
        return len(self.row_chunks), len(self.col_chunks)

    @property
    def row_starts(self) -> np.ndarray:
        """First global row of each tile-row, plus the raster height at the end."""
        return np.concatenate([[0], np.cumsum(self.row_chunks)]).astype(np.int64)

    @property
    def col_starts(self) -> np.ndarray:
        """First global column of each tile-column, plus the raster width at the end."""
        return np.concatenate([[0], np.cumsum(self.col_chunks)]).astype(np.int64)

    def bounds(self, i: int, j: int) -> tuple[int, int, int, int]:
        """``(row_start, row_stop, col_start, col_stop)`` of tile ``(i, j)``."""
        rows, cols = self.row_starts, self.col_starts
        return int(rows[i]), int(rows[i + 1]), int(cols[j]), int(cols[j + 1])

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for i in range(len(self.row_chunks)):
            for j in range(len(self.col_chunks)):
                yield i, j
