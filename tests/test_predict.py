"""Using a trained model through the real CLI: `snakemake predict` (new sequences) and
`snakemake variant_effects` (SNVs from a VCF on a genome)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, snakemake

from dlgenomics import InputError
from dlgenomics.data.schema import read_tensors, read_vocab
from dlgenomics.data.tokens import decode_nucleotides
from dlgenomics.evaluation.predict import prediction_frame
from dlgenomics.files import column_values
from dlgenomics.tasks.kinds.sequences import SequenceInput, read_unlabelled


def write_test_fasta(run: Path, task: str, path: Path) -> list[str]:
    """A task's encoded test rows written back as DNA FASTA, as a user would bring them."""
    test = read_tensors(run / f"results/{task}/encoded/test.parquet")
    column = next(c for c in test if c.startswith("seq_"))
    sequences = [s.replace("U", "T") for s in decode_nucleotides(test[column])]
    ids = [str(i) for i in test["row_id"]]
    path.write_text("".join(f">{i}\n{s}\n" for i, s in zip(ids, sequences, strict=True)))
    return ids


def run_target(run: Path, mirror: Path, target: str, block: dict, *extra: str):
    """`snakemake <target>` in the tiny run's folder with one more config block (predict or
    variants) laid over the tiny config."""
    (run / f"{target}.yaml").write_text(yaml.safe_dump(block))
    return snakemake(target, "--cores", "2", "--configfile", str(run / "tiny.yaml"),
                     str(run / f"{target}.yaml"), "--replace-workflow-config", *extra,
                     workdir=run, mirror=mirror)  # fmt: skip


def run_predict(run: Path, mirror: Path, jobs: dict, *extra: str):
    return run_target(run, mirror, "predict", {"predict": jobs}, *extra)


def evaluated_test_rows(run: Path, task: str, name: str) -> pd.Series:
    folder = "ensemble" if name == "ensemble" else f"evaluation/{name}"
    rows = pd.read_parquet(run / f"results/{task}/{folder}/predictions.parquet")
    rows = rows[rows["role"] == "test"].set_index("row_id")
    return rows["prediction"]


def test_predict_reproduces_the_evaluated_run_predict(tiny_run, mirror):
    primer_ids = write_test_fasta(tiny_run, "primer", tiny_run / "primer_test.fa")
    chip_ids = write_test_fasta(tiny_run, "chip", tiny_run / "chip_test.fa")
    write_test_fasta(tiny_run, "sigma", tiny_run / "sigma_test.fa")
    jobs = {
        "primer_cnn": {"task": "primer", "model": "cnn",
                       "input": {"format": "fasta", "file": "primer_test.fa"}},
        "chip_best": {"task": "chip", "input": {"format": "fasta", "file": "chip_test.fa"}},
        "sigma_ensemble": {"task": "sigma", "model": "ensemble",
                           "input": {"format": "fasta", "file": "sigma_test.fa"}},
    }  # fmt: skip
    result = run_predict(tiny_run, mirror, jobs)
    assert result.returncode == 0, result.stderr[-3000:]
    # The same models on the same sequences: the evaluate rule's test predictions (mean of the
    # fold models), here through FASTA, the readers and the task's vocabularies.
    primer = pd.read_csv(tiny_run / "results/predict/primer_cnn/predictions.csv", dtype={"id": str})
    assert primer["id"].tolist() == primer_ids and (primer["model"] == "cnn").all()
    expected = evaluated_test_rows(tiny_run, "primer", "cnn").loc[primer_ids].to_numpy()
    assert np.abs(primer["prediction"].to_numpy() - expected).max() <= 1e-6
    # `best` follows the leaderboard; chip reads both strands (reverse complement averaged).
    chip = pd.read_parquet(tiny_run / "results/predict/chip_best/predictions.parquet")
    best = pd.read_csv(tiny_run / "results/chip/leaderboard.csv")["architecture"].iloc[0]
    assert chip["id"].tolist() == chip_ids and chip["model"].iloc[0].startswith(best)
    expected = column_values(evaluated_test_rows(tiny_run, "chip", best).loc[chip_ids])
    assert np.abs(chip["prediction"].to_numpy() - expected).max() <= 1e-6
    # Multi-class: one probability per class, the most probable named.
    sigma = pd.read_csv(tiny_run / "results/predict/sigma_ensemble/predictions.csv")
    classes = ["24", "28", "32", "38", "54", "70"]
    probabilities = sigma[[f"p_{c}" for c in classes]].to_numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    chosen = np.asarray(classes)[probabilities.argmax(axis=1)]
    assert (sigma["predicted_class"].astype(str).to_numpy() == chosen).all()
    assert sigma["model"].iloc[0].startswith("ensemble of ")
    for job in jobs:
        figure = tiny_run / f"results/predict/{job}/distribution.png"
        assert figure.read_bytes()[:4] == b"\x89PNG"


def test_predict_refuses_bad_letters_and_unknown_tasks(tiny_run, mirror):
    bad = tiny_run / "bad.fa"
    bad.write_text(">ok\n" + "ACGT" * 12 + "AC\n>broken\nACGTACGTXCGT\n")
    job = {"task": "primer", "model": "cnn", "input": {"format": "fasta", "file": "bad.fa"}}
    result = run_predict(tiny_run, mirror, {"bad": job})
    assert result.returncode != 0
    error = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert "bad.fa: line 3: record broken: letter 'X' at position 9" in error
    assert not any((tiny_run / "results/predict").glob("bad/*"))  # nothing half-written
    # A job naming a task the config does not train stops before anything runs.
    job = {**job, "task": "nosuchtask"}
    result = run_predict(tiny_run, mirror, {"stray": job}, "-n")
    assert result.returncode != 0
    said = result.stdout + result.stderr  # a dry run prints its errors on stdout
    assert "predict.stray.task: no task named 'nosuchtask' is trained" in said


