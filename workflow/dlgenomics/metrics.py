"""Every metric the pipeline reports, in one place.

The siRNA competition's official score (as its organisers define it):
    score = 0.5 * (1 - MAE/100) + 0.5 * F1 * (1 - rangeMAE/100)
with F1 on (y < 30) vs (ŷ < 30), and rangeMAE the MAE over rows whose *prediction* lies in
[0, 30] (100 when there are none).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

# scipy and scikit-learn are imported inside the functions that use them: the workflow imports
# this module (through the task kinds) to plan jobs, and importing them costs seconds there.

SIRNA_THRESHOLD = 30.0  # % mRNA remaining below which an siRNA counts as effective
# Metric name -> True when higher is better; used for early stopping and leaderboards.
HIGHER_IS_BETTER = {
    "score": True,
    "mae": False,
    "range_mae": False,
    "f1": True,
    "precision": True,
    "recall": True,
    "pearson": True,
    "spearman": True,
    "rmse": False,
    "accuracy": True,
    "auroc": True,
    "auprc": True,
    "r2": True,
    "log_loss": False,
    "macro_f1": True,
    "mcc": True,
    "sensitivity": True,
    "specificity": True,
    # Confusion counts at probability 0.5: never selected, but their notes say a direction.
    "tp": True,
    "tn": True,
    "fp": False,
    "fn": False,
    # Of many labels or tracks at once: the median (or mean) over them.
    "median_auroc": True,
    "median_auprc": True,
    "median_pearson": True,
    "mean_pearson": True,
    "median_spearman": True,
    "median_r2": True,
}
# What each metric is, for the notes under every leaderboard (units: `metric_units`; the
# positive class of siRNA families: `effective_rule`; per label or class: `PER_NAME`).
METRIC_MEANINGS = {
    "score": "the competition's official score, 50% (1 - MAE/100) + 50% F1 x (1 - range MAE/100)",
    "mae": "mean absolute error of the predictions",
    "rmse": "root mean squared error",
    "range_mae": "MAE over rows predicted in 0-30% remaining (100, the official value, when "
    "none is)",
    "f1": "harmonic mean of precision and recall of the rows called positive",
    "precision": "share of rows called positive that are positive",
    "recall": "share of positive rows called positive",
    "pearson": "Pearson correlation of prediction and label",
    "spearman": "Spearman rank correlation of prediction and label",
    "r2": "coefficient of determination, 1 - squared error / variance of the labels (0: the "
    "mean label's error)",
    "accuracy": "share of rows classed right",
    "auroc": "area under the ROC curve: the chance that a positive row is scored above a "
    "negative one, 0.5 when guessing",
    "auprc": "area under the precision-recall curve (average precision), the share of "
    "positives when guessing",
    "log_loss": "cross-entropy of the predicted probabilities, nats per row",
    "macro_f1": "F1 of each class against the others, averaged over the classes",
    "mcc": "Matthews correlation of the calls and the labels, -1 to 1, 0 when guessing",
    "sensitivity": "share of positive rows called positive (probability at least 0.5; true "
    "positive rate)",
    "specificity": "share of negative rows called negative (probability below 0.5; true "
    "negative rate)",
    "tp": "positive rows called positive (probability at least 0.5), a count",
    "tn": "negative rows called negative, a count",
    "fp": "negative rows called positive, a count",
    "fn": "positive rows called negative, a count",
    "median_auroc": "the median over the labels of each label's AUROC (see `auroc`)",
    "median_auprc": "the median over the labels of each label's AUPRC (see `auprc`)",
    "median_pearson": "the median over the tracks of each track's Pearson correlation of "
    "prediction and label",
    "mean_pearson": "the mean over the tracks of each track's Pearson correlation",
    "median_spearman": "the median over the tracks of each track's Spearman rank correlation",
    "median_r2": "the median over the tracks of each track's coefficient of determination "
    "(1 - squared error / variance of its labels)",
}
# Metrics in the target's units (the others are unitless).
IN_TARGET_UNITS = frozenset({"mae", "rmse", "range_mae"})
# Families scoring each label or class on its own (`<metric>_<name>` columns): which metrics,
# their short names, what one name is, and what the plain metric is then (the mean over names).
PER_NAME = {
    "multilabel": (("accuracy", "auroc", "auprc"), "label {} alone", "the mean over the labels"),
    "multiclass": (("auroc", "f1"), "class {} against the others", "the mean over the classes"),
    "multiregression": (("pearson", "spearman", "r2"), "track {} alone", ""),
}
# Families with a figure and table of each track's (label's) own metrics beside the leaderboard
# (`evaluate.track_figures`): the metrics drawn.
TRACK_FIGURE_METRICS = {"multilabel": ("auroc", "auprc"), "multiregression": ("pearson",)}
SHORT_NAMES = {
    "accuracy": "accuracy",
    "auroc": "AUROC",
    "auprc": "AUPRC",
    "f1": "F1",
    "pearson": "Pearson",
    "spearman": "Spearman",
    "r2": "R²",
}
# Metrics of siRNA families that call rows effective (the positive class).
EFFECTIVE_METRICS = frozenset({"f1", "precision", "recall", "auroc", "auprc"})
RANKING_METRICS = frozenset({"auroc", "auprc"})  # of a score, not of calls


def metric_units(family: str) -> str:
    """The unit of a family's error metrics, as the leaderboard notes say it."""
    return "% mRNA remaining" if family in SIRNA_FAMILIES else "the label's units"


def effective_rule(options: Mapping[str, Any]) -> str:
    """When a siRNA family calls a row effective, in words (a task's `threshold` and
    `inclusive` metric options; the competition's strict < 30% by default)."""
    threshold = float(options.get("threshold", SIRNA_THRESHOLD))
    return f"{'≤' if options.get('inclusive') else '<'} {threshold:g}% mRNA remaining"


