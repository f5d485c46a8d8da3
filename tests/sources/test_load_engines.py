"""``load(..., engine="odc")`` against ``engine="stackstac"`` on real STAC items and rasters:
the same cube (values with NaN, coordinates, CRS, chunks, attributes) for every option, same-day
mosaics checked against an independent NumPy mosaic, and the engine that ``"auto"`` picks."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_bounds
from rasterio.windows import Window

from geoquant.errors import InvalidOptionError, MissingDependencyError
from geoquant.sources import _load_odc, load, search
from geoquant.sources._load import _choose_engine, _plan
from geoquant.testing.real import CAMARGUE_VV
from geoquant.testing.stac import localize_item, two_utm_zone_items, write_raster

pytest.importorskip("odc.stac")
# odc-geo 0.5.3 calls shapely.ops.transform, which shapely 2.2 deprecates
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:odc.*")

SLOVENIA = (465181.0522318204, 5079244.8912012065, 466180.53145382757, 5080254.63349641)
SLOVENIA_REGION = {"type": "Polygon", "coordinates": [[
    [14.5514, 45.8659], [14.5643, 45.8659], [14.5643, 45.8750], [14.5514, 45.8750],
    [14.5514, 45.8659]]]}
SLOVENIA_INSIDE = {"type": "Polygon", "coordinates": [[
    [14.553, 45.867], [14.560, 45.867], [14.557, 45.872], [14.553, 45.867]]]}


def assert_same_frame(a, b):
    """Everything but the values: dims, dtype, chunks, every coordinate, CRS, transform, no data
    and attributes."""
    assert a.dims == b.dims == ("time", "band", "y", "x")
    assert a.dtype == b.dtype == np.float32
    assert a.chunks == b.chunks
    assert set(a.coords) == set(b.coords) == {"time", "band", "y", "x", "item_ids",
                                               "spatial_ref"}
    for name in a.coords:
        assert a[name].dtype == b[name].dtype, name
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
        assert a[name].attrs == b[name].attrs, name
    assert a.rio.crs == b.rio.crs
    assert a.rio.transform() == b.rio.transform()
    assert a.rio.nodata == b.rio.nodata and a.rio.encoded_nodata == b.rio.encoded_nodata
    assert a.attrs == b.attrs


def assert_same_cube(a, b):
    """The same frame and the same values, NaN equal to NaN."""
    assert_same_frame(a, b)
    np.testing.assert_array_equal(a.values, b.values)


def half_unit(items) -> float:
    """Half a unit of the files' data type in physical values (scale / 2) for integer files,
    0 for floating-point files."""
    band = next(iter(items[0]["assets"].values()))["raster:bands"][0]
    integer = np.issubdtype(np.dtype(band["data_type"]), np.integer)
    return 0.5 * band.get("scale", 1.0) if integer else 0.0


def assert_same_but_rounding(a, b, half: float):
    """stackstac reads a warped file through a GDAL VRT of the file's own data type, so GDAL
    rounds computed values of integer files to whole units; odc-stac warps into float32 and
    keeps the fraction. The same frame, the same no data, values within half a unit."""
    assert_same_frame(a, b)
    va, vb = a.values, b.values
    np.testing.assert_array_equal(np.isnan(va), np.isnan(vb))
    np.testing.assert_allclose(va, vb, rtol=1e-6, atol=half * (1 + 1e-3))


def both(items, **options):
    return load(items, engine="stackstac", **options), load(items, engine="odc", **options)


@pytest.fixture(scope="module")
def demo(demo_api):
    return {c: search(demo_api, collections=c) for c in
            ("slovenia-s2-l1c", "slovenia-s2-ndvi", "slovenia-lulc", "camargue-s1",
             "lausanne-landuse")}


# -- the demo collections, as the other tests load them ------------------------------------------
@pytest.mark.parametrize(("collection", "options"), [
    ("slovenia-s2-l1c", {"chunks": 64}),
    ("slovenia-s2-l1c", {"assets": ["B04", "B08"], "chunks": (40, 70)}),
    ("slovenia-s2-ndvi", {"chunks": 128}),                          # one same-day pair
    ("slovenia-s2-ndvi", {"chunks": 50, "mosaic_same_day": False}),
    ("slovenia-lulc", {}),
    ("camargue-s1", {}),
    ("camargue-s1", {"sar_units": "linear", "chunks": 100}),
    ("lausanne-landuse", {"chunks": 128}),
])
def test_demo_collections(demo, collection, options):
    stackstac_cube, odc_cube = both(demo[collection], **options)
    assert_same_cube(stackstac_cube, odc_cube)


def test_ndvi_same_day_pair_is_mosaicked_alike(demo):
    a, b = both(demo["slovenia-s2-ndvi"], chunks=128)
    assert a.sizes["time"] == 67 and sum("," in i for i in b.item_ids.values) == 1


@pytest.mark.parametrize(("collection", "options"), [
    ("camargue-s1", {"bbox": (4.50, 43.58, 4.53, 43.60)}),
    ("lausanne-landuse", {"bbox": (6.5, 46.5, 6.7, 46.6), "chunks": 64}),
    ("slovenia-s2-l1c", {"region": SLOVENIA_REGION, "assets": ["B04", "B08"], "chunks": 32}),
    ("slovenia-s2-ndvi", {"region": SLOVENIA_INSIDE, "chunks": 32}),
])
def test_clipped(demo, collection, options):
    """Regions inside the data, and one reaching past it (the demo's Slovenia region: a margin
    of no data)."""
    stackstac_cube, odc_cube = both(demo[collection], **options)
    full = load(demo[collection], engine="stackstac")
    assert odc_cube.shape[2:] != full.shape[2:]
    assert_same_cube(stackstac_cube, odc_cube)


# -- resampling: another pixel size, another CRS ---------------------------------------------------
# How the engines differ when GDAL computes new values (the "computing" resamplings), found by
# loading each case with both engines at several chunk sizes:
# - GDAL sizes and places its kernel from the source window that the destination window it
#   warps needs; stackstac warps windows of a VRT over the whole grid, odc-stac each chunk, so
#   on a grid that is not a whole multiple of the source's, or under reprojection, values
#   differ. They differ as much as stackstac's own values between two chunk sizes; odc-stac's
#   are the same at every chunk size on a scaled grid (not under reprojection).
# - stackstac reads a warped file through a VRT of the file's data type, so GDAL rounds values
#   computed from an integer file to whole units; odc-stac warps into float32 and keeps the
#   fraction (at most half a unit apart).
# Nearest and the choosing resamplings (mode, min, max, med, q1, q3) pick source values: the
# same, bit for bit, on a scaled grid; under reprojection GDAL's approximate transformation
# (1/8 source pixel) decides knife-edge pixels alike in neither library.
OTHER_CHUNKS = (16, 1024)


def assert_close_computed(items, options, resampling):
    """The same frame and no data (but for a few edge pixels under reprojection); values
    apart on average by no more than 1.5 times the most that one engine's values move between
    chunk sizes (those of ``options``, 16 and 1024 px), plus half a unit of integer files,
    and by less than 3 % of the values' spread."""
    a, b = both(items, resampling=resampling, **options)
    assert_same_frame(a, b)
    va, vb = a.values, b.values
    assert (np.isnan(va) != np.isnan(vb)).mean() < 0.001
    others = [both(items, resampling=resampling, **(options | {"chunks": c}))
              for c in OTHER_CHUNKS]
    runs = {"stackstac": [va, *(o[0].values for o in others)],
            "odc": [vb, *(o[1].values for o in others)]}
    finite = np.logical_and.reduce([np.isfinite(v) for vs in runs.values() for v in vs])
    across = np.abs(va - vb)[finite].mean()
    within = max(np.abs(p - q)[finite].mean() for vs in runs.values()
                 for i, p in enumerate(vs) for q in vs[i + 1:])
    assert across <= 1.5 * within + half_unit(items)
    assert across <= 0.03 * np.nanstd(va)


