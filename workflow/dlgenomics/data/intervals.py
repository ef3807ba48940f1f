"""BED / narrowPeak intervals and a genome FASTA -> fixed-length sequence windows.

The genome is read through pyfaidx (the field's standard .fai index, so a 3 Gb genome is never
loaded whole), one chromosome at a time: each chromosome holding intervals is read once into a
uint8 array and every window on it is gathered with numpy, so the cost is one read per
chromosome, not one indexed lookup per interval.

Coordinates are BED's: 0-based, half-open. Errors name the file and the 1-based line number as
it is in the file (track, browser and comment lines counted), so a user can open it there.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.chromosomes import ChromosomeNames, log_mapping, shown
from dlgenomics.data.nucleotides import byte_rows_to_strings

if TYPE_CHECKING:
    import pyfaidx

WINDOW_COLUMNS = ["row_id", "sequence", "chrom", "start", "end", "strand", "line"]
ANCHORS = ("summit", "midpoint")
STRANDS = ("+", "-", ".")
NARROWPEAK_COLUMNS = 10  # BED6+4; column 10 is the summit's offset from the start, -1 for none
GC_BIN = 0.05  # genome_background matches GC content within bins this wide
_GC_BINS = round(1 / GC_BIN)
_GZIP_MAGIC = b"\x1f\x8b"


def _byte_table(pairs: dict[str, str]) -> np.ndarray:
    table = np.arange(256, dtype=np.uint8)
    for source, target in pairs.items():
        table[ord(source)] = ord(target)
    return table


# Soft-masked (lower-case) bases are repeats, still sequence: windows are upper-cased.
_UPPER = _byte_table({chr(c): chr(c).upper() for c in range(ord("a"), ord("z") + 1)})
# A DNA complement on bytes, IUPAC codes included (R=A/G pairs with Y=C/T, and so on). The
# package's string reverse complements (nucleotides.py) work on one sequence at a time; this
# one complements a whole (n, length) array of windows at once.
_COMPLEMENT = _byte_table(dict(zip("ACGTRYKMBVDHNSW", "TGCAYRMKVBHDNSW", strict=True)))
_IS_GC = np.zeros(256, dtype=np.int32)
_IS_GC[[ord("C"), ord("G")]] = 1
NOT_ACGT = np.ones(256, dtype=bool)
NOT_ACGT[[ord(base) for base in "ACGT"]] = False


# --- Intervals ---------------------------------------------------------------------------------


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == _GZIP_MAGIC


def _interval_lines(path: Path) -> list[tuple[int, list[str]]]:
    """(1-based line number, fields) of every interval line: gzip is recognised by its magic
    bytes (BED files are often gzipped without a .gz name, or named .gz and not gzipped)."""
    if not path.is_file():
        raise InputError(f"{path}: no such BED file")
    try:
        data = gzip.decompress(path.read_bytes()) if _is_gzip(path) else path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, EOFError, zlib.error) as error:
        raise InputError(f"{path}: damaged gzip file ({error})") from None
    except UnicodeDecodeError as error:
        raise InputError(f"{path}: not a text BED file ({error.reason})") from None
    rows = []
    # Split on \n only: str.splitlines also breaks at \r, \v, \x85 ..., so its line numbers
    # would not be the ones an editor shows.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        words = line.split(maxsplit=1)
        if not words or words[0] in ("track", "browser") or line.startswith("#"):
            continue
        # BED is tab-separated (a name may hold spaces); some tools write spaces instead.
        rows.append((number, line.split("\t") if "\t" in line else line.split()))
    return rows


def _fail_first(path: Path, lines: np.ndarray, bad: np.ndarray, what: Callable[[int], str]) -> None:
    """Raise for the first row flagged in `bad`, naming its line: what(row) says what is wrong."""
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(f"{path}: line {lines[row]}: {what(row)}")


def _integers(path: Path, lines: np.ndarray, texts: pd.Series, column: str) -> np.ndarray:
    bad = ~texts.str.fullmatch(r"-?[0-9]+").fillna(False).to_numpy(dtype=bool)
    _fail_first(path, lines, bad, lambda row: f"{column} {texts.iloc[row]!r} is not an integer")
    return texts.to_numpy(dtype=str).astype(np.int64)


def _column(fields: list[list[str]], index: int, default: str) -> pd.Series:
    return pd.Series([f[index] if len(f) > index else default for f in fields], dtype=object)


def _summits(
    path: Path, lines: np.ndarray, fields: list[list[str]], start: np.ndarray, end: np.ndarray
) -> np.ndarray:
    """Absolute summit of each narrowPeak line (start + column 10), -1 where there is none."""
    width = np.array([len(words) for words in fields])
    texts = _column(fields, NARROWPEAK_COLUMNS - 1, "-1").where(width == NARROWPEAK_COLUMNS, "-1")
    offset = _integers(path, lines, texts, "summit offset (column 10)")
    outside = (offset != -1) & ((offset < 0) | (offset >= end - start))
    _fail_first(
        path,
        lines,
        outside,
        lambda row: (
            f"summit offset {offset[row]} is outside the interval "
            f"(0 to {end[row] - start[row] - 1} for {start[row]}-{end[row]})"
        ),
    )
    return np.where(offset == -1, -1, start + offset)


def read_intervals(path: Path) -> pd.DataFrame:
    """BED (3 to 6+ columns) or narrowPeak (10 columns, summit offset in column 10), plain or
    gzip (told by its magic bytes, not its name). Track, browser and '#' lines are skipped.

    Returns chrom, start, end (0-based half-open, int64), name (column 4, or chrom:start-end
    when absent or '.'), strand ('+', '-' or '.'), summit (absolute 0-based position, -1 when
    the line is not narrowPeak or its column 10 is -1) and line (1-based, as in the file), in
    file order. Raises InputError naming the line of the first bad interval.
    """
    path = Path(path)
    rows = _interval_lines(path)
    if not rows:
        raise InputError(f"{path}: no intervals (an empty file, or only track/comment lines)")
    lines = np.array([number for number, _ in rows], dtype=np.int64)
    fields = [words for _, words in rows]
    width = np.array([len(words) for words in fields])
    _fail_first(
        path,
        lines,
        width < 3,
        lambda row: f"{width[row]} column(s); a BED interval needs 3 (chrom, start, end)",
    )
    chrom = _column(fields, 0, "").astype(str)
    start = _integers(path, lines, _column(fields, 1, ""), "start")
    end = _integers(path, lines, _column(fields, 2, ""), "end")
    _fail_first(path, lines, start < 0, lambda row: f"start {start[row]} is negative")
    _fail_first(
        path,
        lines,
        end <= start,
        lambda row: f"end {end[row]} is not after start {start[row]} (BED is 0-based, half-open)",
    )
    strand = _column(fields, 5, ".").astype(str)
    _fail_first(
        path,
        lines,
        ~strand.isin(STRANDS).to_numpy(),
        lambda row: f"strand {strand.iloc[row]!r} is not +, - or .",
    )
    name = _column(fields, 3, ".").astype(str)
    fallback = chrom + ":" + pd.Series(start).astype(str) + "-" + pd.Series(end).astype(str)
    name = name.where(~name.isin([".", ""]), fallback)
    summit = _summits(path, lines, fields, start, end)
    return pd.DataFrame(
        {"chrom": chrom, "start": start, "end": end, "name": name, "strand": strand}
    ).assign(summit=summit, line=lines)


# --- Genome ------------------------------------------------------------------------------------


def _head(path: Path) -> bytes:
    """The file's first bytes, decompressed when it is bgzip (a BGZF block is a gzip member)."""
    with path.open("rb") as handle:
        head = handle.read(1 << 17)
    if _is_bgzf(head):
        try:
            return zlib.decompressobj(wbits=31).decompress(head)
        except zlib.error as error:
            raise InputError(f"{path}: damaged bgzip file ({error})") from None
    return head


