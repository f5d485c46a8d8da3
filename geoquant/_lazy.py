"""Lazy public namespaces: the one ``__init__`` style of every geoquant package.

Each package's ``__init__.py`` is its docstring and a call of :func:`attach`; its
``__init__.pyi`` stub lists the public names and the private modules they live in, so type
checkers and editors read the names while ``import geoquant.<package>`` loads none of those
modules (scikit-image's pattern, through ``lazy_loader.attach_stub``). ``dir()`` shows
``__all__`` only: no ``annotations``, no stdlib modules, no private modules.

A renamed name stays reachable for one release as a deprecated alias: reading it warns with a
:class:`DeprecationWarning` that names what to use instead, and it is neither in ``__all__``
nor in ``dir()``.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple


class Alias(NamedTuple):
    """A deprecated public name: where the object it stands for lives, and what to use now.

    Attributes
    ----------
    module : str
        The module holding the object, relative to the package (``"._local"``).
    attr : str
        The object's name in that module.
    instead : str
        What to write instead, as the warning tells it (``"geoquant.sources.open_raster"``).
    """

    module: str
    attr: str
    instead: str


def attach(package: str, file: str, *, deprecated: Mapping[str, Alias] | None = None
           ) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` of a package, from its ``.pyi`` stub.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    file : str
        The package's ``__file__`` (its ``__init__.pyi`` sits beside it).
    deprecated : mapping of str to Alias, optional
        Old names kept for one release; reading one warns (:class:`DeprecationWarning`).

    Returns
    -------
    tuple
        ``(__getattr__, __dir__, __all__)`` to assign in the package's ``__init__.py``.
    """
    import lazy_loader

    lazy_getattr, lazy_dir, names = lazy_loader.attach_stub(package, file)
    aliases = dict(deprecated or {})

    def __getattr__(name: str) -> Any:
        alias = aliases.get(name)
        if alias is None:
            if name not in names:
                raise AttributeError(_unknown(package, name, names), name=name)
            return lazy_getattr(name)
        warnings.warn(f"{package}.{name} is deprecated and will be removed in the next "
                      f"release: use {alias.instead}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(alias.module, package), alias.attr)

    return __getattr__, lazy_dir, names


def _unknown(package: str, name: str, names: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, names, n=1)
    hint = f": did you mean {close[0]!r}?" if close else f" (its names: see dir({package}))"
    return f"{package} has no attribute {name!r}{hint}"
