"""Pieces shared by the architectures: the base class, and the experimental-condition encoder."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from dlgenomics.data.schema import NMOD, SEQ, InputLayout

Batch = dict[str, torch.Tensor]


class GenomicsModel(nn.Module):
    """Base of every architecture: built from (config dataclass, input layout), maps a batch
    of encoded columns to (batch, n_outputs) raw outputs (regression values or logits)."""

    Config: ClassVar[type]
    inputs: list[str]  # the encoded token columns the model reads


# --- Where token ids become vectors --------------------------------------------------------
# Every architecture turns an encoded token column into vectors through `embed_tokens`, so
# attribution (dlgenomics.interpretation.attributions) can differentiate a model's output
# with respect to the one-hot tokens of any column without knowing the architecture:
# d out / d onehot[v] is (d out / d vectors) · table[v]. Outside `recording_token_vectors`
# nothing is recorded.
_recorded: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None


@contextmanager
def recording_token_vectors() -> Iterator[dict[str, tuple[torch.Tensor, torch.Tensor]]]:
    """Within the block, each `embed_tokens` call records column -> (vectors (B, L, D), table
    (V, D) in the column's own vocabulary order)."""
    global _recorded
    _recorded = {}
    try:
        yield _recorded
    finally:
        _recorded = None


def embed_tokens(column: str, ids: torch.Tensor, table: torch.Tensor) -> torch.Tensor:
    """Vectors of a column's token ids: rows of `table` ((V, D), the column's vocabulary
    order; an identity matrix gives one-hot)."""
    # Row 0 is padding: as nn.Embedding(padding_idx=0), it is never trained.
    vectors = F.embedding(ids.long(), table, padding_idx=0)
    if _recorded is not None:
        # A leaf of its own: what attribution differentiates, whether the table learns or not.
        vectors = vectors.detach().requires_grad_(True)
        _recorded[column] = (vectors, table)
    return vectors


def shifted_table(weight: torch.Tensor, offset: int, vocab_size: int) -> torch.Tensor:
    """A column's rows of an embedding table shared by several vocabularies: padding (row 0)
    and its own ids, stored at `offset` + id."""
    return torch.cat([weight[:1], weight[offset + 1 : offset + vocab_size]])


class ConditionEncoder(nn.Module):
    """Numeric conditions standardised (training-set mean/std kept as buffers, NaN -> 0 plus a
    missing flag) and categorical conditions embedded; returns one vector per row."""

    def __init__(
        self,
        layout: InputLayout,
        numeric_stats: dict[str, tuple[float, float]],
        embed_dim: int = 8,
    ):
        super().__init__()
        self.numeric = list(layout.numeric)
        self.categorical = list(layout.categorical)
        means = [numeric_stats[c][0] for c in self.numeric]
        stds = [numeric_stats[c][1] or 1.0 for c in self.numeric]
        self.register_buffer("mean", torch.tensor(means, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(stds, dtype=torch.float32))
        self.embeddings = nn.ModuleDict(
            {c: nn.Embedding(n, min(embed_dim, n)) for c, n in layout.categorical.items()}
        )
        self.out_dim = 2 * len(self.numeric) + sum(
            e.embedding_dim for e in self.embeddings.values()
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        parts = []
        if self.numeric:
            values = torch.stack([batch[c] for c in self.numeric], dim=1)
            missing = torch.isnan(values)
            scaled = torch.nan_to_num((values - self.mean) / self.std, nan=0.0)
            parts += [scaled, missing.to(scaled.dtype)]
        parts += [self.embeddings[c](batch[c].long()) for c in self.categorical]
        return torch.cat(parts, dim=1)


def condition_encoder(
    use_conditions: bool, layout: InputLayout, numeric_stats: dict[str, tuple[float, float]]
) -> ConditionEncoder | None:
    """The encoder when asked for and the task has conditions at all (the primer task has none)."""
    if not use_conditions or not (layout.numeric or layout.categorical):
        return None
    return ConditionEncoder(layout, numeric_stats)


class SequenceEmbedding(nn.Module):
    """Per-position vectors for each nucleotide input, optionally fused with the chemical
    modification of that nucleotide (`nmod_<strand>`, aligned position by position): the
    multimodal input shared by the sequence architectures.

    forward(batch) -> {column: (states (B, L, dim), mask (B, L) True on real tokens)}
    """

    def __init__(self, layout: InputLayout, inputs: list[str], dim: int, modifications: bool):
        super().__init__()
        self.inputs = inputs
        self.tokens = nn.ModuleDict(
            {c: nn.Embedding(layout.token_vocab_sizes[c], dim, padding_idx=0) for c in inputs}
        )
        self.modified = {
            c: NMOD + c.removeprefix(SEQ)
            for c in inputs
            if modifications and NMOD + c.removeprefix(SEQ) in layout.token_vocab_sizes
        }
        self.modifications = nn.ModuleDict(
            {
                c: nn.Embedding(layout.token_vocab_sizes[m], dim, padding_idx=0)
                for c, m in self.modified.items()
            }
        )

    def forward(self, batch: Batch) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        out = {}
        for column in self.inputs:
            ids = batch[column].long()
            states = embed_tokens(column, ids, self.tokens[column].weight)
            if column in self.modified:
                modified = self.modified[column]
                states = states + embed_tokens(
                    modified, batch[modified], self.modifications[column].weight
                )
            out[column] = (states, ids != 0)
        return out


def pooled_patches(
    states: torch.Tensor, mask: torch.Tensor, patch: int, project: nn.Module
) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, L, D) states -> (B, ceil(L / patch), D): each run of `patch` positions concatenated
    and projected; a patch is real where any of its positions is."""
    batch, length, dim = states.shape
    pad = -length % patch
    states = F.pad(states * mask.unsqueeze(-1), (0, 0, 0, pad))  # padding adds nothing
    mask = F.pad(mask, (0, pad), value=False)
    return project(states.reshape(batch, -1, patch * dim)), mask.reshape(batch, -1, patch).any(-1)


def masked_mean_max(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, L, D) states over real positions -> (B, 2D): mean and max pooling."""
    weights = mask.unsqueeze(-1).to(states.dtype)
    mean = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
    maximum = states.masked_fill(~mask.unsqueeze(-1), torch.finfo(states.dtype).min).amax(1)
    return torch.cat([mean, maximum], dim=1)


class FusionHead(nn.Module):
    """Pooled sequence features + condition features -> a small dense head."""

    def __init__(
        self,
        width: int,
        conditions: ConditionEncoder | None,
        hidden: int,
        dropout: float,
        n_outputs: int,
    ):
        super().__init__()
        self.conditions = conditions
        width += conditions.out_dim if conditions else 0
        self.net = nn.Sequential(
            nn.Dropout(dropout),
            nn.Linear(width, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, n_outputs),
        )

    def forward(self, features: list[torch.Tensor], batch: Batch) -> torch.Tensor:
        if self.conditions is not None:
            features = [*features, self.conditions(batch)]
        return self.net(torch.cat(features, dim=1))
