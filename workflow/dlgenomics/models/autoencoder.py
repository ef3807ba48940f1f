"""Convolutional sequence autoencoder, for transfer learning.

Pretraining (`dlgenomics.training.pretraining`) teaches the encoder, without labels, to
restore every available sequence from a corrupted copy (a share of positions replaced by the
unknown id: a denoising autoencoder). Fine-tuning then starts from the pretrained encoder and
trains it with a head on the labelled rows; `pretrained: false` trains the same network from
scratch, the comparison the leaderboard shows.

Encoder: nucleotide (+ modification) embedding -> residual dilated convolutions, per input.
Decoder: per-position linear maps back to the input vocabularies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
)

ENCODER_PREFIXES = ("embed.", "encoders.")  # parameters that pretraining trains and transfers


@dataclass
class AutoencoderConfig:
    dim: int = 64
    layers: int = 3
    kernel_size: int = 5
    head_hidden: int = 128
    dropout: float = 0.1
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column
    modifications: bool = True  # also embed and reconstruct each nucleotide's modification
    use_conditions: bool = True
    pretrained: bool = True  # fine-tune from the pretrained encoder (else: from scratch)
    pretrain_epochs: int = 30
    pretrain_batch_size: int = 256
    pretrain_learning_rate: float = 2e-3
    mask_fraction: float = 0.15  # share of positions corrupted during pretraining


class ConvEncoder(nn.Module):
    """Residual 1-D convolutions with dilation 1, 2, 4, ...: (B, L, dim) -> (B, L, dim)."""

    def __init__(self, config: AutoencoderConfig):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(
                config.dim,
                config.dim,
                config.kernel_size,
                dilation=2**i,
                padding=(config.kernel_size // 2) * 2**i,
            )
            for i in range(config.layers)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(config.dim) for _ in range(config.layers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask.unsqueeze(-1).to(x.dtype)
        for conv, norm in zip(self.convs, self.norms, strict=True):
            x = x + torch.relu(norm(conv((x * keep).transpose(1, 2)).transpose(1, 2)))
        return x * keep


class Autoencoder(GenomicsModel):
    def __init__(
        self, config: AutoencoderConfig, layout: InputLayout, numeric_stats, n_outputs: int = 1
    ):
        super().__init__()
        self.config = config
        self.inputs = layout.select(config.inputs, (SEQ,))
        self.embed = SequenceEmbedding(layout, self.inputs, config.dim, config.modifications)
        self.encoders = nn.ModuleDict({c: ConvEncoder(config) for c in self.inputs})
        # Reconstruction targets: every embedded column (nucleotides and aligned modifications).
        self.targets = {
            c: [c, *([self.embed.modified[c]] if c in self.embed.modified else [])]
            for c in self.inputs
        }
        self.decoders = nn.ModuleDict(
            {
                t: nn.Linear(config.dim, layout.token_vocab_sizes[t])
                for columns in self.targets.values()
                for t in columns
            }
        )
        self.head = FusionHead(
            2 * config.dim * len(self.inputs),
            condition_encoder(config.use_conditions, layout, numeric_stats),
            config.head_hidden,
            config.dropout,
            n_outputs,
        )

    def encode(self, batch: Batch) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        return {
            column: (self.encoders[column](states, mask), mask)
            for column, (states, mask) in self.embed(batch).items()
        }

    def reconstruct(self, batch: Batch) -> dict[str, torch.Tensor]:
        """Logits (B, L, vocabulary) for every reconstructed column."""
        encoded = self.encode(batch)
        return {
            target: self.decoders[target](encoded[column][0])
            for column, targets in self.targets.items()
            for target in targets
        }

    def forward(self, batch: Batch) -> torch.Tensor:
        pooled = [masked_mean_max(states, mask) for states, mask in self.encode(batch).values()]
        return self.head(pooled, batch)

    def encoder_state(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.state_dict().items() if k.startswith(ENCODER_PREFIXES)}

    def load_encoder(self, path: Path) -> None:
        """Start from a pretrained encoder (`dlgenomics.training.pretraining.pretrain` output)."""
        saved = torch.load(path, map_location="cpu", weights_only=True)["encoder_state"]
        mine = self.encoder_state()
        if set(saved) != set(mine) or any(saved[k].shape != mine[k].shape for k in mine):
            raise InputError(
                f"{path}: pretrained encoder does not fit this model (other inputs or "
                "dimensions); re-run its pretrain rule"
            )
        self.load_state_dict(saved, strict=False)


ARCHITECTURE = Architecture(config=AutoencoderConfig, network=Autoencoder)
