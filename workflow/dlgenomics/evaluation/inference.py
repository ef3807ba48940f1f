"""Scoring new rows with a task's trained models: other datasets (cross-dataset evaluation) and
designed candidates (virtual screening).

New rows arrive as a standard table (tasks.py), are encoded with the *training* task's
vocabularies, get the same siRNA features, and are predicted by every fold model of each
member (their mean, as for the test table); the ensemble weights of the training task combine
the members. Inputs a model was trained with but the new table lacks (no modification lists,
no conditions) are given their neutral value — padding, "missing" — and reported.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.encode import encode_frame
from dlgenomics.data.schema import CAT, MOD, NUM, ROW_ID, SEQ, TARGET
from dlgenomics.evaluation.ensemble import ENSEMBLE, Combination
from dlgenomics.models.gbm import GBMConfig, feature_matrix, predict_tabular
from dlgenomics.sirna.features import feature_settings, sirna_features

log = logging.getLogger(__name__)


def complete_columns(frame: pd.DataFrame, vocab: dict[str, Any]) -> tuple[pd.DataFrame, list[str]]:
    """`frame` with every standard column the vocabulary encodes; absent ones are filled with
    their neutral value (empty sequence = padding, NaN = missing). Returns the names filled."""
    frame = frame.copy()
    absent = []
    for column in vocab["columns"]:
        if not column.startswith((SEQ, MOD, NUM, CAT)) or column in frame:
            continue
        absent.append(column)
        frame[column] = "" if column.startswith((SEQ, MOD)) else np.nan
    if TARGET not in frame:
        frame[TARGET] = np.nan
    return frame, absent


def encode_rows(
    frame: pd.DataFrame, vocab: dict[str, Any], feature_spec: dict[str, Any] | None, where: str
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray] | None]:
    """Encoded columns (the training task's ids) and siRNA features of new rows."""
    frame, absent = complete_columns(frame, vocab)
    if absent:
        log.warning("%s: not in this table, filled as missing: %s", where, ", ".join(absent))
    columns, unknown = encode_frame(frame, vocab, where, allow_n=False)
    if unknown:
        log.warning("%s: values unknown to the trained models: %s", where, unknown)
    features = None
    if feature_spec is not None:
        # The settings the task's features were made with (older specs: defaults for the rest).
        settings = feature_settings({"features": feature_spec["settings"]})
        features, flagged = sirna_features(frame, settings, where)
        log.info("%s: rows flagged by the feature step: %s", where, flagged)
    return columns, features


def labelled_rows(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every labelled row of a task's standard tables, whatever its role (train or test)."""
    rows = pd.concat(frames.values(), ignore_index=True)
    return rows[rows[TARGET].notna()].reset_index(drop=True)


def member_models(members: list[str], model_paths: list[str | Path]) -> dict[str, list[Path]]:
    """Model files listed member by member, each member's folds together -> {member: files}."""
    if not members or len(model_paths) % len(members):
        raise InputError(f"{len(model_paths)} model files do not split over {len(members)} members")
    folds = len(model_paths) // len(members)
    return {
        name: [Path(p) for p in model_paths[i * folds : (i + 1) * folds]]
        for i, name in enumerate(members)
    }


def predict_member(
    model_paths: list[Path],
    columns: dict[str, np.ndarray],
    features: dict[str, np.ndarray] | None,
    vocab: dict[str, Any],
) -> np.ndarray:
    """Mean prediction of one architecture's fold models (networks or the tabular model)."""
    predictions = []
    for path in model_paths:
        if Path(path).suffix == ".joblib":
            saved = joblib.load(path)
            params = saved["params"]  # models saved before `kmer_size` read no k-mers
            kmer_size = params.get("kmer_size", GBMConfig.kmer_size)
            matrix, names, _ = feature_matrix(
                columns, features, params["features"], vocab, kmer_size
            )
            missing = sorted(set(saved["feature_names"]) - set(names))
            if missing:
                raise InputError(f"{path}: the new rows lack features it was trained on: {missing}")
            # Columns in the order the model was trained on, whatever order they came in.
            order = [names.index(name) for name in saved["feature_names"]]
            objective = saved.get("objective") or saved["task_type"]  # older models: task_type
            predictions.append(predict_tabular(saved["model"], matrix[:, order], objective))
        else:
            from dlgenomics.models.checkpoint import load_model, predict, to_tensors

            network, checkpoint = load_model(path)
            # Networks reading the target context find it among the features.
            merged = {**columns, **(features or {})}
            predictions.append(predict(network, checkpoint, to_tensors(merged, "cpu")))
    return np.mean(predictions, axis=0)


def score_rows(
    frame: pd.DataFrame,
    members: dict[str, list[Path]],
    vocab: dict[str, Any],
    feature_spec: dict[str, Any] | None,
    ensemble: Combination | None,
    where: str,
) -> pd.DataFrame:
    """One column of predictions per member, plus `ensemble` when its combination is given,
    for the rows of `frame` (a standard table); `row_id` and `target` kept."""
    columns, features = encode_rows(frame, vocab, feature_spec, where)
    scores = pd.DataFrame({ROW_ID: columns[ROW_ID], TARGET: columns[TARGET]})
    for name, paths in members.items():
        scores[name] = predict_member(paths, columns, features, vocab)
    if ensemble is not None:
        missing = sorted(set(ensemble.weights) - set(members))
        if missing:
            raise InputError(f"ensemble members {missing} were not scored")
        scores[ENSEMBLE] = ensemble.apply(scores)
    return scores


def cross_evaluate(
    pair_name: str,
    pair: dict[str, Any],
    evaluated: dict[str, Any],
    *,
    raw: dict[str, Path],
    models: dict[str, Any],
    vocab: dict[str, Any],
    spec: dict[str, Any] | None,
    ensemble: Combination | None,
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """One task's trained models (and ensemble) scoring every labelled row of another:
    (scores per row, leaderboard ranked by the evaluated task's selection metric, its title).
    `evaluated` holds that task's `name`, `kind` and `data` settings; `raw` its files."""
    from dlgenomics.data.encode import standard_tables
    from dlgenomics.evaluation.evaluate import score_board
    from dlgenomics.tasks.kinds import scoring

    task_scoring = scoring(evaluated["data"])
    _, frames = standard_tables(evaluated["kind"], raw, evaluated["data"])
    scores = score_rows(
        labelled_rows(frames),
        models,
        vocab,
        spec,
        ensemble,
        f"task {evaluated['name']} scored by {pair['train']}",
    )
    names = [*models, *([ENSEMBLE] if ensemble else [])]
    board = score_board(scores, names, task_scoring)
    title = (
        f"{pair_name}: trained on {pair['train']}, evaluated on every labelled row of "
        f"{evaluated['name']} (ranked by {task_scoring.selection})"
    )
    return scores, board, title
