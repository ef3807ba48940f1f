"""How sure are we: bootstrap confidence intervals of the selection metric, and whether each
leaderboard row is distinguishable from the best one.

Rows are resampled by group, the way the folds were grouped (a gene's siRNAs, a transcript's
tiles, or single rows for a random split), because rows of one group are not independent: a
row-level bootstrap would give intervals too narrow exactly where the split had to be honest.
Every architecture is scored on the same resamples, so the comparison with the best is paired:
the spread of the difference, not of each metric, decides whether two rows are tied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from dlgenomics.metrics import SummedMetric

BOOTSTRAP_SAMPLES = 1000
CONFIDENCE = 0.95
SEED = 0  # the resamples are part of the result: the same run gives the same intervals
# Resamples are weighed this many bytes of group counts (one byte a count) at a time: the
# more resamples a chunk holds, the fewer passes over every group's sums.
CHUNK_BYTES = 64 * 2**20
# Groups per matrix product: their counts converted to float (16 MB for 64 resamples) and
# few enough calls that the library's overhead per call stays small (measured at 1M groups).
GROUP_BLOCK = 32768
# Above this many rows, AUROC and Spearman are resampled by their first-order form
# (metrics.summed_selection): its error, ~1/rows, is then far below the interval's digits.
FIRST_ORDER_ROWS = 10_000
# (target, predicted, first_order=...) -> the metric as weighted sums, or None
SummedForm = Callable[..., SummedMetric | None]


@dataclass(frozen=True)
class Comparison:
    """One row's interval and its paired comparison with the best row."""

    low: float  # CONFIDENCE interval of the metric
    high: float
    difference_low: float  # interval of (this row - best row), per resample
    difference_high: float
    verdict: str  # "best", "tied" (the difference interval holds 0) or "worse"


def group_counts(
    n_groups: int, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
) -> Iterator[np.ndarray]:
    """How often each group is drawn in each resample (n_groups whole groups drawn with
    replacement), as (resamples, n_groups) uint8 arrays of at most CHUNK_BYTES, one buffer
    refilled: a resample is a count per group, never a list of row indices (8 GB for 1,000
    resamples of 1M rows)."""
    rng = np.random.default_rng(seed)
    per_chunk = max(1, min(samples, CHUNK_BYTES // max(n_groups, 1)))
    buffer = np.empty((per_chunk, n_groups), np.uint8)  # refilled: use it before the next
    for start in range(0, samples, per_chunk):
        chunk = buffer[: min(per_chunk, samples - start)]
        for counts in chunk:  # draw by draw, as the resamples always were: the same intervals
            drawn = np.bincount(rng.integers(0, n_groups, n_groups), minlength=n_groups)
            if n_groups > 255 and drawn.max() > 255:  # about 1e-500 a group: never, but said
                raise OverflowError("a group was drawn more than 255 times in one resample")
            counts[:] = drawn
        yield chunk


def _weighted_sums(counts: np.ndarray, group_sums: np.ndarray) -> np.ndarray:
    """counts @ group_sums, in float64, a block of groups at a time (the counts are bytes:
    converting them whole would cost 8 bytes a count)."""
    totals = np.zeros((len(counts), group_sums.shape[1]))
    for start in range(0, counts.shape[1], GROUP_BLOCK):
        block = slice(start, start + GROUP_BLOCK)
        totals += counts[:, block].astype(np.float64) @ group_sums[block]
    return totals


def _summed_forms(
    summed: SummedForm | None,
    target: np.ndarray,
    predictions: dict[str, np.ndarray],
    group_of_row: np.ndarray,
    first_order: bool,
) -> tuple[np.ndarray, dict[str, tuple[Callable, np.ndarray]]]:
    """(n_groups, m) sums of every model's terms over each group's rows, each distinct column
    once (the target's terms are every model's), and per model with a summed form its
    `finish` and its columns there."""
    n_groups = int(group_of_row.max()) + 1 if len(group_of_row) else 0
    columns: dict[bytes, int] = {}
    sums: list[np.ndarray] = []
    finishes = {}
    for name, predicted in predictions.items():
        form = summed(target, predicted, first_order=first_order) if summed else None
        if form is None:
            continue
        where = []
        for column in form.terms.T:
            group_sums = np.bincount(group_of_row, column, n_groups)
            key = hashlib.sha1(group_sums.tobytes()).digest()
            known = columns.get(key)
            if known is None or not np.array_equal(sums[known], group_sums):
                known = columns[key] = len(sums)
                sums.append(group_sums)
            where.append(known)
        finishes[name] = (form.finish, np.array(where))
    return np.column_stack(sums) if sums else np.empty((n_groups, 0)), finishes


def resampled_values(
    metric: Callable[[np.ndarray, np.ndarray], float],
    target: np.ndarray,
    predictions: dict[str, np.ndarray],
    groups: np.ndarray,
    samples: int = BOOTSTRAP_SAMPLES,
    summed: SummedForm | None = None,
    first_order_rows: int = FIRST_ORDER_ROWS,
) -> dict[str, np.ndarray]:
    """Per name, the metric on each group resample (the same resamples for every name).
    `summed(target, predicted, first_order=...)` gives the metric as weighted sums of per-row
    terms where it can (metrics.summed_selection; first-order forms of rank metrics above
    `first_order_rows` rows): one matrix product per chunk of resamples. Other metrics are
    called on each resample's rows, built one resample at a time."""
    ids, group_of_row = np.unique(groups, return_inverse=True)
    first_order = len(target) > first_order_rows
    group_sums, finishes = _summed_forms(summed, target, predictions, group_of_row, first_order)
    called = [name for name in predictions if name not in finishes]
    values: dict[str, list[np.ndarray]] = {name: [] for name in predictions}
    for counts in group_counts(len(ids), samples):
        totals = _weighted_sums(counts, group_sums)
        for name, (finish, where) in finishes.items():
            values[name].append(finish(totals[:, where]))
        for weights in counts if called else ():
            rows = np.repeat(np.arange(len(target)), weights.astype(np.int64)[group_of_row])
            for name in called:
                values[name].append(np.array([metric(target[rows], predictions[name][rows])]))
    return {name: np.concatenate(parts) for name, parts in values.items()}


def compare_to_best(
    metric: Callable[[np.ndarray, np.ndarray], float],
    target: np.ndarray,
    predictions: dict[str, np.ndarray],
    best: str,
    groups: np.ndarray,
    higher_is_better: bool,
    samples: int = BOOTSTRAP_SAMPLES,
    summed: SummedForm | None = None,
    first_order_rows: int = FIRST_ORDER_ROWS,
) -> dict[str, Comparison]:
    """Per name: the metric's interval over group resamples and, paired on the same resamples,
    the interval of its difference from `best`'s; a row whose difference interval holds 0
    cannot be told apart from the best ("tied"). `summed`, `first_order_rows`: the fast
    forms of the metric (`resampled_values`)."""
    values = resampled_values(
        metric, target, predictions, groups, samples, summed, first_order_rows
    )
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
