"""What each rule cost: the TSV files Snakemake's `benchmark:` directive writes, per job
(wall seconds, peak memory, CPU time), summed up per rule for the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from dlgenomics.files import atomic_path
from dlgenomics.report import plots
from dlgenomics.report.html import note, preformatted, table, write_page

# Snakemake's benchmark columns we report, and the names we give them (memory in MB).
COLUMNS = {"s": "seconds", "max_rss": "max_rss_mb", "cpu_time": "cpu_seconds"}


def read_benchmarks(folder: Path) -> pd.DataFrame:
    """One row per job: `rule` is the first folder under `folder` (benchmarks/<rule>/...),
    `job` the rest of the path (its wildcards). Unmeasured values ("-", "NA") become NaN."""
    rows = []
    for path in sorted(folder.rglob("*.tsv")):
        relative = path.relative_to(folder).with_suffix("")
        measured = pd.read_csv(path, sep="\t").iloc[-1]  # a rerun job appends a line
        row = {"rule": relative.parts[0], "job": "/".join(relative.parts[1:])}
        for column, name in COLUMNS.items():
            row[name] = pd.to_numeric(measured.get(column), errors="coerce")
        rows.append(row)
    return pd.DataFrame(rows, columns=["rule", "job", *COLUMNS.values()])


def rule_summary(jobs: pd.DataFrame) -> pd.DataFrame:
    """Per rule: job count, total/median/max wall seconds, peak memory; costliest first."""
    summary = jobs.groupby("rule").agg(
        jobs=("job", "size"),
        total_seconds=("seconds", "sum"),
        median_seconds=("seconds", "median"),
        max_seconds=("seconds", "max"),
        max_rss_mb=("max_rss_mb", "max"),
    )
    return summary.sort_values("total_seconds", ascending=False).reset_index()


def write_benchmark_report(
    folder: Path, out_csv: Path, out_html: Path, out_png: Path, config: dict | None = None
) -> None:
    """Every job's time and memory (CSV), per rule (page and chart); the page also holds the
    run's whole configuration, once (each task's provenance page shows only its own)."""
    jobs = read_benchmarks(folder)
    if jobs.empty:
        raise FileNotFoundError(f"{folder}: no benchmark files (did the workflow run here?)")
    summary = rule_summary(jobs)
    with atomic_path(out_csv) as tmp:
        jobs.to_csv(tmp, index=False, float_format="%.3f")
    plots.benchmark_chart(summary, out_png)
    costliest = jobs.sort_values("seconds", ascending=False).head(15)
    write_page(
        out_html,
        "Benchmarks: what each rule cost",
        [
            (
                "",
                note(
                    f"{len(jobs)} jobs measured by Snakemake's benchmark directive: wall "
                    "seconds of the job itself (not a cluster job's queueing or start-up) and "
                    f"its peak resident memory. Every job's line is in {out_csv.name}."
                ),
            ),
            ("Per rule", table(summary, digits=1)),
            ("Longest jobs", table(costliest, digits=1)),
            *(
                [("The run's configuration", preformatted(yaml.safe_dump(config, sort_keys=False)))]
                if config
                else []
            ),
        ],
    )
