"""Objectives: everything that depends on what a task predicts, defined once per kind of target.

A task's objective says how many outputs its networks have, the loss they are fitted with,
how raw outputs become predictions, which metrics score them (their family) and which one
ranks models by default, how folds are stratified, how an ensemble combines its members,
which rows are "positive" for interpretation and design, and how a gradient-boosting model
is fitted. Every other module asks the objective; none branches on its name.

  regression   one output, standardised target, MSE (or Huber / threshold-weighted), values
  binary       one logit, cross-entropy, probability of the positive class
  multiclass   K logits, softmax cross-entropy, (n, K) probabilities; target = class index
  multilabel   K logits, K independent cross-entropies, (n, K) probabilities; target (n, K)
  multiregression  K outputs (one per track), each standardised, MSE over the known targets
               (NaN: unknown), (n, K) values; target (n, K)

torch and scikit-learn are imported inside the methods that use them: Snakemake imports this
module to plan jobs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.tables import is_missing
from dlgenomics.metrics import (
    HIGHER_IS_BETTER,
    selectable_metrics,
    selection_value,
    task_metrics,
)
from dlgenomics.tasks.losses import HUBER_DELTA

SINGLE_HEAD = "output"  # the name of a task's only output (interpretation, design)


class Objective:
    """What a kind of target needs; subclasses fill in the differences."""

    name: str
    metric_family: str  # metrics.METRIC_FAMILIES key used unless the task kind has its own
    selection_metric: str  # default ranking / early-stopping metric of that family
    stratified = False  # folds balance the classes when split.method is stratified
    one_prediction_per_row = True  # one per row, or per class: one gradient-boosting model
    # Ensembles weigh members on every output at once; multi-label tasks have none (their
    # leaderboards keep the networks alone).
    ensembles = True
    calibrated_ensemble = False  # affine calibration of the ensemble on the selection metric
    custom_losses = False  # losses other than the objective's own (regression: huber, ...)
    # How a user's file gives labels (kind `sequences`): one column of class names (`classes`
    # required), several 0/1 columns, and whether positives-only inputs may add negatives.
    needs_classes = False
    label_columns = 1  # minimum number of label columns
    partial_labels = False  # a row may lack some of its labels (NaN: unknown, not fitted)
    takes_negatives = False
    # Sequence design (dlgenomics.design.designer): the best network's prediction designed sequences
    # are judged by, named as a column of the judged table (`mean_` + this).
    design_score = "binding_probability"
    # The evaluate rule's figure of predictions (`report.plots.PREDICTION_FIGURES`).
    prediction_figure = "predicted_vs_observed"

    def n_outputs(self, labels: Sequence[str]) -> int:
        return 1

    def read_labels(
        self, raw: Sequence[pd.Series], names: Sequence[str], positive: str | None, where: Where
    ) -> dict[str, np.ndarray]:
        """A user's label column(s) -> standard columns (`target`, or `label_<name>` each);
        a value that is no label stops the run, `where(row)` naming the file and line."""
        raise NotImplementedError

    def class_counts(
        self, target: np.ndarray, names: Sequence[str], positive: str | None
    ) -> dict[str, int] | None:
        """Rows per class (None: the objective has no single class per row)."""
        return None

    def target_scale(self, fitted: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
        """(mean, sd) the network's output is scaled by; identity for classes."""
        return 0.0, 1.0

    def scaled_target(self, target: Any, target_scale: Sequence[Any]) -> Any:
        """Targets (torch) as the network's outputs are fitted to them: less the mean, over
        the sd of `target_scale`."""
        return (target - target_scale[0]) / target_scale[1]

    def loss(self, output: Any, target: Any, weight: Any = None, name: str = "mse") -> Any:
        """Mean loss of a batch of raw outputs (torch) against its targets."""
        raise NotImplementedError

    def transform(self, raw: Any, target_scale: Sequence[float]) -> np.ndarray:
        """Raw outputs (torch, (n, outputs)) -> predictions as written to files."""
        raise NotImplementedError

    def stratify_by(self, target: np.ndarray) -> np.ndarray | None:
        """Labels folds are balanced by (None: the objective has no single class per row)."""
        return None

    def ensemble_target(self, target: np.ndarray, n_columns: int) -> np.ndarray:
        """What an ensemble's weights are fitted against, with predictions' shape (n, K)."""
        return np.asarray(target, dtype=np.float64).reshape(len(target), -1)

    def head_names(self, labels: Sequence[str]) -> list[str]:
        """One name per output explained by interpretation."""
        return [SINGLE_HEAD]

    def positive_rows(self, target: np.ndarray, head: int, logit: np.ndarray) -> np.ndarray:
        """Rows whose motif interpretation seeks for output `head` (every row for regression)."""
        return np.arange(len(target))

    def is_positive(self, target: np.ndarray, head: int) -> np.ndarray:
        """Rows that belong to output `head`'s class."""
        raise InputError(f"a {self.name} task has no positive rows to design from")

    def design_rows(self, target: np.ndarray, head: int, top_fraction: float) -> np.ndarray:
        """(n,) bool: the training rows a GAN learns for output `head`: its positives."""
        return self.is_positive(target, head)

    def design_learnt(self, head_name: str, top_fraction: float) -> str:
        """What `design_rows` chose, in words: "<count> <this>"."""
        return "bound training sequences"

    def gradient_boosting(self) -> str:
        """scikit-learn estimator class: HistGradientBoostingRegressor or ...Classifier."""
        return "HistGradientBoostingClassifier"

    def tabular_prediction(self, probabilities: np.ndarray) -> np.ndarray:
        """A fitted classifier's predict_proba (or a regressor's predict) -> predictions."""
        return probabilities

    def prediction_columns(self, prediction: np.ndarray, labels: list[str]) -> dict[str, Any]:
        """Predictions as a user's table holds them: `prediction` (one value per row), or a
        `p_<label>` probability per label or class."""
        if prediction.ndim == 1:
            return {"prediction": prediction}
        names = labels or [str(k) for k in range(prediction.shape[1])]
        return {f"p_{name}": prediction[:, k] for k, name in enumerate(names)}

    def classes_view(
        self,
        target: np.ndarray,
        prediction: np.ndarray,
        labels: list[str],
        options: Mapping[str, Any],
    ) -> ClassesView:
        """Rows as classes, for ROC / precision-recall curves and confusion matrices."""
        raise NotImplementedError(f"{self.name} predictions have no classes")


