"""Sequence helpers, defined once: one-hot matrices and letters of DNA text, and reverse
complements of DNA and RNA text and of encoded nucleotide ids (tokens.py's vocabulary).

Both strands of DNA carry the same site, so an unstranded DNA task trains on either strand and
averages both strands' outputs at prediction (`reverse_complement` task setting, recorded in
vocab.json by encode). Ids: PAD 0, UNK 1, A 2, C 3, G 4, U/T 5; padding sits on the right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dlgenomics import InputError
from dlgenomics.data.schema import SEQ
from dlgenomics.data.tokens import BASE_IDS, PAD_ID, UNK_ID, complement_ids

DNA = "ACGT"  # the column order of every one-hot matrix, position weight matrix and logo

# Byte -> base index for one-hot encoding; 4 marks "not a base" (N, gaps, anything else) and
# becomes an all-zero row. Lower case (soft-masked genome sequence) is still sequence.
_BASE_INDEX = np.full(256, 4, dtype=np.int64)
for _index, _base in enumerate(DNA):
    _BASE_INDEX[ord(_base)] = _index
    _BASE_INDEX[ord(_base.lower())] = _index
_LETTERS = np.frombuffer(DNA.encode("ascii"), dtype=np.uint8)


def base_indices(sequence: str) -> np.ndarray:
    """Text -> base index per position (A C G T = 0 1 2 3, anything else 4)."""
    # "replace" keeps one byte per character, so non-ASCII letters become "?" (index 4).
    return _BASE_INDEX[np.frombuffer(sequence.encode("ascii", errors="replace"), dtype=np.uint8)]


def decode_bases(indices: np.ndarray) -> str:
    """Base indices 0-3 -> DNA text (inverse of `base_indices` on A C G T)."""
    return _LETTERS[np.asarray(indices)].tobytes().decode("ascii")


def decode_base_rows(indices: np.ndarray) -> list[str]:
    """(n, L) base indices -> n strings."""
    n, length = indices.shape
    text = decode_bases(indices)
    return [text[i * length : (i + 1) * length] for i in range(n)]


def one_hot(sequences: Sequence[str]) -> np.ndarray:
    """(n, L, 4) float32, columns A C G T; other letters (N, ...) are all-zero rows."""
    if len(sequences) == 0:
        return np.zeros((0, 0, 4), dtype=np.float32)
    lengths = {len(sequence) for sequence in sequences}
    if len(lengths) > 1:
        raise InputError(
            f"sequences have different lengths {sorted(lengths)[:5]}; pad or trim them to one"
        )
    indices = base_indices("".join(sequences)).reshape(len(sequences), lengths.pop())
    table = np.vstack([np.eye(4, dtype=np.float32), np.zeros((1, 4), dtype=np.float32)])
    return table[indices]


def one_hot_ids(ids: np.ndarray) -> np.ndarray:
    """Encoded nucleotide ids (..., L) -> (..., L, 4) float32 over A C G U/T; PAD and UNK are
    all-zero rows."""
    return (ids[..., None] == np.array(BASE_IDS)).astype(np.float32)


_PAIRS = {"dna": ("ACGTNacgtn", "TGCANtgcan"), "rna": ("ACGUNacgun", "UGCANugcan")}
_COMPLEMENT = {alphabet: str.maketrans(*pairs) for alphabet, pairs in _PAIRS.items()}


def _reverse_complement(sequence: str, alphabet: str) -> str:
    bad = set(sequence) - set(_PAIRS[alphabet][0])
    if bad:
        letters = "A, C, G, T" if alphabet == "dna" else "A, C, G, U"
        raise InputError(f"cannot reverse-complement letters {sorted(bad)}: use {letters} or N")
    return sequence.translate(_COMPLEMENT[alphabet])[::-1]


def reverse_complement_dna(sequence: str) -> str:
    """The other strand of DNA, 5'->3': A C G T N, case kept (soft-masked stays lower)."""
    return _reverse_complement(sequence, "dna")


def reverse_complement_rna(sequence: str) -> str:
    """The complementary RNA strand, 5'->3': A C G U N, case kept."""
    return _reverse_complement(sequence, "rna")


def _complement_table() -> np.ndarray:
    """Id -> id of its partner; PAD and UNK stay what they are."""
    table = complement_ids()
    table[PAD_ID], table[UNK_ID] = PAD_ID, UNK_ID
    return table


def reverse_complement_ids(ids: Any) -> Any:
    """(n, L) torch ids -> each row's reverse complement, padding kept on the right (rows of
    different lengths are each reversed within their own length)."""
    import torch

    lengths = (ids != PAD_ID).sum(dim=1, keepdim=True)
    position = torch.arange(ids.shape[1], device=ids.device)
    source = torch.where(position < lengths, lengths - 1 - position, position)
    table = torch.as_tensor(_complement_table(), device=ids.device, dtype=ids.dtype)
    return table[ids.gather(1, source).long()]


def reverse_complement_batch(batch: Mapping[str, Any], rows: Any = None) -> dict[str, Any]:
    """Every nucleotide column of a batch reverse-complemented (only `rows`, a boolean mask,
    when given: random-strand augmentation)."""
    import torch

    out = dict(batch)
    for name, ids in batch.items():
        if name.startswith(SEQ):
            flipped = reverse_complement_ids(ids)
            out[name] = flipped if rows is None else torch.where(rows[:, None], flipped, ids)
    return out


def both_strands(vocab: Mapping[str, Any]) -> bool:
    """Whether the task's sequences are read on both strands (encode records it)."""
    return bool(vocab.get("reverse_complement", False))


