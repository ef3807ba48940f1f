"""The competition's published GRU baseline, transcribed (not copied) for the benchmarks that
compare against it: `bigru_throughput.py` (samples/s) and `time_to_quality.py` (wall time to
its best published score).

Source: the Datawhale "siRNA药物药效预测" (2024 siRNA drug-efficacy competition) Task 1
`baseline.py` in the competition's `siRNA_0715.zip`, as run in the public notebook
zps1011/zps1011_learning_notes, `组队学习/siRNA药物药效预测/Task01_baseline.ipynb` (commit
ac2e98a7e309d3c88a23303e4fbea5fff878622b): GenomicTokenizer(ngram=3, stride=3), GenomicVocab
built from the training rows, SiRNADataset whose `__getitem__` does `self.df.iloc[idx]` and
tokenises ['siRNA_antisense_seq', 'modified_siRNA_antisense_seq_list'] per row, padded to one
max_len; DataLoader(shuffle=True); SiRNAModel = Embedding(V, 200, padding_idx=0) -> GRU(200,
256, 3, bidirectional, dropout 0.5) on each input, last time step, dropout, concat,
Linear(1024, 1); Adam(lr 1e-3), MSE, `loss.item()` every step; train_test_split(test_size=0.1,
random_state=42); 50 epochs of batches of 64, the official score on the validation rows after
each epoch.

The notebook's printed run (its outputs): validation score 0.3624 after epoch 1, 0.4021 after
epoch 2, ..., best 0.6319 (printed 0.632) after epoch 19 (`PUBLISHED_SCORES`).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

REPO = Path(__file__).resolve().parents[1]
COLUMNS = ["siRNA_antisense_seq", "modified_siRNA_antisense_seq_list"]
TARGET = "mRNA_remaining_pct"
FILES = ("train_data.csv", "sample_submission.csv", "vocab.csv")
PUBLISHED_BATCH_SIZE = 64
# Validation score after each epoch of the notebook's printed run, epochs 1-19 (batch 64).
PUBLISHED_SCORES = (
    0.3624, 0.4021, 0.4637, 0.4788, 0.5524, 0.5903, 0.5825, 0.5883, 0.6045, 0.5958,
    0.6132, 0.5956, 0.6076, 0.6181, 0.6268, 0.6280, 0.6226, 0.6172, 0.6319,
)  # fmt: skip
PUBLISHED_BEST = max(PUBLISHED_SCORES)


def default_data_dir() -> Path:
    """The shared mirror: $DLGENOMICS_MIRROR, else ../shared/data beside the repository."""
    return Path(os.environ.get("DLGENOMICS_MIRROR") or REPO.parent / "shared" / "data")


def competition_files(data: Path) -> dict[str, Path]:
    """The three competition tables under the mirror, plain or gzipped: the engine's
    `read_csv` (pandas, compression inferred from the name) reads `.gz` as it is."""
    files = {}
    for name in FILES:
        candidates = [data / "sirna_competition" / name, data / name]
        found = [p for c in candidates for p in (c, c.with_name(c.name + ".gz")) if p.exists()]
        if not found:
            raise SystemExit(f"{name}(.gz) not found under {data} (use --data)")
        files[name] = found[0]
    return files


# --- the published baseline (reference) ----------------------------------------------------


class GenomicTokenizer:
    """k-mers of `ngram` bases every `stride` bases; incomplete windows dropped."""

    def __init__(self, ngram: int = 5, stride: int = 2) -> None:
        self.ngram = ngram
        self.stride = stride

    def tokenize(self, t: str) -> list[str]:
        t = t.upper()
        if self.ngram == 1:
            toks = list(t)
        else:
            toks = [
                t[i : i + self.ngram]
                for i in range(0, len(t), self.stride)
                if len(t[i : i + self.ngram]) == self.ngram
            ]
        if len(toks[-1]) < self.ngram:
            toks = toks[:-1]
        return toks


class GenomicVocab:
    """Token list ordered by frequency, '<pad>' first (id 0, also used for unknown tokens)."""

    def __init__(self, itos: list[str]) -> None:
        self.itos = itos
        self.stoi = {v: k for k, v in enumerate(self.itos)}

    @classmethod
    def create(cls, tokens: list[str], max_vocab: int, min_freq: int) -> GenomicVocab:
        freq = Counter(tokens)
        itos = ["<pad>"] + [o for o, c in freq.most_common(max_vocab - 1) if c >= min_freq]
        return cls(itos)


class SiRNADataset(Dataset):
    """The baseline's per-row path: one `iloc` and a Python tokenisation per sample."""

    def __init__(
        self,
        df: pd.DataFrame,
        columns: list[str],
        vocab: GenomicVocab,
        tokenizer: GenomicTokenizer,
        max_len: int,
        is_test: bool = False,
    ) -> None:
        self.df = df
        self.columns = columns
        self.vocab = vocab
        self.tokenizer = tokenizer
        self.max_len = max_len
        self.is_test = is_test

    def __len__(self) -> int:
        return len(self.df)

    def __getitem__(self, idx: int) -> Any:
        row = self.df.iloc[idx]
        seqs = [self.tokenize_and_encode(row[col]) for col in self.columns]
        if self.is_test:
            return seqs
        target = torch.tensor(row[TARGET], dtype=torch.float)
        return seqs, target

    def tokenize_and_encode(self, seq: str) -> torch.Tensor:
        # A space means a modification list, already tokens; else a sequence to cut in k-mers.
        tokens = seq.split() if " " in seq else self.tokenizer.tokenize(seq)
        encoded = [self.vocab.stoi.get(token, 0) for token in tokens]
        padded = encoded + [0] * (self.max_len - len(encoded))
        return torch.tensor(padded[: self.max_len], dtype=torch.long)


