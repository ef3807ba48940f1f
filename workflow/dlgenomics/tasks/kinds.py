"""Task kinds: how one dataset's raw files become standard tables, one per role.

A standard table has `row_id`, `target` (or, with several labels per row, one `label_<name>`
column each), optional `group` (for grouped splits) and input
columns named as in `schema` but still holding raw values: nucleotide strings in `seq_*`,
space-separated modification tokens in `mod_*`, numbers in `num_*`, labels in `cat_*`.
`encode` turns those into tensors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.schema import LABEL
from dlgenomics.data.simulate import COMPOSITE
from dlgenomics.data.tables import check_unique, read_csv, read_lines
from dlgenomics.metrics import SIRNA_THRESHOLD, is_effective
from dlgenomics.sirna.features import check_sirna_frame
from dlgenomics.sirna.rules import CORE_LENGTH
from dlgenomics.tasks.base import TaskKind, TaskTables
from dlgenomics.tasks.genome_tracks import KEYS as GENOME_TRACK_KEYS
from dlgenomics.tasks.genome_tracks import (
    SELECTION_METRICS,
    check_genome_tracks_task,
    genome_track_files,
    genomic_blocks,
    load_genome_tracks,
    track_names,
)
from dlgenomics.tasks.objectives import OBJECTIVES, Objective, Scoring
from dlgenomics.tasks.sequence_sets import (
    SEQUENCE_TASK_KEYS,
    check_sequence_task,
    load_sequences,
    load_sequences_streamed,
    sequence_files,
    sequences_metric_options,
    sequences_read_both_strands,
)


def objective_of(task: dict[str, Any]) -> Objective:
    """What the task predicts: its kind's objective, else its own `objective` setting."""
    return OBJECTIVES[TASK_KINDS[task["kind"]].objective or task["objective"]]


def scoring(task: dict[str, Any]) -> Scoring:
    """How a task is scored (objectives.Scoring): objective, metric family, selection metric
    (the task's `selection_metric`, else its kind's, else its objective's) and options."""
    kind, objective = TASK_KINDS[task["kind"]], objective_of(task)
    family = kind.metric_family or objective.metric_family
    selection = (
        task.get("selection_metric")
        or kind.selection_metric
        or kind.selection_metrics.get(objective.name)
        or objective.selection_metric
    )
    return Scoring(objective.name, family, selection, metric_options(task))


# --- siRNA competition --------------------------------------------------------------------

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
SIRNA_TARGET = "mRNA_remaining_pct"
SIRNA_TARGET_RANGE = (0.0, 1000.0)  # % of mRNA left; > 100 happens (up-regulation), < 0 cannot
_NANOMOLAR = {"pM": 1e-3, "nM": 1.0, "uM": 1e3, "µM": 1e3, "mM": 1e6}
# vocab.csv entries that are not nucleosides: 5'-phosphate, vinyl-phosphonate, the
# phosphorothioate linkage and the GalNAc conjugate.
SIRNA_NON_NUCLEOTIDE_TOKENS = frozenset({"P", "VP", "s", "L96"})


def sirna_is_effective(remaining_pct: np.ndarray) -> np.ndarray:
    """The official score's class: less than 30% of the mRNA left."""
    return is_effective(remaining_pct).astype(np.float32)


def _first_row(mask: pd.Series) -> int:
    """0-based position of the first True in `mask`."""
    return int(mask.to_numpy().nonzero()[0][0])


def _check_range(values: pd.Series, bounds: tuple[float, float], path: Path, column: str) -> None:
    """Raise naming the first row (1-based) whose value lies outside `bounds`; NaN passes."""
    low, high = bounds
    outside = values.notna() & ~values.between(low, high)
    if outside.any():
        row = _first_row(outside)
        raise InputError(
            f"{path}: column {column}, row {row + 1}: {values.iloc[row]} is outside [{low}, {high}]"
        )


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
        _check_range(raw[SIRNA_TARGET], SIRNA_TARGET_RANGE, path, SIRNA_TARGET)
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
# The guide's 19-nt duplex core is what the design rules and the target-site search read.
GUIDE_LENGTH = {"seq_antisense": (CORE_LENGTH, f"the {CORE_LENGTH}-nt duplex core")}


_SITE_OF_GUIDE = str.maketrans("ACGTU", "TGCAA")


