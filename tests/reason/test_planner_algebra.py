"""The planner reads the question algebra (issue 27): complements and exclusions, object
quantifiers, leaving out the largest objects, distance statistics, fronted and bracketed
filters, several sentences with references, units, legend words as written, and refuses what
it cannot read by name."""

from __future__ import annotations

import pytest

from geoquant.errors import QuestionError
from geoquant.reason import plan_question
from geoquant.segment import Vocabulary

NLCD = Vocabulary(["Open Water", "Developed, Open Space", "Developed, Low Intensity",
                   "Barren Land (Rock/Sand/Clay)", "Deciduous Forest", "Shrub/Scrub",
                   "Grassland/Herbaceous", "Pasture/Hay", "Cultivated Crops", "Woody Wetlands",
                   "Emergent Herbaceous Wetlands"])


def ops_of(question: str, vocabulary: Vocabulary | None = None) -> list[tuple]:
    """Each step as (op, the arguments that say what it does), ids left out."""
    plan = plan_question(question, vocabulary=vocabulary)
    by_id = {s.id: s for s in plan.steps}

    def name(ref):
        step = by_id[ref]
        return step.args.get("class", step.args.get("code", step.op))

    out = []
    for step in plan.steps:
        args = {k: (name(v) if k in ("of", "to", "minus", "within") and isinstance(v, str)
                    else v) for k, v in step.args.items()}
        out.append((step.op, args))
    return out


def answer_op(question: str, vocabulary: Vocabulary | None = None) -> tuple:
    return ops_of(question, vocabulary)[-1]


@pytest.mark.parametrize(("question", "expected"), [
    ("What share of the image is ground that is not grass and not cropland?",
     ("complement", {"of": "union"})),
    ("What is the area of non-water land in ha?", ("complement", {"of": "water"})),
    ("What percentage of the image is everything except built-up?",
     ("complement", {"of": "built-up"})),
    ("What share of the land that is not forest is cropland?",
     ("complement", {"of": "forest"})),
    ("What share of the image is vegetation other than forest?",
     ("difference", {"of": "vegetation", "minus": "forest"})),
])
def test_complements_and_exceptions(question, expected):
    assert expected in ops_of(question)


def test_a_class_left_out_of_the_region_leaves_the_denominator():
    steps = ops_of("Leaving the sea out, what fraction of the land is urban?")
    assert ("excluding", {"of": "built-up", "minus": "water"}) in steps
    assert steps[-1] == ("share", {"of": "excluding"})


@pytest.mark.parametrize(("question", "count"), [
    ("Apart from the biggest one, how many lakes are there?", 1),
    ("What is the total area of water not counting the two largest lakes?", 2),
    ("How many lakes other than the largest one are there?", 1),
    ("What is the total area of water outside its 3 largest patches, in ha?", 3),
])
def test_leaving_out_the_largest_objects(question, count):
    assert ("without_largest", {"of": "water", "count": count}) in ops_of(question)


@pytest.mark.parametrize(("question", "op"), [
    ("How many water bodies are wholly within 100 m of forest?", "objects_inside"),
    ("How many forest patches are partly within 30 m of a road?", "objects_near"),
    ("How many fields are wholly farther than 80 m from every road?", "objects_far"),
    ("How many forest patches touch a 200 m zone around cropland?", "objects_near"),
    ("How many buildings have a neighbouring building closer than 15 m?",
     "objects_near_other"),
    ("How many buildings are more than 50 m from any other building?", "objects_far_other"),
    ("How many houses with no other house within 50 m are there?", "objects_far_other"),
])
def test_object_quantifiers(question, op):
    assert op in [step[0] for step in ops_of(question)]


def test_partly_within_yet_nowhere_within():
    steps = ops_of("How many forest patches are partly within 30 m of a road yet nowhere within "
                   "30 m of water?")
    assert [s[0] for s in steps if s[0].startswith("objects")] == ["objects_near",
                                                                   "objects_far"]


@pytest.mark.parametrize(("question", "args"), [
    ("What is the greatest distance from any pixel to the nearest road?",
     {"to": "road", "stat": "max", "unit": "m"}),
    ("How far is the water pixel that lies farthest from all forest?",
     {"to": "forest", "stat": "max", "of": "water", "unit": "m"}),
    ("What is the mean distance from buildings to the nearest road?",
     {"to": "road", "stat": "mean", "of": "building", "per": "object", "unit": "m"}),
    ("What is the mean distance from building pixels to the nearest road pixel, in km?",
     {"to": "road", "stat": "mean", "of": "building", "unit": "km"}),
])
def test_distance_statistics(question, args):
    assert answer_op(question) == ("distance_stat", args)


