import numpy as np
import pytest

from dlgenomics.metrics import (
    HIGHER_IS_BETTER,
    METRIC_FAMILIES,
    SELECTABLE_METRICS,
    binary_metrics,
    classifies,
    is_better,
    metric_columns,
    metric_notes,
    multiclass_metrics,
    multilabel_metrics,
    multiregression_metrics,
    regression_metrics,
    selectable_metrics,
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
    # At 0.5: one of two positives and one of two negatives called right, MCC (1 - 1) / 4.
    assert (m["sensitivity"], m["specificity"], m["mcc"]) == (0.5, 0.5, 0.0)
    strong = binary_metrics(np.array([0, 0, 0, 1, 1]), np.array([0.1, 0.2, 0.7, 0.8, 0.9]))
    assert strong["sensitivity"] == 1.0 and strong["specificity"] == pytest.approx(2 / 3)
    assert strong["mcc"] == pytest.approx(4 / 6)  # (tp tn - fp fn) / sqrt(3 x 2 x 3 x 2)
    assert np.isnan(binary_metrics(np.zeros(3), np.full(3, 0.2))["sensitivity"])


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


# Three classes, six rows; the most probable class: 0 1 1 2 2 1 (rows 1, 3, 5 wrong).
MULTICLASS_Y = np.array([0, 0, 1, 1, 2, 2])
MULTICLASS_P = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.3, 0.5, 0.2],
        [0.2, 0.6, 0.2],
        [0.1, 0.3, 0.6],
        [0.1, 0.1, 0.8],
        [0.1, 0.5, 0.4],
    ]
)


def test_multiclass_metrics_hand_computed():
    from sklearn.metrics import f1_score, matthews_corrcoef, roc_auc_score

    y, p = MULTICLASS_Y, MULTICLASS_P
    m = multiclass_metrics(y, p, labels=["a", "b", "c"])
    assert list(m) == [
        "accuracy", "macro_f1", "mcc", "auroc", "log_loss",
        "auroc_a", "auroc_b", "auroc_c", "f1_a", "f1_b", "f1_c",
    ]  # fmt: skip
    assert m["accuracy"] == pytest.approx(0.5)
    # F1 = 2tp / (2tp + fp + fn): a 1 tp, 0 fp, 1 fn; b 1, 2, 1; c 1, 1, 1.
    assert (m["f1_a"], m["f1_b"], m["f1_c"]) == (
        pytest.approx(2 / 3), pytest.approx(0.4), pytest.approx(0.5)
    )  # fmt: skip
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.4 + 0.5) / 3)
    assert m["macro_f1"] == pytest.approx(f1_score(y, p.argmax(axis=1), average="macro"))
    assert m["mcc"] == pytest.approx(matthews_corrcoef(y, p.argmax(axis=1)))
    # One vs rest: a ranks both its rows first; b 6 of 8 pairs right; c 7 of 8.
    assert (m["auroc_a"], m["auroc_b"], m["auroc_c"]) == (1.0, 0.75, 0.875)
    for k, name in enumerate("abc"):
        assert m[f"auroc_{name}"] == pytest.approx(roc_auc_score(y == k, p[:, k]))
    assert m["auroc"] == pytest.approx(0.875)
    assert m["auroc"] == pytest.approx(roc_auc_score(y, p, multi_class="ovr", average="macro"))
    # Probability of each row's true class: 0.7 0.3 0.6 0.3 0.8 0.4.
    assert m["log_loss"] == pytest.approx(-np.log([0.7, 0.3, 0.6, 0.3, 0.8, 0.4]).mean())
    # Float class indices (as read back from parquet) and the default names.
    default = multiclass_metrics(y.astype(float), p)
    assert [k for k in default if k.startswith("auroc_")] == [
        "auroc_class1", "auroc_class2", "auroc_class3"
    ]  # fmt: skip
    assert default["mcc"] == m["mcc"]
    assert task_metrics("multiclass", y, p, labels=["a", "b", "c"]) == m


