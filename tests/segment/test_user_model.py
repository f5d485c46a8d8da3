"""Bring your own model: torch modules, TorchScript and ONNX files, and STAC MLM items as
segmenters; stitched tiles equal the network run on the whole image."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from geoquant.errors import (  # noqa: E402
    AssetError,
    BandError,
    InvalidOptionError,
    MissingDependencyError,
    WeightsError,
)
from geoquant.segment import ModelSegmenter, apply  # noqa: E402
from geoquant.segment._mlm import from_mlm_item  # noqa: E402
from geoquant.segment._protocol import Segmenter, describe  # noqa: E402
from geoquant.segment._user_model import model_segmenter  # noqa: E402
from geoquant.testing.rasters import as_cube  # noqa: E402
from geoquant.testing.real import SLOVENIA_BANDS, SLOVENIA_GRID  # noqa: E402

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
BANDS = ("B04", "B03", "B02")
CLASSES = ("water", "trees", "built up", "vineyard")
MEAN = (0.28, 0.30, 0.31)
STD = (0.05, 0.04, 0.06)


class TwoConvs(torch.nn.Module):
    """Two 3 x 3 convolutions: a receptive-field radius of 2 pixels."""

    def __init__(self, bands: int = 3, classes: int = 4, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.first = torch.nn.Conv2d(bands, 8, 3, padding=1)
        self.second = torch.nn.Conv2d(8, classes, 3, padding=1)

    def forward(self, x):
        return self.second(torch.relu(self.first(x)))


class Strided(torch.nn.Module):
    """Downsampling by 2 and back: stride 2, receptive-field radius 4 pixels."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(1)
        self.down = torch.nn.Conv2d(3, 6, 3, stride=2, padding=1)
        self.mix = torch.nn.Conv2d(6, 4, 3, padding=1)

    def forward(self, x):
        y = self.mix(torch.relu(self.down(x)))
        return torch.nn.functional.interpolate(y, scale_factor=2, mode="nearest")


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """Slovenia Sentinel-2 scene 0, ``(band, y, x)``, with a gap across tile boundaries."""
    path = DATA / "real" / "slovenia-s2" / "REFERENCE_SCENES.npy"
    if not path.is_file():
        pytest.skip(f"real data not found at {path} (the shared data folder is absent)")
    values = np.moveaxis(np.load(path)[0], -1, 0).copy()
    values[3, 28:36, 10:70] = np.nan        # B04 missing on a strip crossing tiles
    return values


def _cube(values: np.ndarray, bands=SLOVENIA_BANDS, chunks: int = 40):
    return as_cube(values, bands, chunks=chunks, **SLOVENIA_GRID)


def _reference(network, values: np.ndarray, *, stride: int = 1) -> np.ndarray:
    """The network on the whole image, normalised and NaN-filled by hand."""
    x = values[[SLOVENIA_BANDS.index(b) for b in BANDS]].astype(np.float32)
    missing = np.isnan(x).any(0)
    x = (x - np.array(MEAN, np.float32)[:, None, None]) / np.array(STD, np.float32)[:, None,
                                                                                      None]
    x[:, missing] = 0
    h, w = x.shape[1:]
    x = np.pad(x, ((0, 0), (0, -h % stride), (0, -w % stride)))
    with torch.no_grad():
        logits = network(torch.from_numpy(x[None]))[0, :, :h, :w]
    probs = torch.softmax(logits, dim=0).numpy()
    probs[:, missing] = np.nan
    return probs


def _assert_close(got: np.ndarray, want: np.ndarray, atol: float) -> None:
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    np.testing.assert_allclose(np.nan_to_num(got), np.nan_to_num(want), atol=atol, rtol=0)


@pytest.fixture(scope="module")
def network():
    return TwoConvs().eval()


@pytest.fixture(scope="module")
def segmenter(network) -> ModelSegmenter:
    return model_segmenter(network, bands=BANDS, classes=CLASSES, mean=MEAN, std=STD, halo=2,
                           name="two convs")


