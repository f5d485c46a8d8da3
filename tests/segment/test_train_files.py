"""Training data from files (issue 29): image/mask pairs with colour or code legends, scenes with a
label raster on another grid, SAR chips with no data; each bad input a specific error.

All on the real rasters of ``../shared/data`` (Dubai aerial tiles, Sen1Floods11 chips, Zion's
Landsat scene and NLCD map), copied or cut into ``tmp_path`` where a case needs a change.
"""

from __future__ import annotations

import shutil
import warnings

import numpy as np
import pytest

from geoquant.errors import GridMismatchError, InvalidOptionError, MaskError
from geoquant.segment._train_files import (
    SkippedChipWarning,
    pair_files,
    parse_legend,
    read_pairs,
    read_scene,
    scene_halves,
)

DUBAI = ("#3C1098=building,#8429F6=bare,#6EC1E4=road,#FEDD3A=vegetation,#E2A929=water,"
         "#9B9B9B=unlabeled,#000000=unlabeled")
FLOODS = "1=water,0=land,-1=nodata"
NLCD = ("1=water,2=developed,3=barren,4=forest,5=shrubland,6=herbaceous,7=cultivated,"
        "8=wetlands")


def _pairs(tmp_path, source, names):
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(source / "images" / f"{name}.jpg", tmp_path / "images")
        shutil.copy(source / "masks" / f"{name}.png", tmp_path / "masks")
    return tmp_path


def test_legends_of_codes_and_colours():
    legend = parse_legend(DUBAI)
    assert legend.words == ("building", "bare", "road", "vegetation", "water")
    assert legend.colours[(0x3C, 0x10, 0x98)] == 0 and legend.colours[(0x9B, 0x9B, 0x9B)] == -1
    codes = parse_legend(NLCD)
    assert codes.words[1] == "built-up" and codes.words[-1] == "wetland"   # vocabulary words
    assert parse_legend(FLOODS).nodata == (-1,)
    for bad in ("1=water,#000000=land", "water", "1=nodata", "#12345=water"):
        with pytest.raises(InvalidOptionError):
            parse_legend(bad)


def test_colour_masks_rgb_and_paletted(shared_data):
    legend = parse_legend(DUBAI)
    root = shared_data / "real" / "dubai-aerial"
    files = pair_files(root)
    assert len(files) == 54 and {g for g, _, _ in files} == {f"tile-{k}" for k in range(1, 7)}
    images = read_pairs(root / "tile-2", legend)          # tile-2's masks are paletted PNGs
    assert len(images) == 9 and images[0].bands == ("red", "green", "blue")
    for image in images:
        assert image.target.shape == image.values.shape[1:]
        assert image.target.min() >= -1 and image.target.max() <= 4
    rgb = read_pairs(root / "tile-1", legend)[0]           # RGB PNG: counts of each colour
    assert np.bincount(rgb.target.ravel() + 1).tolist() == [7920, 2779, 388530, 73093, 4377,
                                                            36569]


def test_colour_not_in_legend_is_named_with_its_pixels(shared_data, tmp_path):
    root = _pairs(tmp_path, shared_data / "real" / "dubai-aerial" / "tile-3",
                  ["image_part_006"])
    legend = parse_legend(DUBAI.replace(",#000000=unlabeled", ""))
    with pytest.raises(MaskError, match=r"#000000 \(302 pixels\) not in the colour legend"):
        read_pairs(root, legend)


def test_mask_of_another_size_is_refused(shared_data, tmp_path):
    import rasterio

    root = _pairs(tmp_path, shared_data / "real" / "dubai-aerial" / "tile-1",
                  ["image_part_001"])
    mask = root / "masks" / "image_part_001.png"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # a PNG has no georeferencing to read or write
        with rasterio.open(mask) as src:
            data, profile = src.read()[:, :-3], src.profile
        profile.update(height=data.shape[1])
        with rasterio.open(mask, "w", **profile) as dst:
            dst.write(data)
        with pytest.raises(MaskError, match=r"641 x 797 pixels but its image .* is 644 x 797"):
            read_pairs(root, parse_legend(DUBAI))


