"""The task's submission: the test predictions of the leaderboard's best row (an architecture's
fold models averaged, or the ensemble)."""

import logging
from pathlib import Path

from dlgenomics.evaluate import best_architecture, competition_submission, predictions_table
from dlgenomics.objectives import Scoring
from dlgenomics.steps import run_step
from dlgenomics.tasks import SIRNA_TARGET


def main() -> None:
    best = best_architecture(Path(snakemake.input.leaderboard))
    predictions = Path(snakemake.input.predictions[snakemake.params.names.index(best)])
    if snakemake.params.kind == "sirna_competition":
        competition_submission(
            Path(snakemake.input.sample), predictions, SIRNA_TARGET, Path(snakemake.output[0])
        )
    else:
        scoring = Scoring.from_params(snakemake.params.scoring)
        predictions_table(predictions, Path(snakemake.output[0]), scoring)
    logging.info("submission from %s (%s)", best, predictions)


run_step(main, snakemake.log[0])
