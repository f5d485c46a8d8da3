"""Legends exactly as given (issues 27 and 28): a code the legend names is a class, code 0
included; no data is only what the file's nodata tag or the legend declares."""

from __future__ import annotations

import numpy as np
import pytest

import geoquant as gq
from geoquant.errors import InvalidOptionError

LEGEND = '{"0":"grass","1":"building","2":"water","3":"road"}'
QUESTION = "What percentage of the image is water?"
#: Of the pixels with data ("of the image" counts every pixel, no data included).
OF_VALID = "What percentage of the area is water?"


@pytest.fixture(scope="module")
def codes(shared_data):
    """Real codes: the Slovenia land-cover reference renumbered 0..3 (forest -> 0, grassland
    -> 1, its no-data border -> 2, the rest -> 3), so code 0 covers three quarters."""
    lulc = np.load(shared_data / "real" / "slovenia-s2" / "LULC.npy")[..., 0]
    table = np.zeros(lulc.max() + 1, np.uint8)
    table[[2, 3, 0, 1, 4, 8]] = [0, 1, 2, 3, 3, 3]
    return table[lulc]


def test_code_zero_of_a_png_legend_counts_in_the_image(codes, tmp_path):
    from PIL import Image

    path = tmp_path / "mask.png"
    Image.fromarray(codes).save(path)
    answer = gq.ask(QUESTION, source=str(path), gsd=10.0, product=LEGEND)
    truth = 100.0 * (codes == 2).mean()
    assert truth == pytest.approx(1.5347, abs=1e-3)     # was 6.20 %: code 0 left out
    assert answer.value == pytest.approx(truth, rel=1e-9)


def _geotiff(path, codes, nodata=None):
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0],
                       count=1, dtype="uint8", crs="EPSG:32633", nodata=nodata,
                       transform=from_origin(465181.05, 5080254.63, 10, 10)) as dst:
        dst.write(codes, 1)
    return str(path)


def test_geotiff_legend_code_zero_counts_and_its_nodata_tag_is_honoured(codes, tmp_path):
    plain = _geotiff(tmp_path / "plain.tif", codes)
    answer = gq.ask(QUESTION, source=plain, product=LEGEND)
    assert answer.value == pytest.approx(100.0 * (codes == 2).mean(), rel=1e-9)
    # The file declares code 3 no data: only that leaves the denominator.
    tagged = _geotiff(tmp_path / "tagged.tif", codes, nodata=3)
    answer = gq.ask(OF_VALID, source=tagged, product=LEGEND)
    assert answer.value == pytest.approx(100.0 * (codes == 2).sum() / (codes != 3).sum(),
                                         rel=1e-9)


def test_a_legend_declares_no_data_by_its_word(codes, tmp_path):
    plain = _geotiff(tmp_path / "plain.tif", codes)
    legend = '{"0":"grass","1":"building","2":"water","3":"no data"}'
    answer = gq.ask(OF_VALID, source=plain, product=legend)
    assert answer.value == pytest.approx(100.0 * (codes == 2).sum() / (codes != 3).sum(),
                                         rel=1e-9)


def test_a_legend_without_classes_is_refused(codes, tmp_path):
    plain = _geotiff(tmp_path / "plain.tif", codes)
    for legend in ("{}", '{"0": "no data"}'):
        with pytest.raises(InvalidOptionError, match="names no class"):
            gq.ask(QUESTION, source=plain, product=legend)
