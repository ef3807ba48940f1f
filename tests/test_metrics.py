import numpy as np
import pytest

from dlgenomics.metrics import (
    binary_metrics,
    is_better,
    regression_metrics,
    sirna_metrics,
    sirna_table_metrics,
    task_metrics,
)


def test_official_score_against_hand_computed_values():
    y_true = np.array([10.0, 50.0, 20.0, 80.0])
    y_pred = np.array([20.0, 40.0, 35.0, 70.0])
    m = sirna_metrics(y_true, y_pred)
    # MAE = (10 + 10 + 15 + 10) / 4 = 11.25
    assert m["mae"] == pytest.approx(11.25)
    # Only row 0 is predicted in [0, 30]: rangeMAE = |10 - 20| = 10
    assert m["range_mae"] == pytest.approx(10.0)
    # y < 30: rows 0, 2; ŷ < 30: row 0 -> precision 1, recall 1/2, F1 2/3
    assert (m["precision"], m["recall"]) == (pytest.approx(1.0), pytest.approx(0.5))
    assert m["f1"] == pytest.approx(2 / 3)
    # 0.5 * (1 - 0.1125) + 0.5 * 2/3 * (1 - 0.10) = 0.44375 + 0.3
    assert m["score"] == pytest.approx(0.74375)


def test_range_mae_is_100_when_no_prediction_is_in_range():
    m = sirna_metrics(np.array([10.0, 50.0]), np.array([40.0, 60.0]))
    assert m["range_mae"] == 100.0
    assert m["f1"] == 0.0
    assert m["score"] == pytest.approx(0.5 * (1 - 20.0 / 100))


def test_negative_predictions_are_outside_the_range():
    m = sirna_metrics(np.array([5.0, 10.0]), np.array([-5.0, 12.0]))
    assert m["range_mae"] == pytest.approx(2.0)  # only the 12 counts


def test_perfect_regression_scores_one_and_correlations():
    y = np.array([5.0, 25.0, 60.0, 90.0])
    m = sirna_metrics(y, y)
    assert m["score"] == pytest.approx(1.0)
    assert m["pearson"] == pytest.approx(1.0)
    assert m["spearman"] == pytest.approx(1.0)
    assert sirna_metrics(y, np.full(4, 50.0))["pearson"] == 0.0  # constant: defined as 0


def test_binary_metrics_hand_computed():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.1, 0.6, 0.4, 0.9])
    m = binary_metrics(y, p)
    assert m["accuracy"] == 0.5
    assert (m["tn"], m["fp"], m["fn"], m["tp"]) == (1, 1, 1, 1)
    assert m["auroc"] == pytest.approx(0.75)  # 3 of 4 positive/negative pairs ordered right
    assert m["auprc"] == pytest.approx((1 + 2 / 3) / 2)


def test_is_better_respects_direction():
    assert is_better("score", 0.7, 0.6)
    assert not is_better("mae", 12.0, 10.0)
    assert is_better("mae", 9.0, 10.0)
    assert is_better("auroc", 0.5, None)


def test_plain_regression_metrics_hand_computed():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    pred = np.array([1.0, 2.0, 3.0, 6.0])
    m = regression_metrics(y, pred)
    assert m["mae"] == pytest.approx(0.5)
    assert m["rmse"] == pytest.approx(1.0)  # sqrt(4 / 4)
    assert m["r2"] == pytest.approx(1 - 1.0 / 1.25)  # variance of y is 1.25
    assert m["spearman"] == pytest.approx(1.0)
    assert task_metrics("regression", y, pred) == m
    with pytest.raises(ValueError, match="unknown metric family"):
        task_metrics("ranking", y, pred)


def test_sirna_table_metrics_hand_computed():
    y = np.array([10.0, 50.0, 20.0, 80.0])  # % remaining: rows 0 and 2 effective (< 30)
    pred = np.array([20.0, 40.0, 45.0, 70.0])
    m = sirna_table_metrics(y, pred)
    assert set(m) == {"pearson", "spearman", "auroc", "auprc", "mae", "rmse"}  # no score
    # Ranked by -prediction: row 0 (+), 1 (-), 2 (+), 3 (-): 3 of 4 pairs ordered right.
    assert m["auroc"] == pytest.approx(0.75)
    assert m["auprc"] == pytest.approx((1 + 2 / 3) / 2)  # precision 1 at row 0, 2/3 at row 2
    assert m["mae"] == pytest.approx((10 + 10 + 25 + 10) / 4)
    assert m["rmse"] == pytest.approx(np.sqrt((100 + 100 + 625 + 100) / 4))
    # Ranks 1 3 2 4 vs 1 2 3 4: 1 - 6 * 2 / (4 * 15)
    assert m["spearman"] == pytest.approx(0.8)
    assert m["pearson"] == pytest.approx(1700 / np.sqrt(3000 * 1268.75))
    # On efficacy (100 - remaining) both sides reverse: the same rank correlation.
    assert sirna_table_metrics(100 - y, 100 - pred)["spearman"] == pytest.approx(0.8)


def test_sirna_table_metrics_threshold_official_and_one_class():
    y = np.array([10.0, 50.0, 20.0, 80.0])
    pred = np.array([20.0, 40.0, 45.0, 70.0])
    strict = task_metrics("sirna_table", y, pred, threshold=15.0, official=True)
    assert (strict["auroc"], strict["auprc"]) == (1.0, 1.0)  # only row 0, ranked first
    assert strict["score"] == sirna_metrics(y, pred)["score"]  # the competition's, at 30 %
    none_effective = sirna_table_metrics(y, pred, threshold=5.0)
    assert np.isnan(none_effective["auroc"]) and np.isnan(none_effective["auprc"])
