"""The optimisation loop of :func:`~geoquant.segment._train.train`, with its progress report.

:func:`_optimise` normalises the scenes, draws crop centres, and for each step cuts windows
(:func:`~geoquant.segment._train_data._windows`), augments them
(:func:`~geoquant.segment._augment._augment`) and minimises the cross-entropy over labelled
pixels with Adam, a short linear warm-up and a cosine decay, saving a checkpoint every
``checkpoint_every`` steps; :class:`_Progress` reports on stderr.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.segment._augment import _augment, _window_half
from geoquant.segment._train_data import _centres, _Scene, _windows


def _optimise(network: Any, scenes: list[_Scene], *, steps: int, crop: int, batch_size: int,
              learning_rate: float, seed: int, mean: Any, std: Any, progress: bool,
              checkpoint: str | Path | None, checkpoint_every: int, save: Any) -> list[float]:
    import torch
    import torch.nn.functional as F  # noqa: N812

    generator = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng([seed, 1])
    mean_ = np.asarray(mean, np.float32)[:, None, None]
    std_ = np.asarray(std, np.float32)[:, None, None]
    inputs = [torch.from_numpy(np.nan_to_num((s.values - mean_) / std_, nan=0.0, posinf=0.0,
                                             neginf=0.0).astype(np.float32))
              for s in scenes]
    targets = [torch.from_numpy(s.train_target.astype(np.int64)) for s in scenes]
    centres = _centres(scenes, rng)
    half = _window_half(crop)
    n_bands = inputs[0].shape[0]

    optimiser = torch.optim.Adam(network.parameters(), lr=learning_rate)
    warmup = max(1, min(20, steps // 10))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimiser, schedule)
    report = _Progress(steps) if progress else None
    losses: list[float] = []
    network.train()
    try:
        for step in range(steps):
            windows, labels = _windows(inputs, targets, centres, rng, batch_size=batch_size,
                                       half=half, n_bands=n_bands)
            x, y = _augment(windows, labels, generator, crop=crop, half=half)
            logits = network(x)
            labelled = (y >= 0).sum().clamp(min=1)
            loss = F.cross_entropy(logits, y, ignore_index=-1, reduction="sum") / labelled
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            scheduler.step()
            losses.append(float(loss.detach()))
            if report is not None:
                report.update(step + 1, losses[-1])
            if checkpoint is not None and (step + 1) % checkpoint_every == 0 \
                    and step + 1 < steps:
                save(step + 1).save(checkpoint)
                network.train()
    finally:
        if report is not None:
            report.close()
    return losses


class _Progress:
    """A rich progress bar on a terminal; otherwise a line on stderr every tenth of the run."""

    def __init__(self, steps: int) -> None:
        self.steps, self.started = steps, time.perf_counter()
        self.every = max(1, steps // 10)
        self.bar = None
        if sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("training", total=steps)

    def update(self, done: int, loss: float) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=done,
                            description=f"training (loss {loss:.4f})")
        elif done % self.every == 0 or done == self.steps:
            rate = done / max(time.perf_counter() - self.started, 1e-9)
            print(f"step {done}/{self.steps}  loss {loss:.4f}  ({rate:.1f} steps/s)",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
