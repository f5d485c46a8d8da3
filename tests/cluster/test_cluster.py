"""``geoquant.cluster`` for real: the default LocalCluster, a scheduler and two workers started
as separate ``dask scheduler`` / ``dask worker`` processes reached by address, computations
there, the errors for a scheduler that does not answer and workers that never join, and the
GPU cluster falling back to the CPU in one line."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import types

import numpy as np
import pytest

import geoquant as gq
from geoquant.cluster import _gpu, load_definition
from geoquant.demo import DEMO_DATA
from geoquant.errors import ClusterError

LULC = DEMO_DATA / "slovenia-lulc" / "LULC_2018" / "lulc.tif"
HAS_DASK_CUDA = importlib.util.find_spec("dask_cuda") is not None


def _array_sum(client) -> float:
    import dask.array as da

    values = np.arange(400 * 300, dtype=np.float64).reshape(400, 300)
    total = da.from_array(values, chunks=(100, 75)).sum()
    # The handle's client is dask's default scheduler: a plain compute() goes there.
    before = client.run_on_scheduler(_transitions)
    result = float(total.compute())
    assert client.run_on_scheduler(_transitions) > before
    assert result == float(values.sum())
    return result


# A lambda, which cloudpickle sends by value: the workers cannot import this test module.
_transitions = lambda dask_scheduler: dask_scheduler.transition_counter  # noqa: E731


def _no_default_client() -> bool:
    from distributed import default_client

    try:
        default_client()
    except ValueError:
        return True
    return False


def test_local_cluster_of_two_worker_processes_computes_a_sum():
    with gq.cluster.cluster("local", workers=2, threads=1) as handle:
        from distributed import default_client

        assert handle.kind == "local" and handle.cluster is not None
        assert default_client() is handle.client
        info = handle.client.scheduler_info()["workers"]
        assert len(info) == 2 and all(w["nthreads"] == 1 for w in info.values())
        pids = set(handle.client.run(os.getpid).values())
        assert len(pids) == 2 and os.getpid() not in pids     # separate processes
        _array_sum(handle.client)
        assert handle.dashboard_link.startswith("http://127.0.0.1:")  # a free port
    assert _no_default_client()
    handle.close()                                            # closing twice is harmless


def test_default_cluster_is_local_sized_to_the_machine():
    from dask.system import CPU_COUNT
    from distributed.deploy.local import nprocesses_nthreads

    workers, threads = nprocesses_nthreads(CPU_COUNT)
    with gq.cluster.cluster() as handle:
        assert handle.definition.name == "local" and handle.kind == "local"
        info = handle.client.scheduler_info()["workers"]
        assert len(info) == workers
        assert {w["nthreads"] for w in info.values()} == {threads}


def test_scheduler_and_two_worker_processes_reached_by_address(scheduler_with_two_workers):
    address = scheduler_with_two_workers
    with gq.cluster.cluster("address", address=address, wait_for_workers=2, timeout_s=60) as handle:
        assert handle.kind == "address" and handle.cluster is None
        assert handle.scheduler_address == address
        workers = handle.client.scheduler_info()["workers"]
        assert len(workers) == 2
        assert len(set(handle.client.run(os.getpid).values())) == 2
        _array_sum(handle.client)
    # geoquant started nothing there, so it stopped nothing: the scheduler still answers.
    with gq.cluster.cluster("address", address=address, wait_for_workers=2, timeout_s=30) as again:
        assert len(again.client.scheduler_info()["workers"]) == 2


def test_scheduler_reached_through_a_yaml_file(scheduler_with_two_workers, tmp_path):
    path = tmp_path / "my-scheduler.yaml"
    path.write_text(f"kind: address\naddress: {scheduler_with_two_workers}\n"
                    "wait_for_workers: 2\ntimeout_s: 60\n")
    for name_or_path in (str(path), path):
        with gq.cluster.cluster(name_or_path) as handle:
            assert handle.definition.name == "my-scheduler"
            assert len(handle.client.scheduler_info()["workers"]) == 2
            _array_sum(handle.client)


def test_ask_inside_a_cluster_computes_there(scheduler_with_two_workers):
    alone = gq.ask("What share of the area is forest?", source=LULC, product="slovenia-lulc")
    with gq.cluster.cluster("address", address=scheduler_with_two_workers, wait_for_workers=2,
                    timeout_s=60) as handle:
        before = handle.client.run_on_scheduler(_transitions)
        there = gq.ask("What share of the area is forest?", source=LULC,
                       product="slovenia-lulc")
        assert handle.client.run_on_scheduler(_transitions) > before
    assert there.value == alone.value


def test_unreachable_scheduler_is_a_clear_error_quickly(closed_port):
    address = f"tcp://127.0.0.1:{closed_port}"
    started = time.monotonic()
    with pytest.raises(ClusterError) as info:
        gq.cluster.cluster("address", address=address, timeout_s=1)
    assert time.monotonic() - started < 10
    message = str(info.value)
    assert message.startswith(f"no scheduler answers at {address} within 1 s")
    assert f"dask scheduler --port {closed_port}" in message and "\n" not in message
    assert _no_default_client()


def test_tls_address_without_certificates_is_a_clear_error(closed_port):
    with pytest.raises(ClusterError, match="security settings") as info:
        gq.cluster.cluster("address", address=f"tls://127.0.0.1:{closed_port}", timeout_s=1)
    assert "\n" not in str(info.value)
    assert _no_default_client()


def test_workers_that_never_join_are_a_clear_error(scheduler_without_workers):
    address = scheduler_without_workers
    started = time.monotonic()
    with pytest.raises(ClusterError) as info:
        gq.cluster.cluster("address", address=address, wait_for_workers=1, timeout_s=1)
    assert time.monotonic() - started < 10
    assert str(info.value) == (f"0 of 1 workers joined the scheduler at {address} within 1 s: "
                               f"start them with `dask worker {address}`, or lower "
                               "wait_for_workers")
    assert _no_default_client()                   # the client was closed, not left behind
    # wait_for_workers=0 connects to the empty scheduler without waiting.
    with gq.cluster.cluster("address", address=address, wait_for_workers=0, timeout_s=5) as handle:
        assert handle.n_workers == 0


def _gpu_definition_with_tiny_fallback(tmp_path):
    """A local-gpu definition falling back to a one-worker, in-process local cluster."""
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text("kind: local\nworkers: 1\nthreads: 1\nprocesses: false\n")
    gpu = tmp_path / "gpu.yaml"
    gpu.write_text(f"kind: local-gpu\nfallback: {tiny}\n")
    return gpu


@pytest.mark.skipif(HAS_DASK_CUDA, reason="dask-cuda is installed here")
def test_gpu_cluster_without_dask_cuda_falls_back_in_one_line(capsys, tmp_path):
    assert load_definition("local-gpu").fallback == "local"     # the built-in falls back there
    with gq.cluster.cluster(_gpu_definition_with_tiny_fallback(tmp_path)) as handle:
        assert handle.kind == "local" and handle.definition.name == "tiny"
        assert handle.fallback_reason.startswith("dask-cuda is not installed")
        _array_sum(handle.client)
    out, err = capsys.readouterr()
    assert out == ("geoquant: no usable NVIDIA GPU found (dask-cuda is not installed: pip "
                   "install 'geoquant[gpu]'); starting the CPU cluster 'tiny' instead\n")
    assert "Traceback" not in err


def _fake_nvml_missing(monkeypatch):
    """Stand-ins where dask-cuda is absent: a ``dask_cuda`` module that imports, and ``pynvml``
    raising NVML's own error class name, as on a machine without the NVIDIA driver."""
    monkeypatch.setitem(sys.modules, "dask_cuda", types.ModuleType("dask_cuda"))
    pynvml = types.ModuleType("pynvml")

    class NVMLError(Exception):
        pass

    class NVMLError_LibraryNotFound(NVMLError):  # noqa: N801 - NVML's own name
        pass

    def nvml_init():
        raise NVMLError_LibraryNotFound("NVML Shared Library Not Found")

    pynvml.NVMLError = NVMLError
    pynvml.nvmlInit = nvml_init
    monkeypatch.setitem(sys.modules, "pynvml", pynvml)


