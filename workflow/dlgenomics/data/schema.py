"""The encoded tensor schema: one Parquet file per task and role, plus vocab.json beside them.

Columns (every model reads only these):
  row_id           string   the source table's row id (competition `id`, primer line number)
  seq_<input>      int16[L] nucleotide ids per position (tokens.nucleotide_vocab)
  kmer_<input>     int16[L] k-mer ids (tokens.kmer_vocab), when the task asks for k-mers
  mod_<strand>     int16[L] chemical-modification ids, one per token of the strand's
                            modification list, in order (5'/3' caps and linkages included)
  nmod_<strand>    int16[L] the modification of each nucleotide of seq_<strand>, aligned with
                            it position by position (caps and linkages left out); UNK where
                            the list has fewer nucleotides than the sequence
  num_<condition>  float32  numeric condition (NaN when missing)
  cat_<condition>  int16    category code (0 = missing or not seen in training)
  target           float32  label (NaN where unknown, e.g. the competition test set);
                   float32[K] with K labels per row (multi-label tasks, names in vocab.json)
  fold             int16    validation fold of the row; -1 = never validated (and all test rows)

`[L]` is a fixed-size list; L is the same in every role and recorded in vocab.json.

siRNA tasks also get a features file per role (results/<task>/features/<role>.parquet, same
rows in the same order, `features.py`), read by the tabular model and, on request, networks:
  row_id           string   as above
  feat_<name>      float32  hand-made feature: design rules, thermodynamics, target site
  seq_target       int16[L] the guide's target site with its flanks on the mRNA, nucleotide
                            ids (UNK where the transcript ends, is missing or has no site)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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


def is_token_column(name: str) -> bool:
    return name.startswith(TOKEN_PREFIXES)


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
        pq.write_table(table, tmp, compression="zstd")


def read_tensors(
    path: Path, required: tuple[str, ...] = (ROW_ID, TARGET, FOLD)
) -> dict[str, np.ndarray]:
    """Read an encoded (or features) Parquet file into numpy arrays (token columns as (n, L))."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InputError(
            f"{path}: not a readable Parquet file ({error}); delete it and rerun the same "
            "snakemake command: the step that writes it runs again"
        ) from None
    out: dict[str, np.ndarray] = {}
    for name in table.column_names:
        column = table.column(name).combine_chunks()
        if pa.types.is_fixed_size_list(column.type):
            out[name] = column.flatten().to_numpy().reshape(len(column), column.type.list_size)
        else:
            out[name] = column.to_numpy(zero_copy_only=False)
    missing = set(required) - set(out)
    if missing:
        raise InputError(
            f"{path}: missing column(s) {sorted(missing)}; delete it and rerun the same "
            "snakemake command: the step that writes it runs again"
        )
    return out


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
