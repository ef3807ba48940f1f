"""Chromosome names reconciled across styles (issue 30, items 1-2): `chrI` / `chr1` / `I` and
the mitochondrion's names read as a genome's, alias tables, ambiguous and unmatched names
stopping with the file, line and name; intervals past a chromosome end; whole chromosomes held
out as the test set, checked unit by unit and once through the real CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from test_intervals import write_fasta
from test_reliability import ENCODED, error_lines, run_snakemake

from dlgenomics import InputError
from dlgenomics.data.chromosomes import AliasTable, ChromosomeNames, aliases_of
from dlgenomics.data.intervals import (
    genome_index,
    interval_windows,
    read_intervals,
    reconcile_chromosomes,
)
from dlgenomics.data.splits import chromosome_test

ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
         "XV", "XVI"]  # fmt: skip
YEAST = [f"chr{numeral}" for numeral in ROMAN]  # sacCer3 (UCSC)
HUMAN = [f"chr{n}" for n in range(1, 23)] + ["chrX", "chrY", "chrM"]


# --- Names ---------------------------------------------------------------------------------------


def test_the_three_yeast_styles_are_read_as_the_genomes():
    genome = ChromosomeNames([*YEAST, "chrM"], "sacCer3.fa")
    rossi = genome.reconcile([f"chr{n}" for n in range(1, 17)])  # the ChIP-exo peaks
    assert rossi.problems == {}
    assert rossi.mapping == dict(zip([f"chr{n}" for n in range(1, 17)], YEAST, strict=True))
    ensembl = genome.reconcile(["II", "IV", "XVI", "X", "Mito"])  # the bigWigs, SGD's chrM
    assert ensembl.mapping == {"II": "chrII", "IV": "chrIV", "XVI": "chrXVI", "X": "chrX",
                               "Mito": "chrM"}  # fmt: skip
    assert genome.reconcile(["chr01", "chromosome_4", "MT"]).mapping == {
        "chr01": "chrI", "chromosome_4": "chrIV", "MT": "chrM"
    }  # fmt: skip
    # ... and the other way round: an arabic- or Ensembl-named genome, roman files.
    arabic = ChromosomeNames([*(str(n) for n in range(1, 17)), "Mito"], "R64.fa")
    assert arabic.reconcile(["chrIV", "chrX", "chrM"]).mapping == {
        "chrIV": "4", "chrX": "10", "chrM": "Mito"
    }  # fmt: skip
    assert genome.reconcile(YEAST).renamed() == {}


def test_a_human_x_is_never_chromosome_ten():
    genome = ChromosomeNames(HUMAN, "hg38.fa")
    assert genome.reconcile(["X", "10", "MT", "1"]).mapping == {
        "X": "chrX", "10": "chr10", "MT": "chrM", "1": "chr1"
    }  # fmt: skip
    no_x = ChromosomeNames([str(n) for n in range(1, 23)], "female.fa")
    assert "X" in no_x.reconcile(["1", "X"]).problems


def test_ambiguous_names_are_problems_never_guesses():
    both = ChromosomeNames(["chrI", "chr1", "chrII"], "odd.fa")
    assert "could be any of chrI, chr1" in both.reconcile(["01"]).problems["01"]
    # chr10 would land on chrX, which the file's own chrX already is.
    clash = ChromosomeNames(YEAST, "sacCer3.fa").reconcile(["chrX", "chr10", "chr1"])
    assert clash.mapping == {"chrX": "chrX", "chr1": "chrI"}
    assert clash.problems["chr10"] == (
        "chromosome 'chr10' would be read as 'chrX' of sacCer3.fa, as 'chrX' is"
    )


def test_aliases_settle_what_the_rules_cannot(tmp_path: Path):
    genome_names = [*YEAST, "chr2micron"]
    table = AliasTable.from_mapping({"2-micron": "chr2micron", "10": "chrX"}, "input.aliases")
    reconciled = ChromosomeNames(genome_names, "g.fa", table).reconcile(["2-micron", "10"])
    assert reconciled.mapping == {"2-micron": "chr2micron", "10": "chrX"}
    path = tmp_path / "aliases.tsv"
    path.write_text("# ours\tgenome's\n2-micron\tchr2micron\n\nplasmid chr2micron\n")
    read = aliases_of("aliases.tsv", {"aliases.tsv": path}, "input.chromosome_aliases")
    assert read.targets == {"2-micron": "chr2micron", "plasmid": "chr2micron"}
    with pytest.raises(InputError) as error:
        ChromosomeNames(YEAST[:3], "g.fa", table)
    assert str(error.value) == (
        "input.aliases: '2-micron': alias target 'chr2micron' is not in g.fa (3 sequences: "
        "chrI, chrII, chrIII)"
    )
    for text, line, fragment in [
        (
            "a\tchrI\nb\tchrII\tx\n",
            2,
            "3 column(s); an alias line holds 2 (the name in your files, the genome's)",
        ),
        ("a\tchrI\n#\na\tchrII\n", 3, "'a' is already an alias of 'chrI' (" + f"{path}: line 1)"),
    ]:
        path.write_text(text)
        with pytest.raises(InputError) as error:
            AliasTable.read(path)
        assert str(error.value) == f"{path}: line {line}: {fragment}"


# --- Intervals against a genome ------------------------------------------------------------------


@pytest.fixture
def roman_genome(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    sizes = {"chrI": 3_000, "chrII": 2_500, "chrIII": 2_000, "chrIV": 1_500}
    path = tmp_path / "genome.fa"
    write_fasta(path, {name: "".join(rng.choice(list("ACGT"), n)) for name, n in sizes.items()})
    return path


def test_bed_names_are_renamed_logged_and_unmatched_ones_name_file_line_and_name(
    roman_genome: Path, tmp_path: Path, caplog
):
    bed = tmp_path / "peaks.bed"
    bed.write_text("I\t100\t200\n2\t100\t200\nchrIII\t50\t90\n")
    genome = genome_index(roman_genome)
    names = ChromosomeNames(genome.keys(), str(roman_genome))
    with caplog.at_level("INFO"):
        intervals = reconcile_chromosomes(read_intervals(bed), names, bed)
    assert intervals["chrom"].tolist() == ["chrI", "chrII", "chrIII"]
    assert f"{bed}: chromosome names read as {roman_genome}'s: I -> chrI, 2 -> chrII" in caplog.text
    windows = interval_windows(intervals, genome, roman_genome, bed, 50)
    assert windows["chrom"].tolist() == ["chrI", "chrII", "chrIII"]
    bed.write_text("# peaks\nI\t100\t200\nchrZ\t5\t10\nchrZ\t7\t9\n")
    with pytest.raises(InputError) as error:
        reconcile_chromosomes(read_intervals(bed), names, bed)
    assert str(error.value) == (
        f"{bed}: line 3: chromosome 'chrZ' is not in {roman_genome} (4 sequences: chrI, chrII, "
        "chrIII, chrIV): map it in input.chromosome_aliases"
    )


def test_an_interval_past_its_chromosome_end_names_file_and_line(roman_genome, tmp_path):
    """The window around the summit fits; the interval itself does not: another assembly's
    coordinates, which the old code read without a word."""
    bed = tmp_path / "peaks.narrowPeak"
    bed.write_text("chrIV\t100\t300\tok\t0\t.\t1\t-1\t-1\t50\n"
                   "chrIV\t1000\t1700\tlong\t0\t.\t1\t-1\t-1\t20\n")  # fmt: skip
    with pytest.raises(InputError) as error:
        interval_windows(read_intervals(bed), genome_index(roman_genome), roman_genome, bed, 40)
    assert str(error.value) == (
        f"{bed}: line 2: interval chrIV:1000-1700 ends past the end of chrIV (1500 bp in "
        f"{roman_genome}): is the file for another assembly of the genome?"
    )


def test_a_sequences_task_reads_an_alias_file_of_its_dataset(roman_genome, tmp_path):
    from test_sequence_sets import _load, _task

    (tmp_path / "peaks.bed").write_text("one\t100\t150\ta\t1\nI\t200\t250\tb\t0\n")
    (tmp_path / "aliases.tsv").write_text("one\tchrIV\n")
    source = {"format": "bed", "file": "peaks.bed", "genome": "genome.fa", "length": 40,
              "labels": [5], "chromosome_aliases": "aliases.tsv"}  # fmt: skip
    task = _task(objective="regression", input=source, split={"folds": 2, "test_fraction": 0})
    frame = _load(tmp_path, task).frames["labelled"]
    genome = genome_index(roman_genome)
    assert frame["seq_dna"].tolist() == [
        str(genome["chrIV"][105:145]),
        str(genome["chrI"][205:245]),
    ]
    with pytest.raises(
        InputError, match=r"^config: tasks\.t\.split\.test_chromosomes: needs BED input"
    ):
        table = {"format": "table", "file": "x.csv", "sequence": "s", "labels": ["y"]}
        _task(objective="regression", split={"test_chromosomes": ["chrI"]}, input=table)


# --- Test chromosomes ----------------------------------------------------------------------------


def test_test_chromosomes_are_named_in_any_style_and_checked():
    rows = np.array(["chrI", "chrII", "chrVIII", "chrIX", "chrII", "chrIX"])
    mask = chromosome_test(rows, ["chr8", "IX"])
    assert mask.tolist() == [False, False, True, True, False, True]
    assert chromosome_test(rows, [8, 9]).tolist() == mask.tolist()
    with pytest.raises(InputError) as error:
        chromosome_test(rows, ["chrIX", "chrX"])
    assert str(error.value) == (
        "split.test_chromosomes: chromosome 'chrX' is not in the task's rows (4 sequences: "
        "chrI, chrII, chrVIII, chrIX)"
    )
    with pytest.raises(InputError, match="hold every row; leave a chromosome to train on"):
        chromosome_test(rows, ["I", "II", "VIII", "IX"])


# --- Through the CLI -----------------------------------------------------------------------------


def chromosome_task(workdir: Path, genome: Path, bed_lines: list[str]) -> None:
    bed = workdir / "peaks.bed"
    bed.write_text("\n".join(bed_lines) + "\n")
    files = {path.name: {"sources": [str(path)]} for path in (genome, bed)}
    task = {
        "kind": "sequences", "dataset": "lab", "objective": "binary", "architectures": ["mlp"],
        "input": {"format": "bed", "file": "peaks.bed", "genome": genome.name, "length": 60,
                  "labels": [5]},
        "split": {"method": "chromosome", "folds": 3, "test_chromosomes": ["IV"]},
    }  # fmt: skip
    config = {"datasets": {"lab": {"files": files}}, "tasks": {"t": task},
              "training": {"max_epochs": 1, "threads": 1, "device": "cpu"}}  # fmt: skip
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))


def test_cli_holds_out_test_chromosomes_and_stops_at_an_unmatched_name(roman_genome, tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    # Ensembl-style and arabic names against a UCSC roman genome; 12 intervals a chromosome.
    styles = {"I": "chrI", "2": "chrII", "III": "chrIII", "chr4": "chrIV"}
    lines = [f"{name}\t{100 + 90 * k}\t{140 + 90 * k}\t{name}_{k}\t{k % 2}"
             for name in styles for k in range(12)]  # fmt: skip
    chromosome_task(workdir, roman_genome, lines)
    result = run_snakemake(workdir, *(f"results/t/encoded/{name}" for name in ENCODED))
    assert result.returncode == 0, result.stderr[-3000:]
    chrom_of = {f"{name}_{k}": styles[name] for name in styles for k in range(12)}
    encoded = workdir / "results" / "t" / "encoded"
    test = pd.read_parquet(encoded / "test.parquet", columns=["row_id"])
    assert sorted(test["row_id"].map(chrom_of).unique()) == ["chrIV"] and len(test) == 12
    train = pd.read_parquet(encoded / "train.parquet", columns=["row_id", "fold"])
    train["chrom"] = train["row_id"].map(chrom_of)
    assert train.groupby("fold")["chrom"].nunique().tolist() == [1, 1, 1]
    assert sorted(train["chrom"].unique()) == ["chrI", "chrII", "chrIII"]
    log = (workdir / "logs" / "encode" / "t.log").read_text()
    assert "chromosome names read as resources/data/lab/genome.fa's: I -> chrI, 2 -> chrII, " \
           "III -> chrIII, chr4 -> chrIV" in log  # fmt: skip
    assert "test rows per chromosome: chrIV 12" in log
    chromosome_task(workdir, roman_genome, [*lines, "chr9\t10\t60\tlost\t1"])
    result = run_snakemake(workdir, *(f"results/t/encoded/{name}" for name in ENCODED))
    assert result.returncode != 0
    assert error_lines(result) == [
        "error: resources/data/lab/peaks.bed: line 49: chromosome 'chr9' is not in "
        "resources/data/lab/genome.fa (4 sequences: chrI, chrII, chrIII, chrIV): map it in "
        "input.chromosome_aliases"
    ], result.stderr[-2000:]
