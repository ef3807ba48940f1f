"""Objectives: the maths of what a task predicts, defined once per kind of target.

A task's objective says how many outputs its networks have, the loss they are fitted with,
how raw outputs become predictions, which metrics score them (their family) and which one
ranks models by default, how folds are stratified and what an ensemble is fitted against.
What else differs by objective is a table keyed by its name beside the code that uses it:
how labels are written (`tasks/labels.py`), what a GAN learns (`design/targets.py`), which
rows interpretation reads (`interpretation/attributions.py`), the boosted estimator
(`models/gbm.py`), prediction columns (`evaluation/predict.py`) and figures
(`report/views.py`). No module branches on an objective's name.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlgenomics import InputError
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
    # Ensembles weigh members on every output at once; multi-label tasks have none (their
    # leaderboards keep the networks alone).
    ensembles = True
    calibrated_ensemble = False  # affine calibration of the ensemble on the selection metric
    custom_losses = False  # losses other than the objective's own (regression: huber, ...)

    def n_outputs(self, labels: Sequence[str]) -> int:
        return 1

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


class Regression(Objective):
    name, metric_family, selection_metric = "regression", "regression", "rmse"
    calibrated_ensemble = True
    custom_losses = True

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


class Binary(Objective):
    name, metric_family, selection_metric = "binary", "binary", "auroc"
    stratified = True

    def loss(self, output: Any, target: Any, weight: Any = None, name: str = "mse") -> Any:
        import torch.nn.functional as F

        return F.binary_cross_entropy_with_logits(output[:, 0], target)

    def transform(self, raw: Any, target_scale: Sequence[float]) -> np.ndarray:
        import torch

        return torch.sigmoid(raw[:, 0]).cpu().numpy()

    def stratify_by(self, target: np.ndarray) -> np.ndarray | None:
        return np.asarray(target).astype(np.int64)


class MultiClass(Objective):
    name, metric_family, selection_metric = "multiclass", "multiclass", "log_loss"
    stratified = True

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


class MultiLabel(Objective):
    name, metric_family, selection_metric = "multilabel", "multilabel", "auroc"
    ensembles = False

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


class MultiRegression(Objective):
    name, metric_family = "multiregression", "multiregression"
    selection_metric = "median_pearson"

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
