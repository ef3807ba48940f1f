"""Limits checked where the split is made, through the real CLI: too few rows for the folds
or the test share stop encode with one line naming the task's key, and nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_reliability import ENCODED, error_lines, run_snakemake


def tiny_table_config(workdir: Path, rows: int, split: dict) -> None:
    table = workdir / "measurements.csv"
    lines = [f"ACGTACGTAC{'ACGT'[i % 4]},{0.5 * i}" for i in range(rows)]
    table.write_text("sequence,value\n" + "\n".join(lines) + "\n")
    config = {
        "datasets": {"lab": {"files": {"measurements.csv": {"sources": [str(table)]}}}},
        "tasks": {
            "t": {
                "kind": "sequences",
                "dataset": "lab",
                "objective": "regression",
                "input": {
                    "format": "table",
                    "file": "measurements.csv",
                    "sequence": "sequence",
                    "labels": ["value"],
                },
                "split": split,
                "architectures": ["mlp"],
            }
        },
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


@pytest.mark.parametrize(
    ("rows", "split", "message"),
    [
        (3, {"method": "random", "folds": 2, "test_fraction": 0},
         "error: tasks.t.split.folds: fold 1 would be validated on 1 row(s) of 3"),
        (1, {"method": "random", "folds": 2, "test_fraction": 0.2},
         "error: tasks.t.split.test_fraction: 0.2 of 1 rows leaves 1 test and 0 training rows"),
        (200, {"method": "random", "folds": 150, "test_fraction": 0},
         "error: tasks.t.split.folds: fold"),
    ],
)  # fmt: skip
def test_too_few_rows_name_the_split_key(tmp_path, rows, split, message):
    tiny_table_config(tmp_path, rows, split)
    result = run_snakemake(tmp_path, *(f"results/t/encoded/{name}" for name in ENCODED))
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1 and errors[0].startswith(message), result.stderr[-2000:]
    assert not any((tmp_path / "results/t/encoded" / name).exists() for name in ENCODED)


def test_many_folds_encode(tmp_path):
    """128 folds and more (fold ids were int8) encode when the rows allow them."""
    tiny_table_config(tmp_path, 400, {"method": "random", "folds": 130, "test_fraction": 0})
    result = run_snakemake(tmp_path, "results/t/encoded/summary.json")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = yaml.safe_load((tmp_path / "results/t/encoded/summary.json").read_text())
    assert len(summary["fold_sizes"]) == 130


def test_a_config_error_leads_with_the_users_file_and_key(tmp_path):
    tiny_table_config(tmp_path, 20, {"method": "random", "folds": 2})
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    config["training"]["learning_rate"] = "fast"
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = run_snakemake(tmp_path, "results/t/encoded/summary.json")
    assert result.returncode != 0
    first = result.stderr.splitlines()[0]
    assert first == (f"error: {tmp_path / 'config.yaml'}: training.learning_rate: 'fast' is not "
                     "of type 'number'")  # fmt: skip
