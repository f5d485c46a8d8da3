"""Training data from the files users have: image/mask pairs, scenes with a label raster, SAR chips.

Three layouts, each read into :class:`TrainingImage` records (bands in memory, a class index
per pixel, -1 where there is no label, and the *group* a held-out split is drawn by):

1. **Folders of image/mask pairs** (:func:`read_pairs`): a folder holding an image folder
   (``images``, ``image``, ``imgs``, ``S1``, ``S2``) and a mask folder (``masks``, ``mask``,
   ``labels``, ``Labels``, ``gt``), or a root holding several such folders (Dubai's
   ``tile-1`` .. ``tile-6``). Files pair by name (``image_part_001.jpg`` with
   ``image_part_001.png``), or by name without its last ``_`` part
   (``Spain_7370579_S1Hand.tif`` with ``Spain_7370579_LabelHand.tif``). Images are JPEG, PNG
   or GeoTIFF; masks are codes (one band) or colours (three bands, with a colour legend).
   The group of a pair is its pair folder when a root holds several, else the first ``_``
   part of its name (Sen1Floods11's event country).
2. **A georeferenced scene and a label raster on another grid** (:func:`read_scene`): the
   labels are reprojected onto the scene's grid by nearest neighbour, their no data kept as no
   data; the scene is cut into ``region`` groups (north/south halves) for spatial splits.
3. SAR chips are layout 1 with VV/VH GeoTIFFs in dB, NaN as no data.

Legends (:func:`parse_legend`) map codes (``1=water,2=built-up``) or colours
(``#3C1098=building``) to class words; a word ``nodata`` (or ``unlabeled``, ``ignore``) marks
pixels that carry no label.

Bad input raises, before anything is written: :class:`~geoquant.errors.MaskError` for a mask of
another size than its image, a colour or code not in the legend (named, with its pixel count),
or data with no labelled pixel at all; :class:`~geoquant.errors.GridMismatchError` for a label
raster that does not overlap the scene. A pair that is all no data (its image all NaN, or its
mask all no-data) is skipped with a :class:`SkippedChipWarning` naming it, because real chip
sets contain such chips (two of Sen1Floods11's shared chips are); ``strict=True`` makes it a
:class:`~geoquant.errors.MaskError`.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import (
    AssetError,
    GridMismatchError,
    InvalidOptionError,
    MaskError,
)

IMAGE_FOLDERS = ("images", "image", "imgs", "s1", "s2", "img")
MASK_FOLDERS = ("masks", "mask", "labels", "label", "gt")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".tif", ".tiff")
NODATA_WORDS = ("nodata", "no data", "no-data", "unlabeled", "unlabelled", "ignore", "none")
REGIONS = ("north", "south", "west", "east")


class SkippedChipWarning(UserWarning):
    """A training pair was left out because it holds no data or no label."""


@dataclass(frozen=True)
class Legend:
    """Class words of a label source: by code, or by colour for colour-coded masks.

    Attributes
    ----------
    words : tuple of str
        The class words, in output order (vocabulary names where the vocabulary knows them).
    codes : mapping of int to int
        Mask code -> position in :attr:`words`; codes in :attr:`nodata` mean no label.
    colours : mapping of (int, int, int) to int
        Mask colour -> position in :attr:`words` (empty for code masks); -1: no label.
    nodata : tuple of int
        Codes that mean no label.
    """

    words: tuple[str, ...]
    codes: Mapping[int, int]
    colours: Mapping[tuple[int, int, int], int]
    nodata: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"words": list(self.words),
                "codes": {str(k): v for k, v in self.codes.items()},
                "colours": {_hex(c): v for c, v in self.colours.items()},
                "nodata": list(self.nodata)}


def _hex(colour: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{c:02X}" for c in colour)


def parse_legend(legend: str | Path | Mapping[Any, str]) -> Legend:
    """A :class:`Legend` from text, a JSON file, a mapping or a built-in product name.

    Parameters
    ----------
    legend : str, Path or mapping
        ``"1=water,2=built-up,255=nodata"`` or ``"#3C1098=building,#9B9B9B=unlabeled"``; a
        JSON file or mapping of the same pairs (``{"#3C1098": "building"}``); or the name of a
        built-in land-cover product (``"esa-worldcover"``). Words such as ``nodata`` and
        ``unlabeled`` mark pixels without a label.

    Raises
    ------
    InvalidOptionError
        Unreadable pairs, colours and codes mixed, or no class word.
    """
    from geoquant.segment._products import PRODUCTS, LandCoverProduct
    from geoquant.segment._vocabulary import Vocabulary

    if isinstance(legend, LandCoverProduct) or (isinstance(legend, str) and legend in PRODUCTS):
        table = PRODUCTS[legend] if isinstance(legend, str) else legend
        pairs = {**{str(c): w for c, w in table.codes.items()},
                 **{str(c): "nodata" for c in table.nodata}}
    elif isinstance(legend, Mapping):
        pairs = {str(k): str(v) for k, v in legend.items()}
    elif isinstance(legend, Path) or (isinstance(legend, str) and legend.endswith(".json")):
        try:
            data = json.loads(Path(legend).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise InvalidOptionError(f"cannot read the legend {legend}: {err}") from None
        if not isinstance(data, Mapping):
            raise InvalidOptionError(f"the legend {legend} must map codes or colours to class "
                                     'words, e.g. {"#3C1098": "building"}')
        pairs = {str(k): str(v) for k, v in data.items()}
    else:
        pairs = {}
        for part in str(legend).split(","):
            if not part.strip():
                continue
            key, sep, word = part.partition("=")
            if not sep or not key.strip() or not word.strip():
                raise InvalidOptionError(f"legend entries are code=word or #RRGGBB=word "
                                         f"separated by commas, not {part.strip()!r}")
            pairs[key.strip()] = word.strip()
    colour_keys = [k for k in pairs if k.startswith("#")]
    if colour_keys and len(colour_keys) != len(pairs):
        raise InvalidOptionError("a legend maps either codes or colours (#RRGGBB), not both")
    labelled = [w for w in pairs.values() if w.strip().lower() not in NODATA_WORDS]
    if not labelled:
        raise InvalidOptionError("the legend names no class word (only no-data entries)")
    vocabulary = Vocabulary(labelled)
    words = tuple(dict.fromkeys(vocabulary.canonical(w) for w in labelled))
    codes: dict[int, int] = {}
    colours: dict[tuple[int, int, int], int] = {}
    nodata: list[int] = []
    for key, word in pairs.items():
        index = (-1 if word.strip().lower() in NODATA_WORDS
                 else words.index(vocabulary.canonical(word)))
        if key.startswith("#"):
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", key):
                raise InvalidOptionError(f"colour {key!r} is not #RRGGBB")
            colours[(int(key[1:3], 16), int(key[3:5], 16), int(key[5:7], 16))] = index
        else:
            try:
                code = int(float(key))
            except ValueError:
                raise InvalidOptionError(f"legend code {key!r} is not an integer (or give "
                                         "colours as #RRGGBB)") from None
            codes[code] = index
            if index < 0:
                nodata.append(code)
    return Legend(words, codes, colours, tuple(nodata))


# --- reading ---------------------------------------------------------------------------------


@dataclass
class TrainingImage:
    """One image in memory with its labels.

    Attributes
    ----------
    name : str
        Where it came from (file or scene and region), for messages and reports.
    group : str
        The unit of held-out splits: a tile folder, an event, a region.
    values : numpy.ndarray
        ``(band, y, x)`` float32, NaN where there is no data.
    bands : tuple of str
        Common names of the bands.
    target : numpy.ndarray
        ``(y, x)`` int16 position in the legend's words, -1 where there is no label.
    """

    name: str
    group: str
    values: np.ndarray
    bands: tuple[str, ...]
    target: np.ndarray


def _read_raster(path: Path) -> tuple[np.ndarray, tuple[str, ...], Any]:
    """Values ``(band, y, x)`` (float32, NaN for nodata), band descriptions, profile."""
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                data = src.read()
                if src.count == 1 and _has_palette(src):   # paletted PNG masks: colours
                    palette = src.colormap(1)
                    lookup = np.zeros((256, 3), np.uint8)
                    for index, colour in palette.items():
                        lookup[index] = colour[:3]
                    data = np.moveaxis(lookup[data[0]], -1, 0)
                names = tuple(d or "" for d in src.descriptions)
                nodata, profile = src.nodata, dict(src.profile)
    except rasterio.errors.RasterioIOError as err:
        raise AssetError(f"cannot read {path}: {err}") from None
    return data, names, (nodata, profile)


def _has_palette(src: Any) -> bool:
    try:
        return bool(src.colormap(1))
    except ValueError:   # rasterio: "NULL color table"
        return False


def _band_names_of(names: tuple[str, ...], count: int, dtype: Any,
                   given: Sequence[str] | None, path: Path) -> tuple[str, ...]:
    from geoquant.segment._bands import common_name

    if given is not None:
        if len(given) != count:
            raise InvalidOptionError(f"{path} has {count} bands but {len(given)} band names "
                                     f"were given ({', '.join(given)})")
        return tuple(common_name(b) for b in given)
    if all(names) and len(set(names)) == count:
        return tuple(common_name(n) for n in names)
    if count in (3, 4) and np.dtype(dtype) == np.uint8:
        return ("red", "green", "blue", "alpha")[:count]   # JPEG/PNG photographs
    return tuple(f"b{i + 1}" for i in range(count))


def read_image(path: str | Path, *, bands: Sequence[str] | None = None
               ) -> tuple[np.ndarray, tuple[str, ...]]:
    """One image file as float32 ``(band, y, x)`` with NaN for no data, and its band names.

    Photographs (3 or 4 bands of 8 bits without names) read as red, green, blue (alpha is
    dropped); named bands (``VV``, ``VH``) by their common names; others as ``b1`` .. unless
    ``bands`` names them.
    """
    path = Path(path)
    data, names, (nodata, _) = _read_raster(path)
    band_names = _band_names_of(names, data.shape[0], data.dtype, bands, path)
    values = data.astype(np.float32)
    if nodata is not None and np.isfinite(nodata):
        values[data == nodata] = np.nan
    if band_names[-1] == "alpha":
        values[:, data[-1] == 0] = np.nan
        values, band_names = values[:-1], band_names[:-1]
    return values, band_names


def mask_targets(mask: np.ndarray, legend: Legend, *, name: str) -> np.ndarray:
    """Class positions ``(y, x)`` int16 (-1: no label) of a mask ``(band, y, x)`` of codes or
    colours.

    Raises
    ------
    MaskError
        A colour or code not in the legend (the first ones named, with their pixel counts), or
        a colour mask read with a code legend (or the reverse).
    """
    if mask.ndim == 3 and mask.shape[0] >= 3 and legend.colours:
        rgb = np.asarray(mask[:3], dtype=np.int64)
        key = (rgb[0] << 16) | (rgb[1] << 8) | rgb[2]
        found, inverse, counts = np.unique(key.ravel(), return_inverse=True,
                                           return_counts=True)
        table = {(c[0] << 16) | (c[1] << 8) | c[2]: i for c, i in legend.colours.items()}
        unknown = [(int(k), int(n)) for k, n in zip(found, counts, strict=True)
                   if int(k) not in table]
        if unknown:
            listed = ", ".join(f"#{k:06X} ({n} pixels)" for k, n in unknown[:5])
            raise MaskError(f"mask {name} holds colour(s) {listed} not in the colour legend "
                            f"({', '.join(_hex(c) for c in legend.colours)}): add them to the "
                            "legend (as a class or as nodata)")
        lookup = np.array([table[int(k)] for k in found], dtype=np.int16)
        return lookup[inverse].reshape(key.shape)
    if legend.colours:
        raise MaskError(f"mask {name} has {mask.shape[0]} band(s) but the legend gives colours: "
                        "give a legend of codes (1=water,...) for masks of codes")
    if mask.ndim == 3:
        if mask.shape[0] != 1:
            raise MaskError(f"mask {name} has {mask.shape[0]} bands: give one band of codes, or "
                            "a colour legend (#RRGGBB=word) for colour masks")
        mask = mask[0]
    finite = np.isfinite(mask)
    codes = np.where(finite, mask, -(2 ** 31)).astype(np.int64)
    found, inverse, counts = np.unique(codes.ravel(), return_inverse=True, return_counts=True)
    unknown = [(int(k), int(n)) for k, n in zip(found, counts, strict=True)
               if k != -(2 ** 31) and int(k) not in legend.codes]
    if unknown:
        listed = ", ".join(f"{k} ({n} pixels)" for k, n in unknown[:5])
        raise MaskError(f"mask {name} holds code(s) {listed} not in the legend (codes "
                        f"{sorted(legend.codes)}): add them to the legend (as a class or as "
                        "nodata)")
    lookup = np.array([legend.codes.get(int(k), -1) for k in found], dtype=np.int16)
    return lookup[inverse].reshape(codes.shape)


def _pair_key(stem: str) -> str:
    return stem.rsplit("_", 1)[0] if "_" in stem else stem


def _pair_folders(root: Path) -> list[tuple[Path, Path, Path]]:
    """(pair folder, image folder, mask folder) under ``root`` (itself or its children)."""
    def split(folder: Path) -> tuple[Path, Path] | None:
        subs = {p.name.lower(): p for p in folder.iterdir() if p.is_dir()}
        image = next((subs[n] for n in IMAGE_FOLDERS if n in subs), None)
        mask = next((subs[n] for n in MASK_FOLDERS if n in subs), None)
        return (image, mask) if image and mask else None

    if not root.is_dir():
        raise AssetError(f"{root} is not a folder of image/mask pairs")
    own = split(root)
    if own:
        return [(root, *own)]
    found = [(child, *pair) for child in sorted(root.iterdir())
             if child.is_dir() and (pair := split(child))]
    if not found:
        raise AssetError(f"{root} holds no image and mask folders ({'/'.join(IMAGE_FOLDERS)} "
                         f"beside {'/'.join(MASK_FOLDERS)}), itself or in its sub-folders")
    return found


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def pair_files(root: str | Path) -> list[tuple[str, Path, Path]]:
    """``(group, image, mask)`` of every pair under ``root`` (see the module docstring).

    Raises
    ------
    AssetError
        No pair folders, or an image without a mask.
    """
    root = Path(root)
    folders = _pair_folders(root)
    out = []
    for folder, image_dir, mask_dir in folders:
        masks = {p.stem: p for p in _files(mask_dir)}
        by_key = {_pair_key(p.stem): p for p in masks.values()}
        for image in _files(image_dir):
            mask = masks.get(image.stem) or by_key.get(_pair_key(image.stem))
            if mask is None:
                raise AssetError(f"image {image} has no mask in {mask_dir} (named "
                                 f"{image.stem}.* or {_pair_key(image.stem)}_*.*)")
            group = folder.name if len(folders) > 1 else image.stem.split("_")[0]
            out.append((group, image, mask))
    if not out:
        raise AssetError(f"no image files ({', '.join(IMAGE_SUFFIXES)}) under {root}")
    return out


def _empty(values: np.ndarray, target: np.ndarray) -> str | None:
    if not np.isfinite(values).all(axis=0).any():
        return "its image is all no data"
    usable = (target >= 0) & np.isfinite(values).all(axis=0)
    if not (target >= 0).any():
        return "its mask is all no data"
    if not usable.any():
        return "no labelled pixel has image data"
    return None


def _skip(name: str, why: str, *, strict: bool, say: Callable[[str], None] | None) -> None:
    if strict:
        raise MaskError(f"training pair {name} is unusable: {why}; remove it, or drop "
                        "--strict to skip such pairs with a warning")
    message = f"skipped {name}: {why}"
    warnings.warn(message, SkippedChipWarning, stacklevel=3)
    if say:
        say(message)


def read_pairs(root: str | Path, legend: Legend, *, bands: Sequence[str] | None = None,
               strict: bool = False, say: Callable[[str], None] | None = None
               ) -> list[TrainingImage]:
    """Every usable image/mask pair under ``root`` as :class:`TrainingImage` records.

    Raises
    ------
    AssetError
        Missing folders or files, or unreadable images.
    MaskError
        A mask of another size than its image, a colour or code not in the legend, or (with
        ``strict``) a pair that is all no data.
    BandError
        Images of one set with different bands.
    """
    from geoquant.errors import BandError

    out: list[TrainingImage] = []
    for group, image_path, mask_path in pair_files(root):
        values, names = read_image(image_path, bands=bands)
        mask, _, _ = _read_raster(mask_path)
        name = str(image_path)
        if mask.shape[-2:] != values.shape[-2:]:
            raise MaskError(f"mask {mask_path} is {mask.shape[-2]} x {mask.shape[-1]} pixels "
                            f"but its image {image_path.name} is {values.shape[1]} x "
                            f"{values.shape[2]}: give each image a mask of its own size")
        target = mask_targets(mask, legend, name=str(mask_path))
        if out and names != out[0].bands:
            raise BandError(f"image {image_path} has bands {', '.join(names)} but "
                            f"{out[0].name} has {', '.join(out[0].bands)}: train on images "
                            "with the same bands")
        why = _empty(values, target)
        if why:
            _skip(name, why, strict=strict, say=say)
            continue
        out.append(TrainingImage(name, group, values, names, target))
    if not out:
        raise MaskError(f"no pair under {root} holds labelled pixels with image data")
    return out


def read_scene(images: Sequence[str | Path], labels: str | Path, legend: Legend, *,
               bands: Sequence[str] | None = None, name: str | None = None
               ) -> tuple[Any, np.ndarray, tuple[str, ...]]:
    """A georeferenced scene and its labels reprojected onto the scene's grid.

    Parameters
    ----------
    images : sequence of str or Path
        One multi-band GeoTIFF, or single-band GeoTIFFs on one grid stacked as bands in order.
    labels : str or Path
        A raster of codes on any grid that overlaps the scene: reprojected onto the scene's
        grid by nearest neighbour; its no data (and pixels beyond it) carry no label.
    bands : sequence of str, optional
        Band names (default: from the files' descriptions, else ``b1`` ..).

    Returns
    -------
    tuple
        ``(scene, target, bands)``: the scene as a ``(band, y, x)`` DataArray (float32, NaN
        for no data), the ``(y, x)`` int16 class positions on its grid, and the band names.

    Raises
    ------
    GridMismatchError
        Band files on different grids, or labels that do not overlap the scene.
    MaskError
        Codes not in the legend.
    """
    import xarray as xr
    from rasterio.enums import Resampling
    from rasterio.warp import transform_bounds

    from geoquant.sources import open_raster

    arrays = [open_raster(Path(p)) for p in images]
    if len(arrays) > 1:
        shapes = {(a.rio.crs, a.rio.transform(), a.shape[-2:]) for a in arrays}
        if len(shapes) > 1:
            raise GridMismatchError(f"the band files {', '.join(map(str, images))} are not on "
                                    "one grid: resample them to one grid first")
        scene = xr.concat(arrays, dim="band", join="override", combine_attrs="drop_conflicts")
    else:
        scene = arrays[0]
    count = scene.sizes["band"]
    descriptions = tuple(str(b) for b in scene["band"].values) if len(arrays) == 1 else \
        tuple("" for _ in range(count))
    names = _band_names_of(descriptions if not all(d.isdigit() for d in descriptions) else
                           tuple("" for _ in descriptions), count, np.float32, bands,
                           Path(images[0]))
    scene = scene.assign_coords(band=list(names)).astype(np.float32)
    label = open_raster(Path(labels))
    if "band" in label.dims:
        label = label.isel(band=0, drop=True)
    bounds = scene.rio.bounds()
    theirs = transform_bounds(label.rio.crs, scene.rio.crs, *label.rio.bounds())
    if theirs[0] >= bounds[2] or theirs[2] <= bounds[0] or theirs[1] >= bounds[3] \
            or theirs[3] <= bounds[1]:
        raise GridMismatchError(f"the label raster {labels} (bounds "
                                f"{tuple(round(b) for b in theirs)} in {scene.rio.crs}) does "
                                "not overlap the imagery "
                                f"{images[0]} (bounds {tuple(round(b) for b in bounds)}): give "
                                "labels of the same ground")
    nodata = label.rio.nodata
    fill = nodata if nodata is not None else (255 if label.dtype == np.uint8 else -1)
    on_grid = label.rio.write_nodata(fill).rio.reproject_match(
        scene, resampling=Resampling.nearest)
    codes = np.asarray(on_grid.values)
    if np.issubdtype(codes.dtype, np.floating):
        codes = np.where(np.isfinite(codes), codes, fill)
    codes = codes.astype(np.float64)
    codes[codes == fill] = np.nan
    target = mask_targets(codes, legend, name=str(labels))
    return scene, target, names


def scene_halves(images: Sequence[str | Path], labels: str | Path, legend: Legend, *,
                 bands: Sequence[str] | None = None, halves: str = "north-south"
                 ) -> list[TrainingImage]:
    """A scene and its labels (:func:`read_scene`) as two :class:`TrainingImage` halves,
    grouped ``north``/``south`` (or ``west``/``east``): a spatial split of one region."""
    scene, target, names = read_scene(images, labels, legend, bands=bands)
    values = np.asarray(scene.values, dtype=np.float32)
    h, w = target.shape
    stem = Path(images[0]).parent.name or Path(images[0]).stem
    if halves == "north-south":
        parts = {"north": (slice(0, h // 2), slice(None)), "south": (slice(h // 2, h), slice(None))}
    elif halves == "west-east":
        parts = {"west": (slice(None), slice(0, w // 2)), "east": (slice(None), slice(w // 2, w))}
    else:
        raise InvalidOptionError(f"halves must be 'north-south' or 'west-east', not {halves!r}")
    out = []
    for region, (sy, sx) in parts.items():
        t = target[sy, sx]
        if (t >= 0).any():
            out.append(TrainingImage(f"{stem}:{region}", region, values[:, sy, sx], names, t))
    if not out:
        raise MaskError(f"the labels {labels} leave no labelled pixel on the imagery")
    return out
