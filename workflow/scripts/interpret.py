"""Attributions, recovered motifs and their figures for the best network of one task."""

import json
import logging
from pathlib import Path

from dlgenomics.interpret import (
    InterpretationSettings,
    best_network,
    interpret_task,
    known_motifs,
)
from dlgenomics.schema import read_vocab
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS


def optional_path(name: str) -> Path | None:
    path = snakemake.input.get(name)  # a Namedlist: `in` would look at the values
    return None if path is None else Path(path)


def main() -> None:
    kind = TASK_KINDS[snakemake.params.kind]
    settings = InterpretationSettings.from_config(snakemake.params.settings)
    arch = best_network(Path(snakemake.input.leaderboard), snakemake.params.networks)
    models = [Path(p) for p in snakemake.input.models if Path(p).parent.parent.name == arch]
    summary = interpret_task(
        kind=kind,
        arch=arch,
        model_paths=models,
        test=Path(snakemake.input.test),
        vocab=read_vocab(Path(snakemake.input.vocab)),
        settings=settings,
        known=known_motifs(settings.known_motif, optional_path("motifs")),
        out={k: Path(v) for k, v in snakemake.output.items()},
        features=optional_path("features"),
    )
    logging.info("interpretation of %s: %s", arch, json.dumps(summary))


run_step(main, snakemake.log[0])
