"""Issue 32 item 15: a key written twice in a YAML configuration is refused, not silently
overridden by the last (PyYAML's default); an impossible date is named with its key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geoquant.errors import ConfigError

REGION = {"type": "Polygon", "coordinates": [[[14.55, 45.86], [14.57, 45.86], [14.57, 45.88],
                                              [14.55, 45.88], [14.55, 45.86]]]}
BASE = """\
name: site-watch
catalog: http://127.0.0.1:8080/
output: out/watch.zarr
cadence: daily
start: 2015-07-01
regions:
  - {name: box, bbox: [14.55, 45.86, 14.57, 45.88]}
sources:
  - name: ndvi
    collection: slovenia-s2-ndvi
    classes:
      vegetation: {band: ndvi, above: 0.3}
    metrics: [vegetation_share_percent]
"""


def _config(tmp_path: Path, text: str) -> Path:
    (tmp_path / "site.geojson").write_text(json.dumps(REGION))
    path = tmp_path / "watch.yaml"
    path.write_text(text)
    return path


def test_the_base_config_is_valid(tmp_path):
    from geoquant.monitor import load_config

    assert load_config(_config(tmp_path, BASE)).cadence.text == "daily"


@pytest.mark.parametrize(("text", "expected"), [
    (BASE + "cadence: weekly\n", "the key 'cadence' twice, at lines 4 and 14"),
    (BASE.replace("    collection: slovenia-s2-ndvi\n",
                  "    collection: slovenia-s2-ndvi\n    collection: camargue-s1\n"),
     "the key 'collection' twice, at lines 10 and 11"),
    (BASE.replace("{band: ndvi, above: 0.3}", "{band: ndvi, above: 0.3, above: 0.5}"),
     "the key 'above' twice, on line 12"),
])
def test_a_key_given_twice_is_refused_with_both_lines(tmp_path, text, expected):
    from geoquant.monitor import load_config

    with pytest.raises(ConfigError) as info:
        load_config(_config(tmp_path, text))
    assert expected in str(info.value) and "keep one" in str(info.value)


def test_the_command_line_exits_2_with_one_line(tmp_path, capsys):
    from geoquant.cli import main

    path = _config(tmp_path, BASE + "cadence: weekly\n")
    assert main(["monitor", "status", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "twice" in err


def test_a_cluster_definition_with_a_key_twice_is_refused(tmp_path):
    from geoquant._yaml import load_yaml

    with pytest.raises(ConfigError, match="'workers' twice"):
        load_yaml("workers: 2\nthreads: 1\nworkers: 4\n", source="cluster.yaml")
    assert load_yaml("a: [1, 1]\nb: {x: 1}\n", source="ok.yaml") == {"a": [1, 1], "b": {"x": 1}}


@pytest.mark.parametrize("start", ["2021-13-45", "2021-02-30", "2021-02-30T10:00:00Z"])
def test_an_impossible_start_in_the_yaml_file_is_named_with_its_key(tmp_path, start, capsys):
    """PyYAML reads ``2021-13-45`` as a date and fails with a bare ValueError (exit 1)."""
    from geoquant.cli import main
    from geoquant.monitor import load_config

    path = _config(tmp_path, BASE.replace("start: 2015-07-01", f"start: {start}"))
    with pytest.raises(ConfigError, match=f"start: cannot read '{start}' as a date"):
        load_config(path)
    assert main(["monitor", "status", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"'{start}'" in err
