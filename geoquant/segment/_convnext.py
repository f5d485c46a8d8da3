"""The ConvNeXt-UNet: a ConvNeXt encoder and a U-Net decoder for per-pixel class scores.

Encoder (Liu et al. 2022, "A ConvNet for the 2020s"): a patchify stem (4x4 convolution,
stride 4, then LayerNorm over channels), four stages of ConvNeXt blocks (7x7 depthwise
convolution, LayerNorm, Linear 4x expansion, GELU, Linear back, layer scale, residual), and a
LayerNorm + 2x2 stride-2 convolution between stages. Feature maps come out at strides 4, 8,
16 and 32.

Decoder: from the stride-32 features, three U-Net levels each upsample x2 (bilinear),
concatenate the encoder features of the same stride and fuse them with two 3x3 convolutions
(LayerNorm over channels, GELU). A head upsamples the stride-4 features x4 (bilinear) to full
resolution, concatenates a full-resolution feature of the input (3x3 convolution) so that
class edges can follow the pixels, fuses with a 3x3 convolution and classifies with a 1x1
convolution.

Every normalisation is a LayerNorm over the channels of one pixel: nothing uses batch or
tile statistics (no BatchNorm, no GroupNorm), so in eval mode an output pixel depends only on
the input pixels inside its receptive field, which :func:`receptive_radius` bounds. That
bound is the halo that lets tiles be stitched exactly.

Torch is imported only when a network is built: ``SIZES`` and :func:`receptive_radius` are
plain Python.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType, SimpleNamespace
from typing import Any

import numpy as np

from geoquant.errors import InvalidOptionError

#: Total downsampling of the network: inputs must be multiples of this many pixels.
STRIDE = 32

_KERNEL = 7  # depthwise kernel of the ConvNeXt blocks
_LAYER_SCALE_INIT = 1e-6  # ConvNeXt's initial layer-scale gamma: blocks start as identities
_LN_EPS = 1e-6


@dataclass(frozen=True)
class NetworkSize:
    """Widths and depths of a ConvNeXt-UNet.

    Attributes
    ----------
    dims : tuple of 4 int
        Channels of the encoder stages at strides 4, 8, 16 and 32 (the decoder level of each
        stride has the same width).
    depths : tuple of 4 int
        ConvNeXt blocks in each encoder stage.
    """

    dims: tuple[int, int, int, int]
    depths: tuple[int, int, int, int]

    @property
    def full_resolution_dims(self) -> int:
        """Channels of the full-resolution input feature and of the head."""
        return max(8, self.dims[0] // 2)


#: geoquant's two network sizes. These are geoquant's own widths and depths, chosen for
#: multispectral land cover on CPUs and small GPUs; they are *not* ImageNet ConvNeXt-T/B
#: (dims 96..768 / 128..1024, depths 3,3,9,3 / 3,3,27,3), and no ImageNet weights are used.
SIZES: MappingProxyType[str, NetworkSize] = MappingProxyType({
    "small": NetworkSize(dims=(32, 64, 128, 256), depths=(1, 1, 3, 1)),
    "base": NetworkSize(dims=(64, 128, 256, 512), depths=(2, 2, 6, 2)),
})


def network_size(size: str) -> NetworkSize:
    """The :class:`NetworkSize` of a size name; :class:`InvalidOptionError` if unknown."""
    try:
        return SIZES[size]
    except (KeyError, TypeError):
        raise InvalidOptionError(f"unknown network size {size!r}: sizes are "
                                 f"{', '.join(repr(s) for s in SIZES)}") from None


# --- receptive field -------------------------------------------------------------------------
# An exact 1-D dependency analysis: for every cell of a feature map, the first and last input
# pixel it depends on. Convolutions, LayerNorms and bilinear upsampling are separable and the
# same along x and y, so the 2-D receptive field of a pixel is the square these bounds give.
# Zero padding only removes dependencies, so cells far from the borders are the worst case;
# the pattern repeats every STRIDE pixels, so a few periods measure it exactly.


class _Span:
    """First (``lo``) and last (``hi``) input pixel each cell of a feature map depends on."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo, self.hi = lo, hi

    def conv(self, kernel: int) -> _Span:
        """A ``kernel``-wide convolution with 'same' zero padding, stride 1."""
        r = kernel // 2
        n = len(self.lo)
        idx = np.arange(n)
        return _Span(self.lo[np.clip(idx - r, 0, n - 1)], self.hi[np.clip(idx + r, 0, n - 1)])

    def down(self, factor: int) -> _Span:
        """A ``factor``-wide convolution with stride ``factor`` (patchify, downsampling)."""
        n = len(self.lo) // factor
        return _Span(self.lo[: n * factor: factor], self.hi[factor - 1: n * factor: factor])

    def up(self, factor: int) -> _Span:
        """Bilinear upsampling (``align_corners=False``, as torch's ``interpolate``)."""
        n = len(self.lo)
        src = (np.arange(n * factor) + 0.5) / factor - 0.5
        first = np.clip(np.floor(src).astype(int), 0, n - 1)
        last = np.clip(np.ceil(src).astype(int), 0, n - 1)
        return _Span(self.lo[first], self.hi[last])

    def join(self, other: _Span) -> _Span:
        """Concatenation of two feature maps of the same stride."""
        return _Span(np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi))


