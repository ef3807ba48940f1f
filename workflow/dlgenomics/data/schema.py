"""The encoded tensor schema: one Parquet file per task and role, plus vocab.json beside them.

Columns (every model reads only these):
  row_id           string   the source table's row id (competition `id`, primer line number)
  seq_<input>      uint8[L] nucleotide ids per position (tokens.nucleotide_vocab)
  kmer_<input>     int16[L] k-mer ids (tokens.kmer_vocab), when the task asks for k-mers
                            (uint8 for k = 1 to 3: every token column is stored at one byte
                            where its vocabulary has at most 255 ids, `token_dtype`)
  mod_<strand>     uint8[L] chemical-modification ids, one per token of the strand's
                            modification list, in order (5'/3' caps and linkages included)
  nmod_<strand>    uint8[L] the modification of each nucleotide of seq_<strand>, aligned with
                            it position by position (caps and linkages left out); UNK where
                            the list has fewer nucleotides than the sequence
  num_<condition>  float32  numeric condition (NaN when missing)
  cat_<condition>  int16    category code (0 = missing or not seen in training)
  target           float32  label (NaN where unknown, e.g. the competition test set);
                   float32[K] with K labels per row (multi-label tasks, names in vocab.json)
  fold             int16    validation fold of the row; -1 = never validated (and all test rows)

`[L]` is a fixed-size list; L is the same in every role and recorded in vocab.json. Files
are written in row groups of ROW_GROUP_ROWS rows: training reads a table too large for its
memory budget one group at a time (`read_row_groups`), never a Python object per token.

siRNA tasks also get a features file per role (results/<task>/features/<role>.parquet, same
rows in the same order, `features.py`), read by the tabular model and, on request, networks:
  row_id           string   as above
  feat_<name>      float32  hand-made feature: design rules, thermodynamics, target site
  seq_target       int16[L] the guide's target site with its flanks on the mRNA, nucleotide
                            ids (UNK where the transcript ends, is missing or has no site)
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from dlgenomics import InputError
from dlgenomics.files import atomic_path, write_json

ROW_ID, TARGET, FOLD = "row_id", "target", "fold"
SEQ, KMER, MOD, NMOD, NUM, CAT = "seq_", "kmer_", "mod_", "nmod_", "num_", "cat_"
FEATURE = "feat_"
LABEL = "label_"  # standard tables only: one column per label, stacked into `target` (n, K)
TARGET_CONTEXT = SEQ + "target"  # in the features file, not the encoded tensors
TOKEN_PREFIXES = (SEQ, KMER, MOD, NMOD)
NEVER_VALIDATED = -1
ROLES = ("train", "test")
VOCAB_FILE = "vocab.json"
ROW_GROUP_ROWS = 65_536  # rows per Parquet row group: 64 MiB of 1-kb windows at one byte each
ONE_BYTE_IDS = 255  # a vocabulary of at most this many ids is stored as uint8
ROW_ID_BYTES = 64  # a row id held in memory (a Python string and its pointer), for estimates


def is_token_column(name: str) -> bool:
    return name.startswith(TOKEN_PREFIXES)


def token_dtype(vocab_size: int) -> np.dtype:
    """The stored type of a token column: one byte where the vocabulary allows, else two."""
    return np.dtype(np.uint8 if vocab_size <= ONE_BYTE_IDS else np.int16)


def _to_arrow(name: str, values: np.ndarray) -> pa.Array:
    if values.ndim == 2:
        return pa.FixedSizeListArray.from_arrays(pa.array(values.reshape(-1)), values.shape[1])
    if name == ROW_ID:
        return pa.array(values.astype(str), type=pa.string())
    return pa.array(values)


def write_tensors(columns: Mapping[str, np.ndarray], path: Path) -> None:
    """Write encoded columns as Parquet, atomically; identical input gives identical bytes."""
    table = pa.table({name: _to_arrow(name, values) for name, values in columns.items()})
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP_ROWS)


class TensorWriter:
    """write_tensors for a table that arrives in pieces (a streamed encode): rows buffered and
    written a row group of ROW_GROUP_ROWS rows at a time (`tensor_writer`)."""

    def __init__(self, path: Path):
        self.path = path
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []

    def write(self, columns: Mapping[str, np.ndarray]) -> None:
        table = pa.table({name: _to_arrow(name, values) for name, values in columns.items()})
        self._pending.append(table)
        self.rows += len(table)
        if sum(len(t) for t in self._pending) >= ROW_GROUP_ROWS:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        table = pa.concat_tables(self._pending)
        whole = len(table) if final else len(table) // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression="zstd")
        self._writer.write_table(table.slice(0, whole), row_group_size=ROW_GROUP_ROWS)
        self._pending = [table.slice(whole)] if whole < len(table) else []

    def close(self, complete: bool) -> None:
        if complete and self._pending:
            self._flush(final=True)
        if self._writer is not None:
            self._writer.close()


@contextlib.contextmanager
def tensor_writer(path: Path) -> Iterator[TensorWriter]:
    """A TensorWriter onto `path`, atomically: the file appears whole when the block ends
    (a role without rows: nothing written, `rows` says 0), never half-written."""
    with atomic_path(path) as tmp:
        writer = TensorWriter(tmp)
        try:
            yield writer
        except BaseException:
            writer.close(complete=False)
            raise
        writer.close(complete=True)


def read_tensors(
    path: Path,
    required: tuple[str, ...] = (ROW_ID, TARGET, FOLD),
    columns: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """Read an encoded (or features) Parquet file into numpy arrays (token columns as (n, L));
    only `columns` where given (a genome-scale table's targets without its tokens)."""
    try:
        parquet = pq.ParquetFile(path)
        out = _read_groups(parquet, list(range(parquet.num_row_groups)), columns)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(
            f"{path}: not a readable Parquet file ({error}); delete it and rerun the same "
            "snakemake command: the step that writes it runs again"
        ) from None
    missing = set(required) - set(out)
    if missing:
        raise InputError(
            f"{path}: missing column(s) {sorted(missing)}; delete it and rerun the same "
            "snakemake command: the step that writes it runs again"
        )
    return out


def _read_groups(
    parquet: pq.ParquetFile, groups: list[int], columns: tuple[str, ...] | None
) -> dict[str, np.ndarray]:
    """Columns of the given row groups, copied a group at a time into arrays of their own: the
    table is held once, as numpy (writable: torch shares it), never also as Arrow buffers."""
    wanted = None if columns is None else list(columns)
    if not groups:  # a table without rows: its columns, empty
        return _to_numpy(parquet.read(columns=wanted))
    sizes = [parquet.metadata.row_group(g).num_rows for g in groups]
    out: dict[str, np.ndarray] = {}
    first = 0
    for group, size in zip(groups, sizes, strict=True):
        for name, values in _to_numpy(parquet.read_row_group(group, columns=wanted)).items():
            if name not in out:
                out[name] = np.empty((sum(sizes), *values.shape[1:]), dtype=values.dtype)
            out[name][first : first + size] = values
        first += size
        pa.default_memory_pool().release_unused()  # the group's Arrow buffers, given back
    return out


def _to_numpy(table: pa.Table) -> dict[str, np.ndarray]:
    """Arrow columns -> numpy arrays (token columns as (n, L), without a Python object each)."""
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        if pa.types.is_fixed_size_list(column.type):
            out[name] = column.flatten().to_numpy().reshape(len(column), column.type.list_size)
        else:
            out[name] = column.to_numpy(zero_copy_only=False)
    return out


@dataclass(frozen=True)
class TensorFile:
    """An encoded Parquet file read by row groups: its rows, each group's first row, and what
    a row holds in memory (the estimate a memory budget is checked against)."""

    path: Path
    group_starts: tuple[int, ...]  # first row of each row group, then the row count
    row_bytes: int
    columns: tuple[str, ...]
    token_columns: tuple[str, ...]

    @classmethod
    def open(cls, path: Path) -> TensorFile:
        try:
            meta = pq.ParquetFile(path).metadata
        except (pa.ArrowInvalid, OSError) as error:
            raise InputError(
                f"{path}: not a readable Parquet file ({error}); delete it and rerun the same "
                "snakemake command: the step that writes it runs again"
            ) from None
        sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
        schema = meta.schema.to_arrow_schema()
        return cls(
            path=Path(path),
            group_starts=tuple(int(x) for x in np.concatenate([[0], np.cumsum(sizes)])),
            row_bytes=sum(_value_bytes(field.type) for field in schema),
            columns=tuple(schema.names),
            token_columns=tuple(n for n in schema.names if is_token_column(n)),
        )

    @property
    def rows(self) -> int:
        return self.group_starts[-1]

    @property
    def groups(self) -> int:
        return len(self.group_starts) - 1

    def read_row_groups(
        self, groups: list[int], columns: tuple[str, ...] | None = None
    ) -> dict[str, np.ndarray]:
        """Columns (all by default) of the given row groups, in the order given."""
        return _read_groups(pq.ParquetFile(self.path), groups, columns)

    def read_columns(self, columns: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Whole columns (those small enough to hold: targets, folds, conditions, ids)."""
        return self.read_row_groups(list(range(self.groups)), columns)


def _value_bytes(kind: pa.DataType) -> int:
    """Bytes one row's value of an Arrow type holds once read into numpy."""
    if pa.types.is_fixed_size_list(kind):
        return kind.list_size * _value_bytes(kind.value_type)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return ROW_ID_BYTES
    return max(1, kind.bit_width // 8)


def write_vocab(vocab: Mapping[str, Any], path: Path) -> None:
    write_json(path, vocab, sort_keys=True)


def read_vocab(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text())


def vocab_metric_options(vocab: Mapping[str, Any]) -> dict[str, Any]:
    """The task's metric settings (tasks.metric_options), recorded by encode beside the target
    they describe; absent (no settings) for most task kinds."""
    return dict(vocab.get("metric_options", {}))


@dataclass(frozen=True)
class InputLayout:
    """What a model needs to know about its inputs, derived from vocab.json."""

    token_vocab_sizes: dict[str, int]  # column -> vocabulary size
    token_vocab_names: dict[str, str]  # column -> vocabulary name (columns may share one)
    token_lengths: dict[str, int]  # column -> fixed length L
    numeric: tuple[str, ...]
    categorical: dict[str, int]  # column -> number of codes (0 included)

    @classmethod
    def from_vocab(cls, vocab: Mapping[str, Any]) -> InputLayout:
        columns = vocab["columns"]
        tokens = {c: s for c, s in columns.items() if is_token_column(c)}
        return cls(
            token_vocab_sizes={c: len(vocab["tokens"][s["vocab"]]) for c, s in tokens.items()},
            token_vocab_names={c: s["vocab"] for c, s in tokens.items()},
            token_lengths={c: s["length"] for c, s in tokens.items()},
            numeric=tuple(c for c in columns if c.startswith(NUM)),
            categorical={
                c: len(vocab["categories"][s["vocab"]])
                for c, s in columns.items()
                if c.startswith(CAT)
            },
        )

    def select(
        self, inputs: list[str] | None, prefixes: tuple[str, ...], required: bool = True
    ) -> list[str]:
        """Token columns a model reads: those named in `inputs`, else every one with a prefix.
        With `required`, a task without any such column is an error."""
        if inputs is None:
            chosen = [c for c in self.token_vocab_sizes if c.startswith(prefixes)]
            if required and not chosen:
                raise InputError(
                    f"this architecture reads {'/'.join(p + '*' for p in prefixes)} columns "
                    "and the task has none (a task of numbers only takes `mlp`)"
                )
            return chosen
        unknown = [c for c in inputs if c not in self.token_vocab_sizes]
        if unknown:
            raise InputError(
                f"model inputs {unknown} are not encoded token columns "
                f"(available: {', '.join(self.token_vocab_sizes)})"
            )
        return list(inputs)
