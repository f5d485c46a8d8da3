"""The monitor's Zarr store: one group per region and source, appended one date at a time.

Layout (Zarr v2, which GDAL 3.4+ reads)::

    monitor.zarr/                 root group; attribute geoquant_monitor = the state
      <region>/<source>/          one series: time, y, x, spatial_ref coordinates;
                                  clear_percent and every metric as (time,) float64;
                                  <class>_mask as (time, y, x) uint8 (1 class, 0 other,
                                  255 no data, cloud or outside the region)

GDAL opens a mask as ``ZARR:"monitor.zarr":/<region>/<source>/<class>_mask`` (one band per date).

Writes: a new series is written whole beside the store and renamed into it; later dates are
appended along ``time`` (xarray ``append_dim``: the arrays are resized and the new step written
into its own chunks, so chunks of earlier dates are never rewritten). The state in the root
attributes is replaced (atomically) only after a step's data are in, and metadata are then
consolidated. :meth:`MonitorStore.repair` undoes what an interrupted run left beyond the state.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from geoquant.errors import StoreError
from geoquant.monitor._state import STATE_KEY, check_state

SERIES_MARK = "geoquant_monitor_series"
NODATA_MASK = 255
TIME_ENCODING = {"units": "seconds since 1970-01-01T00:00:00", "calendar": "proleptic_gregorian",
                 "dtype": "int64"}


def _read_json(path: Path, store: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise StoreError(f"{store} is corrupt: {path.name} cannot be read ({err}); it was left "
                         "as it is: move it aside or choose another output path") from err


def _write_json(path: Path, value: Any) -> None:
    from geoquant.sinks import to_jsonable

    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w") as out:
        json.dump(to_jsonable(value), out, indent=1, allow_nan=False)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


class MonitorStore:
    """A monitor's Zarr store at ``path`` (which may not exist yet).

    Every method that writes expects the caller to hold :func:`store_lock`.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser().absolute()

    # -- reading -------------------------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.exists() or self.path.is_symlink()

    def read_state(self) -> dict[str, Any] | None:
        """The recorded state; None when there is no store yet.

        Raises
        ------
        StoreError
            Something other than a monitor store is at the path: a file, a folder that is not
            Zarr, a Zarr store without a monitor state (foreign), or unreadable metadata.
        """
        if not self.exists():
            return None
        store = self.path
        if not store.is_dir():
            raise StoreError(f"{store} is a file, not a monitor's Zarr store: it was left as "
                             "it is; choose another output path")
        if (store / "zarr.json").is_file() and not (store / ".zgroup").is_file():
            raise StoreError(f"{store} is a Zarr v3 store that geoquant monitor did not write "
                             "(its stores are Zarr v2): it was left as it is; choose another "
                             "output path")
        group = _read_json(store / ".zgroup", store)
        if not isinstance(group, Mapping) or group.get("zarr_format") != 2:
            what = "an empty folder" if not any(store.iterdir()) else "not a Zarr store"
            raise StoreError(f"{store} is {what} (no valid .zgroup): it was left as it is; "
                             "choose another output path, or remove it if it is yours")
        attrs = _read_json(store / ".zattrs", store) or {}
        if not isinstance(attrs, Mapping):
            raise StoreError(f"{store} is corrupt: its .zattrs is not a mapping; it was left as "
                             "it is")
        return check_state(attrs.get(STATE_KEY), store)

    def series_path(self, key: str) -> Path:
        return self.path / key

    def has_series(self, key: str) -> bool:
        return (self.series_path(key) / ".zgroup").is_file()

    def open_series(self, key: str) -> Any:
        """The series as a lazy xarray Dataset (CRS decoded)."""
        import xarray as xr

        try:
            return xr.open_zarr(self.path, group=key, consolidated=False,
                                decode_coords="all")
        except Exception as err:  # zarr and xarray raise many kinds for broken metadata
            raise StoreError(f"cannot read series {key!r} of {self.path} ({type(err).__name__}: "
                             f"{err}); the store may be damaged: move it aside and run again "
                             "to rebuild it") from err

    def history(self, key: str, names: list[str]) -> dict[str, Any]:
        """``time`` and the named (time,) variables of a series, as NumPy arrays."""
        import numpy as np

        if not self.has_series(key):
            return {"time": np.array([], dtype="datetime64[ns]"),
                    **{n: np.array([], dtype=float) for n in names}}
        with self.open_series(key) as ds:
            out = {"time": ds["time"].values}
            for name in names:
                out[name] = (ds[name].values.astype(float) if name in ds
                             else np.full(ds.sizes["time"], np.nan))
        return out

    def check_grid(self, key: str, step: Any) -> None:
        """Raise StoreError when ``step`` does not lie on the stored grid of series ``key``."""
        import numpy as np

        with self.open_series(key) as ds:
            same = (ds.sizes.get("y") == step.sizes["y"] and ds.sizes.get("x") == step.sizes["x"]
                    and ds.rio.crs == step.rio.crs)
            if same:
                res = max(abs(float(np.diff(step["x"].values[:2])[0])) if step.sizes["x"] > 1
                          else 1.0, 1e-9)
                same = (np.allclose(ds["x"].values, step["x"].values, rtol=0, atol=1e-6 * res)
                        and np.allclose(ds["y"].values, step["y"].values, rtol=0,
                                        atol=1e-6 * res))
        if not same:
            raise StoreError(
                f"the new acquisitions of series {key!r} lie on another grid than the one in "
                f"{self.path} (the items' grid, crs or resolution changed): write them to a new "
                "output store, or set crs and resolution in the source to the store's")

    # -- writing -------------------------------------------------------------------------------

    def create(self, state: Mapping[str, Any]) -> None:
        """Create the empty store with its state, whole or not at all."""
        from geoquant.sinks import atomic_output, check_output_path

        target = check_output_path(self.path, overwrite=False, kind="directory")
        with atomic_output(target, overwrite=False, kind="directory") as partial:
            _write_json(partial / ".zgroup", {"zarr_format": 2})
            _write_json(partial / ".zattrs", {STATE_KEY: state})
            self._consolidate(partial)

    def write_state(self, state: Mapping[str, Any]) -> None:
        """Replace the state (atomically) and consolidate the metadata."""
        attrs = _read_json(self.path / ".zattrs", self.path) or {}
        _write_json(self.path / ".zattrs", {**attrs, STATE_KEY: state})
        self.consolidate()

    def consolidate(self, key: str | None = None) -> None:
        """Rewrite consolidated metadata of the root (and of series ``key``)."""
        if key is not None:
            self._consolidate(self.path, key)
        self._consolidate(self.path)

    @staticmethod
    def _consolidate(root: Path, key: str | None = None) -> None:
        import warnings

        import zarr

        with warnings.catch_warnings():
            # zarr-python notes that consolidated metadata is not part of the v3 spec; these
            # stores are v2, where it is the convention GDAL reads first.
            warnings.simplefilter("ignore", UserWarning)
            zarr.consolidate_metadata(str(root), path=key, zarr_format=2)

    def append(self, key: str, step: Any) -> None:
        """Write one or more time steps of series ``key`` (create the series if new)."""
        if not self.has_series(key):
            self._create_series(key, step)
            return
        spatial = "x" in step.dims
        if spatial:
            self.check_grid(key, step)
        with self.open_series(key) as stored:
            expected = set(stored.data_vars)
            chunks = {name: stored[name].encoding.get("chunks") for name in stored.data_vars
                      if "x" in stored[name].dims}
        given = set(step.data_vars)
        if given != expected:
            raise StoreError(
                f"series {key!r} of {self.path} holds {', '.join(sorted(expected))}, but this "
                f"run writes {', '.join(sorted(given))}: the source's metrics or masks changed; "
                "write to a new output store, or restore the metrics and masks")
        step = step.drop_vars([v for v in ("x", "y", "spatial_ref") if v in step.variables])
        for name, chunk in chunks.items():
            # Each task writes whole chunks of the stored layout: (1, rows, columns).
            if chunk and step[name].chunks is not None:
                step[name] = step[name].chunk(dict(zip(step[name].dims, chunk, strict=True)))
        for var in step.variables.values():
            var.attrs.pop("_FillValue", None)
            var.encoding = {}
        step.to_zarr(self.path, group=key, append_dim="time", zarr_format=2,
                     consolidated=False)
        self.consolidate(key)

    def _create_series(self, key: str, step: Any) -> None:
        import zarr

        from geoquant import sinks

        region = key.split("/")[0]
        if not (self.path / region / ".zgroup").is_file():
            zarr.open_group(str(self.path), path=region, mode="a", zarr_format=2)
        step = step.assign_attrs({SERIES_MARK: key})
        step["time"].encoding = dict(TIME_ENCODING)
        temporary = self._temporary()
        if "x" in step.dims:
            sinks.write_zarr(step, temporary)
        else:  # figures only (no masks kept): nothing to georeference
            step.to_zarr(temporary, mode="w-", zarr_format=2, consolidated=True)
        try:
            os.rename(temporary, self.series_path(key))
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        self.consolidate(key)

    def _temporary(self) -> Path:
        return self.path.with_name(f".{self.path.name}.series-{uuid.uuid4().hex[:12]}")

    def repair(self, state: Mapping[str, Any]) -> list[str]:
        """Undo what an interrupted run left beyond the recorded state.

        Steps written after the last recorded one are trimmed, series written but never
        recorded are removed (only groups this monitor marked as its own), and leftover
        temporary series beside the store are deleted. Returns what was done, in words.

        Raises
        ------
        StoreError
            A series holds fewer steps than recorded (data were lost or removed by hand).
        """
        import zarr

        done: list[str] = []
        for leftover in self.path.parent.glob(f".{self.path.name}.series-*"):
            shutil.rmtree(leftover, ignore_errors=True)
            done.append(f"removed the unfinished series {leftover.name}")
        for leftover in self.path.glob(".*.tmp"):        # a state write cut short
            leftover.unlink(missing_ok=True)
            done.append(f"removed the unfinished file {leftover.name}")
        recorded = state["series"]
        for key, series in recorded.items():
            if not self.has_series(key):
                raise StoreError(f"series {key!r} is recorded in {self.path} but its data are "
                                 "gone: restore the store, or move it aside and run again to "
                                 "rebuild it")
            group = zarr.open_group(str(self.path), path=key, mode="r+", zarr_format=2)
            for name, array in group.arrays():
                dims = array.attrs.get("_ARRAY_DIMENSIONS", [])
                if not dims or dims[0] != "time":
                    continue
                if array.shape[0] < series["steps"]:
                    raise StoreError(f"{key}/{name} in {self.path} holds {array.shape[0]} time "
                                     f"steps but {series['steps']} are recorded: the store is "
                                     "damaged; move it aside and run again to rebuild it")
                if array.shape[0] > series["steps"]:
                    array.resize((series["steps"], *array.shape[1:]))
                    done.append(f"trimmed {key}/{name} to the {series['steps']} recorded steps")
        for region in (p for p in self.path.iterdir() if p.is_dir()):
            for group in (p for p in region.iterdir() if p.is_dir()):
                key = f"{region.name}/{group.name}"
                if key in recorded:
                    continue
                attrs = _read_json(group / ".zattrs", self.path) or {}
                if isinstance(attrs, Mapping) and attrs.get(SERIES_MARK) == key:
                    shutil.rmtree(group)
                    done.append(f"removed series {key}, written but never recorded")
        if done:
            self.consolidate()
            for key in recorded:
                with contextlib.suppress(FileNotFoundError):
                    self.consolidate(key)
        return done


