"""An ``OSError`` in words: what failed (the errno's name), on which path, in which operation,
and the advice that fits that errno only (free space only for a full disk)."""

from __future__ import annotations

import errno
import os

#: What to do about an errno, where there is something the user can do.
ADVICE = {
    errno.ENOSPC: "free space on that disk or choose another output folder",
    errno.EDQUOT: "free space in your quota or choose another output folder",
    errno.EROFS: "that file system is read-only: choose another output folder",
    errno.EACCES: "check its permissions, or choose a path you can read or write",
    errno.EPERM: "check its permissions, or choose a path you can read or write",
    errno.ENOENT: "check the path: it, or a folder above it, does not exist",
    errno.ENOTDIR: "check the path: a part of it is a file, not a folder",
    errno.EISDIR: "give a file, not a folder",
    errno.EEXIST: "remove it or choose another path",
    errno.ENAMETOOLONG: "choose a shorter path",
    errno.EMFILE: "too many files are open: raise the limit (ulimit -n) or use fewer workers",
    errno.ENFILE: "too many files are open on this system: close some, or use fewer workers",
    errno.ENOMEM: "the system is out of memory: use smaller chunks or fewer workers",
    errno.EIO: "the disk or network file system failed to read or write: check it",
    errno.ECONNREFUSED: "nothing answers at that address: check that the server runs",
    errno.ECONNRESET: "the other end closed the connection: run again",
    errno.EPIPE: "the other end closed the connection: run again",
}


def errno_name(err: OSError) -> str:
    """The symbolic name of ``err``'s errno (``"ENOSPC"``), or ``"no errno"``."""
    code = getattr(err, "errno", None)
    if not isinstance(code, int):
        return "no errno"
    return errno.errorcode.get(code, f"errno {code}")


def _operation(err: BaseException) -> str | None:
    """The innermost function of the traceback that raised ``err`` (``module.function``)."""
    tb = err.__traceback__
    if tb is None:
        return None
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    module = tb.tb_frame.f_globals.get("__name__", "")
    return f"{module}.{code.co_name}" if module else code.co_name


def describe_os_error(err: OSError) -> str:
    """One line saying what failed: the system's words, the errno's name, the path(s), the
    function that was running, and advice for that errno where there is any.

    Examples
    --------
    >>> describe_os_error(OSError(17, "File exists", "/data/a.tif"))
    "File exists [EEXIST] at '/data/a.tif'; remove it or choose another path"
    """
    from geoquant.errors import quote

    said = getattr(err, "strerror", None) or " ".join(str(err).split()) or type(err).__name__
    parts = [f"{quote(said, 200, as_repr=False)} [{errno_name(err)}]"]
    paths = [p for p in (getattr(err, "filename", None), getattr(err, "filename2", None))
             if p is not None]
    if paths:
        parts.append(" at " + " -> ".join(quote(os.fsdecode(p) if isinstance(p, bytes)
                                                 else str(p), 200) for p in paths))
    operation = _operation(err)
    if operation:
        parts.append(f" (in {operation})")
    advice = ADVICE.get(getattr(err, "errno", None))
    return "".join(parts) + (f"; {advice}" if advice else "")
