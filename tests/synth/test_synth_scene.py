"""geoquant.synth: determinism, chunk independence, laziness, content and georeferencing."""

from __future__ import annotations

import subprocess
import sys
import time

import dask
import numpy as np
import pytest
import scipy.ndimage as ndi
from affine import Affine
from pyproj import CRS

import geoquant.synth as synth
from geoquant.errors import RegionError

VARIABLES = ("landcover", "optical", "sar")
EIGHT = np.ones((3, 3), dtype=bool)
FOUR = ndi.generate_binary_structure(2, 1)


def _no_compute(*args, **kwargs):
    raise AssertionError("a dask graph was computed where none should be")


def _values(ds) -> dict[str, np.ndarray]:
    computed = ds.compute(scheduler="sync")
    return {name: computed[name].values for name in VARIABLES}


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    """A 1100 x 1300 scene computed as one chunk."""
    return _values(synth.scene((1100, 1300), seed=11, chunks=4096))


@pytest.fixture(scope="module")
def scene_2048():
    return synth.scene((2048, 2048), seed=0, chunks=256).compute()


def test_import_loads_no_heavy_modules():
    code = (
        "import sys, geoquant, geoquant.synth\n"
        "names = ('numba', 'dask', 'xarray', 'rioxarray', 'scipy')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_same_seed_same_pixels_other_seed_other_pixels(reference):
    again = _values(synth.scene((1100, 1300), seed=11, chunks=512))
    other = _values(synth.scene((1100, 1300), seed=12, chunks=512))
    for name in VARIABLES:
        assert np.array_equal(reference[name], again[name])
        assert not np.array_equal(reference[name], other[name])
    # Different worlds, not a shifted copy: the class maps disagree on most pixels.
    assert np.mean(reference["landcover"] != other["landcover"]) > 0.3


@pytest.mark.parametrize("chunks", [(333, 517), (1000, 64), 256, (7, 1300), (1100, 13)])
def test_any_chunking_gives_identical_pixels(reference, chunks):
    ds = synth.scene((1100, 1300), seed=11, chunks=chunks)
    expected = (chunks, chunks) if isinstance(chunks, int) else chunks
    assert ds.landcover.data.chunksize == expected
    got = _values(ds)
    for name in VARIABLES:
        assert got[name].dtype == reference[name].dtype
        assert np.array_equal(got[name], reference[name]), name


def test_scene_is_top_left_window_of_a_larger_scene(reference):
    big = synth.scene((200_000, 150_000), seed=11, chunks=(700, 900))
    window = _values(big.isel(y=slice(0, 1100), x=slice(0, 1300)))
    for name in VARIABLES:
        assert np.array_equal(window[name], reference[name]), name


def test_far_from_the_origin_chunkings_agree():
    rows, cols = slice(150_000, 151_100), slice(77_000, 78_300)
    windows = [
        _values(synth.scene((200_000, 100_000), seed=4, chunks=chunks).isel(y=rows, x=cols))
        for chunks in ((700, 900), 1024, (1100, 1300))
    ]
    for other in windows[1:]:
        for name in VARIABLES:
            assert np.array_equal(windows[0][name], other[name]), name


def test_rivers_stay_inside_their_bands():
    # A window generates only the river bands it overlaps: a river must never leave its band.
    from geoquant.synth import _features as f

    meander = sum(amp for _, amp in f.MEANDER_OCTAVES)
    assert f.EW_JITTER + meander + f.RIVER_HW_MAX < f.EW_BAND / 2
    assert f.NS_JITTER + meander + f.RIVER_HW_MAX < f.NS_BAND / 2


def test_huge_scene_is_instant_and_one_chunk_computes_alone():
    synth.scene((64, 64))  # imports dask, xarray, rioxarray outside the timing
    start = time.perf_counter()
    with dask.config.set(scheduler=_no_compute):
        ds = synth.scene((200_000, 200_000), seed=3, chunks=1024)
        lc = synth.landcover((200_000, 200_000), seed=3, chunks=256)
    assert time.perf_counter() - start < 2.0
    assert ds.landcover.shape == (200_000, 200_000)
    assert ds.optical.shape == (6, 200_000, 200_000)
    assert lc.data.npartitions == 782 * 782

    block = ds.landcover.data.blocks[150, 77]
    (optimised,) = dask.optimize(block)
    assert len(optimised.__dask_graph__()) <= 3  # the one chunk's task, nothing else
    tile = block.compute(scheduler="sync")
    assert tile.shape == (1024, 1024) and tile.dtype == np.uint8
    assert set(np.unique(tile)) <= set(synth.CLASSES)

    # The same pixels through a window of another chunking, and the imagery of that chunk.
    rows, cols = slice(150 * 1024, 151 * 1024), slice(77 * 1024, 78 * 1024)
    assert np.array_equal(lc[rows, cols].values, tile)
    optical = ds.optical.data.blocks[0, 150, 77].compute(scheduler="sync")
    sar = ds.sar.data.blocks[0, 150, 77].compute(scheduler="sync")
    assert optical.shape == (6, 1024, 1024) and sar.shape == (2, 1024, 1024)
    assert np.isfinite(optical).all() and np.isfinite(sar).all()


def test_every_class_is_present(scene_2048):
    for seed in (1, 2):
        lc = synth.landcover((2048, 2048), seed=seed, chunks=1024).values
        assert set(np.unique(lc)) == set(synth.CLASSES), seed
    lc = scene_2048.landcover.values
    assert set(np.unique(lc)) == set(synth.CLASSES)
    assert 0 not in lc  # nodata is reserved and never produced


def test_rivers_cross_many_chunks(scene_2048):
    chunk = 256
    water = np.isin(scene_2048.landcover.values, synth.WATER_CODES)
    labels, _ = ndi.label(water, structure=EIGHT)
    widest = max(sl[1].stop - sl[1].start for sl in ndi.find_objects(labels))
    assert widest > 3 * chunk
    # Rivers by themselves also run across chunk borders.
    river_labels, _ = ndi.label(scene_2048.landcover.values == 7, structure=EIGHT)
    spans = [sl[1].stop - sl[1].start for sl in ndi.find_objects(river_labels)]
    assert max(spans) > 3 * chunk


def test_objects_larger_than_a_tile_and_diagonal_contacts(scene_2048):
    lc = scene_2048.landcover.values
    forest, _ = ndi.label(lc == 2, structure=EIGHT)
    extents = [max(sl[0].stop - sl[0].start, sl[1].stop - sl[1].start)
               for sl in ndi.find_objects(forest)]
    assert max(extents) > 512
    # Thin diagonal roads and corner-touching buildings and fields: 8-connectivity joins
    # objects that 4-connectivity keeps apart.
    for code in (3, 5, 6):
        _, n8 = ndi.label(lc == code, structure=EIGHT)
        _, n4 = ndi.label(lc == code, structure=FOUR)
        assert n8 < n4, synth.CLASSES[code]


def test_imagery_matches_classes(scene_2048):
    lc = scene_2048.landcover.values
    optical = scene_2048.optical
    sar = scene_2048.sar
    assert optical.dtype == np.float32 and sar.dtype == np.float32
    assert list(optical.band.values) == ["B02", "B03", "B04", "B08", "B11", "B12"]
    assert list(sar.polarization.values) == ["VV", "VH"]
    assert float(optical.min()) >= 0.0 and float(optical.max()) <= 1.0

    water = np.isin(lc, synth.WATER_CODES)
    forest = lc == 2
    building = lc == 6
    vv = sar.sel(polarization="VV").values
    assert vv[water].mean() < vv[forest].mean() - 8.0
    assert vv[building].mean() > vv[forest].mean()
    assert abs(vv[water & (lc == 1)].mean() - (-22.0)) < 1.0

    green = optical.sel(band="B03").values
    nir = optical.sel(band="B08").values
    red = optical.sel(band="B04").values
    swir = optical.sel(band="B11").values
    mndwi = (green - swir) / (green + swir)
    assert np.mean(mndwi[water] > 0) > 0.95
    assert np.mean(mndwi[forest] > 0) < 0.05
    ndvi = (nir - red) / (nir + red)
    assert ndvi[forest].mean() > 0.7 > ndvi[building].mean()
    assert swir[building].mean() > swir[forest].mean()


def test_georeferencing():
    ds = synth.scene(
        (300, 200), seed=1, chunks=128, resolution=20.0, crs="EPSG:3035",
        origin=(4_000_000.0, 3_000_000.0),
    )
    assert ds.rio.crs == CRS.from_epsg(3035)
    assert ds.rio.transform() == Affine(20.0, 0.0, 4_000_000.0, 0.0, -20.0, 3_000_000.0)
    assert ds.rio.transform(recalc=True).almost_equals(ds.rio.transform())
    np.testing.assert_array_equal(ds.x.values, 4_000_000.0 + (np.arange(200) + 0.5) * 20.0)
    np.testing.assert_array_equal(ds.y.values, 3_000_000.0 - (np.arange(300) + 0.5) * 20.0)
    assert ds.rio.bounds() == (4_000_000.0, 3_000_000.0 - 6000.0, 4_000_000.0 + 4000.0,
                               3_000_000.0)
    for name in VARIABLES:
        assert ds[name].rio.crs == CRS.from_epsg(3035)
    assert ds.attrs["seed"] == 1
    assert dict(zip(ds.attrs["class_codes"], ds.attrs["class_names"], strict=True)) == dict(
        synth.CLASSES
    )
    assert ds.landcover.attrs["flag_values"] == list(synth.CLASSES)
    assert ds.optical.attrs["units"] == "1" and ds.sar.attrs["units"] == "dB"


def test_landcover_alone_matches_scene(reference):
    lc = synth.landcover((1100, 1300), seed=11, chunks=(400, 300))
    assert lc.dims == ("y", "x") and lc.name == "landcover"
    assert lc.rio.crs == CRS.from_epsg(32633)
    assert lc.rio.transform() == Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 5100000.0)
    assert np.array_equal(lc.values, reference["landcover"])