@functools.cache
def receptive_radius(size: str) -> int:
    """Receptive-field radius of a ConvNeXt-UNet, in input pixels.

    An output pixel at ``(y, x)`` depends only on input pixels within this many pixels of it
    along each axis (a square of side ``2 * radius + 1``), counting every convolution of the
    encoder, decoder and head and the support of the bilinear upsamplings. It is exact for
    pixels far from the tile borders (where zero padding removes dependencies), so it is the
    smallest halo that makes stitched tiles identical to one large tile.

    Parameters
    ----------
    size : str
        A key of :data:`SIZES`.

    Returns
    -------
    int
        The radius in pixels (``small``: 394, ``base``: 670).
    """
    spec = network_size(size)
    periods = 4 * (2 + sum(spec.depths))  # enough cells for the deepest dependencies
    n = STRIDE * periods
    pixels = np.arange(n)
    x = _Span(pixels, pixels)
    full = x.conv(3)  # full-resolution input feature of the head
    f = x.down(4)  # patchify stem
    skips = []
    for stage, depth in enumerate(spec.depths):
        if stage:
            f = f.down(2)
        for _ in range(depth):
            f = f.conv(_KERNEL)
        skips.append(f)
    f = skips[-1]
    for skip in reversed(skips[:-1]):
        f = f.up(2).join(skip).conv(3).conv(3)
    f = f.up(4).join(full).conv(3)  # head; the 1x1 classifier adds nothing
    middle = slice(n // 4, 3 * n // 4)
    reach = np.maximum(pixels - f.lo, f.hi - pixels)[middle]
    return int(reach.max())


# --- the torch network -----------------------------------------------------------------------


@functools.cache
def _modules() -> SimpleNamespace:
    """The network's torch classes, defined on first use so that torch loads only then."""
    import torch
    import torch.nn.functional as F  # noqa: N812
    from torch import nn

    class LayerNorm2d(nn.LayerNorm):
        """LayerNorm over the channels of each pixel of a ``(N, C, H, W)`` map."""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = x.permute(0, 2, 3, 1)
            x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
            return x.permute(0, 3, 1, 2)

    class Block(nn.Module):
        """A ConvNeXt block: dwconv 7x7, LN, Linear 4x, GELU, Linear, layer scale, residual."""

        def __init__(self, dim: int) -> None:
            super().__init__()
            self.dwconv = nn.Conv2d(dim, dim, _KERNEL, padding=_KERNEL // 2, groups=dim)
            self.norm = nn.LayerNorm(dim, eps=_LN_EPS)
            self.pwconv1 = nn.Linear(dim, 4 * dim)
            self.act = nn.GELU()
            self.pwconv2 = nn.Linear(4 * dim, dim)
            self.gamma = nn.Parameter(torch.full((dim,), _LAYER_SCALE_INIT))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.dwconv(x).permute(0, 2, 3, 1)
            y = self.pwconv2(self.act(self.pwconv1(self.norm(y))))
            return x + (self.gamma * y).permute(0, 3, 1, 2)

    def fuse(cin: int, cout: int, convs: int) -> nn.Sequential:
        layers: list[nn.Module] = []
        for i in range(convs):
            layers += [nn.Conv2d(cin if i == 0 else cout, cout, 3, padding=1),
                       LayerNorm2d(cout, eps=_LN_EPS), nn.GELU()]
        return nn.Sequential(*layers)

    class ConvNeXtUNet(nn.Module):
        """ConvNeXt encoder + U-Net decoder; ``(N, bands, H, W)`` -> ``(N, classes, H, W)``.

        ``H`` and ``W`` must be multiples of 32. Outputs are logits.
        """

        def __init__(self, in_bands: int, n_classes: int, size: str) -> None:
            super().__init__()
            spec = network_size(size)
            dims = spec.dims
            self.size = size
            self.in_bands, self.n_classes = in_bands, n_classes
            self.stem = nn.Sequential(nn.Conv2d(in_bands, dims[0], 4, stride=4),
                                      LayerNorm2d(dims[0], eps=_LN_EPS))
            self.downsample = nn.ModuleList(
                nn.Sequential(LayerNorm2d(dims[i - 1], eps=_LN_EPS),
                              nn.Conv2d(dims[i - 1], dims[i], 2, stride=2))
                for i in range(1, 4))
            self.stages = nn.ModuleList(
                nn.Sequential(*(Block(dims[i]) for _ in range(spec.depths[i])))
                for i in range(4))
            self.decoder = nn.ModuleList(fuse(dims[i + 1] + dims[i], dims[i], 2)
                                         for i in reversed(range(3)))
            full = spec.full_resolution_dims
            self.full_resolution = fuse(in_bands, full, 1)
            self.head = fuse(dims[0] + full, full, 1)
            self.classifier = nn.Conv2d(full, n_classes, 1)
            self.apply(_init_weights)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            height, width = x.shape[-2:]
            if height % STRIDE or width % STRIDE:
                raise InvalidOptionError(
                    f"the ConvNeXt-UNet needs heights and widths that are multiples of "
                    f"{STRIDE} pixels, not {height} x {width}: pad the input")
            skips = []
            f = self.stem(x)
            for stage in range(4):
                if stage:
                    f = self.downsample[stage - 1](f)
                f = self.stages[stage](f)
                skips.append(f)
            f = skips[-1]
            for fuse_level, skip in zip(self.decoder, reversed(skips[:-1]), strict=True):
                f = F.interpolate(f, scale_factor=2, mode="bilinear", align_corners=False)
                f = fuse_level(torch.cat([f, skip], dim=1))
            f = F.interpolate(f, scale_factor=4, mode="bilinear", align_corners=False)
            f = self.head(torch.cat([f, self.full_resolution(x)], dim=1))
            return self.classifier(f)

    def _init_weights(module: nn.Module) -> None:
        # ConvNeXt's initialisation: truncated normal weights (std 0.02), zero biases.
        if isinstance(module, nn.Conv2d | nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)

    return SimpleNamespace(ConvNeXtUNet=ConvNeXtUNet, Block=Block, LayerNorm2d=LayerNorm2d)


def build_network(in_bands: int, n_classes: int, *, size: str = "small",
                  seed: int | None = 0) -> Any:
    """A ConvNeXt-UNet ``torch.nn.Module`` in eval mode, on the CPU.

    Parameters
    ----------
    in_bands : int
        Input channels (bands), any number >= 1.
    n_classes : int
        Output channels (class logits), >= 1.
    size : str
        A key of :data:`SIZES`.
    seed : int or None
        Seed of the weight initialisation (the global torch random state is left as it was);
        ``None`` draws from the global state.

    Returns
    -------
    torch.nn.Module
        Maps ``(N, in_bands, H, W)`` float32 to ``(N, n_classes, H, W)`` logits; ``H`` and
        ``W`` must be multiples of :data:`STRIDE`.
    """
    network_size(size)
    if int(in_bands) < 1 or int(n_classes) < 1:
        raise InvalidOptionError(f"a network needs at least one band and one class, not "
                                 f"{in_bands} band(s) and {n_classes} class(es)")
    import torch

    cls = _modules().ConvNeXtUNet
    if seed is None:
        return cls(int(in_bands), int(n_classes), size).eval()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        return cls(int(in_bands), int(n_classes), size).eval()


def parameter_count(network: Any) -> int:
    """Number of trainable parameters of a network."""
    return sum(p.numel() for p in network.parameters() if p.requires_grad)


def __getattr__(name: str) -> Any:
    # ``ConvNeXtUNet`` and friends are torch classes, created (with torch) on first access.
    if name in ("ConvNeXtUNet", "Block", "LayerNorm2d"):
        return getattr(_modules(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__: Sequence[str] = ["SIZES", "STRIDE", "NetworkSize", "build_network", "network_size",
                          "parameter_count", "receptive_radius"]
