"""Reading a segmentation: the class map and the mask of a named class.

A segmentation is an ``xarray.Dataset`` made by :func:`geoquant.segment.apply` (or
:func:`geoquant.segment.fuse`) with

* ``probability``: ``([time,] class, y, x)`` float32, NaN where there are no data;
* ``label``: ``([time,] y, x)`` uint8, ``k + 1`` for the k-th class, 0 for none, 255 for nodata.

The class map: for exclusive classes (a softmax model, a product) the most probable class; for
rule segmenters, whose classes are scored independently and nest (forest lies inside vegetation),
the most probable class among those at or above 0.5, where a broad class gives way to any of its
narrower classes at or above 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.errors import ClassNameError, InvalidOptionError
from geoquant.segment._vocabulary import Vocabulary

NONE, NODATA = 0, 255


def nested(classes: Sequence[str]) -> list[tuple[int, list[int]]]:
    """Broad classes among ``classes`` with the positions of their narrower classes there."""
    found = []
    legend = Vocabulary(list(classes))
    for k, cls in enumerate(classes):
        inner = [classes.index(m) for m in legend.members(cls)[1:] if m in classes]
        if inner:
            found.append((k, inner))
    return found


def label_block(prob: Any, *, exclusive: bool, broad: list[tuple[int, list[int]]]) -> Any:
    """The class map of a ``(..., class, y, x)`` probability block, uint8 (see module doc)."""
    xp = array_module(prob)
    missing = xp.all(xp.isnan(prob), axis=-3)
    # A pixel no class claims (a product code outside the vocabulary) is labelled none.
    score = xp.where(xp.isnan(prob) | (prob <= 0), -1.0, prob)
    if not exclusive:
        score = xp.where(score >= 0.5, score, -1.0)
        for k, inner in broad:
            covered = xp.any(score[..., inner, :, :] >= 0.5, axis=-3)
            score[..., k, :, :] = xp.where(covered, -1.0, score[..., k, :, :])
    best = xp.argmax(score, axis=-3)
    top = xp.max(score, axis=-3)
    out = (best + 1).astype(np.uint8)
    out[top < 0] = NONE
    out[missing] = NODATA
    return out


def label_array(prob: Any, classes: Sequence[str], *, exclusive: bool) -> Any:
    """The class map of a NumPy or dask probability array ``(..., class, y, x)``."""
    broad = nested(classes)
    if hasattr(prob, "dask"):
        import dask.array as da

        prob = prob.rechunk({prob.ndim - 3: -1})
        return da.map_blocks(label_block, prob, exclusive=exclusive, broad=broad,
                             drop_axis=prob.ndim - 3, dtype=np.uint8)
    return label_block(prob, exclusive=exclusive, broad=broad)


def label_attrs(classes: Sequence[str]) -> dict[str, Any]:
    """CF flag attributes of a class map."""
    return {"long_name": "class", "flag_values": list(range(1, len(classes) + 1)),
            "flag_meanings": " ".join(c.replace(" ", "_") for c in classes),
            "classes": list(classes)}


def classes_of(segmentation: Any) -> tuple[str, ...]:
    return tuple(str(c) for c in segmentation["probability"].coords["class"].values)


def class_mask(segmentation: Any, name: str, *, threshold: float | None = None) -> Any:
    """The mask of one class, ready for :mod:`geoquant.ops`.

    Parameters
    ----------
    segmentation : xarray.Dataset
        A result of :func:`geoquant.segment.apply` or :func:`geoquant.segment.fuse`.
    name : str
        A class word (synonyms allowed). A broad class the segmenter does not score itself
        ("vegetation" from a model of forest, grass and cropland) is the union of its members.
    threshold : float, optional
        ``None`` reads the class map (``label``). A number in (0, 1) keeps pixels whose
        probability is at least that. A broad class scores the sum over itself and its
        members for exclusive classes, their maximum for independent ones (so the mask
        agrees with the class map, where a member class counts for its broad class).

    Returns
    -------
    xarray.DataArray
        uint8 with 1 for the class, 0 for other valid pixels and 255 (the nodata value) where
        the class has no score (no data, or fused pixels decided by a modality that does not
        know the class); dims ``([time,] y, x)``, CRS kept.

    Raises
    ------
    ClassNameError
        When the class is unknown or the segmentation has neither it nor any member of it.
    """
    classes = classes_of(segmentation)
    wanted, members = members_in(classes, name)
    prob = segmentation["probability"]
    # Unknown where none of the class's members has a score (no data, or a fused pixel
    # decided by a modality that does not know the class).
    nodata = prob.sel({"class": members}).isnull().all("class")
    if threshold is None:
        codes = [classes.index(m) + 1 for m in members]
        hit = segmentation["label"].isin(codes)
    else:
        if not 0.0 < float(threshold) < 1.0:
            raise InvalidOptionError(f"threshold must lie in (0, 1), not {threshold}")
        if segmentation.attrs.get("exclusive", False):
            score = prob.sel({"class": members}).sum("class", skipna=True)
        else:
            score = prob.sel({"class": members}).max("class", skipna=True)
        hit = score >= float(threshold)
    return finished_mask(hit, nodata, wanted, segmentation.rio.crs,
                         threshold="class map" if threshold is None else float(threshold))


def members_in(classes: Sequence[str], name: str) -> tuple[str, list[str]]:
    """The canonical word for ``name`` and those of ``classes`` that it covers (itself, or the
    members of a broad class).

    Raises
    ------
    ClassNameError
        When the class is unknown or ``classes`` hold neither it nor any member of it.
    """
    classes = [str(c) for c in classes]
    legend = Vocabulary(classes)
    wanted = legend.canonical(name)
    members = [m for m in legend.members(wanted) if m in classes]
    if not members:
        raise ClassNameError(f"the segmentation has no class {wanted!r} (nor any class it "
                             f"contains); its classes are {', '.join(classes)}")
    return wanted, members


def finished_mask(hit: Any, nodata: Any, name: str, crs: Any, **attrs: Any) -> Any:
    """A class mask as the operators read it: uint8 1/0 from ``hit``, :data:`NODATA` where
    ``nodata``, named ``name`` with its ``long_name`` and ``attrs``, the nodata value and
    CRS written."""
    import rioxarray  # noqa: F401  (the .rio accessor)

    mask = hit.astype(np.uint8).where(~nodata, NODATA).astype(np.uint8)
    mask.name = name
    mask.attrs = {"long_name": f"{name} mask", **attrs}
    mask = mask.drop_vars("class", errors="ignore")
    mask.rio.write_nodata(NODATA, encoded=False, inplace=True)
    if crs is not None:
        mask.rio.write_crs(crs, inplace=True)
    return mask
