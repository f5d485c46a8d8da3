"""The quick-look: the answer's evidence masks over the imagery, with the answer as caption.

What a reader sees, every colour named in the legend under the picture:

- the question's subject (the mask nearest the answer) in strong orange on top, the masks it
  was made from in blue and green, and pixels in two masks of which neither holds the other
  (a class before and after a change) in purple;
- beneath them the imagery, lightened so the masks stand out (true colour, or one band in grey
  with its name); a class-code map is not imagery, so its mapped area is one pale colour;
- no data and the outside of the map hatched, and the picture cropped to the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from geoquant.segment import MASK_NODATA

#: Overlay colours of the first (the subject), second and third evidence mask (RGB).
OVERLAY = ((230, 85, 13), (33, 113, 181), (35, 139, 69))
#: Colour of pixels in both of two evidence masks of which neither holds the other.
OVERLAP = (128, 0, 128)
#: Colour of a class-code map's mapped area under the masks (not imagery: no grey ramp).
MAPPED = (235, 232, 220)
#: How much of the subject's / the other masks' colour covers the background.
ALPHA = (0.9, 0.75)
#: The background imagery is lightened towards white by this much, so the masks stand out.
LIGHTEN = 0.45
#: Largest number of distinct values of an integer picture read as class codes, not imagery.
MAX_CODES = 256


def _stretch(band: np.ndarray) -> np.ndarray:
    """0..255 from the 2nd to the 98th percentile of the finite values."""
    finite = band[np.isfinite(band)]
    if finite.size == 0:
        return np.full(band.shape, 128, np.uint8)
    low, high = np.percentile(finite, (2, 98))
    scaled = (band - low) / (high - low if high > low else 1.0)
    return (np.clip(np.nan_to_num(scaled, nan=0.0), 0, 1) * 255).astype(np.uint8)


def is_code_map(picture: Any) -> bool:
    """Whether a picture is a class-code map (integers, few values) rather than imagery."""
    values = np.asarray(picture.values)
    if values.shape[0] != 1:
        return False
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
    if finite.size == 0 or not np.all(finite == np.round(finite)):
        return False
    return np.unique(finite[: 1_000_000]).size <= MAX_CODES and values.dtype.kind in "uif"


def background(picture: Any, shape: tuple[int, int]) -> tuple[np.ndarray, str, np.ndarray]:
    """The picture under the masks: ``(y, x, 3)`` uint8, what it shows (for the legend), and
    where it has data.

    True colour from three bands, one band in grey, a class-code map as one pale colour (its
    codes are not brightness), lightened towards white so the masks stand out. Without a
    picture: the pale colour, "mapped area".
    """
    if picture is None:
        return np.broadcast_to(np.asarray(MAPPED, np.uint8), (*shape, 3)).copy(), \
            "mapped area", np.ones(shape, bool)
    values = np.asarray(picture.values, dtype=np.float64)
    valid = np.isfinite(values).all(axis=0)
    nodata = picture.attrs.get("_FillValue", picture.rio.nodata if hasattr(picture, "rio")
                               else None)
    if nodata is not None and np.isfinite(nodata):
        valid &= ~(values == nodata).all(axis=0)
    if is_code_map(picture):
        rgb = np.broadcast_to(np.asarray(MAPPED, np.uint8), (*shape, 3)).copy()
        return rgb, "mapped area (other classes)", valid
    bands = [str(b) for b in picture.coords["band"].values] if "band" in picture.coords \
        else []
    if values.shape[0] == 3:
        rgb = np.stack([_stretch(np.where(valid, b, np.nan)) for b in values], axis=-1)
        what = "imagery in true colour"
    else:
        grey = _stretch(np.where(valid, values[0], np.nan))
        rgb = np.stack([grey] * 3, axis=-1)
        what = f"{bands[0] if bands else 'imagery'} in grey (dark low, light high)"
    rgb = (rgb * (1 - LIGHTEN) + 255 * LIGHTEN).astype(np.uint8)
    return rgb, f"background: {what}, lightened", valid


def _label(name: str, mask: Any) -> str:
    long_name = getattr(mask, "attrs", {}).get("long_name")
    return f"{long_name} ({name})" if long_name and long_name != name else name


def draw(path: Path | BinaryIO, picture: Any, masks: Sequence[tuple[str, Any]],
         caption: str) -> None:
    """Write the quick-look PNG.

    Parameters
    ----------
    path : Path or binary file
        Where the PNG goes.
    picture : xarray.DataArray or None
        ``(band, y, x)`` imagery (3 bands: red, green, blue) or one band, on the masks' grid.
    masks : sequence of (name, mask)
        uint8 masks (1, 0, 255 nodata), the answer's subject first; each is named in the
        legend by its ``long_name`` attribute (the step in words) and its name.
    caption : str
        The question and answer, wrapped under the picture above the legend.
    """
    from geoquant.sinks._png import HATCHED, NO_DATA, data_window, enlarge, hatch, save_png, sheet

    shape = tuple(masks[0][1].shape) if masks else tuple(picture.shape[-2:])
    rgb, what, valid = background(picture, shape)
    rgb = rgb.astype(np.float64)
    hits = [np.asarray(m.values) == 1 for _, m in masks[:len(OVERLAY)]]
    for _, mask in masks:
        valid &= np.asarray(mask.values) != MASK_NODATA
    legend: list[tuple[str, Any]] = []
    drawn = np.zeros(shape, bool)
    # pixels in two masks of which neither holds the other (a class before and after) are
    # drawn as "in both"; otherwise the mask nearest the answer is drawn on top
    both = None
    if len(hits) > 1 and (hits[0] & ~hits[1]).any() and (hits[1] & ~hits[0]).any():
        both = hits[0] & hits[1]
    for n, ((name, mask), hit, colour) in enumerate(zip(masks, hits, OVERLAY, strict=False)):
        alpha = ALPHA[0] if n == 0 else ALPHA[1]
        paint = hit & ~drawn
        rgb[paint] = (1 - alpha) * rgb[paint] + alpha * np.asarray(colour, np.float64)
        hidden = " - all of it under the colours above" if hit.any() and not paint.any() \
            else ""
        drawn |= hit
        legend.append((_label(name, mask) + hidden, colour))
    if both is not None and both.any():
        rgb[both] = OVERLAP
        legend.append((f"in both {masks[0][0]} and {masks[1][0]}", OVERLAP))
    legend.append((what, MAPPED if "mapped area" in what else (200, 200, 200)))
    rgb = hatch(rgb.astype(np.uint8), ~valid)
    if (~valid).any():
        legend.append((NO_DATA, HATCHED))
    rows, cols = data_window(valid | np.any(hits, axis=0) if hits else valid)
    page = sheet(enlarge(rgb[rows, cols]), caption=caption, legend=legend)
    save_png(page, path)