@pytest.fixture(scope="module")
def files(network, tmp_path_factory):
    """The network as an ONNX file and a TorchScript file."""
    folder = tmp_path_factory.mktemp("models")
    onnx = folder / "two-convs.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(network, torch.zeros(1, 3, 16, 16), str(onnx), dynamo=False,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch", 2: "height", 3: "width"},
                                        "logits": {0: "batch", 2: "height", 3: "width"}})
    script = folder / "two-convs.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # TorchScript, in torch >= 2.10
        torch.jit.script(network).save(str(script))
    return {"onnx": onnx, "torchscript": script}


def _mlm_item(href: str, *, artifact: str | None = "onnx", scaling=None, **changes) -> dict:
    """An MLM item for the test network (bands as strings and objects, S2 short names)."""
    scaling = scaling if scaling is not None else [
        {"type": "z-score", "mean": m, "stddev": s} for m, s in zip(MEAN, STD, strict=True)]
    asset = {"href": href, "type": "application/octet-stream", "title": "model",
             "roles": ["mlm:model", "data"]}
    if artifact is not None:
        asset["mlm:artifact_type"] = artifact
    item = {
        "type": "Feature", "stac_version": "1.0.0", "id": "two-convs",
        "stac_extensions": ["https://stac-extensions.github.io/mlm/v1.4.0/schema.json"],
        "geometry": None, "links": [],
        "properties": {
            "datetime": "2024-01-01T00:00:00Z", "mlm:name": "two convs (MLM)",
            "mlm:framework": "PyTorch", "mlm:architecture": "TwoConvs",
            "mlm:tasks": ["semantic-segmentation"], "geoquant:halo": 2,
            "mlm:input": [{
                "name": "image", "bands": ["B4", {"name": "B03"}, "B02"],
                "input": {"shape": [-1, 3, -1, -1],
                          "dim_order": ["batch", "channel", "height", "width"],
                          "data_type": "float32"},
                "value_scaling": scaling, "pre_processing_function": None}],
            "mlm:output": [{
                "name": "logits", "tasks": ["semantic-segmentation"],
                "result": {"shape": [-1, 4, -1, -1],
                           "dim_order": ["batch", "classes", "height", "width"],
                           "data_type": "float32"},
                "classification:classes": [
                    {"value": 1, "name": "trees"}, {"value": 0, "name": "water"},
                    {"value": 2, "name": "built_up"}, {"value": 3, "name": "Vineyard"}],
                "post_processing_function": None}]},
        "assets": {"model": asset}}
    for key, value in changes.items():
        if value is None:
            item["properties"].pop(key, None)
        else:
            item["properties"][key] = value
    return item


def _write(folder: Path, item: dict) -> Path:
    path = folder / "item.json"
    path.write_text(json.dumps(item))
    return path


# --- the contract and stitching --------------------------------------------------------------


def test_a_torch_module_is_a_segmenter(segmenter, network, scene):
    assert isinstance(segmenter, Segmenter)
    assert segmenter.bands == ("red", "green", "blue")
    assert segmenter.classes == ("water", "forest", "built-up", "vineyard")
    assert (segmenter.halo, segmenter.stride, segmenter.exclusive) == (2, 1, True)
    info = describe(segmenter)
    assert info["framework"] == "torch" and info["mean"] == list(MEAN)
    json.dumps(info)
    probs = segmenter.predict(scene, SLOVENIA_BANDS)
    assert probs.shape == (4, *scene.shape[1:]) and probs.dtype == np.float32
    _assert_close(probs, _reference(network, scene), atol=1e-6)
    np.testing.assert_allclose(np.nansum(probs, 0)[~np.isnan(probs[0])], 1.0, atol=1e-5)


def test_stitched_tiles_equal_the_module_on_the_whole_image(segmenter, network, scene):
    out = apply(_cube(scene), segmenter, tile=32, overlap=4)
    assert len(out.probability.chunks[1]) > 2 and len(out.probability.chunks[2]) > 2
    got = out.probability.values
    _assert_close(got, _reference(network, scene), atol=1e-5)
    assert json.loads(out.attrs["segmenter"])["name"] == "two convs"
    label = out.label.values
    assert (label[np.isnan(got[0])] == 255).all() and (label[~np.isnan(got[0])] >= 1).all()


