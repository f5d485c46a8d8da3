"""A monitoring configuration: YAML in, frozen dataclasses out, every problem named at once.

The schema (``docs/monitoring.md`` documents it key by key, with an example):

- top level: ``name``, ``catalog`` (STAC API URL), ``output`` (Zarr store), ``cadence``,
  ``regions``, ``sources`` (all required); ``start``, ``alerts``, ``alerts_file``, ``hook``,
  ``hook_timeout_s``, ``description`` (optional);
- a region: ``name`` and one of ``geojson`` (a file) or ``bbox`` (west, south, east, north);
- a source: ``name``, ``collection``, ``metrics``; optional ``regions``, ``query``, ``assets``,
  ``crs``, ``resolution``, ``segmenter``, ``product``, ``model``, ``threshold_db``,
  ``classes``, ``min_clear_percent``, ``masks``;
- a metric: a word ``<class>_<measure>`` (``forest_area_m2``, ``water_area_ha``,
  ``vegetation_share_percent``, ``forest_patches``), or a mapping with ``name`` and either
  ``class`` + ``measure`` (area, share, count, fragmentation) or ``question``;
- an alert: ``metric`` and one condition (``above``, ``below``, ``change_percent_above``,
  ``change_percent_below``, ``change_per_year_percent_above``,
  ``change_per_year_percent_below``); optional ``name``, ``source``, ``region``,
  ``window_days``, ``min_span_days``.

Relative paths (``output``, ``alerts_file``, region files, a hook command with a ``/``, a model)
are read from the folder of the configuration file.
"""

from __future__ import annotations

import datetime as dt
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geoquant.errors import ConfigError, GeoquantError
from geoquant.monitor._keys import (
    NAME_HINT,
    NAME_PATTERN,
    Problems,
    check_keys,
    entries,
    number,
    path_value,
    suggestion,
    text,
    unique,
)
from geoquant.monitor._source_config import read_sources
from geoquant.monitor._specs import (
    ALERT_CONDITIONS,
    CLEAR_METRIC,
    AlertRule,
    Cadence,
    MonitorConfig,
    RegionSpec,
    SourceSpec,
)

TOP_REQUIRED = ("name", "catalog", "output", "cadence", "regions", "sources")
TOP_OPTIONAL = ("description", "start", "alerts", "alerts_file", "hook", "hook_timeout_s")
REGION_KEYS = ("name", "geojson", "bbox")
ALERT_KEYS = ("name", "metric", "source", "region", "window_days", "min_span_days",
              *ALERT_CONDITIONS)
_CADENCE_WORDS = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400, "monthly": 30 * 86400}
_CADENCE_UNITS = {"min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_CADENCE_PATTERN = re.compile(r"^\s*(\d+)\s*(min|h|d|w)\s*$")


def load_config(path: str | Path) -> MonitorConfig:
    """Read and validate a monitoring configuration file (YAML).

    Parameters
    ----------
    path
        The ``.yaml`` file. Relative paths inside it are read from its folder.

    Returns
    -------
    MonitorConfig

    Raises
    ------
    ConfigError
        The file is missing or not YAML, or keys are unknown (with the closest known key),
        missing, or of the wrong kind; every problem is named in one message.
    RegionError
        A region file is missing or not valid GeoJSON.
    """
    from geoquant._yaml import MAX_CONFIG_BYTES, load_yaml

    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"monitoring config {path} does not exist (or is not a file); "
                          "start from docs/monitoring.md's example")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES // 1024} KiB, which no "
                          "configuration needs: check that it is the right file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {path} as UTF-8 text: {err}") from None
    document = load_yaml(text, source=str(path))
    return parse_config(document, base=path.absolute().parent, origin=str(path), path=path)


