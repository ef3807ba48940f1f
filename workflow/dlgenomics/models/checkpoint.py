"""Saving and loading trained models, offline, with everything needed to use them again."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch

from dlgenomics.data.nucleotides import reverse_complement_batch, strand_order
from dlgenomics.data.schema import ROW_ID, InputLayout
from dlgenomics.files import save_torch
from dlgenomics.models.architectures import build_model
from dlgenomics.models.common import GenomicsModel
from dlgenomics.tasks.objectives import OBJECTIVES

CHECKPOINT_FORMAT = 1


def save_checkpoint(path: Path, network: GenomicsModel, **meta: Any) -> None:
    """Write the model's weights with `meta` (arch, params, layout, vocab, ...) atomically."""
    state = {k: v.detach().cpu() for k, v in network.state_dict().items()}
    save_torch({"format": CHECKPOINT_FORMAT, "state_dict": state, **meta}, path)


def load_model(path: str | Path, device: str = "cpu") -> tuple[GenomicsModel, dict[str, Any]]:
    """Load a trained model from its `model.pt` for inference, with no network and no config.

    Returns (model in eval mode on `device`, checkpoint dict). The checkpoint holds `arch`
    (the configured name), `model` (the registry architecture), `params`, `vocab` (the
    encoding vocabularies: encode new tables with these), `objective`,
    `target_scale` and the validation `metrics`. Use `predict(model, checkpoint, columns)`
    on columns read with `dlgenomics.data.schema.read_tensors`.
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
    """Predictions as the objective writes them: the target's own units (regression), the
    positive class's probability (binary), (n, K) probabilities (multiclass, multilabel)."""
    model.eval()
    n_rows = len(next(iter(columns.values())))
    outputs = []
    strands = strand_order(checkpoint.get("vocab", {}), checkpoint["n_outputs"])
    for start in range(0, n_rows, batch_size):
        batch = {k: v[start : start + batch_size] for k, v in columns.items()}
        output = model(batch).float()
        if strands is not None:  # the mean of both strands' outputs (logits, or standardised
            # values), the reverse strand's read back in the forward's order
            reverse = model(reverse_complement_batch(batch)).float()
            output = (output + reverse[:, strands]) / 2
        outputs.append(output)
    raw = torch.cat(outputs) if outputs else torch.zeros(0, checkpoint["n_outputs"])
    objective = OBJECTIVES[checkpoint_objective(checkpoint)]
    # The auxiliary head of multi-task models (the last output) is for training only.
    return objective.transform(raw, checkpoint["target_scale"])


def checkpoint_objective(checkpoint: dict[str, Any]) -> str:
    """The objective a checkpoint was trained for (checkpoints before objectives.py called it
    `task_type`, with the same names)."""
    return checkpoint.get("objective") or checkpoint["task_type"]
