"""Stale inputs and lost outputs, through the real CLI: an edited local source reruns download
and everything after it, a plain rerun makes again any deleted output, and the advice on a
damaged intermediate file restores everything. One small finished run per module; each test
that changes files works on its own copy."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_reliability import error_lines, run_snakemake

from dlgenomics.data.download import fetch_dataset_file, local_origin, origin_path
from dlgenomics.data.schema import TARGET, read_tensors

SOURCE = Path("lab/table.csv")  # relative to the working directory, as a user may write it
RAW = Path("resources/data/lab/table.csv")
ENCODED = Path("results/t/encoded")
METRICS = Path("results/t/evaluation/mlp/metrics.json")


def write_table(path: Path, rows: int = 160, seed: int = 0) -> None:
    """Sequences bound (1) when they hold GATA, else 0: a binary table a lab might keep."""
    rng = np.random.default_rng(seed)
    lines = []
    for i in range(rows):
        sequence = "".join(rng.choice(list("ACGT"), 24))
        if i % 2:
            sequence = sequence[:10] + "GATA" + sequence[14:]
        lines.append(f"s{i},{sequence},{int('GATA' in sequence)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("id,sequence,bound\n" + "\n".join(lines) + "\n")


def write_config(workdir: Path) -> None:
    """Task `t` on the lab's own table, a local source without sha256."""
    config = {
        "datasets": {"lab": {"files": {"table.csv": {"sources": [str(SOURCE)]}}}},
        "tasks": {
            "t": {
                "kind": "sequences",
                "dataset": "lab",
                "objective": "binary",
                "input": {"format": "table", "file": "table.csv", "sequence": "sequence",
                          "labels": ["bound"], "id": "id"},
                "split": {"method": "random", "folds": 2, "test_fraction": 0.2},
                "architectures": ["mlp"],
                "interpretation": {"rows": 20, "ism_rows": 2},
            }
        },
        "architectures": {"mlp": {"hidden": [16]}},
        "training": {"max_epochs": 2, "patience": 2, "threads": 1, "device": "cpu"},
        "cross_evaluation": {},
        "screen": {},
    }  # fmt: skip
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def results(workdir: Path) -> dict[str, str]:
    """Every file under results/ (sha256 by path)."""
    return {
        str(path.relative_to(workdir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted((workdir / "results").rglob("*"))
        if path.is_file()
    }


def run(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """The real CLI on the workdir's config, on the two cores CI has (folds side by side)."""
    return run_snakemake(workdir, "--cores", "2", *args)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("finished_run")
    write_table(workdir / SOURCE)
    write_config(workdir)
    result = run(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


@pytest.fixture
def workdir(finished_run, tmp_path) -> Path:
    """A copy of the finished run (modification times kept, as a user's folder has them)."""
    return Path(shutil.copytree(finished_run, tmp_path / "work", symlinks=True))


def test_an_edited_local_source_reruns_download_and_every_step_after(workdir):
    before = read_tensors(workdir / ENCODED / "train.parquet")[TARGET]
    metrics_before = (workdir / METRICS).read_text()
    table = (workdir / SOURCE).read_text().splitlines()
    flipped = [f"{line[:-1]}{1 - int(line[-1])}" for line in table[1:]]
    (workdir / SOURCE).write_text("\n".join([table[0], *flipped]) + "\n")

    result = run(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" not in result.stderr
    assert f"Updated input files: {SOURCE}" in result.stderr  # Snakemake's reason for download
    log = (workdir / "logs/download/lab/table.csv.log").read_text()
    assert f"{RAW}: {SOURCE} changed since the last copy (" in log
    assert "its content changed, so every step after it runs again" in log
    after = read_tensors(workdir / ENCODED / "train.parquet")[TARGET]
    assert np.array_equal(after, 1 - before)  # encode read the edit
    assert (workdir / METRICS).read_text() != metrics_before  # and training and evaluation


def test_an_edit_with_an_older_modification_time_is_noticed_too(workdir):
    """A source replaced by a file older than the copy (`cp -p`, an unzipped release):
    Snakemake's own trigger (an input newer than the output) misses it; the source's size
    and modification time, a parameter of the download, do not."""
    source = workdir / SOURCE
    source.write_text(source.read_text().replace(",1\n", ",0\n"))
    older = (workdir / RAW).stat().st_mtime - 3600
    os.utime(source, (older, older))
    result = run(workdir, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    said = result.stdout + result.stderr
    assert "Nothing to be done" not in said
    assert f"output: {RAW}" in said and "output: results/t/leaderboard.csv" in said


@pytest.mark.parametrize(
    "deleted",
    [
        "results/t/models/mlp/fold0/model.pt",
        f"{ENCODED}/train.parquet",
        str(METRICS),
        "results/t/leaderboard.csv",
    ],
)
def test_a_plain_rerun_plans_any_deleted_output(workdir, deleted):
    """Each alone was "Nothing to be done"; the rebuild itself is run after the damaged file
    below, which also makes the failed job's deleted outputs again."""
    (workdir / deleted).unlink()
    result = run(workdir, "--dry-run")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Nothing to be done" not in result.stdout + result.stderr
    assert f"output: {deleted}" in result.stdout + result.stderr


def test_following_the_advice_on_a_damaged_intermediate_restores_everything(finished_run, workdir):
    made = results(finished_run)
    damaged = workdir / ENCODED / "train.parquet"
    damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])

    result = run(workdir)
    assert result.returncode != 0
    errors = set(error_lines(result))  # one line per training job that read it
    assert len(errors) == 1, result.stderr[-3000:]
    error = errors.pop()
    assert error.startswith(f"error: {ENCODED}/train.parquet: not a readable Parquet file")
    assert "delete it and rerun the same snakemake command" in error
    assert set(results(workdir)) < set(made)  # the failed job's outputs were removed

    damaged.unlink()  # as the error says
    result = run(workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert set(results(workdir)) == set(made)
    assert results(workdir)[f"{ENCODED}/train.parquet"] == made[f"{ENCODED}/train.parquet"]


# --- The download step's record of a local source (no CLI: the parts the rule relies on) ---


def test_the_local_origin_is_the_first_local_place_holding_the_file(tmp_path):
    mirror, dest = tmp_path / "mirror", tmp_path / "raw" / "lab" / "table.csv"
    archive = tmp_path / "tables.zip"
    archive.write_bytes(b"PK")  # its content is read at download, not here
    spec = {"sources": ["https://example.invalid/table.csv", f"{archive}#table.csv"]}
    assert local_origin(dest, "lab", spec, [mirror]) == archive  # a member: the archive
    write_table(mirror / "lab" / "table.csv")
    assert local_origin(dest, "lab", spec, [mirror]) == mirror / "lab" / "table.csv"
    file_url = {"sources": [(tmp_path / "own.csv").as_uri()]}
    write_table(tmp_path / "own.csv")
    assert local_origin(dest, "lab", file_url, []) == tmp_path / "own.csv"
    # A pinned file changes only with its checksum; a missing source is the download's error.
    assert local_origin(dest, "lab", {**spec, "sha256": "0" * 64}, [mirror]) is None
    assert local_origin(dest, "lab", {"sources": [str(tmp_path / "gone.csv")]}, []) is None
    # A source naming the copy itself is no origin (it would be its own input).
    write_table(dest)
    assert local_origin(dest, "lab", {"sources": [str(dest)]}, []) is None


def test_the_download_log_says_what_changed_in_the_source(tmp_path, caplog):
    source, dest = tmp_path / "table.csv", tmp_path / "raw" / "table.csv"
    write_table(source)
    spec = {"sources": [str(source)]}
    caplog.set_level("INFO")
    assert fetch_dataset_file(dest, spec, dataset="lab", mirror=None) == str(source)
    first = json.loads(origin_path(dest).read_text())
    assert first["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert "changed since the last copy" not in caplog.text

    write_table(source, seed=1)
    dest.unlink()  # as Snakemake removes an output before its job runs again
    caplog.clear()
    fetch_dataset_file(dest, spec, dataset="lab", mirror=None)
    assert dest.read_bytes() == source.read_bytes()
    changed = [r.message for r in caplog.records if "changed since the last copy" in r.message]
    assert len(changed) == 1 and f"sha256 {first['sha256']} -> " in changed[0]
    assert changed[0].startswith(f"{dest}: {source} changed since the last copy (")
