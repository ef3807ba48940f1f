"""A task's provenance page: the data kept and dropped, each model's device and host, the
config, package versions and commit."""

from pathlib import Path

from dlgenomics.report.provenance import write_task_provenance
from dlgenomics.steps import run_step


def main() -> None:
    write_task_provenance(
        snakemake.wildcards.task,
        snakemake.config,
        Path(snakemake.input.data),
        [Path(p) for p in snakemake.input.runs],
        Path(snakemake.output.json),
        Path(snakemake.output.html),
    )


run_step(main, snakemake.log[0])
