"""Time to quality: wall seconds until the competition's published GRU baseline and this
pipeline each reach the baseline's best published validation score, on the seed's protocol
(random 10% hold-out of the training table, `random_state=42`, the same rows on both sides).

Baseline (`published_baseline.py`): the tutorial's per-row Dataset, DataLoader and loop, run
here for `--baseline-epochs` epochs at its published batch size (64), timed epoch by epoch
(training and the validation pass that scores it). Its published run first reached its best
score, 0.6319, after epoch 19; epochs not run here are extrapolated at the mean measured
epoch time, and only those: if a measured epoch already reaches the score, its time is used.

Ours: `snakemake --cores 2 results/sirna_random/models/mlp/fold0/model.pt` with the default
config, from an empty folder, the data read through the download step from the mirror. The
time to quality is from the command's start to the log line of the first epoch whose
validation score reaches the baseline's best (the job's own timestamps); the whole command's
time is printed beside it.

    python bench/time_to_quality.py [--baseline-epochs 2] [--threads 2] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import published_baseline as baseline
import torch

from dlgenomics.data.splits import holdout_test
from dlgenomics.metrics import official_score

OURS_TARGET = "results/sirna_random/models/mlp/fold0/model.pt"
OURS_LOG = "logs/train/sirna_random/mlp/fold0.log"
TARGET_SCORE = baseline.PUBLISHED_BEST  # what both sides must reach
EPOCH_LINE = re.compile(r"^(\S+ \S+) INFO .*: epoch (\d+)/\d+, .*valid score ([0-9.]+)")


def baseline_epochs(data: Path, epochs: int, threads: int) -> list[dict[str, float]]:
    """The published baseline on this machine: setup, then per epoch its seconds (training +
    validation) and its official validation score."""
    torch.set_num_threads(threads)
    started = time.perf_counter()
    table = pd.read_csv(baseline.competition_files(data)["train_data.csv"])
    valid_mask = holdout_test(len(table), 0.1, 42)  # train_test_split's rows, exactly
    train, valid = table[~valid_mask], table[valid_mask]
    baseline.set_random_seed(42)
    train_loader, valid_loader, vocab_size, _ = baseline.baseline_loaders(
        train, valid, baseline.PUBLISHED_BATCH_SIZE
    )
    model = baseline.SiRNAModel(vocab_size)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    rows = [{"epoch": 0, "seconds": time.perf_counter() - started, "score": float("nan")}]
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        baseline.baseline_train_epoch(model, train_loader, optimizer, "cpu")
        _, predicted = baseline.baseline_validate(model, valid_loader, "cpu")
        score = official_score(valid[baseline.TARGET].to_numpy(), predicted)["score"]
        rows.append({"epoch": epoch, "seconds": time.perf_counter() - started, "score": score})
        published = dict(enumerate(baseline.PUBLISHED_SCORES, start=1)).get(epoch)
        print(f"baseline epoch {epoch}: {rows[-1]['seconds']:.1f} s, validation score "
              f"{score:.4f} (published run: {published})", flush=True)  # fmt: skip
    return rows


def baseline_time_to_quality(rows: list[dict[str, float]]) -> tuple[float, int, bool]:
    """(seconds, epoch, measured): the first measured epoch reaching the published best, else
    the published run's epoch of it, the epochs beyond those run at the mean measured time."""
    elapsed = 0.0
    for row in rows:
        elapsed += row["seconds"]
        if row["epoch"] and row["score"] >= baseline.PUBLISHED_BEST:
            return elapsed, int(row["epoch"]), True
    needed = baseline.PUBLISHED_SCORES.index(baseline.PUBLISHED_BEST) + 1
    run = rows[1:]
    mean_epoch = sum(r["seconds"] for r in run) / len(run)
    return elapsed + (needed - len(run)) * mean_epoch, needed, False


def ours_time_to_quality(data: Path, workdir: Path) -> dict[str, float]:
    """This pipeline from an empty folder: seconds to the first epoch at the published best,
    and to the end of the command."""
    command = [
        sys.executable, "-m", "snakemake", "--cores", "2", "--directory", str(workdir),
        "--snakefile", str(baseline.REPO / "Snakefile"), OURS_TARGET,
        "--configfile", str(baseline.REPO / "config" / "config.yaml"),
    ]  # fmt: skip
    started = datetime.now()
    clock = time.perf_counter()
    done = subprocess.run(
        command, env={**os.environ, "DLGENOMICS_MIRROR": str(data)}, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    total = time.perf_counter() - clock
    if done.returncode:
        raise SystemExit(f"the pipeline failed:\n{done.stderr[-3000:]}")
    for line in (workdir / OURS_LOG).read_text().splitlines():
        match = EPOCH_LINE.match(line)
        if match and float(match[3]) >= TARGET_SCORE:
            stamp = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f")
            return {"seconds": (stamp - started).total_seconds(), "epoch": int(match[2]),
                    "score": float(match[3]), "command_s": total}  # fmt: skip
    raise SystemExit(f"no epoch in {OURS_LOG} reached {TARGET_SCORE}: {total:.0f} s spent")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-epochs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the baseline")
    parser.add_argument("--data", type=Path, default=baseline.default_data_dir())
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    data = args.data.resolve()
    print(f"1-min load average before: {os.getloadavg()[0]:.2f}; target score {TARGET_SCORE}")
    with tempfile.TemporaryDirectory(prefix="bench_ttq_") as tmp:
        ours = ours_time_to_quality(data, Path(tmp))
    print(f"ours: score {ours['score']:.4f} after epoch {ours['epoch']}, {ours['seconds']:.1f} s "
          f"from an empty folder (whole command {ours['command_s']:.1f} s)")  # fmt: skip
    rows = baseline_epochs(data, args.baseline_epochs, args.threads)
    seconds, epoch, measured = baseline_time_to_quality(rows)
    how = "measured" if measured else f"{args.baseline_epochs} measured, the rest extrapolated"
    print(f"baseline: setup {rows[0]['seconds']:.1f} s; score {TARGET_SCORE} at epoch {epoch} "
          f"({how}): {seconds:.0f} s")  # fmt: skip
    print(f"ratio baseline / ours: {seconds / ours['seconds']:.0f}x; "
          f"1-min load average after: {os.getloadavg()[0]:.2f}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"ours": ours, "baseline": rows, "baseline_seconds":
                                         seconds, "baseline_epoch": epoch}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
