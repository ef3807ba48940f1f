"""One leaderboard per task: CSV, Markdown and HTML (the report's)."""

import logging
from pathlib import Path

from dlgenomics.evaluation.evaluate import (
    leaderboard,
    leaderboard_notes,
    mark_tuned,
    with_uncertainty,
    write_leaderboard,
)
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    scoring = Scoring.from_params(snakemake.params.scoring)
    task = snakemake.wildcards.task
    names = snakemake.params.names
    metric_paths = dict(zip(names, map(Path, snakemake.input.metrics), strict=True))
    prediction_paths = dict(zip(names, map(Path, snakemake.input.predictions), strict=True))
    board = leaderboard(scoring, metric_paths)
    board = with_uncertainty(board, scoring, prediction_paths, Path(snakemake.input.groups))
    board = mark_tuned(board, snakemake.params.tuned)
    title = f"{task} (ranked by out-of-fold {scoring.selection})"
    write_leaderboard(
        board,
        title,
        Path(snakemake.output.csv),
        Path(snakemake.output.md),
        Path(snakemake.output.html),
        leaderboard_notes(scoring, board),
        selection=scoring.selection,
    )
    logging.info("\n%s", board.to_string(index=False))


run_step(main, snakemake.log[0])
