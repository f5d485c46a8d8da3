"""One package style (issue 30 item 4): every package is a lazy namespace read from its stub.

Every ``__init__.py`` is a docstring and :func:`geoquant._lazy.attach`; ``dir()`` shows
``__all__`` only; no module is callable; ``import geoquant`` and ``geoquant --help`` load no
heavy library; renamed names warn for one release, and geoquant's own code never uses them.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pydoc
import re
import subprocess
import sys
import types
import warnings
from pathlib import Path

import pytest

import geoquant

PACKAGE = Path(geoquant.__file__).resolve().parent
PACKAGES = sorted(
    ".".join(("geoquant", *init.parent.relative_to(PACKAGE).parts))
    for init in PACKAGE.rglob("__init__.py") if "__pycache__" not in init.parts)
HEAVY = ("numpy", "dask", "xarray", "torch", "zarr", "numba", "distributed", "cupy", "pandas",
         "scipy", "rasterio")
#: package -> {deprecated name: the public name it became}
DEPRECATED = {
    "geoquant.sources": {"open": "open_raster"},
    "geoquant.segment": {name: "open_segmenter" for name in (
        "load_model", "load_classifier", "model_segmenter", "from_mlm_item", "product")},
}


def _fresh_python(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip().splitlines()[-1]


def test_every_package_is_found():
    assert {"geoquant", "geoquant.cluster", "geoquant.segment", "geoquant.sources",
            "geoquant.demo", "geoquant.ops.kernels"} <= set(PACKAGES)


@pytest.mark.parametrize("name", PACKAGES)
def test_init_is_a_docstring_and_the_stub(name):
    module = importlib.import_module(name)
    init = Path(module.__file__)
    assert init.with_suffix(".pyi").is_file(), f"{name} has no __init__.pyi stub"
    tree = ast.parse(init.read_text())
    assert ast.get_docstring(tree), f"{name} has no docstring"
    # Beyond the docstring: imports from geoquant._lazy, private constants, and the one
    # assignment of attach's results (geoquant.ops adds the import of its accessor).
    assigned = []
    for node in tree.body[1:]:
        if isinstance(node, ast.ImportFrom):
            assert node.module in ("geoquant._lazy", "geoquant.ops"), ast.unparse(node)
        else:
            assert isinstance(node, ast.Assign), f"{name}: {ast.unparse(node)}"
            assigned.append(ast.unparse(node.targets[0]))
    assert assigned[-1] == "(__getattr__, __dir__, __all__)"
    assert all(target.startswith("_") for target in assigned[:-1]), assigned


@pytest.mark.parametrize("name", PACKAGES)
def test_dir_shows_the_public_names_only(name):
    module = importlib.import_module(name)
    for public in module.__all__:
        getattr(module, public)            # loads the private modules: they must stay hidden
    assert dir(module) == sorted(module.__all__)
    assert not any(n.startswith("_") and n != "__version__" for n in dir(module))


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_resolves(name):
    module = importlib.import_module(name)
    stub = ast.parse(Path(module.__file__).with_suffix(".pyi").read_text())
    listed = next(node.value for node in stub.body if isinstance(node, ast.Assign)
                  and ast.unparse(node.targets[0]) == "__all__")
    assert sorted(ast.literal_eval(listed)) == sorted(module.__all__), \
        f"{name}: the stub's __all__ differs from its imports"
    for public in module.__all__:
        assert getattr(module, public) is not None, f"{name}.{public}"
    with pytest.raises(AttributeError, match=f"{name} has no attribute 'no_such_name'"):
        module.no_such_name  # noqa: B018


@pytest.mark.parametrize("name", PACKAGES)
def test_no_module_is_callable(name):
    module = importlib.import_module(name)
    assert type(module) is types.ModuleType
    assert not callable(module)


def test_import_geoquant_and_help_load_no_heavy_library():
    code = ("import sys, geoquant, geoquant.cli\n"
            "try:\n    geoquant.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    assert _fresh_python(code) == "[]"


@pytest.mark.parametrize("name", [p for p in PACKAGES if not p.startswith("geoquant.ops")])
def test_importing_a_package_loads_no_heavy_library(name):
    # geoquant.ops (and so ops.kernels) registers the .gq DataArray accessor on import, so it
    # imports xarray.
    code = f"import sys, {name}\nprint([m for m in {HEAVY!r} if m in sys.modules])"
    assert _fresh_python(code) == "[]"


@pytest.mark.parametrize(("package", "old", "new"), [
    (package, old, new) for package, names in DEPRECATED.items() for old, new in names.items()])
def test_deprecated_aliases_warn_and_still_work(package, old, new):
    module = importlib.import_module(package)
    assert old not in module.__all__ and old not in dir(module)
    assert new in module.__all__
    with pytest.warns(DeprecationWarning, match=rf"{package}\.{old} is deprecated.*{new}"):
        found = getattr(module, old)
    if old == "open":                    # a rename: the alias is the new function itself
        assert found is getattr(module, new)
    else:                                # a former door, now behind open_segmenter
        assert found.__name__ == old and found.__module__.startswith(f"{package}._")


def test_from_import_of_a_deprecated_alias_warns_at_the_caller():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from geoquant.sources import open as old_open
    assert old_open is geoquant.sources.open_raster
    shown = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert shown and all(w.filename == __file__ for w in shown)


def _deprecated_uses(path: Path) -> list[tuple[str, int, str]]:
    """Uses of a deprecated alias in one source file (path, line, code): ``sources.open``,
    ``segment.product``, ``from geoquant.segment import product``, ..."""
    text = path.read_text()
    if not re.search(r"(sources|segment)\.\w|from geoquant\.(sources|segment) import", text):
        return []                        # most files: nothing to parse
    found = []
    for node in ast.walk(ast.parse(text, str(path))):
        if isinstance(node, ast.ImportFrom) and node.module in DEPRECATED:
            found += [(str(path), node.lineno, f"from {node.module} import {alias.name}")
                      for alias in node.names if alias.name in DEPRECATED[node.module]]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute | ast.Name):
            owner = ast.unparse(node.value).rsplit(".", 1)[-1]
            if node.attr in DEPRECATED.get(f"geoquant.{owner}", ()):
                found.append((str(path), node.lineno, ast.unparse(node)))
    return found


def test_geoquant_uses_no_deprecated_alias():
    uses = [use for path in sorted(PACKAGE.rglob("*.py")) for use in _deprecated_uses(path)]
    assert uses == []


def test_the_deprecated_use_finder_finds_them(tmp_path):
    path = tmp_path / "old.py"
    path.write_text("from geoquant import segment, sources\n"
                    "from geoquant.segment import product as p\n"
                    "a = sources.open('x.tif')\nb = gq.segment.load_model('m.pt')\n"
                    "c = sources.open_raster('x.tif')\nd = segment.open_segmenter('m.pt')\n")
    assert [line for _, line, _ in _deprecated_uses(path)] == [2, 3, 4]


def test_help_of_ask_shows_its_parameters_and_text():
    from geoquant.reason import ask

    assert geoquant.ask is ask
    signature = inspect.signature(geoquant.ask)
    assert list(signature.parameters)[:3] == ["question", "source", "region"]
    assert signature.parameters["source"].kind is inspect.Parameter.KEYWORD_ONLY
    text = pydoc.render_doc(geoquant.ask, renderer=pydoc.plaintext)
    assert "ask(question: 'str | Plan', *, source: 'Any'" in text
    assert "Parameters\n" in text and "Returns\n" in text and "**options" not in text
