"""A land-cover classifier that users train from the labels they have, on temporal features.

:func:`train_classifier` learns classes from per-pixel temporal features
(:mod:`geoquant.segment._temporal_features`) and any labels on the same grid: a land-cover
product over one region, or the user's own polygons (GeoJSON, rasterised onto the grid). The
learner is LightGBM's gradient-boosted trees (multiclass); its model is stored as LightGBM's
own text format inside a JSON file, so loading a classifier runs no code.

Evaluation is honest about space: pixels are grouped into square blocks, whole blocks are held
out, and training pixels within ``buffer_px`` of a held-out block are left out, so no test pixel
has a training neighbour. :func:`cross_predict` does the same over ``folds`` so that every pixel
of a region gets a class from a model that never saw its block: an out-of-fold map to score a
region's question set against its reference.

The classifier is a :class:`~geoquant.segment.Segmenter` over the feature layers; with
``reduce_time`` it turns a ``(time, band, y, x)`` cube into those layers itself, so
:func:`geoquant.segment.apply` and ``geoquant.ask`` use it on any region and year.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import GridMismatchError, InvalidOptionError, WeightsError
from geoquant.segment._bands import band_indices
from geoquant.segment._model_file import (
    cached_booster,
    has_format,
    read_model_file,
    write_atomic,
)
from geoquant.segment._temporal_features import FeatureSpec, temporal_features
from geoquant.segment._window import window_sum

FORMAT = "geoquant.pixel-classifier"
FORMAT_VERSION = 1
PARAMS = {"objective": "multiclass", "learning_rate": 0.05, "num_leaves": 31,
          "min_data_in_leaf": 20, "feature_fraction": 0.9, "bagging_fraction": 0.8,
          "bagging_freq": 1, "lambda_l2": 1.0, "deterministic": True, "verbose": -1}
ROUNDS = 300


@dataclass(frozen=True, eq=False)
class PixelClassifier:
    """A trained per-pixel classifier over temporal features.

    Attributes
    ----------
    model_text : str
        The LightGBM model (its text format).
    classes : tuple of str
        Output classes (vocabulary words, or words of the training legend), in order.
    spec : FeatureSpec
        The features it reads; :attr:`bands` are their names.
    report : dict
        How it was trained and what the spatial hold-out measured (see
        :func:`train_classifier`).
    """

    model_text: str
    classes: tuple[str, ...]
    spec: FeatureSpec
    report: Mapping[str, Any] = field(default_factory=dict)
    name: str = "temporal land-cover classifier (LightGBM)"
    smooth_px: int = 0
    stride: int = 1
    exclusive: bool = True
    bands: tuple[str, ...] = field(init=False)
    halo: int = field(init=False)

    def __post_init__(self) -> None:
        if int(self.smooth_px) < 0:
            raise InvalidOptionError(f"smooth_px must be >= 0, not {self.smooth_px}")
        object.__setattr__(self, "bands", self.spec.names)
        object.__setattr__(self, "halo", int(self.smooth_px))

    def smoothed(self, smooth_px: int) -> PixelClassifier:
        """The same model with its probabilities averaged over a ``2 * smooth_px + 1``
        square window (a contextual clean-up against single-pixel speckle; small patches
        narrower than the window can vanish)."""
        return replace(self, smooth_px=smooth_px)

    @property
    def version(self) -> str:
        return hashlib.sha256(self.model_text.encode()).hexdigest()[:12]

    def parameters(self) -> dict[str, Any]:
        held_out = self.report.get("held_out", {})
        return {"features": self.spec.to_json(), "held_out_accuracy": held_out.get("accuracy"),
                "trained_on": self.report.get("labels"), "smooth_px": self.smooth_px}

    def reduce_time(self, cube: Any, *, clear: Any = None) -> Any:
        """The feature layers of a ``(time, band, y, x)`` cube (see :func:`temporal_features`)."""
        return temporal_features(cube, clear=clear, spec=self.spec)

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        """Class probabilities ``(class, y, x)`` of a tile of feature layers; NaN where the
        pixel had too few clear observations."""
        from geoquant._backend import array_module

        xp = array_module(tile)
        host = tile.get() if hasattr(tile, "get") else np.asarray(tile)
        positions = band_indices(bands, self.bands, who=self.name)
        x = host[positions].reshape(len(positions), -1).T
        missing = np.isnan(x[:, :-1]).all(axis=1)
        out = np.full((x.shape[0], len(self.classes)), np.nan, dtype=np.float32)
        if (~missing).any():
            out[~missing] = cached_booster(self).predict(x[~missing], num_threads=1)
        out = out.T.reshape(len(self.classes), *host.shape[1:])
        return xp.asarray(smooth_probabilities(out, self.smooth_px))

    def save(self, path: str | Path) -> Path:
        """Write the classifier as one JSON file (whole or not at all); returns the path."""
        path = Path(path)
        data = {"format": FORMAT, "format_version": FORMAT_VERSION, "name": self.name,
                "classes": list(self.classes), "features": self.spec.to_json(),
                "report": dict(self.report), "smooth_px": self.smooth_px,
                "lightgbm": self.model_text}
        return write_atomic(path, json.dumps(data).encode())


def smooth_probabilities(probability: np.ndarray, smooth_px: int) -> np.ndarray:
    """Each class's probability averaged over the valid pixels of a ``2 * smooth_px + 1``
    square window; NaN pixels stay NaN and do not count. At the array's edge the window is
    cut (the same under stitching: :func:`geoquant.segment.apply` reads ``smooth_px`` of
    halo, and :func:`~geoquant.segment._window.window_sum` does not depend on where a tile
    starts)."""
    if not smooth_px:
        return probability
    valid = np.isfinite(probability[:1])
    total = window_sum(np.where(valid, probability, 0), smooth_px)
    weight = window_sum(valid, smooth_px)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (total / weight).astype(np.float32)
    out[:, ~valid[0]] = np.nan
    return out


def is_classifier_file(path: str | Path) -> bool:
    """Whether ``path`` is a file written by :meth:`PixelClassifier.save` or
    :meth:`~geoquant.segment._image_classifier.ImageClassifier.save` (``geoquant train
    --legend``)."""
    from geoquant.segment._image_classifier import is_image_classifier_file

    return has_format(path, FORMAT) or is_image_classifier_file(path)


def load_classifier(path: str | Path) -> Any:
    """Read a classifier written by :meth:`PixelClassifier.save`, or an image classifier
    written by ``geoquant train --legend``
    (:class:`~geoquant.segment._image_classifier.ImageClassifier`).

    Raises
    ------
    WeightsError
        When the file is not such a classifier, or is damaged.
    """
    from geoquant.segment._image_classifier import is_image_classifier_file

    if is_image_classifier_file(path):
        from geoquant.segment._image_classifier import load_image_classifier

        return load_image_classifier(path)
    data = read_model_file(path, format=FORMAT, version=FORMAT_VERSION, what="classifier")
    try:
        return PixelClassifier(str(data["lightgbm"]), tuple(data["classes"]),
                               FeatureSpec.from_json(data["features"]),
                               report=data.get("report", {}),
                               name=data.get("name", PixelClassifier.name),
                               smooth_px=int(data.get("smooth_px", 0)))
    except (KeyError, TypeError, ValueError) as err:
        raise WeightsError(f"the classifier {path} is incomplete ({err})") from None


# -- labels --------------------------------------------------------------------------------------
def _legend_of(legend: Any) -> tuple[dict[int, str], tuple[int, ...]]:
    """Code -> class word and the nodata codes, from a mapping, a product or a product name."""
    from geoquant.segment._products import LandCoverProduct, product

    if isinstance(legend, str):
        legend = product(legend)
    if isinstance(legend, LandCoverProduct):
        return dict(legend.codes), tuple(legend.nodata)
    if isinstance(legend, Mapping):
        try:
            return {int(k): str(v) for k, v in legend.items()}, ()
        except (TypeError, ValueError):
            raise InvalidOptionError("a legend maps integer codes to class words, e.g. "
                                     '{1: "cropland", 2: "forest"}') from None
    raise InvalidOptionError("legend= takes {code: class word}, a LandCoverProduct or a "
                             "product name (geoquant.segment.PRODUCTS)")


def labels_on_grid(labels: Any, like: Any, *, legend: Any = None,
                   attribute: str = "class") -> tuple[np.ndarray, list[str]]:
    """Training labels as class indices on the grid of ``like`` (-1: no label).

    Parameters
    ----------
    labels : xarray.DataArray or GeoJSON
        Integer codes on the same grid as ``like`` (same CRS, transform and shape), with
        ``legend``; or polygons as a GeoJSON FeatureCollection (a dict or a file path) whose
        features carry the class word in ``properties[attribute]``, in the grid's CRS or
        with a ``crs`` member naming it; they are rasterised onto the grid (pixel centres).
    like : xarray.DataArray
        The feature layers (or any raster on the target grid).

    Returns
    -------
    tuple
        ``(index, words)``: an int32 ``(y, x)`` array of positions in ``words``, -1 where
        there is no label.
    """
    from geoquant.segment._vocabulary import Vocabulary

    if isinstance(labels, (str, Path, Mapping)):
        return _rasterise(labels, like, attribute)
    if tuple(labels.dims) != ("y", "x"):
        labels = labels.squeeze(drop=True)
    if tuple(labels.dims) != ("y", "x"):
        raise InvalidOptionError(f"labels must be one (y, x) layer of class codes, not dims "
                                 f"{tuple(labels.dims)}")
    _check_grid(labels, like)
    if legend is None:
        raise InvalidOptionError("labels given as codes need legend= ({code: class word}, a "
                                 "LandCoverProduct or a product name) to name their classes")
    table, nodata = _legend_of(legend)
    codes = np.asarray(labels.values)
    if np.issubdtype(codes.dtype, np.floating):
        finite = np.isfinite(codes)
        codes = np.where(finite, codes, -1).astype(np.int64)
    labels_nodata = labels.rio.nodata if hasattr(labels, "rio") else None
    skip = set(nodata) | ({int(labels_nodata)} if labels_nodata is not None
                          and np.isfinite(labels_nodata) else set()) | {-1}
    present = sorted(set(np.unique(codes).tolist()) - skip)
    unknown = [c for c in present if c not in table]
    if unknown:
        raise InvalidOptionError(f"label codes {unknown[:10]} are not in the legend (codes "
                                 f"{sorted(table)[:20]}): add them, or mark them as nodata")
    vocabulary = Vocabulary(list(table.values()))
    words = list(dict.fromkeys(vocabulary.canonical(table[c]) for c in present))
    index = np.full(codes.shape, -1, dtype=np.int32)
    for c in present:
        index[codes == c] = words.index(vocabulary.canonical(table[c]))
    return index, words


def _check_grid(labels: Any, like: Any) -> None:
    same_shape = labels.shape == (like.sizes["y"], like.sizes["x"])
    same = same_shape
    try:
        if same and labels.rio.crs is not None and like.rio.crs is not None:
            same = labels.rio.crs == like.rio.crs and np.allclose(
                tuple(labels.rio.transform())[:6], tuple(like.rio.transform())[:6],
                atol=1e-6 * max(abs(like.rio.resolution()[0]), 1e-9))
    except Exception:   # noqa: BLE001  (no georeferencing: shape alone decides)
        same = same_shape
    if not same:
        raise GridMismatchError(
            "the labels are on another grid than the imagery (shape, CRS or transform "
            "differ): bring them onto it first, e.g. labels.rio.reproject_match(cube, "
            "resampling=rasterio.enums.Resampling.nearest)")


def _rasterise(geojson: Any, like: Any, attribute: str) -> tuple[np.ndarray, list[str]]:
    from rasterio.features import rasterize

    from geoquant.segment._vocabulary import Vocabulary

    if not isinstance(geojson, Mapping):
        try:
            geojson = json.loads(Path(geojson).read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise InvalidOptionError(f"cannot read the label polygons {geojson}: {err}") from None
    features = geojson.get("features") if geojson.get("type") == "FeatureCollection" else None
    if not features:
        raise InvalidOptionError("label polygons must be a GeoJSON FeatureCollection with at "
                                 "least one feature")
    declared = (geojson.get("crs") or {}).get("properties", {}).get("name")
    if declared and like.rio.crs is not None:
        from pyproj import CRS

        if CRS.from_user_input(declared) != CRS.from_user_input(like.rio.crs):
            raise GridMismatchError(f"the label polygons are in {declared} and the imagery in "
                                    f"{like.rio.crs}: reproject the polygons first")
    raw = []
    for n, feature in enumerate(features):
        word = (feature.get("properties") or {}).get(attribute)
        if word is None:
            raise InvalidOptionError(f"label polygon {n} has no {attribute!r} property; name "
                                     "the property holding the class with attribute=")
        raw.append(str(word))
    vocabulary = Vocabulary(raw)
    words = list(dict.fromkeys(vocabulary.canonical(w) for w in raw))
    shapes = [(f["geometry"], words.index(vocabulary.canonical(w)) + 1)
              for f, w in zip(features, raw, strict=True)]
    burnt = rasterize(shapes, out_shape=(like.sizes["y"], like.sizes["x"]),
                      transform=like.rio.transform(), fill=0, dtype="int32")
    if not burnt.any():
        raise InvalidOptionError("no label polygon covers a pixel centre of the imagery: are "
                                 "they over this region, and in its CRS?")
    return burnt - 1, words


# -- training and spatial hold-out -------------------------------------------------------------
def spatial_blocks(shape: tuple[int, int], block_px: int, *, folds: int,
                   seed: int = 0) -> np.ndarray:
    """Fold number (0..folds-1) of every pixel: square blocks of ``block_px``, shuffled over
    folds so that each fold holds about the same number of blocks."""
    if block_px < 1 or folds < 2:
        raise InvalidOptionError(f"need block_px >= 1 and folds >= 2, not {block_px}, {folds}")
    rows, cols = -(-shape[0] // block_px), -(-shape[1] // block_px)
    if rows * cols < folds:
        raise InvalidOptionError(f"the region holds only {rows * cols} blocks of {block_px} px, "
                                 f"fewer than {folds} folds: use smaller blocks")
    order = np.random.default_rng(seed).permutation(rows * cols)
    fold_of_block = np.empty(rows * cols, dtype=np.int32)
    fold_of_block[order] = np.arange(rows * cols) % folds
    grid = fold_of_block.reshape(rows, cols)
    return np.repeat(np.repeat(grid, block_px, 0), block_px, 1)[:shape[0], :shape[1]]


CLASS_WEIGHTS = (None, "balanced")


def _check_class_weight(class_weight: str | None) -> None:
    if class_weight not in CLASS_WEIGHTS:
        raise InvalidOptionError(f"class_weight={class_weight!r}: use None (every pixel "
                                 "counts the same) or 'balanced' (each class counts the same)")


def _weights(y: np.ndarray, n_classes: int, class_weight: str | None) -> np.ndarray | None:
    """Per-pixel training weights: ``None``, or ``n / (k * n_c)`` per pixel of class ``c``
    for ``class_weight="balanced"`` (scikit-learn's rule: each class weighs the same)."""
    if class_weight is None:
        return None
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    present = counts > 0
    per_class = np.zeros(n_classes)
    per_class[present] = len(y) / (present.sum() * counts[present])
    return per_class[y]


def _fit(x: np.ndarray, y: np.ndarray, n_classes: int, *, rounds: int, seed: int,
         class_weight: str | None = None) -> Any:
    import lightgbm

    params = {**PARAMS, "num_class": n_classes, "seed": seed,
              "min_data_in_leaf": int(min(PARAMS["min_data_in_leaf"], max(len(y) // 50, 2)))}
    data = lightgbm.Dataset(x, y, weight=_weights(y, n_classes, class_weight),
                            free_raw_data=True)
    return lightgbm.train(params, data, num_boost_round=rounds)


def _scores(truth: np.ndarray, predicted: np.ndarray, words: Sequence[str]) -> dict[str, Any]:
    iou = {}
    for k, word in enumerate(words):
        a, b = predicted == k, truth == k
        union = int((a | b).sum())
        iou[word] = round(float((a & b).sum()) / union, 4) if union else None
    return {"accuracy": round(float((truth == predicted).mean()), 4) if truth.size else None,
            "iou": iou, "pixels": int(truth.size)}


def _features_and_labels(features: Any, labels: Any, legend: Any, attribute: str,
                         clear: Any, spec: FeatureSpec | None) -> tuple[Any, np.ndarray,
                                                                       list[str], FeatureSpec]:
    if "time" in features.dims:
        spec = spec or FeatureSpec()
        features = temporal_features(features, clear=clear, spec=spec)
    elif spec is None:
        names = tuple(str(b) for b in features["band"].values)
        spec = _spec_of(names)
    values = np.asarray(features.values, dtype=np.float32)
    index, words = labels_on_grid(labels, features, legend=legend, attribute=attribute)
    return values, index, words, spec


def _spec_of(names: tuple[str, ...]) -> FeatureSpec:
    pixel = [n for n in names if "_ctx" not in n]
    series = tuple(dict.fromkeys(n.rsplit("_", 1)[0] for n in pixel if n.endswith("_amplitude")))
    bands = tuple(dict.fromkeys(n.rsplit("_", 1)[0] for n in pixel if n.endswith("_median")))
    radii = {int(m.group(1)) for n in names if (m := re.search(r"_ctx(\d+)_", n))}
    spec = FeatureSpec(series, bands, context_px=max(radii, default=0))
    if spec.names != names:
        raise InvalidOptionError("the feature layers are not those of temporal_features(); pass "
                                 "the (time, band, y, x) cube itself, or spec=")
    return spec


def train_classifier(cube: Any, labels: Any, *, legend: Any = None, clear: Any = None,
                     spec: FeatureSpec | None = None, attribute: str = "class",
                     classes: Sequence[str] | None = None, block_px: int = 32,
                     test_share: float = 0.25, buffer_px: int = 2, rounds: int = ROUNDS,
                     seed: int = 0, refit: bool = True, class_weight: str | None = None,
                     say: Callable[[str], None] | None = None) -> PixelClassifier:
    """Train a land-cover classifier from a time series and labels, with a spatial hold-out.

    Parameters
    ----------
    cube : xarray.DataArray
        ``(time, band, y, x)`` observations (features are computed with ``spec`` and
        ``clear``), or feature layers from :func:`temporal_features`.
    labels : xarray.DataArray or GeoJSON
        Class codes on the cube's grid (with ``legend``), or polygons with the class word in
        ``properties[attribute]`` (see :func:`labels_on_grid`).
    legend : mapping, LandCoverProduct or str, optional
        Code -> class word for coded labels (codes listed as the product's nodata are left out).
    classes : sequence of str, optional
        Classes to learn; others are left out. Default: every class with labelled pixels.
    block_px, test_share, buffer_px
        Spatial hold-out: square blocks of ``block_px`` pixels, about ``test_share`` of them
        held out, training pixels within ``buffer_px`` of a held-out pixel left out.
    rounds, seed
        Boosting rounds and random seed (the result is deterministic for a seed).
    refit : bool
        After the hold-out, train the returned model on every labelled pixel (the report
        keeps the hold-out's scores).
    class_weight : {None, "balanced"}
        ``"balanced"`` weighs each class the same in training (pixels of rare classes count
        more), which trades some accuracy on common classes for recall of rare ones.

    Returns
    -------
    PixelClassifier
        ``report`` holds ``held_out`` (accuracy, per-class IoU, pixels), ``train_pixels``,
        ``labels`` (pixels per class) and the split's parameters.

    Raises
    ------
    InvalidOptionError
        Fewer than two classes with pixels, a requested class without pixels, codes not in
        the legend, or a hold-out without test or training pixels.
    GridMismatchError
        Labels on another grid than the cube.
    """
    from scipy import ndimage as ndi

    _check_class_weight(class_weight)
    values, index, words, spec = _features_and_labels(cube, labels, legend, attribute, clear,
                                                      spec)
    if classes is not None:
        from geoquant.segment._vocabulary import Vocabulary

        wanted = [Vocabulary(words).canonical(c) for c in classes]
        absent = [c for c in wanted if c not in words]
        if absent:
            raise InvalidOptionError(f"no labelled pixels of {', '.join(absent)}: a classifier "
                                     f"cannot learn a class it never sees (labels hold "
                                     f"{', '.join(words)})")
        keep = np.array([words.index(c) for c in wanted])
        remap = np.full(len(words) + 1, -1, dtype=np.int32)
        remap[keep] = np.arange(len(keep))
        index = np.where(index >= 0, remap[index], -1)
        words = wanted
    usable = (index >= 0) & ~np.isnan(values[:-1]).all(axis=0)
    counts = np.bincount(index[usable], minlength=len(words))
    if (counts > 0).sum() < 2:
        raise InvalidOptionError(f"the labels hold {(counts > 0).sum()} class with usable "
                                 "pixels; a classifier needs at least two")
    if not 0 < test_share < 1:
        raise InvalidOptionError(f"test_share must lie between 0 and 1, not {test_share}")
    folds = max(2, round(1 / test_share))
    test = (spatial_blocks(index.shape, block_px, folds=folds, seed=seed) == 0) & usable
    near_test = ndi.binary_dilation(test, iterations=buffer_px) if buffer_px else test
    train = usable & ~near_test
    if not test.any() or not train.any():
        raise InvalidOptionError("the spatial hold-out left no test or no training pixels: "
                                 "use smaller blocks (block_px) or more labels")
    x = values.reshape(values.shape[0], -1).T
    flat_index, flat_train, flat_test = index.ravel(), train.ravel(), test.ravel()
    if say:
        say(f"training on {int(flat_train.sum())} pixels, holding out {int(flat_test.sum())} "
            f"in blocks of {block_px} px")
    booster = _fit(x[flat_train], flat_index[flat_train], len(words), rounds=rounds, seed=seed,
                   class_weight=class_weight)
    predicted = np.argmax(booster.predict(x[flat_test]), axis=1)
    held_out = _scores(flat_index[flat_test], predicted, words)
    if refit:
        booster = _fit(x[usable.ravel()], flat_index[usable.ravel()], len(words), rounds=rounds,
                       seed=seed, class_weight=class_weight)
    report = {"held_out": held_out, "train_pixels": int(flat_train.sum()),
              "labels": {w: int(c) for w, c in zip(words, counts, strict=True)},
              "split": {"block_px": block_px, "test_share": test_share, "buffer_px": buffer_px,
                        "seed": seed}, "refit_on_all": refit, "rounds": rounds,
              "class_weight": class_weight}
    if say:
        say(f"held-out accuracy {held_out['accuracy']:.3f}; IoU "
            + ", ".join(f"{w} {v:.2f}" for w, v in held_out["iou"].items() if v is not None))
    return PixelClassifier(booster.model_to_string(), tuple(words), spec, report=report)


def cross_predict(cube: Any, labels: Any, *, legend: Any = None, clear: Any = None,
                  spec: FeatureSpec | None = None, attribute: str = "class", folds: int = 4,
                  block_px: int = 32, buffer_px: int = 2, rounds: int = ROUNDS,
                  seed: int = 0, smooth_px: int = 0,
                  class_weight: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Out-of-fold classes over a whole region: each block predicted by a model trained on
    the other folds' blocks (minus a ``buffer_px`` margin around it).

    ``smooth_px`` averages the out-of-fold probabilities as :meth:`PixelClassifier.smoothed`;
    ``class_weight`` is that of :func:`train_classifier`.

    Returns
    -------
    tuple
        ``(classes, report)``: a ``(y, x)`` uint8 DataArray on the cube's grid holding 1-based
        positions in ``report["classes"]`` (0 where a pixel has no features) with a
        ``classes`` attribute, and the per-class IoU and accuracy over labelled pixels.
    """
    import xarray as xr
    from scipy import ndimage as ndi

    _check_class_weight(class_weight)
    values, index, words, spec = _features_and_labels(cube, labels, legend, attribute, clear,
                                                      spec)
    has_features = ~np.isnan(values[:-1]).all(axis=0)
    usable = (index >= 0) & has_features
    fold = spatial_blocks(index.shape, block_px, folds=folds, seed=seed)
    x = values.reshape(values.shape[0], -1).T
    probability = np.full((len(words), *index.shape), np.nan, dtype=np.float32)
    for k in range(folds):
        held = fold == k
        train = usable & ~ndi.binary_dilation(held, iterations=max(buffer_px, 0)) & ~held
        if not train.any():
            raise InvalidOptionError("a fold left no training pixels: use more folds or "
                                     "smaller blocks")
        booster = _fit(x[train.ravel()], index.ravel()[train.ravel()], len(words),
                       rounds=rounds, seed=seed, class_weight=class_weight)
        target = (held & has_features).ravel()
        if target.any():
            probability.reshape(len(words), -1)[:, target] = booster.predict(x[target]).T
    probability = smooth_probabilities(probability, smooth_px)
    out = np.where(has_features, np.argmax(np.nan_to_num(probability, nan=-1), axis=0) + 1,
                   0).astype(np.uint8)
    report = {"classes": words, **_scores(index[usable], out[usable].astype(np.int32) - 1,
                                          words), "folds": folds, "block_px": block_px,
              "buffer_px": buffer_px, "smooth_px": smooth_px, "class_weight": class_weight}
    like = cube if "time" not in cube.dims else cube.isel(time=0, band=0, drop=True)
    if "band" in like.dims:
        like = like.isel(band=0, drop=True)
    result = xr.DataArray(out, dims=("y", "x"), coords={"y": like.y, "x": like.x},
                          attrs={"classes": json.dumps({i + 1: w for i, w in enumerate(words)})})
    if like.rio.crs is not None:
        result = result.rio.write_crs(like.rio.crs).rio.write_transform(like.rio.transform())
    return result.rio.write_nodata(0, encoded=False), report