@dataclass(frozen=True)
class ClassesView:
    """Truth, score and predicted class of each row, each (n, K), and the K class names."""

    truth: np.ndarray
    score: np.ndarray
    predicted: np.ndarray
    labels: list[str]
    one_class_per_row: ClassVar[bool] = False  # one K x K matrix, else one 2 x 2 per class


@dataclass(frozen=True)
class OneOfClasses(ClassesView):
    """A view whose rows each hold exactly one class: one K x K confusion matrix."""

    one_class_per_row: ClassVar[bool] = True


# --- Reading a user's labels: every error names the file and line (`where(row)`) -----------

Where = Callable[[int], str]


def _numbers(values: pd.Series, where: Where, what: str) -> np.ndarray:
    """Numbers of a label column; missing spellings (tables.MISSING_VALUES) are NaN and drop
    their row, counted. Infinite ones (`inf`, `1e400`) are no label: training cannot fit them."""
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (numbers.isna() & ~is_missing(values)) | np.isinf(numbers)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        finite = "finite " if np.isinf(numbers.iloc[row]) else ""
        raise InputError(
            f"{where(row)}: label {values.iloc[row]!r} is not a {finite}number ({what})"
        )
    return numbers.to_numpy(np.float64)


def _zero_one(values: pd.Series, where: Where) -> np.ndarray:
    numbers = _numbers(values, where, "labels are 0 or 1")
    bad = ~np.isnan(numbers) & ~np.isin(numbers, (0.0, 1.0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where(row)}: label {values.iloc[row]!r} is not 0 or 1")
    return numbers


def label_text(value: Any) -> str:
    """A label as compared with class names: 24.0 read from a table is the class '24'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _class_index(values: pd.Series, names: list[str], where: Where) -> np.ndarray:
    text = values.map(lambda v: None if pd.isna(v) else label_text(v))
    index = text.map({name: i for i, name in enumerate(names)})
    bad = index.isna() & ~is_missing(values)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{where(row)}: label {text.iloc[row]!r} is not one of the classes {names}"
        )
    return index.to_numpy(np.float64)


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


def _positives_seen(labels: np.ndarray, logit: np.ndarray) -> np.ndarray:
    """True positives (labelled so, and the models' mean logit agrees) or, failing that, every
    labelled positive: motifs are read where the models see a site."""
    positives = np.flatnonzero(labels == 1)
    true_positives = positives[logit[positives] > 0]
    return true_positives if len(true_positives) else positives


class Regression(Objective):
    name, metric_family, selection_metric = "regression", "regression", "rmse"
    calibrated_ensemble = True
    custom_losses = True
    design_score = "predicted_value"

    def read_labels(
        self, raw: Sequence[pd.Series], names: Sequence[str], positive: str | None, where: Where
    ) -> dict[str, np.ndarray]:
        return {"target": _numbers(raw[0], where, "a regression task")}

    def target_scale(self, fitted: np.ndarray, rows: np.ndarray) -> tuple[float, float]:
        return float(fitted[rows].mean()), float(fitted[rows].std()) or 1.0

    def loss(self, output: Any, target: Any, weight: Any = None, name: str = "mse") -> Any:
        import torch.nn.functional as F

        output = output[:, 0]
        if name == "mse" and weight is None:
            return F.mse_loss(output, target)
        if name == "huber":
            per_row = F.huber_loss(output, target, reduction="none", delta=HUBER_DELTA)
        else:
            per_row = (output - target) ** 2
        return (per_row * weight).mean() if weight is not None else per_row.mean()

    def transform(self, raw: Any, target_scale: Sequence[float]) -> np.ndarray:
        mean, std = target_scale
        return (raw[:, 0] * std + mean).cpu().numpy()

    def design_rows(self, target: np.ndarray, head: int, top_fraction: float) -> np.ndarray:
        return top_rows(np.asarray(target, dtype=np.float64).reshape(len(target)), top_fraction)

    def design_learnt(self, head_name: str, top_fraction: float) -> str:
        return f"training sequences with the top {top_fraction:.0%} of target values"

    def gradient_boosting(self) -> str:
        return "HistGradientBoostingRegressor"

    def classes_view(
        self,
        target: np.ndarray,
        prediction: np.ndarray,
        labels: list[str],
        options: Mapping[str, Any],
    ) -> ClassesView:
        # siRNA families: "effective" is at most the threshold % remaining, scored by -value.
        from dlgenomics.metrics import SIRNA_THRESHOLD, effective_rule, is_effective

        threshold = float(options.get("threshold", SIRNA_THRESHOLD))
        inclusive = bool(options.get("inclusive", False))
        return ClassesView(
            is_effective(target, threshold, inclusive).astype(int)[:, None],
            -prediction[:, None],
            is_effective(prediction, threshold, inclusive).astype(int)[:, None],
            [f"effective ({effective_rule(options)})"],
        )


class Binary(Objective):
    name, metric_family, selection_metric = "binary", "binary", "auroc"
    stratified = True
    takes_negatives = True

    def read_labels(
        self, raw: Sequence[pd.Series], names: Sequence[str], positive: str | None, where: Where
    ) -> dict[str, np.ndarray]:
        if positive is None:  # 0/1 labels
            return {"target": _zero_one(raw[0], where)}
        index = _class_index(raw[0], list(names) or [positive], where)
        is_positive = index == (list(names) or [positive]).index(positive)
        return {"target": np.where(np.isnan(index), np.nan, is_positive.astype(float))}

    def class_counts(
        self, target: np.ndarray, names: Sequence[str], positive: str | None
    ) -> dict[str, int] | None:
        counts = np.bincount(target.astype(np.int64), minlength=2)
        negative = "negative" if positive is None else "other than " + positive
        return {negative: int(counts[0]), positive or "positive": int(counts[1])}

    def loss(self, output: Any, target: Any, weight: Any = None, name: str = "mse") -> Any:
        import torch.nn.functional as F

        return F.binary_cross_entropy_with_logits(output[:, 0], target)

    def transform(self, raw: Any, target_scale: Sequence[float]) -> np.ndarray:
        import torch

        return torch.sigmoid(raw[:, 0]).cpu().numpy()

    def stratify_by(self, target: np.ndarray) -> np.ndarray | None:
        return np.asarray(target).astype(np.int64)

    def positive_rows(self, target: np.ndarray, head: int, logit: np.ndarray) -> np.ndarray:
        return _positives_seen(np.asarray(target), logit)

    def is_positive(self, target: np.ndarray, head: int) -> np.ndarray:
        return np.asarray(target) == 1

    def tabular_prediction(self, probabilities: np.ndarray) -> np.ndarray:
        return probabilities[:, 1]

    def classes_view(
        self,
        target: np.ndarray,
        prediction: np.ndarray,
        labels: list[str],
        options: Mapping[str, Any],
    ) -> ClassesView:
        return ClassesView(
            target[:, None],
            prediction[:, None],
            (prediction >= 0.5)[:, None].astype(int),
            ["positive"],
        )


class MultiClass(Objective):
    name, metric_family, selection_metric = "multiclass", "multiclass", "log_loss"
    stratified = True
    needs_classes = True
    design_score = "class_probability"  # the chosen class's

    def read_labels(
        self, raw: Sequence[pd.Series], names: Sequence[str], positive: str | None, where: Where
    ) -> dict[str, np.ndarray]:
        return {"target": _class_index(raw[0], list(names), where)}

    def class_counts(
        self, target: np.ndarray, names: Sequence[str], positive: str | None
    ) -> dict[str, int] | None:
        counts = np.bincount(target.astype(np.int64), minlength=len(names))
        return dict(zip(names, (int(c) for c in counts), strict=True))

    def n_outputs(self, labels: Sequence[str]) -> int:
        return len(labels)

    def loss(self, output: Any, target: Any, weight: Any = None, name: str = "mse") -> Any:
        import torch.nn.functional as F

        return F.cross_entropy(output, target.long())

    def transform(self, raw: Any, target_scale: Sequence[float]) -> np.ndarray:
        import torch

        return torch.softmax(raw, dim=1).cpu().numpy()

    def stratify_by(self, target: np.ndarray) -> np.ndarray | None:
        return np.asarray(target).astype(np.int64)

    def ensemble_target(self, target: np.ndarray, n_columns: int) -> np.ndarray:
        target = np.asarray(target, dtype=np.float64)
        one_hot = np.full((len(target), n_columns), np.nan)  # unlabelled rows stay unknown
        known = np.isfinite(target)
        one_hot[known] = np.eye(n_columns)[target[known].astype(np.int64)]
        return one_hot

    def head_names(self, labels: Sequence[str]) -> list[str]:
        return list(labels)

    def positive_rows(self, target: np.ndarray, head: int, logit: np.ndarray) -> np.ndarray:
        return _positives_seen(self.is_positive(target, head).astype(int), logit)

    def is_positive(self, target: np.ndarray, head: int) -> np.ndarray:
        return np.asarray(target, dtype=np.float64) == head  # an unknown class (NaN): no

    def design_learnt(self, head_name: str, top_fraction: float) -> str:
        return f"training sequences of class {head_name}"

    def classes_view(
        self,
        target: np.ndarray,
        prediction: np.ndarray,
        labels: list[str],
        options: Mapping[str, Any],
    ) -> ClassesView:
        n_classes = prediction.shape[1]
        predicted = np.eye(n_classes, dtype=int)[prediction.argmax(axis=1)]
        return OneOfClasses(
            self.ensemble_target(target, n_classes).astype(int), prediction, predicted, list(labels)
        )

    def prediction_columns(self, prediction: np.ndarray, labels: list[str]) -> dict[str, Any]:
        """One probability per class, and the most probable class named."""
        columns = super().prediction_columns(prediction, labels)
        names = [name.removeprefix("p_") for name in columns]
        return {**columns, "predicted_class": np.asarray(names)[prediction.argmax(axis=1)]}


class MultiLabel(Objective):
    name, metric_family, selection_metric = "multilabel", "multilabel", "auroc"
    one_prediction_per_row = False
    ensembles = False
    label_columns = 2
    prediction_figure = "roc_per_label"

    def read_labels(
        self, raw: Sequence[pd.Series], names: Sequence[str], positive: str | None, where: Where
    ) -> dict[str, np.ndarray]:
        return {
            f"label_{name}": _zero_one(column, where)
            for name, column in zip(names, raw, strict=True)
        }

    def n_outputs(self, labels: Sequence[str]) -> int:
        return len(labels)

    def loss(self, output: Any, target: Any, weight: Any = None, name: str = "mse") -> Any:
        import torch.nn.functional as F

        return F.binary_cross_entropy_with_logits(output, target)

    def transform(self, raw: Any, target_scale: Sequence[float]) -> np.ndarray:
        import torch

        return torch.sigmoid(raw).cpu().numpy()

    def head_names(self, labels: Sequence[str]) -> list[str]:
        return list(labels)

    def positive_rows(self, target: np.ndarray, head: int, logit: np.ndarray) -> np.ndarray:
        return _positives_seen(np.asarray(target)[:, head], logit)

    def is_positive(self, target: np.ndarray, head: int) -> np.ndarray:
        return np.asarray(target)[:, head] == 1

    def design_learnt(self, head_name: str, top_fraction: float) -> str:
        return f"bound training sequences of {head_name}"

    def classes_view(
        self,
        target: np.ndarray,
        prediction: np.ndarray,
        labels: list[str],
        options: Mapping[str, Any],
    ) -> ClassesView:
        return ClassesView(target, prediction, (prediction >= 0.5).astype(int), list(labels))


class MultiRegression(Objective):
    name, metric_family = "multiregression", "multiregression"
    selection_metric = "median_pearson"
    one_prediction_per_row = False
    label_columns = 2
    partial_labels = True
    design_score = "predicted_value"
    prediction_figure = "predicted_vs_observed_known"  # every track's known values, one cloud

    def read_labels(
        self, raw: Sequence[pd.Series], names: Sequence[str], positive: str | None, where: Where
    ) -> dict[str, np.ndarray]:
        return {
            f"label_{name}": _numbers(column, where, "a multi-output regression task")
            for name, column in zip(names, raw, strict=True)
        }

    def n_outputs(self, labels: Sequence[str]) -> int:
        return len(labels)

    def target_scale(self, fitted: np.ndarray, rows: np.ndarray) -> tuple[list, list]:
        """Per track, the mean and sd of its known training targets (0 and 1 without any,
        sd 1 for a constant track)."""
        known = np.asarray(fitted, dtype=np.float64)[rows].reshape(len(rows), -1)
        counted = np.isfinite(known).sum(axis=0)
        filled = np.where(np.isfinite(known), known, 0.0)
        mean = np.where(counted > 0, filled.sum(axis=0) / np.maximum(counted, 1), 0.0)
        spread = np.where(np.isfinite(known), known - mean, 0.0)
        sd = np.sqrt((spread**2).sum(axis=0) / np.maximum(counted, 1))
        return [float(m) for m in mean], [float(s) or 1.0 for s in sd]

    def scaled_target(self, target: Any, target_scale: Sequence[Any]) -> Any:
        import torch

        mean, sd = (
            torch.as_tensor(v, dtype=target.dtype, device=target.device) for v in target_scale
        )
        return (target - mean) / sd

    def loss(self, output: Any, target: Any, weight: Any = None, name: str = "mse") -> Any:
        """Mean squared error over the known targets of the batch (NaN ones add nothing)."""
        import torch

        known = torch.isfinite(target)
        error = (output - target.nan_to_num()) * known
        return (error**2).sum() / known.sum().clamp(min=1)

    def transform(self, raw: Any, target_scale: Sequence[Any]) -> np.ndarray:
        import torch

        mean, sd = (torch.as_tensor(v, dtype=raw.dtype, device=raw.device) for v in target_scale)
        return (raw[:, : len(mean)] * sd + mean).cpu().numpy()  # the auxiliary head dropped

    def head_names(self, labels: Sequence[str]) -> list[str]:
        return list(labels)

    def design_rows(self, target: np.ndarray, head: int, top_fraction: float) -> np.ndarray:
        """Rows with the top `top_fraction` of track `head`'s known values."""
        return top_rows(np.asarray(target, dtype=np.float64)[:, head], top_fraction)

    def design_learnt(self, head_name: str, top_fraction: float) -> str:
        return f"training sequences with the top {top_fraction:.0%} of {head_name}'s values"

    def gradient_boosting(self) -> str:
        return "HistGradientBoostingRegressor"

    def prediction_columns(self, prediction: np.ndarray, labels: list[str]) -> dict[str, Any]:
        """A `prediction_<track>` value per track."""
        names = labels or [str(k) for k in range(prediction.shape[1])]
        return {f"prediction_{name}": prediction[:, k] for k, name in enumerate(names)}


OBJECTIVES: dict[str, Objective] = {
    o.name: o for o in (Regression(), Binary(), MultiClass(), MultiLabel(), MultiRegression())
}


@dataclass(frozen=True)
class Scoring:
    """How one task is scored: its objective, metric family, selection metric and the
    family's options (labels, thresholds). Passed to every rule it affects as a plain dict
    (`as_params`), so changing the selection metric reruns exactly those rules."""

    objective_name: str
    family: str
    selection: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def objective(self) -> Objective:
        return OBJECTIVES[self.objective_name]

    @property
    def labels(self) -> list[str]:
        return list(self.options.get("labels", []))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Scoring:
        return cls(**params)

    def as_params(self) -> dict[str, Any]:
        return {
            "objective_name": self.objective_name,
            "family": self.family,
            "selection": self.selection,
            "options": dict(self.options),
        }

    def metrics(self, target: np.ndarray, prediction: np.ndarray) -> dict[str, float]:
        return task_metrics(self.family, target, prediction, **self.options)

    @property
    def higher_is_better(self) -> bool:
        return HIGHER_IS_BETTER[self.selection]

    def selection_value(self, target: np.ndarray, prediction: np.ndarray) -> float:
        """The selection metric alone (fast where it can be: the official score)."""
        return selection_value(self.family, self.selection, target, prediction, **self.options)


def check_selection_metric(family: str, metric: str, where: str) -> None:
    """A task's `selection_metric` must be one its metric family reports as a single number."""
    allowed = selectable_metrics(family)
    if metric not in allowed:
        raise InputError(
            f"{where}: {metric!r} is not a metric of this task ({family}); "
            f"choose one of {', '.join(allowed)}"
        )
