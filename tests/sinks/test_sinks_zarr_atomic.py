"""write_zarr writes whole or not at all, and checks its path before computing anything."""

from __future__ import annotations

import os
import stat
import time

import numpy as np
import pytest

pytest.importorskip("zarr")
xr = pytest.importorskip("xarray")
pytest.importorskip("rioxarray")

from geoquant import sinks  # noqa: E402
from geoquant.errors import OutputPathError  # noqa: E402


class ChunkFailed(RuntimeError):
    """Raised by one chunk of a deliberately broken dask computation."""


def failing_raster(make_raster, computed: list | None = None, *, others_take_s: float = 0.0):
    """A dask-backed raster whose chunk at rows 40.. and columns 40.. raises when computed.

    The three other chunks take ``others_take_s`` seconds, so they are still running (and
    about to write) when the failing one raises.
    """
    raster = make_raster((80, 80), chunks={"y": 40, "x": 40})

    def blow_up(block, block_info=None):
        if computed is not None:
            computed.append(block_info[0]["chunk-location"])
        if block_info[0]["chunk-location"] == (1, 1):
            raise ChunkFailed("chunk (1, 1) failed")
        time.sleep(others_take_s)
        return block

    return raster.copy(data=raster.data.map_blocks(blow_up, dtype=raster.dtype))


def siblings(directory):
    return sorted(p.name for p in directory.iterdir())


def snapshot(store):
    """Relative path -> bytes of every file of a store."""
    return {
        str(p.relative_to(store)): p.read_bytes() for p in sorted(store.rglob("*")) if p.is_file()
    }


def test_failure_mid_write_leaves_neither_target_nor_partial(tmp_path, make_raster):
    with pytest.raises(ChunkFailed):
        sinks.write_zarr(failing_raster(make_raster), tmp_path / "out.zarr", progress=True)
    assert siblings(tmp_path) == []


def test_chunks_still_running_at_failure_do_not_leave_a_partial(tmp_path, make_raster):
    import dask

    raster = failing_raster(make_raster, others_take_s=0.3)
    with dask.config.set(num_workers=4), pytest.raises(ChunkFailed):
        sinks.write_zarr(raster, tmp_path / "out.zarr")
    time.sleep(0.5)  # had the slow chunks been left running, they would have written by now
    assert siblings(tmp_path) == []


def test_failure_on_a_distributed_cluster_leaves_nothing(tmp_path, make_raster):
    distributed = pytest.importorskip("distributed")

    raster = failing_raster(make_raster, others_take_s=0.3)
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=4, dashboard_address=None
    ):
        with pytest.raises(ChunkFailed):
            sinks.write_zarr(raster, tmp_path / "out.zarr")
        time.sleep(0.5)
        assert siblings(tmp_path) == []
        store = sinks.write_zarr(make_raster((80, 80), chunks={"y": 40, "x": 40}),
                                 tmp_path / "ok.zarr", progress=True)
    assert siblings(tmp_path) == ["ok.zarr"]
    assert sinks.open_zarr(store)["value"].shape == (80, 80)


def test_failure_mid_overwrite_leaves_the_old_store_untouched(tmp_path, make_raster):
    old = sinks.write_zarr(make_raster((20, 20), seed=1), tmp_path / "out.zarr")
    before = snapshot(old)
    with pytest.raises(ChunkFailed):
        sinks.write_zarr(failing_raster(make_raster), old, overwrite=True)
    assert siblings(tmp_path) == ["out.zarr"]
    assert snapshot(old) == before


def test_existing_target_is_refused_before_computing(tmp_path, make_raster):
    old = sinks.write_zarr(make_raster((20, 20), seed=1), tmp_path / "out.zarr")
    before = snapshot(old)
    computed: list = []
    with pytest.raises(OutputPathError, match="overwrite=True") as info:
        sinks.write_zarr(failing_raster(make_raster, computed), old)
    assert str(old) in str(info.value)
    assert computed == []
    assert siblings(tmp_path) == ["out.zarr"]
    assert snapshot(old) == before


def test_existing_file_at_target_is_refused_too(tmp_path, make_raster):
    (tmp_path / "out.zarr").write_text("not a store")
    with pytest.raises(OutputPathError, match="overwrite=True"):
        sinks.write_zarr(make_raster((5, 5)), tmp_path / "out.zarr")
    with pytest.raises(OutputPathError, match="is a file"):
        sinks.write_zarr(make_raster((5, 5)), tmp_path / "out.zarr", overwrite=True)
    assert (tmp_path / "out.zarr").read_text() == "not a store"