def test_longer_sequences_are_refused_and_shorter_ones_padded(tmp_path, tiny_run):
    vocab = read_vocab(tiny_run / "results/primer/encoded/vocab.json")
    fasta = tmp_path / "mixed.fa"
    fasta.write_text(">short\nACGTACGT\n>full\n" + "A" * 50 + "\n")
    source = SequenceInput.from_config({"format": "fasta", "file": "mixed.fa"})
    rows = read_unlabelled(source, {"mixed.fa": fasta})
    frame, padded = prediction_frame(rows, vocab, "primer", str(fasta))
    assert padded.tolist() == [True, False] and frame["row_id"].tolist() == ["short", "full"]
    fasta.write_text(">ok\nACGT\n>long\n" + "A" * 51 + "\n")
    with pytest.raises(InputError, match=r"mixed.fa: line 3: record long has 51 letters; task "
                                         r"'primer' reads at most 50"):  # fmt: skip
        prediction_frame(read_unlabelled(source, {"mixed.fa": fasta}), vocab, "primer", str(fasta))


def test_variant_effects_on_the_example_vcf(tiny_run, mirror):
    """The example VCF (resources/examples/variants: SNVs on a generated genome carrying SRF's
    CArG box) scored by the tiny run's SRF task (`chip`) end to end."""
    folder = tiny_run / "variants_example"
    shutil.copytree(REPO / "resources/examples/variants", folder, dirs_exist_ok=True)
    job = {"task": "chip", "vcf": str(folder / "variants.vcf"),
           "genome": str(folder / "genome.fa"), "top": 5}  # fmt: skip
    result = run_target(tiny_run, mirror, "variant_effects", {"variants": {"carg": job}})
    assert result.returncode == 0, result.stderr[-3000:]
    out = tiny_run / "results/variants/carg"
    effects = pd.read_csv(out / "effects.csv")
    # 38 SNV records + a two-allele record split in two; the insertion is skipped, and said so.
    assert len(effects) == 40
    assert "indel" not in set(effects["id"]) and (effects["id"] == "multi").sum() == 2
    assert "not scored: 1 indel" in (tiny_run / "logs/variants/carg.log").read_text()
    both = effects[["pred_ref", "pred_alt"]].to_numpy()
    assert ((both >= 0) & (both <= 1)).all()
    # Breaking a CArG box lowers the SRF model's prediction; random SNVs mostly do not.
    breaks = effects["id"].str.startswith("carg")
    assert effects.loc[breaks, "diff"].mean() < effects.loc[~breaks, "diff"].mean() - 0.1
    assert effects.sort_values("diff")["id"].iloc[0].startswith("carg")
    np.testing.assert_allclose(
        effects["diff"], effects["pred_alt"] - effects["pred_ref"], atol=1e-6
    )
    assert sorted(effects["rank"]) == list(range(1, 41))
    ism = np.load(out / "ism.npz")
    assert len(ism["delta"]) == 5
    assert (out / "top_variants.png").read_bytes()[:4] == b"\x89PNG"


def test_every_task_exports_its_best_network_with_a_model_card(tiny_run):
    for task in ("primer", "chip", "sigma", "sirna", "motifs"):
        folder = tiny_run / f"results/{task}/export"
        names = {"model.torchscript.pt", "vocab.json", "inputs.json", "model_card.md", "predict.py"}
        assert names <= {p.name for p in folder.iterdir()}, task
        board = pd.read_csv(tiny_run / f"results/{task}/leaderboard.csv")["architecture"]
        networks = [a for a in board if a != "ensemble" and not a.startswith("gbm")]
        card = (folder / "model_card.md").read_text()
        assert f"`{networks[0]}`" in card or networks[0] in card.splitlines()[0], task
        # The training files with their sha256, as the encode step saw them.
        summary = yaml.safe_load((tiny_run / f"results/{task}/encoded/summary.json").read_text())
        for name, sha in summary.get("inputs", {}).items():
            assert sha in card, (task, name)


def test_a_vcf_ref_mismatch_stops_the_job_naming_the_line(tiny_run, mirror):
    folder = tiny_run / "variants_bad"
    shutil.copytree(REPO / "resources/examples/variants", folder, dirs_exist_ok=True)
    vcf = folder / "variants.vcf"
    lines = vcf.read_text().splitlines()
    chrom, pos, name, ref, *rest = lines[5].split("\t")  # the second record, line 6
    lines[5] = "\t".join([chrom, pos, name, "A" if ref != "A" else "C", *rest])
    vcf.write_text("\n".join(lines) + "\n")
    job = {"task": "chip", "vcf": str(vcf), "genome": str(folder / "genome.fa")}
    result = run_target(tiny_run, mirror, "variant_effects", {"variants": {"mismatch": job}})
    assert result.returncode != 0
    error = next(line for line in result.stderr.splitlines() if line.startswith("error:"))
    assert f"{vcf}: line 6:" in error and "REF" in error
    assert not any((tiny_run / "results/variants").glob("mismatch/*"))


def test_results_are_strict_json_and_readable_by_the_group(tiny_run):
    """Every JSON result parses without NaN or Infinity (undefined metrics are null), and
    every result file and folder is open to the group as the umask (022 here) allows."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    for path in (tiny_run / "results").rglob("*.json"):
        json.loads(path.read_text(), parse_constant=refuse)
    for path in (tiny_run / "results").rglob("*"):
        if path.is_file():
            assert path.stat().st_mode & 0o044 == 0o044, path
        else:
            assert path.stat().st_mode & 0o055 == 0o055, path
