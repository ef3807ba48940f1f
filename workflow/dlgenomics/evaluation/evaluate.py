"""Out-of-fold and held-out metrics, leaderboards and submissions."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.evaluation.uncertainty import BOOTSTRAP_SAMPLES
from dlgenomics.files import atomic_path, column_values, write_json
from dlgenomics.metrics import (
    PER_NAME,
    SIRNA_FAMILIES,
    TRACK_FIGURE_METRICS,
    metric_columns,
)
from dlgenomics.report import plots
from dlgenomics.report.html import UNDEFINED, interval, key_table, number, table, write_page
from dlgenomics.report.views import PREDICTION_VIEWS, ClassesView
from dlgenomics.tasks.objectives import Scoring


def combine_folds(prediction_paths: list[Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fold prediction files -> (out-of-fold rows, test rows averaged over the fold models)."""
    frames = [pd.read_parquet(p) for p in prediction_paths]
    folds = pd.concat(frames, ignore_index=True)
    oof = folds[folds["role"] == "valid"].reset_index(drop=True)
    if oof["row_id"].duplicated().any():
        raise InputError("a row is validated in more than one fold: the split is broken")
    test = folds[folds["role"] == "test"]
    if test.empty:  # pure cross-validation (split.test_fraction 0, no test file)
        return oof, pd.DataFrame({"row_id": [], "prediction": [], "target": []})
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
    scoring: Scoring,
    prediction_paths: list[Path],
    out_metrics: Path,
    out_predictions: Path,
    test_sets: dict[str, list[str]] | None = None,
    test_leak: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One architecture's metrics: pooled out-of-fold, per fold, held-out test (if labelled),
    and each external test set's."""
    oof, test = combine_folds(prediction_paths)
    return write_evaluation(scoring, oof, test, out_metrics, out_predictions, test_sets, test_leak)


def test_sets_of(encode_summary: Path) -> dict[str, list[str]]:
    """External test set name -> its row ids, as encode recorded them (none: {})."""
    return json.loads(Path(encode_summary).read_text()).get("test_sets", {})


def leak_of_test_rows(encode_summary: Path) -> dict[str, Any]:
    """The share of test rows (`test`) and of each test file's (`test_sets`) sharing a
    `shared_nt` stretch with a training row, as encode measured it (kinds without shared
    context, or no test rows: {})."""
    leak = json.loads(Path(encode_summary).read_text()).get("leak", {})
    if "test" not in leak:
        return {}
    return {key: leak[key] for key in ("shared_nt", "test", "test_sets") if key in leak}


