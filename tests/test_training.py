"""The training engine: every architecture trains on the encoded tensors, deterministically,
beats a constant, resumes a killed run exactly, and transfers a pretrained encoder."""

import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import train_job
from conftest import REPO, encode_outputs, encode_settings, write_sirna_files

from dlgenomics import InputError
from dlgenomics.data.encode import encode_task
from dlgenomics.data.schema import TARGET, InputLayout, read_tensors, read_vocab
from dlgenomics.metrics import sirna_metrics
from dlgenomics.models.architectures import build_model
from dlgenomics.models.checkpoint import load_model, predict, to_tensors
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.training.loop import FoldRun, TrainSettings, train_fold
from dlgenomics.training.pretraining import pretrain

TASK = encode_settings(method="random", folds=2)
SIRNA = TASK_KINDS["sirna_competition"]
SMALL = {
    "mlp": {"hidden": [32]},
    "cnn": {"channels": 8, "kernel_sizes": [3, 5], "hidden": 16},
    "bigru": {"embed_dim": 8, "hidden": 8, "layers": 1, "dropout": 0.0},
    "lstm": {"embed_dim": 8, "hidden": 8, "layers": 1, "head_hidden": 16},
    "transformer": {"dim": 16, "heads": 2, "layers": 1, "head_hidden": 16},
    "gcn": {"dim": 16, "layers": 2, "head_hidden": 16},
    "autoencoder": {"dim": 16, "layers": 2, "head_hidden": 16, "pretrained": False},
    "tutorial_cnn": {"filters": 8, "kernel_size": 5, "hidden": 8},
}


@pytest.fixture
def encoded(sirna_files, tmp_path):
    out = encode_outputs(tmp_path)
    encode_task("sirna_competition", sirna_files, TASK, out)
    return read_tensors(out["train"]), read_tensors(out["test"]), read_vocab(out["vocab"])


def run(encoded, arch, folder: Path, epochs=25, seed=0, **options):
    train, test, vocab = encoded
    return train_fold(FoldRun(
        kind=SIRNA,
        scoring=replace(scoring({"kind": "sirna_competition"}), selection="mae"),
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
        **options,
    ))  # fmt: skip


@pytest.mark.parametrize("arch", sorted(SMALL))
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
    # The checkpoint too, byte for byte (it once carried its temporary file's name).
    assert (tmp_path / "a" / "model.pt").read_bytes() == (tmp_path / "b" / "model.pt").read_bytes()
    assert (tmp_path / "a" / "history.csv").read_text().split("seconds")[0] == (
        tmp_path / "b" / "history.csv"
    ).read_text().split("seconds")[0]


def test_multitask_head_trains_both_outputs(encoded, tmp_path):
    result = run(encoded, "cnn", tmp_path, epochs=5, multitask=True)
    model, checkpoint = load_model(tmp_path / "model.pt")
    assert checkpoint["n_outputs"] == 2
    test_columns = to_tensors(encoded[1], torch.device("cpu"))
    with torch.no_grad():
        raw = model(test_columns)
    assert raw.shape == (30, 2)
    # The second head is the "< 30% remaining" class: its logits must rank effective siRNAs.
    train = to_tensors(encoded[0], torch.device("cpu"))
    with torch.no_grad():
        logits = model(train)[:, 1].numpy()
    effective = encoded[0][TARGET] < 30
    assert logits[effective].mean() > logits[~effective].mean()
    assert np.isfinite(result["score"])


def test_multitask_needs_an_auxiliary_head(encoded, tmp_path):
    train, test, vocab = encoded
    with pytest.raises(InputError, match="no auxiliary head"):
        train_fold(FoldRun(
            kind=TASK_KINDS["primer"], scoring=scoring({"kind": "primer"}), arch="cnn",
            model_params=SMALL["cnn"],
            settings=TrainSettings(max_epochs=1), train_columns=train, test_columns=test,
            vocab=vocab, fold=0, multitask=True, out_checkpoint=tmp_path / "m.pt",
            out_history=tmp_path / "h.csv", out_predictions=tmp_path / "p.parquet",
            progress=False,
        ))  # fmt: skip


