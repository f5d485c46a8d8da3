"""Bad input, as a hostile user gives it: one line on stderr naming what to change, exit 2,
never a traceback; and fuzzing of plans, rasters and configs with hypothesis: only geoquant's
own errors come out."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoquant.errors import GeoquantError


def _cli(*args, cwd=None):
    done = subprocess.run([sys.executable, "-m", "geoquant.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300, cwd=cwd)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture(scope="module")
def rasters(shared_data, tmp_path_factory):
    import rasterio

    folder = tmp_path_factory.mktemp("bad")
    lausanne = shared_data / "real" / "lausanne-landuse" / "ls100_06.tif"
    truncated = folder / "truncated.tif"
    truncated.write_bytes(lausanne.read_bytes()[:3000])
    empty = folder / "nodata.tif"
    with rasterio.open(lausanne) as src:
        profile = src.profile
    with rasterio.open(empty, "w", **profile) as dst:
        dst.write(np.full((profile["height"], profile["width"]), 255, np.uint8), 1)
    bad_region = folder / "bowtie.geojson"
    bad_region.write_text(json.dumps({"type": "Polygon", "coordinates": [
        [[6.5, 46.5], [6.7, 46.6], [6.7, 46.5], [6.5, 46.65], [6.5, 46.5]]]}))
    bomb = folder / "bomb.yaml"
    bomb.write_text("a: &a [x, x]\nb: [*a, *a]\n")
    return {"lausanne": lausanne, "truncated": truncated, "nodata": empty,
            "bowtie": bad_region, "bomb": bomb, "folder": folder}


CASES = [
    ("missing raster", ["ask", "What share of the area is code 12?", "--source",
                        "{folder}/nope.tif", "--product", "codes"], "does not exist"),
    ("truncated raster", ["ask", "What share of the area is code 12?", "--source",
                          "{truncated}", "--product", "codes"], "read"),
    ("region outside", ["ask", "What share of the area is code 12?", "--source", "{lausanne}",
                        "--product", "codes", "--bbox", "100", "10", "100.1", "10.1"],
     "outside the rasters"),
    ("reversed bbox", ["ask", "What share of the area is code 12?", "--source", "{lausanne}",
                       "--product", "codes", "--bbox", "6.7", "46.6", "6.5", "46.5"], "bbox"),
    ("invalid polygon", ["ask", "What share of the area is code 12?", "--source", "{lausanne}",
                         "--product", "codes", "--region", "{bowtie}"], "invalid"),
    ("unreadable date", ["ask", "What share of the area is code 12?", "--source", "{lausanne}",
                         "--product", "codes", "--datetime", "next week"], "cannot read"),
    ("zero chunk", ["survey", "synthetic:64", "--codes", "1", "--chunk", "0"], "--chunk"),
    ("negative chunk", ["survey", "synthetic:64", "--codes", "1", "--chunk", "-5"], "--chunk"),
    ("no valid pixel", ["survey", "{nodata}", "--codes", "12", "--quiet"], "no valid pixel"),
    ("alias bomb", ["monitor", "run", "{bomb}"], "alias"),
    ("unplannable", ["ask", "Why is the sky blue?", "--source", "{lausanne}"], "cannot"),
    ("bad gsd", ["ask", "What share is forest?", "--source", "{lausanne}", "--gsd", "-1"],
     "gsd"),
]


@pytest.mark.parametrize(("case", "args", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_exit_2(rasters, case, args, expected):
    args = [a.format(**rasters) for a in args]
    code, _, err = _cli(*args, cwd=rasters["folder"])
    lines = [line for line in err.strip().splitlines()
             if not line.startswith("[")]        # progress lines ("[1/4] planned ...")
    assert code == 2, err[-3000:]
    assert len(lines) == 1 and lines[0].startswith("geoquant: error:"), err[-3000:]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in err


def test_ask_json_is_strict_json_even_for_an_undefined_answer(rasters):
    code, out, err = _cli("ask", "What is the minimum distance between code 12 and code 99?",
                          "--source", rasters["lausanne"], "--product", "codes", "--json",
                          "--quiet")
    assert code == 0, err
    answer = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert answer["value"] is None


def test_a_source_that_is_not_a_raster_is_named():
    from geoquant.errors import InvalidOptionError
    from geoquant.reason import ask

    with pytest.raises(InvalidOptionError, match="got int '42'"):
        ask("What share of the area is forest?", source=42)


# --- fuzzing -----------------------------------------------------------------------------------

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                     st.text(max_size=12))
_JSON = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20)
_STEP = st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "c", "1x", ""]),
                               "op": st.sampled_from(["mask", "area", "count", "near",
                                                      "compare", "union", "nope"])},
                              optional={"of": st.one_of(st.sampled_from(["a", "b"]), _JSON),
                                        "class": st.one_of(st.sampled_from(["forest", "x"]),
                                                           _JSON),
                                        "distance_m": _SCALARS, "unit": _SCALARS,
                                        "to": _SCALARS, "comparison": _SCALARS})


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_JSON, st.fixed_dictionaries(
    {"version": st.sampled_from([1, 2, "1"]), "steps": st.lists(_STEP, max_size=5),
     "answer": st.sampled_from(["a", "b", "c", 3])})))
def test_any_plan_document_is_validated_or_refused_with_a_geoquant_error(document):
    from geoquant.reason import validate

    try:
        validate(document)
    except GeoquantError:
        pass


@settings(deadline=None)
@given(st.binary(max_size=4096))
def test_any_bytes_as_a_raster_are_read_or_refused_with_a_geoquant_error(tmp_path_factory,
                                                                          data):
    from geoquant import sources

    path = tmp_path_factory.mktemp("fuzz") / "x.tif"
    path.write_bytes(b"II*\x00" + data)
    try:
        arr = sources.open_raster(path)
        arr.values  # noqa: B018 - read every pixel
    except GeoquantError:
        pass


@settings(deadline=None)
@given(_JSON)
def test_any_monitor_config_document_is_refused_with_a_geoquant_error(tmp_path_factory,
                                                                      document):
    from geoquant.monitor._config import parse_config

    try:
        parse_config(document, base=tmp_path_factory.mktemp("cfg"))
    except GeoquantError:
        pass


@settings(deadline=None)
@given(st.text(max_size=200))
def test_any_question_is_planned_or_refused_with_a_geoquant_error(question):
    from geoquant.reason import plan_question

    try:
        plan_question(question)
    except GeoquantError:
        pass


@pytest.mark.parametrize(("raised", "expected", "code"), [
    (OSError(28, "No space left on device", "/full/disk/a.zarr"), "No space left", 2),
    ("KilledWorker", "a worker was killed", 2),
    (RuntimeError("something unforeseen"), "GEOQUANT_DEBUG", 1),
])
def test_failures_outside_the_input_are_one_line_too(monkeypatch, capsys, raised, expected,
                                                     code):

    from geoquant import cli

    if raised == "KilledWorker":       # distributed's exception, as the scheduler raises it
        raised = type("KilledWorker", (Exception,), {})("task ('survey', 3) lost 3 workers")

    def fail(args):
        raise raised

    parser = cli.build_parser()
    monkeypatch.setattr(cli, "build_parser", lambda: _Parser(parser, fail))
    assert cli.main(["demo"]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0]


class _Parser:
    def __init__(self, parser, run):
        self.parser, self.run = parser, run

    def parse_args(self, argv):
        args = self.parser.parse_args(argv)
        args.run = self.run
        return args
