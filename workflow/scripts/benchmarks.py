"""The run's benchmark summary: every job's wall time and memory, per rule."""

from pathlib import Path

from dlgenomics.evaluation.benchmarks import write_benchmark_report
from dlgenomics.steps import run_step


def main() -> None:
    write_benchmark_report(
        Path(snakemake.params.folder),
        Path(snakemake.output.csv),
        Path(snakemake.output.html),
        Path(snakemake.output.plot),
        snakemake.config,
    )


run_step(main, snakemake.log[0])
