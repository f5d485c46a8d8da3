"""Quick-look text and layout helpers: units render, no data is hatched, pictures are cropped."""

from __future__ import annotations

import numpy as np
from PIL import ImageFont

from geoquant.sinks import _png


def test_units_render_or_are_written_plainly():
    """Pillow's own font has no "²": its text says m2, not an empty box; the font the
    quick-looks use draws "m²" when it has the glyph."""
    plain = ImageFont.load_default(size=13)
    assert not _png.has_glyph(plain, "²")
    assert _png.fit_text("6.70 km²", plain) == "6.70 km2"
    face = _png.font(13)
    text = _png.fit_text("6.70 km²", face)
    assert text == ("6.70 km²" if _png.has_glyph(face, "²") else "6.70 km2")
    assert _png.wrap("area 3 m² here", plain, 1000) == ["area 3 m2 here"]


def test_no_data_is_hatched_not_white():
    rgb = np.full((12, 12, 3), 100, np.uint8)
    where = np.zeros((12, 12), bool)
    where[:, 6:] = True
    out = _png.hatch(rgb, where)
    assert (out[:, :6] == 100).all()
    colours = {tuple(c) for c in out[:, 6:].reshape(-1, 3)}
    assert colours == set(_png.HATCH)


def test_picture_is_cropped_to_its_data():
    valid = np.zeros((1000, 800), bool)
    valid[10:60, 700:790] = True
    rows, cols = _png.data_window(valid)
    assert (rows.start, rows.stop) == (0, 80) and (cols.start, cols.stop) == (684, 800)
    assert _png.data_window(np.zeros((5, 5), bool)) == (slice(None), slice(None))


def test_sheet_has_a_swatch_per_legend_entry():
    from PIL import Image

    image = Image.new("RGB", (100, 50), (10, 20, 30))
    page = _png.sheet(image, caption="x", legend=[("a", (255, 0, 0)), ("b", _png.HATCHED)])
    pixels = {tuple(c) for c in np.asarray(page).reshape(-1, 3)}
    assert (255, 0, 0) in pixels and _png.HATCH[1] in pixels and (10, 20, 30) in pixels
