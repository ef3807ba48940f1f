"""Variant-effect scoring: a motif-breaking SNV is found among random ones by a model trained
on the motif; reference and alternative share batches; the VCF rule (multi-allelic records
split, indels skipped and counted); bad VCFs are one-line errors naming file and line."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dlgenomics import InputError
from dlgenomics.data import tokens
from dlgenomics.data.schema import FOLD, ROW_ID, TARGET
from dlgenomics.data.vcf import read_vcf
from dlgenomics.evaluation import variants as variant_scoring
from dlgenomics.evaluation.inference import predict_member
from dlgenomics.evaluation.variants import (
    score_variants,
    variants_from_table,
    variants_from_vcf,
    write_variant_effects,
)
from dlgenomics.tasks.kinds import TASK_KINDS, scoring
from dlgenomics.training.loop import FoldRun, TrainSettings, train_fold

MOTIF = "CGACCGAACTCC"  # the primer's planted motif
LENGTH = 50  # the primer's sequence length
COLUMN = "seq_dna"
VOCAB = {
    "format": 1,
    "tokens": {"nucleotide": tokens.nucleotide_vocab()},
    "categories": {},
    "columns": {COLUMN: {"vocab": "nucleotide", "length": LENGTH}},
}
MOTIF_START = 2_000  # 0-based start of the one motif in the generated genome
VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


def random_dna(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list("ACGT"), length))


def planted(rng: np.random.Generator, n: int) -> tuple[list[str], np.ndarray]:
    """Random 50-mers; the motif at a random place in every other one (the primer's task)."""
    sequences = [random_dna(rng, LENGTH) for _ in range(n)]
    labels = np.arange(n) % 2
    for i in np.flatnonzero(labels):
        start = int(rng.integers(0, LENGTH - len(MOTIF) + 1))
        sequences[i] = sequences[i][:start] + MOTIF + sequences[i][start + len(MOTIF) :]
    return sequences, labels


def columns_of(sequences: list[str], labels: np.ndarray, folds: np.ndarray) -> dict:
    ids = tokens.encode_nucleotides(pd.Series(sequences), LENGTH, "test")
    return {
        ROW_ID: np.arange(len(sequences)).astype(str),
        COLUMN: ids,
        TARGET: labels.astype(np.float32),
        FOLD: folds.astype(np.int8),
    }


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A small CNN trained on the planted-motif task as the workflow trains one fold."""
    folder = tmp_path_factory.mktemp("model")
    rng = np.random.default_rng(0)
    sequences, labels = planted(rng, 1_000)
    folds = np.where(np.arange(len(labels)) < 800, -1, 0)
    train = columns_of(sequences, labels, folds)
    held, held_labels = planted(rng, 20)
    test = columns_of(held, held_labels, np.full(len(held), -1))
    train_fold(FoldRun(
        kind=TASK_KINDS["primer"],
        scoring=replace(scoring({"kind": "primer"}), selection="log_loss"),
        arch="cnn",
        model_params={"embed_dim": 8, "channels": 16, "kernel_sizes": [12], "hidden": 16},
        settings=TrainSettings(max_epochs=12, patience=12, batch_size=32,
                               learning_rate=5e-3, seed=0, threads=2),
        train_columns=train, test_columns=test, vocab=VOCAB, fold=0,
        out_checkpoint=folder / "model.pt", out_history=folder / "history.csv",
        out_predictions=folder / "predictions.parquet", progress=False,
    ))  # fmt: skip
    return folder / "model.pt"


@pytest.fixture(scope="module")
def genome(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """Two random chromosomes; chr1 holds the motif once, at MOTIF_START."""
    rng = np.random.default_rng(1)
    chroms = {"chr1": random_dna(rng, 4_000), "chr2": random_dna(rng, 3_000)}
    chr1 = chroms["chr1"]
    chroms["chr1"] = chr1[:MOTIF_START] + MOTIF + chr1[MOTIF_START + len(MOTIF) :]
    path = tmp_path_factory.mktemp("genome") / "genome.fa"
    with path.open("w") as handle:
        for name, seq in chroms.items():
            lines = "\n".join(seq[k : k + 60] for k in range(0, len(seq), 60))
            handle.write(f">{name}\n{lines}\n")
    return path, chroms


def write_vcf(path: Path, records: list[str]) -> Path:
    path.write_text(VCF_HEADER + "".join(f"{record}\n" for record in records))
    return path


def snv(chroms: dict[str, str], chrom: str, pos: int, alt: str, name: str = ".") -> str:
    """A VCF line for the SNV at 1-based `pos`, REF read from the genome."""
    return f"{chrom}\t{pos}\t{name}\t{chroms[chrom][pos - 1]}\t{alt}\t.\tPASS\t."


def other_base(base: str, rng: np.random.Generator) -> str:
    return str(rng.choice([b for b in "ACGT" if b != base]))


def random_snvs(chroms: dict[str, str], n: int, seed: int) -> list[str]:
    """`n` SNVs at random positions off the motif (their windows may still hold it)."""
    rng = np.random.default_rng(seed)
    records = []
    while len(records) < n:
        chrom = str(rng.choice(list(chroms)))
        pos = int(rng.integers(LENGTH, len(chroms[chrom]) - LENGTH))
        if chrom == "chr1" and MOTIF_START - 1 <= pos <= MOTIF_START + len(MOTIF) + 1:
            continue
        records.append(snv(chroms, chrom, pos, other_base(chroms[chrom][pos - 1], rng)))
    return records


def test_the_motif_breaking_snv_has_the_largest_negative_effect(model, genome, tmp_path):
    genome_path, chroms = genome
    motif_base = 8  # 1-based in the motif: the A of CGACCGA|A|CTCC
    breaking = MOTIF_START + motif_base  # 1-based on chr1
    records = [*random_snvs(chroms, 40, seed=2), snv(chroms, "chr1", breaking, "C", "break")]
    vcf = write_vcf(tmp_path / "variants.vcf", records)
    windows = variants_from_vcf(vcf, genome_path, LENGTH)
    refs = windows.variants["ref"]
    assert all(w[LENGTH // 2] == ref for w, ref in zip(windows.sequences, refs, strict=True))
    table, ism = score_variants(windows, [model], VOCAB, ism_flank=10, ism_top=5)
    assert list(table["variant"]) == list(windows.variants["variant"])  # input order kept
    broken = table.loc[table["id"] == "break"].iloc[0]
    assert table["effect"].idxmin() == broken.name and broken["rank"] == 1
    assert broken["pred_ref"] > 0.9 and broken["effect"] < -0.1
    assert broken["log_odds_ratio"] < -3
    others = table.drop(index=broken.name)
    assert (others["effect"] > broken["effect"] / 3).all()
    assert (others["log_odds_ratio"] > broken["log_odds_ratio"] / 2).all()
    # The ISM map of the top variant holds its own substitution: the same number, reached in
    # another batch.
    assert ism.variants[0] == broken["variant"] and ism.delta.shape == (5, 21, 4, 1)
    centre = int(np.flatnonzero(ism.offsets == 0)[0])
    assert ism.delta[0, centre, "ACGT".index("C"), 0] == pytest.approx(broken["effect"], abs=1e-5)
    assert ism.delta[0, centre, "ACGT".index(broken["ref"]), 0] == 0.0
    # Substitutions inside the motif cost more than any outside it.
    inside = (ism.offsets >= 1 - motif_base) & (ism.offsets <= len(MOTIF) - motif_base)
    assert np.nanmin(ism.delta[0, inside]) < np.nanmin(ism.delta[0, ~inside])
    paths = write_variant_effects(table, ism, tmp_path / "out", title="planted motif")
    assert pd.read_parquet(paths["parquet"])["variant"].tolist() == table["variant"].tolist()
    assert len(pd.read_csv(paths["csv"])) == len(table)
    assert np.load(paths["ism"])["delta"].shape == ism.delta.shape
    assert paths["figure"].stat().st_size > 0


def test_reference_and_alternative_are_scored_in_the_same_batches(
    model, genome, tmp_path, monkeypatch
):
    genome_path, chroms = genome
    vcf = write_vcf(tmp_path / "v.vcf", random_snvs(chroms, 30, seed=3))
    windows = variants_from_vcf(vcf, genome_path, LENGTH)
    from dlgenomics.models import checkpoint

    calls = []
    real = checkpoint.predict

    def counting(network, saved, columns, batch_size=1024):
        calls.append((columns[COLUMN].numpy().copy(), batch_size))
        return real(network, saved, columns, batch_size)

    monkeypatch.setattr(checkpoint, "predict", counting)
    table, _ = score_variants(windows, [model], VOCAB, ism_top=0)
    assert len(calls) == 1  # one call, one model: ref and alt of every variant together
    ids, batch_size = calls[0]
    assert len(ids) == 2 * len(table) and batch_size % 2 == 0  # pairs never straddle batches
    ref, alt = ids[0::2], ids[1::2]
    changed = ref != alt
    assert (changed.sum(axis=1) == 1).all() and changed[:, LENGTH // 2].all()
    # Scored apart, each allele gives the same predictions (the pairing changes no number).
    monkeypatch.undo()
    alone = {
        name: predict_member([model], {COLUMN: part}, None, VOCAB) for name, part in ((
            "ref", ref), ("alt", alt))
    }  # fmt: skip
    np.testing.assert_allclose(table["pred_ref"], alone["ref"], atol=1e-5)
    np.testing.assert_allclose(table["pred_alt"], alone["alt"], atol=1e-5)
    np.testing.assert_allclose(table["diff"], alone["alt"] - alone["ref"], atol=1e-5)


def test_multiallelic_records_are_split_and_indels_skipped_and_counted(genome, tmp_path):
    genome_path, chroms = genome
    base = chroms["chr2"][999]
    alts = [b for b in "ACGT" if b != base]
    other = next(b for b in "ACGT" if b != chroms["chr2"][1399])
    records = [
        snv(chroms, "chr2", 1000, ",".join(alts[:2]), "multi"),  # two SNV alleles
        f"chr2\t1100\tindel\t{chroms['chr2'][1099]}\t{chroms['chr2'][1099]}AT\t.\t.\t.",
        f"chr2\t1200\tdel\t{chroms['chr2'][1199:1202]}\t{chroms['chr2'][1199]}\t.\t.\t.",
        f"chr2\t1300\tsv\t{chroms['chr2'][1299]}\t<DEL>\t.\t.\t.",
        f"chr2\t1400\tmixed\t{chroms['chr2'][1399]}\t{other.lower()},*,.\t.\t.\t.",
    ]
    vcf = write_vcf(tmp_path / "v.vcf", records)
    frame = read_vcf(vcf)
    assert frame["id"].tolist() == ["multi", "multi", "mixed"]
    assert frame["allele"].tolist() == [1, 2, 1] and frame["alt"].iloc[2] == other
    assert frame["line"].tolist() == [3, 3, 7]  # header lines counted
    assert frame.attrs["skipped"] == {
        "indel": 2, "symbolic": 1, "overlapping_deletion": 1, "no_alt": 1,
    }  # fmt: skip
    windows = variants_from_vcf(vcf, genome_path, LENGTH)
    assert windows.variants["variant"].tolist()[:2] == [
        f"chr2:1000:{base}>{alts[0]}",
        f"chr2:1000:{base}>{alts[1]}",
    ]
    assert windows.skipped == frame.attrs["skipped"]
    only_indels = write_vcf(tmp_path / "indels.vcf", records[1:3])
    none = variants_from_vcf(only_indels, genome_path, LENGTH)  # zero variants, not an error
    assert none.sequences == [] and none.variants.empty and none.skipped == {"indel": 2}


def first_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message
    return message


def test_a_ref_mismatch_names_the_vcf_line_and_the_genome_base(genome, tmp_path):
    genome_path, chroms = genome
    good = snv(chroms, "chr1", 500, "A" if chroms["chr1"][499] != "A" else "C")
    wrong = other_base(chroms["chr1"][599], np.random.default_rng(0))
    bad = f"chr1\t600\t.\t{wrong}\t{chroms['chr1'][599]}\t.\t.\t."
    vcf = write_vcf(tmp_path / "v.vcf", [good, bad])
    with pytest.raises(InputError) as error:
        variants_from_vcf(vcf, genome_path, LENGTH)
    message = first_line(error)
    assert message.startswith(f"{vcf}: line 4: REF {wrong!r} does not match")
    assert f"chr1:600, which has {chroms['chr1'][599]!r}" in message and "swapped" in message


def test_a_chromosome_the_genome_lacks_names_the_line_and_lists_its_chromosomes(genome, tmp_path):
    genome_path, chroms = genome
    vcf = write_vcf(tmp_path / "v.vcf", [snv(chroms, "chr1", 500, "A"), "1\t700\t.\tA\tG"])
    with pytest.raises(InputError) as error:
        variants_from_vcf(vcf, genome_path, LENGTH)
    message = first_line(error)
    assert message.startswith(f"{vcf}: line 4: chromosome '1' is not in {genome_path}")
    assert "chr1, chr2" in message


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ("chr1\t500\t.\tA", "4 tab-separated field(s); a VCF record needs at least 5"),
        ("chr1 500 . A G", "separated by tabs, this line by spaces"),
        ("chr1\t5x0\t.\tA\tG", "POS '5x0' is not a 1-based position"),
        ("chr1\t500\t.\t\tG", "empty REF"),
        ("chr1\t500\t.\tA\tG;T", "ALT allele 'G;T' is neither bases nor a symbolic allele"),
    ],
)
def test_a_malformed_line_names_the_file_and_line(tmp_path, record, fragment):
    vcf = write_vcf(tmp_path / "v.vcf", ["chr1\t400\t.\tA\tG", record])
    with pytest.raises(InputError) as error:
        read_vcf(vcf)
    message = first_line(error)
    assert message.startswith(f"{vcf}: line 4: ") and fragment in message


def test_a_window_past_the_chromosome_end_names_the_line(genome, tmp_path):
    genome_path, chroms = genome
    vcf = write_vcf(tmp_path / "v.vcf", [snv(chroms, "chr2", 2_990, "A")])
    with pytest.raises(InputError, match=r"line 3: the 50 bp window .* past the end of chr2"):
        variants_from_vcf(vcf, genome_path, LENGTH)


def test_gzip_vcf_reads_as_plain(genome, tmp_path):
    import gzip

    _, chroms = genome
    plain = write_vcf(tmp_path / "v.vcf", random_snvs(chroms, 5, seed=4))
    packed = tmp_path / "v.vcf.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    pd.testing.assert_frame_equal(read_vcf(packed), read_vcf(plain))


def test_a_table_of_sequences_scores_like_the_vcf(model, genome, tmp_path):
    genome_path, chroms = genome
    rng = np.random.default_rng(5)
    vcf_lines = [snv(chroms, "chr1", MOTIF_START + 6, "T"), *random_snvs(chroms, 5, seed=6)]
    windows = variants_from_vcf(write_vcf(tmp_path / "v.vcf", vcf_lines), genome_path, LENGTH)
    # The same windows as whole sequences of the model's length, the variant at index 25.
    table = pd.DataFrame({
        "seq": windows.sequences, "position": LENGTH // 2 + 1,
        "ref": windows.variants["ref"], "alt": windows.variants["alt"],
    })  # fmt: skip
    table.to_csv(tmp_path / "t.csv", index=False)
    from_table = variants_from_table(tmp_path / "t.csv", LENGTH, sequence="seq")
    scored_vcf, _ = score_variants(windows, [model], VOCAB, ism_top=0)
    scored_table, _ = score_variants(from_table, [model], VOCAB, ism_top=0)
    np.testing.assert_allclose(scored_table["effect"], scored_vcf["effect"], atol=1e-6)
    # A wrong REF in a table names its line (header counted).
    table.loc[3, "ref"] = other_base(table.loc[3, "ref"], rng)
    table.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match=r"bad.csv: line 5: REF '.' does not match line5 at"):
        variants_from_table(tmp_path / "bad.csv", LENGTH, sequence="seq")


def test_tasks_with_several_nucleotide_inputs_are_refused(genome, tmp_path, model):
    genome_path, chroms = genome
    windows = variants_from_vcf(
        write_vcf(tmp_path / "v.vcf", random_snvs(chroms, 2, seed=7)), genome_path, LENGTH
    )
    two = {**VOCAB, "columns": {"seq_sense": {}, "seq_antisense": {}}}
    with pytest.raises(InputError, match="one nucleotide input; this one has 2"):
        score_variants(windows, [model], two)
    assert variant_scoring.nucleotide_column(VOCAB) == COLUMN


def test_a_table_without_snvs_scores_zero_variants(model, tmp_path):
    """As a VCF without SNVs: no windows, an empty effects table (columns kept), empty maps."""
    table = pd.DataFrame({"seq": ["A" * LENGTH] * 2, "position": [3, 7], "ref": ["A", "A"],
                          "alt": ["AT", "<DEL>"]})  # fmt: skip
    table.to_csv(tmp_path / "t.csv", index=False)
    windows = variants_from_table(tmp_path / "t.csv", LENGTH, sequence="seq")
    assert windows.sequences == [] and windows.skipped == {"indel": 1, "symbolic": 1}
    effects, ism = score_variants(windows, [model], VOCAB)
    assert effects.empty and {"pred_ref", "pred_alt", "diff", "effect", "rank"} <= set(effects)
    assert ism.delta.shape[0] == 0
    paths = write_variant_effects(effects, ism, tmp_path / "out", "none")
    assert pd.read_csv(paths["csv"]).empty and paths["figure"].stat().st_size > 0
