"""Type stub of geoquant.monitor: what it exports and from where (read at run time by
``geoquant._lazy.attach``; each name loads its module on first use)."""

from ._cli import add_commands
from ._config import (
    load_config,
    parse_config,
)
from ._run import (
    RunReport,
    run,
)
from ._segmenters import BandThresholds
from ._specs import (
    AlertRule,
    BandClass,
    Cadence,
    MetricSpec,
    MonitorConfig,
    RegionSpec,
    SourceSpec,
)
from ._state import store_lock
from ._status import (
    MonitorStatus,
    status,
)

__all__ = [
    "AlertRule",
    "BandClass",
    "BandThresholds",
    "Cadence",
    "MetricSpec",
    "MonitorConfig",
    "MonitorStatus",
    "RegionSpec",
    "RunReport",
    "SourceSpec",
    "add_commands",
    "load_config",
    "parse_config",
    "run",
    "status",
    "store_lock",
]
