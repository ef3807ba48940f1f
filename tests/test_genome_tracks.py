"""Kind `genome_tracks`: windows of a genome labelled by many interval or bigWig tracks.

Unit tests check the vectorised windows and labels against the definitions written out one
window at a time, on a small generated genome; CLI tests run the real `snakemake` up to
`encode` on the errors a user meets (chromosome names, an interval past a chromosome's end, an
empty track, a bigWig lacking a chromosome) and once through `leaderboard`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from test_reliability import error_lines, run_snakemake

from dlgenomics import InputError
from dlgenomics.config import validate_config
from dlgenomics.data.tokens import nucleotide_vocab
from dlgenomics.data.tracks import WindowSettings, bigwig_track_windows, interval_track_windows
from dlgenomics.models.checkpoint import predict
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.tasks.kinds.genome_tracks import genomic_blocks

LENGTHS = {"chrI": 3000, "chrII": 2400, "chrIII": 1800}
ID = {"A": nucleotide_vocab().index("A"), "T": nucleotide_vocab().index("U")}  # T is U
MOTIF = "TTACCCGG"  # planted at track `a`'s summits, so a network can learn it


def write_genome(path: Path, seed: int = 0, unknown: tuple[str, int, int] | None = None) -> dict:
    """Random chromosomes (UCSC roman names) with MOTIF planted every 300 nt from 150; with
    `unknown` = (chrom, start, end), that stretch is N."""
    rng = np.random.default_rng(seed)
    texts = {}
    for chrom, size in LENGTHS.items():
        seq = rng.choice(list("ACGT"), size)
        for at in range(150, size - len(MOTIF), 300):
            seq[at : at + len(MOTIF)] = list(MOTIF)
        if unknown and unknown[0] == chrom:
            seq[unknown[1] : unknown[2]] = "N"
        texts[chrom] = "".join(seq)
    lines = [f">{chrom}\n{text}\n" for chrom, text in texts.items()]
    path.write_text("".join(lines))
    return texts


def write_bed(path: Path, rows: list[tuple[str, int, int]]) -> Path:
    path.write_text("".join(f"{c}\t{s}\t{e}\tpeak{k}\t0\t.\n" for k, (c, s, e) in
                            enumerate(rows)))  # fmt: skip
    return path


def write_bigwig(path: Path, values: dict[str, np.ndarray]) -> Path:
    """Per-base values (NaN: no data) under the given chromosome names."""
    import pyBigWig

    handle = pyBigWig.open(str(path), "w")
    handle.addHeader([(name, len(v)) for name, v in values.items()])
    for name, v in values.items():
        known = np.flatnonzero(~np.isnan(v))
        handle.addEntries([name] * len(known), known.tolist(), ends=(known + 1).tolist(),
                          values=v[known].astype(np.float64).tolist())  # fmt: skip
    handle.close()
    return path


def settings(**changes) -> WindowSettings:
    values = {"placement": "tiles", "length": 400, "bin": 100, "stride": 100,
              "background": None, "min_overlap": 0.5, "max_unknown": 0.1, "seed": 0}  # fmt: skip
    return WindowSettings(**{**values, **changes})


def covered(start: int, chosen: WindowSettings, intervals: list[tuple[int, int]]) -> bool:
    """The label's definition, one window at a time."""
    low = start + chosen.flank
    high = low + chosen.bin
    for begin, end in intervals:
        overlap = min(end, high) - max(begin, low)
        if overlap > 0 and overlap >= chosen.min_overlap * min(end - begin, chosen.bin):
            return True
    return False


# --- Windows and labels -----------------------------------------------------------------------


@pytest.mark.parametrize("min_overlap", [0.0, 0.5, 1.0])
def test_interval_labels_match_their_definition(tmp_path, min_overlap):
    write_genome(tmp_path / "g.fa")
    rng = np.random.default_rng(1)
    starts = rng.integers(0, 2800, 40)
    rows = [("chrI", int(s), int(s + w)) for s, w in zip(starts, rng.integers(1, 200, 40),
                                                         strict=True)]  # fmt: skip
    bed = write_bed(tmp_path / "a.bed", rows)
    chosen = settings(stride=37, min_overlap=min_overlap, chromosomes=("chrI",))
    windows = interval_track_windows(tmp_path / "g.fa", {"a": bed}, chosen)
    assert list(windows.start) == list(range(0, 3000 - 400 + 1, 37))  # every tile kept
    expected = [covered(int(s), chosen, [(b, e) for _, b, e in rows]) for s in windows.start]
    assert windows.labels[:, 0].tolist() == [float(x) for x in expected]
    assert 0 < sum(expected) < len(expected)


