"""Quick-look PNGs a person reads: a picture, a caption under it, and a legend naming every colour.

The rules every quick-look of geoquant keeps (the demo's panels and each answer's picture):

- every colour in the picture is named in its legend, the background and no data included;
- no data and the outside of a map are hatched, never drawn white like the page margin, and
  the picture is cropped to the data so that it is not mostly margin;
- units render: text is drawn in DejaVu Sans (which has "²" and "³") when it is installed, and
  otherwise "m²" becomes "m2" rather than an empty box.

Pillow is imported inside the functions, so importing :mod:`geoquant.sinks` stays instant.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

#: Colours of no data's hatching: light grey stripes on white.
HATCH = ((255, 255, 255), (175, 175, 175))
#: A legend entry's swatch that draws the hatching instead of a plain colour.
HATCHED = "hatched"
NO_DATA = "no data / outside the map"
#: Where fonts with the superscript glyphs may be, tried in order.
_FONTS = ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
          "/usr/share/fonts/dejavu/DejaVuSans.ttf", "/Library/Fonts/Arial Unicode.ttf",
          "C:/Windows/Fonts/arial.ttf")
_SUPERSCRIPTS = str.maketrans({"²": "2", "³": "3", "⁻": "-", "¹": "1"})


@functools.cache
def font(size: int = 13) -> Any:
    """A TrueType font of ``size`` pixels with the "²" glyph if one is found, else Pillow's
    default font (whose text :func:`fit_text` writes without superscripts)."""
    from PIL import ImageFont

    for name in (*_FONTS, _matplotlib_font()):
        if not name:
            continue
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _matplotlib_font() -> str | None:
    """DejaVu Sans as shipped inside matplotlib, without importing matplotlib."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "mpl-data/fonts/ttf/DejaVuSans.ttf"
    return str(path) if path.is_file() else None


def has_glyph(face: Any, char: str) -> bool:
    """Whether ``face`` draws ``char`` as itself rather than as its missing-glyph box."""
    missing = face.getmask("\U0010fffd")
    drawn = face.getmask(char)
    return drawn.size != missing.size or bytes(drawn) != bytes(missing)


def fit_text(text: str, face: Any) -> str:
    """``text`` as ``face`` can draw it: "m²" stays when the font has "²", else "m2"."""
    if all(has_glyph(face, c) for c in set(text) & set("²³⁻¹")):
        return text
    return text.translate(_SUPERSCRIPTS)


def hatch(rgb: np.ndarray, where: np.ndarray, *, period: int = 6) -> np.ndarray:
    """``rgb`` (y, x, 3) with diagonal stripes drawn where ``where`` is True."""
    yy, xx = np.indices(where.shape)
    stripe = ((yy + xx) % period) < period // 3
    out = rgb.copy()
    out[where & stripe] = HATCH[1]
    out[where & ~stripe] = HATCH[0]
    return out


def data_window(valid: np.ndarray, *, pad: float = 0.02) -> tuple[slice, slice]:
    """The rows and columns that hold ``valid`` pixels, padded by ``pad`` of the size: the
    crop that keeps a picture from being mostly margin (all of it when nothing is valid)."""
    rows, cols = np.flatnonzero(valid.any(axis=1)), np.flatnonzero(valid.any(axis=0))
    if rows.size == 0:
        return slice(None), slice(None)
    ny, nx = valid.shape
    dy, dx = max(1, round(pad * ny)), max(1, round(pad * nx))
    return (slice(max(0, rows[0] - dy), min(ny, rows[-1] + 1 + dy)),
            slice(max(0, cols[0] - dx), min(nx, cols[-1] + 1 + dx)))


def wrap(text: str, face: Any, width: int) -> list[str]:
    """Lines of ``text`` that fit ``width`` pixels in ``face`` (paragraphs kept)."""
    lines: list[str] = []
    for paragraph in fit_text(text, face).splitlines():
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if line and face.getlength(trial) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return lines


def sheet(image: Any, *, caption: str = "", title: str = "",
          legend: Sequence[tuple[str, Any]] = (), width: int | None = None,
          size: int = 13) -> Any:
    """A picture with a title above, its caption and legend below, on a white page.

    Parameters
    ----------
    image : PIL.Image.Image
        The picture, already at the size it is shown.
    caption, title : str
        Text under and above the picture; wrapped to the page's width.
    legend : sequence of (label, colour)
        One swatch per colour: an RGB triple, or :data:`HATCHED` for no data.
    width : int, optional
        Page width in pixels (default: the picture's, at least 480).
    size : int
        Text size in pixels.

    Returns
    -------
    PIL.Image.Image
    """
    from PIL import Image, ImageDraw

    face = font(size)
    line = size + 5
    width = width or max(image.width, 480)
    heads = wrap(title, face, width - 12) if title else []
    lines = wrap(caption, face, width - 12) if caption else []
    entries = [(wrap(label, face, width - 40), colour) for label, colour in legend]
    top = 6 + line * len(heads) if heads else 0
    height = (top + image.height + 8 + line * len(lines) + 6
              + sum(line * len(label) + 4 for label, _ in entries) + 6)
    page = Image.new("RGB", (width, height), "white")
    page.paste(image, ((width - image.width) // 2, top))
    pen = ImageDraw.Draw(page)
    y = 4
    for text in heads:
        pen.text((6, y), text, fill="black", font=face)
        y += line
    y = top + image.height + 8
    for text in lines:
        pen.text((6, y), text, fill="black", font=face)
        y += line
    y += 6
    for label, colour in entries:
        box = (6, y + 1, 6 + size + 4, y + size + 3)
        if colour == HATCHED:
            swatch = hatch(np.zeros((size + 3, size + 5, 3), np.uint8),
                           np.ones((size + 3, size + 5), bool), period=5)
            page.paste(Image.fromarray(swatch), box[:2])
        else:
            pen.rectangle(box, fill=tuple(int(c) for c in colour))
        pen.rectangle(box, outline=(90, 90, 90))
        for n, text in enumerate(label):
            pen.text((box[2] + 8, y + n * line), text, fill="black", font=face)
        y += line * len(label) + 4
    return page


def enlarge(rgb: np.ndarray, *, target: int = 480, limit: int = 1400) -> Any:
    """A PIL image of ``rgb`` scaled by whole pixels (nearest) to at least ``target`` pixels
    on its longer side, and reduced by whole pixels to at most ``limit``."""
    from PIL import Image

    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    longest = max(image.width, image.height)
    if longest > limit:
        step = int(np.ceil(longest / limit))
        return image.resize((max(1, image.width // step), max(1, image.height // step)),
                            Image.Resampling.NEAREST)
    scale = max(1, int(np.ceil(target / longest)))
    return image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)


def save_png(page: Any, path: Path | BinaryIO) -> None:
    """Write ``page`` as PNG (a path or a binary file)."""
    page.save(path, format="PNG")
