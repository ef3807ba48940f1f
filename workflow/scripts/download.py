"""Fetch one dataset file (mirror first), verified by its sha256."""

import logging
from pathlib import Path

from dlgenomics.data.download import fetch_file, resolve_mirrors, sha256_of
from dlgenomics.steps import run_step


def main() -> None:
    spec = snakemake.params.spec
    place = fetch_file(
        Path(snakemake.output[0]),
        sha256=spec.get("sha256"),
        sources=spec["sources"],
        dataset=snakemake.wildcards.dataset,
        # Read from the config, not params: where a verified file came from does not change
        # it, so pointing at another mirror must not make Snakemake redo the whole run.
        mirrors=resolve_mirrors(snakemake.config["mirror"]),
    )
    logging.info("%s: from %s", snakemake.output[0], place)
    if spec.get("sha256") is None:
        logging.warning(
            "%s: no sha256 in the config, so the local file was taken as it is: sha256 %s "
            "(recorded in encode's summary.json; add it to the config to pin the file)",
            snakemake.output[0], sha256_of(Path(snakemake.output[0])),
        )  # fmt: skip


run_step(main, snakemake.log[0])