RESCALED = [
    ("camargue-s1", {"resolution": 40, "chunks": 64}),                  # 2 x coarser
    ("camargue-s1", {"resolution": 15, "chunks": 100}),                 # finer
    ("camargue-s1", {"resolution": (27, 33), "bbox": (4.50, 43.58, 4.53, 43.60)}),
    ("slovenia-s2-l1c", {"resolution": 25, "assets": ["B04"]}),
    ("lausanne-landuse", {"resolution": (150, 120), "bbox": (6.5, 46.5, 6.7, 46.6)}),
]


@pytest.mark.parametrize("resampling", ["nearest", "mode", "max", "med"])
@pytest.mark.parametrize(("collection", "options"), RESCALED)
def test_resolution_change_choosing(demo, collection, options, resampling):
    assert_same_cube(*both(demo[collection], resampling=resampling, **options))


@pytest.mark.parametrize("resampling", ["bilinear", "average", "cubic"])
@pytest.mark.parametrize(("collection", "options"), RESCALED)
def test_resolution_change_computing(demo, collection, options, resampling):
    items = demo[collection]
    if collection == "camargue-s1" and "bbox" not in options:
        # float32 file, whole or simple ratios: the same windows, the same values
        assert_same_cube(*both(items, resampling=resampling, **options))
    elif collection == "slovenia-s2-l1c":
        a, b = both(items, resampling=resampling, **options)
        assert_same_but_rounding(a, b, half_unit(items))
        units = a.values / (2 * half_unit(items))
        np.testing.assert_allclose(units, np.round(units), atol=1e-3)  # stackstac: whole DN
    else:
        assert_close_computed(items, options, resampling)


