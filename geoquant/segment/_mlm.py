"""STAC items of the Machine Learning Model extension (MLM) as segmenters.

:func:`from_mlm_item` (behind :func:`geoquant.segment.open_segmenter`) reads what a model needs
from an item of the MLM extension (https://stac-extensions.github.io/mlm/v1.4.0/schema.json):
its input bands and value scaling (``mlm:input``), its output classes (``mlm:output``,
``classification:classes``), and the asset holding the model (role ``mlm:model``,
``mlm:artifact_type`` ONNX or TorchScript), and builds a :class:`~geoquant.segment.ModelSegmenter`
as :func:`~geoquant.segment.open_segmenter` does for a model with declared bands and classes.
``geoquant:halo``, ``geoquant:stride`` and ``geoquant:output`` carry what MLM does not say.
"""

from __future__ import annotations

import json
import os
import urllib.parse
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geoquant.errors import AssetError, InvalidOptionError, WeightsError
from geoquant.segment._bands import COMMON_NAMES
from geoquant.segment._user_model import (
    _SEGMENTATION_TASKS,
    ONNX_TYPES,
    SCALINGS,
    TORCHSCRIPT_TYPES,
    ModelSegmenter,
    _artifact_runner,
    _band_name,
    _band_names,
    _class_names,
    _per_band,
    _reason,
)


def from_mlm_item(item: Any, *, asset: str | None = None, halo: int | None = None,
                  stride: int | None = None, output: str | None = None,
                  name: str | None = None) -> ModelSegmenter:
    """A segmenter from a STAC item of the Machine Learning Model (MLM) extension.

    Reads from the item's properties (or the model asset's fields):

    * ``mlm:input`` (one input): ``bands`` (strings or objects with ``name``; names resolve
      through the item's ``eo:bands``/``bands`` ``common_name`` when geoquant does not know
      them), ``input.dim_order`` (``batch, channel, height, width``) and ``value_scaling``
      (one object per band or one for all; types ``z-score``, ``min-max``, ``scale``,
      ``offset`` or ``null``);
    * ``mlm:output`` (the one whose ``tasks`` include a segmentation task):
      ``classification:classes`` ordered by ``value``, one per output channel (``name``, or
      ``description``), checked against ``result.shape``;
    * the asset with role ``mlm:model`` and ``mlm:artifact_type`` ``onnx`` or TorchScript
      (``torch.jit.script``, ``torch.jit.trace``); without an artifact type, an ``.onnx``
      href is read as ONNX. Relative hrefs resolve against the item's location;
    * geoquant's own properties, which MLM has no field for: ``geoquant:halo`` (the
      receptive-field radius, pixels; 0 with a warning when absent), ``geoquant:stride``
      (default 1) and ``geoquant:output`` (default ``"logits"``).

    Parameters
    ----------
    item : dict, pystac.Item, str or Path
        The item, or the path or URL (``file://``, ``http(s)://``) of its JSON.
    asset : str, optional
        Key of the model asset, when the item has several with role ``mlm:model``.
    halo, stride, output, name : optional
        Override the item's ``geoquant:halo``, ``geoquant:stride``, ``geoquant:output`` and
        ``mlm:name``.

    Returns
    -------
    ModelSegmenter

    Raises
    ------
    AssetError
        No model asset (or not the one named), or its file cannot be read.
    WeightsError
        ``mlm:input``/``mlm:output`` missing or not what geoquant runs (several inputs, other
        dimension orders, no classes, a value scaling other than those above, no
        segmentation task), an artifact type other than ONNX or TorchScript (a pickled
        ``torch.save`` model is refused: it runs arbitrary code), an unreadable model, or a
        model that does not fit the bands and classes named.
    """
    data, base = _read_item(item)
    label = f"MLM item {data.get('id', '?')!r}"
    key, model_asset = _model_asset(data, asset, label)
    props = dict(data.get("properties") or {})
    meta = {**props, **{k: v for k, v in model_asset.items() if k.startswith("mlm:")}}
    spec = _mlm_input(meta, label)
    names = [_mlm_band_name(b, data, model_asset, label) for b in spec.get("bands") or []]
    if not names:
        raise WeightsError(f"{label}: mlm:input names no bands; geoquant needs the band of "
                           "each input channel, in order")
    _check_dims(spec, len(names), label)
    mean, std = _value_scaling(spec.get("value_scaling"), len(names), label)
    out_spec = _mlm_output(meta, label)
    classes = _mlm_classes(out_spec, label)

    href = _resolve(str(model_asset.get("href") or ""), base)
    kind = _artifact_kind(model_asset, href, f"{label} asset {key!r}")
    for where, entry, what in (("mlm:input", spec, "pre_processing_function"),
                               ("mlm:output", out_spec, "post_processing_function")):
        if entry.get(what):
            warnings.warn(f"{label}: {where} has a {what}, which geoquant does not run; "
                          "inputs are prepared by value_scaling alone and outputs read as "
                          "output= says", stacklevel=2)
    if halo is None and "geoquant:halo" not in props:
        warnings.warn(f"{label} gives no geoquant:halo (the network's receptive-field radius"
                      "): assuming 0, so stitched tiles may differ from whole-image "
                      "inference near tile edges; pass halo= or add the property",
                      stacklevel=2)
    runner = _artifact_runner(_read_artifact(href, f"{label} asset {key!r}"), kind,
                              source=href)
    try:
        return ModelSegmenter(
            runner, _band_names(names), _class_names(classes),
            mean=_per_band(mean, 0.0, len(names), "mean"),
            std=_per_band(std, 1.0, len(names), "std", positive=True),
            scale=(1.0,) * len(names), offset=(0.0,) * len(names),
            halo=props.get("geoquant:halo", 0) if halo is None else halo,
            stride=props.get("geoquant:stride", 1) if stride is None else stride,
            output=props.get("geoquant:output", "logits") if output is None else output,
            name=name or str(props.get("mlm:name") or data.get("id") or Path(href).stem))
    except InvalidOptionError as err:
        raise WeightsError(f"{label} does not describe a model geoquant can run: {err}") \
            from err


