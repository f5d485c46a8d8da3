"""Georeferencing that both xarray/rioxarray and GDAL read back.

Two conventions are written side by side, because readers differ in which they look at:

* CF, as rioxarray writes it: a scalar ``spatial_ref`` coordinate holding ``crs_wkt``,
  ``spatial_ref`` and ``GeoTransform``, named by each data variable's ``grid_mapping``. xarray
  (``decode_coords="all"``) and rioxarray read this; recent GDAL (3.10 tested) reads its CRS too.
* GDAL's own ``_CRS`` attribute on each raster variable, ``{"wkt": <WKT2:2019>}``, which every
  GDAL Zarr driver (3.4 and later) reads and which takes precedence over ``grid_mapping``.

GDAL has no attribute for the geotransform in Zarr: it derives it from the 1-D ``x`` and ``y``
coordinate arrays (pixel centres, regularly spaced), so those must exist and be regular.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from geoquant.errors import StoreError

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from affine import Affine

__all__ = ["GDAL_CRS_ATTR", "as_dataset", "georeference", "spatial_variables", "write_crs"]

GDAL_CRS_ATTR = "_CRS"

# Spacing may differ from the mean step by this share of the step and still count as regular:
# float64 centres of a 10 m grid near 1e7 m carry rounding errors around 1e-9 m.
_REGULAR_RTOL = 1e-6


def as_dataset(data: Any) -> xr.Dataset:
    """A Dataset from a Dataset or a DataArray (named ``data.name`` or ``"data"``)."""
    import xarray as xr

    if isinstance(data, xr.Dataset):
        return data
    if isinstance(data, xr.DataArray):
        return data.to_dataset(name=data.name if data.name is not None else "data")
    raise TypeError(
        f"write_zarr needs an xarray.Dataset or xarray.DataArray, not {type(data).__name__}."
    )


def spatial_variables(ds: xr.Dataset) -> tuple[str, str, list[str]]:
    """The y and x dimension names and the data variables that have both."""
    from rioxarray.exceptions import MissingSpatialDimensionError

    try:
        y_dim, x_dim = ds.rio.y_dim, ds.rio.x_dim
    except MissingSpatialDimensionError as exc:
        raise StoreError(
            "No data variable has spatial dimensions: name them 'y' and 'x' (or set them with "
            f".rio.set_spatial_dims(x_dim=..., y_dim=...)). Dimensions found: {dict(ds.sizes)}."
        ) from exc
    names = [str(n) for n, v in ds.data_vars.items() if y_dim in v.dims and x_dim in v.dims]
    if not names:
        raise StoreError(
            f"No data variable has both spatial dimensions {y_dim!r} and {x_dim!r}: "
            "a raster needs dims like (y, x), (band, y, x) or (time, band, y, x)."
        )
    return str(y_dim), str(x_dim), names


def write_crs(ds: xr.Dataset, crs: Any) -> xr.Dataset:
    """``ds.rio.write_crs(crs)`` without pyproj's warning about CF parameters."""
    with warnings.catch_warnings():
        # pyproj warns that some projections (e.g. EPSG:2056) lose a parameter in CF form;
        # nothing is lost here because crs_wkt (and _CRS) carry the full definition.
        warnings.filterwarnings(
            "ignore", message=".*lost in conversion to CF", category=UserWarning
        )
        return ds.rio.write_crs(crs)


def _check_regular(ds: xr.Dataset, dim: str) -> None:
    import numpy as np

    coord = ds[dim]
    if coord.ndim != 1:
        raise StoreError(f"Coordinate {dim!r} must be 1-D, not {coord.ndim}-D.")
    values = np.asarray(coord.values, dtype="float64")
    if values.size < 2:
        return
    steps = np.diff(values)
    mean = (values[-1] - values[0]) / (values.size - 1)
    if mean == 0 or np.max(np.abs(steps - mean)) > _REGULAR_RTOL * abs(mean):
        raise StoreError(
            f"Coordinate {dim!r} is not regularly spaced, so GIS software cannot derive a "
            "geotransform from it: resample the raster onto a regular grid first "
            "(for example with .rio.reproject)."
        )


def _stored_transform(ds: xr.Dataset) -> Affine | None:
    """The GeoTransform recorded on the grid-mapping coordinate, if any."""
    from affine import Affine

    grid_mapping = ds.rio.grid_mapping
    if grid_mapping not in ds.coords or "GeoTransform" not in ds[grid_mapping].attrs:
        return None
    values = [float(v) for v in str(ds[grid_mapping].attrs["GeoTransform"]).split()]
    return Affine.from_gdal(*values)


