"""Answers from imagery on ground the model never saw (issue 29): three real labelled sets.

    .venv/bin/python benchmarks/imagery_heldout.py                  # all three (~15 min here)
    .venv/bin/python benchmarks/imagery_heldout.py --only floods --json out.json

For each set the pixel classifier of ``geoquant train --legend`` is trained without the
held-out ground, its class map of that ground is compared with the reference (per-class IoU),
and SQuID-style questions whose truth comes from the reference masks (NumPy and scipy, with
``benchmarks/questions/build.py``'s question families) are answered by ``geoquant.reason``
three ways: from the reference masks, from the model's masks, and from the rules baseline.
Asked of the model's probabilities as ``ask --segmenter`` does, each answer's stated range is
checked against the truth, beside the share the model claims (its ``range`` calibration,
measured out of fold on the held-out ground).

- **Dubai aerial** (RGB JPEG, colour masks): trained on tiles 1-5, tested on tile 6 (nine
  images, GSD stated as 0.5 m). Baseline: ``spectral_rules`` (what ``ask`` uses on a JPEG).
- **Zion** (Landsat 8 blue, green, red, NIR; NLCD reprojected onto the Landsat grid): trained
  on the north half, tested on the south half. Baseline: ``spectral_rules``.
- **Sen1Floods11** (VV/VH dB chips): leave one event out over the five events with usable
  chips (the two all-no-data chips are skipped); water IoU pooled over all held-out chips.
  Baseline: Otsu on VV per chip (``SarWater``, what ``ask`` uses on radar).

Ranges: shares, areas, sizes and distances within 5 % of the truth (at least one pixel);
counts within 10 % (at least one object); yes/no exact. The model's masks are its argmax class
map, the same masks ``ask --segmenter model.pt`` measures (checked for one question per set).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "data" / "real"
GSD = 0.5
DUBAI_LEGEND = ("#3C1098=building,#8429F6=bare,#6EC1E4=road,#FEDD3A=vegetation,"
                "#E2A929=water,#9B9B9B=unlabeled,#000000=unlabeled")
NLCD_LEGEND = ("1=water,2=developed,3=barren,4=forest,5=shrubland,6=herbaceous,7=cultivated,"
               "8=wetlands")
FLOODS_LEGEND = "1=water,0=land,-1=nodata"
ZION_BANDS = ("blue", "green", "red", "nir")
#: Context radii of each set's Gaussian windows, pixels (``--context`` of its command).
#: ``--features windows`` (the square windows before issue 29's second pass) reads them as
#: square-window radii.
FEATURES = "scales"
DUBAI_RADII, ZION_RADII, FLOODS_RADII = (3, 6, 12, 24), (3, 6, 12), ()


def _build() -> Any:
    spec = importlib.util.spec_from_file_location(
        "question_build", ROOT / "benchmarks" / "questions" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["question_build"] = module
    spec.loader.exec_module(module)
    return module


# --- questions --------------------------------------------------------------------------------


def _record(q: Any, image: str, product: dict, n: int, site: str) -> dict:
    def num(x: float) -> float:
        return float(f"{float(x):.7g}")

    if isinstance(q.value, (bool, np.bool_)):
        answer, low, high = ("yes" if q.value else "no"), None, None
    elif q.quantum is None:      # counts: 10 %, at least one object
        answer = int(q.value)
        tol = max(1, int(np.floor(0.1 * answer)))
        low, high = max(0, answer - tol), answer + tol
    else:
        answer = num(q.value)
        tol = max(0.05 * abs(q.value), q.quantum)
        low, high = num(max(q.value - tol, 0.0)), num(q.value + tol)
    return {"question": q.question, "answer": answer, "acceptable_range_lower": low,
            "acceptable_range_upper": high, "unit": q.unit, "type": q.type, "tier": q.tier,
            "image": image, "product": product, "imagery": None, "datetime": None,
            "id": f"{site}-{q.type}-{n}"}


def questions(codes: np.ndarray, words: tuple[str, ...], dx: float, dy: float,
              plan: list[tuple]) -> list[Any]:
    """Questions of ``plan`` (method name, args) on a class map (0 no data, k = words[k-1]);
    a question whose threshold lies on a data value (build.py refuses it) is left out."""
    build = _build()
    g = build.Grid(codes > 0, dx, dy)

    def mask(word: str) -> np.ndarray:
        return codes == words.index(word) + 1

    ask = build.Ask(g, mask)
    out = []
    for name, *args in plan:
        if any(isinstance(a, str) and a in words and not mask(a).any() for a in args):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                q = getattr(ask, name)(*args)
        except (SystemExit, ValueError, ZeroDivisionError):
            continue
        if isinstance(q.value, float) and not np.isfinite(q.value):
            continue
        out.append(q)
    return out


def _write_codes(codes: np.ndarray, path: Path, like: Any | None) -> None:
    """A class map as a one-band raster (0 = no data): a GeoTIFF on ``like``'s grid, or a PNG."""
    import rasterio

    if like is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with rasterio.open(path, "w", driver="PNG", width=codes.shape[1],
                               height=codes.shape[0], count=1, dtype="uint8") as dst:
                dst.write(codes.astype(np.uint8), 1)
        return
    with rasterio.open(path, "w", driver="GTiff", width=codes.shape[1], height=codes.shape[0],
                       count=1, dtype="uint8", crs=like.rio.crs, transform=like.rio.transform(),
                       nodata=0) as dst:
        dst.write(codes.astype(np.uint8), 1)


