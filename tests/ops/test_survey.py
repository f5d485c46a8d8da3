"""survey: batched counts, areas and proximity equal whole-array scipy for any batching."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage as ndi

import geoquant as gq
from geoquant.errors import CheckpointError, InvalidOptionError
from geoquant.testing.rasters import as_raster
from geoquant.testing.strategies import chunk_sizes, masks, spiral

STRUCTURE = {8: np.ones((3, 3), bool), 4: None}
PIXEL = 10.0


def reference(mask: np.ndarray, near: np.ndarray | None, within_m: float | None,
              min_area_m2: float, connectivity: int) -> dict:
    """Whole-array answers with scipy: labels, areas, exact Euclidean distance."""
    valid = ~np.isnan(mask.astype(np.float64))
    objects = np.nan_to_num(mask.astype(np.float64), nan=0.0) > 0
    labels, n = ndi.label(objects, structure=STRUCTURE[connectivity])
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:] * PIXEL * PIXEL
    out = {"objects": n, "objects_min_area": int(np.count_nonzero(areas >= min_area_m2)),
           "area_m2": float(objects.sum() * PIXEL * PIXEL),
           "valid_area_m2": float(valid.sum() * PIXEL * PIXEL)}
    if near is not None:
        sources = np.nan_to_num(near.astype(np.float64), nan=0.0) > 0
        if sources.any():
            distance = ndi.distance_transform_edt(~sources, sampling=(PIXEL, PIXEL))
        else:
            distance = np.full(sources.shape, np.inf)
        close = objects & (distance <= within_m)
        ids = np.unique(labels[close])
        ids = ids[ids > 0]
        out["objects_near"] = int(np.count_nonzero(areas[ids - 1] >= min_area_m2))
        out["area_near_m2"] = float(close.sum() * PIXEL * PIXEL)
    return out


def check(result: gq.ops.Survey, expected: dict) -> None:
    for name, value in expected.items():
        assert getattr(result, name) == value, name


@st.composite
def cases(draw, max_side=20):
    mask = draw(masks(max_side=max_side, nodata=True))
    near = draw(st.one_of(st.none(), st.builds(
        lambda seed, p: np.random.default_rng(seed).random(mask.shape) < p,
        st.integers(0, 2**31 - 1), st.floats(0.0, 0.2))))
    chunks = (draw(chunk_sizes(mask.shape[0])), draw(chunk_sizes(mask.shape[1])))
    return mask, near, chunks


@settings(deadline=None)
@given(case=cases(), connectivity=st.sampled_from([8, 4]), tiles_per_batch=st.integers(1, 9),
       within_m=st.sampled_from([0.0, 10.0, 14.2, 35.0, 200.0]),
       min_area_m2=st.sampled_from([0.0, 200.0, 500.0]))
def test_survey_equals_scipy_for_any_chunking_and_batching(case, connectivity, tiles_per_batch,
                                                           within_m, min_area_m2):
    mask, near, chunks = case
    raster = as_raster(mask, chunks=chunks)
    near_raster = as_raster(near, chunks=chunks) if near is not None else None
    result = gq.ops.survey(raster, near=near_raster, within_m=within_m if near is not None
                           else None, min_area_m2=min_area_m2, connectivity=connectivity,
                           tiles_per_batch=tiles_per_batch)
    check(result, reference(mask, near, within_m if near is not None else None, min_area_m2,
                            connectivity))
    assert result.tiles == len(chunks[0]) * len(chunks[1])


@pytest.mark.parametrize("tiles_per_batch", [1, 2, 4, 1000])
def test_spiral_through_every_batch_is_one_object(tiles_per_batch):
    mask = spiral(61)
    result = gq.ops.survey(as_raster(mask, chunks=7), tiles_per_batch=tiles_per_batch)
    assert result.objects == 1
    assert result.area_m2 == mask.sum() * PIXEL * PIXEL


def test_synthetic_region_against_scipy_and_the_whole_array_operators():
    lc = gq.synth.landcover((1500, 1300), seed=4, chunks=(350, 250))
    forest, water = lc == 2, (lc == 1) | (lc == 7)
    result = gq.ops.survey(forest, near=water, within_m=500.0, min_area_m2=10_000.0,
                           tiles_per_batch=4)
    check(result, reference(forest.values, water.values, 500.0, 10_000.0, 8))
    assert result.objects == gq.ops.count(forest)
    assert result.area_near_m2 == gq.ops.area(gq.ops.within_distance(forest, water, 500.0))
    assert result.batches == 9 and result.tiles == 30


def test_numpy_mask_and_progress_lines():
    mask = np.random.default_rng(1).random((300, 200)) < 0.4
    lines = []
    result = gq.ops.survey(as_raster(mask), say=lines.append)
    check(result, reference(mask, None, None, 0.0, 8))
    assert len(lines) == 1 and "tiles" in lines[0] and "km²" in lines[0] and "left" in lines[0]


@pytest.mark.parametrize("within_m", [0.3, 0.6, float(np.hypot(0.3, 0.1)),
                                      float(np.hypot(0.6, 0.2))])
def test_distance_ties_do_not_depend_on_the_batching(within_m):
    """Pixel sizes not exact in binary, and distances exactly at the bound: every batch
    measures with the raster's pixel size, so ties fall the same way as on the whole array."""
    mask, near = np.ones((16, 8), bool), np.zeros((16, 8), bool)
    near[8, 4] = True
    rasters = [as_raster(m, resolution=(0.1, 0.3)) for m in (mask, near)]
    whole = gq.ops.area(gq.ops.within_distance(*rasters, within_m))
    for chunks, tiles_per_batch in (((1, 8), 1), ((3, 5), 2), ((16, 8), 1)):
        result = gq.ops.survey(*(r.chunk(dict(zip(r.dims, chunks, strict=True)))
                                 for r in rasters[:1]),
                               near=rasters[1].chunk(dict(zip(("y", "x"), chunks, strict=True))),
                               within_m=within_m, tiles_per_batch=tiles_per_batch)
        assert result.area_near_m2 == pytest.approx(whole, rel=1e-12), chunks


