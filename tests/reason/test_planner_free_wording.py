"""Free wording as new users write it (asides in brackets, "i.e." explanations, instructions
about the answer's form, typos in units, "what is left", fractions of a class, shares of
objects, sentences that refer back), answered end to end on a small GeoTIFF and checked
against numpy/scipy on the whole array, never against the planner's own plan."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from scipy import ndimage

from geoquant.errors import ClassNameError, QuestionError
from geoquant.reason import ask

EIGHT = np.ones((3, 3), bool)
PX = 10.0                                   # metres per pixel
LEGEND = {"0": "grass", "1": "water", "2": "forest", "3": "building", "9": "no data"}


def _codes() -> np.ndarray:
    rng = np.random.default_rng(7)
    codes = np.zeros((60, 70), np.uint8)
    for code, share, grow in ((1, 0.02, 2), (2, 0.05, 1), (3, 0.04, 0)):
        seeds = rng.random(codes.shape) < share
        grown = ndimage.binary_dilation(seeds, iterations=grow) if grow else seeds
        codes[grown & (codes == 0)] = code
    codes[:4, :10] = 9                      # a corner without data
    return codes


CODES = _codes()
VALID = CODES != 9


def _geotiff(path, codes: np.ndarray) -> str:
    """``codes`` as a one-band GeoTIFF on a UTM grid of ``PX`` metre pixels."""
    with rasterio.open(path, "w", driver="GTiff", height=codes.shape[0], width=codes.shape[1],
                       count=1, dtype=codes.dtype.name, crs="EPSG:32631",
                       transform=from_origin(500_000, 5_000_000, PX, PX)) as dst:
        dst.write(codes, 1)
    return str(path)


@pytest.fixture(scope="module")
def raster(tmp_path_factory) -> str:
    return _geotiff(tmp_path_factory.mktemp("free") / "map.tif", CODES)


def _value(question: str, raster: str):
    answer = ask(question, source=raster, product=LEGEND, thresholds=None)
    return answer.value, answer


def _share(part: np.ndarray, whole: np.ndarray) -> float:
    return 100.0 * part.sum() / whole.sum()


def _edt(target: np.ndarray) -> np.ndarray:
    return ndimage.distance_transform_edt(~target, sampling=(PX, PX))


def _objects(hit: np.ndarray) -> tuple[np.ndarray, int]:
    return ndimage.label(hit, structure=EIGHT)


def test_an_exclusion_aside_inside_the_question(raster):
    value, _ = _value("What share of the land (leaving water out) is forest?", raster)
    assert value == pytest.approx(_share(CODES == 2, VALID & (CODES != 1)), rel=1e-9)


def test_a_size_filter_in_brackets(raster):
    labels, n = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    value, _ = _value("What is the mean size of the forest patches (ignore patches under "
                      "300 m²), in m²?", raster)
    assert value == pytest.approx(sizes[sizes >= 300].mean(), rel=1e-9)


def test_a_bracketed_list_shares_its_head_noun(raster):
    legend = {"0": "grass", "1": "water", "2": "deciduous forest", "3": "mixed forest"}
    answer = ask("What share of the map is forest (deciduous and mixed)?", source=raster,
                 product={**legend, "9": "no data"}, thresholds=None)
    assert answer.value == pytest.approx(_share(np.isin(CODES, (2, 3)), VALID), rel=1e-9)


def test_an_ie_explanation_is_read_when_the_words_before_it_are_not(raster):
    labels, _ = _objects(CODES == 2)
    largest = np.bincount(labels.ravel())[1:].max()
    value, answer = _value("What is the LPI-ish thing for forest, i.e. the largest forest "
                           "patch as a share of the map?", raster)
    assert value == pytest.approx(100.0 * largest / VALID.sum(), rel=1e-9)
    assert any("i.e." in note for note in answer.plan.notes)


def test_an_unreadable_explanation_is_refused_with_the_original_part():
    from geoquant.reason import plan_question
    with pytest.raises(QuestionError, match="zorbly"):
        plan_question("What is the zorbly index of forest, i.e. the zorbly of the forest?")


@pytest.mark.parametrize("tail", ["Reply as a number.", "Just the number please.",
                                  "Round to two decimals."])
def test_instructions_about_the_answers_form_ask_nothing(raster, tail):
    value, _ = _value(f"What share of the map is water? {tail}", raster)
    assert value == pytest.approx(_share(CODES == 1, VALID), rel=1e-9)


def test_a_trailing_aside_restating_the_share(raster):
    far = _edt(CODES == 1) > 30
    value, _ = _value("What share of the land lies more than 30 m from water? (percentage of "
                      "land)", raster)
    assert value == pytest.approx(_share(far & VALID, VALID), rel=1e-9)
    from geoquant.reason import plan_question
    with pytest.raises(QuestionError):          # an aside about another share is not dropped
        plan_question("What share of the land lies more than 30 m from water? (percentage "
                      "of forest)")


@pytest.mark.parametrize("unit", ["hectars", "hectres", "hectare"])
def test_unit_words_as_people_mistype_them(raster, unit):
    value, _ = _value(f"Total area of forest in {unit}?", raster)
    assert value == pytest.approx((CODES == 2).sum() * PX * PX / 1e4, rel=1e-9)


def test_codes_classed_as_and_hyphenated():
    from geoquant.reason import plan_question
    from geoquant.reason.layers._source import source_vocabulary
    vocabulary = source_vocabulary(None, "codes")
    for question in ("How many km² are classed as code 41?", "How much area has code 41?",
                     "How many code-41 patches are there?"):
        plan = plan_question(question, vocabulary=vocabulary)
        assert [s.args.get("code") for s in plan.steps if s.op == "mask"] == [41]


def test_touching_directly_is_touching(raster):
    labels, _ = _objects(CODES == 3)
    near = ndimage.binary_dilation(CODES == 1, structure=EIGHT)
    want = len(set(np.unique(labels[near & (labels > 0)])))
    value, _ = _value("How many buildings touch water directly?", raster)
    assert value == want


def test_how_far_is_it_from_the_nearest_x_to_the_nearest_y(raster):
    value, _ = _value("How far is it from the nearest building to the nearest water pixel, in "
                      "metres?", raster)
    assert value == pytest.approx(_edt(CODES == 1)[CODES == 3].min(), rel=1e-9)


def test_the_x_pixel_farthest_from_any_y(raster):
    value, _ = _value("How far is the forest pixel farthest from any water pixel?", raster)
    assert value == pytest.approx(_edt(CODES == 1)[CODES == 2].max(), rel=1e-9)


def test_what_is_left_after_leaving_classes_out(raster):
    value, _ = _value("Excluding forest and water, what percentage of the map is left?", raster)
    assert value == pytest.approx(_share(VALID & ~np.isin(CODES, (1, 2)), VALID), rel=1e-9)


def test_what_is_left_after_leaving_the_largest_out(raster):
    labels, _ = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel())[1:]
    value, _ = _value("Excluding the largest forest patch, how much forest area is left, in "
                      "m²?", raster)
    assert value == pytest.approx((sizes.sum() - sizes.max()) * PX * PX, rel=1e-9)


@pytest.mark.parametrize(("question", "fraction", "by_number"), [
    ("Is more than half of the forest within 20 m of water?", 50.0, False),
    ("Is over 10% of the forest within 20 m of water?", 10.0, False),
    ("Are fewer than a third of the buildings within 20 m of water?", 100 / 3, True),
])
def test_a_fraction_of_a_class_meeting_a_relation(raster, question, fraction, by_number):
    near = _edt(CODES == 1) <= 20
    if by_number:
        labels, n = _objects(CODES == 3)
        hit = len(np.unique(labels[near & (labels > 0)]))
        share = 100.0 * hit / n
        want = share < fraction
    else:
        share = _share((CODES == 2) & near, CODES == 2)
        want = share > fraction
    value, _ = _value(question, raster)
    assert value is bool(want)


def test_a_share_of_objects_with_a_plural_verb_counts_them(raster):
    labels, n = _objects(CODES == 3)
    near = _edt(CODES == 1) <= 20
    hit = len(np.unique(labels[near & (labels > 0)]))
    value, answer = _value("What percentage of the buildings are within 20 m of water?", raster)
    assert value == pytest.approx(100.0 * hit / n, rel=1e-9)
    assert any("number" in note for note in answer.plan.notes)
    area, _ = _value("What share of the building area lies within 20 m of water?", raster)
    assert area == pytest.approx(_share((CODES == 3) & near, CODES == 3), rel=1e-9)


def test_count_then_a_second_sentence_about_them(raster):
    labels, n = _objects(CODES == 3)
    far_ids = [k for k in range(1, n + 1)
               if _edt(CODES == 2)[labels == k].min() > 30]
    value, _ = _value("Count the buildings. Then tell me how many of them are more than 30 m "
                      "from any forest.", raster)
    assert value == len(far_ids)


def test_a_fronted_topic_referred_to_by_their(raster):
    labels, _ = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel()) * PX * PX
    big = (labels > 0) & (sizes[labels] > 250)
    near = _edt(CODES == 1) <= 20
    value, _ = _value("Of the forest patches over 250 m², what share of their combined area "
                      "lies within 20 m of water?", raster)
    assert value == pytest.approx(_share(big & near, big), rel=1e-9)


def test_the_remaining_ones_after_a_size_filter(raster):
    labels, _ = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel()) * PX * PX
    kept = (labels > 0) & (sizes[labels] >= 300)
    value, _ = _value("Ignoring forest patches below 300 m², what share of the forest area do "
                      "the remaining ones hold?", raster)
    assert value == pytest.approx(_share(kept, CODES == 2), rel=1e-9)


def test_other_objects_near_the_largest_one(raster):
    labels, n = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel())[1:]
    top = int(np.argmax(sizes)) + 1                   # ties: geoquant ranks by position too
    assert (sizes == sizes.max()).sum() == 1
    reach = _edt(labels == top)
    want = sum(1 for k in range(1, n + 1) if k != top and reach[labels == k].max() <= 100)
    value, _ = _value("How many other forest patches lie wholly within 100 m of the largest "
                      "one?", raster)
    assert value == want


# --- second round: wording from a blind set measured at first contact -----------------------

FLOOD = {"-1": "no data", "0": "not water", "1": "water"}


@pytest.fixture(scope="module")
def flood(tmp_path_factory) -> str:
    """A flood label chip: 1 water, 0 not water, -1 no data (Sen1Floods11's codes)."""
    codes = np.where(CODES == 1, 1, 0).astype(np.int16)
    codes[CODES == 9] = -1
    return _geotiff(tmp_path_factory.mktemp("flood") / "chip.tif", codes)


def _flood(question: str, flood: str):
    return ask(question, source=flood, product=FLOOD, thresholds=None).value


def test_a_legend_class_named_not_water_is_never_water(flood):
    assert _flood("What % is water?", flood) == pytest.approx(_share(CODES == 1, VALID), rel=1e-9)
    from geoquant.reason.layers._source import _resolve_product
    legend = _resolve_product(FLOOD)
    assert legend.codes_for("water") == (1,) and legend.codes_for("not water") == (0,)


def test_dry_land_is_the_ground_that_is_not_water(flood):
    dry = VALID & (CODES != 1)
    _, n = _objects(dry)
    assert _flood("how many patches of dry land are there", flood) == n
    value = _flood("median distance from dry ground to the nearest water, in km", flood)
    assert value == pytest.approx(np.median(_edt(CODES == 1)[dry]) / 1000, rel=1e-9)
    far = _edt(CODES == 1)[dry].max()
    assert _flood(f"is there anywhere on dry land more than {far - 1:.1f} m from the water?",
                  flood) is True
    assert _flood(f"is anywhere in the image more than {far + 1:.1f} m from water?",
                  flood) is False


def test_the_chip_and_the_label_map_are_the_region(flood):
    assert _flood("how much of the chip is flooded? percent please", flood) == pytest.approx(
        _share(CODES == 1, VALID), rel=1e-9)
    assert _flood("total area covered by the label map, in square km", flood) == pytest.approx(
        VALID.sum() * PX * PX / 1e6, rel=1e-9)


@pytest.mark.parametrize(("wording", "some"), [
    ("are at least partly within 20 m of water", True),
    ("have at least part of their footprint within 20 m of water", True),
    ("have none of their pixels within 20 m of water", False),
    ("have no pixel within 20 m of water", False),
])
def test_object_quantifiers_as_people_say_them(raster, wording, some):
    labels, n = _objects(CODES == 3)
    near = _edt(CODES == 1) <= 20
    touched = len(np.unique(labels[near & (labels > 0)]))
    value, _ = _value(f"How many buildings {wording}?", raster)
    assert value == (touched if some else n - touched)


def test_a_class_word_misspelt_by_one_letter_is_read_with_a_note(raster):
    labels, n = _objects(CODES == 2)
    value, answer = _value("how many seperate forrest patches are there", raster)
    assert value == n
    assert any("'forrest' as 'forest'" in note for note in answer.plan.notes)
    from geoquant.reason import plan_question
    with pytest.raises(ClassNameError):          # two letters off, or short: never guessed
        plan_question("how many frst patches are there")


def test_everything_else_after_leaving_classes_out(raster):
    value, _ = _value("Apart from forest and water, what percentage of the map is everything "
                      "else combined?", raster)
    assert value == pytest.approx(_share(VALID & ~np.isin(CODES, (1, 2)), VALID), rel=1e-9)


@pytest.mark.parametrize("wording", [
    "Ignoring the largest two forest patches, what is the average size of the rest, in m²?",
    "What is the mean size of the forest patches apart from the biggest 2 patches, in m²?",
])
def test_the_rest_after_leaving_the_largest_out(raster, wording):
    labels, _ = _objects(CODES == 2)
    sizes = np.sort(np.bincount(labels.ravel())[1:])[::-1]
    value, _ = _value(wording, raster)
    assert value == pytest.approx(sizes[2:].mean() * PX * PX, rel=1e-9)


def test_a_sentence_about_the_asker_and_one_that_introduces_the_objects(raster):
    labels, _ = _objects(CODES == 3)
    touching = ndimage.binary_dilation(CODES == 2, structure=EIGHT)
    want = len(np.unique(labels[touching & (labels > 0)]))
    value, _ = _value("I'm a city planner. There are a few buildings on this map. How many of "
                      "them are next to forest?", raster)
    assert value == want


def test_a_definition_as_a_new_word_is_never_a_synonym(raster):
    """'farmland' is the vocabulary's word for cropland; defined by the question, it means
    what the question says (here forest and water)."""
    _, n = _objects(np.isin(CODES, (1, 2)))
    value, _ = _value("Treat forest and water together as farmland. How many farmland patches "
                      "are there?", raster)
    assert value == n
    value, _ = _value("Treat forest and water as one class. How many patches does that give?",
                      raster)
    assert value == n


def test_the_second_biggest_takes_the_first_sides_noun(raster):
    labels, _ = _objects(CODES == 2)
    sizes = np.sort(np.bincount(labels.ravel())[1:])[::-1]
    value, _ = _value("how many times larger is the biggest forest patch than the second "
                      "biggest?", raster)
    assert value == pytest.approx(sizes[0] / sizes[1], rel=1e-9)


def test_the_longest_distance_any_pixel_is_from_a_class(raster):
    value, _ = _value("What's the longest distance any building pixel is from water?", raster)
    assert value == pytest.approx(_edt(CODES == 1)[CODES == 3].max(), rel=1e-9)


def test_four_connected_when_counted_so(raster):
    _, n = ndimage.label(CODES == 2)
    value, _ = _value("How many forest patches are there when counted 4-connected (edge "
                      "neighbours only)?", raster)
    assert value == n


def test_the_land_explained_in_brackets(raster):
    land = VALID & (CODES != 1)
    value, _ = _value("What share of the land (i.e. not water) is forest?", raster)
    assert value == pytest.approx(_share(land & (CODES == 2), land), rel=1e-9)
    value, _ = _value("What fraction of the non-forest land (anything but forest) is water?",
                      raster)
    assert value == pytest.approx(_share(CODES == 1, VALID & (CODES != 2)), rel=1e-9)


def _touching(labels: np.ndarray, hit: np.ndarray) -> set[int]:
    near = ndimage.binary_dilation(hit, structure=EIGHT)
    return set(np.unique(labels[near & (labels > 0)]).tolist())


def test_touching_both_classes_means_each_of_them(raster):
    labels, _ = _objects(CODES == 3)
    want = _touching(labels, CODES == 2) & _touching(labels, CODES == 1)
    value, _ = _value("How many buildings touch both forest and water?", raster)
    assert value == len(want)


def test_touching_neither_class_means_none_of_them_and_whole_buildings(raster):
    labels, n = _objects(CODES == 3)
    touching = _touching(labels, CODES == 2) | _touching(labels, CODES == 1)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    want = sum(sizes[k] for k in range(1, n + 1) if k not in touching) * PX * PX
    value, _ = _value("What's the total footprint (m²) of the buildings that touch neither "
                      "forest nor water?", raster)
    assert value == pytest.approx(want, rel=1e-9)


def test_a_fronted_topic_with_a_relation_then_a_size_filter_on_them(raster):
    labels, n = _objects(CODES == 2)
    reach = _edt(CODES == 1)
    sizes = np.bincount(labels.ravel()) * PX * PX
    want = sum(1 for k in range(1, n + 1)
               if reach[labels == k].max() <= 50 and sizes[k] > 250)
    value, _ = _value("Forest patches that are entirely within 50 m of water: how many of them "
                      "are bigger than 250 m²?", raster)
    assert value == want


def test_not_counting_no_data_is_never_the_whole_image(raster):
    for question in ("What share of the image is water, not counting no-data?",
                     "What share of the map (not counting no-data) is water?"):
        value, _ = _value(question, raster)
        assert value == pytest.approx(_share(CODES == 1, VALID), rel=1e-9)
    value, _ = _value("What share of the image is water, no-data included?", raster)
    assert value == pytest.approx(100.0 * (CODES == 1).sum() / CODES.size, rel=1e-9)


def test_a_second_relation_negated_without_its_verb(raster):
    labels, n = _objects(CODES == 3)
    want = len(_touching(labels, CODES == 2) - _touching(labels, CODES == 1))
    for wording in ("adjacent to forest but not to water", "adjacent to forest and not "
                    "adjacent to water"):
        value, _ = _value(f"How many buildings are {wording}?", raster)
        assert value == want


def test_the_largest_patch_as_a_share_of_all_of_its_class(flood):
    dry = VALID & (CODES != 1)
    labels, _ = _objects(dry)
    largest = np.bincount(labels.ravel())[1:].max()
    assert _flood("largest dry patch as a % of all the dry land", flood) == pytest.approx(
        100.0 * largest / dry.sum(), rel=1e-9)


def test_a_fraction_of_an_acre_and_connectivity_instead_of_another(raster):
    labels, _ = ndimage.label(CODES == 2)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    value, _ = _value("How many forest patches are bigger than a tenth of an acre if you count "
                      "them 4-connected instead of 8-connected?", raster)
    assert value == int((sizes > 404.6856422).sum())


def test_a_fronted_target_then_how_big_is_it(raster):
    labels, _ = _objects(CODES == 2)
    value, _ = _value("the biggest single patch of forest - how big is it in m2?", raster)
    assert value == pytest.approx(np.bincount(labels.ravel())[1:].max() * PX * PX, rel=1e-9)


def test_an_acre_and_a_kilometre_after_a_comparison(raster):
    labels, _ = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    small, large = int((sizes < 4046.8564224).sum()), int((sizes > 4046.8564224).sum())
    value, _ = _value("Forest patches: are there more small ones (under an acre) than ones "
                      "over an acre?", raster)
    assert value is (small > large)


def test_the_mapped_area_that_is_not_a_class(raster):
    rest = VALID & (CODES != 2)
    value, _ = _value("what % of the mapped area that is not forest is water?", raster)
    assert value == pytest.approx(_share(CODES == 1, rest), rel=1e-9)


def test_who_wants_to_know_before_a_colon(raster):
    value, _ = _value("The council wants to know about the lakes: what share of the map is "
                      "water?", raster)
    assert value == pytest.approx(_share(CODES == 1, VALID), rel=1e-9)


@pytest.mark.parametrize("question", [
    "Forest %", "Percentage forest?", "What percent of the area is covered with forest?",
    "The forest covers how many percent of the map?", "What fraction of the map consists of "
    "forest?", "Which is the share of the forest?"])
def test_unusual_word_orders_for_a_share(raster, question):
    value, _ = _value(question, raster)
    assert value == pytest.approx(_share(CODES == 2, VALID), rel=1e-9)


@pytest.mark.parametrize("question", [
    "How much hectares of forest?", "How many hectares there are of forest?",
    "Which is the area of the forest, in hectares?", "Forest: how much, in hectares?"])
def test_unusual_word_orders_for_an_area(raster, question):
    value, _ = _value(question, raster)
    assert value == pytest.approx((CODES == 2).sum() * PX * PX / 1e4, rel=1e-9)


def test_unusual_word_orders_for_counts_and_relations(raster):
    labels, n = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    for question in ("For forest, how many patches are there?", "How many forest patches has "
                     "the map?", "How many are the forest patches?"):
        assert _value(question, raster)[0] == n
    big = int((sizes > 250).sum())
    for question in ("the forest patches, how many are bigger than 250 m²?", "How many forest "
                     "patches are there which have an area above 250 m²?"):
        assert _value(question, raster)[0] == big
    far = _edt(CODES == 1) > 30
    value, _ = _value("How much forest is there at a distance of more than 30 m from water, in "
                      "m²?", raster)
    assert value == pytest.approx(((CODES == 2) & far).sum() * PX * PX, rel=1e-9)
    value, _ = _value("Distance between forest and water, minimum, in metres?", raster)
    assert value == pytest.approx(_edt(CODES == 1)[CODES == 2].min(), rel=1e-9)
    value, _ = _value("Is forest more than 5% of the map?", raster)
    assert value is bool(_share(CODES == 2, VALID) > 5)
    value, _ = _value("Is it true that there is more forest than water?", raster)
    assert value is bool((CODES == 2).sum() > (CODES == 1).sum())


def test_a_predicate_explained_after_ie(raster):
    labels, _ = _objects(CODES == 3)
    value, answer = _value("How many buildings are flooded, i.e. touch water?", raster)
    assert value == len(_touching(labels, CODES == 1))
    near = _edt(CODES == 1) <= 20
    value, _ = _value("How many buildings are at risk, meaning within 20 m of water?", raster)
    assert value == len(np.unique(labels[near & (labels > 0)]))


def test_gis_steps_select_buffer_and_measure_inside_the_buffer(raster):
    near = _edt(CODES == 1) <= 20
    value, _ = _value("Select water. Buffer it by 20 m. How much forest area falls inside that "
                      "buffer, in m²?", raster)
    assert value == pytest.approx(((CODES == 2) & near).sum() * PX * PX, rel=1e-9)


def test_counts_per_area_and_pieces_said_other_ways(raster):
    _, n = _objects(CODES == 3)
    value, _ = _value("What is the building density (buildings per ha)?", raster)
    assert value == pytest.approx(n / (VALID.sum() * PX * PX / 1e4), rel=1e-9)
    _, pieces = _objects(CODES == 2)
    value, _ = _value("In how many pieces is the forest broken?", raster)
    assert value == pieces


def test_long_requests_and_inverted_questions(raster):
    labels, n = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    big = int((sizes > 250).sum())
    for question in ("I am interested in the forest. How many patches of it are larger than "
                     "250 m²?", "Forest patches above 250 m² are how many?"):
        assert _value(question, raster)[0] == big
    near = _edt(CODES == 1) <= 20
    value, _ = _value("Please compute the following: the area of forest within 20 m of water, "
                      "in m².", raster)
    assert value == pytest.approx(((CODES == 2) & near).sum() * PX * PX, rel=1e-9)
    value, _ = _value("Of all the land, how much percent is forest?", raster)
    assert value == pytest.approx(_share(CODES == 2, VALID), rel=1e-9)
    value, _ = _value("The mean size of forest patches, how big is it, in m²?", raster)
    assert value == pytest.approx(sizes.mean(), rel=1e-9)
    kept = np.isin(labels, np.flatnonzero(sizes > 250) + 1)
    value, answer = _value("Among all forest patches, which share is larger than 250 m²?",
                           raster)
    assert value == pytest.approx(_share(kept, CODES == 2), rel=1e-9)
    assert any("share of their area" in note for note in answer.plan.notes)


def test_codes_listed_after_one_code_word_and_other_small_forms():
    from geoquant.reason import plan_question
    from geoquant.reason.layers._source import source_vocabulary
    from geoquant.testing.corpus import expression
    codes = source_vocabulary(None, "codes")

    def read(question):
        return expression(plan_question(question, vocabulary=codes))

    assert read("What's the area of everything that is not code 12 or 25, in km2?") == read(
        "What's the area of everything that is not code 12 or code 25, in km2?")
    assert read("Total area for codes 21, 22 and 23 combined, hectares") == read(
        "What is the total area of code 21, code 22 and code 23 in hectares?")
    assert read("the code 12 patches: average size?") == read(
        "What is the average size of the code 12 patches?")
    assert read("Is code 12 adjacent to code 21 anywhere?") == read(
        "Is code 12 adjacent to code 21?")
    # a number with a unit after 'code N or' stays a size
    assert read("How many code 12 patches are larger than 25 ha?")[0] == "count"


def test_a_difference_of_two_areas(raster):
    diff = ((CODES == 2).sum() - (CODES == 1).sum()) * PX * PX / 1e4
    for question in ("How much bigger is the forest than the water, in ha?",
                     "What is the difference in area between forest and water, in ha?",
                     "By how many hectares does forest exceed water?"):
        assert _value(question, raster)[0] == pytest.approx(diff, rel=1e-9)


def test_flood_words_and_a_share_threshold(flood):
    wet = _share(CODES == 1, VALID)
    for question in ("What percentage of the chip is inundated?", "What share is under water?"):
        assert _flood(question, flood) == pytest.approx(wet, rel=1e-9)
    assert _flood("What share of the chip is dry?", flood) == pytest.approx(100 - wet, rel=1e-9)
    assert _flood(f"Is more than {wet - 0.5:.2f}% flooded?", flood) is True
    assert _flood(f"Is more than {wet + 0.5:.2f}% flooded?", flood) is False


def test_my_fields_are_a_class(raster):
    labels, _ = _objects(CODES == 2)
    sizes = np.bincount(labels.ravel())[1:] * PX * PX
    value, _ = _value("My fields are the forest. How many of them are bigger than 250 m²?",
                      raster)
    assert value == int((sizes > 250).sum())


def test_fragmentation_said_other_ways():
    from geoquant.reason import plan_question
    from geoquant.testing.corpus import expression

    def read(question):
        return expression(plan_question(question))

    assert read("What is the edge density of forest, in m per ha?") == read(
        "What is the edge density of forest?")
    assert read("How fragmented is the forest (number of patches per 100 km2)?") == read(
        "How many forest patches are there per 100 km2?")
    assert read("how fragmented is the forest (patch density)?") == read(
        "What is the patch density of forest?")
    assert read("patch count for forest") == read("What is the number of patches of forest?")


def test_an_adjective_explained_by_a_with_clause(raster):
    labels, n = _objects(CODES == 3)
    reach = 20.0
    lonely = 0
    for k in range(1, n + 1):
        others = (labels > 0) & (labels != k)
        if not others.any() or _edt(others)[labels == k].min() > reach:
            lonely += 1
    value, _ = _value("How many buildings are isolated, with no other building within 20 m?",
                      raster)
    assert value == lonely


def test_leaving_out_the_largest_of_another_class_than_the_measured_one(raster):
    """'Not counting the biggest water body, how many buildings are within d of the remaining
    water?' drops the largest water body, never the largest building (a silent misreading)."""
    water, _ = _objects(CODES == 1)
    sizes = np.bincount(water.ravel())[1:]
    top = int(np.argmax(sizes)) + 1
    assert (sizes == sizes.max()).sum() == 1
    near = _edt((water > 0) & (water != top)) <= 20
    labels, _ = _objects(CODES == 3)
    want = len(np.unique(labels[near & (labels > 0)]))
    value, _ = _value("Not counting the biggest water body, how many buildings are within 20 m "
                      "of the remaining water?", raster)
    assert value == want


def test_one_object_named_in_the_singular_is_refused():
    from geoquant.reason import plan_question
    with pytest.raises(QuestionError, match="names one lake"):
        plan_question("How big is the lake?")


def test_the_n_largest_objects_and_differences_of_counts(raster):
    labels, n = _objects(CODES == 2)
    sizes = np.sort(np.bincount(labels.ravel())[1:])[::-1] * PX * PX
    value, _ = _value("What is the total area of the three largest forest patches, in m²?",
                      raster)
    assert value == pytest.approx(sizes[:3].sum(), rel=1e-9)
    _, m = _objects(CODES == 3)
    value, _ = _value("How many more forest patches are there than buildings?", raster)
    assert value == n - m
    value, _ = _value("How many hectares more forest than water is there?", raster)
    assert value == pytest.approx(((CODES == 2).sum() - (CODES == 1).sum()) * PX * PX / 1e4,
                                  rel=1e-9)


def test_a_class_share_in_its_own_largest_patch(raster):
    labels, _ = _objects(CODES == 2)
    value, _ = _value("What share of all forest is in its single largest patch?", raster)
    assert value == pytest.approx(100.0 * np.bincount(labels.ravel())[1:].max()
                                  / (CODES == 2).sum(), rel=1e-9)


def test_context_prefixes_typos_and_a_pixel_size_sentence(raster):
    want = _share(CODES == 2, VALID)
    for question in ("For a story I'm writing: what percentage of the map is forest?",
                     "For an insurance file: what share of the map is forest?",
                     "I farm near here. What share of the map is forest?"):
        assert _value(question, raster)[0] == pytest.approx(want, rel=1e-9)
    _, n = _objects(CODES == 3)
    assert _value("how many buidings are there?", raster)[0] == n
    answer = ask("How much area is forest, in hectares? Pixels are 10 m.", source=raster,
                 product=LEGEND, thresholds=None)
    assert answer.value == pytest.approx((CODES == 2).sum() * PX * PX / 1e4, rel=1e-9)


def test_land_that_is_not_water_is_never_the_same_class_as_water(flood):
    """'the dry land ... more than d from any water body' is a relation to water, not the
    same-class neighbour rule (the complement of water was read as water: a silent 0 %)."""
    dry = VALID & (CODES != 1)
    far = _edt(CODES == 1) > 20
    assert _flood("What share of the dry land (not water) is more than 20 m from any water "
                  "body?", flood) == pytest.approx(_share(dry & far, dry), rel=1e-9)


def test_a_legend_gloss_names_its_class():
    from geoquant.segment import Vocabulary
    dubai = Vocabulary(["Building", "Land (unpaved area)", "Road"])
    assert dubai.find("unpaved land") == dubai.find("unpaved area") == "land (unpaved area)"
    assert dubai.find("unpaved") == "land (unpaved area)"
    nlcd = Vocabulary(["Barren Land (Rock/Sand/Clay)"])
    assert nlcd.find("rock/sand/clay") is None          # a list in brackets is no other name


@pytest.mark.parametrize("question", ["approx. forest area in m²", "What is the forest area, "
                                      "approx., in m²?", "ca. how much forest is there, in m²?"])
def test_abbreviations_with_a_dot_are_no_sentence_end(raster, question):
    value, _ = _value(question, raster)
    assert value == pytest.approx((CODES == 2).sum() * PX * PX, rel=1e-9)


def test_objects_on_the_edge_of_the_image(raster):
    labels, _ = _objects(CODES == 2)
    border = np.zeros(CODES.shape, bool)
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
    want = len(np.unique(labels[border & VALID & (labels > 0)]))
    for question in ("How many forest patches touch the edge of the image?",
                     "How many forest patches touch the map border?"):
        assert _value(question, raster)[0] == want


def test_pixel_counts_are_refused_not_read_as_patches():
    from geoquant.reason import plan_question
    for question in ("How many forest pixels are there?", "how many pixels are forest?"):
        with pytest.raises(QuestionError, match="not pixels"):
            plan_question(question)
    plan_question("How many forest patches are within 100 m of any water pixel?")
