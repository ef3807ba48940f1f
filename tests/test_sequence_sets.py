"""Kind `sequences`: a user's table, FASTA or BED + genome becomes the standard table, and each
bad input stops with one line naming the file, the line or record and what is wrong."""

from __future__ import annotations

import gzip
from copy import deepcopy
from pathlib import Path

import numpy as np
import pytest

from dlgenomics import InputError
from dlgenomics.config import validate_config
from dlgenomics.tasks.kinds import scoring
from dlgenomics.tasks.kinds.sequences import load_sequences


def _task(**settings) -> dict:
    """A validated `sequences` task (defaults filled in) with these settings."""
    task = {"kind": "sequences", "dataset": "data", "architectures": ["cnn"], **settings}
    files = {name: {"sha256": "0" * 64, "sources": ["x"]} for name in _files_of(task)}
    config = {"datasets": {"data": {"files": files}}, "tasks": {"t": deepcopy(task)}}
    return validate_config(config)["tasks"]["t"]


def _files_of(task: dict) -> list[str]:
    from dlgenomics.tasks.kinds.sequences import sequence_files

    return list(sequence_files(task))


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _load(folder: Path, task: dict):
    files = {name: folder / name for name in _files_of(task)}
    return load_sequences(files, task)


FASTA_A = ">a1 first\nACGTACGTAC\nacgtAC\n>a2\nACGTNNRYAC\n>a3\nTTTTACGTAC\n>a4\nGGGGACGTAC\n"
FASTA_B = ">b1\nCCCCACGTAC\n>b2\nAAAAACGTAC\n>b3\nACACACGTAC\n>b4\nGTGTACGTAC\n"


def test_fasta_per_class_multiclass_with_a_header_labelled_test_file(tmp_path):
    _write(tmp_path, "a.fa.gz", FASTA_A)
    _write(tmp_path, "b.fa", FASTA_B)
    _write(tmp_path, "c.fa", FASTA_B.replace(">b", ">c"))
    _write(tmp_path, "test.fa", ">x\nACGTACGTAC\n>y\nACGTACGTAC\n>x\nACGT\n")
    task = _task(
        objective="multiclass",
        input={"format": "fasta", "classes": {"x": "a.fa.gz", "y": "b.fa", "z": "c.fa"}},
        test=[{"file": "test.fa", "label_pattern": "^(\\w)"}],
        split={"folds": 2, "method": "stratified"},
    )
    tables = _load(tmp_path, task)
    train, test = tables.frames["labelled"], tables.frames["test"]
    # Multi-line, mixed case and IUPAC letters are kept as read; classes in config order.
    assert train["seq_dna"].iloc[0] == "ACGTACGTACacgtAC"
    assert train["seq_dna"].iloc[1] == "ACGTNNRYAC"
    assert list(train["target"]) == [0.0] * 4 + [1.0] * 4 + [2.0] * 4
    # Repeated header ids are told apart, in order.
    assert list(test["row_id"]) == ["x", "y", "x#2"] and list(test["target"]) == [0, 1, 0]
    assert scoring(task).labels == ["x", "y", "z"]


def test_table_regression_headerless_drops_rows_without_sequence_and_counts_them(tmp_path):
    _write(tmp_path, "expr.txt", "p1\tNA\t4.5\np2\tACGTACGT\t7.5\np3\tacgtTTTT\t3.0\n")
    task = _task(
        objective="regression",
        input={"format": "table", "file": "expr.txt", "header": False, "id": 1, "sequence": 2,
               "labels": [3]},
        split={"folds": 2, "test_fraction": 0},
    )  # fmt: skip
    tables = _load(tmp_path, task)
    frame = tables.frames["labelled"]
    assert list(frame["row_id"]) == ["p2", "p3"] and list(frame["target"]) == [7.5, 3.0]
    assert tables.dropped == {"expr.txt: no sequence": 1}


