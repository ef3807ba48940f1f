"""Vocabularies and vectorised tokenisers for nucleotide, k-mer and modification sequences.

Every id array is int16, right-padded with PAD_ID to a fixed length. Id 0 is padding and id 1
stands for anything unknown, in every vocabulary, so models can share one convention.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import numpy as np
import pandas as pd

from dlgenomics import InputError

PAD, UNK = "<pad>", "<unk>"
PAD_ID, UNK_ID = 0, 1
# RNA and DNA share ids: T and U are the same base on a different sugar, and the chemistry is
# carried by the modification tokens.
BASES = "ACGU"
_BASE_IDS = {"A": 2, "C": 3, "G": 4, "U": 5, "T": 5}
BASE_IDS = [_BASE_IDS[base] for base in BASES]  # token ids of A, C, G, U(T), in that order
AMBIGUOUS = "NRYSWKMBDHV"  # IUPAC codes of more than one base: read as the unknown token
_PAD_CHAR = "."  # never a valid sequence character, so it can mark padding in the byte buffer


def nucleotide_vocab() -> list[str]:
    return [PAD, UNK, *BASES]


def complement_ids() -> np.ndarray:
    """Nucleotide id -> id of its Watson-Crick partner (A-U/T, C-G); PAD and UNK pair with
    nothing (-1)."""
    partner = {"A": "U", "C": "G", "G": "C", "U": "A"}
    table = np.full(len(nucleotide_vocab()), -1, dtype=np.int64)
    for base, other in partner.items():
        table[_BASE_IDS[base]] = _BASE_IDS[other]
    return table


def kmer_vocab(k: int) -> list[str]:
    """PAD, UNK, then every k-mer over ACGU in lexicographic order: fixed, never data-derived."""
    return [PAD, UNK, *("".join(p) for p in product(BASES, repeat=k))]


def _lookup_table(allow_n: bool) -> np.ndarray:
    table = np.full(256, -1, dtype=np.int16)
    for base, idx in _BASE_IDS.items():
        table[ord(base)] = idx
        table[ord(base.lower())] = idx  # soft-masked (lower-case) sequence is still sequence
    if allow_n:  # N and the IUPAC ambiguity letters: one base, not known which
        for letter in AMBIGUOUS:
            table[ord(letter)] = table[ord(letter.lower())] = UNK_ID
    table[ord(_PAD_CHAR)] = PAD_ID
    return table


def max_length(sequences: pd.Series) -> int:
    return int(sequences.str.len().max()) if len(sequences) else 0


def _row(row: int, row_ids: Sequence[str] | None) -> str:
    """How an error names a row: by its id when the table has ids, else 1-based as in the
    table (header excluded)."""
    return f"row {row + 1}" if row_ids is None else f"id {row_ids[row]}"


def encode_nucleotides(
    sequences: pd.Series,
    length: int,
    where: str,
    allow_n: bool = True,
    row_ids: Sequence[str] | None = None,
) -> np.ndarray:
    """Nucleotide strings -> (n, length) int16 ids, without a Python loop over rows.

    `where` names the file and column for error messages, rows are named by `_row`. Raises
    InputError on a missing, too long or invalid sequence.
    """
    if sequences.isna().any():
        row = int(np.flatnonzero(sequences.isna().to_numpy())[0])
        raise InputError(f"{where}: {_row(row, row_ids)}: missing sequence")
    lengths = sequences.str.len().to_numpy()
    if len(sequences) and lengths.max() > length:
        row = int(np.argmax(lengths > length))
        raise InputError(
            f"{where}: {_row(row, row_ids)}: sequence of {lengths[row]} nt, longer than {length}"
        )
    buffer = "".join(sequences.str.ljust(length, _PAD_CHAR)).encode("ascii", errors="replace")
    chars = np.frombuffer(buffer, dtype=np.uint8).reshape(len(sequences), length)
    ids = _lookup_table(allow_n)[chars]
    bad = ids < 0
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        char = sequences.iloc[row][col]
        raise InputError(
            f"{where}: {_row(row, row_ids)}: character {char!r} at position {col + 1} is not a "
            f"nucleotide ({'ACGTU or IUPAC ' + AMBIGUOUS if allow_n else 'ACGTU'})"
        )
    return ids


def encode_kmers(nucleotide_ids: np.ndarray, k: int, stride: int) -> np.ndarray:
    """Non-padding windows of k bases -> k-mer ids (vocabulary `kmer_vocab(k)`).

    A window holding an unknown base is UNK; a window running into padding is PAD, as in the
    competition baseline, which keeps only complete k-mers.
    """
    length = nucleotide_ids.shape[1]
    starts = np.arange(0, max(length - k + 1, 0), stride)
    windows = nucleotide_ids[:, starts[:, None] + np.arange(k)]  # (n, windows, k)
    digits = windows.astype(np.int64) - 2
    codes = (digits * (4 ** np.arange(k - 1, -1, -1))).sum(axis=2) + 2
    ids = np.where((windows == UNK_ID).any(axis=2), UNK_ID, codes)
    ids = np.where((windows == PAD_ID).any(axis=2), PAD_ID, ids)
    return ids.astype(np.int16)


def kmer_length(length: int, k: int, stride: int) -> int:
    return len(range(0, max(length - k + 1, 0), stride))


def split_tokens(token_lists: pd.Series) -> pd.Series:
    """Space-separated token strings -> one row per token, indexed by row position."""
    exploded = token_lists.reset_index(drop=True).str.split().explode()
    return exploded.dropna()


def max_tokens(token_lists: pd.Series) -> int:
    return int(token_lists.str.split().str.len().max()) if len(token_lists) else 0


def encode_tokens(
    token_lists: pd.Series,
    vocab: Sequence[str],
    length: int,
    where: str,
    row_ids: Sequence[str] | None = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """Space-separated token strings -> (n, length) int16 ids and the count of each unknown token.

    Unknown tokens map to UNK_ID (counted, so the caller can report them) rather than failing:
    new chemistry in a screening table should not stop a run, but must not pass unseen.
    """
    if token_lists.isna().any():
        row = int(np.flatnonzero(token_lists.isna().to_numpy())[0])
        raise InputError(f"{where}: {_row(row, row_ids)}: missing modification list")
    tokens = split_tokens(token_lists)
    rows = tokens.index.to_numpy()
    positions = tokens.groupby(level=0).cumcount().to_numpy()
    if len(positions) and positions.max() >= length:
        row = int(rows[np.argmax(positions >= length)])
        raise InputError(f"{where}: {_row(row, row_ids)}: more than {length} tokens")
    index = {token: i for i, token in enumerate(vocab)}
    ids = tokens.map(index)
    unknown = tokens[ids.isna()].value_counts().to_dict()
    out = np.full((len(token_lists), length), PAD_ID, dtype=np.int16)
    out[rows, positions] = ids.fillna(UNK_ID).to_numpy(dtype=np.int16)
    return out, {str(k): int(v) for k, v in unknown.items()}


def nucleotide_token_mask(vocab: Sequence[str], non_nucleotide: Sequence[str]) -> np.ndarray:
    """Per modification id: does the token sit on a nucleotide? PAD does not; UNK is assumed
    to (new chemistry is nearly always a modified nucleoside)."""
    skip = {PAD, *non_nucleotide}
    return np.array([token not in skip for token in vocab])


def align_to_nucleotides(
    modification_ids: np.ndarray, nucleotide_ids: np.ndarray, on_nucleotide: np.ndarray
) -> tuple[np.ndarray, int]:
    """Modification list ids (n, L_mod) -> the modification of each nucleotide (n, L_seq).

    The k-th nucleotide-bearing token of a row belongs to the row's k-th nucleotide. Returns
    the aligned ids and the number of rows whose list holds fewer nucleotides than the sequence
    (their remaining positions are UNK).
    """
    n_rows, length = nucleotide_ids.shape
    keep = on_nucleotide[modification_ids]
    position = np.cumsum(keep, axis=1) - 1
    rows, cols = np.nonzero(keep & (position < length))
    out = np.full((n_rows, length), PAD_ID, dtype=np.int16)
    out[rows, position[rows, cols]] = modification_ids[rows, cols]
    unfilled = (out == PAD_ID) & (nucleotide_ids != PAD_ID)
    out[unfilled] = UNK_ID
    return out, int(unfilled.any(axis=1).sum())


def decode_nucleotides(ids: np.ndarray) -> list[str]:
    """Inverse of encode_nucleotides (padding dropped, UNK as N): for reports and tests."""
    alphabet = np.array(["", "N", *BASES])
    return ["".join(alphabet[row]) for row in ids]
