"""BED / narrowPeak intervals -> genome windows, checked against plain string slicing of a
generated genome (soft-masked lower case and N runs included), and every error's message."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlgenomics import InputError
from dlgenomics.data import intervals
from dlgenomics.data.intervals import (
    WINDOW_COLUMNS,
    genome_background,
    genome_index,
    interval_windows,
    read_intervals,
)

LINE_WIDTH = 60
SIZES = {"chr1": 30_000, "chr2": 20_001, "chrM": 500}
BLOCK = 2_000  # the generated genome alternates GC-rich and AT-rich blocks of this many bp
RICH, POOR = 0.70, 0.35  # their GC fractions


def random_chromosome(rng: np.random.Generator, size: int) -> str:
    """Blocks of alternating GC content, every third block soft-masked, an N run near the
    start and one in the middle, as in an assembled chromosome."""
    gc = np.where((np.arange(size) // BLOCK) % 2 == 0, RICH, POOR)
    strong = rng.random(size) < gc
    pick = rng.random(size) < 0.5
    bases = np.where(strong, np.where(pick, "G", "C"), np.where(pick, "A", "T"))
    masked = (np.arange(size) // BLOCK) % 3 == 1
    bases[masked] = np.char.lower(bases[masked])
    bases[:100] = "N"
    bases[size // 2 : size // 2 + 150] = "N"
    return "".join(bases)


def write_fasta(path: Path, sequences: dict[str, str], width: int = LINE_WIDTH) -> None:
    lines = []
    for name, seq in sequences.items():
        lines.append(f">{name} generated")
        lines += [seq[k : k + width] for k in range(0, len(seq), width)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def genome(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    rng = np.random.default_rng(7)
    sequences = {name: random_chromosome(rng, size) for name, size in SIZES.items()}
    path = tmp_path / "genome" / "genome.fa"
    path.parent.mkdir()
    write_fasta(path, sequences)
    return path, sequences


def reverse_complement(seq: str) -> str:
    return seq[::-1].translate(str.maketrans("ACGTN", "TGCAN"))


def expected(sequences: dict[str, str], chrom: str, start: int, length: int, strand: str) -> str:
    window = sequences[chrom][start : start + length].upper()
    return reverse_complement(window) if strand == "-" else window


def write_bed(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


NARROWPEAK = (
    "track type=narrowPeak name=test\n"
    "browser position chr1:1-1000\n"
    "# a comment\n"
    "\n"
    "chr1\t1000\t1400\tpeakA\t50\t+\t5.1\t-1\t-1\t120\n"
    "chr1\t2900\t3300\tpeakB\t50\t-\t5.1\t-1\t-1\t7\n"
    "chr2\t4000\t4301\tpeakC\t50\t.\t5.1\t-1\t-1\t-1\n"
    "chr2\t9990\t10011\t.\t50\t-\t5.1\t-1\t-1\t-1\n"
)


# --- read_intervals ----------------------------------------------------------------------------


def test_narrowpeak_columns_lines_names_and_summits(tmp_path: Path):
    frame = read_intervals(write_bed(tmp_path / "peaks.narrowPeak", NARROWPEAK))
    assert list(frame.columns) == ["chrom", "start", "end", "name", "strand", "summit", "line"]
    assert frame["line"].tolist() == [5, 6, 7, 8]  # 1-based, track/browser/#/blank counted
    assert frame["name"].tolist() == ["peakA", "peakB", "peakC", "chr2:9990-10011"]
    assert frame["strand"].tolist() == ["+", "-", ".", "-"]
    assert frame["summit"].tolist() == [1120, 2907, -1, -1]
    assert frame["start"].dtype == np.int64 and frame["end"].dtype == np.int64


def test_bed3_and_bed6_have_no_summit_and_default_strand(tmp_path: Path):
    text = "chr1\t10\t20\nchr1 30 45 spaced 0 -\r\nchr2\t5\t9\tx\t0\t+\textra\n"
    frame = read_intervals(write_bed(tmp_path / "plain.bed", text))
    assert frame[["start", "end"]].to_numpy().tolist() == [[10, 20], [30, 45], [5, 9]]
    assert frame["name"].tolist() == ["chr1:10-20", "spaced", "x"]
    assert frame["strand"].tolist() == [".", "-", "+"]
    assert frame["summit"].tolist() == [-1, -1, -1]


def test_gzip_is_told_by_its_bytes_not_its_name(tmp_path: Path):
    plain = read_intervals(write_bed(tmp_path / "peaks.narrowPeak", NARROWPEAK))
    hidden = tmp_path / "peaks.bed"  # gzip content without a .gz name
    hidden.write_bytes(gzip.compress(NARROWPEAK.encode()))
    pd.testing.assert_frame_equal(read_intervals(hidden), plain)
    named = write_bed(tmp_path / "not_really.bed.gz", NARROWPEAK)  # .gz name, plain text
    pd.testing.assert_frame_equal(read_intervals(named), plain)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("chr1\t10\t20\nchr1\t10\n", 2, "2 column(s)"),
        ("# header\nchr1\tten\t20\n", 2, "start 'ten' is not an integer"),
        ("chr1\t1.5\t20\n", 1, "start '1.5' is not an integer"),
        ("chr1\t10\t2e3\n", 1, "end '2e3' is not an integer"),
        ("chr1\t10\t20\nchr1\t-5\t20\n", 2, "start -5 is negative"),
        ("chr1\t30\t20\n", 1, "end 20 is not after start 30"),
        ("chr1\t30\t30\n", 1, "end 30 is not after start 30"),
        ("chr1\t10\t20\tx\t0\t*\n", 1, "strand '*' is not +, - or ."),
        ("chr1\t10\t20\tx\t0\t+\t1\t-1\t-1\t10\n", 1, "summit offset 10 is outside"),
        ("chr1\t10\t20\tx\t0\t+\t1\t-1\t-1\t-3\n", 1, "summit offset -3 is outside"),
        ("chr1\t10\t20\tx\t0\t+\t1\t-1\t-1\tmid\n", 1, "summit offset (column 10) 'mid'"),
    ],
)
def test_bad_interval_names_file_and_line(tmp_path: Path, text: str, line: int, fragment: str):
    path = write_bed(tmp_path / "peaks.bed", text)
    with pytest.raises(InputError) as error:
        read_intervals(path)
    message = str(error.value)
    assert message.startswith(f"{path}: line {line}: "), message
    assert fragment in message
    assert "\n" not in message


@pytest.mark.parametrize("text", ["", "track name=empty\n# nothing here\n\n"])
def test_no_intervals(tmp_path: Path, text: str):
    path = write_bed(tmp_path / "empty.bed", text)
    with pytest.raises(InputError, match=r"no intervals") as error:
        read_intervals(path)
    assert str(error.value).startswith(f"{path}: ")


# --- genome_index ------------------------------------------------------------------------------


def test_genome_index_builds_the_fai_beside_the_fasta(genome):
    path, sequences = genome
    fasta = genome_index(path)
    assert path.with_name("genome.fa.fai").is_file()
    assert {record.name: len(record) for record in fasta} == SIZES
    assert str(fasta["chr2"][100:130]) == sequences["chr2"][100:130]
    assert len(genome_index(path)["chrM"]) == SIZES["chrM"]  # the existing index, reused


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes into a read-only folder anyway, so the unwritable case cannot arise",
)
def test_unwritable_folder_without_index_says_how_to_fix_it(genome):
    path, _ = genome
    path.parent.chmod(0o555)
    try:
        with pytest.raises(InputError) as error:
            genome_index(path)
    finally:
        path.parent.chmod(0o755)
    message = str(error.value)
    assert message.startswith(f"{path}: ")
    assert "samtools faidx" in message and "writable" in message


def test_unwritable_folder_blocks_only_a_missing_or_stale_index(genome, monkeypatch):
    """The decision, checked as root too (CI runs as root, where the test above skips): the
    folder taken as unwritable, a missing or stale index is an error and a current one is used."""
    path, _ = genome
    monkeypatch.setattr(intervals, "_writable", lambda folder: False)
    with pytest.raises(InputError, match=r"samtools faidx .* or make .* writable"):
        genome_index(path)
    monkeypatch.undo()
    genome_index(path)  # builds the index
    monkeypatch.setattr(intervals, "_writable", lambda folder: False)
    assert len(genome_index(path)["chr1"]) == SIZES["chr1"]
    fai = Path(f"{path}.fai")
    os.utime(fai, (fai.stat().st_atime, path.stat().st_mtime - 10))  # older than the FASTA
    with pytest.raises(InputError, match=r"no up-to-date FASTA index"):
        genome_index(path)


def test_bgzip_genome_gives_the_same_windows(genome, tmp_path: Path):
    bgzf = pytest.importorskip(
        "Bio.bgzf", reason="pyfaidx reads bgzip FASTA through Biopython, not installed here"
    )
    path, sequences = genome
    packed = tmp_path / "genome.fa.gz"
    with bgzf.BgzfWriter(str(packed), "wb") as handle:
        handle.write(path.read_bytes())
    bed = read_intervals(write_bed(tmp_path / "peaks.narrowPeak", NARROWPEAK))
    plain = interval_windows(bed, genome_index(path), path, tmp_path / "p", 101)
    packed_windows = interval_windows(bed, genome_index(packed), packed, tmp_path / "p", 101)
    pd.testing.assert_frame_equal(packed_windows, plain)
    assert plain["sequence"].iloc[0] == expected(sequences, "chr1", 1120 - 50, 101, "+")
    misnamed = tmp_path / "genome_bgzip.fa"
    misnamed.write_bytes(packed.read_bytes())
    with pytest.raises(InputError, match=r"bgzip-compressed, but .* rename it"):
        genome_index(misnamed)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "empty file"),
        (b"ACGTACGT\nACGT\n", "not a FASTA file (it starts with 'A', not '>')"),
        (b"\n\n  chr1 10 20\n", "not a FASTA file (it starts with 'c', not '>')"),
        (gzip.compress(b">chr1\nACGT\n"), "compress with bgzip, not gzip"),
    ],
)
def test_bad_genome_file_is_one_line_naming_it(tmp_path: Path, content: bytes, fragment: str):
    path = tmp_path / "genome.fa"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        genome_index(path)
    message = str(error.value)
    assert message.startswith(f"{path}: ") and fragment in message, message
    assert "\n" not in message


def test_inconsistent_fasta_lines_are_one_input_error(tmp_path: Path):
    path = tmp_path / "ragged.fa"
    path.write_text(">chr1\nACGTACGT\nACG\nACGTACGT\n")
    with pytest.raises(InputError, match=r"cannot index it as a FASTA file") as error:
        genome_index(path)
    assert str(error.value).startswith(f"{path}: ") and "\n" not in str(error.value)


# --- interval_windows --------------------------------------------------------------------------


@pytest.mark.parametrize("length", [100, 101])
@pytest.mark.parametrize("anchor", ["summit", "midpoint"])
def test_windows_equal_string_slices(genome, tmp_path: Path, anchor: str, length: int):
    path, sequences = genome
    bed_path = write_bed(tmp_path / "peaks.narrowPeak", NARROWPEAK)
    bed = read_intervals(bed_path)
    windows = interval_windows(bed, genome_index(path), path, bed_path, length, anchor)
    assert list(windows.columns) == WINDOW_COLUMNS
    for interval, window in zip(bed.itertuples(), windows.itertuples(), strict=True):
        centre = (interval.start + interval.end) // 2
        if anchor == "summit" and interval.summit >= 0:
            centre = interval.summit
        start = centre - length // 2
        assert (window.chrom, window.start, window.end) == (interval.chrom, start, start + length)
        assert window.sequence == expected(sequences, interval.chrom, start, length, window.strand)
        assert window.line == interval.line
    assert windows["sequence"].str.len().eq(length).all()
    assert not windows["sequence"].str.contains("[acgtn]").any()  # soft-masking lifted
    assert windows["row_id"].tolist() == bed["name"].tolist()


def test_centre_is_the_summit_base(genome, tmp_path: Path):
    """Odd length: the summit is the middle base; even: the right-hand of the two middle ones
    on the genome (so on a '-' interval, after reverse complement, the left-hand one)."""
    path, sequences = genome
    bed_path = write_bed(tmp_path / "peaks.narrowPeak", NARROWPEAK)
    bed = read_intervals(bed_path)
    fasta = genome_index(path)
    for length in (11, 10):
        windows = interval_windows(bed.iloc[:2], fasta, path, bed_path, length)
        summit_a = sequences["chr1"][1120].upper()
        assert windows["sequence"].iloc[0][length // 2] == summit_a
        summit_b = reverse_complement(sequences["chr1"][2907].upper())
        assert windows["sequence"].iloc[1][length - 1 - length // 2] == summit_b


@pytest.mark.parametrize(("start", "end"), [(5000, 5400), (5000, 5401)])
def test_a_window_as_long_as_its_interval_is_the_interval(genome, tmp_path, start, end):
    path, sequences = genome
    bed_path = write_bed(tmp_path / "one.bed", f"chr1\t{start}\t{end}\tx\t0\t-\n")
    windows = interval_windows(
        read_intervals(bed_path), genome_index(path), path, bed_path, end - start, "midpoint"
    )
    assert (windows["start"].iloc[0], windows["end"].iloc[0]) == (start, end)
    assert windows["sequence"].iloc[0] == reverse_complement(sequences["chr1"][start:end].upper())


def test_repeated_names_are_told_apart(genome, tmp_path: Path):
    path, _ = genome
    text = "chr1\t1000\t1100\tp\nchr1\t2000\t2100\tq\nchr2\t1000\t1100\tp\nchr2\t3000\t3100\tp\n"
    bed_path = write_bed(tmp_path / "repeats.bed", text)
    windows = interval_windows(read_intervals(bed_path), genome_index(path), path, bed_path, 50)
    assert windows["row_id"].tolist() == ["p", "q", "p#2", "p#3"]


@pytest.mark.parametrize(
    ("text", "line", "fragments"),
    [
        (
            "chr1\t1000\t1100\nchrX\t10\t200\n",
            2,
            ["chromosome 'chrX' is not in", "3 sequences: chr1, chr2, chrM"],
        ),
        ("1\t1000\t1100\n", 1, ["chromosome '1' is not in", "it has 'chr1'"]),
        (
            "chr1\t1000\t1100\nchrM\t440\t490\n",
            2,
            ["window chrM:415-515", "ends past the end of chrM (500 bp in"],
        ),
        ("chr2\t20\t60\n", 1, ["window chr2:-10-90", "starts before 0"]),
    ],
)
def test_window_errors_name_the_line(genome, tmp_path: Path, text, line, fragments):
    path, _ = genome
    bed_path = write_bed(tmp_path / "peaks.bed", text)
    with pytest.raises(InputError) as error:
        interval_windows(read_intervals(bed_path), genome_index(path), path, bed_path, 100)
    message = str(error.value)
    assert message.startswith(f"{bed_path}: line {line}: "), message
    assert all(fragment in message for fragment in fragments), message
    assert "\n" not in message


# --- genome_background -------------------------------------------------------------------------


def gc_fraction(sequences: pd.Series) -> np.ndarray:
    upper = sequences.str.upper()
    return ((upper.str.count("G") + upper.str.count("C")) / upper.str.len()).to_numpy()


@pytest.fixture
def positives(genome, tmp_path: Path) -> pd.DataFrame:
    """Windows in the GC-rich blocks, away from N, 21 on chr1 and 4 on chr2: their mean GC
    (about 0.70) is far from the genome's (about 0.52), so matching it takes work."""
    path, _ = genome
    rich = [s for s in range(0, 30_000, 2 * BLOCK) if s > 0]
    lines = [f"chr1\t{s + o}\t{s + o + 100}" for s in rich for o in (300, 1000, 1500)]
    lines += [f"chr2\t{s + 800}\t{s + 900}" for s in rich if s + 900 < 20_000]
    bed_path = write_bed(tmp_path / "positives.bed", "\n".join(lines) + "\n")
    return interval_windows(read_intervals(bed_path), genome_index(path), path, bed_path, 200)