def _metric_meaning(
    family: str, metric: str, options: Mapping[str, Any], listed: Sequence[str] = ()
) -> tuple[str, str]:
    """(the metric's base name, its definition) for the family's column `metric`; one label's
    or class's metric refers to its base metric's line where `listed` holds one."""
    named, one_name, pooled = PER_NAME.get(family, ((), "", ""))
    base = next((m for m in named if metric.startswith(f"{m}_")), metric)
    if base not in METRIC_MEANINGS:
        raise ValueError(f"metric {metric!r} has no definition in METRIC_MEANINGS")
    meaning = METRIC_MEANINGS[base]
    if base != metric:  # one label's or class's own
        name = one_name.format(metric.removeprefix(f"{base}_"))
        defined = f"see `{base}`" if base in listed else meaning
        return base, f"{SHORT_NAMES[base]} of {name} ({defined})"
    if base in named and pooled:
        meaning += f", {pooled}"
    if base in IN_TARGET_UNITS:
        meaning += f", {metric_units(family)}"
    if family in SIRNA_FAMILIES and base in EFFECTIVE_METRICS:
        ranked = ", scored by a lower predicted % remaining" if base in RANKING_METRICS else ""
        called = ranked or ", called so when predicted so"
        meaning += f"; positive: effective, {effective_rule(options)}{called}"
    return base, meaning


def metric_notes(
    family: str, metrics: Sequence[str], options: Mapping[str, Any] | None = None
) -> list[str]:
    """One line per metric shown: what it is, its unit and which direction is better.
    `options`: the task's metric options (siRNA tables: the effective threshold)."""
    notes = []
    for metric in dict.fromkeys(metrics):
        base, meaning = _metric_meaning(family, metric, options or {}, metrics)
        better = "higher" if HIGHER_IS_BETTER.get(base, True) else "lower"
        notes.append(f"`{metric}`: {meaning}; {better} is better")
    return notes


# Metrics that an increasing affine map of the predictions leaves unchanged: calibrating an
# ensemble on one of them can only pick an arbitrary scale (and, fitted per fold, break the
# pooled out-of-fold figure), so it is not done.
SCALE_FREE = frozenset({"pearson", "spearman", "auroc", "auprc"})
# Metrics that call a row effective when its prediction is below a threshold (the official
# score's F1 and range MAE: strictly below 30% remaining); an ensemble decides those calls.
DECISION_THRESHOLDS = {
    metric: SIRNA_THRESHOLD for metric in ("score", "f1", "precision", "recall", "range_mae")
}
PROBABILITY_FLOOR = 1e-7  # log loss of a confident mistake: large, never infinite


def is_effective(
    remaining_pct: np.ndarray, threshold: float = SIRNA_THRESHOLD, inclusive: bool = False
) -> np.ndarray:
    """Whether each % remaining counts as effective: below `threshold` (the competition's
    strict < 30%), or at most it when a user's `effective_at` says so (`inclusive`)."""
    remaining_pct = np.asarray(remaining_pct)
    return remaining_pct <= threshold if inclusive else remaining_pct < threshold


def range_mae(y_true: np.ndarray, y_pred: np.ndarray, threshold: float = SIRNA_THRESHOLD) -> float:
    in_range = (y_pred >= 0) & (y_pred <= threshold)
    return float(np.abs(y_true[in_range] - y_pred[in_range]).mean()) if in_range.any() else 100.0


def _hit_rates(true_hit: np.ndarray, pred_hit: np.ndarray) -> tuple[float, float, float]:
    """(precision, recall, F1) of predicted hits, 0 where undefined (sklearn's zero_division=0)."""
    tp = float(np.sum(true_hit & pred_hit))
    fp = float(np.sum(~true_hit & pred_hit))
    fn = float(np.sum(true_hit & ~pred_hit))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return precision, recall, f1


def official_score(
    y_true: np.ndarray, y_pred: np.ndarray, threshold: float = SIRNA_THRESHOLD
) -> dict[str, float]:
    """The competition's score and its parts (numpy only: fast enough to optimise over)."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    precision, recall, f1 = _hit_rates(y_true < threshold, y_pred < threshold)
    mae = float(np.abs(y_true - y_pred).mean())
    rmae = range_mae(y_true, y_pred, threshold)
    return {
        "score": 0.5 * (1 - mae / 100) + 0.5 * f1 * (1 - rmae / 100),
        "mae": mae,
        "range_mae": rmae,
        "f1": f1,
        "precision": precision,
        "recall": recall,
    }


def sirna_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, threshold: float = SIRNA_THRESHOLD
) -> dict[str, float]:
    """Official score and its parts, plus correlations, for % mRNA remaining."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    return {
        **official_score(y_true, y_pred, threshold),
        "pearson": _correlation("pearson", y_true, y_pred),
        "spearman": _correlation("spearman", y_true, y_pred),
        "rmse": float(np.sqrt(((y_true - y_pred) ** 2).mean())),
    }


def _correlation(kind: str, x: np.ndarray, y: np.ndarray) -> float:
    # A constant prediction has no defined correlation; report 0 rather than NaN so that
    # leaderboards stay sortable and a constant model ranks at the bottom.
    from scipy import stats

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    function = stats.pearsonr if kind == "pearson" else stats.spearmanr
    return float(function(x, y)[0])


def _ranking_metrics(y_true: np.ndarray, score: np.ndarray) -> dict[str, float]:
    """AUROC and AUPRC of 0/1 labels ranked by `score`; NaN when only one class is present."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    if len(np.unique(y_true)) < 2:
        return {"auroc": float("nan"), "auprc": float("nan")}
    return {
        "auroc": float(roc_auc_score(y_true, score)),
        "auprc": float(average_precision_score(y_true, score)),
    }


def binary_log_loss(y_true: np.ndarray, probability: np.ndarray) -> float:
    """Cross-entropy of 0/1 labels, nats per row, probabilities clipped away from 0 and 1."""
    y_true = np.asarray(y_true).astype(int)
    clipped = np.clip(
        np.asarray(probability, dtype=np.float64), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR
    )
    return float(-np.mean(y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped)))


def _confusion(y_true: np.ndarray, probability: np.ndarray) -> tuple[int, int, int, int]:
    """(tn, fp, fn, tp) of 0/1 labels called positive at probability 0.5."""
    truth = np.asarray(y_true).astype(int) == 1
    called = np.asarray(probability, dtype=np.float64) >= 0.5
    return (
        int(np.sum(~truth & ~called)),
        int(np.sum(~truth & called)),
        int(np.sum(truth & ~called)),
        int(np.sum(truth & called)),
    )


def binary_mcc(y_true: np.ndarray, probability: np.ndarray) -> float:
    """Matthews correlation of the calls at probability 0.5 (0 where undefined: one class in
    the truth or the calls, as sklearn's `matthews_corrcoef`)."""
    tn, fp, fn, tp = (float(count) for count in _confusion(y_true, probability))
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denominator) if denominator else 0.0


