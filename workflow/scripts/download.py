"""Fetch one dataset file (mirror first), verified by its sha256 where the config gives one."""

from pathlib import Path

from dlgenomics.data.download import fetch_dataset_file
from dlgenomics.steps import run_step


def main() -> None:
    fetch_dataset_file(
        Path(snakemake.output[0]),
        snakemake.params.spec,
        dataset=snakemake.wildcards.dataset,
        # Read from the config, not params: where a verified file came from does not change
        # it, so pointing at another mirror must not make Snakemake redo the whole run (a
        # file the config does not pin is followed by its own parameter, `origin`).
        mirror=snakemake.config["mirror"],
    )


run_step(main, snakemake.log[0])
