"""Every architecture trains on the encoded tensors, deterministically, and beats a constant."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from conftest import encode_outputs, encode_settings

from dlgenomics.checkpoint import load_model, predict, to_tensors
from dlgenomics.encode import encode_task
from dlgenomics.metrics import sirna_metrics
from dlgenomics.schema import TARGET, read_tensors, read_vocab
from dlgenomics.training import TrainSettings, train_fold

TASK = encode_settings(method="random", folds=2)
SMALL = {
    "mlp": {"hidden": [32]},
    "cnn": {"channels": 8, "kernel_sizes": [3, 5], "hidden": 16},
    "bigru": {"embed_dim": 8, "hidden": 8, "layers": 1, "dropout": 0.0},
}


@pytest.fixture
def encoded(sirna_files, tmp_path):
    out = encode_outputs(tmp_path)
    encode_task("sirna_competition", sirna_files, TASK, out)
    return read_tensors(out["train"]), read_tensors(out["test"]), read_vocab(out["vocab"])


def run(encoded, arch, folder: Path, epochs=25, seed=0):
    train, test, vocab = encoded
    return train_fold(
        task_type="regression",
        selection_metric="mae",
        arch=arch,
        model_params=SMALL[arch],
        settings=TrainSettings(max_epochs=epochs, patience=epochs, batch_size=16,
                               learning_rate=3e-3, seed=seed, threads=1),
        train_columns=train,
        test_columns=test,
        vocab=vocab,
        fold=0,
        out_checkpoint=folder / "model.pt",
        out_history=folder / "history.csv",
        out_predictions=folder / "predictions.parquet",
        progress=False,
    )  # fmt: skip


@pytest.mark.parametrize("arch", ["mlp", "cnn", "bigru"])
def test_architecture_beats_the_mean_predictor(encoded, arch, tmp_path):
    result = run(encoded, arch, tmp_path)
    train = encoded[0]
    valid = train["fold"] == 0
    constant = np.full(valid.sum(), train[TARGET][~valid].mean())
    baseline_mae = sirna_metrics(train[TARGET][valid], constant)["mae"]
    assert result["mae"] < baseline_mae
    history = pd.read_csv(tmp_path / "history.csv")
    assert list(history["epoch"]) == list(range(1, 26))
    predictions = pd.read_parquet(tmp_path / "predictions.parquet")
    assert (predictions["role"] == "valid").sum() == valid.sum()
    assert (predictions["role"] == "test").sum() == 30


def test_checkpoint_loads_offline_and_predicts_the_same(encoded, tmp_path):
    run(encoded, "cnn", tmp_path, epochs=3)
    model, checkpoint = load_model(tmp_path / "model.pt")
    assert checkpoint["arch"] == "cnn" and checkpoint["vocab"] == encoded[2]
    saved = pd.read_parquet(tmp_path / "predictions.parquet").query("role == 'test'")
    again = predict(model, checkpoint, to_tensors(encoded[1], torch.device("cpu")))
    np.testing.assert_allclose(again, saved["prediction"].to_numpy(), rtol=1e-5, atol=1e-4)


def test_same_seed_gives_identical_metrics_on_cpu(encoded, tmp_path):
    first = run(encoded, "bigru", tmp_path / "a", epochs=3, seed=3)
    second = run(encoded, "bigru", tmp_path / "b", epochs=3, seed=3)
    other = run(encoded, "bigru", tmp_path / "c", epochs=3, seed=4)
    assert first == second
    assert first != other
    assert (tmp_path / "a" / "history.csv").read_text().split("seconds")[0] == (
        tmp_path / "b" / "history.csv"
    ).read_text().split("seconds")[0]