@pytest.mark.parametrize(("question", "comparison"), [
    ("Is there a place over 250 m from every road?", ">"),
    ("Is every building within 100 m of a road?", "<="),
])
def test_whether_a_place_lies_beyond_a_distance(question, comparison):
    steps = ops_of(question)
    assert steps[-1] == ("compare", {"of": "distance_stat", "to": "number",
                                     "comparison": comparison})


@pytest.mark.parametrize("question", [
    "Of the forest patches over 3 ha, how many are within 100 m of water?",
    "How many forest patches (only those over 3 ha) are within 100 m of water?",
])
def test_filters_in_front_or_in_brackets(question):
    steps = ops_of(question)
    assert ("objects", {"of": "forest", "min_area_m2": 30000}) in steps
    assert steps[-1][0] == "count"


def test_a_superlative_among_filtered_regions():
    steps = ops_of("What is the area of the largest vegetation region (among regions larger "
                   "than 0.125 hectares)?")
    assert ("objects", {"of": "vegetation", "min_area_m2": 1250}) in steps
    assert steps[-1][0] == "largest_object"


@pytest.mark.parametrize(("question", "last"), [
    ("Find the lakes over 1 ha. What area of grass lies within 50 m of them?", "area"),
    ("Take the urban land within 200 m of water. How big is that?", "area"),
    ("Among forest patches larger than 1 ha, what is the mean patch size (ha)?",
     "fragmentation"),
    ("Forest and shrubland together: what percent of the area do they cover?", "share"),
])
def test_several_sentences_and_topics_with_references(question, last):
    assert answer_op(question)[0] == last


@pytest.mark.parametrize(("question", "unit"), [
    ("What is the area of forest in acres?", "acre"),
    ("What is the total building area in square feet?", "ft2"),
    ("What is the water area in square miles?", "mi2"),
    ("How far is the nearest building from water, in feet?", "ft"),
    ("What is the minimum distance between forest and water in miles?", "mi"),
    ("What is the area of forest? Answer in km².", "km2"),
    ("How many acres of cropland are there?", "acre"),
    ("How close is the nearest building to water? (m) (GSD: 0.5m)", "m"),
])
def test_units(question, unit):
    assert answer_op(question)[1]["unit"] == unit


def test_sizes_in_other_units_become_square_metres():
    steps = ops_of("How many fields larger than 2 acres are there?")
    assert ("objects", {"of": "cropland", "min_area_m2": pytest.approx(8093.7128448)}) in steps


def test_a_trailing_instruction_and_an_image_denominator():
    assert ops_of("What share of the image is water? Reply as a percentage.")[-1] == (
        "share", {"of": "water", "denominator": "image"})
    assert ops_of("What share of the area is water? Give a percentage.")[-1] == (
        "share", {"of": "water"})


def test_no_data_and_the_whole_region():
    assert ops_of("What fraction of the image has no data?")[-1] == (
        "share", {"of": "no_data", "denominator": "image"})
    assert answer_op("What is the maximum distance from any valid pixel to the nearest road, "
                     "in metres?")[1]["of"] == "region"


@pytest.mark.parametrize(("question", "classes"), [
    ("How many acres of Pasture/Hay are there?", {"pasture/hay"}),
    ("What share of the area is Developed, Open Space?", {"developed, open space"}),
    ("Ignoring Barren Land (Rock/Sand/Clay), what percentage of the remaining area is "
     "Shrub/Scrub?", {"barren land (rock/sand/clay)", "shrub/scrub"}),
    ("How many Woody Wetlands patches touch Emergent Herbaceous Wetlands?",
     {"woody wetlands", "emergent herbaceous wetlands"}),
])
def test_legend_words_as_the_legend_writes_them(question, classes):
    plan = plan_question(question, vocabulary=NLCD)
    assert {s.args["class"] for s in plan.steps if s.op == "mask"} == classes


def test_a_comparison_within_one_class():
    steps = ops_of("Are small buildings (below 100 m²) more numerous than large ones (above "
                   "400 m²)?")
    assert ("objects", {"of": "building", "max_area_m2": 100}) in steps
    assert ("objects", {"of": "building", "min_area_m2": 400}) in steps
    steps = ops_of("Are there more forest patches under 1 ha than over 10 ha?")
    assert steps[-1] == ("compare", {"of": "count", "to": "count", "comparison": ">"})


def test_two_size_filters_both_hold():
    steps = ops_of("How many water bodies larger than 1 ha are there? Ignore patches smaller "
                   "than 3 ha.")
    assert ("objects", {"of": "water", "min_area_m2": 30000}) in steps
    with pytest.raises(QuestionError, match="no object can be"):
        plan_question("How many water bodies are there? Ignore patches smaller than 3 ha. Only "
                      "count patches under 1 ha.")