def distance_to_pixel_edge(cube, path) -> np.ndarray:
    """How far (in source pixels) each cube pixel's centre lies from the nearest edge of a
    source pixel, with the exact transformation (pyproj, no approximation)."""
    from pyproj import Transformer

    with rasterio.open(path) as src:
        transform, crs = src.transform, src.crs
    xx, yy = np.meshgrid(cube.x.values, cube.y.values)
    sx, sy = Transformer.from_crs(cube.rio.crs, crs, always_xy=True).transform(xx, yy)
    col, row = ~transform * (sx, sy)
    fc, fr = col - np.floor(col), row - np.floor(row)
    return np.minimum(np.minimum(fc, 1 - fc), np.minimum(fr, 1 - fr))


def asset_path(item) -> str:
    (asset,) = item["assets"].values()
    return asset["href"].removeprefix("file://")


REPROJECTED = [
    ("camargue-s1", {"crs": "EPSG:32632", "resolution": 20, "chunks": 64}),
    ("lausanne-landuse", {"crs": "EPSG:4326", "resolution": 0.001, "chunks": 64,
                          "bbox": (6.5, 46.5, 6.7, 46.6)}),
    ("slovenia-s2-l1c", {"crs": "EPSG:32632", "resolution": 10, "assets": ["B04"]}),
]


@pytest.mark.parametrize(("collection", "options"), [
    *REPROJECTED, ("lausanne-landuse", {"crs": "EPSG:32632", "resolution": 100}),
    ("lausanne-landuse", {"crs": "EPSG:4326", "resolution": 0.001, "chunks": 128}),
])
def test_reprojected_nearest(demo, collection, options):
    """Nearest neighbour under reprojection: the same grid, and the same source pixel for
    every cube pixel except where a pixel centre lies within GDAL's approximation tolerance
    (1/8 source pixel) of a source pixel's edge: GDAL approximates the transformation over the
    window it warps (stackstac: VRT blocks over the whole grid; odc-stac: each chunk), so such
    knife-edge pixels may go to either neighbour. stackstac itself picks other ones at another
    chunk size; odc-stac's small windows come closer to the exact transformation."""
    items = demo[collection]
    a, b = both(items, **options)
    assert_same_frame(a, b)
    va, vb = a.values, b.values
    differ = ~((va == vb) | (np.isnan(va) & np.isnan(vb)))
    assert differ.mean() < 0.005
    for t, item in enumerate(items):
        for k, key in enumerate(a.band.values):
            path = item["assets"][key]["href"].removeprefix("file://")
            assert (distance_to_pixel_edge(a, path)[differ[t, k]] < 0.125).all()


