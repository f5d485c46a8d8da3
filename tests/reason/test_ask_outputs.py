"""``ask --out`` publishes its three outputs together: a late failure keeps the previous ones
whole, a run killed at any point of publishing is finished by the next, and staging folders
of dead runs are cleared."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

import geoquant as gq

QUESTION = "What share of the image is forest? (GSD: 100m)"


@pytest.fixture(scope="module")
def picture(shared_data, tmp_path_factory):
    from PIL import Image

    from geoquant.testing.squid import lausanne_indices

    path = tmp_path_factory.mktemp("pictures") / "lausanne.png"
    Image.fromarray(lausanne_indices(shared_data, 2006), mode="L").save(path)
    return path


LEGEND = {"5": "forest", "3": "water"}


def _outputs(out):
    return [out, out.with_suffix(".json"), out.with_suffix(".png")]


def _ask(picture, out, question=QUESTION, **kw):
    return gq.ask(question, source=str(picture), product=LEGEND, out=out, thresholds=None,
                  **kw)


def test_a_late_failure_keeps_the_previous_outputs_whole(picture, tmp_path, monkeypatch):
    out = tmp_path / "a.zarr"
    first = _ask(picture, out)
    before = {p.name: (p.stat().st_mtime_ns if p.is_file() else None) for p in _outputs(out)}
    from geoquant import sinks

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sinks, "write_json", broken)
    with pytest.raises(OSError, match="No space left"):
        _ask(picture, out, "What share of the image is water? (GSD: 100m)", overwrite=True)
    assert all(p.exists() for p in _outputs(out))
    assert json.loads(out.with_suffix(".json").read_text())["value"] == first.value
    assert {p.name: (p.stat().st_mtime_ns if p.is_file() else None)
            for p in _outputs(out)} == before
    assert not list(tmp_path.glob(".a.ask-*"))               # no staging left behind


KILL_WHILE_PUBLISHING = """\
import os, signal, sys
calls = {"n": 0}
real = os.rename
def rename(a, b):
    real(a, b)
    calls["n"] += 1
    if calls["n"] == int(sys.argv[3]):
        os.kill(os.getpid(), signal.SIGKILL)
os.rename = rename
import geoquant as gq
gq.ask("What share of the image is water? (GSD: 100m)", source=sys.argv[1],
       product={"5": "forest", "3": "water"}, out=sys.argv[2], overwrite=True, thresholds=None)
