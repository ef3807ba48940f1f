"""Figures for people: learning curves and prediction plots."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: cluster nodes have no display
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.image import AxesImage
from matplotlib.patches import Patch

from dlgenomics.files import atomic_path
from dlgenomics.metrics import SIRNA_FAMILIES, SIRNA_THRESHOLD, class_indices
from dlgenomics.report.views import ClassesView


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
    metric_family: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    title: str,
    path: Path,
    labels: list[str] | None = None,
) -> None:
    """Regression: predicted vs observed (siRNA: with the 30% efficacy threshold).
    Binary: ROC curve. Multi-class: `class_probabilities` (`labels` names the classes)."""
    if metric_family == "multiclass":
        class_probabilities(y_true, y_pred, labels, title, path)
        return
    fig, ax = plt.subplots(figsize=(4.6, 4.4))
    if metric_family != "binary":
        ax.scatter(y_true, y_pred, s=3, alpha=0.3)
        low = float(min(np.min(y_true), np.min(y_pred), 0))
        top = float(max(np.max(y_true), np.max(y_pred)))
        ax.plot([low, top], [low, top], color="grey", lw=1)
        if metric_family == "sirna":
            ax.axvline(SIRNA_THRESHOLD, color="red", lw=0.8, ls="--")
            ax.axhline(SIRNA_THRESHOLD, color="red", lw=0.8, ls="--")
        # siRNA families: % mRNA remaining, lower is better (a user's efficacy table too).
        unit = " (% mRNA remaining, lower is better)" if metric_family in SIRNA_FAMILIES else ""
        ax.set(xlabel=f"observed{unit}", ylabel=f"predicted{unit}")  # which rows: the title
    else:
        from sklearn.metrics import roc_curve  # here: ~2 s of start-up most jobs never need

        fpr, tpr, _ = roc_curve(y_true, y_pred)
        ax.plot(fpr, tpr)
        ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--")
        ax.set(xlabel="false positive rate", ylabel="true positive rate")
    ax.set_title(title)
    _save(fig, path)


def _multiclass_truth(y_true: np.ndarray, n_rows: int, n_classes: int) -> np.ndarray:
    """Class indices (n,) from (n,) indices or (n, K) one-hot truth."""
    truth = np.asarray(y_true)
    if truth.ndim == 2:
        if truth.shape != (n_rows, n_classes):
            raise ValueError(f"one-hot y_true has shape {truth.shape}, not {(n_rows, n_classes)}")
        if not (np.isin(truth, (0, 1)).all() and (truth.sum(axis=1) == 1).all()):
            raise ValueError("one-hot y_true must hold a single 1 per row")
        truth = truth.argmax(axis=1)
    if truth.shape != (n_rows,):
        raise ValueError(f"y_true has shape {truth.shape} for {n_rows} rows of probabilities")
    return class_indices(truth, n_classes)


def class_probabilities(
    y_true: np.ndarray,
    probability: np.ndarray,
    labels: list[str] | None,
    title: str,
    path: Path,
) -> None:
    """Multi-class: per class, box plots of its predicted probability on the rows of that class
    (blue) and on all other rows (grey): the further apart, the better the class is told apart.
    A class with no rows of its own has only the grey box.

    y_true: (n,) class indices 0..K-1 or (n, K) one-hot; probability: (n, K); labels: K names
    (default class1..classK).
    """
    probability = np.asarray(probability, dtype=np.float64)
    if probability.ndim != 2 or probability.shape[1] < 2 or probability.shape[0] == 0:
        raise ValueError(f"probability must be (n, K) with n > 0, K > 1, got {probability.shape}")
    n_classes = probability.shape[1]
    names = list(labels) if labels else [f"class{k + 1}" for k in range(n_classes)]
    if len(names) != n_classes:
        raise ValueError(f"{len(names)} labels given for {n_classes} classes")
    truth = _multiclass_truth(y_true, len(probability), n_classes)
    fig, ax = plt.subplots(figsize=(max(4.6, 0.8 * n_classes + 1.6), 4.4))
    groups = (("rows of the class", -0.18, "tab:blue", True), ("other rows", 0.18, "grey", False))
    for k in range(n_classes):
        for _, offset, colour, own in groups:
            values = probability[(truth == k) == own, k]
            if len(values):
                ax.boxplot(
                    values,
                    positions=[k + offset],
                    widths=0.3,
                    patch_artist=True,
                    boxprops={"facecolor": colour, "alpha": 0.6},
                    medianprops={"color": "black"},
                    flierprops={"markersize": 2},
                )
    handles = [Patch(facecolor=c, alpha=0.6, label=name) for name, _, c, _ in groups]
    ax.legend(handles=handles, fontsize="small", loc="upper right")
    ax.set_xticks(range(n_classes), names)
    ax.set(
        xlim=(-0.6, n_classes - 0.4),
        ylim=(-0.02, 1.02),
        xlabel="class",
        ylabel="predicted probability of the class",
        title=title,
    )
    _rotate_long_ticks(ax, names)
    _save(fig, path)


def screen_plot(table: pd.DataFrame, column: str, top: int, title: str, path: Path) -> None:
    """Predicted % mRNA remaining along the transcript; the `top` best sites marked."""
    ordered = table.sort_values("position")
    fig, ax = plt.subplots(figsize=(11, 3.6))
    ax.plot(
        ordered["position"], ordered[column], lw=0.5, color="tab:blue", alpha=0.6, label="each site"
    )
    if len(ordered) > 200:  # long transcripts: where along the mRNA the good regions are
        smooth = ordered[column].rolling(51, center=True, min_periods=10).median()
        ax.plot(ordered["position"], smooth, lw=1.4, color="navy", label="running median (51)")
    best = table.nsmallest(top, column)
    ax.scatter(
        best["position"],
        best[column],
        s=14,
        color="tab:red",
        zorder=3,
        label=f"best {len(best)} sites",
    )
    ax.axhline(
        SIRNA_THRESHOLD, color="grey", lw=0.8, ls="--", label=f"{SIRNA_THRESHOLD:g}% remaining"
    )
    ax.set(xlabel="site start on the mRNA (nt)", ylabel="predicted % mRNA remaining", title=title)
    ax.legend(fontsize="small", loc="upper right")
    _save(fig, path)


def _label_columns(
    y_true: np.ndarray, other: np.ndarray, labels: list[str], other_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """Truth and score/prediction as (n, K) arrays, checked against each other and `labels`."""
    truth, second = np.asarray(y_true), np.asarray(other)
    if truth.shape != second.shape:
        raise ValueError(f"y_true has shape {truth.shape} but {other_name} has {second.shape}")
    if truth.ndim not in (1, 2) or truth.shape[0] == 0:
        raise ValueError(f"y_true must be (n,) or (n, K) with n > 0, got shape {truth.shape}")
    if truth.ndim == 1:
        truth, second = truth[:, None], second[:, None]
    if truth.shape[1] != len(labels):
        raise ValueError(f"{len(labels)} labels given for {truth.shape[1]} column(s) of y_true")
    if not np.isin(truth, (0, 1)).all():
        raise ValueError("y_true must hold only 0 and 1")
    return truth.astype(int), second


def roc_curves(
    y_true: np.ndarray, score: np.ndarray, labels: list[str], title: str, path: Path
) -> None:
    """ROC curve per label on one axes (legend with each label's AUROC), chance diagonal.

    y_true, score: (n,) or (n, K) with K = len(labels); 0/1 truth, higher score = more positive.
    A label whose truth has a single class has no curve, only a legend note saying so.
    """
    truth, score = _label_columns(y_true, score, labels, "score")
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    for k, label in enumerate(labels):
        if len(np.unique(truth[:, k])) < 2:  # ROC needs both classes: say so, draw nothing
            ax.plot([], [], ls="none", label=f"{label} (one class: no curve)")
            continue
        from sklearn.metrics import roc_auc_score, roc_curve

        fpr, tpr, _ = roc_curve(truth[:, k], score[:, k])
        auroc = roc_auc_score(truth[:, k], score[:, k])
        ax.plot(fpr, tpr, label=f"{label} (AUROC {auroc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="chance")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title=title)
    ax.set(xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(fontsize="small", loc="lower right")
    _save(fig, path)


def pr_curves(
    y_true: np.ndarray, score: np.ndarray, labels: list[str], title: str, path: Path
) -> None:
    """Precision-recall curve per label (legend with AUPRC = average precision), and a dashed
    line per label at its positive share, the precision of guessing.

    Shapes as in `roc_curves`; a label whose truth has a single class gets a note, no curve.
    """
    truth, score = _label_columns(y_true, score, labels, "score")
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    for k, label in enumerate(labels):
        if len(np.unique(truth[:, k])) < 2:  # all or no positives: the curve says nothing
            ax.plot([], [], ls="none", label=f"{label} (one class: no curve)")
            continue
        from sklearn.metrics import average_precision_score, precision_recall_curve

        precision, recall, _ = precision_recall_curve(truth[:, k], score[:, k])
        auprc = average_precision_score(truth[:, k], score[:, k])
        (line,) = ax.step(recall, precision, where="post", label=f"{label} (AUPRC {auprc:.3f})")
        # Chance level differs per label (its positive share), so one dashed line each.
        ax.axhline(truth[:, k].mean(), color=line.get_color(), lw=0.8, ls="--")
    ax.set(xlabel="recall", ylabel="precision", title=title, xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(fontsize="small", loc="lower left")
    _save(fig, path)


def confusion_matrices(
    y_true: np.ndarray,
    predicted: np.ndarray,
    labels: list[str],
    title: str,
    path: Path,
    class_names: tuple[str, str] = ("negative", "positive"),
) -> None:
    """One 2x2 confusion matrix per label: rows = true class, columns = predicted class; each
    cell shows its count and its share of the row (e.g. '480\\n96.0%'), coloured by that share.

    y_true, predicted: (n,) or (n, K) of 0/1, K = len(labels).
    """
    if len(class_names) != 2:
        raise ValueError(f"class_names must name 2 classes, got {len(class_names)}")
    truth, predicted = _label_columns(y_true, predicted, labels, "predicted")
    if not np.isin(predicted, (0, 1)).all():
        raise ValueError("predicted must hold only 0 and 1")
    predicted = predicted.astype(int)
    n_labels = len(labels)
    fig, axes = plt.subplots(
        1, n_labels, figsize=(3.2 * n_labels + 0.8, 3.4), squeeze=False, layout="constrained"
    )
    image = None
    for k, (ax, label) in enumerate(zip(axes[0], labels, strict=True)):
        image = _confusion_cells(ax, truth[:, k], predicted[:, k], list(class_names))
        ax.set(xlabel="predicted", ylabel="true" if k == 0 else None, title=label)
    fig.colorbar(image, ax=axes[0].tolist(), label="share of true class", shrink=0.8)
    fig.suptitle(title)
    _save(fig, path)


def multiclass_confusion(
    y_true_idx: np.ndarray, y_pred_idx: np.ndarray, labels: list[str], title: str, path: Path
) -> None:
    """One K x K confusion matrix of a multi-class task: rows = true class, columns = predicted
    class, both named by `labels`; each cell shows its count and its share of the row, coloured
    by that share (as `confusion_matrices`).

    y_true_idx, y_pred_idx: (n,) class indices 0..K-1, K = len(labels) >= 2.
    """
    if len(labels) < 2:
        raise ValueError(f"a multi-class confusion matrix needs 2 or more labels, got {labels}")
    truth = class_indices(y_true_idx, len(labels), "y_true_idx")
    predicted = class_indices(y_pred_idx, len(labels), "y_pred_idx")
    if truth.shape != predicted.shape or len(truth) == 0:
        raise ValueError(
            f"y_true_idx has shape {truth.shape} but y_pred_idx has {predicted.shape} (n > 0)"
        )
    n_classes = len(labels)
    side = max(4.4, 0.6 * n_classes + 2.2)
    fig, ax = plt.subplots(figsize=(side + 0.8, side), layout="constrained")
    small = None if n_classes <= 5 else "small" if n_classes <= 10 else "x-small"
    image = _confusion_cells(ax, truth, predicted, list(labels), fontsize=small)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    _rotate_long_ticks(ax, labels)
    fig.colorbar(image, ax=ax, label="share of true class", shrink=0.8)
    _save(fig, path)


def _confusion_cells(
    ax: plt.Axes,
    truth: np.ndarray,
    predicted: np.ndarray,
    class_names: list[str],
    fontsize: str | None = None,
) -> AxesImage:
    """Draw the confusion matrix of class indices `truth` (rows) vs `predicted` (columns): each
    cell its count and share of the row, coloured by the share; class names on both axes."""
    size = len(class_names)
    counts = np.zeros((size, size), dtype=int)
    np.add.at(counts, (truth, predicted), 1)
    totals = counts.sum(axis=1, keepdims=True)
    # Row share: how each true class is predicted; a class absent from the data has none.
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(totals > 0, counts / totals, np.nan)
    image = ax.imshow(np.ma.masked_invalid(share), cmap="Blues", vmin=0, vmax=1)
    for i in range(size):
        for j in range(size):
            missing = np.isnan(share[i, j])
            text = f"{counts[i, j]}\n" + ("–" if missing else f"{share[i, j]:.1%}")
            dark = not missing and share[i, j] > 0.5
            colour = "white" if dark else "black"
            ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=fontsize)
    ax.set_xticks(range(size), class_names)
    ax.set_yticks(range(size), class_names)
    return image


def _rotate_long_ticks(ax: plt.Axes, names: list[str]) -> None:
    """Slant the x tick labels when several or long class names would overlap."""
    if len(names) > 4 or max(len(name) for name in names) > 8:
        plt.setp(ax.get_xticklabels(), rotation=40, ha="right", rotation_mode="anchor")


def _position_ticks(ax: plt.Axes, length: int) -> None:
    """Positions 1..length on the x axis: every one for short sequences, else matplotlib's pick."""
    if length <= 40:  # siRNA-sized: a tick per nucleotide is still legible
        ax.set_xticks(np.arange(1, length + 1))


def _information_content(probabilities: np.ndarray) -> np.ndarray:
    """Letter heights in bits: each position's probabilities times its information content."""
    p = probabilities / probabilities.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.nansum(np.where(p > 0, p * np.log2(p), 0.0), axis=1)
    return p * (np.log2(p.shape[1]) - entropy)[:, None]


def sequence_logos(
    panels: list[tuple[str, np.ndarray]], path: Path, alphabet: str = "ACGT"
) -> None:
    """Information-content logos, one panel per (title, (w, len(alphabet)) probability matrix),
    stacked vertically on one shared x scale (positions 1..w; shorter matrices leave the right
    blank) so that aligned motifs line up. y axis in bits, 0..log2(len(alphabet)).
    """
    if not panels:
        raise ValueError("sequence_logos needs at least one panel")
    matrices = []
    for name, matrix in panels:
        matrix = np.asarray(matrix, dtype=float)
        if matrix.ndim != 2 or matrix.shape[1] != len(alphabet) or matrix.shape[0] == 0:
            raise ValueError(
                f"panel {name!r}: expected a (w, {len(alphabet)}) matrix for alphabet "
                f"{alphabet!r}, got shape {matrix.shape}"
            )
        if not np.isfinite(matrix).all() or (matrix < 0).any() or (matrix.sum(axis=1) <= 0).any():
            raise ValueError(f"panel {name!r}: probabilities must be finite, >= 0, rows > 0")
        matrices.append(matrix)
    import logomaker  # here, not at module top: slow import, plots.py is read at plan time

    width = max(m.shape[0] for m in matrices)
    top = float(np.log2(len(alphabet)))
    fig, axes = plt.subplots(
        len(panels),
        1,
        figsize=(max(4.0, 0.35 * width + 1.2), 1.8 * len(panels)),
        sharex=True,
        squeeze=False,
    )
    for ax, (name, _), matrix in zip(axes[:, 0], panels, matrices, strict=True):
        heights = pd.DataFrame(
            _information_content(matrix),
            columns=list(alphabet),
            index=np.arange(1, matrix.shape[0] + 1),
        )
        logomaker.Logo(heights, ax=ax)
        ax.set(xlim=(0.5, width + 0.5), ylim=(0, top), ylabel="bits", title=name)
    _position_ticks(axes[-1, 0], width)
    axes[-1, 0].set_xlabel("position")
    fig.tight_layout()
    _save(fig, path)


def attribution_maps(
    sequences: list[str],
    saliency: np.ndarray,
    ism: np.ndarray,
    titles: list[str],
    path: Path,
    alphabet: str = "ACGT",
) -> None:
    """Two rows per example sequence: a saliency logo (gradient x input at the observed base;
    negative values drawn below the axis) and the in-silico mutagenesis map (change in model
    output for each substitution, 0 at the observed base) as a heatmap on diverging colours
    centred on 0, shared symmetric limits and one colorbar; observed bases are dotted.

    saliency, ism: (m, L, len(alphabet)); sequences: m strings of length L; titles: m strings.
    """
    saliency, ism = np.asarray(saliency, dtype=float), np.asarray(ism, dtype=float)
    n_examples = len(sequences)
    if n_examples == 0:
        raise ValueError("attribution_maps needs at least one sequence")
    if len(titles) != n_examples:
        raise ValueError(f"{len(titles)} titles given for {n_examples} sequences")
    length = len(sequences[0])
    expected = (n_examples, length, len(alphabet))
    if any(len(seq) != length for seq in sequences):
        raise ValueError("all sequences must have the same length")
    if saliency.shape != expected or ism.shape != expected:
        raise ValueError(
            f"saliency and ism must both be (m, L, len(alphabet)) = {expected}, "
            f"got {saliency.shape} and {ism.shape}"
        )
    import logomaker  # here, not at module top: slow import, plots.py is read at plan time

    limit = float(np.nanmax(np.abs(ism))) if np.isfinite(ism).any() else 0.0
    limit = limit or 1.0  # an all-zero map still needs a non-empty colour range
    fig, axes = plt.subplots(
        2 * n_examples,
        1,
        figsize=(max(5.0, 0.22 * length + 2.0), 2.6 * n_examples),
        sharex=True,
        squeeze=False,
        layout="constrained",
    )
    positions = np.arange(1, length + 1)
    image = None
    for i, (sequence, title) in enumerate(zip(sequences, titles, strict=True)):
        logo_ax, ism_ax = axes[2 * i, 0], axes[2 * i + 1, 0]
        heights = pd.DataFrame(saliency[i], columns=list(alphabet), index=positions)
        logomaker.Logo(heights, ax=logo_ax)
        logo_ax.axhline(0, color="black", lw=0.5)
        low, high = float(min(saliency[i].min(), 0)), float(max(saliency[i].max(), 0))
        if low == high:  # nothing attributed: keep a visible, non-degenerate axis
            low, high = -1.0, 1.0
        pad = 0.05 * (high - low)
        logo_ax.set(xlim=(0.5, length + 0.5), ylim=(low - pad, high + pad))
        logo_ax.set(ylabel="grad × input", title=title)
        image = ism_ax.imshow(
            ism[i].T,
            aspect="auto",
            cmap="RdBu_r",
            vmin=-limit,
            vmax=limit,
            extent=(0.5, length + 0.5, len(alphabet) - 0.5, -0.5),
            interpolation="nearest",
        )
        # Mark the observed base: its ISM cell is 0 by definition, not a neutral substitution.
        observed = [
            (pos, alphabet.index(base))
            for pos, base in zip(positions, sequence.upper(), strict=True)
            if base in alphabet
        ]
        if observed:
            xs, ys = zip(*observed, strict=True)
            ism_ax.scatter(xs, ys, s=4, color="black")
        ism_ax.set_yticks(range(len(alphabet)), list(alphabet))
        ism_ax.set_ylabel("ISM")
    _position_ticks(axes[-1, 0], length)
    axes[-1, 0].set_xlabel("position")
    fig.colorbar(image, ax=axes[1::2, 0].tolist(), label="Δ output (substitution)", shrink=0.9)
    _save(fig, path)


def token_attribution_heatmaps(
    maps: dict[str, tuple[np.ndarray, list[str]]], title: str, path: Path
) -> None:
    """One heatmap per input column (e.g. 'seq_antisense' -> nucleotides, 'nmod_antisense' ->
    modifications): mean attribution of token v (rows, named) at position l (columns, 1..L),
    on diverging colours centred on 0 with symmetric limits and a colorbar per panel. NaN (token
    never seen there) is drawn grey, not as 0. Height grows with the number of tokens.
    """
    if not maps:
        raise ValueError("token_attribution_heatmaps needs at least one map")
    checked = {}
    for column, (values, tokens) in maps.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 2 or values.shape[0] != len(tokens) or values.shape[1] == 0:
            raise ValueError(
                f"{column!r}: values must be (V, L) with V = {len(tokens)} token names, "
                f"got shape {values.shape}"
            )
        checked[column] = (values, list(tokens))
    # Never-seen cells grey: they must not read as "no effect".
    cmap = plt.get_cmap("RdBu_r").with_extremes(bad="lightgrey")
    rows = [values.shape[0] for values, _ in checked.values()]
    width = max(values.shape[1] for values, _ in checked.values())
    fig, axes = plt.subplots(
        len(checked),
        1,
        figsize=(max(5.0, 0.25 * width + 2.5), sum(0.2 * v + 1.0 for v in rows)),
        squeeze=False,
        height_ratios=[v + 2 for v in rows],
        layout="constrained",
    )
    for ax, (column, (values, tokens)) in zip(axes[:, 0], checked.items(), strict=True):
        finite = np.isfinite(values)
        limit = float(np.abs(values[finite]).max()) if finite.any() else 0.0
        limit = limit or 1.0
        length = values.shape[1]
        image = ax.imshow(
            np.ma.masked_invalid(values),
            aspect="auto",
            cmap=cmap,
            vmin=-limit,
            vmax=limit,
            extent=(0.5, length + 0.5, len(tokens) - 0.5, -0.5),
            interpolation="nearest",
        )
        ax.set_yticks(range(len(tokens)), tokens, fontsize="small")
        _position_ticks(ax, width)
        ax.tick_params(labelsize="small")
        ax.set(xlim=(0.5, width + 0.5), xlabel="position", title=column)
        fig.colorbar(image, ax=ax, label="mean attribution", pad=0.01)
    fig.suptitle(title)
    _save(fig, path)


def benchmark_chart(summary: pd.DataFrame, path: Path) -> None:
    """Total wall time and peak memory per rule (benchmarks.rule_summary), costliest on top."""
    ordered = summary.iloc[::-1]
    height = 1.2 + 0.32 * len(ordered)
    fig, (time_ax, memory_ax) = plt.subplots(1, 2, figsize=(10, height), sharey=True)
    time_ax.barh(ordered["rule"], ordered["total_seconds"] / 60, color="tab:blue")
    time_ax.set(xlabel="total wall time (min)", title="time, all jobs of the rule")
    memory_ax.barh(ordered["rule"], ordered["max_rss_mb"].fillna(0) / 1024, color="tab:orange")
    memory_ax.set(xlabel="peak memory (GB)", title="largest job's memory")
    for y, row in enumerate(ordered.itertuples()):
        time_ax.annotate(f" {row.jobs} jobs", (row.total_seconds / 60, y), va="center", fontsize=8)
    for ax in (time_ax, memory_ax):
        ax.grid(axis="x", alpha=0.3)
    _save(fig, path)


def gan_curves(history: pd.DataFrame, title: str, criterion: str, path: Path) -> None:
    """A GAN's training per epoch: critic and generator losses, the critic's estimate of the
    Wasserstein distance, and the share of sampled sequences holding the motif."""
    fig, (loss_ax, distance_ax, motif_ax) = plt.subplots(
        1, 3, figsize=(13, 3.8), layout="constrained"
    )
    loss_ax.plot(history["epoch"], history["critic_loss"], label="critic")
    loss_ax.plot(history["epoch"], history["generator_loss"], label="generator")
    loss_ax.set(xlabel="epoch", ylabel="loss", title="losses")
    loss_ax.legend(fontsize="small")
    distance_ax.plot(history["epoch"], history["wasserstein"], color="tab:purple")
    distance_ax.set(xlabel="epoch", ylabel="critic estimate", title="Wasserstein distance")
    motif_ax.plot(history["epoch"], history["motif_rate"], color="tab:green")
    motif_ax.set(
        xlabel="epoch",
        ylabel="fraction of samples",
        ylim=(0, 1.02),
        title="samples holding the motif",
    )
    motif_ax.annotate(criterion, (0.98, 0.03), xycoords="axes fraction", fontsize=7, ha="right")
    for ax in (loss_ax, distance_ax, motif_ax):
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    _save(fig, path)


def prediction_distribution(
    prediction: np.ndarray, training: np.ndarray, names: list[str], title: str, path: Path
) -> None:
    """New rows' predictions beside the training labels, so a user sees at a glance whether
    the new sequences look like what the model learned from. One value per row: overlaid
    histograms (densities). Several (classes or labels): the mean predicted probability of
    each beside its share among the training rows."""
    fig, ax = plt.subplots(figsize=(6, 3.8))
    new, seen = f"predictions (n={len(prediction)})", f"training (n={len(training)})"
    if prediction.ndim == 1:
        finite = training[np.isfinite(training)]
        bins = np.histogram_bin_edges(np.concatenate([prediction, finite]), bins=40)
        ax.hist(finite, bins=bins, density=True, alpha=0.5, label=seen)
        ax.hist(prediction, bins=bins, density=True, alpha=0.5, label=new)
        ax.set(xlabel="value", ylabel="density")
    else:
        k = prediction.shape[1]
        if training.ndim == 1:  # class ids
            counts = np.bincount(training[np.isfinite(training)].astype(int), minlength=k)
            share = counts[:k] / max(counts.sum(), 1)
        else:
            share = np.nanmean(training, axis=0)
        x = np.arange(k)
        ax.bar(x - 0.2, share, width=0.4, label=seen)
        ax.bar(x + 0.2, prediction.mean(axis=0), width=0.4, label=new)
        ax.set_xticks(x, names or [str(i) for i in x])
        _rotate_long_ticks(ax, names)
        ax.set(ylabel="share / mean probability", ylim=(0, 1))
    ax.legend(fontsize="small")
    ax.set_title(title)
    _save(fig, path)


def track_figure(
    table: pd.DataFrame, metrics: list[str], best: str, title: str, path: Path
) -> None:
    """Each track's metric per architecture (`table`: columns track, rows, architecture and the
    metrics), one panel per metric and set of rows; tracks ordered by the best architecture's
    value, each architecture's median over the tracks a dashed line in its colour."""
    sets = list(dict.fromkeys(table["rows"]))
    names = list(dict.fromkeys(table["architecture"]))
    tracks = table["track"].nunique()
    fig, axes = plt.subplots(
        len(metrics) * len(sets),
        1,
        figsize=(max(6.0, 0.14 * tracks + 2.5), 3.4 * len(metrics) * len(sets)),
        squeeze=False,
        layout="constrained",
    )
    panels = [(metric, rows) for metric in metrics for rows in sets]
    for ax, (metric, rows) in zip(axes[:, 0], panels, strict=True):
        wide = table[table["rows"] == rows].pivot(
            index="track", columns="architecture", values=metric
        )
        wide = wide.loc[wide[best].sort_values(ascending=False, na_position="last").index]
        position = np.arange(len(wide))
        for k, name in enumerate(names):
            median = float(np.nanmedian(wide[name])) if wide[name].notna().any() else np.nan
            ax.plot(
                position,
                wide[name],
                marker="o",
                ms=3,
                lw=1.6 if name == best else 0.8,
                color=f"C{k}",
                label=f"{name} (median {median:.3f})",
            )
            ax.axhline(median, color=f"C{k}", ls="--", lw=0.8)
        ax.set_xticks(position, list(wide.index), rotation=90, fontsize=6 if tracks > 30 else 8)
        ax.set(ylabel=metric, title=f"{metric} per track, {rows}")
        ax.legend(fontsize="x-small")
    fig.suptitle(title)
    _save(fig, path)


# --- The figures an objective names (`report.views.PREDICTION_VIEWS`) -------------------------


PREDICTION_FIGURES = ("predicted_vs_observed", "predicted_vs_observed_known", "roc_per_label")


def prediction_figure(
    figure: str,
    family: str,
    target: np.ndarray,
    prediction: np.ndarray,
    labels: list[str],
    title: str,
    path: Path,
) -> None:
    """The evaluate rule's figure of predictions, the one the objective names (one of
    PREDICTION_FIGURES)."""
    if figure == "roc_per_label":
        roc_curves(target, prediction, labels, title, path)
    elif figure == "predicted_vs_observed_known":  # every track's known values, one cloud
        known = np.isfinite(target)
        prediction_plot("regression", target[known], prediction[known], title, path)
    elif figure == "predicted_vs_observed":
        prediction_plot(family, target, prediction, title, path, labels=labels or None)
    else:
        raise ValueError(f"unknown prediction figure {figure!r} (known: {PREDICTION_FIGURES})")


def classes_confusion(view: ClassesView, title: str, path: Path) -> None:
    """Confusion matrices of a `ClassesView`: one K x K when each row holds one class, else
    one 2 x 2 per class."""
    if view.one_class_per_row:
        multiclass_confusion(
            view.truth.argmax(axis=1), view.predicted.argmax(axis=1), view.labels, title, path
        )
    else:
        confusion_matrices(view.truth, view.predicted, view.labels, title, path)
