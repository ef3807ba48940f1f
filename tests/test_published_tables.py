"""siRNA tables as published: padding letters, fixed test files, no gene column (folds grouped
by shared target context, with the leak of random folds reported), inclusive `effective_at`,
predictions in the table's own scale, and the errors a user can act on (issue 18)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import PUBLISHED_SIRNA_COLUMNS, REPO, encode_outputs

from dlgenomics import InputError
from dlgenomics.config import validate_config
from dlgenomics.data.encode import encode_task
from dlgenomics.data.schema import FOLD, ROW_ID, read_tensors
from dlgenomics.data.splits import assign_folds, leak_share, shared_context_groups
from dlgenomics.data.tokens import decode_nucleotides
from dlgenomics.evaluation.evaluate import leaderboard, prediction_metrics
from dlgenomics.metrics import sirna_table_metrics
from dlgenomics.tasks.kinds import scoring
from dlgenomics.tasks.sirna_tables import from_remaining_percent, to_remaining_percent

DATA = REPO / "tests" / "data"
TRAIN, TEST_A, TEST_B = (f"published_sirna_{role}.csv" for role in ("train", "test_a", "test_b"))
MAPPING: dict[str, Any] = {"file": TRAIN, "test_files": [TEST_A, TEST_B], **PUBLISHED_SIRNA_COLUMNS}


def task_config(**table: Any) -> dict[str, Any]:
    files = {
        name: {"sha256": "0" * 64, "sources": [str(DATA / name)]}
        for name in (TRAIN, TEST_A, TEST_B)
    }
    config = {
        "datasets": {"published": {"files": files}},
        "tasks": {
            "published": {
                "kind": "sirna_table",
                "dataset": "published",
                "table": {**MAPPING, **table},
                "split": {"method": "gene", "folds": 2},
                "architectures": ["mlp"],
            }
        },
    }
    return validate_config(config, "published.yaml")["tasks"]["published"]


def encode(tmp_path: Path, folder: Path = DATA, **table: Any) -> tuple[dict, Path]:
    out = encode_outputs(tmp_path / "enc")
    files = {name: folder / name for name in (TRAIN, TEST_A, TEST_B)}
    summary = encode_task("sirna_table", files, task_config(**table), out, "published")
    return summary, out


def edited_copy(tmp_path: Path, name: str, column: str, row: int, value: str) -> Path:
    """The three files in `tmp_path`, one cell of `name` changed."""
    for each in (TRAIN, TEST_A, TEST_B):
        table = pd.read_csv(DATA / each)
        if each == name:
            table.loc[row, column] = value
        table.to_csv(tmp_path / each, index=False)
    return tmp_path


def test_published_tables_encode_with_grouped_folds_and_test_sets(tmp_path):
    summary, out = encode(tmp_path)
    train, test = read_tensors(out["train"]), read_tensors(out["test"])
    raw = pd.read_csv(DATA / TRAIN)
    assert summary["rows"] == {"train": len(raw), "test": 166}  # every training row is trained on
    # A 19-nt guide written as 21 with XX: the padding is stripped, the guide read as 19 nt.
    padded = raw[raw["antisense"].str.endswith("XX")]
    assert len(padded) > 0
    row = list(train[ROW_ID]).index(padded["siRNA"].iloc[0])
    assert (
        decode_nucleotides(train["seq_antisense"][row : row + 1])[0]
        == padded["antisense"].iloc[0][:19]
    )
    # Test rows keep their file: ids prefixed with its name, one test set per file.
    assert set(summary["test_sets"]) == {"published_sirna_test_a", "published_sirna_test_b"}
    assert summary["test_sets"]["published_sirna_test_a"][0] == "published_sirna_test_a:T4_1"
    assert sorted(test[ROW_ID]) == sorted(i for ids in summary["test_sets"].values() for i in ids)
    # No gene column: each tiled transcript is one group, so no transcript straddles folds.
    transcript = pd.Series(train[ROW_ID]).str.split("_").str[0]
    assert pd.Series(train[FOLD]).groupby(transcript).nunique().max() == 1
    assert summary["leak"]["these_folds"] == 0.0
    assert summary["leak"]["random_folds"] > 0.9  # neighbouring tiles share 54 of 61 nt


def test_padding_letters_are_configurable(tmp_path):
    # With X no longer padding, the first XX-padded guide is refused, by its own id...
    with pytest.raises(
        InputError,
        match=r"sirna_train.csv: column antisense: id T1_22: character .X. at position 20",
    ):
        encode(tmp_path, padding=["-"])
    # ...and with guides of known bases only, the X of the target windows.
    table = pd.read_csv(DATA / TRAIN)
    table["antisense"] = table["antisense"].str.replace("XX", "UU")
    for name in (TEST_A, TEST_B):
        pd.read_csv(DATA / name).to_csv(tmp_path / name, index=False)
    table.to_csv(tmp_path / TRAIN, index=False)
    with pytest.raises(
        InputError,
        match=r"sirna_train.csv: column target_context, id T1_1: character .X. at position 1",
    ):
        encode(tmp_path / "x", tmp_path, padding=["-"])


def test_a_non_letter_in_the_target_names_file_column_and_id(tmp_path):
    folder = edited_copy(tmp_path, TEST_B, "target_context", 5, "ACGT" * 10 + "Z" + "ACGT" * 5)
    with pytest.raises(
        InputError,
        match=(
            r"published_sirna_test_b.csv: column target_context, id pu"
            r"blished_sirna_test_b:T5_36: character 'Z' at position 41"
        ),
    ):
        encode(tmp_path / "x", folder)


def test_a_guide_shorter_than_the_core_names_file_column_and_id(tmp_path):
    folder = edited_copy(tmp_path, TRAIN, "antisense", 2, "ACGUACGUACXXXX")
    with pytest.raises(
        InputError,
        match=(
            r"published_sirna_train.csv: column antisense, id "
            r"T1_15: 10 nt, shorter than the 19-nt duplex core"
        ),
    ):
        encode(tmp_path / "x", folder)


def test_swapped_strands_stop_with_the_hint(tmp_path):
    with pytest.raises(
        InputError,
        match=(
            r"published_sirna_train.csv: 249 of 249 guides \("
            r"column sense\) find no site .* strands swapped"
        ),
    ):
        encode(tmp_path, guide="sense", passenger="antisense")


def test_shared_context_groups_known_answer():
    a = "ACGTTGCAAGGCTTAACCGGTAGC"
    b = a[6:] + "CAGTCCATGAAG"  # shares 18 nt with a
    c = "GGTCCAATGCTAGCATTGACCAGA"  # shares nothing
    d = b[-9:] + "TGTGAACCTAGG"  # shares 9 nt with b only
    groups = shared_context_groups(pd.Series([a, b, c, a, d, None]), shared=16)
    assert groups[0] == groups[1] == groups[3]  # a-b directly, the second a identically
    assert len({groups[0], groups[2], groups[4], groups[5]}) == 4
    loose = shared_context_groups(pd.Series([a, b, d]), shared=8)
    assert loose[0] == loose[1] == loose[2]  # d joins b at 8 nt, and through b joins a
    # Poly-T tails and dinucleotide repeats are shared by unrelated mRNAs: they join nothing.
    tails = shared_context_groups(pd.Series([a + "T" * 20, c + "T" * 20, c[:5] + "AC" * 10]))
    assert len(set(tails)) == 3


def test_leak_share_counts_validated_rows_sharing_a_stretch():
    shared = "GATTCCAGTACGGTAACT"
    texts = pd.Series(["AAAAC" + shared, shared + "TTTGT", "GGTCCAATGCTAGCATTGACCAGA"])
    assert leak_share(texts, np.array([0, 1, 1]), 16) == pytest.approx(2 / 3)
    assert leak_share(texts, np.array([0, 0, 1]), 16) == 0.0
    assert leak_share(texts, np.array([-1, 0, 1]), 16) == pytest.approx(1 / 2)  # trained-only row


def test_effective_at_is_inclusive_for_a_users_threshold():
    # % remaining; the prediction ranks rows 0, 2, 1, 3 from most to least effective.
    truth, prediction = np.array([20.0, 30.0, 60.0, 80.0]), np.array([10.0, 70.0, 50.0, 90.0])
    # Strict (< 30): row 0 alone is effective and ranked first.
    assert sirna_table_metrics(truth, prediction, 30.0, inclusive=False)["auroc"] == 1.0
    # Inclusive (<= 30): row 1, exactly at the threshold, is effective too, ranked below row 2.
    assert sirna_table_metrics(truth, prediction, 30.0, inclusive=True)["auroc"] == 0.75


def test_predictions_in_the_tables_own_scale_round_trip():
    for scale, value in (
        ("efficacy_fraction", 0.73),
        ("efficacy_percent", 73.0),
        ("remaining_percent", 27.0),
    ):
        assert from_remaining_percent(to_remaining_percent(value, scale), scale) == pytest.approx(
            value
        )


def test_each_test_set_is_scored_in_its_own_columns(tmp_path):
    task_scoring = scoring(task_config())
    oof = pd.DataFrame(
        {
            "row_id": ["1", "2", "3", "4"],
            "fold": [0, 0, 1, 1],
            "target": [10.0, 50.0, 20.0, 90.0],
            "prediction": [12.0, 40.0, 25.0, 70.0],
        }
    )
    test = pd.DataFrame(
        {
            "row_id": ["a:1", "a:2", "a:3", "b:1", "b:2", "b:3"],
            "target": [10.0, 50.0, 90.0, 10.0, 50.0, 90.0],
            "prediction": [5.0, 50.0, 95.0, 95.0, 50.0, 5.0],
        }
    )
    sets = {"a": ["a:1", "a:2", "a:3"], "b": ["b:1", "b:2", "b:3"]}
    result = prediction_metrics(task_scoring, oof, test, sets)
    assert result["test_sets"]["a"]["spearman"] == pytest.approx(1.0)
    assert result["test_sets"]["b"]["spearman"] == pytest.approx(-1.0)
    path = tmp_path / "metrics.json"
    path.write_text(pd.Series(result).to_json())
    board = leaderboard(task_scoring, {"mlp": path})
    assert board.loc[0, "test[a]_spearman"] == pytest.approx(1.0)
    assert board.loc[0, "test[b]_spearman"] == pytest.approx(-1.0)
    assert "test_spearman" in board.columns  # the pooled test rows too


def test_generator_rewrites_the_same_tables(tmp_path):
    spec = importlib.util.spec_from_file_location("make", DATA / "make_published_sirna_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in (TRAIN, TEST_A, TEST_B):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes()


def test_random_folds_of_the_competition_leak_and_gene_folds_less(mirror):
    table = pd.read_csv(mirror / "sirna_competition" / "train_data.csv.gz")
    sites = table["siRNA_antisense_seq"]
    random = assign_folds(len(table), "random", 5, 42)
    genes = assign_folds(
        len(table), "gene", 5, 42, groups=table["gene_target_symbol_name"].fillna("?").to_numpy()
    )
    assert leak_share(sites, random) > 0.9
    assert leak_share(sites, genes) < 0.2
