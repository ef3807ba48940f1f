"""Ensembles of architectures: a weighted mean of their predictions, fitted on out-of-fold
predictions, then (regression) an affine calibration fitted on the task's own metric.

Weights are non-negative and sum to one, fitted by least squares (regression values, or
probabilities for classification: the Brier score), or equal (`EnsembleSettings.weights`);
`top` keeps only the members best on the task's selection metric over the rows being fitted.
Fifteen least-squares weights fitted on four genes' worth of rows are noisy: on the siRNA
gene folds, equal weights over the three best members predict unseen genes better.

A least-squares average pulls predictions towards the mean, which a metric with a threshold
punishes — the siRNA official score's F1 and range-MAE only count rows predicted below 30%
remaining — so a regression ensemble's output is then `a + b * mean`, with (a, b) maximising the
task's selection metric (kept at (0, 1) unless that is beaten; never for a metric an affine map
leaves unchanged, `metrics.SCALE_FREE`). When the metric calls rows effective below a threshold
(`metrics.DECISION_THRESHOLDS`), a `cut` on the members' mean then decides which rows are called
effective: their value is kept just below the threshold, every other row's at or above it. The
affine map alone must trade the error of every value against where rows fall; the cut decides
the F1 half on its own.

The ensemble's own out-of-fold figure is cross-fitted — each validation fold is predicted with
weights and calibration fitted on the other folds only — so it is as honest as the members'
figures; a single hold-out fold is cut into CROSS_FIT_PARTS random parts for this. Test
predictions use the fit on every out-of-fold row.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.files import column_values, write_json
from dlgenomics.metrics import DECISION_THRESHOLDS, SCALE_FREE
from dlgenomics.tasks.objectives import Scoring

CROSS_FIT_PARTS = 5
CUT_CANDIDATES = 97  # quantiles of the members' mean tried as the cut (2%, 3%, ..., 98%)
ENSEMBLE = "ensemble"  # its name in leaderboards; no architecture may take it
Metric = Callable[[np.ndarray, np.ndarray], float]  # (target, prediction) -> higher is better


@dataclass(frozen=True)
class EnsembleSettings:
    """How a task's ensemble is fitted (the task's `ensemble` mapping; config/README.md)."""

    weights: str = "least_squares"  # or "equal"
    top: int | None = None  # keep the `top` members best on the selection metric; None: all


@dataclass(frozen=True)
class Combination:
    """How members' predictions become the ensemble's: offset + slope * (predictions @ w),
    then, with a `cut`, rows whose weighted mean is below it called effective at `threshold`."""

    weights: dict[str, float]
    offset: float = 0.0
    slope: float = 1.0
    cut: float | None = None
    threshold: float | None = None

    def mean(self, predictions: pd.DataFrame) -> np.ndarray:
        """(n,) weighted mean, or (n, K) when members predict K probabilities per row."""
        stacked = member_array(predictions, list(self.weights))  # (n, members, K)
        mean = np.einsum("nmk,m->nk", stacked, np.array(list(self.weights.values())))
        return mean[:, 0] if mean.shape[1] == 1 else mean

    def apply(self, predictions: pd.DataFrame) -> np.ndarray:
        mean = self.mean(predictions)
        value = self.offset + self.slope * mean
        if self.cut is None or self.threshold is None:
            return value
        return called_at(value, mean < self.cut, self.threshold)


def called_at(value: np.ndarray, effective: np.ndarray, threshold: float) -> np.ndarray:
    """Values moved across `threshold` where needed: rows called effective just below it,
    the others at or above it (a metric's `prediction < threshold` then reads the call)."""
    below = np.nextafter(threshold, -np.inf)
    return np.where(effective, np.minimum(value, below), np.maximum(value, threshold))


def member_array(predictions: pd.DataFrame, members: list[str]) -> np.ndarray:
    """Members' prediction columns -> (n, members, K): K = 1 for one value per row."""
    if predictions.empty:  # no test rows (pure cross-validation): K cannot be read, nor matters
        return np.empty((0, len(members), 1))
    columns = [column_values(predictions[m]).reshape(len(predictions), -1) for m in members]
    return np.stack(columns, axis=1).astype(np.float64)


def _as_column(values: np.ndarray) -> list | np.ndarray:
    """(n, K) rows as a DataFrame column of arrays (as evaluation files hold them); (n,) as is."""
    return list(values) if values.ndim == 2 else values


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


def fit_calibration(
    prediction: np.ndarray, target: np.ndarray, metric: Metric
) -> tuple[float, float]:
    """(a, b) maximising metric(target, a + b * prediction); (0, 1) unless that is beaten.

    The metric is piecewise flat, so a coarse grid over stretch around the mean prediction and
    shift (in target standard deviations) comes first, then Nelder–Mead from its best point."""
    from scipy.optimize import minimize

    center, spread = float(np.mean(prediction)), float(np.std(target)) or 1.0

    def affine(params: np.ndarray) -> tuple[float, float]:
        stretch, shift = params
        return center * (1 - stretch) + shift * spread, stretch

    def negative(params: np.ndarray) -> float:
        offset, slope = affine(params)
        return -metric(target, offset + slope * prediction)

    grid = [np.array([b, c]) for b in np.linspace(0.5, 3.0, 26) for c in np.linspace(-1, 1, 21)]
    start = min(grid, key=negative)
    simplex = start + np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.05]])
    options = {"initial_simplex": simplex, "xatol": 1e-4, "fatol": 1e-7}
    result = minimize(negative, start, method="Nelder-Mead", options=options)
    if -result.fun <= metric(target, prediction):
        return 0.0, 1.0
    offset, slope = affine(result.x)
    return float(offset), float(slope)


