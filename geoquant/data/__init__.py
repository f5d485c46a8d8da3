"""Data carried by the package: the demo region (see demo/ATTRIBUTION.md).

- :data:`DEMO_DATA` — the embedded demo rasters (Slovenia, Camargue, Lausanne), one folder per
  collection.
"""

from geoquant._lazy import attach as _attach

__getattr__, __dir__, __all__ = _attach(__name__, __file__)