def test_a_summit_counts_in_the_central_bin_only(tmp_path):
    texts = write_genome(tmp_path / "g.fa")
    bed = write_bed(tmp_path / "a.bed", [("chrII", 1050, 1051)])
    windows = interval_track_windows(tmp_path / "g.fa", {"a": bed}, settings())
    positive = windows.labels[:, 0] == 1
    # The central bin [start + 150, start + 250) holds 1050 for start 900 alone.
    assert windows.chrom[positive].tolist() == ["chrII"]
    assert windows.start[positive].tolist() == [900]
    row = int(np.flatnonzero(positive)[0])
    assert windows.sequence[row] == texts["chrII"][900:1300]
    assert set(windows.chrom) == set(LENGTHS)  # default: every chromosome


def test_tiles_keep_positives_and_a_share_of_negatives(tmp_path):
    write_genome(tmp_path / "g.fa")
    bed = write_bed(tmp_path / "a.bed", [("chrI", p, p + 1) for p in range(200, 2800, 400)])
    every = interval_track_windows(tmp_path / "g.fa", {"a": bed}, settings(stride=20))
    share = settings(stride=20, background=0.3)
    some = interval_track_windows(tmp_path / "g.fa", {"a": bed}, share)
    assert some.labels.sum() == every.labels.sum()  # every positive window kept
    negatives = (every.labels == 0).sum(), (some.labels == 0).sum()
    assert 0.2 < negatives[1] / negatives[0] < 0.4


def test_peaks_centre_windows_and_add_the_background_share(tmp_path):
    write_genome(tmp_path / "g.fa")
    a = write_bed(tmp_path / "a.bed", [("chrI", 1000, 1001), ("chrI", 1030, 1031),
                                       ("chrII", 700, 701)])  # fmt: skip
    b = write_bed(tmp_path / "b.bed", [("chrIII", 900, 1000)])
    chosen = settings(placement="peaks", background=0.5, stride=50)
    windows = interval_track_windows(tmp_path / "g.fa", {"a": a, "b": b}, chosen)
    bins = {(c, int(s) + chosen.flank) for c, s in zip(windows.chrom, windows.start,
                                                       strict=True)}  # fmt: skip
    # Summits 30 nt apart merge into one stretch, centred; the broad peak is its own bin.
    assert {("chrI", 1015 - 50), ("chrII", 700 - 50), ("chrIII", 950 - 50)} <= bins
    positive = windows.labels.any(axis=1)
    assert positive.sum() == 3 and len(windows.start) == 6  # background: half of the windows
    intervals = {"chrI": [(1000, 1001), (1030, 1031)], "chrII": [(700, 701)],
                 "chrIII": [(900, 1000)]}  # fmt: skip
    for chrom, start in zip(windows.chrom[~positive], windows.start[~positive], strict=True):
        assert not covered(int(start), settings(min_overlap=0.0), intervals[chrom])


def test_unknown_letters_drop_windows_and_exclusions_place_none(tmp_path):
    write_genome(tmp_path / "g.fa", unknown=("chrI", 1000, 1100))
    bed = write_bed(tmp_path / "a.bed", [("chrI", 500, 501)])
    exclude = write_bed(tmp_path / "blacklist.bed", [("chrII", 1000, 1010)])
    chosen = settings(max_unknown=0.2)
    windows = interval_track_windows(tmp_path / "g.fa", {"a": bed}, chosen, exclude)
    ((reason, ids),) = windows.dropped_ids.items()
    assert "0.2 unknown letters" in reason and "windows.max_unknown" in reason
    assert ids == [f"chrI:{s}-{s + 400}" for s in (700, 800, 900, 1000)]  # 25% N
    on_two = windows.start[windows.chrom == "chrII"]
    assert not ((on_two < 1010) & (on_two + 400 > 1000)).any()
    assert len(on_two) == len(range(0, 2001, 100)) - 4


def test_bigwig_signal_is_the_central_bins_mean_or_log1p_sum(tmp_path):
    write_genome(tmp_path / "g.fa")
    rng = np.random.default_rng(2)
    values = {name: rng.random(LENGTHS[f"chr{name}"]) * 5 for name in ("I", "II", "III")}
    values["II"][1000:1500] = np.nan  # no data: 0
    track = write_bigwig(tmp_path / "cov.bw", values)
    zero = np.nan_to_num(values["II"])
    for signal in ("mean", "log1p_sum"):
        windows = bigwig_track_windows(tmp_path / "g.fa", {"cov": track}, settings(stride=70),
                                       signal)  # fmt: skip
        on_two = windows.chrom == "chrII"
        sums = [zero[s + 150 : s + 250].sum() for s in windows.start[on_two]]
        want = np.array(sums) / 100 if signal == "mean" else np.log1p(sums)
        assert np.allclose(windows.labels[on_two, 0], want, rtol=1e-5)
    assert 0 in windows.labels[on_two, 0].tolist()  # the bins without data


