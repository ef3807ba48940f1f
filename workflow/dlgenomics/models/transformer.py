"""Transformer encoder: the nucleotide inputs (optionally fused with their modifications) are
concatenated into one token sequence with a learned segment embedding per input, so that
attention can relate the two strands of a duplex; runs of `patch` positions optionally pooled
into one token (long DNA inputs); positions are learned or sinusoidal;
pre-norm blocks; masked mean + max pooling; conditions; a dense head."""

from __future__ import annotations

import math
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
class TransformerConfig:
    dim: int = 64
    heads: int = 4
    layers: int = 2
    ff_mult: int = 4
    # Positions pooled into one attention token (a strided convolution of that width): long
    # DNA inputs (200 nt) cost patch² less attention and patch× less feed-forward.
    patch: int = 1
    positions: str = "learned"  # or "sinusoidal"
    head_hidden: int = 128
    dropout: float = 0.1
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column
    modifications: bool = True  # add each nucleotide's modification embedding (nmod_*)
    use_conditions: bool = True


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """The fixed sin/cos table of Vaswani et al. (2017), (length, dim)."""
    position = torch.arange(length, dtype=torch.float32)[:, None]
    frequency = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(1e4) / dim))
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)[:, : dim // 2]
    return table


class Block(nn.Module):
    """Pre-norm: x + attention(norm(x)); x + feed-forward(norm(x))."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(config.dim)
        self.attention = nn.MultiheadAttention(
            config.dim, config.heads, dropout=config.dropout, batch_first=True
        )
        self.norm2 = nn.LayerNorm(config.dim)
        self.feed_forward = nn.Sequential(
            nn.Linear(config.dim, config.ff_mult * config.dim),
            nn.GELU(),
            nn.Linear(config.ff_mult * config.dim, config.dim),
            nn.Dropout(config.dropout),
        )

    def forward(self, x: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        x = x + self.attention(h, h, h, key_padding_mask=padding, need_weights=False)[0]
        return x + self.feed_forward(self.norm2(x))


class Transformer(GenomicsModel):
    def __init__(
        self, config: TransformerConfig, layout: InputLayout, numeric_stats, n_outputs: int = 1
    ):
        super().__init__()
        if config.positions not in ("learned", "sinusoidal"):
            raise InputError(
                f"transformer.positions: {config.positions!r} is not 'learned' or 'sinusoidal'"
            )
        if config.dim % config.heads:
            raise InputError(f"transformer: dim {config.dim} is not divisible by heads")
        if config.patch < 1:
            raise InputError(f"transformer.patch: {config.patch} is not a positive integer")
        self.inputs = layout.select(config.inputs, (SEQ,))
        self.embed = SequenceEmbedding(layout, self.inputs, config.dim, config.modifications)
        self.segments = nn.Parameter(torch.zeros(len(self.inputs), config.dim))
        self.patch = config.patch
        self.pool = nn.Linear(config.patch * config.dim, config.dim) if config.patch > 1 else None
        longest = -(-max(layout.token_lengths[c] for c in self.inputs) // config.patch)
        if config.positions == "learned":
            self.positions = nn.Parameter(torch.randn(longest, config.dim) * 0.02)
        else:
            self.register_buffer("positions", sinusoidal_positions(longest, config.dim))
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.layers))
        self.norm = nn.LayerNorm(config.dim)
        self.head = FusionHead(
            2 * config.dim,
            condition_encoder(config.use_conditions, layout, numeric_stats),
            config.head_hidden,
            config.dropout,
            n_outputs,
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        tokens, masks = [], []
        for i, (states, mask) in enumerate(self.embed(batch).values()):
            if self.pool is not None:
                states, mask = pooled_patches(states, mask, self.patch, self.pool)
            tokens.append(states + self.positions[: states.shape[1]] + self.segments[i])
            masks.append(mask)
        x, mask = self.dropout(torch.cat(tokens, dim=1)), torch.cat(masks, dim=1)
        for block in self.blocks:
            x = block(x, ~mask)
        return self.head([masked_mean_max(self.norm(x), mask)], batch)


ARCHITECTURE = Architecture(config=TransformerConfig, network=Transformer)
