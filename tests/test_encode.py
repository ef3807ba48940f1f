import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import REPO, encode_outputs, encode_settings

from dlgenomics import InputError
from dlgenomics.config import load_config
from dlgenomics.data.download import fetch_file
from dlgenomics.data.encode import MISSING_CATEGORY, encode_frame, encode_task, standard_tables
from dlgenomics.data.schema import FOLD, ROW_ID, TARGET, InputLayout, read_tensors, read_vocab
from dlgenomics.data.tokens import decode_nucleotides

TASK = encode_settings(method="gene", folds=3)


def digests(paths: dict[str, Path]) -> dict[str, str]:
    return {k: hashlib.sha256(p.read_bytes()).hexdigest() for k, p in paths.items()}


def test_encoded_schema_and_values(sirna_files, tmp_path):
    out = encode_outputs(tmp_path / "enc")
    summary = encode_task("sirna_competition", sirna_files, TASK, out)
    assert summary["rows"] == {"train": 120, "test": 30}
    train, test = read_tensors(out["train"]), read_tensors(out["test"])
    vocab = read_vocab(out["vocab"])
    raw = pd.read_csv(sirna_files["train_data.csv"])
    assert list(train[ROW_ID]) == [str(i) for i in raw["id"]]
    assert decode_nucleotides(train["seq_antisense"]) == list(raw["siRNA_antisense_seq"])
    assert train["seq_sense"].shape == (120, 21) and train["seq_sense"].dtype == np.uint8
    assert train["kmer_antisense"].shape == (120, 7)
    # Modification ids follow the *_list tokens one for one, caps included.
    mods = vocab["tokens"]["modification"]
    first = [mods[i] for i in train["mod_antisense"][0] if i != 0]
    assert first == raw["modified_siRNA_antisense_seq_list"][0].split()
    # nmod_ holds each nucleotide's own modification, aligned with seq_ (the VP cap left out).
    aligned = [mods[i] for i in train["nmod_antisense"][0] if i != 0]
    assert aligned == first[1:] and len(aligned) == len(raw["siRNA_antisense_seq"][0])
    assert [a.upper() for a in aligned] == list(raw["siRNA_antisense_seq"][0])
    sense = [mods[i] for i in train["nmod_sense"][0] if i != 0]
    assert sense == raw["modified_siRNA_sense_seq_list"][0].split()[:-1]  # L96 conjugate left out
    assert np.allclose(train["num_log10_concentration_nm"], np.log10(raw["siRNA_concentration"]))
    np.testing.assert_allclose(train[TARGET], raw["mRNA_remaining_pct"], rtol=1e-6)
    assert np.isnan(test[TARGET]).all() and (test[FOLD] == -1).all()
    assert set(np.unique(train[FOLD])) == {0, 1, 2}
    layout = InputLayout.from_vocab(vocab)
    assert layout.token_lengths["seq_antisense"] == 23
    assert layout.categorical == {"cat_cell_line": 3, "cat_transfection_method": 2}


def test_vocab_comes_from_training_rows_only(sirna_files, tmp_path):
    test = pd.read_csv(sirna_files["sample_submission.csv"])
    test.loc[0, "cell_line_donor"] = "Only In Test Cells"
    test.to_csv(sirna_files["sample_submission.csv"], index=False)
    out = encode_outputs(tmp_path / "enc")
    summary = encode_task("sirna_competition", sirna_files, TASK, out)
    vocab = read_vocab(out["vocab"])
    assert "Only In Test Cells" not in vocab["categories"]["cat_cell_line"]
    assert vocab["categories"]["cat_cell_line"][0] == MISSING_CATEGORY
    assert read_tensors(out["test"])["cat_cell_line"][0] == 0
    assert summary["unknown"]["test"]["cat_cell_line"] == {"Only In Test Cells": 1}