def _is_bgzf(head: bytes) -> bool:
    """BGZF (bgzip, htslib): gzip with the FEXTRA flag and a 'BC' extra subfield, which holds
    the block size that makes random access, hence a .gzi index, possible."""
    return head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def _check_fasta(path: Path) -> bool:
    """Raise unless `path` is a FASTA pyfaidx can index; return whether it is bgzip."""
    if not path.is_file():
        raise InputError(f"{path}: no such genome FASTA file")
    with path.open("rb") as handle:
        raw = handle.read(16)
    if not raw:
        raise InputError(f"{path}: empty file, not a genome FASTA")
    bgzf = _is_bgzf(raw)
    if raw.startswith(_GZIP_MAGIC) and not bgzf:
        raise InputError(
            f"{path}: compressed with plain gzip, which cannot be indexed: "
            "compress with bgzip, not gzip (gunzip it, then bgzip it)"
        )
    text = _head(path).lstrip()
    if not text:
        raise InputError(f"{path}: holds no sequence, not a genome FASTA")
    if not text.startswith(b">"):
        first = text[:1].decode("latin-1")
        raise InputError(f"{path}: not a FASTA file (it starts with {first!r}, not '>')")
    named_gz = path.name.lower().endswith((".gz", ".bgz"))
    if bgzf and not named_gz:  # pyfaidx tells bgzip by the name only
        raise InputError(
            f"{path}: bgzip-compressed, but pyfaidx reads those only when "
            "named *.gz or *.bgz: rename it"
        )
    if named_gz and not bgzf:
        raise InputError(f"{path}: named .gz but not compressed: rename it (or bgzip it)")
    return bgzf