def fit_cut(
    mean: np.ndarray, value: np.ndarray, target: np.ndarray, metric: Metric, threshold: float
) -> float | None:
    """The cut on the members' mean below which rows are called effective (at `threshold`),
    maximising the metric over quantiles of the mean; None unless it beats the values' own
    calls."""
    candidates = np.unique(np.quantile(mean, np.linspace(0.02, 0.98, CUT_CANDIDATES)))
    scores = [metric(target, called_at(value, mean < cut, threshold)) for cut in candidates]
    best = int(np.argmax(scores))
    return float(candidates[best]) if scores[best] > metric(target, value) else None


def best_members(
    predictions: pd.DataFrame, target: np.ndarray, scoring: Scoring, top: int | None
) -> list[str]:
    """The `top` members best on the task's selection metric over these rows (all: None)."""
    members = list(predictions.columns)
    if top is None or top >= len(members):
        return members
    sign = 1.0 if scoring.higher_is_better else -1.0

    def merit(member: str) -> float:
        stacked = member_array(predictions, [member])[:, 0, :]  # (n, K)
        value = sign * scoring.selection_value(
            target, stacked[:, 0] if stacked.shape[1] == 1 else stacked
        )
        return -np.inf if np.isnan(value) else value

    return sorted(members, key=merit, reverse=True)[:top]


def fit_combination(
    predictions: pd.DataFrame,
    target: np.ndarray,
    scoring: Scoring,
    settings: EnsembleSettings = EnsembleSettings(),
) -> Combination:
    """Weights on the chosen members of `predictions` (least squares against the objective's
    target: values, or one-hot classes; or equal), then the calibration where the objective
    wants one: affine, and a cut where the metric decides at a threshold."""
    members = best_members(predictions, target, scoring, settings.top)
    if settings.weights == "equal":
        weights = np.full(len(members), 1.0 / len(members))
    else:
        stacked = member_array(predictions, members)  # (n, members, K)
        fitted_to = scoring.objective.ensemble_target(target, stacked.shape[2]).reshape(-1)
        known = np.isfinite(fitted_to)  # a track's unknown values (multiregression) weigh nothing
        weights = fit_weights(
            stacked.transpose(0, 2, 1).reshape(-1, len(members))[known], fitted_to[known]
        )
    combination = Combination(dict(zip(members, weights.tolist(), strict=True)))
    if not scoring.objective.calibrated_ensemble or scoring.selection in SCALE_FREE:
        return combination
    sign = 1.0 if scoring.higher_is_better else -1.0

    def metric(truth: np.ndarray, prediction: np.ndarray) -> float:  # higher is better
        return sign * scoring.selection_value(truth, prediction)

    mean = combination.mean(predictions)
    offset, slope = fit_calibration(mean, target, metric)
    threshold = DECISION_THRESHOLDS.get(scoring.selection)
    cut = (
        None
        if threshold is None
        else fit_cut(mean, offset + slope * mean, target, metric, threshold)
    )
    if cut is None:
        return Combination(combination.weights, offset, slope)
    # The affine map again, now that the cut makes the calls: it only has the values to fit.
    effective = mean < cut

    def metric_with_calls(truth: np.ndarray, value: np.ndarray) -> float:
        return metric(truth, called_at(value, effective, threshold))

    offset, slope = fit_calibration(mean, target, metric_with_calls)
    return Combination(combination.weights, offset, slope, cut, threshold)


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
    prediction_paths: dict[str, Path],
    scoring: Scoring,
    settings: EnsembleSettings = EnsembleSettings(),
    seed: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """(out-of-fold rows, test rows, fit) of the ensemble of the members' evaluation
    predictions (`evaluate` outputs: roles oof and test); regression ensembles are calibrated
    on the task's selection metric."""
    if len(prediction_paths) < 2:
        raise InputError("an ensemble needs at least two members")
    members = list(prediction_paths)
    oof = _member_table(prediction_paths, "oof")
    test = _member_table(prediction_paths, "test")
    target = column_values(oof["target"]).astype(np.float64)
    groups = cross_fit_groups(oof["fold"].to_numpy(), seed)
    cross_fitted: np.ndarray | None = None
    per_group = {}
    for group in np.unique(groups):
        held_out = groups == group
        fitted = fit_combination(oof.loc[~held_out, members], target[~held_out], scoring, settings)
        predicted = fitted.apply(oof.loc[held_out, members])
        if cross_fitted is None:
            cross_fitted = np.empty((len(oof), *predicted.shape[1:]))
        cross_fitted[held_out] = predicted
        per_group[int(group)] = asdict(fitted)
    final = fit_combination(oof[members], target, scoring, settings)
    oof_rows = pd.DataFrame(
        {
            "row_id": oof.index,
            "fold": oof["fold"].to_numpy(),
            "prediction": _as_column(cross_fitted),
            "target": oof["target"].to_numpy(),
        }
    )
    test_rows = pd.DataFrame(
        {
            "row_id": test.index,
            "fold": -1,
            "prediction": _as_column(final.apply(test[members])),
            "target": test["target"].to_numpy(),
        }
    )
    fit = {
        "members": members,
        "settings": asdict(settings),
        **asdict(final),
        "cross_fitted": per_group,
        "cross_fit_groups": "validation folds"
        if len(np.unique(oof["fold"])) > 1
        else (f"{CROSS_FIT_PARTS} random parts of the hold-out (seed {seed})"),
    }
    return oof_rows, test_rows, fit


def write_combination(fit: dict[str, Any], path: Path) -> None:
    write_json(path, fit)


def read_combination(path: Path) -> Combination:
    fit = json.loads(Path(path).read_text())
    return Combination(
        fit["weights"], fit["offset"], fit["slope"], fit.get("cut"), fit.get("threshold")
    )
