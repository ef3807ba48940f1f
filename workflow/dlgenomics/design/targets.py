"""What a GAN learns and how its designs are judged, one entry per objective: the training
rows of an output it learns, those rows in words, and the best network's prediction each
designed sequence is scored by (a column of the judged table, `mean_` + it)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DesignTarget:
    rows: Callable[[np.ndarray, int, float], np.ndarray]  # (target, head, top_fraction) -> bool
    learnt: Callable[[str, float], str]  # (head name, top_fraction) -> "<count> <these>"
    score: str


def top_rows(target: np.ndarray, top_fraction: float) -> np.ndarray:
    """(n,) bool: rows whose target is among the ceil(top_fraction × n) highest of the n known
    targets (all rows tied with the last of them too)."""
    known = np.sort(target[np.isfinite(target)])[::-1]
    if not len(known):
        return np.zeros(len(target), dtype=bool)
    # 0.3 × 10 is 3.0000000000000004 in floating point: three rows, not four.
    count = max(1, math.ceil(round(top_fraction * len(known), 9)))
    cutoff = known[count - 1]
    return np.isfinite(target) & (target >= cutoff)


def _values(target: np.ndarray, head: int) -> np.ndarray:
    """Output `head`'s targets as numbers (one column, or column `head` of several)."""
    values = np.asarray(target, dtype=np.float64)
    return values.reshape(len(values)) if values.ndim == 1 else values[:, head]


# Objective name (objectives.OBJECTIVES) -> what its GAN learns.
DESIGN_TARGETS: dict[str, DesignTarget] = {
    "regression": DesignTarget(
        rows=lambda target, head, top: top_rows(_values(target, 0), top),
        learnt=lambda name, top: f"training sequences with the top {top:.0%} of target values",
        score="predicted_value",
    ),
    "binary": DesignTarget(
        rows=lambda target, head, top: np.asarray(target) == 1,
        learnt=lambda name, top: "bound training sequences",
        score="binding_probability",
    ),
    "multiclass": DesignTarget(
        # An unknown class (NaN) is no row of any class.
        rows=lambda target, head, top: np.asarray(target, dtype=np.float64) == head,
        learnt=lambda name, top: f"training sequences of class {name}",
        score="class_probability",  # the chosen class's
    ),
    "multilabel": DesignTarget(
        rows=lambda target, head, top: np.asarray(target)[:, head] == 1,
        learnt=lambda name, top: f"bound training sequences of {name}",
        score="binding_probability",
    ),
    "multiregression": DesignTarget(
        rows=lambda target, head, top: top_rows(_values(target, head), top),
        learnt=lambda name, top: f"training sequences with the top {top:.0%} of {name}'s values",
        score="predicted_value",
    ),
}
