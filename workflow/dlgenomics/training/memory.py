"""A training job's memory held to `training.memory_budget`.

A job whose tables fit the budget (estimated: bytes per row x rows x IN_MEMORY_FACTOR, plus
BASE_BYTES) holds them whole, on the device, as it always has. One that does not holds only
the small columns (targets, folds, conditions, row ids) and reads the token columns one chunk
of Parquet row groups at a time: each epoch visits the row groups in a random order, a chunk
at a time, and the training rows of a chunk in a random order (`epoch_chunks`). On a table
of one row group that is exactly the in-memory order, the same draws of the same generator,
so a streamed run and an in-memory run of a small table train and predict identically.
Validation and test predictions are made a row group at a time (`streamed_predictions`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlgenomics import InputError
from dlgenomics.data.schema import ROW_GROUP_ROWS, TensorFile, read_tensors, read_vocab
from dlgenomics.models.checkpoint import predict
from dlgenomics.sirna.features import read_with_target_context

log = logging.getLogger(__name__)
# Peak memory of the in-memory loop per byte of table (the arrays, shared by their CPU
# tensors; a row group's read buffers; a batch's activations): measured 2.1-2.6 at 1M x 1 kb
# (bench/scale.py), 3 leaves room.
IN_MEMORY_FACTOR = 3
BASE_BYTES = 2**29  # torch, the model and the job's other imports (measured: about 0.45 GiB)
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
_BUDGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)


def budget_bytes(budget: int | str | None) -> int | None:
    """`training.memory_budget` in bytes: an integer, or a number with K, M, G or T (powers
    of 1024: "4G", "512M", "1.5GiB"); None: no budget (every table held whole)."""
    if budget is None or isinstance(budget, int):
        return budget
    match = _BUDGET.match(str(budget))
    if match is None:
        raise InputError(
            f"training.memory_budget: {budget!r} is not a size (bytes, or e.g. 4G, 512M)"
        )
    return int(float(match[1]) * _UNITS[match[2].upper()])


@dataclass(frozen=True)
class Stream:
    """The tables a streamed job reads its token columns from, a chunk of row groups at a time."""

    train: TensorFile
    test: TensorFile
    groups_per_chunk: int


def read_fold_inputs(
    tables: tuple[Path, Path],
    vocab_path: Path,
    budget: int | str | None,
    features: tuple[Path, Path, Path] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Stream | None, dict[str, Any]]:
    """A training job's (training columns, test columns, stream, vocabulary): the encoded
    (train, test) tables, streamed where they exceed the budget; with `features` (the siRNA
    features of train and test, and their spec), held whole with the target context joined,
    for networks that read it."""
    vocab = read_vocab(vocab_path)
    if features is None:
        return (*load_fold_tables(*tables, budget), vocab)
    train, test, merged = read_with_target_context(tables, features[:2], features[2], vocab)
    return train, test, None, merged


def load_fold_tables(
    train_path: Path, test_path: Path, budget: int | str | None
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], Stream | None]:
    """(training columns, test columns, stream): both tables whole and no stream when they fit
    the budget; else every column but the token columns, and the stream that reads those."""
    limit = budget_bytes(budget)
    train, test = TensorFile.open(train_path), TensorFile.open(test_path)
    needed = (train.rows + test.rows) * train.row_bytes * IN_MEMORY_FACTOR + BASE_BYTES
    if limit is None or needed <= limit:
        return read_tensors(train_path), read_tensors(test_path), None
    # A chunk takes half the budget: the rest holds the small columns, torch and the model.
    group_bytes = ROW_GROUP_ROWS * train.row_bytes * IN_MEMORY_FACTOR
    stream = Stream(train, test, groups_per_chunk=max(1, limit // 2 // group_bytes))
    log.info(
        "the tables need about %.2f GiB in memory, over training.memory_budget (%.2f GiB): "
        "streamed in chunks of %d row groups of %d rows",
        needed / 2**30,
        limit / 2**30,
        stream.groups_per_chunk,
        ROW_GROUP_ROWS,
    )
    return _small_columns(train), _small_columns(test), stream


def _small_columns(table: TensorFile) -> dict[str, np.ndarray]:
    return table.read_columns(tuple(c for c in table.columns if c not in table.token_columns))


def _group_rows(table: TensorFile, groups: list[int]) -> np.ndarray:
    """Row numbers of the given row groups, in that order."""
    starts = table.group_starts
    return np.concatenate([np.arange(starts[g], starts[g + 1]) for g in groups])


def _chunk_columns(
    table: TensorFile, groups: list[int], small: dict[str, torch.Tensor], device: torch.device
) -> tuple[dict[str, torch.Tensor], np.ndarray]:
    """Every column of the given row groups on the device (tokens read from the file, the rest
    taken from `small`), and the groups' row numbers."""
    rows = _group_rows(table, groups)
    tokens = table.read_row_groups(groups, table.token_columns)  # writable arrays of their own
    columns = {name: torch.from_numpy(values).to(device) for name, values in tokens.items()}
    index = torch.from_numpy(rows).to(device)
    columns.update({name: values[index] for name, values in small.items()})
    return columns, rows


def epoch_chunks(
    data: dict[str, torch.Tensor],
    train_index: torch.Tensor,
    is_train: np.ndarray,
    stream: Stream | None,
    generator: torch.Generator,
) -> Iterator[tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]]:
    """One epoch's training rows, a chunk at a time: (the chunk's columns, its training rows
    in a random order as indices into those columns, the same rows' numbers in the table)."""
    device = train_index.device
    if stream is None:  # the whole table is one chunk, already on the device
        order = train_index[torch.randperm(len(train_index), device=device, generator=generator)]
        yield data, order, order
        return
    groups = list(range(stream.train.groups))
    if stream.train.groups > stream.groups_per_chunk:  # a table of one chunk keeps its order
        groups = torch.randperm(len(groups), device=device, generator=generator).tolist()
    for first in range(0, len(groups), stream.groups_per_chunk):
        chunk = sorted(groups[first : first + stream.groups_per_chunk])
        columns, rows = _chunk_columns(stream.train, chunk, data, device)
        local = torch.from_numpy(np.flatnonzero(is_train[rows])).to(device)
        order = local[torch.randperm(len(local), device=device, generator=generator)]
        yield columns, order, torch.from_numpy(rows).to(device)[order]


def streamed_predictions(
    network: Any,
    meta: dict[str, Any],
    table: TensorFile,
    small: dict[str, torch.Tensor],
    rows: np.ndarray | None,
    device: torch.device,
) -> np.ndarray:
    """Predictions of a table's `rows` (sorted; all rows: None), a row group at a time."""
    outputs = []
    for group in range(table.groups):
        columns, numbers = _chunk_columns(table, [group], small, device)
        if rows is not None:
            wanted = np.flatnonzero(np.isin(numbers, rows, assume_unique=True))
            index = torch.from_numpy(wanted).to(device)
            columns = {name: values[index] for name, values in columns.items()}
        outputs.append(predict(network, meta, columns))
    # No row group at all (an empty table): the objective's empty predictions.
    return np.concatenate(outputs) if outputs else predict(network, meta, small)
