"""Batches of tiles to the device and probabilities back, with copies overlapping the work.

:meth:`UNetSegmenter.predict_batch <geoquant.segment._model.UNetSegmenter.predict_batch>`
groups tiles into batches (:class:`_Batch`) and :func:`_pipeline` runs them: it stages batch
*k + 1* while batch *k* computes and collects batch *k - 1* afterwards. :class:`_Transfers` does the
copies synchronously (the CPU, and CuPy tiles stacked on their GPU); :class:`_CudaTransfers`
uses pinned host memory and side streams, so that on a CUDA device the copies overlap the
network's work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from geoquant._backend import array_module, is_cupy


@dataclass(frozen=True)
class _Batch:
    """Tiles (positions in the list given) that go through the network in one pass."""

    members: tuple[int, ...]
    on_gpu: bool  # CuPy tiles (stacked on their GPU) rather than NumPy tiles
    shape: tuple[int, int]  # padded height and width, multiples of STRIDE


def _fill(batch: Any, tiles: Sequence[Any], members: Sequence[int], index: Sequence[int],
          source: Any) -> None:
    """Copy each tile's used bands into ``batch[k, :, :h, :w]`` and NaN into the padding.

    ``batch`` is a NumPy array or a torch tensor; ``source`` makes a tile indexable like it.
    NaN padding is missing data, which :func:`~geoquant.segment._inference._forward` sets to
    zero (the band means): the same zero padding as :meth:`UNetSegmenter.predict`.
    """
    nan = float("nan")
    for k, position in enumerate(members):
        tile = source(tiles[position])
        height, width = tile.shape[-2:]
        for c, band in enumerate(index):
            batch[k, c, :height, :width] = tile[band]
        batch[k, :, height:, :] = nan
        batch[k, :, :height, width:] = nan


class _Transfers:
    """How batches reach the device and results come back: synchronously (the CPU)."""

    def __init__(self, target: Any, tiles: Sequence[Any], index: Sequence[int]) -> None:
        self.target, self.tiles, self.index = target, tiles, list(index)

    def _shape(self, batch: _Batch) -> tuple[int, int, int, int]:
        return (len(batch.members), len(self.index), *batch.shape)

    def _host_batch(self, batch: _Batch, *, pin: bool = False) -> Any:
        """A batch of NumPy tiles in a (pinned) host tensor."""
        import torch

        host = torch.empty(self._shape(batch), dtype=torch.float32, pin_memory=pin)
        _fill(host.numpy(), self.tiles, batch.members, self.index, np.asarray)
        return host

    def _device_batch(self, batch: _Batch) -> Any:
        """A batch of CuPy tiles, stacked by device copies on the current stream."""
        import torch

        x = torch.empty(self._shape(batch), dtype=torch.float32, device=self.target)
        _fill(x, self.tiles, batch.members, self.index, torch.from_dlpack)
        return x

    def stage(self, batch: _Batch) -> tuple[Any, Any, Any]:
        """Start moving a batch to the device: ``(tensor, ready event or None, keep-alive)``."""
        if batch.on_gpu:
            return self._device_batch(batch), None, None
        host = self._host_batch(batch)
        return (host if self.target.type == "cpu" else host.to(self.target)), None, None

    def ready(self, staged: tuple[Any, Any, Any]) -> Any:
        """The staged batch, safe to compute on."""
        return staged[0]

    def _crop(self, probs: Any, batch: _Batch) -> list[tuple[int, Any]]:
        """Each tile's own pixels, as a new array on the tile's device."""
        import torch

        out = []
        for k, position in enumerate(batch.members):
            tile = self.tiles[position]
            height, width = tile.shape[-2:]
            piece = probs[k, :, :height, :width].clone(memory_format=torch.contiguous_format)
            if is_cupy(tile):
                xp = array_module(tile)
                out.append((position, xp.from_dlpack(piece.to(f"cuda:{tile.device.id}"))))
            else:
                out.append((position, piece.cpu().numpy()))
        return out

    def fetch(self, batch: _Batch, probs: Any, staged: tuple[Any, Any, Any]) -> Any:
        """Start bringing a batch's probabilities back; returns what :meth:`collect` reads."""
        return self._crop(probs, batch)

    def collect(self, pending: Any) -> list[tuple[int, Any]]:
        """``(position, probabilities)`` of a fetched batch, once they have arrived."""
        return pending


