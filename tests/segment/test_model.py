"""The ConvNeXt-UNet segmenter: shapes, receptive field, determinism, checkpoints, errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from geoquant.errors import (  # noqa: E402
    BandError,
    ClassNameError,
    InvalidOptionError,
    OutputPathError,
    WeightsError,
)
from geoquant.segment import UNetSegmenter, convnext_unet  # noqa: E402
from geoquant.segment._checkpoint import load_model  # noqa: E402
from geoquant.segment._convnext import (  # noqa: E402
    SIZES,
    STRIDE,
    build_network,
    receptive_radius,
)
from geoquant.segment._protocol import Segmenter, describe  # noqa: E402

S2 = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11",
      "B12"]
RGB = ["red", "green", "blue"]
SAR = ["VV", "VH"]
OPTICAL_SAR = [*S2, "vv", "vh"]
CLASSES = ["forest", "water", "built up"]


def _tile(bands: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((bands, height, width), dtype=np.float32)


@pytest.fixture(scope="module")
def model() -> UNetSegmenter:
    return convnext_unet(S2, CLASSES, mean=np.full(13, 0.2), std=np.full(13, 0.1))


@pytest.mark.parametrize("size", ["small", "base"])
@pytest.mark.parametrize("bands", [S2, RGB, SAR, OPTICAL_SAR], ids=["s2", "rgb", "sar", "s2+sar"])
def test_shapes_for_band_sets_and_sizes(bands, size):
    model = convnext_unet(bands, CLASSES, size=size)
    assert isinstance(model, Segmenter)
    assert model.classes == ("forest", "water", "built-up")
    assert model.name == f"ConvNeXt-UNet {size}" and model.stride == 32 and model.exclusive
    probs = model.predict(_tile(len(bands), 70, 45), bands)
    assert probs.shape == (3, 70, 45) and probs.dtype == np.float32
    assert np.all((probs >= 0) & (probs <= 1))
    np.testing.assert_allclose(probs.sum(0), 1.0, atol=1e-5)
    with torch.inference_mode():
        logits = model.network(torch.zeros(2, len(bands), 64, 96))
    assert logits.shape == (2, 3, 64, 96)


def test_forward_needs_multiples_of_32(model):
    with pytest.raises(InvalidOptionError, match="multiples of 32"):
        model.network(torch.zeros(1, 13, 64, 70))


def test_sizes_and_radii():
    assert set(SIZES) == {"small", "base"}
    assert SIZES["small"].dims == (32, 64, 128, 256) and SIZES["base"].depths == (2, 2, 6, 2)
    assert receptive_radius("small") == 394 and receptive_radius("base") == 670
    assert convnext_unet(RGB, CLASSES).halo == 394
    assert STRIDE == 32


def _measured_radius(size: str, axis: int) -> int:
    """Largest distance along ``axis`` from a perturbed input pixel to a changed logit,
    over the 32 phases of the perturbed pixel, on a strip longer than the receptive field."""
    network = build_network(1, 2, size=size, seed=1)
    with torch.no_grad():
        for name, param in network.named_parameters():
            if name.endswith("gamma"):
                param.fill_(1.0)  # make every path through the blocks non-negligible
    radius = receptive_radius(size)
    length = STRIDE * ((2 * radius + 160) // STRIDE)
    shape = (64, length) if axis == 1 else (length, 64)
    x = torch.randn((STRIDE, 1, *shape), generator=torch.Generator().manual_seed(0))
    bumped = x.clone()
    centre = length // 2
    for phase in range(STRIDE):
        index = (0, 32, centre + phase) if axis == 1 else (0, centre + phase, 32)
        bumped[(phase, *index)] += 100.0
    with torch.inference_mode():
        changed = (network(x) != network(bumped)).any(dim=1)
    worst = 0
    for phase in range(STRIDE):
        hit = changed[phase].any(dim=1 - axis).nonzero().flatten()
        assert len(hit), "the perturbation changed nothing"
        worst = max(worst, int((hit - (centre + phase)).abs().max()))
    return worst


@pytest.mark.parametrize("axis", [0, 1], ids=["y", "x"])
def test_receptive_radius_is_exact_small(axis):
    # Nothing changes farther than the radius, and something changes at exactly the radius.
    assert _measured_radius("small", axis) == receptive_radius("small")


@pytest.mark.slow
def test_receptive_radius_is_exact_base():
    assert _measured_radius("base", 1) == receptive_radius("base")


def test_predict_changes_nothing_beyond_the_halo(model):
    halo = model.halo
    tile = _tile(13, 64, 2 * halo + 130)
    bumped = tile.copy()
    x0 = 40
    bumped[:, 20, x0] += 5.0
    changed = np.any(model.predict(tile, S2) != model.predict(bumped, S2), axis=(0, 1))
    hit = np.nonzero(changed)[0]
    assert x0 in hit and hit.max() - x0 <= halo


def test_windows_with_the_halo_match_the_whole_tile():
    model = convnext_unet(["B04", "B08"], ["forest", "grass"], seed=3)
    halo = model.halo
    whole_tile = _tile(2, 928, 928, seed=4)
    whole = model.predict(whole_tile, ["B04", "B08"])
    core = slice(416, 448)
    start, stop = (core.start - halo) // 32 * 32, core.stop + halo
    window = model.predict(whole_tile[:, start:stop, start:stop], ["B04", "B08"])
    inner = slice(core.start - start, core.stop - start)
    np.testing.assert_allclose(window[:, inner, inner], whole[:, core, core], atol=2e-6)


def test_deterministic_and_seeded(model):
    tile = _tile(13, 96, 80) * 0.3
    first = model.predict(tile, S2)
    assert np.array_equal(first, model.predict(tile, S2))
    again = convnext_unet(S2, CLASSES, mean=np.full(13, 0.2), std=np.full(13, 0.1))
    assert again.version == model.version
    assert np.array_equal(first, again.predict(tile, S2))
    other = convnext_unet(S2, CLASSES, seed=1, mean=np.full(13, 0.2), std=np.full(13, 0.1))
    assert other.version != model.version
    assert not np.array_equal(first, other.predict(tile, S2))


def test_bands_are_found_by_name_in_any_order(model):
    tile = _tile(13, 40, 40)
    expected = model.predict(tile, S2)
    order = np.random.default_rng(1).permutation(13)
    names = ["blue" if S2[i] == "B02" else S2[i] for i in order]
    extra = np.concatenate([tile[order], _tile(2, 40, 40, seed=9)])
    got = model.predict(extra, [*names, "vv", "vh"])
    assert np.array_equal(got, expected)


def test_nan_inputs_give_nan_only_there(model):
    tile = np.concatenate([_tile(13, 64, 64), _tile(1, 64, 64, seed=2)])
    tile[3, 10, 12] = np.nan
    tile[8, 40:44, 50] = np.nan
    tile[13, 5, 5] = np.nan  # an extra band the model does not read
    probs = model.predict(tile, [*S2, "vv"])
    missing = np.zeros((64, 64), bool)
    missing[10, 12] = True
    missing[40:44, 50] = True
    assert np.array_equal(np.isnan(probs).any(0), missing)
    assert np.isnan(probs[:, missing]).all()


def test_precisions(model):
    tile = _tile(13, 64, 64) * 0.4
    full = model.predict(tile, S2)
    for precision in ("bf16", "fp16"):
        low = model.predict(tile, S2, precision=precision)
        assert low.dtype == np.float32
        np.testing.assert_allclose(low, full, atol=0.02)
    with pytest.raises(InvalidOptionError, match="fp32"):
        model.predict(tile, S2, precision="int8")


def test_save_load_is_bitwise(model, tmp_path):
    path = tmp_path / "model.pt"
    assert model.save(path) == path
    model.save(path)  # overwriting is atomic too
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt"]
    loaded = load_model(path)
    assert (loaded.version, loaded.bands, loaded.classes, loaded.halo, loaded.name) == \
        (model.version, model.bands, model.classes, model.halo, model.name)
    assert np.array_equal(loaded.mean, model.mean) and np.array_equal(loaded.std, model.std)
    tile = _tile(13, 100, 70)
    tile[0, 3, 3] = np.nan
    assert np.array_equal(loaded.predict(tile, S2), model.predict(tile, S2), equal_nan=True)
    info = describe(loaded)
    json.dumps(info)
    assert info["version"] == model.version and info["size"] == "small"


def test_pickles_and_tokenizes_by_weights(model):
    import pickle

    from dask.base import tokenize

    copy = pickle.loads(pickle.dumps(model))
    assert copy.version == model.version and copy.bands == model.bands
    tile = _tile(13, 50, 60)
    assert np.array_equal(copy.predict(tile, S2), model.predict(tile, S2))
    assert tokenize(copy) == tokenize(model)
    assert tokenize(convnext_unet(S2, CLASSES, seed=5)) != tokenize(model)


def test_save_needs_an_existing_folder(model, tmp_path):
    with pytest.raises(OutputPathError, match="does not exist"):
        model.save(tmp_path / "missing" / "model.pt")


def _checkpoint(tmp_path, name, **changes):
    small = convnext_unet(RGB, CLASSES)
    data = small.checkpoint()
    data.update(changes)
    path = tmp_path / name
    torch.save(data, path)
    return path


def test_mismatched_weights_raise(tmp_path):
    with pytest.raises(WeightsError, match=r"shapes differ: stem\.0\.weight"):
        load_model(_checkpoint(tmp_path, "bands.pt", bands=S2))
    with pytest.raises(WeightsError, match=r"classifier\.weight"):
        load_model(_checkpoint(tmp_path, "classes.pt", classes=["forest", "grass"]))
    with pytest.raises(WeightsError, match="missing keys"):
        load_model(_checkpoint(tmp_path, "size.pt", size="base"))
    with pytest.raises(WeightsError, match="network size 'huge'"):
        load_model(_checkpoint(tmp_path, "huge.pt", size="huge"))
    with pytest.raises(WeightsError, match="newer"):
        load_model(_checkpoint(tmp_path, "future.pt", format_version=99))


def test_unusable_files_raise(tmp_path, model):
    missing = tmp_path / "nope.pt"
    with pytest.raises(WeightsError, match="nope.pt does not exist"):
        load_model(missing)
    good = tmp_path / "good.pt"
    model.save(good)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(WeightsError, match="corrupt.pt.*corrupt or not a checkpoint"):
        load_model(corrupt)
    text = tmp_path / "notes.txt"
    text.write_text("not weights")
    with pytest.raises(WeightsError, match="notes.txt"):
        load_model(text)
    other = tmp_path / "other.pt"
    torch.save({"weight": torch.zeros(3)}, other)
    with pytest.raises(WeightsError, match="not a geoquant segmenter checkpoint"):
        load_model(other)
    code = tmp_path / "code.pt"
    torch.save({"format": "geoquant-segmenter", "payload": _Pickled()}, code)
    with pytest.raises(WeightsError, match="code.pt"):
        load_model(code)  # weights_only refuses to unpickle objects


class _Pickled:
    pass


def test_missing_band_raises(model):
    with pytest.raises(BandError, match="needs band"):
        model.predict(_tile(3, 32, 32), RGB)
    with pytest.raises(BandError, match="3 band"):
        model.predict(_tile(3, 32, 32), S2)
    with pytest.raises(InvalidOptionError, match="band, y, x"):
        model.predict(_tile(13, 32, 32)[0], S2)


def test_invalid_construction():
    with pytest.raises(InvalidOptionError, match="'small', 'base'"):
        convnext_unet(RGB, CLASSES, size="large")
    with pytest.raises(ClassNameError):
        convnext_unet(RGB, ["forest", "lava"])
    with pytest.raises(InvalidOptionError, match="more than once"):
        convnext_unet(["B03", "green"], CLASSES)
    with pytest.raises(InvalidOptionError, match="more than once"):
        convnext_unet(RGB, ["trees", "forest"])
    with pytest.raises(InvalidOptionError, match="one value per band"):
        convnext_unet(RGB, CLASSES, mean=[0.0, 0.0])
    with pytest.raises(InvalidOptionError, match="positive"):
        convnext_unet(RGB, CLASSES, std=[1.0, 0.0, 1.0])


def test_modules_do_not_import_torch():
    code = ("import sys\n"
            "import geoquant.segment._convnext as c, geoquant.segment._model, "
            "geoquant.segment._checkpoint, geoquant.segment._inference, "
            "geoquant.segment._transfers, geoquant.segment._train, "
            "geoquant.segment._train_data, geoquant.segment._augment, "
            "geoquant.segment._train_loop, geoquant.segment._train_eval\n"
            "c.receptive_radius('small'); c.SIZES['base']\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.gpu
def test_cupy_tiles_run_on_the_gpu(model):
    cupy = pytest.importorskip("cupy")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    tile = _tile(13, 100, 70) * 0.3
    tile[2, 4, 4] = np.nan
    on_gpu = model.predict(cupy.asarray(tile), S2)
    assert isinstance(on_gpu, cupy.ndarray) and on_gpu.dtype == np.float32
    assert np.array_equal(on_gpu, model.predict(cupy.asarray(tile), S2), equal_nan=True)
    np.testing.assert_allclose(cupy.asnumpy(on_gpu), model.predict(tile, S2), atol=1e-4)
    half = model.predict(cupy.asarray(tile), S2, precision="bf16")
    np.testing.assert_allclose(cupy.asnumpy(half), model.predict(tile, S2), atol=0.02)
    model.to("cpu")
