"""How a user's file gives an objective's labels (kind `sequences`): one entry per objective.

An objective's maths is in `objectives.py`; here is only how its labels are written in a
table or FASTA: numbers, 0/1, class names, several columns, and what a reader may check
(classes listed, negatives added to positives-only inputs). Every error names the file and
line (`where(row)`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.schema import LABEL
from dlgenomics.data.tables import is_missing

Where = Callable[[int], str]
# (the user's label columns, the task's label or class names, its positive class, where) ->
# the standard columns: `target`, or `label_<name>` each.
Reader = Callable[[Sequence[pd.Series], Sequence[str], str | None, Where], dict[str, np.ndarray]]
# (targets, class names, positive class) -> rows per class.
Counter = Callable[[np.ndarray, Sequence[str], str | None], dict[str, int]]


@dataclass(frozen=True)
class LabelFormat:
    read: Reader
    class_counts: Counter | None = None  # None: no single class per row
    needs_classes: bool = False  # one column of class names; `classes` required
    label_columns: int = 1  # the fewest label columns
    partial_labels: bool = False  # a row may lack some labels (NaN: unknown, not fitted)
    takes_negatives: bool = False  # positives-only inputs may add negatives


def numbers(values: pd.Series, where: Where, what: str) -> np.ndarray:
    """Numbers of a label column; missing spellings (tables.MISSING_VALUES) are NaN and drop
    their row, counted. Infinite ones (`inf`, `1e400`) are no label: training cannot fit them."""
    parsed = pd.to_numeric(values, errors="coerce")
    bad = (parsed.isna() & ~is_missing(values)) | np.isinf(parsed)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        finite = "finite " if np.isinf(parsed.iloc[row]) else ""
        raise InputError(
            f"{where(row)}: label {values.iloc[row]!r} is not a {finite}number ({what})"
        )
    return parsed.to_numpy(np.float64)


def zero_one(values: pd.Series, where: Where) -> np.ndarray:
    parsed = numbers(values, where, "labels are 0 or 1")
    bad = ~np.isnan(parsed) & ~np.isin(parsed, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where(row)}: label {values.iloc[row]!r} is not 0 or 1")
    return parsed


def label_text(value: Any) -> str:
    """A label as compared with class names: 24.0 read from a table is the class '24'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def class_index(values: pd.Series, names: list[str], where: Where) -> np.ndarray:
    text = values.map(lambda v: None if pd.isna(v) else label_text(v))
    index = text.map({name: i for i, name in enumerate(names)})
    bad = index.isna() & ~is_missing(values)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{where(row)}: label {text.iloc[row]!r} is not one of the classes {names}"
        )
    return index.to_numpy(np.float64)


def _binary(raw: Sequence[pd.Series], names: Sequence[str], positive: str | None, where: Where):
    if positive is None:  # 0/1 labels
        return {"target": zero_one(raw[0], where)}
    classes = list(names) or [positive]
    index = class_index(raw[0], classes, where)
    is_positive = index == classes.index(positive)
    return {"target": np.where(np.isnan(index), np.nan, is_positive.astype(float))}


def _binary_counts(target: np.ndarray, names: Sequence[str], positive: str | None):
    counts = np.bincount(target.astype(np.int64), minlength=2)
    negative = "negative" if positive is None else "other than " + positive
    return {negative: int(counts[0]), positive or "positive": int(counts[1])}


def _class_counts(target: np.ndarray, names: Sequence[str], positive: str | None):
    counts = np.bincount(target.astype(np.int64), minlength=len(names))
    return dict(zip(names, (int(c) for c in counts), strict=True))


def _per_label(read_one: Callable[[pd.Series, Where], np.ndarray]) -> Reader:
    """A reader of one `label_<name>` column per label, each read by `read_one`."""

    def read(raw, names, positive, where):
        return {
            f"{LABEL}{name}": read_one(column, where)
            for name, column in zip(names, raw, strict=True)
        }

    return read


# Objective name (objectives.OBJECTIVES) -> how its labels are written.
LABEL_FORMATS: dict[str, LabelFormat] = {
    "regression": LabelFormat(
        read=lambda raw, names, positive, where: {
            "target": numbers(raw[0], where, "a regression task")
        }
    ),
    "binary": LabelFormat(read=_binary, class_counts=_binary_counts, takes_negatives=True),
    "multiclass": LabelFormat(
        read=lambda raw, names, positive, where: {
            "target": class_index(raw[0], list(names), where)
        },
        class_counts=_class_counts,
        needs_classes=True,
    ),
    "multilabel": LabelFormat(read=_per_label(zero_one), label_columns=2),
    "multiregression": LabelFormat(
        read=_per_label(
            lambda column, where: numbers(column, where, "a multi-output regression task")
        ),
        label_columns=2,
        partial_labels=True,
    ),
}
