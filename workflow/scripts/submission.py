"""The task's submission: the test predictions of the leaderboard's best row (an architecture's
fold models averaged, or the ensemble)."""

import logging
from pathlib import Path

from dlgenomics.evaluation.evaluate import write_submission
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    sample = snakemake.input.get("sample")  # the competition's sample_submission.csv
    best = write_submission(
        Path(snakemake.input.leaderboard),
        list(snakemake.params.names),
        [Path(p) for p in snakemake.input.predictions],
        Scoring.from_params(snakemake.params.scoring),
        Path(snakemake.output[0]),
        Path(sample) if sample else None,
        snakemake.params.label_scale,
    )
    logging.info("submission from %s", best)


run_step(main, snakemake.log[0])
