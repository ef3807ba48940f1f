"""Planning speed: `snakemake -n` for a config of >= 1,000 training jobs vs a 1-job config.

Both configs are generated in a temporary folder from config/config.yaml (its datasets,
architectures and training settings, `mirror` pointed at the data folder). The large one clones
the default tasks, each with all its architectures x `--folds` folds, until there are at least
`--train-jobs` training jobs; the reference has one task, one architecture and one fold. Both
are planned in this session, from the repository root, with the same command:

    snakemake -n --replace-workflow-config --configfile <config>

    python bench/dryrun.py [--train-jobs 1000] [--folds 5] [--profile]

`--profile` also runs the large plan under cProfile and `python -X importtime` and prints the
top costs.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import os
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = Path(sys.executable).with_name("snakemake")


def default_data_dir() -> Path:
    """The shared mirror: $DLGENOMICS_MIRROR, else ../shared/data beside the repository."""
    return Path(os.environ.get("DLGENOMICS_MIRROR") or REPO.parent / "shared" / "data")


# Entries that name the default config's tasks, which the bench's configs rename.
NAMING_TASKS = ("tasks", "screen", "cross_evaluation", "predict", "variants")


def large_config(base: dict[str, Any], train_jobs: int, folds: int) -> tuple[dict, int]:
    """Clones of the default tasks, `folds` folds each, until >= `train_jobs` training jobs."""
    config = {k: copy.deepcopy(v) for k, v in base.items() if k not in NAMING_TASKS}
    config["tasks"] = {}
    templates = list(base["tasks"].values())
    planned = 0
    while planned < train_jobs:
        task = copy.deepcopy(templates[len(config["tasks"]) % len(templates)])
        task["split"] = {**task.get("split", {}), "folds": folds}
        config["tasks"][f"bench_t{len(config['tasks']):04d}"] = task
        planned += folds * len(task["architectures"])
    return config, planned


def reference_config(base: dict[str, Any]) -> dict[str, Any]:
    """One task, one architecture, one fold (a single hold-out)."""
    config = {k: copy.deepcopy(v) for k, v in base.items() if k not in NAMING_TASKS}
    task = copy.deepcopy(next(iter(base["tasks"].values())))
    task["architectures"] = task["architectures"][:1]
    task["split"] = {"method": "random", "folds": 1, "valid_fraction": 0.1, "seed": 42}
    config["tasks"] = {"bench_ref": task}
    return config


def dry_run_command(config_path: Path) -> list[str]:
    # --configfile takes several values, so every other option goes before it.
    return [str(SNAKEMAKE), "-n", "--replace-workflow-config", "--configfile", str(config_path)]


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run: rule -> jobs, plus 'total'."""
    counts: dict[str, int] = {}
    table = output.split("Job stats:", 1)[-1]
    for line in table.splitlines():
        match = re.fullmatch(r"\s*([A-Za-z_]\w*)\s+(\d+)\s*", line)
        if match:
            counts[match.group(1)] = int(match.group(2))
        if "total" in counts:
            break
    return counts


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def plan(config_path: Path) -> tuple[float, dict[str, int], float]:
    """Wall seconds of one dry run (the whole CLI process), its job counts, and the CPU
    seconds it used: on a shared machine the CPU time is the steadier of the two, and close
    to what the wall clock shows on an idle one (planning is single-threaded)."""
    started, cpu_started = time.perf_counter(), _children_cpu()
    result = subprocess.run(
        dry_run_command(config_path), cwd=REPO, capture_output=True, text=True, check=False
    )
    seconds, cpu_seconds = time.perf_counter() - started, _children_cpu() - cpu_started
    if result.returncode != 0:
        raise SystemExit(f"dry run failed ({config_path}):\n{result.stdout}\n{result.stderr}")
    return seconds, job_counts(result.stdout + result.stderr), cpu_seconds