def test_tiny_and_chunk_larger_than_scene():
    ds = synth.scene((1, 3), seed=2, chunks=1024)
    assert ds.landcover.data.chunksize == (1, 3)
    assert ds.landcover.values.shape == (1, 3)
    assert ds.optical.values.shape == (6, 1, 3)


@pytest.mark.parametrize(
    ("kwargs", "hint"),
    [
        ({"shape": (0, 10)}, "shape"),
        ({"shape": (10, -5)}, "shape"),
        ({"shape": (10,)}, "shape"),
        ({"shape": 100}, "shape"),
        ({"shape": (10.0, 10)}, "shape"),
        ({"shape": (True, 10)}, "shape"),
        ({"chunks": 0}, "chunks"),
        ({"chunks": (256, 0)}, "chunks"),
        ({"chunks": -1}, "chunks"),
        ({"resolution": 0.0}, "resolution"),
        ({"resolution": -10.0}, "resolution"),
        ({"resolution": float("nan")}, "resolution"),
        ({"origin": (0.0,)}, "origin"),
        ({"origin": (0.0, float("inf"))}, "origin"),
        ({"crs": "EPSG:4326"}, "projected"),
        ({"crs": "not a crs"}, "EPSG"),
    ],
)
def test_bad_input_raises_region_error_saying_what_to_change(kwargs, hint):
    args = {"shape": (64, 64), **kwargs}
    shape = args.pop("shape")
    with pytest.raises(RegionError, match=hint) as info:
        synth.scene(shape, **args)
    assert "pass" in str(info.value)
    with pytest.raises(RegionError):
        synth.landcover(shape, **args)


def test_scene_and_landcover_take_the_same_options():
    # scene() documents its parameters as "those of landcover": keep names and defaults equal.
    import inspect

    assert inspect.signature(synth.scene).parameters == inspect.signature(
        synth.landcover
    ).parameters


def test_seed_must_be_an_integer():
    with pytest.raises(TypeError, match="seed"):
        synth.scene((64, 64), seed=1.5)


@pytest.mark.slow
def test_a_4096_chunk_renders_fast():
    synth.landcover((256, 256), seed=0).compute()  # compile the kernels
    lc = synth.landcover((4096, 4096), seed=0, chunks=4096)
    start = time.perf_counter()
    lc.data.compute(scheduler="sync")
    assert time.perf_counter() - start < 2.0