def _score(records: list[dict], folder: Path, name: str) -> tuple[int, list]:
    from geoquant.reason import evaluate

    path = folder / f"{name}.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = evaluate(path, use="labels", images=folder)
    return sum(o.correct for o in report.outcomes), list(report.outcomes)


def _iou(pred: np.ndarray, truth: np.ndarray, words: tuple[str, ...]) -> dict[str, float]:
    valid = truth > 0
    out = {}
    for k, word in enumerate(words, start=1):
        a, b = (pred == k) & valid, (truth == k) & valid
        union = int((a | b).sum())
        out[word] = round(float((a & b).sum() / union), 4) if union else None
    return out


def _argmax(prob: np.ndarray) -> np.ndarray:
    finite = np.isfinite(prob).all(axis=0)
    return np.where(finite, np.argmax(np.nan_to_num(prob, nan=-1.0), axis=0) + 1, 0)


def _accumulate(total: dict, pred: np.ndarray, truth: np.ndarray, n: int) -> None:
    valid = truth > 0
    pairs = np.bincount(truth[valid].astype(np.int64) * (n + 1) + pred[valid],
                        minlength=(n + 1) ** 2)
    total["confusion"] = total.get("confusion", 0) + pairs.reshape(n + 1, n + 1)


def _pooled_iou(confusion: np.ndarray, words: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for k, word in enumerate(words, start=1):
        hit = confusion[k, k]
        union = confusion[k, :].sum() + confusion[:, k].sum() - hit
        out[word] = round(float(hit / union), 4) if union else None
    return out


# --- the three sets ---------------------------------------------------------------------------


def _rules_map(values: np.ndarray, bands: tuple[str, ...], words: tuple[str, ...],
               segmenter: Any) -> np.ndarray:
    """The rules segmenter's class map in the legend's codes (254: classes outside it), or
    None when the rules need bands the imagery lacks."""
    import rioxarray  # noqa: F401
    import xarray as xr

    import geoquant as gq
    from geoquant.errors import BandError

    cube = xr.DataArray(values, dims=("band", "y", "x"),
                        coords={"band": list(bands), "y": -np.arange(values.shape[1]) - 0.5,
                                "x": np.arange(values.shape[2]) + 0.5}
                        ).rio.write_crs("EPSG:32630")
    try:
        seg = gq.segment.apply(cube, segmenter).compute()
    except BandError:
        return None
    classes = [str(c) for c in seg["probability"].coords["class"].values]
    label = seg["label"].values
    out = np.full(label.shape, 254, np.uint8)
    for i, c in enumerate(classes, start=1):
        if c in words:
            out[label == i] = words.index(c) + 1
    return out


def _run_set(name: str, test_scenes: list[dict], words: tuple[str, ...], folder: Path,
             plan: list[tuple], figures: dict) -> None:
    """Score questions over held-out scenes: reference, model and rules maps side by side.

    Each scene: ``truth``, ``model``, ``rules`` class maps, ``dx``, ``dy``, ``like`` (grid or
    None), ``id``.
    """
    product = {str(k): w for k, w in enumerate(words, start=1)}
    records = {"reference": [], "model": [], "rules": []}
    count = 0
    for scene in test_scenes:
        qs = questions(scene["truth"], words, scene["dx"], scene["dy"], plan)
        suffix = ".png" if scene["like"] is None else ".tif"
        for source in records:
            if scene["truth" if source == "reference" else source] is None:
                continue
            file = f"{scene['id']}-{source}{suffix}"
            _write_codes(scene["truth" if source == "reference" else source], folder / file,
                         scene["like"])
            for n, q in enumerate(qs):
                rec = _record(q, file, product, count + n, name)
                if scene["like"] is None:
                    rec["question"] = f"{rec['question']} (GSD: {GSD}m)"
                records[source].append(rec)
        count += len(qs)
    figures["questions"] = count
    for source, recs in records.items():
        if source == "rules" and any(scene["rules"] is None for scene in test_scenes):
            figures["in_range_rules"] = 0      # the rules cannot segment these bands
            continue
        correct, outcomes = _score(recs, folder, f"{name}-{source}")
        figures[f"in_range_{source}"] = correct
        if source == "model":
            figures["by_type"] = {}
            for o in outcomes:
                got = figures["by_type"].setdefault(o.record.type, [0, 0])
                got[0] += int(o.correct)
                got[1] += 1
    _ask_model(name, test_scenes, folder, figures)


def _ask_model(name: str, scenes: list[dict], folder: Path, figures: dict) -> None:
    """The questions asked of the model's segmentation itself (probabilities, as ``ask
    --segmenter`` does): answers in range, and how often the stated range holds the truth."""
    from geoquant.reason import ask
    from geoquant.reason.evaluation._eval import is_correct, read_questions

    by_file = {f"{scene['id']}-model{'.png' if scene['like'] is None else '.tif'}": scene
               for scene in scenes}
    ok = covered = 0
    records = read_questions(folder / f"{name}-model.jsonl", images=folder)
    for record in records:
        seg = by_file[Path(record.image).name].get("seg")
        answer = ask(record.question, source=seg)
        ok += is_correct(answer.value, record)
        low, high = answer.range
        truth = record.answer
        if isinstance(truth, str):
            covered += (truth == "yes") in {bool(low), bool(high)}
        else:
            covered += float(low) <= float(truth) <= float(high)
    figures["in_range_model_ask"] = ok
    figures["range_holds_truth"] = covered


def _seg(values: np.ndarray, bands: Sequence[str], model: Any, pixel_m: float) -> Any:
    """The model's segmentation (probabilities and labels) of one image on a metric grid."""
    import rioxarray  # noqa: F401
    import xarray as xr

    import geoquant as gq

    cube = xr.DataArray(values, dims=("band", "y", "x"),
                        coords={"band": list(bands),
                                "y": -pixel_m * (np.arange(values.shape[1]) + 0.5),
                                "x": pixel_m * (np.arange(values.shape[2]) + 0.5)}
                        ).rio.write_crs("EPSG:32630")
    return gq.segment.apply(cube, model).compute()


MODELS = Path(tempfile.gettempdir()) / "geoquant-heldout-models"


def _trained(name: str, images: list, words: tuple[str, ...], **options: Any) -> Any:
    """The held-out model, trained once and kept in :data:`MODELS` for reruns (keyed by the
    options); ``train_seconds`` is that of the run that trained it."""
    from geoquant.segment._image_classifier import (
        load_image_classifier,
        train_image_classifier,
    )

    MODELS.mkdir(exist_ok=True)
    options.setdefault("features", FEATURES)       # the key must tell feature kinds apart
    key = json.dumps(options, sort_keys=True, default=str)
    path = MODELS / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:10]}.json"
    if path.is_file():
        return load_image_classifier(path)
    return train_image_classifier(images, words, checkpoint=path, **options)


