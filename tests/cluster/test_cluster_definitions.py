"""Cluster definitions: every built-in one loads and documents every key, the repository's
``clusters/`` copies equal the package's, bad files are refused with the key named, and the
definitions that cannot start here (SSH, SLURM, Kubernetes) are checked for real by building
what they would start."""

from __future__ import annotations

import importlib.util
import inspect
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import geoquant as gq
from geoquant.cluster import (
    KINDS,
    builtin_names,
    check_definition,
    known_names,
    load_definition,
    parse_memory,
)
from geoquant.cluster._files import BUILTIN_DIR
from geoquant.errors import ClusterError, ConfigError, InvalidOptionError

REPO_CLUSTERS = Path(__file__).resolve().parents[2] / "clusters"


def _file(tmp_path: Path, text: str, name: str = "site.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_definitions_one_per_kind():
    assert builtin_names() == sorted(KINDS)
    for name in builtin_names():
        definition = load_definition(BUILTIN_DIR / f"{name}.yaml")
        assert definition.kind == name and definition.name == name


@pytest.mark.parametrize("name", sorted(KINDS))
def test_builtin_files_set_and_comment_every_key(name):
    path = BUILTIN_DIR / f"{name}.yaml"
    raw = yaml.safe_load(path.read_text())
    assert tuple(sorted(raw)) == KINDS[name].keys()
    lines = path.read_text().splitlines()
    for number, line in enumerate(lines):
        if line and not line.startswith((" ", "#")) and ":" in line and line.split(":")[0] in raw:
            # A comment (or a documented key just above, for pairs) explains every setting.
            assert lines[number - 1].startswith("#") or lines[number - 1].split(":")[0] in raw, \
                f"{path.name}: {line!r} has no comment"


def test_repository_clusters_folder_equals_the_package_definitions():
    if not REPO_CLUSTERS.is_dir():
        pytest.skip("not a repository checkout")
    shipped = sorted(p.name for p in BUILTIN_DIR.glob("*.yaml"))
    assert sorted(p.name for p in REPO_CLUSTERS.glob("*.yaml")) == shipped
    for name in shipped:
        assert (REPO_CLUSTERS / name).read_bytes() == (BUILTIN_DIR / name).read_bytes(), \
            f"clusters/{name} differs from geoquant/cluster/definitions/{name}: copy it over"
    assert (REPO_CLUSTERS / "README.md").is_file()


def test_unknown_key_is_named_with_the_closest_known_one(tmp_path):
    path = _file(tmp_path, "kind: local\nwrokers: 2\n")
    with pytest.raises(ConfigError) as info:
        load_definition(path)
    message = str(info.value)
    assert "unknown key 'wrokers' (did you mean 'workers'?) for kind 'local'" in message
    assert "known keys: dashboard_address, description, kind, local_directory, memory" in message
    assert message.startswith(str(path)) or message.startswith("site.yaml")


def test_several_unknown_keys_are_all_named(tmp_path):
    path = _file(tmp_path, "kind: slurm\nqueu: normal\nwaltime: '01:00:00'\n")
    with pytest.raises(ConfigError, match=r"unknown key 'queu' \(did you mean 'queue'\?\) "
                                          r"\(and 'waltime'\)"):
        load_definition(path)


def test_missing_key_is_named_with_an_example(tmp_path):
    with pytest.raises(ConfigError, match=r"missing key 'address' for kind 'address' \(e\.g\. "
                                          r"address: tcp://scheduler-host:8786\)"):
        load_definition(_file(tmp_path, "kind: address\n"))
    with pytest.raises(ConfigError, match="missing key 'hosts' for kind 'ssh'"):
        load_definition(_file(tmp_path, "kind: ssh\n"))


def test_missing_or_unknown_kind(tmp_path):
    with pytest.raises(ConfigError, match="missing key 'kind': one of address, kubernetes, "
                                          "local, local-gpu, slurm, ssh"):
        load_definition(_file(tmp_path, "workers: 2\n"))
    with pytest.raises(ConfigError, match=r"unknown kind 'slrum' \(did you mean 'slurm'\?\)"):
        load_definition(_file(tmp_path, "kind: slrum\n"))


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(ClusterError) as info:
        load_definition("bogus")
    message = str(info.value)
    assert message.startswith("unknown cluster 'bogus': known clusters are address, "
                              "kubernetes, local, local-gpu, slurm, ssh")
    assert "path of a YAML definition" in message
    with pytest.raises(ClusterError, match=r"unknown cluster 'slrm' \(did you mean 'slurm'\?\)"):
        gq.cluster.cluster("slrm")


def test_missing_file_empty_file_and_bad_yaml(tmp_path):
    with pytest.raises(ClusterError, match="no cluster definition file at"):
        load_definition(tmp_path / "absent.yaml")
    with pytest.raises(ConfigError, match="the file is empty"):
        load_definition(_file(tmp_path, ""))
    with pytest.raises(ConfigError, match="not valid YAML at line 3, column 1"):
        load_definition(_file(tmp_path, "kind: local\nworkers: [1\n"))
    with pytest.raises(ConfigError, match="expected a mapping of keys"):
        load_definition(_file(tmp_path, "- local\n"))


@pytest.mark.parametrize(("text", "message"), [
    ("kind: local\nworkers: 0\n", "workers: expected a whole number ≥ 1, got 0"),
    ("kind: local\nworkers: two\n", "workers: expected a whole number ≥ 1, got 'two'"),
    ("kind: local\nthreads: true\n", "threads: expected a whole number"),
    ("kind: local\nmemory: lots\n", "memory: expected a size in bytes"),
    ("kind: local\nprocesses: 'yes'\n", "processes: expected true or false"),
    ("kind: local\ntimeout_s: 0\n", "timeout_s: expected a number of seconds > 0"),
    ("kind: local\ndashboard_address: 8787\n", "dashboard_address: expected a non-empty"),
    ("kind: address\naddress: localhost\n", "address: expected a scheduler address"),
    ("kind: address\naddress: tcp://host:99999\n", "address: expected a scheduler address"),
    ("kind: slurm\nwalltime: 1 hour\n", "walltime: expected a SLURM time"),
    ("kind: slurm\nworkers: 3\nworkers_per_job: 2\n", "must be a multiple of workers_per_job"),
    ("kind: slurm\njob_extra_directives: ['#SBATCH --qos=high']\n", "without '#SBATCH'"),
    ("kind: slurm\nmemory: null\n", "memory: expected a size"),
    ("kind: ssh\nhosts: [only-one]\n", "expected at least two host names"),
    ("kind: ssh\nhosts: [a, b]\nconnect_options: [port]\n", "connect_options: expected a"),
    ("kind: kubernetes\ncluster_name: Geo_Quant\n", "cluster_name: expected a Kubernetes name"),
    ("kind: kubernetes\nenv: {THREADS: 4}\n", "env: expected a mapping of names to strings"),
    ("kind: kubernetes\nscheduler_service_type: Ingress\n", "one of 'ClusterIP', 'NodePort'"),
    ("kind: kubernetes\ngpus: -1\n", "gpus: expected a whole number ≥ 0"),
    ("kind: local-gpu\ngpus: [-1]\n", "gpus: expected a list of GPU indexes"),
    ("kind: local-gpu\nrmm_async: true\nrmm_pool_size: 1GiB\n", "rmm_async cannot be combined"),
    ("kind: local-gpu\nrmm_maximum_pool_size: 1GiB\n", "needs rmm_pool_size"),
    ("kind: local-gpu\ndevice_memory_limit: 1.5\n", "or a fraction of the device's memory"),
])
def test_wrong_values_are_refused_with_what_to_write(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_definition(_file(tmp_path, text))


def test_memory_sizes():
    assert parse_memory("4GiB") == 4 * 2**30
    assert parse_memory("500MB") == 500 * 10**6
    assert parse_memory("1.5 GiB") == 3 * 2**29
    assert parse_memory("16gib") == 16 * 2**30
    assert parse_memory(1024) == 1024
    for bad in ("", "GiB", "-1GB", "4 gibs", 0, True, 1.5):
        with pytest.raises(ConfigError):
            parse_memory(bad)


def test_options_override_the_definition_or_say_why_not():
    assert load_definition("local").workers is None
    launch = check_definition("local", workers=3, threads=2, memory="2GiB", timeout_s=5)
    assert launch.definition.workers == 3 and launch.definition.timeout_s == 5.0
    assert launch.options["n_workers"] == 3 and launch.options["memory_limit"] == 2 * 2**30
    with pytest.raises(InvalidOptionError, match=r"workers= does not apply to cluster "
                                                 r"'address' \(kind 'address'\): .*--nworkers"):
        gq.cluster.cluster("address", workers=2)
    with pytest.raises(InvalidOptionError,
                       match="use geoquant.cluster.cluster\\('address', address="):
        gq.cluster.cluster("local", address="tcp://127.0.0.1:8786")
    with pytest.raises(InvalidOptionError, match="'gpus' key"):
        gq.cluster.cluster("local-gpu", workers=2)
    with pytest.raises(ConfigError, match="option workers: expected a whole number ≥ 1, got 0"):
        gq.cluster.cluster("local", workers=0)


def test_names_are_found_in_the_environment_folder_then_clusters(tmp_path, monkeypatch):
    site = tmp_path / "site-defs"
    site.mkdir()
    (site / "my-site.yaml").write_text("kind: slurm\nqueue: short\n")
    monkeypatch.setenv("GEOQUANT_CLUSTERS", str(site))
    assert load_definition("my-site").queue == "short"
    assert "my-site" in known_names()
    work = tmp_path / "project"
    (work / "clusters").mkdir(parents=True)
    (work / "clusters" / "local.yaml").write_text("kind: local\nworkers: 3\n")
    monkeypatch.chdir(work)
    # ./clusters/ comes before the built-in definitions: a copy there is the one used.
    assert load_definition("local").workers == 3
    assert load_definition("slurm").source.endswith("slurm.yaml")


def _accepted(*callables) -> set[str]:
    names = set()
    for func in callables:
        names.update(inspect.signature(func).parameters)
    return names


def test_local_options_are_localcluster_arguments():
    from distributed import LocalCluster, Nanny

    launch = check_definition("local", workers=2, threads=1, memory="1GiB")
    assert set(launch.options) <= _accepted(LocalCluster.__init__, Nanny.__init__)
    assert launch.target == "distributed.LocalCluster"


def test_local_gpu_options_are_localcudacluster_arguments():
    launch = check_definition(_write_gpu_definition())
    assert launch.options["CUDA_VISIBLE_DEVICES"] == "0,1"
    assert launch.options["rmm_pool_size"] == 40 * 2**30
    assert launch.options["device_memory_limit"] == 0.8
    dask_cuda = pytest.importorskip("dask_cuda")
    from distributed import LocalCluster

    assert set(launch.options) <= _accepted(dask_cuda.LocalCUDACluster.__init__,
                                            LocalCluster.__init__)


def _write_gpu_definition():
    from geoquant.cluster import LocalGPUDefinition

    return LocalGPUDefinition(gpus=[0, 1], rmm_pool_size="40GiB", device_memory_limit=0.8)


def test_ssh_definition_builds_sshcluster_arguments(tmp_path):
    from distributed import Nanny, Scheduler
    from distributed.deploy.ssh import SSHCluster

    path = _file(tmp_path, "kind: ssh\nhosts: [head, node-1, node-2]\nworkers_per_host: 2\n"
                           "threads: 4\nmemory: 8GiB\nremote_python: /opt/venv/bin/python\n"
                           "connect_options: {username: me, known_hosts: null}\n")
    launch = check_definition(path)
    assert launch.target == "distributed.SSHCluster"
    assert set(launch.options) <= set(inspect.signature(SSHCluster).parameters)
    assert launch.options["hosts"] == ["head", "node-1", "node-2"]
    assert launch.options["connect_options"] == {"username": "me", "known_hosts": None}
    assert launch.options["worker_options"] == {"n_workers": 2, "nthreads": 4,
                                                "memory_limit": 8 * 2**30}
    assert set(launch.options["worker_options"]) - {"n_workers"} <= _accepted(Nanny.__init__)
    assert set(launch.options["scheduler_options"]) <= _accepted(Scheduler.__init__)
    assert launch.options["remote_python"] == "/opt/venv/bin/python"


def test_ssh_without_asyncssh_says_what_to_install(tmp_path):
    if importlib.util.find_spec("asyncssh") is not None:
        pytest.skip("asyncssh is installed here")
    with pytest.raises(ClusterError, match=r"cluster kind 'ssh' needs asyncssh.*geoquant\[hpc\]"):
        gq.cluster.cluster(_file(tmp_path, "kind: ssh\nhosts: [a, b]\n"))


def test_slurm_definition_renders_a_real_job_script(tmp_path):
    pytest.importorskip("dask_jobqueue")
    path = _file(tmp_path, "kind: slurm\nworkers: 4\nworkers_per_job: 2\nthreads: 4\n"
                           "memory: 16GiB\ngpus: 2\nqueue: gpu\naccount: geo-project\n"
                           "walltime: '02:30:00'\nlog_directory: /scratch/logs\n"
                           "local_directory: $TMPDIR\n"
                           "job_extra_directives: ['--constraint=a100']\n"
                           "job_script_prologue: ['module load cuda/12.4', "
                           "'source /opt/venv/bin/activate']\n"
                           "python: /opt/venv/bin/python\n", name="my-site.yaml")
    launch = check_definition(path)
    script = launch.job_script
    assert launch.jobs == 2 and launch.target == "dask_jobqueue.SLURMCluster"
    for line in ("#SBATCH -J geoquant-my-site", "#SBATCH -p gpu", "#SBATCH -A geo-project",
                 "#SBATCH --cpus-per-task=8", "#SBATCH --mem=32G", "#SBATCH -t 02:30:00",
                 "#SBATCH --constraint=a100", "#SBATCH --gres=gpu:2",
                 "#SBATCH -e /scratch/logs/", "module load cuda/12.4",
                 "source /opt/venv/bin/activate"):
        assert line in script, line
    worker = script.strip().splitlines()[-1]
    assert worker.startswith("/opt/venv/bin/python -m distributed.cli.dask_worker "
                             "tcp://SCHEDULER-ADDRESS:8786")
    for arg in ("--nthreads 4", "--nworkers 2", "--memory-limit 16.00GiB",
                "--local-directory $TMPDIR"):
        assert arg in worker, arg
    if shutil.which("bash"):
        check = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
        assert check.returncode == 0, check.stderr


def test_slurm_options_are_slurmcluster_arguments():
    pytest.importorskip("dask_jobqueue")
    from dask_jobqueue import SLURMCluster
    from dask_jobqueue.core import Job, JobQueueCluster
    from dask_jobqueue.slurm import SLURMJob

    launch = check_definition("slurm")
    assert set(launch.options) <= _accepted(SLURMCluster.__init__, JobQueueCluster.__init__,
                                            SLURMJob.__init__, Job.__init__)
    assert "#SBATCH --mem=16G" in launch.job_script and "-t 01:00:00" in launch.job_script


def test_slurm_needs_sbatch_to_start():
    if shutil.which("sbatch"):
        pytest.skip("sbatch is on PATH here")
    pytest.importorskip("dask_jobqueue")
    with pytest.raises(ClusterError, match="sbatch, which is not on PATH here"):
        gq.cluster.cluster("slurm")


def test_kubernetes_definition_builds_the_daskcluster_resource(tmp_path):
    path = _file(tmp_path, "kind: kubernetes\ncluster_name: survey-2026\nnamespace: geo\n"
                           "image: registry.example.org/geoquant:0.1\nworkers: 6\nthreads: 4\n"
                           "memory: 16GiB\ngpus: 1\nenv: {GDAL_CACHEMAX: '512'}\n"
                           "scheduler_memory: 4GiB\nidle_timeout_s: 3600\n")
    launch = check_definition(path)
    resource = launch.resource
    assert launch.target == "dask_kubernetes.operator.KubeCluster"
    assert launch.options["custom_cluster_spec"] == resource
    assert launch.options["namespace"] == "geo"
    assert resource["apiVersion"] == "kubernetes.dask.org/v1"
    assert resource["kind"] == "DaskCluster"
    assert resource["metadata"] == {"name": "survey-2026", "namespace": "geo"}
    assert resource["spec"]["idleTimeout"] == 3600
    worker = resource["spec"]["worker"]
    assert worker["replicas"] == 6
    container = worker["spec"]["containers"][0]
    assert container["image"] == "registry.example.org/geoquant:0.1"
    assert container["args"][:7] == ["dask", "cuda", "worker", "--nthreads", "4",
                                     "--memory-limit", str(16 * 2**30)]
    assert container["resources"] == {"requests": {"cpu": "4", "memory": "16Gi"},
                                      "limits": {"memory": "16Gi", "nvidia.com/gpu": "1"}}
    assert container["env"] == [{"name": "GDAL_CACHEMAX", "value": "512"}]
    scheduler = resource["spec"]["scheduler"]
    assert scheduler["spec"]["containers"][0]["resources"]["limits"] == {"memory": "4Gi"}
    assert scheduler["service"]["selector"]["dask.org/cluster-name"] == "survey-2026"
    # A plain manifest: kubectl apply -f takes its YAML as it is.
    assert yaml.safe_load(yaml.safe_dump(dict(resource))) == dict(resource)
    cpu = check_definition("kubernetes", workers=3)
    assert cpu.resource["spec"]["worker"]["replicas"] == 3
    assert cpu.resource["spec"]["worker"]["spec"]["containers"][0]["args"][:2] == [
        "dask", "worker"]


def test_kubernetes_resource_matches_dask_kubernetes_own_template():
    operator = pytest.importorskip("dask_kubernetes.operator")
    from geoquant.cluster._kubernetes import worker_command

    launch = check_definition("kubernetes")
    definition = launch.definition
    expected = operator.make_cluster_spec(
        definition.cluster_name, image=definition.image, n_workers=definition.workers,
        env=dict(definition.env), worker_command=" ".join(worker_command(definition)))
    ours = launch.resource
    # geoquant sizes the scheduler and the workers separately; all else is the template's.
    for part in ("worker", "scheduler"):
        expected["spec"][part]["spec"]["containers"][0]["resources"] = \
            ours["spec"][part]["spec"]["containers"][0]["resources"]
    assert ours == expected
    assert set(launch.options) <= set(inspect.signature(operator.KubeCluster).parameters)
