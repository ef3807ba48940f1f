"""Figures for people: learning curves and prediction plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: cluster nodes have no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve

from dlgenomics.files import atomic_path
from dlgenomics.metrics import SIRNA_THRESHOLD


def _save(fig: plt.Figure, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)


def learning_curves(
    histories: dict[int, pd.DataFrame], metric: str, title: str, path: Path
) -> None:
    """Training loss and validation metric per epoch, one line per fold."""
    fig, (loss_ax, metric_ax) = plt.subplots(1, 2, figsize=(10, 3.8))
    for fold, history in sorted(histories.items()):
        loss_ax.plot(history["epoch"], history["train_loss"], label=f"fold {fold}")
        metric_ax.plot(history["epoch"], history[f"valid_{metric}"], label=f"fold {fold}")
    loss_ax.set(xlabel="epoch", ylabel="training loss (scaled)", title="training loss")
    metric_ax.set(xlabel="epoch", ylabel=metric, title=f"validation {metric}")
    metric_ax.legend(fontsize="small")
    fig.suptitle(title)
    _save(fig, path)


def prediction_plot(
    metric_family: str, y_true: np.ndarray, y_pred: np.ndarray, title: str, path: Path
) -> None:
    """Regression: predicted vs observed (siRNA: with the 30% efficacy threshold).
    Binary: ROC curve."""
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    if metric_family != "binary":
        ax.scatter(y_true, y_pred, s=3, alpha=0.3)
        low = float(min(np.min(y_true), np.min(y_pred), 0))
        top = float(max(np.max(y_true), np.max(y_pred)))
        ax.plot([low, top], [low, top], color="grey", lw=1)
        if metric_family == "sirna":
            ax.axvline(SIRNA_THRESHOLD, color="red", lw=0.8, ls="--")
            ax.axhline(SIRNA_THRESHOLD, color="red", lw=0.8, ls="--")
        ax.set(xlabel="observed", ylabel="predicted (out of fold)")
    else:
        fpr, tpr, _ = roc_curve(y_true, y_pred)
        ax.plot(fpr, tpr)
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
        ax.set(xlabel="false positive rate", ylabel="true positive rate")
    ax.set_title(title)
    _save(fig, path)


def screen_plot(table: pd.DataFrame, column: str, top: int, title: str, path: Path) -> None:
    """Predicted % mRNA remaining along the transcript; the `top` best sites marked."""
    ordered = table.sort_values("position")
    fig, ax = plt.subplots(figsize=(11, 3.6))
    ax.plot(ordered["position"], ordered[column], lw=0.5, color="tab:blue", alpha=0.6,
            label="each site")  # fmt: skip
    if len(ordered) > 200:  # long transcripts: where along the mRNA the good regions are
        smooth = ordered[column].rolling(51, center=True, min_periods=10).median()
        ax.plot(ordered["position"], smooth, lw=1.4, color="navy", label="running median (51)")
    best = table.nsmallest(top, column)
    ax.scatter(best["position"], best[column], s=14, color="tab:red", zorder=3,
               label=f"best {len(best)} sites")  # fmt: skip
    ax.axhline(
        SIRNA_THRESHOLD, color="grey", lw=0.8, ls="--", label=f"{SIRNA_THRESHOLD:g}% remaining"
    )
    ax.set(xlabel="site start on the mRNA (nt)", ylabel="predicted % mRNA remaining", title=title)
    ax.legend(fontsize="small", loc="upper right")
    _save(fig, path)
