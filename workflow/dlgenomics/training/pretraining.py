"""Unsupervised pretraining of a sequence encoder (the autoencoder architecture).

Every available sequence is used, labels never: all rows of the training table (every fold:
their inputs, not their targets) and of the test table. The encoder learns to restore the
nucleotides (and modifications) at corrupted positions from their context.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from dlgenomics.data.schema import InputLayout
from dlgenomics.data.tokens import PAD_ID, UNK_ID
from dlgenomics.files import save_torch, write_history
from dlgenomics.models.architectures import build_model
from dlgenomics.training.loop import (
    TrainSettings,
    cosine_with_warmup,
    mixed_precision,
    prepare_device,
)

log = logging.getLogger(__name__)


def corrupt(
    group: dict[str, torch.Tensor], fraction: float, generator: torch.Generator
) -> dict[str, torch.Tensor]:
    """Copies of aligned id columns (a sequence and its per-nucleotide modifications) with the
    same random `fraction` of real positions set to UNK in every column, so that no column
    gives away what was hidden in another."""
    first = next(iter(group.values()))
    hit = torch.rand(first.shape, device=first.device, generator=generator) < fraction
    return {
        column: torch.where(hit & (ids != PAD_ID), torch.full_like(ids, UNK_ID), ids)
        for column, ids in group.items()
    }


def pretrain(
    *,
    model: str,
    model_params: dict[str, Any],
    settings: TrainSettings,
    tables: list[dict[str, np.ndarray]],
    vocab: dict[str, Any],
    out_encoder: Path,
    out_history: Path,
    progress: bool = True,
) -> dict[str, Any]:
    """Train the encoder of `model` (an Autoencoder) as a denoising autoencoder on the token
    columns of `tables`; write its encoder weights and the per-epoch reconstruction loss."""
    device = prepare_device(settings)
    layout = InputLayout.from_vocab(vocab)
    # The head (and its condition scaling) is not trained here; only the encoder is kept.
    network = build_model(model, model_params, layout).to(device)
    config = network.config
    data = _token_columns(tables, network.targets, device)
    n_rows = len(next(iter(data.values())))
    steps = math.ceil(n_rows / config.pretrain_batch_size)
    optimizer = torch.optim.AdamW(network.parameters(), lr=config.pretrain_learning_rate)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, cosine_with_warmup(config.pretrain_epochs * steps, steps)
    )
    generator = torch.Generator(device=device).manual_seed(settings.seed)
    autocast = mixed_precision(device)
    history = []
    for epoch in range(1, config.pretrain_epochs + 1):
        started = time.perf_counter()
        network.train()
        running = torch.zeros((), device=device)
        correct = torch.zeros((), device=device)
        corrupted_total = torch.zeros((), device=device)
        order = torch.randperm(n_rows, device=device, generator=generator)
        for start in range(0, n_rows, config.pretrain_batch_size):
            rows = order[start : start + config.pretrain_batch_size]
            clean = {c: v[rows] for c, v in data.items()}
            noisy = _corrupt_groups(clean, network.targets, config.mask_fraction, generator)
            with autocast:
                logits = network.reconstruct(noisy)
            loss = _reconstruction_loss(logits, clean, noisy, correct, corrupted_total)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(network.parameters(), settings.grad_clip or 1.0)
            optimizer.step()
            scheduler.step()
            running += loss.detach() * len(rows)
        history.append(
            {
                "epoch": epoch,
                "reconstruction_loss": float(running) / n_rows,
                # Restored share of the corrupted positions: above chance means context is used.
                "corrupted_accuracy": float(correct) / max(float(corrupted_total), 1.0),
                "seconds": time.perf_counter() - started,
            }
        )
        if progress:  # one plain line per epoch: a log file is read after the fact
            row = history[-1]
            log.info(
                "pretrain epoch %d/%d: reconstruction loss %.4f, corrupted accuracy %.3f, %.1f s",
                epoch,
                config.pretrain_epochs,
                row["reconstruction_loss"],
                row["corrupted_accuracy"],
                row["seconds"],
            )
    _save_encoder(out_encoder, model, network, n_rows, list(data))
    write_history(history, out_history)
    log.info("pretrained on the sequences of %d rows: %s", n_rows, history[-1])
    return {"rows": n_rows, **history[-1]}


def _token_columns(
    tables: list[dict[str, np.ndarray]],
    targets: Mapping[str, Sequence[str]],
    device: torch.device,
) -> dict[str, torch.Tensor]:
    """Every column the encoder reconstructs (sorted by name), all tables' rows stacked, on
    `device`: the whole set stays there, so batches are drawn by index without copies."""
    columns = sorted({t for group in targets.values() for t in group})
    return {
        c: torch.as_tensor(np.concatenate([t[c] for t in tables]), device=device) for c in columns
    }


def _corrupt_groups(
    clean: dict[str, torch.Tensor],
    targets: Mapping[str, Sequence[str]],
    fraction: float,
    generator: torch.Generator,
) -> dict[str, torch.Tensor]:
    """`clean` with each group of aligned columns corrupted together (see `corrupt`), one
    group after another in `targets` order, so the random draws follow that order."""
    noisy: dict[str, torch.Tensor] = {}
    for group in targets.values():
        noisy |= corrupt({c: clean[c] for c in group}, fraction, generator)
    return noisy


def _reconstruction_loss(
    logits: dict[str, torch.Tensor],
    clean: dict[str, torch.Tensor],
    noisy: dict[str, torch.Tensor],
    correct: torch.Tensor,
    corrupted: torch.Tensor,
) -> torch.Tensor:
    """The cross-entropy of every reconstructed column against the clean ids (padding ignored),
    summed over the columns. Adds each column's corrupted positions to `corrupted` and the ones
    it restored to `correct`, in place: the running counts stay on the device, unread."""
    loss = torch.zeros((), device=correct.device)
    for column, column_logits in logits.items():
        # No boolean indexing here: it would make the host wait for the device.
        target = clean[column].long()
        loss = loss + F.cross_entropy(
            column_logits.float().flatten(0, 1), target.flatten(), ignore_index=PAD_ID
        )
        hit = noisy[column] != clean[column]
        correct += ((column_logits.argmax(-1) == target) & hit).sum()
        corrupted += hit.sum()
    return loss


def _save_encoder(
    path: Path, model: str, network: torch.nn.Module, rows: int, columns: list[str]
) -> None:
    """The encoder weights (on the CPU) with what it takes to rebuild and check them: the
    model's name and configuration, and the rows and columns it was pretrained on."""
    save_torch(
        {
            "model": model,
            "params": asdict(network.config),
            "encoder_state": {k: v.cpu() for k, v in network.encoder_state().items()},
            "rows": rows,
            "columns": columns,
        },
        path,
    )
