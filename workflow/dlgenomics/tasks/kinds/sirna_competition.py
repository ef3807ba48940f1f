"""Kind `sirna_competition`: the 2024 siRNA drug-efficacy competition's files as they come
(train_data.csv, sample_submission.csv, vocab.csv), scored by its official score."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.tables import check_range, check_unique, read_csv
from dlgenomics.metrics import is_effective
from dlgenomics.sirna.features import check_sirna_frame
from dlgenomics.tasks.base import TaskKind, TaskTables
from dlgenomics.tasks.sirna_tables import (
    GUIDE_LENGTH,
    SIRNA_TARGET,
    SIRNA_TARGET_RANGE,
    sirna_context_text,
)

SIRNA_COLUMNS = (
    "id",
    "publication_id",
    "gene_target_symbol_name",
    "gene_target_ncbi_id",
    "gene_target_species",
    "siRNA_duplex_id",
    "siRNA_sense_seq",
    "siRNA_antisense_seq",
    "cell_line_donor",
    "siRNA_concentration",
    "concentration_unit",
    "Transfection_method",
    "Duration_after_transfection_h",
    "modified_siRNA_sense_seq",
    "modified_siRNA_antisense_seq",
    "modified_siRNA_sense_seq_list",
    "modified_siRNA_antisense_seq_list",
    "gene_target_seq",
    "mRNA_remaining_pct",
)


_NANOMOLAR = {"pM": 1e-3, "nM": 1.0, "uM": 1e3, "µM": 1e3, "mM": 1e6}


# vocab.csv entries that are not nucleosides: 5'-phosphate, vinyl-phosphonate, the
# phosphorothioate linkage and the GalNAc conjugate.
SIRNA_NON_NUCLEOTIDE_TOKENS = frozenset({"P", "VP", "s", "L96"})


def sirna_is_effective(remaining_pct: np.ndarray) -> np.ndarray:
    """The official score's class: less than 30% of the mRNA left."""
    return is_effective(remaining_pct).astype(np.float32)


def _sirna_table(path: Path, labelled: bool) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """The competition's table as a standard one, and the ids of rows dropped, by reason."""
    raw = read_csv(
        path,
        SIRNA_COLUMNS,
        numeric=("siRNA_concentration", "Duration_after_transfection_h", SIRNA_TARGET),
    )
    check_unique(raw["id"], path, "id")
    dropped: dict[str, list[str]] = {}
    if labelled:
        # Checked before rows are dropped, so the row named is the file's own.
        check_range(raw[SIRNA_TARGET], SIRNA_TARGET_RANGE, path, SIRNA_TARGET)
        missing = raw[SIRNA_TARGET].isna()
        if missing.any():
            dropped[f"{path.name}: missing {SIRNA_TARGET}"] = (
                raw.loc[missing, "id"].astype(str).tolist()
            )
            raw = raw[~missing].reset_index(drop=True)
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
            "target_context": raw["gene_target_seq"],  # raw text: no encoder prefix, kept as is
            "target": raw[SIRNA_TARGET] if labelled else np.nan,
        }
    )
    return frame, dropped


# The competition's own column behind each standard column, for errors a user can act on.
COMPETITION_COLUMNS = {
    "seq_sense": "siRNA_sense_seq",
    "seq_antisense": "siRNA_antisense_seq",
    "mod_sense": "modified_siRNA_sense_seq_list",
    "mod_antisense": "modified_siRNA_antisense_seq_list",
    "target_context": "gene_target_seq",
}


def load_sirna_competition(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    train, dropped = _sirna_table(files["train_data.csv"], labelled=True)
    test, _ = _sirna_table(files["sample_submission.csv"], labelled=False)
    vocab_table = read_csv(files["vocab.csv"], ["Abbreviation"])
    return TaskTables(
        frames={"train": train, "test": test},
        modification_tokens=vocab_table["Abbreviation"].astype(str).tolist(),
        non_nucleotide_tokens=SIRNA_NON_NUCLEOTIDE_TOKENS,
        dropped_ids=dropped,
        sources={
            "train": str(files["train_data.csv"]),
            "test": str(files["sample_submission.csv"]),
        },
        columns=COMPETITION_COLUMNS,
    )


KIND = TaskKind(
    name="sirna_competition",
    sirna_features=True,
    min_lengths=GUIDE_LENGTH,
    check_frame=check_sirna_frame,
    context_text=sirna_context_text,
    objective="regression",
    metric_family="sirna",
    required_files=("train_data.csv", "sample_submission.csv", "vocab.csv"),
    submission_sample="sample_submission.csv",
    load=load_sirna_competition,
    selection_metric="score",
    allow_n=False,
    auxiliary_label=sirna_is_effective,
)
