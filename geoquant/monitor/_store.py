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
consolidated. Before each append, the series' metadata as recorded are copied into a journal
beside the store (``.<store>.journal/<region>/<source>.json``, outside the Zarr hierarchy).
:meth:`MonitorStore.repair` undoes what an interrupted run left beyond the state, reading each
array's own metadata (never the
consolidated copy, which an interrupted append leaves stale) and restoring from the journal
any metadata file a kill left unreadable; :meth:`MonitorStore.check` tells the same without
writing (``monitor status``).
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
JOURNAL_SUFFIX = ".journal"
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
        self._journal(key)
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

    # -- consistency with the state --------------------------------------------------------------

    def _metadata_files(self, key: str) -> list[Path]:
        """The metadata files of series ``key``: its group's and every array's."""
        folder = self.series_path(key)
        files = [folder / ".zgroup", folder / ".zattrs"]
        for child in sorted(p for p in folder.iterdir() if p.is_dir()):
            files += [child / ".zarray", child / ".zattrs"]
        return files

    def journal_path(self, key: str) -> Path:
        """Where series ``key``'s metadata are journaled before an append."""
        return self.path.with_name(f".{self.path.name}{JOURNAL_SUFFIX}") / f"{key}.json"

    def _journal(self, key: str) -> None:
        """Copy the series' metadata as recorded, before an append changes them."""
        folder = self.series_path(key)
        copy = {}
        for path in self._metadata_files(key):
            value = _read_json(path, self.path)
            if value is not None:
                copy[str(path.relative_to(folder))] = value
        target = self.journal_path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_json(target, copy)

    def _lengths(self, key: str, *, restore: bool) -> tuple[dict[str, int | None], list[str]]:
        """Time length of every time array of series ``key`` from its own ``.zarray``; with
        ``restore``, unreadable metadata files are put back from the journal first."""
        folder = self.series_path(key)
        journal = None
        done: list[str] = []
        lengths: dict[str, int | None] = {}
        for path in self._metadata_files(key):
            try:
                value = json.loads(path.read_text()) if path.exists() else None
                broken = path.exists() and not isinstance(value, Mapping)
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                value, broken = None, True
            if broken or (value is None and path.name == ".zarray"):
                if journal is None:
                    journal = _read_json(self.journal_path(key), self.path) or {}
                saved = journal.get(str(path.relative_to(folder)))
                if not restore or saved is None:
                    if path.name == ".zarray":
                        lengths[path.parent.name] = None
                    continue
                _write_json(path, saved)
                value = saved
                done.append(f"restored {key}/{path.relative_to(folder)} from the journal")
            if path.name == ".zarray" and isinstance(value, Mapping):
                attrs = _read_json(path.with_name(".zattrs"), self.path) \
                    if path.with_name(".zattrs").exists() else {}
                dims = (attrs or {}).get("_ARRAY_DIMENSIONS", [])
                if dims and dims[0] == "time":
                    lengths[path.parent.name] = int(value["shape"][0])
        return lengths, done

    def _trim(self, key: str, name: str, steps: int) -> None:
        """Cut array ``name`` of series ``key`` to ``steps`` time steps: its shape, and the
        chunk files wholly beyond it."""
        folder = self.series_path(key) / name
        meta = json.loads((folder / ".zarray").read_text())
        chunk = int(meta["chunks"][0]) or 1
        separator = meta.get("dimension_separator") or "."
        first_gone = -(-steps // chunk)
        for path in folder.iterdir():
            head = path.name.split(separator)[0]
            if head.isdigit() and int(head) >= first_gone:
                path.unlink()
        meta["shape"][0] = steps
        _write_json(folder / ".zarray", meta)

    def check(self, state: Mapping[str, Any]) -> list[str]:
        """What differs between the store and its recorded state, in words (nothing written):
        arrays longer or shorter than the recorded steps, unreadable metadata, dates stored
        twice, series never recorded, leftovers of interrupted runs."""
        problems: list[str] = []
        leftovers = list(self.path.parent.glob(f".{self.path.name}.series-*")) \
            + list(self.path.glob(".*.tmp"))
        if leftovers:
            problems.append(f"{len(leftovers)} leftover file(s) of an interrupted run")
        for key, series in state["series"].items():
            if not self.has_series(key):
                problems.append(f"series {key} is recorded but its data are gone")
                continue
            lengths, _ = self._lengths(key, restore=False)
            for name, length in lengths.items():
                if length is None:
                    problems.append(f"{key}/{name} has unreadable metadata")
                elif length != series["steps"]:
                    problems.append(f"{key}/{name} holds {length} time steps, "
                                    f"{series['steps']} recorded")
            if all(length == series["steps"] for length in lengths.values()):
                problems += self._check_dates(key, series)
        for key in self._unrecorded(state):
            problems.append(f"series {key} was written but never recorded")
        return problems

    def _check_dates(self, key: str, series: Mapping[str, Any]) -> list[str]:
        import numpy as np

        try:
            with self.open_series(key) as ds:
                days = [str(t)[:10] for t in ds["time"].values]
        except StoreError as err:
            return [str(err)]
        problems = []
        if len(set(days)) != len(days):
            twice = sorted({d for d in days if days.count(d) > 1})
            problems.append(f"{key} holds date(s) {', '.join(twice)} more than once")
        if days != list(series["dates"]):
            problems.append(f"{key}'s dates differ from the recorded ones")
        if days and np.any(np.diff(np.array(days, dtype="datetime64[D]")) < 0):
            problems.append(f"{key}'s dates are out of order")
        return problems

    def _unrecorded(self, state: Mapping[str, Any]) -> list[str]:
        found = []
        for region in (p for p in self.path.iterdir() if p.is_dir()):
            for group in (p for p in region.iterdir() if p.is_dir()):
                key = f"{region.name}/{group.name}"
                if key in state["series"]:
                    continue
                try:
                    attrs = _read_json(group / ".zattrs", self.path) or {}
                except StoreError:
                    attrs = {}
                if isinstance(attrs, Mapping) and attrs.get(SERIES_MARK) == key:
                    found.append(key)
        return found

    def repair(self, state: Mapping[str, Any]) -> list[str]:
        """Undo what an interrupted run left beyond the recorded state.

        Every time array of every series is cut to the recorded number of steps, read from
        the array's own metadata; metadata files a kill left unreadable are restored from the
        journal; series written but never recorded are removed (only groups this monitor
        marked as its own), and leftover temporary series beside the store are deleted.
        Returns what was done, in words.

        Raises
        ------
        StoreError
            A series holds fewer steps than recorded (data were lost or removed by hand), or
            metadata that cannot be restored.
        """
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
            lengths, restored = self._lengths(key, restore=True)
            done += restored
            for name, length in lengths.items():
                if length is None:
                    raise StoreError(f"{key}/{name} in {self.path} has unreadable metadata and "
                                     "no journal to restore it from: move the store aside and "
                                     "run again to rebuild it")
                if length < series["steps"]:
                    raise StoreError(f"{key}/{name} in {self.path} holds {length} time "
                                     f"steps but {series['steps']} are recorded: the store is "
                                     "damaged; move it aside and run again to rebuild it")
                if length > series["steps"]:
                    self._trim(key, name, series["steps"])
                    done.append(f"trimmed {key}/{name} to the {series['steps']} recorded steps")
        for key in self._unrecorded(state):
            shutil.rmtree(self.series_path(key))
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
    from geoquant.segment import MASK_NODATA

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
        layer.attrs = {"long_name": f"{cls} mask: 1 {cls}, 0 other, {MASK_NODATA} no data, "
                                    "cloud or outside the region"}
        variables[mask_variable(cls)] = layer.rio.write_nodata(MASK_NODATA, encoded=False)
    step = xr.Dataset(variables).assign_coords(time=[stamp])
    return step.rio.write_crs(crs) if masks else step
