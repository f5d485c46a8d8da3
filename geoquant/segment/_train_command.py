"""``geoquant train --legend``: from the files users have to a model file that ``ask`` takes.

:func:`train_from_files` reads the data (:mod:`geoquant.segment._train_files`: folders of
image/mask pairs, or georeferenced scenes with a label raster on another grid), trains the
pixel classifier (:mod:`geoquant.segment._image_classifier`) with the chosen groups held out,
and writes the model; nothing is written when the data are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from geoquant.errors import InvalidOptionError


def read_training_data(data: Sequence[str | Path], *, legend: Any,
                       labels: Sequence[str | Path] = (), bands: Sequence[str] | None = None,
                       halves: str | None = None, strict: bool = False,
                       say: Callable[[str], None] | None = None) -> tuple[list[Any], Any]:
    """Training images and the legend from files.

    Parameters
    ----------
    data : sequence of str or Path
        Without ``labels``: folders of image/mask pairs (each a group source, see
        :func:`~geoquant.segment._train_files.pair_files`). With ``labels``: scenes, each a
        GeoTIFF or single-band GeoTIFFs joined by ``+`` (``b2.tif+b3.tif+b4.tif``).
    legend : str, Path or mapping
        Codes or colours to class words (:func:`~geoquant.segment._train_files.parse_legend`).
    labels : sequence of str or Path
        Label rasters, one for all scenes or one per scene, on any grid overlapping them.
    halves : {"north-south", "west-east"}, optional
        Cut each scene in two halves that are groups of their own (``north``/``south``).
        Without it each scene is a group named by its first file's stem.

    Returns
    -------
    tuple
        ``(images, legend)``.
    """
    from geoquant.segment._train_files import (
        TrainingImage,
        parse_legend,
        read_pairs,
        read_scene,
        scene_halves,
    )

    table = parse_legend(legend)
    images: list[TrainingImage] = []
    if not labels:
        if halves:
            raise InvalidOptionError("--halves cuts georeferenced scenes; give --labels with "
                                     "them (image/mask pairs split by folder or name)")
        for folder in data:
            images += read_pairs(folder, table, bands=bands, strict=strict, say=say)
        return images, table
    labels = list(labels)
    if len(labels) not in (1, len(data)):
        raise InvalidOptionError(f"give one label raster for all scenes or one per scene, not "
                                 f"{len(labels)} for {len(data)}")
    for k, scene in enumerate(data):
        files = [Path(p) for p in str(scene).split("+")]
        label = labels[k if len(labels) > 1 else 0]
        if halves:
            images += scene_halves(files, label, table, bands=bands, halves=halves)
        else:
            values, target, names = read_scene(files, label, table, bands=bands)
            images.append(TrainingImage(str(scene), files[0].stem,
                                        np.asarray(values.values, np.float32), names, target))
    return images, table


def train_from_files(data: Sequence[str | Path], *, legend: Any, out: str | Path,
                     labels: Sequence[str | Path] = (), bands: Sequence[str] | None = None,
                     halves: str | None = None, test: Sequence[str] = (), refit: bool = False,
                     radii_px: Sequence[int] = (2, 8), pixels: int | None = None,
                     rounds: int | None = None, seed: int = 0, checkpoint_every: int = 25,
                     strict: bool = False, postprocess: Sequence[str] | bool = True,
                     say: Callable[[str], None] | None = None) -> Any:
    """Read training data, train the pixel classifier and write it to ``out``.

    See :func:`read_training_data` for the data and
    :func:`~geoquant.segment._image_classifier.train_image_classifier` for the options.
    ``out`` is written whole once training ends (resumed from its state file after a kill).

    Returns
    -------
    ImageClassifier
    """
    from geoquant.segment._image_classifier import PIXELS, ROUNDS, train_image_classifier

    images, table = read_training_data(data, legend=legend, labels=labels, bands=bands,
                                       halves=halves, strict=strict, say=say)
    if say:
        groups = sorted({i.group for i in images})
        say(f"{len(images)} images in {len(groups)} groups ({', '.join(groups)}); bands "
            f"{', '.join(images[0].bands)}; classes {', '.join(table.words)}")
    return train_image_classifier(images, table.words, test_groups=tuple(test),
                                  radii_px=radii_px, pixels=pixels or PIXELS,
                                  rounds=rounds or ROUNDS, seed=seed, refit=refit,
                                  checkpoint=out, checkpoint_every=checkpoint_every,
                                  postprocess=postprocess, say=say)
