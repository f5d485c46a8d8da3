"""The ``sources`` of a monitoring configuration: collections, segmenters, classes, metrics.

Each source names a STAC collection, how its imagery becomes class masks (``segmenter``, or
``classes`` as thresholds on a band) and the figures measured on every date (``metrics``:
short forms such as ``forest_area_ha``, or mappings with a class and a measure, or a question).
Classes are checked against what the segmenter scores whenever that is known before the
imagery is seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geoquant.errors import GeoquantError
from geoquant.monitor._keys import (
    IDENTIFIER_PATTERN,
    NAME_HINT,
    NAME_PATTERN,
    Problems,
    check_keys,
    entries,
    integer,
    number,
    path_value,
    string_list,
    suggestion,
    text,
    unique,
)
from geoquant.monitor._specs import (
    AREA_UNITS,
    CLEAR_METRIC,
    BandClass,
    MetricSpec,
    SourceSpec,
)

SOURCE_REQUIRED = ("name", "collection", "metrics")
SOURCE_OPTIONAL = ("regions", "query", "assets", "crs", "resolution", "segmenter", "product",
                   "model", "threshold_db", "classes", "min_clear_percent", "masks")
METRIC_KEYS = ("name", "class", "measure", "unit", "min_area_m2", "connectivity", "index",
               "connectance_m", "question")
#: Operators of STAC API ``query`` filters (what geoquant.sources.search applies).
QUERY_OPERATORS = ("eq", "neq", "lt", "lte", "gt", "gte", "in")
SEGMENTERS = ("auto", "spectral", "spectral-ndwi", "sar-water", "product", "model")
#: Classes each fixed segmenter scores (``None``: known only once the imagery is seen).
SEGMENTER_CLASSES: Mapping[str, tuple[str, ...]] = {
    "spectral": ("water", "vegetation", "forest", "built-up", "bare"),
    "spectral-ndwi": ("water", "vegetation", "forest", "built-up", "bare"),
    "sar-water": ("water",),
}
#: Keys of :func:`geoquant.ops.fragmentation` and their units.
FRAGMENTATION_INDICES: Mapping[str, str] = {
    "number_of_patches": "patches", "patch_density": "patches per 100 ha",
    "largest_patch_index": "%", "total_edge": "m", "edge_density": "m/ha", "area_mn": "ha",
    "effective_mesh_size": "ha", "patch_cohesion_index": "1", "connectance": "%",
    "enn_mn": "m", "proportion_of_landscape": "%", "total_area": "ha",
}
MEASURES = ("area", "share", "count", "fragmentation")
#: Shorthand metric words: suffix -> (measure, unit).
SHORTHANDS: Mapping[str, tuple[str, str]] = {
    "_area_m2": ("area", "m2"), "_area_ha": ("area", "ha"), "_area_km2": ("area", "km2"),
    "_share_percent": ("share", "%"), "_patches": ("count", "patches"),
}



def read_sources(document: Mapping[str, Any], region_names: list[str], base: Path,
             problems: Problems) -> list[SourceSpec]:
    found, names = [], []
    for where, entry in entries(document, "sources", "", problems, required=True):
        if not check_keys(entry, where, problems, required=SOURCE_REQUIRED,
                          optional=SOURCE_OPTIONAL):
            continue
        name = text(entry, "name", where, problems, pattern=NAME_PATTERN, hint=NAME_HINT)
        names.append((f"{where}.name", name))
        source = _source(entry, name, where, region_names, base, problems)
        if source is not None:
            found.append(source)
    unique(names, "source", problems)
    return found


def _source(entry: Mapping[str, Any], name: str | None, where: str, region_names: list[str],
            base: Path, problems: Problems) -> SourceSpec | None:
    collection = text(entry, "collection", where, problems)
    regions = string_list(entry, "regions", where, problems)
    if regions is None:
        regions = tuple(region_names)
    for region in regions:
        if region not in region_names:
            problems.add(f"{where}.regions", f"unknown region {region!r}"
                                             f"{suggestion(region, region_names)}; regions are "
                                             f"{', '.join(region_names) or 'none'}")
    query = entry.get("query")
    if query is not None:
        query = _query(query, f"{where}.query", problems)
    segmenter, product, model, classes = _segmenter(entry, where, base, problems)
    threshold_db = number(entry, "threshold_db", where, problems)
    if threshold_db is not None and segmenter not in ("auto", "sar-water"):
        problems.add(f"{where}.threshold_db", f"is read by the sar-water segmenter only, not "
                                              f"{segmenter!r}")
    available = _available_classes(segmenter, product, classes)
    metrics = _metrics(entry, where, available, problems)
    masks = string_list(entry, "masks", where, problems)
    if masks is None:
        masks = tuple(dict.fromkeys(m.class_name for m in metrics if m.class_name))
    else:
        masks = tuple(dict.fromkeys(
            c for c in (_class_name(m, f"{where}.masks", available, problems) for m in masks)
            if c))
    crs = text(entry, "crs", where, problems)
    if crs is not None:
        from pyproj import CRS
        from pyproj.exceptions import CRSError

        try:
            if not CRS.from_user_input(crs).is_projected:
                problems.add(f"{where}.crs", f"{crs!r} is not a projected CRS: give one in "
                                             "metres, e.g. EPSG:32633 (UTM 33N)")
        except CRSError:
            problems.add(f"{where}.crs", f"{crs[:60]!r} is not a CRS geoquant knows: give an "
                                         "EPSG code such as EPSG:32633")
    resolution = number(entry, "resolution", where, problems, positive=True)
    min_clear = number(entry, "min_clear_percent", where, problems, default=0.0, minimum=0.0)
    if min_clear is not None and min_clear > 100:
        problems.add(f"{where}.min_clear_percent", f"is a percent (0 to 100), got {min_clear}")
    if name is None or collection is None:
        return None
    return SourceSpec(name=name, collection=collection, metrics=tuple(metrics), regions=regions,
                      query=query, assets=string_list(entry, "assets", where, problems),
                      crs=crs, resolution=resolution, segmenter=segmenter, product=product,
                      model=model, threshold_db=threshold_db, classes=classes,
                      min_clear_percent=min_clear or 0.0, masks=masks)


def _query(query: Any, where: str, problems: Problems) -> Mapping[str, Any] | None:
    example = "{'eo:cloud_cover': {'lt': 20}}"
    if not isinstance(query, Mapping):
        problems.add(where, f"must map item properties to conditions, e.g. {example}; got "
                            f"{query!r}")
        return None
    for prop, conditions in query.items():
        if not isinstance(conditions, Mapping):
            problems.add(f"{where}.{prop}", f"must map an operator to a value, e.g. "
                                            f"{{'lt': 20}}; got {conditions!r}")
            continue
        for op in conditions:
            if op not in QUERY_OPERATORS:
                problems.add(f"{where}.{prop}", f"unknown operator {op!r}"
                                                f"{suggestion(str(op), QUERY_OPERATORS)}; use "
                                                f"one of {', '.join(QUERY_OPERATORS)}")
    return dict(query)


def _segmenter(entry: Mapping[str, Any], where: str, base: Path, problems: Problems
               ) -> tuple[str, str | None, Path | None, tuple[BandClass, ...]]:
    segmenter = text(entry, "segmenter", where, problems, default="auto")
    if segmenter not in SEGMENTERS:
        problems.add(f"{where}.segmenter", f"unknown segmenter {segmenter!r}"
                                           f"{suggestion(segmenter, SEGMENTERS)}; use one of "
                                           f"{', '.join(SEGMENTERS)}")
        segmenter = "auto"
    product = text(entry, "product", where, problems)
    if product is not None:
        from geoquant.segment import PRODUCTS

        if product not in PRODUCTS:
            problems.add(f"{where}.product", f"unknown land-cover product {product!r}"
                                             f"{suggestion(product, PRODUCTS)}; built-in "
                                             f"products are {', '.join(PRODUCTS)}")
            product = None
        if segmenter == "auto":
            segmenter = "product"
        elif segmenter != "product":
            problems.add(f"{where}.product", f"names a product, but segmenter is {segmenter!r}")
    model = path_value(entry, "model", base, problems) if "model" in entry else None
    if model is not None:
        if segmenter == "auto":
            segmenter = "model"
        elif segmenter != "model":
            problems.add(f"{where}.model", f"names a model, but segmenter is {segmenter!r}")
        if not model.is_file():
            problems.add(f"{where}.model", f"model file {model} does not exist")
    elif segmenter == "model":
        problems.add(where, "segmenter 'model' needs model: path/to/model.pt")
    classes: tuple[BandClass, ...] = ()
    if "classes" in entry:
        if segmenter != "auto":
            problems.add(f"{where}.classes", f"defines classes by band thresholds, which "
                                             f"replaces the segmenter: drop segmenter "
                                             f"{segmenter!r} or the classes")
        classes = _band_classes(entry["classes"], f"{where}.classes", problems)
        segmenter = "bands"
    return segmenter, product, model, classes


def _band_classes(value: Any, where: str, problems: Problems) -> tuple[BandClass, ...]:
    from geoquant.segment import canonical_class

    if not isinstance(value, Mapping) or not value:
        problems.add(where, "must map class names to band thresholds, e.g. "
                            "{vegetation: {band: ndvi, above: 0.3}}")
        return ()
    found = []
    for word, spec in value.items():
        place = f"{where}.{word}"
        try:
            cls = canonical_class(str(word))
        except GeoquantError as err:
            problems.add(place, str(err))
            continue
        if cls in [c.name for c in found]:
            problems.add(place, f"{word!r} is the class {cls!r}, defined already; define each "
                                "class once")
            continue
        if not check_keys(spec, place, problems, required=("band",), optional=("above", "below")):
            continue
        band = text(spec, "band", place, problems)
        above = number(spec, "above", place, problems)
        below = number(spec, "below", place, problems)
        if "above" not in spec and "below" not in spec:
            problems.add(place, "give 'above', 'below' or both (the class lies strictly "
                                "between them)")
        elif above is not None and below is not None and above >= below:
            problems.add(place, f"'above' ({above:g}) must be less than 'below' ({below:g})")
        if band is not None:
            found.append(BandClass(cls, band, above, below))
    return tuple(found)


def _available_classes(segmenter: str, product: str | None,
                       classes: tuple[BandClass, ...]) -> tuple[str, ...] | None:
    if segmenter == "bands":
        return tuple(c.name for c in classes)
    if segmenter == "product" and product is not None:
        from geoquant.segment import PRODUCTS

        return tuple(PRODUCTS[product].classes)     # a name checked against PRODUCTS above
    return SEGMENTER_CLASSES.get(segmenter)


def _class_name(word: Any, where: str, available: tuple[str, ...] | None,
                problems: Problems) -> str | None:
    from geoquant.segment import canonical_class, class_members

    if not isinstance(word, str) or not word:
        problems.add(where, f"a class must be a word such as 'forest', got {word!r}")
        return None
    try:
        cls = canonical_class(word)
    except GeoquantError as err:
        problems.add(where, str(err))
        return None
    if available is not None and not set(class_members(cls)) & set(available):
        problems.add(where, f"class {cls!r} is not scored by this source; it has "
                            f"{', '.join(available) or 'no classes'}")
        return None
    return cls


def _metrics(entry: Mapping[str, Any], where: str, available: tuple[str, ...] | None,
             problems: Problems) -> list[MetricSpec]:
    found, names = [], []
    for place, item in entries(entry, "metrics", where, problems, required=True):
        metric = _metric(item, place, available, problems)
        if metric is not None:
            found.append(metric)
            names.append((place, metric.name))
    unique(names, "metric", problems)
    return found


def _metric(item: Any, where: str, available: tuple[str, ...] | None,
            problems: Problems) -> MetricSpec | None:
    if isinstance(item, str):
        return _shorthand(item, where, available, problems)
    if not check_keys(item, where, problems, required=("name",),
                      optional=tuple(k for k in METRIC_KEYS if k != "name")):
        return None
    name = text(item, "name", where, problems, pattern=IDENTIFIER_PATTERN,
                hint="use letters, digits and '_', starting with a letter (a Zarr variable)")
    if name is None:
        return None
    if _reserved(name, where, problems):
        return None
    if "question" in item:
        return _question_metric(item, name, where, problems)
    missing = [k for k in ("class", "measure") if k not in item]
    if missing:
        problems.add(where, f"a metric needs 'class' and 'measure' (or a 'question'); missing "
                            f"{', '.join(repr(k) for k in missing)}")
        return None
    cls = _class_name(item["class"], f"{where}.class", available, problems)
    measure = text(item, "measure", where, problems)
    if measure not in MEASURES:
        problems.add(f"{where}.measure", f"unknown measure {measure!r}"
                                         f"{suggestion(str(measure), MEASURES)}; use one of "
                                         f"{', '.join(MEASURES)}")
        return None
    connectivity = integer(item, "connectivity", where, problems, default=8, choices=(4, 8))
    unit = _unit(item, measure, where, problems)
    index = None
    if measure == "fragmentation":
        index = text(item, "index", where, problems)
        if index not in FRAGMENTATION_INDICES:
            problems.add(f"{where}.index", f"fragmentation needs 'index', one of "
                                           f"{', '.join(FRAGMENTATION_INDICES)}; got {index!r}"
                                           f"{suggestion(str(index), FRAGMENTATION_INDICES)}")
            return None
        unit = FRAGMENTATION_INDICES[index]
    for key, allowed in (("min_area_m2", "count"), ("index", "fragmentation"),
                         ("connectance_m", "fragmentation")):
        if key in item and measure != allowed:
            problems.add(f"{where}.{key}", f"is read by measure {allowed!r} only, not "
                                           f"{measure!r}")
    min_area = number(item, "min_area_m2", where, problems, default=0.0, minimum=0.0)
    connectance = number(item, "connectance_m", where, problems, positive=True)
    if cls is None or unit is None:
        return None
    return MetricSpec(name, measure, unit, cls, min_area or 0.0, connectivity or 8, index,
                      connectance)


def _reserved(name: str, where: str, problems: Problems) -> bool:
    if name == CLEAR_METRIC or name.endswith("_mask") or name in ("time", "x", "y",
                                                                  "spatial_ref"):
        problems.add(where, f"metric name {name!r} is reserved (clear_percent, time, x, y, "
                            "spatial_ref and *_mask are written by the monitor)")
        return True
    return False


def _unit(item: Mapping[str, Any], measure: str, where: str, problems: Problems) -> str | None:
    if measure == "area":
        unit = item.get("unit", "m2")
        if unit not in AREA_UNITS:
            problems.add(f"{where}.unit", f"an area unit is one of {', '.join(AREA_UNITS)}, "
                                          f"got {unit!r}")
            return None
        return unit
    if "unit" in item:
        problems.add(f"{where}.unit", f"only areas take a unit; {measure} is in "
                                      f"{'%' if measure == 'share' else 'its own units'}")
    return {"share": "%", "count": "patches"}.get(measure, "")


def _shorthand(word: str, where: str, available: tuple[str, ...] | None,
               problems: Problems) -> MetricSpec | None:
    if not IDENTIFIER_PATTERN.match(word):
        problems.add(where, f"metric {word!r} is not a name: use letters, digits and '_'")
        return None
    if _reserved(word, where, problems):
        return None
    for suffix, (measure, unit) in SHORTHANDS.items():
        if word.endswith(suffix) and len(word) > len(suffix):
            cls = _class_name(word[:-len(suffix)], where, available, problems)
            if cls is None:
                return None
            return MetricSpec(word, measure, unit, cls)
    forms = ", ".join(f"<class>{s}" for s in SHORTHANDS)
    problems.add(where, f"metric {word!r} is not one of the short forms {forms}"
                        f"{suggestion(word, _shorthand_examples(available))}; for anything "
                        "else give a mapping with name, class and measure (or a question)")
    return None


def _shorthand_examples(available: tuple[str, ...] | None) -> list[str]:
    classes = available or SEGMENTER_CLASSES["spectral"]
    return [f"{c.replace('-', '_')}{s}" for c in classes for s in SHORTHANDS]


def _question_metric(item: Mapping[str, Any], name: str, where: str,
                     problems: Problems) -> MetricSpec | None:
    from geoquant.reason import make_plan, plan_dates

    question = text(item, "question", where, problems)
    others = [k for k in item if k not in ("name", "question")]
    if others:
        problems.add(where, f"a question metric takes only name and question, not "
                            f"{', '.join(others)}")
    if question is None:
        return None
    try:
        plan = make_plan(question)
    except GeoquantError as err:
        # The planner lists every supported form on lines of their own; one line here.
        said = str(err).split("\nSupported forms")[0]
        problems.add(f"{where}.question", " ".join(said.split()) + " (the supported forms: "
                                          "geoquant.reason.SUPPORTED_FORMS)")
        return None
    if plan_dates(plan) != (None,):
        problems.add(f"{where}.question", "asks about a change between two dates; the monitor "
                                          "measures each date, and alert rules compare dates "
                                          "(change_percent_below, change_per_year_percent_below)")
        return None
    return MetricSpec(name, "question", "", question=question)
