"""How sure are we: grouped bootstrap intervals and the paired comparison with the best row
(issue 20), on cases with a known answer."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dlgenomics.evaluation.evaluate import leaderboard, leaderboard_notes, with_uncertainty
from dlgenomics.evaluation.uncertainty import compare_to_best, group_resamples
from dlgenomics.tasks.kinds import scoring


def mae(target: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.abs(target - predicted).mean())


def test_resamples_draw_whole_groups():
    groups = np.array(["a", "a", "a", "b", "c", "c"])
    for rows in group_resamples(groups, samples=50, seed=1):
        drawn = pd.Series(groups[rows]).value_counts()
        # A group is drawn whole (3 rows of a, 1 of b, 2 of c per draw), never in part.
        assert all(drawn[g] % {"a": 3, "b": 1, "c": 2}[g] == 0 for g in drawn.index)
        assert len(set(groups[rows])) <= 3


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