def sirna_context_text(frame: pd.DataFrame) -> pd.Series:
    """Each row's target text where it has one, else its guide's site (the reverse complement
    of the duplex core, DNA): rows on overlapping stretches of one mRNA share it."""
    # Letters are checked later, at encode: anything else is left as it is here.
    site = frame["seq_antisense"].astype(str).str[:CORE_LENGTH].str[::-1].str.upper()
    site = site.str.translate(_SITE_OF_GUIDE)
    if "target_context" not in frame:
        return site
    target = frame["target_context"].astype("string")
    return target.where(target.fillna("").str.len() > 0, site).astype(object)


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


# --- A user's own siRNA table: columns mapped by the task's `table` config --------------------

# `table.conditions` key -> the standard column it fills.
SIRNA_TABLE_CONDITIONS = {
    "concentration_nm": "num_log10_concentration_nm",
    "duration_h": "num_duration_h",
    "cell_line": "cat_cell_line",
    "transfection_method": "cat_transfection_method",
}
# `table.label.scale` -> the range a label on that scale must lie in.
SIRNA_LABEL_SCALES = {
    "efficacy_fraction": (0.0, 1.0),  # share of the mRNA knocked down, higher is better
    "efficacy_percent": (0.0, 100.0),  # the same in percent
    "remaining_percent": SIRNA_TARGET_RANGE,  # % mRNA left, lower is better (the competition's)
}
# Letters that pad sequence columns of published tables (`table.padding`'s default).
SIRNA_PADDING = ("X", "-", ".")
# Table key -> the standard column holding its text as read (sequences are stripped).
_SIRNA_TABLE_TEXT = {
    "guide": "seq_antisense",
    "passenger": "seq_sense",
    "guide_modifications": "mod_antisense",
    "passenger_modifications": "mod_sense",
    "target": "target_context",
}


def to_remaining_percent(values: np.ndarray | pd.Series | float, scale: str) -> np.ndarray:
    """A label on `scale` -> % mRNA remaining, the `target` of every siRNA kind."""
    values = np.asarray(values, dtype=np.float64)
    if scale == "efficacy_fraction":
        remaining = 100.0 * (1.0 - values)
    elif scale == "efficacy_percent":
        remaining = 100.0 - values
    elif scale == "remaining_percent":
        remaining = values
    else:
        raise InputError(f"unknown label scale {scale!r} (known: {', '.join(SIRNA_LABEL_SCALES)})")
    # 100·(1 − 0.7) is 30.000000000000004: rounding keeps a label equal to the threshold equal
    # to it after conversion, as the user wrote them.
    return np.round(remaining, 6)


def from_remaining_percent(remaining: np.ndarray | pd.Series, scale: str) -> np.ndarray:
    """% mRNA remaining (predictions) -> the table's own label `scale`: to_remaining_percent's
    inverse, for users who read their predictions in their table's units."""
    remaining = np.asarray(remaining, dtype=np.float64)
    converted = {
        "efficacy_fraction": 1.0 - remaining / 100.0,
        "efficacy_percent": 100.0 - remaining,
        "remaining_percent": remaining,
    }
    if scale not in converted:
        raise InputError(f"unknown label scale {scale!r} (known: {', '.join(SIRNA_LABEL_SCALES)})")
    return converted[scale]


def label_scale(task: dict[str, Any]) -> str | None:
    """The scale predictions are also written in (its kind's `label_scale`)."""
    return TASK_KINDS[task["kind"]].label_scale(task)


def check_sirna_table_task(config: dict[str, Any], task: dict[str, Any], where: str) -> None:
    if "table" not in task:
        raise InputError(f"{where}.table: kind 'sirna_table' needs a `table` mapping")
    check_sirna_table_config(task["table"], f"{where}.table")


def check_sirna_table_config(table: dict[str, Any], where: str) -> None:
    """What the schema cannot say about a `table` mapping; `where` names it in errors."""
    unknown = sorted(set(table.get("conditions") or {}) - set(SIRNA_TABLE_CONDITIONS))
    if unknown:
        raise InputError(
            f"{where}.conditions: unknown condition(s) {unknown} "
            f"(known: {', '.join(SIRNA_TABLE_CONDITIONS)})"
        )
    modified = [k for k in ("guide_modifications", "passenger_modifications") if table.get(k)]
    if modified and not table.get("modification_tokens"):
        raise InputError(
            f"{where}.modification_tokens: needed with {' and '.join(modified)} "
            "(the allowed modification tokens)"
        )
    label = table["label"]
    if label["scale"] not in SIRNA_LABEL_SCALES:
        raise InputError(
            f"{where}.label.scale: unknown scale {label['scale']!r} "
            f"(known: {', '.join(SIRNA_LABEL_SCALES)})"
        )
    low, high = SIRNA_LABEL_SCALES[label["scale"]]
    effective_at = label.get("effective_at")
    if effective_at is not None and not low <= effective_at <= high:
        raise InputError(
            f"{where}.label.effective_at: {effective_at} is outside [{low}, {high}] "
            f"for scale {label['scale']}"
        )