# Each collection with one resampling, each resampling with one collection, in the default
# run (3-4 s of CPU a case); the other six pairs in the slow run.
@pytest.mark.parametrize(("collection", "options", "resampling"), [
    pytest.param(collection, options, resampling, id=f"{collection}-options{i}-{resampling}",
                 marks=() if i == k else pytest.mark.slow)
    for k, resampling in enumerate(["bilinear", "average", "cubic"])
    for i, (collection, options) in enumerate(REPROJECTED)])
def test_reprojected_computing(demo, collection, options, resampling):
    assert_close_computed(demo[collection], options, resampling)


def test_mixed_utm_zones_reprojected(shared_data, tmp_path):
    """Two items of one real scene in zones 31 and 32 (test_load's case), loaded into zone 31:
    the zone-31 item on its own grid is copied alike; the other is warped (knife-edge rule)."""
    west, east = two_utm_zone_items(shared_data / "real" / CAMARGUE_VV, tmp_path)
    a, b = both([west, east], crs="EPSG:32631", resolution=20, chunks=128)
    assert_same_cube(a.isel(time=[0]), b.isel(time=[0]))
    assert_same_frame(a, b)
    va, vb = a.values[1, 0], b.values[1, 0]
    differ = ~((va == vb) | (np.isnan(va) & np.isnan(vb)))
    assert differ.mean() < 0.005
    assert (distance_to_pixel_edge(a, tmp_path / "b.tif")[differ] < 0.125).all()


# -- real Planetary Computer items with local rasters ---------------------------------------------
def test_sentinel2_l2a_offset(real_items, shared_data, tmp_path):
    scene = np.load(shared_data / "real/slovenia-s2/REFERENCE_SCENES.npy")[4][..., [3, 7]]
    dn = (np.rint(scene * 10000) + 1000).astype(np.uint16)
    dn[:5, :7] = 0                                             # no data
    transform = from_bounds(*SLOVENIA, 100, 101)
    rasters = {band: write_raster(tmp_path / f"{band}.tif", dn[..., k], crs="EPSG:32633",
                                  transform=transform, nodata=0)
               for k, band in enumerate(("B04", "B08"))}
    item = localize_item(real_items["sentinel-2-l2a"][0], rasters)
    a, b = both([item], chunks=32)
    assert_same_cube(a, b)
    assert np.isnan(b.values[0, :, :5, :7]).all() and a.attrs["sensor"] == "Sentinel-2 L2A"


# -- same-day mosaics of many items ---------------------------------------------------------------
def tiles_of(item, folder, *, tile=100, overlap=10, day="2015-03-09", change=None):
    """The item's raster cut into tiles of ``tile`` px that reach ``overlap`` px into the next,
    one item each, acquired a second apart on ``day``; ``change(k, values)`` edits tile k's
    values. Returns the items, each tile's (slices into the raster, values), the raster's
    shape and its nodata value."""
    with rasterio.open(asset_path(item)) as src:
        values, crs, nodata = src.read(1), src.crs.to_string(), src.nodata
        out, parts = [], []
        for row in range(0, src.height, tile):
            for col in range(0, src.width, tile):
                window = Window(col, row, min(tile + overlap, src.width - col),
                                min(tile + overlap, src.height - row))
                part = values[window.toslices()].copy()
                if change is not None:
                    part = change(len(out), part)
                name = f"tile_{day}_{row}_{col}"
                path = write_raster(folder / f"{name}.tif", part, crs=crs,
                                    transform=src.window_transform(window), nodata=nodata)
                out.append(localize_item(item, {"vv": path}, item_id=name,
                                         datetime=f"{day}T17:30:{len(out):02d}Z"))
                parts.append((window.toslices(), part))
    return out, parts, values.shape, nodata


