"""Out-of-fold and held-out metrics, leaderboards and submissions."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.evaluation.metrics import metric_columns
from dlgenomics.evaluation.uncertainty import BOOTSTRAP_SAMPLES
from dlgenomics.files import atomic_path, column_values, write_json
from dlgenomics.report import plots
from dlgenomics.report.html import UNDEFINED, table, write_page
from dlgenomics.tasks.objectives import ClassesView, Scoring


def combine_folds(prediction_paths: list[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fold prediction files -> (out-of-fold rows, test rows averaged over the fold models)."""
    frames = [pd.read_parquet(p) for p in prediction_paths]
    folds = pd.concat(frames, ignore_index=True)
    oof = folds[folds["role"] == "valid"].reset_index(drop=True)
    if oof["row_id"].duplicated().any():
        raise InputError("a row is validated in more than one fold: the split is broken")
    test = folds[folds["role"] == "test"]
    # Mean of the fold models, in the test table's original row order (per label, when rows
    # have several).
    order = frames[0].loc[frames[0]["role"] == "test", "row_id"].to_numpy()
    predicted = column_values(test["prediction"])
    mean = pd.DataFrame(predicted.reshape(len(test), -1)).groupby(test["row_id"].to_numpy()).mean()
    mean = mean.loc[order].to_numpy()
    first = test.drop_duplicates("row_id").set_index("row_id")["target"].loc[order]
    ensemble = pd.DataFrame(
        {
            "row_id": order,
            "prediction": list(mean) if predicted.ndim == 2 else mean[:, 0],
            "target": first.to_numpy(),
        }
    )
    return oof, ensemble


