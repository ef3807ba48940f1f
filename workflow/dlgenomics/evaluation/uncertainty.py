"""How sure are we: bootstrap confidence intervals of the selection metric, and whether each
leaderboard row is distinguishable from the best one.

Rows are resampled by group, the way the folds were grouped (a gene's siRNAs, a transcript's
tiles, or single rows for a random split), because rows of one group are not independent: a
row-level bootstrap would give intervals too narrow exactly where the split had to be honest.
Every architecture is scored on the same resamples, so the comparison with the best is paired:
the spread of the difference, not of each metric, decides whether two rows are tied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

BOOTSTRAP_SAMPLES = 1000
CONFIDENCE = 0.95
SEED = 0  # the resamples are part of the result: the same run gives the same intervals


@dataclass(frozen=True)
class Comparison:
    """One row's interval and its paired comparison with the best row."""

    low: float  # CONFIDENCE interval of the metric
    high: float
    difference_low: float  # interval of (this row - best row), per resample
    difference_high: float
    verdict: str  # "best", "tied" (the difference interval holds 0) or "worse"


def group_resamples(
    groups: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
) -> list[np.ndarray]:
    """Row indices of each bootstrap resample: whole groups drawn with replacement."""
    ids, group_of_row = np.unique(groups, return_inverse=True)
    rows_of_group = np.split(np.argsort(group_of_row, kind="stable"),
                             np.cumsum(np.bincount(group_of_row))[:-1])  # fmt: skip
    rng = np.random.default_rng(seed)
    return [
        np.concatenate([rows_of_group[g] for g in rng.integers(0, len(ids), len(ids))])
        for _ in range(samples)
    ]


def compare_to_best(
    metric: Callable[[np.ndarray, np.ndarray], float],
    target: np.ndarray,
    predictions: dict[str, np.ndarray],
    best: str,
    groups: np.ndarray,
    higher_is_better: bool,
    samples: int = BOOTSTRAP_SAMPLES,
) -> dict[str, Comparison]:
    """Per name: the metric's interval over group resamples and, paired on the same resamples,
    the interval of its difference from `best`'s; a row whose difference interval holds 0
    cannot be told apart from the best ("tied")."""
    resamples = group_resamples(groups, samples)
    values = {
        name: np.array([metric(target[rows], predicted[rows]) for rows in resamples])
        for name, predicted in predictions.items()
    }
    tail = (1 - CONFIDENCE) / 2 * 100
    out = {}
    for name, spread in values.items():
        low, high = np.nanpercentile(spread, [tail, 100 - tail])
        gap_low, gap_high = np.nanpercentile(spread - values[best], [tail, 100 - tail])
        if name == best:
            verdict = "best"
        elif gap_low <= 0 <= gap_high:
            verdict = "tied"
        else:
            worse = gap_high < 0 if higher_is_better else gap_low > 0
            verdict = "worse" if worse else "better"  # better: a resampling artefact, shown
        out[name] = Comparison(float(low), float(high), float(gap_low), float(gap_high), verdict)
    return out