def dubai(folder: Path, *, say: Any) -> dict:
    from geoquant.segment._rules import spectral_rules
    from geoquant.segment._train_files import parse_legend, read_pairs

    legend = parse_legend(DUBAI_LEGEND)
    images = read_pairs(REAL / "dubai-aerial", legend)
    model = _trained("dubai", images, legend.words, test_groups=["tile-6"],
                     radii_px=DUBAI_RADII, pixels=100_000, rounds=60, say=say)
    figures: dict[str, Any] = {"train_seconds": model.report["seconds"],
                               "held_out": model.report["held_out"],
                               "range": model.report.get("range")}
    words = legend.words
    scenes, total, rules_total = [], {}, {}
    rules = spectral_rules()
    for image in (i for i in images if i.group == "tile-6"):
        truth = np.where(image.target >= 0, image.target + 1, 0).astype(np.uint8)
        seg = _seg(image.values, image.bands, model, GSD)
        pred = _argmax(seg["probability"].values)
        pred = np.where(truth > 0, pred, 0).astype(np.uint8)   # unlabelled ground: no data
        base = _rules_map(image.values, image.bands, words, rules)
        if base is not None:
            base = np.where(truth > 0, base, 0).astype(np.uint8)
            _accumulate(rules_total, base, truth, len(words))
        _accumulate(total, pred, truth, len(words))
        scenes.append({"truth": truth, "model": pred, "rules": base,
                       "seg": seg,
                       "dx": GSD, "dy": GSD, "like": None,
                       "id": Path(image.name).stem})
    figures["iou_model"] = _pooled_iou(total["confusion"], words)
    figures["iou_rules"] = (_pooled_iou(rules_total["confusion"], words) if rules_total
                            else "the rules need NIR and SWIR bands: none on RGB")
    plan = [("share", "building"), ("share", "vegetation"), ("area", "road", "m2"),
            ("area", "water", "ha"), ("count", "building", 0.02), ("size", "building", "max",
                                                                     "m2"),
            ("multi", "building", 0.02, ("road", 50)), ("more", "vegetation", "water"),
            ("proximity", "building", "road", 20), ("distance", "vegetation", "water", "m")]
    _run_set("dubai", scenes, words, folder, plan, figures)
    return figures


