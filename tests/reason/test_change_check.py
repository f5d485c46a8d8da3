"""Change answers say when the two dates are on different grids and where the change lies."""

import numpy as np
import pytest

import geoquant as gq

QUESTION = "By what percentage did the area of land-use code 41 change between 2006 and 2012?"


def _write(path, data, transform, crs, nodata=255):
    import rasterio

    with rasterio.open(path, "w", driver="GTiff", height=data.shape[0], width=data.shape[1],
                       count=1, dtype=data.dtype, crs=crs, transform=transform,
                       nodata=nodata) as dst:
        dst.write(data, 1)


def test_a_copy_georeferenced_one_pixel_off_is_reported_as_a_shift(shared_data, tmp_path):
    import rasterio
    from affine import Affine

    source = shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"
    with rasterio.open(source) as src:
        data, transform, crs = src.read(1), src.transform, src.crs
    _write(tmp_path / "a.tif", data, transform, crs)
    # The same map, its georeferencing moved one pixel east: every "change" is the shift.
    _write(tmp_path / "b.tif", data, transform * Affine.translation(1, 0), crs)
    answer = gq.ask(QUESTION, source=[tmp_path / "a.tif", tmp_path / "b.tif"], product="codes")
    check = answer.provenance["change_check"]
    assert check["grid_offset_px"] == {"east": pytest.approx(1.0), "north": 0.0}
    assert check["aligned"].startswith("resampled")
    assert check["best_shift_px"] == [0, 1] and check["agreement_at_best_shift"] == 1.0
    assert check["boundary_share"] == 1.0 and check["looks_misregistered"]
    assert "1.00 px east" in answer.summary() and "misregistration" in answer.summary()


def test_the_demo_lausanne_maps_report_their_offset(shared_data):
    folder = shared_data / "real" / "lausanne-landuse"
    answer = gq.ask(QUESTION, source=[folder / "ls100_06.tif", folder / "ls100_12.tif"],
                    product="codes")
    check = answer.provenance["change_check"]
    # The files' transforms: 2006 origin (2512060.76, 1178109.15), 2012 (2511999.74,
    # 1177964.74), pixels 100.01 m: 0.61 px west and 1.44 px south.
    assert check["grid_offset_px"]["east"] == pytest.approx(-0.61, abs=0.01)
    assert check["grid_offset_px"]["north"] == pytest.approx(-1.444, abs=0.01)
    assert check["boundary_share"] > 0.95 and check["looks_misregistered"]


def test_same_grid_real_change_is_not_called_a_shift(tmp_path):
    from affine import Affine

    rng = np.random.default_rng(1)
    before = np.repeat(np.repeat(rng.integers(1, 4, (8, 8)), 10, 0), 10, 1).astype(np.uint8)
    after = before.copy()
    after[20:40, 20:40] = 41
    transform = Affine(10, 0, 500000, 0, -10, 5100000)
    _write(tmp_path / "a.tif", before, transform, "EPSG:32633")
    _write(tmp_path / "b.tif", after, transform, "EPSG:32633")
    answer = gq.ask(QUESTION, source=[tmp_path / "a.tif", tmp_path / "b.tif"], product="codes")
    check = answer.provenance["change_check"]
    assert check["aligned"] == "the same grid" and not check["looks_misregistered"]
    assert "not concentrated on class boundaries" in answer.summary()