"""


# The renames: 1-2 stage the new zarr and json (no ready list yet: the staging is removed),
# 3-5 set the previous zarr, json and png aside, 6-8 move the new ones in. 2, 3 and 6 are one
# kill in each phase in the default run; 1, 5 and 7 repeat a phase (3-4 s each), in the slow run.
@pytest.mark.parametrize("kill_after", [
    pytest.param(1, marks=pytest.mark.slow), 2, 3, pytest.param(5, marks=pytest.mark.slow), 6,
    pytest.param(7, marks=pytest.mark.slow)])
def test_a_run_killed_while_publishing_is_finished_by_the_next(picture, tmp_path, kill_after):
    out = tmp_path / "a.zarr"
    _ask(picture, out)                                        # the previous outputs: forest
    died = subprocess.run([sys.executable, "-c", KILL_WHILE_PUBLISHING, str(picture), str(out),
                           str(kill_after)], capture_output=True, text=True, timeout=300)
    assert died.returncode == -signal.SIGKILL, died.stderr[-2000:]
    from geoquant.reason._ask import recover_outputs

    done = recover_outputs({"zarr": out, "json": out.with_suffix(".json"),
                            "png": out.with_suffix(".png")})
    assert len(done) == 1
    assert all(p.exists() for p in _outputs(out))            # all three, never one alone
    saved = json.loads(out.with_suffix(".json").read_text())
    store = gq.sinks.open_zarr(out)
    assert json.loads(store.attrs["geoquant_answer"])["question"] == saved["question"]
    # killed while staging: the previous outputs; killed while publishing: the new ones
    new = saved["question"].startswith("What share of the image is water")
    assert new == done[0].startswith("finished publishing")
    assert not list(tmp_path.glob(".a.ask-*"))


def test_unfinished_staging_of_a_dead_run_is_removed(picture, tmp_path):
    out = tmp_path / "a.zarr"
    stale = tmp_path / ".a.ask-999999999-deadbeef"
    (stale / "new").mkdir(parents=True)
    (stale / "new" / "a.json").write_text("{")
    _ask(picture, out)
    assert not stale.exists() and all(p.exists() for p in _outputs(out))


# --- a change answer says where it was measured ---------------------------------------------

LAUSANNE = ("real/lausanne-landuse/ls100_06.tif", "real/lausanne-landuse/ls100_12.tif")


def test_change_answer_states_the_common_extent_and_the_whole_map_figures(shared_data,
                                                                          tmp_path):
    """Real land-use maps of 2006 and 2012 whose mapped areas differ (2012 maps pixels where
    2006 has no data): the change is measured on the common extent, and value text, summary,
    JSON and picture caption say so, with each date's whole-map figures beside it."""
    import numpy as np
    import rasterio

    maps = {}
    for year, name in zip((2006, 2012), LAUSANNE, strict=True):
        with rasterio.open(shared_data / name) as src:
            maps[year] = (src.read(1), abs(src.res[0] * src.res[1]), src.nodata)
    out = tmp_path / "change.zarr"
    answer = gq.ask("How much did the area of code 2 change between 2006 and 2012 in ha?",
                    source=[str(shared_data / n) for n in LAUSANNE], product="codes", out=out)
    extent = answer.provenance["change_extent"]
    # each date's own mapped area and class area (files without dates: "before", "after"),
    # from the files themselves (the two grids are resampled onto one by nearest neighbour:
    # within half a percent)
    for year, label in ((2006, "before"), (2012, "after")):
        codes, pixel_m2, nodata = maps[year]
        assert extent["mapped_area_m2"][label] == pytest.approx(
            np.sum(codes != nodata) * pixel_m2, rel=5e-3)
        assert extent["whole_extent"][f"area_{label}"]["value"] == pytest.approx(
            np.sum(codes == 2) * pixel_m2 / 1e4, rel=5e-3)
    common = extent["common_area_m2"]
    assert common < min(extent["mapped_area_m2"].values())
    whole = extent["whole_extent_value"]
    assert whole == pytest.approx(np.sum(maps[2012][0] == 2) * maps[2012][1] / 1e4
                                  - np.sum(maps[2006][0] == 2) * maps[2006][1] / 1e4, abs=5.0)
    assert abs(whole - answer.value) > 50          # 81 ha on the common extent, ~200 ha whole
    says = "mapped on both dates"
    assert says in answer.text() and f"{common / 1e6:,.1f} km²" in answer.text()
    assert f"Extent: Measured over the {common / 1e6:,.1f} km² {says}" in answer.summary()
    assert "Over each date's whole map instead" in answer.summary()
    saved = json.loads(out.with_suffix(".json").read_text())
    assert says in saved["text"] and saved["provenance"]["change_extent"]["covers"] == \
        "the area mapped on both dates"
    assert extent["text"] in answer.caption() and "misregistration" in answer.caption()


def test_change_quicklook_names_every_colour_it_draws(shared_data, tmp_path):
    """The quick-look of a real change answer (two land-use maps): every pixel of the picture
    is a colour its legend names (the class before, after, in both, the mapped area, the
    hatched no data), no data is hatched rather than drawn white like the page, the subject
    colour is there, and the legend names the steps in words."""
    import io

    import numpy as np
    from PIL import Image

    from geoquant.reason.answers import _picture
    from geoquant.sinks import _png

    answer = gq.ask("How much did the area of code 2 change between 2006 and 2012 in ha?",
                    source=[str(shared_data / n) for n in LAUSANNE], product="codes",
                    thresholds=None)
    masks = [(name, answer.evidence[name].compute()) for name in ("code_2_after",
                                                                  "code_2_before")]
    buffer = io.BytesIO()
    _picture.draw(buffer, None, masks, answer.caption())
    page = np.asarray(Image.open(buffer).convert("RGB"))
    # the picture ends at the first all-white row (the gap above the caption): no data is
    # hatched, so no row of the picture is white like the page
    height = int(np.argmax((page == 255).all(axis=-1).all(axis=1)))
    assert height >= 480 * 325 / 472 * 0.8
    picture = page[:height].reshape(-1, 3)
    mapped = np.asarray(_picture.MAPPED, float)
    named = {_picture.MAPPED, _picture.OVERLAP, *_png.HATCH}
    for colour, alpha in zip(_picture.OVERLAY[:2], _picture.ALPHA, strict=True):
        named.add(tuple(((1 - alpha) * mapped + alpha * np.asarray(colour)).astype(np.uint8)))
    found = {tuple(int(v) for v in c) for c in np.unique(picture, axis=0)}
    assert found <= named, found - named
    subject = tuple(((1 - _picture.ALPHA[0]) * mapped
                     + _picture.ALPHA[0] * np.asarray(_picture.OVERLAY[0])).astype(np.uint8))
    assert {subject, _picture.OVERLAP, _png.HATCH[1]} <= found
