"""Rasters that cannot be read while computing: named, never read as no data."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from geoquant.errors import AssetError


@contextlib.contextmanager
def unreadable_assets_named() -> Iterator[None]:
    """Turn a raster that cannot be read while computing (a 404 asset, a truncated file) into
    an :class:`~geoquant.errors.AssetError` that names it: never silent no data.

    Examples
    --------
    >>> with unreadable_assets_named():
    ...     pass
    """
    try:
        yield
    except Exception as err:
        if _from_rasterio(err):
            from geoquant._yaml import shorten

            text = shorten(" ".join(str(err).split()), 300)
            raise AssetError(f"an asset could not be read ({text}): check that it exists and "
                             "can be reached; geoquant does not answer from imagery with "
                             "missing parts") from None
        raise


def _from_rasterio(err: BaseException) -> bool:
    """Whether ``err`` is, or wraps (stackstac's "Error opening ..."), a raster read error."""
    from rasterio.errors import RasterioError

    seen = 0
    while err is not None and seen < 5:
        if isinstance(err, RasterioError) or type(err).__name__.startswith("CPLE_"):
            return True
        err = err.__cause__ or err.__context__
        seen += 1
    return False