def test_a_strided_network_is_padded_and_stitched(scene):
    network = Strided().eval()
    seg = model_segmenter(network, bands=BANDS, classes=CLASSES, mean=MEAN, std=STD, halo=4,
                          stride=2)
    odd = seg.predict(scene[:, :33, :31], SLOVENIA_BANDS)
    assert odd.shape == (4, 33, 31)
    got = apply(_cube(scene), seg, tile=30, overlap=6).probability.values
    _assert_close(got, _reference(network, scene, stride=2), atol=1e-5)


@pytest.mark.parametrize("kind", ["onnx", "torchscript"])
def test_model_files_give_the_modules_output(kind, files, segmenter, network, scene):
    seg = model_segmenter(files[kind], bands=BANDS, classes=CLASSES, mean=MEAN, std=STD,
                          halo=2)
    assert seg.runner.framework == kind and seg.name == "two-convs"
    got = apply(_cube(scene), seg, tile=32, overlap=4).probability.values
    _assert_close(got, _reference(network, scene), atol=1e-4)
    copy = pickle.loads(pickle.dumps(seg))      # as Dask sends it to workers
    assert copy.version == seg.version
    _assert_close(copy.predict(scene, SLOVENIA_BANDS), seg.predict(scene, SLOVENIA_BANDS),
                  atol=0)


@pytest.mark.parametrize(("kind", "artifact"), [("onnx", "onnx"),
                                                ("torchscript", "torch.jit.script")])
def test_an_mlm_item_gives_the_modules_output(kind, artifact, files, network, scene, tmp_path):
    target = tmp_path / files[kind].name
    target.write_bytes(files[kind].read_bytes())
    path = _write(tmp_path, _mlm_item(target.name, artifact=artifact))   # a relative href
    seg = from_mlm_item(path)
    assert seg.name == "two convs (MLM)" and seg.halo == 2
    assert seg.bands == ("red", "green", "blue")
    assert seg.classes == ("water", "forest", "built-up", "vineyard")   # ordered by value
    np.testing.assert_allclose(seg.mean, MEAN) and np.testing.assert_allclose(seg.std, STD)
    got = apply(_cube(scene), seg, tile=32, overlap=4).probability.values
    _assert_close(got, _reference(network, scene), atol=1e-4)


def test_mlm_items_as_dicts_urls_and_pystac_items(files, tmp_path, scene):
    pystac = pytest.importorskip("pystac")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.onnx").write_bytes(files["onnx"].read_bytes())
    item = _mlm_item("models/m.onnx")
    path = _write(tmp_path, item)
    via_path = from_mlm_item(path)
    via_url = from_mlm_item(path.as_uri())
    via_pystac = from_mlm_item(pystac.Item.from_file(str(path)))
    item["links"] = [{"rel": "self", "href": str(path)}]
    via_dict = from_mlm_item(item)
    want = via_path.predict(scene, SLOVENIA_BANDS)
    for seg in (via_url, via_pystac, via_dict):
        assert seg.version == via_path.version
        _assert_close(seg.predict(scene, SLOVENIA_BANDS), want, atol=0)


def test_mlm_scalings_min_max_scale_offset_and_null(files, tmp_path):
    (tmp_path / "m.onnx").write_bytes(files["onnx"].read_bytes())
    scaling = [{"type": "min-max", "minimum": 0.1, "maximum": 0.5},
               {"type": "scale", "value": 0.25}, {"type": "offset", "value": 0.2}]
    seg = from_mlm_item(_write(tmp_path, _mlm_item("m.onnx", scaling=scaling)))
    np.testing.assert_allclose(seg.mean, (0.1, 0.0, 0.2))
    np.testing.assert_allclose(seg.std, (0.4, 0.25, 1.0))
    one = from_mlm_item(_write(tmp_path, _mlm_item("m.onnx", scaling=[
        {"type": "scale", "value": 10000}])))
    assert one.std == (10000.0,) * 3
    none = from_mlm_item(_write(tmp_path, _mlm_item("m.onnx", scaling=[None, {"type": None},
                                                                       None])))
    assert none.mean == (0.0,) * 3 and none.std == (1.0,) * 3