def binary_metrics(y_true: np.ndarray, probability: np.ndarray) -> dict[str, float]:
    """Accuracy at 0.5, AUROC, AUPRC, log loss (cross-entropy, nats per row), Matthews
    correlation, sensitivity and specificity at 0.5 (NaN without positive, or negative, rows)
    and the confusion matrix counts."""
    y_true = np.asarray(y_true).astype(int)
    probability = np.asarray(probability, dtype=np.float64)
    predicted = (probability >= 0.5).astype(int)
    tn, fp, fn, tp = _confusion(y_true, probability)
    return {
        "accuracy": float((predicted == y_true).mean()),
        **_ranking_metrics(y_true, probability),
        "log_loss": binary_log_loss(y_true, probability),
        "mcc": binary_mcc(y_true, probability),
        "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
        "specificity": tn / (tn + fp) if tn + fp else float("nan"),
        "tn": tn,
        "fp": fp,
        "fn": fn,
        "tp": tp,
    }


def multilabel_metrics(
    y_true: np.ndarray, probability: np.ndarray, labels: list[str] | None = None
) -> dict[str, float]:
    """Several binary labels per row ((n, K) arrays, e.g. one per transcription factor): the
    mean of each label's accuracy, AUROC and AUPRC, then each label's own (`auroc_<label>`...),
    labels named by `labels` (default label1..labelK)."""
    y_true = np.asarray(y_true).reshape(len(y_true), -1)
    probability = np.asarray(probability, dtype=np.float64).reshape(len(probability), -1)
    names = labels or [f"label{k + 1}" for k in range(y_true.shape[1])]
    if len(names) != y_true.shape[1] or probability.shape != y_true.shape:
        raise ValueError(
            f"{len(names)} labels, truth {y_true.shape} and predictions {probability.shape} differ"
        )
    per_label = {
        name: binary_metrics(y_true[:, k], probability[:, k]) for k, name in enumerate(names)
    }
    metrics = {
        m: float(np.nanmean([per_label[name][m] for name in names]))
        for m in ("accuracy", "auroc", "auprc")
    }
    for m in ("auroc", "auprc"):
        metrics[f"median_{m}"] = _nan_median([per_label[name][m] for name in names])
    for m in ("auroc", "auprc", "accuracy"):
        metrics.update({f"{m}_{name}": per_label[name][m] for name in names})
    return metrics


def _nan_median(
    values: Sequence[float] | np.ndarray, axis: int | None = None, summary: Callable = np.nanmedian
) -> Any:
    """The median (or other `summary`) of the values that are not NaN, NaN when none is, said
    quietly: a label or track without both classes, or without known rows, is skipped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = summary(np.asarray(values, dtype=np.float64), axis=axis)
    return float(median) if axis is None else median


def _track_columns(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[str] | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(truth (n, K), predictions (n, K), K track names), checked against each other."""
    y_true = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)
    y_pred = np.asarray(y_pred, dtype=np.float64).reshape(len(y_pred), -1)
    names = labels or [f"track{k + 1}" for k in range(y_true.shape[1])]
    if len(names) != y_true.shape[1] or y_pred.shape != y_true.shape:
        raise ValueError(
            f"{len(names)} tracks, truth {y_true.shape} and predictions {y_pred.shape} differ"
        )
    return y_true, y_pred, list(names)


def multiregression_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[str] | None = None
) -> dict[str, float]:
    """Several real-valued outputs per row ((n, K) arrays, one per track; NaN: not known, that
    track skips the row): the median and mean over tracks of each track's Pearson, the medians
    of its Spearman and R², the RMSE of every known value pooled, then each track's own
    (`pearson_<track>`, `spearman_<track>`, `r2_<track>`; NaN for a track with no known row)."""
    y_true, y_pred, names = _track_columns(y_true, y_pred, labels)
    known = np.isfinite(y_true)
    nan = {"pearson": float("nan"), "spearman": float("nan"), "r2": float("nan")}
    per_track = [
        regression_metrics(y_true[known[:, k], k], y_pred[known[:, k], k])
        if known[:, k].any()
        else nan
        for k in range(len(names))
    ]
    error = (y_true - y_pred)[known]
    metrics = {
        "median_pearson": _nan_median([track["pearson"] for track in per_track]),
        "mean_pearson": _nan_median([track["pearson"] for track in per_track], summary=np.nanmean),
        "median_spearman": _nan_median([track["spearman"] for track in per_track]),
        "median_r2": _nan_median([track["r2"] for track in per_track]),
        "rmse": float(np.sqrt(np.mean(error**2))) if error.size else float("nan"),
    }
    for m in ("pearson", "spearman", "r2"):
        metrics.update(
            {f"{m}_{name}": track[m] for name, track in zip(names, per_track, strict=True)}
        )
    return metrics


def class_indices(values: np.ndarray, n_classes: int, name: str = "y_true") -> np.ndarray:
    """`values` as (n,) int class indices, checked to be whole numbers in 0..n_classes-1 (float
    arrays such as 2.0 are fine: targets often come back from parquet as floats)."""
    values = np.asarray(values)
    if values.ndim != 1:
        raise ValueError(f"{name} must be (n,) class indices, got shape {values.shape}")
    as_float = values.astype(np.float64)
    valid = np.isfinite(as_float) & (as_float == np.round(as_float))
    if not (valid.all() and ((as_float >= 0) & (as_float < n_classes)).all()):
        raise ValueError(f"{name} must hold class indices 0..{n_classes - 1}")
    return as_float.astype(int)


