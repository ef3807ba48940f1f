"""DeepBind/Basset-style CNN: per input, embedded tokens -> convolutions of several widths ->
global max and average pooling; pooled features and conditions -> a small dense head."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from dlgenomics.data.schema import MOD, SEQ, InputLayout
from dlgenomics.models.architectures import Architecture
from dlgenomics.models.common import (
    Batch,
    FusionHead,
    GenomicsModel,
    condition_encoder,
    embed_tokens,
)

DEEP_KERNEL = 7  # width of the convolutions after the first layer (Basset's later layers)


@dataclass
class CNNConfig:
    embed_dim: int = 32
    channels: int = 128
    kernel_sizes: list[int] = field(default_factory=lambda: [3, 7, 11])
    hidden: int = 128
    dropout: float = 0.2
    inputs: list[str] | None = None  # token columns; default every seq_* and mod_* column
    use_conditions: bool = True
    # Basset-style depth for genome windows: after the first convolutions, this many blocks of
    # max-pooling (`pool` wide) and a convolution (`channels`, 7 wide), so later layers see
    # motif combinations hundreds of bases apart. 0: one layer, pooled over the whole input.
    extra_layers: int = 0
    pool: int = 4
    # Batch normalisation after each convolution (Basset): larger steps stay stable, so a
    # deep tower trains in fewer epochs.
    batch_norm: bool = False


def deeper_layers(in_channels: int, config: CNNConfig) -> nn.Sequential:
    """`extra_layers` blocks of max-pooling then a convolution (ceil_mode: a short input
    still leaves one position to pool)."""
    blocks: list[nn.Module] = []
    for _ in range(config.extra_layers):
        blocks += [
            nn.MaxPool1d(config.pool, ceil_mode=True),
            nn.Conv1d(in_channels, config.channels, DEEP_KERNEL, padding=DEEP_KERNEL // 2),
            *([nn.BatchNorm1d(config.channels)] if config.batch_norm else []),
            nn.ReLU(),
        ]
        in_channels = config.channels
    return nn.Sequential(*blocks)


def normalisation(channels: int, config: CNNConfig) -> nn.Module:
    """Batch normalisation of a convolution's output, or nothing (no weights: checkpoints of
    networks without it keep their keys)."""
    return nn.BatchNorm1d(channels) if config.batch_norm else nn.Identity()


class ConvTower(nn.Module):
    def __init__(self, column: str, vocab_size: int, config: CNNConfig):
        super().__init__()
        self.column = column
        self.embed = nn.Embedding(vocab_size, config.embed_dim, padding_idx=0)
        self.convs = nn.ModuleList(
            nn.Conv1d(config.embed_dim, config.channels, k, padding=k // 2)
            for k in config.kernel_sizes
        )
        self.norms = nn.ModuleList(
            normalisation(config.channels, config) for _ in config.kernel_sizes
        )
        first = config.channels * len(config.kernel_sizes)
        self.deeper = deeper_layers(first, config) if config.extra_layers else None
        self.out_dim = 2 * (config.channels if config.extra_layers else first)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = embed_tokens(self.column, ids, self.embed.weight)
        x = x.transpose(1, 2)  # (batch, embed, length)
        if self.deeper is not None:
            # Cut to the input's length (an even width adds a position), so the widths' maps
            # stack as channels.
            length = x.shape[2]
            maps = [
                torch.relu(norm(conv(x)[:, :, :length]))
                for conv, norm in zip(self.convs, self.norms, strict=True)
            ]
            h = self.deeper(torch.cat(maps, dim=1))
            return torch.cat([h.amax(dim=2), h.mean(dim=2)], dim=1)
        pooled = []
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = torch.relu(norm(conv(x)))
            pooled += [h.amax(dim=2), h.mean(dim=2)]
        return torch.cat(pooled, dim=1)


class CNN(GenomicsModel):
    def __init__(self, config: CNNConfig, layout: InputLayout, numeric_stats, n_outputs: int = 1):
        super().__init__()
        self.inputs = layout.select(config.inputs, (SEQ, MOD))
        self.towers = nn.ModuleDict(
            {c: ConvTower(c, layout.token_vocab_sizes[c], config) for c in self.inputs}
        )
        self.head = FusionHead(
            sum(t.out_dim for t in self.towers.values()),
            condition_encoder(config.use_conditions, layout, numeric_stats),
            config.hidden,
            config.dropout,
            n_outputs,
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.head([self.towers[c](batch[c]) for c in self.inputs], batch)


ARCHITECTURE = Architecture(config=CNNConfig, network=CNN)