def test_a_bigwig_lacking_a_covered_chromosome_is_named(tmp_path):
    write_genome(tmp_path / "g.fa")
    track = write_bigwig(tmp_path / "cov.bw", {"I": np.ones(3000), "II": np.ones(2400)})
    with pytest.raises(InputError, match=r"cov.bw: no chromosome chrIII .*windows.chromosomes"):
        bigwig_track_windows(tmp_path / "g.fa", {"cov": track}, settings(), "mean")
    windows = bigwig_track_windows(tmp_path / "g.fa", {"cov": track},
                                   settings(chromosomes=("1", "2")), "mean")  # fmt: skip
    assert set(windows.chrom) == {"chrI", "chrII"} and np.allclose(windows.labels, 1.0)


# --- Config ------------------------------------------------------------------------------------


def tracks_config(folder: Path, tracks: dict, **task) -> dict:
    """Task `t` on the genome of dataset `ref` and the track files of dataset `lab`."""
    files = {p.name: {"sources": [str(p)]} for p in folder.iterdir() if p.name != "g.fa"}
    return {
        "datasets": {"ref": {"files": {"g.fa": {"sources": [str(folder / "g.fa")]}}},
                     "lab": {"files": files}},
        "tasks": {"t": {"kind": "genome_tracks", "dataset": "lab", "genome": "ref/g.fa",
                        "tracks": tracks, "windows": {"length": 400, "bin": 100, "stride": 50},
                        "split": {"method": "chromosome", "folds": 2,
                                  "test_chromosomes": ["chrIII"]},
                        "architectures": ["mlp"], **task}},
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
    }  # fmt: skip


def test_the_config_names_tracks_and_fills_the_objective(tmp_path):
    for name in ("Abf1_CX.bed", "Reb1_CX.bed", "other.bed"):
        write_bed(tmp_path / name, [("chrI", 10, 11)])
    config = validate_config(
        tracks_config(tmp_path, {"glob": "*_CX.bed", "name_regex": "(?P<track>[^_]+)_CX"})
    )
    task = config["tasks"]["t"]
    assert task["objective"] == "multilabel"
    assert task["tracks"]["resolved"] == {"Abf1": "Abf1_CX.bed", "Reb1": "Reb1_CX.bed"}
    assert scoring(task).selection == "median_auroc"
    assert scoring(task).options == {"labels": ["Abf1", "Reb1"]}


def test_a_sheet_names_the_tracks_and_a_config_read_twice_is_the_same(tmp_path, monkeypatch):
    for name in ("s1.bed", "s2.bed"):
        write_bed(tmp_path / name, [("chrI", 10, 11)])
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tracks.tsv").write_text("track\tfile\nRNA.fwd\ts1.bed\nPol II\ts2.bed\n")
    config = validate_config(tracks_config(tmp_path, {"sheet": "tracks.tsv"}))
    resolved = {"RNA_fwd": "s1.bed", "Pol_II": "s2.bed"}  # label column names
    assert config["tasks"]["t"]["tracks"]["resolved"] == resolved
    assert validate_config(config)["tasks"]["t"]["tracks"]["resolved"] == resolved


@pytest.mark.parametrize(
    ("tracks", "message"),
    [
        ({"files": ["a.bed", "cov.bw"]}, "tasks.t.tracks: interval (BED) and bigWig files"),
        ({"files": ["a.bed", "missing.bed"]},
         "tasks.t.tracks.files[1]: 'missing.bed' is not in datasets.lab.files"),
        ({"files": ["a.bed", "nope/a.bed"]}, "tasks.t.tracks.files[1]: no dataset named 'nope'"),
        ({"files": ["a.bed", "a.bed.gz"]}, "tasks.t.tracks.files[1]: track name 'a' is already"),
        ({"glob": "*.narrowPeak"}, "tasks.t.tracks.glob: '*.narrowPeak' matches no file"),
    ],
)  # fmt: skip
def test_track_lists_that_cannot_work_are_named(tmp_path, tracks, message):
    write_bed(tmp_path / "a.bed", [("chrI", 10, 11)])
    write_bed(tmp_path / "a.bed.gz", [("chrI", 10, 11)])
    (tmp_path / "cov.bw").write_bytes(b"")
    (tmp_path / "g.fa").write_text(">chrI\nACGT\n")
    with pytest.raises(InputError, match=re.escape(message)):
        validate_config(tracks_config(tmp_path, tracks))