def evaluate_architecture(
    scoring: Scoring, prediction_paths: list[Path], out_metrics: Path, out_predictions: Path,
    test_sets: dict[str, list[str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One architecture's metrics: pooled out-of-fold, per fold, held-out test (if labelled),
    and each external test set's."""
    oof, test = combine_folds(prediction_paths)
    return write_evaluation(scoring, oof, test, out_metrics, out_predictions, test_sets)


def test_sets_of(encode_summary: Path) -> dict[str, list[str]]:
    """External test set name -> its row ids, as encode recorded them (none: {})."""
    return json.loads(Path(encode_summary).read_text()).get("test_sets", {})


def prediction_metrics(
    scoring: Scoring, oof: pd.DataFrame, test: pd.DataFrame,
    test_sets: dict[str, list[str]] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Metrics of out-of-fold rows (pooled and per fold), of labelled test rows, and of the
    labelled rows of each external test set (None where a set has none)."""

    def metrics(rows: pd.DataFrame) -> dict[str, float] | None:
        labelled = rows[[np.isfinite(t).all() for t in rows["target"]]]
        if not len(labelled):
            return None
        return scoring.metrics(
            column_values(labelled["target"]), column_values(labelled["prediction"])
        )

    result = {
        "oof": metrics(oof),
        "oof_rows": len(oof),
        "folds": [
            {"fold": int(fold), "rows": len(rows), **metrics(rows)}
            for fold, rows in oof.groupby("fold")
        ],
        "test": metrics(test),
        "test_rows": len(test),
    }
    if test_sets:
        result["test_sets"] = {
            name: metrics(test[test["row_id"].isin(ids)]) for name, ids in test_sets.items()
        }
    return result


def write_evaluation(
    scoring: Scoring,
    oof: pd.DataFrame,
    test: pd.DataFrame,
    out_metrics: Path,
    out_predictions: Path,
    test_sets: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """metrics.json and predictions.parquet (roles oof and test) of one architecture."""
    result = prediction_metrics(scoring, oof, test, test_sets)
    write_json(out_metrics, result)
    table = pd.concat(
        [oof.assign(role="oof"), test.assign(role="test", fold=-1)], ignore_index=True
    )
    with atomic_path(out_predictions) as tmp:
        table[["row_id", "role", "fold", "prediction", "target"]].to_parquet(tmp, index=False)
    return result


def leaderboard(scoring: Scoring, metric_paths: dict[str, Path]) -> pd.DataFrame:
    """One row per architecture, best first by the task's selection metric (out of fold)."""
    rows = []
    selection = scoring.selection
    for arch, path in metric_paths.items():
        result = json.loads(Path(path).read_text())
        row: dict[str, Any] = {"architecture": arch}
        # Families may leave a column out (sirna_table: `score` only on the official scale).
        columns = metric_columns(scoring.family, result["oof"])
        row.update({f"oof_{m}": result["oof"][m] for m in columns})
        fold_values = [f[selection] for f in result["folds"]]
        row[f"fold_{selection}_sd"] = (
            float(np.std(fold_values)) if len(fold_values) > 1 else float("nan")
        )
        if result["test"] is not None:
            row.update({f"test_{m}": result["test"][m] for m in columns})
        for name, metrics in (result.get("test_sets") or {}).items():
            if metrics is not None:
                row.update({f"test[{name}]_{m}": metrics[m] for m in columns})
        rows.append(row)
    board = pd.DataFrame(rows)
    return board.sort_values(
        f"oof_{selection}", ascending=not scoring.higher_is_better, kind="stable"
    ).reset_index(drop=True)


def with_uncertainty(
    board: pd.DataFrame, scoring: Scoring, prediction_paths: dict[str, Path], groups_path: Path
) -> pd.DataFrame:
    """The leaderboard with, per row, the 95% bootstrap interval of its out-of-fold selection
    metric and its paired comparison with the first row (`vs_best`: best, tied or worse),
    resampling rows by the groups the folds kept together (encode's groups.parquet)."""
    from dlgenomics.evaluation.uncertainty import compare_to_best

    frames = {}
    for name, path in prediction_paths.items():
        table = pd.read_parquet(path)
        frames[name] = table[table["role"] == "oof"].set_index("row_id")
    best = str(board["architecture"].iloc[0])
    # Rows in a fixed order, so each row's interval is the same whichever row is best.
    rows = frames[best].index.sort_values()
    group_of = pd.read_parquet(groups_path).set_index("row_id")["group"]
    groups = group_of.reindex(rows).fillna(pd.Series(rows, index=rows)).astype(str).to_numpy()
    target = column_values(frames[best].loc[rows, "target"])
    predictions = {n: column_values(f.loc[rows, "prediction"]) for n, f in frames.items()}
    comparisons = compare_to_best(
        scoring.selection_value, target, predictions, best, groups, scoring.higher_is_better
    )
    selection = scoring.selection
    extra = pd.DataFrame(
        {
            f"oof_{selection}_ci_low": [comparisons[n].low for n in board["architecture"]],
            f"oof_{selection}_ci_high": [comparisons[n].high for n in board["architecture"]],
            "vs_best": [comparisons[n].verdict for n in board["architecture"]],
        }
    )
    position = board.columns.get_loc(f"oof_{selection}") + 1
    left, right = board.iloc[:, :position], board.iloc[:, position:]
    return pd.concat([left, extra, right], axis=1)


def score_board(scores: pd.DataFrame, names: list[str], scoring: Scoring) -> pd.DataFrame:
    """Leaderboard of prediction columns `names` of `scores` against its `target` column
    (cross-dataset evaluation: every labelled row of another dataset)."""
    labelled = scores[scores["target"].notna()]
    rows = []
    for name in names:
        metrics = scoring.metrics(labelled["target"].to_numpy(), labelled[name].to_numpy())
        columns = metric_columns(scoring.family, metrics)
        rows.append(
            {"architecture": name, "rows": len(labelled), **{m: metrics[m] for m in columns}}
        )
    board = pd.DataFrame(rows)
    return board.sort_values(
        scoring.selection, ascending=not scoring.higher_is_better, kind="stable"
    ).reset_index(drop=True)


def leaderboard_notes(scoring: Scoring, board: pd.DataFrame) -> list[str]:
    """What the leaderboard's columns hold: where the rows come from, then each metric's
    meaning, unit and direction."""
    from dlgenomics.evaluation.metrics import metric_notes

    selection = scoring.selection
    interval = (f"oof_{selection}_ci_low", f"oof_{selection}_ci_high", "vs_best")
    metrics = [
        re.sub(r"^(oof|test|test\[[^]]*\])_|^fold_(.*)_sd$", r"\2", column)
        for column in board.columns
        if column not in ("architecture", *interval)
    ]
    sources = [
        "`oof_*`: out of fold, every training row predicted by the fold model that did not "
        "train on it, pooled",
        f"`fold_{selection}_sd`: standard deviation of the selection metric over folds",
    ]
    if interval[0] in board.columns:
        sources += [
            f"`oof_{selection}_ci_low`, `_ci_high`: 95% bootstrap interval of the out-of-fold "
            f"{selection} ({BOOTSTRAP_SAMPLES} resamples of the folds' groups, e.g. whole genes)",
            f"`vs_best`: the paired bootstrap of each row's {selection} minus the first row's "
            "on the same resamples; `tied` when its 95% interval holds 0 (not distinguishable "
            "from the best), `worse` when it does not",
        ]
    if any(c.startswith("test_") for c in board.columns):
        sources.append("`test_*`: held-out test rows, the mean of the fold models")
    if any(c.startswith("test[") for c in board.columns):
        sources.append("`test[<file>]_*`: the rows of one external test file")
    return sources + metric_notes(scoring.family, metrics) + [f"{UNDEFINED}: not defined here"]


def write_leaderboard(
    board: pd.DataFrame, title: str, out_csv: Path, out_md: Path, out_html: Path,
    notes: Sequence[str] = (),
) -> None:  # fmt: skip
    """The same ranking as CSV (for code), Markdown (for reading in a terminal or on GitHub)
    and HTML (for the Snakemake report), the last two with `notes` on the columns below."""
    listed = "".join(f"<li>{html.escape(note).replace('`', '')}</li>" for note in notes)
    write_page(out_html, title, [("", table(board, ranked=True) + f"<ul>{listed}</ul>")])
    with atomic_path(out_csv) as tmp:
        board.to_csv(tmp, index=False, float_format="%.4f")
    header = "| " + " | ".join(board.columns) + " |"
    rule = "|" + "|".join("---" for _ in board.columns) + "|"
    lines = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in board.itertuples(index=False)
    ]
    bullets = [f"- {note}" for note in notes]
    with atomic_path(out_md) as tmp:
        tmp.write_text("\n".join([f"## {title}", "", header, rule, *lines, "", *bullets, ""]))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return UNDEFINED if np.isnan(value) else f"{value:.4f}"
    return str(value)


def best_architecture(leaderboard_csv: Path) -> str:
    return str(pd.read_csv(leaderboard_csv)["architecture"].iloc[0])


def ranked_networks(leaderboard_csv: Path, networks: Sequence[str]) -> list[str]:
    """The task's networks, best first by the leaderboard (gradients and exports need a network)."""
    ranked = pd.read_csv(leaderboard_csv)["architecture"].astype(str).tolist()
    chosen = [name for name in ranked if name in networks]
    if not chosen:
        raise InputError(f"{leaderboard_csv}: no network among {', '.join(ranked)}")
    return chosen


def ranked_candidates(
    leaderboard_csv: Path, networks: Sequence[str], model_files: Sequence[str | Path]
) -> list[tuple[str, list[Path]]]:
    """(architecture, its fold model files) for each of the task's networks, best first:
    what `choose_network` picks from. Files are .../models/<arch>/fold<k>/model.pt."""
    files = [Path(p) for p in model_files]
    return [
        (arch, [p for p in files if p.parent.parent.name == arch])
        for arch in ranked_networks(leaderboard_csv, networks)
    ]


def write_submission(
    leaderboard_csv: Path, names: list[str], prediction_paths: list[Path], scoring: Scoring,
    out_csv: Path, competition_sample: Path | None = None, label_scale: str | None = None,
) -> str:  # fmt: skip
    """The test predictions of the leaderboard's best row: in the competition's own format when
    its sample submission is given, else a table keyed by row id (and, for a user's siRNA
    table, in its own `label_scale` too). Returns the row's name."""
    from dlgenomics.tasks.kinds import SIRNA_TARGET

    best = best_architecture(leaderboard_csv)
    predictions = Path(prediction_paths[names.index(best)])
    if competition_sample is not None:
        competition_submission(competition_sample, predictions, SIRNA_TARGET, out_csv)
    else:
        predictions_table(predictions, out_csv, scoring, label_scale)
    return best


def competition_submission(
    sample_submission: Path, test_predictions: Path, target_column: str, out_csv: Path
) -> None:
    """The competition's sample_submission.csv with the target filled in: every other column,
    the rows and their order unchanged."""
    sample = pd.read_csv(sample_submission, dtype=str, keep_default_na=False)
    predictions = pd.read_parquet(test_predictions)
    predictions = predictions[predictions["role"] == "test"].set_index("row_id")["prediction"]
    missing = ~sample["id"].isin(predictions.index)
    if missing.any():
        row = int(missing.to_numpy().argmax())
        raise InputError(
            f"{sample_submission}: row {row + 1}: id {sample['id'][row]} has no prediction"
        )
    sample[target_column] = predictions.loc[sample["id"]].to_numpy()
    with atomic_path(out_csv) as tmp:
        sample.to_csv(tmp, index=False)


def predictions_table(
    test_predictions: Path, out_csv: Path, scoring: Scoring, label_scale: str | None = None
) -> None:
    """Held-out predictions keyed by row id, for tasks without a competition format; tasks with
    several labels or classes per row get a prediction and a target column for each (the
    target one-hot for classes); a `label_scale` other than % remaining adds both in it."""
    from dlgenomics.tasks.kinds import from_remaining_percent

    predictions = pd.read_parquet(test_predictions)
    table = predictions[predictions["role"] == "test"][["row_id", "prediction", "target"]]
    if label_scale not in (None, "remaining_percent"):
        for column in ("prediction", "target"):
            table[f"{column}_{label_scale}"] = from_remaining_percent(table[column], label_scale)
    labels = scoring.labels
    if labels:  # one prediction and target column per label
        wide = {"row_id": table["row_id"].to_numpy()}
        predicted = column_values(table["prediction"]).reshape(len(table), -1)
        target = scoring.objective.ensemble_target(column_values(table["target"]), len(labels))
        for column, values in (("prediction", predicted), ("target", target)):
            wide.update({f"{column}_{label}": values[:, k] for k, label in enumerate(labels)})
        table = pd.DataFrame(wide)
    with atomic_path(out_csv) as tmp:
        table.to_csv(tmp, index=False)


# --- Figures: predictions, ROC, precision-recall, confusion ---------------------------------


def prediction_figure(
    scoring: Scoring, target: np.ndarray, prediction: np.ndarray, title: str, path: Path
) -> None:
    """The figure of one architecture's (or the ensemble's) out-of-fold predictions."""
    scoring.objective.prediction_figure(
        scoring.family, target, prediction, scoring.labels, title, path
    )


def classification_figures(
    scoring: Scoring,
    names: list[str],
    prediction_paths: list[Path],
    leaderboard_csv: Path,
    title: str,
    out: dict[str, Path],
) -> None:
    """ROC and precision-recall curves of every ranked architecture (out of fold; a task with
    several classes or labels: each class of the best one), and the best one's confusion
    matrices."""
    frames = {}
    for name, path in zip(names, prediction_paths, strict=True):
        table = pd.read_parquet(path)
        frames[name] = table[table["role"] == "oof"].set_index("row_id")
    best = best_architecture(leaderboard_csv)
    rows = frames[best].index

    def view(name: str) -> ClassesView:
        frame = frames[name].loc[rows]
        return scoring.objective.classes_view(
            column_values(frame["target"]), column_values(frame["prediction"]),
            scoring.labels, scoring.options,
        )  # fmt: skip

    best_view = view(best)
    if len(best_view.labels) > 1:
        curve_truth, curve_score, curve_labels = best_view.truth, best_view.score, best_view.labels
    else:  # one curve per architecture, the best first
        curve_truth = np.repeat(best_view.truth, len(names), axis=1)
        curve_score = np.column_stack([view(name).score[:, 0] for name in names])
        curve_labels = names
    plots.roc_curves(curve_truth, curve_score, curve_labels, f"{title}: ROC", out["roc"])
    plots.pr_curves(curve_truth, curve_score, curve_labels, f"{title}: precision-recall", out["pr"])
    best_view.draw_confusion(f"{title}: {best}", out["confusion"])