def parse_config(document: Any, *, base: Path, origin: str = "config",
                 path: Path | None = None) -> MonitorConfig:
    """Validate a configuration already read into Python (see :func:`load_config`)."""
    problems = Problems()
    if not check_keys(document, "", problems, required=TOP_REQUIRED, optional=TOP_OPTIONAL):
        raise ConfigError(f"{origin}: the file must be a mapping of keys (name, catalog, ...)")
    name = text(document, "name", "name", problems, pattern=NAME_PATTERN, hint=NAME_HINT)
    catalog = text(document, "catalog", "catalog", problems)
    if catalog is not None and not catalog.startswith(("http://", "https://")):
        problems.add("catalog", f"must be the URL of a STAC API (http://... or https://...), "
                                f"got {catalog!r}")
    output = path_value(document, "output", base, problems)
    cadence = _cadence(document.get("cadence"), problems) if "cadence" in document else None
    start = _start(document["start"], problems) if "start" in document else None
    regions = _regions(document, base, problems)
    region_names = [r.name for r in regions]
    sources = read_sources(document, region_names, base, problems)
    alerts = _alerts(document, sources, region_names, problems)
    alerts_file = path_value(document, "alerts_file", base, problems)
    if alerts_file is None and output is not None:
        alerts_file = output.with_name(f"{output.stem}.alerts.jsonl")
    hook = _hook(document, base, problems)
    timeout = number(document, "hook_timeout_s", "hook_timeout_s", problems, default=30.0,
                     positive=True)
    description = text(document, "description", "description", problems, default="")
    if problems:
        raise ConfigError(f"{origin}: " + "; ".join(p.replace("\n", " ") for p in problems))
    return MonitorConfig(name=name, catalog=catalog.rstrip("/"), output=output,
                         cadence=cadence, regions=tuple(regions), sources=tuple(sources),
                         alerts=tuple(alerts), alerts_file=alerts_file, hook=hook,
                         hook_timeout_s=timeout, start=start, description=description,
                         path=path)


def parse_cadence(value: Any) -> Cadence:
    """A :class:`Cadence` from its text; raises ConfigError naming the accepted forms."""
    problems = Problems()
    cadence = _cadence(value, problems)
    if problems:
        raise ConfigError("; ".join(problems))
    return cadence


def _cadence(value: Any, problems: Problems) -> Cadence | None:
    forms = "hourly, daily, weekly, monthly, or a number with min, h, d or w (e.g. 6h, 10d)"
    if not isinstance(value, str):
        problems.add("cadence", f"must be {forms}; got {value!r}")
        return None
    word = value.strip().lower()
    if word in _CADENCE_WORDS:
        return Cadence(word, _CADENCE_WORDS[word])
    match = _CADENCE_PATTERN.match(word)
    if match and int(match.group(1)) > 0:
        return Cadence(word.replace(" ", ""), int(match.group(1)) * _CADENCE_UNITS[match[2]])
    problems.add("cadence", f"{value!r} is not a cadence{suggestion(word, _CADENCE_WORDS)}: "
                            f"use {forms}")
    return None


def _start(value: Any, problems: Problems) -> str | None:
    from geoquant.sources import datetime_range

    if isinstance(value, dt.datetime):
        value = value.replace(tzinfo=value.tzinfo or dt.UTC).isoformat()
    elif isinstance(value, dt.date):
        value = value.isoformat()
    if not isinstance(value, str):
        problems.add("start", f"must be a date such as 2021-06-01, got {value!r}")
        return None
    try:
        return datetime_range(f"{value}/..").split("/")[0]
    except GeoquantError as err:
        problems.add("start", str(err))
        return None


def _regions(document: Mapping[str, Any], base: Path, problems: Problems) -> list[RegionSpec]:
    found, names = [], []
    for where, entry in entries(document, "regions", "", problems, required=True):
        if not check_keys(entry, where, problems, required=REGION_KEYS[:1],
                          optional=REGION_KEYS[1:]):
            continue
        name = text(entry, "name", where, problems, pattern=NAME_PATTERN, hint=NAME_HINT)
        names.append((f"{where}.name", name))
        given = [k for k in ("geojson", "bbox") if k in entry]
        if len(given) != 1:
            problems.add(where, "give the region as exactly one of 'geojson' (a GeoJSON file) "
                                f"or 'bbox' (west, south, east, north in degrees), got "
                                f"{' and '.join(given) or 'neither'}")
            continue
        region = _read_region(entry, where, base, problems)
        if name is not None and region is not None:
            found.append(RegionSpec(name, *region))
    unique(names, "region", problems)
    return found


def _read_region(entry: Mapping[str, Any], where: str, base: Path, problems: Problems
                 ) -> tuple[Any, str] | None:
    from geoquant.sources import region_from

    if "bbox" in entry:
        bbox = entry["bbox"]
        if not isinstance(bbox, list) or len(bbox) != 4:
            problems.add(f"{where}.bbox", f"must be [west, south, east, north] in degrees, "
                                          f"got {bbox!r}")
            return None
        try:
            return region_from(bbox=bbox), "bbox " + ", ".join(str(v) for v in bbox)
        except GeoquantError as err:
            problems.add(f"{where}.bbox", str(err))
            return None
    file = text(entry, "geojson", where, problems)
    if file is None:
        return None
    path = Path(file).expanduser()
    path = path if path.is_absolute() else base / path
    return read_region_file(path), str(path)