def test_multiclass_perfect_predictor_and_two_classes_as_binary():
    y = np.array([0, 1, 2, 2, 1, 0])
    m = multiclass_metrics(y, np.eye(3)[y])
    assert (m["accuracy"], m["mcc"], m["auroc"], m["macro_f1"]) == (1.0, 1.0, 1.0, 1.0)
    assert m["log_loss"] == pytest.approx(0.0, abs=1e-6)  # floored: tiny, not 0
    # Two classes: the log loss of the positive class's probability, as binary_metrics.
    truth, positive = np.array([0, 0, 1, 1]), np.array([0.1, 0.6, 0.4, 1.0])
    two = multiclass_metrics(truth, np.column_stack([1 - positive, positive]))
    assert two["log_loss"] == pytest.approx(binary_metrics(truth, positive)["log_loss"])
    assert two["auroc_class2"] == pytest.approx(binary_metrics(truth, positive)["auroc"])


def test_multiclass_class_absent_from_truth():
    y = np.array([0, 0, 2, 2])
    p = np.array([[0.8, 0.1, 0.1], [0.3, 0.6, 0.1], [0.2, 0.2, 0.6], [0.5, 0.1, 0.4]])
    m = multiclass_metrics(y, p, labels=["a", "b", "c"])
    assert np.isnan(m["auroc_b"])
    assert (m["auroc_a"], m["auroc_c"]) == (0.75, 1.0)
    assert m["auroc"] == pytest.approx((0.75 + 1.0) / 2)  # over the classes present
    assert m["f1_b"] == 0.0  # predicted once, never true
    unpredicted = multiclass_metrics(y, np.array([[0.9, 0.0, 0.1]] * 2 + [[0.1, 0.0, 0.9]] * 2))
    assert np.isnan(unpredicted["f1_class2"])  # neither true nor predicted: undefined
    assert unpredicted["macro_f1"] == 1.0  # over the classes that occur, as sklearn's
    one_class = multiclass_metrics(np.zeros(3), np.array([[0.5, 0.3, 0.2]] * 3))
    assert np.isnan(one_class["auroc"]) and np.isnan(one_class["auroc_class1"])
    assert one_class["accuracy"] == 1.0


@pytest.mark.parametrize(
    ("y", "p", "labels", "match"),
    [
        (MULTICLASS_Y, MULTICLASS_P[:5], None, "truth"),  # row counts differ
        (MULTICLASS_Y[:, None], MULTICLASS_P, None, "truth"),  # truth not (n,)
        (MULTICLASS_Y, MULTICLASS_P[:, 0], None, "truth"),  # predictions not (n, K)
        (MULTICLASS_Y, MULTICLASS_P, ["a", "b"], "labels"),
        (MULTICLASS_Y + 1, MULTICLASS_P, None, r"class indices 0\.\.2"),
        (MULTICLASS_Y + 0.5, MULTICLASS_P, None, "class indices"),
        (MULTICLASS_Y, MULTICLASS_P * 2, None, "sum to 1"),
        (MULTICLASS_Y[:0], MULTICLASS_P[:0], None, "no rows"),
    ],
)
def test_multiclass_metrics_rejects_bad_input(y, p, labels, match):
    with pytest.raises(ValueError, match=match):
        multiclass_metrics(y, p, labels)


def test_multiclass_family_columns_and_direction():
    m = multiclass_metrics(MULTICLASS_Y, MULTICLASS_P, labels=["a", "b", "c"])
    assert metric_columns("multiclass", m) == [
        "accuracy", "macro_f1", "mcc", "auroc", "log_loss", "auroc_a", "auroc_b", "auroc_c",
        "f1_a", "f1_b", "f1_c",
    ]  # fmt: skip
    assert classifies("multiclass")
    assert is_better("mcc", 0.3, 0.2) and is_better("macro_f1", 0.6, 0.5)
    assert is_better("log_loss", 0.4, 0.5)
    # The other families' columns are as before.
    binary = binary_metrics(np.array([0, 1, 1]), np.array([0.2, 0.7, 0.4]))
    assert metric_columns("binary", binary) == list(binary)
    labels = multilabel_metrics(np.eye(2)[[0, 1, 1]], np.eye(2)[[0, 1, 0]])
    assert metric_columns("multilabel", labels) == list(labels)
    table = sirna_table_metrics(np.array([10.0, 50.0, 20.0]), np.array([20.0, 40.0, 45.0]))
    assert metric_columns("sirna_table", table) == [
        "spearman", "pearson", "auroc", "auprc", "mae", "rmse",
    ]  # fmt: skip


