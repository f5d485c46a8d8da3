"""Big inputs are bounded (issue 32 item 6): a decompression bomb is refused from its header
with the figure, before any pixel is decoded; rasters whose layers exceed what ask holds in
memory are read lazily, chunk by chunk, with the same answer."""

from __future__ import annotations

import struct
import time
import zlib

import numpy as np
import pytest

import geoquant as gq
from geoquant.errors import AssetError


def _png_bomb(path, width, height):
    """A real 1-bit PNG of zeros (a few hundred kB for gigapixels once decoded)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = (b"\x00" + b"\x00" * ((width + 7) // 8)) * 1000
    z = zlib.compressobj(1)
    parts = [z.compress(rows) for _ in range(height // 1000)]
    parts.append(z.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))
    return path


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_a_png_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = _png_bomb(tmp_path / "bomb.png", 40_000, 40_000)
    assert bomb.stat().st_size < 2_000_000                      # 1.5 GiB once decoded
    started = time.perf_counter()
    with pytest.raises(AssetError, match=r"40000 x 40000 pixels.*1\.5 GiB once decoded.*"
                                         r"gdal_translate -co TILED=YES"):
        gq.sources.open_raster(bomb, gsd_m=1.0)
    with pytest.raises(AssetError, match="cannot be read in parts"):
        gq.ask("What share of the area is code 1?", source=str(bomb), gsd=1.0,
               product="codes")
    assert time.perf_counter() - started < 20                   # was: 300 s and 5 GB
    assert gq.sources.decoded_size(bomb) == (40_000 ** 2, 40_000 ** 2)


def test_a_large_tiled_geotiff_opens_lazily(tmp_path):
    """Tiled rasters are read by block: a 3.6 Gpx one opens at once, and is not refused."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    path = tmp_path / "big.tif"
    with rasterio.open(path, "w", driver="GTiff", width=60_000, height=60_000, count=1,
                       dtype="uint8", crs="EPSG:32633", tiled=True, blockxsize=512,
                       blockysize=512, compress="deflate", sparse_ok=True,
                       transform=from_origin(400_000, 5_100_000, 1, 1)) as dst:
        dst.write(np.ones((512, 512), np.uint8), 1, window=Window(0, 0, 512, 512))
    assert gq.sources.decoded_size(path) == (60_000 ** 2, 512 * 512)
    started = time.perf_counter()
    arr = gq.sources.open_raster(path, chunks=4096)
    assert time.perf_counter() - started < 10
    assert arr.shape == (1, 60_000, 60_000) and arr.chunks[1][0] == 4096
    assert int(arr[0, :1024, :1024].sum()) == 512 * 512


def test_layers_beyond_the_memory_budget_are_read_lazily(shared_data, monkeypatch):
    from geoquant.reason.layers import _source

    lausanne = str(shared_data / "real" / "lausanne-landuse" / "ls100_06.tif")
    question = "How many patches of code 12 are there?"
    held = gq.ask(question, source=lausanne, product="codes", thresholds=None)
    monkeypatch.setattr(_source, "PERSIST_BYTES", 0)      # as if it were larger than memory
    lazy = gq.ask(question, source=lausanne, product="codes", thresholds=None)
    assert lazy.value == held.value
    assert "lazily in chunks" in lazy.provenance["read"]
