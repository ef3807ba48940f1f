"""Gradient boosting as a model: the feature matrix of encoded rows (per-position bases and
modifications, conditions, siRNA features, k-mer counts), scikit-learn's HistGradientBoosting
estimator (one per output where a row has several) and its predictions as the objective writes
them. Training it on folds is `training.tabular`; scoring new rows `evaluation.inference`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlgenomics import InputError
from dlgenomics.data.nucleotides import both_strands, kmer_counts
from dlgenomics.data.schema import CAT, FEATURE, MOD, NMOD, NUM, SEQ, TARGET_CONTEXT
from dlgenomics.models.architectures import Architecture
from dlgenomics.tasks.objectives import Objective

SITE_FEATURES = (FEATURE + "site_", FEATURE + "flank_")


@dataclass(frozen=True)
class TabularOutput:
    estimator: str  # scikit-learn's HistGradientBoostingRegressor or ...Classifier
    # A fitted classifier's predict_proba -> predictions as the objective writes them (None:
    # as they are).
    shown: Any = None
    one_per_row: bool = True  # one prediction per row, else one boosted model per output

    def prediction(self, probabilities: np.ndarray) -> np.ndarray:
        return probabilities if self.shown is None else self.shown(probabilities)


# Objective name (objectives.OBJECTIVES) -> how gradient boosting fits and predicts it.
TABULAR_OUTPUTS: dict[str, TabularOutput] = {
    "regression": TabularOutput("HistGradientBoostingRegressor"),
    "binary": TabularOutput("HistGradientBoostingClassifier", lambda p: p[:, 1]),
    "multiclass": TabularOutput("HistGradientBoostingClassifier"),
    "multilabel": TabularOutput("HistGradientBoostingClassifier", one_per_row=False),
    "multiregression": TabularOutput("HistGradientBoostingRegressor", one_per_row=False),
}


# Input groups of the tabular model (dlgenomics.training.tabular): what each adds is in
# config/README.md. The default reads them all but `kmer_counts` (a baseline, named).
GBM_DEFAULT_FEATURES = ("bases", "modifications", "conditions", "design", "site", "context")
GBM_FEATURE_GROUPS = (*GBM_DEFAULT_FEATURES, "kmer_counts")
MAX_KMER_SIZE = 6  # 4^6 = 4,096 counts per nucleotide column: more is no tabular model


@dataclass
class GBMConfig:
    """scikit-learn HistGradientBoostingRegressor/Classifier on tabular features."""

    features: list[str] = field(default_factory=lambda: list(GBM_DEFAULT_FEATURES))
    learning_rate: float = 0.05
    max_iter: int = 2000
    max_leaf_nodes: int = 31
    min_samples_leaf: int = 20
    l2_regularization: float = 0.0
    # Share of the features each split may choose from (a different draw per split). Half
    # left the siRNA gbm tied on the gene folds (0.5369 against 0.5419): not the default.
    max_features: float = 1.0
    n_iter_no_change: int = 100  # early stopping on the validation fold, in boosting rounds
    kmer_size: int = 4  # `kmer_counts`: the length k of the k-mers counted

    def __post_init__(self) -> None:
        unknown = sorted(set(self.features) - set(GBM_FEATURE_GROUPS))
        if unknown:
            raise InputError(
                f"unknown feature group(s) {unknown} (known: {', '.join(GBM_FEATURE_GROUPS)})"
            )
        if not 1 <= self.kmer_size <= MAX_KMER_SIZE:
            raise InputError(f"kmer_size {self.kmer_size} is not between 1 and {MAX_KMER_SIZE}")


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
        # A k-mer and its reverse complement counted together where both strands read alike;
        # stranded tracks (their pairs recorded by encode) need each strand's own counts.
        canonical = both_strands(vocab) and "reverse_strand_outputs" not in vocab
        for name in columns:
            if name.startswith(SEQ) and vocab["columns"][name].get("vocab") == "nucleotide":
                counts, kmers = kmer_counts(columns[name], kmer_size, canonical)
                parts.extend(
                    (f"{name}_{kmer}", counts[:, j], False) for j, kmer in enumerate(kmers)
                )
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
        fitted = [
            e.n_iter_ for e, c in zip(self.estimators, self.constants, strict=True) if c is None
        ]
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
                    "X_val": X_val[seen],
                    "y_val": y_val[seen, k],
                    "sample_weight_val": None
                    if sample_weight_val is None
                    else sample_weight_val[seen],
                }
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
        kept = [
            min(rounds, e.n_iter_) if c is None else 1
            for e, c in zip(self.estimators, self.constants, strict=True)
        ]
        return PerOutput([make(r) for r in kept])


def gbm_estimator(
    objective: Objective,
    config: GBMConfig,
    categorical: np.ndarray,
    rounds: int,
    stop: bool,
    outputs: int | None = None,
) -> Any:
    """scikit-learn's estimator; given the task's `outputs`, one per output (`PerOutput`)
    where a row has several."""
    from sklearn import ensemble

    if outputs is not None and not TABULAR_OUTPUTS[objective.name].one_per_row:
        return PerOutput(
            [gbm_estimator(objective, config, categorical, rounds, stop) for _ in range(outputs)]
        )
    estimator = getattr(ensemble, TABULAR_OUTPUTS[objective.name].estimator)
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
    shown = TABULAR_OUTPUTS[objective].prediction
    if hasattr(model, "predict_proba"):
        return shown(model.predict_proba(matrix))
    return model.predict(matrix)


def staged_predictions(model: Any, matrix: np.ndarray, objective: Objective):
    if hasattr(model, "staged_predict_proba"):
        shown = TABULAR_OUTPUTS[objective.name].prediction
        return (shown(p) for p in model.staged_predict_proba(matrix))
    return model.staged_predict(matrix)


# Trained by dlgenomics.training.tabular (rule train_tabular), not torch.
ARCHITECTURE = Architecture(config=GBMConfig, network=None)
