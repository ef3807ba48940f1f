"""What the evaluate rule's figures show of each objective's predictions: the figure of
predictions it draws (`report.plots.prediction_figure`), and its rows seen as classes for ROC
and precision-recall curves and confusion matrices. One entry per objective."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from dlgenomics.metrics import SIRNA_THRESHOLD, effective_rule, is_effective
from dlgenomics.tasks.objectives import OBJECTIVES


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


# (targets, predictions, labels, the task's metric options) -> the rows as classes.
ClassesOf = Callable[[np.ndarray, np.ndarray, list[str], Mapping[str, Any]], ClassesView]


def _effective(target, prediction, labels, options) -> ClassesView:
    """Regression scored as classes (siRNA families): "effective" is at most the threshold %
    remaining, scored by -value."""
    threshold = float(options.get("threshold", SIRNA_THRESHOLD))
    inclusive = bool(options.get("inclusive", False))
    return ClassesView(
        is_effective(target, threshold, inclusive).astype(int)[:, None],
        -prediction[:, None],
        is_effective(prediction, threshold, inclusive).astype(int)[:, None],
        [f"effective ({effective_rule(options)})"],
    )


def _one_class(target, prediction, labels, options) -> ClassesView:
    n_classes = prediction.shape[1]
    truth = OBJECTIVES["multiclass"].ensemble_target(target, n_classes)  # one-hot classes
    predicted = np.eye(n_classes, dtype=int)[prediction.argmax(axis=1)]
    return OneOfClasses(truth.astype(int), prediction, predicted, list(labels))


@dataclass(frozen=True)
class PredictionView:
    figure: str  # one of plots.PREDICTION_FIGURES
    classes: ClassesOf | None  # None: predictions that are no classes


# Objective name (objectives.OBJECTIVES) -> how its predictions are drawn.
PREDICTION_VIEWS: dict[str, PredictionView] = {
    "regression": PredictionView("predicted_vs_observed", _effective),
    "binary": PredictionView(
        "predicted_vs_observed",
        lambda target, prediction, labels, options: ClassesView(
            target[:, None],
            prediction[:, None],
            (prediction >= 0.5)[:, None].astype(int),
            ["positive"],
        ),
    ),
    "multiclass": PredictionView("predicted_vs_observed", _one_class),
    "multilabel": PredictionView(
        "roc_per_label",
        lambda target, prediction, labels, options: ClassesView(
            target, prediction, (prediction >= 0.5).astype(int), list(labels)
        ),
    ),
    # Every track's known values, one cloud.
    "multiregression": PredictionView("predicted_vs_observed_known", None),
}
