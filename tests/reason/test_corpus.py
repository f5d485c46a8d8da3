"""The phrasing corpus (``data/corpus.jsonl``): every phrasing plans to its family's expected
plan, each family's answer over real rasters equals an independent scipy computation, and the
LLM prompt's worked examples are each family's first phrasing."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import pytest

from geoquant.errors import InvalidOptionError
from geoquant.reason.llm._corpus import example_questions
from geoquant.reason.reading._planner import plan_question
from geoquant.testing.corpus import expression, read_phrasings

CORPUS = Path(__file__).with_name("data") / "corpus.jsonl"
FAMILIES = read_phrasings(CORPUS)
PHRASINGS = [(name, q) for name, (_, qs) in FAMILIES.items() for q in qs]
#: SQuID's question types and TerraScope-Bench's sub-tasks, each covered by these families.
COVERAGE = {
    "percentage": {"share_class", "share_union", "proximity_share", "largest_share"},
    "area": {"area_ha", "area_km2", "proximity_area", "chained", "two_step"},
    "count": {"count", "count_ignore_small", "count_near", "count_adjacent"},
    "object size": {"largest_ha", "mean_m2", "smallest_m2"},
    "comparison": {"compare_area", "compare_count", "compare_number"},
    "yes/no": {"exists_near", "connected_yes_no"},
    "connected/fragmented": {"connectivity"},
    "distance": {"distance"},
    "adjacency": {"count_adjacent"},
    "change": {"change_lost", "change_percent", "new_patches"},
}


def test_the_corpus_is_large_and_covers_every_question_type():
    assert len(PHRASINGS) >= 400
    per_family = Counter(name for name, _ in PHRASINGS)
    assert min(per_family.values()) >= 15, per_family
    assert len({q for _, q in PHRASINGS}) == len(PHRASINGS)        # no phrasing twice
    for kind, names in COVERAGE.items():
        assert names <= set(FAMILIES), kind


def test_the_llm_examples_are_the_first_phrasing_of_each_family():
    assert example_questions() == tuple(qs[0] for _, qs in FAMILIES.values())


def test_a_phrasing_set_line_that_disagrees_with_its_family_is_refused(tmp_path):
    path = tmp_path / "set.jsonl"
    lines = [{"family": "f", "question": "q1", "expected": ["share", ["mask", "forest"]]},
             {"family": "f", "question": "q2", "expected": ["share", ["mask", "water"]]}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    with pytest.raises(InvalidOptionError, match=r"set\.jsonl:2: family 'f' expects"):
        read_phrasings(path)
    path.write_text('{"family": "f", "question": "q1"}\n')
    with pytest.raises(InvalidOptionError, match=r"set\.jsonl:1: write one JSON object"):
        read_phrasings(path)


@pytest.mark.parametrize(("family", "question"), PHRASINGS)
def test_every_phrasing_plans_to_its_family(family, question):
    assert expression(plan_question(question)) == FAMILIES[family][0]


# --- answers against scipy on real rasters -----------------------------------------------------

@pytest.fixture(scope="module")
def lausanne(shared_data, tmp_path_factory):
    """The Lausanne maps relabelled (geoquant.testing.squid) as plain PNGs, and scipy's maps."""
    from PIL import Image

    from geoquant.testing.reference import Maps
    from geoquant.testing.squid import LAUSANNE_LEGEND, lausanne_indices

    folder = tmp_path_factory.mktemp("lausanne-png")
    codes = {}
    for year in (2006, 2012):
        codes[year] = lausanne_indices(shared_data, year)
        Image.fromarray(codes[year], mode="L").save(folder / f"{year}.png")
    legend = {w: [c] for c, w in LAUSANNE_LEGEND.items()}
    legend["built-up"] = legend["building"] + legend["road"]
    legend["vegetation"] = legend["forest"] + legend["cropland"] + legend["grass"]
    one = Maps({None: codes[2006]}, legend, 100.0)
    two = Maps({"before": codes[2006], "after": codes[2012]}, legend, 100.0)
    return folder, one, two


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_answers_as_scipy_does_on_real_rasters(family, lausanne):
    from geoquant.reason import ask
    from geoquant.testing.reference import reference_value
    from geoquant.testing.squid import LAUSANNE_LEGEND

    folder, one, two = lausanne
    expected, phrasings = FAMILIES[family]
    question = phrasings[0]
    change = family.startswith(("change", "new"))
    source = [str(folder / "2006.png"), str(folder / "2012.png")] if change \
        else str(folder / "2006.png")
    answer = ask(question, source=source, product={0: "no data", **LAUSANNE_LEGEND}, gsd=100.0,
                 thresholds=None)
    whole = any(s.op == "share" and s.args.get("denominator") == "image"
                for s in answer.plan.steps)            # "of the image": every pixel counts
    truth = reference_value(expected, two if change else one,
                            denominator="image" if whole else "valid")
    if isinstance(truth, (bool, str)):
        assert answer.value == truth
    elif isinstance(truth, int):
        assert answer.value == truth
    else:
        assert math.isclose(answer.value, truth, rel_tol=1e-9, abs_tol=1e-9), (answer.value,
                                                                               truth)
