"""Interval windows throughput: read_intervals + interval_windows on a generated 50 Mb genome
(4 chromosomes) and 100,000 narrowPeak intervals, windows of 1,000 bp.

The target (from the issue): well under 30 s and under 2 GB of memory, which rules out one
pyfaidx call per interval. Not a test: timings on a shared machine vary, so it is run by hand.
The files are generated in a temporary folder (removed afterwards); the timed part then runs
in a fresh child process, so its peak RSS is the reader's, not the generator's.

    python bench/encode_intervals.py [--genome-mb 50] [--intervals 100000] [--length 1000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

CHROMOSOMES = 4
LINE_WIDTH = 60


def write_genome(path: Path, size: int, rng: np.random.Generator) -> dict[str, int]:
    """CHROMOSOMES random chromosomes of size // CHROMOSOMES bp, 60 bp lines, a tenth of each
    soft-masked; one chromosome in memory at a time."""
    sizes = {f"chr{k + 1}": size // CHROMOSOMES for k in range(CHROMOSOMES)}
    letters = np.frombuffer(b"ACGTacgt", dtype=np.uint8)
    with path.open("wb") as handle:
        for name, length in sizes.items():
            codes = rng.integers(0, 4, size=length, dtype=np.uint8)
            codes[: length // 10] += 4  # soft-masked
            seq = letters[codes].tobytes()
            lines = [seq[k : k + LINE_WIDTH] for k in range(0, length, LINE_WIDTH)]
            handle.write(f">{name}\n".encode() + b"\n".join(lines) + b"\n")
    return sizes


def write_peaks(
    path: Path, sizes: dict[str, int], n: int, length: int, rng: np.random.Generator
) -> None:
    """n narrowPeak lines, 200-600 bp, summit inside, both strands, far enough from the ends
    for a `length` bp window."""
    names = np.array(list(sizes))
    chrom = names[rng.integers(0, len(names), size=n)]
    ends = np.array([sizes[c] for c in chrom])
    width = rng.integers(200, 601, size=n)
    start = rng.integers(length, ends - length - 600)
    summit = rng.integers(0, width)
    strand = np.array(["+", "-"])[rng.integers(0, 2, size=n)]
    with path.open("w") as handle:
        handle.write("track type=narrowPeak name=bench\n")
        for k in range(n):
            handle.write(
                f"{chrom[k]}\t{start[k]}\t{start[k] + width[k]}\tpeak{k}\t0\t{strand[k]}"
                f"\t1.0\t-1\t-1\t{summit[k]}\n"
            )


def measure(genome_path: Path, peaks_path: Path, length: int) -> dict[str, float]:
    """Run in the child: the index build, then read + windows, each timed; peak RSS."""
    from dlgenomics.data.intervals import genome_index, interval_windows, read_intervals

    started = time.perf_counter()
    genome = genome_index(genome_path)
    index_s = time.perf_counter() - started
    started = time.perf_counter()
    intervals = read_intervals(peaks_path)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    windows = interval_windows(intervals, genome, genome_path, peaks_path, length)
    windows_s = time.perf_counter() - started
    assert len(windows) == len(intervals) and windows["sequence"].str.len().eq(length).all()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "index_s": index_s,
        "read_intervals_s": read_s,
        "interval_windows_s": windows_s,
        "peak_rss_mb": peak_kb / 1024,
        "windows": len(windows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genome-mb", type=float, default=50)
    parser.add_argument("--intervals", type=int, default=100_000)
    parser.add_argument("--length", type=int, default=1_000)
    parser.add_argument("--measure", nargs=2, type=Path, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure, args.length)))
        return
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="encode_intervals.") as scratch:
        genome_path, peaks_path = Path(scratch) / "genome.fa", Path(scratch) / "peaks.narrowPeak"
        started = time.perf_counter()
        sizes = write_genome(genome_path, int(args.genome_mb * 1e6), rng)
        write_peaks(peaks_path, sizes, args.intervals, args.length, rng)
        seconds = time.perf_counter() - started
        print(
            f"generated {sum(sizes.values()):,} bp, {args.intervals:,} intervals: {seconds:.1f} s"
        )
        child = [sys.executable, __file__, "--length", str(args.length), "--measure"]
        out = subprocess.run(
            [*child, str(genome_path), str(peaks_path)], check=True, capture_output=True, text=True
        )
    result = json.loads(out.stdout)
    total = result["read_intervals_s"] + result["interval_windows_s"]
    print(f"genome_index (builds the .fai): {result['index_s']:.2f} s")
    print(f"read_intervals:                 {result['read_intervals_s']:.2f} s")
    print(f"interval_windows ({args.length} bp):    {result['interval_windows_s']:.2f} s")
    print(f"read + windows:                 {total:.2f} s  (target: well under 30 s)")
    print(f"peak RSS (child process):       {result['peak_rss_mb']:.0f} MB  (target: < 2048 MB)")


if __name__ == "__main__":
    main()