def test_checkpoint_resumes_without_recomputing(tmp_path):
    mask = np.random.default_rng(2).random((90, 80)) < 0.55
    raster = as_raster(mask, chunks=10)
    folder = tmp_path / "state"
    first = gq.ops.survey(raster, tiles_per_batch=4, checkpoint=folder)
    saved = sorted(folder.glob("batch-*.npz"))
    assert len(saved) == first.batches == 20
    for path in saved[5:]:
        path.unlink()  # as if the run had stopped after five batches
    lines = []
    again = gq.ops.survey(raster, tiles_per_batch=4, checkpoint=folder, say=lines.append)
    assert again.resumed_batches == 5
    assert lines[0].startswith("resumed 5 of 20 batches")
    assert (again.objects, again.area_m2) == (first.objects, first.area_m2)
    check(again, reference(mask, None, None, 0.0, 8))


def test_checkpoint_of_another_job_is_refused(tmp_path):
    mask = np.random.default_rng(3).random((40, 40)) < 0.5
    folder = tmp_path / "state"
    gq.ops.survey(as_raster(mask, chunks=10), tiles_per_batch=4, checkpoint=folder)
    before = sorted(p.read_bytes() for p in folder.iterdir())
    with pytest.raises(CheckpointError, match="another job.*min_area_m2"):
        gq.ops.survey(as_raster(mask, chunks=10), tiles_per_batch=4, min_area_m2=500.0,
                      checkpoint=folder)
    other = np.random.default_rng(4).random((40, 40)) < 0.5
    with pytest.raises(CheckpointError, match="another job.*mask"):
        gq.ops.survey(as_raster(other, chunks=10), tiles_per_batch=4, checkpoint=folder)
    assert sorted(p.read_bytes() for p in folder.iterdir()) == before
    # the same pixels read another way are another job
    coarser = as_raster(mask, chunks=10, resolution=20.0)
    with pytest.raises(CheckpointError, match="another job.*mask"):
        gq.ops.survey(coarser, tiles_per_batch=4, checkpoint=folder)
    other_nodata = as_raster(mask.astype(np.uint8), chunks=10).rio.write_nodata(0)
    with pytest.raises(CheckpointError, match="another job.*mask"):
        gq.ops.survey(other_nodata, tiles_per_batch=4, checkpoint=folder)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(CheckpointError, match="did not write"):
        gq.ops.survey(as_raster(mask, chunks=10), checkpoint=foreign)


