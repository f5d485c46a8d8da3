"""Definitions by name or by file: where names are looked up, and YAML read and checked."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from geoquant.cluster._definition import KINDS, ClusterDefinition, from_mapping
from geoquant.cluster._values import closest
from geoquant.errors import ClusterError, ConfigError

#: The folder of the built-in definitions, shipped inside the package (the source of truth;
#: ``clusters/`` at the repository root holds identical copies to edit).
BUILTIN_DIR = Path(__file__).resolve().parent / "definitions"
#: Environment variable: folders (``os.pathsep``-separated) searched first for named definitions.
SEARCH_ENV = "GEOQUANT_CLUSTERS"
_DEFINITION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _shown(path: Path) -> str:
    """A path as the user would write it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def read_definition(path: str | os.PathLike[str]) -> ClusterDefinition:
    """Read and check one YAML definition file.

    Raises
    ------
    ClusterError
        If the file does not exist or cannot be read.
    ConfigError
        If it is not YAML, or not a valid definition.
    """
    from geoquant._yaml import load_yaml

    path = Path(path)
    shown = _shown(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ClusterError(f"no cluster definition file at {shown}: check the path, or give a "
                           f"name ({', '.join(known_names())})") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ClusterError(f"cannot read the cluster definition {shown}: {err}") from None
    raw = load_yaml(text, source=shown)
    if raw is None:
        raise ConfigError(f"{shown}: the file is empty: a definition needs at least "
                          f"'kind:' ({', '.join(sorted(KINDS))})")
    return from_mapping(raw, name=path.stem, source=shown)


def search_path() -> list[Path]:
    """Folders searched for a named definition, in order.

    ``$GEOQUANT_CLUSTERS`` (folders separated by ``os.pathsep``), then ``clusters/`` in the
    current folder, then the definitions built into geoquant.
    """
    folders = [Path(p) for p in os.environ.get(SEARCH_ENV, "").split(os.pathsep) if p]
    return [*folders, Path("clusters"), BUILTIN_DIR]


def known_names() -> list[str]:
    """Names of the definitions found on :func:`search_path`, sorted."""
    names = set()
    for folder in search_path():
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.yaml") if _DEFINITION_NAME.match(p.stem))
    return sorted(names)


def builtin_names() -> list[str]:
    """Names of the definitions built into geoquant, sorted."""
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def _is_path(text: str) -> bool:
    return ("/" in text or os.sep in text or text.endswith((".yaml", ".yml"))
            or (sys.platform == "win32" and ":" in text))


def load_definition(name_or_path: str | os.PathLike[str] | ClusterDefinition = "local"
                    ) -> ClusterDefinition:
    """Read a cluster definition by name or from a YAML file, checking every key.

    Parameters
    ----------
    name_or_path
        A name (``"local"``, ``"slurm"``...: ``<name>.yaml`` looked up in ``$GEOQUANT_CLUSTERS``,
        then ``./clusters/``, then geoquant's built-in definitions), a path to a YAML file
        (anything with a ``/`` or a ``.yaml``/``.yml`` suffix), or a definition (returned as
        it is).

    Returns
    -------
    ClusterDefinition
        The subclass for the file's ``kind``.

    Raises
    ------
    ClusterError
        If the name is unknown (the known ones are listed) or the file cannot be read.
    ConfigError
        If the file has unknown or missing keys or wrong values (named, with the closest known
        key).

    Examples
    --------
    >>> from geoquant.cluster import load_definition
    >>> load_definition("local").kind
    'local'
    >>> load_definition("slurm").walltime
    '01:00:00'
    """
    if isinstance(name_or_path, ClusterDefinition):
        return name_or_path
    if isinstance(name_or_path, os.PathLike) or _is_path(str(name_or_path)):
        return read_definition(name_or_path)
    name = str(name_or_path)
    if not isinstance(name_or_path, str) or not _DEFINITION_NAME.match(name):
        raise ClusterError(f"not a cluster name or definition file: {name_or_path!r}")
    for folder in search_path():
        path = folder / f"{name}.yaml"
        if path.is_file():
            return read_definition(path)
    known = known_names()
    raise ClusterError(f"unknown cluster {name!r}{closest(name, known)}: known clusters are "
                       f"{', '.join(known)}; or give the path of a YAML definition "
                       "(see clusters/README.md)")
