"""The exceptions geoquant raises on bad input.

Every error is a :class:`GeoquantError`; the command line turns one into a single line and a
non-zero exit. Messages say what to change, not only what went wrong.
"""

from __future__ import annotations

from typing import Any

#: The most characters of one input an error message quotes (:func:`quote`).
QUOTE_LIMIT = 80


def quote(value: Any, limit: int = QUOTE_LIMIT, *, as_repr: bool = True) -> str:
    """``value`` as an error message quotes it: its ``repr`` (or ``str`` with ``as_repr=False``),
    cut in the middle to at most about ``limit`` characters when longer, with its length.

    Every message that interpolates an input (a step id, an op name, an argument, a key, a
    path) quotes it with this, so that a one-megabyte input gives a one-line error.

    Examples
    --------
    >>> quote("forest")
    "'forest'"
    >>> quote("a" * 1000, limit=50)
    "'aaaaaaaaaaaaaaaaaaa…(1,002 characters)…aaaaaaaaa'"
    """
    try:
        text = repr(value) if as_repr else str(value)
    except Exception:  # noqa: BLE001 - a value that cannot print itself
        text = f"<{type(value).__name__}>"
    if len(text) <= limit:
        return text
    marker = f"…({len(text):,} characters)…"
    keep = max(limit - len(marker), 12)
    tail = keep // 3
    return f"{text[:keep - tail]}{marker}{text[len(text) - tail:]}"


class GeoquantError(Exception):
    """Base of every error geoquant raises on purpose."""


class CatalogUnreachableError(GeoquantError):
    """The STAC API did not answer (wrong URL, server not running, network closed)."""


class NoItemsFoundError(GeoquantError):
    """A search matched no STAC items."""


class AssetError(GeoquantError):
    """An asset is missing from an item, or its file cannot be read."""


class MixedCRSError(GeoquantError):
    """Items come in more than one CRS and no target CRS was given."""


class RegionError(GeoquantError):
    """A region is empty, malformed, or lies outside the data."""


class DateRangeError(GeoquantError):
    """A datetime range cannot be parsed or ends before it starts."""


class OutputPathError(GeoquantError):
    """An output path cannot be written or is already in use."""


class StoreError(GeoquantError):
    """A Zarr store is corrupt or lacks the georeferencing geoquant needs."""


class InvalidOptionError(GeoquantError, ValueError):
    """An option has a value geoquant does not accept (an unknown name, a bad number)."""


class MaskError(GeoquantError, ValueError):
    """A mask is not what an operator needs: not 2-D, not boolean, or empty."""


class GridMismatchError(GeoquantError, ValueError):
    """Two rasters given to one operator lie on different grids (shape, transform or CRS)."""


class CRSError(GeoquantError, ValueError):
    """A raster's CRS cannot serve the measure asked (none, rotated, geographic for distances)."""


class GeographicExtentError(CRSError):
    """A geographic (longitude/latitude) grid spans too much for its distances to stay within
    the stated error bound of the local metric (``geoquant.ops._geodesy``)."""


class BandError(GeoquantError, ValueError):
    """A cube lacks bands a segmenter needs, or names them in a way geoquant cannot match."""


class ClassNameError(GeoquantError, ValueError):
    """A class name is not in geoquant's vocabulary, nor a synonym of one."""


class WeightsError(GeoquantError, ValueError):
    """Model weights cannot be read, or do not match the model they are loaded into."""


class TilingError(GeoquantError, ValueError):
    """Tiles and their overlap do not fit together (a tile smaller than the overlap)."""


class PlanError(GeoquantError, ValueError):
    """A plan is not valid: bad JSON, an unknown op, a missing argument, a broken reference."""


class QuestionError(GeoquantError, ValueError):
    """A question is outside the supported families, or cannot be read."""


class ClusterError(GeoquantError):
    """A Dask cluster cannot be started or reached: an unknown or invalid definition, a
    scheduler that does not answer, workers that never join."""


class ClusterLostError(ClusterError):
    """The Dask scheduler went away during a computation (its process killed, its machine
    gone): nothing of the computation's output was written."""


class WorkerMemoryError(ClusterError):
    """Dask workers were restarted, or stayed paused, at their memory limit: the tiles are too
    large for the memory each worker has."""


class ConfigError(GeoquantError, ValueError):
    """A configuration file has unknown or missing keys, or values of the wrong kind."""


class CheckpointError(GeoquantError):
    """A run's saved state belongs to another job, or cannot be read."""


class StoreLockedError(StoreError):
    """Another run holds the lock of the store being written."""


class MissingDependencyError(GeoquantError, ImportError):
    """An optional dependency that a function needs is not installed (the message names the
    extra to install, e.g. ``pip install "geoquant[imagery]"``)."""
