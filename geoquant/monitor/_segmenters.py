"""How a source's imagery becomes class masks: the segmenter chosen for it.

``segmenter: auto`` (the default) follows what :func:`geoquant.ask` does for a STAC collection:
radar backscatter gets :class:`~geoquant.segment.SarWater` (Otsu's threshold per date and
region), a land-cover collection whose assets carry ``classification:classes`` is read as that
product, and optical imagery gets :func:`~geoquant.segment.spectral_rules`. Collections that
serve an index rather than reflectances (an NDVI product) define their classes as thresholds
on a band (``classes: {vegetation: {band: ndvi, above: 0.3}}``): :class:`BandThresholds`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from geoquant.errors import BandError, ConfigError
from geoquant.monitor._specs import BandClass, SourceSpec


def _common(band: Any) -> str:
    """A band's STAC common name (``B08`` -> ``nir``), as segmenters are handed band names."""
    from geoquant.segment import common_name

    return common_name(str(band))


@dataclass(frozen=True)
class BandThresholds:
    """Classes defined by thresholds on bands (a :class:`geoquant.segment.Segmenter`).

    A pixel belongs to a class when its band value lies strictly between the class's ``above``
    and ``below`` (either may be open): the probability is 1 there, 0 elsewhere, NaN where the
    band has no value. Classes are scored independently, as rule segmenters' are.

    Parameters
    ----------
    rules : tuple of BandClass
        One entry per class (canonical vocabulary names).
    """

    rules: tuple[BandClass, ...]
    name: str = "band thresholds"
    version: str = "1"
    halo: int = 0
    stride: int = 1
    exclusive: bool = False
    classes: tuple[str, ...] = field(init=False)
    bands: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "classes", tuple(r.name for r in self.rules))
        object.__setattr__(self, "bands", tuple(dict.fromkeys(_common(r.band)
                                                              for r in self.rules)))

    def parameters(self) -> dict[str, Any]:
        return {"rules": {r.name: r.describe() for r in self.rules}}

    def predict(self, tile: Any, bands: Sequence[str]) -> Any:
        import numpy as np

        from geoquant._backend import array_module

        xp = array_module(tile)
        names = [_common(b) for b in bands]
        missing = [b for b in self.bands if b not in names]
        if missing:
            raise BandError(f"{self.name} read band(s) {', '.join(missing)}, but the imagery "
                            f"has {', '.join(map(str, bands))}: name a band it has")
        out = xp.empty((len(self.rules), *tile.shape[1:]), dtype=np.float32)
        for k, rule in enumerate(self.rules):
            value = tile[names.index(_common(rule.band))]
            hit = xp.isfinite(value)
            with np.errstate(invalid="ignore"):
                if rule.above is not None:
                    hit &= value > rule.above
                if rule.below is not None:
                    hit &= value < rule.below
            out[k] = hit.astype(np.float32)
            out[k][~xp.isfinite(value)] = np.nan
        return out


def choose_segmenter(source: SourceSpec, items: Sequence[Mapping[str, Any]], cube: Any) -> Any:
    """The segmenter for a source's new acquisitions (see the module docstring).

    ``auto``, ``spectral``, ``spectral-ndwi`` and ``sar-water`` are decided where ``ask`` and
    ``eval`` decide them (:func:`geoquant.segment.choose_segmenter`); ``bands``, ``model``
    and ``product`` are the configuration's own.

    Raises
    ------
    ConfigError
        A product without class metadata or a name, ``threshold_db`` on optical imagery, or
        imagery the default segmenter cannot read (with band thresholds to define instead).
    """
    from geoquant import segment

    kind = source.segmenter
    bands = [str(b) for b in cube.band.values]
    if kind == "bands":
        return BandThresholds(source.classes)
    if kind == "model":
        return segment.open_segmenter(source.model)
    asset = segment.class_asset(items[0], among=bands)   # a loaded asset with classes
    if kind == "product":
        if source.product is not None:
            return segment.PRODUCTS[source.product]     # checked by the configuration
        if asset is None:
            raise ConfigError(f"source {source.name!r}: collection {source.collection!r} "
                              "carries no classification:classes; name its code table with "
                              f"product: (one of {', '.join(segment.PRODUCTS)})")
        return segment.LandCoverProduct.from_stac(items[0], asset=asset,
                                                  name=source.collection)
    product = None
    if kind == "auto" and asset is not None:
        product = segment.LandCoverProduct.from_stac(items[0], asset=asset,
                                                     name=source.collection)
    elif kind == "auto" and source.threshold_db is not None and not segment.is_sar(cube):
        raise ConfigError(f"source {source.name!r}: threshold_db is for radar, but "
                          f"{source.collection!r} is optical imagery; drop threshold_db")
    try:
        chosen, _ = segment.choose_segmenter(cube, segmenter=kind, product=product,
                                             threshold_db=source.threshold_db,
                                             source=f"collection {source.collection!r}")
    except BandError as err:
        raise ConfigError(bands_hint(source, cube)) from err
    return chosen


def bands_hint(source: SourceSpec, cube: Any) -> str:
    """What to write when the default spectral rules cannot read a source's bands."""
    bands = [str(b) for b in cube.band.values]
    return (f"source {source.name!r}: collection {source.collection!r} serves bands "
            f"{', '.join(bands)}; define classes as band thresholds instead, e.g. classes: "
            f"{{vegetation: {{band: {bands[0]}, above: 0.3}}}}")
