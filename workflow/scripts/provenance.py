"""A task's provenance page: config, versions, commit, and each model's device and host."""

from pathlib import Path

from dlgenomics.provenance import write_task_provenance
from dlgenomics.steps import run_step


def main() -> None:
    write_task_provenance(
        snakemake.wildcards.task,
        snakemake.config,
        [Path(p) for p in snakemake.input],
        Path(snakemake.output.json),
        Path(snakemake.output.html),
    )


run_step(main, snakemake.log[0])