def _text_column(raw: pd.DataFrame, column: str, path: Path, what: str) -> pd.Series:
    """A text column of the user's table, stripped; a missing or blank cell is an error."""
    values = raw[column].astype("string").str.strip()
    missing = values.isna() | (values == "")
    if missing.any():
        row = _first_row(missing)
        raise InputError(f"{path}: column {column}, row {row + 1}: missing {what}")
    return values.astype(object)


def _padded_text(raw: pd.DataFrame, column: str, path: Path, what: str, padding: str) -> pd.Series:
    """A guide or passenger column: padding letters stripped from both ends, then checked as
    `_text_column` does (a cell of padding only is missing)."""
    stripped = raw[column].astype("string").str.strip().str.strip(padding)
    return _text_column(pd.DataFrame({column: stripped}), column, path, what)


def _read_sirna_file(
    path: Path, table: dict[str, Any], id_prefix: str = ""
) -> tuple[pd.DataFrame, dict[str, str]]:
    """One CSV in the task's `table` mapping -> standard table (every row, labelled or not)
    and the user's column behind each standard column. `id_prefix` keeps a test file's row
    ids apart from the training file's."""
    label, scale = table["label"]["column"], table["label"]["scale"]
    conditions = {k: v for k, v in (table.get("conditions") or {}).items() if v}
    text = {key: table[key] for key in _SIRNA_TABLE_TEXT if table.get(key)}
    numbers = [conditions[k] for k in ("concentration_nm", "duration_h") if k in conditions]
    required = [*text.values(), *conditions.values(), label]
    required += [table[key] for key in ("id", "group") if table.get(key)]
    raw = read_csv(path, list(dict.fromkeys(required)), numeric=[label, *numbers])
    if table.get("id"):
        row_id = _text_column(raw, table["id"], path, "id")
        check_unique(row_id, path, table["id"])
    else:
        row_id = pd.Series([str(i + 1) for i in range(len(raw))], dtype=object)
    frame = pd.DataFrame({"row_id": id_prefix + row_id.astype(str)})
    if table.get("group"):
        # A row without a group is a group of its own: it can never leak into another's fold.
        group = raw[table["group"]].astype("string").str.strip()
        frame["group"] = group.fillna("row:" + row_id).astype(object)
    padding = "".join(table.get("padding") or SIRNA_PADDING)
    for key, column in text.items():
        if key == "target":  # raw text, read by feature code only: padding is an unknown base
            frame["target_context"] = (
                raw[column]
                .astype("string")
                .str.strip()
                .str.translate(str.maketrans(padding, "N" * len(padding)))
                .astype(object)
            )
        elif "modifications" in key:
            frame[_SIRNA_TABLE_TEXT[key]] = _text_column(raw, column, path, key.replace("_", " "))
        else:
            frame[_SIRNA_TABLE_TEXT[key]] = _padded_text(
                raw, column, path, f"{key} sequence", padding
            )
    _sirna_conditions(raw, conditions, path, frame)
    _check_range(raw[label], SIRNA_LABEL_SCALES[scale], path, label)
    frame["target"] = to_remaining_percent(raw[label], scale)
    names = {
        ("target_context" if key == "target" else _SIRNA_TABLE_TEXT[key]): column
        for key, column in text.items()
    }
    return frame, names


def _sirna_conditions(
    raw: pd.DataFrame, conditions: dict[str, str], path: Path, frame: pd.DataFrame
) -> None:
    """Fill `frame`'s condition columns from the user's, checking concentrations and hours."""
    if "concentration_nm" in conditions:
        column = conditions["concentration_nm"]
        bad = raw[column] <= 0
        if bad.any():
            row = _first_row(bad)
            raise InputError(
                f"{path}: column {column}, row {row + 1}: "
                f"{raw[column].iloc[row]} is not a positive concentration"
            )
        frame["num_log10_concentration_nm"] = np.log10(raw[column])
    if "duration_h" in conditions:
        _check_range(raw[conditions["duration_h"]], (0.0, np.inf), path, conditions["duration_h"])
        frame["num_duration_h"] = raw[conditions["duration_h"]]
    for key in ("cell_line", "transfection_method"):
        if key in conditions:
            frame[SIRNA_TABLE_CONDITIONS[key]] = raw[conditions[key]]


