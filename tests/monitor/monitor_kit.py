"""The monitor tests' kit: demo catalogs served by a real STAC API, grown between runs, and
reference figures computed with NumPy and SciPy straight from the rasters."""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

from geoquant.demo import DEMO_DATA

NDVI = DEMO_DATA / "slovenia-s2-ndvi"
CAMARGUE = DEMO_DATA / "camargue-s1"
LULC = DEMO_DATA / "slovenia-lulc"
L1C = DEMO_DATA / "slovenia-s2-l1c"


def item_dirs(collection: Path) -> list[Path]:
    """The item folders of a demo collection, in name (= time) order."""
    return sorted(p for p in collection.iterdir() if p.is_dir())


class LiveCatalog:
    """A STAC API on one loopback port, restarted over a chosen set of demo items.

    Restarting on the same port is what a deployment sees when its catalog grows: the
    monitor's configuration keeps pointing at the same URL.
    """

    def __init__(self, folder: Path) -> None:
        from geoquant.sources import free_port

        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    @contextlib.contextmanager
    def serving(self, items: dict[Path, list[Path]]):
        """Serve exactly ``items`` (collection folder -> item folders) until the block ends."""
        from geoquant.sources import CatalogServer, build_catalog

        rasters, catalog = self.folder / "rasters", self.folder / "catalog"
        shutil.rmtree(rasters, ignore_errors=True)
        shutil.rmtree(catalog, ignore_errors=True)
        for collection, chosen in items.items():
            target = rasters / collection.name
            target.mkdir(parents=True)
            shutil.copy(collection / "collection.json", target)
            for item in chosen:
                (target / item.name).symlink_to(item)
        build_catalog(rasters, catalog)
        with CatalogServer(catalog, port=self.port) as server:
            yield server


def footprint(item: Path) -> dict:
    """The lon/lat footprint of an item's rasters (its STAC geometry), as GeoJSON."""
    import rasterio
    from rasterio.warp import transform_geom

    first = sorted(item.glob("*.tif"))[0]
    with rasterio.open(first) as src:
        left, bottom, right, top = src.bounds
        ring = [[left, bottom], [right, bottom], [right, top], [left, top], [left, bottom]]
        return transform_geom(src.crs, "EPSG:4326", {"type": "Polygon", "coordinates": [ring]},
                              precision=9)


def write_region(path: Path, geometry: dict) -> Path:
    path.write_text(json.dumps({"type": "Feature", "properties": {}, "geometry": geometry}))
    return path


def ndvi_reference(item: Path) -> dict[str, float]:
    """Figures of one NDVI date from the rasters alone: clear = CLM 0 and finite NDVI;
    vegetation NDVI > 0.3, forest NDVI > 0.6; patches 8-connected (scipy)."""
    import rasterio
    from scipy import ndimage

    with rasterio.open(item / "ndvi.tif") as src:
        ndvi, (dx, dy) = src.read(1), src.res
    with rasterio.open(item / "CLM.tif") as src:
        clm = src.read(1)
    clear = (clm == 0) & np.isfinite(ndvi)
    vegetation, forest = (ndvi > 0.3) & clear, (ndvi > 0.6) & clear
    n_clear = int(clear.sum())
    return {
        "clear_percent": 100.0 * n_clear / clear.size,
        "vegetation_share_percent": 100.0 * vegetation.sum() / n_clear if n_clear else np.nan,
        "forest_area_m2": float(forest.sum()) * dx * dy,
        "forest_patches": float(ndimage.label(forest, structure=np.ones((3, 3)))[1]),
        "forest_pixels": int(forest.sum()),
    }


def day_of(item: Path) -> str:
    stamp = item.name.split("_")[-1]
    return f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"


def first_of_each_day(items: list[Path]) -> list[Path]:
    """One item per date: the first acquisition of each day (what the mosaic shows first)."""
    seen: dict[str, Path] = {}
    for item in items:
        seen.setdefault(day_of(item), item)
    return list(seen.values())


def store_digest(*paths: Path) -> dict[str, str]:
    """Every file under ``paths`` with the SHA-256 of its bytes."""
    out = {}
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


NDVI_CLASSES = """\
    classes:
      vegetation: {band: ndvi, above: 0.3}
      forest: {band: ndvi, above: 0.6}
"""
