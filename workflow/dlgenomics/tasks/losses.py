"""Regression losses and row weights, shared by the networks and the tabular model.

`threshold_weighted` leans on the rows the siRNA official score rewards: its F1 and range-MAE
parts only look at rows near and below the "effective" threshold (30% mRNA remaining), so an
error there costs more than the same error at 90% remaining. Row weight:

    w(y) = 1 + THRESHOLD_EXTRA_WEIGHT * sigmoid((threshold - y) / THRESHOLD_WIDTH)

(~3 well below the threshold, 2 at it, ~1 far above), mean-normalised so that the loss keeps
the scale of plain MSE.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlgenomics.metrics import SIRNA_THRESHOLD

REGRESSION_LOSSES = ("mse", "huber", "threshold_weighted")
HUBER_DELTA = 1.0  # in standard deviations of the training target (targets are standardised)
THRESHOLD_EXTRA_WEIGHT = 2.0
THRESHOLD_WIDTH = 5.0  # target units (% remaining) over which the weight rises


def loss_threshold(metric_family: str, metric_options: dict[str, Any]) -> float | None:
    """The efficacy threshold (% remaining) that threshold-weighted losses lean on."""
    if "threshold" in metric_options:
        return float(metric_options["threshold"])
    return SIRNA_THRESHOLD if metric_family == "sirna" else None


def row_weights(loss: str, target: np.ndarray, threshold: float | None) -> np.ndarray | None:
    """Per-row weights of the loss (None: every row counts the same)."""
    if loss != "threshold_weighted":
        return None
    if threshold is None:
        raise ValueError("the threshold_weighted loss needs a task with an efficacy threshold")
    target = np.asarray(target, dtype=np.float64)
    weights = 1.0 + THRESHOLD_EXTRA_WEIGHT / (1.0 + np.exp((target - threshold) / THRESHOLD_WIDTH))
    weights[np.isnan(weights)] = 1.0
    return (weights / weights.mean()).astype(np.float32)


def clip_target(target: np.ndarray, bounds: list[float] | None) -> np.ndarray:
    """Training targets clipped to [low, high] (e.g. [0, 100] % remaining); NaN stays NaN."""
    if bounds is None:
        return target
    low, high = bounds
    return np.clip(target, low, high)
