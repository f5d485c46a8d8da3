"""SQuID's own layout end to end: plain PNG masks with the GSD in the question, records as
JSON lines or parquet with embedded images, yes/no as 1/0, connected/fragmented answers,
scored by type and tier; answers checked against scipy (geoquant.testing.reference)."""

from __future__ import annotations

import json

import pytest

from geoquant.cli import main
from geoquant.errors import InvalidOptionError
from geoquant.reason import evaluate
from geoquant.reason.evaluation._eval import Record, is_correct, read_questions


@pytest.fixture(scope="module")
def fixture(shared_data, tmp_path_factory):
    from geoquant.testing.squid import write_fixture

    return write_fixture(tmp_path_factory.mktemp("squid"), shared_data)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_the_fixture_is_plain_pictures_with_the_gsd_in_the_question(fixture):
    import rasterio

    records = [json.loads(line) for line in fixture.read_text().splitlines()]
    assert len(records) >= 12 and {r["tier"] for r in records} == {1, 2, 3}
    for record in records:
        assert "(GSD:" in record["question"]
        with rasterio.open(fixture.parent / record["image"]) as image:
            assert image.crs is None                       # no georeferencing at all
    assert {r["answer"] for r in records if r["type"] == "binary"} <= {0, 1}
    assert {r["answer"] for r in records if r["type"] == "connectivity"} <= {"connected",
                                                                            "fragmented"}


def test_every_answer_is_right_by_squids_rule(fixture):
    report = evaluate(fixture)
    assert [o.to_dict() for o in report.outcomes if not o.correct] == []
    assert set(report.by("tier")) == {"1", "2", "3"}
    assert report.by("type")["proximity"] == (100.0, 2)


def test_parquet_with_embedded_images_scores_the_same(fixture, tmp_path):
    """The embedded images are extracted into a private folder, not into --images (issue 32
    item 8): the given folder is only read, and stays as it was."""
    pytest.importorskip("pyarrow")
    (tmp_path / "images").mkdir()
    report = evaluate(fixture.with_suffix(".parquet"), images=tmp_path / "images")
    assert report.accuracy == 100.0
    assert list((tmp_path / "images").iterdir()) == []


def test_cli_eval_reads_the_fixture(fixture, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert main(["eval", str(fixture), "--report", str(out), "--quiet"]) == 0
    assert "accuracy 100.0%" in capsys.readouterr().out
    assert json.loads(out.read_text())["by_tier"]["3"]["accuracy"] == 100.0


@pytest.mark.parametrize(("value", "answer", "right"), [
    (True, 1, True), (False, 0, True), (True, 0, False), (True, "1", True),
    ("connected", "connected", True), ("fragmented", "Connected", False),
    ("connected", "Connected", True), (1, "connected", False),
])
def test_squid_answer_forms(value, answer, right):
    assert is_correct(value, Record("q", answer, None, None, "t", 1)) is right


def test_a_record_with_a_bad_gsd_is_named(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"question": "q", "answer": 1, "type": "count", "tier": 1,
                                 "acceptable_range_lower": None,
                                 "acceptable_range_upper": None, "gsd": "fine"}]))
    with pytest.raises(InvalidOptionError, match="gsd 'fine'"):
        read_questions(path)


def test_a_plain_picture_without_a_pixel_size_is_refused(fixture):
    from geoquant.errors import AssetError
    from geoquant.reason import ask

    with pytest.raises(AssetError, match="give its pixel size"):
        ask("How many forest patches are there?", source=str(fixture.parent /
                                                             "lausanne-2006.png"),
            product={"5": "forest"})


def test_a_gsd_that_contradicts_the_georeferencing_is_refused(demo_catalog):
    from geoquant.errors import AssetError
    from geoquant.reason import ask

    raster = demo_catalog.parent / "data" / "slovenia-lulc" / "LULC_2018" / "lulc.tif"
    if not raster.exists():
        from geoquant.demo import DEMO_DATA

        raster = DEMO_DATA / "slovenia-lulc" / "LULC_2018" / "lulc.tif"
    with pytest.raises(AssetError, match="contradicts"):
        ask("How many forest patches are there? (GSD: 0.5m)", source=str(raster),
            product="slovenia-lulc")
    answer = ask("How many forest patches are there? (GSD: 10m)", source=str(raster),
                 product="slovenia-lulc", thresholds=None)
    assert answer.value >= 1


def test_a_legend_word_of_the_source_is_a_class(fixture):
    from geoquant.reason import ask

    legend = {"1": "vineyard", "5": "forest", "6": "orchard"}
    answer = ask("What share of the image is orchard? (GSD: 100m)",
                 source=str(fixture.parent / "lausanne-2006.png"), product=legend,
                 thresholds=None)
    assert 0 < answer.value < 100
    with pytest.raises(Exception, match="did you mean 'vineyard'"):
        ask("How many vinyards are there? (GSD: 100m)",
            source=str(fixture.parent / "lausanne-2006.png"), product=legend)


def test_cli_ask_reads_a_colour_coded_picture_at_the_given_gsd(fixture, capsys):
    picture = str(fixture.parent / "slovenia-deepglobe.png")
    assert main(["ask", "What share of the image is forest?", "--source", picture,
                 "--product", "deepglobe", "--gsd", "10", "--json", "--quiet"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["unit"] == "%" and 70 < answer["value"] < 80
    assert answer["provenance"]["georeferencing"].startswith("local metric grid, 10 m")
    assert main(["ask", "What share of the image is forest?", "--source", picture,
                 "--product", "deepglobe", "--quiet"]) == 2
    assert "give its pixel size" in capsys.readouterr().err