def reference_mosaic(parts, shape, valid) -> np.ndarray:
    """Earliest valid pixel first, in NumPy: what geoquant's same-day mosaic means."""
    canvas = np.full(shape, np.nan, np.float32)
    for slices, values in parts:
        ok = valid(values)
        target = canvas[slices]
        fill = np.isnan(target) & ok
        target[fill] = values[fill]
    return canvas


def test_same_day_mosaic_of_tiles(demo, tmp_path, monkeypatch):
    """Nine overlapping tiles a day for two days; later tiles are 1 dB brighter per tile and the
    first tile has a hole in its overlap: the earliest valid pixel must win. odc-stac merges
    the tiles while reading (its groups are the days)."""
    (item,) = demo["camargue-s1"]

    def change(k, part):
        part = np.where(part == -99, part, part + k).astype(np.float32)
        if k == 0:
            part[95:110, 95:110] = -99                  # a hole that tiles 1, 3 and 4 cover
        return part

    day1, parts1, shape, _ = tiles_of(item, tmp_path, change=change)
    day2, parts2, _, _ = tiles_of(item, tmp_path, day="2015-03-21", change=lambda k, p: p)
    seen = []
    read = _load_odc.read_odc
    monkeypatch.setattr(_load_odc, "read_odc",
                        lambda plan, groups: seen.append(groups) or read(plan, groups))
    items = day2 + day1                                           # any order in, time order out
    a, b = both(items, chunks=64)
    assert seen == [((*range(9),), (*range(9, 18),))]               # odc mosaicked while reading
    assert_same_cube(a, b)
    assert list(b.item_ids.values) == [",".join(i["id"] for i in day1),
                                       ",".join(i["id"] for i in day2)]
    assert str(b.time.values[0]).startswith("2015-03-09T17:30:00")
    def valid(values):
        return values != -99

    for t, parts in enumerate((parts1, parts2)):
        np.testing.assert_array_equal(b.values[t, 0], reference_mosaic(parts, shape, valid))
    assert load(items, chunks=64, mosaic_same_day=False, engine="odc").sizes["time"] == 18
    assert_same_cube(*both(items, chunks=64, mosaic_same_day=False))
    assert_same_cube(*both(items, chunks=50, bbox=(4.50, 43.58, 4.53, 43.60)))


def test_mosaic_odc_cannot_merge_while_reading(demo, tmp_path, monkeypatch):
    """Linear backscatter loaded in dB: a value <= 0 becomes no data before the mosaic, so a
    later tile fills it; odc-stac merging raw values would keep the earlier tile's. The odc
    engine then reads item by item and mosaics as the stackstac engine does."""
    (item,) = demo["camargue-s1"]

    def linear(k, part):
        out = np.where(part == -99, np.float32(-99), 10 ** (part / 10)).astype(np.float32)
        if k == 0:
            out[95:110, 95:110] = 0.0                   # valid in linear, no data in dB
        return out

    items, parts, shape, _ = tiles_of(item, tmp_path, change=linear)
    for i in items:
        i["assets"]["vv"]["raster:bands"][0].pop("unit")          # Sentinel-1 RTC: linear
    plan = _plan(items, assets=None, crs=None, resolution=None, bbox=None, region=None,
                 chunks=64, resampling="nearest", sar_units="db", mosaic_same_day=True)
    assert not plan.fusable and _choose_engine(plan) == "stackstac"
    seen = []
    read = _load_odc.read_odc
    monkeypatch.setattr(_load_odc, "read_odc",
                        lambda plan, groups: seen.append(groups) or read(plan, groups))
    a, b = both(items, chunks=64, sar_units="db")
    assert seen == [tuple((k,) for k in range(9))]
    assert_same_cube(a, b)
    in_db = [(s, np.where(v > 0, 10 * np.log10(np.where(v > 0, v, 1)), np.nan)
              .astype(np.float32)) for s, v in parts]
    np.testing.assert_array_equal(b.values[0, 0],
                                  reference_mosaic(in_db, shape, np.isfinite))
    filled = b.values[0, 0, 100:110, 100:110]                      # by tiles 1, 3 and 4
    assert np.isfinite(filled).all() and np.isnan(b.values[0, 0, 95:100, 95:100]).all()


