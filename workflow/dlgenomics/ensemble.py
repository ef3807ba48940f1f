"""Ensembles of architectures: a weighted mean of their predictions, weights fitted on
out-of-fold predictions.

Weights are non-negative and sum to one, fitted by least squares (regression values, or
probabilities for classification: the Brier score). The ensemble's own out-of-fold figure is
cross-fitted — each validation fold is predicted with weights fitted on the other folds only
— so it is as honest as the members' figures; with a single hold-out fold, its rows are cut
into CROSS_FIT_PARTS parts for this. Test predictions use weights fitted on every
out-of-fold row.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.files import atomic_path

CROSS_FIT_PARTS = 5
ENSEMBLE = "ensemble"  # its name in leaderboards; no architecture may take it


def fit_weights(predictions: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Non-negative weights summing to 1 minimising the squared error of predictions @ w."""
    from scipy.optimize import minimize

    n_members = predictions.shape[1]
    scale = float(np.std(target)) or 1.0  # well-conditioned objective whatever the units

    def loss(weights: np.ndarray) -> float:
        return float(np.mean(((predictions @ weights - target) / scale) ** 2))

    def gradient(weights: np.ndarray) -> np.ndarray:
        residual = (predictions @ weights - target) / scale
        return 2 * predictions.T @ residual / scale / len(target)

    result = minimize(
        loss,
        np.full(n_members, 1.0 / n_members),
        jac=gradient,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n_members,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0}],
    )
    weights = np.clip(result.x, 0.0, None)
    return weights / weights.sum()


def _member_table(prediction_paths: dict[str, Path], role: str) -> pd.DataFrame:
    """Rows of `role` with one prediction column per member, aligned by row id."""
    table: pd.DataFrame | None = None
    for name, path in prediction_paths.items():
        frame = pd.read_parquet(path)
        frame = frame[frame["role"] == role].set_index("row_id")
        if table is None:
            table = frame[["fold", "target"]].copy()
        elif not frame.index.equals(table.index):
            raise InputError(f"{path}: its {role} rows differ from the other members'")
        table[name] = frame["prediction"]
    assert table is not None
    return table


def cross_fit_groups(folds: np.ndarray, seed: int) -> np.ndarray:
    """Groups for cross-fitting: the validation folds, or random parts of a single fold."""
    if len(np.unique(folds)) > 1:
        return folds
    order = np.random.default_rng(seed).permutation(len(folds))
    groups = np.empty(len(folds), dtype=np.int64)
    groups[order] = np.arange(len(folds)) % CROSS_FIT_PARTS
    return groups


def build_ensemble(
    prediction_paths: dict[str, Path], seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(out-of-fold rows, test rows, weights) of the ensemble of the given members'
    evaluation predictions (`evaluate` outputs: roles oof and test)."""
    if len(prediction_paths) < 2:
        raise InputError("an ensemble needs at least two members")
    members = list(prediction_paths)
    oof = _member_table(prediction_paths, "oof")
    test = _member_table(prediction_paths, "test")
    matrix, target = oof[members].to_numpy(np.float64), oof["target"].to_numpy(np.float64)
    groups = cross_fit_groups(oof["fold"].to_numpy(), seed)
    cross_fitted = np.empty(len(oof))
    per_group = {}
    for group in np.unique(groups):
        held_out = groups == group
        weights = fit_weights(matrix[~held_out], target[~held_out])
        cross_fitted[held_out] = matrix[held_out] @ weights
        per_group[int(group)] = dict(zip(members, weights.round(4).tolist(), strict=True))
    final = fit_weights(matrix, target)
    oof_rows = pd.DataFrame(
        {"row_id": oof.index, "fold": oof["fold"].to_numpy(), "prediction": cross_fitted,
         "target": target}
    )  # fmt: skip
    test_rows = pd.DataFrame(
        {"row_id": test.index, "fold": -1,
         "prediction": test[members].to_numpy(np.float64) @ final,
         "target": test["target"].to_numpy()}
    )  # fmt: skip
    weights = {
        "members": members,
        "weights": dict(zip(members, final.tolist(), strict=True)),
        "cross_fit_weights": per_group,
        "cross_fit_groups": "validation folds" if len(np.unique(oof["fold"])) > 1 else (
            f"{CROSS_FIT_PARTS} random parts of the hold-out (seed {seed})"
        ),
    }  # fmt: skip
    return oof_rows, test_rows, weights


def write_weights(weights: dict[str, Any], path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(weights, indent=1) + "\n")


def read_weights(path: Path) -> dict[str, float]:
    return json.loads(Path(path).read_text())["weights"]
