"""Shared fixtures: the real-data mirror beside the checkout, and small generated tables."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from dlgenomics.tasks.kinds.sirna_competition import SIRNA_COLUMNS

REPO = Path(__file__).resolve().parents[1]
# The tests reach the real data as a user would: through the download step's mirror.
MIRROR = Path(os.environ.get("DLGENOMICS_TEST_MIRROR", REPO.parent / "shared" / "data"))


def tiny_subset(architectures: dict[str, list[str]] | None = None) -> dict:
    """tests/data/tiny.yaml, ready to run: its own example table found through the config's
    mirror (tests/data). With `architectures`, only those tasks, each with only those
    architectures, and only the datasets, cross-dataset pairs and screens they need."""
    config = yaml.safe_load((REPO / "tests" / "data" / "tiny.yaml").read_text())
    config["mirror"] = str(REPO / "tests" / "data")
    if architectures is not None:
        tasks = config["tasks"]
        config["tasks"] = {
            name: {**tasks[name], "architectures": a} for name, a in architectures.items()
        }
        used = {task.get("dataset") for task in config["tasks"].values()}
        config["datasets"] = {k: v for k, v in config["datasets"].items() if k in used}
        config["cross_evaluation"] = {
            name: pair
            for name, pair in config["cross_evaluation"].items()
            if {pair["train"], pair["evaluate"]} <= set(architectures)
        }
        config["screen"] = {
            name: screen
            for name, screen in config["screen"].items()
            if screen["task"] in architectures
        }
    return config


def snakemake(*args: str, workdir: Path, mirror: Path | None) -> subprocess.CompletedProcess:
    """The real CLI on this checkout's workflow, in `workdir`, data through `mirror` (none:
    only the config's own sources)."""
    env = {k: v for k, v in os.environ.items() if k != "DLGENOMICS_MIRROR"}
    if mirror is not None:
        env["DLGENOMICS_MIRROR"] = str(mirror)
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(workdir), *args],
        capture_output=True, text=True, env=env, timeout=1500,
    )  # fmt: skip


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, mirror) -> Path:
    """The tiny config run from scratch, locally: the end-to-end tests read its outputs
    (tests/test_workflow.py) and the cluster run is compared with it (tests/test_slurm.py).
    Under `pytest -n 2` (README's test command) the workers share one run: the first to ask
    builds it in their common folder while the other waits on the lock."""
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's own
    workdir, done = root / "tiny_run", root / "tiny_run.done"
    with FileLock(str(root / "tiny_run.lock")):
        if not done.exists():
            shutil.rmtree(workdir, ignore_errors=True)  # a build that failed before
            workdir.mkdir()
            (workdir / "tiny.yaml").write_text(yaml.safe_dump(tiny_subset()))
            shutil.copy(REPO / "tests" / "data" / "short_transcript.fa", workdir)
            args = ["--cores", "2", "--configfile", str(workdir / "tiny.yaml"),
                    "--replace-workflow-config"]  # fmt: skip
            result = snakemake(*args, workdir=workdir, mirror=mirror)
            assert result.returncode == 0, result.stderr[-3000:]
            done.touch()
    return workdir


@pytest.fixture(scope="session")
def mirror() -> Path:
    if not (MIRROR / "sirna_competition").is_dir():
        pytest.fail(f"data mirror not found at {MIRROR} (set DLGENOMICS_TEST_MIRROR)")
    return MIRROR


# tests/data/example_sirna_table.csv as a `sirna_table` task reads it (the mapping in
# make_example_sirna_table.py's docstring).
EXAMPLE_SIRNA_TABLE: dict = {
    "file": "example_sirna_table.csv",
    "guide": "guide_5to3",
    "passenger": "passenger_5to3",
    "target": "mrna",
    "id": "oligo_id",
    "group": "gene",
    "conditions": {
        "concentration_nm": "conc_nM",
        "duration_h": "hours",
        "cell_line": "cells",
        "transfection_method": "method",
    },
    "label": {"column": "knockdown", "scale": "efficacy_fraction", "effective_at": 0.7},
}
# The columns of tests/data/published_sirna_*.csv (make_published_sirna_tables.py's docstring):
# a `table:` mapping adds its `file` and `test_files`.
PUBLISHED_SIRNA_COLUMNS: dict = {
    "guide": "antisense",
    "passenger": "sense",
    "target": "target_context",
    "id": "siRNA",
    "label": {"column": "inhibition", "scale": "efficacy_percent", "effective_at": 70},
}