def mask_variable(cls: str) -> str:
    """The variable name of a class mask: ``forest_mask``, ``built_up_mask``."""
    return f"{cls.replace('-', '_').replace(' ', '_')}_mask"


def step_dataset(time: Any, values: Mapping[str, float], masks: Mapping[str, Any], *,
                 metrics: Any, crs: Any) -> Any:
    """One date of a series as a Dataset ready for :meth:`MonitorStore.append`.

    Parameters
    ----------
    time : numpy.datetime64
        The acquisition time (kept to the second).
    values : mapping of str to float
        ``clear_percent`` and every metric.
    masks : mapping of str to DataArray
        ``(y, x)`` uint8 class masks to store, by class.
    metrics : sequence of MetricSpec
        For the variables' units and descriptions.
    crs
        The grid's CRS.
    """
    import numpy as np
    import rioxarray  # noqa: F401  (the .rio accessor)
    import xarray as xr

    from geoquant.monitor._specs import CLEAR_METRIC

    stamp = np.datetime64(np.datetime64(time, "s"), "ns")
    variables: dict[str, Any] = {CLEAR_METRIC: xr.DataArray(
        [float(values[CLEAR_METRIC])], dims="time",
        attrs={"units": "%", "long_name": "share of the region seen clearly (data, no cloud)"})}
    for metric in metrics:
        variables[metric.name] = xr.DataArray([float(values[metric.name])], dims="time",
                                              attrs={"units": metric.unit,
                                                     "long_name": metric.describe()})
    for cls, mask in masks.items():
        layer = mask.drop_vars([c for c in mask.coords if c not in ("y", "x", "spatial_ref")])
        layer = layer.expand_dims(time=[stamp])
        layer = layer.astype(np.uint8)
        layer.attrs = {"long_name": f"{cls} mask: 1 {cls}, 0 other, {NODATA_MASK} no data, "
                                    "cloud or outside the region"}
        variables[mask_variable(cls)] = layer.rio.write_nodata(NODATA_MASK, encoded=False)
    step = xr.Dataset(variables).assign_coords(time=[stamp])
    return step.rio.write_crs(crs) if masks else step