def strand_order(vocab: Mapping[str, Any], n_outputs: int) -> list[int] | None:
    """None where rows are read on one strand; else, for a reverse-complemented row, which
    output holds each forward output's value: stranded tracks' pairs swapped (encode records
    them), every other output (an auxiliary head included) in place."""
    if not both_strands(vocab):
        return None
    partners = vocab.get("reverse_strand_outputs") or []
    return [*partners, *range(len(partners), n_outputs)]


def swaps_outputs(order: list[int] | None) -> bool:
    """Whether a strand order moves any output (stranded tracks), or leaves them all."""
    return order is not None and order != list(range(len(order)))


KMER_CHUNK_ROWS = 4096  # rows counted at once: their (rows, positions) k-mer codes are int64


def _reverse_complement_codes(k: int) -> np.ndarray:
    """Code of each k-mer (base indices A C G T = 0-3, the first base most significant) ->
    the code of its reverse complement."""
    codes = np.arange(4**k)
    digits = (codes[:, None] // 4 ** np.arange(k)) % 4  # last base first
    return ((3 - digits) * 4 ** np.arange(k)[::-1]).sum(axis=1)


def kmer_counts(ids: np.ndarray, k: int, strands: bool) -> tuple[np.ndarray, list[str]]:
    """(n, L) nucleotide ids -> ((n, m) counts of every k-mer over each row, the k-mer names):
    k-mers holding anything but a base (N, padding) are not counted; with `strands`, each
    k-mer's count is summed with its reverse complement's, one column per pair (named by the
    first in A C G T order; a palindrome counts twice)."""
    ids = np.asarray(ids)
    base = np.full(max(int(ids.max(initial=0)) + 1, max(BASE_IDS) + 1), 4, dtype=np.int64)
    base[BASE_IDS] = np.arange(4)
    windows = max(ids.shape[1] - k + 1, 0) if ids.ndim == 2 else 0
    counts = np.zeros((len(ids), 4**k), dtype=np.int32)
    for start in range(0, len(ids) if windows else 0, KMER_CHUNK_ROWS):
        index = base[ids[start : start + KMER_CHUNK_ROWS]]
        code = np.zeros((len(index), windows), np.int64)
        valid = np.ones((len(index), windows), bool)
        for offset in range(k):
            letter = index[:, offset : offset + windows]
            code, valid = code * 4 + np.minimum(letter, 3), valid & (letter < 4)
        flat = (np.arange(len(index))[:, None] * 4**k + code)[valid]
        counts[start : start + len(index)] = np.bincount(flat, minlength=len(index) * 4**k).reshape(
            len(index), 4**k
        )
    codes = np.arange(4**k)
    names = ["".join(DNA[d] for d in (code // 4 ** np.arange(k)[::-1]) % 4) for code in codes]
    if not strands:
        return counts, names
    partner = _reverse_complement_codes(k)
    first = codes[codes <= partner]
    return counts[:, first] + counts[:, partner[first]], [names[c] for c in first]


def byte_rows_to_strings(chars: np.ndarray) -> list[str]:
    """(n, width) array of ASCII letter codes (genome windows, designed strands) -> n strings."""
    text = np.ascontiguousarray(chars, dtype=np.uint8).tobytes().decode("latin-1")
    width = chars.shape[1]
    return [text[k : k + width] for k in range(0, len(text), width)]