def profile(config_path: Path, top: int) -> None:
    """Where the large plan's time goes: cProfile of snakemake in-process, and import times."""
    from snakemake.cli import main as snakemake_main

    argv, cwd = sys.argv, os.getcwd()
    sys.argv = dry_run_command(config_path)
    os.chdir(REPO)
    profiler = cProfile.Profile()
    sink = io.StringIO()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = sink  # the plan itself is not the point here
    try:
        profiler.runcall(snakemake_main)
    except SystemExit:
        pass  # the CLI exits when done
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        sys.argv = argv
        os.chdir(cwd)
    # Cumulative: only the workflow's own code and snakemake's planning steps (the asyncio and
    # importlib frames above them say nothing); own time: everything.
    listings = (
        ("cumulative", r"Snakefile|\.smk|dlgenomics|snakemake/(dag|rules|jobs|workflow)\.py"),
        ("tottime", ""),
    )
    for order, restriction in listings:
        print(f"\n--- cProfile, top {top} by {order} ---")
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(restriction, top)
        lines = text.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
        print("\n".join(lines[start:]))

    # Import costs of the same dry run (the Snakefile's own imports included), top-level
    # modules and their direct children, by cumulative time.
    result = subprocess.run(
        [sys.executable, "-X", "importtime", *dry_run_command(config_path)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    imports = []
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( +)(\S+)", line)
        if match and len(match.group(2)) <= 3:
            imports.append((int(match.group(1)), match.group(2) + match.group(3)))
    print(f"\n--- python -X importtime (same dry run): top {top} imports, depth <= 1 ---")
    for cumulative, name in sorted(imports, reverse=True)[:top]:
        print(f"{cumulative / 1e6:8.2f} s {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=default_data_dir(), help="mirror folder")
    parser.add_argument("--config", type=Path, default=REPO / "config" / "config.yaml")
    parser.add_argument("--train-jobs", type=int, default=1000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs; median")
    parser.add_argument("--profile", action="store_true", help="also profile the large plan")
    parser.add_argument("--top", type=int, default=25, help="rows of each profile listing")
    args = parser.parse_args()

    base = yaml.safe_load(args.config.read_text())
    base["mirror"] = str(args.data.resolve())
    large, expected = large_config(base, args.train_jobs, args.folds)
    with tempfile.TemporaryDirectory(prefix="bench_dryrun_") as tmp:
        large_path, reference_path = Path(tmp) / "large.yaml", Path(tmp) / "reference.yaml"
        large_path.write_text(yaml.safe_dump(large, sort_keys=False))
        reference_path.write_text(yaml.safe_dump(reference_config(base), sort_keys=False))
        load_before = os.getloadavg()[0]
        reference_runs, large_runs = [], []
        for _ in range(args.repeats):  # interleaved, so changing load hits both alike
            reference_runs.append(plan(reference_path))
            large_runs.append(plan(large_path))
        load_after = os.getloadavg()[0]
        reference_s = statistics.median(run[0] for run in reference_runs)
        large_s = statistics.median(run[0] for run in large_runs)
        reference_cpu = statistics.median(run[2] for run in reference_runs)
        large_cpu = statistics.median(run[2] for run in large_runs)
        reference_jobs, large_jobs = reference_runs[0][1], large_runs[0][1]
        print(f"command: {' '.join(dry_run_command(Path('<config>')))}  (cwd {REPO})")
        print(f"1-min load average {load_before:.2f} before, {load_after:.2f} after")
        print(
            f"repeats {args.repeats} (median shown): reference "
            f"{', '.join(f'{run[0]:.2f}' for run in reference_runs)} s; large "
            f"{', '.join(f'{run[0]:.2f}' for run in large_runs)} s"
        )
        print(f"large config: {len(large['tasks'])} tasks, {expected} training jobs expected")
        print()
        print(f"{'plan':<12}{'train jobs':>11}{'all jobs':>10}{'seconds':>9}{'CPU s':>8}")
        for name, seconds, jobs, cpu in (
            ("reference", reference_s, reference_jobs, reference_cpu),
            ("large", large_s, large_jobs, large_cpu),
        ):
            print(
                f"{name:<12}{jobs.get('train', 0):>11}{jobs.get('total', 0):>10}"
                f"{seconds:>9.2f}{cpu:>8.2f}"
            )
        print()
        print(f"jobs by rule (large): {large_jobs}")
        print(f"ratio large/reference (seconds): {large_s / reference_s:.2f}x")
        per_job = (large_s - reference_s) / max(1, large_jobs["total"] - reference_jobs["total"])
        print(f"marginal cost per planned job: {1000 * per_job:.2f} ms")
        print(f"ratio large/reference (CPU seconds): {large_cpu / reference_cpu:.2f}x")
        print(f"target < 10 s for the large plan: {'met' if large_s < 10 else 'NOT met'} (wall)")
        if args.profile:
            profile(large_path, args.top)


if __name__ == "__main__":
    main()