def _multiclass_inputs(
    y_true: np.ndarray, probability: np.ndarray, labels: list[str] | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(class indices (n,), probabilities (n, K), K class names), checked against each other."""
    probability = np.asarray(probability, dtype=np.float64)
    y_true = np.asarray(y_true)
    if probability.ndim != 2 or probability.shape[1] < 2 or y_true.shape != probability.shape[:1]:
        raise ValueError(
            f"truth {y_true.shape} must be (n,) and predictions {probability.shape} (n, K), K > 1"
        )
    names = labels or [f"class{k + 1}" for k in range(probability.shape[1])]
    if len(names) != probability.shape[1]:
        raise ValueError(f"{len(names)} labels for {probability.shape[1]} predicted classes")
    if len(y_true) == 0:
        raise ValueError("no rows to score")
    if not np.allclose(probability.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("each row of probabilities must sum to 1 (softmax, not logits)")
    return class_indices(y_true, len(names)), probability, list(names)


def _mcc(y_true: np.ndarray, predicted: np.ndarray) -> float:
    """sklearn's multi-class Matthews correlation (0 when truth and prediction are one class,
    said quietly: a fold with a single class is no reason to warn)."""
    from sklearn.metrics import matthews_corrcoef

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="A single label was found", category=UserWarning)
        return float(matthews_corrcoef(y_true, predicted))


def multiclass_log_loss(y_true: np.ndarray, probability: np.ndarray) -> float:
    """Cross-entropy of class indices (n,) under (n, K) probabilities, nats per row, the true
    class's probability clipped away from 0 and 1."""
    classes = np.asarray(y_true).astype(int)
    picked = np.asarray(probability, dtype=np.float64)[np.arange(len(classes)), classes]
    return float(-np.mean(np.log(np.clip(picked, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR))))


def multiclass_metrics(
    y_true: np.ndarray, probability: np.ndarray, labels: list[str] | None = None
) -> dict[str, float]:
    """One class of K per row: y_true (n,) class indices 0..K-1, probability (n, K) rows summing
    to 1. Accuracy of the most probable class, macro F1, Matthews correlation, the mean
    one-vs-rest AUROC over the classes that occur (NaN with fewer than 2), log loss (nats per
    row), then each class's AUROC and F1 (`auroc_<label>`, `f1_<label>`; labels default
    class1..classK). A class absent from y_true has no AUROC (NaN), and F1 only if predicted
    (0 then), so macro F1 is over the classes in the truth or the predictions, as sklearn's."""
    from sklearn.metrics import confusion_matrix, roc_auc_score

    y_true, probability, names = _multiclass_inputs(y_true, probability, labels)
    predicted = probability.argmax(axis=1)
    counts = confusion_matrix(y_true, predicted, labels=range(len(names)))
    tp = np.diag(counts).astype(np.float64)
    f1_denominator = counts.sum(axis=0) + counts.sum(axis=1)  # 2tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(f1_denominator > 0, 2 * tp / f1_denominator, np.nan)
    present = np.bincount(y_true, minlength=len(names))
    auroc = [
        float(roc_auc_score(y_true == k, probability[:, k]))
        if 0 < present[k] < len(y_true)
        else float("nan")
        for k in range(len(names))
    ]
    return {
        "accuracy": float((predicted == y_true).mean()),
        "macro_f1": float(np.nanmean(f1)),  # some class is always predicted: never all-NaN
        "mcc": _mcc(y_true, predicted),
        "auroc": float(np.nanmean(auroc)) if np.count_nonzero(present) > 1 else float("nan"),
        "log_loss": multiclass_log_loss(y_true, probability),
        **{f"auroc_{name}": value for name, value in zip(names, auroc, strict=True)},
        **{f"f1_{name}": float(value) for name, value in zip(names, f1, strict=True)},
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Plain regression: errors, R² and correlations."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    squared = float(((y_true - y_pred) ** 2).mean())
    variance = float(y_true.var())
    return {
        "rmse": float(np.sqrt(squared)),
        "mae": float(np.abs(y_true - y_pred).mean()),
        "r2": 1.0 - squared / variance if variance > 0 else 0.0,
        "pearson": _correlation("pearson", y_true, y_pred),
        "spearman": _correlation("spearman", y_true, y_pred),
    }


def sirna_table_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    threshold: float = SIRNA_THRESHOLD,
    official: bool = False,
    inclusive: bool = False,
) -> dict[str, float]:
    """A user's siRNA table, on % mRNA remaining: correlations, errors, and how well the
    prediction ranks the effective rows (true remaining < `threshold`, or <= with `inclusive`)
    first. `official` adds the competition's score (its own 30% threshold), meaningful only on
    its scale."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    plain = regression_metrics(y_true, y_pred)
    # Lower remaining is better, so the negated prediction is the score of "effective".
    effective = is_effective(y_true, threshold, inclusive).astype(int)
    metrics = {
        "pearson": plain["pearson"],
        "spearman": plain["spearman"],  # the same on efficacy: ranks just reverse on both sides
        **_ranking_metrics(effective, -y_pred),
        "mae": plain["mae"],
        "rmse": plain["rmse"],
    }
    if official:
        metrics["score"] = official_score(y_true, y_pred)["score"]
    return metrics


# The binary family's numbers before its confusion counts, in `binary_metrics`' order.
BINARY_SCALARS = ("accuracy", "auroc", "auprc", "log_loss", "mcc", "sensitivity", "specificity")
# Metric family (TaskKind.metric_family) -> (metrics function, leaderboard columns in order;
# None: every metric the function returns, in its order).
METRIC_FAMILIES: dict[str, tuple[Any, list[str] | None]] = {
    "sirna": (
        sirna_metrics,
        ["score", "mae", "range_mae", "f1", "precision", "recall", "pearson", "spearman"],
    ),
    "regression": (regression_metrics, ["rmse", "mae", "r2", "pearson", "spearman"]),
    "binary": (binary_metrics, [*BINARY_SCALARS, "tn", "fp", "fn", "tp"]),
    # `score` is there only for tables on the competition's scale (`official`).
    "sirna_table": (
        sirna_table_metrics,
        ["spearman", "pearson", "auroc", "auprc", "mae", "rmse", "score"],
    ),
    # Columns named after the task's labels: auroc_<label>, ...
    "multilabel": (multilabel_metrics, None),
    # Columns named after the task's tracks: pearson_<track>, ...
    "multiregression": (multiregression_metrics, None),
    # Then each class's auroc_<label> and f1_<label> (PER_CLASS_COLUMNS).
    "multiclass": (multiclass_metrics, ["accuracy", "macro_f1", "mcc", "auroc", "log_loss"]),
}
# Families whose leaderboard adds, after its fixed columns, every metric named with these
# prefixes (in the metrics function's order: one per class, named after the task's labels).
PER_CLASS_COLUMNS = {"multiclass": ("auroc_", "f1_")}

# Family -> the metrics a task of it may select on (early stopping and ranking): the scalar
# metrics its function returns (sirna_table's score: with `official`), each with a direction in
# HIGHER_IS_BETTER. The one place this is written down; tests check it against the functions.
SELECTABLE_METRICS: dict[str, tuple[str, ...]] = {
    "sirna": (
        "score",
        "mae",
        "range_mae",
        "f1",
        "precision",
        "recall",
        "pearson",
        "spearman",
        "rmse",
    ),
    "sirna_table": ("spearman", "pearson", "auroc", "auprc", "mae", "rmse", "score"),
    "regression": ("rmse", "mae", "r2", "pearson", "spearman"),
    # Sensitivity and specificity alone reward calling every row one class: shown, not chosen.
    "binary": ("accuracy", "auroc", "auprc", "log_loss", "mcc"),
    "multilabel": ("accuracy", "auroc", "auprc", "median_auroc", "median_auprc"),
    "multiregression": ("median_pearson", "mean_pearson", "median_spearman", "median_r2", "rmse"),
    "multiclass": ("accuracy", "macro_f1", "mcc", "auroc", "log_loss"),
}


# Families whose target is % mRNA remaining: lower is better, "effective" is below a threshold.
SIRNA_FAMILIES = ("sirna", "sirna_table")


def classifies(family: str) -> bool:
    """Whether the family's rows have classes to draw curves of (siRNA: effective or not)."""
    return family in ("binary", "multilabel", "multiclass", *SIRNA_FAMILIES)


