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
from dlgenomics.data.nucleotides import both_strands, kmer_counts
from dlgenomics.data.schema import (
    CAT,
    FEATURE,
    FOLD,
    MOD,
    NMOD,
    NUM,
    ROW_ID,
    SEQ,
    TARGET,
    TARGET_CONTEXT,
)
from dlgenomics.data.splits import fold_rows
from dlgenomics.evaluation.metrics import is_better
from dlgenomics.files import atomic_path, write_fold_predictions, write_history
from dlgenomics.models.architectures import GBMConfig, make_config
from dlgenomics.tasks.objectives import OBJECTIVES, Objective, Scoring
from dlgenomics.training.losses import clip_target, loss_threshold, row_weights

LOGGED_FEATURES = 12  # feature names shown in the log
log = logging.getLogger(__name__)
HISTORY_POINTS = 40  # rounds at which validation metrics are recorded for the learning curve
SITE_FEATURES = (FEATURE + "site_", FEATURE + "flank_")


def feature_matrix(
    columns: dict[str, np.ndarray],
    features: dict[str, np.ndarray] | None,
    groups: list[str],
    vocab: dict[str, Any],
    kmer_size: int = GBMConfig.kmer_size,
) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(rows, features) float32 matrix, feature names and which of them are categorical.

    Groups the task lacks (no modifications, conditions or features file) are left out.
    """
    parts: list[tuple[str, np.ndarray, bool]] = []  # (name, values, categorical)

    def per_position(name: str, ids: np.ndarray) -> None:
        for position in range(ids.shape[1]):
            parts.append((f"{name}_{position + 1}", ids[:, position], True))

    extra = features or {}
    if "bases" in groups:
        for name in columns:
            if name.startswith(SEQ):
                per_position(name, columns[name])
    if "kmer_counts" in groups:
        for name in columns:
            if name.startswith(SEQ) and vocab["columns"][name].get("vocab") == "nucleotide":
                counts, kmers = kmer_counts(columns[name], kmer_size, both_strands(vocab))
                parts.extend((f"{name}_{kmer}", counts[:, j], False)
                             for j, kmer in enumerate(kmers))  # fmt: skip
    if "modifications" in groups:
        for name in columns:
            if name.startswith(NMOD):
                per_position(name, columns[name])
        # Caps, linkages and conjugates sit between nucleotides: counted per strand.
        modification_vocab = vocab["tokens"].get("modification", [])
        for token in vocab["tokens"].get("modification_non_nucleotide", []):
            token_id = modification_vocab.index(token)
            for name in columns:
                if name.startswith(MOD):
                    count = (columns[name] == token_id).sum(axis=1)
                    parts.append((f"{name}_count_{token}", count, False))
    if "conditions" in groups:
        for name in columns:
            if name.startswith(NUM):
                parts.append((name, columns[name], False))
            elif name.startswith(CAT):
                parts.append((name, columns[name], True))
    for name, values in extra.items():
        if not name.startswith(FEATURE):
            continue
        group = "site" if name.startswith(SITE_FEATURES) else "design"
        if group in groups:
            parts.append((name, values, False))
    if "context" in groups and TARGET_CONTEXT in extra:
        per_position(TARGET_CONTEXT, extra[TARGET_CONTEXT])
    if not parts:
        raise InputError(f"the tabular model's feature groups {groups} give no feature here")
    matrix = np.column_stack([values.astype(np.float32) for _, values, _ in parts])
    return matrix, [p[0] for p in parts], np.array([p[2] for p in parts])


class PerOutput:
    """One estimator per output (the labels of a multi-label task, the tracks of a multi-output
    regression), each fitted on the rows whose value there is known; predicts (n, K) values or
    probabilities of each label. An output with one value in training predicts it."""

    def __init__(self, estimators: list[Any]):
        self.estimators: list[Any] = estimators
        self.constants: list[float | None] = [None] * len(estimators)

    @property
    def n_iter_(self) -> int:
        fitted = [e.n_iter_ for e, c in zip(self.estimators, self.constants, strict=True)
                  if c is None]  # fmt: skip
        return max(fitted, default=1)

    def fit(
        self,
        matrix: np.ndarray,
        target: np.ndarray,
        sample_weight: Any = None,
        X_val: Any = None,
        y_val: Any = None,
        sample_weight_val: Any = None,
    ) -> PerOutput:
        for k, estimator in enumerate(self.estimators):
            known = np.isfinite(target[:, k])
            values = np.unique(target[known, k])
            if len(values) < 2:  # scikit-learn cannot fit one value (or none)
                self.constants[k] = float(values[0]) if len(values) else 0.0
                continue
            weight = None if sample_weight is None else sample_weight[known]
            valid = {}
            if X_val is not None and np.isfinite(y_val[:, k]).any():
                seen = np.isfinite(y_val[:, k])
                valid = {
                    "X_val": X_val[seen], "y_val": y_val[seen, k],
                    "sample_weight_val": None if sample_weight_val is None
                    else sample_weight_val[seen],
                }  # fmt: skip
            estimator.fit(matrix[known], target[known, k], weight, **valid)
        return self

    def _column(self, k: int, matrix: np.ndarray, staged: bool = False) -> Any:
        estimator, constant = self.estimators[k], self.constants[k]
        if constant is not None:
            values = np.full(len(matrix), constant)
            return iter([values]) if staged else values
        if hasattr(estimator, "predict_proba"):
            if staged:
                return (p[:, 1] for p in estimator.staged_predict_proba(matrix))
            return estimator.predict_proba(matrix)[:, 1]
        return estimator.staged_predict(matrix) if staged else estimator.predict(matrix)

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        return np.column_stack([self._column(k, matrix) for k in range(len(self.estimators))])

    def staged_predict(self, matrix: np.ndarray) -> Any:
        """Predictions after each round; an output that stopped sooner keeps its last."""
        stages = [self._column(k, matrix, staged=True) for k in range(len(self.estimators))]
        last: list[Any] = [next(stage) for stage in stages]
        for _ in range(self.n_iter_):
            yield np.column_stack(last)
            last = [next(stage, previous) for stage, previous in zip(stages, last, strict=True)]

    def refitted(self, rounds: int, make: Any) -> PerOutput:
        """A copy to refit with `rounds` rounds (fewer for an output that stopped sooner)."""
        kept = [min(rounds, e.n_iter_) if c is None else 1
                for e, c in zip(self.estimators, self.constants, strict=True)]  # fmt: skip
        return PerOutput([make(r) for r in kept])


def _estimator(
    objective: Objective, config: GBMConfig, categorical: np.ndarray, rounds: int, stop: bool,
    outputs: int | None = None,
) -> Any:  # fmt: skip
    """scikit-learn's estimator; given the task's `outputs`, one per output (`PerOutput`)
    where a row has several."""
    from sklearn import ensemble

    if outputs is not None and not objective.one_prediction_per_row:
        return PerOutput([_estimator(objective, config, categorical, rounds, stop)
                          for _ in range(outputs)])  # fmt: skip
    estimator = getattr(ensemble, objective.gradient_boosting())
    return estimator(
        learning_rate=config.learning_rate,
        max_iter=rounds,
        max_leaf_nodes=config.max_leaf_nodes,
        min_samples_leaf=config.min_samples_leaf,
        l2_regularization=config.l2_regularization,
        max_features=config.max_features,
        categorical_features=categorical,
        early_stopping=stop,
        n_iter_no_change=config.n_iter_no_change,
        random_state=0,
    )


def predict_tabular(model: Any, matrix: np.ndarray, objective: str) -> np.ndarray:
    """Predictions as the objective writes them (values, the positive class's probability, or
    every class's)."""
    shown = OBJECTIVES[objective].tabular_prediction
    if hasattr(model, "predict_proba"):
        return shown(model.predict_proba(matrix))
    return model.predict(matrix)


def _staged(model: Any, matrix: np.ndarray, objective: Objective):
    if hasattr(model, "staged_predict_proba"):
        return (objective.tabular_prediction(p) for p in model.staged_predict_proba(matrix))
    return model.staged_predict(matrix)


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
    train_stages = _staged(probe, matrix[train_rows], objective)
    for round_, predicted in enumerate(_staged(probe, matrix[valid_rows], objective), start=1):
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
            rounds, lambda kept: _estimator(objective, config, categorical, kept, stop=False)
        )
    return _estimator(objective, config, categorical, rounds, stop=False)


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
    probe = _estimator(objective, config, categorical, config.max_iter, stop=True, outputs=outputs)
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