def _read_item(item: Any) -> tuple[dict[str, Any], str | None]:
    """The item as a dict, and where its relative hrefs start (a folder path or a URL)."""
    if hasattr(item, "to_dict") and hasattr(item, "get_self_href"):   # pystac.Item
        return item.to_dict(include_self_link=False, transform_hrefs=False), \
            _base(item.get_self_href())
    if isinstance(item, Mapping):
        self_href = next((link.get("href") for link in item.get("links") or []
                          if link.get("rel") == "self"), None)
        return dict(item), _base(self_href)
    if isinstance(item, str | os.PathLike):
        where = str(item)
        try:
            text = _read_bytes(where).decode("utf-8")
            data = json.loads(text)
        except (OSError, ValueError) as err:
            raise AssetError(f"cannot read the STAC item {where} ({_reason(err)}): give the "
                             "path or URL of an item JSON file") from err
        if not isinstance(data, dict):
            raise AssetError(f"{where} is not a STAC item (a JSON object)")
        return data, _base(where)
    raise InvalidOptionError(f"item must be a STAC item (dict or pystac.Item) or the path or "
                             f"URL of one, not {type(item).__name__}")


def _is_url(href: str) -> bool:
    return urllib.parse.urlparse(href).scheme in ("http", "https", "file")


def _base(href: str | None) -> str | None:
    if not href:
        return None
    if _is_url(href):
        return href
    return str(Path(href).resolve().parent)


def _resolve(href: str, base: str | None) -> str:
    if not href or _is_url(href) or Path(href).is_absolute() or base is None:
        return href
    if _is_url(base):
        return urllib.parse.urljoin(base, href)
    return str(Path(base) / href)


def _read_bytes(href: str) -> bytes:
    import urllib.request  # network modules load only when a model is fetched

    parsed = urllib.parse.urlparse(href)
    if parsed.scheme == "file":
        return Path(urllib.request.url2pathname(parsed.path)).read_bytes()
    if parsed.scheme in ("http", "https"):
        with urllib.request.urlopen(href, timeout=60) as response:
            return response.read()
    if len(parsed.scheme) > 1:
        raise OSError(f"geoquant reads local paths and file://, http:// and https:// URLs, not "
                      f"{parsed.scheme}://; download the file and give its path")
    return Path(href).read_bytes()


