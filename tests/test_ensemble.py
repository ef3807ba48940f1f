"""Ensembles: weights fitted on out-of-fold predictions, cross-fitted for an honest figure."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlgenomics.evaluation.ensemble import (
    CROSS_FIT_PARTS,
    Combination,
    EnsembleSettings,
    best_members,
    build_ensemble,
    called_at,
    cross_fit_groups,
    fit_calibration,
    fit_combination,
    fit_weights,
    read_combination,
    write_combination,
)
from dlgenomics.metrics import official_score
from dlgenomics.tasks.objectives import Scoring

# Classification ensembles are the fitted weighted mean, never recalibrated.
UNCALIBRATED = Scoring("binary", "binary", "auroc")


def test_weights_recover_a_known_mixture():
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 500))
    target = 0.7 * a + 0.3 * b  # c is noise: weight 0
    weights = fit_weights(np.column_stack([a, b, c]), target)
    np.testing.assert_allclose(weights, [0.7, 0.3, 0.0], atol=1e-4)
    assert weights.sum() == pytest.approx(1.0) and (weights >= 0).all()


def test_weights_stay_non_negative_for_an_anti_correlated_member():
    rng = np.random.default_rng(1)
    target = rng.normal(size=300)
    weights = fit_weights(np.column_stack([target, -target]), target)
    np.testing.assert_allclose(weights, [1.0, 0.0], atol=1e-6)


def test_single_hold_out_is_cut_into_parts_and_folds_are_kept():
    folds = np.array([0, 0, 1, 1, 2])
    assert cross_fit_groups(folds, seed=0) is folds
    groups = cross_fit_groups(np.zeros(103, dtype=int), seed=0)
    assert sorted(np.unique(groups)) == list(range(CROSS_FIT_PARTS))
    assert np.bincount(groups).min() >= 103 // CROSS_FIT_PARTS


def _rows(values: np.ndarray) -> list | np.ndarray:
    """(n, K) predictions as a column of arrays, as evaluation files hold them."""
    return list(values) if values.ndim == 2 else values


def _write_member(path: Path, oof: np.ndarray, test: np.ndarray, target: np.ndarray,
                  folds: np.ndarray) -> Path:  # fmt: skip
    frame = pd.concat([
        pd.DataFrame({"row_id": [f"r{i}" for i in range(len(oof))], "role": "oof",
                      "fold": folds, "prediction": _rows(oof), "target": target}),
        pd.DataFrame({"row_id": [f"t{i}" for i in range(len(test))], "role": "test",
                      "fold": -1, "prediction": _rows(test), "target": np.nan}),
    ])  # fmt: skip
    frame.to_parquet(path, index=False)
    return path


def test_cross_fitted_predictions_only_use_weights_from_other_folds(tmp_path):
    # Member `good` is exact in fold 0 and useless in fold 1, `other` the reverse: weights fitted
    # on fold 1 favour `other`, so fold 0's cross-fitted predictions come mostly from `other`.
    rng = np.random.default_rng(2)
    target = rng.normal(size=200)
    folds = np.repeat([0, 1], 100)
    noise = rng.normal(size=200) * 3
    good = np.where(folds == 0, target, noise)
    other = np.where(folds == 1, target, -noise)
    members = {
        "good": _write_member(tmp_path / "good.parquet", good, np.ones(3), target, folds),
        "other": _write_member(tmp_path / "other.parquet", other, np.zeros(3), target, folds),
    }
    oof, test, fit = build_ensemble(members, UNCALIBRATED)
    fold0 = fit["cross_fitted"][0]["weights"]
    assert fold0["other"] > 0.9  # fitted on fold 1 only
    np.testing.assert_allclose(
        oof["prediction"][:100], fold0["good"] * good[:100] + fold0["other"] * other[:100]
    )
    # The test rows use the weights fitted on every out-of-fold row; no metric, no calibration.
    final = fit["weights"]
    assert (fit["offset"], fit["slope"]) == (0.0, 1.0)
    np.testing.assert_allclose(test["prediction"], final["good"] * 1.0 + final["other"] * 0.0)
    assert list(oof["row_id"]) == [f"r{i}" for i in range(200)]


def test_members_must_cover_the_same_rows(tmp_path):
    folds = np.zeros(4, dtype=int)
    a = _write_member(tmp_path / "a.parquet", np.ones(4), np.ones(2), np.ones(4), folds)
    b = _write_member(tmp_path / "b.parquet", np.ones(3), np.ones(2), np.ones(3), folds[:3])
    with pytest.raises(Exception, match="rows differ"):
        build_ensemble({"a": a, "b": b}, UNCALIBRATED)


def test_calibration_moves_shrunken_predictions_back_over_the_threshold():
    # An average of noisy members lies too close to the mean: few rows fall below 30%, so the
    # official score's F1 part suffers. Stretching around the mean recovers effective rows.
    rng = np.random.default_rng(4)
    target = rng.uniform(0, 100, 2000)
    shrunk = 50 + 0.4 * (target - 50) + rng.normal(0, 3, 2000)

    def score(y, p):
        return official_score(y, p)["score"]

    offset, slope = fit_calibration(shrunk, target, score)
    assert slope > 1.5
    assert score(target, offset + slope * shrunk) > score(target, shrunk) + 0.1
    # Already-calibrated predictions keep (0, 1) unless something is really better.
    assert fit_calibration(target, target, score) == (0.0, 1.0)


def test_multiclass_members_are_averaged_per_class_and_weighted_by_brier_score(tmp_path):
    # Three classes; member `sharp` puts 0.9 on the true class, `flat` predicts 1/3 everywhere:
    # the Brier-score weights favour `sharp`, and every ensemble row is still a distribution.
    rng = np.random.default_rng(3)
    target = rng.integers(0, 3, size=90).astype(float)
    sharp = np.full((90, 3), 0.05) + 0.85 * np.eye(3)[target.astype(int)]
    flat = np.full((90, 3), 1 / 3)
    folds = np.repeat([0, 1, 2], 30)
    members = {
        name: _write_member(tmp_path / f"{name}.parquet", p, p[:4], target, folds)
        for name, p in (("sharp", sharp), ("flat", flat))
    }
    scoring = Scoring("multiclass", "multiclass", "log_loss", {"labels": ["a", "b", "c"]})
    oof, test, fit = build_ensemble(members, scoring)
    assert fit["weights"]["sharp"] > 0.99
    predicted = np.stack(oof["prediction"].to_numpy())
    assert predicted.shape == (90, 3)
    np.testing.assert_allclose(predicted.sum(axis=1), 1.0)
    assert (predicted.argmax(axis=1) == target).all()
    assert np.stack(test["prediction"].to_numpy()).shape == (4, 3)


def test_no_calibration_on_a_scale_free_metric(tmp_path):
    # Pearson ignores a + b * x: calibrating on it picks an arbitrary scale per fold, and the
    # pooled out-of-fold figure of such folds is worse than every member's. Weights only.
    rng = np.random.default_rng(4)
    target = rng.normal(size=300)
    folds = np.repeat([0, 1, 2], 100)
    a, b = target + rng.normal(size=300), target + rng.normal(size=300)
    members = {
        "a": _write_member(tmp_path / "a.parquet", a, np.ones(3), target, folds),
        "b": _write_member(tmp_path / "b.parquet", b, np.ones(3), target, folds),
    }
    scoring = Scoring("regression", "regression", "pearson")
    oof, _, fit = build_ensemble(members, scoring)
    assert (fit["offset"], fit["slope"]) == (0.0, 1.0)
    assert all((g["offset"], g["slope"]) == (0.0, 1.0) for g in fit["cross_fitted"].values())
    pooled = np.corrcoef(oof["prediction"], target)[0, 1]
    assert pooled > max(np.corrcoef(a, target)[0, 1], np.corrcoef(b, target)[0, 1])


SIRNA = Scoring("regression", "sirna", "score")


def test_a_cut_decides_the_calls_the_official_score_counts():
    # Noisy members shrunk towards the mean: an affine map must trade every value's error
    # against where rows fall, and the MAE half wants fewer rows below 30% than the F1 half.
    # The cut makes the calls on its own, and a call is exactly "below 30%" in the values.
    rng = np.random.default_rng(5)
    target = np.clip(rng.normal(55, 30, 3000), 0, 120)
    mean = 50 + 0.5 * (target - 50) + rng.normal(0, 20, 3000)
    predictions = pd.DataFrame({"a": mean, "b": mean})
    fitted = fit_combination(predictions, target, SIRNA)
    assert fitted.cut is not None and fitted.threshold == 30.0
    values = fitted.apply(predictions)
    np.testing.assert_array_equal(values < 30.0, mean < fitted.cut)

    def score(y, p):
        return official_score(y, p)["score"]

    offset, slope = fit_calibration(mean, target, score)
    assert score(target, values) > score(target, offset + slope * mean) + 0.01


def test_called_at_moves_only_the_rows_on_the_wrong_side():
    value = np.array([10.0, 45.0, 20.0, 50.0])
    called = called_at(value, np.array([True, True, False, False]), 30.0)
    assert called[0] == 10.0 and called[3] == 50.0  # already on their side
    assert called[1] < 30.0 and called[1] == pytest.approx(30.0)  # just below the threshold
    assert called[2] == 30.0  # not effective: at the threshold, which `< 30` does not count


def test_top_members_with_equal_weights(tmp_path):
    # Three members of falling quality and one useless: `top: 2` keeps the best two (ranked on
    # each cross-fitting's own rows), weighted equally, and the fit records its settings.
    rng = np.random.default_rng(6)
    target = rng.uniform(0, 100, 600)
    folds = np.repeat([0, 1, 2], 200)
    quality = {"best": 3, "good": 8, "fair": 20, "noise": None}
    members = {
        name: _write_member(
            tmp_path / f"{name}.parquet",
            rng.uniform(0, 100, 600) if sd is None else target + rng.normal(0, sd, 600),
            np.ones(3), target, folds,
        )
        for name, sd in quality.items()
    }  # fmt: skip
    _, _, fit = build_ensemble(members, SIRNA, EnsembleSettings(weights="equal", top=2))
    assert fit["weights"] == {"best": 0.5, "good": 0.5}
    assert all(set(g["weights"]) == {"best", "good"} for g in fit["cross_fitted"].values())
    assert fit["settings"] == {"weights": "equal", "top": 2}
    assert best_members(
        pd.DataFrame({"noise": target[::-1], "best": target}), target, SIRNA, 1
    ) == ["best"]


def test_a_cut_survives_the_weights_file(tmp_path):
    combination = Combination({"a": 0.5, "b": 0.5}, offset=-5.0, slope=1.2, cut=40.0,
                              threshold=30.0)  # fmt: skip
    path = tmp_path / "weights.json"
    write_combination({"members": ["a", "b"], **asdict(combination)}, path)
    assert read_combination(path) == combination