def test_background_is_gc_matched_clear_of_positives_and_n(genome, positives: pd.DataFrame):
    path, sequences = genome
    background = genome_background(genome_index(path), positives, 120, 200, seed=3)
    assert list(background.columns) == WINDOW_COLUMNS
    assert len(background) == 120
    assert background["row_id"].tolist() == [f"background_{k}" for k in range(120)]
    assert (background["strand"] == "+").all() and (background["line"] == -1).all()
    assert background["sequence"].str.fullmatch("[ACGT]{200}").all()
    assert not background.duplicated(["chrom", "start"]).any()
    for window in background.itertuples():
        assert window.sequence == sequences[window.chrom][window.start : window.end].upper()
        mine = positives[positives["chrom"] == window.chrom]
        assert not ((mine["start"] < window.end) & (mine["end"] > window.start)).any()
    target = gc_fraction(positives["sequence"]).mean()
    assert target > 0.6  # far from the genome's GC: matching it is not for free
    assert abs(gc_fraction(background["sequence"]).mean() - target) < 0.03
    share = positives["chrom"].value_counts(normalize=True)
    drawn = background["chrom"].value_counts(normalize=True)
    assert set(drawn.index) <= set(share.index)
    assert np.allclose(drawn.reindex(share.index, fill_value=0), share, atol=0.05)


def test_background_is_deterministic_for_a_seed(genome, positives: pd.DataFrame):
    path, _ = genome
    fasta = genome_index(path)
    first = genome_background(fasta, positives, 40, 150, seed=11)
    pd.testing.assert_frame_equal(first, genome_background(fasta, positives, 40, 150, seed=11))
    other = genome_background(fasta, positives, 40, 150, seed=12)
    assert not first["start"].equals(other["start"])


def test_background_says_when_a_chromosome_is_too_small(genome, tmp_path: Path):
    path, _ = genome
    bed_path = write_bed(tmp_path / "m.bed", "chrM\t200\t300\n")
    fasta = genome_index(path)
    positives = interval_windows(read_intervals(bed_path), fasta, path, bed_path, 100)
    with pytest.raises(InputError, match=r"only \d+ of 50 background windows .* on chrM"):
        genome_background(fasta, positives, 50, 100, seed=0)
