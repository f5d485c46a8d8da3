"""Data carried by the package: the demo region (see demo/ATTRIBUTION.md)."""

from pathlib import Path

#: The embedded demo rasters (Slovenia, Camargue, Lausanne), one folder per collection.
DEMO_DATA = Path(__file__).resolve().parent / "demo"
