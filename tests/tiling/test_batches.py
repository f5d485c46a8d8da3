"""A region in batches of tiles: plans cover every tile once, runs merge in raster order to the
whole-region answer for any chunking and batching, and checkpoints resume."""

import dask
import dask.array as da
import numpy as np
import pytest

from geoquant.errors import CheckpointError, InvalidOptionError
from geoquant.tiling import (
    Batch,
    BatchPlan,
    BatchProgress,
    Checkpoint,
    TileGrid,
    plan_batches,
    run_batches,
)

GRIDS = [
    ((1,), (1,)),
    ((10,) * 7, (10,) * 7),
    ((5, 9, 3), (8,) * 11),
    ((3,) * 13, (4, 4, 1)),
]


def _image(shape):
    return np.random.default_rng(sum(shape)).random(shape)


@pytest.mark.parametrize(("row_chunks", "col_chunks"), GRIDS)
@pytest.mark.parametrize("tiles_per_batch", [1, 2, 4, 16, 1000])
def test_a_plan_covers_every_tile_once(row_chunks, col_chunks, tiles_per_batch):
    grid = TileGrid(row_chunks, col_chunks)
    plan = plan_batches(grid, tiles_per_batch=tiles_per_batch)
    assert isinstance(plan, BatchPlan) and plan.grid == grid
    covered = np.zeros(grid.tiles, int)
    pixels = np.zeros(grid.shape, int)
    for index, batch in enumerate(plan):
        assert isinstance(batch, Batch) and batch.index == index
        assert 1 <= batch.tiles <= tiles_per_batch
        (i0, i1), (j0, j1) = batch.tile_rows, batch.tile_cols
        covered[i0:i1, j0:j1] += 1
        r0, r1 = sum(row_chunks[:i0]), sum(row_chunks[:i1])
        c0, c1 = sum(col_chunks[:j0]), sum(col_chunks[:j1])
        assert (batch.rows, batch.cols) == ((r0, r1), (c0, c1))
        assert batch.pixels == (r1 - r0) * (c1 - c0)
        pixels[r0:r1, c0:c1] += 1
    assert (covered == 1).all() and (pixels == 1).all()
    # Raster order: batch rows top to bottom, left to right within a row.
    positions = [b.position for b in plan]
    assert positions == sorted(positions) and len(plan) == plan.shape[0] * plan.shape[1]
    assert plan.describe()["row_chunks"] == list(row_chunks)


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, "4"])
def test_tiles_per_batch_must_be_a_whole_number(bad):
    with pytest.raises(InvalidOptionError, match="tiles_per_batch"):
        plan_batches(TileGrid((4, 4), (4, 4)), tiles_per_batch=bad)


def _pieces(data):
    """A batch's summary is its piece of the raster: merged, the pieces are the raster."""

    def batch_graph(batch):
        (r0, r1), (c0, c1) = batch.rows, batch.cols
        return data[r0:r1, c0:c1]

    def merge(first, second, axis):
        return np.concatenate([first, second], axis=axis)

    return batch_graph, merge


@pytest.mark.parametrize(("row_chunks", "col_chunks"), GRIDS)
@pytest.mark.parametrize("tiles_per_batch", [1, 3, 16])
def test_a_run_merges_the_batches_into_the_whole(row_chunks, col_chunks, tiles_per_batch):
    img = _image((sum(row_chunks), sum(col_chunks)))
    data = da.from_array(img, chunks=(row_chunks, col_chunks))
    plan = plan_batches(TileGrid.from_chunks(data.chunks), tiles_per_batch=tiles_per_batch)
    lines = []
    whole, progress = run_batches(plan, *_pieces(data), say=lines.append,
                                  area_km2=[b.pixels * 1e-6 for b in plan])
    np.testing.assert_array_equal(whole, img)
    assert isinstance(progress, BatchProgress)
    assert (progress.done_batches, progress.done_tiles) == (len(plan), data.npartitions)
    assert progress.resumed_batches == 0
    assert progress.done_km2 == pytest.approx(img.size * 1e-6)
    assert len(lines) == len(plan) and lines[-1].startswith(f"batch {len(plan)}/{len(plan)}")


def test_sums_merge_to_the_whole_region_sum():
    img = _image((37, 41))
    data = da.from_array(img, chunks=(6, 7))
    plan = plan_batches(TileGrid.from_chunks(data.chunks), tiles_per_batch=5)
    total, _ = run_batches(plan, lambda b: data[slice(*b.rows), slice(*b.cols)].sum(),
                           lambda a, b, axis: a + b)
    assert total == pytest.approx(img.sum(), rel=1e-12)


def test_a_checkpoint_resumes_without_recomputing(tmp_path):
    img = _image((30, 40))
    data = da.from_array(img, chunks=(10, 10))
    plan = plan_batches(TileGrid.from_chunks(data.chunks), tiles_per_batch=2)
    batch_graph, merge = _pieces(data)
    job = {"what": "pieces", "shape": list(img.shape)}
    first, _ = run_batches(plan, batch_graph, merge,
                           checkpoint=Checkpoint(tmp_path / "state", job))
    store = Checkpoint(tmp_path / "state", job)
    assert store.saved() == set(range(len(plan)))
    for index in range(3, len(plan)):
        store.path(index).unlink()               # as if the run had stopped after three
    computed, checked = [], []

    def counting(batch):
        computed.append(batch.index)
        return batch_graph(batch)

    again, progress = run_batches(plan, counting, merge, checkpoint=store,
                                  check_resumed=lambda b, s: checked.append(b.index))
    assert computed == list(range(3, len(plan))) and checked == [0, 1, 2]
    assert progress.resumed_batches == 3
    np.testing.assert_array_equal(first, img)
    np.testing.assert_array_equal(again, img)
    first_batch = plan.batches[0]
    np.testing.assert_array_equal(store.load(0), img[slice(*first_batch.rows),
                                                     slice(*first_batch.cols)])
    with pytest.raises(CheckpointError, match="another job"):
        Checkpoint(tmp_path / "state", {**job, "what": "other"})
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("x")
    with pytest.raises(CheckpointError, match="did not write"):
        Checkpoint(tmp_path / "mine", job)


def test_the_threaded_scheduler_runs_without_a_client():
    data = da.ones((8, 8), chunks=4)
    plan = plan_batches(TileGrid.from_chunks(data.chunks), tiles_per_batch=1)
    with dask.config.set(scheduler="sync"):
        total, progress = run_batches(plan, lambda b: data[slice(*b.rows),
                                                           slice(*b.cols)].sum(),
                                      lambda a, b, axis: a + b)
    assert total == 64 and progress.done_tiles == 4
