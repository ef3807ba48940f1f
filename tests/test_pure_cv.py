"""Pure cross-validation (`split.test_fraction: 0`, no test file) through the real CLI: every
kind and objective runs end to end on out-of-fold rows only: leaderboard, figures, ensemble,
export and interpretation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from conftest import EXAMPLE_SIRNA_TABLE, REPO, snakemake

MOTIF, OTHER = "GATAAG", "CACGTG"
# Regression runs as the siRNA table's `knockdown` task (one run for every objective, kept small).
OBJECTIVES = ("binary", "multiclass", "multilabel")
# Small and fast: two folds, one epoch, a short interpretation.
SPLIT = {"method": "random", "folds": 2, "test_fraction": 0}
INTERPRETATION = {"rows": 20, "ism_rows": 2}


def sequence_table(path: Path, rows: int = 160, seed: int = 0) -> None:
    """Random 30-nt sequences, each holding one motif, none or both: a binary label (first
    motif), a class (which motifs) and two 0/1 labels (each motif)."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(rows):
        letters = "".join(rng.choice(list("ACGT"), 30))
        first, second = i % 2 == 0, i % 3 == 0
        family = ["none", "b", "a", "both"][2 * first + second]
        if first:
            letters = letters[:4] + MOTIF + letters[10:]
        if second:
            letters = letters[:18] + OTHER + letters[24:]
        records.append(
            {
                "sequence": letters,
                "bound": int(first),
                "family": family,
                "has_a": int(first),
                "has_b": int(second),
            }
        )
    pd.DataFrame(records).to_csv(path, index=False)


LABELS = {
    "binary": ["bound"],
    "multiclass": ["family"],
    "multilabel": ["has_a", "has_b"],
}
SIRNA_TABLE = EXAMPLE_SIRNA_TABLE


def sequences_task(objective: str) -> dict:
    stratified = objective in ("binary", "multiclass")
    task = {
        "kind": "sequences",
        "dataset": "lab",
        "objective": objective,
        "input": {
            "format": "table",
            "file": "motifs.csv",
            "sequence": "sequence",
            "labels": LABELS[objective],
        },
        "split": {**SPLIT, "method": "stratified" if stratified else "random"},
        # Multi-label tasks have neither gradient boosting nor an ensemble (one value per row).
        "architectures": ["mlp"] if objective == "multilabel" else ["mlp", "gbm_bases"],
        "interpretation": INTERPRETATION,
    }
    if objective == "multiclass":
        task["classes"] = ["none", "a", "b", "both"]
    return task


def pure_cv_config(workdir: Path) -> None:
    """One run: a `sirna_table` with gene folds (mlp and gbm: regression), and a `sequences`
    task of each classification objective; none has test rows."""
    sequence_table(workdir / "motifs.csv")
    sirna = REPO / "tests" / "data" / "example_sirna_table.csv"
    config = {
        "datasets": {
            "lab": {"files": {"motifs.csv": {"sources": [str(workdir / "motifs.csv")]}}},
            "sirna_lab": {"files": {"example_sirna_table.csv": {"sources": [str(sirna)]}}},
        },
        "tasks": {
            "knockdown": {
                "kind": "sirna_table",
                "dataset": "sirna_lab",
                "table": SIRNA_TABLE,
                "split": {**SPLIT, "method": "gene"},
                "architectures": ["mlp", "gbm"],
                "interpretation": INTERPRETATION,
            },
            **{objective: sequences_task(objective) for objective in OBJECTIVES},
        },
        "architectures": {
            "mlp": {"hidden": [16]},
            "gbm": {"max_iter": 20, "n_iter_no_change": 5},
            "gbm_bases": {
                "model": "gbm",
                "features": ["bases"],
                "max_iter": 20,
                "n_iter_no_change": 5,
            },
        },
        "cross_evaluation": {},
        "screen": {},
        "training": {"max_epochs": 1, "patience": 1, "threads": 1, "device": "cpu"},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def test_pure_cross_validation_runs_every_stage_on_out_of_fold_rows(tmp_path):
    pure_cv_config(tmp_path)
    args = ["--configfile", str(tmp_path / "config.yaml"), "--replace-workflow-config"]
    result = snakemake(*args, "--cores", "2", workdir=tmp_path, mirror=None)
    assert result.returncode == 0, result.stderr[-4000:]
    for task in ("knockdown", *OBJECTIVES):
        results = tmp_path / "results" / task
        assert json.loads((results / "encoded/summary.json").read_text())["rows"]["test"] == 0
        board = pd.read_csv(results / "leaderboard.csv")
        oof = [c for c in board.columns if c.startswith("oof_")]
        assert oof and board[oof].notna().all().all(), (task, board.columns.tolist())
        assert not [c for c in board.columns if c.startswith("test")], board.columns.tolist()
        evaluated = [f"evaluation/{name}" for name in board["architecture"] if name != "ensemble"]
        if task != "multilabel":
            assert "ensemble" in set(board["architecture"]), task
            evaluated.append("ensemble")
        for folder in evaluated:
            metrics = json.loads((results / folder / "metrics.json").read_text())
            assert metrics["test"] is None and metrics["test_rows"] == 0, (task, folder)
            assert metrics["oof_rows"] > 0 and metrics["oof"], (task, folder)
            predictions = pd.read_parquet(results / folder / "predictions.parquet")
            assert set(predictions["role"]) == {"oof"}, (task, folder)
        interpretation = json.loads((results / "interpretation/summary.json").read_text())
        assert interpretation["rows_from"] == "out-of-fold", interpretation
        assert (results / "interpretation/logos.png").stat().st_size > 0
        export = results / "export"
        assert (export / "model.torchscript.pt").stat().st_size > 0, sorted(os.listdir(export))
        assert (export / "model_card.md").read_text().strip()
        assert (results / "leaderboard.html").exists()
        # The submission holds test predictions: none here, so the header only.
        assert len(pd.read_csv(results / "submission.csv")) == 0
    for task in ("binary", "multiclass", "multilabel"):
        assert (tmp_path / "results" / task / "figures/roc.png").stat().st_size > 0


def test_out_of_fold_rows_are_explained_by_the_fold_model_that_validated_them():
    """Without test rows each row is explained by the one fold model never trained on it;
    held-out rows by every fold model together."""
    from dlgenomics.data.schema import FOLD, ROW_ID, TARGET
    from dlgenomics.interpretation.attributions import _each_model, _Run

    folds = np.array([1, 0, 1, 1, 0])
    columns = {
        ROW_ID: np.array([f"r{i}" for i in range(5)]),
        TARGET: np.zeros(5, dtype=np.float32),
        FOLD: folds,
        "seq_dna": np.ones((5, 3), dtype=np.int64),
    }
    models = [(None, {"fold": 0}), (None, {"fold": 1})]

    def model_fold(models, tensors):  # each row: 1 if fold 0's model explained it, 10 fold 1's
        return {"fold": np.full(len(tensors["seq_dna"]), sum(10 ** m[1]["fold"] for m in models))}

    def run(rows_from):
        return _Run(models, columns, rows_from, "seq_dna", 1.0, [])

    rows = np.array([4, 0, 2, 1])
    assert _each_model(run("out-of-fold"), rows, model_fold)["fold"].tolist() == [1, 10, 10, 1]
    assert _each_model(run("held-out"), rows, model_fold)["fold"].tolist() == [11, 11, 11, 11]
