"""The tabular model: gradient boosting (scikit-learn's HistGradientBoosting) on per-position
bases and modifications, experimental conditions and the hand-made siRNA features — the
approach most public solutions of the siRNA competition took.

It trains on exactly the rows, folds and targets the networks train on (the encoded tensors),
writes the same prediction and history files, so evaluation, ensembles and leaderboards treat
it like any other architecture. Boosting stops early on the validation fold's loss, and the
kept number of rounds is the one with the best selection metric, as networks keep their best
epoch.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from dlgenomics import InputError
from dlgenomics.data.schema import (
    FOLD,
    ROW_ID,
    TARGET,
)
from dlgenomics.data.splits import fold_rows
from dlgenomics.files import atomic_path, write_fold_predictions, write_history
from dlgenomics.metrics import is_better
from dlgenomics.models.architectures import make_config
from dlgenomics.models.gbm import (
    GBMConfig,
    PerOutput,
    feature_matrix,
    gbm_estimator,
    predict_tabular,
    staged_predictions,
)
from dlgenomics.tasks.losses import clip_target, loss_threshold, row_weights
from dlgenomics.tasks.objectives import Objective, Scoring

LOGGED_FEATURES = 12  # feature names shown in the log
log = logging.getLogger(__name__)
HISTORY_POINTS = 40  # rounds at which validation metrics are recorded for the learning curve


def _squared_error(objective: Objective, predicted: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error of values, or Brier score of probabilities (one-hot classes)."""
    predicted = predicted.reshape(len(predicted), -1)
    # nanmean: an unknown value of one output (multi-output regression) adds nothing.
    truth = objective.ensemble_target(target, predicted.shape[1])
    return float(np.nanmean((predicted - truth) ** 2))


