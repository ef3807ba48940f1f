"""ROC, precision-recall and confusion-matrix figures of one task's ranked architectures, out
of fold and on each test file."""

from pathlib import Path

from dlgenomics.evaluation.evaluate import classification_figures, test_sets_of
from dlgenomics.steps import run_step
from dlgenomics.tasks.objectives import Scoring


def main() -> None:
    classification_figures(
        Scoring.from_params(snakemake.params.scoring),
        list(snakemake.params.names),
        [Path(p) for p in snakemake.input.predictions],
        Path(snakemake.input.leaderboard),
        snakemake.wildcards.task,
        {name: Path(path) for name, path in snakemake.output.items()},
        test_sets_of(Path(snakemake.input.encode_summary)),
    )


run_step(main, snakemake.log[0])
