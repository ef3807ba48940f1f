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
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.metrics import SIRNA_THRESHOLD
from dlgenomics.tables import check_unique, read_csv, read_lines


@dataclass
class TaskTables:
    frames: dict[str, pd.DataFrame]  # role -> standard table
    modification_tokens: list[str] | None = None
    # Modification tokens that sit between or beside nucleotides rather than on one (caps,
    # linkages, conjugates): skipped when modifications are aligned to nucleotides.
    non_nucleotide_tokens: frozenset[str] = frozenset()
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> rows dropped


@dataclass(frozen=True)
class TaskKind:
    name: str
    task_type: str  # "regression" | "binary": the loss and the output transform
    metric_family: str  # key of metrics.METRIC_FAMILIES: what is reported
    required_files: tuple[str, ...]  # empty: the kind generates its data (`generate` config)
    load: Callable[[dict[str, Path], dict[str, Any]], TaskTables]  # (files, generate settings)
    has_test_table: bool  # else the test rows are carved from the labelled ones
    selection_metric: str  # validation metric used for early stopping and model choice
    allow_n: bool  # whether N (unknown base) is accepted in sequences
    # Labels of the auxiliary classification head of multi-task models (None: no such head).
    auxiliary_label: Callable[[np.ndarray], np.ndarray] | None = None


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
# vocab.csv entries that are not nucleosides: 5'-phosphate, vinyl-phosphonate, the
# phosphorothioate linkage and the GalNAc conjugate.
SIRNA_NON_NUCLEOTIDE_TOKENS = frozenset({"P", "VP", "s", "L96"})


def sirna_is_effective(remaining_pct: np.ndarray) -> np.ndarray:
    """The official score's class: less than 30% of the mRNA left."""
    return (np.asarray(remaining_pct) < SIRNA_THRESHOLD).astype(np.float32)


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


def load_sirna_competition(files: dict[str, Path], generate: dict[str, Any]) -> TaskTables:
    train, dropped = _sirna_table(files["train_data.csv"], labelled=True)
    test, _ = _sirna_table(files["sample_submission.csv"], labelled=False)
    vocab_table = read_csv(files["vocab.csv"], ["Abbreviation"])
    return TaskTables(
        frames={"train": train, "test": test},
        modification_tokens=vocab_table["Abbreviation"].astype(str).tolist(),
        non_nucleotide_tokens=SIRNA_NON_NUCLEOTIDE_TOKENS,
        dropped=dropped,
    )


# --- Primer tutorial ----------------------------------------------------------------------


def load_primer(files: dict[str, Path], generate: dict[str, Any]) -> TaskTables:
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


# --- Smoke tasks of the classic tutorial assignment: a formula and XOR, generated ----------


def _numeric_inputs(generate: dict[str, Any], n_inputs: int) -> tuple[np.random.Generator, dict]:
    rng = np.random.default_rng(generate["seed"])
    x = rng.uniform(-2.0, 2.0, size=(generate["rows"], n_inputs))
    return rng, {f"num_x{i + 1}": x[:, i].astype(np.float32) for i in range(n_inputs)}


def _generated_tables(inputs: dict[str, np.ndarray], target: np.ndarray) -> TaskTables:
    """Generated inputs and target -> the labelled standard table, rows numbered from 1."""
    frame = pd.DataFrame(inputs).assign(target=target.astype(np.float32))
    frame.insert(0, "row_id", [str(i + 1) for i in range(len(frame))])
    return TaskTables(frames={"labelled": frame})


def load_formula(files: dict[str, Path], generate: dict[str, Any]) -> TaskTables:
    """y = sin(x1)·x2 + x3² + noise, x uniform on [-2, 2]."""
    rng, inputs = _numeric_inputs(generate, 3)
    x1, x2, x3 = inputs.values()
    y = np.sin(x1) * x2 + x3**2 + rng.normal(0.0, generate["noise"], len(x1))
    return _generated_tables(inputs, y)


def load_xor(files: dict[str, Path], generate: dict[str, Any]) -> TaskTables:
    """Label = (x1 > 0) XOR (x2 > 0): no linear model separates it; one hidden layer does.
    Labels are flipped with probability `noise`."""
    rng, inputs = _numeric_inputs(generate, 2)
    x1, x2 = inputs.values()
    label = (x1 > 0) ^ (x2 > 0)
    label ^= rng.random(len(label)) < generate["noise"]
    return _generated_tables(inputs, label)


TASK_KINDS: dict[str, TaskKind] = {
    "sirna_competition": TaskKind(
        name="sirna_competition",
        task_type="regression",
        metric_family="sirna",
        required_files=("train_data.csv", "sample_submission.csv", "vocab.csv"),
        load=load_sirna_competition,
        has_test_table=True,
        selection_metric="score",
        allow_n=False,
        auxiliary_label=sirna_is_effective,
    ),
    "primer": TaskKind(
        name="primer",
        task_type="binary",
        metric_family="binary",
        required_files=("sequences.txt", "labels.txt"),
        load=load_primer,
        has_test_table=False,
        selection_metric="auroc",
        allow_n=True,
    ),
    "formula": TaskKind(
        name="formula",
        task_type="regression",
        metric_family="regression",
        required_files=(),
        load=load_formula,
        has_test_table=False,
        selection_metric="rmse",
        allow_n=False,
    ),
    "xor": TaskKind(
        name="xor",
        task_type="binary",
        metric_family="binary",
        required_files=(),
        load=load_xor,
        has_test_table=False,
        selection_metric="accuracy",
        allow_n=False,
    ),
}