def test_mosaic_with_scales_differing_within_a_day(demo, tmp_path):
    (item,) = demo["camargue-s1"]
    items, _, _, _ = tiles_of(item, tmp_path, tile=150, overlap=20)
    for k, i in enumerate(items):
        i["assets"]["vv"]["raster:bands"][0].update(scale=1.0 + k / 4, offset=-k)
    plan = _plan(items, assets=None, crs=None, resolution=None, bbox=None, region=None,
                 chunks=64, resampling="nearest", sar_units=None, mosaic_same_day=True)
    assert not plan.fusable
    assert_same_cube(*both(items, chunks=64))


# -- the choice of engine ------------------------------------------------------------------------
def test_unknown_engine(demo):
    with pytest.raises(InvalidOptionError, match="'auto', 'stackstac', 'odc'"):
        load(demo["camargue-s1"], engine="rioxarray")


def test_auto_picks_odc_for_mosaics_of_many_items(demo, tmp_path):
    def engine_of(items, **options):
        plan = _plan(items, assets=None, crs=options.get("crs"),
                     resolution=options.get("resolution"), bbox=None, region=None, chunks=64,
                     resampling="nearest", sar_units=None, mosaic_same_day=True)
        return _choose_engine(plan)

    for items in demo.values():
        assert engine_of(items) == "stackstac"
    tiles, _, _, _ = tiles_of(demo["camargue-s1"][0], tmp_path)
    assert engine_of(tiles) == "odc"
    assert engine_of(tiles[:2]) == "stackstac"
    assert_same_cube(load(tiles, chunks=64), load(tiles, chunks=64, engine="stackstac"))


def test_without_odc_stac(demo, monkeypatch, tmp_path):
    tiles, _, _, _ = tiles_of(demo["camargue-s1"][0], tmp_path)
    for name in [m for m in sys.modules if m == "odc" or m.startswith("odc.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "odc", None)                  # import odc fails
    with pytest.raises(MissingDependencyError, match="odc-stac.*engine='stackstac'"):
        load(tiles, engine="odc")
    plan = _plan(tiles, assets=None, crs=None, resolution=None, bbox=None, region=None,
                 chunks=64, resampling="nearest", sar_units=None, mosaic_same_day=True)
    assert _choose_engine(plan) == "stackstac"                      # auto falls back
    assert load(tiles, chunks=64).sizes["time"] == 1


def test_loads_stay_lazy_and_odc_is_imported_on_use(demo):
    import dask

    def refuse(*args, **kwargs):
        raise AssertionError("load computed something")

    with dask.config.set(scheduler=refuse):
        for engine in ("stackstac", "odc"):
            load(demo["slovenia-s2-ndvi"], engine=engine, chunks=64)
    code = ("import sys, geoquant, geoquant.sources\n"
            "print(sorted(m for m in sys.modules if m == 'odc' or m.startswith('odc.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_plan_of_the_ndvi_series(demo):
    """The plan holds what both engines share: here 68 items in 67 steps, one of two items."""
    plan = _plan(demo["slovenia-s2-ndvi"], assets=None, crs=None, resolution=None, bbox=None,
                 region=None, chunks=64, resampling="nearest", sar_units=None,
                 mosaic_same_day=True)
    assert len(plan.items) == 68 and len(plan.steps) == 67 and plan.fusable
    assert plan.assets == ("ndvi",) and plan.grid.shape == (101, 100)
    assert plan.grid.chunk_shape == (64, 64)
