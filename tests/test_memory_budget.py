"""Memory held to a budget (issue 30): token columns at one byte, Parquet in row groups, and a
training table over `training.memory_budget` streamed in shuffled chunks of row groups, with
the same batches (and predictions) as in memory where the table is one row group."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import encode_outputs, snakemake

from dlgenomics import InputError
from dlgenomics.config import validate_config
from dlgenomics.data import encode, schema
from dlgenomics.data.encode import build_vocab, encode_frame, encode_task
from dlgenomics.data.schema import FOLD, ROW_ID, TensorFile, read_tensors, write_tensors
from dlgenomics.data.tokens import encode_nucleotides
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.training import memory
from dlgenomics.training.loop import FoldRun, TrainSettings, train_fold
from dlgenomics.training.memory import budget_bytes, epoch_chunks, load_fold_tables

MOTIF = "TATAAT"


def sequences(rows: int, length: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Random DNA, the label 1 where a planted motif sits in the middle."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGT"))[rng.integers(0, 4, (rows, length))]
    label = rng.random(rows) < 0.5
    middle = (length - len(MOTIF)) // 2
    letters[label, middle : middle + len(MOTIF)] = list(MOTIF)
    return ["".join(row) for row in letters], label.astype(np.float32)


def encoded_tables(folder: Path, rows: int = 300, length: int = 40, kmer=None) -> dict:
    """A binary task's train and test Parquet files (2 folds) and vocab, written by encode's
    own functions."""
    frames = {}
    for role, n, seed in (("train", rows, 0), ("test", rows // 4, 1)):
        text, label = sequences(n, length, seed)
        frames[role] = pd.DataFrame(
            {ROW_ID: [f"{role}{i}" for i in range(n)], "seq_dna": text, "target": label}
        )
    vocab = build_vocab(frames, None, kmer)
    vocab["reverse_complement"] = True  # random strands: the generator's draws are compared
    paths = {}
    for role, frame in frames.items():
        columns, _ = encode_frame(frame, vocab, role, allow_n=True)
        columns[FOLD] = (
            np.arange(len(frame), dtype=np.int16) % 2
            if role == "train"
            else np.full(len(frame), -1, np.int16)
        )
        paths[role] = folder / f"{role}.parquet"
        write_tensors(columns, paths[role])
    return {"paths": paths, "vocab": vocab, "frames": frames}


def test_token_columns_are_stored_at_one_byte_and_read_back_unchanged(tmp_path):
    tables = encoded_tables(tmp_path, rows=40, kmer={"k": 4})
    columns = read_tensors(tables["paths"]["train"])
    assert columns["seq_dna"].dtype == np.uint8  # 6 nucleotide ids
    assert columns["kmer_dna"].dtype == np.int16  # 258 4-mer ids: two bytes
    as_int16 = encode_nucleotides(tables["frames"]["train"]["seq_dna"], 40, "train")
    assert np.array_equal(columns["seq_dna"], as_int16)
    assert columns[ROW_ID].tolist() == tables["frames"]["train"][ROW_ID].tolist()


def _encode_table(folder: Path, out: Path) -> dict:
    """Encode a `sequences` table task (binary; a number and a category per row) from
    folder/windows.csv.gz: its tensors, vocab, groups and summary."""
    task = validate_config({
        "datasets": {"d": {"files": {"windows.csv.gz": {"sha256": "0" * 64, "sources": ["x"]}}}},
        "tasks": {"t": {
            "kind": "sequences", "dataset": "d", "objective": "binary", "architectures": ["cnn"],
            "input": {"format": "table", "file": "windows.csv.gz", "sequence": "sequence",
                      "labels": ["bound"], "numeric": ["gc"], "categorical": ["cell"]},
            "split": {"method": "stratified", "folds": 3, "test_fraction": 0.2},
        }},
    })["tasks"]["t"]  # fmt: skip
    paths = encode_outputs(out)
    summary = encode_task("sequences", {"windows.csv.gz": folder / "windows.csv.gz"}, task, paths)
    return {
        "train": read_tensors(paths["train"]), "test": read_tensors(paths["test"]),
        "vocab": json.loads(paths["vocab"].read_text()), "summary": summary,
        "groups": pd.read_parquet(paths["groups"]),
    }  # fmt: skip


def test_a_streamed_encode_writes_what_the_whole_table_gives(tmp_path, monkeypatch):
    """Forced to stream (chunks and row groups of 50 rows), encode writes the same tensors,
    vocabulary and summary (but for saying it streamed) as the in-memory path."""
    text, label = sequences(330, 30, seed=2)
    lines = [
        f"{seq[: 20 + i % 11]},{'' if i == 7 else int(y)},{i % 5 / 4},{'ab'[i % 2]}"
        for i, (seq, y) in enumerate(zip(text, label, strict=True))
    ]
    table = "sequence,bound,gc,cell\n" + "\n".join(lines) + "\n\n"
    (tmp_path / "windows.csv.gz").write_bytes(gzip.compress(table.encode()))
    whole = _encode_table(tmp_path, tmp_path / "whole")
    monkeypatch.setattr(encode, "STREAM_BYTES", 0)
    monkeypatch.setattr(encode, "ROW_GROUP_ROWS", 50)
    monkeypatch.setattr(schema, "ROW_GROUP_ROWS", 50)
    streamed = _encode_table(tmp_path, tmp_path / "streamed")
    assert streamed["summary"].pop("streamed") == {"chunk_rows": 50, "rows": 329}
    assert streamed["summary"] == whole["summary"]
    assert streamed["summary"]["dropped"] == {"windows.csv.gz: no label": 1}
    assert streamed["vocab"] == whole["vocab"]
    assert streamed["groups"].equals(whole["groups"])
    for role in ("train", "test"):
        assert streamed[role].keys() == whole[role].keys()
        for column, values in whole[role].items():
            assert np.array_equal(streamed[role][column], values), (role, column)
    assert TensorFile.open(tmp_path / "streamed" / "train.parquet").groups > 1


@pytest.mark.parametrize(
    ("row", "column", "value", "message"),
    [(120, 2, "x", "line 122, column gc: 'x' is not a number"),
     (160, 0, "XACGT", "line 162: record 162: letter 'X' at position 1")],
)  # fmt: skip
def test_a_streamed_encode_names_the_files_own_line(tmp_path, monkeypatch, row, column, value,
                                                    message):  # fmt: skip
    """Errors in the fourth chunk of 50 rows name the line in the file, not in the chunk."""
    monkeypatch.setattr(encode, "STREAM_BYTES", 0)
    monkeypatch.setattr(encode, "ROW_GROUP_ROWS", 50)
    text, _ = sequences(200, 30, seed=2)
    cells = [[seq, str(i % 2), "0.5", "a"] for i, seq in enumerate(text)]
    cells[row][column] = value
    table = "sequence,bound,gc,cell\n" + "".join(",".join(c) + "\n" for c in cells)
    (tmp_path / "windows.csv.gz").write_bytes(gzip.compress(table.encode()))
    with pytest.raises(InputError, match=message) as error:
        _encode_table(tmp_path, tmp_path / "out")
    assert str(error.value).startswith(str(tmp_path / "windows.csv.gz"))
    assert not (tmp_path / "out" / "train.parquet").exists()


def test_memory_budget_sizes():
    assert budget_bytes("4G") == 4 * 2**30
    assert budget_bytes("512 MiB") == 512 * 2**20
    assert budget_bytes(1000) == 1000 and budget_bytes(None) is None


def test_a_table_of_one_row_group_is_shuffled_exactly_as_in_memory(tmp_path):
    tables = encoded_tables(tmp_path)
    train, _, stream = load_fold_tables(*tables["paths"].values(), budget=1)
    assert stream is not None and "seq_dna" not in train and stream.train.groups == 1
    index = torch.from_numpy(np.flatnonzero(train[FOLD] != 0))
    is_train = train[FOLD] != 0
    small = {k: torch.tensor(v) for k, v in train.items() if k != ROW_ID}
    draws = [
        list(epoch_chunks(small, index, is_train, chosen, torch.Generator().manual_seed(3)))
        for chosen in (None, stream)
    ]
    (_, in_memory, _), (columns, local, rows) = draws[0][0], draws[1][0]
    assert len(draws[1]) == 1 and torch.equal(local, in_memory) and torch.equal(rows, in_memory)
    whole = read_tensors(tables["paths"]["train"])
    assert np.array_equal(columns["seq_dna"][local].numpy(), whole["seq_dna"][in_memory])


def test_chunks_of_many_row_groups_visit_every_training_row_once(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "ROW_GROUP_ROWS", 32)
    tables = encoded_tables(tmp_path)
    table = TensorFile.open(tables["paths"]["train"])
    assert table.groups == 10  # 300 rows in groups of 32
    stream = memory.Stream(table, TensorFile.open(tables["paths"]["test"]), groups_per_chunk=3)
    train = table.read_columns((FOLD,))
    is_train = train[FOLD] != 0
    index = torch.from_numpy(np.flatnonzero(is_train))
    chunks = list(epoch_chunks({}, index, is_train, stream, torch.Generator().manual_seed(0)))
    assert len(chunks) == 4
    visited = torch.cat([rows for _, _, rows in chunks]).numpy()
    assert sorted(visited) == index.tolist()
    assert not np.array_equal(visited, np.sort(visited))  # shuffled, not in file order
    whole = read_tensors(tables["paths"]["train"])
    for columns, local, rows in chunks:  # each chunk's tokens are its rows' own
        assert np.array_equal(columns["seq_dna"][local].numpy(), whole["seq_dna"][rows.numpy()])


def _train(tables: dict, folder: Path, budget=None, **settings) -> pd.DataFrame:
    """One fold of an mlp (2 epochs); its predictions file."""
    train, test, stream = load_fold_tables(*tables["paths"].values(), budget=budget)
    assert (stream is not None) == (budget is not None)
    train_fold(FoldRun(
        kind=TASK_KINDS["sequences"],
        scoring=scoring({"kind": "sequences", "objective": "binary", "input": {}}),
        arch="mlp", model_params={"hidden": [16]},
        settings=TrainSettings(max_epochs=2, batch_size=32, threads=1, device="cpu", **settings),
        train_columns=train, test_columns=test, vocab=tables["vocab"], fold=0,
        out_checkpoint=folder / "model.pt", out_history=folder / "history.csv",
        out_predictions=folder / "predictions.parquet", progress=False, stream=stream,
    ))  # fmt: skip
    return pd.read_parquet(folder / "predictions.parquet")


def test_a_streamed_table_of_one_row_group_predicts_as_in_memory(tmp_path):
    tables = encoded_tables(tmp_path)
    in_memory = _train(tables, tmp_path / "memory")
    streamed = _train(tables, tmp_path / "streamed", budget=1)
    pd.testing.assert_frame_equal(streamed, in_memory)


def test_many_row_groups_stream_and_predict_every_row(tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "ROW_GROUP_ROWS", 64)
    tables = encoded_tables(tmp_path)
    in_memory = _train(tables, tmp_path / "memory")
    streamed = _train(tables, tmp_path / "streamed", budget=1, max_steps_per_epoch=3)
    assert streamed.drop(columns=["prediction"]).equals(in_memory.drop(columns=["prediction"]))
    assert streamed["prediction"].notna().all()
    history = pd.read_csv(tmp_path / "streamed" / "history.csv")
    assert history["train_loss"].notna().all()


def test_a_table_over_the_budget_streams_with_the_same_predictions_through_the_cli(tmp_path):
    """Two tasks on one table, one held to a 1-byte budget: its training jobs stream (log) and
    write the same validation and test predictions as the in-memory task's."""
    text, label = sequences(240, 60, seed=5)
    table = tmp_path / "windows.csv"
    pd.DataFrame({"sequence": text, "bound": label.astype(int)}).to_csv(table, index=False)
    task = {
        "kind": "sequences", "dataset": "lab", "objective": "binary",
        "input": {"format": "table", "file": "windows.csv", "sequence": "sequence",
                  "labels": ["bound"]},
        "split": {"method": "random", "folds": 2, "test_fraction": 0.2},
        "architectures": ["mlp"],
    }  # fmt: skip
    config = {
        "datasets": {"lab": {"files": {"windows.csv": {"sources": [str(table)]}}}},
        "tasks": {"held": task, "streamed": {**task, "training": {"memory_budget": 1}}},
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
    }
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    targets = [
        f"results/{name}/models/mlp/fold{fold}/predictions.parquet"
        for name in ("held", "streamed")
        for fold in (0, 1)
    ]
    result = snakemake(
        "--cores", "2", "--configfile", str(tmp_path / "config.yaml"),
        "--replace-workflow-config", *targets, workdir=tmp_path, mirror=None,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    for fold in (0, 1):
        log = (tmp_path / f"logs/train/streamed/mlp/fold{fold}.log").read_text()
        assert "streamed in chunks" in log
        assert "streamed" not in (tmp_path / f"logs/train/held/mlp/fold{fold}.log").read_text()
        held, streamed = (
            pd.read_parquet(tmp_path / f"results/{name}/models/mlp/fold{fold}/predictions.parquet")
            for name in ("held", "streamed")
        )
        assert len(held) > 0
        pd.testing.assert_frame_equal(streamed, held)
