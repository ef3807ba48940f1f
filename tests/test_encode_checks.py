"""What encode refuses or reports about a user's rows, through the real CLI (issue 29): labels
that are not finite, a record far longer than the rest, rows dropped (a warning at the end of
the run, an error above `max_dropped_fraction`), the spellings of a missing label, and id lists
in the encode log. Each run stops at encode: cheap."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from test_reliability import ENCODED, error_lines, run_snakemake

TARGETS = tuple(f"results/t/encoded/{name}" for name in ENCODED)


def write_config(workdir: Path, files: list[Path], task: dict[str, Any]) -> None:
    """Task `t` (regression, `mlp`) of dataset `lab` holding `files` (local sources)."""
    config = {
        "datasets": {"lab": {"files": {f.name: {"sources": [str(f)]} for f in files}}},
        "tasks": {"t": {"dataset": "lab", "architectures": ["mlp"], **task}},
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def table_task(workdir: Path, labels: list[str]) -> None:
    """A regression table `measurements.csv`, one row per label (line i + 2 holds labels[i])."""
    rows = [
        f"ACGTACGTAC{'ACGT'[i % 4]}{'ACGT'[i // 4 % 4]},{label}" for i, label in enumerate(labels)
    ]
    table = workdir / "measurements.csv"
    table.write_text("sequence,value\n" + "\n".join(rows) + "\n")
    task = {"kind": "sequences", "objective": "regression", "split": {"folds": 2},
            "input": {"format": "table", "file": table.name, "sequence": "sequence",
                      "labels": ["value"]}}  # fmt: skip
    write_config(workdir, [table], task)


def warnings_of(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: task")]


def nothing_encoded(workdir: Path) -> bool:
    return not any((workdir / target).exists() for target in TARGETS)


@pytest.mark.parametrize("label", ["inf", "-inf", "1e400"])
def test_a_label_that_is_not_finite_stops_encode_naming_file_and_line(tmp_path, label):
    labels = [str(0.5 * i) for i in range(30)]
    labels[4] = label  # line 6 of the file
    table_task(tmp_path, labels)
    result = run_snakemake(tmp_path, *TARGETS)
    assert result.returncode != 0
    assert error_lines(result) == [
        f"error: resources/data/lab/measurements.csv: line 6: label {label!r} is not a finite "
        "number (a regression task)"
    ], result.stderr[-2000:]
    assert nothing_encoded(tmp_path)


def test_missing_label_spellings_drop_the_row_and_count_it(tmp_path):
    spellings = ["NaN", "null", "N/A", "None", "NA", ""]
    labels = [str(0.5 * i) for i in range(30)]
    labels[3 : 3 + len(spellings)] = spellings
    table_task(tmp_path, labels)
    result = run_snakemake(tmp_path, *TARGETS)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "results/t/encoded/summary.json").read_text())
    assert summary["dropped"] == {"measurements.csv: no label": len(spellings)}
    assert summary["dropped_rows"] == {
        "measurements.csv: no label": ["5", "6", "7", "8", "9", "10"]
    }
    assert sum(summary["rows"].values()) == 30 - len(spellings)
    # ... and said at the end of the run, not only in the log.
    assert warnings_of(result) == [
        "warning: task t: 6 of 30 rows dropped (measurements.csv: no label: 6); their ids: "
        "results/t/encoded/summary.json (dropped_rows)"
    ]


def test_a_record_far_longer_than_the_rest_stops_encode_before_padding(tmp_path):
    """One 1 Mb record among 200-nt rows would pad every row to 1 Mb."""
    records = [f">r{i} {0.5 * i}\n{'ACGT' * 50}\n" for i in range(40)]
    records.insert(7, f">huge 1.0\n{'ACGT' * 250_000}\n")
    fasta = tmp_path / "seqs.fa"
    fasta.write_text("".join(records))
    task = {"kind": "sequences", "objective": "regression", "split": {"folds": 2},
            "input": {"format": "fasta", "file": fasta.name,
                      "label_pattern": r" (\S+)$"}}  # fmt: skip
    write_config(tmp_path, [fasta], task)
    start = time.monotonic()
    result = run_snakemake(tmp_path, *TARGETS)
    assert time.monotonic() - start < 120
    assert result.returncode != 0
    assert error_lines(result) == [
        "error: resources/data/lab/seqs.fa: record huge: 1000000 nt, longer than "
        "tasks.t.max_length (20000 nt; the median row has 200 nt): remove the record, or raise "
        "max_length if every row should be padded to its length"
    ], result.stderr[-2000:]
    assert nothing_encoded(tmp_path)


def half_matching_fasta(workdir: Path, **settings: Any) -> None:
    """200 FASTA records r0..r199; the label table has r100..r299: half the records match."""
    fasta, labels = workdir / "seqs.fa", workdir / "labels.tsv"
    fasta.write_text("".join(f">r{i}\n{'ACGT'[i % 4] * 5}ACGTACGTAC\n" for i in range(200)))
    labels.write_text("id\tvalue\n" + "".join(f"r{i}\t{i % 7}\n" for i in range(100, 300)))
    task = {"kind": "sequences", "objective": "regression", "split": {"folds": 2},
            "input": {"format": "fasta", "file": fasta.name,
                      "label_table": {"file": labels.name, "id": "id", "labels": ["value"]}},
            **settings}  # fmt: skip
    write_config(workdir, [fasta, labels], task)


def test_rows_dropped_are_said_at_the_end_of_the_run(tmp_path):
    half_matching_fasta(tmp_path)
    result = run_snakemake(tmp_path, *TARGETS)
    assert result.returncode == 0, result.stderr[-2000:]
    assert warnings_of(result) == [
        "warning: task t: 100 of 200 rows dropped (seqs.fa: id not in labels.tsv: 100); "
        "their ids: results/t/encoded/summary.json (dropped_rows)"
    ]
    assert warnings_of(result)[0] in result.stderr.splitlines()[-5:]  # at the end of the run
    summary = json.loads((tmp_path / "results/t/encoded/summary.json").read_text())
    assert summary["dropped_rows"]["seqs.fa: id not in labels.tsv"] == [f"r{i}" for i in range(100)]
    log = (tmp_path / "logs/encode/t.log").read_text()
    assert "dropped 100 rows: seqs.fa: id not in labels.tsv (100 ids: r0, r1, r2, r3, r4, …)" in log
    assert "r99" not in log  # the log shows the first few ids, not all


def test_a_drop_above_max_dropped_fraction_stops_encode(tmp_path):
    half_matching_fasta(tmp_path, max_dropped_fraction=0.25)
    result = run_snakemake(tmp_path, *TARGETS)
    assert result.returncode != 0
    assert error_lines(result) == [
        "error: tasks.t.max_dropped_fraction: 100 of 200 rows dropped (50%), more than 0.25 of "
        "them: 100 rows: seqs.fa: id not in labels.tsv (100 ids: r0, r1, r2, r3, r4, …)"
    ], result.stderr[-2000:]
    assert nothing_encoded(tmp_path)


def test_the_encode_log_counts_long_id_lists(tmp_path):
    """A test file's row ids (summary.json's `test_sets`) are counted in the log, not listed."""
    train = REPO / "tests" / "data" / "example_sirna_table.csv"
    shutil.copy(train, tmp_path / "train.csv")
    shutil.copy(train, tmp_path / "other.csv")
    table = {
        "file": "train.csv", "guide": "guide_5to3", "id": "oligo_id", "group": "gene",
        "label": {"column": "knockdown", "scale": "efficacy_fraction"},
        "test_files": ["other.csv"],
    }  # fmt: skip
    task = {"kind": "sirna_table", "table": table, "split": {"method": "gene", "folds": 2}}
    write_config(tmp_path, [tmp_path / "train.csv", tmp_path / "other.csv"], task)
    result = run_snakemake(tmp_path, *TARGETS)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads((tmp_path / "results/t/encoded/summary.json").read_text())
    ids = summary["test_sets"]["other"]
    assert len(ids) == 400  # summary.json keeps every id
    [line] = [
        line for line in (tmp_path / "logs/encode/t.log").read_text().splitlines()
        if "encoded t:" in line
    ]  # fmt: skip
    assert f'"other": "400 ids: {", ".join(ids[:5])}, …"' in line
    assert ids[5] not in line and len(line) < 2000
