"""Kind `sirna_table`: a user's own CSV of siRNAs, its columns mapped by the task's `table`
config, labels on any of the scales in `SIRNA_LABEL_SCALES`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.tables import check_range, check_unique, first_row, read_csv
from dlgenomics.metrics import SIRNA_THRESHOLD
from dlgenomics.sirna.features import check_sirna_frame
from dlgenomics.tasks.base import TaskKind, TaskTables
from dlgenomics.tasks.sirna_tables import (
    GUIDE_LENGTH,
    SIRNA_LABEL_SCALES,
    sirna_context_text,
    to_remaining_percent,
)

# `table.conditions` key -> the standard column it fills.
SIRNA_TABLE_CONDITIONS = {
    "concentration_nm": "num_log10_concentration_nm",
    "duration_h": "num_duration_h",
    "cell_line": "cat_cell_line",
    "transfection_method": "cat_transfection_method",
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
        row = first_row(missing)
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
    check_range(raw[label], SIRNA_LABEL_SCALES[scale], path, label)
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
            row = first_row(bad)
            raise InputError(
                f"{path}: column {column}, row {row + 1}: "
                f"{raw[column].iloc[row]} is not a positive concentration"
            )
        frame["num_log10_concentration_nm"] = np.log10(raw[column])
    if "duration_h" in conditions:
        check_range(raw[conditions["duration_h"]], (0.0, np.inf), path, conditions["duration_h"])
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


KIND = TaskKind(
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
)