def _check_north_up(transform: Affine) -> None:
    if transform.b != 0 or transform.d != 0:
        raise StoreError(
            "The raster's transform is rotated, which Zarr coordinates cannot express: "
            "reproject it onto a north-up grid first (for example with .rio.reproject)."
        )


def _single_line_transform(ds: xr.Dataset, y_dim: str, x_dim: str) -> Affine:
    """The transform of a raster one pixel high or wide, where coordinates cannot give it."""
    import numpy as np
    from rioxarray.rioxarray import affine_to_coords

    transform = _stored_transform(ds)
    if transform is None:
        raise StoreError(
            f"The raster is {ds.sizes[y_dim]} x {ds.sizes[x_dim]} pixels, too small to derive "
            "its pixel size from the coordinates: write its transform with "
            ".rio.write_transform(...) before slicing, or keep at least 2 x 2 pixels."
        )
    _check_north_up(transform)
    expected = affine_to_coords(
        transform, ds.sizes[x_dim], ds.sizes[y_dim], x_dim=x_dim, y_dim=y_dim
    )
    for dim, size in ((x_dim, abs(transform.a)), (y_dim, abs(transform.e))):
        if not np.allclose(ds[dim].values, expected[dim], rtol=0, atol=1e-6 * size):
            raise StoreError(
                f"The raster's stored transform does not match its {dim!r} coordinates "
                "(stale after slicing?): write the right one with .rio.write_transform(...)."
            )
    return transform


def _ensure_coords(ds: xr.Dataset, y_dim: str, x_dim: str) -> xr.Dataset:
    """Add pixel-centre x/y coordinates from the stored transform when they are missing."""
    if y_dim in ds.coords and x_dim in ds.coords:
        return ds
    from rioxarray.rioxarray import affine_to_coords

    transform = _stored_transform(ds)
    if transform is None:
        raise StoreError(
            f"The raster has neither {y_dim!r}/{x_dim!r} coordinates nor a transform: add "
            "pixel-centre coordinates, or write a transform with .rio.write_transform(...)."
        )
    _check_north_up(transform)
    coords = affine_to_coords(
        transform, ds.sizes[x_dim], ds.sizes[y_dim], x_dim=x_dim, y_dim=y_dim
    )
    return ds.assign_coords({y_dim: coords[y_dim], x_dim: coords[x_dim]})


def georeference(ds: xr.Dataset) -> tuple[xr.Dataset, str, str, list[str]]:
    """Validate the georeferencing of ``ds`` and write it in both conventions.

    Returns the annotated Dataset (spatial variables transposed to end in ``(y, x)``), the
    names of its y and x dimensions, and the names of its spatial variables.

    Raises
    ------
    StoreError
        If there is no CRS, no spatial dimension, or x/y coordinates that are not regular.
    """
    crs = ds.rio.crs
    if crs is None:
        raise StoreError(
            "The raster has no CRS, so GIS software could not place it: set one with "
            ".rio.write_crs(...), for example data.rio.write_crs('EPSG:32633')."
        )
    y_dim, x_dim, names = spatial_variables(ds)
    ds = _ensure_coords(ds, y_dim, x_dim)
    _check_regular(ds, y_dim)
    _check_regular(ds, x_dim)
    if ds.sizes[y_dim] >= 2 and ds.sizes[x_dim] >= 2:
        # The coordinates are what GDAL and xarray will read, so the transform is recomputed
        # from them rather than taken from a GeoTransform that slicing may have left stale.
        transform = ds.rio.transform(recalc=True)
    else:
        transform = _single_line_transform(ds, y_dim, x_dim)
        warnings.warn(
            f"The raster is {ds.sizes[y_dim]} x {ds.sizes[x_dim]} pixels: GDAL derives the "
            "transform from the spacing of the x/y coordinates, so with a single row or column "
            "GIS software will not place it (xarray and rioxarray still read the transform "
            "from spatial_ref). Write at least 2 x 2 pixels for GIS use.",
            UserWarning,
            stacklevel=4,
        )

    ds = write_crs(ds, crs).rio.write_transform(transform)

    wkt = crs.to_wkt(version="WKT2_2019")
    variables = {}
    for name in names:
        var = ds[name].transpose(..., y_dim, x_dim)
        var.attrs = {**var.attrs, GDAL_CRS_ATTR: {"wkt": wkt}}
        variables[name] = var
    return ds.assign(variables), y_dim, x_dim, names
