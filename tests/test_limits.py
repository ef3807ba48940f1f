"""Limits checked where the split is made, through the real CLI: too few rows for the folds
or the test share stop encode with one line naming the task's key, and nothing is written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from test_reliability import ENCODED, error_lines, run_snakemake


def tiny_table_config(
    workdir: Path, rows: int, split: dict, objective: str = "regression", groups: int = 0
) -> None:
    """Task `t`: `rows` sequences with a number (regression) or a 0/1 label (binary: one
    positive only, the rarest class); with `groups`, a column of that many groups."""
    table = workdir / "measurements.csv"
    label = (lambda i: 0.5 * i) if objective == "regression" else (lambda i: int(i == 0))
    lines = [f"ACGTACGTAC{'ACGT'[i % 4]},{label(i)},g{i % max(groups, 1)}" for i in range(rows)]
    table.write_text("sequence,value,lab_group\n" + "\n".join(lines) + "\n")
    config = {
        "datasets": {"lab": {"files": {"measurements.csv": {"sources": [str(table)]}}}},
        "tasks": {
            "t": {
                "kind": "sequences",
                "dataset": "lab",
                "objective": objective,
                "input": {
                    "format": "table",
                    "file": "measurements.csv",
                    "sequence": "sequence",
                    "labels": ["value"],
                    **({"group": "lab_group"} if groups else {}),
                },
                "split": split,
                "architectures": ["mlp"],
            }
        },
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


@pytest.mark.parametrize(
    ("objective", "groups", "split", "message"),
    [
        ("binary", 0, {"method": "stratified", "folds": 2, "test_fraction": 0},
         "error: resources/data/lab/measurements.csv: class 'positive' has 1 row(s), fewer "
         "than the 2 folds of split.folds"),
        ("regression", 1, {"method": "group", "folds": 2, "test_fraction": 0},
         "error: tasks.t.split.folds: 2 group folds asked for but only 1 groups"),
    ],
)  # fmt: skip
def test_too_few_classes_or_groups_name_the_split_key(tmp_path, objective, groups, split,
                                                      message):  # fmt: skip
    tiny_table_config(tmp_path, 20, split, objective, groups)
    result = run_snakemake(tmp_path, *(f"results/t/encoded/{name}" for name in ENCODED))
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1 and errors[0].startswith(message), result.stderr[-2000:]
    assert not any((tmp_path / "results/t/encoded" / name).exists() for name in ENCODED)


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
    # Snakemake's own notice of the workstation profile comes before the Snakefile is read.
    lines = [line for line in result.stderr.splitlines() if not line.startswith("Using workflow")]
    first = lines[0]
    assert first == (f"error: {tmp_path / 'config.yaml'}: training.learning_rate: 'fast' is not "
                     "of type 'number'")  # fmt: skip


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_is_one_line_naming_the_file(tmp_path):
    """The models folder on a 16 kB file system: training fails with one `error:` line naming
    the file it was writing (not torch's "iostream error"), and leaves no partial file."""
    tiny_table_config(tmp_path, 40, {"method": "random", "folds": 2, "test_fraction": 0})
    assert run_snakemake(tmp_path, "results/t/encoded/summary.json").returncode == 0
    models = tmp_path / "results/t/models"
    models.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(models)], check=True)
    try:
        result = run_snakemake(tmp_path, "results/t/models/mlp/fold0/model.pt")
        left = sorted(p.name for p in models.rglob("*") if p.is_file())
    finally:
        subprocess.run(["umount", str(models)], check=True)
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1, result.stderr[-2000:]
    assert errors[0].startswith("error: results/t/models/mlp/fold0/")  # resume.pt or model.pt
    assert errors[0].endswith(": No space left on device")
    assert not [name for name in left if name.endswith((".part", "model.pt"))], left


def test_a_corrupted_intermediate_names_the_file_and_what_to_do(tmp_path):
    tiny_table_config(tmp_path, 40, {"method": "random", "folds": 2, "test_fraction": 0})
    assert run_snakemake(tmp_path, "results/t/encoded/summary.json").returncode == 0
    train = tmp_path / "results/t/encoded/train.parquet"
    train.write_bytes(train.read_bytes()[:100])  # a truncated copy, as a crash might leave
    result = run_snakemake(tmp_path, "results/t/models/mlp/fold0/model.pt")
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1 and errors[0].startswith(
        "error: results/t/encoded/train.parquet: not a readable Parquet file"
    ), result.stderr[-2000:]
    assert errors[0].endswith("delete it and rerun the same snakemake command: the step that "
                              "writes it runs again")  # fmt: skip
    train.unlink()  # as the message says
    result = run_snakemake(tmp_path, "results/t/models/mlp/fold0/model.pt")
    assert result.returncode == 0, result.stderr[-2000:]


def test_two_runs_from_scratch_are_byte_identical(tmp_path):
    """Tensors, fold predictions, metrics and the checkpoints themselves."""
    outputs = ["results/t/evaluation/mlp/metrics.json", "results/t/leaderboard.csv"]
    made = []
    for run in ("first", "second"):
        workdir = tmp_path / run
        workdir.mkdir()
        tiny_table_config(workdir, 40, {"method": "random", "folds": 2, "test_fraction": 0.2})
        result = run_snakemake(workdir, *outputs)
        assert result.returncode == 0, result.stderr[-2000:]
        made.append({
            p.relative_to(workdir): p.read_bytes()
            for pattern in ("*.parquet", "*.json", "model.pt")
            for p in (workdir / "results").rglob(pattern)
            if p.name not in {"run.json", "summary.json"}  # hold times and paths
        })  # fmt: skip
    assert sorted(made[0]) == sorted(made[1])
    assert {p.name for p in made[0]} >= {"train.parquet", "model.pt", "metrics.json"}
    differ = [str(p) for p in made[0] if made[0][p] != made[1][p]]
    assert not differ


def test_a_number_written_1e_3_is_a_number(tmp_path):
    """Written as users write it (YAML 1.1, Snakemake's loader, reads it as a string)."""
    tiny_table_config(tmp_path, 20, {"method": "random", "folds": 2, "test_fraction": 0})
    config = yaml.safe_load((tmp_path / "config.yaml").read_text())
    config["training"]["learning_rate"] = "PLACEHOLDER"
    raw = yaml.safe_dump(config).replace("PLACEHOLDER", "1e-3")
    assert "learning_rate: 1e-3" in raw
    (tmp_path / "config.yaml").write_text(raw)
    result = run_snakemake(tmp_path, "-n", "results/t/encoded/summary.json")
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
