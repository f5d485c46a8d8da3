"""A small SQuID-format question set built from the real rasters of ``../shared/data``.

SQuID (QVLM, CVPR 2026) pairs plain pictures with questions whose ground sample distance is in
the text ("(GSD: 0.5m)") and scores answers against acceptable ranges. This builder makes the
same layout from real geometry:

- ``slovenia-deepglobe.png``: the Slovenia land-cover reference (10 m) painted in DeepGlobe's
  colours (cultivated land -> agriculture, forest -> forest, grassland and shrubland ->
  rangeland, artificial surface -> urban, no data -> unknown black);
- ``lausanne-2006.png`` and ``lausanne-2012.png``: the Lausanne land-use maps (100 m) with
  their codes relabelled into a legend of seven classes (:data:`LAUSANNE_LEGEND`: the geometry is
  real, the class names are assigned for the test), as single-band class indices;

plain PNGs without georeferencing, and ``questions.jsonl`` / ``questions.parquet`` records
(``image``, ``question``, ``answer``, ``type``, ``tier``, ``gsd``, ``product`` and the
acceptable range) whose answers :mod:`geoquant.testing.reference` computes with scipy alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.testing.reference import Maps, reference_value

#: Slovenia's eo-learn codes -> DeepGlobe classes.
SLOVENIA_TO_DEEPGLOBE = {1: "agriculture", 2: "forest", 3: "rangeland", 4: "rangeland",
                         8: "urban"}
DEEPGLOBE_COLOURS = {"urban": (0, 255, 255), "agriculture": (255, 255, 0),
                     "rangeland": (255, 0, 255), "forest": (0, 255, 0), "water": (0, 0, 255),
                     "barren": (255, 255, 255)}
#: The relabelled Lausanne legend: index -> class word (0 no data).
LAUSANNE_LEGEND = {1: "building", 2: "road", 3: "water", 4: "bare", 5: "forest", 6: "cropland",
                   7: "grass"}
#: Lausanne land-use code -> index of :data:`LAUSANNE_LEGEND` (other codes: bare).
LAUSANNE_CODES = {12: 6, 25: 5, 2: 1, 3: 1, 24: 7, 29: 7, 23: 3, 20: 3, 15: 2, 21: 2}
SLOVENIA_GSD_M, LAUSANNE_GSD_M = 10.0, 100.0

#: The fixture's questions: (id, image, product, type, tier, question, expression, tolerance
#: as a fraction, or None for exact answers).
QUESTIONS: tuple[tuple[Any, ...], ...] = (
    ("sl-share-veg", "slovenia-deepglobe.png", "deepglobe", "percentage", 1,
     "What percentage of the image is covered by vegetation (forest, agricultural, or "
     "rangeland)? (GSD: 10m)",
     ("share", ("union", ("mask", "cropland"), ("mask", "forest"), ("mask", "grass"))), 0.02),
    ("sl-area-forest", "slovenia-deepglobe.png", "deepglobe", "area", 1,
     "What is the total forest area in hectares? (GSD: 10m)",
     ("area", ("mask", "forest"), "ha"), 0.0225),
    ("sl-count-urban", "slovenia-deepglobe.png", "deepglobe", "count", 2,
     "How many separate urban area regions are there? When counting, ignore patches smaller "
     "than 0.1 hectares. (GSD: 10m)",
     ("count", ("objects", ("mask", "built-up"), 1000, None)), None),
    ("sl-more-barren", "slovenia-deepglobe.png", "deepglobe", "comparison", 2,
     "Is there more agricultural land than rangeland in this image? (GSD: 10m)",
     ("compare", ("area", ("mask", "cropland"), "m2"), ">", ("area", ("mask", "grass"), "m2")),
     None),
    ("sl-veg-near-urban", "slovenia-deepglobe.png", "deepglobe", "proximity", 3,
     "What is the total vegetation area (in hectares) within 20m of urban land? (GSD: 10m)",
     ("area", ("near", ("union", ("mask", "cropland"), ("mask", "forest"),
                        ("mask", "grass")), ("mask", "built-up"), 20), "ha"), 0.0225),
    ("sl-forest-state", "slovenia-deepglobe.png", "deepglobe", "connectivity", 2,
     "Is the forest connected or fragmented? (GSD: 10m)",
     ("connectivity", ("mask", "forest")), None),
    ("la-share-water", "lausanne-2006.png", None, "percentage", 1,
     "What share of the image is water? (GSD: 100m)", ("share", ("mask", "water")), 0.02),
    ("la-largest-forest", "lausanne-2006.png", None, "size", 2,
     "How big is the biggest forest patch, in hectares? (GSD: 100m)",
     ("largest_object", ("mask", "forest"), "ha"), 0.0225),
    ("la-two-step", "lausanne-2006.png", None, "proximity", 3,
     "Find forest patches larger than 2 hectares, then calculate how much of their area (in "
     "hectares) falls within 200m of water bodies (GSD: 100m)",
     ("area", ("near", ("objects", ("mask", "forest"), 20000, None), ("mask", "water"), 200),
      "ha"), 0.0225),
    ("la-buildings-road", "lausanne-2006.png", None, "count", 3,
     "How many buildings are adjacent to a road? (GSD: 100m)",
     ("count", ("objects_adjacent", ("mask", "building"), ("mask", "road"))), None),
    ("la-any-forest-water", "lausanne-2006.png", None, "binary", 2,
     "Is there any forest area within 100m of water? (GSD: 100m)",
     ("compare", ("area", ("near", ("mask", "forest"), ("mask", "water"), 100), "m2"), ">",
      ("number", 0, "m2")), None),
    ("la-distance", "lausanne-2006.png", None, "distance", 2,
     "What is the minimum distance between buildings and water in metres? (GSD: 100m)",
     ("min_distance", ("mask", "building"), ("mask", "water"), "m"), 0.0),
)


def slovenia_deepglobe(data: Path) -> np.ndarray:
    """The Slovenia reference as a DeepGlobe RGB mask, ``(y, x, 3)`` uint8."""
    codes = np.load(Path(data) / "real" / "slovenia-s2" / "LULC.npy")[..., 0]
    image = np.zeros((*codes.shape, 3), dtype=np.uint8)
    for code, name in SLOVENIA_TO_DEEPGLOBE.items():
        image[codes == code] = DEEPGLOBE_COLOURS[name]
    return image


def lausanne_indices(data: Path, year: int) -> np.ndarray:
    """A Lausanne land-use map relabelled into :data:`LAUSANNE_LEGEND`, ``(y, x)`` uint8."""
    import rasterio

    with rasterio.open(Path(data) / "real" / "lausanne-landuse" / f"ls100_{year % 100:02d}.tif") \
            as src:
        codes = src.read(1)
    out = np.full(codes.shape, 4, dtype=np.uint8)          # other codes: bare
    for code, index in LAUSANNE_CODES.items():
        out[codes == code] = index
    out[codes == 255] = 0
    return out


def lausanne_product() -> Any:
    """The relabelled Lausanne legend as a product (a user's own legend)."""
    from geoquant.segment import LandCoverProduct

    return LandCoverProduct("lausanne-test", LAUSANNE_LEGEND, (0,), "test")


def _maps_of(image: str, data: Path) -> Maps:
    from geoquant.segment import Vocabulary

    if image.startswith("slovenia"):
        codes = np.load(Path(data) / "real" / "slovenia-s2" / "LULC.npy")[..., 0]
        legend_words = {1: "cropland", 2: "forest", 3: "grass", 4: "grass", 8: "built-up"}
        gsd = SLOVENIA_GSD_M
    else:
        codes = lausanne_indices(data, 2006 if "2006" in image else 2012)
        legend_words = LAUSANNE_LEGEND
        gsd = LAUSANNE_GSD_M
    vocabulary = Vocabulary(list(legend_words.values()))
    names = set(legend_words.values()) | {"vegetation", "built-up", "water"}
    legend = {name: [c for c, w in legend_words.items()
                     if vocabulary.canonical(w) in vocabulary.members(name)] for name in names}
    return Maps({None: codes}, legend, gsd)


def write_fixture(folder: Path, data: Path, *, parquet: bool = True) -> Path:
    """Write the images and ``questions.jsonl`` (and ``questions.parquet`` when pyarrow is
    there) into ``folder``; return the JSON-lines path."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(slovenia_deepglobe(data), mode="RGB").save(folder / "slovenia-deepglobe.png")
    for year in (2006, 2012):
        Image.fromarray(lausanne_indices(data, year), mode="L").save(
            folder / f"lausanne-{year}.png")
    records = []
    for qid, image, product, kind, tier, question, expression, tolerance in QUESTIONS:
        # "of the image" counts every pixel, no data included (as the planner reads it)
        denominator = "image" if "of the image" in question.lower() else "valid"
        value = reference_value(expression, _maps_of(image, data), denominator=denominator)
        record = {"id": qid, "image": image, "question": question, "type": kind, "tier": tier,
                  "gsd": SLOVENIA_GSD_M if image.startswith("slovenia") else LAUSANNE_GSD_M,
                  "product": product or {"0": "no data",
                                         **{str(k): v for k, v in LAUSANNE_LEGEND.items()}},
                  "acceptable_range_lower": None, "acceptable_range_upper": None}
        if isinstance(value, bool):
            record["answer"] = int(value)                   # SQuID stores yes/no as 1/0
        elif isinstance(value, str):
            record["answer"] = value
        elif tolerance is None:
            record["answer"] = int(value)
        else:
            width = max(abs(value) * tolerance, 1e-6)
            record.update(answer=round(float(value), 4),
                          acceptable_range_lower=round(float(value) - width, 4),
                          acceptable_range_upper=round(float(value) + width, 4))
        records.append(record)
    path = folder / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    if parquet:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            return path
        rows = []
        for record in records:
            row = dict(record, answer=str(record["answer"]),
                       product=json.dumps(record["product"]) if isinstance(record["product"], dict)
                       else record["product"])
            row["image"] = {"bytes": (folder / record["image"]).read_bytes(),
                            "path": record["image"]}
            rows.append(row)
        pq.write_table(pa.Table.from_pylist(rows), folder / "questions.parquet")
    return path
