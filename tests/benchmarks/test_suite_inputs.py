"""The input suite of labels.py and distance.py (issue 33 item 4): the inputs are what they
say, and one worker of each script agrees with scipy on a small input."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(import_benchmarks):
    return import_benchmarks("_common", "labels", "distance")


@pytest.fixture(scope="module")
def classes():
    rng = np.random.default_rng(1)
    return rng.integers(1, 8, (300, 300)).astype(np.uint8)


def test_each_input_is_what_it_says(bench, classes):
    from scipy import ndimage

    common = bench[0]
    sparse = common.suite_mask("sparse", 1000, 0, None, [2])
    assert sparse.sum() == (1000 // common.SPARSE_SPACING) ** 2
    noise = common.suite_mask("noise", 300, 0, None, [2])
    assert abs(noise.mean() - common.NOISE_FRACTION) < 0.01
    assert ndimage.label(noise, np.ones((3, 3)))[1] > 1000          # many tiny objects
    huge = common.suite_mask("huge", 300, 0, None, [2])
    assert ndimage.label(huge, np.ones((3, 3)))[1] == 1 and huge.mean() > 0.6
    assert np.array_equal(common.suite_mask("roads", 300, 0, classes, [2]), classes == 5)
    assert np.array_equal(common.suite_mask("landcover", 300, 0, classes, [1, 7]),
                          (classes == 1) | (classes == 7))
    with pytest.raises(ValueError, match="needs the synthetic scene"):
        common.suite_mask("roads", 300, 0, None, [2])


def test_interleaved_runs_every_contender_in_turn(bench):
    common = bench[0]
    order = []
    found = common.interleaved({"a": lambda m: order.append("a") or m.sum(),
                                "b": lambda m: order.append("b") or m.size},
                               np.ones((300, 300), bool), repeat=3)
    assert order == ["a", "b"] + ["a", "b"] * 3                      # warm-up, then rounds
    assert found["a"].result == 90_000 and len(found["b"].times) == 3
    assert found["a"].seconds == min(found["a"].times)
    floors = common.memory_floors(np.ones((300, 300), bool), np.int32, repeat=2, threads=2)
    assert set(floors) == {"read_1t", "read_2t", "write_1t", "write_2t"}
    assert all(v > 0 for v in floors.values())


@pytest.mark.slow  # imports geoquant and loads its kernels: several seconds per worker
@pytest.mark.parametrize("script", ["labels", "distance"])
def test_a_suite_worker_agrees_with_scipy(bench, classes, tmp_path, script):
    pytest.importorskip("cc3d" if script == "labels" else "edt")
    scene = tmp_path / "scene.npy"
    np.save(scene, classes)
    module = bench[1] if script == "labels" else bench[2]
    args = (2,) if script == "labels" else (2, True)
    row = module.suite_worker("landcover", 300, scene, *args[:1], 0, *args[1:])
    if script == "labels":
        assert not any(a.startswith("DIFFERENT") for a in row["agrees"].values())
        assert row["runs"] > 0 and row["objects"] > 0
    else:
        assert row["max_abs_diff_m"]["geoquant"] == 0.0
        assert row["max_abs_diff_m"]["edt"] < 1e-3 * row["farthest_m"]
    assert "x cc3d" in module.suite_table([row]) or "x edt" in module.suite_table([row])
