"""Losses and row weights: what each one weighs, by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dlgenomics.tasks.losses import THRESHOLD_EXTRA_WEIGHT, clip_target, row_weights
from dlgenomics.tasks.objectives import OBJECTIVES


def regression_loss(name, output, target, weight):
    """The regression objective's loss on a batch of one output per row."""
    return OBJECTIVES["regression"].loss(output[:, None], target, weight, name)


def test_threshold_weights_lean_on_effective_rows():
    target = np.array([0.0, 30.0, 100.0])
    weights = row_weights("threshold_weighted", target, threshold=30.0)
    # Before normalising: 1 + 2·sigmoid((30 - y)/5) = ~3 at 0%, exactly 2 at 30%, ~1 at 100%.
    raw = 1 + THRESHOLD_EXTRA_WEIGHT / (1 + np.exp((target - 30.0) / 5.0))
    assert raw[1] == pytest.approx(2.0)
    assert raw[0] == pytest.approx(3.0, abs=0.01) and raw[2] == pytest.approx(1.0, abs=0.01)
    np.testing.assert_allclose(weights, raw / raw.mean(), rtol=1e-6)
    assert weights.mean() == pytest.approx(1.0)
    assert weights[0] > weights[1] > weights[2]


def test_plain_losses_weigh_every_row_alike_and_need_no_threshold():
    assert row_weights("mse", np.array([1.0, 2.0]), None) is None
    assert row_weights("huber", np.array([1.0, 2.0]), None) is None
    with pytest.raises(ValueError, match="threshold"):
        row_weights("threshold_weighted", np.array([1.0]), None)


def test_clip_target_bounds_and_keeps_nan():
    clipped = clip_target(np.array([-5.0, 50.0, 140.0, np.nan]), [0.0, 100.0])
    np.testing.assert_array_equal(clipped[:3], [0.0, 50.0, 100.0])
    assert np.isnan(clipped[3])
    original = np.array([-5.0, 140.0])
    assert clip_target(original, None) is original


def test_regression_losses():
    output = torch.tensor([0.0, 0.0, 0.0])
    target = torch.tensor([0.5, -2.0, 3.0])
    assert regression_loss("mse", output, target, None) == pytest.approx((0.25 + 4 + 9) / 3)
    # Huber, delta 1: quadratic within 1 SD, linear beyond: 0.125, 1.5, 2.5.
    assert regression_loss("huber", output, target, None) == pytest.approx((0.125 + 1.5 + 2.5) / 3)
    weight = torch.tensor([2.0, 0.5, 0.5])
    weighted = regression_loss("threshold_weighted", output, target, weight)
    assert weighted == pytest.approx((2 * 0.25 + 0.5 * 4 + 0.5 * 9) / 3)
    # Unweighted MSE is torch's own (same numbers as before losses were configurable).
    assert torch.equal(regression_loss("mse", output, target, None), F.mse_loss(output, target))
