"""Each track's (label's) own metrics per ranked architecture of a multi-label or multi-output
regression task: a table beside the leaderboard and its figure."""

from pathlib import Path

from dlgenomics.evaluation.evaluate import test_sets_of, track_figures
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    track_figures(
        Scoring.from_params(snakemake.params.scoring),
        list(snakemake.params.names),
        [Path(p) for p in snakemake.input.predictions],
        Path(snakemake.input.leaderboard),
        snakemake.wildcards.task,
        Path(snakemake.output.figure),
        Path(snakemake.output.table),
        test_sets_of(Path(snakemake.input.encode_summary)),
    )


run_step(main, snakemake.log[0])
