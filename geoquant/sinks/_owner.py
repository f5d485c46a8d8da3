"""Who owns a hidden working folder, told apart from a later process with the same pid.

Working folders (``ask --out`` staging, a sink's ``.partial-``) carry an owner tag in their
name: ``<pid>-<boot>.<ticks>``, the pid, the first 8 hex digits of the kernel's boot id and
the process's start time in clock ticks since boot (Linux ``/proc``). A folder may be swept
only when its owner is *provably* gone: no process has that pid, the machine rebooted since,
or the process with that pid started at another time (the pid was reused). Inside one process,
the folders its threads are still using are registered (:func:`claimed`), so one thread never
sweeps another's. Where ``/proc`` is missing the tag is ``<pid>-0.0`` and only the pid is
checked.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

__all__ = ["claimed", "owner_gone", "owner_tag", "parse_owner"]

_LOCK = threading.Lock()
_CLAIMED: set[str] = set()
_CACHE: dict[int, str] = {}


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:8]
    except OSError:
        return "0"


def _start_ticks(pid: int) -> str:
    """The start time of process ``pid`` in clock ticks since boot, or ``"0"`` if unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return str(int(fields[19]))
    except (OSError, IndexError, ValueError):
        return "0"


def owner_tag() -> str:
    """This process's tag, ``<pid>-<boot>.<ticks>`` (no other ``-``, so names can be split)."""
    pid = os.getpid()                      # per pid: a forked child is another owner
    if pid not in _CACHE:
        _CACHE[pid] = f"{pid}-{_boot_id()}.{_start_ticks(pid)}"
    return _CACHE[pid]


def parse_owner(text: str) -> tuple[int, str | None] | None:
    """``(pid, "<boot>.<ticks>")`` from the start of ``text`` (``<pid>-<boot>.<ticks>-...``);
    ``(pid, None)`` for an older name that carries only the pid; None without one."""
    head, _, rest = text.partition("-")
    if not head.isdigit():
        return None
    start = rest.split("-", 1)[0] if "-" in rest else ""
    boot, dot, ticks = start.partition(".")
    if dot and ticks.isdigit() and boot.isalnum():
        return int(head), start
    return int(head), None


def owner_gone(pid: int, start: str | None, path: str | os.PathLike[str] | None = None) -> bool:
    """Whether the owner of a working folder is provably gone (so the folder may be swept).

    Parameters
    ----------
    pid
        The owner's process id.
    start
        ``"<boot>.<ticks>"`` as in :func:`owner_tag`, or None when the name carries only a pid.
    path
        The folder; if this process claimed it (:func:`claimed`), its owner is alive.
    """
    if path is not None:
        with _LOCK:
            if os.path.abspath(path) in _CLAIMED:
                return False
    if pid == os.getpid():
        # our own pid: ours if it has our start (then no live thread claims it: a leftover of
        # a thread that failed to remove it), or of a dead process whose pid we now have
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass                                # another user's process: it exists
    except OSError:
        return False
    if start is None:
        return False                        # an older name: the pid runs, it may be its owner
    boot, _, ticks = start.partition(".")
    here = _boot_id()
    if boot != "0" and here != "0" and boot != here:
        return True                         # written before the machine rebooted
    now = _start_ticks(pid)
    return ticks != "0" and now != "0" and now != ticks      # the pid was reused


@contextlib.contextmanager
def claimed(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Register ``path`` as in use by this process for the block (create it yourself inside);
    :func:`owner_gone` is False for it meanwhile, whatever thread asks."""
    key = os.path.abspath(path)
    with _LOCK:
        _CLAIMED.add(key)
    try:
        yield Path(key)
    finally:
        with _LOCK:
            _CLAIMED.discard(key)
