"""Design-rule, thermodynamic and target-site features of one siRNA task, beside its tensors."""

import json
import logging
from pathlib import Path

from dlgenomics.data.encode import standard_tables
from dlgenomics.sirna.features import featurize_task
from dlgenomics.steps import run_step


def main() -> None:
    files = {Path(p).name: Path(p) for p in snakemake.input.raw}
    _, frames = standard_tables(snakemake.params.kind, files, snakemake.params.task)
    summary = featurize_task(
        frames,
        snakemake.params.task,
        encoded={role: Path(snakemake.input[role]) for role in frames},
        out={role: Path(snakemake.output[role]) for role in frames},
        out_spec=Path(snakemake.output.spec),
    )
    logging.info("features of %s: %s", snakemake.wildcards.task, json.dumps(summary))


run_step(main, snakemake.log[0])
