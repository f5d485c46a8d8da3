"""Post-processing chosen on validation ground, scored on held-out ground (issue 29, third pass).

    .venv/bin/python benchmarks/imagery_postprocess.py --only zion floods --json out.json

Runs the sets of ``benchmarks/imagery_heldout.py`` (same held-out ground, questions, truth,
reference masks and baselines) and scores, beside its figures ("before": the held-out model as
in ``benchmarks/README.md`` §14, its temperature fitted on the held-out ground), the same
trees with what ``geoquant train`` now fits on a validation split of the *training* ground
(:mod:`geoquant.segment._train_validation`: a quarter of the training groups, or the last
third of the rows of a single one; a second model is trained on the rest):

- ``temperature``: the softmax temperature only;
- ``smoothing``: + the label smoothing (soft majority radius, minimum mapping unit);
- ``offsets``: + the class score offsets (prior shift to the validation class areas);
- ``both``: offsets and smoothing (``geoquant train``'s default).

For each: pooled IoU per class, questions in range from the class map, answers asked of the
probabilities as ``ask --segmenter`` does (in range; stated range holds the truth), and how
often the ranges hold held-out class areas (256 px blocks) beside what the model claims
(measured out of fold on the validation ground).

The held-out and validation models are kept in ``imagery_heldout.MODELS`` and reused; the
held-out model is looked up by what it was trained with (features, radii, rounds, pixels,
held-out groups).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imagery_heldout as heldout  # noqa: E402

VARIANTS = {"temperature": ("temperature",), "smoothing": ("smoothing", "temperature"),
            "offsets": ("offsets", "temperature"),
            "both": ("offsets", "smoothing", "temperature")}
#: The smallest probability kept when raw scores are read back from probabilities.
TINY = 1e-30


def _matches(model: Any, options: dict) -> bool:
    features = model.features.to_json()
    report = model.report
    return (model.postprocess is None
            and features.get("kind", "windows") == options.get("features", heldout.FEATURES)
            and list(features.get("radii_px", ())) == list(options.get("radii_px", ()))
            and report.get("rounds") == options.get("rounds")
            and report.get("pixels") == options.get("pixels")
            and report.get("test_groups") == sorted(options.get("test_groups", ())))


def _cached(name: str, images: list, words: tuple[str, ...], **options: Any) -> Any:
    """The held-out model of ``imagery_heldout`` (trained without post-processing)."""
    from geoquant.segment._image_classifier import (
        load_image_classifier,
        train_image_classifier,
    )

    options.setdefault("features", heldout.FEATURES)
    paths = sorted(heldout.MODELS.glob(f"{name}-*.json"), key=lambda p: p.stat().st_mtime,
                   reverse=True)
    for path in paths:
        if "-validation-" in path.name:
            continue
        model = load_image_classifier(path)
        if _matches(model, options):
            return model
    heldout.MODELS.mkdir(exist_ok=True)
    return train_image_classifier(images, words, postprocess=False,
                                  checkpoint=heldout.MODELS / f"{name}-{_key(options)}.json",
                                  **options)


def _key(options: dict) -> str:
    kept = {k: v for k, v in options.items() if k != "say"}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()
                          ).hexdigest()[:10]


def _validation(name: str, images: list, words: tuple[str, ...], options: dict
                ) -> tuple[Any, list, float]:
    """The model trained on the fit part of the training ground, the validation images, and
    the seconds its training took (0 when kept from an earlier run)."""
    from geoquant.segment._image_classifier import (
        load_image_classifier,
        train_image_classifier,
    )
    from geoquant.segment._train_validation import validation_split

    test = set(options.get("test_groups", ()))
    fit, validation = validation_split([i for i in images if i.group not in test])
    kept = {k: v for k, v in options.items() if k not in ("test_groups", "say")}
    path = heldout.MODELS / f"{name}-validation-{_key(kept)}.json"
    if path.is_file():
        return load_image_classifier(path), validation, 0.0
    started = time.process_time()
    model = train_image_classifier(fit, words, postprocess=False, checkpoint=path, **kept)
    return model, validation, round(time.process_time() - started, 1)


def _scores_of(seg: Any, temperature: float) -> np.ndarray:
    """Raw scores up to a per-pixel constant (all a softmax sees) from probabilities."""
    prob = seg["probability"].values.astype(np.float64)
    return (temperature * np.log(np.maximum(prob, TINY))).astype(np.float32)


def _variant_scene(scene: dict, prob: np.ndarray) -> dict:
    from geoquant.segment._result import label_array

    truth = scene["truth"]
    pred = np.where(truth > 0, heldout._argmax(prob), 0).astype(np.uint8)
    seg = scene["seg"].copy(deep=True)
    seg["probability"].values[...] = prob
    classes = [str(c) for c in seg["probability"].coords["class"].values]
    seg["label"].values[...] = label_array(prob, classes, exclusive=True)
    return {**scene, "model": pred, "rules": None, "seg": seg}


def _variants(folds: list[dict], scenes: list[dict], words: tuple[str, ...], folder: Path,
              plan: list, say: Any) -> tuple[dict, dict]:
    from geoquant.segment._area_adjust import confusion_blocks
    from geoquant.segment._range_calibration import range_coverage
    from geoquant.segment._train_validation import fit_scores

    out: dict[str, Any] = {}
    fitted: list[tuple] = []
    for fold in folds:
        model, validation, seconds = _validation(fold["name"], fold["images"], words,
                                                 fold["options"])
        scores = [model.scores(model.features.compute(i.values)) for i in validation]
        targets = [i.target for i in validation]
        fits = {v: fit_scores(scores, targets, parts=parts) for v, parts in VARIANTS.items()}
        fitted.append((fold, fits, seconds))
        fold["blocks"] = confusion_blocks([heldout._argmax(s).astype(np.int64) - 1
                                           for s in scores], targets, len(words))
        if say:
            post, t, _ = fits[list(VARIANTS)[-1]]
            say(f"{fold['name']}: validation on {sorted({i.group for i in validation})}: "
                f"offsets {post.offsets}, smoothing {post.smoothing}, temperature {t} "
                f"({seconds} s CPU to train)")
    area = _area_adjusted(folds, scenes, len(words))
    if say:
        say(f"adjusted classify and count: {area}")
    for variant in VARIANTS:
        figures: dict[str, Any] = {"folds": {}}
        new_scenes, total, held, claims = [], {}, [], []
        for fold, fits, seconds in fitted:
            post, temperature, report = fits[variant]
            figures["folds"][fold["name"]] = {
                "offsets": list(post.offsets), "smoothing": post.smoothing.to_json(),
                "temperature": temperature, "validation_train_cpu_s": seconds,
                "claim": report["range"]["coverage"], "area_error": report.get("area_error"),
                "smoothing_error": {k: v for k, v in report.get("smoothing_error", {}).items()
                                    if k != "tried"}}
            claims.append(report["range"]["coverage"])
            old_t = fold["model"].temperature
            for scene in (s for s in scenes if s["id"] in fold["ids"]):
                raw = _scores_of(scene["seg"], old_t)
                prob = post.probabilities(raw, temperature)
                new = _variant_scene(scene, prob)
                new_scenes.append(new)
                heldout._accumulate(total, new["model"], scene["truth"], len(words))
                held.append(range_coverage([raw], [scene["truth"].astype(np.int16) - 1],
                                           temperature=temperature,
                                           probabilities=post.probabilities))
        figures["iou_model"] = heldout._pooled_iou(total["confusion"], words)
        units = sum(h["units"] for h in held)
        figures["held_out_range_coverage"] = round(
            sum(h["coverage"] * h["units"] for h in held if h["units"]) / max(units, 1), 4)
        figures["claimed_coverage"] = list(claims)
        heldout._run_set(f"{folder.name}-{variant}", new_scenes, words, folder, plan, figures)
        out[variant] = figures
        if say:
            n = figures["questions"]
            say(f"{variant}: in range {figures['in_range_model']}/{n}; asked "
                f"{figures['in_range_model_ask']}/{n}, range holds {figures['range_holds_truth']}"
                f"/{n}; area ranges hold {figures['held_out_range_coverage']} (claimed "
                f"{claims}); IoU {figures['iou_model']}")
    return out, area


def _area_adjusted(folds: list[dict], scenes: list[dict], n: int) -> dict[str, Any]:
    """Class areas of each held-out image (every class present in the truth or the class
    map) within 5 % of the truth: from the class map, and corrected by the confusions on
    the validation ground; how often the correction's bootstrap range holds the truth."""
    from geoquant.segment._area_adjust import adjusted_range

    units = raw_ok = adjusted_ok = covered = 0
    for fold in folds:
        for scene in (s for s in scenes if s["id"] in fold["ids"]):
            truth = scene["truth"].astype(np.int64)
            valid = truth > 0
            pred = heldout._argmax(scene["seg"]["probability"].values)[valid] - 1
            true = np.bincount(truth[valid] - 1, minlength=n) / valid.sum()
            mapped = np.bincount(pred[pred >= 0], minlength=n) / valid.sum()
            fixed = adjusted_range(mapped, fold["blocks"])
            for c in range(n):
                if true[c] == 0 and mapped[c] == 0:
                    continue
                units += 1
                tolerance = 0.05 * true[c] + 1e-12
                raw_ok += abs(mapped[c] - true[c]) <= tolerance
                adjusted_ok += abs(fixed["share"][c] - true[c]) <= tolerance
                covered += fixed["low"][c] - tolerance <= true[c] <= fixed["high"][c] + tolerance
    return {"class_areas": units, "within_5pct_class_map": int(raw_ok),
            "within_5pct_adjusted": int(adjusted_ok), "adjusted_range_holds": int(covered),
            "range_level": 0.8}


