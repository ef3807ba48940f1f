"""Validation folds and held-out test rows: the only place rows are assigned to either."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.schema import NEVER_VALIDATED

# Split methods that keep a group of rows in one fold: siRNA target genes, a `sequences`
# task's `input.group` column, or the chromosome of a BED interval.
GROUPED = ("gene", "group", "chromosome")
# A fold validated on one row gives no correlation, no AUROC and no spread: refused.
MIN_ROWS_PER_FOLD = 2


def holdout_test(
    n_rows: int,
    fraction: float,
    seed: int,
    method: str = "random",
    groups: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask of test rows, carved the way `method` makes folds: `random` exactly as
    `train_test_split(X, y, test_size, random_state)` picks them (the primer tutorial's
    split), `stratified` the same keeping each class's share, grouped methods whole groups (a
    `fraction` of them), so no group is both trained and tested on."""
    # Imported here, as in assign_folds: every training job imports this module for
    # `fold_rows`, and scikit-learn costs it ~2 s of start-up.
    from sklearn.model_selection import GroupShuffleSplit, train_test_split

    if fraction == 0:  # pure cross-validation: no test rows
        return np.zeros(n_rows, dtype=bool)
    _check_split_inputs(method, groups, labels)
    index = np.arange(n_rows)
    if method in GROUPED:
        n_groups = len(pd.unique(pd.Series(groups)))
        _check_test_share(fraction, n_groups, "groups" if method == "group" else f"{method} groups")
        splitter = GroupShuffleSplit(n_splits=1, test_size=fraction, random_state=seed)
        _, test_index = next(splitter.split(index, groups=groups))
    else:
        _check_test_share(fraction, n_rows, "rows")
        stratify = labels if method == "stratified" else None
        if stratify is not None:
            _check_test_classes(fraction, stratify)
        _, test_index = train_test_split(
            index, test_size=fraction, random_state=seed, stratify=stratify
        )
    mask = np.zeros(n_rows, dtype=bool)
    mask[test_index] = True
    return mask


def chromosome_test(chromosomes: np.ndarray, test_chromosomes: list[str | int]) -> np.ndarray:
    """Boolean mask of test rows: every row on a named test chromosome, as DeepSEA and Basset
    hold whole chromosomes out. Names are read as the data's in any style (`chr8`, `8` and
    `VIII` are one chromosome; `chromosomes.py`); one the data lacks, or a set leaving no
    training row, is an error naming `split.test_chromosomes`."""
    from dlgenomics.data.chromosomes import ChromosomeNames

    present = [str(name) for name in pd.unique(pd.Series(chromosomes).astype(str))]
    wanted = [str(name) for name in test_chromosomes]  # YAML reads [8, 9] as numbers
    reconciled = ChromosomeNames(present, "the task's rows").reconcile(wanted)
    for name in wanted:
        if name in reconciled.problems:
            raise InputError(f"split.test_chromosomes: {reconciled.problems[name]}")
    chosen = sorted(set(reconciled.mapping.values()))
    mask = np.isin(np.asarray(chromosomes).astype(str), chosen)
    if mask.all():
        raise InputError(
            f"split.test_chromosomes: {', '.join(chosen)} hold every row; leave a chromosome "
            "to train on"
        )
    return mask


def _check_test_share(fraction: float, n_units: int, units: str) -> None:
    """A test share must leave a row (or group) on each side; the rounding is sklearn's."""
    n_test = int(np.ceil(fraction * n_units))
    if n_test < 1 or n_units - n_test < 1:
        raise InputError(
            f"split.test_fraction: {fraction} of {n_units} {units} leaves {n_test} test and "
            f"{n_units - n_test} training {units}; both need at least one"
        )


