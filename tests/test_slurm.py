"""The workflow on a real SLURM cluster, through `--workflow-profile workflow/profiles/slurm`,
as a cluster user runs it. CI starts a single-node cluster first (`.ci/local_slurm.sh up`,
with slurmdbd accounting so `sacct` answers) and sets DLGENOMICS_REQUIRE_SLURM=1, so there a
missing cluster fails these tests instead of skipping them.

The run is the tiny config's competition task with one network and gradient boosting: every
stage of a task (download, encode, features, training, evaluation, ensemble, leaderboard,
submission, figures, interpretation, provenance, the virtual screen, the benchmark summary),
10 of its 20 jobs on the cluster. Each SLURM job spends ~10 s in scheduling and Snakemake's
start-up on this 2-core node; the full tiny config (6 tasks, 142 jobs) runs locally (the
`tiny_run` fixture), and the cluster run's results are compared with it byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO, tiny_subset

TINY = yaml.safe_load((REPO / "tests" / "data" / "tiny.yaml").read_text())
ARCHITECTURES = {"sirna": ["mlp", "gbm"]}
# Rules the workflow marks `localrule` (downloads, bookkeeping): never submitted.
LOCAL_RULES = {"download", "leaderboard", "submission", "ensemble", "classification_figures",
               "track_figures", "provenance", "benchmarks", "all"}  # fmt: skip
# This test node: 2 CPUs, no GPU (the tiny config trains on CPU, so no job asks for one),
# small memory requests so that two jobs fit at once, still growing with each attempt.
TEST_NODE = [
    "--default-resources", "mem_mb=1000*attempt", "runtime=30",
    "--set-resources", "train:mem_mb=1500*attempt", "interpret:mem_mb=2500*attempt",
    "--slurm-init-seconds-before-status-checks", "1",
    "--jobs", "4",
]  # fmt: skip
GPU_RULES = ("train", "pretrain", "train_gan")
SUBMITTED = re.compile(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: \S*/rule_(\w+)/")


def slurm_answers() -> bool:
    if not (shutil.which("sinfo") and shutil.which("sacct")):
        return False
    result = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    return result.returncode == 0 and bool(
        {"idle", "mixed", "allocated"} & set(result.stdout.split())
    )


@pytest.fixture(scope="module")
def cluster() -> None:
    if slurm_answers():
        return
    if os.environ.get("DLGENOMICS_REQUIRE_SLURM") == "1":
        pytest.fail("no SLURM cluster answers `sinfo` (CI starts one: .ci/local_slurm.sh up)")
    pytest.skip("no SLURM cluster here: start one with `sudo .ci/local_slurm.sh up`")


def through_slurm(
    workdir: Path, *args: str, mirror: Path | None = None
) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
        "--replace-workflow-config",
        "--workflow-profile", str(REPO / "workflow" / "profiles" / "slurm"), *TEST_NODE, *args,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DLGENOMICS_MIRROR"}
    if mirror is not None:
        env["DLGENOMICS_MIRROR"] = str(mirror)
    # `timeout` and not subprocess's: a hung executor must not outlive the test.
    return subprocess.run(
        ["timeout", "-k", "20", "1500", *command], capture_output=True, text=True, env=env
    )


def sacct(job_ids: list[str]) -> pd.DataFrame:
    result = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-o", "JobID,State,ReqMem,ExitCode", "-j", ",".join(job_ids)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    rows = [line.split("|") for line in result.stdout.splitlines() if line]
    return pd.DataFrame(rows, columns=["job", "state", "memory", "exit_code"]).set_index("job")


@pytest.fixture(scope="module")
def slurm_run(cluster, tmp_path_factory, mirror) -> tuple[Path, subprocess.CompletedProcess]:
    workdir = tmp_path_factory.mktemp("slurm_run")
    (workdir / "config.yaml").write_text(yaml.safe_dump(tiny_subset(ARCHITECTURES)))
    shutil.copy(REPO / "tests" / "data" / "short_transcript.fa", workdir)
    started = time.monotonic()
    result = through_slurm(workdir, mirror=mirror)
    print(f"cluster run: {time.monotonic() - started:.0f} s")  # shown by pytest -rP
    assert result.returncode == 0, result.stderr[-4000:]
    return workdir, result


def test_every_compute_job_went_through_sbatch_and_completed(slurm_run):
    workdir, result = slurm_run
    submitted = SUBMITTED.findall(result.stderr)
    rules = {rule for _, rule in submitted}
    assert rules == {"encode", "features", "train", "train_tabular", "evaluate", "interpret",
                     "export", "screen_transcript"}  # fmt: skip
    assert not rules & LOCAL_RULES
    job_ids = [job for job, _ in submitted]
    assert len(set(job_ids)) == len(job_ids) == 11
    states = sacct(job_ids)
    print("sbatch job ids:", ", ".join(f"{job} ({rule})" for job, rule in submitted))  # -rP
    assert set(states.index) == set(job_ids)
    assert (states["state"] == "COMPLETED").all(), states[states["state"] != "COMPLETED"]
    # Every model records the SLURM job that trained it, one of those submitted.
    trained = sorted(workdir.glob("results/*/models/*/fold*/run.json"))
    assert len(trained) == 2 * sum(len(archs) for archs in ARCHITECTURES.values())
    recorded = {json.loads(path.read_text())["slurm_job"] for path in trained}
    assert recorded <= set(job_ids), recorded - set(job_ids)


def test_cluster_run_produces_every_result(slurm_run):
    workdir, _ = slurm_run
    for task in ARCHITECTURES:
        board = pd.read_csv(workdir / f"results/{task}/leaderboard.csv")
        assert set(ARCHITECTURES[task]) <= set(board["architecture"])
        assert (workdir / f"results/{task}/submission.csv").stat().st_size > 0
        provenance = json.loads((workdir / f"results/{task}/provenance.json").read_text())
        assert {run["slurm_job"] for run in provenance["training"]} != {None}
    benchmarks = pd.read_csv(workdir / "results/benchmarks/jobs.csv")
    assert {"train", "encode", "download"} <= set(benchmarks["rule"])


def test_a_failing_rule_is_reported_failed_after_a_retry_with_more_memory(cluster, tmp_path):
    """A user table with a letter outside the alphabet: encode fails on the cluster. It is
    retried (the profile retries twice; once here, to save CI a minute) asking for more
    memory; then the run exits non-zero and the job's log carries the one-line reason."""
    mirror = tmp_path / "mirror" / "example_lab"
    mirror.mkdir(parents=True)
    table = pd.read_csv(REPO / "tests" / "data" / "example_sirna_table.csv")
    table.loc[3, "guide_5to3"] = "AAGUAAAGXCCUUUUACUGUG"
    table.to_csv(mirror / "example_sirna_table.csv", index=False)
    digest = hashlib.sha256((mirror / "example_sirna_table.csv").read_bytes()).hexdigest()
    dataset = TINY["datasets"]["example_lab"]
    dataset["files"]["example_sirna_table.csv"]["sha256"] = digest
    config = {
        **TINY,
        "mirror": str(mirror.parent),
        "datasets": {"example_lab": dataset},
        "tasks": {"lab": {**TINY["tasks"]["lab"], "architectures": ["mlp"]}},
        "cross_evaluation": {},
        "screen": {},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))

    result = through_slurm(tmp_path, "--retries", "1")

    assert result.returncode != 0
    assert "Error in rule encode" in result.stderr
    attempts = [job for job, rule in SUBMITTED.findall(result.stderr) if rule == "encode"]
    assert len(attempts) == 2, result.stderr[-3000:]
    states = sacct(attempts)
    assert (states["state"] == "FAILED").all(), states
    assert list(states.loc[attempts, "memory"]) == ["1000M", "2000M"]
    log = (tmp_path / "logs/encode/lab.log").read_text()
    assert "example_sirna_table.csv" in log and "OL0004" in log, log[-2000:]
    assert not (tmp_path / "results/lab/encoded").exists() or not any(
        (tmp_path / "results/lab/encoded").iterdir()
    )