def _family_example(family: str) -> dict[str, float]:
    """The family's metrics on a few rows, with every optional metric switched on."""
    remaining = np.array([10.0, 50.0, 20.0, 80.0])
    predicted = np.array([20.0, 40.0, 45.0, 70.0])
    y, p = np.array([0, 1, 1, 0]), np.array([0.2, 0.7, 0.4, 0.3])
    examples = {
        "sirna": lambda: sirna_metrics(remaining, predicted),
        "sirna_table": lambda: sirna_table_metrics(remaining, predicted, official=True),
        "regression": lambda: regression_metrics(remaining, predicted),
        "binary": lambda: binary_metrics(y, p),
        "multilabel": lambda: multilabel_metrics(np.column_stack([y, 1 - y]), np.eye(2)[y]),
        "multiclass": lambda: multiclass_metrics(MULTICLASS_Y, MULTICLASS_P),
        "multiregression": lambda: multiregression_metrics(
            np.column_stack([remaining, remaining[::-1]]), np.column_stack([predicted, remaining])
        ),
    }
    return examples[family]()


@pytest.mark.parametrize("family", sorted(METRIC_FAMILIES))
def test_selectable_metrics_are_returned_and_have_a_direction(family):
    metrics = _family_example(family)
    names = selectable_metrics(family)
    assert names
    for name in names:
        assert name in metrics, f"{family}: {name} is not among its metrics"
        assert isinstance(metrics[name], float)
        assert name in HIGHER_IS_BETTER, f"{family}: {name} has no direction"


def test_selectable_metrics_table():
    assert set(SELECTABLE_METRICS) == set(METRIC_FAMILIES)
    assert selectable_metrics("multiclass") == ("accuracy", "macro_f1", "mcc", "auroc", "log_loss")
    assert selectable_metrics("multilabel") == (
        "accuracy", "auroc", "auprc", "median_auroc", "median_auprc",
    )  # fmt: skip
    assert selectable_metrics("multiregression")[0] == "median_pearson"
    assert "rmse" in selectable_metrics("sirna") and "score" in selectable_metrics("sirna_table")
    with pytest.raises(ValueError, match="unknown metric family"):
        selectable_metrics("ranking")


def test_fast_selection_metrics_equal_the_full_family_ones():
    # The bootstrap's shortcuts: AUROC from ranks (ties included), log loss alone.
    from sklearn.metrics import roc_auc_score

    from dlgenomics.metrics import rank_auroc, selection_value, task_metrics

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, (400, 3))
    scores = np.round(rng.random((400, 3)) + 0.3 * labels, 1)  # rounded: many ties
    assert rank_auroc(labels[:, 0], scores[:, 0]) == pytest.approx(
        roc_auc_score(labels[:, 0], scores[:, 0]), abs=1e-12
    )
    assert np.isnan(rank_auroc(np.ones(5), np.arange(5.0)))
    options = {"labels": ["a", "b", "c"]}
    full = task_metrics("multilabel", labels, scores, **options)["auroc"]
    assert selection_value("multilabel", "auroc", labels, scores, **options) == pytest.approx(full)
    probability = np.clip(scores[:, 1] / 1.3, 0, 1)
    for metric in ("auroc", "log_loss", "mcc"):
        assert selection_value("binary", metric, labels[:, 1], probability) == pytest.approx(
            task_metrics("binary", labels[:, 1], probability)[metric]
        )
    classes, softmax = labels[:, 0] + labels[:, 1], scores / scores.sum(axis=1, keepdims=True)
    assert selection_value("multiclass", "log_loss", classes, softmax) == pytest.approx(
        task_metrics("multiclass", classes, softmax)["log_loss"]
    )
    for family in ("regression", "sirna_table"):
        for metric in ("pearson", "spearman"):
            assert selection_value(family, metric, scores[:, 0], scores[:, 1]) == pytest.approx(
                task_metrics(family, scores[:, 0], scores[:, 1])[metric]
            )


# --- Many labels or tracks at once (issue 30) -------------------------------------------------