def test_encoding_twice_gives_identical_bytes(sirna_files, tmp_path):
    first, second = encode_outputs(tmp_path / "a"), encode_outputs(tmp_path / "b")
    encode_task("sirna_competition", sirna_files, TASK, first)
    encode_task("sirna_competition", sirna_files, TASK, second)
    assert digests(first) == digests(second)


def test_bad_rows_are_reported_with_file_row_and_column(sirna_files, tmp_path):
    table = pd.read_csv(sirna_files["train_data.csv"])
    table.loc[4, "siRNA_antisense_seq"] = "ACGUXACGU"
    table.to_csv(sirna_files["train_data.csv"], index=False)
    # Named by the file the rows came from and the row's own id (here the 5th data row).
    with pytest.raises(
        InputError, match=r"train_data.csv: column siRNA_antisense_seq: id 5: character 'X'"
    ):
        encode_task("sirna_competition", sirna_files, TASK, encode_outputs(tmp_path / "enc"))
    assert not (tmp_path / "enc" / "train.parquet").exists()


def test_missing_column_and_negative_concentration(sirna_files, tmp_path):
    table = pd.read_csv(sirna_files["train_data.csv"])
    table.drop(columns="siRNA_sense_seq").to_csv(sirna_files["train_data.csv"], index=False)
    with pytest.raises(InputError, match=r"missing required column.*siRNA_sense_seq"):
        encode_task("sirna_competition", sirna_files, TASK, encode_outputs(tmp_path / "e1"))
    table.loc[2, "siRNA_concentration"] = -1
    table.to_csv(sirna_files["train_data.csv"], index=False)
    with pytest.raises(InputError, match=r"siRNA_concentration, row 3: -1\.0 is not a positive"):
        encode_task("sirna_competition", sirna_files, TASK, encode_outputs(tmp_path / "e2"))


def test_real_competition_encoding_is_deterministic(mirror, tmp_path):
    """The whole competition train + test, encoded twice, gives byte-identical files."""
    config = load_config(REPO / "config" / "config.yaml")
    files = {}
    for name, spec in config["datasets"]["sirna_competition"]["files"].items():
        files[name] = tmp_path / "raw" / name
        fetch_file(
            files[name], sha256=spec["sha256"], sources=[], dataset="sirna_competition",
            mirrors=[mirror],
        )  # fmt: skip
    task = config["tasks"]["sirna_gene"]
    first, second = encode_outputs(tmp_path / "a"), encode_outputs(tmp_path / "b")
    summary = encode_task("sirna_competition", files, task, first)
    encode_task("sirna_competition", files, task, second)
    assert digests(first) == digests(second)
    assert summary["rows"] == {"train": 25782, "test": 4874}
    assert sum(summary["fold_sizes"].values()) == 25782
    vocab = json.loads(first["vocab"].read_text())
    assert len(vocab["tokens"]["modification"]) == 2 + 33  # pad, unknown, vocab.csv
    train = read_tensors(first["train"])
    genes = pd.read_csv(files["train_data.csv"], usecols=["gene_target_symbol_name"]).squeeze()
    fold_by_gene = pd.Series(train[FOLD]).groupby(genes.to_numpy()).nunique()
    assert (fold_by_gene == 1).all()  # no gene in two folds


def test_new_rows_encode_with_a_saved_vocabulary(sirna_files, tmp_path):
    # vocab.json is written with sorted keys, so derived columns (kmer_*, nmod_*) may come
    # before the ones they derive from: new rows (screens, other datasets) must still encode.
    out = encode_outputs(tmp_path)
    encode_task("sirna_competition", sirna_files, TASK, out)
    _, frames = standard_tables("sirna_competition", sirna_files, TASK)
    saved = read_vocab(out["vocab"])
    assert list(saved["columns"]) == sorted(saved["columns"])
    columns, _ = encode_frame(frames["test"], saved, "test table", allow_n=False)
    written = read_tensors(out["test"])
    for name in saved["columns"]:
        np.testing.assert_array_equal(columns[name], written[name])
