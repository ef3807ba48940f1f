"""Start one fold's tuning study: its empty journal file, which the trial jobs then share."""

from pathlib import Path

from dlgenomics.steps import run_step
from dlgenomics.training.tuning import start_journal


def main() -> None:
    start_journal(Path(snakemake.output.journal), snakemake.params.space, snakemake.params.tune)


run_step(main, snakemake.log[0])
