"""The exceptions geoquant raises on bad input.

Every error is a :class:`GeoquantError`; the command line turns one into a single line and a
non-zero exit. Messages say what to change, not only what went wrong.
"""

from __future__ import annotations


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


class ConfigError(GeoquantError, ValueError):
    """A configuration file has unknown or missing keys, or values of the wrong kind."""


class CheckpointError(GeoquantError):
    """A run's saved state belongs to another job, or cannot be read."""


class StoreLockedError(StoreError):
    """Another run holds the lock of the store being written."""


class MissingDependencyError(GeoquantError, ImportError):
    """An optional dependency that a function needs is not installed (the message names the
    extra to install, e.g. ``pip install "geoquant[imagery]"``)."""