@pytest.mark.parametrize(("question", "message"), [
    ("What is the area of forest in furlongs?", "'furlongs' is not a unit"),
    ("How many buildings larger than 3 parsecs are there?", "'parsecs' is not a unit"),
    ("What is the area of them?", "refers to 'them' but names nothing before"),
    ("What share of the image is everything except everything?", "leaves no pixel"),
    ("What is the area of forest in ha and in km2?", "keep one"),
])
def test_bad_questions_are_refused_by_name(question, message):
    with pytest.raises(QuestionError, match=message):
        plan_question(question)


def test_a_complement_of_every_legend_class_is_refused():
    with pytest.raises(QuestionError, match="leaves only pixels of no class"):
        plan_question("What share is land that is not water and not land?",
                      vocabulary=Vocabulary(["land", "water"]))


@pytest.mark.parametrize(("question", "connectivity"), [
    ("How many code 7 clusters are there, using 4-connectivity (edge neighbours only)?", 4),
    ("How many forest patches are there if diagonals do not count?", 4),
    ("How many 4-connected water bodies are there?", 4),
    ("How many water bodies are there with rook's case adjacency?", 4),
    ("How many forest patches are there? Use 8-connectivity.", 8),
    ("How many forest patches are there?", 8),
])
def test_the_connectivity_a_question_asks_for(question, connectivity):
    assert plan_question(question).connectivity == connectivity


def test_both_connectivities_are_refused():
    with pytest.raises(QuestionError, match="both 4- and 8-connectivity"):
        plan_question("How many 4-connected forest patches are there, using 8-connectivity?")


def test_a_coarser_word_is_the_union_of_the_legends_kinds_said_in_the_notes():
    plan = plan_question("What share of the area is forest?", vocabulary=NLCD)
    masks = {s.args["class"] for s in plan.steps if s.op == "mask"}
    assert masks == {"deciduous forest"}          # the only forest of this legend
    nlcd = Vocabulary([*NLCD.classes, "Evergreen Forest"])
    plan = plan_question("What share of the area is forest?", vocabulary=nlcd)
    assert {s.args["class"] for s in plan.steps if s.op == "mask"} == {"deciduous forest",
                                                                       "evergreen forest"}
    assert any("deciduous forest, evergreen forest" in note for note in plan.notes)


def test_a_legend_word_wins_over_a_longer_vocabulary_phrase():
    legend = Vocabulary(["water", "developed", "cultivated", "wetlands"])
    plan = plan_question("How many acres of cultivated land are there?", vocabulary=legend)
    assert [s.args.get("class") for s in plan.steps if s.op == "mask"] == ["cultivated"]


def test_ranks_among_the_largest_objects():
    steps = ops_of("How far apart are the two largest water bodies, in metres?")
    assert ("without_largest", {"of": "water", "count": 1}) in steps
    assert steps[-1][0] == "min_distance"
    steps = ops_of("What is the area of the third largest lake in ha?")
    assert ("without_largest", {"of": "water", "count": 2}) in steps
    assert steps[-1] == ("largest_object", {"of": "without_largest", "unit": "ha"})


@pytest.mark.parametrize(("question", "other"), [
    ("Is the largest water body bigger than all the other water bodies together?",
     "without_largest"),
    ("Is there more forest than all the other classes together?", "complement"),
    ("Is the forest larger than all the other land cover combined?", "complement"),
])
def test_compared_with_all_the_others(question, other):
    steps = ops_of(question)
    assert other in [op for op, _ in steps]
    assert steps[-1][0] == "compare"


@pytest.mark.parametrize(("question", "last"), [
    ("Mixed Forest patches: how many are larger than 2 ha?", ("count", {"of": "objects"})),
    ("Developed, Low Intensity plus Developed, Open Space: total area in km²?",
     ("area", {"of": "union", "unit": "km2"})),
    ("Buildings partly within 10 m of a road but nowhere within 10 m of vegetation: how many?",
     ("count", {"of": "objects_far"})),
    ("Non-forest, non-grassland land: how many hectares?",
     ("area", {"of": "complement", "unit": "ha"})),
])
def test_a_topic_then_a_measure(question, last):
    vocabulary = Vocabulary([*NLCD.classes, "Mixed Forest"])
    assert answer_op(question, vocabulary) == last


@pytest.mark.parametrize(("question", "last"), [
    ("How many buildings have a footprint above 200 m²?", ("count", {"of": "objects"})),
    ("What share of all the forest is in the single biggest forest patch?",
     ("share", {"of": "intersection", "within": "forest"})),
    ("What share of the whole image, no-data pixels included, is water?",
     ("share", {"of": "water", "denominator": "image"})),
    ("Is any point of the mapped area more than 2 km from water?",
     ("compare", {"of": "distance_stat", "to": "number", "comparison": ">"})),
    ("How many pools of water are there?", ("count", {"of": "water"})),
    ("Not counting the largest water body, how much water is there, in km²?",
     ("area", {"of": "without_largest", "unit": "km2"})),
    ("What is the farthest any forest pixel is from water? Answer in meters.",
     ("distance_stat", {"to": "water", "stat": "max", "of": "forest", "unit": "m"})),
    ("On average, how far is a forest pixel from the nearest water? (m)",
     ("distance_stat", {"to": "water", "stat": "mean", "of": "forest", "unit": "m"})),
])
def test_more_ways_people_ask(question, last):
    assert answer_op(question) == last