def metric_columns(family: str, metrics: dict[str, Any]) -> list[str]:
    """The leaderboard columns of a family that `metrics` holds, in the family's order."""
    columns = METRIC_FAMILIES[family][1]
    if columns is None:
        return list(metrics)
    fixed = [m for m in columns if m in metrics]
    prefix = PER_CLASS_COLUMNS.get(family)
    return fixed if prefix is None else fixed + [m for m in metrics if m.startswith(prefix)]


def selectable_metrics(family: str) -> tuple[str, ...]:
    """The metrics a task of `family` may choose as its selection metric."""
    if family not in SELECTABLE_METRICS:
        raise ValueError(f"unknown metric family {family!r}")
    return SELECTABLE_METRICS[family]


def task_metrics(
    family: str, y_true: np.ndarray, y_pred: np.ndarray, **options: float | bool
) -> dict[str, float]:
    """The family's metrics; `options` are the task's own settings (tasks.metric_options)."""
    if family not in METRIC_FAMILIES:
        raise ValueError(f"unknown metric family {family!r}")
    return METRIC_FAMILIES[family][0](y_true, y_pred, **options)


def is_better(metric: str, new: float, old: float | None) -> bool:
    if old is None or np.isnan(old):
        return not np.isnan(new)
    return new > old if HIGHER_IS_BETTER[metric] else new < old


def rank_auroc(y_true: np.ndarray, score: np.ndarray) -> float:
    """AUROC as the Mann-Whitney statistic on average ranks (ties count a half): equal to
    `roc_auc_score`, without its curve; NaN when only one class is present."""
    from scipy.stats import rankdata

    positive = np.asarray(y_true).astype(bool)
    n_positive = int(positive.sum())
    n_negative = len(positive) - n_positive
    if n_positive == 0 or n_negative == 0:
        return float("nan")
    rank_sum = float(rankdata(score)[positive].sum())
    return (rank_sum - n_positive * (n_positive + 1) / 2) / (n_positive * n_negative)


def average_precision(y_true: np.ndarray, score: np.ndarray) -> float:
    """AUPRC as `average_precision_score` computes it (precision at each distinct score,
    weighted by the recall it adds; tied scores one step), from one sort; NaN when only one
    class is present (as `binary_metrics`)."""
    positive = np.asarray(y_true).astype(bool)
    n_positive = int(positive.sum())
    if n_positive == 0 or n_positive == len(positive):
        return float("nan")
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="stable")
    ranked = np.asarray(score, dtype=np.float64)[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]
    true_positives = np.cumsum(positive[order])[last_of_tie]
    precision = true_positives / (last_of_tie + 1)
    recall_added = np.diff(np.r_[0, true_positives]) / n_positive
    return float(np.sum(recall_added * precision))


def _per_column(function: Callable, truth: np.ndarray, score: np.ndarray) -> np.ndarray:
    """`function(truth, score)` of each column of (n, K) arrays (or an (n,) one)."""
    truth = np.asarray(truth).reshape(len(truth), -1)
    score = np.asarray(score, dtype=np.float64).reshape(len(score), -1)
    return np.array([function(truth[:, k], score[:, k]) for k in range(truth.shape[1])])


# Of a multi-label task's labels: each label's metric, and how the labels' are summarised.
LABEL_SUMMARIES = {
    "auroc": (rank_auroc, np.nanmean),
    "auprc": (average_precision, np.nanmean),
    "median_auroc": (rank_auroc, np.nanmedian),
    "median_auprc": (average_precision, np.nanmedian),
}


def _fast_multiclass(metric: str, y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    """Multi-class macro F1 and MCC from the confusion counts, AUROC from ranks."""
    probability = np.asarray(y_pred, dtype=np.float64)
    classes, n_classes = np.asarray(y_true).astype(int), probability.shape[1]
    if metric == "auroc":
        one_hot = np.eye(n_classes, dtype=int)[classes]
        present = one_hot.any(axis=0)
        each = _per_column(rank_auroc, one_hot, probability)
        return _nan_median(each, summary=np.nanmean) if present.sum() > 1 else float("nan")
    if metric not in ("macro_f1", "mcc"):
        return None
    pairs = classes * n_classes + probability.argmax(axis=1)
    counts = np.bincount(pairs, minlength=n_classes**2).astype(np.float64)
    return float(_confusion_metric(metric, n_classes)(counts[None])[0])


def _fast_tracks(metric: str, y_true: np.ndarray, y_pred: np.ndarray) -> float | None:
    """Multi-output regression's selection metrics but Spearman, without the per-track rest."""
    if metric not in SUMMED_SELECTION["multiregression"]:
        return None
    form = _summed_tracks(metric, np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64))
    return float(form.finish(form.terms.sum(axis=0)[None])[0])


