"""One leaderboard per task: CSV, Markdown and HTML (the report's)."""

import logging
from pathlib import Path

from dlgenomics.evaluation.evaluate import leaderboard, leaderboard_notes, write_leaderboard
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    scoring = Scoring.from_params(snakemake.params.scoring)
    task = snakemake.wildcards.task
    metric_paths = dict(zip(snakemake.params.names, map(Path, snakemake.input), strict=True))
    board = leaderboard(scoring, metric_paths)
    title = f"{task} (ranked by out-of-fold {scoring.selection})"
    write_leaderboard(
        board,
        title,
        Path(snakemake.output.csv),
        Path(snakemake.output.md),
        Path(snakemake.output.html),
        leaderboard_notes(scoring, board),
    )
    logging.info("\n%s", board.to_string(index=False))


run_step(main, snakemake.log[0])
