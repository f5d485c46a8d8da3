"""Training data: scenes and labels in memory, targets, the hold-out, and crop windows.

What :func:`~geoquant.segment._train.train` learns from: images split into ``(band, y, x)``
scenes (:class:`_Scene`) checked against their label rasters' grid, product codes turned into
class targets (:func:`_targets`), a seeded pattern of :data:`HOLDOUT_BLOCK`-pixel blocks held
out for evaluation (:func:`_holdout_mask`), per-band normalisation from the training pixels
(:func:`_band_statistics`), crop centres on training pixels with classes balanced by the
inverse square root of their frequency (:func:`_centres`), and the windows cut around them for
each step (:func:`_windows`). :func:`open_training_image` opens scenes and label rasters from
files for the command line.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import GridMismatchError, InvalidOptionError
from geoquant.segment._bands import band_indices, band_names
from geoquant.segment._products import LandCoverProduct

#: Side of the held-out blocks, in pixels.
HOLDOUT_BLOCK = 16

_MAX_CENTRES = 2_000_000  # crop centres drawn from at most this many labelled pixels


class _Scene:
    """One ``(band, y, x)`` scene in memory, with the index of its label raster."""

    def __init__(self, values: np.ndarray, names: tuple[str, ...], label: int,
                 coords: tuple[Any, Any] | None) -> None:
        self.values, self.names, self.label, self.coords = values, names, label, coords
        self.train_target: np.ndarray = np.empty(0)
        self.eval_target: np.ndarray = np.empty(0)

    def select(self, bands: Sequence[str]) -> None:
        index = band_indices(self.names, bands, who="training")
        self.values = np.ascontiguousarray(self.values[index], dtype=np.float32)
        self.names = tuple(bands)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _label_list(images: Any, labels: Any) -> list[Any]:
    labels_ = _as_list(labels)
    if len(labels_) not in (1, len(_as_list(images))):
        raise InvalidOptionError(f"give one label raster for all images or one per image, "
                                 f"not {len(labels_)} for {len(_as_list(images))}")
    return labels_


def _scenes(images: Any, labels: Any, codes: list[np.ndarray], *,
            bands_given: Sequence[str] | None) -> list[_Scene]:
    labels_ = _label_list(images, labels)
    scenes = []
    for i, image in enumerate(_as_list(images)):
        label = labels_[i if len(labels_) > 1 else 0]
        shape = codes[i if len(labels_) > 1 else 0].shape
        for values, names, coords in _split_scenes(image, bands_given):
            if values.shape[1:] != shape:
                raise GridMismatchError(f"image {i} is {values.shape[1]} x {values.shape[2]} "
                                        f"pixels but its labels are {shape[0]} x {shape[1]}: "
                                        "put both on one grid (reproject/match the labels)")
            _check_coords(coords, label, i)
            scenes.append(_Scene(values, names, i if len(labels_) > 1 else 0, coords))
    if not scenes:
        raise InvalidOptionError("no images were given")
    return scenes


def _split_scenes(image: Any, bands_given: Sequence[str] | None
                  ) -> list[tuple[np.ndarray, tuple[str, ...], tuple[Any, Any] | None]]:
    """``(band, y, x)`` float32 arrays of an image, its band names and its y/x coordinates."""
    dims = getattr(image, "dims", None)
    if dims is None:
        values = np.asarray(image, dtype=np.float32)
        if values.ndim not in (3, 4):
            raise InvalidOptionError(f"images must be (band, y, x) or (time, band, y, x), not "
                                     f"arrays of shape {values.shape}")
        if bands_given is None:
            raise InvalidOptionError("images without a 'band' coordinate need bands= naming "
                                     "their bands in order")
        names = tuple(str(b) for b in bands_given)
        stack = values.reshape(-1, *values.shape[-3:])
        if stack.shape[1] != len(names):
            raise InvalidOptionError(f"images have {stack.shape[1]} bands but bands= names "
                                     f"{len(names)}")
        return [(s, names, None) for s in stack]
    if not {"band", "y", "x"} <= set(dims) or len(dims) not in (3, 4):
        raise InvalidOptionError(f"images must have dims (band, y, x) or (time, band, y, x), "
                                 f"not {dims}")
    image = image.transpose(..., "band", "y", "x")
    names = band_names(image)
    values = np.asarray(image.values, dtype=np.float32).reshape(-1, *image.shape[-3:])
    coords = (np.asarray(image["y"].values), np.asarray(image["x"].values)) \
        if "y" in image.coords and "x" in image.coords else None
    return [(v, names, coords) for v in values]


def _codes(label: Any) -> np.ndarray:
    """A label raster's 2-D codes (integer, or float with NaN)."""
    values = np.asarray(getattr(label, "values", label))
    if values.ndim == 3 and values.shape[0] == 1:
        values = values[0]
    if values.ndim != 2:
        raise InvalidOptionError(f"labels must be a 2-D raster of codes, not shape "
                                 f"{values.shape}")
    return values