def test_dry_run_asks_a_gpu_for_every_training_job(tmp_path, mirror):
    """The default config (training.device auto) through the slurm profile: each network's
    training and pretraining job, and each GAN's, asks for one GPU with CPUs per GPU; nothing
    else does."""
    command = [
        sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(tmp_path), "--configfile", str(REPO / "config" / "config.yaml"),
        "--workflow-profile", str(REPO / "workflow" / "profiles" / "slurm"),
    ]  # fmt: skip
    env = {**os.environ, "DLGENOMICS_MIRROR": str(mirror)}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    resources: dict[str, list[str]] = {}
    for job in re.finditer(r"^(?:local)?rule (\w+):\n((?: {4}.*\n)*)", result.stdout, re.M):
        line = re.search(r"resources: (.*)", job.group(2))
        resources.setdefault(job.group(1), []).append(line.group(1) if line else "")
    for rule in GPU_RULES:
        assert resources[rule] and all(
            "gpu=1" in r and "cpus_per_gpu=4" in r for r in resources[rule]
        )
    for rule in set(resources) - set(GPU_RULES):
        assert not any("gpu=1" in r for r in resources[rule]), rule


def test_two_runs_from_scratch_give_byte_identical_tensors_and_metrics(slurm_run, tiny_run):
    """Determinism: the cluster run and the local tiny run, each from scratch on CPU, make
    byte-identical Parquet files (tensors, features, fold and out-of-fold predictions) and
    metrics files wherever both make them, and the same leaderboard rows. (Ensembles, the
    cross-dataset pair and the screen score the member list, which the cluster run cuts.)"""
    workdir, _ = slurm_run
    shared = [
        path.relative_to(workdir)
        for pattern in ("*.parquet", "metrics.json")
        for path in (workdir / "results").rglob(pattern)
        if not {"ensemble", "cross", "screen"} & set(path.relative_to(workdir).parts)
    ]
    # tensors, split groups, features, fold + out-of-fold predictions, metrics
    assert len(shared) == 13
    differ = [str(p) for p in shared if (tiny_run / p).read_bytes() != (workdir / p).read_bytes()]
    assert not differ, differ
    for task, archs in ARCHITECTURES.items():
        local = pd.read_csv(tiny_run / f"results/{task}/leaderboard.csv").set_index("architecture")
        cluster = pd.read_csv(workdir / f"results/{task}/leaderboard.csv").set_index("architecture")
        # `vs_best` compares with the first row, which the cut member list may change.
        pd.testing.assert_frame_equal(
            local.loc[archs].drop(columns="vs_best"), cluster.loc[archs].drop(columns="vs_best")
        )
