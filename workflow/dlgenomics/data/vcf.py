"""VCF records -> one row per single-nucleotide variant, for variant-effect scoring.

The rule, stated once (variant tables in evaluation/variants.py follow it too):

- a multi-allelic record (ALT ``A,T``) is split into one row per ALT allele, each scored on
  its own against the reference (``allele`` says which ALT it was, 1-based);
- only SNVs are scored: REF and ALT each one base of A, C, G, T (case-insensitive). Indels,
  multi-base substitutions, symbolic alleles (``<DEL>``, breakends), ``*`` (an overlapping
  deletion) and ``.`` (no ALT) are skipped and counted by reason, never an error: a real VCF
  holds all of these, and a model of fixed-length windows has no single answer for them;
- a line that is not a VCF record (fewer than 5 tab-separated fields, a POS that is not a
  positive integer, an empty REF or ALT, letters that are no bases) is an InputError naming
  the file and its 1-based line;
- a VCF with header lines only, or with no SNV among its records, gives no rows (scored as
  zero variants, never an error); a file without a single line is not a VCF (an error).

Line numbers are the file's own: ``##`` meta lines and the ``#CHROM`` header are counted, so a
user can open the file at the line an error names. Plain or gzip/bgzip (told by the bytes).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.tables import open_text

log = logging.getLogger(__name__)

VCF_COLUMNS = ["chrom", "pos", "id", "ref", "alt", "allele", "line"]
MIN_FIELDS = 5  # CHROM POS ID REF ALT; QUAL, FILTER, INFO and samples are not read
SNV = "snv"
# Why an allele is not scored (the keys of `skipped` counts), in words for the log.
SKIP_REASONS = {
    "indel": "indels (REF and ALT of different lengths)",
    "mnp": "multi-base substitutions",
    "symbolic": "symbolic alleles (<DEL>, breakends)",
    "overlapping_deletion": "'*' alleles (an overlapping deletion)",
    "no_alt": "records without an ALT allele ('.')",
    "ambiguous": "alleles with a base other than A, C, G, T",
    "alt_is_ref": "ALT alleles equal to REF",
}
_BASES = frozenset("ACGT")
_LETTERS = re.compile(r"[A-Za-z]+")


def allele_kind(ref: str, alt: str) -> str:
    """SNV, or the SKIP_REASONS key saying why this (REF, ALT) pair is not scored. REF must be
    letters already; an ALT that is neither letters nor a known non-base allele raises
    ValueError (the caller names the line)."""
    if alt == ".":
        return "no_alt"
    if alt == "*":
        return "overlapping_deletion"
    if alt.startswith("<") or "[" in alt or "]" in alt:
        return "symbolic"
    if not _LETTERS.fullmatch(alt):
        raise ValueError(f"ALT allele {alt!r} is neither bases nor a symbolic allele")
    ref, alt = ref.upper(), alt.upper()
    if len(ref) != len(alt):
        return "indel"
    if len(ref) > 1:
        return "mnp"
    if ref not in _BASES or alt not in _BASES:
        return "ambiguous"
    return "alt_is_ref" if ref == alt else SNV


def skipped_text(skipped: dict[str, int]) -> str:
    """'3 indels (...), 1 symbolic alleles (...)': the counts of a reader's skipped alleles."""
    return ", ".join(f"{n} {SKIP_REASONS[reason]}" for reason, n in skipped.items() if n)


def _fields(path: Path, number: int, raw: str) -> list[str]:
    """The first five fields of a record line, checked; errors name the line."""
    fields = [field.strip() for field in raw.split("\t")]
    if len(fields) < MIN_FIELDS:
        spaces = len(raw.split()) >= MIN_FIELDS
        hint = ": VCF fields are separated by tabs, this line by spaces" if spaces else ""
        raise InputError(
            f"{path}: line {number}: {len(fields)} tab-separated field(s); a VCF record needs "
            f"at least {MIN_FIELDS} (CHROM, POS, ID, REF, ALT){hint}"
        )
    chrom, pos, _, ref, alt = fields[:MIN_FIELDS]
    if not chrom:
        raise InputError(f"{path}: line {number}: empty CHROM")
    if not re.fullmatch(r"[0-9]+", pos) or int(pos) < 1:
        raise InputError(f"{path}: line {number}: POS {pos!r} is not a 1-based position")
    if not ref or ref == ".":
        raise InputError(f"{path}: line {number}: empty REF (it holds the reference base(s))")
    if not _LETTERS.fullmatch(ref):
        raise InputError(f"{path}: line {number}: REF {ref!r} is not bases")
    if not alt:
        raise InputError(f"{path}: line {number}: empty ALT ('.' says there is none)")
    return fields[:MIN_FIELDS]


def snv_alleles(ref: str, alts: str, where: str, skipped: dict[str, int]) -> list[tuple[int, str]]:
    """The SNVs among a record's comma-separated ALT alleles: (1-based allele index, ALT
    upper-cased); every other allele is counted in `skipped` by its reason."""
    found = []
    for allele, alt in enumerate(alts.split(","), start=1):
        try:
            kind = allele_kind(ref, alt.strip())
        except ValueError as error:
            raise InputError(f"{where}: {error}") from None
        if kind != SNV:
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        found.append((allele, alt.strip().upper()))
    return found


def read_vcf(path: Path) -> pd.DataFrame:
    """The SNVs of a VCF (plain or gzip), one row per ALT allele: chrom, pos (1-based, as in
    the file), id, ref and alt (upper-case), allele (1-based index among the record's ALTs)
    and line (1-based, header lines counted), in file order. Alleles that are not SNVs are
    skipped and counted: ``frame.attrs["skipped"]`` maps SKIP_REASONS keys to counts (and the
    counts are logged). A malformed record line raises InputError naming file and line; so
    does an empty file (no header either). Header lines alone give no rows."""
    path = Path(path)
    rows: list[tuple[str, int, str, str, str, int, int]] = []
    skipped = dict.fromkeys(SKIP_REASONS, 0)
    records = headers = 0
    # Split on \n only (open_text made every line end one): str.splitlines also breaks at
    # \v, \x85 ..., which would shift line numbers away from the ones an editor shows.
    for number, raw in enumerate(open_text(path).read().split("\n"), start=1):
        headers += raw.startswith("#")
        if not raw.strip() or raw.startswith("#"):
            continue
        records += 1
        chrom, pos, name, ref, alts = _fields(path, number, raw)
        for allele, alt in snv_alleles(ref, alts, f"{path}: line {number}", skipped):
            rows.append((chrom, int(pos), name, ref.upper(), alt, allele, number))
    if not records and not headers:
        raise InputError(f"{path}: an empty file, not a VCF (not even its header lines)")
    if not records:
        log.warning("%s: header lines only, no VCF records", path)
    frame = pd.DataFrame(rows, columns=VCF_COLUMNS)
    frame = frame.astype({"pos": np.int64, "allele": np.int64, "line": np.int64})
    frame.attrs["skipped"] = {reason: n for reason, n in skipped.items() if n}
    if frame.attrs["skipped"]:
        log.warning("%s: not scored: %s", path, skipped_text(frame.attrs["skipped"]))
    return frame