def prediction_metrics(
    scoring: Scoring,
    oof: pd.DataFrame,
    test: pd.DataFrame,
    test_sets: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Metrics of out-of-fold rows (pooled and per fold), of labelled test rows, and of the
    labelled rows of each external test set (None where a set has none)."""

    def metrics(rows: pd.DataFrame) -> dict[str, float] | None:
        labelled = labelled_rows(rows)
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
    test_leak: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """metrics.json and predictions.parquet (roles oof and test) of one architecture; with the
    test rows' leak (`leak_of_test_rows`) beside the test metrics."""
    result = prediction_metrics(scoring, oof, test, test_sets)
    if test_leak:
        result["test_leak"] = test_leak
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
        leak = result.get("test_leak") or {}
        if result["test"] is not None:
            row.update({f"test_{m}": result["test"][m] for m in columns})
            if "test" in leak:  # what the test figure owes to rows like training rows
                row["test_leak"] = leak["test"]
        for name, metrics in (result.get("test_sets") or {}).items():
            if metrics is not None:
                row.update({f"test[{name}]_{m}": metrics[m] for m in columns})
                if name in leak.get("test_sets", {}):
                    row[f"test[{name}]_leak"] = leak["test_sets"][name]
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
    from dlgenomics.metrics import summed_selection

    frames = {}
    for name, path in prediction_paths.items():
        table = pd.read_parquet(path)
        frames[name] = table[table["role"] == "oof"].set_index("row_id")
    best = str(board["architecture"].iloc[0])
    # Rows in a fixed order, so each row's interval is the same whichever row is best.
    rows = frames[best].index.sort_values()
    group_of = pd.read_parquet(groups_path).set_index("row_id")["group"]
    groups = group_of.reindex(rows).fillna(pd.Series(rows, index=rows)).astype(str).to_numpy()
    # Looked up once for every model whose rows come in the best's order (the usual case):
    # matching a million row ids costs a second a model.
    order, same = frames[best].index.get_indexer(rows), frames[best].index
    target = column_values(frames[best]["target"].iloc[order])
    predictions = {
        n: column_values(
            f["prediction"].iloc[order] if f.index.equals(same) else f.loc[rows, "prediction"]
        )
        for n, f in frames.items()
    }
    # The selection metric as weighted sums where it has that form: resamples as group counts.
    summed = partial(summed_selection, scoring.family, scoring.selection, **scoring.options)
    comparisons = compare_to_best(
        scoring.selection_value,
        target,
        predictions,
        best,
        groups,
        scoring.higher_is_better,
        summed=summed,
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


def mark_tuned(board: pd.DataFrame, tuned: list[str]) -> pd.DataFrame:
    """A `tuned` column (yes / no) after `architecture`, where the task tunes any."""
    if not tuned:
        return board
    board = board.copy()
    board.insert(1, "tuned", np.where(board["architecture"].isin(tuned), "yes", "no"))
    return board


def leaderboard_notes(scoring: Scoring, board: pd.DataFrame) -> list[str]:
    """What the leaderboard's columns hold: where the rows come from, then each metric's
    meaning, unit and direction."""
    from dlgenomics.metrics import metric_notes

    selection = scoring.selection
    interval = (f"oof_{selection}_ci_low", f"oof_{selection}_ci_high", "vs_best")
    leaks = [column for column in board.columns if column.endswith("_leak")]
    metrics = [
        re.sub(r"^(oof|test|test\[[^]]*\])_|^fold_(.*)_sd$", r"\2", column)
        for column in board.columns
        if column not in ("architecture", "tuned", *interval, *leaks)
    ]
    sources = [
        "`oof_*`: out of fold, every training row predicted by the fold model that did not "
        "train on it, pooled",
        f"`fold_{selection}_sd`: standard deviation of the selection metric over folds",
    ]
    if "tuned" in board.columns:
        sources.append(
            "`tuned`: yes where each fold's settings were tuned on that fold's training rows "
            "before it trained (`tune`)"
        )
    if interval[0] in board.columns:
        sources += [
            f"`oof_{selection}_ci_low`, `_ci_high`: 95% bootstrap interval of the out-of-fold "
            f"{selection} ({BOOTSTRAP_SAMPLES} resamples of the folds' groups, e.g. whole genes; "
            "of genome windows, 100-kb blocks)",
            f"`vs_best`: the paired bootstrap of each row's {selection} minus the first row's "
            "on the same resamples; `tied` when its 95% interval holds 0 (not distinguishable "
            "from the best), `worse` when it does not",
        ]
    if any(c.startswith("test_") for c in board.columns):
        sources.append("`test_*`: held-out test rows, the mean of the fold models")
    if any(c.startswith("test[") for c in board.columns):
        sources.append("`test[<file>]_*`: the rows of one external test file")
    if leaks:
        sources.append(
            f"`{'`, `'.join(leaks)}`: share of those test rows sharing an exact stretch of "
            "`split.shared_context` nt (16 by default) with a training row (encoded/summary.json, "
            "`leak`): the nearer 1, the more the test figure measures memory of training rows "
            "rather than new sequences"
        )
    notes = metric_notes(scoring.family, metrics, scoring.options)
    return sources + notes + [f"{UNDEFINED}: not defined here"]


def leaderboard_key(board: pd.DataFrame, selection: str) -> pd.DataFrame:
    """The columns a reader needs first, as text: architecture, the out-of-fold selection
    metric with its 95% interval, `vs_best`, and the selection metric on the test rows (on
    each test file, with its leak, where there are files)."""
    key = pd.DataFrame({"architecture": board["architecture"].astype(str)})
    oof, low, high = (f"oof_{selection}{end}" for end in ("", "_ci_low", "_ci_high"))
    bounds = (board[low], board[high]) if low in board else (board[oof] * np.nan,) * 2
    key[f"oof {selection} [95% interval]"] = list(map(interval, board[oof], *bounds))
    if "vs_best" in board:
        key["vs_best"] = board["vs_best"].astype(str)
    files = [c for c in board.columns if re.fullmatch(rf"test\[.*\]_{re.escape(selection)}", c)]
    for column in files or [c for c in board.columns if c == f"test_{selection}"]:
        where = column.removesuffix(f"_{selection}")
        values = board[column].map(number)
        if f"{where}_leak" in board:  # beside the figure it qualifies
            leaks = board[f"{where}_leak"].map(lambda share: number(100 * share, 1))
            values = values + ", leak " + leaks + "%"
        key[f"{where} {selection}"] = values
    return key


def write_leaderboard(
    board: pd.DataFrame,
    title: str,
    out_csv: Path,
    out_md: Path,
    out_html: Path,
    notes: Sequence[str] = (),
    selection: str | None = None,
) -> None:
    """The same ranking as CSV (for code), Markdown (for reading in a terminal or on GitHub)
    and HTML (for the Snakemake report), the last two with `notes` on the columns below. With
    the `selection` metric, the HTML starts with the key columns (`leaderboard_key`), narrow
    enough for a laptop screen, and every column follows."""
    listed = "".join(f"<li>{html.escape(note).replace('`', '')}</li>" for note in notes)
    every = table(board, ranked=True) + f"<ul>{listed}</ul>"
    sections = [("", every)]
    if selection is not None:
        sections = [
            ("", key_table(leaderboard_key(board, selection), ranked=True)),
            ("Every column", every),
        ]
    write_page(out_html, title, sections)
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
    leaderboard_csv: Path,
    names: list[str],
    prediction_paths: list[Path],
    scoring: Scoring,
    out_csv: Path,
    competition_sample: Path | None = None,
    label_scale: str | None = None,
) -> str:
    """The test predictions of the leaderboard's best row: in the competition's own format when
    its sample submission is given, else a table keyed by row id (and, for a user's siRNA
    table, in its own `label_scale` too). Returns the row's name."""
    from dlgenomics.tasks.sirna_tables import SIRNA_TARGET

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
    from dlgenomics.tasks.sirna_tables import from_remaining_percent

    predictions = pd.read_parquet(test_predictions)
    table = predictions[predictions["role"] == "test"][["row_id", "prediction", "target"]]
    if label_scale not in (None, "remaining_percent"):
        for column in ("prediction", "target"):
            table[f"{column}_{label_scale}"] = from_remaining_percent(table[column], label_scale)
    labels = scoring.labels
    if labels:  # one prediction and target column per label
        wide = {"row_id": table["row_id"].to_numpy()}
        shape = (len(table), len(labels))
        predicted = column_values(table["prediction"]).reshape(shape)
        # No test rows (pure cross-validation): the header only.
        target = (
            scoring.objective.ensemble_target(column_values(table["target"]), len(labels))
            if len(table)
            else np.empty(shape)
        )
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
    plots.prediction_figure(
        PREDICTION_VIEWS[scoring.objective_name].figure,
        scoring.family,
        target,
        prediction,
        scoring.labels,
        title,
        path,
    )


def labelled_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with a label known (a test file may come without labels; a multi-output
    regression's row may lack some tracks' values)."""
    return rows[[np.isfinite(t).any() for t in rows["target"]]]


HELD_OUT = "held-out"  # the test rows' name where a task has no test files of its own


def test_rows_by_set(
    predictions: pd.DataFrame, test_sets: dict[str, list[str]]
) -> dict[str, pd.DataFrame]:
    """An evaluation's labelled test rows per test file (`test_sets`), or all of them as
    HELD_OUT where the task has no files; a set without labelled rows is left out."""
    test = labelled_rows(predictions[predictions["role"] == "test"])
    sets = (
        {name: test[test["row_id"].isin(ids)] for name, ids in test_sets.items()}
        if test_sets
        else {HELD_OUT: test}
    )
    return {name: rows for name, rows in sets.items() if len(rows)}


def test_prediction_figures(
    scoring: Scoring,
    predictions: Path,
    test_sets: dict[str, list[str]],
    title: str,
    out_dir: Path,
) -> list[str]:
    """The prediction figure of each test set (`test_rows_by_set`) of one evaluation's
    predictions.parquet, out_dir/<set>.png (none without labelled test rows). Returns the
    sets drawn."""
    out_dir.mkdir(parents=True, exist_ok=True)
    sets = test_rows_by_set(pd.read_parquet(predictions), test_sets)
    for name, rows in sets.items():
        target, predicted = column_values(rows["target"]), column_values(rows["prediction"])
        prediction_figure(
            scoring, target, predicted, f"{title} (test: {name})", out_dir / f"{name}.png"
        )
    return list(sets)


def classification_figures(
    scoring: Scoring,
    names: list[str],
    prediction_paths: list[Path],
    leaderboard_csv: Path,
    title: str,
    out: dict[str, Path],
    test_sets: dict[str, list[str]] | None = None,
) -> None:
    """ROC and precision-recall curves of every ranked architecture, out of fold (out["roc"],
    out["pr"]) and on each test set (`test_rows_by_set`: out["test_roc"]/<set>.png,
    out["test_pr"]/<set>.png); a task with several classes or labels: each class of the best
    one. The best one's confusion matrices, out of fold."""
    tables = {n: pd.read_parquet(p) for n, p in zip(names, prediction_paths, strict=True)}
    best = best_architecture(leaderboard_csv)
    oof = {n: table[table["role"] == "oof"].set_index("row_id") for n, table in tables.items()}
    rows_title = f"{title} (out of fold)"
    best_view = _curves(scoring, oof, best, rows_title, out["roc"], out["pr"])
    plots.classes_confusion(best_view, f"{rows_title}: {best}", out["confusion"])
    for folder in (out["test_roc"], out["test_pr"]):
        folder.mkdir(parents=True, exist_ok=True)
    for name, rows in test_rows_by_set(tables[best], test_sets or {}).items():
        test = {
            n: table[table["role"] == "test"].set_index("row_id").loc[rows["row_id"]]
            for n, table in tables.items()
        }
        paths = (out["test_roc"] / f"{name}.png", out["test_pr"] / f"{name}.png")
        _curves(scoring, test, best, f"{title} (test: {name})", *paths)


OUT_OF_FOLD = "out of fold"


def track_table(
    scoring: Scoring,
    tables: dict[str, pd.DataFrame],
    best: str,
    test_sets: dict[str, list[str]] | None = None,
) -> pd.DataFrame:
    """Each track's (label's) own metrics (`PER_NAME`) of every ranked name's predictions
    (`tables`), out of fold and on each test set (`test_rows_by_set`): one row per track, set
    of rows and architecture."""
    per_name = PER_NAME[scoring.family][0]
    sets = {OUT_OF_FOLD: tables[best][tables[best]["role"] == "oof"]["row_id"]}
    sets |= {
        f"test: {name}": rows["row_id"]
        for name, rows in test_rows_by_set(tables[best], test_sets or {}).items()
    }
    records = []
    for set_name, row_ids in sets.items():
        role = "oof" if set_name == OUT_OF_FOLD else "test"
        for name, predictions in tables.items():
            rows = predictions[predictions["role"] == role].set_index("row_id").loc[row_ids]
            metrics = scoring.metrics(
                column_values(rows["target"]), column_values(rows["prediction"])
            )
            prefix = f"{per_name[0]}_"
            for track in (m.removeprefix(prefix) for m in metrics if m.startswith(prefix)):
                records.append(
                    {
                        "track": track,
                        "rows": set_name,
                        "architecture": name,
                        **{m: metrics[f"{m}_{track}"] for m in per_name},
                    }
                )
    return pd.DataFrame(records)


def track_figures(
    scoring: Scoring,
    names: list[str],
    prediction_paths: list[Path],
    leaderboard_csv: Path,
    title: str,
    out_figure: Path,
    out_table: Path,
    test_sets: dict[str, list[str]] | None = None,
) -> None:
    """The per-track table (TSV, `track_table`) beside the leaderboard and its figure: each
    track's metrics (`TRACK_FIGURE_METRICS`) per ranked name, tracks ordered by the best."""
    tables = {n: pd.read_parquet(p) for n, p in zip(names, prediction_paths, strict=True)}
    best = best_architecture(leaderboard_csv)
    board = track_table(scoring, tables, best, test_sets)
    with atomic_path(out_table) as tmp:
        board.to_csv(tmp, sep="\t", index=False)
    metrics = list(TRACK_FIGURE_METRICS[scoring.family])
    plots.track_figure(board, metrics, best, f"{title}: each track (best: {best})", out_figure)


def _curves(
    scoring: Scoring,
    frames: dict[str, pd.DataFrame],
    best: str,
    title: str,
    roc: Path,
    pr: Path,
) -> ClassesView:
    """ROC and precision-recall curves of the rows of `frames` (name -> rows by row id, the
    best's rows drawn); returns the best one's view. A regression scored as classes (siRNA
    families) says in the title which rows are positive: the threshold its AUROC uses."""
    rows = frames[best].index

    def view(name: str) -> ClassesView:
        frame = frames[name].loc[rows]
        return PREDICTION_VIEWS[scoring.objective_name].classes(
            column_values(frame["target"]),
            column_values(frame["prediction"]),
            scoring.labels,
            scoring.options,
        )

    best_view = view(best)
    if len(best_view.labels) > 1:
        curve_truth, curve_score, curve_labels = best_view.truth, best_view.score, best_view.labels
    else:  # one curve per architecture, in the leaderboard's order
        names = list(frames)
        curve_truth = np.repeat(best_view.truth, len(names), axis=1)
        curve_score = np.column_stack([view(name).score[:, 0] for name in names])
        curve_labels = names
    positive = f"\n{best_view.labels[0]} vs the rest" if scoring.family in SIRNA_FAMILIES else ""
    plots.roc_curves(curve_truth, curve_score, curve_labels, f"{title}: ROC{positive}", roc)
    plots.pr_curves(
        curve_truth, curve_score, curve_labels, f"{title}: precision-recall{positive}", pr
    )
    return best_view
