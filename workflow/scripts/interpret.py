"""Attributions, recovered motifs and their figures for the best network of one task."""

import json
import logging
from pathlib import Path

from dlgenomics.data.schema import read_vocab
from dlgenomics.evaluation.evaluate import ranked_candidates
from dlgenomics.interpretation.attributions import (
    InterpretationSettings,
    interpret_task,
    known_motifs,
)
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def optional_path(name: str) -> Path | None:
    path = snakemake.input.get(name)  # a Namedlist: `in` would look at the values
    return None if path is None else Path(path)


def main() -> None:
    settings = InterpretationSettings.from_config(snakemake.params.settings)
    summary = interpret_task(
        scoring=Scoring.from_params(snakemake.params.scoring),
        candidates=ranked_candidates(
            Path(snakemake.input.leaderboard), snakemake.params.networks, snakemake.input.models
        ),
        test=(Path(snakemake.input.test), optional_path("features")),
        train=(Path(snakemake.input.train), optional_path("features_train")),
        vocab=read_vocab(Path(snakemake.input.vocab)),
        settings=settings,
        known=known_motifs(settings.known_motif, optional_path("motifs")),
        out={k: Path(v) for k, v in snakemake.output.items()},
    )
    logging.info("interpretation: %s", json.dumps(summary))


run_step(main, snakemake.log[0])