class SiRNAModel(nn.Module):
    """Shared embedding, one BiGRU over each input, last step, dropout, concat, linear."""

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int = 200,
        hidden_dim: int = 256,
        n_layers: int = 3,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.gru = nn.GRU(
            embed_dim, hidden_dim, n_layers, bidirectional=True, batch_first=True, dropout=dropout
        )
        self.fc = nn.Linear(hidden_dim * 4, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: list[torch.Tensor]) -> torch.Tensor:
        embedded = [self.embedding(seq) for seq in x]
        outputs = []
        for embed in embedded:
            out, _ = self.gru(embed)
            outputs.append(self.dropout(out[:, -1, :]))
        return self.fc(torch.cat(outputs, dim=1)).squeeze()


def set_random_seed(seed: int) -> None:
    """As published, cuDNN flags included (they matter for the GRU on a GPU)."""
    np.random.seed(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def baseline_loaders(
    train: pd.DataFrame, valid: pd.DataFrame, batch_size: int
) -> tuple[DataLoader, DataLoader, int, int]:
    """Tokenizer, vocabulary, max_len and loaders, built as the baseline builds them."""
    tokenizer = GenomicTokenizer(ngram=3, stride=3)
    all_tokens: list[str] = []
    for col in COLUMNS:
        for seq in train[col]:
            all_tokens.extend(seq.split() if " " in seq else tokenizer.tokenize(seq))
    vocab = GenomicVocab.create(all_tokens, max_vocab=10000, min_freq=1)
    max_len = max(
        max(len(s.split()) if " " in s else len(tokenizer.tokenize(s)) for s in train[col])
        for col in COLUMNS
    )
    train_loader = DataLoader(
        SiRNADataset(train, COLUMNS, vocab, tokenizer, max_len), batch_size=batch_size, shuffle=True
    )
    valid_loader = DataLoader(
        SiRNADataset(valid, COLUMNS, vocab, tokenizer, max_len), batch_size=batch_size
    )
    return train_loader, valid_loader, len(vocab.itos), max_len


def baseline_train_epoch(
    model: nn.Module, loader: DataLoader, optimizer: torch.optim.Optimizer, device: str
) -> float:
    """The baseline's training loop body for one epoch; returns the mean loss."""
    model.train()
    criterion = nn.MSELoss()
    total = 0.0
    for inputs, targets in loader:
        inputs = [x.to(device) for x in inputs]
        targets = targets.to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item()  # a host-device sync every step, as published
    return total / len(loader)


def baseline_validate(
    model: nn.Module, loader: DataLoader, device: str
) -> tuple[float, np.ndarray]:
    """The baseline's validation pass: mean loss and the predictions, batch by batch."""
    model.eval()
    criterion = nn.MSELoss()
    preds: list[float] = []
    total = 0.0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs = [x.to(device) for x in inputs]
            targets = targets.to(device)
            outputs = model(inputs)
            total += criterion(outputs, targets).item()
            preds.extend(outputs.cpu().numpy())
    return total / len(loader), np.asarray(preds)