def _best_round(
    probe: Any, matrix: np.ndarray, rows: tuple[np.ndarray, np.ndarray], targets: np.ndarray,
    fitted: np.ndarray, scoring: Scoring, config: GBMConfig, started: float,
) -> tuple[int, dict[str, Any], list[dict[str, Any]]]:  # fmt: skip
    """(best round, its validation metrics, history) of a fitted probe, scored every few
    rounds (HISTORY_POINTS in all) as a network is scored every epoch."""
    train_rows, valid_rows = rows
    objective, metric = scoring.objective, scoring.selection
    rounds_fitted = probe.n_iter_
    every = max(1, rounds_fitted // HISTORY_POINTS)
    history: list[dict[str, Any]] = []
    best_round, best_metrics = 0, None
    train_stages = staged_predictions(probe, matrix[train_rows], objective)
    for round_, predicted in enumerate(
        staged_predictions(probe, matrix[valid_rows], objective), start=1
    ):
        train_predicted = next(train_stages)
        if round_ % every and round_ != rounds_fitted:
            continue
        metrics = scoring.metrics(targets[valid_rows], predicted)
        history.append({
            "epoch": round_,
            "train_loss": _squared_error(objective, train_predicted, fitted[train_rows]),
            **{f"valid_{k}": v for k, v in metrics.items()},
            "learning_rate": config.learning_rate,
            "seconds": time.perf_counter() - started,
        })  # fmt: skip
        best = None if best_metrics is None else best_metrics[metric]
        if is_better(metric, metrics[metric], best):
            best_round, best_metrics = round_, metrics
    assert best_metrics is not None
    return best_round, best_metrics, history


def _matrices(
    config: GBMConfig, vocab: dict[str, Any], train: tuple[dict, dict | None],
    test: tuple[dict, dict | None], train_rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:  # fmt: skip
    """(training matrix, test matrix, feature names, which are categorical) of the
    (columns, features) of each table."""
    matrix, names, categorical = feature_matrix(*train, config.features, vocab, config.kmer_size)
    test_matrix, _, _ = feature_matrix(*test, config.features, vocab, config.kmer_size)
    # A feature never known in training (e.g. flank GC without any target sequence) carries
    # nothing, and scikit-learn cannot bin it: a constant instead, never split on.
    unknown = np.isnan(matrix[train_rows]).all(axis=0)
    matrix[:, unknown], test_matrix[:, unknown] = 0.0, 0.0
    return matrix, test_matrix, names, categorical


def _refitted(
    probe: Any, rounds: int, objective: Objective, config: GBMConfig, categorical: np.ndarray
) -> Any:
    """A model to refit with the kept number of rounds (per output: at most its own)."""
    if isinstance(probe, PerOutput):
        return probe.refitted(
            rounds, lambda kept: gbm_estimator(objective, config, categorical, kept, stop=False)
        )
    return gbm_estimator(objective, config, categorical, rounds, stop=False)


def train_tabular_fold(
    *,
    scoring: Scoring,
    arch: str,
    model_params: dict[str, Any],
    settings: dict[str, Any],
    train_columns: dict[str, np.ndarray],
    test_columns: dict[str, np.ndarray],
    train_features: dict[str, np.ndarray] | None,
    test_features: dict[str, np.ndarray] | None,
    vocab: dict[str, Any],
    fold: int,
    out_model: Path,
    out_history: Path,
    out_predictions: Path,
) -> dict[str, Any]:
    """Fit one fold; write the model (joblib), per-round history and predictions.

    `settings` are the task's training settings: `loss` (mse or threshold_weighted),
    `target_clip` and `threads` apply here.
    """
    config = make_config("gbm", model_params, f"architectures.{arch}")
    objective = scoring.objective
    loss = settings.get("loss", "mse")
    if loss not in ("mse", "threshold_weighted"):
        raise InputError(f"architectures.{arch}: the tabular model has no {loss!r} loss")
    fold_of_row = train_columns[FOLD]
    train_rows, valid_rows = fold_rows(fold_of_row, fold)
    matrix, test_matrix, names, categorical = _matrices(
        config, vocab, (train_columns, train_features), (test_columns, test_features), train_rows
    )
    targets = train_columns[TARGET]
    fitted = clip_target(targets, settings.get("target_clip"))
    weights = row_weights(loss, targets, loss_threshold(scoring.family, scoring.options))
    weight = (lambda rows: None) if weights is None else (lambda rows: weights[rows])
    # k-mer counts alone are 136-2,080 names: show the first few.
    shown = ", ".join(names[:LOGGED_FEATURES]) + (", ..." if len(names) > LOGGED_FEATURES else "")
    log.info("%d features (%d categorical): %s", len(names), categorical.sum(), shown)

    started = time.perf_counter()
    outputs = scoring.objective.n_outputs(scoring.labels)
    probe = gbm_estimator(
        objective, config, categorical, config.max_iter, stop=True, outputs=outputs
    )
    probe.fit(
        matrix[train_rows], fitted[train_rows], weight(train_rows),
        X_val=matrix[valid_rows], y_val=fitted[valid_rows], sample_weight_val=weight(valid_rows),
    )  # fmt: skip
    best_round, best_metrics, history = _best_round(
        probe, matrix, (train_rows, valid_rows), targets, fitted, scoring, config, started
    )
    # Refit with the kept number of rounds: the same seed draws the same features per split, so
    # these are the probe's first `best_round` trees, and the saved model is the one evaluated.
    model = _refitted(probe, best_round, objective, config, categorical)
    model.fit(matrix[train_rows], fitted[train_rows], weight(train_rows))
    with atomic_path(out_model) as tmp:
        joblib.dump(
            {"model": model, "arch": arch, "params": asdict(config), "feature_names": names,
             "fold": fold, "rounds": best_round, "objective": objective.name},
            tmp,
        )  # fmt: skip
    write_history(history, out_history)
    roles = {
        "valid": (
            train_columns[ROW_ID][valid_rows],
            predict_tabular(model, matrix[valid_rows], objective.name),
            targets[valid_rows],
        )
    }
    if len(test_matrix):  # none under pure cross-validation: scikit-learn refuses 0 rows
        roles["test"] = (
            test_columns[ROW_ID],
            predict_tabular(model, test_matrix, objective.name),
            test_columns[TARGET],
        )
    write_fold_predictions(out_predictions, fold, **roles)
    return {
        "fold": fold, "best_epoch": best_round, "epochs_run": probe.n_iter_,
        "features": len(names), **best_metrics,
    }  # fmt: skip
