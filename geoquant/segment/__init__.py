"""Segmentation: cubes become per-class probabilities and class masks over named classes.

Segmenters (all follow :class:`Segmenter`):

- :func:`spectral_rules`, :class:`RuleSegmenter`, :class:`Condition`, :class:`Adaptive` —
  spectral-index rules (MNDWI/NDWI water, NDVI vegetation and forest, NDBI built-up, BSI bare
  soil), no training; water, vegetation and forest thresholds adapt to the region (Otsu over
  its index histograms, fixed fallback).
- :class:`SarWater` — open water from Sentinel-1 VV (Otsu threshold over the region, fixed
  fallback).
- :class:`LandCoverProduct`, :data:`PRODUCTS` — land-cover products (ESA WorldCover, IO
  LULC, the Slovenia reference, geoquant's synthetic classes) as segmenters.
- :func:`convnext_unet`, :class:`UNetSegmenter`, :data:`SIZES` — the ConvNeXt-UNet in torch;
  :func:`train` trains it on labelled rasters (:class:`TrainReport`).
  ``UNetSegmenter.predict_batch`` segments many tiles per forward pass (on a GPU with
  host-to-device copies overlapping the work); :data:`GPU_PRECISION` (bf16) is what
  ``precision="auto"`` uses on a GPU, and :func:`precision_agreement` measures how often a
  reduced precision keeps fp32's classes.
- :class:`ModelSegmenter` — bring your own model: a torch module, TorchScript or ONNX file
  (or a STAC MLM item describing one) with declared bands, classes, normalisation, halo and
  stride.
- :func:`ensemble`, :class:`Ensemble` — max-logit fusion over the union of classes.
- :func:`train_classifier`, :class:`PixelClassifier` — a land-cover
  classifier (LightGBM) that users train from their own labels (a product over one region, or
  polygons) on per-pixel temporal features (:func:`temporal_features`, :class:`FeatureSpec`:
  NDVI quantiles, amplitude, seasonal medians, green-up timing, clear-view count), evaluated
  on spatially separate blocks (:func:`spatial_blocks`); :func:`cross_predict` gives an
  out-of-fold class map of a whole region.

:func:`open_segmenter` is the one way to open any of these: by name (``"sar-water"``,
``"esa-worldcover"``), from a file (a classifier, a STAC MLM item, a checkpoint), or from a
model with ``bands=`` and ``classes=``; ``ask``, ``eval`` and ``monitor`` take the same names
and files. Its former doors, ``load_model``, ``load_classifier``, ``model_segmenter``,
``from_mlm_item`` and ``product``, are deprecated aliases for one release.
:func:`choose_segmenter` picks the segmenter of a source (:data:`SEGMENTER_NAMES`).

Applying them:

- :func:`apply` — lazily over a cube of any size, tiles with halos blended seamlessly
  (``batch=`` windows per task, ``precision=`` for models).
- :func:`fuse` — optical where clear, SAR elsewhere, with a ``source`` evidence layer.
- :func:`temporal_composite` — median of cloud-free observations.
- :func:`class_mask` — the mask of a named class, at the class map or a probability threshold.
- :func:`segmentation_mask`, :func:`class_masks`, :func:`code_mask`, :func:`has_data`,
  :data:`MASK_NODATA` — masks of what a source gives (a segmentation, also label-only, or class
  codes), for ``ask`` and ``monitor`` alike; :func:`is_sar` and :func:`class_asset` /
  :func:`is_class_asset` decide how a source is segmented (radar, a land-cover product).

Classes: :data:`CLASS_NAMES`, :func:`canonical_class` (synonyms, suggestions for unknown
words), :func:`class_members` (broad classes hold narrower ones; :data:`MEMBERS` maps each
broad class to the classes it holds directly; :data:`KINDS` lists narrower kinds such as
mangroves), :class:`Vocabulary` (the built-in words with a source's legend, read exactly as
given: :func:`legend_classes`, :meth:`Vocabulary.covers`), :func:`common_name` (a band's STAC
common name).

Torch loads only when a model is built, loaded or trained.
"""

from geoquant._lazy import Alias as _Alias
from geoquant._lazy import attach as _attach

_OPEN = "geoquant.segment.open_segmenter"
# Every public name loads its module on first use; the stub (__init__.pyi) lists them.
__getattr__, __dir__, __all__ = _attach(__name__, __file__, deprecated={
    "load_model": _Alias("._checkpoint", "load_model", f"{_OPEN}(path, device=...)"),
    "load_classifier": _Alias("._classifier", "load_classifier", f"{_OPEN}(path)"),
    "model_segmenter": _Alias("._user_model", "model_segmenter",
                              f"{_OPEN}(model, bands=..., classes=...)"),
    "from_mlm_item": _Alias("._mlm", "from_mlm_item", f"{_OPEN}(item)"),
    "product": _Alias("._products", "product", f"{_OPEN}(name, band=...)"),
})