class _CudaTransfers(_Transfers):
    """Pinned memory and side streams, so that copies overlap the network's work.

    The network runs on the current stream of the device (so that DLPack hands CuPy arrays
    over on the stream torch computes on). Host batches go up on ``h2d`` and results come down
    on ``d2h``, both pool streams that do not synchronise with the default stream.
    """

    def __init__(self, target: Any, tiles: Sequence[Any], index: Sequence[int]) -> None:
        import torch

        super().__init__(target, tiles, index)
        self.compute = torch.cuda.current_stream(target)
        self.h2d = torch.cuda.Stream(device=target)
        self.d2h = torch.cuda.Stream(device=target)

    def stage(self, batch: _Batch) -> tuple[Any, Any, Any]:
        import torch

        if batch.on_gpu:
            return self._device_batch(batch), None, None
        host = self._host_batch(batch, pin=True)
        with torch.cuda.stream(self.h2d):
            x = host.to(self.target, non_blocking=True)
            ready = torch.cuda.Event()
            ready.record(self.h2d)
        # The pinned buffer is kept until the batch's results are collected, when the copy
        # has certainly finished (the host never rewrites it while the copy may read it).
        return x, ready, host

    def ready(self, staged: tuple[Any, Any, Any]) -> Any:
        x, ready, _ = staged
        if ready is not None:
            self.compute.wait_event(ready)
            # x was allocated on the h2d stream: its memory must not be reused before the
            # computing stream is done with it.
            x.record_stream(self.compute)
        return x

    def fetch(self, batch: _Batch, probs: Any, staged: tuple[Any, Any, Any]) -> Any:
        import torch

        if batch.on_gpu:
            return self._crop(probs, batch), None, None, None
        self.d2h.wait_stream(self.compute)
        with torch.cuda.stream(self.d2h):
            host = torch.empty(probs.shape, dtype=probs.dtype, pin_memory=True)
            host.copy_(probs, non_blocking=True)
            done = torch.cuda.Event()
            done.record(self.d2h)
        # probs was made on the computing stream and is read on d2h.
        probs.record_stream(self.d2h)
        return (batch, host, done, staged[2])   # with the batch's pinned input buffer

    def collect(self, pending: Any) -> list[tuple[int, Any]]:
        first, host, done, _keep = pending
        if done is None:
            return first
        batch: _Batch = first
        done.synchronize()
        values = host.numpy()
        out = []
        for k, position in enumerate(batch.members):
            height, width = self.tiles[position].shape[-2:]
            # A pageable copy: results do not pin host memory for as long as they live.
            out.append((position, np.array(values[k, :, :height, :width], order="C")))
        return out


def _pipeline(transfers: _Transfers, batches: Sequence[_Batch],
              forward: Any) -> list[tuple[int, Any]]:
    """Run batches with the transfer of the next and the return of the last overlapping.

    Order of work handed to the device: compute *k*, send *k + 1*, return *k*; the host
    collects batch *k - 1* only after batch *k* is queued, so the device never waits on it.
    """
    out: list[tuple[int, Any]] = []
    staged = transfers.stage(batches[0])
    pending = None
    for k, batch in enumerate(batches):
        current = staged
        probs = forward(transfers.ready(current))
        if k + 1 < len(batches):
            staged = transfers.stage(batches[k + 1])
        fetched = transfers.fetch(batch, probs, current)
        del probs, current
        if pending is not None:
            out.extend(transfers.collect(pending))
        pending = fetched
    out.extend(transfers.collect(pending))
    return out
