"""The "Primer on Deep Learning in Genomics" tutorial's Keras CNN, layer for layer:

    Conv1D(filters=32, kernel_size=12) on one-hot DNA   (valid padding, no activation:
                                                         Keras' default is linear)
    MaxPooling1D(pool_size=4) -> Flatten -> Dense(16, relu) -> Dense(2, softmax)

The two-way softmax is one logit here (the same model for binary labels, trained with the same
cross-entropy). One tower per nucleotide input; N, padding and unknown bases are all-zero rows,
as in one-hot encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from dlgenomics.data.schema import SEQ, InputLayout
from dlgenomics.data.tokens import BASES, nucleotide_vocab
from dlgenomics.models.architectures import Architecture
from dlgenomics.models.common import Batch, GenomicsModel, embed_tokens

FIRST_BASE_ID = nucleotide_vocab().index(BASES[0])  # ids of A, C, G, U follow PAD and UNK


@dataclass
class TutorialCNNConfig:
    """The primer tutorial's Keras CNN (models/tutorial_cnn.py), its sizes as defaults."""

    filters: int = 32
    kernel_size: int = 12
    pool_size: int = 4
    hidden: int = 16
    inputs: list[str] | None = None  # nucleotide columns; default every seq_* column


class TutorialCNN(GenomicsModel):
    def __init__(
        self, config: TutorialCNNConfig, layout: InputLayout, numeric_stats, n_outputs: int = 1
    ):
        super().__init__()
        self.inputs = layout.select(config.inputs, (SEQ,))
        self.pool_size = config.pool_size
        # One-hot A, C, G, U as rows of a table: PAD and UNK (N) rows are all zero.
        one_hot = torch.eye(len(nucleotide_vocab()))[:, FIRST_BASE_ID:]
        self.register_buffer("one_hot", one_hot, persistent=False)
        self.convs = nn.ModuleDict(
            {c: nn.Conv1d(len(BASES), config.filters, config.kernel_size) for c in self.inputs}
        )
        flat = sum(
            config.filters
            * ((layout.token_lengths[c] - config.kernel_size + 1) // config.pool_size)
            for c in self.inputs
        )
        self.dense = nn.Linear(flat, config.hidden)
        self.out = nn.Linear(config.hidden, n_outputs)

    def forward(self, batch: Batch) -> torch.Tensor:
        flattened = []
        for column in self.inputs:
            one_hot = embed_tokens(column, batch[column], self.one_hot)
            x = self.convs[column](one_hot.transpose(1, 2))
            flattened.append(F.max_pool1d(x, self.pool_size).flatten(1))
        return self.out(torch.relu(self.dense(torch.cat(flattened, dim=1))))


ARCHITECTURE = Architecture(config=TutorialCNNConfig, network=TutorialCNN)