def test_pretrained_encoder_is_transferred_and_fine_tuned(encoded, tmp_path):
    train, test, vocab = encoded
    params = {**SMALL["autoencoder"], "pretrained": True, "pretrain_epochs": 4}
    summary = pretrain(
        model="autoencoder", model_params=params, settings=TrainSettings(threads=1),
        tables=[train, test], vocab=vocab, out_encoder=tmp_path / "encoder.pt",
        out_history=tmp_path / "pretrain.csv", progress=False,
    )  # fmt: skip
    assert summary["rows"] == len(train[TARGET]) + len(test[TARGET])  # every sequence, no labels
    history = pd.read_csv(tmp_path / "pretrain.csv")
    assert history["reconstruction_loss"].iloc[-1] < history["reconstruction_loss"].iloc[0]
    saved = torch.load(tmp_path / "encoder.pt", weights_only=True)["encoder_state"]

    SMALL["autoencoder_transfer"] = params  # run() looks hyperparameters up by name
    try:
        folder = tmp_path / "finetune"
        run(encoded, "autoencoder_transfer", folder, epochs=1, model="autoencoder",
            pretrained=tmp_path / "encoder.pt")  # fmt: skip
    finally:
        del SMALL["autoencoder_transfer"]
    model, checkpoint = load_model(folder / "model.pt")
    assert checkpoint["arch"] == "autoencoder_transfer" and checkpoint["model"] == "autoencoder"
    # Fine-tuning started from the pretrained weights: one epoch moves them only a little.
    tuned = model.encoder_state()
    key = next(k for k in saved if k.endswith("tokens.seq_antisense.weight"))
    scratch = build_model("autoencoder", params, InputLayout.from_vocab(encoded[2]))
    drift = (tuned[key] - saved[key]).norm()
    assert drift < (scratch.encoder_state()[key] - saved[key]).norm() / 2


def test_pretrained_encoder_must_fit(encoded, tmp_path):
    train, _, vocab = encoded
    pretrain(
        model="autoencoder", model_params={**SMALL["autoencoder"], "pretrain_epochs": 1},
        settings=TrainSettings(threads=1), tables=[train], vocab=vocab,
        out_encoder=tmp_path / "encoder.pt", out_history=tmp_path / "h.csv", progress=False,
    )  # fmt: skip
    wider = build_model(
        "autoencoder", {**SMALL["autoencoder"], "dim": 32}, InputLayout.from_vocab(vocab)
    )
    with pytest.raises(InputError, match="does not fit"):
        wider.load_encoder(tmp_path / "encoder.pt")


@pytest.fixture
def job_folder(tmp_path):
    """Encoded data for tests/train_job.py: enough rows that an epoch takes a moment."""
    files = write_sirna_files(tmp_path, train_rows=600, test_rows=20, seed=5, test_ids_from=5000)
    folder = tmp_path / "job"
    encode_task("sirna_competition", files, TASK, encode_outputs(folder))
    return folder


def _job(folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(REPO / "tests" / "train_job.py"), str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _saved_epoch(resume: Path) -> int:
    try:
        return torch.load(resume, weights_only=False)["epoch"]
    except (FileNotFoundError, EOFError, RuntimeError):
        return 0


def test_killed_job_resumes_and_ends_like_an_uninterrupted_one(job_folder, tmp_path):
    reference = tmp_path / "reference"
    shutil.copytree(job_folder, reference)
    finished = _job(reference)
    assert finished.wait(timeout=600) == 0, finished.stderr.read()[-2000:]
    assert not (reference / "resume.pt").exists()  # removed once the run completed

    killed = _job(job_folder)
    deadline = time.monotonic() + 300
    while _saved_epoch(job_folder / "resume.pt") < 2 and time.monotonic() < deadline:
        assert killed.poll() is None, "the job finished before it could be killed"
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    assert killed.wait() == -signal.SIGKILL
    stopped_after = _saved_epoch(job_folder / "resume.pt")
    assert 2 <= stopped_after < train_job.EPOCHS
    assert not (job_folder / "model.pt").exists()

    rerun = _job(job_folder)
    assert rerun.wait(timeout=600) == 0
    assert f"after epoch {stopped_after}" in rerun.stderr.read()
    resumed = pd.read_csv(job_folder / "history.csv").drop(columns="seconds")
    uninterrupted = pd.read_csv(reference / "history.csv").drop(columns="seconds")
    assert list(resumed["epoch"]) == list(range(1, train_job.EPOCHS + 1))
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    pd.testing.assert_frame_equal(
        pd.read_parquet(job_folder / "predictions.parquet"),
        pd.read_parquet(reference / "predictions.parquet"),
    )


def test_resume_file_of_another_run_is_ignored(job_folder, tmp_path):
    torch.save({"format": 1, "fingerprint": "another run", "epoch": 5}, job_folder / "resume.pt")
    job = _job(job_folder)
    assert job.wait(timeout=600) == 0
    assert "belongs to another run" in job.stderr.read()
    assert len(pd.read_csv(job_folder / "history.csv")) == train_job.EPOCHS


def test_epoch_log_line_is_plain_with_an_eta():
    from dlgenomics.training.loop import epoch_line

    history = [
        {"epoch": 1, "train_loss": 0.5, "valid_score": 0.61, "seconds": 2.0},
        {"epoch": 2, "train_loss": 0.4, "valid_score": 0.63, "seconds": 4.0},
    ]
    line = epoch_line("cnn fold 0", history, 10, "score")
    # 8 epochs left at the mean of 3 s each; no carriage return, one line.
    assert line == (
        "cnn fold 0: epoch 2/10, loss 0.4000, valid score 0.6300, 4.0 s, at most 24 s left"
    )
    assert "\r" not in line and "\n" not in line
