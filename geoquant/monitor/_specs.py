"""What a monitoring configuration says, as frozen value objects.

:func:`geoquant.monitor.load_config` makes them from YAML (``_config`` and ``_source_config``
check every key); the run, the store and the alerts read only these.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Always recorded for every date: the share of the region seen clearly, %.
CLEAR_METRIC = "clear_percent"
ALERT_CONDITIONS = ("above", "below", "change_percent_above", "change_percent_below",
                    "change_per_year_percent_above", "change_per_year_percent_below")
AREA_UNITS: Mapping[str, float] = {"m2": 1.0, "ha": 1e-4, "km2": 1e-6}


@dataclass(frozen=True)
class Cadence:
    """How often the monitor is meant to run (the schedule itself is cron's or systemd's).

    Attributes
    ----------
    text : str
        As written: ``hourly``, ``daily``, ``weekly``, ``monthly`` or ``<n>min``/``<n>h``/
        ``<n>d``/``<n>w``.
    seconds : int
        The interval; ``monthly`` counts 30 days. ``geoquant monitor status`` calls a monitor
        overdue when its last run is older than twice this.
    """

    text: str
    seconds: int


@dataclass(frozen=True)
class RegionSpec:
    """A named region: its geometry (WGS84) and where it was read from."""

    name: str
    region: Any  # geoquant.sources.Region
    origin: str


@dataclass(frozen=True)
class BandClass:
    """A class defined by thresholds on one band: ``above < value`` and ``value < below``."""

    name: str
    band: str
    above: float | None = None
    below: float | None = None

    def describe(self) -> str:
        parts = []
        if self.above is not None:
            parts.append(f"{self.band} > {self.above:g}")
        if self.below is not None:
            parts.append(f"{self.band} < {self.below:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class MetricSpec:
    """One figure computed for every date of a source.

    Attributes
    ----------
    name : str
        The Zarr variable name.
    measure : {"area", "share", "count", "fragmentation", "question"}
    unit : str
        ``m2``, ``ha``, ``km2``, ``%``, ``patches``, a fragmentation unit, or a question's.
    class_name : str, optional
        Canonical class of the mask measured.
    min_area_m2, connectivity
        For counts (and fragmentation connectivity).
    index, connectance_m
        For fragmentation: the metric key and the connectance distance.
    question : str, optional
        Asked with :func:`geoquant.ask` over the date's segmentation.
    """

    name: str
    measure: str
    unit: str
    class_name: str | None = None
    min_area_m2: float = 0.0
    connectivity: int = 8
    index: str | None = None
    connectance_m: float | None = None
    question: str | None = None

    def describe(self) -> str:
        """How the figure is made, in words (written to the variable's attributes)."""
        if self.measure == "question":
            return f"geoquant.ask({self.question!r}) over the date's segmentation"
        what = f"{self.class_name} mask"
        if self.measure == "area":
            return f"area of the {what}, {self.unit}"
        if self.measure == "share":
            return f"share of the region's clear pixels in the {what}, %"
        if self.measure == "count":
            size = f" of at least {self.min_area_m2:g} m2" if self.min_area_m2 else ""
            return f"{self.connectivity}-connected patches{size} in the {what}"
        return f"{self.index} of the {what} (geoquant.ops.fragmentation, {self.unit})"


@dataclass(frozen=True)
class SourceSpec:
    """A STAC collection, how its imagery becomes masks, and the figures measured on them."""

    name: str
    collection: str
    metrics: tuple[MetricSpec, ...]
    regions: tuple[str, ...]
    query: Mapping[str, Any] | None = field(default=None, hash=False)
    assets: tuple[str, ...] | None = None
    crs: str | None = None
    resolution: float | None = None
    segmenter: str = "auto"
    product: str | None = None
    model: Path | None = None
    threshold_db: float | None = None
    classes: tuple[BandClass, ...] = ()
    min_clear_percent: float = 0.0
    masks: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertRule:
    """When a figure should raise an alert.

    Attributes
    ----------
    name : str
    metric : str
    condition : str
        One of :data:`ALERT_CONDITIONS`.
    threshold : float
        A value (``above``/``below``), a percent change (``change_percent_*``) or a percent
        change per year (``change_per_year_percent_*``).
    window_days : float
        Change rules compare with the earliest valid value at most this many days before.
    min_span_days : float
        Change rules need a reference at least this many days before (no rate from two
        acquisitions a day apart).
    source, region : str, optional
        Only this source or region (default: every one that has the metric).
    """

    name: str
    metric: str
    condition: str
    threshold: float
    window_days: float = 365.0
    min_span_days: float = 30.0
    source: str | None = None
    region: str | None = None

    def describe(self) -> str:
        words = self.condition.replace("_", " ").replace("per year percent", "%/year")
        words = words.replace("change percent", "change %")
        return f"{self.metric} {words} {self.threshold:g}"


@dataclass(frozen=True)
class MonitorConfig:
    """A validated monitoring configuration (see :func:`load_config`)."""

    name: str
    catalog: str
    output: Path
    cadence: Cadence
    regions: tuple[RegionSpec, ...]
    sources: tuple[SourceSpec, ...]
    alerts: tuple[AlertRule, ...] = ()
    alerts_file: Path | None = None
    hook: tuple[str, ...] | None = None
    hook_timeout_s: float = 30.0
    start: str | None = None
    description: str = ""
    path: Path | None = None

    def region(self, name: str) -> RegionSpec:
        return next(r for r in self.regions if r.name == name)

    def series(self) -> list[tuple[RegionSpec, SourceSpec]]:
        """Every (region, source) pair monitored, in configuration order."""
        return [(self.region(r), s) for s in self.sources for r in s.regions]


def series_key(region: str, source: str) -> str:
    """The Zarr group (and state key) of one region and source: ``region/source``."""
    return f"{region}/{source}"
