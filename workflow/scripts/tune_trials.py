"""Run one process's share of a fold's tuning trials (the study in its journal file)."""

from pathlib import Path

from dlgenomics.data.schema import read_tensors, read_vocab
from dlgenomics.steps import run_step
from dlgenomics.training.loop import job_fold_run
from dlgenomics.training.tuning import TuneSettings, run_trials


def main() -> None:
    tables = (
        read_tensors(Path(snakemake.input.train)),
        read_tensors(Path(snakemake.input.test)),
        None,
        read_vocab(Path(snakemake.input.vocab)),
    )
    base = job_fold_run(
        snakemake.params, snakemake.wildcards, snakemake.threads, tables, (None, None, None)
    )
    run_trials(
        base,
        snakemake.params.space,
        TuneSettings(**snakemake.params.tune),
        Path(snakemake.input.journal),
        Path(snakemake.output.trials),
        worker=int(snakemake.wildcards.worker),
    )


run_step(main, snakemake.log[0])