def read_region_file(path: Path) -> Any:
    """A :class:`geoquant.sources.Region` from a GeoJSON file.

    Raises
    ------
    RegionError
        The file is missing, not JSON, or not GeoJSON with a polygon (naming the file).
    """
    from geoquant.errors import RegionError
    from geoquant.sources import region_from

    try:
        return region_from(region=path)
    except RegionError as err:
        message = str(err)
        if str(path) not in message:
            message = f"region file {path}: {message}"
        raise RegionError(message) from err
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        # region_from reads the structure as GeoJSON says it is; anything else (a Feature
        # without a geometry, coordinates that are not rings) surfaces here.
        detail = f"missing member {err}" if isinstance(err, KeyError) else str(err)
        raise RegionError(f"region file {path} is not valid GeoJSON ({detail}); give a "
                          "Polygon, MultiPolygon, Feature or FeatureCollection of polygons "
                          "in longitude/latitude") from err
    except Exception as err:  # shapely's GEOSException for rings that are not polygons
        raise RegionError(f"region file {path} is not valid GeoJSON ({err}); give a polygon "
                          "with at least four positions per ring") from err


def _alerts(document: Mapping[str, Any], sources: list[SourceSpec], region_names: list[str],
            problems: Problems) -> list[AlertRule]:
    found, names = [], []
    source_names = [s.name for s in sources]
    for where, entry in entries(document, "alerts", "", problems, required=False):
        if not check_keys(entry, where, problems, required=("metric",),
                          optional=tuple(k for k in ALERT_KEYS if k != "metric")):
            continue
        metric = text(entry, "metric", where, problems)
        source = text(entry, "source", where, problems)
        region = text(entry, "region", where, problems)
        if source is not None and source not in source_names:
            problems.add(f"{where}.source", f"unknown source {source!r}"
                                            f"{suggestion(source, source_names)}")
        if region is not None and region not in region_names:
            problems.add(f"{where}.region", f"unknown region {region!r}"
                                            f"{suggestion(region, region_names)}")
        if metric is not None:
            known = sorted({CLEAR_METRIC, *(m.name for s in sources
                                            if source in (None, s.name) for m in s.metrics)})
            if metric not in known:
                problems.add(f"{where}.metric", f"no source measures {metric!r}"
                                                f"{suggestion(metric, known)}; metrics are "
                                                f"{', '.join(known)}")
        conditions = [k for k in ALERT_CONDITIONS if k in entry]
        if len(conditions) != 1:
            problems.add(where, f"give exactly one condition of {', '.join(ALERT_CONDITIONS)}; "
                                f"got {', '.join(conditions) or 'none'}")
            continue
        threshold = number(entry, conditions[0], where, problems)
        window = number(entry, "window_days", where, problems, default=365.0, positive=True)
        span = number(entry, "min_span_days", where, problems, default=30.0, minimum=0.0)
        if not conditions[0].startswith("change") and ({"window_days", "min_span_days"}
                                                       & set(entry)):
            problems.add(where, "window_days and min_span_days are read by change_* rules only")
        name = text(entry, "name", where, problems, pattern=NAME_PATTERN, hint=NAME_HINT)
        if name is None and metric is not None and threshold is not None:
            name = f"{metric} {conditions[0]} {threshold:g}"
        names.append((where, name))
        if None in (metric, threshold, window, span, name):
            continue
        found.append(AlertRule(name, metric, conditions[0], threshold, window, span, source,
                               region))
    unique(names, "alert", problems)
    return found


def _hook(document: Mapping[str, Any], base: Path, problems: Problems) -> tuple[str, ...] | None:
    if "hook" not in document:
        return None
    value = document["hook"]
    if isinstance(value, str):
        try:
            value = shlex.split(value)
        except ValueError as err:
            problems.add("hook", f"cannot split {value!r} into a command and arguments: {err}")
            return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.add("hook", f"must be a command: a list such as [notify, --to, ops] or a "
                             f"string, got {value!r}")
        return None
    command = value[0]
    if "/" in command and not Path(command).expanduser().is_absolute():
        value = [str(base / command), *value[1:]]
    return tuple(value)