def _read_artifact(href: str, label: str) -> bytes:
    try:
        return _read_bytes(href)
    except OSError as err:
        raise AssetError(f"cannot read the model file of {label} at {href!r} "
                         f"({_reason(err)}): check its href (relative hrefs start at the "
                         "item's file)") from err


def _model_asset(data: Mapping[str, Any], asset: str | None,
                 label: str) -> tuple[str, dict[str, Any]]:
    assets = data.get("assets") or {}
    if asset is not None:
        if asset not in assets:
            raise AssetError(f"{label} has no asset {asset!r}; it has "
                             f"{', '.join(assets) or 'no assets'}")
        return asset, dict(assets[asset])
    models = [k for k, a in assets.items() if "mlm:model" in (a.get("roles") or [])]
    if len(models) == 1:
        return models[0], dict(assets[models[0]])
    if models:
        raise AssetError(f"{label} has several model assets ({', '.join(models)}): choose one "
                         "with asset=")
    described = ", ".join(f"{k} (roles {a.get('roles') or []})" for k, a in assets.items())
    raise AssetError(f"{label} has no asset with role 'mlm:model' (assets: "
                     f"{described or 'none'}): add the role to the model's asset, or name "
                     "it with asset=")


def _mlm_input(meta: Mapping[str, Any], label: str) -> dict[str, Any]:
    inputs = meta.get("mlm:input")
    if not isinstance(inputs, list) or not inputs:
        raise WeightsError(f"{label} has no mlm:input: describe the model's input bands and "
                           "value_scaling there (MLM extension)")
    if len(inputs) > 1:
        raise WeightsError(f"{label} has {len(inputs)} inputs in mlm:input; geoquant runs "
                           "models with one (batch, band, y, x) input")
    return dict(inputs[0])


def _mlm_output(meta: Mapping[str, Any], label: str) -> dict[str, Any]:
    outputs = meta.get("mlm:output")
    if not isinstance(outputs, list) or not outputs:
        raise WeightsError(f"{label} has no mlm:output: describe the model's output with its "
                           "classification:classes there (MLM extension)")
    if len(outputs) == 1:
        chosen = dict(outputs[0])
    else:
        found = [o for o in outputs if _SEGMENTATION_TASKS & set(o.get("tasks") or [])]
        if not found:
            raise WeightsError(f"{label} has {len(outputs)} outputs and none for a "
                               "segmentation task")
        chosen = dict(found[0])
    tasks = set(chosen.get("tasks") or meta.get("mlm:tasks") or [])
    if tasks and not tasks & _SEGMENTATION_TASKS:
        raise WeightsError(f"{label} is a model for {', '.join(sorted(tasks))}; geoquant "
                           "segments tiles with models for semantic-segmentation")
    return chosen


def _mlm_classes(out: Mapping[str, Any], label: str) -> list[str]:
    entries = out.get("classification:classes") or []
    if not entries:
        raise WeightsError(f"{label}: mlm:output has no classification:classes; geoquant "
                           "needs one class (value, name) per output channel")
    entries = sorted(entries, key=lambda e: e.get("value", 0))
    classes = [str(e.get("name") or e.get("description") or e.get("value")) for e in entries]
    result = out.get("result") or {}
    dims = [str(d).lower() for d in result.get("dim_order") or []]
    shape = list(result.get("shape") or [])
    for dim in ("class", "classes", "channel", "channels"):
        if dim in dims and len(shape) == len(dims):
            size = shape[dims.index(dim)]
            if isinstance(size, int) and size > 0 and size != len(classes):
                raise WeightsError(f"{label}: mlm:output gives {size} output channels but "
                                   f"{len(classes)} classification:classes: list one class "
                                   "per channel")
            break
    return classes


def _mlm_band_name(band: Any, data: Mapping[str, Any], model_asset: Mapping[str, Any],
                   label: str) -> str:
    name = band.get("name") if isinstance(band, Mapping) else band
    if not isinstance(name, str) or not name.strip():
        raise WeightsError(f"{label}: mlm:input band {band!r} has no name")
    if _band_name(name) in COMMON_NAMES.values():
        return name
    # A name geoquant does not know: the item's band objects may give its common name.
    props = data.get("properties") or {}
    for bands in (model_asset.get("eo:bands"), model_asset.get("bands"), props.get("eo:bands"),
                  props.get("bands")):
        for entry in bands or []:
            if isinstance(entry, Mapping) and entry.get("name") == name:
                common = entry.get("common_name") or entry.get("eo:common_name")
                if common:
                    return str(common)
    return name


