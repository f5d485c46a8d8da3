"""The quick-look: the answer's evidence masks over the imagery, with the answer as caption."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from geoquant.segment import MASK_NODATA

#: Overlay colours of the first, second and third evidence mask (RGB).
OVERLAY = ((230, 85, 13), (49, 130, 189), (116, 196, 118))
ALPHA = 0.55
NODATA_RGB = (255, 255, 255)


def _stretch(band: np.ndarray) -> np.ndarray:
    """0..255 from the 2nd to the 98th percentile of the finite values."""
    finite = band[np.isfinite(band)]
    if finite.size == 0:
        return np.full(band.shape, 128, np.uint8)
    low, high = np.percentile(finite, (2, 98))
    scaled = (band - low) / (high - low if high > low else 1.0)
    return (np.clip(np.nan_to_num(scaled, nan=0.0), 0, 1) * 255).astype(np.uint8)


def background(picture: Any, shape: tuple[int, int]) -> np.ndarray:
    """``(y, x, 3)`` uint8 from a ``(band, y, x)`` picture: true colour or grey; light grey if
    there is none."""
    if picture is None:
        return np.full((*shape, 3), 200, np.uint8)
    values = np.asarray(picture.values, dtype=np.float64)
    if values.shape[0] == 3:
        return np.stack([_stretch(b) for b in values], axis=-1)
    grey = _stretch(values[0])
    return np.stack([grey] * 3, axis=-1)


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
        uint8 masks (1, 0, 255 nodata), drawn in :data:`OVERLAY` colours, first on top.
    caption : str
        The question and answer, wrapped under the picture with a legend of the masks.
    """
    from PIL import Image, ImageDraw

    shape = masks[0][1].shape if masks else picture.shape[-2:]
    rgb = background(picture, shape).astype(np.float64)
    for (_, mask), colour in reversed(list(zip(masks, OVERLAY, strict=False))):
        values = np.asarray(mask.values)
        hit = values == 1
        rgb[hit] = (1 - ALPHA) * rgb[hit] + ALPHA * np.asarray(colour, np.float64)
        nodata = values == MASK_NODATA
        rgb[nodata] = 0.5 * rgb[nodata] + 0.5 * np.asarray(NODATA_RGB)
    image = Image.fromarray(rgb.astype(np.uint8))
    scale = max(1, int(np.ceil(480 / max(image.width, image.height))))
    image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    width = max(image.width, 480)
    lines = []
    for paragraph in caption.splitlines():
        lines.extend(textwrap.wrap(paragraph, width=max(40, width // 7)) or [""])
    legend = [(name, colour) for (name, _), colour in zip(masks, OVERLAY, strict=False)]
    height = image.height + 14 * (len(lines) + 1) + 18 * len(legend) + 8
    sheet = Image.new("RGB", (width, height), "white")
    sheet.paste(image, (0, 0))
    pen = ImageDraw.Draw(sheet)
    y = image.height + 6
    for line in lines:
        pen.text((6, y), line, fill="black")
        y += 14
    y += 8
    for name, colour in legend:
        pen.rectangle((6, y, 20, y + 12), fill=colour)
        pen.text((26, y), name, fill="black")
        y += 18
    sheet.save(path, format="PNG")
