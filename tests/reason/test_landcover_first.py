"""Land-cover products first: answers from a catalog's land-cover collection when it knows the
question's classes, from the imagery otherwise, and the provenance says which (real STAC API
on loopback over the demo catalog)."""

import json

import pytest

import geoquant as gq
from geoquant.errors import InvalidOptionError


def test_a_known_class_is_answered_by_the_land_cover_collection(demo_api):
    imagery = f"{demo_api}/collections/slovenia-s2-l1c"
    answer = gq.ask("What share of the area is forest?", source=imagery, landcover="auto")
    reference = gq.ask("What share of the area is forest?",
                       source=f"{demo_api}/collections/slovenia-lulc")
    decided = answer.provenance["decided_by"]
    assert decided["kind"] == "land-cover collection"
    assert decided["source"].endswith("/collections/slovenia-lulc")
    assert answer.value == pytest.approx(reference.value)      # 76.43 %, not the rules' 64.6 %
    assert "slovenia-lulc" in json.dumps(answer.to_dict())


def test_a_class_the_product_lacks_stays_with_the_imagery(demo_api):
    imagery = f"{demo_api}/collections/slovenia-s2-l1c"
    answer = gq.ask("What share of the area is water?", source=imagery, landcover="auto")
    plain = gq.ask("What share of the area is water?", source=imagery)
    decided = answer.provenance["decided_by"]
    assert decided["kind"] == "imagery" and "slovenia-lulc lacks water" in decided["why"]
    assert answer.value == pytest.approx(plain.value)


def test_landcover_needs_a_stac_imagery_collection(demo_api):
    with pytest.raises(InvalidOptionError, match="beside a STAC imagery collection"):
        gq.ask("What share of the area is forest?", source="/data/forest.tif",
               landcover="auto")


def test_imagery_without_a_quality_layer_is_composited_from_detected_clear_views(
        demo_catalog, tmp_path):
    """The demo L1C collection with its CLM cloud masks removed: ask detects clouds from the
    bands (s2cloudless) and composites the clear views, as it does with CLM."""
    import shutil

    from geoquant.sources import CatalogServer

    pytest.importorskip("s2cloudless")
    folder = tmp_path / "catalog"
    shutil.copytree(demo_catalog / "slovenia-s2-l1c", folder / "slovenia-s2-l1c")
    items_file = folder / "slovenia-s2-l1c" / "items.json"
    items = json.loads(items_file.read_text())
    for item in items["features"]:
        item["assets"].pop("CLM", None)
    items_file.write_text(json.dumps(items))
    with CatalogServer(folder) as api:
        answer = gq.ask("What share of the area is forest?",
                        source=f"{api.url}/collections/slovenia-s2-l1c", thresholds=None)
    with CatalogServer(demo_catalog) as api:
        with_clm = gq.ask("What share of the area is forest?",
                          source=f"{api.url}/collections/slovenia-s2-l1c", thresholds=None)
    assert answer.provenance["clear_sky"].startswith("s2cloudless")
    assert with_clm.provenance["clear_sky"] == "the items' quality layer"
    # s2cloudless agrees with CLM on these scenes (sources/test_clouds.py): the same answer.
    assert answer.value == pytest.approx(with_clm.value, abs=0.5)
