"""Simulate a multi-task binding dataset: JASPAR motif sites planted in background DNA."""

import logging
from pathlib import Path

from dlgenomics.data.simulate import simulate_task
from dlgenomics.steps import run_step


def main() -> None:
    summary = simulate_task(
        snakemake.params.settings,
        Path(snakemake.output.sequences),
        Path(snakemake.output.motifs),
    )
    logging.info("simulated %s: %s", snakemake.wildcards.task, summary)


run_step(main, snakemake.log[0])
