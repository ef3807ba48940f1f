import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from dlgenomics import InputError
from dlgenomics.data.schema import NEVER_VALIDATED
from dlgenomics.data.splits import assign_folds, holdout_test


def test_random_holdout_is_the_baselines_split():
    n = 1000
    fold = assign_folds(n, "random", folds=1, seed=42, valid_fraction=0.1)
    _, baseline_valid = train_test_split(np.arange(n), test_size=0.1, random_state=42)
    assert set(np.flatnonzero(fold == 0)) == set(baseline_valid)
    assert (fold[fold != 0] == NEVER_VALIDATED).all()


def test_gene_folds_never_split_a_gene():
    rng = np.random.default_rng(0)
    genes = rng.choice([f"G{i}" for i in range(12)], size=500)
    fold = assign_folds(500, "gene", folds=4, seed=42, groups=genes)
    assert set(fold) == {0, 1, 2, 3}
    for gene in np.unique(genes):
        assert len(set(fold[genes == gene])) == 1


def test_kfold_covers_every_row_once_and_is_deterministic():
    a = assign_folds(103, "random", folds=5, seed=7)
    assert sorted(np.bincount(a)) == [20, 20, 21, 21, 21]
    np.testing.assert_array_equal(a, assign_folds(103, "random", folds=5, seed=7))
    assert not np.array_equal(a, assign_folds(103, "random", folds=5, seed=8))


def test_stratified_folds_balance_classes():
    labels = np.array([0] * 80 + [1] * 20)
    fold = assign_folds(100, "stratified", folds=4, seed=1, labels=labels)
    for k in range(4):
        assert labels[fold == k].sum() == 5


def test_holdout_matches_tutorial_train_test_split():
    x = np.random.default_rng(0).normal(size=(2000, 3))
    _, x_test = train_test_split(x, test_size=0.25, random_state=42)
    mask = holdout_test(2000, 0.25, 42)
    assert mask.sum() == 500
    assert {tuple(r) for r in x[mask]} == {tuple(r) for r in x_test}


def test_impossible_splits_say_why():
    with pytest.raises(InputError, match="3 gene folds asked for but only 2 groups"):
        assign_folds(10, "gene", folds=3, seed=0, groups=np.array(["a", "b"] * 5))
    with pytest.raises(InputError, match="rarest class has 2 rows"):
        assign_folds(10, "stratified", folds=3, seed=0, labels=np.array([0] * 8 + [1] * 2))
    with pytest.raises(InputError, match="needs a group"):
        assign_folds(10, "gene", folds=2, seed=0)


def test_many_folds_do_not_overflow_the_fold_ids():
    """Fold ids were int8: 128 folds or more crashed encoding."""
    fold = assign_folds(600, "random", 300, seed=0)
    assert fold.min() == 0 and fold.max() == 299 and np.bincount(fold).min() == 2
