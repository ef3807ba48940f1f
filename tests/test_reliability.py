"""Bad input through the real snakemake CLI: a non-zero exit, one line naming the file, the row
or column and what is wrong, and nothing half-written for a later step to take for complete."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import REPO, write_sirna_files

ENCODED = ("train.parquet", "test.parquet", "vocab.json")


def dataset(tmp_path: Path) -> tuple[Path, Path]:
    """(mirror, workdir): a small competition-format dataset in the mirror's `data` folder."""
    mirror, workdir = tmp_path / "mirror", tmp_path / "work"
    (mirror / "data").mkdir(parents=True)
    workdir.mkdir()
    write_sirna_files(mirror / "data", train_rows=60, test_rows=20, seed=3, test_ids_from=500)
    return mirror, workdir


def run_encode(workdir: Path, mirror: Path) -> subprocess.CompletedProcess:
    """Download (from `mirror`) and encode the task `t`, with checksums of the mirror's files
    as they now are: the corruption reaches encode, as a bad table a user owns would."""
    files = {
        name: {
            "sha256": hashlib.sha256((mirror / "data" / name).read_bytes()).hexdigest(),
            "sources": [f"https://example.invalid/{name}"],
        }
        for name in ("train_data.csv", "sample_submission.csv", "vocab.csv")
    }
    config = {
        "mirror": str(mirror),
        "datasets": {"data": {"files": files}},
        "tasks": {"t": {"kind": "sirna_competition", "dataset": "data", "architectures": ["mlp"]}},
        "cross_evaluation": {},
        "screen": {},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
        "--replace-workflow-config", "--cores", "1",
        *(f"results/t/encoded/{name}" for name in ENCODED),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DLGENOMICS_MIRROR"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def edit_train(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / "train_data.csv"
        change(pd.read_csv(path)).to_csv(path, index=False)

    return apply


def set_cell(column: str, row: int, value: object) -> Callable[[Path], None]:
    def change(table: pd.DataFrame) -> pd.DataFrame:
        table[column] = table[column].astype(object)
        table.loc[row, column] = value
        return table

    return edit_train(change)


def empty_file(folder: Path) -> None:
    (folder / "train_data.csv").write_text("")


CASES = {
    "missing required column": (
        edit_train(lambda t: t.drop(columns="siRNA_antisense_seq")),
        "train_data.csv: missing required column(s) siRNA_antisense_seq",
    ),
    "wrong column type": (
        set_cell("siRNA_concentration", 3, "ten"),
        "train_data.csv: column siRNA_concentration, row 4: 'ten' is not a number",
    ),
    "letter outside the alphabet": (
        set_cell("siRNA_antisense_seq", 6, "ACGUJACGUACGUACGUACGU"),
        "train_data.csv: column seq_antisense: id 7: character 'J' at position 5",
    ),
    "empty file": (empty_file, "train_data.csv: empty file"),
    "duplicated row id": (
        set_cell("id", 9, 1),
        "train_data.csv: column id, row 10: duplicated id",
    ),
    "negative concentration": (
        set_cell("siRNA_concentration", 2, -5),
        "train_data.csv: column siRNA_concentration, row 3: -5.0 is not a positive concentration",
    ),
    "target outside its range": (
        set_cell("mRNA_remaining_pct", 5, -12.5),
        "train_data.csv: column mRNA_remaining_pct, row 6: -12.5 is outside [0.0, 1000.0]",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_stops_with_one_line_and_leaves_nothing(tmp_path, case):
    corrupt, message = CASES[case]
    mirror, workdir = dataset(tmp_path)
    corrupt(mirror / "data")
    result = run_encode(workdir, mirror)
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0], result.stderr[-2000:]
    assert errors[0].startswith("error: resources/data/data/train_data.csv: ")  # the file
    encoded = workdir / "results/t/encoded"
    assert not any((encoded / name).exists() for name in ENCODED)
    assert not list(encoded.glob(".*.part")) if encoded.exists() else True


def test_unknown_modification_tokens_are_counted_not_fatal(tmp_path):
    """Decision: a modification token missing from vocab.csv is encoded as the unknown id and
    counted in the encode log per column (a lab's new chemistry should not stop a run), while a
    nucleotide outside the alphabet is an error (tests/test_encode.py)."""
    mirror, workdir = dataset(tmp_path)

    def new_token(table: pd.DataFrame) -> pd.DataFrame:
        tokens = table.loc[0, "modified_siRNA_antisense_seq_list"].split(" ")
        table.loc[0, "modified_siRNA_antisense_seq_list"] = " ".join(["Zq", *tokens[1:]])
        return table

    edit_train(new_token)(mirror / "data")
    result = run_encode(workdir, mirror)
    assert result.returncode == 0, result.stderr[-2000:]
    log = (workdir / "logs/encode/t.log").read_text()
    assert "values mapped to the unknown id" in log and '"Zq": 1' in log


def test_a_second_run_in_the_same_directory_is_refused_by_the_lock(tmp_path):
    mirror, workdir = dataset(tmp_path)
    # The lock a running snakemake holds: its output files, as it writes them.
    locks = workdir / ".snakemake" / "locks"
    locks.mkdir(parents=True)
    (locks / "0.output.lock").write_text(
        "\n".join(f"results/t/encoded/{name}" for name in ENCODED) + "\n"
    )
    result = run_encode(workdir, mirror)
    assert result.returncode != 0
    assert "Directory cannot be locked" in result.stderr
    assert "--unlock" in result.stderr  # says how to recover when no other run is alive
    assert not (workdir / "results/t/encoded/train.parquet").exists()