def test_output_kinds_set_exclusivity_and_activation(network, scene):
    tile = scene[:, :20, :20]
    logits = model_segmenter(network, bands=BANDS, classes=CLASSES, mean=MEAN, std=STD)
    sigmoid = model_segmenter(network, bands=BANDS, classes=CLASSES, mean=MEAN, std=STD,
                              output="sigmoid")
    assert logits.exclusive and not sigmoid.exclusive
    assert logits.version != sigmoid.version
    x = (tile[[3, 2, 1]] - np.array(MEAN, np.float32)[:, None, None]) \
        / np.array(STD, np.float32)[:, None, None]
    with torch.no_grad():
        raw = network(torch.from_numpy(x[None].astype(np.float32)))[0]
    np.testing.assert_allclose(sigmoid.predict(tile, SLOVENIA_BANDS), torch.sigmoid(raw),
                               atol=1e-6)
    softmaxed = torch.nn.Sequential(network, torch.nn.Softmax(dim=1))
    probabilities = model_segmenter(softmaxed, bands=BANDS, classes=CLASSES, mean=MEAN,
                                    std=STD, output="probabilities")
    np.testing.assert_allclose(probabilities.predict(tile, SLOVENIA_BANDS),
                               logits.predict(tile, SLOVENIA_BANDS), atol=1e-6)


def test_the_version_changes_with_the_weights(segmenter):
    other = model_segmenter(TwoConvs(seed=1), bands=BANDS, classes=CLASSES, mean=MEAN, std=STD,
                            halo=2)
    same = model_segmenter(TwoConvs(seed=0), bands=BANDS, classes=CLASSES, mean=MEAN, std=STD,
                           halo=2, name="two convs")
    assert other.version != segmenter.version and same.version == segmenter.version
    from dask.base import tokenize

    assert tokenize(same) == tokenize(segmenter) != tokenize(other)


@pytest.mark.gpu
def test_cupy_tiles_are_segmented_on_their_gpu(files, scene):
    cupy = pytest.importorskip("cupy")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA device")
    tile = scene[:, :40, :40]
    for model in (TwoConvs(), files["onnx"], files["torchscript"]):
        seg = model_segmenter(model, bands=BANDS, classes=CLASSES, mean=MEAN, std=STD, halo=2)
        want = seg.predict(tile, SLOVENIA_BANDS)
        got = seg.predict(cupy.asarray(tile), SLOVENIA_BANDS)
        assert isinstance(got, cupy.ndarray)
        _assert_close(got.get(), want, atol=1e-5)


# --- bad input -------------------------------------------------------------------------------


def test_bands_the_cube_lacks(segmenter, scene):
    cube = _cube(scene[[1, 2]], bands=["B02", "B03"])
    with pytest.raises(BandError, match=r"two convs needs band\(s\) red \(Sentinel-2 B04\), "
                                        r"which the cube lacks; it has blue, green"):
        apply(cube, segmenter, tile=32)
    with pytest.raises(BandError, match=r"model 'two convs' needs .*it has B02, B03"):
        segmenter.predict(scene[[1, 2]], ["B02", "B03"])


def test_classes_that_do_not_match_the_output_channels(network):
    with pytest.raises(WeightsError, match=r"gives 4 output channel\(s\), but 3 class\(es\)"):
        model_segmenter(network, bands=BANDS, classes=CLASSES[:3])


def test_bands_that_do_not_match_the_input_channels(network):
    with pytest.raises(WeightsError, match=r"probe tile.*one band per input channel"):
        model_segmenter(network, bands=BANDS[:2], classes=CLASSES)


def test_a_scene_classifier_is_refused():
    classifier = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.AdaptiveAvgPool2d(1),
                                     torch.nn.Flatten())
    with pytest.raises(WeightsError, match=r"\(1, class, y, x\)"):
        model_segmenter(classifier, bands=BANDS, classes=CLASSES)


@pytest.mark.parametrize(("options", "match"), [
    ({"output": "softmax"}, "unknown output"), ({"halo": -1}, "halo"),
    ({"stride": 0}, "stride"), ({"std": (1.0, 0.0, 1.0)}, "std must be finite and positive"),
    ({"mean": (0.1, 0.2)}, "one value per band"), ({"classes": ["forest", "trees"] * 2},
                                                   "more than once"),
    ({"bands": ["B04", "red", "B02"]}, "more than once")])