def random_rna(rng: np.random.Generator, length: int) -> str:
    return "".join(rng.choice(list("ACGU"), length))


def dna_site(guide: str) -> str:
    """The DNA target site of an RNA guide: the reverse complement of its 19-nt core."""
    return guide[:19][::-1].translate(str.maketrans("ACGU", "TGCA"))


def sirna_table(n_rows: int, seed: int = 0, labelled: bool = True) -> pd.DataFrame:
    """A small table in the competition's 19-column format, with a learnable target."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_rows):
        sense = random_rna(rng, 21)
        antisense = random_rna(rng, 23)
        sense_mods = " ".join(b.lower() for b in sense) + " L96"
        anti_mods = "VP " + " ".join(b if j % 2 else b.lower() for j, b in enumerate(antisense))
        gc = sum(b in "GC" for b in antisense[:8]) / 8
        rows.append(
            {
                "id": i + 1,
                "publication_id": f"WO{i % 3}",
                "gene_target_symbol_name": f"GENE{i % 6}",
                "gene_target_ncbi_id": f"NM_{i % 6}",
                "gene_target_species": "Homo sapiens",
                "siRNA_duplex_id": f"AD-{i}",
                "siRNA_sense_seq": sense,
                "siRNA_antisense_seq": antisense,
                "cell_line_donor": ["Hep3B Cells", "HeLa Cells"][i % 2],
                "siRNA_concentration": [0.1, 1.0, 10.0][i % 3],
                "concentration_unit": "nM",
                "Transfection_method": "Lipofectamine",
                "Duration_after_transfection_h": 24.0,
                "modified_siRNA_sense_seq": sense.lower(),
                "modified_siRNA_antisense_seq": antisense,
                "modified_siRNA_sense_seq_list": sense_mods,
                "modified_siRNA_antisense_seq_list": anti_mods,
                # The guide's site (reverse complement of its core) in 10 nt of context each
                # side, as a real target holds it.
                "gene_target_seq": "ACGTACGTAC" + dna_site(antisense) + "ACGTACGTAC",
                "mRNA_remaining_pct": round(100 * gc + rng.normal(0, 5), 2) if labelled else None,
            }
        )
    frame = pd.DataFrame(rows, columns=list(SIRNA_COLUMNS))
    frame["mRNA_remaining_pct"] = frame["mRNA_remaining_pct"].clip(lower=0)
    return frame


MOD_VOCAB = ["A", "C", "G", "U", "a", "c", "g", "u", "VP", "L96", "s", "P"]


def write_sirna_files(
    folder: Path, train_rows: int, test_rows: int, seed: int, test_ids_from: int
) -> dict[str, Path]:
    """Raw files of a small competition-format dataset in `folder`: a labelled training table
    (`seed`), an unlabelled test table (`seed + 1`, ids from `test_ids_from + 1`), the vocab."""
    files = {
        "train_data.csv": folder / "train_data.csv",
        "sample_submission.csv": folder / "sample_submission.csv",
        "vocab.csv": folder / "vocab.csv",
    }
    sirna_table(train_rows, seed=seed).to_csv(files["train_data.csv"], index=False)
    test = sirna_table(test_rows, seed=seed + 1, labelled=False)
    test["id"] += test_ids_from
    test.to_csv(files["sample_submission.csv"], index=False)
    pd.DataFrame({"Abbreviation": MOD_VOCAB, "Chemical Name": MOD_VOCAB}).to_csv(
        files["vocab.csv"], index=False
    )
    return files


@pytest.fixture
def sirna_files(tmp_path: Path) -> dict[str, Path]:
    """Raw files of a small competition-format dataset."""
    return write_sirna_files(tmp_path, train_rows=120, test_rows=30, seed=1, test_ids_from=1000)


def encode_settings(method: str, folds: int) -> dict:
    """A task's config as `encode_task` receives it (schema defaults filled in)."""
    return {
        "split": {"method": method, "folds": folds, "seed": 42, "valid_fraction": 0.1,
                  "test_fraction": 0.25, "test_method": "method"},
        "max_rows": None,
        "kmer": {"k": 3, "stride": 3},
    }  # fmt: skip


def encode_outputs(folder: Path) -> dict[str, Path]:
    """Where `encode_task` writes, as the encode rule names them."""
    return {
        "train": folder / "train.parquet",
        "test": folder / "test.parquet",
        "vocab": folder / "vocab.json",
        "groups": folder / "groups.parquet",
    }
