"""Bidirectional LSTM: per nucleotide input (optionally fused with its modifications), a
stacked BiLSTM (over runs of `patch` positions pooled into one step, for long DNA inputs)
whose states are mean- and max-pooled over the real positions (rather than
the published GRU baseline's last step, which lands in padding), then conditions and a dense
head. Sequences are not packed: packing needs the lengths on the host, a sync per batch."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from dlgenomics import InputError
from dlgenomics.data.schema import SEQ, InputLayout
from dlgenomics.models.architectures import Architecture
from dlgenomics.models.common import (
    Batch,
    FusionHead,
    GenomicsModel,
    SequenceEmbedding,
    condition_encoder,
    masked_mean_max,
    pooled_patches,
)


@dataclass
class LSTMConfig:
    embed_dim: int = 64
    hidden: int = 128
    layers: int = 2
    patch: int = 1  # positions pooled into one recurrent step (as transformer.patch)
    head_hidden: int = 128
    dropout: float = 0.2
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column
    modifications: bool = True  # add each nucleotide's modification embedding (nmod_*)
    use_conditions: bool = True


class LSTM(GenomicsModel):
    def __init__(self, config: LSTMConfig, layout: InputLayout, numeric_stats, n_outputs: int = 1):
        super().__init__()
        if config.patch < 1:
            raise InputError(f"lstm.patch: {config.patch} is not a positive integer")
        self.inputs = layout.select(config.inputs, (SEQ,))
        self.embed = SequenceEmbedding(layout, self.inputs, config.embed_dim, config.modifications)
        self.patch = config.patch
        self.pools = nn.ModuleDict(
            {c: nn.Linear(config.patch * config.embed_dim, config.embed_dim) for c in self.inputs}
            if config.patch > 1
            else {}
        )
        self.lstms = nn.ModuleDict(
            {
                c: nn.LSTM(
                    config.embed_dim,
                    config.hidden,
                    config.layers,
                    batch_first=True,
                    bidirectional=True,
                    dropout=config.dropout if config.layers > 1 else 0.0,
                )
                for c in self.inputs
            }
        )
        self.head = FusionHead(
            4 * config.hidden * len(self.inputs),
            condition_encoder(config.use_conditions, layout, numeric_stats),
            config.head_hidden,
            config.dropout,
            n_outputs,
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        pooled = []
        for column, (states, mask) in self.embed(batch).items():
            if column in self.pools:
                states, mask = pooled_patches(states, mask, self.patch, self.pools[column])
            outputs, _ = self.lstms[column](states)
            pooled.append(masked_mean_max(outputs, mask))
        return self.head(pooled, batch)


ARCHITECTURE = Architecture(config=LSTMConfig, network=LSTM)
