"""The tabular model: its feature matrix, and that it learns like any other architecture."""

from __future__ import annotations

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import encode_outputs, encode_settings, write_sirna_files

from dlgenomics import InputError
from dlgenomics.data.encode import encode_task, standard_tables
from dlgenomics.data.schema import ROW_ID, read_tensors, read_vocab
from dlgenomics.metrics import sirna_metrics
from dlgenomics.models.gbm import feature_matrix, predict_tabular
from dlgenomics.sirna.features import featurize_task
from dlgenomics.tasks.kinds import scoring
from dlgenomics.training.tabular import train_tabular_fold

TASK = encode_settings("random", 2)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tabular")
    files = write_sirna_files(folder, train_rows=400, test_rows=40, seed=3, test_ids_from=1000)
    out = encode_outputs(folder / "encoded")
    encode_task("sirna_competition", files, TASK, out)
    _, frames = standard_tables("sirna_competition", files, TASK)
    features = {role: folder / f"features/{role}.parquet" for role in frames}
    featurize_task(frames, TASK, {r: out[r] for r in frames}, features, folder / "spec.json")
    return {
        "train": read_tensors(out["train"]),
        "test": read_tensors(out["test"]),
        "vocab": read_vocab(out["vocab"]),
        "features_train": read_tensors(features["train"], required=(ROW_ID,)),
        "features_test": read_tensors(features["test"], required=(ROW_ID,)),
    }


def test_feature_groups_make_the_matrix(tables):
    train, vocab, features = tables["train"], tables["vocab"], tables["features_train"]
    matrix, names, categorical = feature_matrix(train, features, ["bases"], vocab)
    # One categorical column per position of each strand (sense 21, antisense 23 nt).
    assert names[0] == "seq_sense_1" and len(names) == 21 + 23 and categorical.all()
    np.testing.assert_array_equal(matrix[:, 0], train["seq_sense"][:, 0])
    _, names, categorical = feature_matrix(
        train, features, ["modifications", "conditions", "design", "site", "context"], vocab
    )
    assert "nmod_antisense_1" in names and "mod_antisense_count_VP" in names
    assert "num_log10_concentration_nm" in names and "cat_cell_line" in names
    assert "feat_duplex_dg" in names and "feat_site_found" in names
    assert "seq_target_1" in names
    # Conditions' categories, per-position ids: categorical; counts and features: numeric.
    kinds = dict(zip(names, categorical, strict=True))
    assert kinds["cat_cell_line"] and kinds["seq_target_1"] and not kinds["feat_duplex_dg"]
    assert not kinds["mod_antisense_count_VP"]
    # Without `context` (the default config's gbm) no per-position target base is read.
    _, names, _ = feature_matrix(train, features, ["bases", "design", "site"], vocab)
    assert not any(name.startswith("seq_target") for name in names)
    assert "feat_site_found" in names
    with pytest.raises(InputError, match="give no feature"):
        feature_matrix(train, None, ["design"], vocab)


def _fit(tables, folder, params=None, settings=None):
    return train_tabular_fold(
        scoring=scoring({"kind": "sirna_competition"}), arch="gbm",
        model_params=params or {"max_iter": 200, "n_iter_no_change": 30},
        settings=settings or {},
        train_columns=tables["train"], test_columns=tables["test"],
        train_features=tables["features_train"], test_features=tables["features_test"],
        vocab=tables["vocab"], fold=0,
        out_model=folder / "model.joblib", out_history=folder / "history.csv",
        out_predictions=folder / "predictions.parquet",
    )  # fmt: skip


