"""Augmentation of training crops: random rotation, zoom, flip and per-band colour jitter.

Each crop is cut from a window around its centre (:func:`_window_half` leaves room for any
rotation at the largest zoom) by ``affine_grid`` + ``grid_sample``, rotated by a random
angle, zoomed by a random factor in :data:`_SCALES` and flipped at random: bilinear for
bands, nearest for labels, pixels from outside the scene ignored. Each band then gets a
random log-normal gain and an offset (in standard deviations of the band).
"""

from __future__ import annotations

import math
from typing import Any

_SCALES = (0.8, 1.25)  # range of the random zoom of the crops
_GAIN_SIGMA = 0.1  # log-normal per-band gain jitter
_OFFSET_SIGMA = 0.1  # per-band offset jitter, in standard deviations of the band


def _window_half(crop: int) -> int:
    """Half the side of the window a ``crop``-pixel crop is cut from, at any angle and zoom."""
    return math.ceil(crop / 2 * _SCALES[1] * math.sqrt(2)) + 2


def _augment(windows: Any, labels: Any, generator: Any, *, crop: int, half: int
             ) -> tuple[Any, Any]:
    """One batch of randomly rotated, scaled and flipped crops with colour jitter.

    ``windows`` and ``labels`` are :func:`~geoquant.segment._train_data._windows`'s
    ``(N, band, 2 half, 2 half)`` bands and ``(N, 1, 2 half, 2 half)`` class + 1; returns
    ``(N, band, crop, crop)`` bands and ``(N, crop, crop)`` class indices, -1 ignored.
    """
    import torch
    import torch.nn.functional as F  # noqa: N812

    batch_size, n_bands = windows.shape[0], windows.shape[1]
    side = 2 * half
    angle = torch.rand(batch_size, generator=generator) * 2 * math.pi
    low, high = math.log(_SCALES[0]), math.log(_SCALES[1])
    scale = torch.exp(low + (high - low) * torch.rand(batch_size, generator=generator))
    flip = torch.where(torch.rand(batch_size, generator=generator) < 0.5, -1.0, 1.0)
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    # Output offsets (dx, dy) from the crop centre map to window pixel h + A (dx, dy), with
    # A = scale * rotation * diag(flip, 1); theta is A in grid_sample's normalised units.
    a = torch.stack([torch.stack([cos * flip, -sin], -1), torch.stack([sin * flip, cos], -1)],
                    1)
    theta = torch.cat([a * (crop / side), torch.full((batch_size, 2, 1), (2 * half + 1) / side
                                                     - 1.0)], dim=2)
    grid = F.affine_grid(theta, [batch_size, 1, crop, crop], align_corners=False)
    x = F.grid_sample(windows, grid, mode="bilinear", padding_mode="zeros",
                      align_corners=False)
    y = F.grid_sample(labels, grid, mode="nearest", padding_mode="zeros",
                      align_corners=False)[:, 0].round().long() - 1
    gain = torch.exp(_GAIN_SIGMA * torch.randn((batch_size, n_bands, 1, 1),
                                               generator=generator))
    offset = _OFFSET_SIGMA * torch.randn((batch_size, n_bands, 1, 1), generator=generator)
    return x * gain + offset, y