def test_sar_chips_skip_all_no_data_with_a_warning(shared_data):
    root = shared_data / "real" / "sen1floods11"
    legend = parse_legend(FLOODS)
    with pytest.warns(SkippedChipWarning) as caught:
        chips = read_pairs(root, legend)
    skipped = sorted(str(w.message) for w in caught)
    assert len(skipped) == 2
    assert "Ghana_83483_S1Hand.tif: its mask is all no data" in skipped[0]
    assert "Paraguay_34417_S1Hand.tif: its image is all no data" in skipped[1]
    assert len(chips) == 7 and chips[0].bands == ("vv", "vh")
    assert {c.group for c in chips} == {"Ghana", "Mekong", "Nigeria", "Pakistan", "Spain"}
    for chip in chips:
        assert chip.values.dtype == np.float32 and set(np.unique(chip.target)) <= {-1, 0, 1}
    with pytest.raises(MaskError, match="unusable: its mask is all no data; remove it"):
        read_pairs(root, legend, strict=True)


def test_label_raster_on_another_grid_is_reprojected_nearest(shared_data):
    import rasterio
    from pyproj import Transformer

    zion = shared_data / "real" / "zion-landsat-nlcd"
    bands = [zion / f"landsat_b{k}.tif" for k in (2, 3, 4, 5)]
    legend = parse_legend(NLCD)
    scene, target, names = read_scene(bands, zion / "nlcd.tif", legend,
                                      bands=["blue", "green", "red", "nir"])
    assert names == ("blue", "green", "red", "nir") and target.shape == (1428, 1128)
    # Independent check: the NLCD pixel under each Landsat pixel centre.
    rows, cols = np.meshgrid(np.arange(5, 1428, 97), np.arange(3, 1128, 89), indexing="ij")
    transform = scene.rio.transform()
    xs, ys = transform * (cols.ravel() + 0.5, rows.ravel() + 0.5)
    with rasterio.open(zion / "nlcd.tif") as src:
        to = Transformer.from_crs(scene.rio.crs, src.crs, always_xy=True)
        lx, ly = to.transform(np.asarray(xs), np.asarray(ys))
        codes = src.read(1)
        r, c = rasterio.transform.rowcol(src.transform, lx, ly)
        r, c = np.asarray(r), np.asarray(c)
        inside = (r >= 0) & (r < src.height) & (c >= 0) & (c < src.width)
        expected = np.full(r.shape, 255)
        expected[inside] = codes[r[inside], c[inside]]
    got = target[rows.ravel(), cols.ravel()]
    want = np.where(expected == 255, -1, expected - 1)
    assert (got == want).mean() > 0.97       # pixel centres on a tie may round either way
    assert (target >= 0).all()                                      # NLCD is wall to wall
    halves = scene_halves(bands, zion / "nlcd.tif", legend, bands=["blue", "green", "red", "nir"])
    assert [h.group for h in halves] == ["north", "south"]
    assert halves[0].values.shape == (4, 714, 1128)


def _shifted(source, out, dx):
    import rasterio

    with rasterio.open(source) as src:
        profile, data = src.profile, src.read()
    t = profile["transform"]
    profile["transform"] = rasterio.Affine(t.a, t.b, t.c + dx, t.d, t.e, t.f)
    with rasterio.open(out, "w", **profile) as dst:
        dst.write(data)
    return out


def test_labels_beyond_their_grid_are_no_data_and_no_overlap_is_refused(shared_data, tmp_path):
    zion = shared_data / "real" / "zion-landsat-nlcd"
    east = _shifted(zion / "nlcd.tif", tmp_path / "east.tif", 17_000)
    _, target, _ = read_scene([zion / "landsat_b2.tif"], east, parse_legend(NLCD))
    assert (target[:, :400] == -1).all() and (target[:, 700:] >= 0).all()
    far = _shifted(zion / "nlcd.tif", tmp_path / "far.tif", 500_000)
    with pytest.raises(GridMismatchError, match="does not overlap the imagery"):
        read_scene([zion / "landsat_b2.tif"], far, parse_legend(NLCD))
