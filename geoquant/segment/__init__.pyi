"""Type stub of geoquant.segment: what it exports and from where.

Read at run time by ``geoquant._lazy.attach`` (``__init__.py``): each name loads its module
on first use, so ``import geoquant.segment`` imports none of them (and no torch).
"""

from ._apply import apply, default_overlap
from ._bands import common_name
from ._classifier import (
    PixelClassifier,
    cross_predict,
    spatial_blocks,
    train_classifier,
)
from ._convnext import SIZES
from ._ensemble import Ensemble, ensemble
from ._fusion import fuse
from ._inference import GPU_PRECISION, precision_agreement
from ._layers import SEGMENTER_NAMES, choose_segmenter, named_segmenter
from ._masks import (
    MASK_NODATA,
    class_asset,
    class_masks,
    code_mask,
    has_data,
    is_class_asset,
    is_sar,
    segmentation_mask,
)
from ._model import UNetSegmenter, convnext_unet
from ._open import open_segmenter
from ._products import (
    PRODUCTS,
    LandCoverProduct,
)
from ._protocol import Segmenter, describe
from ._result import class_mask
from ._rules import (
    Adaptive,
    Condition,
    OtsuResult,
    RuleSegmenter,
    SarWater,
    otsu,
    spectral_rules,
)
from ._temporal import temporal_composite
from ._temporal_features import FeatureSpec, temporal_features
from ._train import train
from ._train_data import open_training_image
from ._train_eval import TrainReport
from ._user_model import ModelSegmenter
from ._vocabulary import (
    CLASS_NAMES,
    KINDS,
    MEMBERS,
    Vocabulary,
    canonical_class,
    class_members,
    legend_classes,
)

__all__ = [
    "Adaptive",
    "apply",
    "canonical_class",
    "class_asset",
    "class_mask",
    "class_masks",
    "class_members",
    "CLASS_NAMES",
    "code_mask",
    "common_name",
    "Condition",
    "convnext_unet",
    "cross_predict",
    "default_overlap",
    "describe",
    "Ensemble",
    "ensemble",
    "FeatureSpec",
    "fuse",
    "GPU_PRECISION",
    "has_data",
    "is_class_asset",
    "is_sar",
    "LandCoverProduct",
    "MASK_NODATA",
    "KINDS",
    "SEGMENTER_NAMES",
    "choose_segmenter",
    "named_segmenter",
    "MEMBERS",
    "ModelSegmenter",
    "open_segmenter",
    "open_training_image",
    "otsu",
    "OtsuResult",
    "PixelClassifier",
    "precision_agreement",
    "PRODUCTS",
    "RuleSegmenter",
    "SarWater",
    "segmentation_mask",
    "Segmenter",
    "SIZES",
    "spatial_blocks",
    "spectral_rules",
    "temporal_composite",
    "temporal_features",
    "train",
    "train_classifier",
    "TrainReport",
    "UNetSegmenter",
    "Vocabulary",
    "legend_classes",
]
