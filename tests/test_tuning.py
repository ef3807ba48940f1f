"""Tuning with a budget (training/tuning.py, tune.smk): trials see only the fold's training
rows, the same seed and trial budget give the same values, and through the real CLI the
tuned values reach the training job's run.json."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, encode_outputs, encode_settings

from dlgenomics import InputError
from dlgenomics.config import validate_config
from dlgenomics.data.encode import encode_task
from dlgenomics.data.schema import FOLD, ROW_ID, read_tensors, read_vocab
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.training.loop import FoldRun, TrainSettings
from dlgenomics.training.tuning import (
    TuneSettings,
    best_values,
    check_space,
    inner_split,
    run_trials,
    with_tuned,
)

SPACE = {
    "learning_rate": {"low": 1e-3, "high": 3e-2, "log": True},
    "dropout": {"choices": [0.0, 0.2]},
}


def test_a_trial_never_sees_the_folds_own_rows():
    columns = {FOLD: np.array([0, 1, 1, 0, 1, 1, 1, 1, 1, 1]), ROW_ID: np.arange(10)}
    inner = inner_split(columns, fold=0, fraction=0.25, seed=3)
    assert set(inner[ROW_ID]) == {1, 2, 4, 5, 6, 7, 8, 9}  # fold 0's rows left out
    assert (inner[FOLD] == 0).sum() == 2 and (inner[FOLD] == 1).sum() == 6
    again = inner_split(columns, fold=0, fraction=0.25, seed=3)
    assert np.array_equal(again[FOLD], inner[FOLD])


@pytest.mark.parametrize(
    ("space", "message"),
    [
        ({"width": {"low": 1, "high": 2}}, "width: not a hyperparameter of 'mlp'"),
        ({"dropout": {"low": 0.5}}, "dropout: give `choices`, or `low` and `high`"),
        ({"dropout": {"low": 0.5, "high": 0.1}}, "dropout: low 0.5 is not below high 0.1"),
    ],
)
def test_a_search_space_that_cannot_work_is_named(space, message):
    with pytest.raises(InputError, match=message):
        check_space(space, "mlp", {"learning_rate"}, "search_spaces.mlp")


def formula_run(tmp_path: Path) -> FoldRun:
    task = {"generate": {"rows": 300, "seed": 0, "noise": 0.05}, **encode_settings("random", 2)}
    out = encode_outputs(tmp_path)
    encode_task("formula", {}, task, out)
    return FoldRun(
        kind=TASK_KINDS["formula"], scoring=scoring({"kind": "formula"}), arch="mlp",
        model_params={"hidden": [16]},
        settings=TrainSettings(max_epochs=4, batch_size=32, threads=1, seed=0),
        train_columns=read_tensors(out["train"]), test_columns=read_tensors(out["test"]),
        vocab=read_vocab(out["vocab"]), fold=1, out_checkpoint=tmp_path / "unused.pt",
        out_history=tmp_path / "unused.csv", out_predictions=tmp_path / "unused.parquet",
        progress=False,
    )  # fmt: skip


def test_the_same_seed_and_budget_give_the_same_values(tmp_path):
    base = formula_run(tmp_path)
    found = []
    for name, seed in (("a", 0), ("b", 0), ("c", 7)):
        journal = tmp_path / f"{name}.log"
        run_trials(
            base, SPACE, TuneSettings(trials=4, seed=seed), journal, tmp_path / f"{name}.json"
        )
        found.append(best_values(journal, "mlp_fold1", False))
    assert found[0] == found[1]
    assert found[0]["trials"] == {"complete": 4} or sum(found[0]["trials"].values()) == 4
    assert found[2]["values"] != found[0]["values"]  # another seed searches elsewhere
    tuned = with_tuned(base, found[0]["values"])
    assert tuned.settings.learning_rate == found[0]["values"]["learning_rate"]
    assert tuned.model_params["dropout"] == found[0]["values"]["dropout"]
    assert replace(tuned, settings=base.settings, model_params=base.model_params) == base


def test_tuning_through_the_cli_reaches_the_training_jobs_run_record(tmp_path):
    config = {
        "datasets": {"unused": {"files": {"unused.csv": {"sources": []}}}},
        "tasks": {"formula": {
            "kind": "formula", "generate": {"rows": 200, "noise": 0.05},
            "split": {"method": "random", "folds": 2}, "architectures": ["mlp", "mlp_plain"],
            "tune": {"architectures": ["mlp"], "trials": 2, "workers": 2, "max_epochs": 1},
        }},
        "architectures": {"mlp": {"hidden": [16]}, "mlp_plain": {"model": "mlp", "hidden": [16]}},
        "search_spaces": {"mlp": SPACE},
        "training": {"max_epochs": 2, "patience": 2, "threads": 1, "device": "cpu"},
    }  # fmt: skip
    validate_config(json.loads(json.dumps(config)))
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(tmp_path), "--configfile", str(tmp_path / "config.yaml"),
               "--replace-workflow-config", "--cores", "2"]  # fmt: skip
    tuned = subprocess.run([*command, "tune"], capture_output=True, text=True, timeout=600)
    assert tuned.returncode == 0, tuned.stderr[-3000:]
    folder = tmp_path / "results/formula/tuning/mlp"
    best = [json.loads((folder / f"fold{k}/best.json").read_text()) for k in range(2)]
    assert all(sum(b["trials"].values()) == 2 for b in best)  # two workers, one trial each
    board = "results/formula/leaderboard.csv"  # every fold trained on the way
    ranked = subprocess.run([*command, board], capture_output=True, text=True, timeout=600)
    assert ranked.returncode == 0, ranked.stderr[-3000:]
    for fold in range(2):
        record = json.loads(
            (tmp_path / f"results/formula/models/mlp/fold{fold}/run.json").read_text()
        )
        assert record["tuned"] == best[fold]["values"]
    plain = json.loads((tmp_path / "results/formula/models/mlp_plain/fold0/run.json").read_text())
    assert "tuned" not in plain
    rows = pd.read_csv(tmp_path / board).set_index("architecture")["tuned"].to_dict()
    assert rows == {"mlp": "yes", "mlp_plain": "no", "ensemble": "no"}
