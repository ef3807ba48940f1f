"""How sure are we: grouped bootstrap intervals and the paired comparison with the best row
(issue 20), on cases with a known answer."""

from __future__ import annotations

import json
from functools import partial

import numpy as np
import pandas as pd
import pytest

from dlgenomics.evaluation.evaluate import leaderboard, leaderboard_notes, with_uncertainty
from dlgenomics.evaluation.uncertainty import (
    CONFIDENCE,
    compare_to_best,
    group_counts,
    resampled_values,
)
from dlgenomics.metrics import HIGHER_IS_BETTER, selection_value, summed_selection
from dlgenomics.tasks.kinds import scoring


def mae(target: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.abs(target - predicted).mean())


def test_resamples_draw_whole_groups():
    """A resample is a count per group (groups drawn whole, as many draws as groups), drawn as
    the row-index resamples always were: the same seed gives the same resamples."""
    groups = np.array(["a", "a", "a", "b", "c", "c"])
    counts = np.vstack([chunk.copy() for chunk in group_counts(3, samples=50, seed=1)])
    assert counts.shape == (50, 3) and (counts.sum(axis=1) == 3).all()
    for drawn, rows in zip(counts, old_group_resamples(groups, samples=50, seed=1), strict=True):
        assert list(drawn) == [np.sum(groups[rows] == g) / size for g, size in
                               (("a", 3), ("b", 1), ("c", 2))]  # fmt: skip


def noisy_copies(seed: int, groups: int, noises: tuple[float, float]):
    """A target of 10 rows per group and two predictions of it with the given noise."""
    rng = np.random.default_rng(seed)
    target = rng.normal(50, 20, 10 * groups)
    first, second = (target + rng.normal(0, noise, len(target)) for noise in noises)
    return target, np.repeat(np.arange(groups), 10), first, second


def test_models_that_differ_by_construction_are_not_tied():
    target, groups, good, bad = noisy_copies(0, 40, (2, 15))
    result = compare_to_best(mae, target, {"good": good, "bad": bad}, "good", groups, False)
    assert result["good"].verdict == "best"
    assert result["bad"].verdict == "worse"
    assert result["bad"].difference_low > 0  # MAE: lower is better, bad is higher everywhere
    assert result["good"].low <= mae(target, good) <= result["good"].high


def test_identical_predictions_are_tied():
    target, groups, same, _ = noisy_copies(1, 30, (5, 5))
    result = compare_to_best(mae, target, {"a": same, "b": same.copy()}, "a", groups, False)
    assert result["b"].verdict == "tied"
    assert result["b"].difference_low == result["b"].difference_high == 0.0
    assert (result["a"].low, result["a"].high) == (result["b"].low, result["b"].high)


def test_close_models_on_few_groups_are_tied():
    """Two models a hair apart on a handful of groups: the interval of the difference holds 0."""
    target, groups, a, _ = noisy_copies(2, 6, (10, 10))
    b = a + np.random.default_rng(3).normal(0, 1, len(a))
    result = compare_to_best(mae, target, {"a": a, "b": b}, "a", groups, False)
    assert result["b"].verdict == "tied"


