"""Running a region in batches of tiles: a bounded live graph, merges as batches finish, resume.

A region of any size (a country, a continent) is cut into rectangular *batches* of tiles. Each
batch is one small dask computation that returns a mergeable summary; at most ``in_flight``
batches are on the cluster at once, so the scheduler holds tens of thousands of tasks, never
millions. Finished summaries merge on the client in raster order: left to right within a row
of batches (``axis=1``), then row under row (``axis=0``), so a merge only ever joins adjacent
rectangles and out-of-order finishes wait in a small buffer.

With a ``checkpoint`` folder each finished batch's summary is written there (atomically)
before it is merged; a run started again with the same job resumes: the saved batches are read
back instead of recomputed, and the answer is the same.

A worker lost in the middle of a batch costs nothing but time: the distributed scheduler
recomputes the tasks it held, and the batch's future resolves as before.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoquant.errors import CheckpointError, InvalidOptionError
from geoquant.tiling._grid import TileGrid
from geoquant.tiling._safe_files import FORMAT

Say = Callable[[str], None]


@dataclass(frozen=True)
class Batch:
    """A rectangle of tiles run as one computation.

    Attributes
    ----------
    index : int
        Position in raster order (row of batches, then column).
    position : (int, int)
        Row and column of the batch in the grid of batches.
    tile_rows, tile_cols : (int, int)
        Tile-row and tile-column span ``[start, stop)``.
    rows, cols : (int, int)
        Pixel row and column span ``[start, stop)``.
    """

    index: int
    position: tuple[int, int]
    tile_rows: tuple[int, int]
    tile_cols: tuple[int, int]
    rows: tuple[int, int]
    cols: tuple[int, int]

    @property
    def tiles(self) -> int:
        """Number of tiles in the batch."""
        return ((self.tile_rows[1] - self.tile_rows[0])
                * (self.tile_cols[1] - self.tile_cols[0]))

    @property
    def pixels(self) -> int:
        """Number of pixels in the batch."""
        return (self.rows[1] - self.rows[0]) * (self.cols[1] - self.cols[0])


@dataclass(frozen=True)
class BatchPlan:
    """How a tile grid is cut into batches (see :func:`plan_batches`).

    Attributes
    ----------
    grid : TileGrid
        The tiles of the region.
    batches : tuple of Batch
        In raster order.
    shape : (int, int)
        Batches along rows and columns.
    """

    grid: TileGrid
    batches: tuple[Batch, ...]
    shape: tuple[int, int]

    def __iter__(self) -> Iterator[Batch]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)

    def describe(self) -> dict[str, Any]:
        """What identifies the plan in a checkpoint: tile sizes and batch spans."""
        return {"row_chunks": list(self.grid.row_chunks), "col_chunks": list(self.grid.col_chunks),
                "batch_tile_rows": sorted({b.tile_rows for b in self.batches}),
                "batch_tile_cols": sorted({b.tile_cols for b in self.batches})}


def plan_batches(grid: TileGrid, *, tiles_per_batch: int) -> BatchPlan:
    """Cut a tile grid into near-square batches of at most ``tiles_per_batch`` tiles.

    Parameters
    ----------
    grid : TileGrid
        Tiles of the region (a dask array's chunks).
    tiles_per_batch : int
        Upper bound on the tiles of one batch (at least 1). A batch's task graph is a small
        constant times this, so it sets the scheduler's live graph.

    Returns
    -------
    BatchPlan
    """
    if not isinstance(tiles_per_batch, int) or isinstance(tiles_per_batch, bool) \
            or tiles_per_batch < 1:
        raise InvalidOptionError(
            f"tiles_per_batch={tiles_per_batch!r}; pass a whole number of tiles >= 1, for "
            "example 256 (16 x 16 tiles per batch)")
    ny, nx = grid.tiles
    # Near-square batches, then evened out: 49 tiles in batches of up to 16 become 4 x 13
    # (12 or 13 wide), not 16 + 16 + 16 + 1.
    bw = _even(nx, min(nx, max(1, math.isqrt(tiles_per_batch))))
    bh = _even(ny, min(ny, max(1, tiles_per_batch // bw)))
    row_starts, col_starts = grid.row_starts, grid.col_starts
    row_spans = [(i, min(i + bh, ny)) for i in range(0, ny, bh)]
    col_spans = [(j, min(j + bw, nx)) for j in range(0, nx, bw)]
    batches = []
    for bi, (i0, i1) in enumerate(row_spans):
        for bj, (j0, j1) in enumerate(col_spans):
            batches.append(Batch(len(batches), (bi, bj), (i0, i1), (j0, j1),
                                 (int(row_starts[i0]), int(row_starts[i1])),
                                 (int(col_starts[j0]), int(col_starts[j1]))))
    return BatchPlan(grid, tuple(batches), (len(row_spans), len(col_spans)))


#: Most tiles in one batch: a few thousand live tasks on the scheduler.
MAX_TILES_PER_BATCH = 256
#: Tiles per worker thread in an automatically sized batch: a batch then takes about one
#: tile's time (seconds for 2048² tiles), so the first progress line comes within seconds.
TILES_PER_THREAD = 1


def auto_tiles_per_batch(tiles: int, threads: int) -> int:
    """Tiles per batch chosen from the region's size and the cluster's worker threads.

    About :data:`TILES_PER_THREAD` tiles per thread, so that each batch (and the first
    progress line) takes seconds however large the region; at most
    :data:`MAX_TILES_PER_BATCH`, and never more than a quarter of the region, so that even
    a small region reports progress more than once.

    Parameters
    ----------
    tiles : int
        Tiles of the whole region.
    threads : int
        Worker threads of the cluster (all workers together).

    Returns
    -------
    int
        At least 1.
    """
    per_threads = TILES_PER_THREAD * max(1, int(threads))
    return max(1, min(MAX_TILES_PER_BATCH, per_threads, math.ceil(tiles / 4)))


def _even(n: int, most: int) -> int:
    """The smallest span that cuts ``n`` into as few pieces as spans of ``most`` would."""
    return -(-n // -(-n // most))


@dataclass
class BatchProgress:
    """Counts a batched run reports as it goes (tiles, area, time left).

    Attributes
    ----------
    batches, tiles : int
        Batches and tiles of the whole run.
    area_km2 : float
        Area of the whole run, km².
    done_batches, done_tiles : int
        Batches and tiles finished so far (computed or resumed).
    done_km2 : float
        Area finished so far, km².
    resumed_batches : int
        Batches read back from the checkpoint instead of computed.
    started : float
        When the run started, :func:`time.perf_counter` seconds.
    computed_tiles : int
        Tiles computed in this run (what the time left is estimated from).
    """

    batches: int
    tiles: int
    area_km2: float
    done_batches: int = 0
    done_tiles: int = 0
    done_km2: float = 0.0
    resumed_batches: int = 0
    started: float = field(default_factory=time.perf_counter)
    computed_tiles: int = 0

    def line(self) -> str:
        """One progress line: batches and tiles done, area, time elapsed and left."""
        elapsed = time.perf_counter() - self.started
        left = "?"
        if self.computed_tiles:
            rate = self.computed_tiles / max(elapsed, 1e-9)
            left = _clock((self.tiles - self.done_tiles) / rate)
        return (f"batch {self.done_batches}/{self.batches}: {self.done_tiles:,}/{self.tiles:,} "
                f"tiles, {self.done_km2:,.1f} of {self.area_km2:,.1f} km², "
                f"{_clock(elapsed)} elapsed, ~{left} left")


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class Checkpoint:
    """A folder of finished batch summaries for one job, written atomically.

    ``job.json`` holds the job's fingerprint; ``batch-NNNNNN.npz`` one summary each, in a
    format that cannot run code when read (:mod:`geoquant.tiling._safe_files`; never pickle).
    A folder of another job (another fingerprint, or checkpoints of an older format) is
    refused, never mixed in.

    Parameters
    ----------
    folder : str or os.PathLike
        The job's folder: created when missing; an existing one must hold this job's
        summaries (or nothing).
    fingerprint : dict
        What identifies the job (its inputs and options, JSON-serialisable; other values are
        written with ``str``). A folder written for another fingerprint is refused.

    Raises
    ------
    geoquant.errors.CheckpointError
        When the folder is a file, belongs to another job, or was not written by geoquant.
    """

    def __init__(self, folder: str | os.PathLike[str], fingerprint: dict[str, Any]) -> None:
        self.folder = Path(folder)
        fingerprint = {**fingerprint, "checkpoint_format": FORMAT}
        self.fingerprint = json.loads(json.dumps(fingerprint, sort_keys=True, default=str))
        job = self.folder / "job.json"
        if self.folder.exists() and not self.folder.is_dir():
            raise CheckpointError(f"checkpoint {self.folder} is a file; pass a folder path")
        if job.exists():
            try:
                saved = json.loads(job.read_text())
            except (OSError, json.JSONDecodeError) as err:
                raise CheckpointError(
                    f"checkpoint {self.folder} has an unreadable job.json ({err}); remove the "
                    "folder to start the run afresh") from err
            if saved != self.fingerprint:
                changed = sorted(k for k in set(saved) | set(self.fingerprint)
                                 if saved.get(k) != self.fingerprint.get(k))
                raise CheckpointError(
                    f"checkpoint {self.folder} belongs to another job (differs in "
                    f"{', '.join(changed)}); pass a new checkpoint folder, or remove this one "
                    "to start afresh")
            _clear_partials(self.folder)
        elif self.folder.exists() and any(p for p in self.folder.iterdir()
                                           if not _is_partial(p)):
            raise CheckpointError(
                f"checkpoint {self.folder} is a folder geoquant did not write (no job.json); "
                "pass an empty or new folder")
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            _clear_partials(self.folder)
            _write_atomic(job, json.dumps(self.fingerprint, indent=1, sort_keys=True).encode())

    def path(self, index: int) -> Path:
        """The file of batch ``index``'s summary."""
        return self.folder / f"batch-{index:06d}.npz"

    def saved(self) -> set[int]:
        """Indices of the batches whose summaries are saved."""
        return {int(p.stem.split("-")[1]) for p in self.folder.glob("batch-*.npz")}

    def load(self, index: int) -> Any:
        """Batch ``index``'s saved summary; :class:`~geoquant.errors.CheckpointError` when its
        file cannot be read."""
        from geoquant.tiling._safe_files import loads

        try:
            return loads(self.path(index).read_bytes())
        except Exception as err:  # noqa: BLE001 - any unreadable file means the same to users
            raise CheckpointError(
                f"checkpoint file {self.path(index)} cannot be read ({err}); delete that file "
                "and run again to recompute its batch") from err

    def save(self, index: int, summary: Any) -> None:
        """Write batch ``index``'s summary atomically (a killed run leaves no half file)."""
        from geoquant.tiling._safe_files import dumps

        _write_atomic(self.path(index), dumps(summary))


def _is_partial(path: Path) -> bool:
    return path.name.startswith(".") and ".partial-" in path.name


def _clear_partials(folder: Path) -> None:
    """Remove half-written files left by runs that were killed (their process is gone);
    a live run's files are its own. Their batches are simply computed again."""
    for partial in folder.glob(".*.partial-*"):
        try:
            os.kill(int(partial.name.rsplit("-", 1)[1]), 0)
        except (ValueError, ProcessLookupError):
            partial.unlink(missing_ok=True)
        except PermissionError:
            pass  # a live process of another user


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    with open(partial, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


class _OrderedMerge:
    """Merges batch summaries in raster order as they arrive, buffering early ones."""

    def __init__(self, plan: BatchPlan, merge: Callable[[Any, Any, int], Any]) -> None:
        self.plan, self.merge = plan, merge
        self.waiting: dict[int, Any] = {}
        self.next = 0
        self.row: Any = None
        self.total: Any = None

    def add(self, batch: Batch, summary: Any) -> None:
        self.waiting[batch.index] = summary
        while self.next in self.waiting:
            current = self.plan.batches[self.next]
            value = self.waiting.pop(self.next)
            self.row = value if self.row is None else self.merge(self.row, value, 1)
            if current.position[1] == self.plan.shape[1] - 1:
                self.total = self.row if self.total is None else self.merge(self.total,
                                                                            self.row, 0)
                self.row = None
            self.next += 1

    def result(self) -> Any:
        if self.next != len(self.plan):
            raise RuntimeError("not every batch was merged")  # an internal invariant
        return self.total


def run_batches(plan: BatchPlan, batch_graph: Callable[[Batch], Any],
                merge: Callable[[Any, Any, int], Any], *, in_flight: int = 2,
                checkpoint: Checkpoint | None = None, area_km2: Sequence[float] | None = None,
                say: Say | None = None, client: Any = None,
                check_resumed: Callable[[Batch, Any], None] | None = None,
                ) -> tuple[Any, BatchProgress]:
    """Compute every batch, merging the summaries in raster order.

    Parameters
    ----------
    plan : BatchPlan
        The batches.
    batch_graph : callable
        ``batch_graph(batch)`` returns a dask collection (a Delayed) whose result is the
        batch's summary. It is called only for batches that are not in the checkpoint.
    merge : callable
        ``merge(first, second, axis)``: join adjacent summaries, ``first`` above (axis 0) or
        left of (axis 1) ``second``.
    in_flight : int
        Batches on the cluster at once (at least 1).
    checkpoint : Checkpoint, optional
        Where finished summaries are kept; saved batches are read instead of computed.
    area_km2 : sequence of float, optional
        Area of each batch in km², for the progress lines.
    say : callable, optional
        Receives one progress line per finished batch.
    client : distributed.Client, optional
        Default: the current client if there is one, else the local threaded scheduler (one
        batch at a time).
    check_resumed : callable, optional
        ``check_resumed(batch, summary)`` for every batch read from the checkpoint: raises
        :class:`~geoquant.errors.CheckpointError` when the saved summary is not of the input
        as it is now.

    Returns
    -------
    (summary, BatchProgress)
        The merged summary of the whole region, and the final counts.
    """
    if client is None:
        client = _current_client()
    if client is not None and say is not None:
        say(f"Dask dashboard: {_dashboard(client)}")
    areas = list(area_km2) if area_km2 is not None else [0.0] * len(plan)
    progress = BatchProgress(len(plan), plan.grid.tiles[0] * plan.grid.tiles[1],
                             float(sum(areas)))
    merged = _OrderedMerge(plan, merge)
    saved = checkpoint.saved() if checkpoint is not None else set()

    def finish(batch: Batch, summary: Any, *, resumed: bool) -> None:
        if checkpoint is not None and not resumed:
            checkpoint.save(batch.index, summary)
        merged.add(batch, summary)
        progress.done_batches += 1
        progress.done_tiles += batch.tiles
        progress.done_km2 += areas[batch.index]
        if resumed:
            progress.resumed_batches += 1
        else:
            progress.computed_tiles += batch.tiles
        if say is not None and not resumed:
            say(progress.line())

    todo = []
    for batch in plan:
        if batch.index in saved:
            summary = checkpoint.load(batch.index)
            if check_resumed is not None:
                check_resumed(batch, summary)
            finish(batch, summary, resumed=True)
        else:
            todo.append(batch)
    if progress.resumed_batches and say is not None:
        say(f"resumed {progress.resumed_batches} of {len(plan)} batches from "
            f"{checkpoint.folder}; computing {len(todo)}")
    if client is None:
        import dask

        for batch in todo:
            (summary,) = dask.compute(batch_graph(batch), scheduler="threads")
            finish(batch, summary, resumed=False)
    else:
        _run_on_client(client, todo, batch_graph, finish, in_flight=in_flight)
    return merged.result(), progress


def _run_on_client(client: Any, todo: list[Batch], batch_graph: Callable[[Batch], Any],
                   finish: Callable[..., None], *, in_flight: int) -> None:
    from distributed import as_completed

    if not isinstance(in_flight, int) or in_flight < 1:
        raise InvalidOptionError(f"in_flight={in_flight!r}; pass a whole number >= 1")
    pending = iter(todo)
    running: dict[Any, Batch] = {}

    def submit() -> Any:
        batch = next(pending, None)
        if batch is None:
            return None
        future = client.compute(batch_graph(batch))
        running[future] = batch
        return future

    futures = [f for f in (submit() for _ in range(in_flight)) if f is not None]
    queue = as_completed(futures)
    try:
        for future in queue:
            batch = running.pop(future)
            summary = future.result()
            future.release()
            finish(batch, summary, resumed=False)
            following = submit()
            if following is not None:
                queue.add(following)
    finally:
        if running:  # a batch failed or the run was interrupted: stop the others too
            client.cancel(list(running))


def _dashboard(client: Any) -> str:
    """The dashboard's address, or why there is none (the client guesses one regardless)."""
    try:
        services = client.scheduler_info().get("services", {})
    except Exception:  # noqa: BLE001 - the line is informative only
        services = {}
    if "dashboard" not in services:
        return "off (the scheduler serves none)"
    return client.dashboard_link


def _current_client() -> Any:
    try:
        from distributed import get_client
    except ImportError:  # pragma: no cover - distributed is a dependency
        return None
    try:
        return get_client()
    except ValueError:
        return None