def _fast_selection(family: str, metric: str, y_true: np.ndarray, y_pred: np.ndarray):
    """The selection metrics a bootstrap asks for a thousand times, without the rest of the
    family's metrics; None where there is no shortcut."""
    if metric == "score" and family == "sirna":
        return official_score(y_true, y_pred)["score"]
    if family == "multiclass":
        fast = _fast_multiclass(metric, y_true, y_pred)
        if fast is not None:
            return fast
    if family == "multiregression":
        return _fast_tracks(metric, y_true, y_pred)
    if family == "binary" and metric == "auroc":
        return rank_auroc(y_true, y_pred)
    if family == "binary" and metric == "auprc":
        return average_precision(y_true, y_pred)
    if family == "binary" and metric == "log_loss":
        return binary_log_loss(y_true, y_pred)
    if family == "binary" and metric == "mcc":
        return binary_mcc(y_true, y_pred)
    if family == "multiclass" and metric == "log_loss":
        return multiclass_log_loss(y_true, y_pred)
    if family in ("regression", *SIRNA_FAMILIES) and metric in ("pearson", "spearman"):
        return _correlation(metric, np.asarray(y_true, np.float64), np.asarray(y_pred, np.float64))
    if family == "multilabel" and metric in LABEL_SUMMARIES:
        each, summary = LABEL_SUMMARIES[metric]
        return _nan_median(_per_column(each, y_true, y_pred), summary=summary)
    return None


def selection_value(
    family: str, metric: str, y_true: np.ndarray, y_pred: np.ndarray, **options: float | bool
) -> float:
    """One metric of a family, the fast way where there is one (official score, AUROC, log
    loss: the bootstrap of every leaderboard computes it a thousand times per row)."""
    fast = _fast_selection(family, metric, y_true, y_pred)
    if fast is not None:
        return fast
    return task_metrics(family, y_true, y_pred, **options)[metric]


# --- Selection metrics as weighted sums, for the bootstrap -----------------------------------
# A bootstrap resample is a weight per row (how often its group was drawn). A metric that is a
# function of weighted sums of per-row terms then costs one matrix product per batch of
# resamples instead of a pass over each resample's rows: `finish(weights @ terms)`. Metrics of
# ranks (AUROC, Spearman) are not such sums; on many rows their first-order form is (each
# row's influence on the metric, weighted: the Hájek projection), whose error shrinks as
# 1/rows while the bootstrap's spread shrinks as 1/sqrt(rows).


@dataclass(frozen=True)
class SummedMetric:
    """A metric as `finish` of the weighted sums of `terms`: for (k, n) row weights `w`,
    `finish(w @ terms)` holds the metric of each of the k weighted copies of the rows."""

    terms: np.ndarray  # (n, m): each row's terms
    finish: Callable[[np.ndarray], np.ndarray]  # (k, m) weighted sums -> (k,) metric values


def _share(numerator: np.ndarray, denominator: np.ndarray, undefined: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, undefined)