def test_half_written_files_of_killed_runs_are_cleared(tmp_path):
    mask = as_raster(np.random.default_rng(5).random((30, 30)) < 0.5, chunks=10)
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / ".job.json.partial-999999999").write_text("{")   # killed while starting
    first = gq.ops.survey(mask, tiles_per_batch=1, checkpoint=folder)
    (folder / ".batch-000003.npz.partial-999999999").write_bytes(b"half")
    again = gq.ops.survey(mask, tiles_per_batch=1, checkpoint=folder)
    assert again.resumed_batches == first.batches == 9
    assert not [p.name for p in folder.iterdir() if ".partial-" in p.name]


def test_bad_options_name_the_fix():
    mask = as_raster(np.ones((4, 4), bool))
    with pytest.raises(InvalidOptionError, match="near and within_m go together"):
        gq.ops.survey(mask, within_m=100.0)
    with pytest.raises(InvalidOptionError, match="tiles_per_batch"):
        gq.ops.survey(mask, tiles_per_batch=0)
    with pytest.raises(InvalidOptionError, match="within_m"):
        gq.ops.survey(mask, near=mask, within_m=-1.0)


def test_a_raster_replaced_with_the_same_mtime_is_not_resumed(tmp_path):
    """The checkpoint keeps a digest of the pixels each batch read: a GeoTIFF rewritten in
    place with its old modification time (same path, same graph name) is not mixed in."""
    import os

    import rasterio

    from geoquant import sources

    path = tmp_path / "mask.tif"
    first_mask = (np.random.default_rng(6).random((60, 60)) < 0.5).astype(np.uint8)
    profile = {"driver": "GTiff", "height": 60, "width": 60, "count": 1, "dtype": "uint8",
               "crs": "EPSG:32633", "transform": rasterio.Affine(10, 0, 500000, 0, -10, 5e6)}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(first_mask, 1)
    stamp = os.stat(path).st_mtime_ns
    folder = tmp_path / "state"
    gq.ops.survey(sources.open_raster(path, chunks=20).isel(band=0), tiles_per_batch=1,
                      checkpoint=folder)
    for saved in sorted(folder.glob("batch-*.npz"))[4:]:
        saved.unlink()                            # stopped after four batches
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(1 - first_mask, 1)              # another raster, same path...
    os.utime(path, ns=(stamp, stamp))             # ...and the same modification time
    with pytest.raises(CheckpointError, match="input changed since checkpoint"):
        gq.ops.survey(sources.open_raster(path, chunks=20).isel(band=0), tiles_per_batch=1,
                      checkpoint=folder)


def test_checkpoint_files_cannot_run_code(tmp_path):
    """A crafted batch file is refused: the format has no way to name code to run."""
    import pickle

    from geoquant.tiling._safe_files import UnsafeContent, dumps, loads

    mask = as_raster(np.random.default_rng(7).random((30, 30)) < 0.5, chunks=10)
    folder = tmp_path / "state"
    gq.ops.survey(mask, tiles_per_batch=1, checkpoint=folder)
    target = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(target), "w"))

    (folder / "batch-000002.npz").write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(CheckpointError, match="cannot be read"):
        gq.ops.survey(mask, tiles_per_batch=1, checkpoint=folder)
    assert not target.exists()
    with pytest.raises(UnsafeContent, match="not one of geoquant's own"):
        loads(_forged_dataclass("os:system"))
    value = {"a": (1, 2.5, None, "s"), "b": [np.arange(3), np.float32(1.5)]}
    back = loads(dumps(value))
    assert back["a"] == (1, 2.5, None, "s") and back["b"][1] == np.float32(1.5)
    assert np.array_equal(back["b"][0], np.arange(3))


def _forged_dataclass(name):
    import io
    import json

    buffer = io.BytesIO()
    tree = {"format": "geoquant-summary-1",
            "tree": {"dataclass": name, "fields": {"dict": {}}}}
    np.savez(buffer, tree=np.frombuffer(json.dumps(tree).encode(), dtype=np.uint8))
    return buffer.getvalue()
