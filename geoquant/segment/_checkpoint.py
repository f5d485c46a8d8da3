"""Checkpoint files of a :class:`~geoquant.segment._model.UNetSegmenter`: format, save, load.

A checkpoint is a single file written atomically by :meth:`UNetSegmenter.save`
(:func:`write_checkpoint`) and read by :func:`load_model` with
``torch.load(weights_only=True)``: a dict of plain values and tensors
(:func:`checkpoint_dict`), never pickled code. :func:`read_checkpoint` checks its format,
version, architecture and header entries, and :func:`load_weights` that its weights fit the
network the header describes; each failure is a :class:`~geoquant.errors.WeightsError` saying
what to do. Nothing is ever downloaded.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoquant.errors import GeoquantError, OutputPathError, WeightsError
from geoquant.segment._convnext import SIZES, build_network

if TYPE_CHECKING:
    from geoquant.segment._model import UNetSegmenter

#: What a checkpoint's ``format`` entry says, and the newest layout this code reads.
CHECKPOINT_FORMAT = "geoquant-segmenter"
CHECKPOINT_VERSION = 1
ARCHITECTURE = "convnext-unet"


def checkpoint_dict(segmenter: UNetSegmenter) -> dict[str, Any]:
    """The checkpoint dict of a segmenter (:meth:`UNetSegmenter.checkpoint`)."""
    return {"format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION,
            "architecture": ARCHITECTURE, "size": segmenter.size,
            "bands": list(segmenter.bands), "classes": list(segmenter.classes),
            "mean": segmenter.mean.tolist(), "std": segmenter.std.tolist(),
            "state_dict": {k: v.detach().cpu().clone()
                           for k, v in segmenter.network.state_dict().items()},
            "training": dict(segmenter.training), "version": segmenter.version}


def write_checkpoint(segmenter: UNetSegmenter, path: str | Path) -> Path:
    """Write a segmenter's checkpoint to ``path``, atomically (:meth:`UNetSegmenter.save`)."""
    import torch

    path = Path(path)
    if not path.parent.is_dir():
        raise OutputPathError(f"cannot write {path}: the folder {path.parent} does not "
                              "exist; create it first")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            torch.save(segmenter.checkpoint(), file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path


def load_model(path: str | Path, *, device: Any = "cpu") -> UNetSegmenter:
    """Load a segmenter from a checkpoint written by :meth:`UNetSegmenter.save`.

    Parameters
    ----------
    path : str or Path
        The checkpoint file (``geoquant train --out``). It is read with
        ``torch.load(weights_only=True)``: plain values and tensors only, no code.
    device : str or torch.device
        Where to put the network (``"cpu"``, ``"cuda"``).

    Returns
    -------
    UNetSegmenter

    Raises
    ------
    WeightsError
        The file is missing, unreadable, not a geoquant checkpoint, from a newer geoquant, or
        its weights do not fit the network its header describes (the message lists the keys
        and shapes that differ).
    """
    meta = read_checkpoint(path, device=device)
    return _from_checkpoint(meta, source=str(path)).to(device)


def _from_checkpoint(meta: Mapping[str, Any], *, source: str = "a pickled segmenter"
                     ) -> UNetSegmenter:
    """A segmenter from a checkpoint dict (header validated by :func:`read_checkpoint`)."""
    from geoquant.segment._model import UNetSegmenter  # the model module imports this one

    network = build_network(len(meta["bands"]), len(meta["classes"]), size=meta["size"],
                            seed=None)
    load_weights(network, meta["state_dict"], source=source)
    try:
        return UNetSegmenter(network, bands=meta["bands"], classes=meta["classes"],
                             mean=meta["mean"], std=meta["std"],
                             training=meta.get("training") or {})
    except WeightsError:
        raise
    except GeoquantError as err:
        raise WeightsError(f"checkpoint {source} has an invalid header: {err}") from err


def read_checkpoint(path: str | Path, *, device: Any = "cpu") -> dict[str, Any]:
    """A checkpoint's dict, validated (format, version, header entries); tensors on ``device``.

    Raises :class:`WeightsError` naming the path and what to do.
    """
    import torch

    path = Path(path)
    hint = ("pass a file written by UNetSegmenter.save or 'geoquant train --out' "
            "(weights are never downloaded)")
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist: {hint}")
    try:
        meta = torch.load(path, map_location=device, weights_only=True)
    except Exception as err:  # torch.load fails in many ways on foreign or broken files
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise WeightsError(f"cannot read {path} as a geoquant checkpoint ({reason}): it is "
                           f"corrupt or not a checkpoint; {hint}") from err
    if not isinstance(meta, dict) or meta.get("format") != CHECKPOINT_FORMAT:
        raise WeightsError(f"{path} is a torch file but not a geoquant segmenter checkpoint "
                           f"(no format={CHECKPOINT_FORMAT!r} entry): {hint}")
    version = meta.get("format_version")
    if not isinstance(version, int) or version > CHECKPOINT_VERSION:
        raise WeightsError(f"{path} has checkpoint format version {version!r}, newer than "
                           f"this geoquant reads ({CHECKPOINT_VERSION}): upgrade geoquant")
    if meta.get("architecture") != ARCHITECTURE:
        raise WeightsError(f"{path} holds a {meta.get('architecture')!r} network; this "
                           f"geoquant loads {ARCHITECTURE!r} checkpoints")
    need = {"size": str, "bands": list, "classes": list, "mean": list, "std": list,
            "state_dict": dict}
    bad = [k for k, kind in need.items() if not isinstance(meta.get(k), kind)]
    if bad:
        raise WeightsError(f"checkpoint {path} lacks or has malformed entries "
                           f"{', '.join(bad)}: it was not written by geoquant; {hint}")
    if meta["size"] not in SIZES:
        raise WeightsError(f"checkpoint {path} has network size {meta['size']!r}, which this "
                           f"geoquant does not know (sizes: {', '.join(SIZES)})")
    meta.setdefault("training", {})
    return meta


def load_weights(network: Any, state: Mapping[str, Any], *, source: str) -> None:
    """Copy a state dict into a network, or raise :class:`WeightsError` listing what differs.

    Parameters
    ----------
    network : torch.nn.Module
        The network to fill.
    state : mapping of str to torch.Tensor
        Its weights, e.g. a checkpoint's ``state_dict``.
    source : str
        Where the weights come from, for the message.
    """
    import torch

    expected = network.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    shapes = [f"{k} {tuple(state[k].shape)} (network: {tuple(v.shape)})"
              for k, v in expected.items()
              if k in state and (not isinstance(state[k], torch.Tensor)
                                 or tuple(state[k].shape) != tuple(v.shape))]
    if missing or unexpected or shapes:
        parts = []
        for label, keys in (("shapes differ", shapes), ("missing keys", missing),
                            ("unexpected keys", unexpected)):
            if keys:
                shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more"
                                               if len(keys) > 5 else "")
                parts.append(f"{label}: {shown}")
        raise WeightsError(
            f"the weights in {source} do not fit a ConvNeXt-UNet {network.size} reading "
            f"{network.in_bands} band(s) into {network.n_classes} class(es) ("
            + "; ".join(parts) + "): the checkpoint was trained for another size, band set "
            "or class list")
    network.load_state_dict(state, strict=True)
