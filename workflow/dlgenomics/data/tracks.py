"""Genome windows labelled by many tracks at once (DeepSEA, Basset, Basenji style).

A genome FASTA and several tracks of one type: interval files (BED / narrowPeak: a window's
label per track is 1 when an interval overlaps its central bin enough) or bigWig coverage (a
window's value per track is the central bin's mean, or log1p of its sum). Windows are placed
`tiles` (every `stride` nt along the chromosomes) or `peaks` (centred on the union of all
tracks' intervals, Basset-style), with a share of background windows.

Everything is done per chromosome on numpy arrays: the chromosome's bytes (one pyfaidx read),
cumulative sums of unknown letters and of coverage (one pyBigWig read per track), and interval
labels from sorted bin starts, so no Python loop runs per window. Chromosome names of every
file are read as the genome's (`chromosomes.py`), the mapping logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dlgenomics import InputError
from dlgenomics.data.chromosomes import AliasTable, ChromosomeNames, log_mapping, shown
from dlgenomics.data.intervals import (
    NOT_ACGT,
    check_bounds,
    chromosome_bytes,
    chromosome_sizes,
    genome_index,
    overlapping,
    read_intervals,
    reconcile_chromosomes,
)
from dlgenomics.data.nucleotides import byte_rows_to_strings

if TYPE_CHECKING:
    import pyfaidx

log = logging.getLogger(__name__)

INTERVALS, BIGWIG = "intervals", "bigwig"
# File name endings (lower case) of each track type: the task's objective follows from them.
TRACK_SUFFIXES = {
    INTERVALS: (".bed", ".narrowpeak", ".broadpeak", ".bed.gz", ".narrowpeak.gz", ".broadpeak.gz"),
    BIGWIG: (".bw", ".bigwig"),
}
PLACEMENTS = ("peaks", "tiles")
SIGNALS = ("mean", "log1p_sum")
ALIASES_KEY = "chromosome_aliases"


def track_type(file_name: str) -> str | None:
    """`intervals` or `bigwig`, told by the file's name; None for neither."""
    lower = file_name.lower()
    return next((kind for kind, ends in TRACK_SUFFIXES.items() if lower.endswith(ends)), None)


@dataclass(frozen=True)
class WindowSettings:
    """A task's `windows` mapping (its defaults live in the config schema)."""

    placement: str
    length: int
    bin: int
    stride: int
    background: float | None
    min_overlap: float
    max_unknown: float
    seed: int
    chromosomes: tuple[str, ...] | None = None

    @classmethod
    def from_config(cls, mapping: dict[str, Any]) -> WindowSettings:
        chosen = mapping.get("chromosomes")
        values = {k: v for k, v in mapping.items() if k != "chromosomes"}
        return cls(**values, chromosomes=tuple(str(c) for c in chosen) if chosen else None)

    @property
    def flank(self) -> int:
        """Bases between a window's start and its central bin's."""
        return (self.length - self.bin) // 2


@dataclass
class GenomeWindows:
    """Windows in genome order: chromosome, start, text, one label column per track."""

    chrom: np.ndarray
    start: np.ndarray
    sequence: list[str]
    labels: np.ndarray  # (windows, tracks) float32
    dropped_ids: dict[str, list[str]] = field(default_factory=dict)


# --- Chromosomes and bins ------------------------------------------------------------------


def chosen_chromosomes(names: ChromosomeNames, settings: WindowSettings) -> list[str]:
    """The genome's chromosomes windows are placed on, in its order: `windows.chromosomes`
    read in any naming style, else all."""
    if not settings.chromosomes:
        return list(names.names)
    reconciled = names.reconcile(settings.chromosomes)
    for name in settings.chromosomes:
        if name in reconciled.problems:
            raise InputError(f"windows.chromosomes: {reconciled.problems[name]}")
    chosen = set(reconciled.mapping.values())
    return [name for name in names.names if name in chosen]


