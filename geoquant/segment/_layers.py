"""Which segmenter reads a source: one decision point for ``ask``, ``eval`` and ``monitor``.

:func:`choose_segmenter` takes a loaded cube and what the user said (a segmenter, by name or
file, or a land-cover product) and returns the segmenter that reads it:

1. a segmenter object, or a file (classifier JSON, STAC MLM item, checkpoint), as given;
2. a name of :data:`SEGMENTER_NAMES`: ``sar-water`` (:class:`~geoquant.segment.SarWater`;
   a raster of one band that is not named VV or VH is read as VV), ``spectral`` and
   ``spectral-ndwi`` (:func:`~geoquant.segment.spectral_rules` with MNDWI or NDWI), ``auto``
   (what follows);
3. a land-cover product (its code table); ``"codes"`` alone gives no segmenter: classes are
   read by number;
4. radar backscatter (:func:`~geoquant.segment.is_sar`): SarWater;
5. optical imagery with the bands the spectral rules read: the spectral rules;
6. anything else, an ordinary raster (one band of classes or backscatter, a binary mask, an
   RGB picture): refused with :class:`~geoquant.errors.BandError`, saying what to pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from geoquant.errors import BandError, InvalidOptionError

#: Segmenters chosen by name (``--segmenter NAME``, ``segmenter: NAME`` in a monitor config).
SEGMENTER_NAMES: tuple[str, ...] = ("auto", "spectral", "spectral-ndwi", "sar-water")
#: The product name that reads classes by number, without a code table.
CODES = "codes"
_RADAR = frozenset({"vv", "vh", "hh", "hv"})


def named_segmenter(name: str, *, threshold_db: float | None = None) -> Any:
    """The segmenter a name of :data:`SEGMENTER_NAMES` stands for (``None`` for ``auto``).

    Raises
    ------
    InvalidOptionError
        ``threshold_db`` with another segmenter than ``sar-water`` or ``auto``.
    """
    from geoquant.segment._rules import SarWater, spectral_rules

    if threshold_db is not None and name not in ("sar-water", "auto"):
        raise InvalidOptionError(f"threshold_db is read by the sar-water segmenter only, not "
                                 f"{name!r}: drop it, or choose sar-water")
    if name == "sar-water":
        return SarWater(threshold_db=threshold_db)
    if name in ("spectral", "spectral-ndwi"):
        return spectral_rules(index="ndwi" if name == "spectral-ndwi" else "mndwi")
    if name == "auto":
        return None
    raise InvalidOptionError(f"unknown segmenter name {name!r}: use one of "
                             f"{', '.join(SEGMENTER_NAMES)}, or a segmenter file")


def as_radar(cube: Any) -> Any:
    """``cube`` with its one band named ``vv`` when it has one band of no radar name (a
    single-band backscatter GeoTIFF), so SarWater finds it; other cubes as they are."""
    from geoquant.segment._bands import common_name

    if "band" not in cube.dims or cube.sizes["band"] != 1:
        return cube
    if common_name(str(cube.band.values[0])) in _RADAR:
        return cube
    return cube.assign_coords(band=["vv"])


def choose_segmenter(cube: Any, *, segmenter: Any = None, product: Any = None,
                     threshold_db: float | None = None, source: str | None = None
                     ) -> tuple[Any, Any]:
    """The segmenter that reads ``cube``, and the cube as it reads it (module docstring).

    Parameters
    ----------
    cube : xarray.DataArray
        ``([time,] band, y, x)`` imagery or class codes.
    segmenter : Segmenter or str or Path, optional
        A segmenter, a name of :data:`SEGMENTER_NAMES`, or a segmenter file.
    product : LandCoverProduct or "codes", optional
        The source's code table (resolved already), when it is a class raster.
    threshold_db : float, optional
        A fixed threshold for ``sar-water`` (and ``auto`` on radar).
    source : str, optional
        How to name the source in an error ("raster x.tif").

    Returns
    -------
    tuple
        ``(segmenter or None, cube)``: None when the classes are read by number only.

    Raises
    ------
    BandError
        No segmenter was named, the source is no product, radar or optical imagery: the
        message says what to pass (``--product codes``, a legend, ``--segmenter sar-water``).
    WeightsError
        A segmenter file that cannot be read.
    """
    from geoquant.segment._masks import is_sar
    from geoquant.segment._rules import SarWater

    if isinstance(segmenter, str) and segmenter in SEGMENTER_NAMES:
        segmenter = named_segmenter(segmenter, threshold_db=threshold_db)
    elif isinstance(segmenter, (str, Path)):
        from geoquant.segment._open import open_segmenter

        segmenter = open_segmenter(segmenter)
    if segmenter is None and product is not None:
        return (None if product == CODES else product), cube
    if segmenter is None and is_sar(cube):
        segmenter = SarWater(threshold_db=threshold_db)
    if isinstance(segmenter, SarWater):
        return segmenter, as_radar(cube)
    if segmenter is not None:
        return segmenter, cube
    from geoquant.segment._rules import spectral_rules

    rules = spectral_rules()
    _check_optical(cube, rules, source)
    return rules, cube


def _check_optical(cube: Any, rules: Any, source: str | None) -> None:
    """Refuse an ordinary raster for the spectral rules, saying what to pass instead."""
    from geoquant.segment._bands import band_indices, band_names

    try:
        band_indices(band_names(cube), rules.bands, who=rules.name)
    except BandError:
        what = source or "the source"
        bands = [str(b) if len(str(b)) <= 40 else str(b)[:37] + "..."
                 for b in (cube.band.values if "band" in cube.coords else ())]
        shown = ", ".join(bands[:6]) + (", ..." if len(bands) > 6 else "")
        n = cube.sizes.get("band", 1)
        raise BandError(
            f"{what} has {n} band{'s' if n != 1 else ''} ({shown or 'unnamed'}), "
            f"{_looks_like(cube)}, not the optical bands the default spectral rules read "
            f"({', '.join(rules.bands)}). Say how to read it: --product codes (classes by "
            "number), a JSON legend --product '{\"1\": \"forest\", \"2\": \"water\"}', "
            "or a built-in product (esa-worldcover, dynamic-world, deepglobe for colour "
            "masks, ...); --segmenter sar-water for radar backscatter in dB; --segmenter "
            "MODEL_FILE for other imagery"
        ) from None


def _looks_like(cube: Any) -> str:
    """What an ordinary raster seems to be, from its dtype and band count (nothing read)."""
    bands = cube.sizes.get("band", 1)
    kind = cube.dtype.kind
    if bands == 1 and kind in "iub":
        return "which looks like a class map or a mask"
    if bands == 1:
        return "which looks like one band of backscatter, an index or classes"
    if bands in (3, 4) and cube.dtype.itemsize == 1:
        return "which looks like a picture or a colour-coded mask"
    return "of unknown kind"
