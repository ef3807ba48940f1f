"""One leaderboard per task (CSV and Markdown), plus the run's provenance."""

import logging
from pathlib import Path

from dlgenomics.evaluate import leaderboard, write_leaderboard
from dlgenomics.provenance import write_provenance
from dlgenomics.steps import run_step
from dlgenomics.tasks import TASK_KINDS


def main() -> None:
    kind = TASK_KINDS[snakemake.params.kind]
    task = snakemake.wildcards.task
    metric_paths = dict(zip(snakemake.params.names, map(Path, snakemake.input), strict=True))
    board = leaderboard(kind.metric_family, kind.selection_metric, metric_paths)
    title = f"{task} (ranked by out-of-fold {kind.selection_metric})"
    write_leaderboard(board, title, Path(snakemake.output.csv), Path(snakemake.output.md))
    logging.info("\n%s", board.to_string(index=False))
    write_provenance(Path(snakemake.output.provenance), task=task, config=snakemake.config)


run_step(main, snakemake.log[0])