def _window_ids(chrom: str, starts: np.ndarray, length: int) -> list[str]:
    return [f"{chrom}:{start}-{start + length}" for start in starts.tolist()]


def _covered_bins(
    bin_starts: np.ndarray, width: int, starts: np.ndarray, ends: np.ndarray, share: float
) -> np.ndarray:
    """Whether each bin [b, b + width) (starts sorted) is overlapped by an interval by at least
    `share` of the shorter of the two (any overlap when 0). For one interval that holds for
    bin starts in [start - width + t, end - t], t the bases needed: a range of sorted bins,
    marked through a difference array."""
    need = np.maximum(1, np.ceil(share * np.minimum(ends - starts, width))).astype(np.int64)
    low = np.searchsorted(bin_starts, starts - width + need, side="left")
    high = np.searchsorted(bin_starts, ends - need, side="right")
    keep = high > low
    size = len(bin_starts) + 1
    marks = np.bincount(low[keep], minlength=size) - np.bincount(high[keep], minlength=size)
    return np.cumsum(marks[:-1]) > 0


def _peak_starts(starts: np.ndarray, ends: np.ndarray, settings: WindowSettings) -> np.ndarray:
    """Window starts around the union of intervals (Basset): intervals closer than a bin are
    merged, and each merged stretch gets as many windows as its bins, their central bins
    tiling it from its middle."""
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    reach = np.maximum.accumulate(ends)
    new = np.ones(len(starts), dtype=bool)
    new[1:] = starts[1:] - reach[:-1] >= settings.bin
    first = np.flatnonzero(new)
    last = np.append(first[1:], len(starts)) - 1
    left, right = starts[first], reach[last]
    pieces = np.maximum(1, -(-(right - left) // settings.bin))
    origin = (left + right) // 2 - pieces * settings.bin // 2
    offsets = np.arange(pieces.sum()) - np.repeat(np.cumsum(pieces) - pieces, pieces)
    return np.repeat(origin, pieces) + offsets * settings.bin - settings.flank


def _unknown_share(seq: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    counts = np.concatenate([[0], np.cumsum(NOT_ACGT[seq], dtype=np.int64)])
    return (counts[starts + length] - counts[starts]) / length


@dataclass
class _Placed:
    """One chromosome's candidate windows after the checks every window passes."""

    starts: np.ndarray
    dropped: dict[str, list[str]] = field(default_factory=dict)


def _place(
    chrom: str,
    seq: np.ndarray,
    starts: np.ndarray,
    settings: WindowSettings,
    excluded: np.ndarray,
) -> _Placed:
    """Windows off the chromosome and those with too many unknown letters dropped (counted),
    those overlapping an excluded region left out."""
    length = settings.length
    dropped: dict[str, list[str]] = {}
    off = (starts < 0) | (starts + length > len(seq))
    if off.any():
        dropped["windows reaching past a chromosome end"] = _window_ids(chrom, starts[off], length)
    starts = np.unique(starts[~off])
    starts = starts[~overlapping(starts, length, excluded)]
    unknown = _unknown_share(seq, starts, length) > settings.max_unknown
    if unknown.any():
        reason = (
            f"windows with more than {settings.max_unknown:g} unknown letters (N; "
            "windows.max_unknown)"
        )
        dropped[reason] = _window_ids(chrom, starts[unknown], length)
    return _Placed(starts[~unknown], dropped)


def _tiles(size: int, settings: WindowSettings) -> np.ndarray:
    return np.arange(0, max(size - settings.length + 1, 0), settings.stride, dtype=np.int64)


# --- Interval tracks -------------------------------------------------------------------------


def read_interval_tracks(
    tracks: dict[str, Path],
    genome: pyfaidx.Fasta,
    genome_path: Path,
    names: ChromosomeNames,
    chosen: list[str],
) -> dict[str, pd.DataFrame]:
    """Each track's intervals on the chosen chromosomes, named as the genome's. A name no
    chromosome matches, an interval past its chromosome's end or a track with no interval
    stops naming the file (and line)."""
    out = {}
    for track, path in tracks.items():
        intervals = reconcile_chromosomes(read_intervals(path), names, path, ALIASES_KEY)
        sizes = chromosome_sizes(intervals, genome, genome_path, path)
        check_bounds(intervals, intervals["start"].to_numpy(np.int64), sizes, 0, genome_path, path)
        intervals = intervals[intervals["chrom"].isin(chosen)]
        if intervals.empty:
            raise InputError(
                f"{path}: has no intervals on the chosen chromosomes "
                f"({shown(chosen)}; windows.chromosomes)"
            )
        out[track] = intervals
    return out


def _on(intervals: pd.DataFrame, chrom: str) -> tuple[np.ndarray, np.ndarray]:
    mine = intervals[intervals["chrom"] == chrom]
    return mine["start"].to_numpy(np.int64), mine["end"].to_numpy(np.int64)


def _interval_labels(
    chrom: str, starts: np.ndarray, tracks: dict[str, pd.DataFrame], settings: WindowSettings
) -> np.ndarray:
    """(windows, tracks) 0/1 labels of sorted window starts."""
    bins = starts + settings.flank
    labels = np.zeros((len(starts), len(tracks)), dtype=np.float32)
    for k, intervals in enumerate(tracks.values()):
        begin, end = _on(intervals, chrom)
        labels[:, k] = _covered_bins(bins, settings.bin, begin, end, settings.min_overlap)
    return labels


def _background_pool(
    chrom: str,
    seq: np.ndarray,
    union: tuple[np.ndarray, np.ndarray],
    settings: WindowSettings,
    excluded: np.ndarray,
) -> np.ndarray:
    """Tiles whose central bin no interval of any track touches, clean and not excluded."""
    placed = _place(chrom, seq, _tiles(len(seq), settings), settings, excluded)
    touched = _covered_bins(placed.starts + settings.flank, settings.bin, *union, 0.0)
    return placed.starts[~touched]


def _add_dropped(dropped: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    """Add one chromosome's dropped window ids, by reason, to those of the chromosomes before."""
    for reason, ids in more.items():
        dropped[reason] = [*dropped.get(reason, []), *ids]


def _background_count(peaks: int, pool: int, share: float | None) -> int:
    """Background windows making up `share` of all (all of the pool for None or 1)."""
    if share is None or share >= 1:
        return pool
    wanted = round(peaks * share / (1 - share))
    if wanted > pool:
        log.warning("only %d background windows to draw, %d wanted", pool, wanted)
    return min(wanted, pool)


def _peak_windows(
    genome: pyfaidx.Fasta,
    chosen: list[str],
    tracks: dict[str, pd.DataFrame],
    settings: WindowSettings,
    excluded: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Starts per chromosome of `peaks` placement: windows around the union of the tracks'
    intervals, and background tiles drawn at random (seeded) from every chromosome."""
    peaks: dict[str, np.ndarray] = {}
    pools: dict[str, np.ndarray] = {}
    dropped: dict[str, list[str]] = {}
    for chrom in chosen:
        seq = chromosome_bytes(genome, chrom)
        spans = [_on(intervals, chrom) for intervals in tracks.values()]
        union = tuple(np.concatenate(parts) for parts in zip(*spans, strict=True))
        blocked = excluded.get(chrom, np.empty((0, 2), np.int64))
        placed = _place(chrom, seq, _peak_starts(*union, settings), settings, blocked)
        _add_dropped(dropped, placed.dropped)
        peaks[chrom] = placed.starts
        pools[chrom] = _background_pool(chrom, seq, union, settings, blocked)
    sizes = np.array([len(pool) for pool in pools.values()], dtype=np.int64)
    total_peaks = sum(len(starts) for starts in peaks.values())
    count = _background_count(total_peaks, int(sizes.sum()), settings.background)
    drawn = np.random.default_rng(settings.seed).choice(int(sizes.sum()), count, replace=False)
    owner = np.searchsorted(np.cumsum(sizes), drawn, side="right")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    for k, chrom in enumerate(pools):
        picked = pools[chrom][np.sort(drawn[owner == k] - offsets[k])]
        peaks[chrom] = np.union1d(peaks[chrom], picked)
    return peaks, dropped


def _tile_windows(
    genome: pyfaidx.Fasta,
    chosen: list[str],
    tracks: dict[str, pd.DataFrame],
    settings: WindowSettings,
    excluded: dict[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Starts per chromosome of `tiles` placement: every window with a positive bin, and of
    the all-negative ones each with probability `background` (all for None or 1)."""
    rng = np.random.default_rng(settings.seed)
    out: dict[str, np.ndarray] = {}
    dropped: dict[str, list[str]] = {}
    for chrom in chosen:
        seq = chromosome_bytes(genome, chrom)
        blocked = excluded.get(chrom, np.empty((0, 2), np.int64))
        placed = _place(chrom, seq, _tiles(len(seq), settings), settings, blocked)
        _add_dropped(dropped, placed.dropped)
        keep = np.ones(len(placed.starts), dtype=bool)
        if settings.background is not None and settings.background < 1:
            positive = _interval_labels(chrom, placed.starts, tracks, settings).any(axis=1)
            keep = positive | (rng.random(len(keep)) < settings.background)
        out[chrom] = placed.starts[keep]
    return out, dropped


def interval_track_windows(
    genome_path: Path,
    tracks: dict[str, Path],
    settings: WindowSettings,
    exclude: Path | None = None,
    aliases: AliasTable | None = None,
) -> GenomeWindows:
    """Windows on the genome labelled 0/1 per interval track (see the module)."""
    genome = genome_index(genome_path)
    names = ChromosomeNames(genome.keys(), str(genome_path), aliases)
    chosen = chosen_chromosomes(names, settings)
    intervals = read_interval_tracks(tracks, genome, genome_path, names, chosen)
    excluded = _excluded(exclude, names)
    place = _peak_windows if settings.placement == "peaks" else _tile_windows
    starts, dropped = place(genome, chosen, intervals, settings, excluded)

    def labels(chrom: str, seq: np.ndarray, mine: np.ndarray) -> np.ndarray:
        return _interval_labels(chrom, mine, intervals, settings)

    return _assemble(genome, starts, settings, labels, dropped, len(tracks))


# --- bigWig tracks ---------------------------------------------------------------------------


def _open_bigwig(path: Path) -> Any:
    import pyBigWig

    try:
        handle = pyBigWig.open(str(path))
    except RuntimeError:
        handle = None
    if handle is None or not handle.isBigWig():
        raise InputError(f"{path}: not a bigWig file (pyBigWig cannot open it)")
    return handle


@dataclass
class _BigWig:
    path: Path
    handle: Any
    names: dict[str, str]  # genome chromosome -> the file's own name


def _bigwig_track(path: Path, names: ChromosomeNames, chosen: list[str]) -> _BigWig:
    """A bigWig file with its chromosomes read as the genome's; one the windows cover but the
    file lacks stops naming the file, the chromosome and windows.chromosomes."""
    handle = _open_bigwig(path)
    own = handle.chroms()
    reconciled = names.reconcile(own)
    log_mapping(path, reconciled, names)
    to_file = {genome: name for name, genome in reconciled.mapping.items()}
    for chrom in chosen:
        if chrom not in to_file:
            raise InputError(
                f"{path}: no chromosome {chrom} (it holds {shown(list(own))}), and "
                "windows cover it: set windows.chromosomes to the ones it "
                "covers"
            )
    return _BigWig(path, handle, to_file)


def _bin_signal(
    track: _BigWig, chrom: str, size: int, bins: np.ndarray, width: int, signal: str
) -> np.ndarray:
    """The track's signal over each bin: one read of the chromosome, no data read as 0."""
    name = track.names[chrom]
    length = track.handle.chroms(name)
    if length != size:
        raise InputError(
            f"{track.path}: {name} is {length} bp, {size} bp in the genome: is the "
            "file for another assembly?"
        )
    values = np.nan_to_num(track.handle.values(name, 0, size, numpy=True), nan=0.0)
    sums = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    total = sums[bins + width] - sums[bins]
    if signal == "mean":
        return total / width
    if (total < 0).any():
        raise InputError(
            f"{track.path}: {name} holds negative coverage, which log1p_sum cannot "
            "read: use signal: mean"
        )
    return np.log1p(total)


def bigwig_track_windows(
    genome_path: Path,
    tracks: dict[str, Path],
    settings: WindowSettings,
    signal: str,
    exclude: Path | None = None,
    aliases: AliasTable | None = None,
) -> GenomeWindows:
    """Tiled windows on the genome valued per bigWig track by their central bin's `signal`
    (`mean`, or `log1p_sum`); every tile is kept."""
    if settings.placement != "tiles":
        raise InputError("windows.placement: bigWig tracks are read on tiles, not peaks")
    genome = genome_index(genome_path)
    names = ChromosomeNames(genome.keys(), str(genome_path), aliases)
    chosen = chosen_chromosomes(names, settings)
    opened = [_bigwig_track(path, names, chosen) for path in tracks.values()]
    excluded = _excluded(exclude, names)
    starts, dropped = {}, {}
    for chrom in chosen:
        seq = chromosome_bytes(genome, chrom)
        blocked = excluded.get(chrom, np.empty((0, 2), np.int64))
        placed = _place(chrom, seq, _tiles(len(seq), settings), settings, blocked)
        starts[chrom] = placed.starts
        _add_dropped(dropped, placed.dropped)

    def labels(chrom: str, seq: np.ndarray, mine: np.ndarray) -> np.ndarray:
        bins = mine + settings.flank
        columns = [_bin_signal(t, chrom, len(seq), bins, settings.bin, signal) for t in opened]
        return np.stack(columns, axis=1).astype(np.float32).reshape(len(mine), len(opened))

    return _assemble(genome, starts, settings, labels, dropped, len(tracks))


# --- Both --------------------------------------------------------------------------------------


def _excluded(path: Path | None, names: ChromosomeNames) -> dict[str, np.ndarray]:
    """Chromosome -> (k, 2) excluded regions sorted by start (`exclude`)."""
    if path is None:
        return {}
    regions = reconcile_chromosomes(read_intervals(path), names, path, ALIASES_KEY)
    regions = regions.sort_values("start", kind="stable")
    return {
        str(chrom): part[["start", "end"]].to_numpy(np.int64)
        for chrom, part in regions.groupby("chrom", sort=False)
    }


def _assemble(
    genome: pyfaidx.Fasta,
    starts: dict[str, np.ndarray],
    settings: WindowSettings,
    labels: Any,
    dropped: dict[str, list[str]],
    n_tracks: int,
) -> GenomeWindows:
    """Each chromosome read once more: its windows' text and labels, in genome order."""
    chroms, positions, texts, values = [], [], [], []
    for chrom, mine in starts.items():
        if not len(mine):
            continue
        seq = chromosome_bytes(genome, chrom)
        view = np.lib.stride_tricks.sliding_window_view(seq, settings.length)
        chroms.append(np.full(len(mine), chrom, dtype=object))
        positions.append(mine)
        texts.extend(byte_rows_to_strings(view[mine]))
        values.append(labels(chrom, seq, mine))
    if not positions:
        raise InputError(
            "windows: no window left on the chosen chromosomes (windows.length, "
            "windows.max_unknown, exclude)"
        )
    log.info("%d windows of %d nt on %d chromosome(s)", len(texts), settings.length, len(chroms))
    return GenomeWindows(
        np.concatenate(chroms),
        np.concatenate(positions),
        texts,
        np.concatenate(values).reshape(-1, n_tracks),
        dropped,
    )