def _index_stale(path: Path, bgzf: bool) -> bool:
    """Whether pyfaidx would (re)write the index: no .fai, one older than the FASTA, or, for
    bgzip, no .gzi."""
    fai = Path(f"{path}.fai")
    if not fai.is_file() or fai.stat().st_mtime < path.stat().st_mtime:
        return True
    return bgzf and not Path(f"{path}.gzi").is_file()


def _writable(folder: Path) -> bool:
    """Try it: os.access would say yes to root on a read-only file system."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def genome_index(path: Path) -> pyfaidx.Fasta:
    """Open a genome FASTA (plain, or bgzip-compressed and named .gz/.bgz) with pyfaidx,
    building the .fai (and .gzi) index beside it when missing or older than the FASTA.

    The index goes beside the FASTA, where samtools and every other tool look for it; an index
    kept elsewhere would be rebuilt by each job. So an unwritable folder is an error that says
    how to fix it, as is an empty, non-FASTA or plain-gzip file (caught before pyfaidx, whose
    own messages for these are multi-line or misleading).
    """
    path = Path(path)
    bgzf = _check_fasta(path)
    # pyfaidx reads bgzip through Biopython, an optional dependency we never import ourselves.
    if bgzf and importlib.util.find_spec("Bio") is None:
        raise InputError(
            f"{path}: bgzip-compressed; reading it needs Biopython (pip install biopython), "
            "or decompress it (bgzip -d)"
        )
    if _index_stale(path, bgzf) and not _writable(path.parent):
        raise InputError(
            f"{path}: no up-to-date FASTA index ({path}.fai) and its folder is not "
            f"writable: index it (samtools faidx {path}) or make {path.parent} "
            "writable"
        )
    import pyfaidx

    try:
        return pyfaidx.Fasta(os.fspath(path))
    except (
        pyfaidx.FastaIndexingError,
        pyfaidx.UnsupportedCompressionFormat,
        ValueError,
        OSError,
        UnicodeDecodeError,
    ) as error:
        message = " ".join(str(error).split())
        raise InputError(f"{path}: cannot index it as a FASTA file ({message})") from None


def chromosome_bytes(genome: pyfaidx.Fasta, chrom: str) -> np.ndarray:
    """One whole chromosome as upper-case uint8 bytes, read with a single pyfaidx call."""
    size = len(genome[chrom])
    text = genome.faidx.from_file(chrom, 1, size) if size else ""
    seq = np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)
    return _UPPER[seq]


# --- Windows -----------------------------------------------------------------------------------


def _where(path: Path, line: int, name: str) -> str:
    """How an error names an interval: by its line when it came from a file, else its name."""
    return f"{path}: line {line}" if line > 0 else f"{path}: interval {name}"


def _window_starts(intervals: pd.DataFrame, length: int, anchor: str) -> np.ndarray:
    """Window start = centre - length // 2, where the centre is a base: the summit, or the
    interval's middle base (start + end) // 2, the right-hand one of the two middle bases of an
    even-length interval. For an odd `length` the centre is the window's middle base; for an
    even one it is the right-hand of the two middle bases (index length // 2). So a window as
    long as its interval is that interval."""
    if anchor not in ANCHORS:
        raise InputError(f"window anchor {anchor!r} is not one of {', '.join(ANCHORS)}")
    if length <= 0:
        raise InputError(f"window length {length} is not a positive number of bases")
    start, end = intervals["start"].to_numpy(np.int64), intervals["end"].to_numpy(np.int64)
    centre = (start + end) // 2
    if anchor == "summit":
        summit = intervals["summit"].to_numpy(np.int64)
        centre = np.where(summit >= 0, summit, centre)  # no summit: the midpoint
    return centre - length // 2


def chromosome_sizes(
    intervals: pd.DataFrame, genome: pyfaidx.Fasta, genome_path: Path, intervals_path: Path
) -> np.ndarray:
    """Each interval's chromosome length; raises for the first chromosome the genome lacks
    (names not reconciled: `reconcile_chromosomes` first maps the files' own styles)."""
    chroms = intervals["chrom"].astype(str)
    sizes = {name: len(genome[name]) for name in chroms.unique() if name in genome}
    missing = ~chroms.isin(list(sizes)).to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        chrom = chroms.iloc[row]
        names = ChromosomeNames(genome.keys(), str(genome_path))
        other = names.reconcile([chrom]).mapping.get(chrom)
        hint = ""
        if other is not None:  # the commonest cause: chr1 (UCSC) against 1 (Ensembl)
            hint = f"; it has {other!r}: UCSC and Ensembl name chromosomes differently"
        where = _where(intervals_path, intervals["line"].iloc[row], intervals["name"].iloc[row])
        raise InputError(
            f"{where}: chromosome {chrom!r} is not in {genome_path} ({shown(names.names)}){hint}"
        )
    return chroms.map(sizes).to_numpy(np.int64)


def reconcile_chromosomes(
    intervals: pd.DataFrame,
    names: ChromosomeNames,
    intervals_path: Path,
    aliases_key: str = "input.chromosome_aliases",
) -> pd.DataFrame:
    """The intervals with each chromosome renamed to the reference's (`chromosomes.py`: `1`,
    `chr1` or `I` read as the genome's `chrI`), the renaming logged. A name matched by none,
    or ambiguously, stops naming the file, the first line holding it, the name, and the
    config key of the alias table that settles it (`aliases_key`)."""
    reconciled = names.reconcile(intervals["chrom"].astype(str))
    if reconciled.problems:
        first = intervals["chrom"].astype(str).isin(list(reconciled.problems)).to_numpy()
        row = int(np.flatnonzero(first)[0])
        chrom = str(intervals["chrom"].iloc[row])
        where = _where(intervals_path, intervals["line"].iloc[row], intervals["name"].iloc[row])
        raise InputError(f"{where}: {reconciled.problems[chrom]}: map it in {aliases_key}")
    log_mapping(intervals_path, reconciled, names)
    return intervals.assign(chrom=intervals["chrom"].astype(str).map(reconciled.mapping))


def check_bounds(
    intervals: pd.DataFrame,
    starts: np.ndarray,
    sizes: np.ndarray,
    length: int,
    genome_path: Path,
    intervals_path: Path,
) -> None:
    """Raise for the first window that does not fit on its chromosome: padding it, or moving
    it, would train on a sequence that is not the one around the peak."""
    ends = intervals["end"].to_numpy(np.int64)
    bad = (starts < 0) | (starts + length > sizes) | (ends > sizes)
    if not bad.any():
        return
    row = int(np.flatnonzero(bad)[0])
    chrom, start, size = intervals["chrom"].iloc[row], int(starts[row]), int(sizes[row])
    interval = f"{chrom}:{intervals['start'].iloc[row]}-{ends[row]}"
    where = _where(intervals_path, intervals["line"].iloc[row], intervals["name"].iloc[row])
    past_end = f"past the end of {chrom} ({size} bp in {genome_path})"
    if ends[row] > size:  # another assembly's coordinates, most often: the window may still fit
        raise InputError(
            f"{where}: interval {interval} ends {past_end}: is the file for "
            "another assembly of the genome?"
        )
    problem = "starts before 0" if start < 0 else f"ends {past_end}"
    raise InputError(
        f"{where}: the {length} bp window {chrom}:{start}-{start + length} of "
        f"interval {interval} {problem}"
    )


def _row_ids(intervals: pd.DataFrame, intervals_path: Path) -> pd.Series:
    """Names, told apart when repeated: the second `x` is `x#2`, the third `x#3`."""
    names = intervals["name"].astype(str).reset_index(drop=True)
    nth = names.groupby(names).cumcount() + 1
    ids = names.where(nth == 1, names + "#" + nth.astype(str))
    clash = ids.duplicated().to_numpy()
    if clash.any():
        row = int(np.flatnonzero(clash)[0])
        where = _where(intervals_path, intervals["line"].iloc[row], ids.iloc[row])
        raise InputError(
            f"{where}: name {names.iloc[row]!r} repeats the id given to a "
            f"repeated name ({ids.iloc[row]!r}): rename it"
        )
    return ids


def gather_windows(
    genome: pyfaidx.Fasta, chroms: pd.Series, starts: np.ndarray, length: int
) -> np.ndarray:
    """(n, length) uint8 windows, in the rows' order, reading each chromosome once."""
    out = np.empty((len(starts), length), dtype=np.uint8)
    for chrom, rows in chroms.groupby(chroms, sort=False).indices.items():
        view = np.lib.stride_tricks.sliding_window_view(chromosome_bytes(genome, chrom), length)
        out[rows] = view[starts[rows]]
    return out


def interval_windows(
    intervals: pd.DataFrame,
    genome: pyfaidx.Fasta,
    genome_path: Path,
    intervals_path: Path,
    length: int,
    anchor: str = "summit",
) -> pd.DataFrame:
    """Windows of `length` bp around each interval's summit (anchor 'summit'; the midpoint for
    an interval without one) or midpoint ('midpoint'); see `_window_starts` for the centre.

    A '-' interval's window is reverse-complemented, so every sequence reads 5'->3' on its
    interval's strand ('.' reads as '+'); sequences are upper-cased. Returns row_id (the name,
    repeats told apart as name#2 ...), sequence, chrom, start, end (the window, on the genome),
    strand and line, in the intervals' order. A chromosome missing from the genome or a window
    off its chromosome raises InputError naming the interval's line: none is dropped.
    """
    intervals = intervals.reset_index(drop=True)
    starts = _window_starts(intervals, length, anchor)
    sizes = chromosome_sizes(intervals, genome, genome_path, intervals_path)
    check_bounds(intervals, starts, sizes, length, genome_path, intervals_path)
    row_ids = _row_ids(intervals, intervals_path)
    windows = gather_windows(genome, intervals["chrom"].astype(str), starts, length)
    minus = (intervals["strand"] == "-").to_numpy()
    windows[minus] = _COMPLEMENT[windows[minus, ::-1]]
    return pd.DataFrame(
        {
            "row_id": row_ids.to_numpy(),
            "sequence": byte_rows_to_strings(windows),
            "chrom": intervals["chrom"].astype(str).to_numpy(),
            "start": starts,
            "end": starts + length,
            "strand": intervals["strand"].astype(str).to_numpy(),
            "line": intervals["line"].to_numpy(np.int64),
        }
    )


# --- Background --------------------------------------------------------------------------------


def _gc_bins(sequences: pd.Series) -> np.ndarray:
    """GC bin of each sequence: floor(GC fraction / GC_BIN), the fraction over its A, C, G and
    T (N is no evidence either way), 1.0 in the top bin; integer arithmetic, so 0.15 is bin 3."""
    upper = sequences.astype(str).str.upper()
    gc = (upper.str.count("G") + upper.str.count("C")).to_numpy(np.int64)
    acgt = gc + (upper.str.count("A") + upper.str.count("T")).to_numpy(np.int64)
    return np.minimum(gc * _GC_BINS // np.maximum(acgt, 1), _GC_BINS - 1)


def _largest_remainder(counts: np.ndarray, n: int) -> np.ndarray:
    """Split n in proportion to `counts` (any shape), as integers summing to n: floors first,
    then one more each to the largest remainders (ties to the earliest, so deterministic)."""
    share = counts.ravel() * n / counts.sum()
    quota = np.floor(share).astype(np.int64)
    order = np.argsort(-(share - quota), kind="stable")
    quota[order[: n - quota.sum()]] += 1
    return quota.reshape(counts.shape)


def _background_quotas(positives: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Windows wanted per chromosome and GC bin: n split in proportion to the positives'
    (chromosome, GC bin) counts, so both the chromosomes and the GC distribution match."""
    chroms = positives["chrom"].astype(str)
    table = pd.crosstab(chroms, _gc_bins(positives["sequence"])).reindex(
        index=chroms.unique(), columns=range(_GC_BINS), fill_value=0
    )
    quota = _largest_remainder(table.to_numpy(np.int64), n)
    return {chrom: quota[k] for k, chrom in enumerate(table.index) if quota[k].any()}


def overlapping(starts: np.ndarray, length: int, blocked: np.ndarray) -> np.ndarray:
    """Whether each [start, start + length) overlaps any of the (k, 2) `blocked` intervals,
    which are sorted by start: the furthest end among those starting before the window's end."""
    if not len(blocked):
        return np.zeros(len(starts), dtype=bool)
    reach = np.maximum.accumulate(blocked[:, 1])
    before = np.searchsorted(blocked[:, 0], starts + length, side="left")
    return (before > 0) & (reach[np.maximum(before - 1, 0)] > starts)


_BATCH = 4096  # candidate windows drawn at a time
_MIN_DRAWS, _DRAWS_PER_WINDOW = 200_000, 2_000  # the draw budget per chromosome


def _draw(
    seq: np.ndarray,
    quota: np.ndarray,
    blocked: np.ndarray,
    length: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Uniform random window starts on one chromosome, kept while their GC bin still needs
    windows (rejection sampling), off the positives, with only A/C/G/T, none twice. Returns the
    starts and the number drawn; fewer starts than quota.sum() when the budget ran out."""
    view = np.lib.stride_tricks.sliding_window_view(seq, length)
    need, kept, drawn = quota.copy(), np.empty(0, np.int64), 0
    budget = max(_MIN_DRAWS, _DRAWS_PER_WINDOW * int(quota.sum()))
    while need.any() and drawn < budget:
        draws = rng.integers(0, len(view), size=_BATCH)
        starts = draws[np.sort(np.unique(draws, return_index=True)[1])]  # in draw order
        drawn += _BATCH
        starts = starts[~overlapping(starts, length, blocked) & ~np.isin(starts, kept)]
        windows = view[starts]
        clean = ~NOT_ACGT[windows].any(axis=1)
        gc_bin = np.minimum(_IS_GC[windows].sum(axis=1) * _GC_BINS // length, _GC_BINS - 1)
        for b in np.flatnonzero(need):
            take = starts[clean & (gc_bin == b)][: need[b]]
            need[b] -= len(take)
            kept = np.concatenate([kept, take])
    return np.sort(kept), drawn


def genome_background(
    genome: pyfaidx.Fasta, positives: pd.DataFrame, n: int, length: int, seed: int
) -> pd.DataFrame:
    """n random `length` bp windows for negatives, drawn to look like the positives in all but
    what the model should learn: from the positives' chromosomes (n split in proportion to the
    positives each holds) and with the same GC content distribution (rejection sampling within
    GC bins of GC_BIN = 0.05, per chromosome), so a model cannot separate the classes by
    chromosome or GC alone. No window overlaps a positive window, holds a base other than
    A/C/G/T (no N), or repeats another. Deterministic for a seed.

    `positives` needs chrom, start, end and sequence (interval_windows' output). Returns
    interval_windows' columns: row_id background_0, background_1, ..., strand '+', line -1.
    Raises InputError when a chromosome has too few such windows.
    """
    if n <= 0 or positives.empty:
        return pd.DataFrame({column: [] for column in WINDOW_COLUMNS})
    rng = np.random.default_rng(seed)
    frames = []
    for chrom, quota in _background_quotas(positives, n).items():
        if chrom not in genome:
            raise InputError(f"{genome.filename}: no chromosome {chrom!r} (a positive's)")
        seq = chromosome_bytes(genome, chrom)
        if len(seq) < length:
            raise InputError(
                f"{genome.filename}: {chrom} ({len(seq)} bp) is shorter than a "
                f"{length} bp background window"
            )
        mine = positives[positives["chrom"].astype(str) == chrom]
        blocked = mine[["start", "end"]].to_numpy(np.int64)
        starts, drawn = _draw(seq, quota, blocked[np.argsort(blocked[:, 0])], length, rng)
        if len(starts) < quota.sum():
            raise InputError(
                f"{genome.filename}: only {len(starts)} of {quota.sum()} "
                f"background windows of {length} bp found on {chrom} in "
                f"{drawn:,} random draws (GC-matched, clear of positives and N): "
                "ask for fewer, or shorter"
            )
        windows = np.lib.stride_tricks.sliding_window_view(seq, length)[starts]
        frames.append(
            pd.DataFrame(
                {
                    "sequence": byte_rows_to_strings(windows),
                    "chrom": chrom,
                    "start": starts,
                    "end": starts + length,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "row_id", [f"background_{k}" for k in range(len(out))])
    out["strand"], out["line"] = "+", -1
    return out[WINDOW_COLUMNS]
