"""Land-cover products as segmenters: a product's class codes mapped onto the vocabulary.

A product raster already says what each pixel is; as a segmenter it gives probability one to
the class its code maps to and zero to the others. Built-in code tables:

==================  ==========================================================================
name                source of the codes
==================  ==========================================================================
``esa-worldcover``  ESA WorldCover 10 m v100/v200 product user manual, Table 1 (codes 10..100)
``io-lulc``         Impact Observatory / Esri annual 9-class LULC v02 (STAC ``file:values``)
``slovenia-lulc``   eo-learn's Slovenia land-cover reference (``LULC.npy``, codes 0..10)
``geoquant-synth``  :data:`geoquant.synth.CLASSES`
==================  ==========================================================================

:meth:`LandCoverProduct.from_stac` builds a table from an item's ``classification:classes`` or
``file:values`` metadata, matching each class description to the vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from geoquant._backend import array_module
from geoquant.errors import BandError, InvalidOptionError
from geoquant.segment._bands import band_indices
from geoquant.segment._vocabulary import (
    CLASS_NAMES,
    Vocabulary,
    is_nodata_word,
    legend_classes,
)


@dataclass(frozen=True)
class LandCoverProduct:
    """A categorical land-cover raster read as a segmenter.

    Parameters
    ----------
    name : str
        The product's name.
    codes : mapping of int to str
        Pixel code -> class word, read exactly as given (:func:`legend_classes`): a vocabulary
        name or synonym becomes the vocabulary's name when no other code is of that class
        ("Tree cover" is ``forest``); the others, and narrower kinds ("Mangroves",
        "Moss and lichen"), become classes of their own, named as written ("vineyard").
        Distinct classes are never merged; a coarser word covers them as a union
        (:meth:`classes_for`). Codes not in the table are classes outside the vocabulary:
        every probability is zero there.
    nodata : tuple of int, optional
        Codes that mean no data: probabilities are NaN there. None by default: a code the
        legend names is a class (code 0 included), and no data is only what the product
        declares here or the file declares (its nodata tag, read as NaN).
    version : str
        The product's version, for provenance.
    band : str, optional
        Name of the band holding the codes. Without it the tile must have exactly one band;
        name it to read the codes from a cube with other bands, or inside an ensemble.
    colours : tuple of (code, (red, green, blue)), optional
        For colour-coded class masks (DeepGlobe's RGB PNGs): the colour of each code.
        :meth:`codes_from_colours` turns such an image into one band of codes; a colour
        not listed reads as the first nodata code, or, for a product without one, as a code
        outside the table (a class outside the vocabulary).
    """

    name: str
    codes: Mapping[int, str]
    nodata: tuple[int, ...] = ()
    version: str = "1"
    band: str | None = None
    colours: tuple[tuple[int, tuple[int, int, int]], ...] = ()
    bands: tuple[str, ...] = field(init=False)
    halo: int = 0
    stride: int = 1
    exclusive: bool = True
    classes: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        named = legend_classes([str(word) for word in self.codes.values()])
        table = {int(code): named[str(word)] for code, word in self.codes.items()}
        object.__setattr__(self, "codes", MappingProxyType(table))
        present = set(table.values())
        legend = tuple(dict.fromkeys(c for c in table.values() if c not in CLASS_NAMES))
        object.__setattr__(self, "classes",
                           tuple(c for c in CLASS_NAMES if c in present) + legend)
        object.__setattr__(self, "bands", () if self.band is None else (self.band,))

    def classes_for(self, word: str) -> tuple[str, ...]:
        """The product's classes a class word means: exactly its own class for a word of the
        legend ("mangroves"), the union of the classes it contains for a coarser word
        ("wetland": herbaceous wetland and mangroves). See :meth:`Vocabulary.covers`.

        Raises
        ------
        ClassNameError
            The word is unknown, or the product has no class it covers.
        """
        return Vocabulary(self.classes).covers(word)

    def codes_for(self, word: str) -> tuple[int, ...]:
        """The pixel codes of :meth:`classes_for`, in ascending order.

        >>> product("esa-worldcover").codes_for("wetland")
        (90, 95)
        >>> product("esa-worldcover").codes_for("mangroves")
        (95,)
        """
        covered = set(self.classes_for(word))
        return tuple(sorted(code for code, cls in self.codes.items() if cls in covered))

    def reading(self, band: str) -> LandCoverProduct:
        """The same product reading its codes from the named band."""
        return replace(self, band=band)

    @classmethod
    def from_stac(cls, item: Mapping[str, Any], *, asset: str = "data",
                  name: str | None = None) -> LandCoverProduct:
        """A product from a STAC item's class metadata.

        Reads ``classification:classes`` (``value``, ``description``/``name``) or
        ``file:values`` (``values``, ``summary``) of the asset, each description exactly as
        written (see ``codes``: "Rangeland" is grass, "Mangroves" a class of its own);
        "No Data" marks nodata, and only it.
        """
        meta = dict(item.get("assets", {}).get(asset, {}))
        pairs: list[tuple[int, str]] = []
        for entry in meta.get("classification:classes", []):
            pairs.append((int(entry["value"]),
                          str(entry.get("description") or entry.get("name", ""))))
        for entry in meta.get("file:values", []):
            pairs.extend((int(v), str(entry.get("summary", ""))) for v in entry["values"])
        if not pairs:
            raise InvalidOptionError(
                f"asset {asset!r} of item {item.get('id')!r} has no 'classification:classes' "
                "or 'file:values' metadata: pass the code table as LandCoverProduct(codes=...)")
        codes, nodata = {}, []
        for value, words in pairs:
            if is_nodata_word(words):
                nodata.append(value)
                continue
            codes[value] = words
        return cls(name or str(item.get("collection") or item.get("id")), codes,
                   tuple(nodata))

    def parameters(self) -> dict[str, Any]:
        out = {"codes": {str(k): v for k, v in self.codes.items()},
               "nodata": list(self.nodata), "band": self.band}
        if self.colours:
            out["colours"] = {str(k): list(c) for k, c in self.colours}
        return out

    def codes_from_colours(self, image: Any) -> Any:
        """One band of class codes (``uint8``) from a colour-coded mask image.

        Parameters
        ----------
        image : xarray.DataArray
            ``(band, y, x)`` or ``(time, band, y, x)`` with red, green and blue as its first
            three bands.
        """
        import xarray as xr

        red, green, blue = (image.isel(band=k, drop=True) for k in range(3))
        codes = xr.full_like(red, self._unlisted_code(), dtype=np.uint8)
        for code, (r, g, b) in self.colours:
            # colours within 64 of the legend's (a mask drawn with smoothed edges); lossy
            # JPEG masks are refused before this (geoquant.reason's sources)
            hit = (abs(red.astype(np.int16) - r) < 64) & (abs(green.astype(np.int16) - g) < 64) \
                & (abs(blue.astype(np.int16) - b) < 64)
            codes = xr.where(hit, np.uint8(code), codes)
        codes = codes.astype(np.uint8).expand_dims(band=["codes"], axis=-3)
        codes.attrs = {}
        if image.rio.crs is not None:
            codes = codes.rio.write_crs(image.rio.crs).rio.write_transform(
                image.rio.transform())
        return codes

    def codes_from_palette(self, image: Any, palette: Mapping[int, Sequence[int]]) -> Any:
        """One band of class codes (``uint8``) from a paletted mask image: each index to its
        palette colour, each colour to its code as :meth:`codes_from_colours` reads it.

        Parameters
        ----------
        image : xarray.DataArray
            ``(band, y, x)`` with one band of palette indices.
        palette : mapping of int to (red, green, blue)
            The image's colour table (``attrs["palette"]`` of :func:`geoquant.sources.open_raster`).
        """
        table = np.full(256, self._unlisted_code(), dtype=np.uint8)
        for index, colour in palette.items():
            table[int(index)] = self._code_of(tuple(int(c) for c in colour[:3]))
        band = image.isel(band=0, drop=True)
        data = band.data
        if hasattr(data, "map_blocks"):
            data = data.map_blocks(table.__getitem__, dtype=np.uint8)
        else:
            data = table[np.asarray(data)]
        codes = band.copy(data=data).expand_dims(band=["codes"], axis=-3)
        codes.attrs = {}
        if image.rio.crs is not None:
            codes = codes.rio.write_crs(image.rio.crs).rio.write_transform(
                image.rio.transform())
        return codes

    def _code_of(self, colour: tuple[int, ...]) -> int:
        """The code of one colour: the legend's own, else the last within 64 on every
        channel (as :meth:`codes_from_colours`), else :meth:`_unlisted_code`."""
        found = self._unlisted_code()
        for code, listed in self.colours:
            if tuple(listed) == colour:
                return int(code)
            if all(abs(a - b) < 64 for a, b in zip(listed, colour, strict=True)):
                found = int(code)
        return found

    def _unlisted_code(self) -> int:
        """The code of a colour the table does not list: the first nodata code, else the
        highest byte the table does not use (a class outside the vocabulary)."""
        if self.nodata:
            return int(self.nodata[0])
        return next(c for c in range(255, -1, -1) if c not in self.codes)

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        xp = array_module(tile)
        if self.band is not None:
            (position,) = band_indices(bands, self.bands, who=f"product {self.name!r}")
        elif tile.shape[0] == 1:
            position = 0
        else:
            raise BandError(f"product {self.name!r} reads its codes from one band, but the "
                            f"cube has {len(bands)} ({', '.join(map(str, bands))}): name it, "
                            f"e.g. product({self.name!r}, band={str(bands[-1])!r})")
        codes = tile[position]
        out = xp.zeros((len(self.classes), *codes.shape), dtype=np.float32)
        for code, cls in self.codes.items():
            out[self.classes.index(cls)][codes == code] = 1.0
        missing = ~xp.isfinite(codes) if codes.dtype.kind == "f" else xp.zeros(codes.shape, bool)
        for code in self.nodata:
            missing |= codes == code
        out[:, missing] = np.nan
        return out


ESA_WORLDCOVER = LandCoverProduct("esa-worldcover", {
    10: "forest", 20: "shrubland", 30: "grass", 40: "cropland", 50: "built-up", 60: "bare",
    70: "snow", 80: "water", 90: "herbaceous wetland", 95: "mangroves", 100: "moss and lichen"},
    (0,), "200")
IO_LULC = LandCoverProduct("io-lulc", {
    1: "water", 2: "forest", 4: "wetland", 5: "cropland", 7: "built-up", 8: "bare", 9: "snow",
    10: "cloud", 11: "grass"}, (0,), "02")
SLOVENIA_LULC = LandCoverProduct("slovenia-lulc", {
    1: "cropland", 2: "forest", 3: "grass", 4: "shrubland", 5: "water", 6: "wetland",
    7: "tundra", 8: "built-up", 9: "bare", 10: "snow"}, (0,), "eo-learn")
GEOQUANT_SYNTH = LandCoverProduct("geoquant-synth", {
    1: "water", 2: "forest", 3: "cropland", 4: "grass", 5: "road", 6: "building", 7: "river"},
    (0,), "1")

#: DeepGlobe land cover (SQuID's DeepGlobe images): colour-coded RGB masks.
DEEPGLOBE = LandCoverProduct(
    "deepglobe", {1: "urban", 2: "agriculture", 3: "rangeland", 4: "forest", 5: "water",
                  6: "barren"}, (0,), "2018",
    colours=((1, (0, 255, 255)), (2, (255, 255, 0)), (3, (255, 0, 255)), (4, (0, 255, 0)),
             (5, (0, 0, 255)), (6, (255, 255, 255))))
#: EarthVQA / LoveDA masks (SQuID's EarthVQA images): class indices, 0 no data.
EARTHVQA = LandCoverProduct(
    "earthvqa", {1: "background", 2: "building", 3: "road", 4: "water", 5: "barren",
                 6: "forest", 7: "agriculture", 8: "playground"}, (0,), "2024")
#: Dynamic World's class indices (0 water ... 8 snow and ice).
DYNAMIC_WORLD = LandCoverProduct(
    "dynamic-world", {0: "water", 1: "trees", 2: "grass", 3: "flooded vegetation", 4: "crops",
                      5: "shrub and scrub", 6: "built", 7: "bare", 8: "snow and ice"},
    (255,), "1")

#: Built-in products by name.
PRODUCTS: MappingProxyType[str, LandCoverProduct] = MappingProxyType({
    p.name: p for p in (ESA_WORLDCOVER, IO_LULC, SLOVENIA_LULC, GEOQUANT_SYNTH, DEEPGLOBE,
                        EARTHVQA, DYNAMIC_WORLD)})


def product(name: str, *, band: str | None = None) -> LandCoverProduct:
    """A built-in land-cover product by name (see :data:`PRODUCTS`).

    ``band`` names the band holding the codes when the cube has more than one.
    """
    try:
        found = PRODUCTS[name]
        return found if band is None else found.reading(band)
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, list(PRODUCTS), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise InvalidOptionError(f"unknown land-cover product {name!r}: {hint}built-in "
                                 f"products are {', '.join(PRODUCTS)}") from None