def test_gpu_cluster_without_nvml_falls_back_in_one_line(monkeypatch, capsys, tmp_path):
    if not HAS_DASK_CUDA:
        _fake_nvml_missing(monkeypatch)
    elif _gpu.gpu_unavailable_reason() is None:
        pytest.skip("a GPU is usable here")
    lines = []
    with gq.cluster.cluster(_gpu_definition_with_tiny_fallback(tmp_path),
                            say=lines.append) as handle:
        assert handle.kind == "local" and handle.definition.name == "tiny"
        _array_sum(handle.client)
    if not HAS_DASK_CUDA:
        assert lines == ["geoquant: no usable NVIDIA GPU found (NVML library missing); "
                         "starting the CPU cluster 'tiny' instead"]
    assert len(lines) == 1 and lines[0].startswith("geoquant: no usable NVIDIA GPU found (")
    assert "Traceback" not in "".join(capsys.readouterr())


def test_gpu_cluster_without_fallback_is_an_error(tmp_path):
    path = tmp_path / "gpu-only.yaml"
    path.write_text("kind: local-gpu\nfallback: null\n")
    if not HAS_DASK_CUDA:
        with pytest.raises(ClusterError, match=r"no usable NVIDIA GPU found \(dask-cuda is not "
                                               r"installed.*set 'fallback: local'"):
            gq.cluster.cluster(path)


@pytest.mark.gpu
def test_gpu_cluster_runs_one_worker_per_gpu():
    import pynvml

    pynvml.nvmlInit()
    gpus = pynvml.nvmlDeviceGetCount()
    with gq.cluster.cluster("local-gpu") as handle:
        assert handle.kind == "local-gpu" and handle.fallback_reason is None
        assert len(handle.client.scheduler_info()["workers"]) == gpus
        _array_sum(handle.client)
