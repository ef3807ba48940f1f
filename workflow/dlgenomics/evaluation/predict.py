"""Predicting new sequences with a trained task (`snakemake predict`).

New sequences come from the same readers as a task's own input (FASTA, a delimited table, or
BED intervals + a genome: `tasks.kinds.sequences.read_unlabelled`), are checked against what the
task's networks read (one nucleotide input, its alphabet, its length), encoded with the task's
own vocabularies and scored by the chosen models: the leaderboard's best row, the ensemble, or
a named architecture, each architecture as the mean of its fold models (as for test rows).

Length rule: a sequence shorter than the task's encoded length is padded on the right, as
training pads its own shorter rows (counted, and flagged per row); a longer one is refused,
naming its record, since cutting it would change what the model reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.schema import ROW_ID, SEQ, TARGET
from dlgenomics.evaluation.ensemble import ENSEMBLE, Combination
from dlgenomics.evaluation.inference import encode_rows, predict_member
from dlgenomics.tasks.kinds.sequences import LINE, SequenceInput, read_unlabelled
from dlgenomics.tasks.objectives import Scoring


def _values_or_probabilities(prediction: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """`prediction` (one value per row), or a `p_<label>` probability per label or class."""
    if prediction.ndim == 1:
        return {"prediction": prediction}
    names = labels or [str(k) for k in range(prediction.shape[1])]
    return {f"p_{name}": prediction[:, k] for k, name in enumerate(names)}


def _with_predicted_class(prediction: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """One probability per class, and the most probable class named."""
    columns = _values_or_probabilities(prediction, labels)
    names = [name.removeprefix("p_") for name in columns]
    return {**columns, "predicted_class": np.asarray(names)[prediction.argmax(axis=1)]}


def _per_track(prediction: np.ndarray, labels: list[str]) -> dict[str, Any]:
    """A `prediction_<track>` value per track."""
    names = labels or [str(k) for k in range(prediction.shape[1])]
    return {f"prediction_{name}": prediction[:, k] for k, name in enumerate(names)}


# Objective name -> (predictions, labels) -> the columns a user's predictions table holds.
PREDICTION_COLUMNS = {
    "regression": _values_or_probabilities,
    "binary": _values_or_probabilities,
    "multiclass": _with_predicted_class,
    "multilabel": _values_or_probabilities,
    "multiregression": _per_track,
}

BEST = "best"  # the `model` choice that follows the leaderboard's first row
PADDED = "padded"  # per-row flag: the sequence was shorter than the task's length


@dataclass(frozen=True)
class ModelChoice:
    """What scores the new rows: architectures (each the mean of its folds), combined by the
    ensemble's weights when `ensemble` is set, else the single architecture's own."""

    architectures: list[str]
    ensemble: Combination | None

    @property
    def label(self) -> str:
        if self.ensemble is not None:
            return f"{ENSEMBLE} of {', '.join(sorted(self.ensemble.weights))}"
        return self.architectures[0]


def choose_models(
    choice: str,
    members: dict[str, list[Path]],
    leaderboard_csv: Path | None,
    ensemble: Combination | None,
    where: str,
) -> ModelChoice:
    """`best`, `ensemble` or an architecture name -> the models that score the rows."""
    if choice == BEST:
        if leaderboard_csv is None:
            raise InputError(f"{where}: model `best` needs the task's leaderboard")
        choice = str(pd.read_csv(leaderboard_csv)["architecture"].iloc[0])
    if choice == ENSEMBLE:
        if ensemble is None:
            raise InputError(f"{where}: the task has no ensemble; name an architecture")
        return ModelChoice(list(ensemble.weights), ensemble)
    if choice not in members:
        known = ", ".join(sorted(members))
        raise InputError(f"{where}: model {choice!r} is not a trained architecture ({known})")
    return ModelChoice([choice], None)


def sequence_column(vocab: dict[str, Any], task: str) -> tuple[str, int]:
    """The task's one nucleotide input and its encoded length."""
    columns = [c for c in vocab["columns"] if c.startswith(SEQ)]
    if len(columns) != 1:
        raise InputError(
            f"task {task!r} reads {len(columns)} nucleotide inputs ({', '.join(columns)}); "
            "predict scores one sequence per row (siRNA duplexes: use cross_evaluation or screen)"
        )
    return columns[0], int(vocab["columns"][columns[0]]["length"])


def prediction_frame(
    sequences: pd.DataFrame, vocab: dict[str, Any], task: str, where: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows read from the user's file (`read_unlabelled`) -> a
    standard table in the task's columns, and which rows were padded."""
    column, length = sequence_column(vocab, task)
    lengths = sequences["sequence"].str.len().to_numpy()
    if (lengths > length).any():
        row = int(np.flatnonzero(lengths > length)[0])
        raise InputError(
            f"{where}: line {sequences[LINE].iloc[row]}: record "
            f"{sequences[ROW_ID].iloc[row]} has {lengths[row]} letters; task {task!r} reads "
            f"at most {length} (cut or split the sequence first)"
        )
    frame = pd.DataFrame({ROW_ID: sequences[ROW_ID].to_numpy(), column: sequences["sequence"]})
    frame[TARGET] = np.nan
    return frame, lengths < length


def _as_column(values: np.ndarray) -> list | np.ndarray:
    return list(values) if values.ndim == 2 else values


def predict_new(
    frame: pd.DataFrame,
    members: dict[str, list[Path]],
    chosen: ModelChoice,
    vocab: dict[str, Any],
    where: str,
) -> np.ndarray:
    """(n,) or (n, K) predictions of the chosen models for a standard table."""
    columns, _ = encode_rows(frame, vocab, None, where)
    scores = pd.DataFrame({ROW_ID: columns[ROW_ID]})
    for name in chosen.architectures:
        scores[name] = _as_column(predict_member(members[name], columns, None, vocab))
    if chosen.ensemble is not None:
        return chosen.ensemble.apply(scores)
    from dlgenomics.files import column_values

    return column_values(scores[chosen.architectures[0]])


def predictions_table(
    ids: np.ndarray,
    prediction: np.ndarray,
    padded: np.ndarray,
    scoring: Scoring,
    chosen: ModelChoice,
) -> pd.DataFrame:
    """One row per input: its id, the prediction in the task's units (regression), the
    positive class's probability (binary) or one probability per class or label, and the
    models that made it."""
    table = pd.DataFrame({"id": ids})
    columns = PREDICTION_COLUMNS[scoring.objective_name](prediction, scoring.labels)
    for name, values in columns.items():
        table[name] = values
    table[PADDED] = padded
    table["model"] = chosen.label
    return table


def predict_sequences(
    source: SequenceInput,
    files: dict[str, Path],
    *,
    task: str,
    choice: str,
    scoring: Scoring,
    members: dict[str, list[Path]],
    vocab: dict[str, Any],
    leaderboard: Path | None,
    ensemble: Combination | None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """A `predict` job: the user's sequences scored by the chosen models of `task` ->
    (predictions table, the raw (n,) or (n, K) predictions)."""
    where = str(files[source.file])
    sequences = read_unlabelled(source, files)
    frame, padded = prediction_frame(sequences, vocab, task, where)
    chosen = choose_models(choice, members, leaderboard, ensemble, f"predict on {where}")
    prediction = predict_new(frame, members, chosen, vocab, where)
    table = predictions_table(frame[ROW_ID].to_numpy(), prediction, padded, scoring, chosen)
    return table, prediction
