"""The pipeline at genome scale: generated 1,000-nt windows, a planted motif deciding the binary
label, run through the real `snakemake` CLI (a `sequences` task read from a table, one small
`cnn`, 2 folds, 1 epoch capped at `--steps` batches, the leaderboard) at 100k, 1M and 5M rows.

Printed per size, from each job's Snakemake benchmark file (`s`, `max_rss`): encode rows/s,
training steps/s (the capped epoch's batches over the epoch's seconds in history.csv) and each
fold's job seconds, the leaderboard's seconds, every job's peak RSS, and the whole run's wall
time per row relative to `--baseline` (100k rows, run first). The issue's targets: every job
at most 4 GB of peak RSS at 5M x 1 kb, and time per row within 1.5x of the 100k figure.

Not a test: it takes minutes to an hour and times CPU work, so run it alone on an idle machine.
Each size runs in its own folder under `--workdir` (default: a temporary folder, removed
afterwards); the generated table is written there (1 GB per million rows) and copied once by
the download rule, as a user's local file would be.

    python bench/scale.py                              # 100k and 1M rows
    python bench/scale.py --sizes 5000000              # 5M rows (and the 100k baseline)
    python bench/scale.py --sizes 100000 --steps 20 --cores 2 --workdir /tmp/scale --keep
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
MOTIF = "TGACTCAGCA"  # 10 nt: about one chance hit per 1,000 random 1-kb windows
LENGTH = 1000
GENERATE_ROWS = 50_000  # rows generated and written at a time
TASK = "scale"
GiB = 2**30


def write_windows(path: Path, rows: int, length: int, seed: int = 0) -> None:
    """`rows` random windows, half of them (label 1) with MOTIF planted at a random place."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    motif = np.frombuffer(MOTIF.encode(), dtype=np.uint8)
    with path.open("wb") as out:
        out.write(b"sequence,label\n")
        for start in range(0, rows, GENERATE_ROWS):
            n = min(GENERATE_ROWS, rows - start)
            line = np.empty((n, length + 3), dtype=np.uint8)
            line[:, :length] = letters[rng.integers(0, 4, (n, length))]
            label = rng.random(n) < 0.5
            where = rng.integers(0, length - len(motif), n)
            for row in np.flatnonzero(label):
                line[row, where[row] : where[row] + len(motif)] = motif
            line[:, length] = ord(",")
            line[:, length + 1] = np.where(label, ord("1"), ord("0"))
            line[:, length + 2] = ord("\n")
            out.write(line.tobytes())


def write_config(folder: Path, table: Path, steps: int, cores: int) -> Path:
    config = {
        "datasets": {"synthetic": {"files": {table.name: {"sources": [str(table)]}}}},
        "architectures": {
            "cnn": {"embed_dim": 8, "channels": 16, "kernel_sizes": [11], "hidden": 16}
        },
        "tasks": {
            TASK: {
                "kind": "sequences", "dataset": "synthetic", "objective": "binary",
                "input": {"format": "table", "file": table.name, "sequence": "sequence",
                          "labels": ["label"]},
                "split": {"method": "random", "folds": 2, "test_fraction": 0.1},
                "architectures": ["cnn"],
            }
        },
        "training": {"max_epochs": 1, "max_steps_per_epoch": steps, "batch_size": 256,
                     "threads": cores, "device": "cpu"},
    }  # fmt: skip
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def benchmark(folder: Path, job: str) -> dict[str, float]:
    """A job's seconds and peak RSS (GiB) from its Snakemake benchmark file."""
    row = pd.read_csv(folder / "benchmarks" / f"{job}.tsv", sep="\t").iloc[-1]
    return {"s": float(row["s"]), "rss": float(row["max_rss"]) * 2**20 / GiB}


def run_size(folder: Path, rows: int, steps: int, cores: int) -> dict[str, float]:
    """Generate, run the pipeline to the leaderboard, read back what each job cost."""
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "windows.csv"
    write_windows(table, rows, LENGTH)
    config = write_config(folder, table, steps, cores)
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
        "--directory", str(folder), "--configfile", str(config), "--replace-workflow-config",
        "--cores", str(cores), f"results/{TASK}/leaderboard.csv",
    ]  # fmt: skip
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"snakemake failed at {rows} rows:\n{result.stderr[-3000:]}")
    jobs = {
        "download": benchmark(folder, f"download/synthetic/{table.name}"),
        "encode": benchmark(folder, f"encode/{TASK}"),
        **{f"train fold {f}": benchmark(folder, f"train/{TASK}/cnn/fold{f}") for f in (0, 1)},
        "evaluate": benchmark(folder, f"evaluate/{TASK}/cnn"),
        "leaderboard": benchmark(folder, f"leaderboard/{TASK}"),
    }
    epochs = [
        pd.read_csv(folder / f"results/{TASK}/models/cnn/fold{f}/history.csv").iloc[0]
        for f in (0, 1)
    ]
    summary = json.loads((folder / f"results/{TASK}/encoded/summary.json").read_text())
    n_train = summary["rows"]["train"] // 2  # rows a fold trains on (2 folds)
    batches = min(steps, -(-n_train // 256))
    return {
        "rows": rows,
        "wall_s": wall,
        "encode_rows_per_s": rows / jobs["encode"]["s"],
        "train_steps_per_s": float(np.mean([batches / e["seconds"] for e in epochs])),
        "train_s": max(jobs[f"train fold {f}"]["s"] for f in (0, 1)),
        "leaderboard_s": jobs["leaderboard"]["s"],
        "peak_rss_gib": {job: round(cost["rss"], 2) for job, cost in jobs.items()},
        "job_s": {job: round(cost["s"], 1) for job, cost in jobs.items()},
    }


def table(results: list[dict]) -> str:
    base = results[0]["wall_s"] / results[0]["rows"]
    lines = [
        "| rows | encode rows/s | train steps/s | train job s (max fold) | leaderboard s | "
        "peak RSS per job (GiB) | wall s | time per row vs the first row |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rss = ", ".join(f"{job} {gib:.2f}" for job, gib in r["peak_rss_gib"].items())
        lines.append(
            f"| {r['rows']:,} | {r['encode_rows_per_s']:,.0f} | {r['train_steps_per_s']:.2f} | "
            f"{r['train_s']:.0f} | {r['leaderboard_s']:.1f} | {rss} | {r['wall_s']:.0f} | "
            f"{r['wall_s'] / r['rows'] / base:.2f}x |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--steps", type=int, default=50, help="batches per epoch (cap)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the run folders")
    parser.add_argument(
        "--baseline",
        type=int,
        default=100_000,
        help="the size time per row is compared with (run first if not listed)",
    )
    args = parser.parse_args()
    sizes = sorted(set(args.sizes) | {args.baseline}, key=lambda n: (n != args.baseline, n))
    root = args.workdir or Path(tempfile.mkdtemp(prefix="dlgenomics-scale-"))
    results = []
    try:
        for rows in sizes:
            results.append(run_size(root / f"rows{rows}", rows, args.steps, args.cores))
            print(json.dumps(results[-1]), flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(table(results))


if __name__ == "__main__":
    main()
