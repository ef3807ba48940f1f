"""The siRNA competition's published GRU baseline, kept faithful.

One embedding table shared by all inputs (the baseline's single vocabulary), one 3-layer
bidirectional GRU applied to each input sequence, the output at the *last* time step of each
(padding included, as published), dropout, concatenation and one linear layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from dlgenomics.data.schema import MOD, SEQ, InputLayout
from dlgenomics.models.architectures import Architecture
from dlgenomics.models.common import (
    Batch,
    GenomicsModel,
    condition_encoder,
    embed_tokens,
    shifted_table,
)


@dataclass
class BiGRUConfig:
    embed_dim: int = 200
    hidden: int = 256
    layers: int = 3
    dropout: float = 0.5
    inputs: list[str] | None = None  # token columns; default every seq_* and mod_* column
    use_conditions: bool = False  # the baseline reads sequences only


class BiGRU(GenomicsModel):
    def __init__(self, config: BiGRUConfig, layout: InputLayout, numeric_stats, n_outputs: int = 1):
        super().__init__()
        self.inputs = layout.select(config.inputs, (SEQ, MOD))
        # Give each distinct vocabulary its own id range in the shared table; id 0 stays padding.
        self.offsets: dict[str, int] = {}
        self.vocab_sizes = {c: layout.token_vocab_sizes[c] for c in self.inputs}
        vocab_offsets: dict[str, int] = {}
        total = 1
        for column in self.inputs:
            name = layout.token_vocab_names[column]
            if name not in vocab_offsets:
                vocab_offsets[name] = total - 1
                total += layout.token_vocab_sizes[column] - 1
            self.offsets[column] = vocab_offsets[name]
        self.embedding = nn.Embedding(total, config.embed_dim, padding_idx=0)
        self.gru = nn.GRU(
            config.embed_dim,
            config.hidden,
            config.layers,
            bidirectional=True,
            batch_first=True,
            dropout=config.dropout,
        )
        self.dropout = nn.Dropout(config.dropout)
        self.conditions = condition_encoder(config.use_conditions, layout, numeric_stats)
        width = 2 * config.hidden * len(self.inputs)
        width += self.conditions.out_dim if self.conditions else 0
        self.fc = nn.Linear(width, n_outputs)

    def forward(self, batch: Batch) -> torch.Tensor:
        outputs = []
        for column in self.inputs:
            table = shifted_table(
                self.embedding.weight, self.offsets[column], self.vocab_sizes[column]
            )
            states, _ = self.gru(embed_tokens(column, batch[column], table))
            outputs.append(self.dropout(states[:, -1, :]))
        if self.conditions is not None:
            outputs.append(self.conditions(batch))
        return self.fc(torch.cat(outputs, dim=1))


ARCHITECTURE = Architecture(config=BiGRUConfig, network=BiGRU)
