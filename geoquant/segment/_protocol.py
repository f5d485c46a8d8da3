"""What a segmenter is: the contract every tile worker relies on.

A segmenter turns one tile of a cube, ``(band, y, x)`` with its band names, into per-class
probabilities ``(class, y, x)`` over named vocabulary classes. Everything that applies
segmenters (tiling, stitching, fusion, ensembles, questions) uses only this contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Segmenter(Protocol):
    """The segmenter contract.

    Attributes
    ----------
    name : str
        Human name, used in provenance and error messages (``"water (MNDWI)"``).
    version : str
        Changes whenever outputs can change (thresholds, weights).
    classes : tuple of str
        Canonical vocabulary names (:data:`geoquant.segment.CLASS_NAMES`) of the output's
        first axis, in order.
    bands : tuple of str
        Common names of the bands :meth:`predict` reads (``("green", "swir16")``); it finds
        them among the tile's bands by name, so cubes may carry more bands in any order.
    halo : int
        Pixels of context needed on each side of an output pixel for it to be exact (the
        receptive-field radius); ``0`` for per-pixel rules.
    stride : int
        Windows must start at multiples of this many pixels for outputs to be shift-invariant
        (a network's total downsampling); ``1`` for per-pixel rules.
    exclusive : bool
        Whether the classes exclude one another (a softmax model, a land-cover product), so
        that the probabilities of a pixel sum to one. Rule segmenters score each class on its
        own (``False``).

    Notes
    -----
    A segmenter may also have ``predict_batch(tiles, bands, *, batch_size)``, returning one
    output per tile as ``predict`` would; :func:`geoquant.segment.apply` uses it with
    ``batch=`` (the ConvNeXt-UNet runs a batch in one forward pass). It is optional and not
    part of the ``isinstance`` check.
    """

    name: str
    version: str
    classes: tuple[str, ...]
    bands: tuple[str, ...]
    halo: int
    stride: int
    exclusive: bool

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        """Per-class probabilities for one tile.

        Parameters
        ----------
        tile : numpy.ndarray or cupy.ndarray
            ``(band, y, x)`` float32; NaN marks missing data.
        bands : sequence of str
            Names of the tile's bands, in order (catalog names or common names).

        Returns
        -------
        array of float32, ``(len(classes), y, x)``
            Probabilities in [0, 1], on the tile's device; NaN where the tile has no data.
        """
        ...


def describe(segmenter: Segmenter) -> dict[str, Any]:
    """Provenance of a segmenter, as recorded in results' attributes and answers."""
    info: dict[str, Any] = {"name": segmenter.name, "version": segmenter.version,
                            "classes": list(segmenter.classes),
                            "bands": list(segmenter.bands)}
    extra = getattr(segmenter, "parameters", None)
    if callable(extra):
        info.update(extra())
    return info