def test_shuffled_negatives_keep_each_positives_composition(tmp_path):
    rows = "".join(f"r{i},{'ACGTTGCAAC' * 3},1\n" for i in range(6))
    _write(tmp_path, "peaks.csv", "id,seq,bound\n" + rows)
    task = _task(
        objective="binary",
        input={"format": "table", "file": "peaks.csv", "sequence": "seq", "labels": ["bound"],
               "id": "id"},
        negatives={"method": "shuffle", "per_positive": 2},
        split={"folds": 2, "method": "stratified"},
    )  # fmt: skip
    frame = _load(tmp_path, task).frames["labelled"]
    negatives = frame[frame["target"] == 0]
    assert len(negatives) == 12 and negatives["row_id"].iloc[0] == "r0|shuffle1"
    for sequence in negatives["seq_dna"]:
        assert sorted(sequence) == sorted("ACGTTGCAAC" * 3)
    assert (negatives["seq_dna"] != "ACGTTGCAAC" * 3).any()


BAD_INPUTS = [
    ("empty.fa", "", {"format": "fasta", "file": "empty.fa", "label": "x"},
     r"empty\.fa: .*(empty|no FASTA record)"),
    ("hollow.fa", ">a\nACGT\n>b\n>c\nACGT\n",
     {"format": "fasta", "file": "hollow.fa", "label": "x"},
     r"hollow\.fa: line 3: .*'b'"),
    ("bad.csv", "seq,y\nACGT,x\nACGZ,y\nACGT,x\nACGA,y\n",
     {"format": "table", "file": "bad.csv", "sequence": "seq", "labels": ["y"]},
     r"bad\.csv: line 3: .*letter 'Z' at position 4 is not a nucleotide"),
    ("one.csv", "seq,y\nACGT,x\nACGG,x\nACGA,x\n",
     {"format": "table", "file": "one.csv", "sequence": "seq", "labels": ["y"]},
     r"one\.csv: the labels hold one class only \('x', 3 rows\)"),
    ("rare.csv", "seq,y\nACGT,x\nACGG,x\nACGA,x\nACGC,y\n",
     {"format": "table", "file": "rare.csv", "sequence": "seq", "labels": ["y"]},
     r"rare\.csv: class 'y' has 1 row\(s\), fewer than the 2 folds"),
    ("unknown.csv", "seq,y\nACGT,x\nACGG,w\n",
     {"format": "table", "file": "unknown.csv", "sequence": "seq", "labels": ["y"]},
     r"unknown\.csv: line 3: label 'w' is not one of the classes \['x', 'y'\]"),
]  # fmt: skip


@pytest.mark.parametrize("name,text,source,message", BAD_INPUTS)
def test_bad_classification_input_names_file_and_line(tmp_path, name, text, source, message):
    _write(tmp_path, name, text)
    task = _task(objective="multiclass", classes=["x", "y"], input=source,
                 split={"folds": 2, "method": "stratified"})  # fmt: skip
    with pytest.raises(InputError, match=message):
        _load(tmp_path, task)


def test_regression_label_that_is_not_a_number(tmp_path):
    _write(tmp_path, "y.tsv", "seq\ty\nACGT\t1.5\nACGA\thigh\n")
    source = {"format": "table", "file": "y.tsv", "sequence": "seq", "labels": ["y"]}
    task = _task(objective="regression", input=source)
    with pytest.raises(InputError, match=r"y\.tsv: line 3: label 'high' is not a number"):
        _load(tmp_path, task)


def _genome(folder: Path) -> None:
    rng = np.random.default_rng(0)
    chrom = "".join(rng.choice(list("ACGT"), 300))
    _write(folder, "genome.fa", f">chr1\n{chrom[:100]}\n{chrom[100:200]}\n{chrom[200:]}\n")


@pytest.mark.parametrize(
    "bed,message",
    [
        ("chr1\t280\t299\n", r"peaks\.bed: line 1: .*ends past the end of chr1 \(300 bp"),
        ("chr1\t10\t50\nchr9\t10\t50\n", r"peaks\.bed: line 2: .*chr9"),
    ],
)
def test_bed_interval_off_the_genome(tmp_path, bed, message):
    _genome(tmp_path)
    _write(tmp_path, "peaks.bed", bed)
    task = _task(objective="binary", input={"format": "bed", "file": "peaks.bed",
                                            "genome": "genome.fa", "length": 60},
                 negatives={"method": "shuffle"}, split={"folds": 2})  # fmt: skip
    with pytest.raises(InputError, match=message):
        _load(tmp_path, task)