def run(name: str, folder: Path, *, say: Any, before: bool = True) -> dict:
    """``imagery_heldout``'s set ``name`` and its post-processed variants."""
    folds: list[dict] = []
    captured: dict[str, Any] = {}
    trained, run_set = heldout._trained, heldout._run_set

    def keep_model(fold: str, images: list, words: tuple[str, ...], **options: Any) -> Any:
        model = _cached(fold, images, words, **options)
        test = set(options.get("test_groups", ()))
        folds.append({"name": fold, "images": images, "options": options, "model": model,
                      "ids": {Path(i.name).stem for i in images if i.group in test}})
        return model

    def keep_set(set_name: str, scenes: list, words: tuple[str, ...], where: Path,
                 plan: list, figures: dict) -> None:
        if before:
            run_set(set_name, scenes, words, where, plan, figures)
        captured.update(scenes=scenes, words=words, plan=plan)

    heldout._trained, heldout._run_set = keep_model, keep_set
    try:
        figures = heldout.SETS[name](folder, say=say)
    finally:
        heldout._trained, heldout._run_set = trained, run_set
    if name == "zion":                 # one scene, named by imagery_heldout, not by its image
        folds[0]["ids"] = {s["id"] for s in captured["scenes"]}
    sub = folder / name
    sub.mkdir(exist_ok=True)
    figures["variants"], figures["area_adjusted"] = _variants(
        folds, captured["scenes"], captured["words"], sub, captured["plan"], say)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=tuple(heldout.SETS), nargs="+",
                        default=["zion", "floods", "dubai"])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-before", action="store_true",
                        help="skip scoring the held-out model as it is (imagery_heldout's "
                             "figures)")
    parser.add_argument("--variants", choices=tuple(VARIANTS), nargs="+",
                        default=list(VARIANTS), help="the variants scored (all by default)")
    args = parser.parse_args(argv)
    for variant in set(VARIANTS) - set(args.variants):
        del VARIANTS[variant]

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only:
            started = time.process_time()
            out[name] = run(name, Path(tmp), say=say, before=not args.no_before)
            out[name]["cpu_seconds"] = round(time.process_time() - started, 1)
            got = out[name]
            if not args.no_before:
                print(f"## {name}: {got['questions']} questions; reference "
                      f"{got['in_range_reference']}, before {got['in_range_model']} (asked "
                      f"{got['in_range_model_ask']}, range holds {got['range_holds_truth']}), "
                      f"baseline {got['in_range_rules']}")
                print(f"   before IoU {got['iou_model']}")
            for variant, v in got["variants"].items():
                print(f"   {variant}: in range {v['in_range_model']} (asked "
                      f"{v['in_range_model_ask']}, range holds {v['range_holds_truth']}); "
                      f"area ranges hold {v['held_out_range_coverage']} vs claimed "
                      f"{v['claimed_coverage']}; IoU {v['iou_model']}; by type {v['by_type']}")
            print(f"   adjusted classify and count: {got['area_adjusted']}")
            if args.json:
                args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
