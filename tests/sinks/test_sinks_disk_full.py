"""Issue 32 item 15: ``write_zarr`` on a full disk raises a GeoquantError naming the path.

No small filesystem can be mounted here without privileges, so the full disk is simulated:
the real ``Dataset.to_zarr`` writes its metadata into the hidden sibling, then the next write
raises ``OSError(ENOSPC)`` as the kernel would (a mock, said here as the rules ask).
"""

from __future__ import annotations

import errno

import numpy as np
import pytest

from geoquant.errors import GeoquantError, OutputPathError

xr = pytest.importorskip("xarray")
pytest.importorskip("rioxarray")


def _dataset() -> xr.Dataset:
    mask = xr.DataArray(np.arange(12, dtype="uint8").reshape(3, 4), dims=("y", "x"),
                        coords={"y": 5_000_025.0 - 10.0 * np.arange(3),
                                "x": 500_005.0 + 10.0 * np.arange(4)}, name="mask")
    return mask.rio.write_crs("EPSG:32633").to_dataset()


def _full_disk(monkeypatch) -> None:
    real = xr.Dataset.to_zarr

    def to_zarr(self, store, *args, **kwargs):
        real(self, store, *args, **kwargs)        # what fitted before the disk filled up
        raise OSError(errno.ENOSPC, "No space left on device", f"{store}/mask/c/0/0")

    monkeypatch.setattr(xr.Dataset, "to_zarr", to_zarr)


def test_write_zarr_on_a_full_disk_names_the_path_and_keeps_nothing(tmp_path, monkeypatch):
    from geoquant.sinks import write_zarr

    _full_disk(monkeypatch)
    target = tmp_path / "out.zarr"
    with pytest.raises(OutputPathError) as info:
        write_zarr(_dataset(), target)
    message = str(info.value)
    assert str(target) in message and "No space left on device" in message
    assert "free space" in message
    assert isinstance(info.value, GeoquantError) and isinstance(info.value.__cause__, OSError)
    assert info.value.errno == errno.ENOSPC       # still an OSError for code that caught those
    assert list(tmp_path.iterdir()) == []          # neither the store nor its hidden sibling


def test_write_zarr_over_an_old_store_on_a_full_disk_keeps_the_old(tmp_path, monkeypatch):
    from geoquant.sinks import open_zarr, write_zarr

    target = tmp_path / "out.zarr"
    write_zarr(_dataset(), target)
    _full_disk(monkeypatch)
    with pytest.raises(OutputPathError, match="No space left"):
        write_zarr(_dataset(), target, overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["out.zarr"]
    assert int(open_zarr(target)["mask"].sum()) == 66


def test_a_timeout_while_writing_is_not_called_a_disk_failure(tmp_path, monkeypatch):
    from geoquant.sinks import write_zarr

    def to_zarr(self, store, *args, **kwargs):
        raise TimeoutError("the cluster did not answer")

    monkeypatch.setattr(xr.Dataset, "to_zarr", to_zarr)
    with pytest.raises(TimeoutError):
        write_zarr(_dataset(), tmp_path / "out.zarr")
    assert list(tmp_path.iterdir()) == []
