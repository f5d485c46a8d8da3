"""Configuration files: every problem named (unknown keys with the closest known key, missing
keys, wrong kinds), regions read through the sources' region handling, the docs example valid."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from geoquant.errors import ConfigError, RegionError
from geoquant.monitor import load_config

ROOT = Path(__file__).resolve().parents[2]
REGION = {"type": "Polygon", "coordinates": [[[14.55, 45.86], [14.57, 45.86], [14.57, 45.88],
                                              [14.55, 45.88], [14.55, 45.86]]]}
VALID = """\
name: site-watch
catalog: http://127.0.0.1:8080/
output: out/watch.zarr
cadence: daily
start: 2015-07-01
regions:
  - name: site
    geojson: site.geojson
  - {name: box, bbox: [14.55, 45.86, 14.57, 45.88]}
sources:
  - name: ndvi
    collection: slovenia-s2-ndvi
    regions: [site]
    query: {eo:cloud_cover: {lt: 50}}
    classes:
      vegetation: {band: ndvi, above: 0.3}
      trees: {band: ndvi, above: 0.6}
    metrics:
      - vegetation_share_percent
      - forest_area_ha
      - {name: big_patches, class: forest, measure: count, min_area_m2: 10000}
      - {name: edges, class: forest, measure: fragmentation, index: edge_density}
  - name: s1
    collection: camargue-s1
    segmenter: sar-water
    metrics: [water_area_km2]
alerts:
  - {metric: vegetation_share_percent, below: 40}
  - {name: loss, metric: forest_area_ha, change_per_year_percent_below: -5, source: ndvi}
