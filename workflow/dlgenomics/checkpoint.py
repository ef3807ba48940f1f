"""Saving and loading trained models, offline, with everything needed to use them again."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlgenomics.files import atomic_path
from dlgenomics.models import build_model
from dlgenomics.models.common import GenomicsModel
from dlgenomics.schema import ROW_ID, InputLayout

CHECKPOINT_FORMAT = 1


def save_checkpoint(path: Path, network: GenomicsModel, **meta: Any) -> None:
    """Write the model's weights with `meta` (arch, params, layout, vocab, ...) atomically."""
    state = {k: v.detach().cpu() for k, v in network.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save({"format": CHECKPOINT_FORMAT, "state_dict": state, **meta}, tmp)


def load_model(path: str | Path, device: str = "cpu") -> tuple[GenomicsModel, dict[str, Any]]:
    """Load a trained model from its `model.pt` for inference, with no network and no config.

    Returns (model in eval mode on `device`, checkpoint dict). The checkpoint holds `arch`
    (the configured name), `model` (the registry architecture), `params`, `vocab` (the
    encoding vocabularies: encode new tables with these), `task_type`,
    `target_scale` and the validation `metrics`. Use `predict(model, checkpoint, columns)`
    on columns read with `dlgenomics.schema.read_tensors`.
    """
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    layout = InputLayout(**checkpoint["layout"])
    model = build_model(
        checkpoint["model"],
        checkpoint["params"],
        layout,
        checkpoint["numeric_stats"],
        checkpoint["n_outputs"],
    )
    model.load_state_dict(checkpoint["state_dict"])
    return model.to(device).eval(), checkpoint


def layout_dict(layout: InputLayout) -> dict[str, Any]:
    return dataclasses.asdict(layout)


def to_tensors(
    columns: dict[str, np.ndarray], device: torch.device | str
) -> dict[str, torch.Tensor]:
    """Encoded columns -> tensors on `device` (row ids stay behind: models never read them)."""
    return {
        name: torch.tensor(values, device=device)
        for name, values in columns.items()
        if name != ROW_ID
    }


@torch.no_grad()
def predict(
    model: GenomicsModel,
    checkpoint: dict[str, Any],
    columns: dict[str, torch.Tensor],
    batch_size: int = 1024,
) -> np.ndarray:
    """Predictions in the target's own units (regression), probabilities (binary), or one
    probability per label, (n, K) (multilabel)."""
    model.eval()
    n_rows = len(next(iter(columns.values())))
    outputs = []
    for start in range(0, n_rows, batch_size):
        batch = {k: v[start : start + batch_size] for k, v in columns.items()}
        outputs.append(model(batch).float())
    raw = torch.cat(outputs) if outputs else torch.zeros(0, checkpoint["n_outputs"])
    if checkpoint["task_type"] == "multilabel":
        return torch.sigmoid(raw).cpu().numpy()
    raw = raw[:, 0]  # the auxiliary head of multi-task models is for training only
    if checkpoint["task_type"] == "binary":
        return torch.sigmoid(raw).cpu().numpy()
    mean, std = checkpoint["target_scale"]
    return (raw * std + mean).cpu().numpy()
