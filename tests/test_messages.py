"""Smaller messages through the real CLI (issue 29, item 7): a predict input that does not
exist, names that would leave the results folder, an unwritable logs/ folder, VCFs without a
single SNV, and an export that is the same file on every run and holds no local path."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO
from test_reliability import error_lines, run_snakemake

LENGTH = 24  # nt of every row: the variant windows' length too
EXPORT = "results/t/export"


def write_table(path: Path, rows: int, seed: int) -> None:
    """Random DNA with its GC share (plus noise) as the label."""
    rng = np.random.default_rng(seed)
    sequences = ["".join(rng.choice(list("ACGT"), LENGTH)) for _ in range(rows)]
    gc = [(s.count("G") + s.count("C")) / LENGTH for s in sequences]
    value = np.round(np.array(gc) + rng.normal(0, 0.05, rows), 4)
    pd.DataFrame({"sequence": sequences, "value": value}).to_csv(path, index=False)


def write_config(workdir: Path, **extra: Any) -> dict[str, Any]:
    """Task `t`: a regression on train.csv, test.csv its external test file, one mlp epoch on
    two folds. `extra`: top-level keys (predict, variants) laid over it."""
    write_table(workdir / "train.csv", 60, seed=0)
    write_table(workdir / "test.csv", 20, seed=1)
    files = {name: {"sources": [str(workdir / name)]} for name in ("train.csv", "test.csv")}
    config = {
        "datasets": {"lab": {"files": files}},
        "tasks": {
            "t": {
                "kind": "sequences",
                "dataset": "lab",
                "objective": "regression",
                "input": {
                    "format": "table",
                    "file": "train.csv",
                    "sequence": "sequence",
                    "labels": ["value"],
                },
                "test": [{"file": "test.csv"}],
                "split": {"method": "random", "folds": 2},
                "architectures": ["mlp"],
            }
        },
        "training": {"max_epochs": 1, "threads": 1, "device": "cpu"},
        **extra,
    }
    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return config


def said(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr  # a dry run prints some errors on stdout


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """Task `t` trained and exported once (this module's own run): tests here add variant
    jobs to it and export it again."""
    workdir = tmp_path_factory.mktemp("messages")
    write_config(workdir)
    result = run_snakemake(workdir, EXPORT)
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


def test_a_missing_predict_input_is_one_line_before_anything_runs(tmp_path):
    job = {"task": "t", "model": "mlp", "input": {"format": "fasta", "file": "nowhere.fa"}}
    write_config(tmp_path, predict={"new": job})
    result = run_snakemake(tmp_path, "predict", "-n")
    assert result.returncode != 0
    assert error_lines(result) == [
        f"error: {tmp_path / 'config.yaml'}: predict.new.input.file: nowhere.fa does not exist "
        f"(relative to {tmp_path})"
    ], said(result)[-2000:]
    assert "MissingInputException" not in said(result)


def rename_dataset(config: dict[str, Any]) -> None:
    config["datasets"]["../x"] = config["datasets"].pop("lab")
    config["tasks"]["t"]["dataset"] = "../x"


def rename_file(config: dict[str, Any]) -> None:
    files = config["datasets"]["lab"]["files"]
    files["/tmp/train.csv"] = files.pop("train.csv")
    config["tasks"]["t"]["input"]["file"] = "/tmp/train.csv"


def add_architecture(config: dict[str, Any]) -> None:
    config["architectures"] = {"../mlp": {"model": "mlp"}}
    config["tasks"]["t"]["architectures"] = ["../mlp"]


@pytest.mark.parametrize(
    ("change", "key", "name"),
    [(rename_dataset, "datasets", "../x"), (rename_file, "datasets.lab.files", "/tmp/train.csv"),
     (add_architecture, "architectures", "../mlp")],
)  # fmt: skip
def test_names_that_leave_the_results_folder_are_refused_naming_the_key(tmp_path, change, key,
                                                                        name):  # fmt: skip
    config = write_config(tmp_path)
    change(config)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    result = run_snakemake(tmp_path, "-n")
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1, said(result)[-2000:]
    assert errors[0].startswith(f"error: {tmp_path / 'config.yaml'}: {key}: the name {name!r} ")
    assert "it is used in file paths" in errors[0]
    assert not (tmp_path / "results").exists() and not (tmp_path / "resources").exists()


@contextlib.contextmanager
def read_only(folders: list[Path]) -> Iterator[None]:
    """Folders no step can write into: root writes through file modes, so for root they are
    made immutable (chattr +i), which root's writes respect; for others, mode 0555."""
    as_root = os.geteuid() == 0
    if as_root and shutil.which("chattr") is None:
        pytest.skip("root needs chattr to make a folder it cannot write into")
    for folder in folders:
        if as_root:
            done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
            if done.returncode != 0:
                pytest.skip(f"chattr +i refused here: {done.stderr.decode().strip()}")
        else:
            folder.chmod(0o555)
    try:
        yield
    finally:
        for folder in folders:
            if as_root:
                subprocess.run(["chattr", "-i", str(folder)], check=True)
            else:
                folder.chmod(0o755)


def test_a_read_only_logs_folder_is_one_line_before_any_job(tmp_path):
    write_config(tmp_path)
    folders = [tmp_path / "logs", tmp_path / "logs/download", tmp_path / "logs/download/lab"]
    folders[-1].mkdir(parents=True)
    with read_only(folders):
        result = run_snakemake(tmp_path, "results/t/encoded/summary.json")
    assert result.returncode != 0
    errors = error_lines(result)
    assert len(errors) == 1 and errors[0].startswith("error: logs"), said(result)[-2000:]
    assert "make it writable" in errors[0] and "Traceback" not in said(result)
    assert not (tmp_path / "resources").exists()


def test_a_step_that_cannot_write_its_log_says_so_in_one_line(tmp_path):
    """The step itself (a job Snakemake started anyway, e.g. on another machine's logs/)."""
    folder = tmp_path / "logs"
    folder.mkdir()
    log = folder / "step.log"
    code = f"from dlgenomics.steps import run_step\nrun_step(lambda: None, {str(log)!r})\n"
    with read_only([folder]):
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {log}: "), result.stderr
    assert lines[0].endswith(": this step's log cannot be written")


VCF_HEADER = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"


# job -> (its VCF's records, why nothing is scored, as the warning says)
NO_SNV = {
    "header_only": ([], "header lines only"),
    "indels_only": (["chr1\t100\tins\tA\tAT\t.\t.\t.", "chr1\t200\tdel\tAC\tA\t.\t.\t."],
                    "2 indels"),
}  # fmt: skip


def test_a_vcf_without_snvs_scores_zero_variants(trained):
    """Both jobs in one `snakemake variant_effects`: exit 0, empty outputs, and said so."""
    genome = str(REPO / "resources/examples/variants/genome.fa")
    config = yaml.safe_load((trained / "config.yaml").read_text())
    config["variants"] = {}
    for name, (records, _) in NO_SNV.items():
        vcf = trained / f"{name}.vcf"
        vcf.write_text(VCF_HEADER + "".join(f"{record}\n" for record in records))
        config["variants"][name] = {"task": "t", "vcf": str(vcf), "genome": genome}
    (trained / "variants.yaml").write_text(yaml.safe_dump(config))
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
               "--directory", str(trained), "--configfile", str(trained / "variants.yaml"),
               "--replace-workflow-config", "--cores", "1", "variant_effects"]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "DLGENOMICS_MIRROR"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    for name, (_, reason) in NO_SNV.items():
        warning = f"warning: {trained / name}.vcf: no SNV to score ({reason}"
        assert warning in result.stderr, name
        log = (trained / f"logs/variants/{name}.log").read_text()
        assert warning.removeprefix("warning: ") in log
        out = trained / "results/variants" / name
        effects = pd.read_csv(out / "effects.csv")
        assert effects.empty  # with its header
        assert {"variant", "pred_ref", "pred_alt", "effect", "rank"} <= set(effects)
        assert pd.read_parquet(out / "effects.parquet").empty
        assert len(np.load(out / "ism.npz")["variants"]) == 0
        assert (out / "top_variants.png").read_bytes()[:4] == b"\x89PNG"


def archive_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_the_export_is_the_same_file_on_every_run_without_local_paths(trained):
    model = trained / EXPORT / "model.torchscript.pt"
    first, inode = model.read_bytes(), model.stat().st_ino
    result = run_snakemake(trained, EXPORT, "--forcerun", "export")
    assert result.returncode == 0, result.stderr[-3000:]
    assert model.stat().st_ino != inode  # a new file (the folder is replaced whole)
    assert model.read_bytes() == first
    members = archive_members(model)
    assert any(name.endswith("data.pkl") for name in members)
    assert not [name for name in members if name.endswith(".debug_pkl")]
    for local in (str(REPO), str(trained), ".snakemake", sys.prefix, "/tmp/"):
        leaking = [name for name, data in members.items() if local.encode() in data]
        assert not leaking, (local, leaking)


def test_the_model_card_lists_external_test_files_apart(trained):
    card = (trained / EXPORT / "model_card.md").read_text()
    training = card.split("## Training data")[1].split("\n## ")[0]
    tests = card.split("## External test data")[1].split("\n## ")[0]
    assert "- train.csv: sha256 " in training and "test.csv" not in training
    assert "- test.csv: sha256 " in tests and "train.csv" not in tests