def test_set_name(file_name: str) -> str:
    """A test file's name in leaderboard columns and row ids: the file name up to its first dot."""
    return Path(file_name).name.split(".")[0]


def load_sirna_table(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    """A user's CSV of siRNAs -> the competition kind's standard table, `target` in % mRNA
    remaining, via the column names in `task["table"]`. Rows without a label are dropped;
    `table.test_files` (same columns) become the test role, their rows' ids prefixed
    `<file name>:`, each file a test set of its own."""
    table = task["table"]
    check_sirna_table_config(table, "table")
    path = files[table["file"]]
    frame, names = _read_sirna_file(path, table)
    dropped: dict[str, list[str]] = {}
    missing = frame["target"].isna()
    if missing.any():
        reason = f"{path.name}: missing {table['label']['column']}"
        dropped[reason] = frame.loc[missing, "row_id"].astype(str).tolist()
        frame = frame[~missing].reset_index(drop=True)
    if frame.empty:
        raise InputError(f"{path}: column {table['label']['column']}: no row has a label")
    frames, sources = {"labelled": frame}, {"labelled": str(path)}
    test_sets: dict[str, list[str]] = {}
    tests = [files[name] for name in table.get("test_files") or ()]
    if tests:
        parts = []
        for test_path in tests:
            name = test_set_name(test_path.name)
            part, _ = _read_sirna_file(test_path, table, f"{name}:")
            test_sets[name] = part["row_id"].tolist()
            parts.append(part)
        frames["test"] = pd.concat(parts, ignore_index=True)
        sources["test"] = ", ".join(str(p) for p in tests)
    tokens = table.get("modification_tokens")
    return TaskTables(
        frames=frames,
        modification_tokens=list(tokens) if tokens else None,
        non_nucleotide_tokens=frozenset(table.get("non_nucleotide_tokens") or ()),
        dropped_ids=dropped,
        sources=sources,
        columns=names,
        test_sets=test_sets,
    )


def metric_options(task: dict[str, Any]) -> dict[str, Any]:
    """The task's own metric settings (its kind's `metric_options`)."""
    return TASK_KINDS[task["kind"]].metric_options(task)


def sirna_table_metric_options(task: dict[str, Any]) -> dict[str, Any]:
    """`sirna_table`: the "effective" threshold in % remaining, and the competition's
    official score when the labels are on its scale."""
    label = task["table"]["label"]
    effective_at = label.get("effective_at")
    threshold = (
        SIRNA_THRESHOLD
        if effective_at is None
        else float(to_remaining_percent(effective_at, label["scale"]))
    )
    # The user's own threshold counts rows at it as effective (efficacy >= it); the default
    # is the competition's strict "< 30% remaining".
    return {
        "threshold": threshold,
        "inclusive": effective_at is not None,
        "official": label["scale"] == "remaining_percent",
    }


# --- Primer tutorial ----------------------------------------------------------------------


def load_primer(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
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
    return TaskTables(frames={"labelled": frame}, sources={"labelled": str(files["sequences.txt"])})


# --- Simulated multi-task binding (the `simulate` rule, dlgenomics.data.simulate) ----------

SIMULATED_FILE = "sequences.csv"


def binding_labels(task: dict[str, Any]) -> list[str]:
    """Labels of a simulated binding task, in head order: each factor, then the composite."""
    return [*task["simulate"]["motifs"], COMPOSITE]


def load_simulated_binding(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    path = files[SIMULATED_FILE]
    labels = [LABEL + name for name in binding_labels(task)]
    raw = read_csv(path, ["row_id", "sequence", *labels], numeric=labels)
    for column in labels:
        bad = ~raw[column].isin([0, 1])
        if bad.any():
            row = _first_row(bad)
            raise InputError(
                f"{path}: column {column}, row {row + 1}: {raw[column].iloc[row]} is not 0 or 1"
            )
    frame = pd.DataFrame({"row_id": raw["row_id"].astype(str), "seq_dna": raw["sequence"]})
    for column in labels:
        frame[column] = raw[column].astype(np.float32)
    return TaskTables(frames={"labelled": frame}, sources={"labelled": str(path)})


# --- Smoke tasks of the classic tutorial assignment: a formula and XOR, generated ----------


def _numeric_inputs(task: dict[str, Any], n_inputs: int) -> tuple[np.random.Generator, dict]:
    generate = task["generate"]
    rng = np.random.default_rng(generate["seed"])
    x = rng.uniform(-2.0, 2.0, size=(generate["rows"], n_inputs))
    return rng, {f"num_x{i + 1}": x[:, i].astype(np.float32) for i in range(n_inputs)}


def _generated_tables(inputs: dict[str, np.ndarray], target: np.ndarray) -> TaskTables:
    """Generated inputs and target -> the labelled standard table, rows numbered from 1."""
    frame = pd.DataFrame(inputs).assign(target=target.astype(np.float32))
    frame.insert(0, "row_id", [str(i + 1) for i in range(len(frame))])
    return TaskTables(frames={"labelled": frame})


def load_formula(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    """y = sin(x1)·x2 + x3² + noise, x uniform on [-2, 2]."""
    rng, inputs = _numeric_inputs(task, 3)
    x1, x2, x3 = inputs.values()
    y = np.sin(x1) * x2 + x3**2 + rng.normal(0.0, task["generate"]["noise"], len(x1))
    return _generated_tables(inputs, y)


def load_xor(files: dict[str, Path], task: dict[str, Any]) -> TaskTables:
    """Label = (x1 > 0) XOR (x2 > 0): no linear model separates it; one hidden layer does.
    Labels are flipped with probability `noise`."""
    rng, inputs = _numeric_inputs(task, 2)
    x1, x2 = inputs.values()
    label = (x1 > 0) ^ (x2 > 0)
    label ^= rng.random(len(label)) < task["generate"]["noise"]
    return _generated_tables(inputs, label)


TASK_KINDS: dict[str, TaskKind] = {
    "sirna_competition": TaskKind(
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
    ),
    "sirna_table": TaskKind(
        name="sirna_table",
        sirna_features=True,
        min_lengths=GUIDE_LENGTH,
        check_frame=check_sirna_frame,
        context_text=sirna_context_text,
        objective="regression",
        metric_family="sirna_table",
        required_files=(),
        load=load_sirna_table,
        metric_options=sirna_table_metric_options,
        config_keys=("table",),
        check_config=check_sirna_table_task,
        label_scale=lambda task: task["table"]["label"]["scale"],
        selection_metric="spearman",
        allow_n=False,
        files_from_config=lambda task: (
            task["table"]["file"],
            *(task["table"].get("test_files") or ()),
        ),
    ),
    "primer": TaskKind(
        name="primer",
        objective="binary",
        required_files=("sequences.txt", "labels.txt"),
        load=load_primer,
        # Near-separable data: AUROC and accuracy reach 1 early and then tie, so the early
        # stopping and ranking criterion is the cross-entropy (as Keras monitors val_loss).
        selection_metric="log_loss",
        allow_n=True,
        binding=True,
    ),
    "simulated_binding": TaskKind(
        name="simulated_binding",
        objective="multilabel",
        required_files=(),
        load=load_simulated_binding,
        config_keys=("simulate",),
        metric_options=lambda task: {"labels": binding_labels(task)},
        allow_n=False,
        simulated=True,
        binding=True,
    ),
    "formula": TaskKind(
        name="formula",
        has_sequences=False,
        objective="regression",
        required_files=(),
        load=load_formula,
        allow_n=False,
    ),
    "xor": TaskKind(
        name="xor",
        has_sequences=False,
        objective="binary",
        required_files=(),
        load=load_xor,
        selection_metric="accuracy",
        allow_n=False,
    ),
    # Any labelled sequence set (dlgenomics.tasks.sequence_sets): a table, FASTA, or BED + genome.
    "sequences": TaskKind(
        name="sequences",
        objective=None,
        required_files=(),
        load=load_sequences,
        both_strands=sequences_read_both_strands,
        metric_options=sequences_metric_options,
        config_keys=SEQUENCE_TASK_KEYS,
        check_config=lambda config, task, where: check_sequence_task(task, where),
        allow_n=True,
        files_from_config=sequence_files,
        load_streamed=load_sequences_streamed,
    ),
    # Genome windows labelled by many interval or bigWig tracks (dlgenomics.tasks.genome_tracks).
    "genome_tracks": TaskKind(
        name="genome_tracks",
        objective=None,  # filled in from the tracks when the config is read
        required_files=(),
        load=load_genome_tracks,
        # Off unless asked: stranded tracks (RNA-seq) exist.
        both_strands=lambda task: bool(task.get("reverse_complement", False)),
        metric_options=lambda task: {"labels": track_names(task)},
        # Its objective follows from its tracks (filled in by its check); it may read both
        # strands.
        config_keys=(*GENOME_TRACK_KEYS, "objective", "reverse_complement"),
        check_config=check_genome_tracks_task,
        allow_n=True,
        files_from_config=genome_track_files,
        selection_metrics=SELECTION_METRICS,
        resampling_groups=genomic_blocks,
    ),
}
