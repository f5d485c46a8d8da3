"""Every code block of README.md, docs/ and recipes/README.md runs as written.

The Python blocks of one page run in order in one session (a later block uses what an earlier
one made), from a folder laid out like the repository root; the bash blocks run one by one
there too. A block that cannot run here says why on the line before it
(``<!-- not run: REASON -->``); ``<!-- run last: REASON -->`` runs a block after the rest of
its page. Blocks without a language (command output, usage synopses) are text.

By default: every page's Python compiles and uses no name that nothing defined (``x0``), the
README's first block runs (a STAC API over the demo data, search, load, Zarr), and the
monitor example takes its catalog URL on the command line. With ``-m slow``: every page's
Python and bash blocks run.
"""

from __future__ import annotations

import ast
import builtins
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "recipes/README.md"]
RUNNABLE = ("python", "bash")
MARKER = re.compile(r"^<!--\s*(not run|run last):\s*(.+?)\s*-->$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    code: str
    marker: str | None = None
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page, with the marker on the line before each."""
    found, lines = [], page.read_text().splitlines()
    n = 0
    while n < len(lines):
        opening = re.match(r"^```(\w*)\s*$", lines[n])
        if not opening:
            n += 1
            continue
        end = next(k for k in range(n + 1, len(lines)) if lines[k].startswith("```"))
        before = lines[n - 1].strip() if n else ""
        marker = MARKER.match(before)
        found.append(Block(page, n + 1, opening[1], "\n".join(lines[n + 1:end]) + "\n",
                           marker[1] if marker else None, marker[2] if marker else ""))
        n = end + 1
    return found


def session(page: Path, language: str) -> list[Block]:
    """The blocks of a page that run, in the order they run."""
    runs = [b for b in blocks(page) if b.language == language and b.marker != "not run"]
    return [b for b in runs if b.marker is None] + [b for b in runs if b.marker == "run last"]


def _pages_with(language: str) -> list[Path]:
    return [p for p in PAGES if session(p, language)]


def _workdir(tmp_path: Path) -> Path:
    """A folder laid out like the repository root: the package, recipes and virtual
    environment linked, docs copied (the monitor writes its store beside its config)."""
    for name in ("geoquant", "recipes", ".venv", "clusters"):
        if (ROOT / name).exists():
            (tmp_path / name).symlink_to(ROOT / name)
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    return tmp_path


def _run_python(code: str, cwd: Path, timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


# --- by default ---------------------------------------------------------------------------------

def test_every_runnable_block_that_is_not_run_says_why():
    for page in PAGES:
        for block in blocks(page):
            if block.language in RUNNABLE and block.marker is not None:
                assert len(block.reason) > 10, f"{block}: say why it is not run"


@pytest.mark.parametrize("page", _pages_with("python"), ids=lambda p: p.name)
def test_python_blocks_compile_and_use_only_names_they_define(page):
    """Catches what a reader meets first: undefined names (``x0``, ``landuse_2006``)."""
    defined = set(dir(builtins))
    for block in session(page, "python"):
        tree = ast.parse(block.code, filename=str(block))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.add(node.name)
            elif isinstance(node, ast.arg):
                defined.add(node.arg)
        used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
                and isinstance(n.ctx, ast.Load)}
        assert not used - defined, f"{block} uses undefined names {sorted(used - defined)}"


def test_the_readme_first_block_runs(tmp_path):
    """The first Python block: build a catalog of the demo data, serve it, search, load, clear
    mask, write Zarr (the 100_000² synthetic scene stays lazy)."""
    first = session(ROOT / "README.md", "python")[0]
    assert "CatalogServer" in first.code and "build_catalog" in first.code
    result = _run_python(first.code, _workdir(tmp_path), 300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "cube.zarr" / ".zattrs").is_file()


def test_the_monitor_example_takes_its_catalog_on_the_command_line(tmp_path):
    """No fixed port: the example's instructions serve the catalog on a free port and pass
    its URL with --catalog, which must be a URL."""
    example = (ROOT / "docs/monitor.example.yaml").read_text()
    assert "--port 8080" not in example and "--catalog http://127.0.0.1:PORT" in example
    from geoquant.cli import main

    assert main(["monitor", "run", str(ROOT / "docs/monitor.example.yaml"),
                 "--catalog", "localhost:1"]) == 2


# --- with -m slow ------------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("page", _pages_with("python"), ids=lambda p: p.name)
def test_python_blocks_run(page, tmp_path):
    code = "\n".join(f"# {b}\n{b.code}" for b in session(page, "python"))
    result = _run_python(code, _workdir(tmp_path), 1500)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("page", _pages_with("bash"), ids=lambda p: p.name)
def test_bash_blocks_run(page, tmp_path):
    cwd = _workdir(tmp_path)
    for block in session(page, "bash"):
        result = subprocess.run(["bash", "-e", "-c", block.code], cwd=cwd, capture_output=True,
                                text=True, timeout=1500)
        assert result.returncode == 0, f"{block}: {result.stderr[-3000:]}"
