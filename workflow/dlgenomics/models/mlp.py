"""Multi-layer perceptron on one-hot tokens (flattened) and experimental conditions; on a
task of numbers only (the formula and XOR smoke tasks) it is the tutorial's plain MLP."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from dlgenomics.data.schema import MOD, SEQ, InputLayout
from dlgenomics.models.architectures import Architecture
from dlgenomics.models.common import Batch, GenomicsModel, condition_encoder, embed_tokens


@dataclass
class MLPConfig:
    hidden: list[int] = field(default_factory=lambda: [512, 256])
    dropout: float = 0.2
    inputs: list[str] | None = None  # token columns; default every seq_* and mod_* column
    use_conditions: bool = True


class MLP(GenomicsModel):
    def __init__(self, config: MLPConfig, layout: InputLayout, numeric_stats, n_outputs: int = 1):
        super().__init__()
        self.inputs = layout.select(config.inputs, (SEQ, MOD), required=False)
        self.vocab_sizes = {c: layout.token_vocab_sizes[c] for c in self.inputs}
        for c in self.inputs:  # one-hot as an identity table (not saved: nothing is learnt)
            self.register_buffer(f"one_hot_{c}", torch.eye(self.vocab_sizes[c]), persistent=False)
        self.conditions = condition_encoder(config.use_conditions, layout, numeric_stats)
        width = sum(layout.token_lengths[c] * self.vocab_sizes[c] for c in self.inputs)
        width += self.conditions.out_dim if self.conditions else 0
        layers: list[nn.Module] = []
        for size in config.hidden:
            layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(config.dropout)]
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, batch: Batch) -> torch.Tensor:
        parts = [
            embed_tokens(c, batch[c], getattr(self, f"one_hot_{c}")).flatten(1) for c in self.inputs
        ]
        if self.conditions is not None:
            parts.append(self.conditions(batch))
        return self.net(torch.cat(parts, dim=1))


ARCHITECTURE = Architecture(config=MLPConfig, network=MLP)