def test_genome_that_is_not_a_fasta(tmp_path):
    _write(tmp_path, "genome.fa", "chr1 is here\nACGT\n")
    _write(tmp_path, "peaks.bed", "chr1\t0\t4\n")
    task = _task(objective="binary", input={"format": "bed", "file": "peaks.bed",
                                            "genome": "genome.fa", "length": 4},
                 negatives={"method": "shuffle"}, split={"folds": 2})  # fmt: skip
    with pytest.raises(InputError, match=r"genome\.fa: .*FASTA"):
        _load(tmp_path, task)


def test_bed_windows_with_shuffled_negatives(tmp_path):
    _genome(tmp_path)
    _write(tmp_path, "peaks.bed", "chr1\t20\t60\ta\t0\t+\nchr1\t100\t140\tb\t0\t-\n")
    task = _task(objective="binary", input={"format": "bed", "file": "peaks.bed",
                                            "genome": "genome.fa", "length": 30},
                 negatives={"method": "shuffle"},
                 split={"folds": 2, "test_fraction": 0})  # fmt: skip
    frame = _load(tmp_path, task).frames["labelled"]
    assert list(frame["row_id"]) == ["a", "b", "a|shuffle1", "b|shuffle1"]
    assert frame["seq_dna"].str.len().eq(30).all() and list(frame["target"]) == [1, 1, 0, 0]


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda t: t.pop("objective"), r"tasks\.t\.objective: kind 'sequences' needs"),
        (lambda t: t.update(objective="multiclass"), r"tasks\.t\.classes: a multiclass task"),
        (
            lambda t: t.update(selection_metric="spearman"),
            r"tasks\.t\.selection_metric: 'spearman' is not a metric of this task \(binary\)",
        ),
        (lambda t: t["input"].pop("sequence"), r"tasks\.t\.input\.sequence: needed"),
        (lambda t: t.update(negatives={"method": "genome"}), r"'genome' needs BED input"),
        (lambda t: t.update(kmer={"k": 3}), r"reverse_complement|k-mers"),
    ],
)
def test_bad_sequences_config_names_the_key(edit, message):
    task = {"kind": "sequences", "dataset": "data", "objective": "binary",
            "architectures": ["cnn"],
            "input": {"format": "table", "file": "t.csv", "sequence": "s",
                      "labels": ["y"]}}  # fmt: skip
    edit(task)
    if "kmer" in task:
        task["reverse_complement"] = True
    config = {"datasets": {"data": {"files": {"t.csv": {"sha256": "0" * 64, "sources": ["x"]}}}},
              "tasks": {"t": task}}  # fmt: skip
    with pytest.raises(InputError, match=message):
        validate_config(config)


def test_chromosome_folds_hold_out_whole_chromosomes(tmp_path):
    from conftest import encode_outputs

    from dlgenomics.data.encode import encode_task
    from dlgenomics.data.schema import read_tensors

    rng = np.random.default_rng(1)
    chromosomes = {f"chr{i}": "".join(rng.choice(list("ACGT"), 400)) for i in (1, 2, 3)}
    _write(tmp_path, "genome.fa", "".join(f">{c}\n{s}\n" for c, s in chromosomes.items()))
    bed = "".join(f"{c}\t{start}\t{start + 20}\n" for c in chromosomes for start in (50, 150, 250))
    _write(tmp_path, "peaks.bed", bed)
    task = _task(objective="binary", input={"format": "bed", "file": "peaks.bed",
                                            "genome": "genome.fa", "length": 40},
                 negatives={"method": "shuffle"},
                 split={"method": "chromosome", "folds": 3, "test_fraction": 0})  # fmt: skip
    out = encode_outputs(tmp_path / "encoded")
    encode_task("sequences", {n: tmp_path / n for n in _files_of(task)}, task, out)
    train = read_tensors(out["train"])
    chrom = np.array([row_id.split(":")[0] for row_id in train["row_id"].astype(str)])
    # Each chromosome's peaks and their shuffles share one fold, and each fold one chromosome.
    for name in chromosomes:
        assert len(set(train["fold"][chrom == name])) == 1
    assert len(set(train["fold"])) == 3
