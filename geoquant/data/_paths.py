"""Where the data carried by the package lie."""

from pathlib import Path

#: The embedded demo rasters (Slovenia, Camargue, Lausanne), one folder per collection.
DEMO_DATA = Path(__file__).resolve().parent / "demo"
