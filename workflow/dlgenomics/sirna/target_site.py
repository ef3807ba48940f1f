"""Where each siRNA guide pairs on its target transcript, and the mRNA sequence around it.

Coordinates are the transcript's own, 5′→3′ and 0-based. The site is the 19 nt that pair with
guide positions 1–19: guide position 1 (its 5′ end) pairs with the site's 3′-most nucleotide.
Sequences are compared as DNA upper case (RNA U ≡ DNA T; lower case is sequence, not masking).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dlgenomics.data.nucleotides import reverse_complement_dna

SITE_LENGTH = 19
_CORE = SITE_LENGTH - 1  # guide positions 2–19: position 1 is usually unpaired in Ago2
_GUIDE_LETTERS = "ACGTUacgtu"
_TRANSCRIPT_LETTERS = _GUIDE_LETTERS + "Nn"
_TO_DNA = str.maketrans("acgtunU", "ACGTTNT")
# DNA letter -> code for the vectorised Hamming distance. N gets a code no guide base has, so
# it never matches; 255 marks bytes that are not nucleotides (rejected before they get here).
_CODES = np.full(256, 255, dtype=np.uint8)
for _code, _base in enumerate("ACGTN"):
    _CODES[ord(_base)] = _code
# Memory bound for one block of guides × windows of the Hamming search (int8 cells).
_BLOCK_CELLS = 1 << 23


def to_dna(sequence: str) -> str:
    """Upper-case DNA letters (U and u read as T; N stays N)."""
    return sequence.translate(_TO_DNA)


def reverse_complement(sequence: str) -> str:
    """DNA reverse complement of an RNA or DNA sequence (upper case; N stays N)."""
    return reverse_complement_dna(to_dna(sequence))


def _first_bad(values: pd.Series, allowed: str) -> tuple[int, str] | None:
    """(0-based row, problem) of the first missing or non-nucleotide entry, None if all pass."""
    if values.isna().any():
        return int(np.flatnonzero(values.isna().to_numpy())[0]), "missing sequence"
    valid = values.str.fullmatch(f"[{allowed}]*").fillna(False).astype(bool)
    if valid.all():
        return None
    row = int(np.flatnonzero(~valid.to_numpy())[0])
    text = str(values.iloc[row])
    column = next((i for i, char in enumerate(text) if char not in allowed), 0)
    return row, (
        f"character {text[column]!r} at position {column + 1} is not a nucleotide "
        f"({', '.join(sorted(set(allowed.upper())))})"
    )


def _check_guides(guides: pd.Series) -> None:
    bad = _first_bad(guides, _GUIDE_LETTERS)
    if bad is not None:
        row, problem = bad
        raise ValueError(f"guide row {row + 1}: {problem}")
    lengths = guides.str.len().to_numpy()
    if len(guides) and lengths.min() < SITE_LENGTH:
        row = int(np.argmax(lengths < SITE_LENGTH))
        raise ValueError(
            f"guide row {row + 1}: {lengths[row]} nt, shorter than the {SITE_LENGTH}-nt site"
        )


def _best_windows(transcript: str, sites: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each 18-nt core site (DNA): first window with fewest mismatches, and their number.

    Only windows with room for the site's 19th nucleotide (the one guide position 1 pairs with)
    are searched, so every hit is a whole site.
    """
    codes = _CODES[np.frombuffer(transcript.encode("ascii"), dtype=np.uint8)]
    n_windows = len(codes) - SITE_LENGTH + 1
    wanted = _CODES[np.frombuffer("".join(sites).encode("ascii"), dtype=np.uint8)]
    wanted = wanted.reshape(len(sites), _CORE)
    best = np.empty(len(sites), dtype=np.int64)
    fewest = np.empty(len(sites), dtype=np.int64)
    block = max(1, _BLOCK_CELLS // max(n_windows, 1))
    for start in range(0, len(sites), block):
        part = wanted[start : start + block]
        matches = np.zeros((len(part), n_windows), dtype=np.int8)
        for k in range(_CORE):  # 18 shifted comparisons instead of a (guides, windows, 18) cube
            matches += codes[k : k + n_windows][None, :] == part[:, k][:, None]
        best[start : start + block] = matches.argmax(axis=1)  # argmax keeps the first of ties
        fewest[start : start + block] = _CORE - matches.max(axis=1)
    return best, fewest


def locate_sites(
    guides: pd.Series, transcripts: pd.Series, max_mismatches: int = 3
) -> pd.DataFrame:
    """Each guide's complementary site on the transcript of the same row (paired by position).

    Columns: `found`; `position` (0-based start of the 19-nt site, -1 if not found);
    `mismatches` over guide positions 2–19 (NaN if not found); `pos1_paired` (guide position 1
    pairs too); `relative_position` (position / transcript length, NaN if not found).
    The site chosen has the fewest mismatches, then the lowest position, and at most
    `max_mismatches`. A missing or empty transcript is simply not found; a bad guide, or a
    transcript letter other than ACGTUN, is a ValueError naming the 1-based row.
    """
    if len(guides) != len(transcripts):
        raise ValueError(f"{len(guides)} guides but {len(transcripts)} transcripts")
    if max_mismatches < 0:
        raise ValueError(f"max_mismatches must be >= 0, not {max_mismatches}")
    _check_guides(guides)
    # astype(object): an all-missing column arrives as float, which has no .str
    text = transcripts.astype(object).where(transcripts.notna(), "")
    present = (text.str.len() > 0).to_numpy()
    # Factorising once means each distinct transcript (tens, shared by thousands of rows) is
    # checked, normalised and searched once.
    transcript_ids, unique_transcripts = pd.factorize(text.where(present))
    bad = _first_bad(pd.Series(unique_transcripts, dtype=object), _TRANSCRIPT_LETTERS)
    if bad is not None:
        unique_row, problem = bad
        row = int(np.flatnonzero(transcript_ids == unique_row)[0])
        raise ValueError(f"transcript row {row + 1}: {problem}")

    n = len(guides)
    position = np.full(n, -1, dtype=np.int64)
    mismatches = np.full(n, np.nan)
    pos1_paired = np.zeros(n, dtype=bool)
    lengths = np.zeros(n, dtype=np.int64)
    guide_text = guides.to_numpy()
    for t, raw in enumerate(unique_transcripts):
        transcript = to_dna(raw.upper())
        rows = np.flatnonzero(transcript_ids == t)
        lengths[rows] = len(transcript)
        if len(transcript) < SITE_LENGTH:
            continue
        last_start = len(transcript) - SITE_LENGTH
        sites = {}  # core site -> rows of guides with that core
        for row in rows:
            sites.setdefault(reverse_complement(guide_text[row][1:SITE_LENGTH]), []).append(row)
        inexact = []
        for site, site_rows in sites.items():
            start = transcript.find(site)  # the first exact hit is the best hit
            if 0 <= start <= last_start:
                position[site_rows] = start
                mismatches[site_rows] = 0
            else:
                inexact.append(site)
        if inexact:
            best, fewest = _best_windows(transcript, inexact)
            for site, start, count in zip(inexact, best, fewest, strict=True):
                if count <= max_mismatches:
                    position[sites[site]] = start
                    mismatches[sites[site]] = count
        for row in rows[position[rows] >= 0]:
            partner = reverse_complement(guide_text[row][0])
            pos1_paired[row] = transcript[position[row] + _CORE] == partner

    found = position >= 0
    relative = np.where(found, position / np.maximum(lengths, 1), np.nan)
    return pd.DataFrame(
        {
            "found": found,
            "position": position,
            "mismatches": mismatches,
            "pos1_paired": pos1_paired,
            "relative_position": relative,
        },
        index=guides.index,
    )


def flank_sequences(
    transcripts: pd.Series, positions: pd.Series, flank: int, site_length: int = SITE_LENGTH
) -> pd.Series:
    """The site plus `flank` nt each side, mRNA 5′→3′, DNA upper case, site_length + 2·flank nt.

    Beyond the transcript's ends the text is 'N'; where the position is -1 (or NaN) or the
    transcript is missing it is all 'N', so every row has the same length. Paired by position;
    the result has the index of `positions`.
    """
    if len(transcripts) != len(positions):
        raise ValueError(f"{len(transcripts)} transcripts but {len(positions)} positions")
    if flank < 0 or site_length < 1:
        raise ValueError(f"flank must be >= 0 and site_length >= 1, not {flank}, {site_length}")
    width = site_length + 2 * flank
    blank = "N" * width
    padding = "N" * flank
    starts = positions.fillna(-1).to_numpy(dtype=np.int64)
    transcript_ids, unique_transcripts = pd.factorize(transcripts)
    padded = [padding + to_dna(str(raw).upper()) + padding for raw in unique_transcripts]
    out = []
    for row, (t, start) in enumerate(zip(transcript_ids, starts, strict=True)):
        if t < 0 or start == -1 or len(padded[t]) == 2 * flank:  # missing or empty transcript
            out.append(blank)
            continue
        if not 0 <= start <= len(padded[t]) - 2 * flank - site_length:
            raise ValueError(
                f"row {row + 1}: position {start} is not the start of a {site_length}-nt site "
                f"on a {len(padded[t]) - 2 * flank}-nt transcript"
            )
        out.append(padded[t][start : start + width])  # padded offset flank cancels -flank
    return pd.Series(out, index=positions.index, dtype=object)