def zion(folder: Path, *, say: Any) -> dict:
    from geoquant.segment._rules import spectral_rules
    from geoquant.segment._train_files import parse_legend, read_scene

    legend = parse_legend(NLCD_LEGEND)
    base = REAL / "zion-landsat-nlcd"
    files = [base / f"landsat_b{k}.tif" for k in (2, 3, 4, 5)]
    scene, target, names = read_scene(files, base / "nlcd.tif", legend, bands=ZION_BANDS)
    values = np.asarray(scene.values, np.float32)
    half = target.shape[0] // 2
    from geoquant.segment._train_files import TrainingImage

    images = [TrainingImage("zion:north", "north", values[:, :half], names, target[:half]),
              TrainingImage("zion:south", "south", values[:, half:], names, target[half:])]
    model = _trained("zion", images, legend.words, test_groups=["south"],
                     radii_px=ZION_RADII, pixels=100_000, rounds=80, say=say)
    figures: dict[str, Any] = {"train_seconds": model.report["seconds"],
                               "held_out": model.report["held_out"],
                               "range": model.report.get("range")}
    words = legend.words
    south = images[1]
    truth = np.where(south.target >= 0, south.target + 1, 0).astype(np.uint8)
    pred = np.where(truth > 0, _argmax(model.probabilities(model.features.compute(
        south.values))), 0).astype(np.uint8)
    # Landsat has no SWIR here: NDWI water and NDVI vegetation are all the rules can make.
    rules = _rules_map(south.values * 2.75e-5 - 0.2, names, words,
                       spectral_rules(index="ndwi", classes=["water", "vegetation"]))
    rules = None if rules is None else np.where(truth > 0, rules, 0).astype(np.uint8)
    figures["iou_model"] = _iou(pred, truth, words)
    figures["iou_rules"] = _iou(rules, truth, words) if rules is not None else None
    like = scene.isel(y=slice(half, None))
    dx, dy = (abs(float(r)) for r in scene.rio.resolution())
    plan = [("share", "forest"), ("share", "shrubland", True), ("area", "water", "ha"),
            ("area", "built-up", "km2"), ("count", "forest", 10), ("count", "water", 1),
            ("size", "forest", "max", "ha"), ("size", "built-up", "max", "ha"),
            ("more", "shrubland", "forest"), ("more", "herbaceous", "cultivated"),
            ("proximity", "built-up", "water", 500), ("distance", "cultivated", "water", "m"),
            ("multi", "built-up", 5, ("forest", 1000)), ("frag", "forest",
                                                          "largest_patch_index"),
            ("frag", "shrubland", "is_fragmented"), ("count", "bare", 50),
            ("share", "bare"), ("area", "wetland", "ha"), ("share", "herbaceous"),
            ("area", "cultivated", "km2")]
    _run_set("zion", [{"truth": truth, "model": pred, "rules": rules, "dx": dx, "dy": dy,
                       "like": like, "id": "zion-south",
                       "seg": _seg(south.values, names, model, dx)}], words, folder, plan,
             figures)
    return figures