def test_strand_pairs_swap_their_outputs_and_name_what_is_wrong(tmp_path):
    for name in ("plus.bed", "minus.bed", "other.bed"):
        write_bed(tmp_path / name, [("chrI", 10, 11)])
    files = {"files": ["plus.bed", "minus.bed", "other.bed"]}
    config = tracks_config(tmp_path, {**files, "strand_pairs": [["plus", "minus"]]},
                           reverse_complement=True)  # fmt: skip
    task = validate_config(config)["tasks"]["t"]
    assert TASK_KINDS["genome_tracks"].reverse_strand_outputs(task) == [1, 0, 2]
    for pairs, message in [
        ([["plus", "nope"]], "tasks.t.tracks.strand_pairs: no track named 'nope'"),
        ([["plus", "minus"], ["other", "minus"]], "track 'minus' is in more than one pair"),
        ([["plus", "plus"]], "track 'plus' is in more than one pair"),
    ]:
        with pytest.raises(InputError, match=re.escape(message)):
            validate_config(tracks_config(tmp_path, {**files, "strand_pairs": pairs}))


class BaseCounts(torch.nn.Module):
    """Outputs each row's count of A, then of T: on the reverse strand, each the other's."""

    def forward(self, batch):
        ids = batch["seq_dna"]
        return torch.stack([(ids == ID["A"]).sum(1), (ids == ID["T"]).sum(1)], dim=1).float()


@pytest.mark.parametrize(("partners", "expected"), [([1, 0], [3.0, 1.0]), (None, [2.0, 2.0])])
def test_both_strands_read_a_stranded_pair_back_in_its_own_order(partners, expected):
    vocab = {"reverse_complement": True}
    if partners is not None:
        vocab["reverse_strand_outputs"] = partners
    checkpoint = {"vocab": vocab, "n_outputs": 2, "objective": "multiregression",
                  "target_scale": ([0.0, 0.0], [1.0, 1.0])}  # fmt: skip
    ids = torch.tensor([[ID[letter] for letter in "AAAT"]])
    # Paired, the reverse strand's counts are swapped back: the mean is the forward's own.
    # Unpaired, A and T are averaged across strands, as a strand-blind track should be.
    np.testing.assert_allclose(predict(BaseCounts(), checkpoint, {"seq_dna": ids}), [expected])


# --- Through the real CLI --------------------------------------------------------------------


def cli_workdir(tmp_path: Path, beds: dict[str, list], **task) -> Path:
    data, workdir = tmp_path / "data", tmp_path / "work"
    data.mkdir()
    workdir.mkdir()
    write_genome(data / "g.fa")
    for name, rows in beds.items():
        write_bed(data / name, rows)
    tracks = task.pop("tracks", {"files": sorted(beds)})
    config = tracks_config(data, tracks, **task)
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return workdir


ENCODE = "results/t/encoded/summary.json"


def test_track_chromosome_names_are_mapped_to_the_genomes(tmp_path):
    """chr1 (UCSC numbers) and II (Ensembl) both read as the genome's chrI / chrII."""
    beds = {"a.bed": [("chr1", 1050, 1051)], "b.bed": [("II", 500, 501), ("chrIII", 1000, 1001)]}
    workdir = cli_workdir(tmp_path, beds, reverse_complement=True)
    result = run_snakemake(workdir, ENCODE)
    assert result.returncode == 0, result.stderr[-2000:]
    vocab = json.loads((workdir / "results/t/encoded/vocab.json").read_text())
    assert vocab["reverse_complement"] is True  # unstranded peaks: both strands asked for
    log = (workdir / "logs" / "encode" / "t.log").read_text()
    assert "a.bed: chromosome names read as" in log and "chr1 -> chrI" in log
    assert "II -> chrII" in log
    train = pd.read_parquet(workdir / "results/t/encoded/train.parquet")
    assert not train["row_id"].str.startswith("chrIII").any()  # the test chromosome
    test = pd.read_parquet(workdir / "results/t/encoded/test.parquet")
    assert test["row_id"].str.startswith("chrIII:").all()
    assert {"chrIII:800-1200", "chrIII:850-1250"} <= set(test["row_id"])  # b's summit at 1000


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("chr1", 10, 11), ("scaffold_9", 5, 6)],
         "a.bed: line 2: chromosome 'scaffold_9' is not in resources/data/ref/g.fa (3 sequences: "
         "chrI, chrII, chrIII): map it in chromosome_aliases"),
        ([("chr2", 10, 11), ("chr2", 2300, 2401)],
         "a.bed: line 2: interval chrII:2300-2401 ends past the end of chrII (2400 bp in "
         "resources/data/ref/g.fa): is the file for another assembly of the genome?"),
        ([], "a.bed: no intervals (an empty file, or only track/comment lines)"),
    ],
)  # fmt: skip
def test_a_bad_track_stops_encode_in_one_line(tmp_path, rows, message):
    workdir = cli_workdir(tmp_path, {"a.bed": rows, "b.bed": [("chrI", 10, 11)]})
    result = run_snakemake(workdir, ENCODE)
    assert result.returncode != 0
    assert error_lines(result) == [f"error: resources/data/lab/{message}"]
    assert not (workdir / "results/t/encoded/train.parquet").exists()


