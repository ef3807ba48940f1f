"""End to end: the real snakemake CLI on the tiny config, data through the mirror."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO

from dlgenomics.metrics import binary_metrics, is_better, sirna_metrics, task_metrics
from dlgenomics.schema import read_tensors
from dlgenomics.tasks import TASK_KINDS

SNAKEMAKE = [sys.executable, "-m", "snakemake"]
TINY = yaml.safe_load((REPO / "tests" / "data" / "tiny.yaml").read_text())


def snakemake(*args: str, workdir: Path, mirror: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DLGENOMICS_MIRROR": str(mirror)}
    return subprocess.run(
        [*SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(workdir), *args],
        capture_output=True, text=True, env=env, timeout=1200,
    )  # fmt: skip


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, mirror) -> Path:
    workdir = tmp_path_factory.mktemp("tiny_run")
    config = workdir / "tiny.yaml"
    # Our own example table is found through the config's mirror: tests/data.
    config.write_text(yaml.safe_dump({**TINY, "mirror": str(REPO / "tests" / "data")}))
    shutil.copy(REPO / "tests" / "data" / "short_transcript.fa", workdir)
    args = ["--cores", "2", "--configfile", str(config), "--replace-workflow-config"]
    result = snakemake(*args, workdir=workdir, mirror=mirror)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def test_dry_run_plans_every_stage(tmp_path, mirror):
    default = str(REPO / "config" / "config.yaml")
    result = snakemake("-n", "--configfile", default, workdir=tmp_path, mirror=mirror)
    assert result.returncode == 0, result.stderr[-2000:]
    stats = result.stdout.split("Job stats:")[1]
    counts = dict(line.split() for line in stats.splitlines()[3:12])
    # siRNA tasks: 10 architectures on 5 gene folds and on 1 random hold-out; primer: 8 on 5
    # folds; one encoder pretrained per task for the transfer-learning architecture.
    assert counts == {
        "download": "5", "encode": "3", "pretrain": "3", "train": str(10 * 5 + 10 * 1 + 8 * 5),
        "evaluate": str(10 + 10 + 8), "leaderboard": "3", "submission": "3", "all": "1",
        "total": "146",
    }  # fmt: skip


def test_outputs_exist(tiny_run):
    for task, settings in TINY["tasks"].items():
        root = tiny_run / "results" / task
        for name in ("leaderboard.csv", "leaderboard.md", "submission.csv", "provenance.json"):
            assert (root / name).stat().st_size > 0
        for arch in settings["architectures"]:
            for fold in (0, 1):
                folder = root / "models" / arch / f"fold{fold}"
                for name in ("model.pt", "history.csv", "predictions.parquet", "run.json"):
                    assert (folder / name).stat().st_size > 0
                assert not (folder / "resume.pt").exists()  # removed by the finished job
            for name in ("learning_curves.png", "predictions.png"):
                assert (root / "evaluation" / arch / name).read_bytes()[:4] == b"\x89PNG"
    run = json.loads((tiny_run / "results/sirna/models/mlp/fold0/run.json").read_text())
    assert run["seed"] == 0 and run["versions"]["torch"] and run["settings"]["max_epochs"] == 6
    # Transfer learning went through its own rule; the scratch twin did not use it.
    pretrained = tiny_run / "results/sirna/pretrain/autoencoder"
    assert (pretrained / "encoder.pt").stat().st_size > 0
    models = tiny_run / "results/sirna/models"
    transfer = json.loads((models / "autoencoder/fold0/run.json").read_text())
    scratch = json.loads((models / "autoencoder_scratch/fold0/run.json").read_text())
    assert transfer["pretrained"].endswith("pretrain/autoencoder/encoder.pt")
    assert scratch["pretrained"] is None
    assert not (tiny_run / "results/sirna/pretrain/autoencoder_scratch").exists()


def _trivial_predictions(train: dict[str, np.ndarray], task_type: str) -> np.ndarray:
    """Per validation fold, the best constant learnt from the other folds: the training mean
    (regression) or the majority class (binary)."""
    predictions = np.zeros(len(train["target"]))
    for fold in np.unique(train["fold"]):
        rows = train["fold"] == fold
        seen = train["target"][~rows]
        if task_type == "regression":
            predictions[rows] = seen.mean()
        else:
            predictions[rows] = float(seen.mean() >= 0.5)
    return predictions


@pytest.mark.parametrize(
    "task,arch",
    [(task, arch) for task, spec in TINY["tasks"].items() for arch in spec["architectures"]],
)
def test_every_architecture_beats_a_trivial_predictor(tiny_run, task, arch):
    kind = TASK_KINDS[TINY["tasks"][task]["kind"]]
    train = read_tensors(tiny_run / f"results/{task}/encoded/train.parquet")
    validated = train["fold"] >= 0
    trivial = task_metrics(
        kind.metric_family,
        train["target"][validated],
        _trivial_predictions(train, kind.task_type)[validated],
    )[kind.selection_metric]
    result = json.loads((tiny_run / f"results/{task}/evaluation/{arch}/metrics.json").read_text())
    achieved = result["oof"][kind.selection_metric]
    assert is_better(kind.selection_metric, achieved, trivial), (achieved, trivial)
    assert result["oof_rows"] == validated.sum()


def test_competition_submission_keeps_rows_and_columns(tiny_run, mirror):
    sample = pd.read_csv(mirror / "sirna_competition" / "sample_submission.csv.gz", dtype=str,
                         keep_default_na=False)  # fmt: skip
    submission = pd.read_csv(tiny_run / "results/sirna/submission.csv", dtype=str,
                             keep_default_na=False)  # fmt: skip
    assert list(submission.columns) == list(sample.columns)
    assert len(submission) == len(sample) == 4874
    others = [c for c in sample.columns if c != "mRNA_remaining_pct"]
    pd.testing.assert_frame_equal(submission[others], sample[others])
    filled = submission["mRNA_remaining_pct"].astype(float)
    assert np.isfinite(filled).all() and filled.std() > 0


def test_metrics_are_finite_and_beat_a_constant_predictor(tiny_run):
    board = pd.read_csv(tiny_run / "results/sirna/leaderboard.csv")
    assert set(board["architecture"]) == set(TINY["tasks"]["sirna"]["architectures"])
    assert np.isfinite(board.filter(like="oof_").to_numpy()).all()
    oof = pd.read_parquet(tiny_run / "results/sirna/evaluation/mlp/predictions.parquet")
    oof = oof[oof["role"] == "oof"]
    # The best constant for MAE is the median: the model must beat it out of fold.
    constant = np.full(len(oof), oof["target"].median())
    assert board["oof_mae"].min() < sirna_metrics(oof["target"].to_numpy(), constant)["mae"]

    primer = pd.read_csv(tiny_run / "results/primer/leaderboard.csv")
    test = pd.read_csv(tiny_run / "results/primer/submission.csv")
    majority = max(test["target"].mean(), 1 - test["target"].mean())
    assert primer["test_accuracy"].max() > majority + 0.1
    best = primer.iloc[0]
    recomputed = binary_metrics(test["target"].to_numpy(), test["prediction"].to_numpy())
    assert recomputed["accuracy"] == pytest.approx(best["test_accuracy"], abs=1e-4)


def test_second_run_has_nothing_to_do(tiny_run, mirror):
    result = snakemake("-n", "--configfile", str(tiny_run / "tiny.yaml"),
                       "--replace-workflow-config", workdir=tiny_run, mirror=mirror)  # fmt: skip
    assert result.returncode == 0
    assert "Nothing to be done" in result.stdout + result.stderr