def test_leaderboard_carries_intervals_and_verdicts(tmp_path):
    task_scoring = scoring({"kind": "sirna_competition"})
    rng = np.random.default_rng(3)
    target = rng.uniform(0, 100, 300)
    ids = [str(i) for i in range(300)]
    predictions = {"good": target + rng.normal(0, 3, 300), "bad": rng.uniform(0, 100, 300)}
    predictions["twin"] = predictions["good"].copy()
    metric_paths, prediction_paths = {}, {}
    for name, predicted in predictions.items():
        frame = pd.DataFrame({"row_id": ids, "role": "oof", "fold": np.arange(300) % 3,
                              "prediction": predicted, "target": target})  # fmt: skip
        prediction_paths[name] = tmp_path / f"{name}.parquet"
        frame.to_parquet(prediction_paths[name])
        oof = task_scoring.metrics(target, predicted)
        folds = [{"fold": k, "rows": 100, **oof} for k in range(3)]
        metric_paths[name] = tmp_path / f"{name}.json"
        metric_paths[name].write_text(json.dumps({"oof": oof, "folds": folds, "test": None}))
    groups = tmp_path / "groups.parquet"
    pd.DataFrame({"row_id": ids, "group": [str(i // 10) for i in range(300)]}).to_parquet(groups)
    board = with_uncertainty(
        leaderboard(task_scoring, metric_paths), task_scoring, prediction_paths, groups
    )
    verdicts = dict(zip(board["architecture"], board["vs_best"], strict=True))
    assert verdicts["bad"] == "worse" and {verdicts["good"], verdicts["twin"]} == {"best", "tied"}
    columns = list(board.columns)
    assert columns[columns.index("oof_score") + 1 : columns.index("oof_score") + 4] == [
        "oof_score_ci_low", "oof_score_ci_high", "vs_best",
    ]  # fmt: skip
    assert (board["oof_score_ci_low"] <= board["oof_score"]).all()
    assert (board["oof_score"] <= board["oof_score_ci_high"]).all()
    notes = "\n".join(leaderboard_notes(task_scoring, board))
    assert "`vs_best`" in notes and "tied" in notes and "score_ci_low`: " not in notes


@pytest.mark.parametrize("samples", [200])
def test_intervals_do_not_depend_on_the_order_of_names(samples):
    rng = np.random.default_rng(4)
    target = rng.normal(0, 1, 100)
    groups = np.arange(100) // 5
    models = {"x": target + rng.normal(0, 1, 100), "y": target + rng.normal(0, 2, 100)}
    first = compare_to_best(mae, target, models, "x", groups, False, samples)
    second = compare_to_best(
        mae, target, dict(reversed(models.items())), "x", groups, False, samples
    )
    assert first == second


# --- the bootstrap as group counts (issue 30): the same intervals as the row-index resamples --


SAMPLES = 300  # resamples per comparison: enough for stable 95% bounds, quick on two cores


def old_group_resamples(groups: np.ndarray, samples: int = SAMPLES, seed: int = 0):
    """The resamples as they were built before issue 30: every resample's row indices."""
    ids, group_of_row = np.unique(groups, return_inverse=True)
    rows_of_group = np.split(np.argsort(group_of_row, kind="stable"),
                             np.cumsum(np.bincount(group_of_row))[:-1])  # fmt: skip
    rng = np.random.default_rng(seed)
    return [
        np.concatenate([rows_of_group[g] for g in rng.integers(0, len(ids), len(ids))])
        for _ in range(samples)
    ]


def old_intervals(family, metric, target, predictions, best, groups, options):
    """(interval, interval of the difference from `best`) per name, the metric recomputed on
    each resample's rows: the reference the fast forms are held to."""
    resamples = old_group_resamples(groups)
    values = {
        name: np.array([selection_value(family, metric, target[rows], predicted[rows], **options)
                        for rows in resamples])
        for name, predicted in predictions.items()
    }  # fmt: skip
    tail = (1 - CONFIDENCE) / 2 * 100
    return {
        name: np.concatenate([np.nanpercentile(spread, [tail, 100 - tail]),
                              np.nanpercentile(spread - values[best], [tail, 100 - tail])])
        for name, spread in values.items()
    }, values  # fmt: skip


def realistic(family: str, rows: int = 600, seed: int = 5):
    """A target and two models' predictions of it, as a family scores them, 3 rows a group."""
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(rows // 3), 3).astype(str)
    if family in ("regression", "sirna", "sirna_table"):
        target = np.clip(rng.normal(45, 25, rows), 0, 120)
        return target, groups, {"a": target + rng.normal(0, 12, rows),
                                "b": target + rng.normal(3, 18, rows)}  # fmt: skip
    if family == "multiregression":  # four tracks, a tenth of their values unknown
        target = rng.normal(0, 1, (rows, 4))
        predictions = {"a": target + rng.normal(0, 0.8, target.shape),
                       "b": target + rng.normal(0.2, 1.2, target.shape)}  # fmt: skip
        target[rng.random(target.shape) < 0.1] = np.nan
        return target, groups, predictions
    if family == "multiclass":
        target = rng.integers(0, 3, rows)
        logits = {name: 1.5 * noise * np.eye(3)[target] + rng.normal(0, 1, (rows, 3))
                  for name, noise in (("a", 1.0), ("b", 0.6))}  # fmt: skip
        return target, groups, {n: np.exp(v) / np.exp(v).sum(1, keepdims=True)
                                for n, v in logits.items()}  # fmt: skip
    labels = 4 if family == "multilabel" else 1
    target = (rng.random((rows, labels)) < 0.3).astype(int)
    margins = {name: signal * (2 * target - 1) + rng.normal(0, 1.2, target.shape)
               for name, signal in (("a", 1.2), ("b", 0.8))}  # fmt: skip
    predictions = {name: 1 / (1 + np.exp(-margin)) for name, margin in margins.items()}
    squeeze = (lambda v: v[:, 0]) if labels == 1 else (lambda v: v)
    return squeeze(target), groups, {n: squeeze(v) for n, v in predictions.items()}


CASES = [
    ("regression", "rmse", {}), ("regression", "mae", {}), ("regression", "r2", {}),
    ("regression", "pearson", {}), ("regression", "spearman", {}), ("sirna", "score", {}),
    ("sirna_table", "auroc", {"threshold": 30.0, "inclusive": False}),
    ("sirna_table", "spearman", {"threshold": 30.0}), ("binary", "auroc", {}),
    ("binary", "log_loss", {}), ("binary", "accuracy", {}), ("binary", "mcc", {}),
    ("multiclass", "log_loss", {}), ("multiclass", "accuracy", {}),
    ("multilabel", "auroc", {"labels": ["p", "q", "r", "s"]}), ("multilabel", "accuracy", {}),
    # Issue 30: confusion counts are exact sums; the medians of first-order AUROCs; the tracks.
    ("multiclass", "macro_f1", {}), ("multiclass", "mcc", {}), ("multiclass", "auroc", {}),
    ("multilabel", "median_auroc", {}), ("multiregression", "median_pearson", {}),
    ("multiregression", "mean_pearson", {}), ("multiregression", "median_r2", {}),
    ("multiregression", "rmse", {}),
]  # fmt: skip


@pytest.mark.parametrize(("family", "metric", "options"), CASES)
def test_group_counts_give_the_row_resamples_intervals(family, metric, options):
    """Each family's selection metric, resampled as weighted sums of group counts (AUROC and
    Spearman by their first-order form, forced here on 3,000 rows), gives the intervals of
    recomputing it on every resample's rows, within 0.005; the exact sums give the very values
    of each resample."""
    first_order = metric.endswith(("auroc", "spearman"))
    target, groups, predictions = realistic(family, rows=3000 if first_order else 600)
    old, old_values = old_intervals(family, metric, target, predictions, "a", groups, options)
    summed = partial(summed_selection, family, metric, **options)
    assert summed(target, predictions["a"], first_order=first_order) is not None

    def refused(*_):  # the fast form is used: the metric is never called on a resample
        raise AssertionError("the metric was recomputed on a resample's rows")

    new = compare_to_best(refused, target, predictions, "a", groups, HIGHER_IS_BETTER[metric],
                          SAMPLES, summed, first_order_rows=0)  # fmt: skip
    for name, comparison in new.items():
        bounds = [comparison.low, comparison.high,
                  comparison.difference_low, comparison.difference_high]  # fmt: skip
        assert np.allclose(bounds, old[name], atol=0.005, rtol=0), (name, bounds, old[name])
    if not first_order:
        exact = resampled_values(refused, target, predictions, groups, SAMPLES, summed)
        for name, values in exact.items():
            assert np.allclose(values, old_values[name], rtol=1e-9, atol=1e-12)


def test_rank_metrics_are_exact_below_the_first_order_rows():
    """On few rows AUROC and Spearman are still computed on each resample's rows: the very
    values of the row-index resamples."""
    for family, metric in (("binary", "auroc"), ("regression", "spearman")):
        target, groups, predictions = realistic(family, rows=300)
        _, old_values = old_intervals(family, metric, target, predictions, "a", groups, {})
        values = resampled_values(partial(selection_value, family, metric), target,
                                  predictions, groups, SAMPLES,
                                  partial(summed_selection, family, metric))  # fmt: skip
        for name in predictions:
            assert np.allclose(values[name], old_values[name], rtol=1e-12)


def test_first_order_forms_follow_the_exact_metric_on_many_rows():
    """On 20,000 rows the first-order AUROC and Spearman of a reweighted set of rows match the
    metric recomputed on the repeated rows to well under the interval's digits."""
    rng = np.random.default_rng(8)
    weights = rng.poisson(1.0, 20_000)
    rows = np.repeat(np.arange(20_000), weights)
    target = rng.normal(0, 1, 20_000)
    score = target + rng.normal(0, 1.5, 20_000)
    spearman = summed_selection("regression", "spearman", target, score, first_order=True)
    exact = selection_value("regression", "spearman", target[rows], score[rows])
    assert abs(spearman.finish((weights @ spearman.terms)[None])[0] - exact) < 2e-4
    labels = (target > 0.5).astype(int)
    auroc = summed_selection("binary", "auroc", labels, np.round(score, 1), first_order=True)
    exact = selection_value("binary", "auroc", labels[rows], np.round(score, 1)[rows])
    assert abs(auroc.finish((weights @ auroc.terms)[None])[0] - exact) < 2e-4


def test_chunks_and_blocks_do_not_change_the_values(monkeypatch):
    """Resamples weighed a few at a time, over a few groups at a time, give the same values
    as all at once."""
    from dlgenomics.evaluation import uncertainty

    target, groups, predictions = realistic("sirna")
    summed = partial(summed_selection, "sirna", "score")
    whole = resampled_values(mae, target, predictions, groups, SAMPLES, summed)
    monkeypatch.setattr(uncertainty, "CHUNK_BYTES", 7 * 200)  # 7 resamples of 200 groups
    monkeypatch.setattr(uncertainty, "GROUP_BLOCK", 16)
    pieces = resampled_values(mae, target, predictions, groups, SAMPLES, summed)
    for name in predictions:
        assert np.allclose(pieces[name], whole[name], rtol=1e-12, atol=0)


def test_many_tracks_resample_in_seconds():
    """85 tracks x 20,000 rows x 1,000 resamples, two models: the medians of per-track
    Pearsons (exact sums) and of first-order AUROCs are resampled without recomputing the
    metric on any resample (minutes that way), in seconds."""
    import time

    rng = np.random.default_rng(3)
    rows, tracks = 20_000, 85
    values = rng.normal(0, 1, (rows, tracks))
    labels = (values > 1).astype(int)
    cases = {
        "multiregression": (values, {n: values + rng.normal(0, s, values.shape)
                                     for n, s in (("a", 1.0), ("b", 1.5))}),
        "multilabel": (labels, {n: 1 / (1 + np.exp(-values - rng.normal(0, s, values.shape)))
                                for n, s in (("a", 1.0), ("b", 1.5))}),
    }  # fmt: skip

    def refused(*_):
        raise AssertionError("the metric was recomputed on a resample's rows")

    for family, metric in (("multiregression", "median_pearson"), ("multilabel", "median_auroc")):
        target, predictions = cases[family]
        started = time.perf_counter()
        result = compare_to_best(refused, target, predictions, "a", np.arange(rows), True,
                                 summed=partial(summed_selection, family, metric))  # fmt: skip
        assert time.perf_counter() - started < 30, family
        assert result["b"].verdict == "worse" and result["a"].low < result["a"].high
