"""Graph convolutional network on the molecule's own graph.

An siRNA duplex is one graph: a node per nucleotide of both strands, its features the base
and (optionally) its chemical modification; backbone edges join neighbours along each strand
and Watson-Crick pair edges join the two strands where they pair. DNA is a chain graph.

Graphs are batched as dense (B, N, N) adjacency matrices built with tensor operations, so a
batch needs no Python loop over its graphs. Each layer is a relational graph convolution
(Schlichtkrull et al. 2018) with one weight per edge type and a self connection:
    H' = ReLU(norm(A_backbone) H W_b + norm(A_pair) H W_p + H W_self) + H
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from dlgenomics.data import tokens
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

# How far (nt) the pairing register may shift from "5' end of one strand opposite the 3' end
# of the other"; covers blunt ends and the usual 2-nt overhangs.
PAIRING_SHIFTS = range(-3, 4)


@dataclass
class GCNConfig:
    dim: int = 64
    layers: int = 3
    head_hidden: int = 128
    dropout: float = 0.1
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column
    modifications: bool = True  # node features include the nucleotide's modification
    pair_strands: bool = True  # with two inputs (sense, antisense): Watson-Crick pair edges
    use_conditions: bool = True


def normalise(adjacency: torch.Tensor) -> torch.Tensor:
    """Symmetric degree normalisation D^-1/2 A D^-1/2 of a batch of adjacency matrices."""
    degree = adjacency.sum(-1).clamp(min=1.0).rsqrt()
    return degree.unsqueeze(-1) * adjacency * degree.unsqueeze(-2)


def backbone_adjacency(masks: list[torch.Tensor]) -> torch.Tensor:
    """Edges between consecutive real nucleotides of each strand; strands laid out in order."""
    mask = torch.cat(masks, dim=1)
    n = mask.shape[1]
    link = mask[:, :-1] & mask[:, 1:]
    start = 0
    for strand in masks[:-1]:  # no edge from the last slot of one strand to the next strand
        start += strand.shape[1]
        link[:, start - 1] = False
    adjacency = torch.zeros(mask.shape[0], n, n, device=mask.device)
    index = torch.arange(n - 1, device=mask.device)
    adjacency[:, index, index + 1] = link.to(adjacency.dtype)
    return adjacency + adjacency.transpose(1, 2)


def pairing_adjacency(
    first: torch.Tensor, second: torch.Tensor, complement: torch.Tensor | None = None
) -> torch.Tensor:
    """Watson-Crick pair edges between two antiparallel strands (nucleotide ids (B, L1), (B, L2)).

    Position i of the first strand faces position c - i of the second; the register c is
    chosen per duplex among the usual shifts as the one with the most complementary pairs.
    Returns the (B, L1 + L2, L1 + L2) adjacency of the pair edges. `complement` is
    `tokens.complement_ids()` on the device (the model keeps it as a buffer: building it here
    would copy from the host at every step).
    """
    batch, len1 = first.shape
    len2 = second.shape[1]
    if complement is None:
        complement = torch.as_tensor(tokens.complement_ids(), device=first.device)
    partner = complement[first.long()]  # (B, L1), -1 for padding/unknown
    i = torch.arange(len1, device=first.device)
    lengths = (first != 0).sum(1)
    best_pairs, best_count = None, None
    for shift in PAIRING_SHIFTS:
        j = (lengths - 1 + shift).unsqueeze(1) - i  # (B, L1) facing position on strand 2
        inside = (j >= 0) & (j < len2)
        facing = second.long().gather(1, j.clamp(0, len2 - 1))
        pairs = inside & (partner == facing) & (partner >= 0)
        count = pairs.sum(1)
        if best_pairs is None:
            best_pairs, best_count, best_j = pairs, count, j
        else:
            better = count > best_count
            best_pairs = torch.where(better.unsqueeze(1), pairs, best_pairs)
            best_j = torch.where(better.unsqueeze(1), j, best_j)
            best_count = torch.maximum(count, best_count)
    adjacency = torch.zeros(batch, len1 + len2, len1 + len2, device=first.device)
    rows = torch.arange(batch, device=first.device).unsqueeze(1).expand(batch, len1)
    columns = len1 + best_j.clamp(0, len2 - 1)
    adjacency[rows, i.expand(batch, len1), columns] = best_pairs.to(adjacency.dtype)
    return adjacency + adjacency.transpose(1, 2)


class GraphLayer(nn.Module):
    def __init__(self, dim: int, dropout: float):
        super().__init__()
        self.backbone = nn.Linear(dim, dim, bias=False)
        self.pair = nn.Linear(dim, dim, bias=False)
        self.self_loop = nn.Linear(dim, dim)
        self.norm = nn.LayerNorm(dim)
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, backbone: torch.Tensor, pair: torch.Tensor) -> torch.Tensor:
        update = backbone @ self.backbone(h) + pair @ self.pair(h) + self.self_loop(h)
        return h + self.dropout(torch.relu(self.norm(update)))


class GCN(GenomicsModel):
    def __init__(self, config: GCNConfig, layout: InputLayout, numeric_stats, n_outputs: int = 1):
        super().__init__()
        self.inputs = layout.select(config.inputs, (SEQ,))
        self.pair_strands = config.pair_strands and len(self.inputs) == 2
        self.embed = SequenceEmbedding(layout, self.inputs, config.dim, config.modifications)
        self.register_buffer("complement", torch.as_tensor(tokens.complement_ids()), False)
        # Where along its strand a nucleotide sits matters (seed region, ends): a learned
        # position embedding per strand slot.
        self.positions = nn.Parameter(
            torch.randn(sum(layout.token_lengths[c] for c in self.inputs), config.dim) * 0.02
        )
        self.layers = nn.ModuleList(
            GraphLayer(config.dim, config.dropout) for _ in range(config.layers)
        )
        self.head = FusionHead(
            2 * config.dim,
            condition_encoder(config.use_conditions, layout, numeric_stats),
            config.head_hidden,
            config.dropout,
            n_outputs,
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        embedded = self.embed(batch)
        h = torch.cat([states for states, _ in embedded.values()], dim=1) + self.positions
        masks = [mask for _, mask in embedded.values()]
        mask = torch.cat(masks, dim=1)
        backbone = normalise(backbone_adjacency(masks))
        if self.pair_strands:
            pair = normalise(
                pairing_adjacency(batch[self.inputs[0]], batch[self.inputs[1]], self.complement)
            )
        else:
            pair = torch.zeros_like(backbone)
        for layer in self.layers:
            h = layer(h, backbone, pair).masked_fill(~mask.unsqueeze(-1), 0.0)
        return self.head([masked_mean_max(h, mask)], batch)


ARCHITECTURE = Architecture(config=GCNConfig, network=GCN)
