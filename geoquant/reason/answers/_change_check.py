"""Whether a change answer could be misregistration: the grids of the two dates and where the
change lies (:func:`geoquant.ops.registration`), written into the answer's provenance.

Two class maps whose grids are a pixel apart "change" along every class boundary. The check
reports how far apart the two dates' own grids are (from the rasters' transforms or the STAC
items' ``proj:transform``) and how they were aligned, the share of the changed pixels within
one pixel of a class boundary beside the share of all pixels there, and the whole-pixel shift
at which the two maps agree best. When most change hugs boundaries or another shift agrees
clearly better, the answer says the change is likely misregistration.
"""

from __future__ import annotations

from typing import Any

from geoquant.reason.layers._source import CHANGE_DATES


def change_check(layers: Any) -> dict[str, Any] | None:
    """The check for a change plan's two dates, or None when the layers have no two dates."""
    from geoquant import ops

    if not all(d in layers.dates for d in CHANGE_DATES):
        return None
    maps = {}
    for date in CHANGE_DATES:
        codes = layers.codes.get(date)
        maps[date] = codes if codes is not None else layers.segmentations[date]["label"]
    check = ops.registration(maps["before"], maps["after"]).to_dict()
    grids = layers.provenance.get("native_grids")
    if grids and len(grids) >= 2:
        first, last = grids[0], grids[-1]
        east = (last[0] - first[0]) / abs(first[2])
        north = (last[1] - first[1]) / abs(first[3])
        same = (abs(east) < 1e-6 and abs(north) < 1e-6 and abs(last[2] - first[2]) < 1e-9
                and abs(last[3] - first[3]) < 1e-9)
        check["grid_offset_px"] = {"east": round(east, 3), "north": round(north, 3)}
        check["pixel_size"] = {"before": [abs(first[2]), abs(first[3])],
                               "after": [abs(last[2]), abs(last[3])]}
        check["aligned"] = ("the same grid" if same else
                            "resampled onto one grid (nearest neighbour)")
    check["text"] = _text(check)
    return check


def _percent(share: float) -> str:
    return f"{100 * share:.1f} %"


def _text(check: dict[str, Any]) -> str:
    parts = []
    offset = check.get("grid_offset_px")
    if offset is not None:
        if check["aligned"] == "the same grid":
            parts.append("Both dates are on the same grid.")
        else:
            parts.append(f"The two dates' grids lie {abs(offset['east']):.2f} px "
                         f"{'east' if offset['east'] >= 0 else 'west'} and "
                         f"{abs(offset['north']):.2f} px "
                         f"{'north' if offset['north'] >= 0 else 'south'} of each other and "
                         "were resampled onto one grid (nearest neighbour).")
    if check["changed_share"] > 0:         # NaN (no valid pixel) and 0 compare False
        parts.append(f"{_percent(check['boundary_share'])} of the changed area lies within one "
                     f"pixel of a class boundary (such pixels are "
                     f"{_percent(check['boundary_pixels_share'])} of the map).")
    dy, dx = check["best_shift_px"]
    if (dy, dx) != (0, 0):
        parts.append(f"Shifting one date by {dy} row(s) and {dx} column(s) raises agreement "
                     f"from {_percent(check['agreement_at_no_shift'])} to "
                     f"{_percent(check['agreement_at_best_shift'])}.")
    if check["looks_misregistered"]:
        parts.append("Much of this change is likely misregistration, not change on the ground.")
    else:
        parts.append("The change is not concentrated on class boundaries.")
    return " ".join(parts)
