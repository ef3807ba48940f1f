"""Sequence helpers, defined once: reverse complements of DNA and RNA text, and of encoded
nucleotide ids (tokens.py's vocabulary).

Both strands of DNA carry the same site, so an unstranded DNA task trains on either strand and
averages both strands' outputs at prediction (`reverse_complement` task setting, recorded in
vocab.json by encode). Ids: PAD 0, UNK 1, A 2, C 3, G 4, U/T 5; padding sits on the right.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from dlgenomics import InputError
from dlgenomics.schema import SEQ
from dlgenomics.tokens import PAD_ID, UNK_ID, complement_ids

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