def _check_coords(coords: tuple[Any, Any] | None, label: Any, index: int) -> None:
    if coords is None or not hasattr(label, "coords"):
        return
    if "y" not in label.coords or "x" not in label.coords:
        return
    ly, lx = np.asarray(label["y"].values), np.asarray(label["x"].values)
    step = max(abs(float(lx[1] - lx[0])) if len(lx) > 1 else 1.0, 1e-12)
    if not (np.allclose(coords[0], ly, atol=step / 100, rtol=0)
            and np.allclose(coords[1], lx, atol=step / 100, rtol=0)):
        raise GridMismatchError(f"image {index} and its labels have the same shape but "
                                "different coordinates: put both on one grid")


def _targets(codes: np.ndarray, table: LandCoverProduct, classes: tuple[str, ...]
             ) -> np.ndarray:
    """Class index of every pixel, -1 for nodata, codes outside the table and NaN."""
    out = np.full(codes.shape, -1, np.int64)
    finite = np.isfinite(codes) if codes.dtype.kind == "f" else np.ones(codes.shape, bool)
    for code, cls in table.codes.items():
        if code in table.nodata or cls not in classes:
            continue
        out[finite & (codes == code)] = classes.index(cls)
    return out


def _holdout_mask(shape: tuple[int, int], fraction: float, *, seed: int, index: int
                  ) -> np.ndarray:
    """Seeded blocks of HOLDOUT_BLOCK pixels, a ``fraction`` of them (at least one if > 0)."""
    rows, cols = (-(-n // HOLDOUT_BLOCK) for n in shape)
    blocks = rows * cols
    count = 0 if fraction <= 0 else min(blocks - 1, max(1, round(fraction * blocks)))
    chosen = np.zeros(blocks, bool)
    rng = np.random.default_rng([seed, 0, index])
    chosen[rng.permutation(blocks)[:count]] = True
    grid = chosen.reshape(rows, cols)
    mask = np.repeat(np.repeat(grid, HOLDOUT_BLOCK, 0), HOLDOUT_BLOCK, 1)
    return mask[: shape[0], : shape[1]]


def _band_statistics(scenes: list[_Scene]) -> tuple[np.ndarray, np.ndarray]:
    """Per-band mean and standard deviation over the finite training pixels of all scenes."""
    n = scenes[0].values.shape[0]
    total = np.zeros(n)
    square = np.zeros(n)
    count = np.zeros(n)
    for scene in scenes:
        use = scene.train_target >= 0
        pixels = scene.values[:, use].astype(np.float64)
        finite = np.isfinite(pixels)
        pixels = np.where(finite, pixels, 0.0)
        total += pixels.sum(1)
        square += (pixels ** 2).sum(1)
        count += finite.sum(1)
    count = np.maximum(count, 1)
    mean = total / count
    std = np.sqrt(np.maximum(square / count - mean ** 2, 0.0))
    std = np.where(std > 1e-6 * np.maximum(np.abs(mean), 1e-6), std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def _centres(scenes: list[_Scene], rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Crop centres: training pixels, weighted by 1/sqrt(frequency of their class)."""
    scene_of, ys, xs, cls = [], [], [], []
    for i, scene in enumerate(scenes):
        yy, xx = np.nonzero(scene.train_target >= 0)
        scene_of.append(np.full(len(yy), i, np.int32))
        ys.append(yy.astype(np.int32))
        xs.append(xx.astype(np.int32))
        cls.append(scene.train_target[yy, xx])
    scene_of, ys, xs, cls = (np.concatenate(a) for a in (scene_of, ys, xs, cls))
    if len(ys) > _MAX_CENTRES:
        keep = np.sort(rng.choice(len(ys), size=_MAX_CENTRES, replace=False))
        scene_of, ys, xs, cls = scene_of[keep], ys[keep], xs[keep], cls[keep]
    counts = np.bincount(cls)
    weights = 1.0 / np.sqrt(counts[cls].astype(np.float64))
    return scene_of, ys, xs, weights / weights.sum()


def _windows(inputs: list[Any], targets: list[Any], centres: tuple[np.ndarray, ...],
             rng: np.random.Generator, *, batch_size: int, half: int, n_bands: int
             ) -> tuple[Any, Any]:
    """Square windows of ``2 * half`` pixels around ``batch_size`` centres drawn by weight.

    Returns the bands ``(batch_size, n_bands, 2 half, 2 half)`` and the labels
    ``(batch_size, 1, 2 half, 2 half)`` as class + 1 (0 is ignored), both zero beyond the
    scene; :func:`~geoquant.segment._augment._augment` cuts the crops from them.
    """
    import torch

    scene_of, ys, xs, weights = centres
    picks = rng.choice(len(scene_of), size=batch_size, p=weights)
    side = 2 * half
    windows = torch.zeros((batch_size, n_bands, side, side))
    labels = torch.zeros((batch_size, 1, side, side))  # class + 1; 0 is ignored
    for i, k in enumerate(picks):
        image, target = inputs[scene_of[k]], targets[scene_of[k]]
        height, width = target.shape
        y0, x0 = int(ys[k]) - half, int(xs[k]) - half
        sy = slice(max(y0, 0), min(y0 + side, height))
        sx = slice(max(x0, 0), min(x0 + side, width))
        wy = slice(sy.start - y0, sy.stop - y0)
        wx = slice(sx.start - x0, sx.stop - x0)
        windows[i, :, wy, wx] = image[:, sy, sx]
        labels[i, 0, wy, wx] = (target[sy, sx] + 1).float()
    return windows, labels


# --- files (the command line) ----------------------------------------------------------------

#: Sentinel-2 band order, used to stack a folder of single-band files.
_S2_ORDER = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10",
             "B11", "B12")


def open_training_image(path: str | Path, *, labels: bool = False) -> Any:
    """Open a scene or label raster for :func:`train` from files.

    Parameters
    ----------
    path : str or Path
        A GeoTIFF or Zarr store (opened with :func:`geoquant.sources.open_raster`), or, for scenes,
        a folder of single-band GeoTIFFs named by band (``B01.tif`` ... ``B12.tif``,
        ``B8A.tif``; ``vv.tif``). The folder's bands are stacked in Sentinel-2 order (other
        band names after, alphabetically); files that are not bands (``CLM.tif``,
        ``SCL.tif``) are left out.
    labels : bool
        Whether this is a label raster (a single file; its one band is dropped).

    Returns
    -------
    xarray.DataArray
        ``(band, y, x)``, or ``(y, x)`` for labels.

    Raises
    ------
    AssetError
        A file is missing or unreadable.
    GridMismatchError
        The band files of a folder are not on one grid.
    InvalidOptionError
        A folder holds no band file, or a label raster has several bands.
    """
    from geoquant.segment._bands import COMMON_NAMES
    from geoquant.sources import open_raster

    path = Path(path)
    zarr = path.suffix == ".zarr" or any((path / name).exists()
                                         for name in ("zarr.json", ".zgroup", ".zattrs"))
    if labels or not path.is_dir() or zarr:
        array = open_raster(path)
        if labels:
            if "band" in array.dims:
                if array.sizes["band"] != 1:
                    raise InvalidOptionError(f"label raster {path} has {array.sizes['band']} "
                                             "bands; give a single-band raster of codes")
                array = array.isel(band=0, drop=True)
        return array
    import xarray as xr

    found = []
    for file in sorted([*path.glob("*.tif"), *path.glob("*.tiff")]):
        array = open_raster(file)
        name = str(array["band"].values[0]) if array.sizes.get("band") == 1 else file.stem
        if name.lower() in COMMON_NAMES:
            found.append((name, array))
    if not found:
        raise InvalidOptionError(f"folder {path} holds no single-band GeoTIFF named by band "
                                 "(B01.tif ... B12.tif, B8A.tif, vv.tif, ...)")

    def order(item: tuple[str, Any]) -> tuple[int, str]:
        upper = item[0].upper()
        return (_S2_ORDER.index(upper) if upper in _S2_ORDER else len(_S2_ORDER), item[0])

    found.sort(key=order)
    shapes = {a.shape for _, a in found}
    if len(shapes) > 1:
        raise GridMismatchError(f"the band files of {path} differ in size ({sorted(shapes)}): "
                                "resample them to one grid")
    try:
        return xr.concat([a for _, a in found], dim="band", join="exact",
                         combine_attrs="drop_conflicts")
    except ValueError as err:
        raise GridMismatchError(f"the band files of {path} are not on one grid ({err}): "
                                "resample them to one grid") from err
