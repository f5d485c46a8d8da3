"""An independent reference for plan expressions: the same questions answered with scipy alone.

:func:`reference_value` evaluates an expression of :mod:`geoquant.testing.corpus` (the form a
plan's answer takes, independent of step ids) on whole NumPy class maps with
``scipy.ndimage`` (labelling, Euclidean distance transforms) and nothing of geoquant's
operators, so tests can check the planner, the interpreter and the operators end to end
against it. Conventions are geoquant's: 8-connected objects (4-connected when asked),
distances between pixel centres, no-data pixels (code 0) neither object nor background, change
compared where both dates have data.

Each op's reference is its entry's in the op table (``OpSpec.reference``, functions of
:mod:`geoquant.reason.plans._op_references`): an expression is evaluated by the entry its first item
names, so a new op needs no change here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import numpy as np

from geoquant.reason.plans._op_references import AREA_UNITS, LENGTH_UNITS
from geoquant.reason.plans._ops import OPS, OpSpec

__all__ = ["AREA_UNITS", "LENGTH_UNITS", "Evaluation", "Maps", "reference_value"]


class Maps:
    """Class maps to evaluate on.

    Parameters
    ----------
    codes : mapping of date (None, "before", "after") to 2-D integer arrays
        Class codes, 0 for no data.
    legend : mapping of class name to codes
        The codes of each class (a broad class lists its members' codes too).
    pixel_m : float
        Pixel side, metres (square pixels).
    """

    def __init__(self, codes: Mapping[Any, np.ndarray], legend: Mapping[str, Sequence[int]],
                 pixel_m: float) -> None:
        self.codes, self.legend, self.pixel_m = codes, legend, float(pixel_m)
        dates = [d for d in codes if d is not None]
        both = np.logical_and.reduce([codes[d] != 0 for d in dates]) if dates else None
        self.valid = {d: (both if d is not None else codes[d] != 0) for d in codes}

    def mask(self, name: str, date: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """(class pixels, valid pixels) of a class at a date."""
        codes = self.codes[date]
        valid = self.valid[date]
        return np.isin(codes, list(self.legend[name])) & valid, valid

    def code(self, code: int, date: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """(pixels of one class code, valid pixels) at a date."""
        valid = self.valid[date]
        return (self.codes[date] == code) & valid, valid


@cache
def _by_head() -> dict[str, OpSpec]:
    """Each op by the first item of its canonical expressions (its name and its aliases)."""
    return {head: spec for spec in OPS.values() for head in (spec.name, *spec.aliases)}


class Evaluation:
    """One evaluation of an expression: what each op's reference function reads.

    Parameters
    ----------
    maps : Maps
        The class maps.
    denominator : {"valid", "image"}
        What a share of the region is of: the pixels with data, or every pixel.
    connectivity : {8, 4}
        Pixel connectivity of objects.
    """

    def __init__(self, maps: Maps, denominator: str = "valid", connectivity: int = 8) -> None:
        self.maps, self.denominator, self.connectivity = maps, denominator, int(connectivity)
        self.pixel_m = maps.pixel_m

    def _run(self, expr: Any, kind: str) -> Any:
        spec = _by_head().get(expr[0]) if isinstance(expr, tuple) and expr else None
        if spec is None or spec.kind != kind:
            raise ValueError(f"not a {kind} expression: {expr!r}")
        return spec.reference_function()(expr, self)

    def pixels(self, expr: Any) -> tuple[np.ndarray, np.ndarray]:
        """(mask, valid) of a mask expression."""
        return self._run(expr, "mask")

    def value(self, expr: Any) -> Any:
        """The value of a value expression."""
        return self._run(expr, "value")


def reference_value(expression: Any, maps: Maps, *, denominator: str = "valid",
                    connectivity: int = 8) -> Any:
    """The value of an expression on ``maps`` (see the module docstring). ``denominator``:
    shares of the region are of the pixels with data (``"valid"``) or of every pixel of the
    image (``"image"``, as a question that says "of the image" asks); ``connectivity``: the
    plan's pixel connectivity of objects (8 or 4)."""
    return Evaluation(maps, denominator, connectivity).value(expression)