def test_multiregression_metrics_skip_unknown_values_per_track():
    """Each track is scored on its known rows alone; a track never known has no figure (NaN)
    and the medians skip it; the RMSE pools every known value."""
    truth = np.array([[1.0, 2.0, np.nan], [2.0, np.nan, np.nan], [3.0, 1.0, np.nan],
                      [4.0, 5.0, np.nan]])  # fmt: skip
    predicted = np.array([[1.0, 9.0, 0.0], [2.5, 9.0, 0.0], [2.5, 1.0, 0.0], [5.0, 4.0, 0.0]])
    metrics = multiregression_metrics(truth, predicted, ["a", "b", "c"])
    a = regression_metrics(truth[:, 0], predicted[:, 0])
    b = regression_metrics(truth[[0, 2, 3], 1], predicted[[0, 2, 3], 1])
    assert metrics["pearson_a"] == pytest.approx(a["pearson"])
    assert metrics["pearson_b"] == pytest.approx(b["pearson"])  # row 1's 9.0 never scored
    assert np.isnan(metrics["pearson_c"]) and np.isnan(metrics["r2_c"])
    assert metrics["median_pearson"] == pytest.approx(np.median([a["pearson"], b["pearson"]]))
    assert metrics["median_r2"] == pytest.approx(np.median([a["r2"], b["r2"]]))
    errors = np.array([0, 0.5, 0.5, 1.0, 7.0, 0.0, 1.0])
    assert metrics["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert list(metrics)[:5] == ["median_pearson", "mean_pearson", "median_spearman",
                                 "median_r2", "rmse"]  # fmt: skip
    notes = metric_notes("multiregression", list(metrics))
    assert any(n.startswith("`pearson_a`: Pearson of track a alone") for n in notes)


def test_multilabel_medians_over_labels_skip_one_class_labels():
    truth = np.array([[1, 0, 1], [0, 0, 1], [1, 0, 0], [0, 0, 1]])
    score = np.array([[0.9, 0.2, 0.4], [0.1, 0.3, 0.8], [0.6, 0.1, 0.5], [0.7, 0.4, 0.6]])
    metrics = multilabel_metrics(truth, score)
    aurocs = [metrics["auroc_label1"], metrics["auroc_label3"]]  # label2: one class, NaN
    assert np.isnan(metrics["auroc_label2"])
    assert metrics["median_auroc"] == pytest.approx(np.median(aurocs))
    assert metrics["median_auprc"] == pytest.approx(
        np.median([metrics["auprc_label1"], metrics["auprc_label3"]])
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_selection_paths_equal_the_family_functions(seed):
    """AUPRC (binary, multi-label), macro F1, MCC and AUROC (multi-class), the multi-label
    medians and the multi-output regression's metrics, the bootstrap's shortcuts, equal the
    family function's value on random data with many ties (and unknown track values)."""
    from dlgenomics.metrics import average_precision, selection_value

    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, (300, 4))
    scores = np.round(rng.random((300, 4)) + 0.3 * labels, 1)  # rounded: many ties
    from sklearn.metrics import average_precision_score

    assert average_precision(labels[:, 0], scores[:, 0]) == pytest.approx(
        average_precision_score(labels[:, 0], scores[:, 0]), abs=1e-12
    )
    cases = [("binary", m, labels[:, 1], scores[:, 1] / 1.3) for m in ("auprc",)]
    cases += [("multilabel", m, labels, scores)
              for m in ("auprc", "median_auroc", "median_auprc")]  # fmt: skip
    classes = rng.integers(0, 4, 300)
    softmax = np.round(rng.dirichlet(np.ones(4), 300) + 0.2 * np.eye(4)[classes], 1) + 0.01
    softmax /= softmax.sum(axis=1, keepdims=True)  # ties in the arg max and the ranks
    cases += [("multiclass", m, classes, softmax) for m in ("macro_f1", "mcc", "auroc")]
    tracks = rng.normal(0, 1, (300, 5))
    predicted = np.round(tracks + rng.normal(0, 1, tracks.shape), 1)
    tracks[rng.random(tracks.shape) < 0.2] = np.nan
    tracks[:, 4] = np.nan  # a track never known
    cases += [("multiregression", m, tracks, predicted)
              for m in ("median_pearson", "mean_pearson", "median_r2", "rmse")]  # fmt: skip
    for family, metric, truth, prediction in cases:
        full = task_metrics(family, truth, prediction)[metric]
        fast = selection_value(family, metric, truth, prediction)
        assert fast == pytest.approx(full, abs=1e-12), (family, metric)
    # A single class in the truth: the family's own answers.
    one = np.zeros(6, dtype=int)
    even = np.full((6, 2), 0.5)
    for metric in ("auroc", "mcc", "macro_f1"):
        full = task_metrics("multiclass", one, even)[metric]
        assert selection_value("multiclass", metric, one, even) == pytest.approx(full, nan_ok=True)
