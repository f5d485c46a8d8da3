"""Error messages stay one readable line whatever the input: :func:`geoquant.errors.quote`
and the command line's words for an ``OSError`` (issue 32 items 7 and 14)."""

from __future__ import annotations

import errno

import pytest

from geoquant import cli
from geoquant._os_errors import describe_os_error
from geoquant.errors import quote


@pytest.mark.parametrize("value", ["forest", 5, None, ["a", "b"], "x" * 78])
def test_short_inputs_are_quoted_whole_as_their_repr(value):
    assert quote(value) == repr(value)


@pytest.mark.parametrize("size", [81, 1000, 1_000_000])
def test_long_inputs_are_cut_in_the_middle_with_their_length(size):
    text = "h" + "a" * (size - 2) + "t"
    quoted = quote(text)
    assert len(quoted) <= 80
    assert quoted.startswith("'ha") and quoted.endswith("at'")
    assert f"…({size + 2:,} characters)…" in quoted         # the repr's length, quotes included


def test_a_value_that_cannot_print_itself_is_named_by_its_type():
    class Broken:
        def __repr__(self):
            raise RuntimeError("no")

    assert quote(Broken()) == "<Broken>"


def _raise_from_here(err):
    raise err


@pytest.mark.parametrize(("code", "advice", "not_said"), [
    (errno.EIO, "disk or network file system failed", "free space"),
    (errno.EACCES, "check its permissions", "free space"),
    (errno.ENOENT, "does not exist", "free space"),
    (errno.ENOSPC, "free space on that disk", "permissions"),
])
def test_an_os_error_says_what_failed_and_only_its_own_advice(code, advice, not_said):
    try:
        _raise_from_here(OSError(code, f"the system says {code}", "/data/in.tif"))
    except OSError as err:
        line = describe_os_error(err)
    assert f"[{errno.errorcode[code]}]" in line and "'/data/in.tif'" in line
    assert f"(in {__name__}._raise_from_here)" in line
    assert advice in line and not_said not in line


def test_an_os_error_without_errno_or_path_is_still_one_line():
    line = describe_os_error(OSError("the\nreason"))
    assert line == "the reason [no errno]"


def test_a_rename_names_both_paths():
    line = describe_os_error(OSError(errno.EXDEV, "Invalid cross-device link", "/a", None,
                                      "/b"))
    assert "'/a' -> '/b'" in line and "[EXDEV]" in line


@pytest.mark.parametrize(("raised", "expected", "absent"), [
    (OSError(errno.EIO, "Input/output error", "/data/in.tif"), "[EIO] at '/data/in.tif'",
     "free space"),
    (OSError(errno.ENOSPC, "No space left on device", "/full/a.zarr"), "free space",
     "permissions"),
])
def test_the_command_line_says_which_os_error_it_was(monkeypatch, capsys, raised, expected,
                                                     absent):
    parser = cli.build_parser()

    class Parser:
        def parse_args(self, argv):
            args = parser.parse_args(argv)
            args.run = lambda args: _raise_from_here(raised)
            return args

    monkeypatch.setattr(cli, "build_parser", Parser)
    assert cli.main(["demo"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and expected in err[0] and absent not in err[0]