def floods(folder: Path, *, say: Any) -> dict:
    import rioxarray  # noqa: F401
    import xarray as xr

    import geoquant as gq
    from geoquant.segment._train_files import parse_legend, read_pairs

    legend = parse_legend(FLOODS_LEGEND)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chips = read_pairs(REAL / "sen1floods11", legend)
    words = legend.words                         # ("water", "land")
    events = sorted({c.group for c in chips})
    total, otsu_total, seconds, scenes, ranges = {}, {}, [], [], {}
    per_event = {}
    for event in events:
        model = _trained(f"floods-{event}", chips, words, test_groups=[event],
                         radii_px=FLOODS_RADII, pixels=60_000, rounds=60)
        seconds.append(model.report["seconds"])
        ranges[event] = model.report.get("range")
        per_event[event] = model.report["held_out"]["iou"]
        for chip in (c for c in chips if c.group == event):
            truth = np.where(chip.target >= 0, chip.target + 1, 0).astype(np.uint8)
            prob = model.probabilities(model.features.compute(chip.values))
            pred = np.where(truth > 0, _argmax(prob), 0).astype(np.uint8)
            cube = xr.DataArray(chip.values, dims=("band", "y", "x"),
                                coords={"band": ["VV", "VH"],
                                        "y": -10 * np.arange(512) - 5.0,
                                        "x": 10 * np.arange(512) + 5.0}
                                ).rio.write_crs("EPSG:32630")
            sar = gq.segment.SarWater().fit(cube)
            seg = gq.segment.apply(cube, sar).compute()
            water = seg["label"].values == 1
            otsu = np.where(truth > 0, np.where(water, 1, 2), 0).astype(np.uint8)
            _accumulate(total, pred, truth, len(words))
            _accumulate(otsu_total, otsu, truth, len(words))
            scenes.append({"truth": truth, "model": pred, "rules": otsu, "dx": 10.0,
                           "dy": 10.0, "like": cube.isel(band=0), "id": Path(chip.name).stem,
                           "seg": gq.segment.apply(cube, model).compute()})
        if say:
            say(f"floods: held out {event}: water IoU {per_event[event]['water']}")
    figures: dict[str, Any] = {"train_seconds_per_fold": round(float(np.mean(seconds)), 1),
                               "events": per_event, "range": ranges}
    figures["iou_model"] = _pooled_iou(total["confusion"], words)
    figures["iou_rules"] = _pooled_iou(otsu_total["confusion"], words)
    plan = [("share", "water"), ("area", "water", "ha"), ("count", "water", 1),
            ("size", "water", "max", "ha"), ("frag", "water", "is_fragmented")]
    _run_set("floods", scenes, words, folder, plan, figures)
    return figures


SETS = {"dubai": dubai, "zion": zion, "floods": floods}


def main(argv: list[str] | None = None) -> int:
    global FEATURES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=tuple(SETS), nargs="+", default=list(SETS))
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--features", choices=("scales", "windows"), default="scales",
                        help="the classifier's features (windows: as before the scales)")
    args = parser.parse_args(argv)
    FEATURES = args.features
    if not REAL.exists():
        print(f"needs the shared data at {REAL}", file=sys.stderr)
        return 1

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only:
            figures[name] = SETS[name](Path(tmp), say=say)
            got = figures[name]
            n = got["questions"]
            print(f"## {name}")
            print(f"questions in range ({n}): reference masks {got['in_range_reference']}, "
                  f"model {got['in_range_model']} ({100 * got['in_range_model'] / n:.1f} %), "
                  f"rules {got['in_range_rules']}")
            print(f"IoU model: {got['iou_model']}")
            print(f"IoU rules: {got['iou_rules']}")
            print(f"asked of the model's probabilities: {got['in_range_model_ask']} in "
                  f"range; stated range holds the truth {got['range_holds_truth']}/{n}")
            print(f"by type (model): {got['by_type']}")
            print(f"range calibration: {got['range']}")
            if args.json:
                args.json.write_text(json.dumps(figures, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
