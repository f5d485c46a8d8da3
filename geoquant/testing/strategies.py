"""Hypothesis strategies for masks and chunkings, adversarial shapes included.

Operators must give the same answer for any chunking; these strategies produce the inputs
that break naive tilings: chunks of size 1 and odd sizes, spirals and rivers through many
tiles, contacts exactly at tile corners, checkerboards, empty and full masks.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def spiral(side: int) -> np.ndarray:
    """A one-pixel-wide square spiral with one-pixel gaps, winding to the centre: one object."""
    out = np.zeros((side, side), bool)
    if side == 0:
        return out
    row, col = 0, 0
    out[0, 0] = True
    moves = ((0, 1), (1, 0), (0, -1), (-1, 0))
    # leg lengths side-1 three times, then each shorter length twice: s-3, s-3, s-5, s-5, ...
    length, turn = side - 1, 0
    while length > 0:
        dr, dc = moves[turn % 4]
        for _ in range(length):
            row, col = row + dr, col + dc
            out[row, col] = True
        if turn >= 2 and turn % 2 == 0:
            length -= 2
        turn += 1
    return out


def checkerboard(shape: tuple[int, int]) -> np.ndarray:
    """Every other pixel: all one object under 8-connectivity, all single pixels under 4."""
    rows, cols = np.indices(shape)
    return (rows + cols) % 2 == 0


def diagonal(shape: tuple[int, int], step: int = 1) -> np.ndarray:
    """Diagonal lines of single pixels, touching only at corners."""
    rows, cols = np.indices(shape)
    return (rows - cols) % (step + 2) == 0


def river(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A meandering two-pixel-wide river from the west edge to the east edge."""
    rng = np.random.default_rng(seed)
    out = np.zeros(shape, bool)
    row = shape[0] // 2
    for col in range(shape[1]):
        row = int(np.clip(row + rng.integers(-2, 3), 0, shape[0] - 2))
        out[row:row + 2, col] = True
    return out


ADVERSARIAL = {
    "empty": lambda shape: np.zeros(shape, bool),
    "full": lambda shape: np.ones(shape, bool),
    "checkerboard": checkerboard,
    "diagonal": diagonal,
    "river": river,
    "single": lambda shape: np.pad(np.ones((1, 1), bool),
                                   ((shape[0] - 1, 0), (shape[1] - 1, 0))),
}


@st.composite
def chunk_sizes(draw: st.DrawFn, length: int) -> tuple[int, ...]:
    """Irregular chunk sizes summing to ``length`` (ones and odd sizes likely)."""
    sizes = []
    left = length
    while left > 0:
        sizes.append(draw(st.one_of(st.just(1), st.integers(1, left))))
        left -= sizes[-1]
    return tuple(sizes)


@st.composite
def masks(draw: st.DrawFn, max_side: int = 24, nodata: bool = False) -> np.ndarray:
    """Random boolean masks (float with NaN holes when ``nodata``), some adversarial."""
    rows = draw(st.integers(1, max_side))
    cols = draw(st.integers(1, max_side))
    kind = draw(st.sampled_from(["random", "random", "random", *ADVERSARIAL]))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    if kind == "random":
        mask = rng.random((rows, cols)) < draw(st.floats(0.05, 0.95))
    else:
        mask = ADVERSARIAL[kind]((rows, cols))
    if not nodata:
        return mask
    out = mask.astype(np.float64)
    out[rng.random((rows, cols)) < draw(st.floats(0.0, 0.3))] = np.nan
    return out
