"""Issue 32 item 15: a distance beyond float range is refused as an option, not an OverflowError."""

from __future__ import annotations

import numpy as np
import pytest

from geoquant.errors import InvalidOptionError

xr = pytest.importorskip("xarray")
pytest.importorskip("rioxarray")


def _mask() -> xr.DataArray:
    return xr.DataArray(np.eye(4, dtype=bool), dims=("y", "x"),
                        coords={"y": 5_000_035.0 - 10.0 * np.arange(4),
                                "x": 500_005.0 + 10.0 * np.arange(4)}).rio.write_crs("EPSG:32633")


@pytest.mark.parametrize("distance", [10**400, -(10**400)])
def test_within_distance_beyond_float_range_is_an_invalid_option(distance):
    from geoquant.ops import within_distance

    mask = _mask()
    with pytest.raises(InvalidOptionError) as info:
        within_distance(mask, mask, distance)
    message = str(info.value)
    assert "distance_m" in message and "finite number of metres" in message
    assert len(message) < 400            # the 401-digit number is not quoted whole
