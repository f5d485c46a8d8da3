"""Monitoring: scheduled regional jobs that append new acquisitions to a Zarr store.

- :func:`load_config`, :func:`parse_config`, :class:`MonitorConfig` (with
  :class:`RegionSpec`, :class:`SourceSpec`, :class:`MetricSpec`, :class:`BandClass`,
  :class:`AlertRule`, :class:`Cadence`) — the YAML configuration, validated with every
  problem named.
- :func:`run`, :class:`RunReport` — one run: new acquisitions in, one time step per date
  appended, alerts out; idempotent, locked, safe to interrupt.
- :func:`status`, :class:`MonitorStatus` — what has been done, read from the store.
- :func:`store_lock` — the store's exclusive lock; :class:`BandThresholds` — classes as
  thresholds on a band (index products such as NDVI).
- :func:`add_commands` — the ``geoquant monitor run|status`` commands.

``docs/monitoring.md`` documents the configuration key by key, with a crontab line and a systemd
timer.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