hook: notify --to "ops team"
"""


def _write(tmp_path: Path, text: str, *, region: object = REGION) -> Path:
    if region is not None:
        (tmp_path / "site.geojson").write_text(json.dumps(region))
    path = tmp_path / "watch.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def _error(tmp_path: Path, text: str, kind=ConfigError, **kwargs) -> str:
    with pytest.raises(kind) as info:
        load_config(_write(tmp_path, text, **kwargs))
    message = str(info.value)
    assert "\n" not in message          # one line on the command line
    return message


def test_a_valid_config_becomes_frozen_specs(tmp_path):
    config = load_config(_write(tmp_path, VALID))
    assert config.name == "site-watch" and config.catalog == "http://127.0.0.1:8080"
    assert config.output == tmp_path / "out" / "watch.zarr"          # from the file's folder
    assert config.alerts_file == tmp_path / "out" / "watch.alerts.jsonl"
    assert config.cadence.seconds == 86400 and config.start == "2015-07-01T00:00:00Z"
    assert config.hook == ("notify", "--to", "ops team")
    ndvi, s1 = config.sources
    assert [c.name for c in ndvi.classes] == ["vegetation", "forest"]  # "trees" is forest
    assert ndvi.segmenter == "bands" and ndvi.masks == ("vegetation", "forest")
    assert [(m.name, m.measure, m.unit) for m in ndvi.metrics] == [
        ("vegetation_share_percent", "share", "%"), ("forest_area_ha", "area", "ha"),
        ("big_patches", "count", "patches"), ("edges", "fragmentation", "m/ha")]
    assert ndvi.metrics[2].min_area_m2 == 10000
    assert [(r.name, s.name) for r, s in config.series()] == [("site", "ndvi"), ("site", "s1"),
                                                              ("box", "s1")]
    assert config.alerts[0].name == "vegetation_share_percent below 40"
    assert config.alerts[1].condition == "change_per_year_percent_below"
    with pytest.raises(AttributeError):
        config.name = "other"   # frozen


def test_unknown_keys_are_named_with_the_closest_known_key(tmp_path):
    text = VALID.replace("cadence: daily", "cadense: daily").replace(
        "    collection: camargue-s1", "    colection: camargue-s1")
    message = _error(tmp_path, text)
    assert "unknown key 'cadense' (did you mean 'cadence'?)" in message
    assert "missing key 'cadence'" in message
    assert "sources[1]: unknown key 'colection' (did you mean 'collection'?)" in message
    assert "sources[1]: missing key 'collection'" in message


def test_missing_keys_are_named(tmp_path):
    message = _error(tmp_path, "name: x\ncatalog: http://h\nregions: []\n")
    assert "missing keys 'output', 'cadence', 'sources'" in message
    assert "regions: must list at least one entry" in message


@pytest.mark.parametrize(("change", "expected"), [
    (("cadence: daily", "hook_timeout_s: ten\ncadence: daily"),
     "hook_timeout_s: must be a finite number, got str 'ten'"),
    (("cadence: daily", "cadence: fortnightly"), "'fortnightly' is not a cadence"),
    (("catalog: http://127.0.0.1:8080/", "catalog: /srv/catalog"), "must be the URL of a STAC"),
    (("- vegetation_share_percent", "- vegetation_shar_percent"),
     "did you mean 'vegetation_share_percent'?"),
    (("index: edge_density", "index: edge_densty"), "did you mean 'edge_density'?"),
    (("metrics: [water_area_km2]", "metrics: [forest_area_km2]"),
     "class 'forest' is not scored by this source; it has water"),
    (("{metric: vegetation_share_percent, below: 40}",
      "{metric: vegetation_shares, below: 40}"), "no source measures 'vegetation_shares'"),
    (("{metric: vegetation_share_percent, below: 40}",
      "{metric: vegetation_share_percent, below: 40, above: 90}"),
     "give exactly one condition"),
    (("above: 0.3}", "above: 0.3, below: 0.2}"), "'above' (0.3) must be less than 'below'"),
    (("trees: {band", "tres: {band"), "unknown class 'tres'"),
    (("trees: {band", "forest: {band: ndvi, above: 0.5}\n      trees: {band"),
     "'trees' is the class 'forest', defined already"),
    (("- name: site\n", "- name: my/site\n"), "'my/site' is not a valid name"),
    (("segmenter: sar-water", "segmenter: sar"), "unknown segmenter 'sar'"),
    (("query: {eo:cloud_cover: {lt: 50}}", "query: {eo:cloud_cover: {less: 50}}"),
     "unknown operator 'less'"),
    (("- forest_area_ha", "- clear_percent"), "metric name 'clear_percent' is reserved"),
])
def test_wrong_values_are_named(tmp_path, change, expected):
    old, new = change
    assert old in VALID
    assert expected in _error(tmp_path, VALID.replace(old, new, 1))


def test_all_problems_come_in_one_message(tmp_path):
    text = VALID.replace("cadence: daily", "cadence: often").replace(
        "- forest_area_ha", "- forest_area_hectares")
    message = _error(tmp_path, text)
    assert "cadence:" in message and "forest_area_hectares" in message


def test_questions_are_planned_when_the_config_is_read(tmp_path):
    edges = "- {name: edges, class: forest, measure: fragmentation, index: edge_density}"
    ok = VALID.replace(edges, '- {name: q, question: "What share of the area is forest?"}')
    assert load_config(_write(tmp_path, ok)).sources[0].metrics[3].measure == "question"
    unreadable = VALID.replace(edges, "- {name: q, question: 'Why is the sky blue?'}")
    assert "sources[0].metrics[3].question:" in _error(tmp_path, unreadable)
    change = VALID.replace(edges, '- {name: q, question: "How much forest area was lost '
                                  'between 2018 and 2023?"}')
    assert "alert rules compare dates" in _error(tmp_path, change)


def test_yaml_that_does_not_parse_names_the_line(tmp_path):
    message = _error(tmp_path, VALID.replace("cadence: daily", "cadence: [daily"))
    assert "is not valid YAML at line" in message


def test_a_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "is not valid GeoJSON"),
    (json.dumps({"type": "Feature", "properties": {}}), "is not valid GeoJSON"),
    (json.dumps({"type": "Point", "coordinates": [14.5, 45.8]}), "got type 'Point'"),
    (json.dumps({"type": "Polygon", "coordinates": [[[14.5, 45.8], [14.6, 45.8]]]}),
     "is not valid GeoJSON"),
    (json.dumps({"type": "Polygon", "coordinates": [[[14.5, 45.8], [14.5, 45.8], [14.5, 45.8],
                                                     [14.5, 45.8]]]}), "empty"),
])
def test_a_region_file_that_is_not_geojson_is_a_region_error(tmp_path, content, expected):
    (tmp_path / "site.geojson").write_text(content)
    message = _error(tmp_path, VALID, kind=RegionError, region=None)
    assert expected in message and "site.geojson" in message


def test_a_missing_region_file_is_a_region_error(tmp_path):
    message = _error(tmp_path, VALID, kind=RegionError, region=None)
    assert "site.geojson does not exist" in message


def test_the_documented_example_is_valid():
    config = load_config(ROOT / "docs" / "monitor.example.yaml")
    assert config.name == "demo-sites"
    assert {s.name for s in config.sources} == {"ndvi", "s1"}
    assert {a.name for a in config.alerts} == {"flooding", "vegetation-low", "forest-loss"}
    text = (ROOT / "docs" / "monitoring.md").read_text()
    for key in ("name", "catalog", "output", "cadence", "regions", "sources", "alerts",
                "alerts_file", "hook", "hook_timeout_s", "start", "min_clear_percent",
                "threshold_db", "window_days", "min_span_days", "masks", "classes"):
        assert f"`{key}`" in text, key        # every key is documented
    assert "OnCalendar=" in text and "* * *" in text   # a systemd timer and a crontab line


def test_yaml_aliases_and_oversized_configs_are_refused(tmp_path):
    """A billion-laughs config would grow without bound; a huge value must not make a huge
    message."""
    from geoquant.monitor import load_config

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text('a: &a ["x","x","x","x","x","x","x","x","x"]\n'
                    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
                    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
                    'name: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n')
    with pytest.raises(ConfigError, match=r"uses the YAML alias \*a at line 2"):
        load_config(bomb)
    big = tmp_path / "big.yaml"
    big.write_text("name: " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(ConfigError, match="larger than 1024 KiB"):
        load_config(big)
    long_value = tmp_path / "long.yaml"
    long_value.write_text("name: n\ncatalog: http://127.0.0.1:9\noutput: o.zarr\n"
                          "cadence: " + "y" * 500_000 + "\nregions: []\nsources: []\n")
    with pytest.raises(ConfigError) as info:
        load_config(long_value)
    assert len(str(info.value)) < 3000 and "characters)" in str(info.value)


def test_an_unknown_crs_and_an_impossible_start_are_named_together(tmp_path):
    from geoquant.monitor._config import parse_config

    (tmp_path / "r.geojson").write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[6.5, 46.5], [6.6, 46.5], [6.6, 46.6], [6.5, 46.5]]]}))
    document = {"name": "n", "catalog": "http://127.0.0.1:9", "output": "o.zarr",
                "cadence": "daily", "start": "2021-13-45",
                "regions": [{"name": "r", "geojson": "r.geojson"}],
                "sources": [{"name": "s", "collection": "c", "crs": "EPSG:999999",
                             "metrics": ["vegetation_share_percent"]}]}
    with pytest.raises(ConfigError) as info:
        parse_config(document, base=tmp_path)
    assert "cannot read '2021-13-45'" in str(info.value)
    assert "'EPSG:999999' is not a CRS geoquant knows" in str(info.value)