def test_a_bigwig_lacking_a_chromosome_stops_encode_naming_it(tmp_path):
    workdir = cli_workdir(tmp_path, {})
    data = tmp_path / "data"
    write_bigwig(data / "cov.bw", {"I": np.ones(3000), "III": np.ones(1800)})
    write_bigwig(data / "pol.bw", {"I": np.ones(3000), "II": np.ones(2400), "III": np.ones(1800)})
    config = tracks_config(data, {"files": ["cov.bw", "pol.bw"]})
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = run_snakemake(workdir, ENCODE)
    assert result.returncode != 0
    assert error_lines(result) == [
        "error: resources/data/lab/cov.bw: no chromosome chrII (it holds 2 sequences: I, III), "
        "and windows cover it: set windows.chromosomes to the ones it covers"
    ]
    config["tasks"]["t"]["windows"]["chromosomes"] = ["I", "III"]  # as the error says
    config["tasks"]["t"]["split"]["method"] = "random"  # one training chromosome left
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    result = run_snakemake(workdir, ENCODE)
    assert result.returncode == 0, result.stderr[-2000:]
    train = pd.read_parquet(workdir / "results/t/encoded/train.parquet")
    assert train["row_id"].str.startswith("chrI:").all()  # chrIII is the test chromosome
    assert "I -> chrI" in (workdir / "logs" / "encode" / "t.log").read_text()
    vocab = json.loads((workdir / "results/t/encoded/vocab.json").read_text())
    assert "reverse_complement" not in vocab  # one strand by default: tracks may be stranded


def test_an_interval_task_trains_to_a_leaderboard_per_track(tmp_path):
    """Summits of track `a` on the planted motif, `b` elsewhere; every tile kept (about 300
    windows); mlp, 2 chromosome folds, chrIII the test set."""
    motif_sites = [(c, p + 4, p + 5) for c, n in LENGTHS.items() for p in range(150, n - 8, 300)]
    other = [(c, p, p + 1) for c, n in LENGTHS.items() for p in range(40, n, 230)]
    windows = {"length": 400, "bin": 100, "stride": 20, "background": None}
    workdir = cli_workdir(tmp_path, {"a.bed": motif_sites, "b.bed": other}, windows=windows)
    result = run_snakemake(workdir, "results/t/leaderboard.csv")
    assert result.returncode == 0, result.stderr[-3000:]
    board = pd.read_csv(workdir / "results/t/leaderboard.csv")
    per_track = {f"{split}_{metric}_{track}" for split in ("oof", "test")
                 for metric in ("auroc", "auprc") for track in "ab"}  # fmt: skip
    assert {"oof_median_auroc", "test_median_auroc", *per_track} <= set(board.columns)
    ranked = (workdir / "results/t/leaderboard.md").read_text()
    assert "ranked by out-of-fold median_auroc" in ranked
    assert board["oof_median_auroc"].between(0, 1).all()
    # The bootstrap resamples 100-kb blocks of windows, not the folds' whole chromosomes.
    groups = pd.read_parquet(workdir / "results/t/encoded/groups.parquet")
    starts = groups["row_id"].str.extract(r":(\d+)-")[0].astype(int)
    expected = groups["row_id"].str.split(":").str[0] + ":" + (starts // 100_000).astype(str)
    assert groups["group"].tolist() == expected.tolist()


def test_windows_are_resampled_in_blocks_of_a_hundred_kilobases():
    ids = np.array(["chrI:0-500", "chrI:99800-100300", "chrI:100000-100500", "chrXVI:250000-1"])
    assert genomic_blocks(ids).tolist() == ["chrI:0", "chrI:0", "chrI:1", "chrXVI:2"]
