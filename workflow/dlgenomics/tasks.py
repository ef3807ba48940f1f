"""Task kinds: how one dataset's raw files become standard tables, one per role.

A standard table has `row_id`, `target`, optional `group` (for grouped splits) and input
columns named as in `schema` but still holding raw values: nucleotide strings in `seq_*`,
space-separated modification tokens in `mod_*`, numbers in `num_*`, labels in `cat_*`.
`encode` turns those into tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.tables import check_unique, read_csv, read_lines


@dataclass
class TaskTables:
    frames: dict[str, pd.DataFrame]  # role -> standard table
    modification_tokens: list[str] | None = None
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> rows dropped


@dataclass(frozen=True)
class TaskKind:
    name: str
    task_type: str  # "regression" | "binary"
    required_files: tuple[str, ...]
    load: Callable[[dict[str, Path]], TaskTables]
    has_test_table: bool  # else the test rows are carved from the labelled ones
    selection_metric: str  # validation metric used for early stopping and model choice
    allow_n: bool  # whether N (unknown base) is accepted in sequences


# --- siRNA competition --------------------------------------------------------------------

SIRNA_COLUMNS = (
    "id", "publication_id", "gene_target_symbol_name", "gene_target_ncbi_id",
    "gene_target_species", "siRNA_duplex_id", "siRNA_sense_seq", "siRNA_antisense_seq",
    "cell_line_donor", "siRNA_concentration", "concentration_unit", "Transfection_method",
    "Duration_after_transfection_h", "modified_siRNA_sense_seq", "modified_siRNA_antisense_seq",
    "modified_siRNA_sense_seq_list", "modified_siRNA_antisense_seq_list", "gene_target_seq",
    "mRNA_remaining_pct",
)  # fmt: skip
SIRNA_TARGET = "mRNA_remaining_pct"
SIRNA_TARGET_RANGE = (0.0, 1000.0)  # % of mRNA left; > 100 happens (up-regulation), < 0 cannot
_NANOMOLAR = {"pM": 1e-3, "nM": 1.0, "uM": 1e3, "µM": 1e3, "mM": 1e6}


def _sirna_table(path: Path, labelled: bool) -> tuple[pd.DataFrame, dict[str, int]]:
    raw = read_csv(
        path,
        SIRNA_COLUMNS,
        numeric=("siRNA_concentration", "Duration_after_transfection_h", SIRNA_TARGET),
    )
    check_unique(raw["id"], path, "id")
    dropped: dict[str, int] = {}
    if labelled:
        missing = raw[SIRNA_TARGET].isna()
        if missing.any():
            dropped[f"{path.name}: missing {SIRNA_TARGET}"] = int(missing.sum())
            raw = raw[~missing].reset_index(drop=True)
        low, high = SIRNA_TARGET_RANGE
        outside = ~raw[SIRNA_TARGET].between(low, high)
        if outside.any():
            row = int(outside.to_numpy().nonzero()[0][0])
            raise InputError(
                f"{path}: column {SIRNA_TARGET}, row {row + 1}: "
                f"{raw[SIRNA_TARGET].iloc[row]} is outside [{low}, {high}]"
            )
    unit = raw["concentration_unit"].map(_NANOMOLAR)
    if unit.isna().any():
        row = int(unit.isna().to_numpy().nonzero()[0][0])
        raise InputError(
            f"{path}: column concentration_unit, row {row + 1}: unknown unit "
            f"{raw['concentration_unit'].iloc[row]!r} (known: {', '.join(_NANOMOLAR)})"
        )
    concentration_nm = raw["siRNA_concentration"] * unit
    if (concentration_nm <= 0).any():
        row = int((concentration_nm <= 0).to_numpy().nonzero()[0][0])
        raise InputError(
            f"{path}: column siRNA_concentration, row {row + 1}: "
            f"{raw['siRNA_concentration'].iloc[row]} is not a positive concentration"
        )
    # Genes define the honest split; rows without one are grouped by publication instead so
    # they still never straddle train and validation within a source.
    group = raw["gene_target_symbol_name"].fillna("publication:" + raw["publication_id"])
    frame = pd.DataFrame(
        {
            "row_id": raw["id"].astype(str),
            "group": group,
            "seq_sense": raw["siRNA_sense_seq"],
            "seq_antisense": raw["siRNA_antisense_seq"],
            "mod_sense": raw["modified_siRNA_sense_seq_list"],
            "mod_antisense": raw["modified_siRNA_antisense_seq_list"],
            "num_log10_concentration_nm": np.log10(concentration_nm),
            "num_duration_h": raw["Duration_after_transfection_h"],
            "cat_cell_line": raw["cell_line_donor"],
            "cat_transfection_method": raw["Transfection_method"],
            "target": raw[SIRNA_TARGET] if labelled else np.nan,
        }
    )
    return frame, dropped


def load_sirna_competition(files: dict[str, Path]) -> TaskTables:
    train, dropped = _sirna_table(files["train_data.csv"], labelled=True)
    test, _ = _sirna_table(files["sample_submission.csv"], labelled=False)
    vocab_table = read_csv(files["vocab.csv"], ["Abbreviation"])
    return TaskTables(
        frames={"train": train, "test": test},
        modification_tokens=vocab_table["Abbreviation"].astype(str).tolist(),
        dropped=dropped,
    )


# --- Primer tutorial ----------------------------------------------------------------------


def load_primer(files: dict[str, Path]) -> TaskTables:
    sequences = read_lines(files["sequences.txt"])
    labels = read_lines(files["labels.txt"])
    if len(sequences) != len(labels):
        raise InputError(
            f"{files['labels.txt']}: {len(labels)} labels for {len(sequences)} sequences "
            f"in {files['sequences.txt']}"
        )
    bad = [i for i, label in enumerate(labels) if label not in ("0", "1")]
    if bad:
        raise InputError(
            f"{files['labels.txt']}: row {bad[0] + 1}: label {labels[bad[0]]!r} is not 0 or 1"
        )
    frame = pd.DataFrame(
        {
            "row_id": [str(i + 1) for i in range(len(sequences))],
            "seq_dna": sequences,
            "target": np.array(labels, dtype=np.float32),
        }
    )
    return TaskTables(frames={"labelled": frame})


TASK_KINDS: dict[str, TaskKind] = {
    "sirna_competition": TaskKind(
        name="sirna_competition",
        task_type="regression",
        required_files=("train_data.csv", "sample_submission.csv", "vocab.csv"),
        load=load_sirna_competition,
        has_test_table=True,
        selection_metric="score",
        allow_n=False,
    ),
    "primer": TaskKind(
        name="primer",
        task_type="binary",
        required_files=("sequences.txt", "labels.txt"),
        load=load_primer,
        has_test_table=False,
        selection_metric="auroc",
        allow_n=True,
    ),
}