def test_bad_options(network, options, match):
    kwargs = {"bands": BANDS, "classes": CLASSES, **options}
    with pytest.raises(InvalidOptionError, match=match):
        model_segmenter(network, **kwargs)


def test_unreadable_model_files(tmp_path):
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(WeightsError, match="cannot read .*broken.onnx as an ONNX model"):
        model_segmenter(broken, bands=BANDS, classes=CLASSES)
    pickled = tmp_path / "pickled.pt"
    torch.save(TwoConvs(), pickled)
    with pytest.raises(WeightsError, match="as a TorchScript model.*torch.save"):
        model_segmenter(pickled, bands=BANDS, classes=CLASSES)
    with pytest.raises(WeightsError, match="does not exist"):
        model_segmenter(tmp_path / "missing.onnx", bands=BANDS, classes=CLASSES)


def test_onnx_without_onnxruntime_names_the_extra(files, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "geoquant\[imagery\]"'):
        model_segmenter(files["onnx"], bands=BANDS, classes=CLASSES)


@pytest.mark.parametrize(("change", "error", "match"), [
    (lambda i: i["properties"].pop("mlm:input"), WeightsError, "has no mlm:input"),
    (lambda i: i["properties"].pop("mlm:output"), WeightsError, "has no mlm:output"),
    (lambda i: i["assets"]["model"].update(roles=["data"]), AssetError,
     "no asset with role 'mlm:model'"),
    (lambda i: i["assets"]["model"].update({"mlm:artifact_type": "torch.export"}),
     WeightsError, "artifact_type 'torch.export'.*ONNX or TorchScript"),
    (lambda i: i["assets"]["model"].update({"mlm:artifact_type": "torch.save"}),
     WeightsError, "pickled torch.save model.*arbitrary code"),
    (lambda i: i["properties"]["mlm:input"][0].update(value_scaling=[
        {"type": "clip", "minimum": 0, "maximum": 1}]), WeightsError,
     "value_scaling type 'clip' is not supported; geoquant applies z-score, min-max"),
    (lambda i: i["properties"]["mlm:input"][0].update(value_scaling=[
        {"type": "z-score", "mean": 0.1}]), WeightsError, "lacks or has a malformed 'stddev'"),
    (lambda i: i["properties"]["mlm:output"][0].pop("classification:classes"),
     WeightsError, "no classification:classes"),
    (lambda i: i["properties"]["mlm:output"][0]["classification:classes"].pop(),
     WeightsError, "gives 4 output channels but 3 classification:classes"),
    (lambda i: i["properties"]["mlm:input"][0]["input"].update(
        dim_order=["batch", "height", "width", "channel"]), WeightsError, "dim_order"),
    (lambda i: i["properties"].update({"mlm:tasks": ["object-detection"]}) or
     i["properties"]["mlm:output"][0].update(tasks=["object-detection"]), WeightsError,
     "object-detection"),
    (lambda i: i["assets"]["model"].update(href="elsewhere.onnx"), AssetError,
     "cannot read the model file.*elsewhere.onnx"),
], ids=["no-input", "no-output", "no-model-asset", "torch-export", "torch-save", "clip",
        "malformed-z-score", "no-classes", "class-count", "dim-order", "detection",
        "missing-file"])
def test_bad_mlm_items(change, error, match, files, tmp_path):
    (tmp_path / "m.onnx").write_bytes(files["onnx"].read_bytes())
    item = _mlm_item("m.onnx")
    change(item)
    with pytest.raises(error, match=match):
        from_mlm_item(_write(tmp_path, item))


def test_an_mlm_item_without_a_halo_warns(files, tmp_path):
    (tmp_path / "m.onnx").write_bytes(files["onnx"].read_bytes())
    path = _write(tmp_path, _mlm_item("m.onnx", **{"geoquant:halo": None}))
    with pytest.warns(UserWarning, match="no geoquant:halo"):
        assert from_mlm_item(path).halo == 0
    assert from_mlm_item(path, halo=2).halo == 2


def test_importing_geoquant_loads_no_torch_or_onnxruntime():
    code = ("import sys, geoquant, geoquant.segment, geoquant.segment._user_model\n"
            "print([m for m in ('torch', 'onnxruntime', 'onnx') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