@pytest.mark.parametrize("max_features", [1.0, 0.5])
def test_gradient_boosting_beats_the_mean_and_saves_what_it_evaluated(
    tables, tmp_path, max_features
):
    # With max_features < 1 each split draws its features: the refit must draw the same.
    result = _fit(tables, tmp_path, {"max_iter": 200, "n_iter_no_change": 30,
                                     "max_features": max_features})  # fmt: skip
    train = tables["train"]
    valid = train["fold"] == 0
    mean = np.full(valid.sum(), train["target"][~valid].mean())
    assert result["mae"] < sirna_metrics(train["target"][valid], mean)["mae"]
    history = pd.read_csv(tmp_path / "history.csv")
    assert {"epoch", "train_loss", "valid_score"} <= set(history.columns)
    assert result["best_epoch"] in set(history["epoch"])
    # The saved model, refitted with the kept rounds, gives the predictions that were scored.
    saved = joblib.load(tmp_path / "model.joblib")
    assert saved["rounds"] == result["best_epoch"]
    matrix, names, _ = feature_matrix(
        train, tables["features_train"], saved["params"]["features"], tables["vocab"]
    )
    assert names == saved["feature_names"]
    predictions = pd.read_parquet(tmp_path / "predictions.parquet")
    valid_predictions = predictions[predictions["role"] == "valid"]["prediction"].to_numpy()
    np.testing.assert_allclose(
        predict_tabular(saved["model"], matrix[valid], "regression"), valid_predictions
    )
    assert saved["model"].max_features == max_features
    # ...and they score what the probe's round scored when it was kept.
    kept = history.loc[history["epoch"] == result["best_epoch"], "valid_score"].item()
    assert sirna_metrics(train["target"][valid], valid_predictions)["score"] == pytest.approx(kept)
    assert (predictions["role"] == "test").sum() == 40


def test_threshold_weighted_loss_is_accepted_and_huber_is_not(tables, tmp_path):
    result = _fit(
        tables, tmp_path, settings={"loss": "threshold_weighted", "target_clip": [0, 100]}
    )
    assert np.isfinite(result["score"])
    with pytest.raises(InputError, match="no 'huber' loss"):
        _fit(tables, tmp_path, settings={"loss": "huber"})


# --- k-mer counts (issue 30): the baseline of genome-track tasks -------------------------------


def _naive_counts(text: str, k: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for start in range(len(text) - k + 1):
        kmer = text[start : start + k]
        if set(kmer) <= set("ACGT"):
            counts[kmer] = counts.get(kmer, 0) + 1
    return counts


def _reverse_complement(text: str) -> str:
    return text.translate(str.maketrans("ACGT", "TGCA"))[::-1]


@pytest.mark.parametrize("k", [1, 3, 4])
def test_kmer_counts_match_counting_by_hand_on_one_and_both_strands(k):
    from dlgenomics.data.nucleotides import kmer_counts
    from dlgenomics.data.tokens import encode_nucleotides

    rng = np.random.default_rng(k)
    texts = ["".join(rng.choice(list("ACGTN"), 30, p=[0.24, 0.24, 0.24, 0.24, 0.04]))
             for _ in range(7)] + ["ACG", "GATTACA"]  # fmt: skip
    ids = encode_nucleotides(pd.Series(texts), 30, "test")  # right-padded, N unknown
    counts, names = kmer_counts(ids, k, strands=False)
    assert counts.shape == (len(texts), 4**k) and names[1] == "A" * (k - 1) + "C"
    for row, text in enumerate(texts):
        expected = _naive_counts(text, k)
        assert {n: int(c) for n, c in zip(names, counts[row], strict=True) if c} == expected
    both, pairs = kmer_counts(ids, k, strands=True)
    assert len(pairs) == (4**k + 4 ** (k // 2) * (k % 2 == 0)) // 2  # each pair once
    for row, text in enumerate(texts):
        forward, reverse = _naive_counts(text, k), _naive_counts(_reverse_complement(text), k)
        for name, count in zip(pairs, both[row], strict=True):
            assert count == forward.get(name, 0) + reverse.get(name, 0), (text, name)


def test_kmer_count_features_are_opt_in_and_read_every_nucleotide_column(tables):
    from dlgenomics.models.architectures import make_config
    from dlgenomics.models.gbm import GBMConfig

    train, vocab = tables["train"], tables["vocab"]
    assert "kmer_counts" not in GBMConfig().features  # the default gbm reads what it read
    matrix, names, categorical = feature_matrix(train, None, ["kmer_counts"], vocab, 2)
    nucleotide = [c for c, spec in vocab["columns"].items() if spec.get("vocab") == "nucleotide"]
    assert nucleotide and {name.rsplit("_", 1)[0] for name in names} == set(nucleotide)
    strands = 10 if vocab.get("reverse_complement") else 16  # 2-mers, pairs on both strands
    assert len(names) == strands * len(nucleotide) and not categorical.any()
    first = names[0].rsplit("_", 1)[0]
    assert (matrix[:, :strands].sum(axis=1) <= train[first].shape[1]).all()
    with pytest.raises(InputError, match="kmer_size 9 is not between 1 and 6"):
        make_config("gbm", {"kmer_size": 9}, "architectures.gbm_kmers")