@pytest.mark.parametrize(("question", "last"), [
    ("How many times larger is the forest area than the shrubland area?",
     ("ratio", {"of": "area", "to": "area", "unit": "times"})),
    ("How many times more buildings than roads are there?",
     ("ratio", {"of": "count", "to": "count", "unit": "times"})),
    ("What is the ratio of water area to forest area?",
     ("ratio", {"of": "area", "to": "area", "unit": "times"})),
    ("Is there at least twice as much forest as water?",
     ("compare", {"of": "area", "to": "scaled", "comparison": ">="})),
    ("Is the forest more than three times the size of all the other classes together?",
     ("compare", {"of": "area", "to": "scaled", "comparison": ">"})),
])
def test_ratios_and_factors(question, last):
    assert answer_op(question) == last


@pytest.mark.parametrize(("question", "scale", "unit"), [
    ("How many water bodies per km² are there?", 1.0, "km2"),
    ("How many buildings per hectare?", 1.0, "ha"),
    ("How many forest patches per 100 km² of land are there?", 100.0, "km2"),
])
def test_densities_count_over_the_area_with_data(question, scale, unit):
    steps = ops_of(question)
    assert steps[-1][0] == "ratio" and steps[-1][1]["scale"] == scale
    assert ("area", {"of": "region", "unit": unit}) in steps


@pytest.mark.parametrize(("question", "sides"), [
    ("Can one go from the northern edge to the southern edge of the map through forest only?",
     ["top", "bottom"]),
    ("Is the water connected from the top edge to the bottom edge of the chip?",
     ["top", "bottom"]),
    ("Can you go from the left edge to the right edge on water only?", ["left", "right"]),
    ("Does the road network connect the east and west edges?", ["right", "left"]),
])
def test_crossing_from_edge_to_edge(question, sides):
    steps = ops_of(question)
    assert [args["side"] for op, args in steps if op == "edge"] == sides
    assert steps[-1][0] == "connected"


@pytest.mark.parametrize(("question", "stat"), [
    ("How far apart are the two closest water bodies? (m)", "min"),
    ("What is the mean nearest-neighbour distance between buildings?", "mean"),
    ("How far is each building from the nearest other one, on average?", "mean"),
])
def test_distances_between_neighbouring_objects(question, stat):
    assert answer_op(question)[0] == "neighbour_distance"
    assert answer_op(question)[1]["stat"] == stat


def test_a_bracket_that_describes_its_class_or_names_an_object_word():
    legend = Vocabulary(["building", "land", "road", "vegetation", "water"])
    plan = plan_question("What percentage of the land (unpaved area) is within 15 m of a "
                         "building?", vocabulary=legend)
    assert any("(unpaved area)" in note for note in plan.notes)
    plan = plan_question("How many islands (land patches) bigger than 0.5 ha are there?",
                         vocabulary=legend)
    assert [s.op for s in plan.steps] == ["mask", "objects", "count"]
    with pytest.raises(QuestionError):          # a bracket that says more is never skipped
        plan_question("What percentage of the land (north of the river) is built up?",
                      vocabulary=legend)


@pytest.mark.parametrize(("question", "unit"), [
    ("What is the total edge length of forest in km?", "km"),
    ("What is the mean patch size of forest in acres?", "acre"),
])
def test_landscape_metrics_in_other_units_of_their_kind(question, unit):
    assert answer_op(question)[1]["unit"] == unit


def test_a_landscape_metric_in_a_unit_of_another_kind_is_refused():
    with pytest.raises(QuestionError, match="reported in ha"):
        plan_question("What is the mean patch size of forest in km?")


@pytest.mark.parametrize(("question", "unit"), [
    ("What is the perimeter of the largest forest patch in m?", "m"),
    ("What is the total perimeter of all water bodies in km?", "km"),
    ("How long is the shoreline of the lakes, in miles?", "mi"),
])
def test_perimeters(question, unit):
    assert answer_op(question) == ("perimeter", {"of": answer_op(question)[1]["of"],
                                                 "unit": unit})


def test_an_overlong_question_is_refused_at_once():
    import time

    question = "What share of the area is forest? " + "Really. " * 8000      # 64 KB
    started = time.perf_counter()
    with pytest.raises(QuestionError, match="characters long; questions are at most 2,000"):
        plan_question(question)
    assert time.perf_counter() - started < 1.0
