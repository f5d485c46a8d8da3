"""The recipes' quick-looks: no data hatched and named in every legend, never white like the
page; units drawn as "m²" by a font that has the glyph, else written "m2"."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import rasterio

from geoquant.demo import DEMO_DATA
from geoquant.sinks import _png

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "recipes"))
import _common  # noqa: E402  (the recipes' own helpers, imported as a recipe does)

LANDUSE = DEMO_DATA / "lausanne-landuse" / "landuse_2006" / "landuse.tif"


def _landuse():
    with rasterio.open(LANDUSE) as src:
        return src.read(1), src.nodata


def test_no_data_of_a_real_map_is_hatched_not_white():
    codes, nodata = _landuse()
    outside = codes == nodata
    assert outside.any()
    rgb = _common.paint(codes, _common.class_colours([2, 12]), nodata=outside)
    assert {tuple(c) for c in rgb[outside]} == set(_png.HATCH)
    grey = _common.grey(np.where(outside, np.nan, codes.astype(float)))
    assert {tuple(c) for c in grey[outside]} == set(_png.HATCH)


def test_every_legend_names_the_hatching_and_units_render():
    key = np.asarray(_common.legend([("forest", (34, 120, 50))]))
    colours = {tuple(c) for c in key.reshape(-1, 3)}
    assert (34, 120, 50) in colours and _png.HATCH[1] in colours
    face = _common.font(13)
    assert _common.plain("3 m²") == ("3 m²" if _png.has_glyph(face, "²") else "3 m2")