def test_overwrite_replaces_the_store(tmp_path, make_raster):
    path = tmp_path / "out.zarr"
    sinks.write_zarr(make_raster((2, 20, 20), seed=1), path)
    new = make_raster((30, 10), dtype="uint8", nodata=255, seed=2)
    sinks.write_zarr(new, path, overwrite=True)

    back = sinks.open_zarr(path)
    assert dict(back.sizes) == {"y": 30, "x": 10}
    xr.testing.assert_equal(back["value"].load(), new)
    assert siblings(tmp_path) == ["out.zarr"]


def test_overwrite_restores_the_old_store_if_the_swap_fails(tmp_path, make_raster, monkeypatch):
    from geoquant.sinks import _atomic

    path = sinks.write_zarr(make_raster((20, 20), seed=1), tmp_path / "out.zarr")
    before = snapshot(path)
    real_rename = os.rename
    calls = []

    def rename_failing_second(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # 1: old store aside, 2: new store into place
            raise OSError("simulated failure while moving the new store into place")
        return real_rename(src, dst)

    monkeypatch.setattr(_atomic.os, "rename", rename_failing_second)
    with pytest.raises(OSError, match="simulated"):
        sinks.write_zarr(make_raster((20, 20), seed=2), path, overwrite=True)
    monkeypatch.undo()
    assert siblings(tmp_path) == ["out.zarr"]
    assert snapshot(path) == before


def test_missing_parent_is_refused(tmp_path, make_raster):
    target = tmp_path / "no" / "such" / "out.zarr"
    with pytest.raises(OutputPathError, match="does not exist") as info:
        sinks.write_zarr(make_raster((5, 5)), target)
    assert str(target) in str(info.value)


def test_parent_that_is_a_file_is_refused_even_for_root(tmp_path, make_raster):
    (tmp_path / "report.txt").write_text("a file")
    target = tmp_path / "report.txt" / "out.zarr"
    computed: list = []
    with pytest.raises(OutputPathError, match="is a file, not a directory") as info:
        sinks.write_zarr(failing_raster(make_raster, computed), target)
    assert str(target) in str(info.value)
    assert computed == []


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="running as root: directory permissions do not stop root from writing",
)
def test_read_only_parent_is_refused_before_computing(tmp_path, make_raster):
    parent = tmp_path / "read-only"
    parent.mkdir()
    parent.chmod(stat.S_IRUSR | stat.S_IXUSR)  # 0o500
    computed: list = []
    try:
        with pytest.raises(OutputPathError, match="permission") as info:
            sinks.write_zarr(failing_raster(make_raster, computed), parent / "out.zarr")
        assert str(parent) in str(info.value)
        assert computed == []
        assert list(parent.iterdir()) == []
    finally:
        parent.chmod(stat.S_IRWXU)


def test_denied_write_access_is_refused_before_computing(tmp_path, make_raster, monkeypatch):
    # Simulates what the chmod test checks, so that it runs as root too.
    from geoquant.sinks import _atomic

    real_access = os.access
    monkeypatch.setattr(
        _atomic.os,
        "access",
        lambda p, mode: False if str(p) == str(tmp_path) else real_access(p, mode),
    )
    computed: list = []
    with pytest.raises(OutputPathError, match="no permission") as info:
        sinks.write_zarr(failing_raster(make_raster, computed), tmp_path / "out.zarr")
    assert str(tmp_path) in str(info.value)
    assert computed == []
    assert siblings(tmp_path) == []


def test_failure_to_create_the_partial_is_an_output_path_error(
    tmp_path, make_raster, monkeypatch
):
    # e.g. a read-only filesystem, where os.access may still say yes
    from pathlib import Path

    def read_only_mkdir(self, *args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(Path, "mkdir", read_only_mkdir)
    computed: list = []
    with pytest.raises(OutputPathError, match="Read-only file system") as info:
        sinks.write_zarr(failing_raster(make_raster, computed), tmp_path / "out.zarr")
    assert str(tmp_path / "out.zarr") in str(info.value)
    assert computed == []


def test_path_naming_no_file_is_refused(tmp_path, make_raster, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(OutputPathError, match="names no file"):
        sinks.write_zarr(make_raster((5, 5)), ".")


def test_relative_path_is_returned_absolute(tmp_path, make_raster, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = sinks.write_zarr(make_raster((5, 5)), "rel.zarr")
    assert store == tmp_path / "rel.zarr"
    assert store.is_absolute()
    assert np.asarray(sinks.open_zarr("rel.zarr")["value"]).shape == (5, 5)