def _spread(squares: np.ndarray, sums: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted sum of squared deviations from the weighted mean, 0 where the values are one
    (up to rounding: the terms are centred on the unweighted mean first)."""
    deviation = squares - _share(sums**2, weight, 0.0)
    return np.where(deviation > 1e-10 * squares, deviation, 0.0)


def _pearson_terms(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """(n, 6) terms of Pearson's correlation: 1, x, y, x², y², xy, centred first."""
    x, y = y_pred - y_pred.mean(), y_true - y_true.mean()
    return np.column_stack([np.ones_like(x), x, y, x * x, y * y, x * y])


def _pearson_of_sums(s: np.ndarray) -> np.ndarray:
    """(k, 6) weighted sums of `_pearson_terms` -> (k,) correlations."""
    x_spread, y_spread = _spread(s[:, 3], s[:, 1], s[:, 0]), _spread(s[:, 4], s[:, 2], s[:, 0])
    product = s[:, 5] - _share(s[:, 1] * s[:, 2], s[:, 0], 0.0)
    # A constant side has no correlation: 0, as `_correlation` says.
    return np.clip(_share(product, np.sqrt(x_spread * y_spread), 0.0), -1.0, 1.0)


def _summed_pearson(y_true: np.ndarray, y_pred: np.ndarray) -> SummedMetric:
    return SummedMetric(_pearson_terms(y_true, y_pred), _pearson_of_sums)


def _summed_errors(metric: str, y_true: np.ndarray, y_pred: np.ndarray) -> SummedMetric:
    """MAE, RMSE and R² of a regression (`regression_metrics`), and its Pearson correlation."""
    if metric == "pearson":
        return _summed_pearson(y_true, y_pred)
    error = y_true - y_pred
    ones = np.ones_like(error)
    if metric == "mae":
        return SummedMetric(np.column_stack([ones, np.abs(error)]), lambda s: s[:, 1] / s[:, 0])
    if metric == "rmse":
        return SummedMetric(np.column_stack([ones, error**2]), lambda s: np.sqrt(s[:, 1] / s[:, 0]))
    centred = y_true - y_true.mean()

    def r2(s: np.ndarray) -> np.ndarray:
        spread = _spread(s[:, 3], s[:, 2], s[:, 0])
        return np.where(spread > 0, 1.0 - _share(s[:, 1], spread, 0.0), 0.0)

    return SummedMetric(np.column_stack([ones, error**2, centred, centred**2]), r2)


def _summed_tracks(metric: str, y_true: np.ndarray, y_pred: np.ndarray) -> SummedMetric:
    """Multi-output regression (`multiregression_metrics`): each track's Pearson or R² from its
    known rows' terms (an unknown row adds zeros), their median or mean; the pooled RMSE."""
    y_true, y_pred, _ = _track_columns(y_true, y_pred, None)
    known = np.isfinite(y_true)
    if metric == "rmse":
        squared = np.where(known, y_true - y_pred, 0.0) ** 2
        terms = np.column_stack([known.sum(axis=1), squared.sum(axis=1)]).astype(np.float64)
        return SummedMetric(terms, lambda s: np.sqrt(_share(s[:, 1], s[:, 0], np.nan)))
    one_track = _summed_pearson if metric.endswith("pearson") else partial(_summed_errors, "r2")
    tracks = np.flatnonzero(known.any(axis=0))  # a track never known has no figure: NaN
    forms = [one_track(y_true[known[:, k], k], y_pred[known[:, k], k]) for k in tracks]
    width = 6 if metric.endswith("pearson") else 4
    terms = np.zeros((len(y_true), width * len(forms)))
    for j, (k, form) in enumerate(zip(tracks, forms, strict=True)):
        terms[known[:, k], width * j : width * (j + 1)] = form.terms
    summary = np.nanmean if metric.startswith("mean") else np.nanmedian

    def finish(s: np.ndarray) -> np.ndarray:
        each = np.full((len(s), max(len(forms), 1)), np.nan)
        for j, form in enumerate(forms):
            sums = s[:, width * j : width * (j + 1)]
            each[:, j] = np.where(sums[:, 0] > 0, form.finish(sums), np.nan)
        return _nan_median(each, axis=1, summary=summary)

    return SummedMetric(terms, finish)


def _summed_official_score(y_true: np.ndarray, y_pred: np.ndarray) -> SummedMetric:
    """`official_score`'s score: MAE, the F1 counts and the range MAE's rows are all sums."""
    true_hit, pred_hit = y_true < SIRNA_THRESHOLD, y_pred < SIRNA_THRESHOLD
    error = np.abs(y_true - y_pred)
    in_range = (y_pred >= 0) & (y_pred <= SIRNA_THRESHOLD)
    terms = np.column_stack(
        [
            np.ones_like(error),
            error,
            true_hit & pred_hit,
            ~true_hit & pred_hit,
            true_hit & ~pred_hit,
            in_range,
            in_range * error,
        ]
    ).astype(np.float64)

    def finish(s: np.ndarray) -> np.ndarray:
        f1 = _share(2 * s[:, 2], 2 * s[:, 2] + s[:, 3] + s[:, 4], 0.0)
        range_error = _share(s[:, 6], s[:, 5], 100.0)
        return 0.5 * (1 - s[:, 1] / s[:, 0] / 100) + 0.5 * f1 * (1 - range_error / 100)

    return SummedMetric(terms, finish)


def _mid_cdf(values: np.ndarray) -> np.ndarray:
    """Each row's share of rows below it, ties counting a half: (mid-rank - 1/2) / n."""
    from scipy.stats import rankdata

    return (rankdata(values) - 0.5) / len(values)


def _mean_above(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per row i: mean over rows j of weights[j] where values[j] > values[i], ties a half."""
    distinct, position = np.unique(values, return_inverse=True)
    tied = np.bincount(position, weights=weights, minlength=len(distinct))
    above = tied.sum() - np.cumsum(tied)
    return (above[position] + tied[position] / 2) / len(values)


def _first_order_spearman(y_true: np.ndarray, y_pred: np.ndarray) -> SummedMetric:
    """Spearman's correlation (Pearson's of mid-ranks) and each row's influence on it: the
    derivative of the metric as the row's weight grows, ranks of every row moving with it."""
    a, b = _mid_cdf(y_pred), _mid_cdf(y_true)
    both, a_spread, b_spread = np.mean(a * b), np.mean(a * a) - 0.25, np.mean(b * b) - 0.25
    if a_spread <= 0 or b_spread <= 0:  # a constant side: 0 on every resample
        return SummedMetric(np.ones((len(a), 1)), lambda s: np.zeros(len(s)))
    scale = np.sqrt(a_spread * b_spread)
    rho = (both - 0.25) / scale
    covariance = a * b - 3 * both + _mean_above(y_pred, b) + _mean_above(y_true, a)
    a_variance = a * a - 3 * np.mean(a * a) + 2 * _mean_above(y_pred, a)
    b_variance = b * b - 3 * np.mean(b * b) + 2 * _mean_above(y_true, b)
    influence = covariance / scale - rho / 2 * (a_variance / a_spread + b_variance / b_spread)
    influence -= influence.mean()
    terms = np.column_stack([np.ones_like(a), influence])
    return SummedMetric(terms, lambda s: np.clip(rho + s[:, 1] / s[:, 0], -1.0, 1.0))


def _auroc_terms(positive: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, float]:
    """(n, 4) terms of AUROC's first-order form (positive, positive x share of negatives
    below it, negative, negative x share of positives above it; ties a half), and the AUROC."""
    n_positive = int(positive.sum())
    n_negative = len(positive) - n_positive
    if n_negative == 0 or n_positive == 0:
        return np.zeros((len(score), 4)), float("nan")
    distinct, position = np.unique(score, return_inverse=True)
    positives_at = np.bincount(position, positive, len(distinct))
    negatives_at = np.bincount(position, ~positive, len(distinct))
    negatives_below = np.cumsum(negatives_at) - negatives_at / 2
    positives_above = n_positive - np.cumsum(positives_at) + positives_at / 2
    placement = np.where(
        positive, negatives_below[position] / n_negative, positives_above[position] / n_positive
    )
    terms = np.column_stack([positive, positive * placement, ~positive, ~positive * placement])
    return terms, float(placement[positive].mean())


def _first_order_auroc(
    truth: np.ndarray, score: np.ndarray, summary: Callable = np.nanmean
) -> SummedMetric:
    """AUROC of each column of 0/1 `truth` ranked by `score` ((n, K) both), averaged (or
    `summary`) over the columns that have both classes in the resample (`rank_auroc`,
    `multilabel_metrics`, one-vs-rest of `multiclass_metrics`)."""
    parts = [_auroc_terms(truth[:, k].astype(bool), score[:, k]) for k in range(truth.shape[1])]
    terms = np.hstack([part[0] for part in parts]).astype(np.float64)
    aurocs = np.array([part[1] for part in parts])

    def finish(s: np.ndarray) -> np.ndarray:
        s = s.reshape(len(s), -1, 4)
        each = _share(s[..., 1], s[..., 0], np.nan) + _share(s[..., 3], s[..., 2], np.nan) - aurocs
        return _nan_median(each, axis=1, summary=summary)  # a resample with one class: NaN

    return SummedMetric(terms, finish)


def _summed_calls(truth: np.ndarray, correct: np.ndarray) -> SummedMetric:
    """Accuracy, averaged over columns: the share of rows each column calls right."""
    terms = np.column_stack([np.ones(len(truth)), correct]).astype(np.float64)
    return SummedMetric(terms, lambda s: (s[:, 1:] / s[:, :1]).mean(axis=1))


def _summed_mcc(y_true: np.ndarray, probability: np.ndarray) -> SummedMetric:
    truth, called = y_true.astype(int) == 1, probability >= 0.5
    terms = np.column_stack([~truth & ~called, ~truth & called, truth & ~called, truth & called])

    def finish(s: np.ndarray) -> np.ndarray:
        tn, fp, fn, tp = s.T
        denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
        return _share(tp * tn - fp * fn, denominator, 0.0)

    return SummedMetric(terms.astype(np.float64), finish)


def _confusion_metric(metric: str, n_classes: int) -> Callable[[np.ndarray], np.ndarray]:
    """(k, K²) weighted counts of (true, predicted) class pairs -> macro F1 (over the classes
    in the truth or the calls) or MCC (sklearn's `matthews_corrcoef`) of each."""

    def finish(s: np.ndarray) -> np.ndarray:
        counts = s.reshape(len(s), n_classes, n_classes)
        true, called = counts.sum(axis=2), counts.sum(axis=1)
        correct = np.trace(counts, axis1=1, axis2=2)
        if metric == "macro_f1":
            f1 = _share(2 * np.diagonal(counts, axis1=1, axis2=2), true + called, np.nan)
            return _nan_median(f1, axis=1, summary=np.nanmean)
        rows = counts.sum(axis=(1, 2))
        both = correct * rows - (true * called).sum(axis=1)
        spread = (rows**2 - (called**2).sum(axis=1)) * (rows**2 - (true**2).sum(axis=1))
        return _share(both, np.sqrt(np.maximum(spread, 0.0)), 0.0)

    return finish


def _summed_confusion(metric: str, classes: np.ndarray, probability: np.ndarray) -> SummedMetric:
    n_classes = probability.shape[1]
    pairs = classes * n_classes + probability.argmax(axis=1)
    terms = np.zeros((len(classes), n_classes**2))
    terms[np.arange(len(classes)), pairs] = 1.0
    return SummedMetric(terms, _confusion_metric(metric, n_classes))


def _summed_log_loss(picked: np.ndarray) -> SummedMetric:
    """Log loss from each row's probability of its true class."""
    loss = -np.log(np.clip(picked, PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR))
    return SummedMetric(np.column_stack([np.ones_like(loss), loss]), lambda s: s[:, 1] / s[:, 0])


def _summed_classes(
    family: str, metric: str, y_true: np.ndarray, y_pred: np.ndarray, first_order: bool
) -> SummedMetric | None:
    """Binary, multi-label and multi-class selection metrics as sums (None: no such form)."""
    if family == "multiclass":
        classes = np.asarray(y_true).astype(int)
        if metric == "log_loss":
            return _summed_log_loss(y_pred[np.arange(len(classes)), classes])
        if metric in ("macro_f1", "mcc"):
            return _summed_confusion(metric, classes, y_pred)
        if metric == "auroc":
            one_hot = np.eye(y_pred.shape[1], dtype=int)[classes]
            return _first_order_auroc(one_hot, y_pred) if first_order else None
        return _summed_calls(classes, y_pred.argmax(axis=1) == classes)
    truth = np.asarray(y_true).reshape(len(y_true), -1).astype(int)
    probability = y_pred.reshape(len(y_pred), -1)
    if metric == "accuracy":
        return _summed_calls(truth, (probability >= 0.5).astype(int) == truth)
    if metric in ("auroc", "median_auroc"):
        summary = np.nanmedian if metric == "median_auroc" else np.nanmean
        return _first_order_auroc(truth, probability, summary) if first_order else None
    if metric == "log_loss":
        picked = np.where(truth[:, 0] == 1, probability[:, 0], 1 - probability[:, 0])
        return _summed_log_loss(picked)
    return _summed_mcc(truth[:, 0], probability[:, 0])


# Per family, the selection metrics with a summed form (ranks: with `first_order` only).
SUMMED_SELECTION = {
    "regression": ("mae", "rmse", "r2", "pearson", "spearman"),
    "sirna": ("score", "mae", "rmse", "pearson", "spearman"),
    "sirna_table": ("score", "mae", "rmse", "pearson", "spearman", "auroc"),
    "binary": ("accuracy", "auroc", "log_loss", "mcc"),
    "multilabel": ("accuracy", "auroc", "median_auroc"),
    "multiclass": ("accuracy", "log_loss", "macro_f1", "mcc", "auroc"),
    "multiregression": ("median_pearson", "mean_pearson", "median_r2", "rmse"),
}


def summed_selection(
    family: str,
    metric: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    first_order: bool = False,
    **options: Any,
) -> SummedMetric | None:
    """`selection_value` as weighted sums of per-row terms (exact; with `first_order`, AUROC
    and Spearman by their first-order form too), None where there is no such form."""
    if metric not in SUMMED_SELECTION.get(family, ()):
        return None
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if family in ("binary", "multilabel", "multiclass"):
        return _summed_classes(family, metric, y_true, y_pred, first_order)
    if family == "multiregression":
        return _summed_tracks(metric, np.asarray(y_true, dtype=np.float64), y_pred)
    y_true = np.asarray(y_true, dtype=np.float64)
    if metric == "score":
        return _summed_official_score(y_true, y_pred)
    if metric == "auroc":  # sirna_table: effective rows ranked by a lower prediction
        effective = is_effective(
            y_true, options.get("threshold", SIRNA_THRESHOLD), bool(options.get("inclusive", False))
        )
        return _first_order_auroc(effective[:, None], -y_pred[:, None]) if first_order else None
    if metric == "spearman":
        return _first_order_spearman(y_true, y_pred) if first_order else None
    return _summed_errors(metric, y_true, y_pred)
