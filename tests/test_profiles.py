"""The workstation profile applies by itself, and each machine asks for what it has: a
training job holds a `gpu` only where it will train on one (issue 20)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
import yaml
from conftest import REPO, tiny_subset

from dlgenomics import config as settings
from dlgenomics.config import training_gpus


def dry_run(tmp_path, mirror, *args: str, device: str = "auto") -> tuple[str, dict[str, set[str]]]:
    """Snakemake's dry run of the tiny primer task (two networks, one pretrained, and gradient
    boosting): its messages, and the `gpu` each rule's jobs hold."""
    config = tiny_subset({"primer": ["mlp", "autoencoder", "gbm_bases"]})
    config["training"]["device"] = device
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    # Run from the work folder, as a user would: the profile is found beside the Snakefile.
    command = [
        sys.executable, "-m", "snakemake", "-n", "--snakefile", str(REPO / "Snakefile"),
        "--configfile", "run.yaml", "--replace-workflow-config", *args,
    ]  # fmt: skip
    env = {**os.environ, "DLGENOMICS_MIRROR": str(mirror)}
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-2000:]
    gpus: dict[str, set[str]] = {}
    for job in re.finditer(r"^(?:local)?rule (\w+):\n((?: {4}.*\n)*)", result.stdout, re.M):
        held = re.search(r"\bgpu=(\d+)", job.group(2))
        gpus.setdefault(job.group(1), set()).add(held.group(1) if held else "-")
    return result.stdout + result.stderr, gpus


def test_plain_snakemake_uses_the_workstation_profile(tmp_path, mirror):
    messages, _ = dry_run(tmp_path, mirror)
    assert f"Using workflow specific profile {REPO / 'profiles' / 'default'}" in messages
    profile = yaml.safe_load((REPO / "profiles/default/config.yaml").read_text())
    assert profile["resources"] == {"gpu": 1} and profile["rerun-incomplete"] is True


@pytest.mark.skipif(settings.gpu_visible(), reason="this machine shows a GPU")
def test_no_training_job_asks_for_a_gpu_on_a_cpu_only_machine(tmp_path, mirror):
    _, gpus = dry_run(tmp_path, mirror)
    assert gpus["train"] == {"0"} and gpus["pretrain"] == {"0"}


def test_each_training_job_asks_for_a_gpu_with_device_cuda(tmp_path, mirror):
    _, gpus = dry_run(tmp_path, mirror, device="cuda")
    assert gpus["train"] == {"1"} and gpus["pretrain"] == {"1"}
    assert "1" not in gpus["train_tabular"] | gpus["evaluate"]


def test_gpus_follow_the_device_and_what_the_machine_shows(monkeypatch):
    monkeypatch.setattr(settings, "gpu_visible", lambda: False)
    assert [training_gpus(d, False) for d in ("auto", "cpu", "cuda")] == [0, 0, 1]
    assert training_gpus("auto", True) == 1  # cluster nodes with GPUs (the SLURM profile)
    assert training_gpus("cpu", True) == 0
    monkeypatch.setattr(settings, "gpu_visible", lambda: True)
    assert [training_gpus(d, False) for d in ("auto", "cpu", "cuda")] == [1, 0, 1]


def test_hidden_gpus_are_not_visible(monkeypatch):
    for hidden in ("", "-1"):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        assert settings.gpu_visible() is False


def test_the_slurm_profile_says_its_nodes_have_gpus():
    profile = yaml.safe_load((REPO / "workflow/profiles/slurm/config.yaml").read_text())
    assert profile["config"] == ["gpu_nodes=True"]
