"""ops.registration against NumPy on whole arrays, across chunkings, on the real Lausanne maps."""

import numpy as np
import pytest
import xarray as xr

import geoquant as gq
from geoquant.errors import GridMismatchError, InvalidOptionError


@pytest.fixture(scope="module")
def lausanne(shared_data):
    import rioxarray
    from rasterio.enums import Resampling

    folder = shared_data / "real" / "lausanne-landuse"
    before = rioxarray.open_rasterio(folder / "ls100_06.tif").squeeze(drop=True)
    after = rioxarray.open_rasterio(folder / "ls100_12.tif").squeeze(drop=True)
    return before, after.rio.reproject_match(before, resampling=Resampling.nearest)


def _reference(a: np.ndarray, b: np.ndarray, nodata: int, m: int):
    """Plain loops over shifts and neighbours on whole arrays."""
    h, w = a.shape
    va, vb = a != nodata, b != nodata
    agreement = {}
    for dy in range(-m, m + 1):
        for dx in range(-m, m + 1):
            same = valid = 0
            for y in range(max(0, -dy), min(h, h - dy)):
                row_a, row_b = a[y], b[y + dy]
                xs = np.arange(max(0, -dx), min(w, w - dx))
                ok = va[y, xs] & vb[y + dy, xs + dx]
                valid += ok.sum()
                same += (ok & (row_a[xs] == row_b[xs + dx])).sum()
            agreement[(dy, dx)] = same / valid
    padded = np.pad(a, 1, constant_values=nodata)
    edge = np.zeros_like(va)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            n = padded[1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
            edge |= (n != a) & (n != nodata)
    changed = (a != b) & va & vb
    return agreement, (changed & edge).sum() / changed.sum(), (edge & va & vb).sum() / (
        va & vb).sum(), changed.sum() / (va & vb).sum()


def test_registration_matches_numpy_on_the_lausanne_maps(lausanne):
    before, after = lausanne
    got = gq.ops.registration(before, after, max_shift_px=2)
    agreement, boundary, edge_pixels, changed = _reference(before.values, after.values, 255, 2)
    assert got.agreement.keys() == agreement.keys()
    for shift, value in agreement.items():
        assert got.agreement[shift] == pytest.approx(value, rel=1e-12)
    assert got.boundary_share == pytest.approx(boundary, rel=1e-12)
    assert got.boundary_pixels_share == pytest.approx(edge_pixels, rel=1e-12)
    assert got.changed_share == pytest.approx(changed, rel=1e-12)
    # Measured: 8.0 % changed, 98.6 % of it on boundaries (40.4 % of the map), best (-1, 0).
    assert got.boundary_share > 0.95 and got.best_shift_px == (-1, 0)
    assert got.looks_misregistered


@pytest.mark.parametrize("chunks", [((37, 50), (100, 29)), ((13, 472), (325, 23)),
                                    ((64, 64), (64, 64)),
                                    pytest.param(((17, 23), (19, 29)), marks=pytest.mark.slow)])
def test_registration_is_the_same_for_any_chunking(lausanne, chunks):
    before, after = lausanne
    whole = gq.ops.registration(before, after)
    (ya, xa), (yb, xb) = chunks
    tiled = gq.ops.registration(before.chunk({"y": ya, "x": xa}),
                                after.chunk({"y": yb, "x": xb}))
    assert tiled == whole


def test_a_shifted_copy_is_all_boundary_change_and_found_by_its_shift(lausanne):
    before, _ = lausanne
    values = before.values
    shifted = before.copy(data=np.roll(values, 1, axis=1))
    shifted.values[:, 0] = 255
    got = gq.ops.registration(before, shifted)
    assert got.best_shift_px == (0, 1) and got.agreement[(0, 1)] == 1.0
    assert got.boundary_share == 1.0 and got.looks_misregistered


def test_real_change_inside_patches_is_not_flagged():
    rng = np.random.default_rng(0)
    before = np.repeat(np.repeat(rng.integers(1, 4, (8, 8)), 10, 0), 10, 1)
    after = before.copy()
    after[20:30, 20:30] = 9          # one whole block changed class
    a, b = (xr.DataArray(v, dims=("y", "x")) for v in (before, after))
    got = gq.ops.registration(a, b)
    assert got.best_shift_px == (0, 0) and not got.looks_misregistered
    assert got.boundary_share < 0.5


def test_registration_refuses_bad_input():
    a = xr.DataArray(np.zeros((4, 4), int), dims=("y", "x"))
    with pytest.raises(GridMismatchError, match="differ in shape"):
        gq.ops.registration(a, a[:3])
    with pytest.raises(InvalidOptionError, match="max_shift_px"):
        gq.ops.registration(a, a, max_shift_px=-1)
