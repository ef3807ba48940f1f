"""Candidate siRNAs for virtual screening: every site of a transcript, in a real duplex's chemistry.

A `ModificationTemplate` remembers, per nucleotide of each strand, the chemistry of one real
duplex (2′-OMe, 2′-F, deoxy, GNA, ...) with the base left open, and where the non-nucleotide
tokens (5′-phosphate, vinyl-phosphonate, phosphorothioate, GalNAc) sit. `candidate_duplexes`
designs one duplex per 19-nt site with the competition's geometry and dresses it in that
chemistry, so a model trained on the competition table can score them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.nucleotides import byte_rows_to_strings
from dlgenomics.data.tables import read_fasta
from dlgenomics.sirna.target_site import to_dna
from dlgenomics.tasks.kinds.sirna_table import SIRNA_TABLE_CONDITIONS

log = logging.getLogger(__name__)

_BASE_LETTERS = "ACGUTacgut"
# Pattern placeholders: the base in upper case (A, Gf, dA, (Agn)) or lower case (2′-OMe a).
_UPPER, _LOWER = "{B}", "{b}"
_RNA = "ACGU"
_TRANSCRIPT_LETTERS = frozenset("ACGTUNacgtun")
_COLUMNS = ["position", "target_site", "sense", "antisense", "mod_sense", "mod_antisense"]


def _base_in(token: str) -> int | None:
    """Index of the letter naming the base in a nucleotide token ('d' of dA, '(' and the
    suffixes of (Agn) come before or after it), None when the token names no base."""
    return next((i for i, char in enumerate(token) if char in _BASE_LETTERS), None)


def _base_of(token: str) -> str:
    letter = token[_base_in(token)].upper()
    return "U" if letter == "T" else letter


def _pattern(token: str, vocabulary: frozenset[str], where: str) -> str:
    """A nucleotide token with its base abstracted: Gf -> {B}f, u -> {b}, dT -> d{B}.

    T in place of U is only spelling (dT, (Tgn)) unless the vocabulary also spells the same
    chemistry with U: then T is a base modification (t = 2′-OMe-5-methyl-U, beside u) and the
    token stays literal, valid for U only.
    """
    i = _base_in(token)
    if i is None:
        raise ValueError(f"{where}: token {token!r} names no base and is not a non-nucleotide")
    letter = token[i]
    as_u = token[:i] + ("U" if letter == "T" else "u") + token[i + 1 :]
    if letter in "Tt" and as_u in vocabulary:
        return token
    return token[:i] + (_UPPER if letter.isupper() else _LOWER) + token[i + 1 :]


def _candidates(pattern: str, base: str) -> list[str]:
    """Tokens that would write `pattern` on `base`, in order of preference."""
    for placeholder, case in ((_UPPER, str.upper), (_LOWER, str.lower)):
        if placeholder in pattern:
            spellings = [base, "T"] if base == "U" else [base]  # deoxy and GNA write U as T
            return [pattern.replace(placeholder, case(letter)) for letter in spellings]
    return [pattern] if _base_of(pattern) == base else []


def _as_tokens(tokens: Sequence[str] | str) -> list[str]:
    return tokens.split() if isinstance(tokens, str) else list(tokens)


def _rna(sequence: str, length: int, where: str) -> str:
    rna = sequence.upper().replace("T", "U")
    bad = next((i for i, char in enumerate(rna) if char not in _RNA), None)
    if bad is not None:
        raise ValueError(
            f"{where}: character {sequence[bad]!r} at position {bad + 1} is not a nucleotide "
            "(A, C, G, U or T)"
        )
    if len(rna) != length:
        raise ValueError(f"{where}: {len(rna)} nt, but the template has {length}")
    return rna


@dataclass(frozen=True)
class ModificationTemplate:
    """Per-strand token patterns, 5′→3′: nucleotide slots hold a base placeholder ({B} or {b})
    or, for base-specific chemistry, a literal token; non-nucleotide tokens are verbatim."""

    sense: tuple[str, ...]
    antisense: tuple[str, ...]
    vocabulary: frozenset[str]
    non_nucleotide: frozenset[str]

    @property
    def sense_length(self) -> int:
        return sum(slot not in self.non_nucleotide for slot in self.sense)

    @property
    def antisense_length(self) -> int:
        return sum(slot not in self.non_nucleotide for slot in self.antisense)

    @classmethod
    def from_duplex(
        cls,
        sense_tokens: Sequence[str] | str,
        antisense_tokens: Sequence[str] | str,
        sense_length: int,
        antisense_length: int,
        vocabulary: Sequence[str],
        non_nucleotide: frozenset[str],
    ) -> ModificationTemplate:
        """Template from one duplex's modification lists (token lists, or space-separated).

        Every token must be in `vocabulary`, and each strand must hold exactly its length of
        nucleotide tokens. The bases themselves are not needed: each token names its own.
        """
        vocab = frozenset(vocabulary)
        strands = {}
        for strand, tokens, length in (
            ("sense", _as_tokens(sense_tokens), sense_length),
            ("antisense", _as_tokens(antisense_tokens), antisense_length),
        ):
            patterns = []
            for i, token in enumerate(tokens):
                where = f"{strand} token {i + 1}"
                if token not in vocab:
                    raise ValueError(f"{where}: {token!r} is not in the vocabulary")
                patterns.append(token if token in non_nucleotide else _pattern(token, vocab, where))
            n_nucleotides = sum(p not in non_nucleotide for p in patterns)
            if n_nucleotides != length:
                raise ValueError(
                    f"{strand}: {n_nucleotides} nucleotide tokens, but the strand has {length} nt"
                )
            strands[strand] = tuple(patterns)
        return cls(strands["sense"], strands["antisense"], vocab, frozenset(non_nucleotide))

    def _tokens(self, strand: str, bases: np.ndarray, positions: np.ndarray | None) -> list[str]:
        """Token lists of many sequences of one strand at once; `bases` holds (n, length)
        indices into ACGU; `positions` names the candidates in error messages."""
        columns = []
        nucleotide = 0
        for slot in getattr(self, strand):
            if slot in self.non_nucleotide:
                columns.append(np.full(len(bases), slot, dtype=object))
                continue
            table = np.empty(len(_RNA), dtype=object)  # base index -> token, None if none
            for b, base in enumerate(_RNA):
                table[b] = next((t for t in _candidates(slot, base) if t in self.vocabulary), None)
            tokens = table[bases[:, nucleotide]]
            missing = np.flatnonzero(pd.isna(tokens))
            if len(missing):
                row = int(missing[0])
                base = _RNA[bases[row, nucleotide]]
                tried = _candidates(slot, base)
                which = "" if positions is None else f" (site at position {positions[row]})"
                raise ValueError(
                    f"{strand} position {nucleotide + 1}{which}: chemistry {slot!r} has no token "
                    f"for base {base}: {' or '.join(map(repr, tried)) or 'none'} not in the "
                    "vocabulary"
                )
            columns.append(tokens)
            nucleotide += 1
        return [" ".join(row) for row in zip(*columns, strict=True)]

    def apply(self, sense: str, antisense: str) -> tuple[str, str]:
        """Space-separated token lists of a new duplex (RNA or DNA letters) of the same lengths."""
        sense = _rna(sense, self.sense_length, "sense")
        antisense = _rna(antisense, self.antisense_length, "antisense")
        return (
            self._tokens("sense", _indices([sense]), None)[0],
            self._tokens("antisense", _indices([antisense]), None)[0],
        )


def _indices(sequences: list[str]) -> np.ndarray:
    """Equal-length RNA strings -> (n, length) indices into ACGU."""
    table = np.zeros(256, dtype=np.int64)
    for i, base in enumerate(_RNA):
        table[ord(base)] = i
    chars = np.frombuffer("".join(sequences).encode("ascii"), dtype=np.uint8)
    return table[chars].reshape(len(sequences), -1)


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({column: pd.Series(dtype=object) for column in _COLUMNS})
    return frame.astype({"position": np.int64})


def candidate_duplexes(
    transcript: str, template: ModificationTemplate, site_length: int = 19
) -> pd.DataFrame:
    """One candidate duplex per `site_length`-nt window of the transcript, as designed in the
    competition.

    The guide (antisense, La nt) is the reverse complement of the La-nt mRNA segment ending
    with the site: guide positions 1–site_length pair with the site, its 3′ tail with the nt
    just 5′ of it. The sense strand is the segment's 3′-most Ls nt. Where the segment runs off
    the transcript's 5′ end the guide gets U there (the classic UU overhang) and the sense
    strand the A that pairs with it. Windows whose segment holds an N are skipped, as there is
    no chemistry token for an unknown base: the frame has one row per window otherwise, so
    the caller counts the skipped ones as len(transcript) - site_length + 1 - len(frame), and
    `position` (the site's 1-based start on the mRNA) shows the gaps. Columns: position,
    target_site (DNA), sense and antisense (RNA), mod_sense and mod_antisense (tokens,
    space-separated).
    """
    bad = next((i for i, char in enumerate(transcript) if char not in _TRANSCRIPT_LETTERS), None)
    if bad is not None:
        raise ValueError(
            f"transcript: character {transcript[bad]!r} at position {bad + 1} is not a "
            "nucleotide (A, C, G, T, U or N)"
        )
    guide_length, sense_length = template.antisense_length, template.sense_length
    if guide_length < site_length:
        raise ValueError(f"a {guide_length}-nt guide cannot pair with a {site_length}-nt site")
    if len(transcript) < site_length:
        return _empty()
    extent = max(guide_length, sense_length)
    # Padding with A makes the guide read U beyond the 5′ end, and its sense partner A.
    padded = "A" * (extent - site_length) + to_dna(transcript)
    chars = np.frombuffer(padded.encode("ascii"), dtype=np.uint8)
    segments = np.lib.stride_tricks.sliding_window_view(chars, extent)  # (windows, extent)
    keep = np.flatnonzero(~(segments == ord("N")).any(axis=1))
    if not len(keep):
        return _empty()
    segments = segments[keep]
    to_rna = np.arange(256, dtype=np.uint8)
    to_rna[ord("T")] = ord("U")
    complement = to_rna.copy()
    for base, partner in zip("ACGT", "UGCA", strict=True):
        complement[ord(base)] = ord(partner)
    sense = byte_rows_to_strings(to_rna[segments[:, extent - sense_length :]])
    antisense = byte_rows_to_strings(complement[segments[:, extent - guide_length :]][:, ::-1])
    positions = keep + 1
    return pd.DataFrame(
        {
            "position": positions.astype(np.int64),
            "target_site": byte_rows_to_strings(segments[:, extent - site_length :]),
            "sense": sense,
            "antisense": antisense,
            "mod_sense": template._tokens("sense", _indices(sense), positions),
            "mod_antisense": template._tokens("antisense", _indices(antisense), positions),
        }
    )


# --- Screening a transcript with a trained task's models -----------------------------------


def transcript_from_task(frames: dict[str, pd.DataFrame], gene: str, where: str) -> str:
    """The target mRNA of `gene` as the task's own rows give it (their `target_context`)."""
    for frame in frames.values():
        if "group" not in frame or "target_context" not in frame:
            continue
        rows = frame[(frame["group"] == gene) & frame["target_context"].notna()]
        if len(rows):
            return str(rows["target_context"].iloc[0])
    raise InputError(
        f"{where}.transcript.gene: no row of the task targets {gene!r} with a sequence"
    )


def choose_transcript(
    source: dict[str, Any], frames: dict[str, pd.DataFrame], fasta: Path | None, where: str
) -> tuple[str, str]:
    """(sequence, name) of the transcript a screen asks for: a gene of the task's own table,
    or a FASTA record (the first when none is named)."""
    if source.get("gene"):
        return transcript_from_task(frames, source["gene"], where), source["gene"]
    assert fasta is not None
    records = read_fasta(fasta)
    record = source.get("record") or next(iter(records))
    if record not in records:
        raise InputError(f"{fasta}: no record {record!r} (has: {', '.join(records)})")
    return records[record], record


def template_from_task(
    frames: dict[str, pd.DataFrame], row_id: str, vocab: dict[str, Any], where: str
) -> ModificationTemplate:
    """The chemistry of one of the task's duplexes (by row id), as a template."""
    for frame in frames.values():
        rows = frame[frame["row_id"].astype(str) == str(row_id)]
        if len(rows):
            row = rows.iloc[0]
            try:
                return ModificationTemplate.from_duplex(
                    row["mod_sense"],
                    row["mod_antisense"],
                    len(row["seq_sense"]),
                    len(row["seq_antisense"]),
                    vocab["tokens"]["modification"],
                    frozenset(vocab["tokens"]["modification_non_nucleotide"]),
                )
            except ValueError as error:
                raise InputError(f"{where}.template: row {row_id}: {error}") from None
    raise InputError(f"{where}.template: the task has no row with id {row_id!r}")


def candidate_table(
    candidates: pd.DataFrame, transcript: str, conditions: dict[str, Any]
) -> pd.DataFrame:
    """Candidates as a standard table (tasks.py), under the chosen experimental conditions."""
    frame = pd.DataFrame(
        {
            "row_id": candidates["position"].astype(str),
            "seq_sense": candidates["sense"],
            "seq_antisense": candidates["antisense"],
            "mod_sense": candidates["mod_sense"],
            "mod_antisense": candidates["mod_antisense"],
            "target_context": transcript,
        }
    )
    for key, value in conditions.items():
        column = SIRNA_TABLE_CONDITIONS[key]
        frame[column] = np.log10(value) if key == "concentration_nm" else value
    return frame


def rank_candidates(candidates: pd.DataFrame, scores: pd.DataFrame, by: str) -> pd.DataFrame:
    """Candidates with their predictions, best (least mRNA remaining) first, ranked from 1."""
    predictions = scores.drop(columns=["row_id", "target"]).add_prefix("predicted_")
    table = pd.concat([candidates.reset_index(drop=True), predictions], axis=1)
    table = table.sort_values([f"predicted_{by}", "position"], kind="stable")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    return table.reset_index(drop=True)


def virtual_screen(
    screen: dict[str, Any],
    task: dict[str, Any],
    where: str,
    *,
    vocab: dict[str, Any],
    raw: dict[str, Path],
    fasta: Path | None,
    spec: dict[str, Any],
    weights: Any,
    models: dict[str, Any],
) -> tuple[pd.DataFrame, str]:
    """Every site of the screen's transcript, designed in its template's chemistry and scored by
    the task's models and ensemble (`weights`): (candidates ranked best first, transcript name).
    `task` holds the trained task's `name`, `kind` and `data` settings; `raw` its files."""
    # Imported here: the workflow imports this module's config helpers to plan jobs.
    from dlgenomics.data.encode import standard_tables
    from dlgenomics.evaluation.inference import score_rows

    _, frames = standard_tables(task["kind"], raw, task["data"])
    sequence, name = choose_transcript(screen["transcript"], frames, fasta, where)
    template = template_from_task(frames, str(screen["template"]), vocab, where)
    try:
        candidates = candidate_duplexes(sequence, template)
    except ValueError as error:
        raise InputError(f"{where}.transcript: {error}") from None
    log.info("%s: %d nt, %d candidate sites", name, len(sequence), len(candidates))
    table = candidate_table(candidates, sequence, screen["conditions"])
    scores = score_rows(table, models, vocab, spec, weights, where)
    return rank_candidates(candidates, scores, by="ensemble"), name
