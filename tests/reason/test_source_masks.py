"""Class masks read as they are (issue 32 items 2 and 3): a paletted PNG's indices go through
its palette's colours to the product's codes; lossy (JPEG) class masks are refused."""

from __future__ import annotations

import numpy as np
import pytest

import geoquant as gq
from geoquant.errors import AssetError

pytestmark = pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
QUESTION = "What share of the area is forest?"


@pytest.fixture(scope="module")
def deepglobe(shared_data):
    """The Slovenia reference painted in DeepGlobe's colours (real geometry), and the
    share of forest among its classified pixels (black is DeepGlobe's unknown: no data)."""
    from geoquant.testing.squid import slovenia_deepglobe

    rgb = slovenia_deepglobe(shared_data)
    forest = (rgb == (0, 255, 0)).all(-1)
    known = ~(rgb == 0).all(-1)
    return rgb, 100.0 * forest.sum() / known.sum()


def test_a_paletted_png_is_read_through_its_palette(deepglobe, tmp_path):
    from PIL import Image

    rgb, truth = deepglobe
    paletted = tmp_path / "paletted.png"
    Image.fromarray(rgb, "RGB").convert("P", palette=Image.ADAPTIVE, colors=8).save(paletted)
    assert np.array_equal(np.asarray(Image.open(paletted).convert("RGB")), rgb)
    arr = gq.sources.open_raster(paletted, gsd_m=10.0)
    assert arr.sizes["band"] == 1 and arr.attrs["palette"][2] in ([0, 255, 0], [255, 255, 0],
                                                                  [0, 255, 255],
                                                                  [255, 0, 255], [0, 0, 0])
    answer = gq.ask(QUESTION, source=str(paletted), gsd=10.0, product="deepglobe")
    assert answer.value == pytest.approx(truth, rel=1e-9)      # was 1.53 %: indices as codes
    plain = tmp_path / "rgb.png"
    Image.fromarray(rgb, "RGB").save(plain)
    same = gq.ask(QUESTION, source=str(plain), gsd=10.0, product="deepglobe")
    assert same.value == answer.value


def test_a_paletted_mask_of_a_code_legend_keeps_its_indices(shared_data, tmp_path):
    """A legend of codes (no colours) reads a paletted mask's indices as the codes, as PIL
    and GDAL give them (VOC- and LoveDA-style masks)."""
    from PIL import Image

    from geoquant.testing.squid import lausanne_indices

    codes = lausanne_indices(shared_data, 2006)
    image = Image.fromarray(codes, mode="L").convert("P")
    image.putpalette([v for k in range(256) for v in (k, 255 - k, (7 * k) % 256)])
    path = tmp_path / "indices.png"
    image.save(path)
    answer = gq.ask("What share of the area is water?", source=str(path), gsd=100.0,
                    product={"0": "no data", "3": "water", "5": "forest"})
    assert answer.value == pytest.approx(100 * (codes == 3).sum() / (codes != 0).sum(),
                                         rel=1e-9)


def test_jpeg_class_masks_are_refused(deepglobe, shared_data, tmp_path):
    from PIL import Image

    rgb, _ = deepglobe
    jpeg = tmp_path / "mask.jpg"
    Image.fromarray(rgb, "RGB").save(jpeg, quality=90)
    with pytest.raises(AssetError, match="JPEG-compressed.*PNG or GeoTIFF"):
        gq.ask(QUESTION, source=str(jpeg), gsd=10.0, product="deepglobe")
    codes = np.load(shared_data / "real" / "slovenia-s2" / "LULC.npy")[..., 0].astype(np.uint8)
    grey = tmp_path / "codes.jpeg"
    Image.fromarray(codes, mode="L").save(grey, quality=95)
    with pytest.raises(AssetError, match="JPEG-compressed"):
        gq.ask(QUESTION, source=str(grey), gsd=10.0, product="slovenia-lulc")
    with pytest.raises(AssetError, match="JPEG-compressed"):
        gq.ask("What share of the area is code 2?", source=str(grey), gsd=10.0,
               product="codes")


def test_a_jpeg_compressed_geotiff_class_map_is_refused(shared_data, tmp_path):
    import rasterio

    from geoquant.cli import main

    src = shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"
    with rasterio.open(src) as f:
        profile, values = f.profile, f.read()
    profile.update(compress="jpeg", tiled=True, blockxsize=256, blockysize=256)
    path = tmp_path / "jpeg.tif"
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values)
    with pytest.raises(AssetError, match="JPEG-compressed"):
        gq.ask("What share of the area is code 12?", source=str(path), product="codes")
    assert main(["ask", "What share of the area is code 12?", "--source", str(path),
                 "--product", "codes", "--quiet"]) == 2


def test_codes_from_a_three_band_raster_are_refused(deepglobe, tmp_path):
    """Was: --product codes on an RGB picture silently read its red band as the codes."""
    from PIL import Image

    from geoquant.errors import InvalidOptionError

    rgb, _ = deepglobe
    path = tmp_path / "rgb.png"
    Image.fromarray(rgb, "RGB").save(path)
    with pytest.raises(InvalidOptionError, match="has 3 bands .*read from one band"):
        gq.ask("What share of the area is code 255?", source=str(path), gsd=10.0,
               product="codes")
    with pytest.raises(InvalidOptionError, match="--product deepglobe"):
        gq.ask(QUESTION, source=str(path), gsd=10.0,
               product={"1": "forest", "2": "water"})


def test_fractional_codes_are_refused(shared_data):
    """Was: the Camargue backscatter (dB) with --product codes answered 'code -14' as 0 %."""
    from geoquant.errors import InvalidOptionError
    from geoquant.testing.real import CAMARGUE_VV

    tif = shared_data / "real" / CAMARGUE_VV
    with pytest.raises(InvalidOptionError, match="fractional values .*--segmenter sar-water"):
        gq.ask("What share of the area is code 2?", source=str(tif), product="codes")
