"""Bad input through the real snakemake CLI: a non-zero exit, one line naming the file, the row
or column and what is wrong, and nothing half-written for a later step to take for complete."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import REPO, write_sirna_files

ENCODED = ("train.parquet", "test.parquet", "vocab.json", "summary.json")


def dataset(tmp_path: Path) -> tuple[Path, Path]:
    """(mirror, workdir): a small competition-format dataset in the mirror's `data` folder."""
    mirror, workdir = tmp_path / "mirror", tmp_path / "work"
    (mirror / "data").mkdir(parents=True)
    workdir.mkdir()
    write_sirna_files(mirror / "data", train_rows=60, test_rows=20, seed=3, test_ids_from=500)
    return mirror, workdir


def write_config(workdir: Path, mirror: Path, **task: Any) -> dict[str, Any]:
    """Task `t` on the mirror's files, with checksums of the files as they now are: a
    corruption reaches encode, as a bad table a user owns would. `task` overrides settings."""
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
        "tasks": {
            "t": {"kind": "sirna_competition", "dataset": "data", "architectures": ["mlp"], **task}
        },
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
        "cross_evaluation": {},
        "screen": {},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return config


def run_snakemake(workdir: Path, *targets: str) -> subprocess.CompletedProcess:
    """The real CLI on workdir/config.yaml, without the user's mirror variable."""
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"),
        "--replace-workflow-config", "--cores", "1", *targets,
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DLGENOMICS_MIRROR"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def run_encode(workdir: Path, mirror: Path) -> subprocess.CompletedProcess:
    """Download (from `mirror`) and encode the task `t`."""
    write_config(workdir, mirror)
    return run_snakemake(workdir, *(f"results/t/encoded/{name}" for name in ENCODED))


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


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
        "train_data.csv: column siRNA_antisense_seq: id 7: character 'J' at position 5",
    ),
    "guide shorter than the duplex core": (
        set_cell("siRNA_antisense_seq", 3, "ACGUACGUACGU"),
        "train_data.csv: column siRNA_antisense_seq, id 4: 12 nt, shorter than the 19-nt duplex "
        "core",
    ),
    "empty file": (empty_file, "train_data.csv: empty file"),
    "duplicated row id": (
        set_cell("id", 9, 1),
        "train_data.csv: column id, row 10: duplicated id '1'",
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
    errors = error_lines(result)
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


def test_rows_without_a_target_are_dropped_counted_and_reported(tmp_path):
    """Decision: a training row without a target is dropped, never silently: the encode log
    says how many and why, and the count goes into encoded/summary.json, which the task's
    provenance page in the report shows (tests/test_workflow.py checks the page)."""
    mirror, workdir = dataset(tmp_path)
    set_cell("mRNA_remaining_pct", 4, None)(mirror / "data")
    set_cell("mRNA_remaining_pct", 11, None)(mirror / "data")
    result = run_encode(workdir, mirror)
    assert result.returncode == 0, result.stderr[-2000:]
    log = (workdir / "logs/encode/t.log").read_text()
    assert "dropped 2 rows: train_data.csv: missing mRNA_remaining_pct" in log
    summary = json.loads((workdir / "results/t/encoded/summary.json").read_text())
    assert summary["dropped"] == {"train_data.csv: missing mRNA_remaining_pct": 2}
    assert summary["rows"]["train"] == 58


def test_a_truncated_parquet_file_is_named(tmp_path):
    """An encoded file cut short (a full disk, a killed copy): training stops with one line
    naming it, and writes no model."""
    mirror, workdir = dataset(tmp_path)
    assert run_encode(workdir, mirror).returncode == 0
    encoded = workdir / "results/t/encoded/train.parquet"
    encoded.write_bytes(encoded.read_bytes()[: encoded.stat().st_size // 2])
    result = run_snakemake(workdir, "results/t/models/mlp/fold0/model.pt")
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1, result.stderr[-2000:]
    assert errors[0].startswith("error: results/t/encoded/train.parquet: not a readable Parquet")
    assert not (workdir / "results/t/models/mlp/fold0").exists() or not any(
        (workdir / "results/t/models/mlp/fold0").glob("*.pt")
    )


def _download_fails(tmp_path: Path, spoil: Callable[[dict[str, Any]], None]) -> tuple[Path, str]:
    mirror, workdir = dataset(tmp_path)
    config = write_config(workdir, mirror)
    spoil(config["datasets"]["data"]["files"]["train_data.csv"])
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = run_snakemake(workdir, "resources/data/data/train_data.csv")
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1, result.stderr[-2000:]
    assert not list((workdir / "resources/data/data").glob("*train_data.csv*"))  # nor .part
    return mirror, errors[0]


def test_a_checksum_mismatch_keeps_nothing(tmp_path):
    def wrong_sha(spec: dict[str, Any]) -> None:
        spec["sha256"] = "0" * 64

    mirror, error = _download_fails(tmp_path, wrong_sha)
    assert error.startswith("error: could not fetch data/train_data.csv (sha256 000000000000…): ")
    # Where the bad copy was, and what was wrong with it.
    assert f"mirror {mirror}/data/train_data.csv: sha256 mismatch: got " in error


def test_an_unreachable_source_is_named_with_every_place_tried(tmp_path):
    def unreachable(spec: dict[str, Any]) -> None:
        spec["sources"] = ["http://127.0.0.1:9/train_data.csv"]  # nothing listens on port 9
        spec["sha256"] = "1" * 64  # so the mirror's copy does not match either

    _, error = _download_fails(tmp_path, unreachable)
    assert "http://127.0.0.1:9/train_data.csv" in error and "after 3 attempts" in error


@pytest.mark.parametrize(
    "setting,message",
    [
        ({"split": {"folds": "five"}}, "tasks.t.split.folds: 'five' is not of type 'integer'"),
        ({"architectures": ["resnet"]}, "tasks.t.architectures: unknown architecture 'resnet'"),
    ],
)
def test_a_bad_config_value_stops_before_any_job(tmp_path, setting, message):
    mirror, workdir = dataset(tmp_path)
    write_config(workdir, mirror, **setting)
    result = run_snakemake(workdir)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert not (workdir / "resources").exists() and not (workdir / "results").exists()


def test_a_split_that_leaves_a_fold_empty_is_refused(tmp_path):
    """Six target genes cannot fill eight gene folds: encode stops and says so."""
    mirror, workdir = dataset(tmp_path)
    write_config(workdir, mirror, split={"method": "gene", "folds": 8})
    result = run_snakemake(workdir, *(f"results/t/encoded/{name}" for name in ENCODED))
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1 and "8 gene folds asked for but only 6 groups" in errors[0], errors
    assert not (workdir / "results/t/encoded/train.parquet").exists()


def test_a_checksum_typo_keeps_the_verified_file(tmp_path):
    """Changing a dataset's sha256 in the config (a typo) must not let Snakemake delete the
    file already verified in resources/data: the run stops first, showing both checksums."""
    mirror, workdir = dataset(tmp_path)
    config = write_config(workdir, mirror)
    raw = workdir / "resources/data/data/train_data.csv"
    result = run_snakemake(workdir, str(raw.relative_to(workdir)))
    assert result.returncode == 0, result.stderr[-2000:]
    before = raw.read_bytes()
    good = config["datasets"]["data"]["files"]["train_data.csv"]["sha256"]
    typo = good[:-1] + ("0" if good[-1] != "0" else "1")
    config["datasets"]["data"]["files"]["train_data.csv"]["sha256"] = typo
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = run_snakemake(workdir, "results/t/encoded/train.parquet")
    assert result.returncode != 0
    said = result.stdout + result.stderr
    assert f"{raw.relative_to(workdir)}: verified with sha256 {good}, but " in said
    assert f"datasets.data.files.train_data.csv.sha256 now says {typo}; nothing was removed" in said
    assert raw.read_bytes() == before
