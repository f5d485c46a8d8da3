"""Label smoothing (issue 29): the soft majority against scipy's uniform filter, the sieve
against a per-object loop, both exact in any tile read with their halo, and the choice of
their parameters on labels with the structure of a reference map."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from scipy import ndimage

from geoquant.errors import InvalidOptionError
from geoquant.segment._label_smoothing import (
    LabelSmoothing,
    choose_smoothing,
    class_map,
    sieve,
    soft_majority,
)


def _probabilities(seed: int, shape: tuple[int, int] = (70, 90), n: int = 3,
                   holes: bool = True) -> np.ndarray:
    rng = np.random.default_rng(seed)
    raw = ndimage.gaussian_filter(rng.normal(size=(n, *shape)), (0, 2, 2)) * 6
    raw += rng.normal(scale=0.7, size=raw.shape)       # speckle
    e = np.exp(raw - raw.max(axis=0))
    prob = (e / e.sum(axis=0)).astype(np.float32)
    if holes:
        prob[:, 10:14, 20:27] = np.nan                 # no data
        prob[:, -3:, :5] = np.nan
    return prob


def _reference_mean(prob: np.ndarray, radius: int) -> np.ndarray:
    valid = np.isfinite(prob).all(axis=0)
    size = 2 * radius + 1
    total = np.stack([ndimage.uniform_filter(np.where(valid, p, 0.0).astype(np.float64), size,
                                             mode="constant") for p in prob])
    weight = ndimage.uniform_filter(valid.astype(np.float64), size, mode="constant")
    out = total / np.where(weight > 0, weight, 1)
    out[:, ~valid] = np.nan
    return out


def _reference_sieve(label: np.ndarray, k: int, n: int) -> np.ndarray:
    """Object by object, neighbour by neighbour."""
    out = label.copy()
    h, w = label.shape
    for c in range(n):
        objects, count = ndimage.label(label == c, np.ones((3, 3)))
        for i in range(1, count + 1):
            pixels = np.argwhere(objects == i)
            if len(pixels) >= k or (pixels[:, 0] == 0).any() or (pixels[:, 0] == h - 1).any() \
                    or (pixels[:, 1] == 0).any() or (pixels[:, 1] == w - 1).any():
                continue
            votes: Counter[int] = Counter()
            for y, x in pixels:
                for dy in (-1, 0, 1):
                    for dx in (-1, 0, 1):
                        other = label[y + dy, x + dx]
                        if other >= 0 and other != c:
                            votes[int(other)] += 1
            if votes:
                most = max(votes.values())
                out[pixels[:, 0], pixels[:, 1]] = min(v for v in votes if votes[v] == most)
    return out


@pytest.mark.parametrize("radius", [1, 2, 5])
def test_soft_majority_is_scipys_normalised_uniform_filter(radius):
    prob = _probabilities(radius)
    got = soft_majority(prob, radius)
    np.testing.assert_allclose(got, _reference_mean(prob, radius), rtol=0, atol=2e-6,
                               equal_nan=True)
    assert np.isnan(got[:, 11, 21]).all() and np.isfinite(got[:, 20, 20]).all()


@pytest.mark.parametrize("k", [2, 5, 12, 40])
def test_sieve_matches_an_object_by_object_reference(k):
    label = class_map(_probabilities(7 + k))
    np.testing.assert_array_equal(sieve(label, k, 3), _reference_sieve(label, k, 3))


def test_sieve_of_known_objects():
    label = np.zeros((9, 9), np.int16)
    label[3:5, 3:5] = 1          # 4 px inside class 0: sieved into 0 at k=5
    label[0, 7] = 2              # touches the edge: kept
    label[7, 1] = 2              # 1 px: sieved
    label[6:8, 6:8] = -1         # no data stays
    out = sieve(label, 5, 3)
    assert (out[3:5, 3:5] == 0).all() and out[0, 7] == 2 and out[7, 1] == 0
    assert (out[6:8, 6:8] == -1).all()
    np.testing.assert_array_equal(sieve(label, 4, 3)[3:5, 3:5], 1)   # 4 px is not < 4


def test_class_map_follows_the_sieve_and_ranges_keep_both_classes():
    prob = np.zeros((2, 9, 9), np.float32)
    prob[0], prob[1] = 0.8, 0.2
    prob[:, 4, 4] = (0.35, 0.65)             # one pixel of class 1 in class 0
    out = LabelSmoothing(0, 3).apply(prob)
    assert class_map(out)[4, 4] == 0
    np.testing.assert_allclose(out[:, 4, 4], (0.65, 0.35))
    assert (out[:, 4, 4] >= 0.3).all()       # the 0.3 masks still hold both


@pytest.mark.parametrize("smoothing", [LabelSmoothing(2, 0), LabelSmoothing(0, 15),
                                       LabelSmoothing(3, 20)])
def test_any_tile_with_the_halo_gives_the_whole_arrays_values(smoothing):
    prob = _probabilities(3, (96, 120))
    whole = smoothing.apply(prob)
    reference = _reference_mean(prob, smoothing.radius_px) if smoothing.radius_px else prob
    expected_map = _reference_sieve(class_map(reference), smoothing.min_pixels, 3) \
        if smoothing.min_pixels else class_map(reference)
    np.testing.assert_array_equal(class_map(whole), expected_map)
    halo = smoothing.halo
    for y0, y1, x0, x1 in ((0, 40, 0, 50), (40, 96, 50, 120), (25, 61, 33, 80)):
        ty0, tx0 = max(0, y0 - halo), max(0, x0 - halo)
        tile = smoothing.apply(prob[:, ty0:y1 + halo, tx0:x1 + halo])
        core = tile[:, y0 - ty0:y0 - ty0 + (y1 - y0), x0 - tx0:x0 - tx0 + (x1 - x0)]
        np.testing.assert_array_equal(core, whole[:, y0:y1, x0:x1])   # bitwise


def test_choice_recovers_the_structure_of_smooth_labels():
    rng = np.random.default_rng(0)
    target = np.zeros((120, 120), np.int16)
    target[20:70, 10:60] = 1
    target[80:110, 60:115] = 2
    target[30:50, 80:100] = 1
    onehot = np.stack([(target == c) for c in range(3)]).astype(np.float64)
    noisy = onehot * 2.0 + rng.normal(scale=1.1, size=onehot.shape)    # speckled classifier
    e = np.exp(noisy - noisy.max(axis=0))
    prob = (e / e.sum(axis=0)).astype(np.float32)
    chosen, table = choose_smoothing([prob], [target])
    assert chosen.active
    assert table[f"r{chosen.radius_px}-k{chosen.min_pixels}"] < table["r0-k0"] / 3
    objects = ndimage.label(class_map(chosen.apply(prob)) == 1, np.ones((3, 3)))[1]
    assert objects == 2 and ndimage.label(class_map(prob) == 1, np.ones((3, 3)))[1] > 10


def test_bad_parameters_and_json():
    with pytest.raises(InvalidOptionError, match="radius_px must be an integer >= 0"):
        LabelSmoothing(-1, 0)
    with pytest.raises(InvalidOptionError, match="min_pixels"):
        LabelSmoothing(0, 2.5)
    s = LabelSmoothing(2, 9)
    assert LabelSmoothing.from_json(s.to_json()) == s and s.halo == 11
    assert LabelSmoothing.from_json(None) == LabelSmoothing() and not LabelSmoothing().active