def _check_dims(spec: Mapping[str, Any], n: int, label: str) -> None:
    structure = spec.get("input") or {}
    dims = [str(d).lower() for d in structure.get("dim_order") or []]
    if not dims:
        return
    if len(dims) != 4 or dims[0] != "batch" or dims[2:] != ["height", "width"] \
            or dims[1] not in ("channel", "channels", "band", "bands"):
        raise WeightsError(f"{label}: mlm:input has dim_order {dims}; geoquant feeds "
                           "(batch, channel, height, width) tiles")
    shape = list(structure.get("shape") or [])
    if len(shape) == len(dims) and isinstance(shape[1], int) and shape[1] > 0 \
            and shape[1] != n:
        raise WeightsError(f"{label}: mlm:input has {shape[1]} channels in input.shape but "
                           f"names {n} band(s): name one band per channel")


def _value_scaling(scaling: Any, n: int, label: str) -> tuple[list[float], list[float]]:
    """MLM ``value_scaling`` as ``(x - mean) / std`` per band."""
    if not scaling:
        return [0.0] * n, [1.0] * n
    if not isinstance(scaling, list) or len(scaling) not in (1, n):
        raise WeightsError(f"{label}: mlm:input value_scaling needs one object per band ({n}) "
                           f"or one for all, not {scaling!r}")
    if len(scaling) == 1:
        scaling = scaling * n
    mean, std = [], []
    for entry in scaling:
        entry = dict(entry or {})
        kind = entry.get("type")
        try:
            if kind is None:
                pair = (0.0, 1.0)
            elif kind == "z-score":
                pair = (float(entry["mean"]), float(entry["stddev"]))
            elif kind == "min-max":
                pair = (float(entry["minimum"]),
                        float(entry["maximum"]) - float(entry["minimum"]))
            elif kind == "scale":
                pair = (0.0, float(entry["value"]))
            elif kind == "offset":
                pair = (float(entry["value"]), 1.0)
            else:
                raise WeightsError(
                    f"{label}: value_scaling type {kind!r} is not supported; geoquant applies "
                    f"{', '.join(SCALINGS)} and null. Build the step into the network (e.g. "
                    "torch.clamp in its forward) and export it again, or load it with "
                    "geoquant.segment.open_segmenter(model, bands=, classes=, mean=, std=, scale=, "
                    "offset=)")
        except (KeyError, TypeError, ValueError) as err:
            raise WeightsError(f"{label}: value_scaling {entry} lacks or has a malformed "
                               f"{_reason(err)}") from err
        if not pair[1] > 0:
            raise WeightsError(f"{label}: value_scaling {entry} divides by {pair[1]}; it "
                               "must be positive")
        mean.append(pair[0])
        std.append(pair[1])
    return mean, std


def _artifact_kind(model_asset: Mapping[str, Any], href: str, label: str) -> str:
    kind = str(model_asset.get("mlm:artifact_type") or "").strip().lower()
    if not kind:
        if href.lower().endswith(".onnx") or "onnx" in str(model_asset.get("type", "")):
            return "onnx"
        raise WeightsError(f"{label} has no mlm:artifact_type: set it to 'onnx' or "
                           "'torch.jit.script'")
    if kind in ONNX_TYPES:
        return "onnx"
    if kind in TORCHSCRIPT_TYPES:
        return "torchscript"
    if kind == "torch.save":
        raise WeightsError(
            f"{label} is a pickled torch.save model, which geoquant does not load: "
            "unpickling runs arbitrary code and needs the model's classes. Export it with "
            "torch.jit.script(net).save(path) or torch.onnx.export and set mlm:artifact_type "
            "to 'torch.jit.script' or 'onnx'; or, if you trust the file, load it yourself and "
            "pass the module to geoquant.segment.open_segmenter(module, bands=, classes=)")
    raise WeightsError(f"{label} has mlm:artifact_type {kind!r}; geoquant runs "
                       f"{', '.join(ONNX_TYPES + TORCHSCRIPT_TYPES)} models: export the "
                       "network to ONNX or TorchScript")

