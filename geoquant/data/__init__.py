"""Data carried by the package: the demo region (see demo/ATTRIBUTION.md)."""
