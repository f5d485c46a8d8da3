"""Outputs that appear whole or not at all.

Everything a sink writes goes first into a hidden sibling of the target (same directory, so the
same filesystem), and is renamed into place only once it is complete. A failure at any point
removes the sibling and leaves the target as it was. The checks on the target path run before
anything is computed, so a typo in a path fails in milliseconds, not after an hour of work.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from geoquant.errors import OutputPathError

__all__ = ["atomic_output", "check_output_path", "sibling_name"]


def sibling_name(target: Path, tag: str) -> Path:
    """A hidden, unique path next to ``target``: ``.<name>.<tag>-<pid>-<boot>.<ticks>-<uuid>``
    (its owner, see :mod:`geoquant.sinks._owner`, then a token unique to this write)."""
    from geoquant.sinks._owner import owner_tag

    return target.with_name(f".{target.name}.{tag}-{owner_tag()}-{uuid.uuid4().hex[:12]}")


#: Seconds after which a ``.partial-<hex>`` of an older geoquant (its name carries no owner)
#: untouched that long is a dead run's and is swept.
OWNERLESS_STALE_S = 7 * 86400.0


def sweep_partials(target: Path) -> list[Path]:
    """Remove the ``.<name>.partial-*`` siblings of ``target`` that dead runs left.

    A sibling is removed only when its owner is provably gone (see
    :func:`geoquant.sinks._owner.owner_gone`): never one a live process, or another thread of
    this one, is writing. One of an older geoquant, named ``.partial-<hex>`` without an owner,
    is removed when nothing in it changed for :data:`OWNERLESS_STALE_S`. Returns what was
    removed.
    """
    import time

    from geoquant.sinks._owner import owner_gone, parse_owner

    prefix = f".{target.name}.partial-"
    removed = []
    try:
        found = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for path in found:
        rest = path.name[len(prefix):]
        owner = parse_owner(rest)
        if owner is not None and "-" in rest:
            gone = owner_gone(*owner, path=path)
        else:                                   # .partial-<hex>: an older geoquant's
            gone = time.time() - _newest_change(path) > OWNERLESS_STALE_S
        if gone:
            _remove(path)
            removed.append(path)
    return removed


def _newest_change(path: Path) -> float:
    """The latest modification time of ``path`` and what lies directly in it, seconds."""
    try:
        times = [path.lstat().st_mtime]
        if path.is_dir() and not path.is_symlink():
            times += [child.lstat().st_mtime for child in path.iterdir()]
        return max(times)
    except OSError:
        return float("inf")


def check_output_path(path: str | os.PathLike[str], *, overwrite: bool, kind: str) -> Path:
    """Validate an output path before anything is computed.

    Parameters
    ----------
    path
        Where the output should appear.
    overwrite
        Whether an existing output at ``path`` may be replaced.
    kind
        ``"directory"`` or ``"file"``: what the sink writes. An existing output of the other
        kind is never replaced, even with ``overwrite=True``.

    Returns
    -------
    pathlib.Path
        The absolute target path.

    Raises
    ------
    OutputPathError
        If the parent directory is missing, is not a directory or cannot be written, or if the
        target exists and ``overwrite`` is false.
    """
    given = Path(os.fspath(path)).expanduser()
    if given.name in ("", ".", ".."):
        raise OutputPathError(
            f"Output path {os.fspath(path)!r} names no file or store: give one like 'out.zarr'."
        )
    target = given.absolute()
    parent = target.parent
    if not parent.exists():
        raise OutputPathError(
            f"Cannot write {target}: the directory {parent} does not exist. "
            "Create it first or choose another path."
        )
    if not parent.is_dir():
        raise OutputPathError(
            f"Cannot write {target}: {parent} is a file, not a directory. "
            "Choose a path inside a directory."
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputPathError(
            f"Cannot write {target}: no permission to create files in {parent}. "
            "Choose a directory you can write to, or change its permissions."
        )
    if target.exists() or target.is_symlink():
        if not overwrite:
            raise OutputPathError(
                f"{target} already exists: pass overwrite=True (--overwrite on the command "
                "line) to replace it, or choose another path."
            )
        existing = "directory" if target.is_dir() else "file"
        if existing != kind:
            raise OutputPathError(
                f"{target} exists and is a {existing}, but a {kind} would be written there: "
                f"remove it yourself or choose another path."
            )
    return target


def _make_partial(partial: Path, target: Path, *, kind: str) -> Path:
    try:
        if kind == "directory":
            partial.mkdir()
        else:
            partial.touch(exist_ok=False)
    except OSError as exc:
        raise OutputPathError(
            f"Cannot write {target}: creating {partial.name} in {target.parent} failed "
            f"({exc.strerror or exc}). Choose a directory you can write to, or free space on it."
        ) from exc
    return partial


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _publish(partial: Path, target: Path, *, overwrite: bool) -> None:
    """Rename a complete ``partial`` to ``target``; the old target goes only once the new is in."""
    if not (target.exists() or target.is_symlink()):
        # os.rename onto an empty directory that appeared meanwhile would silently succeed on
        # POSIX; the existence check keeps that window to the instant between two syscalls.
        os.rename(partial, target)
        return
    if not overwrite:
        raise OutputPathError(
            f"{target} appeared while it was being written: pass overwrite=True (--overwrite "
            "on the command line) to replace it, or choose another path."
        )
    aside = sibling_name(target, "old")
    os.rename(target, aside)
    try:
        os.rename(partial, target)
    except BaseException:
        os.rename(aside, target)
        raise
    _remove(aside)


@contextlib.contextmanager
def atomic_output(target: Path, *, overwrite: bool, kind: str) -> Iterator[Path]:
    """Yield a hidden sibling of ``target`` to write into; publish it if the block succeeds.

    ``target`` must come from :func:`check_output_path`. The sibling is created before the block
    runs (a last check that the directory can be written). If the block raises anything, the
    sibling is removed and the exception propagates; ``target`` is left untouched.
    """
    from geoquant.sinks._owner import claimed

    sweep_partials(target)
    with claimed(sibling_name(target, "partial")) as name:
        partial = _make_partial(name, target, kind=kind)
        yield from _write_then_publish(partial, target, overwrite=overwrite)


def _write_then_publish(partial: Path, target: Path, *, overwrite: bool) -> Iterator[Path]:
    try:
        yield partial
        _publish(partial, target, overwrite=overwrite)
    except BaseException as exc:
        _remove(partial)
        if isinstance(exc, OSError) and not isinstance(exc, (TimeoutError, ConnectionError)):
            raise _write_failed(target, exc) from exc
        raise


class WriteFailedError(OutputPathError, OSError):
    """The system refused a write (a full disk, a quota, a read-only mount): an
    :class:`~geoquant.errors.OutputPathError` naming the output, and still an ``OSError``
    with the system's ``errno`` for code that caught those."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _write_failed(target: Path, exc: OSError) -> WriteFailedError:
    """A disk's failure while writing ``target`` (a full disk, a quota, a read-only mount), as
    an error that names the target and what the system said; nothing of it was kept."""
    import errno

    advice = {errno.ENOSPC: f"free space on the disk of {target.parent} or choose another "
                            "folder",
              errno.EDQUOT: f"free space in your quota on {target.parent} or choose another "
                            "folder",
              errno.EROFS: "the filesystem is read-only: choose another folder",
              errno.EACCES: f"choose a folder you can write to, or change the permissions "
                            f"of {target.parent}"}.get(exc.errno, "choose another folder")
    where = f" at {exc.filename}" if getattr(exc, "filename", None) else ""
    error = WriteFailedError(f"Cannot write {target}: {exc.strerror or exc}{where}; {advice}. "
                             "Nothing half-written was kept.")
    error.errno, error.filename = exc.errno, exc.filename
    return error
