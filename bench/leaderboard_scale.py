"""Leaderboard bootstrap at scale: `evaluate.with_uncertainty` (the leaderboard's 1,000 grouped
resamples of the selection metric, every model paired on the same resamples, from the
prediction files to the intervals and verdicts) over 6 models' out-of-fold predictions of
100,000 and 1,000,000 rows, each row its own group (a random split) or 10 rows a group (a
grouped split); for a binary task (AUROC), a regression (RMSE; Spearman, a rank metric) and
the siRNA competition's official score.

The budget: at most 30 s and 2 GB of peak RSS for 1M rows and 6 models on a 2-core machine.
Reference: the resamples as row-index lists with the metric recomputed on each (the previous
implementation), on the smallest size, `--reference-samples` resamples scaled to 1,000 (its
peak RSS is at those resamples: the lists grow with rows x resamples, 8 GB at 1M rows and
1,000). Not a test: timings on a shared machine vary, so it is run by hand; CPU seconds
are printed beside wall seconds. The prediction files are generated in a temporary folder
(removed afterwards); each measurement runs in a fresh child process, so its peak RSS is the
leaderboard's own.

    python bench/leaderboard_scale.py [--rows 100000 1000000] [--family binary spearman]
                                      [--reference-samples 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dlgenomics.tasks.objectives import Scoring

MODELS = 6
GROUP_ROWS = {"random": 1, "grouped": 10}
# Family -> (objective, the selection metric: each family's default, Spearman a rank metric)
SCORED = {
    "binary": ("binary", "auroc"),
    "regression": ("regression", "rmse"),
    "spearman": ("regression", "spearman"),
    "sirna": ("regression", "score"),
}


def task_scoring(family: str) -> Scoring:
    objective, selection = SCORED[family]
    return Scoring(objective, "regression" if family == "spearman" else family, selection)


def write_predictions(folder: Path, family: str, rows: int, split: str) -> None:
    """MODELS prediction files (oof rows, the leaderboard's columns) and encode's groups."""
    rng = np.random.default_rng(0)
    ids = np.char.add("row", np.arange(rows).astype(str))
    if family == "binary":
        target = (rng.random(rows) < 0.3).astype(np.int64)
    else:
        target = rng.uniform(0, 100, rows)
    scored, oof = task_scoring(family), {}
    for model in range(MODELS):
        if family == "binary":
            margin = (0.5 + 0.2 * model) * (2 * target - 1) + rng.normal(0, 1, rows)
            predicted = 1 / (1 + np.exp(-margin))
        else:
            predicted = target + rng.normal(0, 10 + 3 * model, rows)
        pd.DataFrame({"row_id": ids, "role": "oof", "fold": np.arange(rows) % 5,
                      "prediction": predicted, "target": target}).to_parquet(
            folder / f"model{model}.parquet")  # fmt: skip
        oof[f"model{model}"] = scored.selection_value(target, predicted)
    board = pd.DataFrame({"architecture": list(oof), f"oof_{scored.selection}": list(oof.values())})
    board.sort_values(f"oof_{scored.selection}", ascending=not scored.higher_is_better).to_parquet(
        folder / "board.parquet", index=False)  # fmt: skip
    groups = np.char.add("g", (np.arange(rows) // GROUP_ROWS[split]).astype(str))
    pd.DataFrame({"row_id": ids, "group": groups}).to_parquet(folder / "groups.parquet")


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started its program (VmHWM: unlike
    getrusage's maxrss, it does not carry the forking parent's memory over the exec)."""
    status = Path("/proc/self/status").read_text().splitlines()
    return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def cpu_seconds() -> float:
    """CPU time of this process, every thread (steadier than wall time on a shared machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(folder: Path, family: str) -> dict[str, float]:
    """Run in the child: the leaderboard's bootstrap, from the prediction files; peak RSS."""
    from dlgenomics.evaluation.evaluate import with_uncertainty

    paths = {f"model{k}": folder / f"model{k}.parquet" for k in range(MODELS)}
    board = pd.read_parquet(folder / "board.parquet")  # the models, best first
    started, cpu = time.perf_counter(), cpu_seconds()
    result = with_uncertainty(board, task_scoring(family), paths, folder / "groups.parquet")
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    verdicts = result["vs_best"].value_counts().to_dict()
    return {"seconds": seconds, "cpu_s": cpu, "peak_rss_mb": peak_rss_mb(), "verdicts": verdicts}


def measure_reference(folder: Path, family: str, samples: int) -> dict[str, float]:
    """Run in the child: the resamples as row-index lists, each metric recomputed on each."""
    groups = pd.read_parquet(folder / "groups.parquet")["group"].to_numpy()
    frames = [pd.read_parquet(folder / f"model{k}.parquet") for k in range(MODELS)]
    target = frames[0]["target"].to_numpy()
    task_scoring(family).selection_value(target, target)  # imports (scipy) before the clock
    started, cpu = time.perf_counter(), cpu_seconds()
    ids, group_of_row = np.unique(groups, return_inverse=True)
    rows_of_group = np.split(np.argsort(group_of_row, kind="stable"),
                             np.cumsum(np.bincount(group_of_row))[:-1])  # fmt: skip
    rng = np.random.default_rng(0)
    resamples = [
        np.concatenate([rows_of_group[g] for g in rng.integers(0, len(ids), len(ids))])
        for _ in range(samples)
    ]
    for frame in frames:
        predicted = frame["prediction"].to_numpy()
        [task_scoring(family).selection_value(target[rows], predicted[rows]) for rows in resamples]
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return {"seconds": seconds, "cpu_s": cpu, "peak_rss_mb": peak_rss_mb()}


def child(folder: Path, family: str, reference_samples: int = 0) -> dict[str, float]:
    command = [sys.executable, __file__, "--measure", str(folder), "--family", family,
               "--reference-samples", str(reference_samples)]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--family", nargs="+", default=list(SCORED), choices=list(SCORED))
    parser.add_argument("--reference-samples", type=int, default=50,
                        help="the old path's resamples, on the smallest size; 0: none")  # fmt: skip
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.measure:
        family, samples = args.family[0], args.reference_samples
        result = (measure_reference(args.measure, family, samples) if samples
                  else measure(args.measure, family))  # fmt: skip
        print(json.dumps(result))
        return
    print(f"{MODELS} models, 1,000 resamples; target at 1M rows: <= 30 s, <= 2048 MB; "
          f"1-min load average before: {os.getloadavg()[0]:.2f}")  # fmt: skip
    print("| family (selection) | rows | split | wall s | CPU s | peak RSS MB | verdicts |")
    print("|---|---|---|---|---|---|---|")
    for family in args.family:
        for rows in args.rows:
            for split in GROUP_ROWS:
                with tempfile.TemporaryDirectory(prefix="leaderboard_scale.") as scratch:
                    write_predictions(Path(scratch), family, rows, split)
                    result = child(Path(scratch), family)
                    reference = None
                    if args.reference_samples and rows == min(args.rows):
                        reference = child(Path(scratch), family, args.reference_samples)
                print(f"| {family} ({SCORED[family][1]}) | {rows:,} | {split} | "
                      f"{result['seconds']:.1f} | {result['cpu_s']:.1f} | "
                      f"{result['peak_rss_mb']:.0f} | "
                      f"{result['verdicts']} |", flush=True)  # fmt: skip
                if reference:
                    scale = 1000 / args.reference_samples
                    print(f"| reference: row-index resamples ({args.reference_samples} "
                          f"resamples x {scale:g}) | {rows:,} | {split} | "
                          f"{reference['seconds'] * scale:.1f} | "
                          f"{reference['cpu_s'] * scale:.1f} | "
                          f"{reference['peak_rss_mb']:.0f} (at {args.reference_samples}) | |",
                          flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