def _check_test_classes(fraction: float, labels: np.ndarray) -> None:
    """A stratified test share needs each class on both sides: 2 rows of it at least, and
    room for every class among the test and the training rows."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64))
    present = counts[counts > 0]
    n_test = int(np.ceil(fraction * len(labels)))
    if present.min() < 2 or min(n_test, len(labels) - n_test) < len(present):
        raise InputError(
            f"split.test_fraction: {fraction} of {len(labels)} rows cannot keep each of "
            f"{len(present)} classes (the rarest has {present.min()} rows) in both the test "
            "and the training rows of a stratified split"
        )


def _check_split_inputs(method: str, groups: np.ndarray | None, labels: np.ndarray | None) -> None:
    """A grouped method needs groups, a stratified one class labels."""
    if method in GROUPED and groups is None:
        raise InputError(f"split.method {method!r} needs a group column in this task")
    if method == "stratified" and labels is None:
        raise InputError("split.method 'stratified' needs class labels (a classification task)")


def assign_folds(
    n_rows: int,
    method: str,
    folds: int,
    seed: int,
    valid_fraction: float = 0.1,
    groups: np.ndarray | None = None,
    labels: np.ndarray | None = None,
) -> np.ndarray:
    """Validation fold of each row (int16), NEVER_VALIDATED for rows only ever trained on.

    folds == 1 is a single hold-out of `valid_fraction`: for `random` that is the competition
    baseline's `train_test_split(test_size=0.1, random_state=42)` row for row.
    `gene` keeps all rows of a group in one fold, so no target gene is both trained and
    validated on. `stratified` balances the label classes across folds.
    """
    from sklearn.model_selection import (
        GroupKFold,
        GroupShuffleSplit,
        KFold,
        StratifiedKFold,
        train_test_split,
    )

    index = np.arange(n_rows)
    fold = np.full(n_rows, NEVER_VALIDATED, dtype=np.int16)
    _check_split_inputs(method, groups, labels)
    if folds == 1:
        if method in GROUPED:
            splitter = GroupShuffleSplit(n_splits=1, test_size=valid_fraction, random_state=seed)
            _, valid = next(splitter.split(index, groups=groups))
        else:
            stratify = labels if method == "stratified" else None
            _, valid = train_test_split(
                index, test_size=valid_fraction, random_state=seed, stratify=stratify
            )
        fold[valid] = 0
        return _checked(fold)
    if method in GROUPED:
        n_groups = len(np.unique(groups))
        if n_groups < folds:
            raise InputError(f"split: {folds} {method} folds asked for but only {n_groups} groups")
        splits = GroupKFold(n_splits=folds).split(index, groups=groups)
    elif method == "stratified":
        smallest = int(np.bincount(labels.astype(np.int64)).min())
        if smallest < folds:
            raise InputError(
                f"split: {folds} stratified folds but the rarest class has {smallest} rows"
            )
        splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(
            index, labels
        )
    else:
        if n_rows < folds:
            raise InputError(f"split: {folds} folds but only {n_rows} rows")
        splits = KFold(n_splits=folds, shuffle=True, random_state=seed).split(index)
    for k, (_, valid) in enumerate(splits):
        fold[valid] = k
    return _checked(fold)


def _checked(fold: np.ndarray) -> np.ndarray:
    """The folds, if each validates on at least MIN_ROWS_PER_FOLD rows."""
    sizes = np.bincount(fold[fold >= 0], minlength=int(fold.max()) + 1)
    if sizes.min() < MIN_ROWS_PER_FOLD:
        k = int(sizes.argmin())
        raise InputError(
            f"split: fold {k} would be validated on {sizes[k]} row(s) of {len(fold)}; use fewer "
            f"folds (each needs at least {MIN_ROWS_PER_FOLD} rows)"
        )
    return fold


def fold_rows(fold_of_row: np.ndarray, fold: int) -> tuple[np.ndarray, np.ndarray]:
    """(training rows, validation rows) of one fold; an empty side is an error."""
    valid_rows = np.flatnonzero(fold_of_row == fold)
    train_rows = np.flatnonzero(fold_of_row != fold)
    if len(valid_rows) == 0 or len(train_rows) == 0:
        raise InputError(
            f"fold {fold} leaves {len(train_rows)} training and {len(valid_rows)} validation rows"
        )
    return train_rows, valid_rows


# --- Groups of rows that share sequence, for tables without a group column -----------------

DEFAULT_SHARED_CONTEXT = 16  # nt of exact shared stretch that joins two rows (split.shared_context)


# A stretch in which fewer than half its trinucleotides are distinct is low-complexity (poly-A
# tails, short repeats): unrelated transcripts share those, so they join nothing.
MIN_DISTINCT_TRIMER_SHARE = 0.5


def _kmers(text: str, k: int) -> set[str]:
    """The text's k-mers of known bases only (no N, padding or stray letter) and not of low
    complexity: what two rows must share to be joined."""
    runs = re.split("[^ACGT]+", text.upper().replace("U", "T"))
    kmers = {run[i : i + k] for run in runs for i in range(len(run) - k + 1)}
    return {kmer for kmer in kmers if _complex(kmer)}


def _complex(kmer: str) -> bool:
    trimers = len(kmer) - 2
    return len({kmer[i : i + 3] for i in range(trimers)}) >= MIN_DISTINCT_TRIMER_SHARE * trimers


def shared_context_groups(texts: pd.Series, shared: int = DEFAULT_SHARED_CONTEXT) -> np.ndarray:
    """Group id of each row: rows whose texts share an exact stretch of `shared` nt, directly
    or through other rows, get one id (union-find over k-mers). Identical texts (one full
    transcript for many guides) are read once; a missing text is a group of its own."""
    which, distinct = pd.factorize(texts.fillna("").astype(str))
    parent = list(range(len(distinct)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]  # path halving keeps the trees flat
            i = parent[i]
        return i

    first_with: dict[str, int] = {}
    for i, text in enumerate(distinct):
        for kmer in _kmers(text, shared):
            j = first_with.setdefault(kmer, i)
            if j != i:
                parent[root(i)] = root(j)
    roots = np.array([root(i) for i in range(len(distinct))], dtype=np.int64)
    groups = roots[which]
    empty = np.flatnonzero(pd.Series(distinct).str.len().to_numpy()[which] == 0)
    groups[empty] = len(distinct) + empty  # no text: nothing to share
    return groups


def leak_share(texts: pd.Series, fold: np.ndarray, shared: int = DEFAULT_SHARED_CONTEXT) -> float:
    """Share of validated rows that share a `shared`-nt stretch with a row of another fold (or
    one never validated, always trained on): the leak a split lets in. NaN: none validated."""
    which, distinct = pd.factorize(texts.fillna("").astype(str))
    kmers = [_kmers(text, shared) for text in distinct]
    folds_of_text = [set() for _ in distinct]
    for t, k in zip(which, fold, strict=True):
        folds_of_text[t].add(int(k))
    folds_of_kmer: dict[str, set[int]] = {}
    for text_kmers, text_folds in zip(kmers, folds_of_text, strict=True):
        for kmer in text_kmers:
            folds_of_kmer.setdefault(kmer, set()).update(text_folds)
    # Folds any row of a text shares a stretch with; a row leaks if one of them is not its own.
    reach = [set().union(*(folds_of_kmer[k] for k in text_kmers)) for text_kmers in kmers]
    validated = np.flatnonzero(fold >= 0)
    if len(validated) == 0:
        return float("nan")
    leaking = sum(bool(reach[which[row]] - {int(fold[row])}) for row in validated)
    return leaking / len(validated)


def shares_with_training(
    train_texts: pd.Series, test_texts: pd.Series, shared: int = DEFAULT_SHARED_CONTEXT
) -> np.ndarray:
    """Whether each test row shares a `shared`-nt stretch with a training row (the leak of
    `leak_share`, for test rows against every training row): what a test figure may owe to
    memory. Test rows sharing one among themselves do not count."""
    trained: set[str] = set()
    for text in pd.unique(train_texts.fillna("").astype(str)):
        trained |= _kmers(text, shared)
    which, distinct = pd.factorize(test_texts.fillna("").astype(str))
    leaks = np.array([not _kmers(text, shared).isdisjoint(trained) for text in distinct], bool)
    return leaks[which] if len(which) else np.zeros(0, dtype=bool)
